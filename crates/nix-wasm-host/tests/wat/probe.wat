;; A builtins.wasm probe plugin: one entry point per ABI behaviour the host
;; tests check. Memory map: 0x100 names and texts, 0x200 small id arrays,
;; 0x1000 byte buffer, 0x20000 id and attribute records, 0x40000
;; make_attrset records, 0x60000 attribute names.
(module
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

  (memory (export "memory") 8)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 0x100) "fxboomabn")
  (data (i32.const 0x300) "child/../x")
  (data (i32.const 0x310) "/etc/hosts")
  (data (i32.const 0x400) "\ff\fe")
  (data (i32.const 0x410) "a\00b")
  (data (i32.const 0x500) "a value was lost to the GC")

  (func (export "nix_wasm_init_v1"))

  (func (export "identity") (param $v i32) (result i32) (local.get $v))

  (func (export "type_of") (param $v i32) (result i32)
    (call $make_int (i64.extend_i32_u (call $get_type (local.get $v)))))

  (func (export "int_plus_one") (param $v i32) (result i32)
    (call $make_int (i64.add (call $get_int (local.get $v)) (i64.const 1))))

  (func (export "float_half") (param $v i32) (result i32)
    (call $make_float (f64.div (call $get_float (local.get $v)) (f64.const 2))))

  (func (export "not") (param $v i32) (result i32)
    (call $make_bool (i32.eqz (call $get_bool (local.get $v)))))

  (func (export "null") (param $v i32) (result i32) (call $make_null))

  ;; Length-then-copy with a 16-byte first try.
  (func (export "string_roundtrip") (param $v i32) (result i32)
    (local $len i32)
    (local.set $len (call $copy_string (local.get $v) (i32.const 0x1000) (i32.const 16)))
    (if (i32.gt_u (local.get $len) (i32.const 16))
      (then (drop (call $copy_string (local.get $v) (i32.const 0x1000) (local.get $len)))))
    (call $make_string (i32.const 0x1000) (local.get $len)))

  ;; A too-small buffer must stay untouched.
  (func (export "short_copy_untouched") (param $v i32) (result i32)
    (i32.store8 (i32.const 0x1000) (i32.const 0xAA))
    (drop (call $copy_string (local.get $v) (i32.const 0x1000) (i32.const 1)))
    (call $make_bool (i32.eq (i32.load8_u (i32.const 0x1000)) (i32.const 0xAA))))

  (func (export "list_roundtrip") (param $v i32) (result i32)
    (local $n i32)
    (local.set $n (call $copy_list (local.get $v) (i32.const 0x20000) (i32.const 0)))
    (if (i32.gt_u (local.get $n) (i32.const 0))
      (then (drop (call $copy_list (local.get $v) (i32.const 0x20000) (local.get $n)))))
    (call $make_list (i32.const 0x20000) (local.get $n)))

  ;; Copies every attribute (names through copy_attrname) into a new set.
  (func (export "attrs_roundtrip") (param $v i32) (result i32)
    (local $n i32) (local $i i32) (local $len i32) (local $names i32) (local $out i32)
    (local.set $n (call $copy_attrset (local.get $v) (i32.const 0x20000) (i32.const 0)))
    (if (i32.gt_u (local.get $n) (i32.const 0))
      (then (drop (call $copy_attrset (local.get $v) (i32.const 0x20000) (local.get $n)))))
    (local.set $names (i32.const 0x60000))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $len
          (i32.load offset=4 (i32.add (i32.const 0x20000) (i32.shl (local.get $i) (i32.const 3)))))
        (call $copy_attrname (local.get $v) (local.get $i) (local.get $names) (local.get $len))
        (local.set $out (i32.add (i32.const 0x40000) (i32.mul (local.get $i) (i32.const 12))))
        (i32.store (local.get $out) (local.get $names))
        (i32.store offset=4 (local.get $out) (local.get $len))
        (i32.store offset=8 (local.get $out)
          (i32.load (i32.add (i32.const 0x20000) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $names (i32.add (local.get $names) (local.get $len)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $make_attrset (i32.const 0x40000) (local.get $n)))

  ;; The attribute names, as a list, in the order the host reports them.
  (func (export "attr_names") (param $v i32) (result i32)
    (local $n i32) (local $i i32) (local $len i32) (local $names i32)
    (local.set $n (call $copy_attrset (local.get $v) (i32.const 0x20000) (i32.const 0)))
    (if (i32.gt_u (local.get $n) (i32.const 0))
      (then (drop (call $copy_attrset (local.get $v) (i32.const 0x20000) (local.get $n)))))
    (local.set $names (i32.const 0x60000))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $len
          (i32.load offset=4 (i32.add (i32.const 0x20000) (i32.shl (local.get $i) (i32.const 3)))))
        (call $copy_attrname (local.get $v) (local.get $i) (local.get $names) (local.get $len))
        (i32.store (i32.add (i32.const 0x40000) (i32.shl (local.get $i) (i32.const 2)))
          (call $make_string (local.get $names) (local.get $len)))
        (local.set $names (i32.add (local.get $names) (local.get $len)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $make_list (i32.const 0x40000) (local.get $n)))

  (func (export "has_x") (param $v i32) (result i32)
    (call $make_bool (i32.ne (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)) (i32.const 0))))

  (func (export "get_x") (param $v i32) (result i32)
    (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))

  ;; Reads attribute x and returns 1: x itself is never forced.
  (func (export "touch_x") (param $v i32) (result i32)
    (drop (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (drop (call $copy_attrset (local.get $v) (i32.const 0x20000) (i32.const 0)))
    (call $make_int (i64.const 1)))

  (func (export "call_f") (param $v i32) (result i32)
    (i32.store (i32.const 0x200) (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (call $call_function
      (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)) (i32.const 0x200) (i32.const 1)))

  (func (export "app_f") (param $v i32) (result i32)
    (i32.store (i32.const 0x200) (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (call $make_app
      (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)) (i32.const 0x200) (i32.const 1)))

  (func (export "app_unused") (param $v i32) (result i32)
    (i32.store (i32.const 0x200) (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (drop (call $make_app
      (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)) (i32.const 0x200) (i32.const 1)))
    (call $make_int (i64.const 1)))

  (func (export "app_no_args") (param $v i32) (result i32)
    (call $make_app (local.get $v) (i32.const 0x200) (i32.const 0)))

  (func (export "read") (param $v i32) (result i32)
    (local $size i32)
    (local.set $size (call $read_file (local.get $v) (i32.const 0x1000) (i32.const 0)))
    (if (i32.gt_u (local.get $size) (i32.const 0))
      (then (drop (call $read_file (local.get $v) (i32.const 0x1000) (local.get $size)))))
    (call $make_string (i32.const 0x1000) (local.get $size)))

  (func (export "path_child") (param $v i32) (result i32)
    (call $make_path (local.get $v) (i32.const 0x300) (i32.const 10)))

  (func (export "path_absolute") (param $v i32) (result i32)
    (call $make_path (local.get $v) (i32.const 0x310) (i32.const 10)))

  (func (export "path_text") (param $v i32) (result i32)
    (local $len i32)
    (local.set $len (call $copy_path (local.get $v) (i32.const 0x1000) (i32.const 0)))
    (drop (call $copy_path (local.get $v) (i32.const 0x1000) (local.get $len)))
    (call $make_string (i32.const 0x1000) (local.get $len)))

  (func (export "panic") (param $v i32) (result i32)
    (call $panic (i32.const 0x102) (i32.const 4))
    (unreachable))

  (func (export "warn_twice") (param $v i32) (result i32)
    (call $warn (i32.const 0x106) (i32.const 1))
    (call $warn (i32.const 0x107) (i32.const 1))
    (call $make_null))

  (func (export "counter") (param $v i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $make_int (i64.extend_i32_u (global.get $calls))))

  (func (export "bad_id") (param $v i32) (result i32)
    (call $get_type (i32.const 12345)))

  (func (export "zero_id") (param $v i32) (result i32) (i32.const 0))

  (func (export "oob_string") (param $v i32) (result i32)
    (call $make_string (i32.const 0x7FFF0) (i32.const 0x100)))

  (func (export "oob_copy") (param $v i32) (result i32)
    (call $copy_string (local.get $v) (i32.const 0x7FFFF) (i32.const 64)))

  (func (export "attrname_wrong_len") (param $v i32) (result i32)
    (call $copy_attrname (local.get $v) (i32.const 0) (i32.const 0x1000) (i32.const 999))
    (call $make_null))

  (func (export "attrname_bad_index") (param $v i32) (result i32)
    (call $copy_attrname (local.get $v) (i32.const 1000) (i32.const 0x1000) (i32.const 1))
    (call $make_null))

  (func (export "duplicate_names") (param $v i32) (result i32)
    (i32.store (i32.const 0x40000) (i32.const 0x101))
    (i32.store (i32.const 0x40004) (i32.const 1))
    (i32.store (i32.const 0x40008) (local.get $v))
    (i32.store (i32.const 0x4000C) (i32.const 0x101))
    (i32.store (i32.const 0x40010) (i32.const 1))
    (i32.store (i32.const 0x40014) (call $make_null))
    (call $make_attrset (i32.const 0x40000) (i32.const 2)))

  (func (export "spin") (param $v i32) (result i32)
    (loop $forever (br $forever))
    (unreachable))


  ;; The first value a call makes gets id 2: the argument is 1.
  (func (export "first_new_id") (param $v i32) (result i32)
    (call $make_int (i64.extend_i32_u (call $make_null))))

  (func (export "int_roundtrip") (param $v i32) (result i32)
    (call $make_int (call $get_int (local.get $v))))

  (func (export "make_bool_2") (param $v i32) (result i32)
    (call $make_bool (i32.const 2)))

  ;; [count, whether the too-small buffer stayed untouched]
  (func $count_and_marker (param $count i32) (result i32)
    (i32.store (i32.const 0x200) (call $make_int (i64.extend_i32_u (local.get $count))))
    (i32.store (i32.const 0x204)
      (call $make_bool (i32.eq (i32.load (i32.const 0x20000)) (i32.const 0xAAAAAAAA))))
    (call $make_list (i32.const 0x200) (i32.const 2)))

  (func (export "list_len_small") (param $v i32) (result i32)
    (i32.store (i32.const 0x20000) (i32.const 0xAAAAAAAA))
    (call $count_and_marker (call $copy_list (local.get $v) (i32.const 0x20000) (i32.const 1))))

  (func (export "attrs_len_small") (param $v i32) (result i32)
    (i32.store (i32.const 0x20000) (i32.const 0xAAAAAAAA))
    (call $count_and_marker (call $copy_attrset (local.get $v) (i32.const 0x20000) (i32.const 1))))

  (func (export "read_small") (param $v i32) (result i32)
    (i32.store (i32.const 0x20000) (i32.const 0xAAAAAAAA))
    (call $count_and_marker (call $read_file (local.get $v) (i32.const 0x20000) (i32.const 1))))

  ;; Copies the list's element ids (forcing no element) and returns the count.
  (func (export "list_len") (param $v i32) (result i32)
    (local $n i32)
    (local.set $n (call $copy_list (local.get $v) (i32.const 0x20000) (i32.const 0)))
    (drop (call $copy_list (local.get $v) (i32.const 0x20000) (local.get $n)))
    (call $make_int (i64.extend_i32_u (local.get $n))))

  ;; [v] and { x = v; }, neither forcing v.
  (func (export "wrap") (param $v i32) (result i32)
    (i32.store (i32.const 0x200) (local.get $v))
    (i32.store (i32.const 0x40000) (i32.const 0x101))
    (i32.store (i32.const 0x40004) (i32.const 1))
    (i32.store (i32.const 0x40008) (local.get $v))
    (i32.store (i32.const 0x204) (call $make_attrset (i32.const 0x40000) (i32.const 1)))
    (i32.store (i32.const 0x208) (call $make_list (i32.const 0x200) (i32.const 1)))
    (call $make_list (i32.const 0x204) (i32.const 2)))

  ;; make_app with no arguments returns the function id unchecked.
  (func (export "app_bogus_unused") (param $v i32) (result i32)
    (drop (call $make_app (i32.const 999) (i32.const 0x200) (i32.const 0)))
    (call $make_null))

  ;; a = f x, forced; then the same thunk under another id (through a
  ;; list), forced again and returned.
  (func (export "force_twice") (param $v i32) (result i32)
    (local $a i32)
    (i32.store (i32.const 0x200) (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (local.set $a (call $make_app
      (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)) (i32.const 0x200) (i32.const 1)))
    (drop (call $get_type (local.get $a)))
    (i32.store (i32.const 0x200) (local.get $a))
    (drop (call $copy_list
      (call $make_list (i32.const 0x200) (i32.const 1)) (i32.const 0x204) (i32.const 1)))
    (drop (call $get_int (i32.load (i32.const 0x204))))
    (i32.load (i32.const 0x204)))

  (func (export "panic_without_host") (param $v i32) (result i32)
    (unreachable))

  ;; f x x
  (func (export "call_f2") (param $v i32) (result i32)
    (i32.store (i32.const 0x200) (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (i32.store (i32.const 0x204) (i32.load (i32.const 0x200)))
    (call $call_function
      (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)) (i32.const 0x200) (i32.const 2)))

  ;; call_function with no arguments; returns the result's type.
  (func (export "call_f0") (param $v i32) (result i32)
    (call $make_int (i64.extend_i32_u (call $get_type
      (call $call_function
        (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)) (i32.const 0x200) (i32.const 0))))))

  (func (export "warn_then_panic") (param $v i32) (result i32)
    (call $warn (i32.const 0x106) (i32.const 1))
    (call $panic (i32.const 0x102) (i32.const 4))
    (unreachable))

  ;; The bytes FF FE, which are not UTF-8, as a string, a path below $v
  ;; and an attribute name to look up in $v.
  (func (export "bad_utf8") (param $v i32) (result i32)
    (call $make_string (i32.const 0x400) (i32.const 2)))

  (func (export "bad_utf8_path") (param $v i32) (result i32)
    (call $make_path (local.get $v) (i32.const 0x400) (i32.const 2)))

  (func (export "bad_utf8_get") (param $v i32) (result i32)
    (call $get_attr (local.get $v) (i32.const 0x400) (i32.const 2)))

  (func (export "path_nul") (param $v i32) (result i32)
    (call $make_path (local.get $v) (i32.const 0x410) (i32.const 3)))

  ;; v = [v] forever.
  (func (export "nest_forever") (param $v i32) (result i32)
    (loop $again
      (i32.store (i32.const 0x200) (local.get $v))
      (local.set $v (call $make_list (i32.const 0x200) (i32.const 1)))
      (br $again))
    (unreachable))

  ;; v = f v forever, through the host.
  (func (export "call_nest_forever") (param $v i32) (result i32)
    (local $f i32) (local $x i32)
    (local.set $f (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)))
    (local.set $x (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (loop $again
      (i32.store (i32.const 0x200) (local.get $x))
      (local.set $x (call $call_function (local.get $f) (i32.const 0x200) (i32.const 1)))
      (br $again))
    (unreachable))

  ;; v = f v forever, lazily.
  (func (export "app_nest_forever") (param $v i32) (result i32)
    (local $f i32) (local $x i32)
    (local.set $f (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)))
    (local.set $x (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (loop $again
      (i32.store (i32.const 0x200) (local.get $x))
      (local.set $x (call $make_app (local.get $f) (i32.const 0x200) (i32.const 1)))
      (br $again))
    (unreachable))

  (func (export "values_forever") (param $v i32) (result i32)
    (loop $again
      (drop (call $make_null))
      (br $again))
    (unreachable))

  ;; memory.grow by v pages; the old size in pages, or -1.
  (func (export "grow") (param $v i32) (result i32)
    (call $make_int (i64.extend_i32_s
      (memory.grow (i32.wrap_i64 (call $get_int (local.get $v)))))))

  (func (export "float_roundtrip") (param $v i32) (result i32)
    (call $make_float (call $get_float (local.get $v))))


  ;; x = f x, n times, lazily; returned, so forced.
  (func (export "app_chain") (param $v i32) (result i32)
    (local $f i32) (local $x i32) (local $n i32) (local $i i32)
    (local.set $f (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)))
    (local.set $x (call $get_attr (local.get $v) (i32.const 0x101) (i32.const 1)))
    (local.set $n (i32.wrap_i64 (call $get_int
      (call $get_attr (local.get $v) (i32.const 0x108) (i32.const 1)))))
    (loop $again
      (i32.store (i32.const 0x200) (local.get $x))
      (local.set $x (call $make_app (local.get $f) (i32.const 0x200) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $x))

  (func (export "wrong_result") (param $v i32) (result i64) (i64.const 1))
  (func (export "two_params") (param i32 i32) (result i32) (i32.const 1))
  ;; A trap of Wasm's own, and an access outside memory inside Wasm.
  (func (export "trap") (param $v i32) (result i32) (unreachable))
  (func (export "oob_load") (param $v i32) (result i32)
    (i32.load (i32.const 0xFFFFFFF0)))

  ;; Makes the integers 0 .. 999 999 (consecutive ids), calls f null (where
  ;; the evaluator may collect garbage), then checks that every one still
  ;; holds its number; returns how many were made.
  (func (export "million_survive") (param $v i32) (result i32)
    (local $f i32) (local $first i32) (local $i i32)
    (local.set $f (call $get_attr (local.get $v) (i32.const 0x100) (i32.const 1)))
    (local.set $first (call $make_int (i64.const 0)))
    (local.set $i (i32.const 1))
    (loop $make
      (drop (call $make_int (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $make (i32.lt_u (local.get $i) (i32.const 1000000))))
    (i32.store (i32.const 0x200) (call $make_null))
    (drop (call $call_function (local.get $f) (i32.const 0x200) (i32.const 1)))
    (local.set $i (i32.const 0))
    (loop $check
      (if (i64.ne (call $get_int (i32.add (local.get $first) (local.get $i)))
                  (i64.extend_i32_u (local.get $i)))
        (then (call $panic (i32.const 0x500) (i32.const 26)) (unreachable)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $check (i32.lt_u (local.get $i) (i32.const 1000000))))
    (call $make_int (i64.const 1000000)))
)
