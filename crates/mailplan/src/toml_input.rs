//! Reading a declaration written in TOML: the same document as JSON, so
//! both formats get the same checks and the same field paths.

use attrset_de::TreePath;
use serde::Deserialize as _;

use crate::{Declaration, Error};

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Converts a TOML value to JSON, refusing what JSON has no place for
/// with its path: `nan` and `inf` (serde_json would make them `null`,
/// which reads as "absent") and dates and times. Values are never quoted.
fn toml_to_json(value: &toml::Value, path: &mut TreePath) -> Result<serde_json::Value, Error> {
    use serde_json::Value as Json;
    Ok(match value {
        toml::Value::String(text) => Json::String(text.clone()),
        toml::Value::Integer(n) => Json::from(*n),
        toml::Value::Float(x) => match serde_json::Number::from_f64(*x) {
            Some(number) => Json::Number(number),
            None => {
                let what = if x.is_nan() {
                    "nan (not a number)"
                } else {
                    "infinite (inf)"
                };
                return Err(Error::single(
                    path.to_string(),
                    format!(
                        "is {what}, which TOML allows but no attribute of a declaration does; write the intended value, or leave the attribute out for its default"
                    ),
                ));
            }
        },
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(_) => {
            return Err(Error::single(
                path.to_string(),
                "is a TOML date/time (written bare, such as 1979-05-27), but no attribute of a declaration is a date; if it is meant as text, put it in quotes",
            ));
        }
        toml::Value::Array(items) => {
            let mut converted = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                path.push_index(index);
                converted.push(toml_to_json(item, path)?);
                path.pop();
            }
            Json::Array(converted)
        }
        toml::Value::Table(table) => {
            let mut converted = serde_json::Map::new();
            for (name, item) in table {
                path.push_attr(name);
                converted.insert(name.clone(), toml_to_json(item, path)?);
                path.pop();
            }
            Json::Object(converted)
        }
    })
}

/// Reads a declaration from TOML text. The TOML is parsed without ever
/// quoting the source (the toml crate's own messages show the offending
/// line, which may hold a secret), then read like JSON, so both formats
/// get the same checks. A leading byte-order mark is skipped.
pub fn from_toml(text: &str) -> Result<Declaration, Error> {
    crate::from_json_value(&toml_to_json_value(text)?)
}

/// Converts a TOML declaration to the JSON document it stands for (what
/// [`from_toml`] then reads), with the same errors: a page or tool that
/// edits the declaration as data starts here.
pub fn toml_to_json_value(text: &str) -> Result<serde_json::Value, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let table = toml::de::DeTable::parse(text).map_err(|e| {
        let (line, col) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        Error::single(
            "",
            format!(
                "TOML syntax error at line {line}, column {col}: {}",
                e.message().trim_end()
            ),
        )
    })?;
    let table = toml::Table::deserialize(toml::de::Deserializer::from(table)).map_err(|e| {
        Error::single(
            "",
            format!("cannot read the TOML document: {}", e.message()),
        )
    })?;
    toml_to_json(&toml::Value::Table(table), &mut TreePath::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_never_quote_the_source() {
        let text = "name = \"X\"\ndomain = \"example.com\"\n[mailRelay]\nhost = \"smtp.sendgrid.net\"\npassword = \"SG.topsecret\nuser = \"apikey\"\n";
        let err = from_toml(text).unwrap_err().to_string();
        assert!(!err.contains("topsecret"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }

    #[test]
    fn toml_value_errors_name_the_field_without_the_source() {
        let text = "name = \"X\"\ndomain = \"example.com\"\n[mailRelay]\nhost = \"smtp.sendgrid.net\"\nuser = \"apikey\"\npassword = 12345\nport = 70000\n";
        let err = from_toml(text).unwrap_err().to_string();
        assert!(!err.contains("12345"), "{err}");
        assert!(
            err.starts_with("mailRelay.password: must be a string"),
            "{err}"
        );
    }

    const TOML_BASE: &str = "name = \"X\"\ndomain = \"example.com\"\n";

    #[test]
    fn toml_nan_and_inf_are_refused_with_their_path() {
        let err = from_toml(&format!("{TOML_BASE}publicIP = inf\n"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("publicIP: is infinite (inf)"), "{err}");
        let err = from_toml(&format!(
            "{TOML_BASE}[mailRelay]\nhost = \"smtp.gmail.com\"\nport = nan\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("mailRelay.port: is nan"), "{err}");
        let err = from_toml(&format!(
            "{TOML_BASE}[[users]]\nname = \"a\"\npassword = -inf\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("users[0].password: is infinite"), "{err}");
    }

    #[test]
    fn toml_dates_are_named_as_such() {
        for date in ["1979-05-27", "1979-05-27T07:32:00Z", "07:32:00"] {
            let err = from_toml(&format!("{TOML_BASE}publicIP = {date}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("publicIP: is a TOML date/time"), "{err}");
            assert!(err.ends_with("put it in quotes"), "{err}");
        }
        let err = from_toml(&format!(
            "{TOML_BASE}[mailRelay]\nhost = \"smtp.gmail.com\"\npassword = 2031-12-24\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("mailRelay.password: is a TOML date"),
            "{err}"
        );
        assert!(!err.contains("2031"), "{err}");
    }

    #[test]
    fn toml_with_a_byte_order_mark_parses() {
        let text = format!("\u{feff}{TOML_BASE}publicIP = \"203.0.113.5\"\n");
        assert!(from_toml(&text).is_ok());
    }

    #[test]
    fn toml_declarations_parse() {
        let text = "name = \"X\"\ndomain = \"example.com\"\npublicIP = \"203.0.113.5\"\n[mailRelay]\nhost = \"smtp.sendgrid.net\"\nuser = \"apikey\"\npasswordFile = \"/run/secrets/relay-pass\"\nport = 2525\n";
        let decl = from_toml(text).unwrap();
        assert_eq!(decl.mail_relay.unwrap().port.get(), 2525);
    }
}
