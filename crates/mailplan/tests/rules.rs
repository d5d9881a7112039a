//! The design contract's rules, one test (or table) per rule.

use mailplan::plan::Mode;
use mailplan::{Plan, Planned};
use serde_json::{Value, json};

/// A base declaration with `extra` merged over it.
fn decl(extra: Value) -> Value {
    let mut base = json!({ "name": "ExampleCorp", "domain": "example.com" });
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    base
}

fn planned(declaration: Value) -> Planned {
    mailplan::plan_json(&declaration.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn plan(extra: Value) -> Plan {
    planned(decl(extra)).plan
}

/// The error text for a declaration that must fail.
fn error(extra: Value) -> mailplan::Error {
    match mailplan::plan_json(&decl(extra).to_string()) {
        Ok(p) => panic!("expected an error, got a plan: {:?}", p.plan.warnings),
        Err(e) => e,
    }
}

/// Asserts one problem is reported at `path` with `needle` in its message.
fn assert_error_at(extra: Value, path: &str, needle: &str) {
    let e = error(extra);
    assert!(
        e.problems()
            .iter()
            .any(|p| p.path == path && p.message.contains(needle)),
        "no error at {path} containing {needle:?}; got:\n{e}"
    );
}

fn warned(plan: &Plan, needle: &str) -> bool {
    plan.warnings.iter().any(|w| w.contains(needle))
}

fn record(plan: &Plan, rtype: &str, name: &str) -> Option<String> {
    plan.dns_records
        .iter()
        .find(|r| r.record_type() == rtype && r.name == name)
        .map(|r| r.data.value())
}

fn relay_user(name: &str, host: &str) -> Value {
    json!({ "name": name, "passwordFile": "/run/secrets/relay", "roles": ["mail-relay"], "relay": { "host": host } })
}

const STATIC: &str = "203.0.113.5";

#[path = "rules/hardening.rs"]
mod hardening;

// Rule 1: relay precedence.

#[test]
fn explicit_mail_relay_wins_over_a_role_tagged_user() {
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey", "passwordFile": "/run/secrets/sg" },
        "users": [relay_user("noreply@example.com", "smtp.gmail.com")],
    }));
    let relay = p.relay.unwrap();
    assert_eq!(relay.source.to_string(), "mailRelay");
    assert_eq!(relay.provider.id(), "sendgrid");
    assert!(warned_text(
        &p.warnings,
        "users[0] (noreply@example.com) is tagged mail-relay, but mailRelay is set and wins"
    ));
}

fn warned_text(warnings: &[String], needle: &str) -> bool {
    warnings.iter().any(|w| w.contains(needle))
}

#[test]
fn a_single_role_tagged_user_is_the_relay() {
    let p = plan(
        json!({ "publicIP": STATIC, "users": [relay_user("noreply@example.com", "smtp.gmail.com")] }),
    );
    assert_eq!(p.mode, Mode::Smarthost);
    let relay = p.relay.unwrap();
    assert_eq!(relay.source.to_string(), "user:noreply@example.com");
    assert_eq!(relay.port.get(), 587, "port defaults to 587");
    assert_eq!(relay.password_file.unwrap().as_str(), "/run/secrets/relay");
}

#[test]
fn two_role_tagged_users_without_mail_relay_is_an_error_naming_both() {
    let e = error(json!({ "users": [
        relay_user("a@example.com", "smtp.gmail.com"),
        { "name": "alice@example.com", "passwordFile": "/run/secrets/alice" },
        relay_user("apikey", "smtp.sendgrid.net"),
    ]}));
    let p = &e.problems()[0];
    assert_eq!(p.path, "users");
    assert!(p.message.contains("users[0] (a@example.com)"), "{p}");
    assert!(p.message.contains("users[2] (apikey)"), "{p}");
}

#[test]
fn two_role_tagged_users_with_mail_relay_are_both_ignored_with_warnings() {
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.office365.com", "user": "relay@example.com", "passwordFile": "/run/secrets/m365" },
        "users": [relay_user("a@example.com", "smtp.gmail.com"), relay_user("apikey", "smtp.sendgrid.net")],
    }));
    assert_eq!(p.relay.unwrap().provider.id(), "microsoft365");
    assert_eq!(
        p.warnings
            .iter()
            .filter(|w| w.contains("is tagged mail-relay"))
            .count(),
        2
    );
}

#[test]
fn no_relay_is_standalone() {
    let p = plan(json!({ "publicIP": STATIC }));
    assert_eq!(p.mode, Mode::Standalone);
    assert_eq!(p.postfix.relayhost, "");
    assert!(p.relay.is_none());
}

// Role-tagged users.

#[test]
fn mailbox_roles_and_addresses_on_the_domain() {
    let p = plan(json!({ "publicIP": STATIC, "users": [
        { "name": "alice@example.com", "passwordFile": "/run/secrets/a" },
        { "name": "bob", "password": "pw-bob", "roles": ["mailbox"] },
        relay_user("noreply@example.com", "smtp.gmail.com"),
        { "name": "ddns", "passwordFile": "/run/secrets/d", "roles": ["domain-provider"] },
    ]}));
    let boxes: Vec<String> = p.mailboxes.iter().map(|m| m.address.to_string()).collect();
    assert_eq!(
        boxes,
        ["alice@example.com", "bob@example.com"],
        "service users get no mailbox"
    );
    assert_eq!(
        p.mailboxes[0].password_file.as_ref().unwrap().as_str(),
        "/run/secrets/a"
    );
    assert!(p.mailboxes[1].password_file.is_none());
    assert!(warned(&p, "users[1].password"));
}

#[test]
fn a_user_with_a_relay_and_the_mailbox_role_gets_both() {
    let mut user = relay_user("noreply@example.com", "smtp.gmail.com");
    user["roles"] = json!(["mail-relay", "mailbox"]);
    let p = plan(json!({ "publicIP": STATIC, "users": [user] }));
    assert_eq!(p.mailboxes.len(), 1);
    assert!(p.relay.is_some());
}

#[test]
fn a_user_that_gets_nothing_is_warned_about() {
    let p = plan(
        json!({ "publicIP": STATIC, "users": [{ "name": "carol", "passwordFile": "/run/secrets/c" }] }),
    );
    assert!(p.mailboxes.is_empty());
    assert!(warned(&p, "users[0] (carol) has no roles"));
}

#[test]
fn user_errors_name_their_field() {
    for (users, path, needle) in [
        (
            json!([{ "name": "alice@other.com", "passwordFile": "/run/secrets/a", "roles": ["mailbox"] }]),
            "users[0].name",
            "not on example.com",
        ),
        (
            json!([{ "name": "alice@example.com" }]),
            "users[0].passwordFile",
            "a mailbox needs a password",
        ),
        (
            json!([{ "name": "a@example.com", "password": "x", "passwordFile": "/run/secrets/a" }]),
            "users[0].passwordFile",
            "both set",
        ),
        (
            json!([{ "name": "x", "passwordFile": "/run/secrets/x", "roles": ["mail-relay"] }]),
            "users[0].relay",
            "is required for a mail-relay user",
        ),
        (
            json!([{ "name": "x", "roles": ["mail-relay"], "relay": { "host": "smtp.gmail.com" } }]),
            "users[0].passwordFile",
            "a mail-relay user carries a secret",
        ),
        (
            json!([{ "name": "x@example.com", "passwordFile": "/run/secrets/x", "relay": { "host": "smtp.gmail.com" } }]),
            "users[0].relay",
            "only a user with role \"mail-relay\"",
        ),
        (
            json!([{ "name": "a@example.com", "passwordFile": "/run/secrets/a" }, { "name": "A@example.com", "passwordFile": "/run/secrets/b" }]),
            "users[1].name",
            "declared twice (also users[0])",
        ),
        (
            json!([{ "name": "a@example.com", "passwordFile": "/run/secrets/a", "roles": ["mailbox", "mailbox"] }]),
            "users[0].roles",
            "lists a role twice",
        ),
        (
            json!([{ "name": "a", "roles": ["admin"] }]),
            "users[0].roles[0]",
            "unknown variant \"admin\"",
        ),
        (
            json!([{ "name": "a b" }]),
            "users[0].name",
            "contains a space",
        ),
        (
            json!([{ "name": "a", "pasword": "x" }]),
            "users[0].pasword",
            "is not a known attribute",
        ),
    ] {
        assert_error_at(json!({ "publicIP": STATIC, "users": users }), path, needle);
    }
}

