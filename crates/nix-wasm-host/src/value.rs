//! A model of Nix values for building plugin arguments and reading
//! results.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};

use crate::HostError;

/// The deepest lists, attribute sets and chains of applications a call
/// may build in this host ([`crate::Limits::max_depth`], lower by
/// default): a limit of this host's own, far beyond what the evaluator
/// can use.
///
/// The evaluator builds values of any depth (`make_list` and
/// `make_attrset` take values already made, without recursing), but
/// everything that walks one recurses and stops at its `max-call-depth`
/// ([`MAX_CALL_DEPTH`]). Here dropping a value recurses once per level
/// too, so a guest nesting without bound would overflow the host's
/// stack, which aborts the process: at this depth a call needs a deep
/// stack (`nix-wasm-run` calls on 64 MiB, as Nix evaluates on a 64 MiB
/// stack).
pub const MAX_DEPTH: usize = 100_000;

/// Nix's `max-call-depth` (its default): forcing nested deeper than this
/// (a chain of applications built with `make_app`), converting a value
/// ([`NixValue::to_json`], [`crate::to_nix_expr`], as `builtins.toJSON`,
/// `--json` and `--strict` printing) nested deeper fails with
/// [`STACK_OVERFLOW`], as in the evaluator.
pub const MAX_CALL_DEPTH: usize = 10_000;

/// Nix's error past [`MAX_CALL_DEPTH`] (`StackOverflowError`).
pub const STACK_OVERFLOW: &str = "stack overflow; max-call-depth exceeded";

