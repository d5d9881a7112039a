//! `builtins.wasm` inside Nix 2.8: the host functions of `nix-wasm-host`
//! over the evaluator's own values.
//!
//! This is the Rust half of a Nix plugin (`plugin-files`). The C++ half,
//! `adapter/nix-wasm-plugin.cc`, registers the builtin, reads its first
//! argument with Nix's API and calls [`nix_wasm_plugin_load`] and
//! [`nix_wasm_plugin_call`]; every value operation of a call comes back
//! to it through the `nix_wasm_value_*` functions it defines, as
//! [`NixValues`], a [`Backend`] of `nix-wasm-host`. So the ABI (value ids,
//! guest memory, buffers, WASI, its messages) is the one the runner and the
//! tests use; only the values differ.
//!
//! Rules at this seam:
//! - values cross as handles: indices into the call's table of `Value *`
//!   on the C++ side, which Boehm GC scans. Rust never holds a `Value *`
//!   (the collector does not see Rust's heap);
//! - no C++ exception crosses into Rust or Wasm: the adapter catches it,
//!   keeps it, and returns a failure with its message; no Rust panic
//!   crosses into C++: every entry point catches it;
//! - a call never leaves the thread that makes it.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Once, OnceLock};

use nix_wasm_host::{
    Backend, BackendError, BackendResult, Fitting, Host, INLINE_WAT, Limits, NixString, Plugin,
    ValueType,
};

/// A handle: an index into the current call's value table in the adapter.
type Handle = u32;

/// The status the adapter's value functions return: 0 for success.
type Status = i32;

/// A name, its length and a value, as `make_attrset` hands them over.
#[repr(C)]
struct AttrEntry {
    name: *const u8,
    name_len: usize,
    value: Handle,
}

unsafe extern "C" {
    fn nix_wasm_value_type(call: *mut c_void, value: Handle, out: *mut u32) -> Status;
    fn nix_wasm_value_get_int(call: *mut c_void, value: Handle, out: *mut i64) -> Status;
    fn nix_wasm_value_get_float(call: *mut c_void, value: Handle, out: *mut f64) -> Status;
    fn nix_wasm_value_get_bool(call: *mut c_void, value: Handle, out: *mut i32) -> Status;
    fn nix_wasm_value_get_string(
        call: *mut c_void,
        value: Handle,
        data: *mut *const u8,
        len: *mut usize,
    ) -> Status;
    fn nix_wasm_value_get_path(
        call: *mut c_void,
        value: Handle,
        is_path: *mut i32,
        data: *mut *const u8,
        len: *mut usize,
    ) -> Status;
    fn nix_wasm_value_get_list(
        call: *mut c_void,
        value: Handle,
        max_len: usize,
        items: *mut *const Handle,
        len: *mut usize,
    ) -> Status;
    fn nix_wasm_value_get_attrs(
        call: *mut c_void,
        value: Handle,
        max_len: usize,
        records: *mut *const u32,
        len: *mut usize,
    ) -> Status;
    fn nix_wasm_value_get_attr_name(
        call: *mut c_void,
        value: Handle,
        index: usize,
        found: *mut i32,
        data: *mut *const u8,
        len: *mut usize,
    ) -> Status;
    fn nix_wasm_value_get_attr(
        call: *mut c_void,
        value: Handle,
        name: *const u8,
        name_len: usize,
        out: *mut Handle,
    ) -> Status;
    fn nix_wasm_value_make_int(call: *mut c_void, n: i64, out: *mut Handle) -> Status;
    fn nix_wasm_value_make_float(call: *mut c_void, x: f64, out: *mut Handle) -> Status;
    fn nix_wasm_value_make_bool(call: *mut c_void, b: i32, out: *mut Handle) -> Status;
    fn nix_wasm_value_make_null(call: *mut c_void, out: *mut Handle) -> Status;
    fn nix_wasm_value_make_string(
        call: *mut c_void,
        data: *const u8,
        len: usize,
        out: *mut Handle,
    ) -> Status;
    fn nix_wasm_value_make_path(
        call: *mut c_void,
        data: *const u8,
        len: usize,
        out: *mut Handle,
    ) -> Status;
    fn nix_wasm_value_make_list(
        call: *mut c_void,
        items: *const Handle,
        len: usize,
        out: *mut Handle,
    ) -> Status;
    fn nix_wasm_value_make_attrset(
        call: *mut c_void,
        entries: *const AttrEntry,
        len: usize,
        out: *mut Handle,
    ) -> Status;
    fn nix_wasm_value_check_function(call: *mut c_void, function: Handle) -> Status;
    fn nix_wasm_value_call(
        call: *mut c_void,
        function: Handle,
        args: *const Handle,
        len: usize,
        out: *mut Handle,
    ) -> Status;
    fn nix_wasm_value_make_app(
        call: *mut c_void,
        function: Handle,
        args: *const Handle,
        len: usize,
        out: *mut Handle,
    ) -> Status;
    fn nix_wasm_value_read_file(
        call: *mut c_void,
        value: Handle,
        path: *mut *const u8,
        path_len: *mut usize,
        data: *mut *const u8,
        data_len: *mut usize,
    ) -> Status;
    /// The message of the value function that failed last.
    fn nix_wasm_value_error(call: *mut c_void, data: *mut *const u8, len: *mut usize);
    /// Prints a warning through Nix's logger.
    fn nix_wasm_warn(data: *const u8, len: usize);
    /// Stores text in a `std::string` of the adapter.
    fn nix_wasm_set_string(target: *mut c_void, data: *const u8, len: usize);
}

