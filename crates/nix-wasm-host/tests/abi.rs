//! Every host function, its edge cases and its failure modes, through a
//! WAT probe plugin (tests/wat/probe.wat).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix_wasm_host::{CallError, Host, HostError, Limits, NixValue, Plugin, function};

fn probe() -> Plugin {
    Host::new()
        .unwrap()
        .compile("probe.wat", include_bytes!("wat/probe.wat"))
        .unwrap()
}

fn json(value: &NixValue) -> serde_json::Value {
    value.to_json().unwrap()
}

fn call(plugin: &Plugin, f: &str, arg: NixValue) -> serde_json::Value {
    json(
        &plugin
            .call(f, &arg)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .value,
    )
}

fn failure(plugin: &Plugin, f: &str, arg: NixValue) -> CallError {
    match plugin.call(f, &arg) {
        Ok(outcome) => panic!("{f} succeeded with {:?}", outcome.value),
        Err(e) => e,
    }
}

fn attrs(entries: Vec<(&str, NixValue)>) -> NixValue {
    NixValue::attrs(entries).unwrap()
}

#[test]
fn scalars_round_trip() {
    let p = probe();
    assert_eq!(call(&p, "identity", NixValue::Int(42)), 42);
    assert_eq!(call(&p, "int_plus_one", NixValue::Int(-2)), -1);
    assert_eq!(
        call(&p, "int_plus_one", NixValue::Int(i64::MAX - 1)),
        i64::MAX
    );
    assert_eq!(call(&p, "float_half", NixValue::Float(3.0)), 1.5);
    assert_eq!(
        call(&p, "float_half", NixValue::Int(3)),
        1.5,
        "get_float accepts integers"
    );
    assert_eq!(call(&p, "not", NixValue::Bool(false)), true);
    assert_eq!(call(&p, "null", NixValue::Int(0)), serde_json::Value::Null);
}

#[test]
fn type_codes() {
    let p = probe();
    let cases = [
        (NixValue::Int(1), 1),
        (NixValue::Float(1.0), 2),
        (NixValue::Bool(true), 3),
        (NixValue::string("s"), 4),
        (NixValue::Path("/p".into()), 5),
        (NixValue::Null, 6),
        (attrs(vec![]), 7),
        (NixValue::list(vec![]), 8),
        (function("id", |a| Ok(a[0].clone())), 9),
        (NixValue::lazy(|| Ok(NixValue::Int(1))), 1),
    ];
    for (value, code) in cases {
        assert_eq!(call(&p, "type_of", value), code);
    }
}

#[test]
fn strings_short_long_and_unicode() {
    let p = probe();
    for text in [
        String::new(),
        "short".to_string(),
        "x".repeat(255),
        "y".repeat(256),
        "z".repeat(40_000),
        "grüße, ✓ 🦀 ${not interpolated}".to_string(),
    ] {
        assert_eq!(
            call(&p, "string_roundtrip", NixValue::string(text.clone())),
            text
        );
    }
    assert_eq!(
        call(
            &p,
            "short_copy_untouched",
            NixValue::string("longer than one")
        ),
        true
    );
}

#[test]
fn lists_empty_and_large() {
    let p = probe();
    assert_eq!(
        call(&p, "list_roundtrip", NixValue::list(vec![])),
        serde_json::json!([])
    );
    let large: Vec<NixValue> = (0..10_000).map(NixValue::Int).collect();
    let expected: Vec<i64> = (0..10_000).collect();
    assert_eq!(
        call(&p, "list_roundtrip", NixValue::list(large)),
        serde_json::json!(expected)
    );
}

#[test]
fn attrsets_empty_and_large() {
    let p = probe();
    assert_eq!(
        call(&p, "attrs_roundtrip", attrs(vec![])),
        serde_json::json!({})
    );
    let names: Vec<String> = (0..10_000).map(|i| format!("a{i}")).collect();
    let big = NixValue::attrs(
        names
            .iter()
            .map(|n| (n.as_str(), NixValue::string(n.clone()))),
    )
    .unwrap();
    let back = call(&p, "attrs_roundtrip", big);
    assert_eq!(back.as_object().unwrap().len(), 10_000);
    assert_eq!(back["a1234"], "a1234");
}

#[test]
fn attribute_order_is_the_hosts_scramble_not_lexicographic() {
    let p = probe();
    let value = NixValue::attrs(('a'..='p').map(|c| (c.to_string(), NixValue::Null))).unwrap();
    let reported: Vec<String> = call(&p, "attr_names", value.clone())
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let NixValue::Attrs(set) = &value else {
        unreachable!()
    };
    let host_order: Vec<String> = set.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(reported, host_order);
    let mut sorted = reported.clone();
    sorted.sort();
    assert_ne!(reported, sorted);
}

