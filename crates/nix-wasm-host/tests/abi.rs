//! Every host function, its edge cases and its failure modes, through the
//! probe plugin (tests/wat/probe.wat).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{attrs, call, failure, json, probe, probe_with, run_module, temp_dir};
use nix_wasm_host::{
    CallError, FileAccess, Host, Limits, MAX_CALL_DEPTH, MAX_DEPTH, NixValue, STACK_OVERFLOW,
    Warning, function,
};
use serde_json::json;

/// A host function that doubles an integer and counts its calls.
fn counted_double() -> (NixValue, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let f = {
        let calls = Arc::clone(&calls);
        function("double", move |x| {
            calls.fetch_add(1, Ordering::SeqCst);
            match x.force()? {
                NixValue::Int(n) => Ok(NixValue::Int(n * 2)),
                _ => Err("double takes an integer".into()),
            }
        })
    };
    (f, calls)
}

#[test]
fn scalars_round_trip() {
    let p = probe();
    assert_eq!(call(&p, "identity", NixValue::Int(42)), 42);
    assert_eq!(call(&p, "int_plus_one", NixValue::Int(-2)), -1);
    for n in [i64::MIN, -1, 0, i64::MAX] {
        assert_eq!(call(&p, "int_roundtrip", NixValue::Int(n)), n);
    }
    assert_eq!(call(&p, "float_half", NixValue::Float(3.0)), 1.5);
    assert_eq!(
        call(&p, "float_half", NixValue::Int(3)),
        1.5,
        "get_float accepts integers, like Nix's forceFloat"
    );
    assert_eq!(call(&p, "float_roundtrip", NixValue::Float(-1e300)), -1e300);
    assert_eq!(call(&p, "not", NixValue::Bool(false)), true);
    assert_eq!(call(&p, "not", NixValue::Bool(true)), false);
    assert_eq!(
        call(&p, "make_bool_2", NixValue::Null),
        true,
        "non-zero is true"
    );
    assert_eq!(call(&p, "null", NixValue::Int(0)), serde_json::Value::Null);
}

#[test]
fn the_argument_is_id_1_and_new_values_follow() {
    let p = probe();
    assert_eq!(call(&p, "first_new_id", NixValue::Null), 2);
    assert_eq!(
        failure(&p, "zero_id", NixValue::Null).to_string(),
        "invalid ValueId 0"
    );
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
        (function("id", |a| Ok(a.clone())), 9),
        (attrs(vec![("__functor", NixValue::Null)]), 7),
        (NixValue::lazy(|| Ok(NixValue::Int(1))), 1),
        (
            NixValue::lazy(|| Ok(NixValue::lazy(|| Ok(NixValue::Null)))),
            6,
        ),
    ];
    for (value, code) in cases {
        assert_eq!(call(&p, "type_of", value.clone()), code, "{value:?}");
    }
}

