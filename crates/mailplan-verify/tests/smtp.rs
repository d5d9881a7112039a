//! The SMTP checks against listeners on loopback that accept the
//! connection and then fail to greet.

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use mailplan_verify::{SmtpTarget, Status};

fn plan() -> mailplan::Plan {
    let path = format!(
        "{}/../../examples/static-ip.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let declaration: mailplan::Declaration = serde_json::from_str(&text).unwrap();
    mailplan::plan(&declaration).unwrap().plan
}

/// Runs the SMTP checks against a listener that accepts one connection
/// and writes `greeting` (possibly nothing) before closing it.
fn against(greeting: &'static [u8]) -> (Vec<mailplan_verify::Check>, Duration) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(greeting);
        }
    });
    let target = SmtpTarget::parse(&format!("127.0.0.1:{port}"), None).unwrap();
    let started = Instant::now();
    let checks = mailplan_verify::smtp::run(&plan(), &target);
    let elapsed = started.elapsed();
    server.join().unwrap();
    (checks, elapsed)
}

fn assert_greeting_missing(checks: &[mailplan_verify::Check], elapsed: Duration) {
    let ids: Vec<&str> = checks.iter().map(|c| c.check).collect();
    assert_eq!(ids, ["smtp-connect", "smtp-banner"], "{checks:#?}");
    assert_eq!(checks[0].status, Status::Pass);
    assert_eq!(checks[1].status, Status::Fail);
    assert_eq!(
        checks[1].found,
        "no 220 greeting (the server closed the connection)"
    );
    assert!(checks[1].fix.as_deref().unwrap().contains("postfix"));
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn a_server_that_closes_before_greeting() {
    let (checks, elapsed) = against(b"");
    assert_greeting_missing(&checks, elapsed);
}

#[test]
fn a_server_that_closes_while_greeting() {
    let (checks, elapsed) = against(b"220-mail.example.com ESMTP\r\n");
    assert_greeting_missing(&checks, elapsed);
}

#[test]
fn a_server_that_closes_after_greeting_fails_at_ehlo() {
    let (checks, _) = against(b"220 mail.example.com ESMTP\r\n");
    let ids: Vec<&str> = checks.iter().map(|c| c.check).collect();
    assert_eq!(
        ids,
        ["smtp-connect", "smtp-banner", "smtp-ehlo"],
        "{checks:#?}"
    );
    assert_eq!(checks[1].status, Status::Pass);
    assert_eq!(checks[2].status, Status::Fail);
    assert!(checks[2].found.starts_with("no reply ("), "{:?}", checks[2]);
}
