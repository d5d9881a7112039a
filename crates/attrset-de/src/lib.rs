//! Strict serde deserialisation from attribute-set trees — Nix values,
//! JSON documents — with the field path in every error.
//!
//! A [`Tree`] is anything shaped like a Nix value: scalars, lists and
//! attribute sets. [`TreeDeserializer`] reads serde types from it strictly:
//! a struct must be an attribute set (never a positional list), a list a
//! list, a number a number. Attribute sets are visited in name order,
//! whatever order the tree reports, so results and the order of errors do
//! not depend on it, and only the values a type asks for are read.
//! Errors carry their path (`users[2].relay.port`), collected as they
//! travel back up.
//!
//! The same deserializer reads a Nix value inside a `builtins.wasm`
//! plugin and a JSON file natively, so both give the same answers and the
//! same messages.

/// The kind of a tree node, after Nix's value types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
    /// `true` or `false`.
    Bool,
    /// A string.
    String,
    /// A path (read as its text).
    Path,
    /// `null`.
    Null,
    /// An attribute set.
    Attrs,
    /// A list.
    List,
    /// A function (never data).
    Function,
}

impl Kind {
    /// The kind with an article, for messages ("a string").
    pub fn described(self) -> &'static str {
        match self {
            Kind::Int => "an integer",
            Kind::Float => "a float",
            Kind::Bool => "a Boolean",
            Kind::String => "a string",
            Kind::Path => "a path",
            Kind::Null => "null",
            Kind::Attrs => "an attribute set",
            Kind::List => "a list",
            Kind::Function => "a function",
        }
    }
}

/// A node of an attribute-set tree. Accessors are called only for the
/// node's own kind.
pub trait Tree: Sized + Clone {
    /// The node's kind (for lazy trees this forces the node).
    fn kind(&self) -> Kind;
    /// An `Int` node's value.
    fn int(&self) -> i64;
    /// A `Float` (or `Int`) node's value.
    fn float(&self) -> f64;
    /// A `Bool` node's value.
    fn boolean(&self) -> bool;
    /// A `String` or `Path` node's text; `None` when it is not UTF-8.
    fn text(&self) -> Option<String>;
    /// A `String` node's bytes.
    fn bytes(&self) -> Vec<u8>;
    /// A `List` node's items.
    fn items(&self) -> Vec<Self>;
    /// An `Attrs` node's attributes, in any order; `None` when a name is
    /// not UTF-8.
    fn entries(&self) -> Option<Vec<(String, Self)>>;
}

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

/// One step of a path into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Attr(String),
    Index(usize),
}

/// How many characters of a value [`quoted`] shows, escapes included.
pub const QUOTED_MAX: usize = 80;

/// True for characters that must not reach a terminal or a log raw:
/// controls (Unicode Cc), format characters (Cf: bidi overrides and
/// isolates, zero-width characters, the byte-order mark, …) and the line
/// and paragraph separators (Zl, Zp).
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            u32::from(c),
            0xad | 0x600..=0x605
                | 0x61c
                | 0x6dd
                | 0x70f
                | 0x890..=0x891
                | 0x8e2
                | 0x180e
                | 0x200b..=0x200f
                | 0x2028..=0x202e
                | 0x2060..=0x206f
                | 0xfeff
                | 0xfff9..=0xfffb
                | 0x110bd
                | 0x110cd
                | 0x13430..=0x1343f
                | 0x1bca0..=0x1bca3
                | 0x1d173..=0x1d17a
                | 0xe0001
                | 0xe0020..=0xe007f
        )
}

/// Appends `\u{hex}` for `c`, without `core`'s integer formatting.
fn push_unicode_escape(out: &mut String, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u{");
    let code = u32::from(c);
    let digits = (32 - (code | 1).leading_zeros()).div_ceil(4);
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((code >> (shift * 4)) & 0xf) as usize]));
    }
    out.push('}');
}

/// Appends `c` as it is shown between double quotes.
fn push_quoted_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_unprintable(c) => push_unicode_escape(out, c),
        c => out.push(c),
    }
}

