//! The mailplan engine as a Nix `builtins.wasm` plugin.
//!
//! Every entry point takes the customer declaration (an attribute set,
//! contract v1) and returns part of the plan as a Nix value:
//!
//! ```nix
//! builtins.wasm { path = ./mailplan.wasm; function = "plan"; } declaration
//! ```
//!
//! | entry point | result |
//! |---|---|
//! | `plan` | the whole plan |
//! | `spf` | the SPF record (string) |
//! | `dnsRecords` | the record sheet (list) |
//! | `relay` | the relay, or null for standalone |
//! | `ddns` | the dyndns updater section |
//! | `zone` | the record sheet as a zone-file fragment (string) |
//! | `secrets` | the secrets the plan refers to, kept out of `plan` |
//! | `version` | engine and plan-format versions (argument ignored) |
//!
//! An invalid declaration ends evaluation with every problem, each naming
//! its field path.

use mailplan::secret::SecretSource;
use mailplan::{Declaration, Planned};
use nix_wasm::{Value, from_value, to_value};
use serde::Serialize;

/// Plans the declaration passed as `arg`. The value bridge reads it with
/// the same strict deserializer the native engine uses for JSON, so errors
/// are the same.
fn planned(arg: Value) -> Result<Planned, String> {
    let declaration = from_value::<Declaration>(arg)
        .map_err(|e| mailplan::Error::from_field(e.path(), e.message().to_string()));
    declaration
        .and_then(|d| mailplan::plan(&d))
        .map_err(|e| format!("mailplan: invalid declaration\n{e}"))
}

/// Converts a plan part into a Nix value.
fn nix<T: Serialize + ?Sized>(value: &T) -> Result<Value, String> {
    to_value(value).map_err(|e| format!("mailplan: cannot build the Nix value: {e}"))
}

fn plan(arg: Value) -> Result<Value, String> {
    nix(&planned(arg)?.plan)
}

fn spf(arg: Value) -> Result<Value, String> {
    nix(&planned(arg)?.plan.spf)
}

fn dns_records(arg: Value) -> Result<Value, String> {
    nix(&planned(arg)?.plan.dns_records)
}

fn relay(arg: Value) -> Result<Value, String> {
    nix(&planned(arg)?.plan.relay)
}

fn ddns(arg: Value) -> Result<Value, String> {
    nix(&planned(arg)?.plan.ddns)
}

fn zone(arg: Value) -> Result<Value, String> {
    let plan = planned(arg)?.plan;
    nix(&mailplan::dns::render_zone(&plan.domain, &plan.dns_records))
}

/// A secret as Nix sees it: inline text, or the file to read at run time.
#[derive(Serialize)]
struct SecretView<'a> {
    password: Option<&'a str>,
    #[serde(rename = "passwordFile")]
    password_file: Option<&'a str>,
}

impl<'a> From<&'a SecretSource> for SecretView<'a> {
    fn from(source: &'a SecretSource) -> Self {
        Self {
            password: source.inline().map(|s| s.expose()),
            password_file: source.file().map(|p| p.as_str()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelaySecret<'a> {
    map_key: &'a str,
    user: &'a str,
    password: Option<&'a str>,
    password_file: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MailboxSecret<'a> {
    address: String,
    password: Option<&'a str>,
    password_file: Option<&'a str>,
}

#[derive(Serialize)]
struct SecretsView<'a> {
    relay: Option<RelaySecret<'a>>,
    ddns: Option<SecretView<'a>>,
    mailboxes: Vec<MailboxSecret<'a>>,
}

/// The secrets, for modules that write secret files (the SASL map, the
/// ddns-updater config, mailbox passwords). Never part of `plan`.
fn secrets(arg: Value) -> Result<Value, String> {
    let planned = planned(arg)?;
    let secrets = &planned.secrets;
    nix(&SecretsView {
        relay: secrets.relay.as_ref().map(|r| RelaySecret {
            map_key: &r.map_key,
            user: r.user.as_str(),
            password: r.password.inline().map(|s| s.expose()),
            password_file: r.password.file().map(|p| p.as_str()),
        }),
        ddns: secrets.ddns.as_ref().map(Into::into),
        mailboxes: secrets
            .mailboxes
            .iter()
            .map(|(address, source)| MailboxSecret {
                address: address.to_string(),
                password: source.inline().map(|s| s.expose()),
                password_file: source.file().map(|p| p.as_str()),
            })
            .collect(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Version {
    engine: &'static str,
    version: &'static str,
    plan_format: u32,
}

fn version(_arg: Value) -> Result<Value, String> {
    nix(&Version {
        engine: "mailplan",
        version: env!("CARGO_PKG_VERSION"),
        plan_format: mailplan::plan::PLAN_FORMAT,
    })
}

nix_wasm::entry_point!(
    "plan" => plan,
    "spf" => spf,
    "dnsRecords" => dns_records,
    "relay" => relay,
    "ddns" => ddns,
    "zone" => zone,
    "secrets" => secrets,
    "version" => version,
);

// The allocator is the standard library's (dlmalloc on wasm32), which
// frees: a bump allocator that never frees ran out of the host's memory
// limit on inputs the native engine answers (thousands of SPF terms).
