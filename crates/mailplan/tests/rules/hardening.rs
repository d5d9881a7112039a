//! Defects an adversarial operator found (issue 11), one test each: every
//! one of these failed before its fix. Declarations given whole are merged
//! over the base again by the shared helpers, which changes nothing.

use serde_json::{Value, json};

use super::{assert_error_at, decl, error, planned, warned};

/// The plan of a whole declaration (not merged over the base).
fn plan(declaration: Value) -> mailplan::Plan {
    planned(declaration).plan
}

/// A domain of exactly `len` characters: labels of at most 63 `a`s
/// before `.com`.
fn domain_of_length(len: usize) -> String {
    let mut name = String::from("com");
    while name.len() < len {
        let room = len - name.len() - 1;
        let label = room.min(63);
        // Never leave a single character: a label needs its dot.
        let label = if room - label == 1 { label - 1 } else { label };
        name = format!("{}.{name}", "a".repeat(label));
    }
    assert_eq!(name.len(), len);
    name
}

const STATIC: &str = "203.0.113.5";

fn relayed(host: &str) -> Value {
    json!({ "host": host, "user": "relay@example.com", "passwordFile": "/run/secrets/relay" })
}

// 1. A crash: a DKIM selector without a total length.

#[test]
fn a_selector_of_thousands_of_labels_is_refused_not_a_panic() {
    let selector = vec!["a"; 32_757].join(".");
    assert_error_at(
        decl(json!({ "dkimSelector": selector })),
        "dkimSelector",
        "characters long",
    );
}

#[test]
fn five_long_selector_labels_make_a_name_dns_cannot_hold() {
    let selector = vec!["s".repeat(63); 5].join(".");
    assert_error_at(
        decl(json!({ "dkimSelector": selector })),
        "dkimSelector",
        "at most",
    );
    let selector = vec!["s".repeat(63); 3].join(".");
    let domain = domain_of_length(60);
    assert_error_at(
        json!({ "name": "X", "domain": domain, "dkimSelector": selector }),
        "dkimSelector",
        "DNS allows at most 253",
    );
}

// 2. Sheets a DNS server refuses.

#[test]
fn a_domain_whose_dmarc_name_is_too_long_is_refused() {
    let long = domain_of_length(247);
    assert_error_at(
        json!({ "name": "X", "domain": long, "mailHostname": "mail.example.net" }),
        "domain",
        "_dmarc.<domain> would be 254",
    );
}

#[test]
fn the_dkim_name_breaks_before_the_dmarc_name() {
    let domain = domain_of_length(235);
    assert_error_at(
        json!({ "name": "X", "domain": domain, "mailHostname": "mail.example.net" }),
        "domain",
        "default._domainkey.<domain> would be 254",
    );
    let domain = domain_of_length(234);
    plan(json!({ "name": "X", "domain": domain, "mailHostname": "mail.example.net" }));
}

#[test]
fn an_spf_record_past_the_size_limit_is_refused_and_a_long_one_warned() {
    let extra: Vec<String> = (0..200)
        .map(|i| format!("ip4:198.51.{}.{}", i / 250, i % 250))
        .collect();
    assert_error_at(
        decl(json!({ "publicIP": STATIC, "spf": { "extra": extra } })),
        "spf.extra",
        "characters long; mailplan refuses more than 2048",
    );
    let extra: Vec<String> = (0..30).map(|i| format!("ip4:198.51.100.{i}")).collect();
    let p = plan(decl(
        json!({ "publicIP": STATIC, "spf": { "extra": extra } }),
    ));
    assert!(warned(&p, "RFC 7208 §3.4"), "{:?}", p.warnings);
}

// 3. Input sizes are bounded, on the list's own path.

#[test]
fn lists_longer_than_their_bound_are_refused_with_their_path() {
    let users: Vec<Value> = (0..5001)
        .map(|i| json!({ "name": format!("u{i}"), "roles": ["mailbox"], "passwordFile": "/run/p" }))
        .collect();
    assert_error_at(decl(json!({ "users": users })), "users", "at most 5000");
    let extra: Vec<String> = (0..257)
        .map(|i| format!("ip4:10.0.{}.{}", i / 250, i % 250))
        .collect();
    assert_error_at(
        decl(json!({ "spf": { "extra": extra } })),
        "spf.extra",
        "at most 256",
    );
    let hosts: Vec<String> = (0..101).map(|i| format!("h{i}")).collect();
    assert_error_at(
        decl(json!({ "domainProvider": { "provider": "duckdns", "hosts": hosts } })),
        "domainProvider.hosts",
        "at most 100",
    );
    assert_error_at(
        decl(
            json!({ "users": [ { "name": "bob", "passwordFile": "/run/p",
            "roles": ["mailbox", "mailbox", "mailbox", "mailbox"] } ] }),
        ),
        "users[0].roles",
        "at most 3",
    );
}