/// Quotes a value for a message: in double quotes, with quotes,
/// backslashes and every [unprintable](is_unprintable) character escaped,
/// so the message stays one visible line; cut with `…` after
/// [`QUOTED_MAX`] characters. Every value and every unusual attribute name
/// in a message goes through here.
pub fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    let mut shown = 0;
    let mut one = String::new();
    for c in text.chars() {
        one.clear();
        push_quoted_char(&mut one, c);
        let width = one.chars().count();
        if shown + width > QUOTED_MAX {
            out.push('…');
            break;
        }
        shown += width;
        out.push_str(&one);
    }
    out.push('"');
    out
}

/// A message line made safe to print: unprintable characters that slipped
/// through are escaped, and the line is cut with `…` after `max`
/// characters.
pub fn printable_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut shown = 0;
    let mut one = String::new();
    for c in text.chars() {
        one.clear();
        if is_unprintable(c) {
            push_unicode_escape(&mut one, c);
        } else {
            one.push(c);
        }
        let width = one.chars().count();
        if shown + width > max {
            out.push('…');
            break;
        }
        shown += width;
        out.push_str(&one);
    }
    out
}

/// True for an attribute name shown bare in a path: an identifier such as
/// `mailRelay` or `password-file`, not longer than [`QUOTED_MAX`].
fn is_plain_name(name: &str) -> bool {
    name.len() <= QUOTED_MAX
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A path into a tree, outermost step first, shown as
/// `users[2].relay.port`. Attribute names that are not plain identifiers
/// are shown [quoted] (`spf."bad\nkey"`), so a hostile name can neither
/// forge a line nor make one unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreePath(Vec<Segment>);

impl TreePath {
    /// The empty path: the value passed in.
    pub fn new() -> Self {
        Self::default()
    }

    /// Steps into the attribute `name`.
    pub fn push_attr(&mut self, name: &str) {
        self.0.push(Segment::Attr(name.to_string()));
    }

    /// Steps into the list item `index`.
    pub fn push_index(&mut self, index: usize) {
        self.0.push(Segment::Index(index));
    }

    /// Steps back out of the innermost step.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// True for the path of the value passed in.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for TreePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Attr(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_plain_name(name) {
                        f.write_str(name)?;
                    } else {
                        f.write_str(&quoted(name))?;
                    }
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Why a Nix value does not fit the Rust type, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    /// Outermost segment last (segments are added while unwinding).
    reversed_path: Vec<Segment>,
    message: String,
}

impl DeError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            reversed_path: Vec::new(),
            message: message.into(),
        }
    }

    fn within(mut self, segment: Segment) -> Self {
        self.reversed_path.push(segment);
        self
    }

    /// The path of the offending value, e.g. `users[2].relay.port`; empty
    /// for the value passed in.
    /// Unusual attribute names are shown quoted (see [`TreePath`]).
    pub fn path(&self) -> String {
        TreePath(self.reversed_path.iter().rev().cloned().collect()).to_string()
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.path() {
            path if path.is_empty() => f.write_str(&self.message),
            path => write!(f, "{path}: {}", self.message),
        }
    }
}

impl std::error::Error for DeError {}

/// Describes an unexpected value by kind and, except for floats, by
/// value. Floats are rendered without `core`'s float formatting, which
/// would bloat every plugin; strings go through [`quoted`].
fn describe(unexpected: Unexpected<'_>) -> String {
    match unexpected {
        Unexpected::Float(_) => "a floating-point number".to_string(),
        Unexpected::Str(text) => format!("string {}", quoted(text)),
        Unexpected::Char(c) => format!("character {}", quoted(c.encode_utf8(&mut [0; 4]))),
        other => other.to_string(),
    }
}

