//! The committed plugin, `nix/mailplan.wasm`, run through the reference
//! host: every example and random variations of them give the same plan
//! as the native engine, errors carry the same field paths, and Nix-only
//! values (functions, paths) are handled cleanly.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use nix_wasm_host::{CallError, Host, NixString, NixValue, Plugin, function};
use proptest::prelude::*;
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plugin() -> Arc<Plugin> {
    static PLUGIN: OnceLock<Arc<Plugin>> = OnceLock::new();
    PLUGIN
        .get_or_init(|| {
            let host = Box::leak(Box::new(Host::new().unwrap()));
            host.plugin(&repo().join("nix/mailplan.wasm")).unwrap()
        })
        .clone()
}

fn examples() -> Vec<(String, Value)> {
    let mut examples: Vec<(String, Value)> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "json").then(|| {
                let text = std::fs::read_to_string(&path).unwrap();
                (
                    path.file_stem().unwrap().to_string_lossy().into_owned(),
                    serde_json::from_str(&text).unwrap(),
                )
            })
        })
        .collect();
    examples.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(examples.len() >= 12);
    examples
}

/// The native engine's answer: the plan as JSON, or the error text.
fn native(declaration: &Value) -> Result<mailplan::Planned, mailplan::Error> {
    mailplan::plan_json(&declaration.to_string())
}

fn wasm(function: &str, declaration: &NixValue) -> Result<Value, CallError> {
    plugin()
        .call(function, declaration)
        .map(|outcome| outcome.value.to_json().unwrap())
}

/// The error the plugin reports for a declaration the engine refuses.
fn wasm_error(declaration: &Value) -> String {
    match wasm("plan", &NixValue::from_json(declaration)) {
        Ok(plan) => panic!("the plugin planned {declaration}: {plan}"),
        Err(CallError::Panic(message)) => message,
        Err(other) => panic!("not a clean error: {other:?}"),
    }
}

#[test]
fn every_example_plans_identically_through_the_plugin() {
    for (name, declaration) in examples() {
        let planned = native(&declaration).unwrap_or_else(|e| panic!("{name}: {e}"));
        let plan = serde_json::to_value(&planned.plan).unwrap();
        let arg = NixValue::from_json(&declaration);
        let through_wasm = wasm("plan", &arg).unwrap();
        assert_eq!(
            serde_json::to_string(&through_wasm).unwrap(),
            serde_json::to_string(&plan).unwrap(),
            "{name}: plans differ"
        );
        assert_eq!(wasm("spf", &arg).unwrap(), plan["spf"], "{name}");
        assert_eq!(
            wasm("dnsRecords", &arg).unwrap(),
            plan["dnsRecords"],
            "{name}"
        );
        assert_eq!(wasm("relay", &arg).unwrap(), plan["relay"], "{name}");
        assert_eq!(wasm("ddns", &arg).unwrap(), plan["ddns"], "{name}");
        assert_eq!(
            wasm("zone", &arg).unwrap(),
            mailplan::dns::render_zone(&planned.plan.domain, &planned.plan.dns_records),
            "{name}"
        );
    }
}

#[test]
fn secrets_travel_only_through_the_secrets_entry_point() {
    let declaration = json!({
        "name": "X", "domain": "example.com", "publicIP": "203.0.113.5",
        "mailRelay": { "host": "smtp.example.net", "user": "u", "password": "Sekr3t-Relay" },
        "users": [
            { "name": "alice@example.com", "passwordFile": "/run/secrets/alice" },
            { "name": "bob", "password": "Sekr3t-Bob", "roles": ["mailbox"] },
        ],
    });
    let arg = NixValue::from_json(&declaration);
    let plan = serde_json::to_string(&wasm("plan", &arg).unwrap()).unwrap();
    assert!(!plan.contains("Sekr3t"), "{plan}");
    let secrets = wasm("secrets", &arg).unwrap();
    assert_eq!(
        secrets,
        json!({
            "relay": { "mapKey": "[smtp.example.net]:587", "user": "u", "password": "Sekr3t-Relay", "passwordFile": null },
            "ddns": null,
            "mailboxes": [
                { "address": "alice@example.com", "password": null, "passwordFile": "/run/secrets/alice" },
                { "address": "bob@example.com", "password": "Sekr3t-Bob", "passwordFile": null },
            ],
        })
    );
}

