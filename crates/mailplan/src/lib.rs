//! mailplan: turns a customer mail-site declaration into a mail plan.
//!
//! The engine is pure: no I/O, no clock, no environment. A declaration
//! ([`Declaration`], contract v1) goes in through any serde
//! [`Deserializer`](serde::Deserializer) — JSON, TOML, or a Nix value in
//! the WebAssembly plugin — and a [`Planned`] comes out: the printable
//! [`Plan`] and, kept apart, the [`Secrets`] it refers to.
//!
//! ```
//! let declaration = mailplan::from_json(r#"{
//!     "name": "ExampleCorp",
//!     "domain": "example.com",
//!     "publicIP": "203.0.113.5",
//!     "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey",
//!                    "passwordFile": "/run/secrets/relay-pass" }
//! }"#).unwrap();
//! let planned = mailplan::plan(&declaration).unwrap();
//! assert_eq!(planned.plan.spf, "v=spf1 mx include:sendgrid.net -all");
//! assert_eq!(planned.plan.postfix.relayhost, "[smtp.sendgrid.net]:587");
//! ```

pub mod ddns;
pub mod declaration;
pub mod dns;
pub mod error;
pub mod firewall;
pub mod names;
pub mod plan;
pub mod postfix;
pub mod provider;
pub mod secret;
pub mod spf;

mod build;

pub use build::{Planned, RelayCredential, Secrets, mx_never_points_at_a_cname, plan};
pub use declaration::Declaration;
pub use error::{Error, FieldError};
pub use plan::Plan;

/// Reads a declaration from JSON text. Syntax errors give the line and
/// column; value errors give the field path.
pub fn from_json(text: &str) -> Result<Declaration, Error> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
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
    })?;
    from_json_value(&value)
}

/// Reads a declaration from a JSON document (also the target of other
/// formats, such as TOML, converted first). The same strict deserializer
/// reads Nix values in the plugin, so both report the same errors.
pub fn from_json_value(value: &serde_json::Value) -> Result<Declaration, Error> {
    attrset_de::from_tree(value).map_err(|e| Error::from_field(e.path(), e.message().to_string()))
}

/// Plans a declaration given as JSON text.
pub fn plan_json(text: &str) -> Result<Planned, Error> {
    plan(&from_json(text)?)
}
