//! The mailplan engine for a web page: `plan`, `zone`, `check` and `read`
//! over a declaration's text, and `choices` (the provider tables for the
//! form), compiled with wasm-bindgen for `web/`.
//!
//! This crate holds no rule of its own. Every answer comes from
//! [`mailplan`], the engine the CLI and the Nix plugin run, so the page, the
//! CLI and Nix agree on every declaration. The functions below are plain
//! Rust (tested natively); on `wasm32` they are exported to JavaScript,
//! where a failure is thrown as an `Error` named `DeclarationError` whose
//! `problems` list gives every problem with its field path:
//!
//! ```js
//! try { const { plan, zone } = wasm_bindgen.plan(text, "json"); }
//! catch (e) { for (const p of e.problems) show(p.path, p.text); }
//! ```

use mailplan::provider::RelayProvider;
use mailplan::{Error, Plan};
use serde::Serialize;

/// How a declaration's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON, the contract's own form.
    Json,
    /// TOML, read as the JSON document it stands for.
    Toml,
}

impl Format {
    /// Reads `json` or `toml`.
    pub fn parse(name: &str) -> Result<Self, PageError> {
        match name {
            "json" => Ok(Format::Json),
            "toml" => Ok(Format::Toml),
            _ => Err(PageError::single(format!(
                "unknown declaration format {:?}: write \"json\" or \"toml\"",
                name.chars().take(20).collect::<String>()
            ))),
        }
    }
}

/// One problem with a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The field path (`mailRelay.port`, `users[1].name`); empty for the
    /// document as a whole.
    pub path: String,
    /// The line the CLI prints for it, field path first.
    pub text: String,
}

/// Why a declaration could not be read or planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageError {
    /// Every problem on its own line, as the CLI prints them.
    pub message: String,
    /// Every problem, each with its field path.
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PageError {}

impl PageError {
    fn single(text: String) -> Self {
        PageError {
            message: text.clone(),
            problems: vec![Problem {
                path: String::new(),
                text,
            }],
        }
    }
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        PageError {
            message: error.to_string(),
            problems: error
                .problems()
                .iter()
                .map(|problem| Problem {
                    path: problem.path.clone(),
                    text: problem.to_string(),
                })
                .collect(),
        }
    }
}

/// The declaration's text as the document it holds (JSON or TOML), not
/// yet checked as a declaration: what the page's form edits.
pub fn read(text: &str, format: &str) -> Result<serde_json::Value, PageError> {
    Ok(match Format::parse(format)? {
        Format::Json => mailplan::parse_json(text)?,
        Format::Toml => mailplan::toml_to_json_value(text)?,
    })
}

/// The plan of a declaration, with what the page shows beside it.
#[derive(Debug, Clone, Serialize)]
pub struct PagePlan {
    /// The plan (the contract of `mailplan plan --json`; no secret).
    pub plan: Plan,
    /// The record sheet as a zone-file fragment (`mailplan dns --zone`).
    pub zone: String,
    /// The mail path in a few words (`smarthost via Mailgun`).
    pub mode: String,
    /// What `mailplan check` prints for it (`ok: …, 1 warning(s)`).
    pub summary: String,
}

fn planned(text: &str, format: &str) -> Result<Plan, PageError> {
    let declaration = match Format::parse(format)? {
        Format::Json => mailplan::from_json(text)?,
        Format::Toml => mailplan::from_toml(text)?,
    };
    Ok(mailplan::plan(&declaration)?.plan)
}

/// Plans a declaration: the plan, its zone text and its mode line.
pub fn plan(text: &str, format: &str) -> Result<PagePlan, PageError> {
    let plan = planned(text, format)?;
    Ok(PagePlan {
        zone: mailplan::dns::render_zone(&plan.domain, &plan.dns_records),
        mode: plan.mode_summary(),
        summary: check_line(&plan),
        plan,
    })
}

/// The record sheet of a declaration as a zone-file fragment, byte for
/// byte what `mailplan dns --zone` prints.
pub fn zone(text: &str, format: &str) -> Result<String, PageError> {
    let plan = planned(text, format)?;
    Ok(mailplan::dns::render_zone(&plan.domain, &plan.dns_records))
}

