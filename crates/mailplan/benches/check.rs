//! `check` (planning, errors included) on the largest inputs the engine
//! accepts and on the first it refuses, at several sizes, so that the
//! README can show the time grows linearly with the input.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

fn declaration(extra: Value) -> String {
    let mut declaration =
        json!({ "name": "Big", "domain": "example.com", "publicIP": "203.0.113.5" });
    declaration
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    declaration.to_string()
}

fn mailboxes(n: usize) -> String {
    let users: Vec<Value> = (0..n)
        .map(|i| json!({ "name": format!("u{i}"), "roles": ["mailbox"], "passwordFile": format!("/run/secrets/u{i}") }))
        .collect();
    declaration(json!({ "users": users }))
}

fn spf_terms(n: usize) -> String {
    let extra: Vec<String> = (0..n)
        .map(|i| format!("ip4:198.51.{}.{}", i / 250, i % 250))
        .collect();
    declaration(json!({ "spf": { "extra": extra } }))
}

fn ddns_hosts(n: usize) -> String {
    let hosts: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
    json!({ "name": "Big", "domain": "example.com",
        "domainProvider": { "provider": "desec", "hosts": hosts },
        "users": [ { "name": "ddns", "passwordFile": "/run/t", "roles": ["domain-provider"] } ] })
    .to_string()
}

fn check(text: &str) -> bool {
    mailplan::plan_json(text).is_ok()
}

/// A family of inputs: its name, how to make one of size n, the sizes.
type Family = (&'static str, fn(usize) -> String, &'static [usize]);

fn scaling(c: &mut Criterion) {
    let inputs: [Family; 3] = [
        ("mailboxes", mailboxes, &[625, 1250, 2500, 5000]),
        ("spf-extra", spf_terms, &[32, 64, 128, 256]),
        ("ddns-hosts", ddns_hosts, &[25, 50, 100]),
    ];
    for (name, make, sizes) in inputs {
        let mut group = c.benchmark_group(format!("check/{name}"));
        for &n in sizes {
            let text = make(n);
            group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
                b.iter(|| check(black_box(text)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, scaling);
criterion_main!(benches);
