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
/// What the relay probe expects.
const RELAY_EXPECTED: &str =
    "a foreign recipient refused with 5.7.x to a client that has not logged in";
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
    // A conversation that breaks off is reported by the step it broke
    // at; the later steps are skipped.
    if let Err(broke) = converse(&mut session, plan, &host, &endpoint, local, &mut checks) {
        checks.push(broke.check(&endpoint));
    }
    checks
}

/// Where and how the conversation broke off.
struct BrokeOff {
    /// The check of the step that broke (`smtp-banner`, `smtp-ehlo`, ...).
    check: &'static str,
    /// What that step expected.
    expected: String,
    error: io::Error,
}

impl BrokeOff {
    fn at(check: &'static str, expected: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let expected = expected.into();
        move |error| Self {
            check,
            expected,
            error,
        }
    }

    /// Why no reply came, as a clause.
    fn why(&self) -> String {
        match self.error.kind() {
            io::ErrorKind::UnexpectedEof => "the server closed the connection".to_string(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                "the server reset the connection".to_string()
            }
            io::ErrorKind::BrokenPipe => "the server had closed the connection".to_string(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                format!("nothing within {} s", SMTP_TIMEOUT.as_secs())
            }
            _ => self.error.to_string(),
        }
    }

    fn check(&self, endpoint: &str) -> Check {
        let why = self.why();
        if self.check == "smtp-banner" {
            return Check::fail(
                "smtp-banner",
                endpoint,
                self.expected.as_str(),
                format!("no 220 greeting ({why})"),
                format!(
                    "something accepts connections at {endpoint} but does not greet like an SMTP server: check that postfix runs on the mail VM (systemctl status postfix; journalctl -u postfix says why it drops connections) and that port 25 is forwarded to the mail VM, not to another host"
                ),
            );
        }
        Check::fail(
            self.check,
            endpoint,
            self.expected.as_str(),
            format!("no reply ({why})"),
            "the server dropped the conversation half-way: read the mail VM's postfix log (journalctl -u postfix) for why",
        )
    }
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
) -> Result<(), BrokeOff> {
    let greeting = session
        .read_reply()
        .map_err(BrokeOff::at("smtp-banner", format!("220 {host}")))?;
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
    let ehlo = session
        .command(&format!("EHLO {CLIENT_NAME}"))
        .map_err(BrokeOff::at("smtp-ehlo", format!("250 {host}")))?;
    let ehlo_name = ehlo
        .lines
        .first()
        .map(|l| first_word(l))
        .unwrap_or_default();
    // The first line of the reply: the name; the extensions follow.
    let ehlo_found = format!(
        "{} {}",
        ehlo.code,
        ehlo.lines.first().map_or("", |l| l.as_str())
    );
    checks.push(if ehlo.code == 250 && ehlo_name == host {
        Check::pass("smtp-ehlo", endpoint, format!("250 {host}"), ehlo_found)
    } else {
        Check::fail(
            "smtp-ehlo",
            endpoint,
            format!("250 {host}"),
            ehlo_found,
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
    relay_probe(session, plan, endpoint, local, checks)
        .map_err(BrokeOff::at("smtp-open-relay", RELAY_EXPECTED))?;
    if starttls {
        let tls_expected = format!("a certificate valid for {host}");
        let _ = session
            .command("RSET")
            .map_err(BrokeOff::at("smtp-tls-certificate", tls_expected.as_str()))?;
        let reply = session
            .command("STARTTLS")
            .map_err(BrokeOff::at("smtp-tls-certificate", tls_expected.as_str()))?;
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
    let expected = RELAY_EXPECTED;
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
            "this is an open relay, which spammers find within hours: set smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination (the plan's) and keep mynetworks to the VM itself",
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

/// Why a TLS handshake failed.
enum HandshakeError {
    /// rustls refused (the certificate, or the protocol).
    Tls(rustls::Error),
    /// The connection failed during the handshake.
    Io(io::Error),
    /// The client could not be set up (`host` is no server name, ...).
    Setup(String),
}

impl From<io::Error> for HandshakeError {
    fn from(error: io::Error) -> Self {
        // rustls reports its own errors through io::Error.
        match error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            Some(tls) => HandshakeError::Tls(tls.clone()),
            None => HandshakeError::Io(error),
        }
    }
}

/// `CaUsedAsEndEntity` as "ca used as end entity": the last resort for a
/// name no other arm knows, readable without knowing Rust.
fn words(identifier: &str) -> String {
    let mut out = String::new();
    for (i, c) in identifier.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A library's message as it stands, or in words when it is a bare
/// identifier (some Display impls print their variant's name).
fn readable(text: String) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric()) {
        words(&text)
    } else {
        text
    }
}

/// What webpki's own errors (passed through as rustls's
/// `CertificateError::Other`, shown by their names) mean.
fn webpki_problem(name: &str) -> String {
    match name {
        "CaUsedAsEndEntity" => "is a CA certificate, not a server certificate (openssl req -x509 makes one unless told otherwise)".to_string(),
        "EndEntityUsedAsCa" => "chain uses a server certificate as an authority".to_string(),
        "PathLenConstraintViolated" | "MaximumPathDepthExceeded" => {
            "chain is longer than its authorities allow".to_string()
        }
        "NameConstraintViolation" => {
            "comes from an authority that may not issue certificates for this name".to_string()
        }
        "CertDistrusted" => "comes from an authority the public trust store no longer trusts".to_string(),
        "UnsupportedCertVersion" => "is an old (not X.509 v3) certificate".to_string(),
        "MalformedExtensions" | "ExtensionValueInvalid" | "MalformedDnsIdentifier" => {
            "has malformed extensions".to_string()
        }
        "SignatureAlgorithmMismatch" => "is signed inconsistently (a damaged certificate)".to_string(),
        other => format!("was refused ({})", readable(other.to_string())),
    }
}

/// Days from `then` to `now`, for "expired 3 days ago".
fn days(from: u64, to: u64) -> u64 {
    to.saturating_sub(from) / 86_400
}

/// A handshake failure, for a person: "the certificate is …", "the TLS
/// handshake failed: …". Never a Rust debug name.
fn handshake_problem(error: &HandshakeError, host: &str) -> String {
    use rustls::CertificateError as C;
    let certificate = |what: String| format!("the certificate {what}");
    let tls = match error {
        HandshakeError::Setup(why) => return format!("the TLS client could not start: {why}"),
        HandshakeError::Io(error) => {
            let why = match error.kind() {
                io::ErrorKind::UnexpectedEof => "the server closed the connection".to_string(),
                io::ErrorKind::ConnectionReset => "the server reset the connection".to_string(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    format!("no reply within {} s", SMTP_TIMEOUT.as_secs())
                }
                _ => error.to_string(),
            };
            return format!("the TLS handshake broke off: {why}");
        }
        HandshakeError::Tls(tls) => tls,
    };
    match tls {
        rustls::Error::InvalidCertificate(problem) => certificate(match problem {
            C::UnknownIssuer => "is issued by an authority not in the public trust store (self-signed or a private CA)".to_string(),
            C::NotValidForName => format!("is not valid for {host}"),
            C::NotValidForNameContext { presented, .. } if presented.is_empty() => {
                format!("is not valid for {host}: it names no host")
            }
            C::NotValidForNameContext { presented, .. } => {
                format!("is not valid for {host}: it is for {}", presented.join(", "))
            }
            C::ExpiredContext { time, not_after } => format!(
                "expired {} day(s) ago",
                days(not_after.as_secs(), time.as_secs())
            ),
            C::Expired => "has expired".to_string(),
            C::NotValidYetContext { time, not_before } => format!(
                "is not valid yet (for another {} day(s)): check the mail VM's clock and this machine's",
                days(time.as_secs(), not_before.as_secs())
            ),
            C::NotValidYet => "is not valid yet: check the mail VM's clock and this machine's".to_string(),
            C::Revoked => "was revoked by its authority".to_string(),
            C::BadSignature => "does not verify against its issuer's key (a damaged or forged certificate)".to_string(),
            C::BadEncoding => "is not a well-formed certificate".to_string(),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "is not issued for TLS servers (its extended key usage lacks server authentication)".to_string()
            }
            C::UnhandledCriticalExtension => {
                "carries a critical extension verifiers do not understand".to_string()
            }
            C::UnknownRevocationStatus
            | C::ExpiredRevocationList
            | C::ExpiredRevocationListContext { .. } => {
                "has a revocation status that cannot be checked".to_string()
            }
            C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                "is signed with an algorithm verifiers do not accept".to_string()
            }
            C::ApplicationVerificationFailure => "was refused by this client's checks".to_string(),
            C::InvalidOcspResponse => "came with an invalid OCSP (revocation) response".to_string(),
            C::Other(other) => webpki_problem(&other.to_string()),
            other => format!("was refused ({})", readable(other.to_string())),
        }),
        rustls::Error::NoCertificatesPresented => "the server sent no certificate".to_string(),
        rustls::Error::AlertReceived(alert) => format!(
            "the server ended the TLS handshake ({} alert)",
            words(&format!("{alert:?}"))
        ),
        rustls::Error::PeerIncompatible(why) => format!(
            "the server's TLS is incompatible with this client's ({})",
            words(&format!("{why:?}"))
        ),
        rustls::Error::PeerMisbehaved(why) => format!(
            "the server broke the TLS protocol ({})",
            words(&format!("{why:?}"))
        ),
        other => format!("the TLS handshake failed: {}", readable(other.to_string())),
    }
}

/// A protocol version as people write it.
fn version_text(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
        other => words(&format!("{other:?}")),
    }
}

