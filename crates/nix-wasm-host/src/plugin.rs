//! Loading plugins and calling their entry points.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wasmtime::{
    Config, Engine, Extern, InstancePre, Linker, Module, Store, StoreLimitsBuilder, Trap, Val,
    ValType,
};

use crate::abi::{self, AbiError, CallState, GuestPanic};
use crate::value::NixValue;
use crate::{CallError, HostError};

/// Resource limits for each call. The real evaluator sets none (an endless
/// loop hangs evaluation); this host stops one so tests fail instead.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest linear memory a call may grow to, in bytes.
    pub max_memory: usize,
    /// WebAssembly fuel per call (about one unit per instruction); `None`
    /// for no limit.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_memory: 256 << 20,
            fuel: Some(10_000_000_000),
        }
    }
}

/// A wasmtime engine configured like Nix's, plus a cache of compiled
/// plugins keyed by path (Nix keeps compiled modules for the whole process
/// in the same way).
pub struct Host {
    engine: Engine,
    limits: Limits,
    cache: Mutex<HashMap<PathBuf, Arc<Plugin>>>,
}

impl Host {
    /// A host with the default limits.
    pub fn new() -> Result<Self, HostError> {
        Self::with_limits(Limits::default())
    }

    /// A host with the given limits.
    pub fn with_limits(limits: Limits) -> Result<Self, HostError> {
        let mut config = Config::new();
        config.consume_fuel(limits.fuel.is_some());
        config.memory_init_cow(true);
        let engine = Engine::new(&config).map_err(|e| HostError::Engine(format!("{e:#}")))?;
        Ok(Self {
            engine,
            limits,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Compiles and links the module at `path` (binary `.wasm` or `.wat`
    /// text), or returns the one compiled before.
    pub fn plugin(&self, path: &Path) -> Result<Arc<Plugin>, HostError> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(plugin) = self
            .cache
            .lock()
            .map_err(|_| HostError::Poisoned)?
            .get(&key)
        {
            return Ok(Arc::clone(plugin));
        }
        let bytes = std::fs::read(path).map_err(|e| HostError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let plugin = Arc::new(self.compile(&name, &bytes)?);
        self.cache
            .lock()
            .map_err(|_| HostError::Poisoned)?
            .insert(key, Arc::clone(&plugin));
        Ok(plugin)
    }

    /// Compiles and links a module from memory (binary or `.wat` text);
    /// `name` is how messages refer to it.
    pub fn compile(&self, name: &str, bytes: &[u8]) -> Result<Plugin, HostError> {
        let module = Module::new(&self.engine, bytes).map_err(|e| HostError::Compile {
            module: name.to_string(),
            message: format!("{e:#}"),
        })?;
        if module
            .imports()
            .any(|import| import.module() == "wasi_snapshot_preview1")
        {
            return Err(HostError::Wasi(name.to_string()));
        }
        let mut linker = Linker::new(&self.engine);
        abi::link(&mut linker).map_err(|e| HostError::Engine(format!("{e:#}")))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| HostError::Link {
                module: name.to_string(),
                message: format!("{e:#}"),
            })?;
        Ok(Plugin {
            name: name.to_string(),
            engine: self.engine.clone(),
            pre,
            limits: self.limits,
        })
    }
}

/// What a call returned.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// The result, forced to weak head normal form (as Nix forces it);
    /// nested values may still be thunks.
    pub value: NixValue,
    /// Messages the plugin passed to `warn`, in order.
    pub warnings: Vec<String>,
}

/// A compiled, linked module, ready to instantiate once per call.
pub struct Plugin {
    name: String,
    engine: Engine,
    pre: InstancePre<CallState>,
    limits: Limits,
}

fn call_error(error: wasmtime::Error) -> CallError {
    if let Some(panic) = error.downcast_ref::<GuestPanic>() {
        return CallError::Panic(panic.0.clone());
    }
    if let Some(abi) = error.downcast_ref::<AbiError>() {
        return CallError::Host(abi.0.clone());
    }
    if let Some(Trap::OutOfFuel) = error.downcast_ref::<Trap>() {
        return CallError::Limit("the call ran out of fuel (an endless loop?)".into());
    }
    CallError::Trap(format!("{error:#}"))
}

impl Plugin {
    /// The module's name in messages (its file name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls `function` with `argument` in a fresh instance, after
    /// `nix_wasm_init_v1`, exactly as `builtins.wasm { path; function; }
    /// argument` does.
    pub fn call(&self, function: &str, argument: &NixValue) -> Result<CallOutcome, CallError> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.max_memory)
            .build();
        let mut store = Store::new(&self.engine, CallState::new(argument.clone(), limits));
        store.limiter(|state| &mut state.limits);
        if let Some(fuel) = self.limits.fuel {
            store
                .set_fuel(fuel)
                .map_err(|e| CallError::Trap(format!("{e:#}")))?;
        }
        let instance = self.pre.instantiate(&mut store).map_err(call_error)?;

        let export = |store: &mut Store<CallState>, name: &str| match instance
            .get_export(&mut *store, name)
        {
            Some(export) => Ok(export),
            None => Err(CallError::MissingExport {
                module: self.name.clone(),
                export: name.to_string(),
            }),
        };
        let wrong_type = |name: &str| CallError::WrongExportType {
            module: self.name.clone(),
            export: name.to_string(),
        };
        if !matches!(export(&mut store, "memory")?, Extern::Memory(_)) {
            return Err(wrong_type("memory"));
        }
        let Extern::Func(init) = export(&mut store, "nix_wasm_init_v1")? else {
            return Err(wrong_type("nix_wasm_init_v1"));
        };
        let init = init
            .typed::<(), ()>(&store)
            .map_err(|_| wrong_type("nix_wasm_init_v1"))?;
        init.call(&mut store, ()).map_err(call_error)?;

        let Extern::Func(entry) = export(&mut store, function)? else {
            return Err(wrong_type(function));
        };
        let ty = entry.ty(&store);
        if !matches!(ty.params().collect::<Vec<_>>().as_slice(), [ValType::I32]) {
            return Err(wrong_type(function));
        }
        let mut results = vec![Val::I32(0); ty.results().len()];
        entry
            .call(&mut store, &[Val::I32(1)], &mut results)
            .map_err(call_error)?;
        let id = match results.as_slice() {
            [Val::I32(id)] => *id as u32,
            [_] => {
                return Err(CallError::BadResult(format!(
                    "Wasm function '{function}' from '{}' did not return an i32 value",
                    self.name
                )));
            }
            _ => {
                return Err(CallError::BadResult(format!(
                    "Wasm function '{function}' from '{}' did not return exactly one value",
                    self.name
                )));
            }
        };
        let value = store
            .data_mut()
            .forced(id)
            .map_err(|e| match e.downcast::<AbiError>() {
                Ok(abi) => CallError::Host(abi.0),
                Err(other) => CallError::Trap(format!("{other:#}")),
            })?;
        Ok(CallOutcome {
            value,
            warnings: std::mem::take(&mut store.data_mut().warnings),
        })
    }
}
