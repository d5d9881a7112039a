//! The raw `env` imports of the `builtins.wasm` host ABI.
//!
//! On `wasm32` these are the host's functions. On every other target the
//! crate still compiles (so a workspace builds and its docs render), but
//! calling any of them panics: there is no Nix evaluator to talk to.

/// One attribute handed to `make_attrset`: 12 bytes, as the host reads them.
#[repr(C)]
pub struct AttrIn {
    pub name_ptr: *const u8,
    pub name_len: usize,
    pub value: u32,
}

/// One attribute written by `copy_attrset`: 8 bytes.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct AttrOut {
    pub value: u32,
    pub name_len: u32,
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
unsafe extern "C" {
    pub fn panic(ptr: *const u8, len: usize) -> !;
    pub fn warn(ptr: *const u8, len: usize);
    pub fn get_type(value: u32) -> u32;
    pub fn make_int(n: i64) -> u32;
    pub fn get_int(value: u32) -> i64;
    pub fn make_float(x: f64) -> u32;
    pub fn get_float(value: u32) -> f64;
    pub fn make_string(ptr: *const u8, len: usize) -> u32;
    pub fn copy_string(value: u32, ptr: *mut u8, max_len: usize) -> usize;
    pub fn make_path(base: u32, ptr: *const u8, len: usize) -> u32;
    pub fn copy_path(value: u32, ptr: *mut u8, max_len: usize) -> usize;
    pub fn make_bool(b: i32) -> u32;
    pub fn get_bool(value: u32) -> i32;
    pub fn make_null() -> u32;
    pub fn make_list(ptr: *const u32, len: usize) -> u32;
    pub fn copy_list(value: u32, ptr: *mut u32, max_len: usize) -> usize;
    pub fn make_attrset(ptr: *const AttrIn, len: usize) -> u32;
    pub fn copy_attrset(value: u32, ptr: *mut AttrOut, max_len: usize) -> usize;
    pub fn copy_attrname(value: u32, index: usize, ptr: *mut u8, len: usize);
    pub fn get_attr(value: u32, ptr: *const u8, len: usize) -> u32;
    pub fn call_function(function: u32, ptr: *const u32, len: usize) -> u32;
    pub fn make_app(function: u32, ptr: *const u32, len: usize) -> u32;
    pub fn read_file(path: u32, ptr: *mut u8, len: usize) -> usize;
    /// WASI programs only: the host records the result and ends the call.
    pub fn return_to_nix(value: u32) -> !;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    //! Native stand-ins with the imports' signatures; each one panics.
    #![allow(clippy::missing_safety_doc, unused_variables)]

    use super::{AttrIn, AttrOut};

    fn no_host() -> ! {
        panic!("the Nix builtins.wasm host ABI exists only when compiled to wasm32")
    }

    macro_rules! stand_ins {
        ($(fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*) => {$(
            pub unsafe fn $name($($arg: $ty),*) $(-> $ret)? { no_host() }
        )*};
    }

    stand_ins! {
        fn panic(ptr: *const u8, len: usize) -> !;
        fn warn(ptr: *const u8, len: usize);
        fn get_type(value: u32) -> u32;
        fn make_int(n: i64) -> u32;
        fn get_int(value: u32) -> i64;
        fn make_float(x: f64) -> u32;
        fn get_float(value: u32) -> f64;
        fn make_string(ptr: *const u8, len: usize) -> u32;
        fn copy_string(value: u32, ptr: *mut u8, max_len: usize) -> usize;
        fn make_path(base: u32, ptr: *const u8, len: usize) -> u32;
        fn copy_path(value: u32, ptr: *mut u8, max_len: usize) -> usize;
        fn make_bool(b: i32) -> u32;
        fn get_bool(value: u32) -> i32;
        fn make_null() -> u32;
        fn make_list(ptr: *const u32, len: usize) -> u32;
        fn copy_list(value: u32, ptr: *mut u32, max_len: usize) -> usize;
        fn make_attrset(ptr: *const AttrIn, len: usize) -> u32;
        fn copy_attrset(value: u32, ptr: *mut AttrOut, max_len: usize) -> usize;
        fn copy_attrname(value: u32, index: usize, ptr: *mut u8, len: usize);
        fn get_attr(value: u32, ptr: *const u8, len: usize) -> u32;
        fn call_function(function: u32, ptr: *const u32, len: usize) -> u32;
        fn make_app(function: u32, ptr: *const u32, len: usize) -> u32;
        fn read_file(path: u32, ptr: *mut u8, len: usize) -> usize;
        fn return_to_nix(value: u32) -> !;
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;
