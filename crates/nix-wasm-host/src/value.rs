//! A model of Nix values for building plugin arguments and reading
//! results.

use std::fmt;
use std::sync::Arc;

use crate::HostError;

/// The body of a host-side function.
type FunctionBody = dyn Fn(&[NixValue]) -> Result<NixValue, String> + Send + Sync;

/// A host-side function, callable from a plugin through `call_function`
/// or `make_app`. It receives all arguments of the call at once.
#[derive(Clone)]
pub struct NixFunction {
    name: String,
    body: Arc<FunctionBody>,
}

impl NixFunction {
    /// A named function.
    pub fn new(
        name: impl Into<String>,
        body: impl Fn(&[NixValue]) -> Result<NixValue, String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            body: Arc::new(body),
        }
    }

    /// The function's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies the function.
    pub fn call(&self, args: &[NixValue]) -> Result<NixValue, String> {
        (self.body)(args)
    }
}

impl fmt::Debug for NixFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<function {}>", self.name)
    }
}

/// A value that is computed only when a plugin forces it, like a Nix
/// thunk; forcing may fail (as `throw` does in Nix).
#[derive(Clone)]
pub struct Thunk(Arc<dyn Fn() -> Result<NixValue, String> + Send + Sync>);

impl Thunk {
    /// A thunk that computes its value with `body`.
    pub fn new(body: impl Fn() -> Result<NixValue, String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(body))
    }

    fn evaluate(&self) -> Result<NixValue, String> {
        (self.0)()
    }
}

impl fmt::Debug for Thunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<thunk>")
    }
}

/// A Nix value.
#[derive(Debug, Clone)]
pub enum NixValue {
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A Boolean.
    Bool(bool),
    /// A string (without context).
    String(String),
    /// A path, as absolute path text.
    Path(String),
    /// `null`.
    Null,
    /// A list.
    List(Arc<Vec<NixValue>>),
    /// An attribute set.
    Attrs(Arc<Attrs>),
    /// A function.
    Function(NixFunction),
    /// A value not computed yet.
    Thunk(Thunk),
}

impl NixValue {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Self {
        NixValue::String(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<NixValue>) -> Self {
        NixValue::List(Arc::new(items))
    }

    /// An attribute set from name/value pairs; a repeated name is an error.
    pub fn attrs<N: Into<String>>(
        entries: impl IntoIterator<Item = (N, NixValue)>,
    ) -> Result<Self, HostError> {
        Ok(NixValue::Attrs(Arc::new(Attrs::from_entries(
            entries.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        )?)))
    }

    /// A value that fails with `message` when forced (Nix's `throw`).
    pub fn throw(message: impl Into<String>) -> Self {
        let message = message.into();
        NixValue::Thunk(Thunk::new(move || Err(message.clone())))
    }

    /// A lazily computed value.
    pub fn lazy(body: impl Fn() -> Result<NixValue, String> + Send + Sync + 'static) -> Self {
        NixValue::Thunk(Thunk::new(body))
    }

    /// Evaluates thunks until the value is in weak head normal form.
    pub fn force(&self) -> Result<NixValue, String> {
        let mut value = self.clone();
        while let NixValue::Thunk(thunk) = &value {
            value = thunk.evaluate()?;
        }
        Ok(value)
    }

    /// The type name with an article, as Nix's error messages show it.
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

    /// Converts JSON: objects become attribute sets, integers `Int`, other
    /// numbers `Float`.
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => NixValue::Null,
            serde_json::Value::Bool(b) => NixValue::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => NixValue::Int(i),
                None => NixValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => NixValue::String(s.clone()),
            serde_json::Value::Array(items) => {
                NixValue::list(items.iter().map(NixValue::from_json).collect())
            }
            serde_json::Value::Object(map) => NixValue::Attrs(Arc::new(Attrs::from_sorted_unique(
                map.iter()
                    .map(|(k, v)| (k.clone(), NixValue::from_json(v)))
                    .collect(),
            ))),
        }
    }

    /// Converts to JSON, forcing every thunk; functions and non-finite
    /// floats have no JSON form. Attribute names come out sorted.
    pub fn to_json(&self) -> Result<serde_json::Value, HostError> {
        Ok(match self.force().map_err(HostError::Evaluation)? {
            NixValue::Int(i) => i.into(),
            NixValue::Float(x) => serde_json::Number::from_f64(x)
                .map(serde_json::Value::Number)
                .ok_or_else(|| HostError::NotRepresentable(format!("the float {x}")))?,
            NixValue::Bool(b) => b.into(),
            NixValue::String(s) | NixValue::Path(s) => s.into(),
            NixValue::Null => serde_json::Value::Null,
            NixValue::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(NixValue::to_json)
                    .collect::<Result<_, _>>()?,
            ),
            NixValue::Attrs(attrs) => {
                let mut map = serde_json::Map::new();
                for (name, value) in attrs.iter() {
                    map.insert(name.clone(), value.to_json()?);
                }
                serde_json::Value::Object(map)
            }
            NixValue::Function(f) => {
                return Err(HostError::NotRepresentable(format!(
                    "the function {}",
                    f.name()
                )));
            }
            NixValue::Thunk(_) => unreachable!("force() evaluates thunks"),
        })
    }
}