// Rule 2: dyndns versus a static IP.

fn ddns_user() -> Value {
    json!({ "name": "ddns", "passwordFile": "/run/secrets/ddns", "roles": ["domain-provider"] })
}

#[test]
fn a_static_ip_skips_the_updater_with_the_reason() {
    let p = plan(json!({ "publicIP": STATIC }));
    assert!(!p.ddns.enabled);
    assert!(p.ddns.reason.contains("static"));
    assert_eq!(record(&p, "A", "mail.example.com").unwrap(), STATIC);
}

#[test]
fn no_ip_and_no_provider_means_manual_a_records() {
    let p = plan(
        json!({ "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey", "passwordFile": "/run/secrets/sg" } }),
    );
    assert!(!p.ddns.enabled);
    assert!(p.ddns.reason.contains("manual"));
    let a = p
        .dns_records
        .iter()
        .find(|r| r.record_type() == "A")
        .unwrap();
    assert_eq!(a.source, mailplan::dns::RecordSource::Operator);
    let zone = mailplan::dns::render_zone(&p.domain, &p.dns_records);
    assert!(
        zone.contains("; mail.example.com."),
        "a placeholder A is commented out:\n{zone}"
    );
}

#[test]
fn own_zone_dyndns_updating_the_mail_host_gives_a_managed_a_record() {
    let p = plan(json!({
        "domainProvider": { "provider": "desec", "hosts": ["mail"] },
        "users": [ddns_user()],
    }));
    assert!(p.ddns.enabled);
    assert_eq!(p.ddns.hosts[0].as_str(), "mail.example.com");
    let a = p
        .dns_records
        .iter()
        .find(|r| r.name == "mail.example.com")
        .unwrap();
    assert_eq!(a.record_type(), "A");
    assert_eq!(a.source, mailplan::dns::RecordSource::DdnsUpdater);
    assert_eq!(
        record(&p, "MX", "example.com").unwrap(),
        "10 mail.example.com"
    );
}

#[test]
fn own_zone_dyndns_on_another_label_puts_mx_on_the_updated_name() {
    let p = plan(json!({
        "domainProvider": { "provider": "desec", "hosts": ["home"] },
        "users": [ddns_user()],
    }));
    assert_eq!(
        record(&p, "CNAME", "mail.example.com").unwrap(),
        "home.example.com"
    );
    assert_eq!(
        record(&p, "MX", "example.com").unwrap(),
        "10 home.example.com"
    );
    assert!(mailplan::mx_never_points_at_a_cname(&p));
    // The name the CNAME and the MX lead to is on the sheet, as the
    // updater's: a zone without it has an MX with no address.
    let home = p
        .dns_records
        .iter()
        .find(|r| r.name == "home.example.com")
        .expect("the updated name's A is on the sheet");
    assert_eq!(home.record_type(), "A");
    assert_eq!(home.source, mailplan::dns::RecordSource::DdnsUpdater);
}

#[test]
fn own_zone_dyndns_at_the_apex_lists_the_apex_address_the_mx_leads_to() {
    let p = plan(json!({
        "domainProvider": { "provider": "desec", "hosts": ["@"] },
        "users": [ddns_user()],
    }));
    assert_eq!(
        record(&p, "CNAME", "mail.example.com").unwrap(),
        "example.com"
    );
    assert_eq!(record(&p, "MX", "example.com").unwrap(), "10 example.com");
    let apex: Vec<_> = p
        .dns_records
        .iter()
        .filter(|r| r.name == "example.com" && r.record_type() == "A")
        .collect();
    assert_eq!(apex.len(), 1, "{:?}", p.dns_records);
    assert_eq!(apex[0].source, mailplan::dns::RecordSource::DdnsUpdater);

    // The mail host in another zone: its CNAME is published there, but
    // the MX still leads to this zone's apex, so its A stays listed.
    let p = plan(json!({
        "mailHostname": "mail.example.net",
        "domainProvider": { "provider": "desec", "hosts": ["@"] },
        "users": [ddns_user()],
    }));
    assert!(warned(
        &p,
        "mailHostname mail.example.net is outside example.com"
    ));
    assert_eq!(record(&p, "MX", "example.com").unwrap(), "10 example.com");
    assert_eq!(record(&p, "A", "example.com").unwrap(), "<WAN IPv4>");
}

#[test]
fn a_foreign_dyndns_name_is_not_on_the_customer_sheet() {
    let p = plan(json!({
        "domainProvider": { "provider": "noip", "hosts": ["laufentaler"], "domain": "ddns.net", "username": "u" },
        "users": [ddns_user()],
    }));
    assert_eq!(
        record(&p, "CNAME", "mail.example.com").unwrap(),
        "laufentaler.ddns.net"
    );
    assert!(
        p.dns_records
            .iter()
            .all(|r| r.name.ends_with("example.com")),
        "{:?}",
        p.dns_records
    );
}

#[test]
fn a_wildcard_covers_the_mail_host() {
    let p = plan(json!({
        "domainProvider": { "provider": "desec", "hosts": ["*"] },
        "users": [ddns_user()],
    }));
    let a = p
        .dns_records
        .iter()
        .find(|r| r.name == "mail.example.com")
        .unwrap();
    assert_eq!(a.record_type(), "A");
}

#[test]
fn dyndns_errors_name_their_field() {
    for (provider, users, path, needle) in [
        (
            json!({ "provider": "noip", "hosts": ["x"], "domain": "ddns.net" }),
            json!([ddns_user()]),
            "domainProvider.username",
            "logs in with a username",
        ),
        (
            json!({ "provider": "duckdns", "hosts": ["x"], "username": "me", "domain": "duckdns.org" }),
            json!([ddns_user()]),
            "domainProvider.username",
            "takes no username",
        ),
        (
            json!({ "provider": "duckdns", "hosts": ["x"] }),
            json!([ddns_user()]),
            "domainProvider.provider",
            "only updates names under duckdns.org",
        ),
        (
            json!({ "provider": "duckdns", "hosts": ["x"], "secretKey": "password", "domain": "duckdns.org" }),
            json!([ddns_user()]),
            "domainProvider.secretKey",
            "takes its secret as \"token\"",
        ),
        (
            json!({ "provider": "desec", "hosts": [] }),
            json!([ddns_user()]),
            "domainProvider.hosts",
            "is empty",
        ),
        (
            json!({ "provider": "desec", "hosts": ["a", "a"] }),
            json!([ddns_user()]),
            "domainProvider.hosts[1]",
            "listed twice",
        ),
        (
            json!({ "provider": "desec", "hosts": ["a"] }),
            json!([]),
            "domainProvider",
            "no user has role \"domain-provider\"",
        ),
        (
            json!({ "provider": "desec", "hosts": ["a"] }),
            json!([ddns_user(), { "name": "ddns2", "passwordFile": "/run/secrets/d2", "roles": ["domain-provider"] }]),
            "users",
            "2 users are tagged domain-provider",
        ),
        (
            json!({ "provider": "nosuch", "hosts": ["a"] }),
            json!([ddns_user()]),
            "domainProvider.provider",
            "not a supported ddns-updater provider",
        ),
        (
            json!({ "provider": "desec", "hosts": ["a b"] }),
            json!([ddns_user()]),
            "domainProvider.hosts[0]",
            "not a host label",
        ),
        (
            json!({ "provider": "desec", "hosts": ["*"], "domain": "dyn.example.net" }),
            json!([ddns_user()]),
            "domainProvider.hosts",
            "only wildcards",
        ),
    ] {
        assert_error_at(
            json!({ "domainProvider": provider, "users": users }),
            path,
            needle,
        );
    }
}

