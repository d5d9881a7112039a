//! The 23 `env` host functions of the `builtins.wasm` ABI, with the real
//! evaluator's semantics: opaque value ids with 0 reserved,
//! length-then-copy buffers, constructors that never force, inspectors
//! that force to weak head normal form, and a trap for every misuse.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use wasmtime::{Caller, Linker, Memory, StoreLimits};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::access::FileAccess;
use crate::log::SharedLog;
use crate::value::{Attrs, NixString, NixValue, Thunk};

/// Why a host function made the call trap.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Misuse of the ABI, or an evaluation that failed.
    Abi(String),
    /// The guest called `panic`.
    Panic(String),
    /// A limit of this host.
    Limit(String),
    /// A WASI module called `return_to_nix`, which ends the call.
    Returned,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Abi(message) | Refusal::Limit(message) => f.write_str(message),
            Refusal::Panic(message) => write!(f, "Wasm panic: {message}"),
            Refusal::Returned => f.write_str("return_to_nix"),
        }
    }
}

impl std::error::Error for Refusal {}

type Result<T> = wasmtime::Result<T>;
type Ctx<'a> = Caller<'a, CallState>;

fn abi(message: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(Refusal::Abi(message.into()))
}

fn limit(message: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(Refusal::Limit(message.into()))
}

fn out_of_bounds() -> wasmtime::Error {
    abi("Wasm memory access out of bounds")
}

/// A type error as Nix words it: "expected an integer but found a
/// string: \"x\"".
pub(crate) fn expected(what: &str, found: &NixValue) -> String {
    format!(
        "expected {what} but found {}: {}",
        found.describe(),
        crate::show::show(found)
    )
}

/// The state of one call: the value table, what the guest reported, and
/// the limits that apply.
pub(crate) struct CallState {
    /// Index 0 is the reserved id; every other slot holds a value.
    values: Vec<Option<NixValue>>,
    /// Nesting of the lists, sets and thunks built during this call, by
    /// address (they stay alive in `values` until the call ends, so an
    /// address cannot be reused). Values the host made count as 0.
    depths: HashMap<usize, usize>,
    max_values: usize,
    /// How deep values may nest.
    max_depth: usize,
    /// Which files `read_file` may read.
    file_access: std::sync::Arc<FileAccess>,
    memory: Option<Memory>,
    /// The call's warnings.
    pub(crate) log: SharedLog,
    pub(crate) limits: StoreLimits,
    /// The WASI context of a WASI module's call.
    pub(crate) wasi: Option<WasiP1Ctx>,
    /// The value a WASI module handed to `return_to_nix`.
    pub(crate) returned: Option<u32>,
}

