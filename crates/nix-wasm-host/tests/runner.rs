//! The `nix-wasm-run` binary end to end.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{probe_wasm, probe_wat, temp_dir};

fn run_on(module: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nix-wasm-run"));
    command
        .arg(module)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    run_on(&probe_wasm(), args, stdin)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The start of an error raised in a host function, as Nix prints it:
/// the builtin's trace, then wasmtime's trap with its Wasm backtrace.
const IN_WASM: &str = "error:\n       … while executing a Wasm module\n\n       error: error while executing at wasm backtrace:\n";

/// The end of a plugin's `panic("boom")` as Nix prints it: the trap's
/// cause, the Nix error's own text.
const BOOM: &str = "\n\n       Caused by:\n           error: Wasm panic: boom\n";

#[test]
fn json_output() {
    let out = run(
        &[
            "attrs_roundtrip",
            "--arg-expr",
            r#"{"b": [1, 2.5], "a": "x"}"#,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    2.5\n  ]\n}\n"
    );
}

#[test]
fn arguments_from_a_file_or_stdin() {
    let dir = temp_dir("runner-arg");
    let file = dir.join("arg.json");
    std::fs::write(&file, "41").unwrap();
    let out = run(
        &["int_plus_one", "--arg-json", file.to_str().unwrap()],
        None,
    );
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
    let out = run(&["int_plus_one", "--arg-json", "-"], Some("-8"));
    assert_eq!(text(&out.stdout), "-7\n", "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn nix_output() {
    let out = run(
        &["string_roundtrip", "--output", "nix", "--arg-json", "-"],
        Some(r#""quote \" dollar ${x} newline \n""#),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\"quote \\\" dollar \\${x} newline \\n\"\n"
    );
    let out = run(
        &[
            "attrs_roundtrip",
            "--output",
            "nix",
            "--arg-expr",
            r#"{"in": [1, -2.5], "a b": null}"#,
        ],
        None,
    );
    assert_eq!(
        text(&out.stdout),
        "{ \"a b\" = null; \"in\" = [ 1 (-2.5) ]; }\n",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn no_argument_means_null() {
    let out = run(&["type_of"], None);
    assert_eq!(text(&out.stdout).trim(), "6");
}

#[test]
fn warnings_go_to_stderr_like_nix() {
    let out = run(&["warn_twice"], None);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stderr),
        "warning: 'probe.wasm' function 'warn_twice': a\nwarning: 'probe.wasm' function 'warn_twice': b\n"
    );
    let out = run(&["warn_then_panic"], None);
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "warning: 'probe.wasm' function 'warn_then_panic': a\n{IN_WASM}"
        )) && stderr.ends_with(BOOM),
        "warnings of a failed call come first, as Nix prints them as they happen: {stderr}"
    );
}

/// Nix writes a warning's bytes as they are, through its log filter:
/// escape sequences, carriage returns and bells dropped, tabs expanded to
/// the next multiple of 8 columns (counted from `warning: `).
#[test]
fn warnings_keep_their_bytes_through_nix_s_log_filter() {
    let dir = temp_dir("runner-bytes");
    let module = dir.join("bytes.wat");
    std::fs::write(
        &module,
        r#"(module
  (import "env" "warn" (func $warn (param i32 i32)))
  (import "env" "make_null" (func $make_null (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\ff\fe!")
  (data (i32.const 16) "a\tb\1b[1mc\0d\07d")
  (func (export "nix_wasm_init_v1"))
  (func (export "f") (param i32) (result i32)
    (call $warn (i32.const 0) (i32.const 3))
    (call $warn (i32.const 16) (i32.const 11))
    (call $make_null)))"#,
    )
    .unwrap();
    let out = run_on(&module, &["--wat", "f"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let prefix = "warning: '<inline wat>' function 'f': ";
    assert_eq!(prefix.len(), 38);
    let mut expected = prefix.as_bytes().to_vec();
    expected.extend_from_slice(b"\xff\xfe!\n");
    // "a" ends at column 39: the tab fills to 40.
    expected.extend_from_slice(format!("{prefix}a b{}", "cd\n").as_bytes());
    assert_eq!(
        out.stderr,
        expected,
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn failures_in_nix_mode_become_a_throw() {
    let out = run(&["panic", "--output", "nix"], None);
    assert!(
        out.status.success(),
        "the throw is the result, evaluated by Nix"
    );
    // The evaluator's message: wasmtime's trap, the Nix error inside.
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("builtins.throw \"error while executing at wasm backtrace:\\n")
            && stdout.ends_with("\\n\\nCaused by:\\n    error: Wasm panic: boom\"\n"),
        "{stdout}"
    );

    let dir = temp_dir("runner-bad");
    let bad = dir.join("bad.wat");
    let source = "(module (func (export \"f\") (i32.add)))";
    std::fs::write(&bad, source).unwrap();
    let out = run_on(&bad, &["--wat", "f", "--output", "nix"], None);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let compile_error = nix_wasm_host::Host::new()
        .unwrap()
        .compile_wat("<inline wat>", source.as_bytes())
        .err()
        .unwrap()
        .to_string();
    assert!(
        compile_error.starts_with("failed to compile: "),
        "wasmtime's message: {compile_error}"
    );
    assert_eq!(
        stdout,
        format!(
            "builtins.throw {}\n",
            nix_wasm_host::nix_expr::quote(&compile_error)
        )
    );
    assert!(
        !stdout.trim_end().contains('\n'),
        "newlines are escaped: {stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();

    let out = run(
        &["identity", "--output", "nix", "--arg-expr", "{not json"],
        None,
    );
    assert!(text(&out.stdout).starts_with("builtins.throw \"the argument is not JSON"));
}

#[test]
fn failures_in_json_mode_exit_1() {
    let out = run(&["panic"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(IN_WASM) && stderr.ends_with(BOOM),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let bad_arg = run(&["identity", "--arg-expr", "{not json"], None);
    assert_eq!(bad_arg.status.code(), Some(1));
    assert!(text(&bad_arg.stderr).contains("the argument is not JSON"));
    let missing = run_on(Path::new("/nonexistent/plugin.wasm"), &["f"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        text(&missing.stderr),
        "error:\n       … while executing a Wasm module\n\n       error: path '/nonexistent/plugin.wasm' does not exist\n"
    );
    let function = run(&["identity", "--arg-expr", "1", "--output", "json"], None);
    assert_eq!(text(&function.stdout), "1\n");
}

#[test]
fn any_plugin_works_not_only_the_probe() {
    let dir = temp_dir("runner-fib");
    let fib = dir.join("fib.wat");
    std::fs::write(
        &fib,
        r#"(module
  (import "env" "get_int" (func $get_int (param i32) (result i64)))
  (import "env" "make_int" (func $make_int (param i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "nix_wasm_init_v1"))
  (func $fib (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                     (call $fib (i64.sub (local.get $n) (i64.const 2)))))))
  (func (export "fib") (param $arg i32) (result i32)
    (call $make_int (call $fib (call $get_int (local.get $arg))))))"#,
    )
    .unwrap();
    let out = run_on(
        &fib,
        &["--wat", "fib", "--arg-expr", "20", "--output", "nix"],
        None,
    );
    assert_eq!(text(&out.stdout), "6765\n", "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn help_explains_the_throw_convention() {
    let out = Command::new(env!("CARGO_BIN_EXE_nix-wasm-run"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in [
        "builtins.throw",
        "builtins.exec",
        "--arg-json",
        "--arg-expr",
        "--output",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn the_runner_has_the_evaluators_limits_unless_asked_for_strict_ones() {
    let dir = temp_dir("runner-limits");
    let module = dir.join("big.wat");
    std::fs::write(
        &module,
        format!(
            r#"(module {}
  (memory (export "memory") 8192)
  (func (export "nix_wasm_init_v1"))
  (func (export "f") (param i32) (result i32) (call $make_int (i64.extend_i32_u (memory.size)))))"#,
            common::IMPORTS
        ),
    )
    .unwrap();
    let out = run_on(&module, &["--wat", "f"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "8192\n");
    let out = run_on(&module, &["--wat", "f", "--limits", "strict"], None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(
            "\n       error: module memory does not fit in pooling allocator requirements\n"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn text_modules_go_through_wat_and_binary_ones_through_the_path() {
    let out = run_on(&probe_wat(), &["--wat", "warn_twice"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "warning: '<inline wat>' function 'warn_twice': a\nwarning: '<inline wat>' function 'warn_twice': b\n"
    );
    let out = run_on(&probe_wat(), &["warn_twice"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error:\n       … while executing a Wasm module\n\n       error: failed to parse WebAssembly module\n\n       Caused by:\n           magic header not detected"
        ),
        "a text file is not a binary module: {stderr}"
    );
    let out = run_on(&probe_wasm(), &["--wat", "warn_twice"], None);
    assert_eq!(out.status.code(), Some(1), "a binary module is not text");
}

#[test]
fn pure_mode_allows_only_the_given_directories() {
    let module = probe_wasm();
    let dir = module.parent().unwrap().to_str().unwrap();
    let out = run(&["int_plus_one", "--arg-expr", "1", "--pure", dir], None);
    assert_eq!(text(&out.stdout), "2\n", "{}", text(&out.stderr));
    let out = run(
        &["int_plus_one", "--arg-expr", "1", "--pure", "/nix/store"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is forbidden in pure evaluation mode"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn values_nested_to_the_deepest_level_print_on_the_runners_stack() {
    let dir = temp_dir("runner-deep");
    let module = dir.join("deep.wat");
    std::fs::write(&module, common::NEST).unwrap();
    let depth = nix_wasm_host::MAX_CALL_DEPTH.to_string();
    let out = run_on(
        &module,
        &["--wat", "nest", "--arg-expr", &depth, "--output", "nix"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_eq!(printed.matches('[').count(), nix_wasm_host::MAX_CALL_DEPTH);
    assert!(printed.starts_with("[ [ [ [ "));
    // Deeper: the plugin builds and returns it, as in the evaluator;
    // printing it fails as Nix's printing does, after the call.
    let out = run_on(&module, &["--wat", "nest", "--arg-expr", "20000"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: stack overflow; max-call-depth exceeded\n"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