#[test]
fn get_attr_finds_or_reports_missing() {
    let p = probe();
    assert_eq!(
        call(&p, "has_x", attrs(vec![("x", NixValue::Int(1))])),
        true
    );
    assert_eq!(
        call(&p, "has_x", attrs(vec![("y", NixValue::Int(1))])),
        false
    );
    assert_eq!(call(&p, "get_x", attrs(vec![("x", NixValue::Int(7))])), 7);
    let missing = failure(&p, "get_x", attrs(vec![]));
    assert_eq!(missing.to_string(), "invalid ValueId 0");
}

#[test]
fn attribute_values_are_not_forced_by_lookup_or_listing() {
    let p = probe();
    let value = attrs(vec![("x", NixValue::throw("x was forced"))]);
    assert_eq!(call(&p, "touch_x", value.clone()), 1);
    let forced = failure(&p, "type_of", NixValue::throw("forced at last"));
    assert_eq!(forced.to_string(), "forced at last");
    let result_forced = failure(&p, "get_x", value);
    assert!(
        result_forced.to_string().contains("x was forced"),
        "{result_forced}"
    );
}

#[test]
fn host_functions_are_called_strictly_or_lazily() {
    let p = probe();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = {
        let calls = Arc::clone(&calls);
        function("double", move |args| {
            calls.fetch_add(1, Ordering::SeqCst);
            match args {
                [NixValue::Int(n)] => Ok(NixValue::Int(n * 2)),
                _ => Err("double takes one integer".into()),
            }
        })
    };
    let arg = attrs(vec![("f", counted), ("x", NixValue::Int(21))]);
    assert_eq!(call(&p, "call_f", arg.clone()), 42);
    assert_eq!(
        call(&p, "app_f", arg.clone()),
        42,
        "the result is forced when returned"
    );
    let before = calls.load(Ordering::SeqCst);
    assert_eq!(call(&p, "app_unused", arg), 1);
    assert_eq!(calls.load(Ordering::SeqCst), before, "make_app is lazy");

    let not_a_function = attrs(vec![("f", NixValue::Int(1)), ("x", NixValue::Int(2))]);
    assert_eq!(
        failure(&p, "call_f", not_a_function.clone()).to_string(),
        "expected a function but found an integer"
    );
    assert_eq!(call(&p, "app_unused", not_a_function), 1);
    assert_eq!(
        call(&p, "app_no_args", NixValue::Int(5)),
        5,
        "no arguments: the function itself"
    );

    let throwing = attrs(vec![
        ("f", function("fail", |_| Err("inside f".into()))),
        ("x", NixValue::Null),
    ]);
    assert_eq!(failure(&p, "call_f", throwing).to_string(), "inside f");
}

#[test]
fn paths() {
    let p = probe();
    assert_eq!(
        call(&p, "path_child", NixValue::Path("/base/dir".into())),
        "/base/dir/x"
    );
    assert_eq!(
        call(&p, "path_absolute", NixValue::Path("/base".into())),
        "/etc/hosts"
    );
    assert_eq!(
        call(&p, "path_text", NixValue::Path("/nix/store/x".into())),
        "/nix/store/x"
    );
    assert_eq!(
        failure(&p, "path_child", NixValue::string("/base")).to_string(),
        "make_path expects a path value"
    );
    assert_eq!(
        failure(&p, "path_text", NixValue::string("/x")).to_string(),
        "copy_path expects a path value"
    );
}