#[test]
fn strings_short_long_and_unicode() {
    let p = probe();
    for text in [
        String::new(),
        "short".to_string(),
        "x".repeat(16),
        "x".repeat(17),
        "x".repeat(255),
        "y".repeat(256),
        "é".repeat(300),
        "z".repeat(40_000),
        "grüße, ✓ 🦀 ${not interpolated} \"q\" \\ \n\t".to_string(),
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
fn strings_paths_and_names_are_bytes_not_utf8() {
    let p = probe();
    let bytes: &[u8] = b"\xff\xfe";
    let string = p.call("bad_utf8", &NixValue::Null).unwrap().value;
    assert!(
        matches!(&string, NixValue::String(s) if &s[..] == bytes),
        "{string:?}"
    );
    let back = p.call("string_roundtrip", &string).unwrap().value;
    assert!(
        matches!(&back, NixValue::String(s) if &s[..] == bytes),
        "{back:?}"
    );
    let path = p
        .call("bad_utf8_path", &NixValue::Path("/base".into()))
        .unwrap()
        .value;
    assert!(
        matches!(&path, NixValue::Path(s) if &s[..] == b"/base/\xff\xfe"),
        "{path:?}"
    );
    let named = NixValue::attrs([
        (bytes, NixValue::Int(7)),
        (b"x".as_slice(), NixValue::Int(1)),
    ])
    .unwrap();
    let found = p.call("bad_utf8_get", &named).unwrap().value;
    assert!(matches!(found, NixValue::Int(7)), "{found:?}");
    let copied = p.call("attrs_roundtrip", &named).unwrap().value;
    let NixValue::Attrs(set) = &copied else {
        panic!("{copied:?}")
    };
    assert!(matches!(set.get(bytes), Some(NixValue::Int(7))));
    let err = copied.to_json().unwrap_err().to_string();
    assert!(err.contains("UTF-8"), "{err}");
}

#[test]
fn lists_empty_and_large() {
    let p = probe();
    assert_eq!(
        call(&p, "list_roundtrip", NixValue::list(vec![])),
        json!([])
    );
    let large: Vec<NixValue> = (0..10_000).map(NixValue::Int).collect();
    let expected: Vec<i64> = (0..10_000).collect();
    assert_eq!(
        call(&p, "list_roundtrip", NixValue::list(large)),
        json!(expected)
    );
}

#[test]
fn attrsets_empty_large_and_unicode() {
    let p = probe();
    assert_eq!(call(&p, "attrs_roundtrip", attrs(vec![])), json!({}));
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
    let odd = attrs(vec![
        ("grüße ✓", NixValue::Int(1)),
        ("", NixValue::Int(2)),
        ("with space", NixValue::Int(3)),
    ]);
    assert_eq!(
        call(&p, "attrs_roundtrip", odd),
        json!({"grüße ✓": 1, "": 2, "with space": 3})
    );
}

#[test]
fn copies_that_do_not_fit_write_nothing_and_return_the_size() {
    let p = probe();
    let list = NixValue::list((0..5).map(NixValue::Int).collect());
    assert_eq!(call(&p, "list_len_small", list), json!([5, true]));
    assert_eq!(
        call(&p, "list_len_small", NixValue::list(vec![NixValue::Null])),
        json!([1, false]),
        "one fits"
    );
    let set = attrs(vec![("a", NixValue::Null), ("b", NixValue::Null)]);
    assert_eq!(call(&p, "attrs_len_small", set), json!([2, true]));
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
    let host_order: Vec<String> = set.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(reported, host_order);
    let mut sorted = reported.clone();
    sorted.sort();
    assert_ne!(reported, sorted, "not lexicographic");
    let insertion: Vec<String> = ('a'..='p').map(String::from).collect();
    assert_ne!(reported, insertion, "not insertion order");
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
    assert_eq!(call(&p, "has_x", attrs(vec![])), false);
    assert_eq!(call(&p, "get_x", attrs(vec![("x", NixValue::Int(7))])), 7);
    assert_eq!(
        failure(&p, "get_x", attrs(vec![])).to_string(),
        "invalid ValueId 0",
        "0 means missing"
    );
}

#[test]
fn copy_attrname_needs_the_exact_length_and_a_valid_index() {
    let p = probe();
    let set = attrs(vec![("x", NixValue::Null)]);
    assert_eq!(
        failure(&p, "attrname_wrong_len", set.clone()).to_string(),
        "copy_attrname: buffer length does not match attribute name length"
    );
    assert_eq!(
        failure(&p, "attrname_bad_index", set).to_string(),
        "copy_attrname: attribute index out of bounds"
    );
}

#[test]
fn layered_sets_read_through_lookups_and_copy_attrset_but_not_copy_attrname() {
    let p = probe();
    let layered = attrs(vec![("x", NixValue::Int(1)), ("y", NixValue::Int(2))])
        .update(&attrs(vec![("x", NixValue::Int(3))]))
        .unwrap();
    // What Determinate Nix's layered bindings serve without indexing.
    assert_eq!(call(&p, "get_x", layered.clone()), 3, "the right side wins");
    assert_eq!(
        call(&p, "attrs_len_small", layered.clone()),
        json!([2, true])
    );
    // copy_attrname indexes the set, which aborts that evaluator.
    let message = failure(&p, "attr_names", layered.clone()).to_string();
    assert!(
        message.starts_with("copy_attrname on a layered attribute set (made by `//` with at most 16 attributes on its right side): Determinate Nix aborts the whole evaluator here"),
        "{message}"
    );
    assert_eq!(
        failure(&p, "attrname_bad_index", layered.clone()).to_string(),
        "copy_attrname: attribute index out of bounds",
        "the index is checked before the set is indexed"
    );
    // A right side over 16 attributes is merged into a flat set.
    let big = NixValue::attrs((0..17).map(|i| (format!("k{i}"), NixValue::Int(i)))).unwrap();
    let merged = layered.update(&big).unwrap();
    assert_eq!(
        call(&p, "attrs_roundtrip", merged)
            .as_object()
            .unwrap()
            .len(),
        19
    );
}

#[test]
fn containers_do_not_force_their_elements() {
    let p = probe();
    let set = attrs(vec![("x", NixValue::throw("x was forced"))]);
    assert_eq!(
        call(&p, "touch_x", set.clone()),
        1,
        "get_attr, copy_attrset"
    );
    assert_eq!(
        call(&p, "attrs_len_small", set.clone()),
        json!([1, false]),
        "copy_attrset"
    );
    let list = NixValue::list(vec![NixValue::throw("element was forced"), NixValue::Null]);
    assert_eq!(call(&p, "list_len", list), 2, "copy_list");

    let wrapped = p
        .call("wrap", &NixValue::throw("wrapped value was forced"))
        .expect("make_list and make_attrset force nothing");
    assert_eq!(
        wrapped.value.to_json().unwrap_err().to_string(),
        "wrapped value was forced"
    );

    assert_eq!(
        failure(&p, "type_of", NixValue::throw("forced at last")),
        CallError::Host("forced at last".into()),
        "get_type forces"
    );
    assert_eq!(
        failure(&p, "get_x", set).to_string(),
        "x was forced",
        "the result is forced when returned"
    );
}

#[test]
fn call_function_calls_host_functions_strictly() {
    let p = probe();
    let (double, calls) = counted_double();
    let arg = attrs(vec![("f", double), ("x", NixValue::Int(21))]);
    assert_eq!(call(&p, "call_f", arg), 42);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    fn int(value: &NixValue) -> Result<i64, String> {
        match value.force()? {
            NixValue::Int(n) => Ok(n),
            other => Err(format!("add: {}", other.describe())),
        }
    }
    // A two-argument Nix function: one returning a function.
    let add = function("add", |a| {
        let a = int(a)?;
        Ok(function("add a", move |b| Ok(NixValue::Int(a + int(b)?))))
    });
    let arg = attrs(vec![("f", add.clone()), ("x", NixValue::Int(4))]);
    assert_eq!(
        call(&p, "call_f2", arg.clone()),
        8,
        "two arguments, applied one at a time"
    );
    assert_eq!(
        call(&p, "call_f0", arg),
        9,
        "no arguments give the function itself"
    );
    let one_argument = function("one", |_| Ok(NixValue::Int(5)));
    assert_eq!(
        failure(
            &p,
            "call_f2",
            attrs(vec![("f", one_argument), ("x", NixValue::Int(4))])
        )
        .to_string(),
        "attempt to call something which is not a function but an integer: 5",
        "a second argument to what the first returned"
    );
    assert_eq!(
        failure(&p, "call_f0", attrs(vec![("f", NixValue::Int(1))])).to_string(),
        "expected a function but found an integer: 1"
    );

    let lazy_result = function("lazy", |_| Ok(NixValue::throw("result forced")));
    let arg = attrs(vec![("f", lazy_result), ("x", NixValue::Null)]);
    assert_eq!(
        failure(&p, "call_f", arg).to_string(),
        "result forced",
        "call_function forces the result"
    );

    let throwing = attrs(vec![
        ("f", function("fail", |_| Err("inside f".into()))),
        ("x", NixValue::Null),
    ]);
    assert_eq!(failure(&p, "call_f", throwing).to_string(), "inside f");

    let not_a_function = attrs(vec![("f", NixValue::Int(1)), ("x", NixValue::Int(2))]);
    assert_eq!(
        failure(&p, "call_f", not_a_function).to_string(),
        "expected a function but found an integer: 1"
    );
}

#[test]
fn sets_with_functor_are_callable() {
    let p = probe();
    // `__functor = self: x: self.k * x;`
    let functor = function("functor", |this| {
        let NixValue::Attrs(this) = this.force()? else {
            return Err("functor: self is not a set".into());
        };
        let k = match this.get("k").map(NixValue::force) {
            Some(Ok(NixValue::Int(k))) => k,
            _ => return Err("functor: no k".into()),
        };
        Ok(function("functor self", move |x| match x.force()? {
            NixValue::Int(x) => Ok(NixValue::Int(k * x)),
            _ => Err("functor: bad argument".into()),
        }))
    });
    let callable = attrs(vec![("__functor", functor), ("k", NixValue::Int(3))]);
    let arg = attrs(vec![("f", callable), ("x", NixValue::Int(5))]);
    assert_eq!(call(&p, "call_f", arg.clone()), 15);
    assert_eq!(call(&p, "app_f", arg), 15);
    let plain_set = attrs(vec![("f", attrs(vec![])), ("x", NixValue::Int(5))]);
    assert_eq!(
        failure(&p, "call_f", plain_set).to_string(),
        "expected a function but found a set: { }"
    );
}

#[test]
fn make_app_is_lazy_and_shared() {
    let p = probe();
    let (double, calls) = counted_double();
    let arg = attrs(vec![("f", double), ("x", NixValue::Int(21))]);

    assert_eq!(call(&p, "app_unused", arg.clone()), 1);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "an unused application never runs"
    );

    assert_eq!(
        call(&p, "app_f", arg.clone()),
        42,
        "the result is forced when returned"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    assert_eq!(call(&p, "force_twice", arg), 42);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "forced through two ids, evaluated once"
    );

    let not_a_function = attrs(vec![("f", NixValue::Int(1)), ("x", NixValue::Int(2))]);
    assert_eq!(
        call(&p, "app_unused", not_a_function.clone()),
        1,
        "not checked"
    );
    assert_eq!(
        failure(&p, "app_f", not_a_function).to_string(),
        "attempt to call something which is not a function but an integer: 1",
        "until forced"
    );
    assert_eq!(
        call(&p, "app_no_args", NixValue::Int(5)),
        5,
        "no arguments: the function itself"
    );
    assert_eq!(
        call(&p, "app_bogus_unused", NixValue::Null),
        serde_json::Value::Null
    );
}

#[test]
fn paths() {
    let p = probe();
    assert_eq!(
        call(&p, "path_child", NixValue::Path("/base/dir".into())),
        "/base/dir/x"
    );
    assert_eq!(call(&p, "path_child", NixValue::Path("/".into())), "/x");
    assert_eq!(
        call(&p, "path_absolute", NixValue::Path("/base".into())),
        "/etc/hosts"
    );
    assert_eq!(
        call(&p, "path_text", NixValue::Path("/nix/store/x".into())),
        "/nix/store/x"
    );
    let made = p.call("path_child", &NixValue::Path("/b".into())).unwrap();
    assert!(
        matches!(made.value, NixValue::Path(ref p) if p == "/b/x"),
        "{:?}",
        made.value
    );
    assert_eq!(
        failure(&p, "path_child", NixValue::string("/base")).to_string(),
        "make_path expects a path value"
    );
    assert_eq!(
        failure(&p, "path_text", NixValue::string("/x")).to_string(),
        "copy_path expects a path value"
    );
    assert_eq!(
        failure(&p, "path_nul", NixValue::Path("/b".into())).to_string(),
        "path segment 'a␀b' must not contain null (\\0) bytes"
    );
}

#[test]
fn pure_evaluation_reads_only_allowed_paths() {
    let dir = temp_dir("pure");
    let allowed = dir.join("flake");
    std::fs::create_dir_all(&allowed).unwrap();
    std::fs::write(allowed.join("data"), "inside").unwrap();
    std::fs::write(dir.join("outside"), "outside").unwrap();
    let p = Host::new()
        .unwrap()
        .with_file_access(FileAccess::Pure(vec![allowed.clone()]))
        .compile_wat("probe.wat", include_bytes!("wat/probe.wat"))
        .unwrap();
    let path = |file: &std::path::Path| NixValue::Path(file.display().to_string().into());
    assert_eq!(call(&p, "read", path(&allowed.join("data"))), "inside");
    assert_eq!(
        failure(&p, "read", path(&dir.join("outside"))).to_string(),
        format!(
            "access to absolute path '{}' is forbidden in pure evaluation mode (use '--impure' to override)",
            dir.join("outside").display()
        )
    );
    let sneaky = allowed.join("../outside").display().to_string();
    for value in [
        NixValue::Path(sneaky.clone().into()),
        NixValue::string(sneaky),
    ] {
        assert_eq!(
            failure(&p, "read", value).to_string(),
            format!(
                "access to absolute path '{}' is forbidden in pure evaluation mode (use '--impure' to override)",
                dir.join("outside").display()
            ),
            "judged after canonicalisation"
        );
    }
    // Symlinks are resolved and both ends judged: a link inside may not
    // lead out, a link outside may not lead in, a link inside to inside
    // is fine.
    std::os::unix::fs::symlink(dir.join("outside"), allowed.join("out")).unwrap();
    std::os::unix::fs::symlink(allowed.join("data"), dir.join("in")).unwrap();
    std::os::unix::fs::symlink(allowed.join("data"), allowed.join("alias")).unwrap();
    let forbidden = |file: &std::path::Path| {
        format!(
            "access to absolute path '{}' is forbidden in pure evaluation mode (use '--impure' to override)",
            file.display()
        )
    };
    assert_eq!(
        failure(&p, "read", path(&allowed.join("out"))).to_string(),
        forbidden(&dir.join("outside"))
    );
    assert_eq!(
        failure(&p, "read", path(&dir.join("in"))).to_string(),
        forbidden(&dir.join("in"))
    );
    assert_eq!(call(&p, "read", path(&allowed.join("alias"))), "inside");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn read_file_uses_the_size_protocol() {
    let p = probe();
    let dir = temp_dir("read");
    let file = dir.join("data.txt");
    let contents = "line one\nline two ✓\n".repeat(100);
    std::fs::write(&file, &contents).unwrap();
    let path = NixValue::Path(file.display().to_string().into());
    assert_eq!(call(&p, "read", path.clone()), contents);
    assert_eq!(
        call(&p, "read_small", path),
        json!([contents.len(), true]),
        "a short buffer stays untouched"
    );
    assert_eq!(
        call(&p, "read", NixValue::string(file.display().to_string())),
        contents,
        "absolute strings coerce to paths"
    );
    let derivation_like = attrs(vec![(
        "outPath",
        NixValue::string(file.display().to_string()),
    )]);
    assert_eq!(call(&p, "read", derivation_like), contents);

    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(
        call(
            &p,
            "read",
            NixValue::Path(empty.display().to_string().into())
        ),
        ""
    );

    let missing = failure(
        &p,
        "read",
        NixValue::Path(dir.join("nope").display().to_string().into()),
    );
    assert_eq!(
        missing.to_string(),
        format!("path '{}' does not exist", dir.join("nope").display())
    );
    assert_eq!(
        failure(&p, "read", NixValue::string("relative.txt")).to_string(),
        "string 'relative.txt' doesn't represent an absolute path"
    );
    assert_eq!(
        failure(&p, "read", NixValue::Int(3)).to_string(),
        "cannot coerce an integer to a string: 3"
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

    let report = p.call_report("warn_then_panic", &NixValue::Null);
    assert_eq!(report.result.unwrap_err(), CallError::Panic("boom".into()));
    assert_eq!(
        report.warnings,
        [Warning {
            module: "probe.wat".into(),
            function: Some("warn_then_panic".into()),
            message: "a".into()
        }],
        "warnings survive a failed call"
    );
}

#[test]
fn repeated_names_in_make_attrset_are_kept_and_the_first_is_found() {
    let p = probe();
    let outcome = p.call("duplicate_names", &NixValue::Int(7)).unwrap();
    let NixValue::Attrs(set) = &outcome.value else {
        panic!("{:?}", outcome.value)
    };
    assert_eq!(set.len(), 2, "both entries, as the evaluator's size()");
    assert!(
        matches!(set.get("x"), Some(NixValue::Int(7))),
        "get finds the first"
    );
    assert_eq!(
        json(&outcome.value),
        json!({"x": null}),
        "toJSON writes the last"
    );
    assert_eq!(
        call(&p, "attr_names", outcome.value.clone()),
        json!(["x", "x"])
    );
    assert_eq!(outcome.value.to_nix_expr().unwrap(), "{ x = 7; }");
}

#[test]
fn wrong_types_and_bad_ids_trap_with_nix_messages() {
    let p = probe();
    let cases: Vec<(&str, NixValue, &str)> = vec![
        ("bad_id", NixValue::Null, "invalid ValueId 12345"),
        (
            "string_roundtrip",
            NixValue::Int(5),
            "expected a string but found an integer: 5",
        ),
        (
            "string_roundtrip",
            NixValue::Path("/a".into()),
            "expected a string but found a path: /a",
        ),
        (
            "int_plus_one",
            NixValue::string("5"),
            "expected an integer but found a string: \"5\"",
        ),
        (
            "int_plus_one",
            NixValue::Float(5.0),
            "expected an integer but found a float: 5",
        ),
        (
            "float_half",
            NixValue::Bool(true),
            "expected a float but found a Boolean: true",
        ),
        (
            "not",
            NixValue::Null,
            "expected a Boolean but found null: null",
        ),
        (
            "list_roundtrip",
            attrs(vec![]),
            "expected a list but found a set: { }",
        ),
        (
            "attrs_roundtrip",
            NixValue::list(vec![]),
            "expected a set but found a list: [ ]",
        ),
        (
            "get_x",
            function("f", |_| Ok(NixValue::Null)),
            "expected a set but found a function: «primop f»",
        ),
    ];
    for (f, arg, message) in cases {
        let err = failure(&p, f, arg);
        assert_eq!(err, CallError::Host(message.into()), "{f}");
    }
}

#[test]
fn wasm_traps_carry_wasmtime_messages() {
    let err = failure(&probe(), "panic_without_host", NixValue::Null);
    let CallError::Trap(message) = &err else {
        panic!("{err:?}")
    };
    // wasmtime's message alone, as the evaluator shows it: the Wasm
    // backtrace, then the trap.
    assert!(
        message.starts_with("error while executing at wasm backtrace:\n    0: ")
            && message.ends_with(
                "\n\nCaused by:\n    wasm trap: wasm `unreachable` instruction executed"
            ),
        "{message}"
    );
    assert_eq!(&err.to_string(), message, "no prefix of this host's");
}

/// The evaluator's message for what a host function throws: wasmtime's
/// trap, its Wasm backtrace first, caused by the Nix error as its
/// `what()` shows it (`error: …`, with the trace its `force*` function
/// adds); outside Wasm (forcing the result), the Nix error itself.
#[test]
fn host_function_errors_are_wasmtime_traps_caused_by_the_nix_error() {
    let p = probe();
    let in_wasm = |function: &str, argument: NixValue| {
        let report = p.call_report(function, &argument);
        assert_eq!(report.error_traces(), ["while executing a Wasm module"]);
        let message = report.error_message().unwrap();
        let (backtrace, cause) = message
            .split_once("\n\nCaused by:\n")
            .unwrap_or_else(|| panic!("{message}"));
        assert!(
            backtrace.starts_with("error while executing at wasm backtrace:\n    0: "),
            "{message}"
        );
        cause.to_string()
    };
    assert_eq!(
        in_wasm("panic", NixValue::Null),
        "    error: Wasm panic: boom"
    );
    assert_eq!(
        in_wasm("bad_id", NixValue::Null),
        "    error: invalid ValueId 12345"
    );
    assert_eq!(
        in_wasm("int_plus_one", NixValue::string("5")),
        "    error:\n           … while evaluating a value from Wasm\n    \n           error: expected an integer but found a string: \"5\""
    );
    assert_eq!(
        in_wasm("int_plus_one", NixValue::throw("boom-arg")),
        "    error:\n           … while evaluating a value from Wasm\n    \n           error: boom-arg",
        "forceInt traces forcing too"
    );
    assert_eq!(
        in_wasm("list_roundtrip", attrs(vec![])),
        "    error:\n           … while getting a list from Wasm\n    \n           error: expected a list but found a set: { }"
    );
    assert_eq!(
        in_wasm("list_roundtrip", NixValue::throw("boom-arg")),
        "    error: boom-arg",
        "forceList traces only its type error"
    );
    assert_eq!(
        in_wasm("attrs_roundtrip", NixValue::Int(1)),
        "    error:\n           … while copying an attrset into Wasm\n    \n           error: expected a set but found an integer: 1"
    );
    assert_eq!(
        in_wasm("get_x", NixValue::Int(1)),
        "    error:\n           … while getting an attribute from Wasm\n    \n           error: expected a set but found an integer: 1"
    );
    assert_eq!(
        in_wasm(
            "call_f",
            attrs(vec![("f", NixValue::Int(1)), ("x", NixValue::Null)])
        ),
        "    error:\n           … while calling a function from Wasm\n    \n           error: expected a function but found an integer: 1"
    );
    assert_eq!(
        in_wasm("read", NixValue::Int(3)),
        "    error:\n           … while realising the context of a path\n    \n           error: cannot coerce an integer to a string: 3"
    );

    // As Nix prints it: every line under `error: `, blank ones empty.
    let report = p.call_report("int_plus_one", &NixValue::string("5"));
    let printed = String::from_utf8(report.nix_error().unwrap()).unwrap();
    assert!(
        printed.starts_with("error:\n       … while executing a Wasm module\n\n       error: error while executing at wasm backtrace:\n")
            && printed.ends_with("\n\n       Caused by:\n           error:\n                  … while evaluating a value from Wasm\n\n                  error: expected an integer but found a string: \"5\""),
        "{printed}"
    );

    // Forcing the result happens after the module ran: the error itself.
    let report = p.call_report("identity", &NixValue::throw("late"));
    assert_eq!(
        report.result.as_ref().unwrap_err(),
        &CallError::Host("late".into())
    );
    assert_eq!(report.error_message().unwrap(), "late");
    assert_eq!(
        String::from_utf8(report.nix_error().unwrap()).unwrap(),
        "error:\n       … while executing a Wasm module\n\n       error: late"
    );
}

/// `make_app` checks the array against memory, then the function's id,
/// then the arguments' ids, in the evaluator's order.
#[test]
fn make_app_checks_the_function_before_the_arguments() {
    let p = run_module(
        r#"(i32.store (i32.const 0) (i32.const 777))
           (call $make_app (i32.const 555) (i32.const 0) (i32.const 1))"#,
    );
    assert_eq!(
        failure(&p, "run", NixValue::Null),
        CallError::Host("invalid ValueId 555".into())
    );
    let p = run_module(r#"(call $make_app (i32.const 555) (i32.const 65535) (i32.const 1))"#);
    assert_eq!(
        failure(&p, "run", NixValue::Null),
        CallError::Host("Wasm memory access out of bounds".into())
    );
}

/// `panic` and `warn` take any bytes. The evaluator's panic message passes
/// through wasmtime's trap, a Rust string made with
/// `String::from_utf8_lossy`, so bytes that are not UTF-8 become U+FFFD
/// there too; a warning is printed with its bytes as they are.
#[test]
fn panic_and_warn_with_bytes_that_are_not_utf8() {
    let p = run_module(
        r#"(i32.store (i32.const 0) (i32.const 0x0021feff))
           (call $warn (i32.const 0) (i32.const 3))
           (call $panic (i32.const 0) (i32.const 3))
           (i32.const 0)"#,
    );
    let report = p.call_report("run", &NixValue::Null);
    assert_eq!(
        report.result.as_ref().unwrap_err(),
        &CallError::Panic("\u{fffd}\u{fffd}!".into())
    );
    assert!(
        report
            .error_message()
            .unwrap()
            .ends_with("\n\nCaused by:\n    error: Wasm panic: \u{fffd}\u{fffd}!"),
        "{:?}",
        report.error_message()
    );
    assert_eq!(report.warnings[0].message.as_bytes(), b"\xff\xfe!");
    assert_eq!(
        report.warnings[0].to_bytes(),
        b"'run.wat' function 'run': \xff\xfe!"
    );
}

#[test]
fn endless_loops_hit_the_time_limit() {
    let p = probe_with(Limits {
        timeout: Some(std::time::Duration::from_millis(200)),
        ..Limits::default()
    });
    let started = std::time::Instant::now();
    let err = failure(&p, "spin", NixValue::Null);
    assert!(matches!(err, CallError::Limit(_)), "{err:?}");
    assert!(err.to_string().contains("time limit"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn memory_grows_up_to_the_limit() {
    let p = probe_with(Limits {
        max_memory: 1 << 20,
        ..Limits::default()
    });
    assert_eq!(
        call(&p, "grow", NixValue::Int(1)),
        8,
        "the old size in pages"
    );
    assert_eq!(call(&p, "grow", NixValue::Int(9)), -1, "past 1 MiB");
}

#[test]
fn values_and_nesting_are_limited() {
    let p = probe_with(Limits {
        max_values: 1000,
        ..Limits::default()
    });
    let err = failure(&p, "values_forever", NixValue::Null);
    assert!(matches!(err, CallError::Limit(_)), "{err:?}");

    let p = probe();
    let err = failure(&p, "nest_forever", NixValue::Null);
    assert_eq!(
        err,
        CallError::Limit(format!(
            "values nested more than {} levels deep (a limit of this host)",
            Limits::default().max_depth
        ))
    );
    let wrap = function("wrap", |arg| Ok(NixValue::list(vec![arg.clone()])));
    let arg = attrs(vec![("f", wrap), ("x", NixValue::Null)]);
    let err = failure(&p, "call_nest_forever", arg.clone());
    assert!(matches!(err, CallError::Limit(_)), "{err:?}");
    let err = failure(&p, "app_nest_forever", arg);
    assert!(matches!(err, CallError::Limit(_)), "{err:?}");
}

#[test]
fn results_can_be_inspected_lazily() {
    let outcome = probe()
        .call("wrap", &NixValue::lazy(|| Ok(NixValue::Int(9))))
        .unwrap();
    assert_eq!(json(&outcome.value), json!([{"x": 9}, [9]]));
}

fn increment_chain(n: usize) -> NixValue {
    let increment = function("increment", |x| match x.force()? {
        NixValue::Int(n) => Ok(NixValue::Int(n + 1)),
        other => Err(format!("increment: {}", other.describe())),
    });
    attrs(vec![
        ("f", increment),
        ("x", NixValue::Int(0)),
        ("n", NixValue::Int(n as i64)),
    ])
}

#[test]
fn the_deepest_allowed_chain_of_applications_is_forced_without_overflow() {
    let depth = Limits::default().max_depth;
    let p = probe();
    assert_eq!(call(&p, "app_chain", increment_chain(depth)), depth as i64);
    let err = failure(&p, "app_chain", increment_chain(depth + 1));
    assert!(matches!(err, CallError::Limit(_)), "{err:?}");
}

/// With the evaluator's limits, values are built as deep as a plugin
/// makes them (to [`MAX_DEPTH`], far beyond what Nix can walk), and what
/// walks them stops at Nix's `max-call-depth`, as in the evaluator:
/// forcing a chain of applications, printing.
#[test]
fn the_evaluators_limits_build_deep_values_and_walk_them_to_max_call_depth() {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(|| {
            let p = probe_with(Limits::evaluator());
            assert_eq!(
                call(&p, "app_chain", increment_chain(MAX_CALL_DEPTH)),
                MAX_CALL_DEPTH as i64
            );
            assert_eq!(
                failure(&p, "app_chain", increment_chain(MAX_CALL_DEPTH + 1)),
                CallError::Host(STACK_OVERFLOW.into()),
                "built, then forcing it fails as in Nix"
            );

            // A list 20 000 levels deep, returned: reading its top works,
            // printing it all fails as Nix's printing does.
            let nest = Host::with_limits(Limits::evaluator())
                .unwrap()
                .compile_wat("nest.wat", common::NEST.as_bytes())
                .unwrap();
            let outcome = nest.call("nest", &NixValue::Int(20_000)).unwrap();
            let NixValue::List(top) = &outcome.value else {
                panic!("{:?}", outcome.value)
            };
            assert_eq!(top.len(), 1);
            assert_eq!(
                outcome.value.to_json().unwrap_err().to_string(),
                STACK_OVERFLOW
            );

            let err = failure(&p, "nest_forever", NixValue::Null);
            assert_eq!(
                err.to_string(),
                format!("values nested more than {MAX_DEPTH} levels deep (a limit of this host)")
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_failed_thunk_fails_again_with_the_same_error_without_evaluating_again() {
    let evaluations = Arc::new(AtomicUsize::new(0));
    let failing = {
        let evaluations = Arc::clone(&evaluations);
        NixValue::lazy(move || {
            let n = evaluations.fetch_add(1, Ordering::SeqCst);
            Err(format!("failure number {n}"))
        })
    };
    let p = probe();
    let arg = failing;
    for _ in 0..2 {
        assert_eq!(
            failure(&p, "int_plus_one", arg.clone()).to_string(),
            "failure number 0"
        );
    }
    assert_eq!(evaluations.load(Ordering::SeqCst), 1);
}
