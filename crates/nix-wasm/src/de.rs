//! Deserialising Rust types straight from Nix values, through the strict,
//! path-tracking deserializer of `attrset-de`. Only the values a type asks
//! for are forced; attribute sets are read in name order, never in the
//! host's.

use attrset_de::{Kind, Tree, TreeDeserializer};
use serde::de::DeserializeOwned;

use crate::{Type, Value};

pub use attrset_de::DeError;

/// A serde deserializer over one Nix value.
pub type ValueDeserializer = TreeDeserializer<Value>;

/// Deserialises `T` from a Nix value.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, DeError> {
    attrset_de::from_tree(value)
}

impl Tree for Value {
    fn kind(&self) -> Kind {
        match self.type_of() {
            Type::Int => Kind::Int,
            Type::Float => Kind::Float,
            Type::Bool => Kind::Bool,
            Type::String => Kind::String,
            Type::Path => Kind::Path,
            Type::Null => Kind::Null,
            Type::Attrs => Kind::Attrs,
            Type::List => Kind::List,
            Type::Function => Kind::Function,
        }
    }

    fn int(&self) -> i64 {
        self.as_int()
    }

    fn float(&self) -> f64 {
        self.as_float()
    }

    fn boolean(&self) -> bool {
        self.as_bool()
    }

    fn text(&self) -> Option<String> {
        match self.type_of() {
            Type::Path => self.as_path().ok(),
            _ => self.as_string().ok(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.as_bytes()
    }

    fn items(&self) -> Vec<Self> {
        Value::items(*self)
    }

    fn entries(&self) -> Option<Vec<(String, Self)>> {
        self.attrs().ok()
    }
}