/// serde's list of expected names: "`a`", "`a` or `b`", "one of `a`, `b`,
/// `c`". The names come from the Rust type, never from the input.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".to_string(),
        [one] => format!("`{one}`"),
        [a, b] => format!("`{a}` or `{b}`"),
        all => {
            let listed: Vec<String> = all.iter().map(|name| format!("`{name}`")).collect();
            format!("one of {}", listed.join(", "))
        }
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(msg.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DeError::new(format!(
            "invalid type: {}, expected {expected}",
            describe(unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        DeError::new(format!(
            "invalid value: {}, expected {expected}",
            describe(unexpected)
        ))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(format!(
            "unknown variant {}, expected {}",
            quoted(variant),
            one_of(expected)
        ))
    }

    /// The name is not repeated: the path already ends with it, shown
    /// quoted when it is unusual.
    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(format!("unknown field, expected {}", one_of(expected)))
    }
}

/// The newtype-struct name by which a type asks whether a string was
/// written as a path.
///
/// Paths are otherwise read as their text, which is right for names but
/// wrong where a path literal has consequences (in Nix, `./secret` copies
/// the file into the world-readable store as soon as it is used in a
/// string). When a `Deserialize` impl calls
/// `deserialize_newtype_struct(PATH_MARKER, visitor)`, a path node is
/// handed to `visit_byte_buf` (its text as bytes), and every other node is
/// read as by `deserialize_any`, so nodes are never bytes otherwise.
/// serde's own string visitors accept UTF-8 bytes, so a type that does not
/// care still reads the text. Other deserializers call
/// `visit_newtype_struct`: forward it to `deserialize_any`.
pub const PATH_MARKER: &str = "$attrset_de::Path";

/// Deserialises `T` from a tree.
pub fn from_tree<T: DeserializeOwned, V: Tree>(value: V) -> Result<T, DeError> {
    T::deserialize(TreeDeserializer::new(value))
}

/// A serde deserializer over one tree node.
#[derive(Debug, Clone)]
pub struct TreeDeserializer<V> {
    value: V,
}

impl<V: Tree> TreeDeserializer<V> {
    /// Wraps a node.
    pub fn new(value: V) -> Self {
        Self { value }
    }

    fn text(&self) -> Result<String, DeError> {
        self.value
            .text()
            .ok_or_else(|| DeError::new("the string is not valid UTF-8"))
    }

    fn entries(&self) -> Result<Vec<(String, V)>, DeError> {
        let mut entries = self
            .value
            .entries()
            .ok_or_else(|| DeError::new("an attribute name is not valid UTF-8"))?;
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }
}

impl<'de, T: Tree> de::Deserializer<'de> for TreeDeserializer<T> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::Int => visitor.visit_i64(self.value.int()),
            Kind::Float => visitor.visit_f64(self.value.float()),
            Kind::Bool => visitor.visit_bool(self.value.boolean()),
            Kind::String | Kind::Path => visitor.visit_string(self.text()?),
            Kind::Null => visitor.visit_unit(),
            Kind::List => visitor.visit_seq(ListAccess {
                items: self.value.items().into_iter().enumerate(),
            }),
            Kind::Attrs => visitor.visit_map(AttrsAccess {
                attrs: self.entries()?.into_iter(),
                pending: None,
            }),
            Kind::Function => Err(DeError::new(
                "expected data but found a function; apply it to its arguments first",
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == PATH_MARKER {
            return match self.value.kind() {
                Kind::Path => visitor.visit_byte_buf(self.text()?.into_bytes()),
                _ => self.deserialize_any(visitor),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::String | Kind::Path => {
                visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(self.text()?))
            }
            Kind::Attrs => {
                let attrs = self.entries()?;
                match attrs.as_slice() {
                    [(variant, value)] => visitor.visit_enum(TaggedEnum {
                        variant: variant.clone(),
                        value: value.clone(),
                    }),
                    _ => Err(DeError::new(format!(
                        "expected a string or an attribute set with exactly one attribute, found {} attributes",
                        attrs.len()
                    ))),
                }
            }
            other => Err(DeError::new(format!(
                "invalid type: {}, expected a string naming a variant",
                other.described()
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::Bool => visitor.visit_bool(self.value.boolean()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::Int => visitor.visit_i64(self.value.int()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::Float | Kind::Int => visitor.visit_f64(self.value.float()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::String | Kind::Path => visitor.visit_string(self.text()?),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::String => visitor.visit_byte_buf(self.value.bytes()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::Null => visitor.visit_unit(),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::List => visitor.visit_seq(ListAccess {
                items: self.value.items().into_iter().enumerate(),
            }),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.kind() {
            Kind::Attrs => visitor.visit_map(AttrsAccess {
                attrs: self.entries()?.into_iter(),
                pending: None,
            }),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_byte_buf(visitor)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }
}

impl<T: Tree> TreeDeserializer<T> {
    /// The error for a value of type `found` where `visitor` wanted
    /// something else, shown the way serde shows it.
    fn mismatch(&self, found: Kind, expected: &dyn de::Expected) -> DeError {
        let text;
        let unexpected = match found {
            Kind::Int => Unexpected::Signed(self.value.int()),
            Kind::Float => Unexpected::Float(0.0),
            Kind::Bool => Unexpected::Bool(self.value.boolean()),
            Kind::String => {
                text = self.value.text().unwrap_or_default();
                Unexpected::Str(&text)
            }
            other => Unexpected::Other(other.described()),
        };
        <DeError as de::Error>::invalid_type(unexpected, expected)
    }
}

struct ListAccess<T> {
    items: std::iter::Enumerate<std::vec::IntoIter<T>>,
}

impl<'de, T: Tree> de::SeqAccess<'de> for ListAccess<T> {
    type Error = DeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DeError> {
        self.items
            .next()
            .map(|(index, item)| {
                seed.deserialize(TreeDeserializer::new(item))
                    .map_err(|e| e.within(Segment::Index(index)))
            })
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct AttrsAccess<T> {
    attrs: std::vec::IntoIter<(String, T)>,
    pending: Option<(String, T)>,
}

impl<'de, T: Tree> de::MapAccess<'de> for AttrsAccess<T> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.attrs.next() {
            Some((name, value)) => {
                self.pending = Some((name.clone(), value));
                seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(name.clone()))
                    .map(Some)
                    .map_err(|e| e.within(Segment::Attr(name)))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (name, value) = self
            .pending
            .take()
            .ok_or_else(|| DeError::new("a value was requested before its attribute name"))?;
        seed.deserialize(TreeDeserializer::new(value))
            .map_err(|e| e.within(Segment::Attr(name)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.attrs.len())
    }
}

/// An externally tagged enum written as `{ variant = value; }`.
struct TaggedEnum<T> {
    variant: String,
    value: T,
}

impl<'de, T: Tree> de::EnumAccess<'de> for TaggedEnum<T> {
    type Error = DeError;
    type Variant = TreeDeserializer<T>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, TreeDeserializer<T>), DeError> {
        let variant =
            seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(self.variant))?;
        Ok((variant, TreeDeserializer::new(self.value)))
    }
}

impl<'de, T: Tree> de::VariantAccess<'de> for TreeDeserializer<T> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value.kind() {
            Kind::Null => Ok(()),
            other => Err(DeError::new(format!(
                "invalid type: {}, expected null for a unit variant",
                other.described()
            ))),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}

#[cfg(feature = "json")]
pub use json::NixJson;

#[cfg(feature = "json")]
mod json {
    use super::{Kind, Tree};

    /// JSON documents as trees: objects are attribute sets; numbers that
    /// fit an `i64` are integers, all others floats.
    impl Tree for &serde_json::Value {
        fn kind(&self) -> Kind {
            match self {
                serde_json::Value::Null => Kind::Null,
                serde_json::Value::Bool(_) => Kind::Bool,
                serde_json::Value::Number(n) if n.is_i64() => Kind::Int,
                serde_json::Value::Number(_) => Kind::Float,
                serde_json::Value::String(_) => Kind::String,
                serde_json::Value::Array(_) => Kind::List,
                serde_json::Value::Object(_) => Kind::Attrs,
            }
        }

        fn int(&self) -> i64 {
            self.as_i64().unwrap_or_default()
        }

        fn float(&self) -> f64 {
            self.as_f64().unwrap_or_default()
        }

        fn boolean(&self) -> bool {
            self.as_bool().unwrap_or_default()
        }

        fn text(&self) -> Option<String> {
            self.as_str().map(str::to_string)
        }

        fn bytes(&self) -> Vec<u8> {
            self.as_str()
                .map(|s| s.as_bytes().to_vec())
                .unwrap_or_default()
        }

        fn items(&self) -> Vec<Self> {
            self.as_array()
                .map(|items| items.iter().collect())
                .unwrap_or_default()
        }

        fn entries(&self) -> Option<Vec<(String, Self)>> {
            Some(
                self.as_object()
                    .map(|map| map.iter().map(|(k, v)| (k.clone(), v)).collect())
                    .unwrap_or_default(),
            )
        }
    }

    /// JSON standing in for Nix values, paths included: a string starting
    /// with `path:` is a Nix path with the rest as its text. Lets a type's
    /// handling of Nix paths be tested without an evaluator.
    #[derive(Debug, Clone, Copy)]
    pub struct NixJson<'a>(pub &'a serde_json::Value);

    impl Tree for NixJson<'_> {
        fn kind(&self) -> Kind {
            match self.0.as_str() {
                Some(s) if s.starts_with("path:") => Kind::Path,
                _ => self.0.kind(),
            }
        }
        fn int(&self) -> i64 {
            self.0.int()
        }
        fn float(&self) -> f64 {
            self.0.float()
        }
        fn boolean(&self) -> bool {
            self.0.boolean()
        }
        fn text(&self) -> Option<String> {
            let text = self.0.text()?;
            Some(text.strip_prefix("path:").unwrap_or(&text).to_string())
        }
        fn bytes(&self) -> Vec<u8> {
            self.0.bytes()
        }
        fn items(&self) -> Vec<Self> {
            self.0.items().into_iter().map(NixJson).collect()
        }
        fn entries(&self) -> Option<Vec<(String, Self)>> {
            Some(
                self.0
                    .entries()?
                    .into_iter()
                    .map(|(k, v)| (k, NixJson(v)))
                    .collect(),
            )
        }
    }
}

#[cfg(all(test, feature = "json"))]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::from_tree;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        port: u16,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        name: String,
        #[serde(default)]
        list: Vec<Inner>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Plain,
        Tagged(u16),
    }

    fn read(value: serde_json::Value) -> Result<Outer, String> {
        from_tree::<Outer, _>(&value).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_records_lists_and_enums() {
        let outer =
            read(json!({ "name": "n", "list": [{ "port": 1 }], "kind": { "tagged": 7 } })).unwrap();
        assert_eq!(outer.list, [Inner { port: 1 }]);
        assert_eq!(outer.kind, Some(Kind::Tagged(7)));
        assert_eq!(
            read(json!({ "name": "n", "kind": "plain" })).unwrap().kind,
            Some(Kind::Plain)
        );
        assert_eq!(
            read(json!({ "name": "n", "kind": null })).unwrap().kind,
            None
        );
    }

    #[test]
    fn errors_carry_their_path() {
        assert_eq!(
            read(json!({ "name": "n", "list": [{ "port": 1 }, { "port": "x" }] })).unwrap_err(),
            "list[1].port: invalid type: string \"x\", expected u16"
        );
        assert_eq!(
            read(json!({ "name": "n", "list": [{ "prot": 1 }] })).unwrap_err(),
            "list[0].prot: unknown field, expected `port`"
        );
        assert_eq!(read(json!({})).unwrap_err(), "missing field `name`");
    }

    #[test]
    fn records_are_never_positional() {
        assert_eq!(
            read(json!({ "name": "n", "list": [[1]] })).unwrap_err(),
            "list[0]: invalid type: a list, expected struct Inner"
        );
        assert_eq!(
            read(json!(["n"])).unwrap_err(),
            "invalid type: a list, expected struct Outer"
        );
    }

    #[test]
    fn floats_and_strings_are_described_compactly() {
        assert_eq!(
            read(json!({ "name": 1.5 })).unwrap_err(),
            "name: invalid type: a floating-point number, expected a string"
        );
        assert_eq!(
            read(json!({ "name": "n", "list": [{ "port": "ü" }] })).unwrap_err(),
            "list[0].port: invalid type: string \"ü\", expected u16"
        );
    }

    /// Reads a string, telling whether it was written as a path.
    #[derive(Debug, PartialEq)]
    struct Spelled {
        text: String,
        path: bool,
    }

    impl<'de> Deserialize<'de> for Spelled {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Spelled;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a string or a path")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Spelled, E> {
                    Ok(Spelled {
                        text: v.to_string(),
                        path: false,
                    })
                }
                fn visit_newtype_struct<D: serde::Deserializer<'de>>(
                    self,
                    d: D,
                ) -> Result<Spelled, D::Error> {
                    d.deserialize_any(V)
                }
                fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Spelled, E> {
                    let text = String::from_utf8(v).map_err(E::custom)?;
                    Ok(Spelled { text, path: true })
                }
            }
            d.deserialize_newtype_struct(super::PATH_MARKER, V)
        }
    }

    #[test]
    fn a_type_can_tell_a_path_from_a_string() {
        use super::Tree;
        let path = json!("path:/home/op/secret");
        assert_eq!(
            from_tree::<Spelled, _>(super::NixJson(&path)).unwrap(),
            Spelled {
                text: "/home/op/secret".into(),
                path: true
            }
        );
        let string = json!("/run/secrets/x");
        assert_eq!(
            from_tree::<Spelled, _>(super::NixJson(&string)).unwrap(),
            Spelled {
                text: "/run/secrets/x".into(),
                path: false
            }
        );
        // Other deserializers read it as a plain string.
        assert!(!serde_json::from_str::<Spelled>("\"/x\"").unwrap().path);
        // Types that do not ask still read a path as its text.
        assert_eq!(
            from_tree::<String, _>(super::NixJson(&path)).unwrap(),
            "/home/op/secret"
        );
        assert_eq!(super::NixJson(&path).kind(), super::Kind::Path);
    }

    #[test]
    fn quoting_escapes_unprintable_characters_and_truncates() {
        use super::quoted;
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
        assert_eq!(quoted("a\"b\\c\u{0}\u{1b}"), "\"a\\\"b\\\\c\\u{0}\\u{1b}\"");
        assert_eq!(quoted("bücher 😀"), "\"bücher 😀\"");
        for (raw, shown) in [
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
            ('\u{202e}', "\\u{202e}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{200b}', "\\u{200b}"),
            ('\u{200e}', "\\u{200e}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{ad}', "\\u{ad}"),
            ('\u{85}', "\\u{85}"),
        ] {
            assert_eq!(quoted(&format!("a{raw}b")), format!("\"a{shown}b\""));
        }
        let long = quoted(&"x".repeat(10_000));
        assert_eq!(long.chars().count(), super::QUOTED_MAX + 3);
        assert!(long.ends_with("…\""));
        // Escapes count towards the bound.
        assert!(quoted(&"\u{1b}".repeat(10_000)).chars().count() <= super::QUOTED_MAX + 3);
    }

    #[test]
    fn unusual_attribute_names_are_quoted_in_the_path() {
        let err = read(json!({ "name": "n", "list": [{ "bad\nkey\u{1b}[2J": 1 }] })).unwrap_err();
        assert_eq!(
            err,
            "list[0].\"bad\\nkey\\u{1b}[2J\": unknown field, expected `port`"
        );
        let huge = "k".repeat(10_000_000);
        let err = read(json!({ "name": "n", huge: 1 })).unwrap_err();
        assert!(err.len() < 200, "{} bytes", err.len());
        assert!(err.starts_with("\"kkk"), "{err}");
        let err = read(json!({ "name": "n", "a.b": 1 })).unwrap_err();
        assert!(err.starts_with("\"a.b\": "), "{err}");
    }

    #[test]
    fn unknown_variants_are_quoted() {
        let err =
            read(json!({ "name": "n", "kind": "plain\u{1b}]0;pwned\u{7}\nforged" })).unwrap_err();
        assert_eq!(
            err,
            "kind: unknown variant \"plain\\u{1b}]0;pwned\\u{7}\\nforged\", expected `plain` or `tagged`"
        );
        let err = read(json!({ "name": "n", "kind": "v".repeat(100_000) })).unwrap_err();
        assert!(err.len() < 200, "{} bytes", err.len());
    }

    #[test]
    fn long_strings_of_the_wrong_type_are_cut() {
        let err = read(json!({ "name": "n", "list": [{ "port": "p\u{2028}".repeat(100_000) }] }))
            .unwrap_err();
        assert!(err.len() < 200, "{} bytes", err.len());
        assert!(!err.contains('\u{2028}'), "{err}");
    }

    #[test]
    fn printable_lines_are_escaped_and_cut() {
        assert_eq!(super::printable_line("a\u{1b}b\"c", 100), "a\\u{1b}b\"c");
        assert_eq!(super::printable_line("abcdef", 3), "abc…");
    }

    #[test]
    fn attributes_are_visited_in_name_order() {
        // Two unknown fields: the error names the lexicographically first.
        let err = read(json!({ "zeta": 1, "alpha": 2, "name": "n" })).unwrap_err();
        assert!(err.starts_with("alpha: unknown field"), "{err}");
    }
}
