//! What a module must export and may import, how it is instantiated, and
//! what the evaluator's instance pool would refuse.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{IMPORTS, call, failure, probe};
use nix_wasm_host::{CallError, Host, HostError, Limits, NixValue, Plugin, Warning};

fn compile(name: &str, wat: &str) -> Result<Plugin, HostError> {
    Host::new().unwrap().compile_wat(name, wat.as_bytes())
}

fn module(name: &str, wat: &str) -> Plugin {
    compile(name, wat).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn missing_exports_use_the_evaluators_messages() {
    assert_eq!(
        failure(&probe(), "nonexistent", NixValue::Null).to_string(),
        "Wasm module 'probe.wat' does not export 'nonexistent'"
    );
    let no_init = module(
        "no-init.wat",
        r#"(module (memory (export "memory") 1) (func (export "f") (param i32) (result i32) (local.get 0)))"#,
    );
    assert_eq!(
        failure(&no_init, "f", NixValue::Null),
        CallError::MissingExport {
            module: "no-init.wat".into(),
            export: "nix_wasm_init_v1".into()
        }
    );
    let no_memory = module(
        "no-memory.wat",
        r#"(module (func (export "nix_wasm_init_v1")) (func (export "f") (param i32) (result i32) (local.get 0)))"#,
    );
    assert_eq!(
        failure(&no_memory, "f", NixValue::Null).to_string(),
        "Wasm module 'no-memory.wat' does not export 'memory'"
    );
}

/// Exports of the wrong kind are the evaluator's "does not have the right
/// type"; functions are called as the evaluator calls them, with
/// `Func::call`, so wasmtime reports wrong parameters in its own words.
#[test]
fn exports_of_the_wrong_kind_or_signature_are_refused() {
    let wrong = |export: &str| {
        format!("export '{export}' of Wasm module 'sig.wat' does not have the right type")
    };
    let memory_is_a_global = module(
        "sig.wat",
        r#"(module (global (export "memory") i32 (i32.const 0)) (func (export "nix_wasm_init_v1"))
             (func (export "f") (param i32) (result i32) (local.get 0)))"#,
    );
    assert_eq!(
        failure(&memory_is_a_global, "f", NixValue::Null).to_string(),
        wrong("memory")
    );

    let init_takes_a_parameter = module(
        "sig.wat",
        r#"(module (memory (export "memory") 1) (func (export "nix_wasm_init_v1") (param i32))
             (func (export "f") (param i32) (result i32) (local.get 0)))"#,
    );
    assert_eq!(
        failure(&init_takes_a_parameter, "f", NixValue::Null),
        CallError::Trap("expected 1 arguments, got 0".into())
    );

    let entry_is_memory = module(
        "sig.wat",
        r#"(module (memory (export "memory") 1) (func (export "nix_wasm_init_v1")))"#,
    );
    assert_eq!(
        failure(&entry_is_memory, "memory", NixValue::Null).to_string(),
        wrong("memory")
    );

    let p = probe();
    assert_eq!(
        failure(&p, "two_params", NixValue::Null).to_string(),
        "expected 2 arguments, got 1"
    );
    let i64_entry = module(
        "sig.wat",
        r#"(module (memory (export "memory") 1) (func (export "nix_wasm_init_v1"))
             (func (export "f") (param i64) (result i32) (i32.const 1)))"#,
    );
    assert_eq!(
        failure(&i64_entry, "f", NixValue::Null).to_string(),
        "argument type mismatch\n\nCaused by:\n    type mismatch: expected i64, found i32"
    );
    // As the evaluator's report of it, with its trace.
    let report = i64_entry.call_report("f", &NixValue::Null);
    assert_eq!(
        String::from_utf8(report.nix_error().unwrap()).unwrap(),
        "error:\n       … while executing a Wasm module\n\n       error: argument type mismatch\n\n       Caused by:\n           type mismatch: expected i64, found i32"
    );
}

#[test]
fn entry_points_must_return_one_i32() {
    assert_eq!(
        failure(&probe(), "wrong_result", NixValue::Null).to_string(),
        "Wasm function 'wrong_result' from 'probe.wat' did not return an i32 value"
    );
    let p = module(
        "results.wat",
        r#"(module (memory (export "memory") 1) (func (export "nix_wasm_init_v1"))
             (func (export "none") (param i32))
             (func (export "two") (param i32) (result i32 i32) (local.get 0) (local.get 0)))"#,
    );
    for f in ["none", "two"] {
        assert_eq!(
            failure(&p, f, NixValue::Null),
            CallError::BadResult(format!(
                "Wasm function '{f}' from 'results.wat' did not return exactly one value"
            ))
        );
    }
}

