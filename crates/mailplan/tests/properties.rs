//! Properties over random declarations: planning never panics, and no
//! secret ever reaches the plan, the zone fragment, a warning or an error.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// A secret: a distinctive marker that cannot occur in output by chance,
/// sometimes with characters that must be refused (newline, NUL, spaces).
fn secret() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9]{12}",
        prop_oneof![
            30 => Just(""),
            1 => Just("\n"),
            1 => Just("\u{0}"),
            1 => Just(" "),
            4 => Just("%!:,\"\\"),
        ],
        any::<bool>(),
    )
        .prop_map(|(core, odd, prefix_sg)| {
            let sg = if prefix_sg { "SG." } else { "" };
            format!("{sg}Zx{core}{odd}")
        })
}

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = Value> {
    proptest::sample::select(options).prop_map(|s| Value::String(s.to_string()))
}

/// Mostly one of `valid`, sometimes one of `invalid`: random declarations
/// must reach the planner often, not only the validator.
fn pick_mostly(
    valid: &'static [&'static str],
    invalid: &'static [&'static str],
) -> impl Strategy<Value = Value> {
    prop_oneof![40 => pick(valid), 1 => pick(invalid)]
}

fn maybe<T: std::fmt::Debug>(
    strategy: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    proptest::option::weighted(0.5, strategy)
}

fn host() -> impl Strategy<Value = Value> {
    pick_mostly(
        &[
            "smtp.gmail.com",
            "smtp-relay.gmail.com",
            "smtp.office365.com",
            "smtp.sendgrid.net",
            "smtp.mailgun.org",
            "in-v3.mailjet.com",
            "email-smtp.eu-west-1.amazonaws.com",
            "pmg.example.com",
            "198.51.100.25",
            "smtp.example.net",
            "10.0.0.5",
            "192.168.1.5",
        ],
        &["bad host", "", "[smtp.gmail.com]:587"],
    )
}

fn port() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => pick(&["587"]),
        1 => (-5i64..70_000).prop_map(Value::from),
        20 => proptest::sample::select(&[25i64, 465, 587, 2525][..]).prop_map(Value::from),
        1 => Just(json!(587.5)),
    ]
}

fn login() -> impl Strategy<Value = Value> {
    pick_mostly(
        &[
            "apikey",
            "noreply@example.com",
            "alice@example.com",
            "bob",
            "bob@example.com",
            "Bob@Example.com",
            "AKIAIOSFODNN7EXAMPLE",
            "0123456789abcdef0123456789abcdef",
            "postmaster@mg.example.com",
            "x@other.net",
        ],
        &["a b", ""],
    )
}

fn password_fields(secret: String) -> impl Strategy<Value = Map<String, Value>> {
    (
        0u8..12,
        pick_mostly(
            &["/run/secrets/relay-pass", "/run/secrets/a"],
            &["relative", "/a b", "/nix/store/0a1b-relay-pass"],
        ),
    )
        .prop_map(move |(choice, file)| {
            let mut m = Map::new();
            match choice {
                0 | 5..=8 => {
                    m.insert("password".into(), Value::String(secret.clone()));
                }
                1 | 9..=11 => {
                    m.insert("passwordFile".into(), file);
                }
                2 => {
                    m.insert("password".into(), Value::String(secret.clone()));
                    m.insert("passwordFile".into(), file);
                }
                3 if secret.len().is_multiple_of(4) => {
                    // A secret in a wrong-typed position must not be echoed.
                    m.insert("password".into(), json!([secret.clone()]));
                }
                _ => {}
            }
            m
        })
}