/// Bytes (or handles) the adapter lent for the length of one value
/// function's result.
///
/// # Safety
/// `data` points to `len` readable items, or `len` is 0.
unsafe fn borrowed<'a, T>(data: *const T, len: usize) -> &'a [T] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(data, len) }
    }
}

/// The values of one call inside the evaluator: the adapter's call, whose
/// value table the handles index.
pub struct NixValues {
    call: *mut c_void,
}

// SAFETY: a call runs entirely on the thread that started it (the
// evaluator's); the pointer is never used from another thread. wasmtime's
// WASI linker requires the store's data to be `Send`.
unsafe impl Send for NixValues {}

impl NixValues {
    /// Turns a status into a result, taking the adapter's message on
    /// failure.
    fn status(&self, status: Status) -> BackendResult<()> {
        if status == 0 {
            return Ok(());
        }
        let (mut data, mut len) = (std::ptr::null(), 0);
        // SAFETY: the call is alive; the adapter lends its message string.
        let message = unsafe {
            nix_wasm_value_error(self.call, &mut data, &mut len);
            String::from_utf8_lossy(borrowed(data, len)).into_owned()
        };
        Err(BackendError::Evaluation(message))
    }

    fn handle(
        &self,
        make: impl FnOnce(*mut c_void, *mut Handle) -> Status,
    ) -> BackendResult<Handle> {
        let mut out = 0;
        self.status(make(self.call, &mut out))?;
        Ok(out)
    }
}

impl Backend for NixValues {
    type Value = Handle;

    fn type_of(&mut self, value: &Handle) -> BackendResult<Option<ValueType>> {
        let mut out = 0;
        // SAFETY: the call is alive and `out` is writable (so for every
        // value function below).
        self.status(unsafe { nix_wasm_value_type(self.call, *value, &mut out) })?;
        Ok(ValueType::from_abi(out))
    }

    fn get_int(&mut self, value: &Handle) -> BackendResult<i64> {
        let mut out = 0;
        self.status(unsafe { nix_wasm_value_get_int(self.call, *value, &mut out) })?;
        Ok(out)
    }

    fn get_float(&mut self, value: &Handle) -> BackendResult<f64> {
        let mut out = 0.0;
        self.status(unsafe { nix_wasm_value_get_float(self.call, *value, &mut out) })?;
        Ok(out)
    }

    fn get_bool(&mut self, value: &Handle) -> BackendResult<bool> {
        let mut out = 0;
        self.status(unsafe { nix_wasm_value_get_bool(self.call, *value, &mut out) })?;
        Ok(out != 0)
    }

    fn get_string(&mut self, value: &Handle) -> BackendResult<NixString> {
        let (mut data, mut len) = (std::ptr::null(), 0);
        self.status(unsafe { nix_wasm_value_get_string(self.call, *value, &mut data, &mut len) })?;
        // SAFETY: the adapter lends the string's bytes until its next call.
        Ok(NixString::from(unsafe { borrowed(data, len) }))
    }

    fn get_path(&mut self, value: &Handle) -> BackendResult<Option<NixString>> {
        let (mut is_path, mut data, mut len) = (0, std::ptr::null(), 0);
        self.status(unsafe {
            nix_wasm_value_get_path(self.call, *value, &mut is_path, &mut data, &mut len)
        })?;
        // SAFETY: as for strings.
        Ok((is_path != 0).then(|| NixString::from(unsafe { borrowed(data, len) })))
    }

    fn get_list(&mut self, value: &Handle, max_len: usize) -> BackendResult<Fitting<Handle>> {
        let (mut items, mut len) = (std::ptr::null(), 0);
        self.status(unsafe {
            nix_wasm_value_get_list(self.call, *value, max_len, &mut items, &mut len)
        })?;
        if len > max_len {
            return Ok((len, Vec::new()));
        }
        // SAFETY: the adapter lends `len` handles until its next call.
        Ok((len, unsafe { borrowed(items, len) }.to_vec()))
    }

