//! The 23 `env` host functions of the `builtins.wasm` ABI, with the real
//! evaluator's semantics: opaque value ids with 0 reserved,
//! length-then-copy buffers, constructors that never force, inspectors
//! that force to weak head normal form, and a trap for every misuse.

use std::fmt;
use std::ops::Range;

use wasmtime::{Caller, Linker, Memory, StoreLimits};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::backend::{Backend, BackendError, BackendResult};
use crate::log::SharedLog;
use crate::model::REALISING_PATH;
use crate::nix_log::show_error;
use crate::value::NixString;

/// Why a host function made the call trap.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A Nix error the evaluator's host function would throw: misuse of
    /// the ABI, or an evaluation that failed; with the trace the
    /// evaluator's `force*` function adds to it (its `errorCtx`), if any.
    Nix {
        message: String,
        trace: Option<String>,
    },
    /// The guest called `panic`.
    Panic(String),
    /// A limit of this host.
    Limit(String),
    /// A WASI module called `return_to_nix`, which ends the call.
    Returned,
    /// A host function was called while the module was being
    /// instantiated.
    NoInstance,
}

impl Refusal {
    /// The error's own message (without Nix's `error: ` and trace).
    pub(crate) fn message(&self) -> String {
        match self {
            Refusal::Nix { message, .. } | Refusal::Limit(message) => message.clone(),
            Refusal::Panic(message) => format!("Wasm panic: {message}"),
            other => other.to_string(),
        }
    }
}

/// Why a host function was refused while instantiating.
const NO_INSTANCE: &str = "a host function was called while the module was being instantiated \
     (from its start function); the evaluator does not allow that either \
     (its host functions fail there with C++'s \"bad any_cast\")";

/// As the evaluator's trap carries it: a Nix error as its `what()` shows
/// it (`error: …`, with its trace; the evaluator's `regFun` turns it into
/// a wasmtime trap with that text), anything else as its message.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Nix { message, trace } => {
                let traces: Vec<&str> = trace.iter().map(String::as_str).collect();
                f.write_str(&show_error(&traces, message))
            }
            Refusal::Panic(message) => {
                f.write_str(&show_error(&[], &format!("Wasm panic: {message}")))
            }
            Refusal::Limit(message) => f.write_str(message),
            Refusal::Returned => f.write_str("return_to_nix"),
            Refusal::NoInstance => f.write_str(NO_INSTANCE),
        }
    }
}

impl std::error::Error for Refusal {}

type Result<T> = wasmtime::Result<T>;
type Ctx<'a, B> = Caller<'a, CallState<B>>;

fn abi(message: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(Refusal::Nix {
        message: message.into(),
        trace: None,
    })
}

fn limit(message: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(Refusal::Limit(message.into()))
}

fn out_of_bounds() -> wasmtime::Error {
    abi("Wasm memory access out of bounds")
}

/// How a backend failure makes the call trap.
fn refused(error: BackendError) -> wasmtime::Error {
    match error {
        BackendError::Evaluation(message) => abi(message),
        BackendError::Traced { trace, message } => wasmtime::Error::new(Refusal::Nix {
            message,
            trace: Some(trace),
        }),
        BackendError::Limit(message) => limit(message),
    }
}

/// The trace the evaluator's `force*` functions add to their errors
/// (`errorCtx`), for an error that has none yet.
fn traced(trace: &'static str) -> impl Fn(wasmtime::Error) -> wasmtime::Error {
    move |mut error| {
        if let Some(Refusal::Nix {
            trace: t @ None, ..
        }) = error.downcast_mut::<Refusal>()
        {
            *t = Some(trace.to_string());
        }
        error
    }
}

/// `forceInt`, `forceFloat`, `forceBool` and `forceString` of the
/// evaluator's `get_*` and `copy_string`.
const FROM_WASM: &str = "while evaluating a value from Wasm";