fn user(secret: String) -> impl Strategy<Value = Value> {
    (
        login(),
        password_fields(secret),
        proptest::sample::subsequence(&["mail-relay", "domain-provider", "mailbox"][..], 0..=3),
        maybe((host(), maybe(port())).prop_map(|(h, p)| {
            let mut relay = json!({ "host": h });
            if let Some(p) = p {
                relay["port"] = p;
            }
            relay
        })),
    )
        .prop_map(|(name, mut fields, roles, relay)| {
            fields.insert("name".into(), name);
            // Mostly consistent: a relay endpoint exactly on mail-relay users.
            let consistent = fields.len() % 7 != 0;
            let is_relay = roles.contains(&"mail-relay");
            fields.insert("roles".into(), json!(roles));
            if let Some(relay) = relay.filter(|_| is_relay || !consistent) {
                fields.insert("relay".into(), relay);
            } else if is_relay && consistent {
                fields.insert("relay".into(), json!({ "host": "smtp.sendgrid.net" }));
            }
            Value::Object(fields)
        })
}

fn domain_provider() -> impl Strategy<Value = Value> {
    (
        pick_mostly(
            &["noip", "duckdns", "desec", "namecheap"],
            &["dyn", "cloudflare", "nosuch"],
        ),
        proptest::collection::vec(
            pick_mostly(&["mail", "laufentaler", "@", "*", "home"], &["a b", ""]),
            1..3,
        ),
        maybe(login()),
        proptest::option::weighted(0.1, pick(&["password", "token", "client_key", "secret"])),
        maybe(pick_mostly(
            &["ddns.net", "duckdns.org", "example.com"],
            &["bad..zone"],
        )),
    )
        .prop_map(|(provider, hosts, username, secret_key, domain)| {
            let mut dp = json!({ "provider": provider, "hosts": hosts });
            if let Some(u) = username {
                dp["username"] = u;
            }
            if let Some(k) = secret_key {
                dp["secretKey"] = k;
            }
            if let Some(d) = domain {
                dp["domain"] = d;
            }
            dp
        })
}

/// `inbound.mx`: one host or a list, sometimes the mail host itself
/// (a CNAME under dyndns), rarely far too many.
fn inbound_mx() -> impl Strategy<Value = Value> {
    let one = || {
        pick_mostly(
            &[
                "mx.example.net",
                "smtp.google.com",
                "mail.example.com",
                "laufentaler.ddns.net",
            ],
            &["bad mx"],
        )
    };
    prop_oneof![
        10 => one(),
        10 => proptest::collection::vec(one(), 1..4).prop_map(Value::Array),
        1 => (9usize..13).prop_map(|n| json!((0..n).map(|i| format!("mx{i}.example.net")).collect::<Vec<_>>())),
        1 => Just(json!((0..7000).map(|i| format!("mx{i}.example.net")).collect::<Vec<_>>())),
    ]
}

fn inbound() -> impl Strategy<Value = Value> {
    (
        pick_mostly(&["self", "relay", "pmg"], &["other"]),
        maybe(inbound_mx()),
        maybe(pick(&[
            "pmg.example.com",
            "pmg.example.net",
            "mail.example.com",
            "home.example.com",
        ])),
        maybe(pick_mostly(
            &["198.51.100.25", "192.168.1.5"],
            &["127.0.0.1"],
        )),
    )
        .prop_map(|(kind, mx, host, ip)| {
            // Mostly consistent: only the fields the kind uses.
            let consistent = mx.is_some() || host.is_none();
            let mut inbound = json!({ "kind": kind });
            if let Some(mx) = mx.filter(|_| kind == "relay" || !consistent) {
                inbound["mx"] = mx;
            }
            if let Some(host) = host.filter(|_| kind == "pmg" || !consistent) {
                inbound["host"] = host;
            }
            if let Some(ip) = ip.filter(|_| kind == "pmg" || !consistent) {
                inbound["ip"] = ip;
            }
            inbound
        })
}

