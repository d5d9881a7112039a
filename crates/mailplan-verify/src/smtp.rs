//! The mail VM's SMTP listener, checked from outside: greeting, EHLO name,
//! STARTTLS and its certificate, and that it refuses to relay for a
//! client that has not logged in. A small client: SMTP's replies are
//! lines, TLS is rustls.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use mailplan::Plan;
use mailplan::postfix::MainValue;
use rustls::pki_types::ServerName;
use socket2::{Domain, Socket, Type};

use crate::report::Check;

/// How long a connection or one reply may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// The name the client greets with (RFC 2606: never a real host).
pub const CLIENT_NAME: &str = "verify.mailplan.invalid";
/// The recipient of the relay attempt: a foreign domain that cannot exist.
pub const RELAY_PROBE_RECIPIENT: &str = "relay-probe@mailplan-relay-test.invalid";
/// The longest reply accepted, in lines.
const MAX_REPLY_LINES: usize = 100;

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    /// Host name or address.
    pub host: String,
    /// TCP port (25 when not given).
    pub port: u16,
    /// The local address to connect from, when the machine has several.
    pub source: Option<IpAddr>,
}

impl SmtpTarget {
    /// Parses `HOST[:PORT]` (an IPv6 address in brackets with a port).
    pub fn parse(text: &str, source: Option<IpAddr>) -> Result<Self, String> {
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') || host.ends_with(']') => {
                let port = port
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("{port:?} is not a TCP port (1-65535)"))?;
                (host.trim_start_matches('[').trim_end_matches(']'), port)
            }
            _ => (text.trim_start_matches('[').trim_end_matches(']'), 25),
        };
        if host.is_empty() {
            return Err("no host before the port".to_string());
        }
        Ok(Self {
            host: host.to_string(),
            port,
            source,
        })
    }
}

/// One reply: its code and its lines' texts.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    fn text(&self) -> String {
        format!("{} {}", self.code, self.lines.join(" / "))
    }
}

/// A line-reading SMTP session over plain TCP.
struct Session {
    reader: BufReader<TcpStream>,
}

impl Session {
    fn read_reply(&mut self) -> io::Result<Reply> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read = (&mut self.reader).take(1024).read_line(&mut line)?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            let line = line.trim_end();
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("not an SMTP reply: {line:?}"),
                    )
                })?;
            lines.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply { code, lines });
            }
            if lines.len() > MAX_REPLY_LINES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a reply of more than 100 lines",
                ));
            }
        }
    }

    fn command(&mut self, command: &str) -> io::Result<Reply> {
        let stream = self.reader.get_mut();
        stream.write_all(command.as_bytes())?;
        stream.write_all(b"\r\n")?;
        self.read_reply()
    }
}

