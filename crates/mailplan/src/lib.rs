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
//!
//! Modules, bottom to top (each uses only those below it):
//!
//! 1. values: [`names`] (validated names and addresses, the shared string
//!    shape), [`secret`], [`error`]; then [`spf`] (SPF terms and records)
//!    and the ddns-updater provider table (re-exported from [`ddns`]).
//! 2. the contract: [`declaration`], each field checked on its own.
//! 3. rules on single concerns: [`dns`], [`firewall`], [`provider`],
//!    [`postfix`]; then the printable [`plan`](mod@plan) types; then [`ddns`]
//!    (validates `domainProvider` into the updater's plan).
//! 4. assembly: `build`, whose [`plan()`] runs the stages that relate
//!    several fields (resolve the site; records and mail path; warnings;
//!    the plan); `json` and this root read and plan declarations.

pub mod ddns;
mod ddns_provider;
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
mod json;
#[cfg(feature = "toml")]
mod toml_input;

pub use build::{Planned, RelayCredential, Secrets, mx_never_points_at_a_cname, plan};
pub use declaration::Declaration;
pub use error::{Error, FieldError};
pub use plan::Plan;
#[cfg(feature = "toml")]
pub use toml_input::{from_toml, toml_to_json_value};

/// Reads a declaration from JSON text. Syntax errors give the line and
/// column; value errors, and an attribute given twice, give the field
/// path. A leading byte-order mark is skipped.
pub fn from_json(text: &str) -> Result<Declaration, Error> {
    from_json_value(&json::parse(text)?)
}

/// Parses JSON text into the document it holds, without reading it as a
/// declaration yet: the strict parser of [`from_json`] (an attribute given
/// twice is an error with its path), for tools that edit a declaration as
/// data before planning it.
pub fn parse_json(text: &str) -> Result<serde_json::Value, Error> {
    json::parse(text)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn base() -> serde_json::Value {
        json!({ "name": "ExampleCorp", "domain": "example.com", "publicIP": "203.0.113.5" })
    }

    fn with(field: &str, value: serde_json::Value) -> serde_json::Value {
        let mut declaration = base();
        declaration[field] = value;
        declaration
    }

    #[test]
    fn hostile_text_never_reaches_an_error_line_raw_or_unbounded() {
        let nasty = "x\u{1b}[2J\u{1b}]0;pwned\u{7}\n\rforged: line\u{2028}\u{2029}\u{202e}\u{2066}\u{200b}\u{200e}\u{feff}\u{85}";
        let long = format!("{nasty}{}", "y".repeat(10_000_000));
        let mut hostile = Vec::new();
        for text in [nasty.to_string(), long] {
            hostile.extend([
                with("tls", json!(text)),
                with("inbound", json!({ "kind": text })),
                with("dmarc", json!({ "policy": text })),
                with("users", json!([{ "name": "a", "roles": [text] }])),
                with("spf", json!({ "extra": [text] })),
                with("spf", json!({ "extra": [format!("ip4:192.0.2.0/{text}")] })),
                with("spf", json!({ text.clone(): 1 })),
                with(&text, json!(1)),
                with(
                    "mailRelay",
                    json!({ "host": "smtp.gmail.com", "port": text }),
                ),
                with("domain", json!(text)),
                with("ipv6Ptr", json!(text)),
                with("tls", json!({ text.clone(): null })),
            ]);
        }
        for declaration in hostile {
            let error = crate::from_json_value(&declaration).unwrap_err();
            let shown = error.to_string();
            let lines: Vec<&str> = shown.split('\n').collect();
            assert_eq!(lines.len(), error.problems().len(), "{shown:?}");
            for line in lines {
                assert!(
                    !line.chars().any(attrset_de::is_unprintable),
                    "raw character in {line:?}"
                );
                assert!(
                    line.chars().count() <= crate::error::MAX_LINE,
                    "{} characters",
                    line.chars().count()
                );
            }
        }
    }
}
