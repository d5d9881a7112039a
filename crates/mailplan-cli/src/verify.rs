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
    let could_not_run = |message: String| {
        eprintln!("error: {message}");
        (String::new(), ExitCode::from(EXIT_COULD_NOT_RUN))
    };
    let resolver = match resolver.map(resolver_address).transpose() {
        Ok(resolver) => resolver.unwrap_or(ResolverAddress::System),
        Err(message) => return could_not_run(message),
    };
    let options = match options(dkim_key, smtp, smtp_source) {
        Ok(options) => options,
        Err(message) => return could_not_run(message),
    };
    // An unreadable or invalid declaration: nothing to check against.
    let plan = match crate::planned(file) {
        Ok(planned) => planned.plan,
        Err(_) => return (String::new(), ExitCode::from(EXIT_COULD_NOT_RUN)),
    };
    let report = mailplan_verify::verify(&plan, resolver, &options);
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