#[test]
fn the_initialiser_runs_first_and_its_results_are_ignored() {
    let p = module(
        "init.wat",
        &format!(
            r#"(module {IMPORTS}
  (memory (export "memory") 1)
  (data (i32.const 0) "hello")
  (global $ready (mut i32) (i32.const 0))
  (func (export "nix_wasm_init_v1") (result i32)
    (call $warn (i32.const 0) (i32.const 5))
    (global.set $ready (i32.const 1))
    (i32.const 7))
  (func (export "f") (param i32) (result i32)
    (call $make_bool (global.get $ready))))"#
        ),
    );
    let report = p.call_report("f", &NixValue::Null);
    assert_eq!(report.result.unwrap().to_json().unwrap(), true);
    assert_eq!(
        report.warnings,
        [Warning {
            module: "init.wat".into(),
            function: Some("nix_wasm_init_v1".into()),
            message: "hello".into()
        }]
    );
}

#[test]
fn host_functions_cannot_run_from_a_start_function() {
    let p = module(
        "start.wat",
        &format!(
            r#"(module {IMPORTS}
  (memory (export "memory") 1)
  (func $start (drop (call $make_null)))
  (start $start)
  (func (export "nix_wasm_init_v1"))
  (func (export "f") (param i32) (result i32) (local.get 0)))"#
        ),
    );
    // The evaluator fails too, with C++'s "bad any_cast" (its instance is
    // attached to the store only after instantiation): this host says why.
    let err = failure(&p, "f", NixValue::Null);
    let CallError::Instantiate { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("error while executing at wasm backtrace:\n")
            && message.contains(
                "\n\nCaused by:\n    a host function was called while the module was being instantiated (from its start function)"
            ),
        "{message}"
    );
}

#[test]
fn a_start_function_that_traps_fails_instantiation() {
    let p = module(
        "trap.wat",
        r#"(module (memory (export "memory") 1) (func $start unreachable) (start $start)
             (func (export "nix_wasm_init_v1")) (func (export "f") (param i32) (result i32) (local.get 0)))"#,
    );
    let err = failure(&p, "f", NixValue::Null);
    assert!(matches!(err, CallError::Instantiate { .. }), "{err:?}");
    // wasmtime's message alone, as the evaluator's.
    assert_eq!(
        err.to_string(),
        "error while executing at wasm backtrace:\n    0:     0x49 - <unknown>!start\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed"
    );
}

#[test]
fn a_memory_over_the_limit_is_refused() {
    let host = Host::with_limits(Limits {
        max_memory: 1 << 20,
        ..Limits::default()
    })
    .unwrap();
    let err = host
        .compile_wat(
            "big.wat",
            br#"(module (memory (export "memory") 17) (func (export "nix_wasm_init_v1"))
                  (func (export "f") (param i32) (result i32) (local.get 0)))"#,
        )
        .err()
        .unwrap();
    assert!(matches!(err, HostError::Unsupported { .. }), "{err:?}");
}

#[test]
fn imports_must_be_the_evaluators() {
    let unknown = compile(
        "unknown.wat",
        r#"(module (import "env" "make_magic" (func (result i32))))"#,
    )
    .err()
    .unwrap();
    assert!(matches!(unknown, HostError::Link { .. }), "{unknown}");
    assert_eq!(
        unknown.to_string(),
        "unknown import: `env::make_magic` has not been defined",
        "wasmtime's message alone, as the evaluator's"
    );

    let wrong_type = compile(
        "wrong-type.wat",
        r#"(module (import "env" "get_int" (func (param i32) (result i32))))"#,
    )
    .err()
    .unwrap();
    assert!(matches!(wrong_type, HostError::Link { .. }), "{wrong_type}");
    assert!(wrong_type.to_string().contains("get_int"), "{wrong_type}");

    let wasi_only = compile(
        "return.wat",
        r#"(module (import "env" "return_to_nix" (func (param i32))))"#,
    )
    .err()
    .unwrap();
    assert!(
        matches!(wasi_only, HostError::Link { .. }),
        "return_to_nix is WASI-only: {wasi_only}"
    );

    let all = compile("all.wat", &format!("(module {IMPORTS})"));
    assert!(all.is_ok(), "every import with the evaluator's types links");
}

