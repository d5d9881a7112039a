//! Every pointer and length a plugin passes is checked against its memory
//! (one 64 KiB page here): out of bounds is a clean error, never a host
//! crash.

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
    let text = NixValue::string("x");
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $copy_string (local.get $v) (i32.const 0xFFF0) (i32.const 0x100))))",
        text.clone(),
    );
    out_of_bounds(
        "(call $make_int (i64.extend_i32_u (call $copy_string (local.get $v) (i32.const 0x10001) (i32.const 0))))",
        text,
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
        NixValue::Path(file.display().to_string()),
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
        "(call $make_int (i64.extend_i32_u (call $copy_list (local.get $v) (i32.const 0xFFFC) (i32.const 2))))",
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
