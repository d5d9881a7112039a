//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix_wasm_host::{CallError, Host, Limits, NixValue, Plugin};

/// The probe plugin (tests/wat/probe.wat), one entry point per behaviour.
pub fn probe() -> Plugin {
    probe_with(Limits::default())
}

/// The probe plugin on a host with these limits.
pub fn probe_with(limits: Limits) -> Plugin {
    Host::with_limits(limits)
        .unwrap()
        .compile_wat("probe.wat", include_bytes!("../wat/probe.wat"))
        .unwrap()
}

/// The probe plugin as a binary module in a file, `probe.wasm`, as
/// `builtins.wasm { path = …; }` loads plugins.
pub fn probe_wasm() -> PathBuf {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let file = temp_dir("probe").join("probe.wasm");
        std::fs::write(&file, wat::parse_file(probe_wat()).unwrap()).unwrap();
        file
    })
    .clone()
}

/// The probe plugin's source, tests/wat/probe.wat.
pub fn probe_wat() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/wat/probe.wat")
}

/// Every `env` import, with the evaluator's types, for hand-written modules.
pub const IMPORTS: &str = r#"
  (import "env" "panic" (func $panic (param i32 i32)))
  (import "env" "warn" (func $warn (param i32 i32)))
  (import "env" "get_type" (func $get_type (param i32) (result i32)))
  (import "env" "make_int" (func $make_int (param i64) (result i32)))
  (import "env" "get_int" (func $get_int (param i32) (result i64)))
  (import "env" "make_float" (func $make_float (param f64) (result i32)))
  (import "env" "get_float" (func $get_float (param i32) (result f64)))
  (import "env" "make_string" (func $make_string (param i32 i32) (result i32)))
  (import "env" "copy_string" (func $copy_string (param i32 i32 i32) (result i32)))
  (import "env" "make_path" (func $make_path (param i32 i32 i32) (result i32)))
  (import "env" "copy_path" (func $copy_path (param i32 i32 i32) (result i32)))
  (import "env" "make_bool" (func $make_bool (param i32) (result i32)))
  (import "env" "get_bool" (func $get_bool (param i32) (result i32)))
  (import "env" "make_null" (func $make_null (result i32)))
  (import "env" "make_list" (func $make_list (param i32 i32) (result i32)))
  (import "env" "copy_list" (func $copy_list (param i32 i32 i32) (result i32)))
  (import "env" "make_attrset" (func $make_attrset (param i32 i32) (result i32)))
  (import "env" "copy_attrset" (func $copy_attrset (param i32 i32 i32) (result i32)))
  (import "env" "copy_attrname" (func $copy_attrname (param i32 i32 i32 i32)))
  (import "env" "get_attr" (func $get_attr (param i32 i32 i32) (result i32)))
  (import "env" "call_function" (func $call_function (param i32 i32 i32) (result i32)))
  (import "env" "make_app" (func $make_app (param i32 i32 i32) (result i32)))
  (import "env" "read_file" (func $read_file (param i32 i32 i32) (result i32)))
"#;

/// A module with every import, one page of memory, an empty initialiser
/// and `run (param $v i32) (result i32)` with `body`.
pub fn run_module(body: &str) -> Plugin {
    let wat = format!(
        r#"(module {IMPORTS}
  (memory (export "memory") 1)
  (func (export "nix_wasm_init_v1"))
  (func (export "run") (param $v i32) (result i32) {body}))"#
    );
    Host::new()
        .unwrap()
        .compile_wat("run.wat", wat.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{wat}"))
}

pub fn json(value: &NixValue) -> serde_json::Value {
    value.to_json().unwrap()
}

/// Calls `f`, which must succeed, and returns its result as JSON.
pub fn call(plugin: &Plugin, f: &str, arg: NixValue) -> serde_json::Value {
    json(
        &plugin
            .call(f, &arg)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .value,
    )
}

/// Calls `f`, which must fail, and returns the error.
pub fn failure(plugin: &Plugin, f: &str, arg: NixValue) -> CallError {
    match plugin.call(f, &arg) {
        Ok(outcome) => panic!("{f} succeeded with {:?}", outcome.value),
        Err(e) => e,
    }
}

pub fn attrs(entries: Vec<(&str, NixValue)>) -> NixValue {
    NixValue::attrs(entries).unwrap()
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(label: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "nix-wasm-host-{label}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `nest`: `[[[ … null … ]]]`, as many levels as its argument says.
pub const NEST: &str = r#"(module
  (import "env" "get_int" (func $get_int (param i32) (result i64)))
  (import "env" "make_null" (func $make_null (result i32)))
  (import "env" "make_list" (func $make_list (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "nix_wasm_init_v1"))
  (func (export "nest") (param $v i32) (result i32)
    (local $n i64) (local $x i32)
    (local.set $n (call $get_int (local.get $v)))
    (local.set $x (call $make_null))
    (block $done
      (loop $again
        (br_if $done (i64.eqz (local.get $n)))
        (i32.store (i32.const 0) (local.get $x))
        (local.set $x (call $make_list (i32.const 0) (i32.const 1)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $again)))
    (local.get $x)))"#;
