//! Secrets and the paths of files that hold them.
//!
//! A [`Secret`] cannot be printed, serialised or compared by accident: its
//! `Debug` is redacted, it has no `Display` and no `Serialize`, and its
//! deserialiser never echoes the value in an error. The only way to read
//! it is [`Secret::expose`], which the renderers of secret files call.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Appended to every error about a secret's value.
const NOT_SHOWN: &str = "(the value is not shown because it is a secret)";

/// A password, token or API key taken from the declaration.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// Validates a secret: it must survive being written into `main.cf`
    /// lookup tables, JSON and systemd unit files unchanged.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.chars().any(char::is_control) {
            return Err(format!(
                "contains a control character (newline, tab, NUL, …), which would split or truncate the line it is written to {NOT_SHOWN}"
            ));
        }
        if value.trim() != value {
            return Err(format!(
                "starts or ends with whitespace, which postfix lookup tables strip {NOT_SHOWN}"
            ));
        }
        if is_in_nix_store(value) {
            return Err(format!(
                "is a Nix store path, not a secret; name a secret file outside the store in passwordFile instead {NOT_SHOWN}"
            ));
        }
        if value.len() > 4096 {
            return Err(format!(
                "is {} bytes long; at most 4096 are accepted {NOT_SHOWN}",
                value.len()
            ));
        }
        Ok(Self(value.to_string()))
    }

    /// The secret's text. Call this only where a secret file is rendered.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// An absolute path to a file holding a secret, read at run time on the
/// target machine (e.g. `/run/secrets/relay-pass` from sops-nix).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct SecretPath(String);

impl SecretPath {
    /// Validates a path. The value is never echoed: operators sometimes
    /// paste the secret itself into the path field.
    pub fn parse(value: &str) -> Result<Self, String> {
        const HINT: &str =
            "(the value is not shown in case it is the secret itself pasted into the wrong field)";
        if !value.starts_with('/') {
            return Err(format!(
                "must be an absolute path such as /run/secrets/relay-pass {HINT}"
            ));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "/._-+@".contains(*c)))
        {
            return Err(format!(
                "may contain only letters, digits and / . _ - + @ so that it can be written into systemd units and tmpfiles lines unquoted; it contains {} {HINT}",
                match bad {
                    c if c.is_control() => "a control character".to_string(),
                    ' ' => "a space".to_string(),
                    c => format!("'{c}'"),
                }
            ));
        }
        if is_in_nix_store(value) {
            return Err(format!(
                "is inside /nix/store, which every local user can read; keep secret files out of the store (sops-nix or agenix: /run/secrets/…, or a root-only path elsewhere) {HINT}"
            ));
        }
        if value.split('/').any(|part| part == ".." || part == ".") {
            return Err(format!("must not contain '.' or '..' components {HINT}"));
        }
        if value.ends_with('/') {
            return Err(format!("names a directory; give the file {HINT}"));
        }
        Ok(Self(value.to_string()))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a secret comes from: inline (lands in the Nix store) or a file
/// read at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The secret was written into the declaration.
    Inline(Secret),
    /// The secret is read from this file on the target machine.
    File(SecretPath),
}

impl SecretSource {
    /// The file path, when the secret is read at run time.
    pub fn file(&self) -> Option<&SecretPath> {
        match self {
            SecretSource::File(path) => Some(path),
            SecretSource::Inline(_) => None,
        }
    }

    /// The inline secret, when the declaration carries it.
    pub fn inline(&self) -> Option<&Secret> {
        match self {
            SecretSource::Inline(secret) => Some(secret),
            SecretSource::File(_) => None,
        }
    }
}

/// True for paths below `/nix/store`.
fn is_in_nix_store(value: &str) -> bool {
    value.starts_with("/nix/store/")
}

/// What a secret field held, before validation.
enum SecretInput {
    /// `null` or absent.
    Absent,
    /// A string.
    Text(String),
    /// A Nix path value (`./relay-pass`), whose text is not kept.
    NixPath,
}

/// Visits only strings (and tells Nix paths apart), and refuses anything
/// else without describing it.
struct SecretInputVisitor;

macro_rules! refuse_without_echo {
    ($($method:ident($($ty:ty)?)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self $(, _value: $ty)?) -> Result<Self::Value, E> {
                Err(E::custom(format!("must be a string {NOT_SHOWN}")))
            }
        )*
    };
}

