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

/// Reads a declaration from any self-describing serde deserializer; errors
/// carry the path of the offending field.
pub fn from_deserializer<'de, D>(deserializer: D) -> Result<Declaration, Error>
where
    D: serde::Deserializer<'de>,
{
    serde_path_to_error::deserialize(deserializer).map_err(Error::from_path_error)
}

/// Reads a declaration from JSON text. Syntax errors give the line and
/// column; value errors give the field path.
pub fn from_json(text: &str) -> Result<Declaration, Error> {
    let syntax_error = |e: &serde_json::Error| {
        Error::single(
            "",
            format!(
                "JSON syntax error at line {}, column {}: {}",
                e.line(),
                e.column(),
                json_message(e)
            ),
        )
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let declaration = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        if e.inner().is_data() {
            Error::from_path_and_message(e.path(), json_message(e.inner()))
        } else {
            syntax_error(e.inner())
        }
    })?;
    deserializer.end().map_err(|e| syntax_error(&e))?;
    Ok(declaration)
}

/// serde_json's message without its " at line L column C" suffix.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// Plans a declaration given as JSON text.
pub fn plan_json(text: &str) -> Result<Planned, Error> {
    plan(&from_json(text)?)
}
