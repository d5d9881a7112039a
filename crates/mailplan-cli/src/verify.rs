//! `mailplan verify`: the declaration planned, then checked against the
//! live DNS and the SMTP listener by mailplan-verify.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mailplan_verify::{DkimPublicKey, Options, Outcome, Report, ResolverAddress, SmtpTarget};

/// Exit status when the checks could not run.
const EXIT_COULD_NOT_RUN: u8 = 2;

/// The resolver address from `IP` or `IP:PORT` (`[v6]:PORT`).
fn resolver_address(text: &str) -> Result<ResolverAddress, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ResolverAddress::Server(SocketAddr::new(ip, 53)));
    }
    text.parse::<SocketAddr>()
        .ok()
        .filter(|address| address.port() != 0)
        .map(ResolverAddress::Server)
        .ok_or_else(|| {
            format!("--resolver {text:?} is not IP or IP:PORT (e.g. 127.0.0.1:5353 or [::1]:53)")
        })
}

fn options(
    dkim_key: Option<PathBuf>,
    smtp: Option<String>,
    smtp_source: Option<IpAddr>,
) -> Result<Options, String> {
    let dkim_key = dkim_key
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("--dkim-key {}: cannot read it: {e}", path.display()))?;
            DkimPublicKey::from_file_text(&text)
                .map_err(|e| format!("--dkim-key {}: {e}", path.display()))
        })
        .transpose()?;
    let smtp = smtp
        .map(|text| {
            SmtpTarget::parse(&text, smtp_source).map_err(|e| format!("--smtp {text:?}: {e}"))
        })
        .transpose()?;
    Ok(Options { dkim_key, smtp })
}

/// Runs the checks; returns what to print and the exit status.
pub fn run(
    file: &Path,
    resolver: Option<&str>,
    json: bool,
    dkim_key: Option<PathBuf>,
    smtp: Option<String>,
    smtp_source: Option<IpAddr>,
) -> (String, ExitCode) {
    // Before any check ran: the error on stderr, and with --json the same
    // as a report on stdout (no domain when the declaration is unusable).
    let could_not_run = |message: String, domain: Option<String>| {
        eprintln!("error: {message}");
        let output = if json {
            could_not_run_json(domain, resolver, &message)
        } else {
            String::new()
        };
        (output, ExitCode::from(EXIT_COULD_NOT_RUN))
    };
    // An unreadable or invalid declaration: nothing to check against.
    let plan = match crate::try_planned(file) {
        Ok(planned) => planned.plan,
        Err((message, _)) => return could_not_run(message, None),
    };
    let domain = Some(plan.domain.to_string());
    let address = match resolver.map(resolver_address).transpose() {
        Ok(address) => address.unwrap_or(ResolverAddress::System),
        Err(message) => return could_not_run(message, domain),
    };
    let options = match options(dkim_key, smtp, smtp_source) {
        Ok(options) => options,
        Err(message) => return could_not_run(message, domain),
    };
    let report = mailplan_verify::verify(&plan, address, &options);
    let code = ExitCode::from(report.status.exit_code());
    if report.status == Outcome::CouldNotRun && !json {
        eprintln!(
            "error: {}",
            report
                .error
                .as_deref()
                .unwrap_or("the checks could not run")
        );
        return (String::new(), code);
    }
    (render(&report, json), code)
}

/// The JSON report of checks that could not start: the shape of
/// [`Report`]'s, with `domain` null when there is no plan.
fn could_not_run_json(domain: Option<String>, resolver: Option<&str>, error: &str) -> String {
    let report = serde_json::json!({
        "domain": domain,
        "resolver": resolver.unwrap_or("the system resolver"),
        "status": Outcome::CouldNotRun,
        "checks": [],
        "error": error,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

fn render(report: &Report, json: bool) -> String {
    if json {
        let mut text = serde_json::to_string_pretty(report).expect("a report always serialises");
        text.push('\n');
        text
    } else {
        report.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_addresses_take_an_optional_port() {
        assert_eq!(
            resolver_address("127.0.0.1").unwrap(),
            ResolverAddress::Server("127.0.0.1:53".parse().unwrap())
        );
        assert_eq!(
            resolver_address("127.0.0.1:5353").unwrap(),
            ResolverAddress::Server("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            resolver_address("[::1]:53").unwrap(),
            ResolverAddress::Server("[::1]:53".parse().unwrap())
        );
        assert!(
            resolver_address("dns.example")
                .unwrap_err()
                .contains("IP:PORT")
        );
        assert!(resolver_address("127.0.0.1:0").is_err());
    }
}