    fn get_attrs(
        &mut self,
        value: &Handle,
        max_len: usize,
    ) -> BackendResult<Fitting<(usize, Handle)>> {
        let (mut records, mut len) = (std::ptr::null(), 0);
        self.status(unsafe {
            nix_wasm_value_get_attrs(self.call, *value, max_len, &mut records, &mut len)
        })?;
        if len > max_len {
            return Ok((len, Vec::new()));
        }
        // SAFETY: the adapter lends `len` (handle, name length) pairs.
        let records = unsafe { borrowed(records, 2 * len) };
        Ok((
            len,
            records
                .chunks_exact(2)
                .map(|pair| (pair[1] as usize, pair[0]))
                .collect(),
        ))
    }

    fn get_attr_name(&mut self, value: &Handle, index: usize) -> BackendResult<Option<NixString>> {
        let (mut found, mut data, mut len) = (0, std::ptr::null(), 0);
        self.status(unsafe {
            nix_wasm_value_get_attr_name(self.call, *value, index, &mut found, &mut data, &mut len)
        })?;
        // SAFETY: the adapter lends the name's bytes (a symbol: they live as
        // long as the evaluator).
        Ok((found != 0).then(|| NixString::from(unsafe { borrowed(data, len) })))
    }

    fn get_attr(&mut self, value: &Handle, name: &[u8]) -> BackendResult<Option<Handle>> {
        let found = self.handle(|call, out| unsafe {
            nix_wasm_value_get_attr(call, *value, name.as_ptr(), name.len(), out)
        })?;
        Ok((found != 0).then_some(found))
    }

    fn make_int(&mut self, n: i64) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe { nix_wasm_value_make_int(call, n, out) })
    }

    fn make_float(&mut self, x: f64) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe { nix_wasm_value_make_float(call, x, out) })
    }

    fn make_bool(&mut self, b: bool) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe { nix_wasm_value_make_bool(call, i32::from(b), out) })
    }

    fn make_null(&mut self) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe { nix_wasm_value_make_null(call, out) })
    }

    fn make_string(&mut self, text: &[u8]) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe {
            nix_wasm_value_make_string(call, text.as_ptr(), text.len(), out)
        })
    }

    fn make_path(&mut self, path: &[u8]) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe {
            nix_wasm_value_make_path(call, path.as_ptr(), path.len(), out)
        })
    }

    fn make_list(&mut self, items: Vec<Handle>) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe {
            nix_wasm_value_make_list(call, items.as_ptr(), items.len(), out)
        })
    }

    fn make_attrset(&mut self, attrs: Vec<(NixString, Handle)>) -> BackendResult<Handle> {
        let entries: Vec<AttrEntry> = attrs
            .iter()
            .map(|(name, value)| AttrEntry {
                name: name.as_ptr(),
                name_len: name.len(),
                value: *value,
            })
            .collect();
        self.handle(|call, out| unsafe {
            nix_wasm_value_make_attrset(call, entries.as_ptr(), entries.len(), out)
        })
    }

    fn check_function(&mut self, function: &Handle) -> BackendResult<()> {
        self.status(unsafe { nix_wasm_value_check_function(self.call, *function) })
    }

    fn call_function(&mut self, function: &Handle, args: Vec<Handle>) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe {
            nix_wasm_value_call(call, *function, args.as_ptr(), args.len(), out)
        })
    }

    fn make_app(&mut self, function: &Handle, args: Vec<Handle>) -> BackendResult<Handle> {
        self.handle(|call, out| unsafe {
            nix_wasm_value_make_app(call, *function, args.as_ptr(), args.len(), out)
        })
    }

    fn read_file(&mut self, path: &Handle) -> BackendResult<(String, Vec<u8>)> {
        let (mut name, mut name_len, mut data, mut len) =
            (std::ptr::null(), 0, std::ptr::null(), 0);
        self.status(unsafe {
            nix_wasm_value_read_file(
                self.call,
                *path,
                &mut name,
                &mut name_len,
                &mut data,
                &mut len,
            )
        })?;
        // SAFETY: the adapter lends the path and the contents until its
        // next call.
        unsafe {
            Ok((
                String::from_utf8_lossy(borrowed(name, name_len)).into_owned(),
                borrowed(data, len).to_vec(),
            ))
        }
    }

    /// The adapter forces the result after the call, outside it, as the
    /// evaluator does: a `throw` met there stays a `throw` (which
    /// `builtins.tryEval` catches), where one met inside a host function
    /// becomes the call's error.
    fn force(&mut self, value: &Handle) -> BackendResult<Handle> {
        Ok(*value)
    }
}

