//! WASI programs, run as Determinate Nix's `builtins.wasm` runs them
//! (nix-src v3.22.2, src/libexpr/primops/wasm.cc): through `_start`, with
//! `argv` `["wasi", "<argument id>"]`, no environment and no preopened
//! directories, standard output and error as warnings (one per line, the
//! rest at the end), the result handed to `env.return_to_nix`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{attrs, temp_dir};
use nix_wasm_host::{CallError, CallReport, Host, NixValue, Plugin, Warning};

/// A WASI program: WASI and `env` imports, one page of memory, helpers
/// `$write (fd ptr len)` and `$arg1 (result i32)` (argv[1] as a number),
/// and `_start` with `body`.
fn wasi_source(body: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "return_to_nix" (func $return_to_nix (param i32)))
  (import "env" "warn" (func $warn (param i32 i32)))
  (import "env" "make_int" (func $make_int (param i64) (result i32)))
  (import "env" "make_string" (func $make_string (param i32 i32) (result i32)))
  (import "env" "make_list" (func $make_list (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "out one\nout two\nerr line\npartialvia warnafter")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x200) (local.get $ptr))
    (i32.store (i32.const 0x204) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0x200) (i32.const 1) (i32.const 0x208))))
  ;; argc at 0x300, argv pointers at 0x310, strings at 0x400.
  (func $args
    (drop (call $args_sizes_get (i32.const 0x300) (i32.const 0x304)))
    (drop (call $args_get (i32.const 0x310) (i32.const 0x400))))
  (func $arg1 (result i32)
    (local $p i32) (local $n i32) (local $c i32)
    (call $args)
    (local.set $p (i32.load (i32.const 0x314)))
    (block $done
      (loop $digit
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eqz (local.get $c)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (local.get $n))
  (func (export "_start") {body}))"#
    )
}

fn wasi(body: &str) -> Plugin {
    let source = wasi_source(body);
    Host::new()
        .unwrap()
        .compile_wat("prog.wat", source.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{source}"))
}

fn run(plugin: &Plugin, argument: NixValue) -> CallReport {
    plugin.invoke(None, &argument, None)
}

fn messages(report: &CallReport) -> Vec<String> {
    report
        .warnings
        .iter()
        .map(|w| w.message.to_string())
        .collect()
}

#[test]
fn a_wasi_program_returns_its_argument_and_its_output_becomes_warnings() {
    let program = wasi(
        r#"
    (call $write (i32.const 1) (i32.const 0x100) (i32.const 16))
    (call $write (i32.const 2) (i32.const 0x110) (i32.const 9))
    (call $warn (i32.const 0x120) (i32.const 8))
    (call $write (i32.const 1) (i32.const 0x119) (i32.const 7))
    (call $return_to_nix (call $arg1))
    (call $warn (i32.const 0x128) (i32.const 5))"#,
    );
    assert!(program.is_wasi());
    let argument = attrs(vec![("x", NixValue::Int(42))]);
    let report = run(&program, argument);
    assert_eq!(
        report.result.as_ref().unwrap().to_json().unwrap(),
        serde_json::json!({"x": 42})
    );
    assert_eq!(
        messages(&report),
        ["out one", "out two", "err line", "via warn", "partial"],
        "stdout and stderr line by line, warn in between, the rest at the end; nothing after return_to_nix"
    );
    assert!(
        report.warnings.iter().all(|w| w.function.is_none()),
        "the evaluator names no function for a WASI program"
    );
}

#[test]
fn argv_is_wasi_and_the_argument_id_and_there_is_no_environment_or_preopen() {
    let program = wasi(
        r#"
    (local $pre i32)
    (call $args)
    (drop (call $environ_sizes_get (i32.const 0x500) (i32.const 0x504)))
    (local.set $pre (call $fd_prestat_get (i32.const 3) (i32.const 0x508)))
    (i32.store (i32.const 0x600) (call $make_int (i64.extend_i32_u (i32.load (i32.const 0x300)))))
    (i32.store (i32.const 0x604) (call $make_string (i32.load (i32.const 0x310)) (i32.const 4)))
    (i32.store (i32.const 0x608) (call $make_string (i32.load (i32.const 0x314)) (i32.const 1)))
    (i32.store (i32.const 0x60c) (call $make_int (i64.extend_i32_u (i32.load (i32.const 0x500)))))
    (i32.store (i32.const 0x610) (call $make_int (i64.extend_i32_u (local.get $pre))))
    (call $return_to_nix (call $make_list (i32.const 0x600) (i32.const 5)))"#,
    );
    let report = run(&program, NixValue::Null);
    // argc 2, "wasi", "1" (the argument's id), no variables, EBADF (8)
    // for the first preopen slot.
    assert_eq!(
        report.result.unwrap().to_json().unwrap(),
        serde_json::json!([2, "wasi", "1", 0, 8])
    );
}

#[test]
fn finishing_without_return_to_nix_is_an_error() {
    let program = wasi("(call $write (i32.const 1) (i32.const 0x100) (i32.const 8))");
    let report = run(&program, NixValue::Null);
    assert_eq!(messages(&report), ["out one"]);
    assert_eq!(
        report.result.unwrap_err().to_string(),
        "Wasm function '_start' from 'prog.wat' finished without returning a value"
    );
}

#[test]
fn exiting_without_a_result_reports_the_exit() {
    let program = wasi("(call $proc_exit (i32.const 3))");
    let message = run(&program, NixValue::Null)
        .result
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("error while executing at wasm backtrace:\n")
            && message.ends_with("\n\nCaused by:\n    Exited with i32 exit status 3"),
        "{message}"
    );
}