/// What `mailplan check` says of a valid declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// `ok: <name> (<domain>): <mode>, <n> warning(s)`.
    pub summary: String,
    /// The warnings, one sentence each.
    pub warnings: Vec<String>,
}

fn check_line(plan: &Plan) -> String {
    format!("ok: {}", plan.check_summary())
}

/// Checks a declaration as `mailplan check` does.
pub fn check(text: &str, format: &str) -> Result<CheckReport, PageError> {
    let plan = planned(text, format)?;
    Ok(CheckReport {
        summary: check_line(&plan),
        warnings: plan.warnings,
    })
}

/// A relay provider as the page's form offers it.
#[derive(Debug, Clone, Serialize)]
pub struct RelayChoice {
    /// The plan's identifier (`gmail`, `custom`, …).
    pub id: &'static str,
    /// The name for people.
    pub name: &'static str,
    /// The host a new relay starts from; null where it is the operator's.
    pub host: Option<&'static str>,
    /// The submission port a new relay starts from.
    pub port: u16,
    /// The SMTP user all accounts share, if any (SendGrid's `apikey`).
    pub user: Option<&'static str>,
    /// Where the credentials come from.
    pub hint: &'static str,
}

/// The choices the page's form offers, from the engine's tables.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Choices {
    /// Relay providers, in the table's order (PMG excluded: a relay is a
    /// PMG when its host is the declared inbound PMG).
    pub relays: Vec<RelayChoice>,
    /// The dyndns providers' identifiers, as `domainProvider.provider`
    /// takes them.
    pub ddns: Vec<&'static str>,
    /// The engine's version.
    pub version: &'static str,
    /// The plan format the engine writes.
    pub plan_format: u32,
}

/// The relay and dyndns providers the engine knows, for the form.
pub fn choices() -> Choices {
    Choices {
        relays: RelayProvider::ALL
            .into_iter()
            .filter(|provider| *provider != RelayProvider::Pmg)
            .map(|provider| RelayChoice {
                id: provider.id(),
                name: provider.display_name(),
                host: provider.preset_host(),
                port: 587,
                user: provider.preset_user(),
                hint: provider.credential_hint(),
            })
            .collect(),
        ddns: mailplan::ddns::DdnsProvider::all()
            .map(|provider| provider.id())
            .collect(),
        version: env!("CARGO_PKG_VERSION"),
        plan_format: mailplan::plan::PLAN_FORMAT,
    }
}

#[cfg(target_arch = "wasm32")]
mod js {
    //! The JavaScript face: each function converts its answer to a plain
    //! object through JSON (so the page sees the plan contract exactly)
    //! and a failure to a thrown `DeclarationError`.

    use serde::Serialize;
    use wasm_bindgen::prelude::*;

    use super::PageError;

    fn to_js<T: Serialize>(value: &T) -> JsValue {
        let text = serde_json::to_string(value).expect("page answers always serialise");
        js_sys::JSON::parse(&text).expect("serde_json writes valid JSON")
    }

    fn thrown(error: PageError) -> JsValue {
        let thrown = js_sys::Error::new(&error.message);
        thrown.set_name("DeclarationError");
        js_sys::Reflect::set(&thrown, &"problems".into(), &to_js(&error.problems))
            .expect("a new Error object takes properties");
        thrown.into()
    }

    /// `read(text, format)`: the declaration document, for the form.
    #[wasm_bindgen]
    pub fn read(text: &str, format: &str) -> Result<JsValue, JsValue> {
        super::read(text, format).map(|v| to_js(&v)).map_err(thrown)
    }

    /// `plan(text, format)`: `{ plan, zone, mode, summary }`.
    #[wasm_bindgen]
    pub fn plan(text: &str, format: &str) -> Result<JsValue, JsValue> {
        super::plan(text, format).map(|v| to_js(&v)).map_err(thrown)
    }