/// The state of one call: the value table, the backend the values live
/// in, what the guest reported, and the limits that apply.
pub(crate) struct CallState<B: Backend> {
    /// Index 0 is the reserved id; every other slot holds a value.
    values: Vec<Option<B::Value>>,
    max_values: usize,
    /// Where the values live.
    pub(crate) backend: B,
    memory: Option<Memory>,
    /// The call's warnings.
    pub(crate) log: SharedLog,
    pub(crate) limits: StoreLimits,
    /// The WASI context of a WASI module's call.
    pub(crate) wasi: Option<WasiP1Ctx>,
    /// The value a WASI module handed to `return_to_nix`.
    pub(crate) returned: Option<u32>,
}

impl<B: Backend> CallState<B> {
    /// A table with the reserved id 0 and the argument as id 1.
    pub(crate) fn new(
        backend: B,
        argument: B::Value,
        limits: StoreLimits,
        max_values: usize,
        log: SharedLog,
    ) -> Self {
        Self {
            values: vec![None, Some(argument)],
            max_values,
            backend,
            memory: None,
            log,
            limits,
            wasi: None,
            returned: None,
        }
    }

    /// Makes the instance's memory available to the host functions; until
    /// then they trap, as the evaluator's do.
    pub(crate) fn set_memory(&mut self, memory: Memory) {
        self.memory = Some(memory);
    }

    /// The instance's memory; before it is set, every host function traps
    /// (the evaluator sets up its side only after instantiation, so a start
    /// function calling the host fails there too).
    fn memory(&self) -> Result<Memory> {
        self.memory
            .ok_or_else(|| wasmtime::Error::new(Refusal::NoInstance))
    }

    fn value(&self, id: u32) -> Result<B::Value> {
        self.memory()?;
        match self.values.get(id as usize) {
            Some(Some(value)) => Ok(value.clone()),
            _ => Err(abi(format!("invalid ValueId {id}"))),
        }
    }

    /// The value of `id` in weak head normal form: the call's result.
    pub(crate) fn forced(&mut self, id: u32) -> Result<B::Value> {
        let value = self.value(id)?;
        self.backend.force(&value).map_err(refused)
    }

    /// Runs a backend operation on the value of `id`.
    fn with<T>(
        &mut self,
        id: u32,
        operation: impl FnOnce(&mut B, &B::Value) -> BackendResult<T>,
    ) -> Result<T> {
        let value = self.value(id)?;
        operation(&mut self.backend, &value).map_err(refused)
    }

    /// Runs a backend operation on the value of `id` forced first, as
    /// the evaluator's `forceAttrs` and `forceList` do: an error forcing
    /// it is the value's own, an error of the operation (a type error)
    /// carries `trace`.
    fn with_forced<T>(
        &mut self,
        id: u32,
        trace: &'static str,
        operation: impl FnOnce(&mut B, &B::Value) -> BackendResult<T>,
    ) -> Result<T> {
        let forced = self.with(id, |b, v| b.force(v))?;
        operation(&mut self.backend, &forced)
            .map_err(refused)
            .map_err(traced(trace))
    }

    /// Adds a value the backend makes to the table.
    fn make(&mut self, operation: impl FnOnce(&mut B) -> BackendResult<B::Value>) -> Result<u32> {
        self.memory()?;
        let value = operation(&mut self.backend).map_err(refused)?;
        self.push(value)
    }

    fn push(&mut self, value: B::Value) -> Result<u32> {
        self.memory()?;
        if self.values.len() >= self.max_values {
            return Err(limit(format!(
                "the plugin made more than {} values in one call (a limit of this host)",
                self.max_values
            )));
        }
        let id = u32::try_from(self.values.len()).map_err(|_| limit("too many values"))?;
        self.values.push(Some(value));
        Ok(id)
    }
}

fn memory<B: Backend>(c: &Ctx<'_, B>) -> Result<Memory> {
    c.data().memory()
}

/// The byte range `ptr .. ptr + count * size` of guest memory, if all of it
/// is inside.
fn span(memory_len: usize, ptr: u32, count: u32, size: usize) -> Result<Range<usize>> {
    let start = ptr as usize;
    let len = (count as usize)
        .checked_mul(size)
        .ok_or_else(out_of_bounds)?;
    let end = start.checked_add(len).ok_or_else(out_of_bounds)?;
    if end > memory_len {
        return Err(out_of_bounds());
    }
    Ok(start..end)
}

