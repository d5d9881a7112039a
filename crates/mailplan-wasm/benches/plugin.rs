//! The plugin's size and speed targets, measured against the native
//! engine in the same run:
//! - `.wasm` size ≤ 192 KiB (printed, and asserted);
//! - `plan` per call through the host, module compiled (instantiate +
//!   init + marshal + run) ≤ 100 µs median for the guide's examples;
//! - 1,000 declarations in one run ≤ 0.2 s through the host;
//! - compiling the module cold ≤ 100 ms.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nix_wasm_host::{Host, NixValue};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> Vec<(String, serde_json::Value)> {
    let mut examples: Vec<_> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "json").then(|| {
                (
                    path.file_stem().unwrap().to_string_lossy().into_owned(),
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap(),
                )
            })
        })
        .collect();
    examples.sort_by(|a, b| a.0.cmp(&b.0));
    examples
}

fn wasm_bytes() -> Vec<u8> {
    std::fs::read(repo().join("nix/mailplan.wasm")).unwrap()
}

/// The native engine doing the same work as one plugin call: read the
/// declaration, plan, build the result value.
fn native_plan(declaration: &serde_json::Value) -> serde_json::Value {
    let declaration = mailplan::from_json_value(declaration).unwrap();
    serde_json::to_value(mailplan::plan(&declaration).unwrap().plan).unwrap()
}

fn size(_: &mut Criterion) {
    let bytes = wasm_bytes().len();
    println!(
        "nix/mailplan.wasm: {bytes} bytes ({:.1} KiB; target ≤ 192 KiB)",
        bytes as f64 / 1024.0
    );
    assert!(bytes <= 192 * 1024, "the plugin is over 192 KiB");
}

fn compile(c: &mut Criterion) {
    let bytes = wasm_bytes();
    let host = Host::new().unwrap();
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function("mailplan.wasm (cold)", |b| {
        b.iter(|| black_box(host.compile("mailplan.wasm", &bytes).unwrap()))
    });
    group.finish();
}

fn per_call(c: &mut Criterion) {
    let host = Host::new().unwrap();
    let plugin = host.compile("mailplan.wasm", &wasm_bytes()).unwrap();
    let mut group = c.benchmark_group("plan");
    for (name, declaration) in examples() {
        let argument = NixValue::from_json(&declaration);
        group.bench_with_input(BenchmarkId::new("wasm", &name), &argument, |b, arg| {
            b.iter(|| black_box(plugin.call("plan", arg).unwrap()))
        });
        group.bench_with_input(
            BenchmarkId::new("native", &name),
            &declaration,
            |b, decl| b.iter(|| black_box(native_plan(decl))),
        );
    }
    group.finish();
}

fn thousand(c: &mut Criterion) {
    let host = Host::new().unwrap();
    let plugin = host.compile("mailplan.wasm", &wasm_bytes()).unwrap();
    let examples = examples();
    let declarations: Vec<NixValue> = (0..1000)
        .map(|i| {
            let mut declaration = examples[i % examples.len()].1.clone();
            declaration["name"] = format!("Customer{i}").into();
            NixValue::from_json(&declaration)
        })
        .collect();
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("1000 declarations through the host", |b| {
        b.iter_custom(|iterations| {
            let start = Instant::now();
            for _ in 0..iterations {
                for declaration in &declarations {
                    black_box(plugin.call("plan", declaration).unwrap());
                }
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, size, compile, per_call, thousand);
criterion_main!(benches);
