//! `Host::builtins_wasm`: the first argument of `builtins.wasm` read as the
//! evaluator reads it (`path` or `wat`, `function`).

mod common;

use common::{attrs, probe_wasm, probe_wat};
use nix_wasm_host::{CallError, FileAccess, Host, HostError, INLINE_WAT, NixValue};

fn path_value(path: &std::path::Path) -> NixValue {
    NixValue::Path(path.display().to_string().into())
}

fn probe_source() -> String {
    std::fs::read_to_string(probe_wat()).unwrap()
}

/// The result as JSON, or the error's text.
fn outcome(config: NixValue, argument: NixValue) -> Result<serde_json::Value, String> {
    Host::new()
        .unwrap()
        .builtins_wasm(&config, &argument, None)
        .result
        .map(|value| value.to_json().unwrap())
        .map_err(|e| e.to_string())
}

/// The failure as Nix prints it (traces, then the message).
fn printed(config: NixValue, argument: NixValue) -> String {
    let report = Host::new().unwrap().builtins_wasm(&config, &argument, None);
    String::from_utf8(report.nix_error().expect("the call failed")).unwrap()
}

const WASI_PROGRAM: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "env" "make_int" (func $make_int (param i64) (result i32)))
  (import "env" "return_to_nix" (func $return (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $return (call $make_int (i64.const 42)))))"#;

#[test]
fn path_or_wat_names_the_module() {
    let function = ("function", NixValue::string("int_plus_one"));
    assert_eq!(
        outcome(
            attrs(vec![("path", path_value(&probe_wasm())), function.clone()]),
            NixValue::Int(1)
        ),
        Ok(2.into())
    );
    assert_eq!(
        outcome(
            attrs(vec![("wat", NixValue::string(probe_source())), function]),
            NixValue::Int(2)
        ),
        Ok(3.into())
    );
}

#[test]
fn only_path_wat_and_function_are_allowed_and_exactly_one_of_path_and_wat() {
    let wat = ("wat", NixValue::string(probe_source()));
    let path = ("path", path_value(&probe_wasm()));
    let function = ("function", NixValue::string("identity"));
    assert_eq!(
        outcome(
            attrs(vec![
                path.clone(),
                function.clone(),
                ("args", NixValue::Null)
            ]),
            NixValue::Null
        ),
        Err("unknown attribute 'args' in first argument to `builtins.wasm`".into())
    );
    assert_eq!(
        outcome(attrs(vec![path, wat, function.clone()]), NixValue::Null),
        Err("'path' and 'wat' are mutually exclusive in first argument to `builtins.wasm`".into())
    );
    assert_eq!(
        outcome(attrs(vec![function]), NixValue::Null),
        Err(
            "missing required 'path' or 'wat' attribute in first argument to `builtins.wasm`"
                .into()
        )
    );
    assert_eq!(
        outcome(NixValue::Int(1), NixValue::Null),
        Err("expected a set but found an integer: 1".into())
    );
    // Before the evaluator's `try`: no "while executing a Wasm module".
    assert_eq!(
        printed(NixValue::Int(1), NixValue::Null),
        "error:\n       … while evaluating the first argument to `builtins.wasm`\n\n       error: expected a set but found an integer: 1"
    );
    assert_eq!(
        printed(attrs(vec![("args", NixValue::Null)]), NixValue::Null),
        "error: unknown attribute 'args' in first argument to `builtins.wasm`"
    );
}

