//! The `mailplan` binary end to end: output formats, exit codes, stderr.

use std::path::PathBuf;

use assert_cmd::Command;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/{name}"))
}

fn mailplan() -> Command {
    Command::cargo_bin("mailplan").unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = mailplan().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn plan_json_is_the_library_plan() {
    let path = example("gmail-addmailrelay.json");
    let printed: serde_json::Value =
        serde_json::from_str(&stdout_of(&["plan", "--json", path.to_str().unwrap()])).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let planned = mailplan::plan_json(&text).unwrap();
    assert_eq!(printed, serde_json::to_value(&planned.plan).unwrap());
    assert_eq!(printed["mode"], "smarthost");
    assert_eq!(printed["postfix"]["relayhost"], "[smtp.gmail.com]:587");
}

#[test]
fn plan_for_a_person_has_every_section() {
    let out = stdout_of(&["plan", example("noip-dyndns.json").to_str().unwrap()]);
    for needle in [
        "Laufentaler — laufentaler.ch",
        "smarthost via Gmail / Google Workspace",
        "DNS records (laufentaler.ch)",
        "CNAME  mail.laufentaler.ch",
        "WAN port-forwards",
        "dyndns: enabled",
        "\"password\":\"<redacted>\"",
        "Warnings",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
}

#[test]
fn dns_zone_is_a_zone_fragment() {
    let out = stdout_of(&[
        "dns",
        "--zone",
        example("standalone.json").to_str().unwrap(),
    ]);
    assert!(out.contains("mail.example.com."));
    assert!(out.contains("IN A     203.0.113.5"));
    assert!(out.contains("IN MX    10 mail.example.com."));
    let table = stdout_of(&["dns", example("standalone.json").to_str().unwrap()]);
    assert!(table.contains("TYPE") && table.contains("_dmarc.example.com"));
}

#[test]
fn check_reports_warnings_on_stderr() {
    let out = mailplan()
        .args(["check", example("sendgrid.json").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.starts_with("ok: ExampleCorp (example.com): smarthost via SendGrid"));
    assert!(stderr.contains("warning: inline passwords land"));
    let denied = mailplan()
        .args([
            "check",
            "--deny-warnings",
            example("sendgrid.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(denied.status.code(), Some(1));
    mailplan()
        .args([
            "check",
            "--deny-warnings",
            example("standalone.json").to_str().unwrap(),
        ])
        .assert()
        .success();
}

#[test]
fn bad_input_exits_non_zero_with_the_field_path_on_stderr() {
    let out = mailplan()
        .args(["plan", "--json", "-"])
        .write_stdin(
            r#"{ "name": "X", "domain": "example.com",
                 "mailRelay": { "host": "smtp.gmail.com", "port": 70000, "user": "a@example.com", "password": "TopSecret-123" } }"#,
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("mailRelay.port: 70000 is not a TCP port (1-65535)"),
        "{stderr}"
    );
    assert!(!stderr.contains("TopSecret-123"));
}

#[test]
fn a_json_attribute_given_twice_is_refused() {
    let out = mailplan()
        .args(["check", "-"])
        .write_stdin(
            "{ \"name\": \"X\", \"domain\": \"example.com\", \"publicIP\": \"203.0.113.5\",\n  \"mailRelay\": { \"host\": \"smtp.gmail.com\", \"user\": \"a@example.com\", \"passwordFile\": \"/run/secrets/a\" },\n  \"mailRelay\": { \"host\": \"smtp.sendgrid.net\" } }",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("mailRelay: is given twice (again at line 3, column 13); keep one"),
        "{stderr}"
    );
}

#[test]
fn a_json_byte_order_mark_is_skipped() {
    let text = std::fs::read_to_string(example("gmail-addmailrelay.json")).unwrap();
    mailplan()
        .args(["check", "-"])
        .write_stdin(format!("\u{feff}{text}"))
        .assert()
        .success();
}

#[test]
fn rule_errors_list_every_problem() {
    let out = mailplan()
        .args(["check", "-"])
        .write_stdin(r#"{ "name": "X", "domain": "example.com", "inbound": { "kind": "pmg" } }"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("inbound.host: is required"), "{stderr}");
    assert!(stderr.contains("inbound.ip: is required"), "{stderr}");
}

#[test]
fn a_missing_file_exits_2() {
    let out = mailplan()
        .args(["check", "/nonexistent/site.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot read /nonexistent/site.json")
    );
}

#[test]
fn toml_declarations_are_accepted() {
    let dir = std::env::temp_dir().join(format!("mailplan-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("site.toml");
    std::fs::write(
        &path,
        "name = \"ExampleCorp\"\ndomain = \"example.com\"\npublicIP = \"203.0.113.5\"\n\n[mailRelay]\nhost = \"smtp.sendgrid.net\"\nuser = \"apikey\"\npasswordFile = \"/run/secrets/relay-pass\"\n",
    )
    .unwrap();
    let out = stdout_of(&["plan", "--json", path.to_str().unwrap()]);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["spf"], "v=spf1 mx include:sendgrid.net -all");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn no_output_carries_an_inline_secret() {
    for name in [
        "gmail-addmailrelay.json",
        "sendgrid.json",
        "poco-port-2525.json",
    ] {
        let path = example(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let declaration: serde_json::Value = serde_json::from_str(&text).unwrap();
        let secret = declaration["mailRelay"]["password"]
            .as_str()
            .or(declaration["users"][0]["password"].as_str())
            .unwrap()
            .to_string();
        for args in [
            vec!["plan"],
            vec!["plan", "--json"],
            vec!["dns"],
            vec!["dns", "--zone"],
            vec!["check"],
        ] {
            let out = mailplan().args(&args).arg(&path).output().unwrap();
            let all = [out.stdout, out.stderr].concat();
            assert!(
                !String::from_utf8_lossy(&all).contains(&secret),
                "{name} {args:?} prints the secret"
            );
        }
    }
}

#[test]
fn main_cf_prints_postfix_lines() {
    let out = stdout_of(&["main-cf", example("sendgrid.json").to_str().unwrap()]);
    assert!(
        out.contains("relayhost = [smtp.sendgrid.net]:587\n"),
        "{out}"
    );
    assert!(
        out.contains("mynetworks = 127.0.0.1/32, [::1]/128\n"),
        "{out}"
    );
    assert!(out.lines().all(|l| l.contains(" = ")));
}

#[test]
fn verify_json_of_an_invalid_declaration_is_a_could_not_run_report() {
    let out = mailplan()
        .args(["verify", "--resolver", "127.0.0.1:9", "--json", "-"])
        .write_stdin(
            r#"{ "name": "X", "domain": "example.com",
                 "mailRelay": { "host": "smtp.gmail.com", "port": 70000, "user": "a@example.com", "password": "TopSecret-123" } }"#,
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["status"], "could-not-run");
    assert!(report["domain"].is_null(), "{report}");
    assert_eq!(report["checks"], serde_json::json!([]));
    let error = report["error"].as_str().unwrap();
    assert!(
        error.contains("mailRelay.port: 70000 is not a TCP port (1-65535)"),
        "{error}"
    );
    assert!(stderr.contains("mailRelay.port"), "{stderr}");
    assert!(!stdout.contains("TopSecret-123") && !stderr.contains("TopSecret-123"));

    // Unreadable: the same, naming the file; without --json, stdout empty.
    let out = mailplan()
        .args(["verify", "--json", "/nonexistent/site.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "could-not-run");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("cannot read /nonexistent/site.json")
    );
    let out = mailplan()
        .args(["verify", "/nonexistent/site.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn verify_json_with_a_bad_option_is_a_could_not_run_report() {
    let path = example("static-ip.json");
    let out = mailplan()
        .args(["verify", "--resolver", "dns.example", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "could-not-run");
    assert_eq!(report["domain"], "example.com");
    assert!(report["error"].as_str().unwrap().contains("IP:PORT"));
}

/// Sends one HTTP/1.0 request and returns the status line, the headers
/// (lowercase names) and the body.
fn http(address: &str, request_line: &str) -> (String, String, Vec<u8>) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "{request_line}\r\nHost: {address}\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(answer[..split].to_vec()).unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    (
        status.to_string(),
        headers.to_lowercase(),
        answer[split + 4..].to_vec(),
    )
}

#[test]
fn web_serves_the_page_files_as_they_are_in_the_repository_and_nothing_else() {
    use std::io::BufRead as _;
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("mailplan"))
        .args(["web", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    assert!(address.starts_with("127.0.0.1:"), "{first}");
    let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web");
    for (path, file, content_type) in [
        ("/", "index.html", "text/html"),
        ("/app.js?v=1", "app.js", "text/javascript"),
        ("/style.css", "style.css", "text/css"),
        (
            "/engine/mailplan_web.js",
            "engine/mailplan_web.js",
            "text/javascript",
        ),
        (
            "/engine/mailplan_web_wasm.js",
            "engine/mailplan_web_wasm.js",
            "text/javascript",
        ),
    ] {
        let (status, headers, body) = http(&address, &format!("GET {path} HTTP/1.0"));
        assert!(status.contains(" 200 "), "{path}: {status}");
        assert!(
            headers.contains(&format!("content-type: {content_type}")),
            "{path}: {headers}"
        );
        assert!(headers.contains("connect-src 'none'"), "{path}: {headers}");
        assert_eq!(body, std::fs::read(web.join(file)).unwrap(), "{path}");
    }
    let (status, _, _) = http(&address, "GET /../Cargo.toml HTTP/1.0");
    assert!(status.contains(" 404 "), "{status}");
    let (status, headers, _) = http(&address, "POST / HTTP/1.0");
    assert!(status.contains(" 405 "), "{status}");
    assert!(headers.contains("allow: get, head"), "{headers}");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn web_on_a_port_in_use_fails_with_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = mailplan().args(["web", "--port", &port]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")),
        "{stderr}"
    );
}