#[test]
fn errors_name_the_same_field_as_natively() {
    for (declaration, path) in [
        (
            json!({ "name": "X", "domain": "example.com", "mailRelay": { "host": "smtp.gmail.com", "port": 70000 } }),
            "mailRelay.port",
        ),
        (json!({ "name": "X" }), "domain"),
        (
            json!({ "name": "X", "domain": "example.com", "publicIp": "1.2.3.4" }),
            "publicIp",
        ),
        (
            json!({ "name": "X", "domain": "example.com", "users": [{ "name": "a", "roles": ["admin"] }] }),
            "users[0].roles[0]",
        ),
        (
            json!({ "name": "X", "domain": "example.com", "users": [{ "name": "a", "relay": { "host": "x.example", "prot": 1 } }] }),
            "users[0].relay.prot",
        ),
        (
            json!({ "name": "X", "domain": "example.com", "inbound": { "kind": "pmg" } }),
            "inbound.host",
        ),
        (
            json!({ "name": "X", "domain": "example.com", "spf": { "extra": ["ok.example", "all"] } }),
            "spf.extra[0]",
        ),
        (
            json!({ "name": "X", "domain": "example.com", "mailRelay": { "host": "smtp.sendgrid.net", "user": "bob", "passwordFile": "/run/s" } }),
            "mailRelay.user",
        ),
    ] {
        let native = native(&declaration).unwrap_err();
        assert_eq!(native.problems()[0].path, path, "native: {native}");
        let message = wasm_error(&declaration);
        assert_eq!(
            message,
            format!("mailplan: invalid declaration\n{native}"),
            "{declaration}"
        );
    }
}

#[test]
fn secrets_in_wrong_places_are_not_echoed() {
    let declaration = json!({ "name": "X", "domain": "example.com",
        "mailRelay": { "host": "smtp.example.net", "user": "u", "password": ["Sekr3t-List"] } });
    let message = wasm_error(&declaration);
    assert!(
        message.contains("mailRelay.password: must be a string"),
        "{message}"
    );
    assert!(!message.contains("Sekr3t"), "{message}");
}

fn with(declaration: &Value, key: &str, value: NixValue) -> NixValue {
    let NixValue::Attrs(attrs) = NixValue::from_json(declaration) else {
        unreachable!()
    };
    let mut entries: Vec<(NixString, NixValue)> = attrs
        .iter()
        .filter(|(n, _)| **n != key)
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    entries.push((key.into(), value));
    NixValue::attrs(entries).unwrap()
}

fn panic_message(result: Result<Value, CallError>) -> String {
    match result {
        Err(CallError::Panic(message)) => message,
        other => panic!("expected a clean error, got {other:?}"),
    }
}