impl CallState {
    /// A table with the reserved id 0 and the argument as id 1.
    pub(crate) fn new(
        argument: NixValue,
        limits: StoreLimits,
        max_values: usize,
        max_depth: usize,
        file_access: std::sync::Arc<FileAccess>,
        log: SharedLog,
    ) -> Self {
        Self {
            values: vec![None, Some(argument)],
            depths: HashMap::new(),
            max_values,
            max_depth,
            file_access,
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
        self.memory.ok_or_else(|| {
            abi(
                "a host function was called while the module was being instantiated \
                 (from its start function); the evaluator does not allow that either",
            )
        })
    }

    fn value(&self, id: u32) -> Result<&NixValue> {
        self.memory()?;
        match self.values.get(id as usize) {
            Some(Some(value)) => Ok(value),
            _ => Err(abi(format!("invalid ValueId {id}"))),
        }
    }

    /// The value of `id` in weak head normal form.
    pub(crate) fn forced(&mut self, id: u32) -> Result<NixValue> {
        let value = self.value(id)?;
        let NixValue::Thunk(thunk) = value else {
            return Ok(value.clone());
        };
        let thunk = thunk.clone();
        let forced = thunk.force().map_err(abi)?;
        self.measure_new(&forced)?;
        self.values[id as usize] = Some(forced.clone());
        Ok(forced)
    }

    fn forced_attrs(&mut self, id: u32) -> Result<std::sync::Arc<Attrs>> {
        match self.forced(id)? {
            NixValue::Attrs(attrs) => Ok(attrs),
            other => Err(abi(expected("a set", &other))),
        }
    }

    fn push(&mut self, value: NixValue) -> Result<u32> {
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

    fn depth(&self, value: &NixValue) -> usize {
        value
            .address()
            .and_then(|address| self.depths.get(&address))
            .copied()
            .unwrap_or(0)
    }

    /// Records the nesting of a value built from `children`.
    fn nest<'a>(
        &mut self,
        value: &NixValue,
        children: impl IntoIterator<Item = &'a NixValue>,
    ) -> Result<()> {
        let depth = 1 + children
            .into_iter()
            .map(|child| self.depth(child))
            .max()
            .unwrap_or(0);
        self.record(value, depth)
    }

    fn record(&mut self, value: &NixValue, depth: usize) -> Result<()> {
        if depth > self.max_depth {
            return Err(limit(format!(
                "values nested more than {} levels deep (a limit of this host)",
                self.max_depth
            )));
        }
        if let Some(address) = value.address() {
            self.depths.insert(address, depth);
        }
        Ok(())
    }

    /// Records the nesting of a value a host function returned, which may
    /// wrap values of this call.
    fn measure_new(&mut self, value: &NixValue) -> Result<()> {
        match value.address() {
            Some(address) if !self.depths.contains_key(&address) => {
                let depth = self.measure(value, self.max_depth + 1);
                self.record(value, depth)
            }
            _ => Ok(()),
        }
    }

    /// The nesting of `value`, looking at most `budget` levels down.
    fn measure(&self, value: &NixValue, budget: usize) -> usize {
        if let Some(depth) = value.address().and_then(|a| self.depths.get(&a)) {
            return *depth;
        }
        if budget == 0 {
            return self.max_depth + 1;
        }
        let deepest = match value {
            NixValue::List(items) => items.iter().map(|v| self.measure(v, budget - 1)).max(),
            NixValue::Attrs(attrs) => attrs.iter().map(|(_, v)| self.measure(v, budget - 1)).max(),
            _ => return 0,
        };
        1 + deepest.unwrap_or(0)
    }
}

fn memory(c: &Ctx<'_>) -> Result<Memory> {
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

fn read(c: &Ctx<'_>, ptr: u32, count: u32, size: usize) -> Result<Vec<u8>> {
    let data = memory(c)?.data(c);
    Ok(data[span(data.len(), ptr, count, size)?].to_vec())
}

/// Checks that the guest buffer `ptr .. ptr + count * size` is in memory.
fn check(c: &Ctx<'_>, ptr: u32, count: u32, size: usize) -> Result<()> {
    span(memory(c)?.data_size(c), ptr, count, size).map(drop)
}

fn write(c: &mut Ctx<'_>, ptr: u32, bytes: &[u8]) -> Result<()> {
    let memory = memory(c)?;
    let data = memory.data_mut(c);
    let len = u32::try_from(bytes.len()).map_err(|_| out_of_bounds())?;
    let range = span(data.len(), ptr, len, 1)?;
    data[range].copy_from_slice(bytes);
    Ok(())
}

/// Guest bytes for a string, path or name: any bytes, as the evaluator
/// takes them.
fn read_text(c: &Ctx<'_>, ptr: u32, len: u32) -> Result<NixString> {
    read(c, ptr, len, 1).map(NixString::from)
}

fn read_ids(c: &Ctx<'_>, ptr: u32, count: u32) -> Result<Vec<u32>> {
    Ok(read(c, ptr, count, 4)?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn read_values(c: &Ctx<'_>, ptr: u32, count: u32) -> Result<Vec<NixValue>> {
    let ids = read_ids(c, ptr, count)?;
    let state = c.data();
    ids.iter().map(|id| state.value(*id).cloned()).collect()
}

/// Copies `bytes` to `ptr` if they fit in `max_len` and returns their full
/// length. As in the evaluator, memory is touched only when they fit; the
/// bytes written must then be in memory (where the evaluator would write
/// past it).
fn copy_out(c: &mut Ctx<'_>, bytes: &[u8], ptr: u32, max_len: u32) -> Result<u32> {
    let len = u32::try_from(bytes.len()).map_err(|_| abi("value too large for Wasm"))?;
    if len <= max_len {
        write(c, ptr, bytes)?;
    }
    Ok(len)
}

fn no_nul(text: &[u8]) -> std::result::Result<(), String> {
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
fn canonical_path(path: &[u8]) -> NixString {
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

fn is_callable(value: &NixValue) -> bool {
    match value {
        NixValue::Function(_) => true,
        NixValue::Attrs(attrs) => attrs.get("__functor").is_some(),
        _ => false,
    }
}

/// Applies a function, or a set with `__functor` (`s x` is
/// `s.__functor s x`), to `args` one at a time, forcing each result, as
/// Nix's `callFunction` does; no arguments give the function itself.
fn apply(function: &NixValue, args: &[NixValue]) -> std::result::Result<NixValue, String> {
    args.iter()
        .try_fold(function.force()?, |function, arg| apply1(&function, arg))
}

fn apply1(function: &NixValue, arg: &NixValue) -> std::result::Result<NixValue, String> {
    let function = function.force()?;
    match &function {
        NixValue::Function(f) => f.call(arg)?.force(),
        NixValue::Attrs(attrs) => match attrs.get("__functor") {
            Some(functor) => apply1(&apply1(functor, &function)?, arg),
            None => Err(not_callable(&function)),
        },
        other => Err(not_callable(other)),
    }
}

/// What `callFunction` says when applying a value that is no function.
fn not_callable(value: &NixValue) -> String {
    format!(
        "attempt to call something which is not a function but {}: {}",
        value.describe(),
        crate::show::show(value)
    )
}

/// The file a value names, as Nix's `realisePath` finds it: a path, an
/// absolute path string, or a set with `__toString` or `outPath`.
pub(crate) fn coerce_to_path(value: &NixValue) -> std::result::Result<NixString, String> {
    match value {
        // Nix path values are canonical; one built by hand may not be.
        NixValue::Path(path) => Ok(canonical_path(path)),
        NixValue::String(text) if text.starts_with(b"/") => {
            no_nul(text)?;
            Ok(canonical_path(text))
        }
        NixValue::String(text) => Err(format!(
            "string '{text}' doesn't represent an absolute path"
        )),
        NixValue::Attrs(attrs) => {
            if let Some(to_string) = attrs.get("__toString") {
                return coerce_to_path(&apply(to_string, std::slice::from_ref(value))?);
            }
            match attrs.get("outPath") {
                Some(out_path) => coerce_to_path(&out_path.force()?),
                None => Err(format!(
                    "cannot coerce a set to a string: {}",
                    crate::show::show(value)
                )),
            }
        }
        other => Err(format!(
            "cannot coerce {} to a string: {}",
            other.describe(),
            crate::show::show(other)
        )),
    }
}

fn panic(c: Ctx<'_>, ptr: u32, len: u32) -> Result<()> {
    let bytes = read(&c, ptr, len, 1)?;
    Err(wasmtime::Error::new(Refusal::Panic(
        String::from_utf8_lossy(&bytes).into_owned(),
    )))
}

fn warn(c: Ctx<'_>, ptr: u32, len: u32) -> Result<()> {
    let message = read(&c, ptr, len, 1)?;
    c.data().log.warn(&message);
    Ok(())
}

/// WASI modules only: records the result and ends the call with a trap,
/// as the evaluator's `return_to_nix` does. The id is checked afterwards.
fn return_to_nix(mut c: Ctx<'_>, id: u32) -> Result<()> {
    c.data_mut().returned = Some(id);
    Err(wasmtime::Error::new(Refusal::Returned))
}

fn get_type(mut c: Ctx<'_>, id: u32) -> Result<u32> {
    Ok(match c.data_mut().forced(id)? {
        NixValue::Int(_) => 1,
        NixValue::Float(_) => 2,
        NixValue::Bool(_) => 3,
        NixValue::String(_) => 4,
        NixValue::Path(_) => 5,
        NixValue::Null => 6,
        NixValue::Attrs(_) => 7,
        NixValue::List(_) => 8,
        NixValue::Function(_) => 9,
        NixValue::Thunk(_) => return Err(abi("unsupported type")),
    })
}

fn make_int(mut c: Ctx<'_>, n: i64) -> Result<u32> {
    c.data_mut().push(NixValue::Int(n))
}

fn get_int(mut c: Ctx<'_>, id: u32) -> Result<i64> {
    match c.data_mut().forced(id)? {
        NixValue::Int(n) => Ok(n),
        other => Err(abi(expected("an integer", &other))),
    }
}

fn make_float(mut c: Ctx<'_>, x: f64) -> Result<u32> {
    c.data_mut().push(NixValue::Float(x))
}

/// Integers are accepted and converted, as Nix's `forceFloat` does.
fn get_float(mut c: Ctx<'_>, id: u32) -> Result<f64> {
    match c.data_mut().forced(id)? {
        NixValue::Float(x) => Ok(x),
        NixValue::Int(n) => Ok(n as f64),
        other => Err(abi(expected("a float", &other))),
    }
}

fn make_string(mut c: Ctx<'_>, ptr: u32, len: u32) -> Result<u32> {
    let text = read_text(&c, ptr, len)?;
    c.data_mut().push(NixValue::String(text))
}

fn copy_string(mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    let text = match c.data_mut().forced(id)? {
        NixValue::String(text) => text,
        other => return Err(abi(expected("a string", &other))),
    };
    copy_out(&mut c, text.as_bytes(), ptr, max_len)
}

fn make_path(mut c: Ctx<'_>, base: u32, ptr: u32, len: u32) -> Result<u32> {
    let NixValue::Path(base) = c.data_mut().forced(base)? else {
        return Err(abi("make_path expects a path value"));
    };
    let rel = read_text(&c, ptr, len)?;
    no_nul(&rel).map_err(abi)?;
    let joined = if rel.starts_with(b"/") {
        rel.into_bytes()
    } else {
        [base.as_bytes(), b"/", rel.as_bytes()].concat()
    };
    c.data_mut().push(NixValue::Path(canonical_path(&joined)))
}

fn copy_path(mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    let NixValue::Path(path) = c.data_mut().forced(id)? else {
        return Err(abi("copy_path expects a path value"));
    };
    copy_out(&mut c, path.as_bytes(), ptr, max_len)
}

fn make_bool(mut c: Ctx<'_>, b: i32) -> Result<u32> {
    c.data_mut().push(NixValue::Bool(b != 0))
}

fn get_bool(mut c: Ctx<'_>, id: u32) -> Result<i32> {
    match c.data_mut().forced(id)? {
        NixValue::Bool(b) => Ok(i32::from(b)),
        other => Err(abi(expected("a Boolean", &other))),
    }
}

fn make_null(mut c: Ctx<'_>) -> Result<u32> {
    c.data_mut().push(NixValue::Null)
}

fn make_list(mut c: Ctx<'_>, ptr: u32, len: u32) -> Result<u32> {
    let items = read_values(&c, ptr, len)?;
    let list = NixValue::list(items);
    let NixValue::List(items) = &list else {
        unreachable!("NixValue::list makes a list")
    };
    let state = c.data_mut();
    state.nest(&list, items.iter())?;
    state.push(list)
}

fn copy_list(mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    let items = match c.data_mut().forced(id)? {
        NixValue::List(items) => items,
        other => return Err(abi(expected("a list", &other))),
    };
    let count = u32::try_from(items.len()).map_err(|_| abi("list too long for Wasm"))?;
    // As the evaluator: the ids written must be in memory, and nothing is
    // checked when they do not fit.
    if count <= max_len {
        check(&c, ptr, count, 4)?;
        let mut ids = Vec::with_capacity(items.len() * 4);
        for item in items.iter() {
            ids.extend_from_slice(&c.data_mut().push(item.clone())?.to_le_bytes());
        }
        write(&mut c, ptr, &ids)?;
    }
    Ok(count)
}

/// Reads `len` records of (name pointer, name length, value id). A repeated
/// name is kept, as the evaluator keeps it (see [`Attrs::with_duplicates`]).
fn make_attrset(mut c: Ctx<'_>, ptr: u32, len: u32) -> Result<u32> {
    let records = read(&c, ptr, len, 12)?;
    let mut entries = Vec::with_capacity(len as usize);
    for record in records.chunks_exact(12) {
        let field =
            |i: usize| u32::from_le_bytes([record[i], record[i + 1], record[i + 2], record[i + 3]]);
        let name = read_text(&c, field(0), field(4))?;
        let value = c.data().value(field(8))?.clone();
        entries.push((name, value));
    }
    let attrs = NixValue::Attrs(std::sync::Arc::new(Attrs::with_duplicates(entries)));
    let NixValue::Attrs(set) = &attrs else {
        unreachable!("built as a set")
    };
    let state = c.data_mut();
    state.nest(&attrs, set.iter().map(|(_, value)| value))?;
    state.push(attrs)
}

/// Writes one (value id, name length) record per attribute.
fn copy_attrset(mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32) -> Result<u32> {
    let attrs = c.data_mut().forced_attrs(id)?;
    let count = u32::try_from(attrs.len()).map_err(|_| abi("set too large for Wasm"))?;
    // As the evaluator: when the records fit, the whole buffer of max_len
    // records must be in memory; when they do not, nothing is checked.
    if count <= max_len {
        check(&c, ptr, max_len, 8)?;
        let mut records = Vec::with_capacity(attrs.len() * 8);
        for (name, value) in attrs.iter() {
            let name_len = u32::try_from(name.len()).map_err(|_| abi("name too long for Wasm"))?;
            records.extend_from_slice(&c.data_mut().push(value.clone())?.to_le_bytes());
            records.extend_from_slice(&name_len.to_le_bytes());
        }
        write(&mut c, ptr, &records)?;
    }
    Ok(count)
}

/// As the evaluator: the index is checked against the whole set first,
/// then the name is looked up positionally, which a layered set cannot do.
fn copy_attrname(mut c: Ctx<'_>, id: u32, index: u32, ptr: u32, len: u32) -> Result<()> {
    let attrs = c.data_mut().forced_attrs(id)?;
    if index as usize >= attrs.len() {
        return Err(abi("copy_attrname: attribute index out of bounds"));
    }
    if attrs.layers() > 1 {
        // Bindings::operator[] calls unreachable() on a layered set.
        return Err(abi(
            "copy_attrname on a layered attribute set (made by `//` with at most 16 attributes \
             on its right side): Determinate Nix aborts the whole evaluator here \
             (Bindings::operator[] calls unreachable()); hand plugins flat sets, \
             e.g. rebuilt with builtins.mapAttrs",
        ));
    }
    let (name, _) = attrs
        .at(index as usize)
        .ok_or_else(|| abi("copy_attrname: attribute index out of bounds"))?;
    if name.len() != len as usize {
        return Err(abi(
            "copy_attrname: buffer length does not match attribute name length",
        ));
    }
    write(&mut c, ptr, name.as_bytes())
}

/// Returns 0 for a missing attribute; the attribute's value is not forced.
fn get_attr(mut c: Ctx<'_>, id: u32, ptr: u32, len: u32) -> Result<u32> {
    let name = read_text(&c, ptr, len)?;
    let attrs = c.data_mut().forced_attrs(id)?;
    match attrs.get(&name) {
        Some(value) => c.data_mut().push(value.clone()),
        None => Ok(0),
    }
}

/// Strict: the result is forced. No arguments give the function itself.
fn call_function(mut c: Ctx<'_>, function: u32, ptr: u32, len: u32) -> Result<u32> {
    let function = c.data_mut().forced(function)?;
    if !is_callable(&function) {
        return Err(abi(expected("a function", &function)));
    }
    let args = read_values(&c, ptr, len)?;
    let result = apply(&function, &args).map_err(abi)?;
    let state = c.data_mut();
    state.measure_new(&result)?;
    state.push(result)
}

/// Lazy: builds a thunk; nothing is forced or checked until it is.
fn make_app(mut c: Ctx<'_>, function: u32, ptr: u32, len: u32) -> Result<u32> {
    if len == 0 {
        c.data().memory()?;
        return Ok(function);
    }
    let args = read_values(&c, ptr, len)?;
    let function = c.data().value(function)?.clone();
    let depth = 1 + std::iter::once(&function)
        .chain(&args)
        .map(|value| c.data().depth(value))
        .max()
        .unwrap_or(0);
    let thunk = NixValue::Thunk(Thunk::new(move || apply(&function, &args)));
    let state = c.data_mut();
    state.record(&thunk, depth)?;
    state.push(thunk)
}

/// The file a path value names: its bytes as they are (Unix).
#[cfg(unix)]
pub(crate) fn file_name(path: &NixString) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt as _;
    std::path::Path::new(std::ffi::OsStr::from_bytes(path.as_bytes())).to_path_buf()
}

#[cfg(not(unix))]
pub(crate) fn file_name(path: &NixString) -> std::path::PathBuf {
    std::path::PathBuf::from(path.to_string_lossy().into_owned())
}

fn read_file(mut c: Ctx<'_>, id: u32, ptr: u32, len: u32) -> Result<u32> {
    let value = c.data_mut().forced(id)?;
    let path = coerce_to_path(&value).map_err(abi)?;
    let file = c
        .data()
        .file_access
        .realise(&file_name(&path))
        .map_err(abi)?;
    let bytes = std::fs::read(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => abi(format!("path '{path}' does not exist")),
        _ => abi(format!("cannot read file '{path}': {e}")),
    })?;
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
pub(crate) fn link(linker: &mut Linker<CallState>, wasi: bool) -> Result<()> {
    if wasi {
        wasmtime_wasi::p1::add_to_linker_sync(linker, |state: &mut CallState| {
            state
                .wasi
                .as_mut()
                .expect("a WASI module's call has a WASI context")
        })?;
        linker.func_wrap("env", "return_to_nix", return_to_nix)?;
    }
    linker.func_wrap("env", "panic", panic)?;
    linker.func_wrap("env", "warn", warn)?;
    linker.func_wrap("env", "get_type", get_type)?;
    linker.func_wrap("env", "make_int", make_int)?;
    linker.func_wrap("env", "get_int", get_int)?;
    linker.func_wrap("env", "make_float", make_float)?;
    linker.func_wrap("env", "get_float", get_float)?;
    linker.func_wrap("env", "make_string", make_string)?;
    linker.func_wrap("env", "copy_string", copy_string)?;
    linker.func_wrap("env", "make_path", make_path)?;
    linker.func_wrap("env", "copy_path", copy_path)?;
    linker.func_wrap("env", "make_bool", make_bool)?;
    linker.func_wrap("env", "get_bool", get_bool)?;
    linker.func_wrap("env", "make_null", make_null)?;
    linker.func_wrap("env", "make_list", make_list)?;
    linker.func_wrap("env", "copy_list", copy_list)?;
    linker.func_wrap("env", "make_attrset", make_attrset)?;
    linker.func_wrap("env", "copy_attrset", copy_attrset)?;
    linker.func_wrap("env", "copy_attrname", copy_attrname)?;
    linker.func_wrap("env", "get_attr", get_attr)?;
    linker.func_wrap("env", "call_function", call_function)?;
    linker.func_wrap("env", "make_app", make_app)?;
    linker.func_wrap("env", "read_file", read_file)?;
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

    #[test]
    fn values_coerce_to_paths_like_realise_path() {
        assert_eq!(coerce_to_path(&NixValue::Path("/a".into())).unwrap(), "/a");
        assert_eq!(coerce_to_path(&NixValue::string("/a/../b")).unwrap(), "/b");
        assert_eq!(
            coerce_to_path(&NixValue::string("rel")).unwrap_err(),
            "string 'rel' doesn't represent an absolute path"
        );
        let drv = NixValue::attrs([("outPath", NixValue::string("/nix/store/x"))]).unwrap();
        assert_eq!(coerce_to_path(&drv).unwrap(), "/nix/store/x");
        assert_eq!(
            coerce_to_path(&NixValue::Int(1)).unwrap_err(),
            "cannot coerce an integer to a string: 1"
        );
        assert!(coerce_to_path(&NixValue::string("/a\0b")).is_err());
    }
}
