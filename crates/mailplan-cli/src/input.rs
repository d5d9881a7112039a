//! Reading a declaration file (JSON or TOML) into the engine.

use std::io::Read;
use std::path::Path;

use mailplan::{Declaration, Error};
use serde::Deserialize as _;

/// Why a declaration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read at all.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid declaration.
    #[error("{path}: invalid declaration\n{error}")]
    Invalid {
        /// The path as given.
        path: String,
        /// Every problem, each naming its field.
        error: Error,
    },
}

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses TOML without ever quoting the source (the toml crate's own
/// messages show the offending line, which may hold a secret), then reads
/// the document like JSON, so both formats get the same checks.
fn from_toml(text: &str) -> Result<Declaration, Error> {
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
    let json =
        serde_json::Value::deserialize(toml::de::Deserializer::from(table)).map_err(|e| {
            Error::single(
                "",
                format!("cannot read the TOML document: {}", e.message()),
            )
        })?;
    mailplan::from_json_value(&json)
}

/// Reads and parses the declaration at `path` (`-` for stdin). Files
/// ending in `.toml` are TOML, everything else JSON.
pub fn read_declaration(path: &Path) -> Result<Declaration, InputError> {
    let shown = path.display().to_string();
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    let parsed = if path.extension().is_some_and(|e| e == "toml") {
        from_toml(&text)
    } else {
        mailplan::from_json(&text)
    };
    parsed.map_err(|error| InputError::Invalid { path: shown, error })
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

    #[test]
    fn toml_declarations_parse() {
        let text = "name = \"X\"\ndomain = \"example.com\"\npublicIP = \"203.0.113.5\"\n[mailRelay]\nhost = \"smtp.sendgrid.net\"\nuser = \"apikey\"\npasswordFile = \"/run/secrets/relay-pass\"\nport = 2525\n";
        let decl = from_toml(text).unwrap();
        assert_eq!(decl.mail_relay.unwrap().port.get(), 2525);
    }
}