prop_compose! {
    fn declaration()(
        secrets in proptest::collection::vec(secret(), 6),
        domain in pick_mostly(&["example.com", "laufentaler.ch", "Example.COM"], &["bad..domain", "localhost"]),
        hostname in proptest::option::weighted(0.2, pick_mostly(&["mail.example.com", "example.com", "mx.hosting.example"], &["bad host"])),
        public_ip in maybe(pick_mostly(&["203.0.113.5"], &["10.0.0.1", "nope"])),
        public_ipv6 in proptest::option::weighted(0.2, pick_mostly(&["2001:db8::25"], &["fe80::1"])),
        ipv6_ptr in proptest::option::weighted(0.1, any::<bool>().prop_map(Value::from)),
        relay in maybe((host(), maybe(port()), proptest::option::weighted(0.9, login()))),
        dp in maybe(domain_provider()),
        inbound in maybe(inbound()),
        internal in maybe(any::<bool>().prop_map(Value::from)),
        tls in maybe(pick_mostly(&["dns-01", "http-01"], &["tls-alpn-01"])),
        spf_extra in proptest::collection::vec(pick_mostly(&["include:_spf.google.com", "mx", "ip4:192.0.2.0/24", "a", "ptr", "include:x.example"], &["+all", "redirect=x.example"]), 0..4),
        isp in (maybe(any::<bool>().prop_map(Value::from)), maybe(any::<bool>().prop_map(Value::from))),
        unknown in proptest::option::weighted(0.02, Just(())),
        relay_password in 0u8..3,
    ) -> (Value, Vec<String>) {
        let mut d = json!({ "name": "ExampleCorp", "domain": domain });
        if let Some(h) = hostname { d["mailHostname"] = h; }
        if let Some(ip) = public_ip { d["publicIP"] = ip; }
        if let Some(ip) = public_ipv6 { d["publicIPv6"] = ip; }
        if let Some(p) = ipv6_ptr { d["ipv6Ptr"] = p; }
        if let Some((h, p, u)) = relay {
            let mut r = json!({ "host": h });
            if let Some(p) = p { r["port"] = p; }
            if let Some(u) = u { r["user"] = u; }
            match relay_password {
                0 => r["password"] = Value::String(secrets[0].clone()),
                1 => r["passwordFile"] = json!("/run/secrets/relay-pass"),
                _ => {}
            }
            d["mailRelay"] = r;
        }
        if let Some(dp) = dp { d["domainProvider"] = dp; }
        if let Some(i) = inbound { d["inbound"] = i; }
        if let Some(i) = internal { d["internalClientsOnly"] = i; }
        if let Some(t) = tls { d["tls"] = t; }
        d["spf"] = json!({ "extra": spf_extra });
        let mut isp_value = json!({});
        if let Some(v) = isp.0 { isp_value["port25Outbound"] = v; }
        if let Some(v) = isp.1 { isp_value["rdns"] = v; }
        d["isp"] = isp_value;
        if unknown.is_some() { d["unexpected"] = json!(secrets[5].clone()); }
        (d, vec![secrets[0].clone(), secrets[5].clone()])
    }
}