#[test]
fn settings_entries_follow_each_providers_keys() {
    for (provider, username, domain, key, login_key) in [
        ("dyn", Some("me"), None, "client_key", Some("username")),
        (
            "luadns",
            Some("me@example.com"),
            None,
            "token",
            Some("email"),
        ),
        (
            "goip",
            Some("me"),
            Some("goip.de"),
            "password",
            Some("username"),
        ),
        ("namecheap", None, None, "password", None),
        ("gandi", None, None, "personal_access_token", None),
    ] {
        let mut options = json!({ "provider": provider, "hosts": ["mail"] });
        if let Some(u) = username {
            options["username"] = json!(u);
        }
        if let Some(d) = domain {
            options["domain"] = json!(d);
        }
        let p = plan(json!({ "domainProvider": options, "users": [ddns_user()] }));
        let entry = &p.ddns.settings[0];
        assert_eq!(entry[key], mailplan::plan::REDACTED, "{provider}");
        assert_eq!(
            entry.len(),
            4 + usize::from(login_key.is_some()),
            "{provider}: {entry:?}"
        );
        if let (Some(k), Some(u)) = (login_key, username) {
            assert_eq!(entry[k], u, "{provider}");
        }
        assert_eq!(entry["ip_version"], "ipv4");
        assert_eq!(p.ddns.secret_key.as_deref(), Some(key));
    }
    let p = plan(
        json!({ "domainProvider": { "provider": "desec", "hosts": ["mail"] }, "users": [ddns_user()] }),
    );
    assert_eq!(
        p.ddns.environment["PUBLICIPV4_HTTP_PROVIDERS"],
        "ipify,icanhazip"
    );
    assert_eq!(p.ddns.environment["PUBLICIP_FETCHERS"], "http");
}

#[test]
fn the_apex_cannot_be_a_cname_to_the_dyndns_name() {
    assert_error_at(
        json!({
            "mailHostname": "example.com",
            "domainProvider": { "provider": "noip", "hosts": ["x"], "username": "me", "domain": "ddns.net" },
            "users": [ddns_user()],
        }),
        "mailHostname",
        "zone apex",
    );
}

// Rule 3: SPF.

#[test]
fn spf_extras_merge_dedupe_in_stable_order() {
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.gmail.com", "user": "n@example.com", "passwordFile": "/run/secrets/g" },
        "spf": { "extra": ["include:sendgrid.net", "mx", "include:_spf.google.com", "ip4:192.0.2.0/24", "include:sendgrid.net"] },
    }));
    assert_eq!(
        p.spf,
        "v=spf1 mx include:_spf.google.com include:sendgrid.net ip4:192.0.2.0/24 -all"
    );
    assert_eq!(record(&p, "TXT", "example.com").unwrap(), p.spf);
}

#[test]
fn spf_over_ten_lookups_is_an_error() {
    let extra: Vec<String> = (0..10)
        .map(|i| format!("include:s{i}.example.net"))
        .collect();
    assert_error_at(
        json!({ "publicIP": STATIC, "spf": { "extra": extra } }),
        "spf.extra",
        "11 DNS lookups",
    );
    let extra: Vec<String> = (0..9)
        .map(|i| format!("include:s{i}.example.net"))
        .collect();
    plan(json!({ "publicIP": STATIC, "spf": { "extra": extra } }));
}

#[test]
fn spf_errors_name_their_field() {
    assert_error_at(
        json!({ "spf": { "all": "+all" } }),
        "spf.all",
        "every server on the internet",
    );
    assert_error_at(
        json!({ "spf": { "extra": ["include:ok.example", "redirect=x.example"] } }),
        "spf.extra[1]",
        "modifier",
    );
    assert_error_at(
        json!({ "spf": { "extra": ["all"] } }),
        "spf.extra[0]",
        "set by spf.all",
    );
}

#[test]
fn spf_ptr_is_warned_about() {
    let p = plan(json!({ "publicIP": STATIC, "spf": { "extra": ["ptr"] } }));
    assert!(warned(&p, "ptr mechanism"));
}

// Rule 4: the decision tree.

#[test]
fn standalone_contradictions_recommend_a_smarthost() {
    let p = plan(
        json!({ "domainProvider": { "provider": "desec", "hosts": ["mail"] }, "users": [ddns_user()] }),
    );
    assert!(warned(&p, "standalone without a static public IPv4"));
    let p = plan(json!({ "publicIP": STATIC, "isp": { "rdns": false, "port25Outbound": true } }));
    assert!(warned(&p, "isp.rdns = false"));
    let p = plan(json!({ "publicIP": STATIC, "isp": { "rdns": true, "port25Outbound": false } }));
    assert!(warned(&p, "blocks outbound port 25"));
    let p = plan(json!({ "publicIP": STATIC }));
    assert!(warned(&p, "dig -x 203.0.113.5"));
    assert!(warned(&p, "nc -vz -w 5 gmail-smtp-in.l.google.com 25"));
    // With a mailbox to receive the DMARC reports, nothing is left to say.
    let p = plan(json!({
        "publicIP": STATIC,
        "isp": { "rdns": true, "port25Outbound": true },
        "users": [ { "name": "bob", "roles": ["mailbox"], "passwordFile": "/run/secrets/bob" } ],
    }));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn a_smarthost_needs_no_rdns_or_port_25() {
    let p = plan(json!({
        "isp": { "rdns": false, "port25Outbound": false },
        "domainProvider": { "provider": "desec", "hosts": ["mail"] },
        "users": [ddns_user()],
        "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey", "passwordFile": "/run/secrets/sg" },
    }));
    assert!(!warned(&p, "standalone"), "{:?}", p.warnings);
}

#[test]
fn a_relay_on_port_25_behind_a_blocking_isp_is_an_error() {
    assert_error_at(
        json!({
            "isp": { "port25Outbound": false },
            "mailRelay": { "host": "smtp.sendgrid.net", "port": 25, "user": "apikey", "passwordFile": "/run/secrets/sg" },
        }),
        "mailRelay.port",
        "isp.port25Outbound = false",
    );
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.sendgrid.net", "port": 25, "user": "apikey", "passwordFile": "/run/secrets/sg" },
    }));
    assert!(warned(&p, "relaying on port 25"));
}

// AAAA only with a v6 PTR.

#[test]
fn aaaa_needs_the_v6_ptr() {
    let p = plan(json!({ "publicIP": STATIC, "publicIPv6": "2001:db8::25" }));
    assert!(record(&p, "AAAA", "mail.example.com").is_none());
    assert!(warned(&p, "not published as AAAA"));
    assert_eq!(
        p.postfix.main["inet_protocols"].to_string(),
        "ipv4",
        "no v6 identity: deliver over v4 only"
    );
    let p = plan(json!({ "publicIP": STATIC, "publicIPv6": "2001:db8::25", "ipv6Ptr": true }));
    assert_eq!(
        record(&p, "AAAA", "mail.example.com").unwrap(),
        "2001:db8::25"
    );
    assert!(!p.postfix.main.contains_key("inet_protocols"));
    assert_error_at(
        json!({ "ipv6Ptr": true }),
        "ipv6Ptr",
        "publicIPv6 is not set",
    );
    assert_error_at(
        json!({
            "publicIPv6": "2001:db8::25", "ipv6Ptr": true,
            "domainProvider": { "provider": "noip", "hosts": ["x"], "username": "me", "domain": "ddns.net" },
            "users": [ddns_user()],
        }),
        "publicIPv6",
        "cannot carry an AAAA",
    );
}