impl<'de> Visitor<'de> for SecretInputVisitor {
    type Value = SecretInput;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(SecretInput::Text(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(SecretInput::Text(value))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(SecretInput::Absent)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(SecretInput::Absent)
    }

    refuse_without_echo!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_i128(i128),
        visit_u128(u128),
        visit_f64(f64),
        visit_bytes(&[u8]),
    );

    /// attrset-de hands a Nix path here (see `attrset_de::PATH_MARKER`);
    /// its text is never read.
    fn visit_byte_buf<E: de::Error>(self, _path: Vec<u8>) -> Result<Self::Value, E> {
        Ok(SecretInput::NixPath)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        read_secret_input(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(SecretInputVisitor)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _seq: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(format!("must be a string {NOT_SHOWN}")))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _map: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(format!("must be a string {NOT_SHOWN}")))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(format!("must be a string {NOT_SHOWN}")))
    }
}

/// Reads a secret field, asking attrset-de to tell Nix paths apart.
fn read_secret_input<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SecretInput, D::Error> {
    deserializer.deserialize_newtype_struct(attrset_de::PATH_MARKER, SecretInputVisitor)
}

/// Deserialises an optional secret: absent, `null` and `""` all mean
/// "none" (the contract's `password ? ""`). A Nix path is refused: its
/// text would become the password.
pub(crate) fn optional_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Secret>, D::Error> {
    match read_secret_input(deserializer)? {
        SecretInput::Absent => Ok(None),
        SecretInput::Text(text) if text.is_empty() => Ok(None),
        SecretInput::Text(text) => Secret::parse(&text).map(Some).map_err(de::Error::custom),
        SecretInput::NixPath => Err(de::Error::custom(
            "is a Nix path, not the secret's text; give the file as passwordFile = \"/run/secrets/relay-pass\", a string (a path literal copies the secret into the world-readable Nix store)",
        )),
    }
}

/// Deserialises an optional secret-file path: absent and `null` mean none.
/// A Nix path literal is refused: using it copies the secret into the
/// store.
pub(crate) fn optional_secret_path<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretPath>, D::Error> {
    match read_secret_input(deserializer)? {
        SecretInput::Absent => Ok(None),
        SecretInput::Text(text) => SecretPath::parse(&text)
            .map(Some)
            .map_err(de::Error::custom),
        SecretInput::NixPath => Err(de::Error::custom(
            "write the path as a string (\"/run/secrets/relay-pass\"); a path literal copies the secret into the world-readable Nix store",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::parse("hunter2").unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn secrets_refuse_line_breaks_without_echoing() {
        for bad in ["zq\nxw", "zq\rxw", "zq\0xw", " zqxw", "zqxw ", "zq\txw"] {
            let err = Secret::parse(bad).unwrap_err();
            assert!(!err.contains("zq") && !err.contains("xw"), "{err}");
        }
    }

    #[test]
    fn a_store_path_is_not_a_password() {
        let err = Secret::parse("/nix/store/zqxw-relay-pass").unwrap_err();
        assert!(
            err.contains("passwordFile") && !err.contains("zqxw"),
            "{err}"
        );
        assert!(Secret::parse("/nixstore-is-fine").is_ok());
        assert!(SecretPath::parse("/nix/storefront/x").is_ok());
    }

    #[test]
    fn wrong_types_are_not_echoed() {
        for json in [
            "12345678",
            "true",
            "[\"hunter2\"]",
            "{\"a\":\"hunter2\"}",
            "1.5",
        ] {
            let mut de = serde_json::Deserializer::from_str(json);
            let err = optional_secret(&mut de).unwrap_err().to_string();
            assert!(err.contains("must be a string"), "{err}");
            assert!(
                !err.contains("hunter2") && !err.contains("12345678"),
                "{err}"
            );
        }
        let mut de = serde_json::Deserializer::from_str("\"\"");
        assert_eq!(optional_secret(&mut de).unwrap(), None);
    }

    #[test]
    fn secret_paths() {
        assert!(SecretPath::parse("/run/secrets/relay-pass").is_ok());
        for bad in [
            "zqxw-token",
            "/zqxw/relay pass",
            "/zqxw/../etc/shadow",
            "/zqxw/",
            "/zqxw/a\nb",
            "/zqxw/%i/x",
            "/nix/store/zqxw-relay-pass",
        ] {
            let err = SecretPath::parse(bad).unwrap_err();
            assert!(!err.contains("zqxw"), "{err}");
        }
    }
}
