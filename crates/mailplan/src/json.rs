//! Reading JSON text strictly: an attribute given twice is an error, not
//! "the last one wins" as in `serde_json::Value`.

use std::fmt;

use attrset_de::TreePath;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::Error;

/// Parses JSON text into a document, refusing repeated attribute names
/// with their path. A UTF-8 byte-order mark, which some Windows editors
/// write, is skipped.
pub(crate) fn parse(text: &str) -> Result<Value, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut path = TreePath::new();
    let mut repeated = None;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = StrictValue {
        path: &mut path,
        repeated: &mut repeated,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|e| match repeated {
        Some(path) => Error::single(
            path,
            format!(
                "is given twice (again at line {}, column {}); keep one",
                e.line(),
                e.column()
            ),
        ),
        None => {
            let message = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            Error::single(
                "",
                format!(
                    "JSON syntax error at line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    message.strip_suffix(&suffix).unwrap_or(&message)
                ),
            )
        }
    })
}

/// Builds a `Value` like serde_json's own visitor, keeping track of where
/// it is; on a repeated attribute name it leaves that attribute's path in
/// `repeated` and fails.
struct StrictValue<'a> {
    path: &'a mut TreePath,
    repeated: &'a mut Option<String>,
}

impl StrictValue<'_> {
    fn reborrow(&mut self) -> StrictValue<'_> {
        StrictValue {
            path: self.path,
            repeated: self.repeated,
        }
    }
}

impl<'de> DeserializeSeed<'de> for StrictValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            self.path.push_index(items.len());
            let item = seq.next_element_seed(self.reborrow())?;
            self.path.pop();
            match item {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            self.path.push_attr(&name);
            if object.contains_key(&name) {
                *self.repeated = Some(self.path.to_string());
                return Err(de::Error::custom("an attribute is given twice"));
            }
            let value = map.next_value_seed(self.reborrow())?;
            self.path.pop();
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn repeated_attributes_are_refused_with_their_path() {
        assert_eq!(
            error(
                "{\"mailRelay\": {\"host\": \"smtp.gmail.com\"},\n \"mailRelay\": {\"host\": \"x.example\"}}"
            ),
            "mailRelay: is given twice (again at line 2, column 12); keep one"
        );
        assert_eq!(
            error(r#"{"users": [{"name": "a"}, {"name": "b", "password": "zqxw", "name": "c"}]}"#),
            "users[1].name: is given twice (again at line 1, column 66); keep one"
        );
        let err = error("{\"spf\": {\"x\\u001b\": 1, \"x\\u001b\": 2}}");
        assert!(err.starts_with("spf.\"x\\u{1b}\": is given twice"), "{err}");
    }

    #[test]
    fn documents_read_as_before() {
        let text = r#"{"a": [1, -2, 2.5, 18446744073709551615, true, null, "s"], "b": {}}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn syntax_errors_keep_line_and_column() {
        assert_eq!(
            error("{\n  \"name\": }"),
            "JSON syntax error at line 2, column 11: expected value"
        );
        assert_eq!(
            error("{} x"),
            "JSON syntax error at line 1, column 4: trailing characters"
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(
            parse("\u{feff}{\"a\": 1}").unwrap(),
            serde_json::json!({ "a": 1 })
        );
        assert_eq!(
            error("\u{feff}{\n  \"name\": }"),
            "JSON syntax error at line 2, column 11: expected value"
        );
    }
}
