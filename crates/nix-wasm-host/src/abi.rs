//! The 23 `env` host functions of the `builtins.wasm` ABI, with the real
//! evaluator's semantics (DeterminateSystems/nix-src
//! `src/libexpr/primops/wasm.cc`): opaque value ids with 0 reserved,
//! length-then-copy buffers, constructors that never force, getters that
//! force to weak head normal form, traps for every misuse.

use std::fmt;

use wasmtime::{Caller, Extern, Linker};

use crate::value::{Attrs, NixFunction, NixValue, Thunk};

/// A misuse of the ABI or a failed evaluation inside a host function; the
/// call traps with this message.
#[derive(Debug)]
pub(crate) struct AbiError(pub String);

impl fmt::Display for AbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AbiError {}

/// The guest called `panic`.
#[derive(Debug)]
pub(crate) struct GuestPanic(pub String);

impl fmt::Display for GuestPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Wasm panic: {}", self.0)
    }
}

impl std::error::Error for GuestPanic {}

type Result<T> = wasmtime::Result<T>;

fn abi(message: impl Into<String>) -> wasmtime::Error {
    wasmtime::Error::new(AbiError(message.into()))
}

fn out_of_bounds() -> wasmtime::Error {
    abi("Wasm memory access out of bounds")
}

fn expected(what: &str, found: &NixValue) -> wasmtime::Error {
    abi(format!("expected {what} but found {}", found.describe()))
}

/// The state of one call: the value table and what the guest reported.
pub(crate) struct CallState {
    values: Vec<Option<NixValue>>,
    pub(crate) warnings: Vec<String>,
    pub(crate) limits: wasmtime::StoreLimits,
}

impl CallState {
    /// A table holding the reserved id 0 and the argument as id 1.
    pub(crate) fn new(argument: NixValue, limits: wasmtime::StoreLimits) -> Self {
        Self {
            values: vec![None, Some(argument)],
            warnings: Vec::new(),
            limits,
        }
    }

    pub(crate) fn value(&self, id: u32) -> Result<&NixValue> {
        match self.values.get(id as usize) {
            Some(Some(value)) => Ok(value),
            _ => Err(abi(format!("invalid ValueId {id}"))),
        }
    }

    /// The value forced to weak head normal form (remembered, as Nix
    /// updates a thunk in place).
    pub(crate) fn forced(&mut self, id: u32) -> Result<NixValue> {
        let value = self.value(id)?.force().map_err(abi)?;
        self.values[id as usize] = Some(value.clone());
        Ok(value)
    }

    fn push(&mut self, value: NixValue) -> Result<u32> {
        let id = u32::try_from(self.values.len()).map_err(|_| abi("too many values"))?;
        self.values.push(Some(value));
        Ok(id)
    }

    fn forced_attrs(&mut self, id: u32) -> Result<std::sync::Arc<Attrs>> {
        match self.forced(id)? {
            NixValue::Attrs(attrs) => Ok(attrs),
            other => Err(expected("a set", &other)),
        }
    }
}

type Ctx<'a> = Caller<'a, CallState>;

fn memory_data<'a>(caller: &'a mut Ctx<'_>) -> Result<(&'a mut [u8], &'a mut CallState)> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Ok(memory.data_and_store_mut(caller)),
        _ => Err(abi("the module does not export a memory named 'memory'")),
    }
}

fn range(data_len: usize, ptr: u32, len: usize) -> Result<std::ops::Range<usize>> {
    let start = ptr as usize;
    let end = start.checked_add(len).ok_or_else(out_of_bounds)?;
    if end > data_len {
        return Err(out_of_bounds());
    }
    Ok(start..end)
}

fn read_bytes(caller: &mut Ctx<'_>, ptr: u32, len: u32) -> Result<Vec<u8>> {
    let (data, _) = memory_data(caller)?;
    let r = range(data.len(), ptr, len as usize)?;
    Ok(data[r].to_vec())
}