#[test]
fn path_is_anything_that_coerces_to_an_absolute_path() {
    let file = probe_wasm();
    let text = file.display().to_string();
    let function = || ("function", NixValue::string("int_plus_one"));
    let with_path = |path: NixValue| attrs(vec![("path", path), function()]);
    for path in [
        path_value(&file),
        NixValue::string(text.clone()),
        attrs(vec![("outPath", NixValue::string(text.clone()))]),
        attrs(vec![
            (
                "__toString",
                NixValue::function("toString", move |_| Ok(NixValue::string(text.clone()))),
            ),
            ("outPath", NixValue::string("/not/this/one")),
        ]),
        NixValue::lazy(move || Ok(path_value(&file))),
    ] {
        assert_eq!(
            outcome(with_path(path.clone()), NixValue::Int(1)),
            Ok(2.into()),
            "{path:?}"
        );
    }
    assert_eq!(
        outcome(with_path(NixValue::string("probe.wasm")), NixValue::Int(1)),
        Err("string 'probe.wasm' doesn't represent an absolute path".into())
    );
    assert_eq!(
        outcome(with_path(NixValue::Int(5)), NixValue::Int(1)),
        Err("cannot coerce an integer to a string: 5".into())
    );
    assert_eq!(
        outcome(with_path(attrs(vec![])), NixValue::Int(1)),
        Err("cannot coerce a set to a string: { }".into())
    );
    assert_eq!(
        printed(with_path(NixValue::string("probe.wasm")), NixValue::Int(1)),
        "error:\n       … while executing a Wasm module\n\n       … while realising the context of a path\n\n       error: string 'probe.wasm' doesn't represent an absolute path"
    );
}

#[test]
fn binary_modules_come_only_through_path_and_text_only_through_wat() {
    let function = ("function", NixValue::string("identity"));
    let error = Host::new()
        .unwrap()
        .builtins_wasm(
            &attrs(vec![("path", path_value(&probe_wat())), function.clone()]),
            &NixValue::Null,
            None,
        )
        .result
        .unwrap_err();
    assert!(
        matches!(&error, CallError::Load(HostError::Compile { module, .. }) if module == "probe.wat"),
        "{error}"
    );
    let error = outcome(
        attrs(vec![("wat", NixValue::string("(module")), function.clone()]),
        NixValue::Null,
    )
    .unwrap_err();
    assert_eq!(
        error,
        wat::parse_str("(module").unwrap_err().to_string(),
        "wasmtime's wat2wasm message alone, as in the evaluator"
    );
    let binary = std::fs::read(probe_wasm()).unwrap();
    assert_eq!(
        outcome(
            attrs(vec![("wat", NixValue::string(binary)), function.clone()]),
            NixValue::Null
        ),
        Err("input was not valid utf-8".into())
    );
    assert_eq!(
        outcome(
            attrs(vec![("wat", NixValue::Int(1)), function]),
            NixValue::Null
        ),
        Err("expected a string but found an integer: 1".into())
    );
    assert_eq!(
        printed(
            attrs(vec![
                ("wat", NixValue::Int(1)),
                ("function", NixValue::Null)
            ]),
            NixValue::Null
        ),
        "error:\n       … while executing a Wasm module\n\n       … while evaluating the 'wat' attribute\n\n       error: expected a string but found an integer: 1"
    );
}

#[test]
fn a_missing_module_file_does_not_exist_as_nix_says() {
    let missing = common::temp_dir("missing").join("plugin.wasm");
    let config = attrs(vec![
        ("path", path_value(&missing)),
        ("function", NixValue::string("f")),
    ]);
    assert_eq!(
        outcome(config.clone(), NixValue::Null),
        Err(format!("path '{}' does not exist", missing.display()))
    );
    assert_eq!(
        printed(config, NixValue::Null),
        format!(
            "error:\n       … while executing a Wasm module\n\n       error: path '{}' does not exist",
            missing.display()
        )
    );
}

#[test]
fn the_module_is_instantiated_before_function_is_read() {
    // A start function that traps: its trap, whatever `function` is.
    let trapping =
        r#"(module (memory (export "memory") 1) (func $start unreachable) (start $start))"#;
    for function in [
        None,
        Some(NixValue::Int(1)),
        Some(NixValue::throw("never forced")),
    ] {
        let config = attrs(
            [Some(("wat", NixValue::string(trapping)))]
                .into_iter()
                .chain(function.map(|f| Some(("function", f))))
                .flatten()
                .collect(),
        );
        let error = outcome(config, NixValue::Null).unwrap_err();
        assert!(
            error.starts_with("error while executing at wasm backtrace:\n")
                && error.ends_with(
                    "\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed"
                ),
            "{error}"
        );
    }
    // No memory export: that, before a WASI program's `function` is refused.
    let no_memory = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (func (export "_start")))"#;
    assert_eq!(
        outcome(
            attrs(vec![
                ("wat", NixValue::string(no_memory)),
                ("function", NixValue::string("f"))
            ]),
            NixValue::Null
        ),
        Err("Wasm module '<inline wat>' does not export 'memory'".into())
    );
}