thread_local! {
    /// How many thunks this thread is forcing, one inside the other.
    static FORCING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One level of forcing, as Nix's `CallDepth`: refused past
/// [`MAX_CALL_DEPTH`].
struct CallDepth;

impl CallDepth {
    fn enter() -> Result<Self, String> {
        FORCING.with(|depth| {
            if depth.get() >= MAX_CALL_DEPTH {
                return Err(STACK_OVERFLOW.to_string());
            }
            depth.set(depth.get() + 1);
            Ok(CallDepth)
        })
    }
}

impl Drop for CallDepth {
    fn drop(&mut self) {
        FORCING.with(|depth| depth.set(depth.get() - 1));
    }
}

/// The largest right side of `//` that Determinate Nix layers on top of
/// the left side instead of copying both into a new set (its setting
/// `eval-attrset-update-layer-rhs-threshold`, 16 on 64-bit systems).
pub const LAYER_RHS_THRESHOLD: usize = 16;

/// How many layers a set may have before `//` copies instead of layering
/// (Determinate Nix's `Bindings::maxLayers`).
pub const MAX_LAYERS: u8 = 8;

/// The bytes of a Nix string, path or attribute name. Nix does not
/// require them to be UTF-8, and neither does the ABI: a plugin may make
/// strings of any bytes.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NixString(Vec<u8>);

impl NixString {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, if it is UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The text, invalid UTF-8 replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl std::ops::Deref for NixString {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for NixString {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for NixString {
    fn from(text: &str) -> Self {
        Self(text.as_bytes().to_vec())
    }
}

impl From<String> for NixString {
    fn from(text: String) -> Self {
        Self(text.into_bytes())
    }
}

impl From<&String> for NixString {
    fn from(text: &String) -> Self {
        Self(text.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for NixString {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for NixString {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl PartialEq<str> for NixString {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for NixString {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Display for NixString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl fmt::Debug for NixString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string_lossy())
    }
}

/// The body of a host-side function.
type FunctionBody = dyn Fn(&NixValue) -> Result<NixValue, String> + Send + Sync;

/// A host-side function, callable from a plugin through `call_function`
/// or `make_app`.
///
/// Like a Nix function it takes one argument; several are applied one at
/// a time, as Nix's `callFunction` does (`call_function(f, [a, b])` is
/// `(f a) b`, so a two-argument function returns a function). An error
/// string plays the role of a Nix `throw`.
#[derive(Clone)]
pub struct NixFunction {
    name: String,
    body: Arc<FunctionBody>,
}

impl NixFunction {
    /// A function named `name` (the name only appears in messages).
    pub fn new(
        name: impl Into<String>,
        body: impl Fn(&NixValue) -> Result<NixValue, String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            body: Arc::new(body),
        }
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies the function to `arg`; the result may still be a thunk.
    pub fn call(&self, arg: &NixValue) -> Result<NixValue, String> {
        (self.body)(arg)
    }
}

impl fmt::Debug for NixFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<function {}>", self.name)
    }
}

type ThunkBody = dyn Fn() -> Result<NixValue, String> + Send + Sync;

enum ThunkState {
    Unevaluated,
    Evaluating(ThreadId),
    Evaluated(NixValue),
    /// Its evaluation failed: forcing it again fails the same way.
    Failed(String),
}

struct ThunkCell {
    body: Box<ThunkBody>,
    state: Mutex<ThunkState>,
}

/// A value computed only when something forces it, like a Nix thunk.
///
/// Clones share the thunk: it is evaluated at most once, and later forcing
/// returns the same value, as Nix updates a thunk in place. A failed
/// evaluation is remembered too: forcing the thunk again fails with the
/// same error without evaluating it again, as Determinate Nix keeps the
/// exception of a failed thunk (`Value::Failed`). A thunk that needs its
/// own value fails with Nix's "infinite recursion encountered".
#[derive(Clone)]
pub struct Thunk(Arc<ThunkCell>);

/// Puts a thunk back to unevaluated if its evaluation panics.
struct Reset<'a>(Option<&'a Thunk>);

impl Drop for Reset<'_> {
    fn drop(&mut self) {
        if let Some(thunk) = self.0 {
            let mut state = thunk.lock();
            if matches!(*state, ThunkState::Evaluating(id) if id == thread::current().id()) {
                *state = ThunkState::Unevaluated;
            }
        }
    }
}

impl Thunk {
    /// A thunk whose value `body` computes.
    pub fn new(body: impl Fn() -> Result<NixValue, String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(ThunkCell {
            body: Box::new(body),
            state: Mutex::new(ThunkState::Unevaluated),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, ThunkState> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Evaluates the thunk to weak head normal form (once).
    pub fn force(&self) -> Result<NixValue, String> {
        let me = thread::current().id();
        let owner = {
            let mut state = self.lock();
            match &*state {
                ThunkState::Evaluated(value) => return Ok(value.clone()),
                ThunkState::Failed(message) => return Err(message.clone()),
                ThunkState::Evaluating(id) if *id == me => {
                    return Err("infinite recursion encountered".into());
                }
                // Another thread is evaluating it: evaluate it here too
                // rather than wait; the body is pure.
                ThunkState::Evaluating(_) => false,
                ThunkState::Unevaluated => {
                    *state = ThunkState::Evaluating(me);
                    true
                }
            }
        };
        let mut reset = Reset(owner.then_some(self));
        let result =
            CallDepth::enter().and_then(|_depth| (self.0.body)().and_then(|value| value.force()));
        if owner {
            *self.lock() = match &result {
                Ok(value) => ThunkState::Evaluated(value.clone()),
                Err(message) => ThunkState::Failed(message.clone()),
            };
            reset.0 = None;
        }
        result
    }

    /// True once forcing it has failed (Nix prints it as `«failed»`).
    pub fn has_failed(&self) -> bool {
        matches!(*self.lock(), ThunkState::Failed(_))
    }

    /// The address shared by all clones of this thunk.
    pub(crate) fn address(&self) -> usize {
        Arc::as_ptr(&self.0).cast::<()>() as usize
    }
}

impl fmt::Debug for Thunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<thunk>")
    }
}

/// A Nix value.
///
/// Lists, attribute sets and thunks are shared on clone (as Nix shares
/// values); strings are copied.
#[derive(Debug, Clone)]
pub enum NixValue {
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A Boolean.
    Bool(bool),
    /// A string, without string context (the ABI has no way to pass
    /// context); any bytes.
    String(NixString),
    /// A path, as canonical absolute path text (e.g. `/nix/store/x`).
    Path(NixString),
    /// `null`.
    Null,
    /// A list; its elements may be thunks.
    List(Arc<Vec<NixValue>>),
    /// An attribute set; its values may be thunks.
    Attrs(Arc<Attrs>),
    /// A function.
    Function(NixFunction),
    /// A value not computed yet.
    Thunk(Thunk),
}

impl NixValue {
    /// A string value.
    pub fn string(s: impl Into<NixString>) -> Self {
        NixValue::String(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<NixValue>) -> Self {
        NixValue::List(Arc::new(items))
    }

    /// An attribute set from name/value pairs; a repeated name is an error.
    pub fn attrs<N: Into<NixString>>(
        entries: impl IntoIterator<Item = (N, NixValue)>,
    ) -> Result<Self, HostError> {
        Ok(NixValue::Attrs(Arc::new(Attrs::from_entries(
            entries.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        )?)))
    }

    /// A host-side function value (see [`NixFunction`]).
    pub fn function(
        name: impl Into<String>,
        body: impl Fn(&NixValue) -> Result<NixValue, String> + Send + Sync + 'static,
    ) -> Self {
        NixValue::Function(NixFunction::new(name, body))
    }

    /// A value that fails with `message` when forced, like Nix's
    /// `throw message`.
    pub fn throw(message: impl Into<String>) -> Self {
        let message = message.into();
        NixValue::Thunk(Thunk::new(move || Err(message.clone())))
    }

    /// `self // other`, as Determinate Nix 3.22 evaluates it: an empty side
    /// gives the other one; a right side of at most [`LAYER_RHS_THRESHOLD`]
    /// attributes on a left side of fewer than [`MAX_LAYERS`] layers gives
    /// a *layered* set (the right side over the left, sharing it); anything
    /// else a flat merge. Either way the right side wins and the set reads
    /// the same through lookups and iteration, but `copy_attrname` on a
    /// layered set aborts the real evaluator (see [`Attrs::layers`]).
    pub fn update(&self, other: &NixValue) -> Result<NixValue, String> {
        let left = self.force()?;
        let right = other.force()?;
        let (NixValue::Attrs(l), NixValue::Attrs(r)) = (&left, &right) else {
            let wrong = if matches!(left, NixValue::Attrs(_)) {
                &right
            } else {
                &left
            };
            return Err(format!(
                "expected a set but found {}: {}",
                wrong.describe(),
                crate::show::show(wrong)
            ));
        };
        if l.is_empty() {
            return Ok(right);
        }
        if r.is_empty() {
            return Ok(left);
        }
        let mut merged: Vec<(NixString, NixValue)> = l
            .iter()
            .filter(|(name, _)| r.get(name).is_none())
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        merged.extend(r.iter().map(|(n, v)| (n.clone(), v.clone())));
        let mut attrs = Attrs::from_unique(merged);
        if l.layers < MAX_LAYERS && r.len() <= LAYER_RHS_THRESHOLD {
            attrs.layers = l.layers + 1;
        }
        Ok(NixValue::Attrs(Arc::new(attrs)))
    }

    /// A value computed by `body` when first forced.
    pub fn lazy(body: impl Fn() -> Result<NixValue, String> + Send + Sync + 'static) -> Self {
        NixValue::Thunk(Thunk::new(body))
    }

    /// The value in weak head normal form: thunks are evaluated, nested
    /// values are left alone.
    pub fn force(&self) -> Result<NixValue, String> {
        Ok(self.whnf()?.into_owned())
    }

    /// Like [`NixValue::force`], without copying a value that is not a
    /// thunk.
    pub(crate) fn whnf(&self) -> Result<Cow<'_, NixValue>, String> {
        match self {
            NixValue::Thunk(thunk) => thunk.force().map(Cow::Owned),
            value => Ok(Cow::Borrowed(value)),
        }
    }

    /// The address shared by clones of a list, set or thunk, which
    /// identifies it while it is alive.
    pub(crate) fn address(&self) -> Option<usize> {
        match self {
            NixValue::List(items) => Some(Arc::as_ptr(items).cast::<()>() as usize),
            NixValue::Attrs(attrs) => Some(Arc::as_ptr(attrs).cast::<()>() as usize),
            NixValue::Thunk(thunk) => Some(thunk.address()),
            _ => None,
        }
    }

    /// The type with an article, as Nix's messages name it ("an integer",
    /// "a set", "null", …).
    pub fn describe(&self) -> &'static str {
        match self {
            NixValue::Int(_) => "an integer",
            NixValue::Float(_) => "a float",
            NixValue::Bool(_) => "a Boolean",
            NixValue::String(_) => "a string",
            NixValue::Path(_) => "a path",
            NixValue::Null => "null",
            NixValue::List(_) => "a list",
            NixValue::Attrs(_) => "a set",
            NixValue::Function(_) => "a function",
            NixValue::Thunk(_) => "a thunk",
        }
    }

    /// Converts JSON as `builtins.fromJSON` does: objects become attribute
    /// sets, arrays lists, integers that fit `Int`, other numbers `Float`.
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => NixValue::Null,
            serde_json::Value::Bool(b) => NixValue::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => NixValue::Int(i),
                None => NixValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => NixValue::string(s.as_str()),
            serde_json::Value::Array(items) => {
                NixValue::list(items.iter().map(NixValue::from_json).collect())
            }
            // JSON object keys are unique, so no duplicate can arise.
            serde_json::Value::Object(map) => NixValue::Attrs(Arc::new(Attrs::from_unique(
                map.iter()
                    .map(|(k, v)| (NixString::from(k.as_str()), NixValue::from_json(v)))
                    .collect(),
            ))),
        }
    }

    /// Converts to JSON as `builtins.toJSON` does, forcing every thunk:
    /// paths become their text, attribute names come out sorted. Functions,
    /// NaN and infinities have no JSON form, and a thunk that fails gives
    /// its message.
    pub fn to_json(&self) -> Result<serde_json::Value, HostError> {
        self.to_json_at(0)
    }

    fn to_json_at(&self, depth: usize) -> Result<serde_json::Value, HostError> {
        if depth > MAX_CALL_DEPTH {
            return Err(HostError::TooDeep);
        }
        Ok(match &*self.whnf().map_err(HostError::Evaluation)? {
            NixValue::Int(i) => (*i).into(),
            NixValue::Float(x) => serde_json::Number::from_f64(*x)
                .map(serde_json::Value::Number)
                .ok_or_else(|| HostError::NotRepresentable(format!("the float {x}")))?,
            NixValue::Bool(b) => (*b).into(),
            NixValue::String(s) | NixValue::Path(s) => s
                .to_str()
                .ok_or_else(|| {
                    HostError::NotRepresentable(
                        "a string that is not UTF-8 (JSON strings are)".into(),
                    )
                })?
                .into(),
            NixValue::Null => serde_json::Value::Null,
            NixValue::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|item| item.to_json_at(depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            NixValue::Attrs(attrs) => serde_json::Value::Object(
                attrs
                    .iter()
                    .map(|(name, value)| {
                        let name = name.to_str().ok_or_else(|| {
                            HostError::NotRepresentable(
                                "an attribute name that is not UTF-8 (JSON strings are)".into(),
                            )
                        })?;
                        Ok((name.to_string(), value.to_json_at(depth + 1)?))
                    })
                    .collect::<Result<_, HostError>>()?,
            ),
            NixValue::Function(f) => {
                return Err(HostError::NotRepresentable(format!(
                    "the function {}",
                    f.name()
                )));
            }
            NixValue::Thunk(_) => unreachable!("whnf() evaluates thunks"),
        })
    }

    /// This value as a Nix expression; see [`crate::to_nix_expr`].
    pub fn to_nix_expr(&self) -> Result<String, HostError> {
        crate::nix_expr::to_nix_expr(self)
    }
}

/// 64-bit FNV-1a of the name: the key of this host's attribute order.
fn scramble(name: &[u8]) -> u64 {
    name.iter()
        .copied()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// An attribute set.
///
/// Iteration (and so `copy_attrset` and `copy_attrname` indices) follows a
/// deliberate scramble: names sorted by their 64-bit FNV-1a hash, then by
/// name. That is neither lexicographic nor insertion order. The real
/// evaluator reports attributes in symbol-table order, which depends on
/// everything evaluated before, so a plugin must not rely on any order;
/// here one that does fails in tests instead of in production.
///
/// A set made by [`NixValue::update`] may be *layered*, as Determinate
/// Nix's `//` makes it: lookups and iteration see one set, but indexing it
/// (`copy_attrname`) aborts that evaluator. This host refuses the call
/// with that explanation instead.
#[derive(Debug, Clone)]
pub struct Attrs {
    entries: Vec<(u64, NixString, NixValue)>,
    /// 1 for a flat set; more for the layers `//` stacked.
    layers: u8,
}

impl Default for Attrs {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            layers: 1,
        }
    }
}

impl Attrs {
    fn from_unique(entries: Vec<(NixString, NixValue)>) -> Self {
        let mut entries: Vec<(u64, NixString, NixValue)> = entries
            .into_iter()
            .map(|(name, value)| (scramble(&name), name, value))
            .collect();
        entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Self { entries, layers: 1 }
    }

    /// A set of these attributes, repeated names included, as the
    /// evaluator's `make_attrset` builds it: every entry is kept (and
    /// counted, and listed), in insertion order among equal names (how
    /// libstdc++'s `std::sort` leaves sets of up to 16 attributes; beyond,
    /// the evaluator's order among equal names is unspecified), and a
    /// lookup finds the first.
    pub fn with_duplicates(entries: Vec<(NixString, NixValue)>) -> Self {
        Self::from_unique(entries)
    }

    /// A set of these attributes; a repeated name is an error.
    pub fn from_entries(entries: Vec<(NixString, NixValue)>) -> Result<Self, HostError> {
        let attrs = Self::from_unique(entries);
        for pair in attrs.entries.windows(2) {
            if pair[0].1 == pair[1].1 {
                return Err(HostError::DuplicateAttribute(pair[0].1.to_string()));
            }
        }
        Ok(attrs)
    }

    /// How many layers the set has: 1 for a flat set (any set not made by
    /// [`NixValue::update`]), more for one `//` layered.
    pub fn layers(&self) -> u8 {
        self.layers
    }

    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for `{ }`.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The attributes in this host's scrambled order.
    pub fn iter(&self) -> impl Iterator<Item = (&NixString, &NixValue)> {
        self.entries.iter().map(|(_, name, value)| (name, value))
    }

    /// The attribute at `index` in iteration order.
    pub fn at(&self, index: usize) -> Option<(&NixString, &NixValue)> {
        self.entries
            .get(index)
            .map(|(_, name, value)| (name, value))
    }

    /// The value of attribute `name`, not forced (the first, if the name
    /// is repeated).
    pub fn get(&self, name: impl AsRef<[u8]>) -> Option<&NixValue> {
        let name = name.as_ref();
        let key = (scramble(name), name);
        let first = self
            .entries
            .partition_point(|(hash, n, _)| (*hash, n.as_bytes()) < key);
        self.entries
            .get(first)
            .filter(|(_, n, _)| n.as_bytes() == name)
            .map(|(_, _, value)| value)
    }
}

/// A host-side function value; shorthand for [`NixValue::function`].
pub fn function(
    name: &str,
    body: impl Fn(&NixValue) -> Result<NixValue, String> + Send + Sync + 'static,
) -> NixValue {
    NixValue::function(name, body)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn nested(depth: usize) -> NixValue {
        (0..depth).fold(NixValue::Null, |inner, _| NixValue::list(vec![inner]))
    }

    #[test]
    fn json_round_trip() {
        let json: serde_json::Value = serde_json::from_str(
            r#"{"b": [1, 2.5, true, null, "x", -0.5, 1e300], "a": {"c": "d", "": []}, "e": -7,
                "big": 18446744073709551615, "u": "grüße ${x} \"q\" \\ \n"}"#,
        )
        .unwrap();
        let value = NixValue::from_json(&json);
        let NixValue::Attrs(attrs) = &value else {
            panic!("{value:?}")
        };
        assert!(matches!(attrs.get("e"), Some(NixValue::Int(-7))));
        assert!(
            matches!(attrs.get("big"), Some(NixValue::Float(x)) if *x == 18446744073709551615.0)
        );
        assert!(attrs.get("z").is_none());
        let back = value.to_json().unwrap();
        assert_eq!(back["b"], json["b"]);
        assert_eq!(back["a"], json["a"]);
        assert_eq!(back["u"], json["u"]);
        assert_eq!(NixValue::from_json(&back).to_json().unwrap(), back);
    }

    #[test]
    fn paths_become_strings_in_json() {
        let value = NixValue::list(vec![NixValue::Path("/nix/store/x".into())]);
        assert_eq!(
            value.to_json().unwrap(),
            serde_json::json!(["/nix/store/x"])
        );
    }

    #[test]
    fn attribute_order_is_neither_lexicographic_nor_insertion() {
        let names: Vec<NixString> = ('a'..='z').map(|c| c.to_string().into()).collect();
        let attrs =
            Attrs::from_entries(names.iter().map(|n| (n.clone(), NixValue::Null)).collect())
                .unwrap();
        let order: Vec<&NixString> = attrs.iter().map(|(n, _)| n).collect();
        let sorted: Vec<&NixString> = names.iter().collect();
        assert_ne!(order, sorted);
        assert_eq!(attrs.len(), 26);
        for (i, name) in names.iter().enumerate() {
            assert!(attrs.get(name).is_some(), "{name}");
            assert!(attrs.at(i).is_some());
        }
        assert!(attrs.at(26).is_none());
    }

    fn set(names: &[&str]) -> NixValue {
        NixValue::attrs(names.iter().map(|n| (*n, NixValue::string(*n)))).unwrap()
    }

    fn layers(value: &NixValue) -> u8 {
        let NixValue::Attrs(attrs) = value else {
            panic!("{value:?}")
        };
        attrs.layers()
    }

    #[test]
    fn update_layers_small_right_sides_like_determinate_nix() {
        let base = set(&["a", "b"]);
        let layered = base.update(&set(&["b", "c"])).unwrap();
        assert_eq!(layers(&layered), 2);
        let NixValue::Attrs(attrs) = &layered else {
            unreachable!()
        };
        assert_eq!(attrs.len(), 3, "the right side's b replaces the left's");
        assert!(matches!(attrs.get("b"), Some(NixValue::String(s)) if s == "b"));

        // Empty sides give the other side unchanged.
        assert_eq!(layers(&layered.update(&set(&[])).unwrap()), 2);
        assert_eq!(layers(&set(&[]).update(&layered).unwrap()), 2);

        // More than 16 attributes on the right: a flat copy.
        let names: Vec<String> = (0..17).map(|i| format!("x{i}")).collect();
        let big = set(&names.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(layers(&base.update(&big).unwrap()), 1);
        assert_eq!(
            layers(
                &base
                    .update(&set(&names[..16]
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()))
                    .unwrap()
            ),
            2
        );

        // At most 8 layers; then `//` copies again.
        let mut value = base;
        for i in 0..7 {
            value = value.update(&set(&[&format!("l{i}")])).unwrap();
        }
        assert_eq!(layers(&value), 8);
        assert_eq!(layers(&value.update(&set(&["z"])).unwrap()), 1);

        assert_eq!(
            set(&["a"]).update(&NixValue::Int(1)).unwrap_err(),
            "expected a set but found an integer: 1"
        );
    }

    #[test]
    fn duplicates_are_refused() {
        let err = NixValue::attrs([("a", NixValue::Null), ("a", NixValue::Int(1))]).unwrap_err();
        assert_eq!(err.to_string(), "the attribute \"a\" is set twice");
    }

    #[test]
    fn thunks_force_once_and_remember_failures() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = {
            let runs = Arc::clone(&runs);
            NixValue::lazy(move || {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(NixValue::Int(3))
            })
        };
        let shared = counted.clone();
        assert!(matches!(counted.force(), Ok(NixValue::Int(3))));
        assert!(matches!(shared.force(), Ok(NixValue::Int(3))));
        assert_eq!(runs.load(Ordering::SeqCst), 1, "clones share the thunk");

        let failures = Arc::new(AtomicUsize::new(0));
        let failing = {
            let failures = Arc::clone(&failures);
            NixValue::lazy(move || {
                failures.fetch_add(1, Ordering::SeqCst);
                Err("boom".into())
            })
        };
        assert_eq!(failing.force().unwrap_err(), "boom");
        assert_eq!(failing.clone().force().unwrap_err(), "boom");
        assert_eq!(
            failures.load(Ordering::SeqCst),
            1,
            "a failure is remembered and rethrown, not evaluated again"
        );

        assert_eq!(NixValue::throw("deep").force().unwrap_err(), "deep");
        let err = NixValue::list(vec![NixValue::throw("deep")])
            .to_json()
            .unwrap_err();
        assert_eq!(err.to_string(), "deep");
    }

    #[test]
    fn a_thunk_that_needs_itself_is_infinite_recursion() {
        let slot: Arc<Mutex<Option<NixValue>>> = Arc::new(Mutex::new(None));
        let this = {
            let slot = Arc::clone(&slot);
            NixValue::lazy(move || {
                let me = slot.lock().unwrap().clone().unwrap();
                me.force()
            })
        };
        *slot.lock().unwrap() = Some(this.clone());
        assert_eq!(this.force().unwrap_err(), "infinite recursion encountered");
        *slot.lock().unwrap() = None;
    }

    #[test]
    fn thunks_returning_thunks_are_forced_through() {
        let inner = NixValue::lazy(|| Ok(NixValue::Bool(true)));
        let outer = NixValue::lazy(move || Ok(inner.clone()));
        assert!(matches!(outer.force(), Ok(NixValue::Bool(true))));
    }

    #[test]
    fn functions_have_no_json() {
        let f = function("id", |arg| Ok(arg.clone()));
        assert_eq!(
            f.to_json().unwrap_err().to_string(),
            "the function id cannot be represented"
        );
        assert!(matches!(f.force(), Ok(NixValue::Function(_))));
        assert!(NixValue::Float(f64::NAN).to_json().is_err());
        assert!(NixValue::Float(f64::INFINITY).to_json().is_err());
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_not_a_stack_overflow() {
        on_a_deep_stack(|| {
            assert!(nested(MAX_CALL_DEPTH).to_json().is_ok());
            let error = nested(MAX_CALL_DEPTH + 1).to_json().unwrap_err();
            assert_eq!(error, HostError::TooDeep);
            assert_eq!(error.to_string(), "stack overflow; max-call-depth exceeded");
        });
    }

    #[test]
    fn forcing_deeper_than_max_call_depth_fails_as_in_nix() {
        on_a_deep_stack(|| {
            let chain = |n: usize| {
                (0..n).fold(NixValue::Int(0), |inner, _| {
                    NixValue::lazy(move || match inner.force()? {
                        NixValue::Int(i) => Ok(NixValue::Int(i + 1)),
                        other => Ok(other),
                    })
                })
            };
            assert!(
                matches!(chain(MAX_CALL_DEPTH).force(), Ok(NixValue::Int(n)) if n == MAX_CALL_DEPTH as i64)
            );
            let deeper = chain(MAX_CALL_DEPTH + 1);
            assert_eq!(deeper.force().unwrap_err(), STACK_OVERFLOW);
            assert_eq!(
                deeper.force().unwrap_err(),
                STACK_OVERFLOW,
                "and stays failed"
            );
        });
    }

    /// Runs `f` on a thread with a stack deep enough for [`MAX_CALL_DEPTH`]
    /// levels in a debug build.
    pub(crate) fn on_a_deep_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }
}