#[test]
fn what_the_evaluators_instance_pool_refuses_is_refused() {
    for (wat, what) in [
        (r#"(module (memory 1) (memory 1))"#, "memories count of 2"),
        (
            r#"(module (table 1 funcref) (table 1 funcref))"#,
            "tables count of 2",
        ),
        (r#"(module (table 20001 funcref))"#, "20001"),
    ] {
        let err = compile("pool.wat", wat).err().unwrap();
        assert!(matches!(err, HostError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains(what), "{err}");
    }
    assert!(compile("pool.wat", r#"(module (memory 1) (table 20000 funcref))"#).is_ok());
}

#[test]
fn invalid_modules_do_not_compile() {
    let garbage = compile("garbage.wasm", "\0asm garbage").err().unwrap();
    assert!(matches!(garbage, HostError::Compile { .. }), "{garbage}");
    let bad_wat = compile("bad.wat", "(module (func (export \"f\") (i32.add)))")
        .err()
        .unwrap();
    assert!(matches!(bad_wat, HostError::Compile { .. }), "{bad_wat}");
}

#[test]
fn plugins_from_files_are_cached_by_path() {
    let host = Host::new().unwrap();
    let path = common::probe_wasm();
    let a = host.plugin(&path).unwrap();
    let b = host.plugin(&path).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(a.name(), "probe.wasm");
    let link = common::temp_dir("link").join("alias.wasm");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let through_link = host.plugin(&link).unwrap();
    assert!(
        Arc::ptr_eq(&a, &through_link),
        "symlinks resolved first, as realisePath does"
    );
    assert_eq!(through_link.name(), "probe.wasm", "named after the file");
    assert_eq!(call(&a, "identity", NixValue::Int(1)), 1);
    let missing = host.plugin(Path::new("/nonexistent/x.wasm")).err().unwrap();
    assert!(matches!(missing, HostError::Read { .. }), "{missing}");
    let text = host.plugin(&common::probe_wat()).err().unwrap();
    assert!(
        matches!(&text, HostError::Compile { module, .. } if module == "probe.wat"),
        "a file holds a binary module, as for the evaluator's `path`: {text}"
    );
}

#[test]
fn one_plugin_serves_calls_from_many_threads() {
    let p = Arc::new(probe());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let p = Arc::clone(&p);
            std::thread::spawn(move || {
                for n in 0..20 {
                    assert_eq!(
                        call(&p, "int_plus_one", NixValue::Int(i * 100 + n)),
                        i * 100 + n + 1
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn gc_types_compile_as_in_the_evaluators_build() {
    // Determinate Nix builds wasmtime with the `gc-null` collector, so a
    // module using `externref` (e.g. from a toolchain's reference-types
    // output) compiles and runs there.
    let p = compile(
        "externref.wat",
        &format!(
            r#"(module {IMPORTS}
  (memory (export "memory") 1)
  (table 1 externref)
  (global $slot (mut externref) (ref.null extern))
  (func (export "nix_wasm_init_v1") (global.set $slot (ref.null extern)))
  (func (export "f") (param i32) (result i32)
    (call $make_bool (ref.is_null (global.get $slot)))))"#
        ),
    )
    .unwrap();
    assert_eq!(
        p.call("f", &NixValue::Null)
            .unwrap()
            .value
            .to_json()
            .unwrap(),
        true
    );
}

#[test]
fn the_evaluators_limits_run_what_the_strict_default_refuses() {
    assert_eq!(
        Limits::evaluator(),
        Limits {
            max_memory: 4 << 30,
            timeout: None,
            max_values: usize::MAX,
            max_instances: 1000,
            max_depth: nix_wasm_host::MAX_DEPTH,
        },
        "wasmtime's pooling defaults, as Determinate Nix configures its engine"
    );
    // 512 MiB of initial memory: over this host's default, within the
    // evaluator's 4 GiB.
    let wat = format!(
        r#"(module {IMPORTS}
  (memory (export "memory") 8192)
  (func (export "nix_wasm_init_v1"))
  (func (export "f") (param i32) (result i32) (call $make_int (i64.extend_i32_u (memory.size)))))"#
    );
    let evaluator = Host::with_limits(Limits::evaluator())
        .unwrap()
        .compile_wat("big.wat", wat.as_bytes())
        .unwrap();
    assert_eq!(
        evaluator
            .call("f", &NixValue::Null)
            .unwrap()
            .value
            .to_json()
            .unwrap(),
        8192
    );
    let err = compile("big.wat", &wat).err().unwrap();
    assert!(matches!(err, HostError::Unsupported { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "module memory does not fit in pooling allocator requirements\n\nCaused by:\n    0: memory index 0 is unsupported in this pooling allocator configuration\n    1: memory has a minimum byte size of 536870912 which exceeds the limit of 0x10000000 bytes",
        "wasmtime's message alone"
    );
}