fn read_text(caller: &mut Ctx<'_>, ptr: u32, len: u32, what: &str) -> Result<String> {
    String::from_utf8(read_bytes(caller, ptr, len)?)
        .map_err(|_| abi(format!("{what}: the bytes are not valid UTF-8")))
}

fn read_u32s(caller: &mut Ctx<'_>, ptr: u32, count: u32) -> Result<Vec<u32>> {
    let bytes = read_bytes(caller, ptr, count.checked_mul(4).ok_or_else(out_of_bounds)?)?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Copies `bytes` to the guest when they fit in its buffer of `max_len`,
/// whose whole extent must be valid memory; returns the full length.
fn copy_out(caller: &mut Ctx<'_>, bytes: &[u8], ptr: u32, max_len: u32) -> Result<u32> {
    let len = u32::try_from(bytes.len()).map_err(|_| abi("value too large for Wasm"))?;
    if len <= max_len {
        let (data, _) = memory_data(caller)?;
        let r = range(data.len(), ptr, max_len as usize)?;
        data[r.start..r.start + bytes.len()].copy_from_slice(bytes);
    }
    Ok(len)
}

fn argument_values(caller: &mut Ctx<'_>, ptr: u32, len: u32) -> Result<Vec<NixValue>> {
    let ids = read_u32s(caller, ptr, len)?;
    let state = caller.data();
    ids.iter().map(|id| state.value(*id).cloned()).collect()
}

/// `..` and `.` resolved, `/` kept as the root, the way Nix canonicalises
/// paths.
fn canonical_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Registers every `env` import.
pub(crate) fn link(linker: &mut Linker<CallState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "panic",
        |mut c: Ctx<'_>, ptr: u32, len: u32| -> Result<()> {
            let bytes = read_bytes(&mut c, ptr, len)?;
            Err(wasmtime::Error::new(GuestPanic(
                String::from_utf8_lossy(&bytes).into_owned(),
            )))
        },
    )?;
    linker.func_wrap(
        "env",
        "warn",
        |mut c: Ctx<'_>, ptr: u32, len: u32| -> Result<()> {
            let bytes = read_bytes(&mut c, ptr, len)?;
            c.data_mut()
                .warnings
                .push(String::from_utf8_lossy(&bytes).into_owned());
            Ok(())
        },
    )?;
    linker.func_wrap(
        "env",
        "get_type",
        |mut c: Ctx<'_>, id: u32| -> Result<u32> {
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
        },
    )?;
    linker.func_wrap("env", "make_int", |mut c: Ctx<'_>, n: i64| -> Result<u32> {
        c.data_mut().push(NixValue::Int(n))
    })?;
    linker.func_wrap("env", "get_int", |mut c: Ctx<'_>, id: u32| -> Result<i64> {
        match c.data_mut().forced(id)? {
            NixValue::Int(n) => Ok(n),
            other => Err(expected("an integer", &other)),
        }
    })?;
    linker.func_wrap(
        "env",
        "make_float",
        |mut c: Ctx<'_>, x: f64| -> Result<u32> { c.data_mut().push(NixValue::Float(x)) },
    )?;
    linker.func_wrap(
        "env",
        "get_float",
        |mut c: Ctx<'_>, id: u32| -> Result<f64> {
            match c.data_mut().forced(id)? {
                NixValue::Float(x) => Ok(x),
                NixValue::Int(n) => Ok(n as f64),
                other => Err(expected("a float", &other)),
            }
        },
    )?;
    linker.func_wrap(
        "env",
        "make_string",
        |mut c: Ctx<'_>, ptr: u32, len: u32| -> Result<u32> {
            let text = read_text(&mut c, ptr, len, "make_string")?;
            c.data_mut().push(NixValue::String(text))
        },
    )?;
    linker.func_wrap(
        "env",
        "copy_string",
        |mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32| -> Result<u32> {
            let text = match c.data_mut().forced(id)? {
                NixValue::String(text) => text,
                other => return Err(expected("a string", &other)),
            };
            copy_out(&mut c, text.as_bytes(), ptr, max_len)
        },
    )?;
    linker.func_wrap(
        "env",
        "make_path",
        |mut c: Ctx<'_>, base: u32, ptr: u32, len: u32| -> Result<u32> {
            let base = match c.data_mut().forced(base)? {
                NixValue::Path(path) => path,
                _ => return Err(abi("make_path expects a path value")),
            };
            let rel = read_text(&mut c, ptr, len, "make_path")?;
            let joined = if rel.starts_with('/') {
                rel
            } else {
                format!("{base}/{rel}")
            };
            c.data_mut().push(NixValue::Path(canonical_path(&joined)))
        },
    )?;
    linker.func_wrap(
        "env",
        "copy_path",
        |mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32| -> Result<u32> {
            let path = match c.data_mut().forced(id)? {
                NixValue::Path(path) => path,
                _ => return Err(abi("copy_path expects a path value")),
            };
            copy_out(&mut c, path.as_bytes(), ptr, max_len)
        },
    )?;
    linker.func_wrap(
        "env",
        "make_bool",
        |mut c: Ctx<'_>, b: i32| -> Result<u32> { c.data_mut().push(NixValue::Bool(b != 0)) },
    )?;
    linker.func_wrap(
        "env",
        "get_bool",
        |mut c: Ctx<'_>, id: u32| -> Result<i32> {
            match c.data_mut().forced(id)? {
                NixValue::Bool(b) => Ok(i32::from(b)),
                other => Err(expected("a Boolean", &other)),
            }
        },
    )?;
    linker.func_wrap("env", "make_null", |mut c: Ctx<'_>| -> Result<u32> {
        c.data_mut().push(NixValue::Null)
    })?;
    linker.func_wrap(
        "env",
        "make_list",
        |mut c: Ctx<'_>, ptr: u32, len: u32| -> Result<u32> {
            let items = argument_values(&mut c, ptr, len)?;
            c.data_mut().push(NixValue::list(items))
        },
    )?;
    linker.func_wrap(
        "env",
        "copy_list",
        |mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32| -> Result<u32> {
            let items = match c.data_mut().forced(id)? {
                NixValue::List(items) => items,
                other => return Err(expected("a list", &other)),
            };
            let count = u32::try_from(items.len()).map_err(|_| abi("list too long for Wasm"))?;
            if count <= max_len {
                let mut bytes = Vec::with_capacity(items.len() * 4);
                for item in items.iter() {
                    bytes.extend_from_slice(&c.data_mut().push(item.clone())?.to_le_bytes());
                }
                let (data, _) = memory_data(&mut c)?;
                let r = range(data.len(), ptr, bytes.len())?;
                data[r].copy_from_slice(&bytes);
            }
            Ok(count)
        },
    )?;
    linker.func_wrap(
        "env",
        "make_attrset",
        |mut c: Ctx<'_>, ptr: u32, len: u32| -> Result<u32> {
            let records = read_u32s(&mut c, ptr, len.checked_mul(3).ok_or_else(out_of_bounds)?)?;
            let mut entries = Vec::with_capacity(len as usize);
            for record in records.chunks_exact(3) {
                let name = read_text(&mut c, record[0], record[1], "make_attrset")?;
                let value = c.data().value(record[2])?.clone();
                entries.push((name, value));
            }
            let attrs =
                Attrs::from_entries(entries).map_err(|e| abi(format!("make_attrset: {e}")))?;
            c.data_mut()
                .push(NixValue::Attrs(std::sync::Arc::new(attrs)))
        },
    )?;
    linker.func_wrap(
        "env",
        "copy_attrset",
        |mut c: Ctx<'_>, id: u32, ptr: u32, max_len: u32| -> Result<u32> {
            let attrs = c.data_mut().forced_attrs(id)?;
            let count = u32::try_from(attrs.len()).map_err(|_| abi("set too large for Wasm"))?;
            if count <= max_len {
                let mut bytes = Vec::with_capacity(attrs.len() * 8);
                for (name, value) in attrs.iter() {
                    let value_id = c.data_mut().push(value.clone())?;
                    bytes.extend_from_slice(&value_id.to_le_bytes());
                    bytes.extend_from_slice(&(name.len() as u32).to_le_bytes());
                }
                let (data, _) = memory_data(&mut c)?;
                let r = range(data.len(), ptr, max_len as usize * 8)?;
                data[r.start..r.start + bytes.len()].copy_from_slice(&bytes);
            }
            Ok(count)
        },
    )?;
    linker.func_wrap(
        "env",
        "copy_attrname",
        |mut c: Ctx<'_>, id: u32, index: u32, ptr: u32, len: u32| -> Result<()> {
            let attrs = c.data_mut().forced_attrs(id)?;
            let (name, _) = attrs
                .at(index as usize)
                .ok_or_else(|| abi("copy_attrname: attribute index out of bounds"))?;
            if name.len() != len as usize {
                return Err(abi(
                    "copy_attrname: buffer length does not match attribute name length",
                ));
            }
            let (data, _) = memory_data(&mut c)?;
            let r = range(data.len(), ptr, name.len())?;
            data[r].copy_from_slice(name.as_bytes());
            Ok(())
        },
    )?;
    linker.func_wrap(
        "env",
        "get_attr",
        |mut c: Ctx<'_>, id: u32, ptr: u32, len: u32| -> Result<u32> {
            let attrs = c.data_mut().forced_attrs(id)?;
            let name = read_text(&mut c, ptr, len, "get_attr")?;
            match attrs.get(&name) {
                Some(value) => c.data_mut().push(value.clone()),
                None => Ok(0),
            }
        },
    )?;
    linker.func_wrap(
        "env",
        "call_function",
        |mut c: Ctx<'_>, function: u32, ptr: u32, len: u32| -> Result<u32> {
            let function = match c.data_mut().forced(function)? {
                NixValue::Function(f) => f,
                other => return Err(expected("a function", &other)),
            };
            let args = argument_values(&mut c, ptr, len)?;
            let result = function.call(&args).and_then(|v| v.force()).map_err(abi)?;
            c.data_mut().push(result)
        },
    )?;
    linker.func_wrap(
        "env",
        "make_app",
        |mut c: Ctx<'_>, function: u32, ptr: u32, len: u32| -> Result<u32> {
            if len == 0 {
                return Ok(function);
            }
            let function = c.data().value(function)?.clone();
            let args = argument_values(&mut c, ptr, len)?;
            c.data_mut().push(NixValue::Thunk(Thunk::new(move || {
                match function.force()? {
                    NixValue::Function(f) => f.call(&args),
                    other => Err(format!(
                        "expected a function but found {}",
                        other.describe()
                    )),
                }
            })))
        },
    )?;
    linker.func_wrap(
        "env",
        "read_file",
        |mut c: Ctx<'_>, id: u32, ptr: u32, len: u32| -> Result<u32> {
            let path = match c.data_mut().forced(id)? {
                NixValue::Path(path) | NixValue::String(path) => path,
                other => return Err(expected("a path", &other)),
            };
            let bytes =
                std::fs::read(&path).map_err(|e| abi(format!("cannot read file '{path}': {e}")))?;
            if u32::try_from(bytes.len()).is_err() {
                return Err(abi(format!(
                    "file '{path}' is too large to process in Wasm (size: {})",
                    bytes.len()
                )));
            }
            copy_out(&mut c, &bytes, ptr, len)
        },
    )?;
    Ok(())
}

/// A host function usable in tests and plugins' arguments: wraps a Rust
/// closure as a Nix function.
pub fn function(
    name: &str,
    body: impl Fn(&[NixValue]) -> std::result::Result<NixValue, String> + Send + Sync + 'static,
) -> NixValue {
    NixValue::Function(NixFunction::new(name, body))
}

#[cfg(test)]
mod tests {
    use super::canonical_path;

    #[test]
    fn paths_are_canonical() {
        assert_eq!(canonical_path("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(canonical_path("/../.."), "/");
        assert_eq!(canonical_path("/a//b/"), "/a/b");
    }
}