/// The evaluator's host: its limits, and compiled modules cached per file
/// for the life of the process, as Determinate Nix caches them.
fn host() -> Result<&'static Host<NixValues>, String> {
    static HOST: OnceLock<Result<Host<NixValues>, String>> = OnceLock::new();
    HOST.get_or_init(|| Host::for_backend(Limits::evaluator()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Keeps Rust's panic messages off the evaluator's terminal: a panic at
/// this seam becomes an evaluation error instead.
fn quiet_panics() {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

/// Runs `body`, turning a panic into an error message.
fn guarded<T>(body: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    quiet_panics();
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!(
                "internal error in the builtins.wasm plugin: {message}"
            ))
        }
    }
}

fn set_error(error: *mut c_void, message: &str) {
    // SAFETY: `error` is the adapter's `std::string`, alive for this call.
    unsafe { nix_wasm_set_string(error, message.as_ptr(), message.len()) }
}

/// Loads a module: the binary module in the file `source` names (a path
/// the evaluator has already realised and checked; compiled once and
/// cached), or, when `is_wat` is non-zero, the WebAssembly text `source`
/// (compiled afresh, named `<inline wat>`). Returns a module reference for
/// [`nix_wasm_plugin_call`], to be given back to
/// [`nix_wasm_plugin_release`]; or null with the reason in `error` (a
/// `std::string *`). `*is_wasi` tells whether it is a WASI program.
///
/// # Safety
/// `source` points to `len` readable bytes; `is_wasi` is writable; `error`
/// is a live `std::string *` of the adapter.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nix_wasm_plugin_load(
    source: *const u8,
    len: usize,
    is_wat: i32,
    is_wasi: *mut i32,
    error: *mut c_void,
) -> *const c_void {
    // SAFETY: the caller's contract.
    let source = unsafe { borrowed(source, len) };
    let loaded = guarded(|| {
        let host = host()?;
        let plugin = if is_wat != 0 {
            host.compile_wat(INLINE_WAT, source).map(Arc::new)
        } else {
            use std::os::unix::ffi::OsStrExt as _;
            host.plugin(Path::new(std::ffi::OsStr::from_bytes(source)))
        };
        plugin.map_err(|e| e.to_string())
    });
    match loaded {
        Ok(plugin) => {
            // SAFETY: the caller's contract.
            unsafe { *is_wasi = i32::from(plugin.is_wasi()) };
            Arc::into_raw(plugin).cast()
        }
        Err(message) => {
            set_error(error, &message);
            std::ptr::null()
        }
    }
}

/// Gives back a module reference of [`nix_wasm_plugin_load`].
///
/// # Safety
/// `plugin` came from [`nix_wasm_plugin_load`] and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nix_wasm_plugin_release(plugin: *const c_void) {
    if !plugin.is_null() {
        // SAFETY: the caller's contract: one reference, given back once.
        drop(unsafe { Arc::from_raw(plugin.cast::<Plugin<NixValues>>()) });
    }
}

/// Calls a module as `builtins.wasm` does: the export `function` (null for
/// a WASI program, whose `_start` runs) with the value of handle
/// `argument` of the adapter's `call`. Returns 0 with the handle of the
/// result in `*result` (for the adapter to force), or 1 with the
/// message in `error` (a `std::string *`). Warnings go to Nix's logger as
/// they are made.
///
/// # Safety
/// `plugin` came from [`nix_wasm_plugin_load`]; `function` is null or
/// points to `function_len` bytes; `call` is the adapter's live call;
/// `result` is writable; `error` is a live `std::string *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nix_wasm_plugin_call(
    plugin: *const c_void,
    function: *const u8,
    function_len: usize,
    call: *mut c_void,
    argument: u32,
    result: *mut u32,
    error: *mut c_void,
) -> i32 {
    // SAFETY: the caller's contract; the reference stays the caller's.
    let plugin = unsafe { &*plugin.cast::<Plugin<NixValues>>() };
    let function = (!function.is_null())
        // SAFETY: the caller's contract.
        .then(|| String::from_utf8_lossy(unsafe { borrowed(function, function_len) }).into_owned());
    let outcome = guarded(|| {
        let listener = Box::new(|warning: &nix_wasm_host::Warning| {
            let text = warning.to_string();
            // SAFETY: the logger copies the text.
            unsafe { nix_wasm_warn(text.as_ptr(), text.len()) }
        });
        let report = plugin.invoke_with(
            NixValues { call },
            function.as_deref(),
            argument,
            Some(listener),
        );
        report.result.map_err(|e| e.to_string())
    });
    match outcome {
        Ok(handle) => {
            // SAFETY: the caller's contract.
            unsafe { *result = handle };
            0
        }
        Err(message) => {
            set_error(error, &message);
            1
        }
    }
}