// Inbound MX choices.

#[test]
fn inbound_relay_points_mx_at_the_provider() {
    let p = plan(
        json!({ "publicIP": STATIC, "inbound": { "kind": "relay", "mx": ["mx1.example.net", "mx2.example.net"] } }),
    );
    let mx: Vec<String> = p
        .dns_records
        .iter()
        .filter(|r| r.record_type() == "MX")
        .map(|r| r.data.value())
        .collect();
    assert_eq!(mx, ["10 mx1.example.net", "20 mx2.example.net"]);
    assert_eq!(p.firewall[0].port, 25);
    assert!(p.firewall[0].reason.contains("inbound relay"));
    let single = plan(
        json!({ "publicIP": STATIC, "inbound": { "kind": "relay", "mx": "smtp.google.com" } }),
    );
    assert_eq!(single.inbound.mx.len(), 1);
}

#[test]
fn a_pmg_on_the_lan_gets_port_25_and_delivers_on_26() {
    let p = plan(
        json!({ "publicIP": STATIC, "inbound": { "kind": "pmg", "host": "pmg.example.com", "ip": "192.168.10.5" } }),
    );
    assert_eq!(p.firewall[0].port, 25);
    assert_eq!(p.firewall[0].target, mailplan::firewall::Target::Pmg);
    assert_eq!(
        record(&p, "A", "pmg.example.com").unwrap(),
        STATIC,
        "the LAN PMG's name carries the WAN address"
    );
    assert_eq!(p.inbound.delivery_port, 26);
    assert!(p.vm_firewall.iter().any(|r| r.port == 26));
}

#[test]
fn inbound_errors_name_their_field() {
    for (inbound, path, needle) in [
        (
            json!({ "kind": "relay" }),
            "inbound.mx",
            "is required with kind = \"relay\"",
        ),
        (
            json!({ "kind": "pmg", "ip": "198.51.100.25" }),
            "inbound.host",
            "is required",
        ),
        (
            json!({ "kind": "pmg", "host": "pmg.example.com" }),
            "inbound.ip",
            "is required",
        ),
        (
            json!({ "kind": "self", "mx": "mx.example.net" }),
            "inbound.mx",
            "only used with kind = \"relay\"",
        ),
        (
            json!({ "kind": "relay", "mx": ["a.example.net"], "host": "pmg.example.net" }),
            "inbound.host",
            "only used with kind = \"pmg\"",
        ),
        (json!({ "kind": "mx" }), "inbound.kind", "unknown variant"),
        (
            json!({ "kind": "relay", "mx": ["a.example.net", "a.example.net"] }),
            "inbound.mx[1]",
            "listed twice",
        ),
        (
            json!({ "kind": "pmg", "host": "pmg.example.com", "ip": "127.0.0.1" }),
            "inbound.ip",
            "cannot be a PMG's address",
        ),
    ] {
        assert_error_at(
            json!({ "publicIP": STATIC, "inbound": inbound }),
            path,
            needle,
        );
    }
}

// TLS mode and internalClientsOnly.

#[test]
fn tls_modes() {
    let p = plan(json!({ "publicIP": STATIC }));
    assert_eq!(
        p.tls.cert_file,
        "/var/lib/acme/mail.example.com/fullchain.pem"
    );
    assert!(!p.firewall.iter().any(|r| r.port == 80));
    let p = plan(json!({ "publicIP": STATIC, "tls": "http-01", "internalClientsOnly": true }));
    let ports: Vec<u16> = p.firewall.iter().map(|r| r.port).collect();
    assert_eq!(
        ports,
        [25, 443, 80],
        "HTTP-01 keeps 80 open even for internal clients"
    );
    assert_error_at(json!({ "tls": "tls-alpn-01" }), "tls", "unknown variant");
}

#[test]
fn internal_clients_only_forwards_25_and_443() {
    let p = plan(json!({ "publicIP": STATIC, "internalClientsOnly": true }));
    let ports: Vec<u16> = p.firewall.iter().map(|r| r.port).collect();
    assert_eq!(ports, [25, 443]);
    let vm: Vec<u16> = p.vm_firewall.iter().map(|r| r.port).collect();
    assert_eq!(
        vm,
        [25, 465, 587, 993, 443],
        "LAN clients still reach every service"
    );
}

#[test]
fn webmail_off_closes_443() {
    let p = plan(json!({ "publicIP": STATIC }));
    assert!(p.webmail, "webmail is on unless declared off");
    let p = plan(json!({ "publicIP": STATIC, "webmail": false }));
    assert!(!p.webmail);
    let wan: Vec<u16> = p.firewall.iter().map(|r| r.port).collect();
    assert_eq!(
        wan,
        [25, 465, 587, 993],
        "nothing listens on 443 to forward to"
    );
    let vm: Vec<u16> = p.vm_firewall.iter().map(|r| r.port).collect();
    assert_eq!(vm, [25, 465, 587, 993]);
    let p = plan(
        json!({ "publicIP": STATIC, "webmail": false, "internalClientsOnly": true, "tls": "http-01" }),
    );
    let wan: Vec<u16> = p.firewall.iter().map(|r| r.port).collect();
    assert_eq!(wan, [25, 80], "HTTP-01 still needs 80 without webmail");
    assert_error_at(json!({ "webmail": "no" }), "webmail", "boolean");
}

// Postfix relaying parameters.

#[test]
fn postfix_relaying_parameters() {
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.gmail.com", "port": 465, "user": "n@example.com", "passwordFile": "/run/secrets/g" },
    }));
    let main: std::collections::BTreeMap<&str, String> = p
        .postfix
        .main
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_string()))
        .collect();
    assert_eq!(main["relayhost"], "[smtp.gmail.com]:465");
    assert_eq!(main["smtp_tls_wrappermode"], "yes");
    assert_eq!(main["smtp_tls_security_level"], "encrypt");
    assert_eq!(main["smtp_sasl_auth_enable"], "yes");
    assert_eq!(main["smtp_sasl_security_options"], "noanonymous");
    assert!(main["smtpd_relay_restrictions"].contains("reject_unauth_destination"));
    assert_eq!(main["mynetworks"], "127.0.0.1/32, [::1]/128");
    let json = serde_json::to_value(&p.postfix.main).unwrap();
    assert_eq!(
        json["relayhost"],
        json!(["[smtp.gmail.com]:465"]),
        "nixpkgs types relayhost as a list"
    );
    assert_eq!(json["mynetworks"], json!(["127.0.0.1/32", "[::1]/128"]));
    assert!(p.relay.unwrap().implicit_tls);
}

#[test]
fn an_ip_authorised_relay_has_no_sasl() {
    let p = planned(decl(
        json!({ "publicIP": STATIC, "mailRelay": { "host": "smtp-relay.gmail.com" } }),
    ));
    assert!(p.plan.relay.as_ref().unwrap().user.is_none());
    assert!(p.plan.postfix.sasl_password_map.is_none());
    assert!(p.secrets.relay.is_none());
    assert_error_at(
        json!({ "mailRelay": { "host": "smtp.sendgrid.net" } }),
        "mailRelay.user",
        "only relays for authenticated clients",
    );
}

// Secrets.

#[test]
fn secret_rules() {
    assert_error_at(
        json!({ "mailRelay": { "host": "smtp.gmail.com", "user": "n@example.com", "password": "abcdefghijklmnop", "passwordFile": "/run/secrets/g" } }),
        "mailRelay.passwordFile",
        "both set",
    );
    assert_error_at(
        json!({ "mailRelay": { "host": "smtp.gmail.com", "user": "n@example.com" } }),
        "mailRelay.passwordFile",
        "there is no password",
    );
    assert_error_at(
        json!({ "mailRelay": { "host": "smtp.example.net", "password": "x" } }),
        "mailRelay.user",
        "no user to log in with",
    );
    let p = planned(decl(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.example.net", "user": "u", "password": "Hunter2-Secret" },
    })));
    assert!(warned(&p.plan, "mailRelay.password"));
    assert!(
        !serde_json::to_string(&p.plan)
            .unwrap()
            .contains("Hunter2-Secret")
    );
    assert_eq!(
        p.secrets.relay.unwrap().sasl_passwd_line().unwrap(),
        "[smtp.example.net]:587 u:Hunter2-Secret\n"
    );
    let p = planned(decl(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.example.net", "user": "u", "passwordFile": "/run/secrets/r" },
    })));
    assert!(
        p.secrets.relay.unwrap().sasl_passwd_line().is_none(),
        "file secrets are read at run time"
    );
}