#[test]
fn nix_only_values_get_clean_errors() {
    let base = json!({ "name": "X", "domain": "example.com", "publicIP": "203.0.113.5" });
    let message = panic_message(wasm(
        "plan",
        &with(&base, "domain", function("f", |_| Ok(NixValue::Null))),
    ));
    assert!(
        message.contains("domain: invalid type: a function, expected a string"),
        "{message}"
    );

    let message = panic_message(wasm("plan", &with(&base, "tls", NixValue::Float(1.5))));
    assert!(
        message.starts_with("mailplan: invalid declaration\ntls: "),
        "{message}"
    );

    let relay = NixValue::attrs([
        ("host", NixValue::string("smtp.gmail.com")),
        ("port", NixValue::Float(587.0)),
    ])
    .unwrap();
    let message = panic_message(wasm("plan", &with(&base, "mailRelay", relay)));
    assert!(
        message.contains(
            "mailRelay.port: is a floating-point number; write the port as the whole number 587"
        ),
        "{message}"
    );

    // A Nix path literal as a secret file is refused: interpolated by a
    // module, it would copy the secret into the store.
    let path_relay = NixValue::attrs([
        ("host", NixValue::string("smtp.example.net")),
        ("user", NixValue::string("u")),
        ("passwordFile", NixValue::Path("/run/secrets/relay".into())),
    ])
    .unwrap();
    let message = panic_message(wasm("plan", &with(&base, "mailRelay", path_relay)));
    assert!(
        message.contains("mailRelay.passwordFile: write the path as a string"),
        "{message}"
    );

    // An attribute the engine never reads is never forced.
    let lazy = with(
        &base,
        "isp",
        NixValue::attrs([("rdns", NixValue::Bool(true))]).unwrap(),
    );
    assert!(wasm("plan", &lazy).is_ok());
    let throwing = with(&base, "isp", NixValue::throw("isp was evaluated"));
    assert_eq!(
        wasm("plan", &throwing).unwrap_err().to_string(),
        "isp was evaluated",
        "a value the declaration needs is forced, and its error is Nix's"
    );
}

#[test]
fn long_unicode_and_large_declarations() {
    let long_name = format!("{}.example.com", "a".repeat(60));
    let declaration = json!({ "name": "Ünïcode", "domain": "example.com" });
    let message = wasm_error(&declaration);
    assert!(
        message.contains("name: \"Ünïcode\" is not a customer name"),
        "{message}"
    );

    // Strings longer than the guest's first read buffer, with multi-byte
    // characters across its boundary, both ways through the ABI.
    let long_unicode = "Ünïcödé-".repeat(40);
    assert!(long_unicode.len() >= 256);
    let declaration = json!({ "name": long_unicode, "domain": "example.com" });
    let message = wasm_error(&declaration);
    assert!(message.contains(&long_unicode[..99]), "{message}");
    let native_message = native(&declaration).unwrap_err().to_string();
    assert!(
        message.ends_with(&native_message),
        "the same error text natively ({native_message}) and through the plugin ({message})"
    );

    let users: Vec<Value> = (0..2000)
        .map(|i| json!({ "name": format!("user{i}@example.com"), "passwordFile": format!("/run/secrets/u{i}") }))
        .collect();
    let big = json!({ "name": "Big", "domain": "example.com", "publicIP": "203.0.113.5",
        "mailHostname": long_name, "users": users });
    let plan = wasm("plan", &NixValue::from_json(&big)).unwrap();
    assert_eq!(plan["mailboxes"].as_array().unwrap().len(), 2000);
    assert_eq!(
        plan,
        serde_json::to_value(native(&big).unwrap().plan).unwrap()
    );
}

/// Native and plugin give the same answer, through `plan` and `zone`: the
/// same plan and zone text, or the same error text (the plugin's message
/// ends with the native one).
fn assert_same_answer(what: &str, declaration: &Value) {
    let argument = NixValue::from_json(declaration);
    let native = native(declaration);
    for function in ["plan", "zone"] {
        let expected = native.as_ref().map(|planned| match function {
            "plan" => serde_json::to_value(&planned.plan).unwrap(),
            _ => Value::String(mailplan::dns::render_zone(
                &planned.plan.domain,
                &planned.plan.dns_records,
            )),
        });
        match (expected, wasm(function, &argument)) {
            (Ok(expected), Ok(answer)) => assert_eq!(answer, expected, "{what} ({function})"),
            (Err(error), Err(CallError::Panic(message))) => {
                let error = error.to_string();
                assert!(
                    message.ends_with(&error),
                    "{what} ({function}): natively {error}, through the plugin {message}"
                );
            }
            (native, plugin) => panic!(
                "{what} ({function}): natively {:?}, through the plugin {plugin:?}",
                native.map(|_| "an answer").map_err(|e| e.to_string())
            ),
        }
    }
}