#[test]
fn the_largest_accepted_lists_plan() {
    let users: Vec<Value> = (0..5000)
        .map(|i| json!({ "name": format!("u{i}"), "roles": ["mailbox"], "passwordFile": "/run/p" }))
        .collect();
    let p = plan(decl(json!({ "publicIP": STATIC, "users": users })));
    assert_eq!(p.mailboxes.len(), 5000);
    let hosts: Vec<String> = (0..100).map(|i| format!("h{i}")).collect();
    plan(decl(json!({
        "domainProvider": { "provider": "desec", "hosts": hosts },
        "users": [ { "name": "ddns", "passwordFile": "/run/t", "roles": ["domain-provider"] } ],
    })));
}

// 5. The SPF budget counts the nested lookups of the includes we add.

#[test]
fn gmails_nested_includes_count_against_the_budget() {
    let extra: Vec<String> = (0..6)
        .map(|i| format!("include:s{i}.example.net"))
        .collect();
    assert_error_at(
        decl(json!({
            "mailRelay": relayed("smtp.gmail.com"),
            "spf": { "extra": extra },
        })),
        "spf.extra",
        "include:_spf.google.com (4: it includes 3 more)",
    );
    let extra: Vec<String> = (0..5)
        .map(|i| format!("include:s{i}.example.net"))
        .collect();
    let p = plan(decl(json!({
        "mailRelay": relayed("smtp.gmail.com"),
        "spf": { "extra": extra },
    })));
    assert!(
        warned(&p, "does not know how many lookups include:s0.example.net"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_provider_include_written_in_extra_is_counted_with_its_nesting() {
    let e = error(decl(json!({
        "publicIP": STATIC,
        "spf": { "extra": ["include:mailgun.org", "include:_spf.google.com", "a:x.example.net"] },
    })));
    assert!(e.to_string().contains("11 DNS lookups"), "{e}");
}

#[test]
fn every_provider_include_is_in_the_nested_cost_table() {
    use mailplan::declaration::RelayHost;
    use mailplan::provider::{KNOWN_INCLUDES, RelayProvider};
    let host = RelayHost::parse("relay.example.net").unwrap();
    for provider in RelayProvider::ALL {
        let term = provider.spf_term(&host).to_string();
        if let Some(domain) = term.strip_prefix("include:") {
            assert!(
                KNOWN_INCLUDES.iter().any(|k| k.domain == domain),
                "{provider:?}'s include {domain} is not in KNOWN_INCLUDES"
            );
        }
    }
}

// 6. A relay that points back at the VM.

#[test]
fn a_relay_that_loops_back_to_the_vm_is_refused() {
    for host in ["0.0.0.0", "0.0.0.8", "169.254.1.1", "240.0.0.1"] {
        assert_error_at(
            decl(json!({ "mailRelay": relayed(host) })),
            "mailRelay.host",
            "cannot be a relay host",
        );
    }
    for host in ["127.0.0.1", "127.0.0.53", "relay.localhost"] {
        assert_error_at(
            decl(json!({ "mailRelay": relayed(host) })),
            "mailRelay.host",
            "its own postfix listens on port 587",
        );
    }
    // A tunnel on another port of this machine is a relay, not a loop.
    let mut tunnel = relayed("127.0.0.1");
    tunnel["port"] = json!(2525);
    let p = plan(decl(json!({ "mailRelay": tunnel })));
    assert!(
        warned(
            &p,
            "127.0.0.1 is this machine, the mail VM itself: something other than postfix"
        ),
        "{:?}",
        p.warnings
    );
    assert_error_at(
        decl(json!({ "mailRelay": relayed("mail.example.com") })),
        "mailRelay.host",
        "mail loops back to myself",
    );
    assert_error_at(
        decl(json!({ "publicIP": STATIC, "mailRelay": relayed(STATIC) })),
        "mailRelay.host",
        "is publicIP",
    );
    assert_error_at(
        decl(json!({ "users": [ {
            "name": "relay@example.com", "passwordFile": "/run/r", "roles": ["mail-relay"],
            "relay": { "host": "MAIL.example.com" } } ] })),
        "users[0].relay.host",
        "mail loops back to myself",
    );
}

#[test]
fn a_relay_at_a_name_the_dyndns_updater_keeps_loops_back_too() {
    let dyndns = |relay_host: &str, port: u16| {
        json!({
            "domainProvider": { "provider": "noip", "hosts": ["acme"], "domain": "ddns.net",
                "username": "login", "secretKey": "password" },
            "users": [ { "name": "ddns", "passwordFile": "/run/secrets/ddns", "roles": ["domain-provider"] } ],
            "mailRelay": { "host": relay_host, "port": port, "user": "relay@example.com",
                "passwordFile": "/run/secrets/relay" },
        })
    };
    // The mail host is a CNAME to acme.ddns.net, which the updater keeps at
    // the site's WAN address: the VM.
    assert_error_at(
        dyndns("acme.ddns.net", 587),
        "mailRelay.host",
        "acme.ddns.net is kept at this site's WAN address by ddns-updater (acme.ddns.net), the mail VM itself, and its own postfix listens on port 587",
    );
    let tunnel = plan(decl(dyndns("ACME.ddns.net", 2525)));
    assert!(
        warned(
            &tunnel,
            "mailRelay.host: acme.ddns.net is kept at this site's WAN address"
        ),
        "{:?}",
        tunnel.warnings
    );
    // Another name under the provider's domain is someone else's.
    let other = plan(decl(dyndns("relay.ddns.net", 587)));
    assert!(!warned(&other, "WAN address"), "{:?}", other.warnings);
}

// 11. The DMARC report URI is percent-encoded.

#[test]
fn the_dmarc_report_address_is_percent_encoded() {
    let p = plan(decl(json!({
        "publicIP": STATIC,
        "dmarc": { "rua": "mailto:d!r%e?p#o=rt+x@example.com" },
    })));
    assert!(
        p.dmarc
            .ends_with("rua=mailto:d%21r%25e%3Fp%23o%3Drt+x@example.com"),
        "{}",
        p.dmarc
    );
}

// 12. Missing warnings.

#[test]
fn a_custom_relay_on_port_25_with_blocked_port_25_is_warned_about() {
    let mut relay = relayed("relay.example.net");
    relay["port"] = json!(25);
    let p = plan(decl(json!({
        "mailRelay": relay,
        "isp": { "port25Outbound": false },
    })));
    assert!(warned(&p, "isp.port25Outbound = false"), "{:?}", p.warnings);
    // A relay on the LAN does not cross the ISP.
    let mut relay = relayed("192.168.1.20");
    relay["port"] = json!(25);
    let p = plan(decl(json!({
        "mailRelay": relay,
        "isp": { "port25Outbound": false },
    })));
    assert!(
        !warned(&p, "isp.port25Outbound = false"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_dmarc_report_address_nobody_receives_is_warned_about() {
    let sendgrid =
        json!({ "host": "smtp.sendgrid.net", "user": "apikey", "passwordFile": "/run/k" });
    let p = plan(decl(json!({ "mailRelay": sendgrid })));
    assert!(
        warned(&p, "dmarc.rua (default) postmaster@example.com"),
        "{:?}",
        p.warnings
    );
    let p = plan(decl(json!({
        "mailRelay": sendgrid,
        "users": [ { "name": "bob", "roles": ["mailbox"], "passwordFile": "/run/p" } ],
    })));
    assert!(!warned(&p, "dmarc.rua"), "{:?}", p.warnings);
    let p = plan(decl(json!({
        "mailRelay": sendgrid,
        "dmarc": { "rua": "reports@example.com" },
        "users": [ { "name": "bob", "roles": ["mailbox"], "passwordFile": "/run/p" } ],
    })));
    assert!(
        warned(&p, "dmarc.rua reports@example.com"),
        "{:?}",
        p.warnings
    );
}

// Error lines stay bounded however many users they are about.

#[test]
fn thousands_of_relay_users_give_one_bounded_error_line() {
    let users: Vec<Value> = (0..5000)
        .map(|i| {
            json!({ "name": format!("r{i}"), "passwordFile": "/run/r", "roles": ["mail-relay"],
                "relay": { "host": "relay.example.net" } })
        })
        .collect();
    let e = error(decl(json!({ "users": users })));
    let line = e
        .problems()
        .iter()
        .find(|p| p.path == "users")
        .expect("the mail-relay users are named")
        .to_string();
    assert!(line.contains("5000 users are tagged mail-relay"), "{line}");
    assert!(line.contains("and 4995 more"), "{line}");
    assert!(line.len() < 1000, "{}", line.len());
}
