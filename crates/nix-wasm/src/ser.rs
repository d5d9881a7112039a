//! Serialising Rust values into Nix values.
//!
//! Structs and maps become attribute sets, sequences and tuples lists,
//! `None` and `()` `null`, enums their variant name (unit variants) or
//! `{ variant = …; }`.

use std::fmt;

use serde::ser::{self, Serialize};

use crate::Value;

/// Why a Rust value has no Nix counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerError(String);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

/// Builds the Nix value for `value`.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, SerError> {
    value.serialize(ValueSerializer)
}

/// A serde serializer that produces Nix values.
#[derive(Debug, Clone, Copy)]
pub struct ValueSerializer;

fn integer<T: TryInto<i64> + fmt::Display + Copy>(n: T) -> Result<Value, SerError> {
    n.try_into()
        .map(Value::int)
        .map_err(|_| SerError(format!("{n} does not fit in a Nix integer (64-bit signed)")))
}

/// Collects the elements of a list.
pub struct ListBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

impl ListBuilder {
    fn finish(self) -> Value {
        let list = Value::list(&self.items);
        match self.variant {
            Some(variant) => Value::attrset(&[(variant, list)]),
            None => list,
        }
    }
}

/// Collects the attributes of an attribute set.
pub struct AttrsBuilder {
    names: Vec<String>,
    values: Vec<Value>,
    variant: Option<&'static str>,
}

impl AttrsBuilder {
    fn new(variant: Option<&'static str>, capacity: usize) -> Self {
        Self {
            names: Vec::with_capacity(capacity),
            values: Vec::with_capacity(capacity),
            variant,
        }
    }

    fn push(&mut self, name: String, value: Value) -> Result<(), SerError> {
        if self.names.contains(&name) {
            return Err(SerError(format!("the attribute \"{name}\" is set twice")));
        }
        self.names.push(name);
        self.values.push(value);
        Ok(())
    }

    fn finish(self) -> Value {
        let attrs: Vec<(&str, Value)> = self
            .names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().copied())
            .collect();
        let set = Value::attrset(&attrs);
        match self.variant {
            Some(variant) => Value::attrset(&[(variant, set)]),
            None => set,
        }
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = SerError;
    type SerializeSeq = ListBuilder;
    type SerializeTuple = ListBuilder;
    type SerializeTupleStruct = ListBuilder;
    type SerializeTupleVariant = ListBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = AttrsBuilder;
    type SerializeStructVariant = AttrsBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, SerError> {
        Ok(Value::bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, SerError> {
        integer(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, SerError> {
        Ok(Value::float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, SerError> {
        Ok(Value::float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, SerError> {
        Ok(Value::string(v.encode_utf8(&mut [0; 4])))
    }
    fn serialize_str(self, v: &str) -> Result<Value, SerError> {
        Ok(Value::string(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, SerError> {
        std::str::from_utf8(v)
            .map(Value::string)
            .map_err(|_| SerError("bytes that are not UTF-8 have no Nix representation".into()))
    }
    fn serialize_none(self) -> Result<Value, SerError> {
        Ok(Value::null())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, SerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, SerError> {
        Ok(Value::null())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, SerError> {
        Ok(Value::null())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, SerError> {
        Ok(Value::string(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, SerError> {
        Ok(Value::attrset(&[(variant, value.serialize(self)?)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListBuilder, SerError> {
        Ok(ListBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<ListBuilder, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<ListBuilder, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<ListBuilder, SerError> {
        Ok(ListBuilder {
            items: Vec::with_capacity(len),
            variant: Some(variant),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, SerError> {
        Ok(MapBuilder {
            attrs: AttrsBuilder::new(None, len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<AttrsBuilder, SerError> {
        Ok(AttrsBuilder::new(None, len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<AttrsBuilder, SerError> {
        Ok(AttrsBuilder::new(Some(variant), len))
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<Value, SerError> {
        Ok(Value::string(&value.to_string()))
    }
}

impl ser::SerializeSeq for ListBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for ListBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for ListBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for ListBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for AttrsBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let value = value.serialize(ValueSerializer)?;
        self.push(key.to_string(), value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for AttrsBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.finish())
    }
}

/// Collects a map's entries; keys must serialise to strings.
pub struct MapBuilder {
    attrs: AttrsBuilder,
    key: Option<String>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError("a map value came before its key".into()))?;
        let value = value.serialize(ValueSerializer)?;
        self.attrs.push(key, value)
    }
    fn end(self) -> Result<Value, SerError> {
        Ok(self.attrs.finish())
    }
}

/// Accepts only string-like map keys (attribute names).
struct KeySerializer;

fn not_a_name<T>() -> Result<T, SerError> {
    Err(SerError(
        "a map key must be a string to become a Nix attribute name".into(),
    ))
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = SerError;
    type SerializeSeq = ser::Impossible<String, SerError>;
    type SerializeTuple = ser::Impossible<String, SerError>;
    type SerializeTupleStruct = ser::Impossible<String, SerError>;
    type SerializeTupleVariant = ser::Impossible<String, SerError>;
    type SerializeMap = ser::Impossible<String, SerError>;
    type SerializeStruct = ser::Impossible<String, SerError>;
    type SerializeStructVariant = ser::Impossible<String, SerError>;

    fn serialize_str(self, v: &str) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, SerError> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, SerError> {
        value.serialize(self)
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<String, SerError> {
        Ok(value.to_string())
    }
    fn serialize_bool(self, _: bool) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_i8(self, _: i8) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_i16(self, _: i16) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_i32(self, _: i32) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_i64(self, _: i64) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_u8(self, _: u8) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_u16(self, _: u16) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_u32(self, _: u32) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_u64(self, _: u64) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_f32(self, _: f32) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_f64(self, _: f64) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_none(self) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_unit(self) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, SerError> {
        not_a_name()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        not_a_name()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SerError> {
        not_a_name()
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        not_a_name()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        not_a_name()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        not_a_name()
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        not_a_name()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        not_a_name()
    }
}