#[test]
fn injection_characters_are_refused() {
    for (extra, path) in [
        (
            json!({ "mailRelay": { "host": "smtp.example.net\nrelayhost = evil" } }),
            "mailRelay.host",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u\nx", "passwordFile": "/run/secrets/r" } }),
            "mailRelay.user",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u:x", "passwordFile": "/run/secrets/r" } }),
            "mailRelay.user",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "password": "a\nb" } }),
            "mailRelay.password",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "password": "a\u{0}b" } }),
            "mailRelay.password",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "passwordFile": "/run/secrets/a b" } }),
            "mailRelay.passwordFile",
        ),
        (json!({ "domain": "exa,mple.com" }), "domain"),
        (
            json!({ "mailHostname": "mail.example.com, evil.example" }),
            "mailHostname",
        ),
        (
            json!({ "spf": { "extra": ["include:a.example\" evil"] } }),
            "spf.extra[0]",
        ),
        (
            json!({ "dmarc": { "rua": "a@example.com;ruf=x" } }),
            "dmarc.rua",
        ),
        (json!({ "dkimSelector": "default\nx" }), "dkimSelector"),
        (json!({ "name": "Example\nCorp" }), "name"),
        (
            json!({ "domainProvider": { "provider": "noip", "hosts": ["x"], "username": "me\"x" } }),
            "domainProvider.username",
        ),
    ] {
        let e = error(extra);
        assert_eq!(e.problems()[0].path, path, "{e}");
    }
}

// Hostnames, DMARC, DKIM.

#[test]
fn mail_hostname_and_dkim_selector() {
    let p = plan(
        json!({ "publicIP": STATIC, "mailHostname": "smtp.example.com", "dkimSelector": "2026q1" }),
    );
    assert_eq!(p.hostname.as_str(), "smtp.example.com");
    assert_eq!(p.postfix.main["myhostname"].to_string(), "smtp.example.com");
    assert_eq!(p.dkim.record_name, "2026q1._domainkey.example.com");
    assert_eq!(
        p.dkim.private_key_file,
        "/var/lib/opendkim/keys/example.com/2026q1.private"
    );
    assert!(record(&p, "TXT", "2026q1._domainkey.example.com").is_some());
    let outside = plan(json!({ "publicIP": STATIC, "mailHostname": "mx.hosting.example" }));
    assert!(warned(&outside, "is outside example.com"));
    assert!(record(&outside, "A", "mx.hosting.example").is_none());
}

#[test]
fn dmarc_policy_and_reports() {
    let p = plan(
        json!({ "publicIP": STATIC, "dmarc": { "policy": "reject", "rua": "mailto:dmarc@example.com" } }),
    );
    assert_eq!(p.dmarc, "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
    let p = plan(json!({ "publicIP": STATIC, "dmarc": { "rua": "reports@dmarc.example.net" } }));
    assert!(warned(&p, "example.com._report._dmarc.dmarc.example.net"));
    assert_error_at(
        json!({ "dmarc": { "policy": "strict" } }),
        "dmarc.policy",
        "unknown variant",
    );
}

// Field-level validation errors.

#[test]
fn value_errors_name_their_field() {
    for (extra, path, needle) in [
        (
            json!({ "mailRelay": { "host": "smtp.gmail.com", "port": 70000 } }),
            "mailRelay.port",
            "70000 is not a TCP port (1-65535)",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.gmail.com", "port": "587" } }),
            "mailRelay.port",
            "write the port as a number",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.gmail.com", "port": 0 } }),
            "mailRelay.port",
            "not a TCP port",
        ),
        (
            json!({ "mailRelay": { "port": 587 } }),
            "mailRelay.host",
            "is required",
        ),
        (json!({ "publicIP": "10.0.0.5" }), "publicIP", "private"),
        (
            json!({ "publicIP": "100.64.1.1" }),
            "publicIP",
            "carrier-grade NAT",
        ),
        (
            json!({ "publicIP": "300.1.1.1" }),
            "publicIP",
            "not an IPv4 address",
        ),
        (
            json!({ "publicIPv6": "fe80::1" }),
            "publicIPv6",
            "link-local",
        ),
        (json!({ "domain": "localhost" }), "domain", "single label"),
        (
            json!({ "domain": "example.com." }),
            "domain",
            "trailing dot",
        ),
        (
            json!({ "publicIp": STATIC }),
            "publicIp",
            "is not a known attribute",
        ),
        (
            json!({ "users": [{ "name": "a", "relay": { "host": "smtp.gmail.com", "prot": 1 } }] }),
            "users[0].relay.prot",
            "is not a known attribute",
        ),
        (
            json!({ "isp": { "port25Outbound": "yes" } }),
            "isp.port25Outbound",
            "invalid type",
        ),
        (
            json!({ "internalClientsOnly": 1 }),
            "internalClientsOnly",
            "invalid type",
        ),
        (
            json!({ "users": [{ "name": "a@example.com", "passwordFile": "secrets/a" }] }),
            "users[0].passwordFile",
            "absolute path",
        ),
    ] {
        assert_error_at(extra, path, needle);
    }
    let e = mailplan::plan_json(r#"{ "name": "X" }"#).unwrap_err();
    assert_eq!(e.problems()[0].path, "domain");
}

#[test]
fn several_problems_are_reported_together() {
    let e = error(json!({
        "inbound": { "kind": "pmg" },
        "users": [{ "name": "alice@example.com" }],
    }));
    let paths: Vec<&str> = e.problems().iter().map(|p| p.path.as_str()).collect();
    assert!(
        paths.contains(&"inbound.host")
            && paths.contains(&"inbound.ip")
            && paths.contains(&"users[0].passwordFile"),
        "{paths:?}"
    );
}

#[test]
fn lists_are_never_read_as_records_or_names() {
    assert_error_at(
        json!({ "mailRelay": ["smtp.gmail.com", 587] }),
        "mailRelay",
        "invalid type: a list, expected struct MailRelayOptions",
    );
    assert_error_at(
        json!({ "users": [{ "name": "a", "roles": [["mailbox"]] }] }),
        "users[0].roles[0]",
        "invalid type: a list, expected a string naming a variant",
    );
    assert_error_at(
        json!({ "isp": [true, true] }),
        "isp",
        "invalid type: a list",
    );
}

// Review fixes.

/// Every text a failing declaration prints.
fn error_text(extra: Value) -> String {
    let e = error(extra);
    format!("{e}\n{e:?}")
}

fn noip() -> Value {
    json!({ "provider": "noip", "hosts": ["laufentaler"], "username": "me", "domain": "ddns.net" })
}

#[test]
fn mx_never_points_at_the_mail_hosts_cname() {
    // An inbound relay listing the mail host, which dyndns makes a CNAME.
    let e = error_text(json!({
        "domainProvider": noip(),
        "users": [ddns_user()],
        "inbound": { "kind": "relay", "mx": ["mx1.example.net", "mail.example.com"] },
    }));
    assert!(e.contains("inbound.mx[1]: mail.example.com is a CNAME to the dyndns name laufentaler.ddns.net here"), "{e}");
    assert!(
        e.contains("RFC 2181 §10.3") && e.contains("list laufentaler.ddns.net instead"),
        "{e}"
    );
    // With a static address the mail host has an A record: a fine backup MX.
    let p = plan(json!({
        "publicIP": STATIC,
        "inbound": { "kind": "relay", "mx": ["mx1.example.net", "mail.example.com"] },
    }));
    assert!(mailplan::mx_never_points_at_a_cname(&p));
}

#[test]
fn a_public_pmg_needs_a_name_of_its_own() {
    for extra in [
        json!({ "publicIP": STATIC }),
        json!({ "domainProvider": noip(), "users": [ddns_user()] }),
        json!({}),
    ] {
        let mut d = extra.clone();
        d["inbound"] = json!({ "kind": "pmg", "host": "mail.example.com", "ip": "198.51.100.25" });
        assert_error_at(
            d,
            "inbound.host",
            "mail.example.com already has the site's own address",
        );
    }
    assert_error_at(
        json!({
            "publicIP": STATIC,
            "inbound": { "kind": "pmg", "host": "mail.example.com", "ip": "198.51.100.25" },
        }),
        "inbound.host",
        "a PMG on the internet (198.51.100.25) needs its own name for the MX, e.g. pmg.example.com",
    );
    // A name the dyndns updater keeps at the WAN address is taken too.
    assert_error_at(
        json!({
            "domainProvider": { "provider": "desec", "hosts": ["home"] },
            "users": [ddns_user()],
            "inbound": { "kind": "pmg", "host": "home.example.com", "ip": "198.51.100.25" },
        }),
        "inbound.host",
        "home.example.com already has the site's own address (mailHostname or domainProvider.hosts)",
    );
    let p = plan(json!({
        "publicIP": STATIC,
        "inbound": { "kind": "pmg", "host": "pmg.example.com", "ip": "198.51.100.25" },
    }));
    assert_eq!(record(&p, "A", "pmg.example.com").unwrap(), "198.51.100.25");
    assert_eq!(record(&p, "A", "mail.example.com").unwrap(), STATIC);
}

#[test]
fn standalone_spf_names_the_mail_vm_when_mx_points_elsewhere() {
    let relay_in = json!({ "kind": "relay", "mx": ["mx1.example.net"] });
    let p = plan(json!({ "publicIP": STATIC, "inbound": relay_in }));
    assert_eq!(p.spf, "v=spf1 mx ip4:203.0.113.5 -all");
    let p = plan(json!({
        "publicIP": STATIC, "publicIPv6": "2001:db8::25", "ipv6Ptr": true, "inbound": relay_in,
    }));
    assert_eq!(p.spf, "v=spf1 mx ip4:203.0.113.5 ip6:2001:db8::25 -all");
    let p = plan(json!({ "domainProvider": noip(), "users": [ddns_user()], "inbound": relay_in }));
    assert_eq!(p.spf, "v=spf1 mx a:mail.example.com -all");
    let p = plan(json!({
        "publicIP": STATIC,
        "inbound": { "kind": "pmg", "host": "pmg.example.net", "ip": "198.51.100.25" },
    }));
    assert_eq!(p.spf, "v=spf1 mx ip4:203.0.113.5 -all");
    // MX at the mail host, or a smarthost: `mx` / the provider cover it.
    assert_eq!(plan(json!({ "publicIP": STATIC })).spf, "v=spf1 mx -all");
    let p = plan(json!({
        "publicIP": STATIC, "inbound": relay_in,
        "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey", "passwordFile": "/run/secrets/sg" },
    }));
    assert_eq!(p.spf, "v=spf1 mx include:sendgrid.net -all");
}

#[test]
fn the_mail_vms_a_term_counts_against_the_lookup_budget() {
    let includes = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("include:s{i}.example.net"))
            .collect()
    };
    let relay_in = json!({ "kind": "relay", "mx": ["mx1.example.net"] });
    // mx + a:mail.example.com + 9 includes = 11.
    assert_error_at(
        json!({ "inbound": relay_in, "spf": { "extra": includes(9) } }),
        "spf.extra",
        "11 DNS lookups (mx, a:mail.example.com, include:s0.example.net",
    );
    plan(json!({ "inbound": relay_in, "spf": { "extra": includes(8) } }));
    // ip4: costs no lookup.
    plan(json!({ "publicIP": STATIC, "inbound": relay_in, "spf": { "extra": includes(9) } }));
}

