//! The `nix-wasm-run` binary end to end.

use std::path::PathBuf;
use std::process::{Command, Output};

fn probe() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/wat/probe.wat")
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nix-wasm-run"));
    command.arg(probe()).args(args);
    match stdin {
        Some(text) => {
            use std::io::Write;
            command.stdin(std::process::Stdio::piped());
            command.stdout(std::process::Stdio::piped());
            command.stderr(std::process::Stdio::piped());
            let mut child = command.spawn().unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        }
        None => command.output().unwrap(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

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
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value, serde_json::json!({"a": "x", "b": [1, 2.5]}));
}

#[test]
fn nix_output_escapes_strings() {
    let out = run(
        &["string_roundtrip", "--output", "nix", "--arg-json", "-"],
        Some(r#""quote \" dollar ${x} newline \n""#),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\"quote \\\" dollar \\${x} newline \\n\"\n"
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
        "warning: 'probe.wat' function 'warn_twice': a\nwarning: 'probe.wat' function 'warn_twice': b\n"
    );
}

#[test]
fn failures_in_nix_mode_become_a_throw() {
    let out = run(&["panic", "--output", "nix"], None);
    assert!(
        out.status.success(),
        "the throw is the result, evaluated by Nix"
    );
    assert_eq!(text(&out.stdout), "builtins.throw \"Wasm panic: boom\"\n");
}

#[test]
fn failures_in_json_mode_exit_1() {
    let out = run(&["panic"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "error: Wasm panic: boom\n");
    let bad_arg = run(&["identity", "--arg-expr", "{not json"], None);
    assert_eq!(bad_arg.status.code(), Some(1));
    assert!(text(&bad_arg.stderr).contains("the argument is not JSON"));
}
