//! Every declaration in `examples/` plans to its checked-in expected plan
//! and zone fragment, and each example's defining facts hold.
//!
//! After an intended change, regenerate with
//! `MAILPLAN_BLESS=1 cargo test -p mailplan --test examples` and review the
//! diff of `examples/expected/` like any other code change.

use std::path::{Path, PathBuf};

use mailplan::plan::Mode;
use serde_json::Value;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("examples/ exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}

fn load(name: &str) -> (String, mailplan::Planned) {
    let text = std::fs::read_to_string(examples_dir().join(format!("{name}.json"))).unwrap();
    let planned = mailplan::plan_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, planned)
}

fn check_golden(path: &Path, actual: &str) {
    if std::env::var_os("MAILPLAN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("{} is missing; run with MAILPLAN_BLESS=1", path.display()));
    assert!(
        expected == actual,
        "{} differs from the engine's output:\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
fn every_example_matches_its_expected_plan_and_zone() {
    let names = example_names();
    assert!(names.len() >= 12, "the guide's scenarios are all present");
    for name in names {
        let (_, planned) = load(&name);
        let json = serde_json::to_string_pretty(&planned.plan).unwrap() + "\n";
        check_golden(
            &examples_dir().join(format!("expected/{name}.plan.json")),
            &json,
        );
        let zone = mailplan::dns::render_zone(&planned.plan.domain, &planned.plan.dns_records);
        check_golden(&examples_dir().join(format!("expected/{name}.zone")), &zone);
    }
}

#[test]
fn no_example_leaks_a_secret() {
    for name in example_names() {
        let (text, planned) = load(&name);
        let declaration: Value = serde_json::from_str(&text).unwrap();
        let mut secrets = Vec::new();
        if let Some(p) = declaration["mailRelay"]["password"].as_str() {
            secrets.push(p.to_string());
        }
        for user in declaration["users"].as_array().into_iter().flatten() {
            if let Some(p) = user["password"].as_str() {
                secrets.push(p.to_string());
            }
        }
        let printed = serde_json::to_string(&planned.plan).unwrap()
            + &mailplan::dns::render_zone(&planned.plan.domain, &planned.plan.dns_records);
        for secret in secrets {
            assert!(!printed.contains(&secret), "{name} leaks a secret");
        }
    }
}

fn plan(name: &str) -> mailplan::Plan {
    load(name).1.plan
}

fn records(plan: &mailplan::Plan) -> Vec<(String, String, String)> {
    plan.dns_records
        .iter()
        .map(|r| (r.record_type().to_string(), r.name.clone(), r.data.value()))
        .collect()
}

fn has_record(plan: &mailplan::Plan, rtype: &str, name: &str, value: &str) -> bool {
    records(plan)
        .iter()
        .any(|(t, n, v)| t == rtype && n == name && v == value)
}

fn ports(rules: &[mailplan::firewall::PortRule]) -> Vec<u16> {
    rules.iter().map(|r| r.port).collect()
}

#[test]
fn standalone_is_the_guides_mode_a() {
    let plan = plan("standalone");
    assert_eq!(plan.mode, Mode::Standalone);
    assert!(plan.relay.is_none());
    assert_eq!(plan.postfix.relayhost, "");
    assert_eq!(plan.spf, "v=spf1 mx -all");
    assert_eq!(plan.hostname.as_str(), "mail.example.com");
    assert!(has_record(&plan, "A", "mail.example.com", "203.0.113.5"));
    assert!(has_record(
        &plan,
        "MX",
        "example.com",
        "10 mail.example.com"
    ));
    assert!(has_record(
        &plan,
        "TXT",
        "_dmarc.example.com",
        "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.com"
    ));
    assert_eq!(ports(&plan.firewall), [25, 465, 587, 993, 443]);
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    let boxes: Vec<String> = plan
        .mailboxes
        .iter()
        .map(|m| m.address.to_string())
        .collect();
    assert_eq!(boxes, ["alice@example.com", "bob@example.com"]);
}

#[test]
fn gmail_via_add_mail_relay_uses_the_role_tagged_user() {
    let (_, planned) = load("gmail-addmailrelay");
    let plan = &planned.plan;
    let relay = plan.relay.as_ref().unwrap();
    assert_eq!(plan.mode, Mode::Smarthost);
    assert_eq!(relay.source.to_string(), "user:noreply@example.com");
    assert_eq!(relay.provider.id(), "gmail");
    assert_eq!(plan.postfix.relayhost, "[smtp.gmail.com]:587");
    assert_eq!(plan.spf, "v=spf1 mx include:_spf.google.com -all");
    let credential = planned.secrets.relay.as_ref().unwrap();
    assert_eq!(
        credential.sasl_passwd_line().unwrap(),
        "[smtp.gmail.com]:587 noreply@example.com:abcd-efgh-ijkl-mnop\n"
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("users[0].password"))
    );
}

#[test]
fn the_explicit_poco_on_port_2525_is_a_custom_relay() {
    let plan = plan("poco-port-2525");
    let relay = plan.relay.as_ref().unwrap();
    assert_eq!(relay.source.to_string(), "mailRelay");
    assert_eq!(relay.provider.id(), "custom");
    assert_eq!(relay.port.get(), 2525);
    assert_eq!(plan.postfix.relayhost, "[smtp.example.net]:2525");
    assert_eq!(plan.spf, "v=spf1 mx a:smtp.example.net -all");
}

#[test]
fn each_provider_example_gets_its_include() {
    for (name, provider, include, user) in [
        (
            "sendgrid",
            "sendgrid",
            "include:sendgrid.net",
            Some("apikey"),
        ),
        (
            "microsoft365",
            "microsoft365",
            "include:spf.protection.outlook.com",
            Some("relay@example.onmicrosoft.com"),
        ),
        (
            "mailgun",
            "mailgun",
            "include:mailgun.org",
            Some("postmaster@mg.example.com"),
        ),
        (
            "ses",
            "ses",
            "include:amazonses.com",
            Some("AKIAIOSFODNN7EXAMPLE"),
        ),
        ("pmg", "pmg", "a:pmg.example.com", None),
    ] {
        let plan = plan(name);
        let relay = plan.relay.as_ref().unwrap();
        assert_eq!(relay.provider.id(), provider, "{name}");
        assert_eq!(plan.spf, format!("v=spf1 mx {include} -all"), "{name}");
        assert_eq!(relay.user.as_ref().map(|u| u.as_str()), user, "{name}");
    }
}

#[test]
fn mailjet_is_a_mixed_setup_with_extras() {
    let plan = plan("mailjet");
    assert_eq!(
        plan.spf,
        "v=spf1 mx include:spf.mailjet.com include:_spf.google.com ~all"
    );
}

#[test]
fn pmg_receives_and_delivers_on_port_26() {
    let plan = plan("pmg");
    assert_eq!(plan.inbound.delivery_port, 26);
    assert!(has_record(&plan, "MX", "example.com", "10 pmg.example.com"));
    assert!(has_record(&plan, "A", "pmg.example.com", "198.51.100.25"));
    assert_eq!(ports(&plan.firewall), [26, 443]);
    assert_eq!(
        plan.firewall[0].source,
        Some("198.51.100.25".parse().unwrap())
    );
    assert!(plan.postfix.sasl_password_map.is_none());
    assert!(!plan.postfix.main.contains_key("smtp_sasl_auth_enable"));
}

#[test]
fn noip_dyndns_points_the_mail_host_at_the_dyndns_name() {
    let plan = plan("noip-dyndns");
    assert!(plan.ddns.enabled);
    assert!(has_record(
        &plan,
        "CNAME",
        "mail.laufentaler.ch",
        "laufentaler.ddns.net"
    ));
    assert!(has_record(
        &plan,
        "MX",
        "laufentaler.ch",
        "10 laufentaler.ddns.net"
    ));
    assert!(mailplan::mx_never_points_at_a_cname(&plan));
    let entry = &plan.ddns.settings[0];
    assert_eq!(entry["provider"], "noip");
    assert_eq!(entry["domain"], "laufentaler.ddns.net");
    assert_eq!(entry["username"], "your-login");
    assert_eq!(entry["password"], mailplan::plan::REDACTED);
    assert_eq!(plan.ddns.public_ip_echo, ["ipify", "icanhazip"]);
    assert_eq!(
        plan.ddns.password_file.as_ref().unwrap().as_str(),
        "/run/secrets/ddns-password"
    );
}

#[test]
fn duckdns_is_token_only() {
    let plan = plan("duckdns-token");
    let entry = &plan.ddns.settings[0];
    assert_eq!(entry["provider"], "duckdns");
    assert_eq!(entry["domain"], "examplelab.duckdns.org");
    assert_eq!(entry["token"], mailplan::plan::REDACTED);
    assert!(entry.get("username").is_none());
    assert!(entry.get("password").is_none());
    assert_eq!(plan.ddns.secret_key.as_deref(), Some("token"));
    assert!(ports(&plan.firewall).contains(&80), "http-01 opens port 80");
}

#[test]
fn a_static_ip_skips_dyndns_entirely() {
    let plan = plan("static-ip");
    assert!(!plan.ddns.enabled);
    assert!(plan.ddns.settings.is_empty());
    assert!(plan.ddns.reason.contains("203.0.113.5 is static"));
    assert!(has_record(&plan, "A", "mail.example.com", "203.0.113.5"));
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("domainProvider is ignored"))
    );
}

#[test]
fn every_example_keeps_mx_off_cnames() {
    for name in example_names() {
        assert!(mailplan::mx_never_points_at_a_cname(&plan(&name)), "{name}");
    }
}