#[test]
fn login_errors_never_quote_the_login() {
    let key = "SG.Zq7secretsecretsecret.xw9";
    let e = error_text(json!({
        "mailRelay": { "host": "smtp.sendgrid.net", "user": key, "passwordFile": "/run/secrets/sg" },
    }));
    assert!(
        e.contains("mailRelay.user: looks like a SendGrid API key (starts with SG.): SendGrid's SMTP user is literally \"apikey\"; the API key goes in passwordFile (or password)"),
        "{e}"
    );
    assert!(!e.contains("Zq7secret"), "{e}");
    let e = error_text(json!({
        "users": [{ "name": key, "roles": ["mail-relay"], "relay": { "host": "smtp.sendgrid.net" }, "passwordFile": "/run/secrets/sg" }],
    }));
    assert!(
        e.contains("users[0].name: looks like a SendGrid API key"),
        "{e}"
    );
    assert!(!e.contains("Zq7secret"), "{e}");
    for (host, user, needle) in [
        (
            "smtp.gmail.com",
            "zqxwabcdefghijkl",
            "and this user is not one (value not shown",
        ),
        (
            "smtp.office365.com",
            "Zq7xw-relay",
            "is not one (value not shown",
        ),
        (
            "smtp.mailgun.org",
            "key-Zq7xw0123456789abcdef",
            "and this user is not one (value not shown",
        ),
    ] {
        let e = error_text(
            json!({ "mailRelay": { "host": host, "user": user, "passwordFile": "/run/secrets/r" } }),
        );
        assert!(e.contains("mailRelay.user: ") && e.contains(needle), "{e}");
        assert!(!e.contains(&user[..7]), "{e}");
    }
    // Login syntax errors, and warnings about the user, quote nothing.
    let e = error_text(json!({
        "mailRelay": { "host": "smtp.example.net", "user": "Zq7xw secret", "passwordFile": "/run/secrets/r" },
    }));
    assert!(
        e.contains("mailRelay.user: contains a space") && !e.contains("Zq7xw"),
        "{e}"
    );
    for host in ["in-v3.mailjet.com", "email-smtp.eu-west-1.amazonaws.com"] {
        let p = plan(json!({
            "publicIP": STATIC,
            "mailRelay": { "host": host, "user": "Zq7xwsecret", "passwordFile": "/run/secrets/r" },
        }));
        assert!(warned(&p, "mailRelay.user: "), "{:?}", p.warnings);
        assert!(
            !p.warnings.iter().any(|w| w.contains("Zq7xw")),
            "{:?}",
            p.warnings
        );
    }
    // Users are identified by index; long names are left out.
    let p = plan(
        json!({ "publicIP": STATIC, "users": [{ "name": "Zq7xwLongSecretish", "passwordFile": "/run/secrets/c" }] }),
    );
    assert!(warned(&p, "users[0] has no roles"), "{:?}", p.warnings);
    assert!(!p.warnings.iter().any(|w| w.contains("Zq7xw")));
}

fn nix_error(extra: Value) -> (String, String) {
    let d = decl(extra);
    match attrset_de::from_tree::<mailplan::Declaration, _>(attrset_de::NixJson(&d)) {
        Ok(_) => panic!("a Nix path was accepted as a secret"),
        Err(e) => (e.path(), e.message().to_string()),
    }
}