/// What must hold for every plan, whatever the declaration.
fn check_invariants(declaration: &Value, plan: &mailplan::Plan) -> Result<(), String> {
    let records = &plan.dns_records;
    // RFC 2181 §10.3 and RFC 1034 §3.6.2: MX never at a CNAME, a CNAME
    // alone at its name, one A record per name.
    if !mailplan::mx_never_points_at_a_cname(plan) {
        return Err("an MX points at a CNAME".into());
    }
    for r in records {
        let others = records.iter().filter(|o| o.name == r.name).count() - 1;
        let more_a = records
            .iter()
            .filter(|o| o.name == r.name && o.record_type() == "A")
            .count();
        if (r.record_type() == "CNAME" && others > 0) || more_a > 1 {
            return Err(format!("{} has conflicting records", r.name));
        }
    }
    // MX priorities are distinct and small.
    let priorities: Vec<u16> = plan.inbound.mx.iter().map(|m| m.priority).collect();
    if priorities.windows(2).any(|w| w[0] >= w[1]) || priorities.iter().any(|p| *p > 100) {
        return Err(format!("MX priorities {priorities:?}"));
    }
    // No secret file in the world-readable store.
    let plan_json = serde_json::to_string(plan).unwrap();
    if plan_json.contains("/nix/store") {
        return Err("a secret file in /nix/store".into());
    }
    // Standalone, the mail VM itself is authorised by SPF: by `mx` when
    // MX reaches it, else by its own address.
    if plan.mode == mailplan::plan::Mode::Standalone {
        let cname_target = records
            .iter()
            .find(|r| r.record_type() == "CNAME" && r.name == plan.hostname.as_str())
            .map(|r| r.data.value());
        let mx_reaches_vm = plan.inbound.kind == mailplan::declaration::InboundKind::SelfHosted
            || plan.inbound.mx.iter().any(|m| {
                m.host == plan.hostname || Some(m.host.as_str()) == cname_target.as_deref()
            });
        let named = match declaration["publicIP"].as_str() {
            Some(ip) => plan.spf.contains(&format!(" ip4:{ip} ")),
            None => plan.spf.contains(&format!(" a:{} ", plan.hostname)),
        };
        if !mx_reaches_vm && !named {
            return Err(format!("SPF {} does not authorise the mail VM", plan.spf));
        }
    }
    // SPF never carries a private address unless the operator wrote it.
    for term in plan.spf.split(' ').skip(1) {
        if is_private_range(term) {
            return Err(format!("SPF {} publishes a private address", plan.spf));
        }
    }
    // One mailbox per address.
    let mut addresses: Vec<String> = plan
        .mailboxes
        .iter()
        .map(|m| m.address.to_string().to_ascii_lowercase())
        .collect();
    addresses.sort();
    if addresses.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("duplicate mailboxes {addresses:?}"));
    }
    // Manual A records are warned about exactly when nothing updates them.
    let manual =
        declaration.get("publicIP").is_none() && declaration.get("domainProvider").is_none();
    if manual
        != plan
            .warnings
            .iter()
            .any(|w| w.contains("nothing updates the A records"))
    {
        return Err(format!("manual-A warning wrong: {:?}", plan.warnings));
    }
    Ok(())
}