#[test]
fn the_largest_inputs_get_the_native_answer_never_a_trap() {
    let base = |extra: Value| {
        let mut declaration =
            json!({ "name": "Big", "domain": "example.com", "publicIP": "203.0.113.5" });
        declaration
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        declaration
    };
    let users = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "name": format!("u{i}"), "roles": ["mailbox"], "passwordFile": format!("/run/secrets/u{i}") }))
            .collect()
    };
    let ip4_terms = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("ip4:198.51.{}.{}", i / 250, i % 250))
            .collect()
    };
    let dyndns_hosts = |n: usize| {
        json!({ "name": "Big", "domain": "example.com",
            "domainProvider": { "provider": "desec", "hosts": (0..n).map(|i| format!("h{i}")).collect::<Vec<_>>() },
            "users": [ { "name": "ddns", "passwordFile": "/run/t", "roles": ["domain-provider"] } ] })
    };
    let cases = [
        (
            "5,000 mailboxes, the most accepted",
            base(json!({ "users": users(5000) })),
        ),
        ("5,001 mailboxes", base(json!({ "users": users(5001) }))),
        (
            "256 SPF terms, too long a record",
            base(json!({ "spf": { "extra": ip4_terms(256) } })),
        ),
        (
            "5,000 SPF terms",
            base(json!({ "spf": { "extra": ip4_terms(5000) } })),
        ),
        (
            "the longest SPF record accepted",
            base(json!({ "spf": { "extra": ip4_terms(110) } })),
        ),
        ("100 dyndns hosts", dyndns_hosts(100)),
        (
            "a selector of 32,757 labels",
            base(json!({ "dkimSelector": vec!["a"; 32_757].join(".") })),
        ),
        ("40,000 mailboxes", base(json!({ "users": users(40_000) }))),
        (
            "40,000 SPF terms",
            base(json!({ "spf": { "extra": ip4_terms(40_000) } })),
        ),
        ("40,000 dyndns hosts", dyndns_hosts(40_000)),
        (
            "an attribute name of 10 MB",
            base(json!({ "x".repeat(10_000_000): true })),
        ),
        (
            "an attribute name with control characters",
            base(json!({ "\u{1b}[2J\nname\u{7}": true })),
        ),
        (
            "a domain of 10 MB",
            json!({ "name": "Big", "domain": "a".repeat(10_000_000), "publicIP": "203.0.113.5" }),
        ),
    ];
    for (what, declaration) in &cases {
        assert_same_answer(what, declaration);
    }
}

/// What nix/lib's `flatten` does before every call: rebuild every set as
/// a new flat one (`builtins.mapAttrs`), through lists too.
fn flatten(value: &NixValue) -> NixValue {
    match value.force().unwrap() {
        NixValue::Attrs(attrs) => {
            NixValue::attrs(attrs.iter().map(|(n, v)| (n.clone(), flatten(v)))).unwrap()
        }
        NixValue::List(items) => NixValue::list(items.iter().map(flatten).collect()),
        other => other,
    }
}

/// A declaration as the builders make it in Determinate Nix: the example's
/// base `//` the relay user `//` the static address (nix/lib/builders.nix).
fn built_with_update(declaration: &Value) -> NixValue {
    let mut base = declaration.clone();
    let users = base
        .as_object_mut()
        .unwrap()
        .remove("users")
        .unwrap_or(json!([]));
    let address = base.as_object_mut().unwrap().remove("publicIP");
    let mut value = NixValue::from_json(&base)
        .update(&NixValue::from_json(&json!({ "users": users })))
        .unwrap();
    if let Some(address) = address {
        value = value
            .update(&NixValue::from_json(&json!({ "publicIP": address })))
            .unwrap();
    }
    value
}