#[test]
fn secrets_are_never_read_from_the_nix_store_or_a_path_value() {
    for (extra, path) in [
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "passwordFile": "/nix/store/0a1b-relay-pass" } }),
            "mailRelay.passwordFile",
        ),
        (
            json!({ "users": [{ "name": "alice@example.com", "passwordFile": "/nix/store/0a1b-alice" }] }),
            "users[0].passwordFile",
        ),
    ] {
        assert_error_at(
            extra,
            path,
            "is inside /nix/store, which every local user can read",
        );
    }
    assert_error_at(
        json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "password": "/nix/store/0a1b-relay-pass" } }),
        "mailRelay.password",
        "is a Nix store path, not a secret",
    );
    // A Nix path value (`password = ./relay-pass;`) is refused, not used as
    // the password text; so is a path literal as passwordFile.
    for (extra, path, needle) in [
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "password": "path:/home/op/site/relay-pass" } }),
            "mailRelay.password",
            "is a Nix path, not the secret's text",
        ),
        (
            json!({ "users": [{ "name": "alice@example.com", "password": "path:/home/op/site/alice" }] }),
            "users[0].password",
            "is a Nix path",
        ),
        (
            json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "passwordFile": "path:/home/op/site/relay-pass" } }),
            "mailRelay.passwordFile",
            "write the path as a string",
        ),
        (
            json!({ "users": [{ "name": "alice@example.com", "passwordFile": "path:/home/op/site/alice" }] }),
            "users[0].passwordFile",
            "write the path as a string",
        ),
    ] {
        let (at, message) = nix_error(extra);
        assert_eq!(at, path, "{message}");
        assert!(message.contains(needle), "{message}");
        assert!(!message.contains("/home/op"), "{message}");
    }
    // The same reader still takes ordinary strings.
    let d = decl(
        json!({ "mailRelay": { "host": "smtp.example.net", "user": "u", "passwordFile": "/run/secrets/r" } }),
    );
    attrset_de::from_tree::<mailplan::Declaration, _>(attrset_de::NixJson(&d)).unwrap();
}

#[test]
fn manual_a_records_are_warned_about() {
    let manual = "no publicIP and no domainProvider: nothing updates the A records (mail.example.com and others marked manual)";
    let p = plan(json!({}));
    assert!(warned(&p, manual), "{:?}", p.warnings);
    let p = plan(
        json!({ "inbound": { "kind": "pmg", "host": "pmg.example.com", "ip": "192.168.10.5" } }),
    );
    assert!(warned(&p, manual), "{:?}", p.warnings);
    let pmg = p
        .dns_records
        .iter()
        .find(|r| r.name == "pmg.example.com")
        .unwrap();
    assert_eq!(
        pmg.source,
        mailplan::dns::RecordSource::Operator,
        "marked manual in the sheet"
    );
    assert!(!warned(
        &plan(json!({ "publicIP": STATIC })),
        "nothing updates the A records"
    ));
    let p = plan(json!({ "domainProvider": noip(), "users": [ddns_user()] }));
    assert!(
        !warned(&p, "nothing updates the A records"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_bare_name_and_its_address_are_one_mailbox() {
    for second in ["bob@example.com", "Bob@example.com"] {
        let e = error(json!({ "users": [
            { "name": "bob", "passwordFile": "/run/secrets/b1", "roles": ["mailbox"] },
            { "name": "carol@example.com", "passwordFile": "/run/secrets/c" },
            { "name": second, "passwordFile": "/run/secrets/b2" },
        ]}));
        let problem = e
            .problems()
            .iter()
            .find(|p| p.path == "users[2].name")
            .unwrap_or_else(|| panic!("{e}"));
        assert!(
            problem
                .message
                .contains("users[0] and users[2] are one mailbox on example.com"),
            "{problem}"
        );
    }
}

// Issue 11 item 4: a mailbox's address is its Dovecot login, which Dovecot
// lowercases (%Lu) and checks against auth_username_chars; a passwd-file
// and a texthash table read a leading '#' as a comment.

#[test]
fn mailbox_addresses_are_lowercase_and_every_accepted_shape_keeps_its_name() {
    let planned = planned(decl(json!({ "publicIP": STATIC, "users": [
        { "name": "Alice@example.com", "passwordFile": "/run/secrets/alice" },
        { "name": "Bob", "passwordFile": "/run/secrets/bob", "roles": ["mailbox"] },
        { "name": "first.last", "passwordFile": "/run/secrets/fl", "roles": ["mailbox"] },
        { "name": "Info-Desk@EXAMPLE.com", "passwordFile": "/run/secrets/id" },
        { "name": "a_b", "passwordFile": "/run/secrets/ab", "roles": ["mailbox"] },
        { "name": "2024", "passwordFile": "/run/secrets/digits", "roles": ["mailbox"] },
        { "name": "x1@example.com", "passwordFile": "/run/secrets/x1" },
    ]})));
    let expected = [
        "alice@example.com",
        "bob@example.com",
        "first.last@example.com",
        "info-desk@example.com",
        "a_b@example.com",
        "2024@example.com",
        "x1@example.com",
    ];
    let boxes: Vec<String> = planned
        .plan
        .mailboxes
        .iter()
        .map(|m| m.address.to_string())
        .collect();
    assert_eq!(boxes, expected, "the plan's mailboxes");
    let secret_boxes: Vec<String> = planned
        .secrets
        .mailboxes
        .iter()
        .map(|(address, _)| address.to_string())
        .collect();
    assert_eq!(secret_boxes, expected, "the secrets' mailboxes");
    // The declaring user's name is kept as declared (nothing logs in with it).
    assert_eq!(planned.plan.mailboxes[0].user.as_str(), "Alice@example.com");
    let json = serde_json::to_value(&planned.plan).unwrap();
    assert_eq!(json["mailboxes"][0]["address"], "alice@example.com");
}

#[test]
fn logins_that_are_not_mailboxes_are_left_as_declared() {
    let p = plan(json!({ "publicIP": STATIC, "users": [
        relay_user("Sales+Relay@example.com", "smtp.gmail.com"),
        { "name": "#DynUser", "passwordFile": "/run/secrets/d", "roles": ["domain-provider"] },
    ]}));
    assert!(p.mailboxes.is_empty());
    assert_eq!(
        p.relay.unwrap().user.unwrap().as_str(),
        "Sales+Relay@example.com"
    );
}

#[test]
fn mailbox_names_that_could_never_log_in_are_refused_with_the_reason() {
    let plus = "contains '+': Dovecot refuses it in logins (auth_username_chars)";
    let comment = "turns its line into a comment in postfix's and Dovecot's tables";
    let edge = "mailbox names start and end with a letter or digit";
    for (name, roles, needle) in [
        ("bob+sales@example.com", json!([]), plus),
        ("bob+sales", json!(["mailbox"]), plus),
        (
            "Bob+Sales@example.com",
            json!(["mailbox", "mail-relay"]),
            plus,
        ),
        ("#info@example.com", json!([]), "starts with '#', which"),
        ("#info@example.com", json!([]), comment),
        ("#info", json!(["mailbox"]), comment),
        (
            "in#fo",
            json!(["mailbox"]),
            "contains '#': Dovecot refuses it in logins",
        ),
        (
            "a!b@example.com",
            json!([]),
            "contains '!': Dovecot refuses",
        ),
        ("x%y", json!(["mailbox"]), "contains '%'"),
        ("a/b", json!(["mailbox"]), "contains '/'"),
        ("a=b", json!(["mailbox"]), "contains '='"),
        ("~a", json!(["mailbox"]), "contains '~'"),
        ("-info@example.com", json!([]), "starts with '-'"),
        ("-info", json!(["mailbox"]), edge),
        ("info_", json!(["mailbox"]), "ends with '_'"),
        ("_info@example.com", json!([]), edge),
        ("info-@example.com", json!([]), "ends with '-'"),
        (
            "a..b",
            json!(["mailbox"]),
            "letters, digits, '.', '-', '_'; value not shown",
        ),
        (
            ".ab",
            json!(["mailbox"]),
            "letters, digits, '.', '-', '_'; value not shown",
        ),
    ] {
        let mut user = json!({ "name": name, "passwordFile": "/run/secrets/x", "roles": roles });
        if roles.as_array().unwrap().iter().any(|r| r == "mail-relay") {
            user["relay"] = json!({ "host": "smtp.gmail.com" });
        }
        let e = error(json!({ "publicIP": STATIC, "users": [user] }));
        let problem = e
            .problems()
            .iter()
            .find(|p| p.path == "users[0].name")
            .unwrap_or_else(|| panic!("{name}: no error at users[0].name; got:\n{e}"));
        assert!(
            problem.message.contains(needle),
            "{name}: {problem} lacks {needle:?}"
        );
        // The name may be a pasted secret: only the offending character
        // is named, never the value.
        let local = name.split('@').next().unwrap();
        assert!(
            !problem.message.contains(local),
            "{name}: {problem} quotes the name"
        );
        assert!(
            !problem.message.contains('\n') && problem.message.split(". ").count() == 1,
            "{name}: {problem} is not one sentence"
        );
    }
}

#[test]
fn mailboxes_that_differ_only_in_case_are_one_mailbox() {
    for (first, second, needle) in [
        (
            "alice@example.com",
            "Alice@example.com",
            "declared twice (also users[0])",
        ),
        (
            "Alice",
            "alice@EXAMPLE.com",
            "users[0] and users[1] are one mailbox",
        ),
    ] {
        let e = error(json!({ "publicIP": STATIC, "users": [
            { "name": first, "passwordFile": "/run/secrets/a", "roles": ["mailbox"] },
            { "name": second, "passwordFile": "/run/secrets/b" },
        ]}));
        assert!(
            e.problems()
                .iter()
                .any(|p| p.path == "users[1].name" && p.message.contains(needle)),
            "{first} / {second}: {e}"
        );
    }
}

#[test]
fn inbound_mx_lists_are_capped() {
    let hosts =
        |n: usize| -> Vec<String> { (0..n).map(|i| format!("mx{i}.example.net")).collect() };
    let p = plan(json!({ "publicIP": STATIC, "inbound": { "kind": "relay", "mx": hosts(10) } }));
    let priorities: Vec<u16> = p.inbound.mx.iter().map(|m| m.priority).collect();
    assert_eq!(priorities, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    for n in [11, 7000] {
        assert_error_at(
            json!({ "publicIP": STATIC, "inbound": { "kind": "relay", "mx": hosts(n) } }),
            "inbound.mx",
            &format!("lists {n} hosts; at most 10 are accepted"),
        );
    }
}

#[test]
fn ignored_role_users_are_not_errors_and_their_passwords_are_flagged_unused() {
    // Decision: the modules write only the plan's secrets (the chosen
    // relay, the dyndns secret when dyndns runs, mailboxes), so an ignored
    // user's inline password lands nowhere; the warning says it is unused.
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.sendgrid.net", "user": "apikey", "passwordFile": "/run/secrets/sg" },
        "users": [
            { "name": "old-relay", "roles": ["mail-relay"] },
            { "name": "relay2", "password": "Zq7-inline", "roles": ["mail-relay"], "relay": { "host": "smtp.gmail.com" } },
            { "name": "ddns", "password": "Zq7-token", "roles": ["domain-provider"] },
            { "name": "noreply@example.com", "password": "Zq7-box", "roles": ["mail-relay", "mailbox"] },
        ],
    }));
    assert!(
        warned(
            &p,
            "users[0] (old-relay) is tagged mail-relay, but mailRelay is set and wins; that user is unused; remove it"
        ),
        "{:?}",
        p.warnings
    );
    assert!(
        warned(
            &p,
            "users[1] (relay2) is tagged mail-relay, but mailRelay is set and wins; that user is unused; remove it (its inline password sits in the declaration"
        ),
        "{:?}",
        p.warnings
    );
    assert!(
        warned(
            &p,
            "users[2] (ddns) is tagged domain-provider, but dyndns is skipped (publicIP is static); that user is unused; remove it (its inline password sits"
        ),
        "{:?}",
        p.warnings
    );
    assert!(
        warned(
            &p,
            "users[3] (noreply@example.com) is tagged mail-relay, but mailRelay is set and wins; that role is ignored (the mailbox stays)"
        ),
        "{:?}",
        p.warnings
    );
    let inline = p
        .warnings
        .iter()
        .find(|w| w.starts_with("inline passwords land"))
        .unwrap();
    assert!(inline.contains("users[3].password"), "{inline}");
    assert!(
        !inline.contains("users[1]") && !inline.contains("users[2]"),
        "{inline}"
    );
    assert!(!p.warnings.iter().any(|w| w.contains("Zq7")));
    // Without mailRelay the relay user's requirements still hold.
    assert_error_at(
        json!({ "users": [{ "name": "old-relay", "passwordFile": "/run/secrets/r", "roles": ["mail-relay"] }] }),
        "users[0].relay",
        "is required for a mail-relay user",
    );
}

#[test]
fn microsoft_365_smtp_auth_is_flagged() {
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "smtp.office365.com", "user": "relay@example.onmicrosoft.com", "passwordFile": "/run/secrets/m365" },
    }));
    assert!(
        warned(
            &p,
            "smtp.office365.com: Microsoft is retiring Basic authentication for SMTP AUTH in Exchange Online, and the password login fails (5.7.139 / 5.7.30) once the tenant disables it"
        ),
        "{:?}",
        p.warnings
    );
    assert!(warned(
        &p,
        "Confirm Authenticated SMTP is on for the mailbox"
    ));
    assert!(warned(
        &p,
        "connector (<tenant>.mail.protection.outlook.com:25, authorised by the site's static IP or a certificate) or another provider"
    ));
    let hint = p.relay.unwrap().credential_hint;
    assert!(
        hint.contains("Authenticated SMTP") && hint.contains("5.7.139"),
        "{hint}"
    );
    // The connector (no SASL) is what the warning recommends.
    let p = plan(
        json!({ "publicIP": STATIC, "mailRelay": { "host": "example-com.mail.protection.outlook.com", "port": 25 } }),
    );
    assert!(!warned(&p, "retiring"), "{:?}", p.warnings);
}