fn tls_certificate(stream: &mut TcpStream, host: &str, endpoint: &str) -> Check {
    let expected = format!("a certificate valid for {host}");
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let handshake = (|| -> Result<String, HandshakeError> {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| HandshakeError::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| HandshakeError::Setup(e.to_string()))?;
        let mut connection = rustls::ClientConnection::new(Arc::new(config), name)
            .map_err(|e| HandshakeError::Setup(e.to_string()))?;
        while connection.is_handshaking() {
            connection.complete_io(stream)?;
        }
        Ok(connection
            .protocol_version()
            .map(version_text)
            .unwrap_or_else(|| "TLS".to_string()))
    })();
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
            handshake_problem(&error, host),
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

    /// An error shown by its name, as webpki's are.
    #[derive(Debug)]
    struct Named(&'static str);

    impl std::fmt::Display for Named {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Named {}

    fn problem(error: rustls::CertificateError) -> String {
        handshake_problem(
            &HandshakeError::Tls(rustls::Error::InvalidCertificate(error)),
            "mail.example.com",
        )
    }

    #[test]
    fn certificate_errors_read_as_english() {
        use rustls::CertificateError as C;
        let other = |name| C::Other(rustls::OtherError(Arc::new(Named(name))));
        assert_eq!(
            problem(other("CaUsedAsEndEntity")),
            "the certificate is a CA certificate, not a server certificate (openssl req -x509 makes one unless told otherwise)"
        );
        assert_eq!(
            problem(C::UnknownIssuer),
            "the certificate is issued by an authority not in the public trust store (self-signed or a private CA)"
        );
        assert_eq!(
            problem(C::NotValidForName),
            "the certificate is not valid for mail.example.com"
        );
        assert_eq!(
            problem(C::NotValidForNameContext {
                expected: ServerName::try_from("mail.example.com").unwrap(),
                presented: vec!["localhost".into(), "other.example.com".into()],
            }),
            "the certificate is not valid for mail.example.com: it is for localhost, other.example.com"
        );
        assert_eq!(problem(C::Expired), "the certificate has expired");
        // A variant without its own sentence: its Display, in words when
        // that is only its name.
        #[allow(deprecated)]
        let unnamed = C::UnsupportedSignatureAlgorithm;
        assert_eq!(
            problem(unnamed),
            "the certificate was refused (unsupported signature algorithm)"
        );
        assert_eq!(
            problem(other("SomeFutureError")),
            "the certificate was refused (some future error)"
        );
        for text in [
            problem(C::BadSignature),
            problem(C::Revoked),
            problem(C::InvalidPurpose),
            problem(other("NameConstraintViolation")),
        ] {
            assert!(text.starts_with("the certificate "), "{text}");
            // No Rust name (CamelCase) in the text.
            let camel = text.split_whitespace().any(|word| {
                word.chars()
                    .zip(word.chars().skip(1))
                    .any(|(a, b)| a.is_ascii_lowercase() && b.is_ascii_uppercase())
            });
            assert!(!camel, "{text}");
        }
    }

    #[test]
    fn handshake_failures_other_than_the_certificate_read_as_english() {
        let eof = HandshakeError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "eof"));
        assert_eq!(
            handshake_problem(&eof, "mail.example.com"),
            "the TLS handshake broke off: the server closed the connection"
        );
        let alert = HandshakeError::Tls(rustls::Error::AlertReceived(
            rustls::AlertDescription::HandshakeFailure,
        ));
        assert_eq!(
            handshake_problem(&alert, "mail.example.com"),
            "the server ended the TLS handshake (handshake failure alert)"
        );
        assert_eq!(version_text(rustls::ProtocolVersion::TLSv1_3), "TLS 1.3");
    }
}