    /// `zone(text, format)`: the zone-file fragment.
    #[wasm_bindgen]
    pub fn zone(text: &str, format: &str) -> Result<String, JsValue> {
        super::zone(text, format).map_err(thrown)
    }

    /// `check(text, format)`: `{ summary, warnings }`.
    #[wasm_bindgen]
    pub fn check(text: &str, format: &str) -> Result<JsValue, JsValue> {
        super::check(text, format)
            .map(|v| to_js(&v))
            .map_err(thrown)
    }

    /// `choices()`: relay presets, dyndns providers, engine version.
    #[wasm_bindgen]
    pub fn choices() -> JsValue {
        to_js(&super::choices())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDGRID: &str = r#"{"name":"X","domain":"example.com","publicIP":"203.0.113.5",
        "mailRelay":{"host":"smtp.sendgrid.net","user":"apikey","password":"SG.topsecret"}}"#;

    #[test]
    fn a_plan_carries_the_zone_and_mode_and_never_the_secret() {
        let page = plan(SENDGRID, "json").unwrap();
        assert_eq!(page.mode, "smarthost via SendGrid");
        assert_eq!(
            page.zone,
            mailplan::dns::render_zone(&page.plan.domain, &page.plan.dns_records)
        );
        let shown = serde_json::to_string(&page).unwrap();
        assert!(!shown.contains("topsecret"), "{shown}");
    }

    #[test]
    fn errors_name_their_field_and_never_quote_a_secret() {
        let text = SENDGRID.replace(r#""user":"apikey""#, r#""user":"apikey","port":70000"#);
        let error = plan(&text, "json").unwrap_err();
        assert_eq!(error.problems[0].path, "mailRelay.port");
        assert_eq!(
            error.problems[0].text,
            "mailRelay.port: 70000 is not a TCP port (1-65535)"
        );
        let text = SENDGRID.replace("\"SG.topsecret\"", "12345");
        let error = check(&text, "json").unwrap_err();
        assert!(!error.message.contains("12345"), "{}", error.message);
        assert_eq!(error.problems[0].path, "mailRelay.password");
    }

    #[test]
    fn toml_reads_as_the_json_it_stands_for() {
        let toml = "name = \"X\"\ndomain = \"example.com\"\npublicIP = \"203.0.113.5\"\n";
        let json = r#"{"name":"X","domain":"example.com","publicIP":"203.0.113.5"}"#;
        assert_eq!(read(toml, "toml").unwrap(), read(json, "json").unwrap());
        assert_eq!(zone(toml, "toml").unwrap(), zone(json, "json").unwrap());
        let error = read("name = \"X\"\nname = \"Y\"\n", "toml").unwrap_err();
        assert!(error.message.contains("line 2"), "{}", error.message);
    }

    #[test]
    fn a_repeated_attribute_and_an_unknown_format_are_refused() {
        let error = read(r#"{"name":"X","name":"Y"}"#, "json").unwrap_err();
        assert_eq!(error.problems[0].path, "name");
        let error = read("{}", "yaml").unwrap_err();
        assert!(error.message.contains("\"yaml\""), "{}", error.message);
    }

    #[test]
    fn check_says_what_the_cli_says() {
        let report = check(SENDGRID, "json").unwrap();
        assert_eq!(plan(SENDGRID, "json").unwrap().summary, report.summary);
        assert_eq!(
            report.summary,
            format!(
                "ok: X (example.com): smarthost via SendGrid, {} warning(s)",
                report.warnings.len()
            )
        );
        assert!(report.warnings.iter().any(|w| w.contains("Nix store")));
    }

    #[test]
    fn the_form_offers_every_relay_but_the_pmg_and_every_dyndns_provider() {
        let offered = choices();
        assert_eq!(offered.relays.len(), RelayProvider::ALL.len() - 1);
        let sendgrid = offered.relays.iter().find(|r| r.id == "sendgrid").unwrap();
        assert_eq!(
            (sendgrid.host, sendgrid.user),
            (Some("smtp.sendgrid.net"), Some("apikey"))
        );
        assert!(offered.ddns.contains(&"duckdns"));
    }
}