#[test]
fn a_private_relay_address_is_not_published_in_spf() {
    let p = plan(json!({
        "publicIP": STATIC,
        "mailRelay": { "host": "10.0.0.5", "port": 25 },
    }));
    assert_eq!(p.spf, "v=spf1 mx -all");
    assert!(
        warned(
            &p,
            "mailRelay.host: 10.0.0.5 is not a public address, so SPF leaves out ip4:10.0.0.5; add the relay's public sending address to spf.extra"
        ),
        "{:?}",
        p.warnings
    );
    assert!(warned(
        &p,
        "add the relay's public sending address to spf.extra"
    ));
    let mut user = relay_user("relay", "192.168.1.25");
    user["relay"]["port"] = json!(25);
    let p = plan(json!({ "publicIP": STATIC, "users": [user] }));
    assert!(
        warned(
            &p,
            "users[0].relay.host: 192.168.1.25 is not a public address"
        ),
        "{:?}",
        p.warnings
    );
    assert!(!p.spf.contains("192.168"));
    // A LAN PMG sending through the WAN address is covered by `mx`.
    let p = plan(json!({
        "publicIP": STATIC,
        "inbound": { "kind": "pmg", "host": "pmg.example.com", "ip": "192.168.10.5" },
        "mailRelay": { "host": "192.168.10.5", "port": 25 },
    }));
    assert!(
        warned(
            &p,
            "(a PMG sending through the site's WAN address is covered by mx)"
        ),
        "{:?}",
        p.warnings
    );
    // Public addresses are still published.
    let p =
        plan(json!({ "publicIP": STATIC, "mailRelay": { "host": "198.51.100.7", "port": 25 } }));
    assert_eq!(p.spf, "v=spf1 mx ip4:198.51.100.7 -all");
    assert!(!warned(&p, "not a public address"));
}