#[test]
fn an_inline_module_is_named_inline_wat() {
    assert_eq!(INLINE_WAT, "<inline wat>");
    let report = Host::new().unwrap().builtins_wasm(
        &attrs(vec![
            ("wat", NixValue::string(probe_source())),
            ("function", NixValue::string("warn_twice")),
        ]),
        &NixValue::Null,
        None,
    );
    assert!(report.result.is_ok());
    let lines: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "'<inline wat>' function 'warn_twice': a",
            "'<inline wat>' function 'warn_twice': b"
        ]
    );
    assert_eq!(
        outcome(
            attrs(vec![
                ("wat", NixValue::string(probe_source())),
                ("function", NixValue::string("nope")),
            ]),
            NixValue::Null
        ),
        Err("Wasm module '<inline wat>' does not export 'nope'".into())
    );
}

#[test]
fn function_is_required_for_plain_modules_and_refused_for_wasi_programs() {
    let probe = ("wat", NixValue::string(probe_source()));
    assert_eq!(
        outcome(attrs(vec![probe.clone()]), NixValue::Null),
        Err("missing required 'function' attribute in first argument to `builtins.wasm` for non-WASI modules".into())
    );
    assert_eq!(
        outcome(
            attrs(vec![probe.clone(), ("function", NixValue::Int(1))]),
            NixValue::Null
        ),
        Err("expected a string but found an integer: 1".into())
    );
    assert_eq!(
        printed(
            attrs(vec![probe.clone(), ("function", NixValue::Int(1))]),
            NixValue::Null
        ),
        "error:\n       … while executing a Wasm module\n\n       … while evaluating the 'function' attribute\n\n       error: expected a string but found an integer: 1"
    );
    assert_eq!(
        outcome(
            attrs(vec![
                probe.clone(),
                ("function", NixValue::string(b"\xff".as_slice()))
            ]),
            NixValue::Null
        ),
        Err("Wasm module '<inline wat>' does not export '\u{fffd}'".into()),
        "export names are UTF-8, so no export has this name"
    );
    let wasi = ("wat", NixValue::string(WASI_PROGRAM));
    assert_eq!(
        outcome(attrs(vec![wasi.clone()]), NixValue::Null),
        Ok(42.into())
    );
    assert_eq!(
        outcome(
            attrs(vec![wasi, ("function", NixValue::throw("never forced")),]),
            NixValue::Null
        ),
        Err("'function' attribute is not allowed for WASI modules".into()),
        "only its presence counts"
    );
}

#[test]
fn in_pure_evaluation_the_module_must_be_under_an_allowed_path() {
    let file = probe_wasm();
    let config = attrs(vec![
        ("path", path_value(&file)),
        ("function", NixValue::string("int_plus_one")),
    ]);
    let pure = |allowed: &std::path::Path| {
        Host::new()
            .unwrap()
            .with_file_access(FileAccess::Pure(vec![allowed.to_path_buf()]))
            .builtins_wasm(&config, &NixValue::Int(1), None)
            .result
            .map(|value| value.to_json().unwrap())
            .map_err(|e| e.to_string())
    };
    assert_eq!(pure(file.parent().unwrap()), Ok(2.into()));
    let refused = pure(std::path::Path::new("/nix/store")).unwrap_err();
    assert_eq!(
        refused,
        format!(
            "access to absolute path '{}' is forbidden in pure evaluation mode (use '--impure' to override)",
            file.display()
        ),
        "the accessor's message alone, as the evaluator's readFile throws it"
    );
}