#[test]
fn layered_sets_from_update_abort_determinate_nix_unless_flattened() {
    for (name, declaration) in examples() {
        let layered = built_with_update(&declaration);
        match plugin().call("plan", &layered) {
            Err(CallError::Host(message)) => assert!(
                message.contains("copy_attrname on a layered attribute set")
                    && message.contains("aborts the whole evaluator"),
                "{name}: {message}"
            ),
            other => panic!("{name}: a layered declaration was read: {other:?}"),
        }
        assert_eq!(
            wasm("plan", &flatten(&layered)).unwrap(),
            wasm("plan", &NixValue::from_json(&declaration)).unwrap(),
            "{name}: the flattened declaration plans as the original"
        );
    }
}

#[test]
fn version_ignores_its_argument() {
    let v = wasm("version", &NixValue::Null).unwrap();
    assert_eq!(v["engine"], "mailplan");
    assert_eq!(v["planFormat"], mailplan::plan::PLAN_FORMAT);
}

/// A random edit of an example: one field replaced, removed or retyped.
fn mutated() -> impl Strategy<Value = Value> {
    let examples = examples();
    let replacements = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..70_000).prop_map(Value::from),
        Just(json!(1.5)),
        "[a-z.@]{0,20}".prop_map(Value::from),
        Just(json!("203.0.113.9")),
        Just(json!("smtp.sendgrid.net")),
        Just(json!(["mail-relay"])),
        Just(json!({})),
        Just(json!([])),
    ];
    (
        0..examples.len(),
        any::<prop::sample::Index>(),
        replacements,
        any::<bool>(),
    )
        .prop_map(move |(which, field, replacement, remove)| {
            let mut declaration = examples[which].1.clone();
            let mut paths = Vec::new();
            collect_paths(&declaration, &mut Vec::new(), &mut paths);
            let path = field.get(&paths).clone();
            set_path(
                &mut declaration,
                &path,
                if remove { None } else { Some(replacement) },
            );
            declaration
        })
}

fn collect_paths(value: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Value::from(key.clone()));
                out.push(prefix.clone());
                collect_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Value::from(i));
                out.push(prefix.clone());
                collect_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn set_path(value: &mut Value, path: &[Value], replacement: Option<Value>) {
    let (last, parents) = path.split_last().expect("paths are non-empty");
    let mut target = value;
    for step in parents {
        target = match step {
            Value::String(key) => &mut target[key.as_str()],
            Value::Number(i) => &mut target[i.as_u64().unwrap() as usize],
            _ => unreachable!(),
        };
    }
    match (last, replacement) {
        (Value::String(key), Some(v)) => target[key.as_str()] = v,
        (Value::String(key), None) => {
            target.as_object_mut().unwrap().remove(key);
        }
        (Value::Number(i), Some(v)) => target[i.as_u64().unwrap() as usize] = v,
        (Value::Number(i), None) => {
            target
                .as_array_mut()
                .unwrap()
                .remove(i.as_u64().unwrap() as usize);
        }
        _ => unreachable!(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    /// Native and plugin agree on every variation: the same plan, or the
    /// same errors, word for word (both read declarations with the same
    /// strict deserializer).
    #[test]
    fn native_and_plugin_agree_on_variations(declaration in mutated()) {
        let through_wasm = wasm("plan", &NixValue::from_json(&declaration));
        match native(&declaration) {
            Ok(planned) => {
                let plan = serde_json::to_value(&planned.plan).unwrap();
                prop_assert_eq!(through_wasm.unwrap(), plan);
            }
            Err(native_error) => {
                let message = match through_wasm {
                    Err(CallError::Panic(message)) => message,
                    other => return Err(TestCaseError::fail(format!("{other:?}"))),
                };
                prop_assert_eq!(message, format!("mailplan: invalid declaration\n{native_error}"));
            }
        }
    }
}
