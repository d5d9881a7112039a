//! Deserialising Rust types straight from Nix values.
//!
//! Attribute sets are walked through `copy_attrset` (names, then values on
//! demand), sorted by name so that neither results nor the order of error
//! reports depend on the host's attribute order. Only the values a type
//! asks for are forced.
//!
//! Errors carry the path of the value they are about (`users[2].relay`),
//! collected as they travel back up through the attribute sets and lists.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

use crate::{Type, Value};

/// One step of a path into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Attr(String),
    Index(usize),
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
    pub fn path(&self) -> String {
        let mut path = String::new();
        for segment in self.reversed_path.iter().rev() {
            match segment {
                Segment::Attr(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Segment::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        path
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
/// value. Floats and strings are rendered without `core`'s float and
/// `Debug` formatting, which would bloat every plugin.
fn describe(unexpected: Unexpected<'_>) -> String {
    match unexpected {
        Unexpected::Float(_) => "a floating-point number".to_string(),
        Unexpected::Str(text) => format!("string \"{}\"", text.escape_default()),
        other => other.to_string(),
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
}

/// Deserialises `T` from a Nix value.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, DeError> {
    T::deserialize(ValueDeserializer::new(value))
}

/// A serde deserializer over one Nix value.
#[derive(Debug, Clone, Copy)]
pub struct ValueDeserializer {
    value: Value,
}

impl ValueDeserializer {
    /// Wraps a value.
    pub fn new(value: Value) -> Self {
        Self { value }
    }

    fn text(&self, kind: Type) -> Result<String, DeError> {
        let text = match kind {
            Type::Path => self.value.as_path(),
            _ => self.value.as_string(),
        };
        text.map_err(|e| DeError::new(e.to_string()))
    }
}

impl<'de> de::Deserializer<'de> for ValueDeserializer {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::Int => visitor.visit_i64(self.value.as_int()),
            Type::Float => visitor.visit_f64(self.value.as_float()),
            Type::Bool => visitor.visit_bool(self.value.as_bool()),
            kind @ (Type::String | Type::Path) => visitor.visit_string(self.text(kind)?),
            Type::Null => visitor.visit_unit(),
            Type::List => visitor.visit_seq(ListAccess {
                items: self.value.items().into_iter().enumerate(),
            }),
            Type::Attrs => visitor.visit_map(AttrsAccess {
                attrs: self
                    .value
                    .attrs()
                    .map_err(|_| DeError::new("an attribute name is not valid UTF-8"))?
                    .into_iter(),
                pending: None,
            }),
            Type::Function => Err(DeError::new(
                "expected data but found a function; apply it to its arguments first",
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            kind @ (Type::String | Type::Path) => visitor.visit_enum(
                IntoDeserializer::<DeError>::into_deserializer(self.text(kind)?),
            ),
            Type::Attrs => {
                let attrs = self
                    .value
                    .attrs()
                    .map_err(|_| DeError::new("an attribute name is not valid UTF-8"))?;
                match attrs.as_slice() {
                    [(variant, value)] => visitor.visit_enum(TaggedEnum {
                        variant: variant.clone(),
                        value: *value,
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
        match self.value.type_of() {
            Type::Bool => visitor.visit_bool(self.value.as_bool()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::Int => visitor.visit_i64(self.value.as_int()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::Float | Type::Int => visitor.visit_f64(self.value.as_float()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            kind @ (Type::String | Type::Path) => visitor.visit_string(self.text(kind)?),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::String => visitor.visit_byte_buf(self.value.as_bytes()),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::Null => visitor.visit_unit(),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::List => visitor.visit_seq(ListAccess {
                items: self.value.items().into_iter().enumerate(),
            }),
            other => Err(self.mismatch(other, &visitor)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value.type_of() {
            Type::Attrs => visitor.visit_map(AttrsAccess {
                attrs: self
                    .value
                    .attrs()
                    .map_err(|_| DeError::new("an attribute name is not valid UTF-8"))?
                    .into_iter(),
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

impl ValueDeserializer {
    /// The error for a value of type `found` where `visitor` wanted
    /// something else, shown the way serde shows it.
    fn mismatch(&self, found: Type, expected: &dyn de::Expected) -> DeError {
        let text;
        let unexpected = match found {
            Type::Int => Unexpected::Signed(self.value.as_int()),
            Type::Float => Unexpected::Float(0.0),
            Type::Bool => Unexpected::Bool(self.value.as_bool()),
            Type::String => {
                text = self.value.as_string().unwrap_or_default();
                Unexpected::Str(&text)
            }
            other => Unexpected::Other(other.described()),
        };
        <DeError as de::Error>::invalid_type(unexpected, expected)
    }
}

struct ListAccess {
    items: std::iter::Enumerate<std::vec::IntoIter<Value>>,
}

impl<'de> de::SeqAccess<'de> for ListAccess {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.items
            .next()
            .map(|(index, item)| {
                seed.deserialize(ValueDeserializer::new(item))
                    .map_err(|e| e.within(Segment::Index(index)))
            })
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct AttrsAccess {
    attrs: std::vec::IntoIter<(String, Value)>,
    pending: Option<(String, Value)>,
}

impl<'de> de::MapAccess<'de> for AttrsAccess {
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
        seed.deserialize(ValueDeserializer::new(value))
            .map_err(|e| e.within(Segment::Attr(name)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.attrs.len())
    }
}

/// An externally tagged enum written as `{ variant = value; }`.
struct TaggedEnum {
    variant: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for TaggedEnum {
    type Error = DeError;
    type Variant = ValueDeserializer;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, ValueDeserializer), DeError> {
        let variant =
            seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(self.variant))?;
        Ok((variant, ValueDeserializer::new(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for ValueDeserializer {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value.type_of() {
            Type::Null => Ok(()),
            other => Err(DeError::new(format!(
                "invalid type: {}, expected null for a unit variant",
                other.described()
            ))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
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