#[test]
fn read_file_uses_the_size_protocol() {
    let p = probe();
    let dir = std::env::temp_dir().join(format!("nix-wasm-host-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.txt");
    let contents = "line one\nline two ✓\n".repeat(100);
    std::fs::write(&file, &contents).unwrap();
    let path = NixValue::Path(file.display().to_string());
    assert_eq!(call(&p, "read", path), contents);
    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(
        call(&p, "read", NixValue::Path(empty.display().to_string())),
        ""
    );
    let missing = failure(
        &p,
        "read",
        NixValue::Path(dir.join("nope").display().to_string()),
    );
    assert!(
        missing.to_string().starts_with("cannot read file"),
        "{missing}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_call_gets_a_fresh_instance() {
    let p = probe();
    for _ in 0..3 {
        assert_eq!(call(&p, "counter", NixValue::Null), 1);
    }
}

#[test]
fn panic_and_warnings() {
    let p = probe();
    let err = failure(&p, "panic", NixValue::Null);
    assert_eq!(err, CallError::Panic("boom".into()));
    assert_eq!(err.to_string(), "Wasm panic: boom");
    let outcome = p.call("warn_twice", &NixValue::Null).unwrap();
    assert_eq!(outcome.warnings, ["a", "b"]);
}

#[test]
fn misuse_traps_with_a_message() {
    let p = probe();
    let cases: Vec<(&str, NixValue, &str)> = vec![
        ("bad_id", NixValue::Null, "invalid ValueId 12345"),
        ("zero_id", NixValue::Null, "invalid ValueId 0"),
        (
            "oob_string",
            NixValue::Null,
            "Wasm memory access out of bounds",
        ),
        (
            "oob_copy",
            NixValue::string("x"),
            "Wasm memory access out of bounds",
        ),
        (
            "attrname_wrong_len",
            attrs(vec![("x", NixValue::Null)]),
            "copy_attrname: buffer length does not match attribute name length",
        ),
        (
            "attrname_bad_index",
            attrs(vec![("x", NixValue::Null)]),
            "copy_attrname: attribute index out of bounds",
        ),
        (
            "string_roundtrip",
            NixValue::Int(5),
            "expected a string but found an integer",
        ),
        (
            "int_plus_one",
            NixValue::string("5"),
            "expected an integer but found a string",
        ),
        ("not", NixValue::Null, "expected a Boolean but found null"),
        (
            "list_roundtrip",
            attrs(vec![]),
            "expected a list but found a set",
        ),
        (
            "attrs_roundtrip",
            NixValue::list(vec![]),
            "expected a set but found a list",
        ),
        (
            "duplicate_names",
            NixValue::Null,
            "make_attrset: the attribute \"x\" is set twice",
        ),
    ];
    for (f, arg, message) in cases {
        let err = failure(&p, f, arg);
        assert!(matches!(err, CallError::Host(_)), "{f}: {err:?}");
        assert_eq!(err.to_string(), message, "{f}");
    }
}

#[test]
fn exports_are_checked_like_the_evaluator() {
    let p = probe();
    assert_eq!(
        failure(&p, "nonexistent", NixValue::Null).to_string(),
        "Wasm module 'probe.wat' does not export 'nonexistent'"
    );
    assert_eq!(
        failure(&p, "two_params", NixValue::Null).to_string(),
        "export 'two_params' of Wasm module 'probe.wat' does not have the right type"
    );
    assert_eq!(
        failure(&p, "wrong_result", NixValue::Null).to_string(),
        "Wasm function 'wrong_result' from 'probe.wat' did not return an i32 value"
    );
    let host = Host::new().unwrap();
    let no_init = host
        .compile("no-init.wat", br#"(module (memory (export "memory") 1) (func (export "f") (param i32) (result i32) (local.get 0)))"#)
        .unwrap();
    assert_eq!(
        failure(&no_init, "f", NixValue::Null).to_string(),
        "Wasm module 'no-init.wat' does not export 'nix_wasm_init_v1'"
    );
    let no_memory = host
        .compile("no-memory.wat", br#"(module (func (export "nix_wasm_init_v1")) (func (export "f") (param i32) (result i32) (local.get 0)))"#)
        .unwrap();
    assert_eq!(
        failure(&no_memory, "f", NixValue::Null).to_string(),
        "Wasm module 'no-memory.wat' does not export 'memory'"
    );
}

#[test]
fn modules_that_cannot_link_are_refused() {
    let host = Host::new().unwrap();
    let unknown = host
        .compile(
            "unknown.wat",
            br#"(module (import "env" "make_magic" (func (result i32))))"#,
        )
        .err()
        .unwrap();
    assert!(matches!(unknown, HostError::Link { .. }), "{unknown}");
    assert!(unknown.to_string().contains("make_magic"), "{unknown}");
    let wasi = host
        .compile("wasi.wat", br#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))"#)
        .err()
        .unwrap();
    assert!(matches!(wasi, HostError::Wasi(_)), "{wasi}");
    let garbage = host
        .compile("garbage.wasm", b"\0asm garbage")
        .err()
        .unwrap();
    assert!(matches!(garbage, HostError::Compile { .. }), "{garbage}");
}

#[test]
fn endless_loops_hit_the_fuel_limit() {
    let host = Host::with_limits(Limits {
        fuel: Some(1_000_000),
        ..Limits::default()
    })
    .unwrap();
    let p = host
        .compile("probe.wat", include_bytes!("wat/probe.wat"))
        .unwrap();
    let err = failure(&p, "spin", NixValue::Null);
    assert!(matches!(err, CallError::Limit(_)), "{err:?}");
}

#[test]
fn plugins_are_cached_by_path() {
    let host = Host::new().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wat/probe.wat");
    let a = host.plugin(&path).unwrap();
    let b = host.plugin(&path).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
}