/// Every text the engine can print for a declaration.
fn everything_printed(declaration: &Value) -> String {
    match mailplan::plan_json(&declaration.to_string()) {
        Ok(planned) => {
            let plan = &planned.plan;
            let mut out = serde_json::to_string(plan).unwrap();
            out.push_str(&mailplan::dns::render_zone(&plan.domain, &plan.dns_records));
            out.push_str(&format!("{plan:?}"));
            out.push_str(&format!("{:?}", planned.secrets));
            out
        }
        Err(e) => format!("{e}\n{e:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn random_declarations_never_panic_or_leak((mut declaration, secrets) in declaration(),
                                               users in proptest::collection::vec(secret().prop_flat_map(user), 0..5)) {
        declaration["users"] = Value::Array(users.clone());
        let mut all_secrets = secrets;
        for u in &users {
            match &u["password"] {
                Value::String(s) => all_secrets.push(s.clone()),
                Value::Array(a) => all_secrets.extend(a.iter().filter_map(|v| v.as_str().map(str::to_string))),
                _ => {}
            }
        }
        let printed = everything_printed(&declaration);
        for secret in &all_secrets {
            let start = secret.find("Zx").expect("every secret carries its marker");
            let marker = &secret[start..start + 14];
            prop_assert!(!printed.contains(marker), "secret leaked into:\n{printed}");
        }
        match mailplan::plan_json(&declaration.to_string()) {
            Ok(planned) => {
                if let Err(broken) = check_invariants(&declaration, &planned.plan) {
                    prop_assert!(false, "{broken}\n{declaration}");
                }
            }
            Err(e) => prop_assert!(!e.to_string().contains("internal check failed"), "{e}\n{declaration}"),
        }
    }

    /// A secret pasted into a login field (the relay user, a user's name,
    /// the dyndns username) is never quoted in an error or a warning.
    #[test]
    fn pasted_secrets_in_login_fields_are_never_quoted((mut declaration, _) in declaration(),
                                                       users in proptest::collection::vec(secret().prop_flat_map(user), 1..4),
                                                       pasted in secret(),
                                                       slot in 0u8..3) {
        declaration["users"] = Value::Array(users);
        match slot {
            0 => {
                if !declaration["mailRelay"].is_object() {
                    declaration["mailRelay"] = json!({ "host": "smtp.sendgrid.net", "passwordFile": "/run/secrets/r" });
                }
                declaration["mailRelay"]["user"] = json!(pasted);
            }
            1 => declaration["users"][0]["name"] = json!(pasted),
            _ => {
                if !declaration["domainProvider"].is_object() {
                    declaration["domainProvider"] = json!({ "provider": "noip", "hosts": ["x"], "domain": "ddns.net" });
                }
                declaration["domainProvider"]["username"] = json!(pasted);
            }
        }
        // The plan itself names the login where it is one (relay.user,
        // the ddns settings, mailbox addresses); messages never do.
        let messages = match mailplan::plan_json(&declaration.to_string()) {
            Ok(planned) => planned.plan.warnings.join("\n"),
            Err(e) => format!("{e}\n{e:?}"),
        };
        let start = pasted.find("Zx").expect("every secret carries its marker");
        let marker = &pasted[start..start + 14];
        prop_assert!(!messages.contains(marker), "login quoted in:\n{messages}");
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = mailplan::plan_json(&text);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        let _ = mailplan::plan_json(&value.to_string());
        let _ = mailplan::plan_json(&json!({ "name": "X", "domain": "example.com", "mailRelay": value.clone(), "users": [value] }).to_string());
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
        pick(&[
            "name",
            "domain",
            "example.com",
            "mail-relay",
            "smtp.gmail.com",
            "pmg"
        ]),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    pick(&[
                        "name",
                        "domain",
                        "host",
                        "port",
                        "user",
                        "password",
                        "passwordFile",
                        "roles",
                        "relay",
                        "kind",
                        "mx"
                    ])
                    .prop_map(|v| v.as_str().unwrap().to_string()),
                    "[a-zA-Z]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Not a property: a guard that the generator reaches the planner often
/// enough for the properties above to mean something.
#[test]
fn random_declarations_often_plan_successfully() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (
        declaration(),
        proptest::collection::vec(secret().prop_flat_map(user), 0..3),
    );
    let mut planned = 0;
    for _ in 0..1000 {
        let ((mut declaration, _), users) = strategy.new_tree(&mut runner).unwrap().current();
        declaration["users"] = Value::Array(users);
        planned += usize::from(mailplan::plan_json(&declaration.to_string()).is_ok());
    }
    assert!(
        planned >= 150,
        "only {planned} of 1000 random declarations planned"
    );
}

/// True for an `ip4:`/`ip6:` term inside a private range (RFC 1918,
/// carrier-grade NAT 100.64/10, unique local fc00::/7), which no receiver
/// on the internet ever sees. An oracle of its own, not the engine's.
fn is_private_range(term: &str) -> bool {
    let (address, len) = match term.split_once('/') {
        Some((address, len)) => (address, len.parse::<u8>().ok()),
        None => (term, None),
    };
    if let Some(Ok(ip)) = address
        .strip_prefix("ip4:")
        .map(str::parse::<std::net::Ipv4Addr>)
    {
        let [a, b, ..] = ip.octets();
        let prefix = match (a, b) {
            (10, _) => 8,
            (172, 16..=31) => 12,
            (192, 168) => 16,
            (100, 64..=127) => 10,
            _ => return false,
        };
        return len.unwrap_or(32) >= prefix;
    }
    if let Some(Ok(ip)) = address
        .strip_prefix("ip6:")
        .map(str::parse::<std::net::Ipv6Addr>)
    {
        return ip.segments()[0] & 0xfe00 == 0xfc00 && len.unwrap_or(128) >= 7;
    }
    false
}

#[test]
fn the_private_range_oracle() {
    for private in [
        "ip4:10.0.0.5",
        "ip4:172.16.0.0/12",
        "ip4:192.168.1.0/24",
        "ip4:100.64.0.1",
        "ip6:fd00::1",
    ] {
        assert!(is_private_range(private), "{private}");
    }
    for public in [
        "ip4:192.0.2.1",
        "ip4:172.32.0.1",
        "ip4:8.0.0.0/7",
        "ip6:2001:db8::1",
        "a:mail.example.com",
        "ip4:10.0.0.0/7",
    ] {
        assert!(!is_private_range(public), "{public}");
    }
}