/// `return_to_nix(0)` records no result: the evaluator reports `_start`'s
/// error, the trap that ended it, as wasmtime words it.
#[test]
fn return_to_nix_of_id_0_reports_its_trap() {
    let program = wasi("(call $return_to_nix (i32.const 0))");
    let error = run(&program, NixValue::Null).result.unwrap_err();
    let CallError::Trap(message) = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.starts_with("error while executing at wasm backtrace:\n    0: ")
            && message.ends_with("\n\nCaused by:\n    return_to_nix"),
        "{message}"
    );
}

#[test]
fn the_returned_id_must_be_valid() {
    let program = wasi("(call $return_to_nix (i32.const 99))");
    assert_eq!(
        run(&program, NixValue::Null).result.unwrap_err(),
        CallError::Host("invalid ValueId 99".into())
    );
}

#[test]
fn function_is_refused_for_wasi_and_required_otherwise() {
    let program = wasi("(call $return_to_nix (i32.const 1))");
    assert_eq!(
        program
            .invoke(Some("main"), &NixValue::Null, None)
            .result
            .unwrap_err()
            .to_string(),
        "'function' attribute is not allowed for WASI modules"
    );
    let plain = common::probe();
    assert!(!plain.is_wasi());
    assert_eq!(
        plain
            .invoke(None, &NixValue::Null, None)
            .result
            .unwrap_err()
            .to_string(),
        "missing required 'function' attribute in first argument to `builtins.wasm` for non-WASI modules"
    );
}

#[test]
fn return_to_nix_is_for_wasi_programs_only() {
    let error = Host::new()
        .unwrap()
        .compile_wat(
            "plain.wat",
            br#"(module (import "env" "return_to_nix" (func (param i32))) (memory (export "memory") 1))"#,
        )
        .err()
        .unwrap();
    assert!(error.to_string().contains("return_to_nix"), "{error}");
}

#[test]
fn warnings_reach_the_listener_as_they_happen() {
    let program = wasi(
        r#"
    (call $write (i32.const 1) (i32.const 0x100) (i32.const 8))
    (call $return_to_nix (i32.const 1))"#,
    );
    let (sender, receiver) = std::sync::mpsc::channel();
    let listener = Box::new(move |w: &Warning| sender.send(w.message.to_string()).unwrap());
    let report = program.invoke(None, &NixValue::Int(1), Some(listener));
    assert!(report.result.is_ok());
    assert_eq!(receiver.try_iter().collect::<Vec<_>>(), ["out one"]);
}

#[test]
fn the_runner_runs_wasi_programs_without_a_function() {
    let dir = temp_dir("wasi-runner");
    let module: PathBuf = dir.join("prog.wat");
    std::fs::write(
        &module,
        wasi_source(
            r#"
    (call $write (i32.const 2) (i32.const 0x100) (i32.const 8))
    (call $return_to_nix (call $arg1))"#,
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nix-wasm-run"))
        .args([module.as_os_str(), "--wat".as_ref()])
        .args(["--arg-expr", r#"{"a": [1, 2]}"#, "--output", "nix"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "{ a = [ 1 2 ]; }\n");
    assert_eq!(stderr, "warning: '<inline wat>': out one\n");

    let out = Command::new(env!("CARGO_BIN_EXE_nix-wasm-run"))
        .args([module.as_os_str(), "--wat".as_ref(), "main".as_ref()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error:\n       … while executing a Wasm module\n\n       error: 'function' attribute is not allowed for WASI modules\n"
    );
}

#[test]
fn a_start_function_with_results_runs_and_its_results_are_ignored() {
    let source = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "env" "make_int" (func $make_int (param i64) (result i32)))
  (import "env" "return_to_nix" (func $return (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (result i32)
    (if (i32.eqz (i32.load (i32.const 0)))
      (then (call $return (call $make_int (i64.const 5)))))
    (i32.const 1)))"#;
    let plugin = Host::new()
        .unwrap()
        .compile_wat("results.wat", source.as_bytes())
        .unwrap();
    let report = run(&plugin, NixValue::Null);
    assert!(
        matches!(report.result, Ok(NixValue::Int(5))),
        "{:?}",
        report.result
    );
    let source = source.replace("(i32.eqz (i32.load (i32.const 0)))", "(i32.const 0)");
    let plugin = Host::new()
        .unwrap()
        .compile_wat("results.wat", source.as_bytes())
        .unwrap();
    assert_eq!(
        run(&plugin, NixValue::Null).result.unwrap_err().to_string(),
        "Wasm function '_start' from 'results.wat' finished without returning a value"
    );
}