/// 64-bit FNV-1a: a stable, non-lexicographic order for attribute names.
fn scramble(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An attribute set. Iteration follows a deliberate scramble (FNV-1a of the
/// name), neither lexicographic nor insertion order: the real evaluator
/// reports attributes in symbol-table order, so plugins must not depend on
/// any order, and this host makes one that does fail.
#[derive(Debug, Clone, Default)]
pub struct Attrs {
    entries: Vec<(u64, String, NixValue)>,
}

impl Attrs {
    fn from_sorted_unique(entries: Vec<(String, NixValue)>) -> Self {
        let mut entries: Vec<(u64, String, NixValue)> = entries
            .into_iter()
            .map(|(name, value)| (scramble(&name), name, value))
            .collect();
        entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Self { entries }
    }

    /// Builds a set; a repeated name is an error.
    pub fn from_entries(entries: Vec<(String, NixValue)>) -> Result<Self, HostError> {
        let attrs = Self::from_sorted_unique(entries);
        for pair in attrs.entries.windows(2) {
            if pair[0].1 == pair[1].1 {
                return Err(HostError::DuplicateAttribute(pair[0].1.clone()));
            }
        }
        Ok(attrs)
    }

    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for `{ }`.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The attributes in this host's (scrambled) order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &NixValue)> {
        self.entries.iter().map(|(_, name, value)| (name, value))
    }

    /// The attribute at `index` in iteration order.
    pub fn at(&self, index: usize) -> Option<(&String, &NixValue)> {
        self.entries
            .get(index)
            .map(|(_, name, value)| (name, value))
    }

    /// Looks an attribute up by name.
    pub fn get(&self, name: &str) -> Option<&NixValue> {
        let key = (scramble(name), name);
        self.entries
            .binary_search_by(|(hash, n, _)| (*hash, n.as_str()).cmp(&key))
            .ok()
            .map(|i| &self.entries[i].2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, 2.5, true, null, "x"], "a": {"c": "d"}, "e": -7}"#)
                .unwrap();
        let value = NixValue::from_json(&json);
        assert_eq!(value.to_json().unwrap(), json);
        match &value {
            NixValue::Attrs(attrs) => {
                assert!(matches!(attrs.get("e"), Some(NixValue::Int(-7))));
                assert!(attrs.get("z").is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn attribute_order_is_neither_lexicographic_nor_insertion() {
        let names: Vec<String> = ('a'..='z').map(|c| c.to_string()).collect();
        let attrs =
            Attrs::from_entries(names.iter().map(|n| (n.clone(), NixValue::Null)).collect())
                .unwrap();
        let order: Vec<&String> = attrs.iter().map(|(n, _)| n).collect();
        let sorted: Vec<&String> = names.iter().collect();
        assert_ne!(order, sorted);
        assert_eq!(attrs.len(), 26);
        for name in &names {
            assert!(attrs.get(name).is_some(), "{name}");
        }
    }

    #[test]
    fn duplicates_are_refused() {
        let err = NixValue::attrs([("a", NixValue::Null), ("a", NixValue::Int(1))]).unwrap_err();
        assert!(err.to_string().contains("\"a\""), "{err}");
    }

    #[test]
    fn thunks_force_and_fail() {
        assert!(matches!(
            NixValue::lazy(|| Ok(NixValue::Int(3))).force(),
            Ok(NixValue::Int(3))
        ));
        assert_eq!(NixValue::throw("boom").force().unwrap_err(), "boom");
        let err = NixValue::list(vec![NixValue::throw("deep")])
            .to_json()
            .unwrap_err();
        assert!(err.to_string().contains("deep"));
    }

    #[test]
    fn functions_have_no_json() {
        let f = NixValue::Function(NixFunction::new("id", |args| Ok(args[0].clone())));
        assert!(f.to_json().is_err());
        assert!(matches!(f.force(), Ok(NixValue::Function(_))));
    }
}