fn connect(target: &SmtpTarget) -> io::Result<TcpStream> {
    let addresses: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()?
        .filter(|a| target.source.is_none_or(|s| s.is_ipv4() == a.is_ipv4()))
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for address in addresses {
        let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
        if let Some(source) = target.source {
            socket.bind(&SocketAddr::new(source, 0).into())?;
        }
        match socket.connect_timeout(&address.into(), SMTP_TIMEOUT) {
            Ok(()) => {
                let stream: TcpStream = socket.into();
                stream.set_read_timeout(Some(SMTP_TIMEOUT))?;
                stream.set_write_timeout(Some(SMTP_TIMEOUT))?;
                return Ok(stream);
            }
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// The networks the plan's postfix trusts to relay (`mynetworks`).
fn trusted_networks(plan: &Plan) -> Vec<IpNet> {
    let items = match plan.postfix.main.get("mynetworks") {
        Some(MainValue::List(items)) => items.clone(),
        Some(MainValue::Text(text)) => text
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    items
        .iter()
        .filter_map(|item| item.replace(['[', ']'], "").parse().ok())
        .collect()
}

/// Runs the SMTP checks against `target`, which should be the mail VM as
/// the internet reaches it.
pub fn run(plan: &Plan, target: &SmtpTarget) -> Vec<Check> {
    let host = plan.hostname.as_str().to_ascii_lowercase();
    let endpoint = format!("{}:{}", target.host, target.port);
    let mut checks = Vec::new();
    let stream = match connect(target) {
        Ok(stream) => stream,
        Err(error) => {
            checks.push(Check::fail(
                "smtp-connect",
                endpoint,
                "an SMTP server answering",
                format!("cannot connect: {error}"),
                "check that the router forwards TCP port 25 to the mail VM, that its firewall lets it in, and that the ISP does not block inbound port 25",
            ));
            return checks;
        }
    };
    let local = stream.local_addr().ok();
    checks.push(Check::pass(
        "smtp-connect",
        endpoint.as_str(),
        "an SMTP server answering",
        "connected",
    ));
    let mut session = Session {
        reader: BufReader::new(stream),
    };
    if let Err(error) = converse(&mut session, plan, &host, &endpoint, local, &mut checks) {
        checks.push(Check::fail(
            "smtp-connect",
            endpoint.as_str(),
            "a complete SMTP conversation",
            format!("the conversation broke off: {error}"),
            "read the mail VM's postfix log (journalctl -u postfix) for why it dropped the connection",
        ));
    }
    checks
}

fn first_word(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn converse(
    session: &mut Session,
    plan: &Plan,
    host: &str,
    endpoint: &str,
    local: Option<SocketAddr>,
    checks: &mut Vec<Check>,
) -> io::Result<()> {
    let greeting = session.read_reply()?;
    let greeting_name = greeting
        .lines
        .first()
        .map(|l| first_word(l))
        .unwrap_or_default();
    checks.push(if greeting.code == 220 && greeting_name == host {
        Check::pass("smtp-banner", endpoint, format!("220 {host}"), greeting.text())
    } else {
        Check::fail(
            "smtp-banner",
            endpoint,
            format!("220 {host}"),
            greeting.text(),
            format!("the greeting must name {host} (postfix's myhostname, which the plan sets): is this the mail VM, and is port 25 forwarded to it?"),
        )
    });
    if greeting.code != 220 {
        return Ok(());
    }
    let ehlo = session.command(&format!("EHLO {CLIENT_NAME}"))?;
    let ehlo_name = ehlo
        .lines
        .first()
        .map(|l| first_word(l))
        .unwrap_or_default();
    checks.push(if ehlo.code == 250 && ehlo_name == host {
        Check::pass("smtp-ehlo", endpoint, format!("250 {host}"), format!("250 {ehlo_name}"))
    } else {
        Check::fail(
            "smtp-ehlo",
            endpoint,
            format!("250 {host}"),
            ehlo.text(),
            format!("the EHLO reply must name {host} (postfix's myhostname), the name the PTR and the certificate carry"),
        )
    });
    let starttls = ehlo.code == 250
        && ehlo
            .lines
            .iter()
            .skip(1)
            .any(|l| first_word(l) == "starttls");
    checks.push(if starttls {
        Check::pass("smtp-starttls", endpoint, "STARTTLS offered", "STARTTLS offered")
    } else {
        Check::fail(
            "smtp-starttls",
            endpoint,
            "STARTTLS offered",
            "no STARTTLS in the EHLO reply",
            "senders deliver in clear text, and Gmail marks it: set smtpd_tls_security_level = may with the certificate (the plan does; check the VM's postfix and its certificate files)",
        )
    });
    relay_probe(session, plan, endpoint, local, checks)?;
    if starttls {
        let _ = session.command("RSET")?;
        let reply = session.command("STARTTLS")?;
        if reply.code == 220 {
            checks.push(tls_certificate(session.reader.get_mut(), host, endpoint));
            return Ok(());
        }
        checks.push(Check::warn(
            "smtp-tls-certificate",
            endpoint,
            format!("a certificate valid for {host}"),
            format!("STARTTLS refused: {}", reply.text()),
            "read the mail VM's postfix log for the TLS error (a missing or unreadable certificate file)",
        ));
    }
    let _ = session.command("QUIT");
    Ok(())
}

fn relay_probe(
    session: &mut Session,
    plan: &Plan,
    endpoint: &str,
    local: Option<SocketAddr>,
    checks: &mut Vec<Check>,
) -> io::Result<()> {
    let expected = "a foreign recipient refused with 5.7.x to a client that has not logged in";
    let trusted = local.filter(|l| trusted_networks(plan).iter().any(|n| n.contains(&l.ip())));
    let mail = session.command("MAIL FROM:<>")?;
    if mail.code != 250 {
        checks.push(Check::warn(
            "smtp-open-relay",
            endpoint,
            expected,
            format!("MAIL FROM:<> refused: {}", mail.text()),
            "the relay test could not run: the null sender (bounces) must be accepted (RFC 5321 §4.5.5)",
        ));
        return Ok(());
    }
    let rcpt = session.command(&format!("RCPT TO:<{RELAY_PROBE_RECIPIENT}>"))?;
    let found = format!("RCPT TO:<{RELAY_PROBE_RECIPIENT}>: {}", rcpt.text());
    let check = if let Some(local) = trusted {
        Check::warn(
            "smtp-open-relay",
            endpoint,
            expected,
            found,
            format!(
                "this test connected from {}, which the plan's mynetworks trusts to relay; run verify from a host outside the site to test relaying",
                local.ip()
            ),
        )
    } else if (200..300).contains(&rcpt.code) {
        Check::fail(
            "smtp-open-relay",
            endpoint,
            expected,
            found,
            "this is an open relay: spammers will use it within hours. Set smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination (the plan's) and keep mynetworks to the VM itself",
        )
    } else if rcpt.code >= 500 && rcpt.lines.iter().any(|l| l.starts_with("5.7.")) {
        Check::pass("smtp-open-relay", endpoint, expected, found)
    } else {
        Check::warn(
            "smtp-open-relay",
            endpoint,
            expected,
            found,
            "the recipient was refused, but not as relaying denied (5.7.x); check smtpd_relay_restrictions ends in reject_unauth_destination",
        )
    };
    checks.push(check);
    Ok(())
}

fn tls_certificate(stream: &mut TcpStream, host: &str, endpoint: &str) -> Check {
    let expected = format!("a certificate valid for {host}");
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|builder| builder.with_root_certificates(roots).with_no_client_auth());
    let handshake = config.map_err(|e| e.to_string()).and_then(|config| {
        let name = ServerName::try_from(host.to_string()).map_err(|e| e.to_string())?;
        let mut connection =
            rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
        while connection.is_handshaking() {
            connection.complete_io(stream).map_err(|e| e.to_string())?;
        }
        Ok(connection
            .protocol_version()
            .map(|v| format!("{v:?}"))
            .unwrap_or_default())
    });
    match handshake {
        Ok(version) => Check::pass(
            "smtp-tls-certificate",
            endpoint,
            expected,
            format!("{version}, certificate valid for {host}"),
        ),
        Err(error) => Check::warn(
            "smtp-tls-certificate",
            endpoint,
            expected,
            format!("the handshake failed: {error}"),
            format!(
                "senders that verify certificates (DANE, MTA-STS) will not deliver: check that the ACME certificate for {host} is issued and installed (tls in the declaration)"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_and_without_a_port() {
        let parse = |t| SmtpTarget::parse(t, None);
        assert_eq!(parse("mail.example.com").unwrap().port, 25);
        assert_eq!(parse("127.0.0.1:2525").unwrap().port, 2525);
        let v6 = parse("[::1]:26").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 26));
        assert_eq!(parse("::1").unwrap().host, "::1");
        assert!(
            parse("mail.example.com:0")
                .unwrap_err()
                .contains("not a TCP port")
        );
        assert!(parse(":25").is_err());
    }
}
