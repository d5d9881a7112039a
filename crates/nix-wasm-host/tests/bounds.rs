//! Every pointer and length a plugin passes is checked against its memory
//! (one 64 KiB page here) where the host reads or writes it: out of bounds
//! is a clean error, never a host crash. As in the evaluator, a buffer a
//! value does not fit is not touched, so not checked either.

mod common;

use common::{attrs, run_module, temp_dir};
use nix_wasm_host::{CallError, NixValue, function};

const OOB: &str = "Wasm memory access out of bounds";

fn out_of_bounds(body: &str, arg: NixValue) {
    let result = run_module(body).call("run", &arg);
    assert_eq!(
        result.map(|o| o.value).unwrap_err(),
        CallError::Host(OOB.into()),
        "{body}"
    );
}

#[test]
fn messages_and_strings() {
    out_of_bounds(
        "(call $panic (i32.const 0xFFFF) (i32.const 2)) (unreachable)",
        NixValue::Null,
    );
    out_of_bounds(
        "(call $warn (i32.const 0x10000) (i32.const 1)) (call $make_null)",
        NixValue::Null,
    );
    out_of_bounds(
        "(call $make_string (i32.const 0xFFF0) (i32.const 0x11))",
        NixValue::Null,
    );
    out_of_bounds(
        "(call $make_string (i32.const 0xFFFFFFFF) (i32.const 2))",
        NixValue::Null,
    );
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $copy_string (local.get $v) (i32.const 0xFFFE) (i32.const 0x100))))",
        NixValue::string("xyz"),
    );
    out_of_bounds(
        "(call $get_attr (local.get $v) (i32.const 0xFFFF) (i32.const 2))",
        attrs(vec![]),
    );
}

#[test]
fn paths_and_files() {
    let path = NixValue::Path("/a".into());
    out_of_bounds(
        "(call $make_path (local.get $v) (i32.const 0x10000) (i32.const 1))",
        path.clone(),
    );
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $copy_path (local.get $v) (i32.const 0xFFFF) (i32.const 2))))",
        path,
    );
    let dir = temp_dir("bounds");
    let file = dir.join("f");
    std::fs::write(&file, "0123456789").unwrap();
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $read_file (local.get $v) (i32.const 0xFFFF) (i32.const 100))))",
        NixValue::Path(file.display().to_string().into()),
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn lists_and_calls() {
    out_of_bounds(
        "(call $make_list (i32.const 0xFFFC) (i32.const 2))",
        NixValue::Null,
    );
    out_of_bounds(
        "(call $make_list (i32.const 0) (i32.const 0x40000000))",
        NixValue::Null,
    );
    let list = NixValue::list(vec![NixValue::Null, NixValue::Null, NixValue::Null]);
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $copy_list (local.get $v) (i32.const 0xFFFC) (i32.const 3))))",
        list.clone(),
    );
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $copy_list (local.get $v) (i32.const 0xFFFC) (i32.const 4))))",
        list,
    );
    let f = function("f", |_| Ok(NixValue::Null));
    out_of_bounds(
        "(call $call_function (local.get $v) (i32.const 0xFFFE) (i32.const 1))",
        f.clone(),
    );
    out_of_bounds(
        "(call $make_app (local.get $v) (i32.const 0xFFFE) (i32.const 1))",
        f,
    );
}

#[test]
fn attribute_sets() {
    out_of_bounds(
        "(call $make_attrset (i32.const 0xFFF8) (i32.const 1))",
        NixValue::Null,
    );
    out_of_bounds(
        "(i32.store (i32.const 0) (i32.const 0xFFFF)) (i32.store (i32.const 4) (i32.const 2))
         (i32.store (i32.const 8) (local.get $v))
         (call $make_attrset (i32.const 0) (i32.const 1))",
        NixValue::Null,
    );
    let set = attrs(vec![("x", NixValue::Null)]);
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $copy_attrset (local.get $v) (i32.const 0xFFFC) (i32.const 1))))",
        set.clone(),
    );
    out_of_bounds(
        "(call $copy_attrname (local.get $v) (i32.const 0) (i32.const 0x10000) (i32.const 1)) (call $make_null)",
        set,
    );
}

/// `run` returning the length a copy function reports, for a buffer the
/// value does not fit.
fn reported_length(body: &str, arg: NixValue) -> serde_json::Value {
    run_module(&format!("(call $make_int (i64.extend_i32_u {body}))"))
        .call("run", &arg)
        .unwrap_or_else(|e| panic!("{body}: {e}"))
        .value
        .to_json()
        .unwrap()
}

#[test]
fn buffers_a_value_does_not_fit_are_not_checked_as_in_the_evaluator() {
    let past_the_end = "(i32.const 0xFFFFFFF0)";
    assert_eq!(
        reported_length(
            &format!("(call $copy_string (local.get $v) {past_the_end} (i32.const 0))"),
            NixValue::string("abc")
        ),
        3
    );
    assert_eq!(
        reported_length(
            "(call $copy_string (local.get $v) (i32.const 0xFFF0) (i32.const 0x100))",
            NixValue::string("x")
        ),
        1,
        "max_len past the end, the one byte written inside"
    );
    let list = NixValue::list(vec![NixValue::Null; 3]);
    assert_eq!(
        reported_length(
            &format!("(call $copy_list (local.get $v) {past_the_end} (i32.const 2))"),
            list
        ),
        3
    );
    let set = attrs(vec![("x", NixValue::Null), ("y", NixValue::Null)]);
    assert_eq!(
        reported_length(
            &format!("(call $copy_attrset (local.get $v) {past_the_end} (i32.const 1))"),
            set
        ),
        2
    );
    let dir = temp_dir("bounds-unfit");
    let file = dir.join("f");
    std::fs::write(&file, "0123456789").unwrap();
    assert_eq!(
        reported_length(
            &format!("(call $read_file (local.get $v) {past_the_end} (i32.const 0))"),
            NixValue::Path(file.display().to_string().into())
        ),
        10
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn buffers_ending_exactly_at_the_end_of_memory_are_fine() {
    let body = "(call $make_int (i64.extend_i32_u (call $copy_string (local.get $v) (i32.const 0xFFFF) (i32.const 1))))";
    let outcome = run_module(body)
        .call("run", &NixValue::string("x"))
        .unwrap();
    assert_eq!(outcome.value.to_json().unwrap(), 1);
    let body = "(call $make_int (i64.extend_i32_u (call $copy_string (local.get $v) (i32.const 0x10000) (i32.const 0))))";
    let outcome = run_module(body)
        .call("run", &NixValue::string("abc"))
        .unwrap();
    assert_eq!(
        outcome.value.to_json().unwrap(),
        3,
        "an empty buffer at the end, to ask the size"
    );
}