fn read<B: Backend>(c: &Ctx<'_, B>, ptr: u32, count: u32, size: usize) -> Result<Vec<u8>> {
    let data = memory(c)?.data(c);
    Ok(data[span(data.len(), ptr, count, size)?].to_vec())
}

/// Checks that the guest buffer `ptr .. ptr + count * size` is in memory.
fn check<B: Backend>(c: &Ctx<'_, B>, ptr: u32, count: u32, size: usize) -> Result<()> {
    span(memory(c)?.data_size(c), ptr, count, size).map(drop)
}

fn write<B: Backend>(c: &mut Ctx<'_, B>, ptr: u32, bytes: &[u8]) -> Result<()> {
    let memory = memory(c)?;
    let data = memory.data_mut(c);
    let len = u32::try_from(bytes.len()).map_err(|_| out_of_bounds())?;
    let range = span(data.len(), ptr, len, 1)?;
    data[range].copy_from_slice(bytes);
    Ok(())
}

/// Guest bytes for a string, path or name: any bytes, as the evaluator
/// takes them.
fn read_text<B: Backend>(c: &Ctx<'_, B>, ptr: u32, len: u32) -> Result<NixString> {
    read(c, ptr, len, 1).map(NixString::from)
}

fn read_ids<B: Backend>(c: &Ctx<'_, B>, ptr: u32, count: u32) -> Result<Vec<u32>> {
    Ok(read(c, ptr, count, 4)?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn read_values<B: Backend>(c: &Ctx<'_, B>, ptr: u32, count: u32) -> Result<Vec<B::Value>> {
    let ids = read_ids(c, ptr, count)?;
    let state = c.data();
    ids.iter().map(|id| state.value(*id)).collect()
}

/// Copies `bytes` to `ptr` if they fit in `max_len` and returns their full
/// length. As in the evaluator, memory is touched only when they fit; the
/// bytes written must then be in memory (where the evaluator would write
/// past it).
fn copy_out<B: Backend>(c: &mut Ctx<'_, B>, bytes: &[u8], ptr: u32, max_len: u32) -> Result<u32> {
    let len = u32::try_from(bytes.len()).map_err(|_| abi("value too large for Wasm"))?;
    if len <= max_len {
        write(c, ptr, bytes)?;
    }
    Ok(len)
}

pub(crate) fn no_nul(text: &[u8]) -> std::result::Result<(), String> {
    if text.contains(&0) {
        return Err(format!(
            "path segment '{}' must not contain null (\\0) bytes",
            String::from_utf8_lossy(text).replace('\0', "␀")
        ));
    }
    Ok(())
}

/// `.` and `..` resolved and empty segments dropped, `..` stopping at the
/// root, as Nix canonicalises paths.
pub(crate) fn canonical_path(path: &[u8]) -> NixString {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let mut out = Vec::with_capacity(path.len() + 1);
    for part in &parts {
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    NixString::from(out)
}

fn panic<B: Backend>(c: Ctx<'_, B>, ptr: u32, len: u32) -> Result<()> {
    let bytes = read(&c, ptr, len, 1)?;
    Err(wasmtime::Error::new(Refusal::Panic(
        String::from_utf8_lossy(&bytes).into_owned(),
    )))
}

fn warn<B: Backend>(c: Ctx<'_, B>, ptr: u32, len: u32) -> Result<()> {
    let message = read(&c, ptr, len, 1)?;
    c.data().log.warn(&message);
    Ok(())
}

/// WASI modules only: records the result and ends the call with a trap,
/// as the evaluator's `return_to_nix` does. The id is checked afterwards.
fn return_to_nix<B: Backend>(mut c: Ctx<'_, B>, id: u32) -> Result<()> {
    c.data_mut().returned = Some(id);
    Err(wasmtime::Error::new(Refusal::Returned))
}

fn get_type<B: Backend>(mut c: Ctx<'_, B>, id: u32) -> Result<u32> {
    match c.data_mut().with(id, |b, v| b.type_of(v))? {
        Some(value_type) => Ok(value_type as u32),
        None => Err(abi("unsupported type")),
    }
}

fn make_int<B: Backend>(mut c: Ctx<'_, B>, n: i64) -> Result<u32> {
    c.data_mut().make(|b| b.make_int(n))
}

fn get_int<B: Backend>(mut c: Ctx<'_, B>, id: u32) -> Result<i64> {
    c.data_mut()
        .with(id, |b, v| b.get_int(v))
        .map_err(traced(FROM_WASM))
}

fn make_float<B: Backend>(mut c: Ctx<'_, B>, x: f64) -> Result<u32> {
    c.data_mut().make(|b| b.make_float(x))
}

/// Integers are accepted and converted, as Nix's `forceFloat` does.
fn get_float<B: Backend>(mut c: Ctx<'_, B>, id: u32) -> Result<f64> {
    c.data_mut()
        .with(id, |b, v| b.get_float(v))
        .map_err(traced(FROM_WASM))
}

fn make_string<B: Backend>(mut c: Ctx<'_, B>, ptr: u32, len: u32) -> Result<u32> {
    let text = read_text(&c, ptr, len)?;
    c.data_mut().make(|b| b.make_string(&text))
}

fn copy_string<B: Backend>(mut c: Ctx<'_, B>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    let text = c
        .data_mut()
        .with(id, |b, v| b.get_string(v))
        .map_err(traced(FROM_WASM))?;
    copy_out(&mut c, text.as_bytes(), ptr, max_len)
}

fn make_path<B: Backend>(mut c: Ctx<'_, B>, base: u32, ptr: u32, len: u32) -> Result<u32> {
    let Some(base) = c.data_mut().with(base, |b, v| b.get_path(v))? else {
        return Err(abi("make_path expects a path value"));
    };
    let rel = read_text(&c, ptr, len)?;
    no_nul(&rel).map_err(abi)?;
    let joined = if rel.starts_with(b"/") {
        rel.into_bytes()
    } else {
        [base.as_bytes(), b"/", rel.as_bytes()].concat()
    };
    let path = canonical_path(&joined);
    c.data_mut().make(|b| b.make_path(&path))
}

fn copy_path<B: Backend>(mut c: Ctx<'_, B>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    let Some(path) = c.data_mut().with(id, |b, v| b.get_path(v))? else {
        return Err(abi("copy_path expects a path value"));
    };
    copy_out(&mut c, path.as_bytes(), ptr, max_len)
}

fn make_bool<B: Backend>(mut c: Ctx<'_, B>, b: i32) -> Result<u32> {
    c.data_mut().make(|backend| backend.make_bool(b != 0))
}

fn get_bool<B: Backend>(mut c: Ctx<'_, B>, id: u32) -> Result<i32> {
    c.data_mut()
        .with(id, |b, v| b.get_bool(v))
        .map_err(traced(FROM_WASM))
        .map(i32::from)
}

fn make_null<B: Backend>(mut c: Ctx<'_, B>) -> Result<u32> {
    c.data_mut().make(|b| b.make_null())
}

fn make_list<B: Backend>(mut c: Ctx<'_, B>, ptr: u32, len: u32) -> Result<u32> {
    let items = read_values(&c, ptr, len)?;
    c.data_mut().make(|b| b.make_list(items))
}

fn copy_list<B: Backend>(mut c: Ctx<'_, B>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    // `forceList`: only a type error carries its trace.
    let (len, items) = c
        .data_mut()
        .with_forced(id, "while getting a list from Wasm", |b, v| {
            b.get_list(v, max_len as usize)
        })?;
    let count = u32::try_from(len).map_err(|_| abi("list too long for Wasm"))?;
    // As the evaluator: the ids written must be in memory, and nothing is
    // checked when they do not fit.
    if count <= max_len {
        check(&c, ptr, count, 4)?;
        let mut ids = Vec::with_capacity(items.len() * 4);
        for item in items {
            ids.extend_from_slice(&c.data_mut().push(item)?.to_le_bytes());
        }
        write(&mut c, ptr, &ids)?;
    }
    Ok(count)
}

/// Reads `len` records of (name pointer, name length, value id). A repeated
/// name is kept, as the evaluator keeps it (see [`Attrs::with_duplicates`]).
///
/// [`Attrs::with_duplicates`]: crate::Attrs::with_duplicates
fn make_attrset<B: Backend>(mut c: Ctx<'_, B>, ptr: u32, len: u32) -> Result<u32> {
    let records = read(&c, ptr, len, 12)?;
    let mut entries = Vec::with_capacity(len as usize);
    for record in records.chunks_exact(12) {
        let field =
            |i: usize| u32::from_le_bytes([record[i], record[i + 1], record[i + 2], record[i + 3]]);
        let name = read_text(&c, field(0), field(4))?;
        let value = c.data().value(field(8))?;
        entries.push((name, value));
    }
    c.data_mut().make(|b| b.make_attrset(entries))
}

/// Writes one (value id, name length) record per attribute.
fn copy_attrset<B: Backend>(mut c: Ctx<'_, B>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    let (len, attrs) =
        c.data_mut()
            .with_forced(id, "while copying an attrset into Wasm", |b, v| {
                b.get_attrs(v, max_len as usize)
            })?;
    let count = u32::try_from(len).map_err(|_| abi("set too large for Wasm"))?;
    // As the evaluator: when the records fit, the whole buffer of max_len
    // records must be in memory; when they do not, nothing is checked.
    if count <= max_len {
        check(&c, ptr, max_len, 8)?;
        let mut records = Vec::with_capacity(attrs.len() * 8);
        for (name_len, value) in attrs {
            let name_len = u32::try_from(name_len).map_err(|_| abi("name too long for Wasm"))?;
            records.extend_from_slice(&c.data_mut().push(value)?.to_le_bytes());
            records.extend_from_slice(&name_len.to_le_bytes());
        }
        write(&mut c, ptr, &records)?;
    }
    Ok(count)
}

fn copy_attrname<B: Backend>(
    mut c: Ctx<'_, B>,
    id: u32,
    index: u32,
    ptr: u32,
    len: u32,
) -> Result<()> {
    // `forceAttrs` (a type error with its trace), then the lookup.
    c.data_mut()
        .with_forced(id, "while copying an attr name into Wasm", |b, v| {
            b.get_attrs(v, 0)
        })?;
    let name = c
        .data_mut()
        .with(id, |b, v| b.get_attr_name(v, index as usize))?
        .ok_or_else(|| abi("copy_attrname: attribute index out of bounds"))?;
    if name.len() != len as usize {
        return Err(abi(
            "copy_attrname: buffer length does not match attribute name length",
        ));
    }
    write(&mut c, ptr, name.as_bytes())
}

/// Returns 0 for a missing attribute; the attribute's value is not forced.
fn get_attr<B: Backend>(mut c: Ctx<'_, B>, id: u32, ptr: u32, len: u32) -> Result<u32> {
    let name = read_text(&c, ptr, len)?;
    let found = c
        .data_mut()
        .with_forced(id, "while getting an attribute from Wasm", |b, v| {
            b.get_attr(v, &name)
        })?;
    match found {
        Some(value) => c.data_mut().push(value),
        None => Ok(0),
    }
}

/// Strict: the result is forced. No arguments give the function itself.
fn call_function<B: Backend>(mut c: Ctx<'_, B>, function: u32, ptr: u32, len: u32) -> Result<u32> {
    // As the evaluator, the function is forced (and checked) before the
    // arguments are read.
    c.data_mut()
        .with(function, |b, f| b.check_function(f))
        .map_err(traced("while calling a function from Wasm"))?;
    let function = c.data().value(function)?;
    let args = read_values(&c, ptr, len)?;
    c.data_mut().make(|b| b.call_function(&function, args))
}

/// Lazy: builds a thunk; nothing is forced or checked until it is.
fn make_app<B: Backend>(mut c: Ctx<'_, B>, function: u32, ptr: u32, len: u32) -> Result<u32> {
    if len == 0 {
        c.data().memory()?;
        return Ok(function);
    }
    // As the evaluator: the array is checked against memory, then the
    // function's id, then each argument's.
    let ids = read_ids(&c, ptr, len)?;
    let state = c.data();
    let function = state.value(function)?;
    let args = ids
        .iter()
        .map(|id| state.value(*id))
        .collect::<Result<Vec<_>>>()?;
    c.data_mut().make(|b| b.make_app(&function, args))
}

fn read_file<B: Backend>(mut c: Ctx<'_, B>, id: u32, ptr: u32, len: u32) -> Result<u32> {
    // `realisePath`: forcing the value is part of coercing it to a path.
    let path = c
        .data_mut()
        .with(id, |b, v| b.force(v))
        .map_err(traced(REALISING_PATH))?;
    let (path, bytes) = c.data_mut().backend.read_file(&path).map_err(refused)?;
    if u32::try_from(bytes.len()).is_err() {
        return Err(abi(format!(
            "file '{path}' is too large to process in Wasm (size: {})",
            bytes.len()
        )));
    }
    copy_out(&mut c, &bytes, ptr, len)
}

/// Defines every `env` import; `return_to_nix` and WASI preview 1 only for
/// a WASI module, as the evaluator links them.
pub(crate) fn link<B: Backend>(linker: &mut Linker<CallState<B>>, wasi: bool) -> Result<()> {
    if wasi {
        wasmtime_wasi::p1::add_to_linker_sync(linker, |state: &mut CallState<B>| {
            state
                .wasi
                .as_mut()
                .expect("a WASI module's call has a WASI context")
        })?;
        linker.func_wrap("env", "return_to_nix", return_to_nix::<B>)?;
    }
    linker.func_wrap("env", "panic", panic::<B>)?;
    linker.func_wrap("env", "warn", warn::<B>)?;
    linker.func_wrap("env", "get_type", get_type::<B>)?;
    linker.func_wrap("env", "make_int", make_int::<B>)?;
    linker.func_wrap("env", "get_int", get_int::<B>)?;
    linker.func_wrap("env", "make_float", make_float::<B>)?;
    linker.func_wrap("env", "get_float", get_float::<B>)?;
    linker.func_wrap("env", "make_string", make_string::<B>)?;
    linker.func_wrap("env", "copy_string", copy_string::<B>)?;
    linker.func_wrap("env", "make_path", make_path::<B>)?;
    linker.func_wrap("env", "copy_path", copy_path::<B>)?;
    linker.func_wrap("env", "make_bool", make_bool::<B>)?;
    linker.func_wrap("env", "get_bool", get_bool::<B>)?;
    linker.func_wrap("env", "make_null", make_null::<B>)?;
    linker.func_wrap("env", "make_list", make_list::<B>)?;
    linker.func_wrap("env", "copy_list", copy_list::<B>)?;
    linker.func_wrap("env", "make_attrset", make_attrset::<B>)?;
    linker.func_wrap("env", "copy_attrset", copy_attrset::<B>)?;
    linker.func_wrap("env", "copy_attrname", copy_attrname::<B>)?;
    linker.func_wrap("env", "get_attr", get_attr::<B>)?;
    linker.func_wrap("env", "call_function", call_function::<B>)?;
    linker.func_wrap("env", "make_app", make_app::<B>)?;
    linker.func_wrap("env", "read_file", read_file::<B>)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_canonical() {
        assert_eq!(canonical_path(b"/a/b/../c/./d"), "/a/c/d");
        assert_eq!(canonical_path(b"/../.."), "/");
        assert_eq!(canonical_path(b"/a//b/"), "/a/b");
        assert_eq!(canonical_path(b"/"), "/");
    }

    #[test]
    fn spans_never_wrap() {
        assert!(span(100, 90, 10, 1).is_ok());
        assert!(span(100, 90, 11, 1).is_err());
        assert!(span(100, u32::MAX, 2, 1).is_err());
        assert!(span(100, 0, u32::MAX, 12).is_err());
        assert!(span(100, 100, 0, 4).is_ok());
        assert!(span(100, 101, 0, 4).is_err());
    }
}
