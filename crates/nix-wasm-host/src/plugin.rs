//! Loading plugins and calling their entry points.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::{
    Config, Engine, Extern, Func, InstanceAllocationStrategy, InstancePre, Linker, Module,
    PoolingAllocationConfig, Store, StoreLimitsBuilder, Trap, Val, WasmBacktrace,
};

use wasmtime_wasi::WasiCtxBuilder;

use crate::abi::{self, CallState, Refusal};
use crate::access::FileAccess;
use crate::backend::Backend;
use crate::log::{SharedLog, Warning, WarningListener};
use crate::model::Model;
use crate::nix_log::{filter_escapes, show_error};
use crate::value::{MAX_DEPTH, NixValue};
use crate::{CallError, HostError};

/// Resource limits for each call.
///
/// [`Limits::evaluator`] are Determinate Nix's: wasmtime's pooling
/// defaults and nothing else, so an endless loop hangs evaluation. The
/// default here is stricter, so that tests fail (with
/// [`CallError::Limit`]) instead of hanging; a plugin that stays within
/// them also runs in the evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest linear memory a call may have, in bytes: `memory.grow`
    /// beyond it returns -1, a module that starts bigger cannot be
    /// instantiated.
    pub max_memory: usize,
    /// How long one call may run, or `None` for no limit. Enforced by
    /// wasmtime's epoch interruption (a cheap check at function entries and
    /// loop back-edges), to a resolution of [`EPOCH_TICK`].
    pub timeout: Option<Duration>,
    /// How many values one call may make (each `make_*`, `get_attr`,
    /// `copy_list` element, … is one).
    pub max_values: usize,
    /// How many instances may be alive at once: calls on several threads,
    /// and plugins called from functions a plugin calls.
    pub max_instances: u32,
    /// How deep the values a call builds may nest (lists, sets, chains of
    /// `make_app`), at most [`MAX_DEPTH`]. The evaluator builds values of
    /// any depth; forcing and converting stop at [`MAX_CALL_DEPTH`] in
    /// both. Dropping a value recurses once per level: at [`MAX_DEPTH`]
    /// call on a deep stack (64 MiB).
    ///
    /// [`MAX_CALL_DEPTH`]: crate::MAX_CALL_DEPTH
    pub max_depth: usize,
}

impl Limits {
    /// The evaluator's limits: wasmtime's pooling allocator defaults (1000
    /// instances, memories of up to 4 GiB), no time limit, no limit on
    /// values; values nested up to [`MAX_DEPTH`] (100 000) levels, so that
    /// a plugin building deeper values than Nix can walk still works when
    /// only their top is read, as in the evaluator.
    pub const fn evaluator() -> Self {
        Self {
            max_memory: 4 << 30,
            timeout: None,
            max_values: usize::MAX,
            max_instances: 1000,
            max_depth: MAX_DEPTH,
        }
    }
}

impl Default for Limits {
    /// 256 MiB of memory, 60 seconds, 2^24 values, 32 instances, values
    /// nested 200 deep (within a 2 MiB thread stack, as tests have, even
    /// in a debug build).
    fn default() -> Self {
        Self {
            max_memory: 256 << 20,
            timeout: Some(Duration::from_secs(60)),
            max_values: 1 << 24,
            max_instances: 32,
            max_depth: 200,
        }
    }
}

/// How often the engine's epoch advances: the resolution of call timeouts.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// How much of a pooled memory (and table) is zeroed in place when an
/// instance ends, rather than returned to the kernel: a typical call
/// touches less than this, and would otherwise page-fault it all back in.
const KEEP_RESIDENT: usize = 2 << 20;

/// Advances an engine's epoch until dropped, so that calls running past
/// their deadline trap.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let engine = engine.clone();
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        });
        Self { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A wasmtime engine set up for plugins, and a cache of the plugins
/// compiled from files, for values of the backend `B` (by default this
/// crate's [`Model`]).
///
/// Like the evaluator, the cache is keyed by path and never invalidated:
/// a file changed after it was loaded is not reloaded.
pub struct Host<B: Backend = Model> {
    engine: Engine,
    limits: Limits,
    file_access: Arc<FileAccess>,
    cache: Mutex<HashMap<PathBuf, Arc<Plugin<B>>>>,
    ticker: Option<Arc<EpochTicker>>,
}

impl Host {
    /// A host with the default [`Limits`].
    pub fn new() -> Result<Self, HostError> {
        Self::with_limits(Limits::default())
    }

    /// A host with the given limits.
    pub fn with_limits(limits: Limits) -> Result<Self, HostError> {
        Self::for_backend(limits)
    }
}

impl<B: Backend> Host<B> {
    /// A host for values of the backend `B`, with the given limits (the
    /// nesting limit applies to the [`Model`] only).
    pub fn for_backend(limits: Limits) -> Result<Self, HostError> {
        let mut config = Config::new();
        config.epoch_interruption(limits.timeout.is_some());
        config.memory_init_cow(true);
        // Like the evaluator, instances come from a pool: a fresh instance
        // per call then costs microseconds.
        let mut pool = PoolingAllocationConfig::new();
        pool.total_core_instances(limits.max_instances)
            .total_memories(limits.max_instances)
            .total_tables(limits.max_instances)
            .max_memory_size(limits.max_memory)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| HostError::Engine(format!("{e:#}")))?;
        let ticker = limits
            .timeout
            .map(|_| Arc::new(EpochTicker::start(&engine)));
        Ok(Self {
            engine,
            limits,
            file_access: Arc::new(FileAccess::Impure),
            cache: Mutex::new(HashMap::new()),
            ticker,
        })
    }

    /// The same host, loading and reading files as `access` allows (any
    /// file by default, as impure evaluation does).
    pub fn with_file_access(mut self, access: FileAccess) -> Self {
        self.file_access = Arc::new(access);
        self
    }

    /// The binary module in the file at `path`, compiled and linked on
    /// first use and cached for the host's lifetime, as `builtins.wasm {
    /// path = …; }` loads it (a text module goes through
    /// [`Host::compile_wat`], as `wat`). As there, symlinks are resolved
    /// first: the file they lead to is cached, and messages name it by
    /// its file name.
    pub fn plugin(&self, path: &Path) -> Result<Arc<Plugin<B>>, HostError> {
        let unreadable = |message: String| HostError::Read {
            path: path.display().to_string(),
            message,
        };
        let absolute = std::path::absolute(path).map_err(|e| unreadable(e.to_string()))?;
        // Read as the evaluator's `SourcePath::readFile`: "path '…' does
        // not exist", "file '…' is not a regular file".
        // As the evaluator's realisePath: symlinks resolved, the file they
        // lead to checked, cached and named.
        let file = self.file_access.realise(&absolute).map_err(unreadable)?;
        if let Some(plugin) = self
            .cache
            .lock()
            .map_err(|_| HostError::Poisoned)?
            .get(&file)
        {
            return Ok(Arc::clone(plugin));
        }
        let bytes = crate::access::read(&file).map_err(unreadable)?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string());
        let plugin = Arc::new(self.compile(&name, &bytes)?);
        self.cache
            .lock()
            .map_err(|_| HostError::Poisoned)?
            .insert(file, Arc::clone(&plugin));
        Ok(plugin)
    }

    /// Compiles a module from WebAssembly text, as `builtins.wasm { wat =
    /// …; }` does (there named [`crate::INLINE_WAT`]), without caching.
    /// As wasmtime's `wasmtime_wat2wasm`, which the evaluator calls, the
    /// text must be UTF-8 and a binary module is not accepted.
    pub fn compile_wat(&self, name: &str, text: &[u8]) -> Result<Plugin<B>, HostError> {
        let error = |message: String| HostError::Compile {
            module: name.to_string(),
            message,
        };
        let text =
            std::str::from_utf8(text).map_err(|_| error("input was not valid utf-8".into()))?;
        let binary =
            wat::parse_str(text).map_err(|e| error(wasmtime_message(&wasmtime::Error::from(e))))?;
        self.compile(name, &binary)
    }

    /// Compiles and links a binary module without caching; `name` is how
    /// messages refer to it. All the compile-time work happens here, so
    /// [`Plugin::call`] only instantiates and runs.
    pub fn compile(&self, name: &str, bytes: &[u8]) -> Result<Plugin<B>, HostError> {
        // The pool keeps wasmtime's defaults, as the evaluator's does: one
        // memory and one table of at most 20,000 elements per module.
        // wasmtime checks a module against them when it compiles it.
        let module = Module::from_binary(&self.engine, bytes).map_err(|e| {
            let message = wasmtime_message(&e);
            if message.contains("pooling allocator") {
                HostError::Unsupported {
                    module: name.to_string(),
                    message,
                }
            } else {
                HostError::Compile {
                    module: name.to_string(),
                    message,
                }
            }
        })?;
        // Like the evaluator: a module importing anything from WASI
        // preview 1 is a WASI program, run through `_start`.
        let wasi = module
            .imports()
            .any(|import| import.module() == "wasi_snapshot_preview1");
        let mut linker = Linker::new(&self.engine);
        abi::link(&mut linker, wasi).map_err(|e| HostError::Engine(format!("{e:#}")))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| HostError::Link {
                module: name.to_string(),
                message: wasmtime_message(&e),
            })?;
        Ok(Plugin {
            name: name.to_string(),
            engine: self.engine.clone(),
            wasi,
            pre,
            limits: self.limits,
            file_access: Arc::clone(&self.file_access),
            _ticker: self.ticker.clone(),
        })
    }
}

/// What a successful call returned.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// The result, forced to weak head normal form as Nix forces it;
    /// nested values may still be thunks.
    pub value: NixValue,
    /// The messages the plugin passed to `warn`, in order (invalid UTF-8
    /// replaced; [`Plugin::call_report`] keeps their bytes).
    pub warnings: Vec<String>,
}

/// Everything a call produced, including the warnings of a call that
/// failed (Nix prints warnings as they happen, so they show before the
/// error), and how the evaluator words a failure.
#[derive(Debug, Clone)]
pub struct CallReport<V = NixValue> {
    /// The result, or why there is none.
    pub result: Result<V, CallError>,
    /// The warnings, in order.
    pub warnings: Vec<Warning>,
    /// The evaluator's message, where it is not the error's display.
    message: Option<String>,
    /// The traces Nix adds to the error, outermost first.
    traces: Vec<String>,
}

/// The trace the evaluator adds to every error of a call after the first
/// argument's own checks (`prim_wasm`'s `catch`, wasm.cc 692–694).
pub(crate) const EXECUTING: &str = "while executing a Wasm module";

/// A call that failed: the error, the evaluator's message where it is not
/// the error's display, and the traces Nix adds (outermost first).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: CallError,
    pub(crate) message: Option<String>,
    pub(crate) traces: Vec<String>,
}

impl From<CallError> for Failure {
    fn from(error: CallError) -> Self {
        Self {
            error,
            message: None,
            traces: Vec::new(),
        }
    }
}

impl From<HostError> for Failure {
    fn from(error: HostError) -> Self {
        CallError::Load(error).into()
    }
}

impl Failure {
    /// The failure with `trace` added outside the ones it has, as Nix's
    /// `addTrace` does.
    pub(crate) fn within(mut self, trace: &str) -> Self {
        self.traces.insert(0, trace.to_string());
        self
    }
}

impl<V> CallReport<V> {
    /// The report of a call that ended with `result`.
    pub(crate) fn new(result: Result<V, Failure>, warnings: Vec<Warning>) -> Self {
        match result {
            Ok(value) => Self {
                result: Ok(value),
                warnings,
                message: None,
                traces: Vec::new(),
            },
            Err(failure) => Self {
                result: Err(failure.error),
                warnings,
                message: failure.message,
                traces: failure.traces,
            },
        }
    }

    /// The message of the evaluator's error for a failed call, as its
    /// `builtins.wasm` makes it: the error's display, or, for an error a
    /// host function raised while the module ran (a `panic`, an invalid
    /// id, a type error, …), wasmtime's text of the trap it became
    /// (wasm.cc 498–505: the Nix error's `what()`, `error: …` with its
    /// trace, becomes the trap's message, which wasmtime's C API shows
    /// after the Wasm backtrace: "error while executing at wasm
    /// backtrace: … Caused by: error: Wasm panic: …"). Colours are left
    /// out, as Nix prints them to anything but a terminal.
    pub fn error_message(&self) -> Option<String> {
        let error = self.result.as_ref().err()?;
        Some(self.message.clone().unwrap_or_else(|| error.to_string()))
    }

    /// The traces Nix adds to the failure, outermost first: "while
    /// executing a Wasm module" for everything after the first argument's
    /// own checks, and the attribute or coercion that failed ("while
    /// evaluating the 'wat' attribute", …).
    pub fn error_traces(&self) -> &[String] {
        if self.result.is_ok() {
            return &[];
        }
        &self.traces
    }

    /// The failure as Nix prints it to standard error when that is not a
    /// terminal, without the final line end: `error:`, a `… <trace>` line
    /// per trace, then `error: ` and the message, laid out and filtered as
    /// Nix does ([`crate::nix_log`]). No source positions: the `at …` lines
    /// Nix prints under a trace are not known here.
    pub fn nix_error(&self) -> Option<Vec<u8>> {
        let message = self.error_message()?;
        let traces: Vec<&str> = self.traces.iter().map(String::as_str).collect();
        Some(filter_escapes(show_error(&traces, &message).as_bytes()))
    }
}

/// A compiled and linked module, instantiated afresh for every call, for
/// values of the backend `B`.
pub struct Plugin<B: Backend = Model> {
    name: String,
    engine: Engine,
    /// A WASI program (it imports from `wasi_snapshot_preview1`).
    wasi: bool,
    pre: InstancePre<CallState<B>>,
    limits: Limits,
    file_access: Arc<FileAccess>,
    /// Keeps the epoch advancing for as long as the plugin can be called.
    _ticker: Option<Arc<EpochTicker>>,
}

/// A wasmtime error as the evaluator's message shows it: wasmtime's C API
/// (`wasmtime_error_message`, `wasm_trap_message`) formats every error
/// with `{:?}`, anyhow's layout: the error (for a trap in a call, its Wasm
/// backtrace), then "Caused by:" and its causes, indented (numbered when
/// there are several). A Rust stack backtrace, which anyhow appends when
/// `RUST_BACKTRACE` is set, is left out: its frames would be this host's.
pub(crate) fn wasmtime_message(error: &wasmtime::Error) -> String {
    let mut chain = error.chain().map(ToString::to_string);
    let mut text = chain.next().unwrap_or_default();
    let causes: Vec<String> = chain.collect();
    if !causes.is_empty() {
        text.push_str("\n\nCaused by:");
        let multiple = causes.len() > 1;
        for (n, cause) in causes.iter().enumerate() {
            let (first, rest) = if multiple {
                (format!("{n: >5}: "), "\n       ")
            } else {
                ("    ".to_string(), "\n    ")
            };
            text.push('\n');
            text.push_str(&first);
            text.push_str(&cause.replace('\n', rest));
        }
    }
    text
}

fn call_error(error: wasmtime::Error) -> Failure {
    // A host function's error that ended a running module is wasmtime's
    // trap in the evaluator, its backtrace first; outside Wasm (forcing
    // the result) it is the Nix error itself.
    let in_wasm = error.downcast_ref::<WasmBacktrace>().is_some();
    match error.downcast_ref::<Refusal>() {
        Some(Refusal::Limit(message)) => CallError::Limit(message.clone()).into(),
        Some(Refusal::Returned) => CallError::Trap(wasmtime_message(&error)).into(),
        Some(refusal) if in_wasm => Failure {
            error: match refusal {
                Refusal::Panic(message) => CallError::Panic(message.clone()),
                other => CallError::Host(other.message()),
            },
            message: Some(wasmtime_message(&error)),
            traces: Vec::new(),
        },
        Some(Refusal::Panic(message)) => CallError::Panic(message.clone()).into(),
        Some(Refusal::Nix { message, trace }) => Failure {
            error: CallError::Host(message.clone()),
            message: None,
            traces: trace.iter().cloned().collect(),
        },
        Some(other) => CallError::Host(other.message()).into(),
        None if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) => CallError::Limit(
            "the call ran past its time limit (an endless loop?); this host limits every call"
                .into(),
        )
        .into(),
        None => CallError::Trap(wasmtime_message(&error)).into(),
    }
}

/// The `function` attribute a plain module needs, refused for a WASI
/// program (wasm.cc 634–644).
pub(crate) const NOT_FOR_WASI: &str = "'function' attribute is not allowed for WASI modules";
pub(crate) const FUNCTION_REQUIRED: &str = "missing required 'function' attribute in first argument to `builtins.wasm` for non-WASI modules";

/// The entry point of a call, found once the module is instantiated (the
/// evaluator reads `function` only then): given whether the module is a
/// WASI program, the name of the export to call, `None` for `_start`.
pub(crate) type Entry<'a> = Box<dyn FnOnce(bool) -> Result<Option<Vec<u8>>, Failure> + 'a>;

/// The entry point named by the caller.
fn named(function: Option<&str>) -> Entry<'_> {
    Box::new(move |wasi| match (wasi, function) {
        (false, Some(function)) => Ok(Some(function.as_bytes().to_vec())),
        (true, None) => Ok(None),
        (true, Some(_)) => Err(CallError::Usage(NOT_FOR_WASI.into()).into()),
        (false, None) => Err(CallError::Usage(FUNCTION_REQUIRED.into()).into()),
    })
}

impl Plugin {
    /// Calls `function` with `argument` as
    /// `builtins.wasm { path = …; function = …; } argument` does: in a
    /// fresh instance, after `nix_wasm_init_v1`, with the argument as value
    /// id 1; the result is forced to weak head normal form. A WASI
    /// program refuses a function name (use [`Plugin::invoke`]).
    pub fn call(&self, function: &str, argument: &NixValue) -> Result<CallOutcome, CallError> {
        let report = self.call_report(function, argument);
        report.result.map(|value| CallOutcome {
            value,
            warnings: report
                .warnings
                .into_iter()
                .map(|w| w.message.to_string())
                .collect(),
        })
    }

    /// Like [`Plugin::call`], keeping the warnings of a failed call and
    /// which export made each, and the evaluator's words for a failure.
    pub fn call_report(&self, function: &str, argument: &NixValue) -> CallReport {
        self.invoke(Some(function), argument, None)
    }

    /// The call `builtins.wasm` makes, with its `function` attribute, if
    /// any: required for a plain module (its entry point), refused for a
    /// WASI program, which runs through `_start` with `argv` `["wasi",
    /// "1"]` (the argument's id), writes warnings to its standard output
    /// and error (one per line), and hands its result to `return_to_nix`.
    /// As in the evaluator, the module is instantiated (its start function
    /// run, its memory export checked) before `function` is. `listener`
    /// hears each warning as it is made.
    pub fn invoke(
        &self,
        function: Option<&str>,
        argument: &NixValue,
        listener: Option<WarningListener>,
    ) -> CallReport {
        self.invoke_entry(self.model(), named(function), argument.clone(), listener)
    }

    /// The values of one call: nested as deep as the limits allow, files
    /// read as the host allows.
    pub(crate) fn model(&self) -> Model {
        Model::new(
            self.limits.max_depth.min(MAX_DEPTH),
            Arc::clone(&self.file_access),
        )
    }
}

impl<B: Backend> Plugin<B> {
    /// The name messages use for the module (its file name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True for a WASI program, which runs through `_start` and is called
    /// without a function name (see [`Plugin::invoke`]).
    pub fn is_wasi(&self) -> bool {
        self.wasi
    }

    /// [`Plugin::invoke`] over the values of `backend`, a fresh one for
    /// this call: `argument` is value id 1, and the result is forced to
    /// weak head normal form by the backend.
    pub fn invoke_with(
        &self,
        backend: B,
        function: Option<&str>,
        argument: B::Value,
        listener: Option<WarningListener>,
    ) -> CallReport<B::Value> {
        self.invoke_entry(backend, named(function), argument, listener)
    }

    /// A call as the evaluator's `prim_wasm` makes it after its first
    /// checks: instantiate, then find the entry point, then run it; every
    /// failure with the trace "while executing a Wasm module".
    pub(crate) fn invoke_entry(
        &self,
        backend: B,
        entry: Entry<'_>,
        argument: B::Value,
        listener: Option<WarningListener>,
    ) -> CallReport<B::Value> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.max_memory)
            .build();
        let log = SharedLog::new(&self.name, listener);
        let state = CallState::new(
            backend,
            argument,
            limits,
            self.limits.max_values,
            log.clone(),
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        let result = self
            .instantiate(&mut store)
            .and_then(|instance| match (self.wasi, entry(self.wasi)?) {
                (true, _) => self.run_wasi(&mut store, &instance),
                (false, Some(function)) => self.run(&mut store, &instance, &function),
                (false, None) => Err(CallError::Usage(FUNCTION_REQUIRED.into()).into()),
            })
            .map_err(|failure| failure.within(EXECUTING));
        CallReport::new(result, log.finish())
    }

    /// A fresh instance, its deadline set and its memory handed to the
    /// host functions.
    fn instantiate(&self, store: &mut Store<CallState<B>>) -> Result<wasmtime::Instance, Failure> {
        if let Some(timeout) = self.limits.timeout {
            let ticks = timeout.as_millis() / EPOCH_TICK.as_millis();
            store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
        }
        let instance = self.pre.instantiate(&mut *store).map_err(|e| {
            let failure = call_error(e);
            match failure.error {
                CallError::Limit(_) => failure,
                error => CallError::Instantiate {
                    module: self.name.clone(),
                    message: failure.message.unwrap_or_else(|| error.to_string()),
                }
                .into(),
            }
        })?;
        let Extern::Memory(memory) = self.export(store, &instance, "memory")? else {
            return Err(self.wrong_type("memory").into());
        };
        store.data_mut().set_memory(memory);
        Ok(instance)
    }

    fn export(
        &self,
        store: &mut Store<CallState<B>>,
        instance: &wasmtime::Instance,
        name: &str,
    ) -> Result<Extern, CallError> {
        instance
            .get_export(&mut *store, name)
            .ok_or_else(|| CallError::MissingExport {
                module: self.name.clone(),
                export: name.to_string(),
            })
    }

    fn func(
        &self,
        store: &mut Store<CallState<B>>,
        instance: &wasmtime::Instance,
        name: &str,
    ) -> Result<Func, CallError> {
        match self.export(store, instance, name)? {
            Extern::Func(func) => Ok(func),
            _ => Err(self.wrong_type(name)),
        }
    }

    fn wrong_type(&self, name: &str) -> CallError {
        CallError::WrongExportType {
            module: self.name.clone(),
            export: name.to_string(),
        }
    }

    /// A plain module's call: `nix_wasm_init_v1`, then the entry point
    /// with the argument's id, each called as the evaluator calls them
    /// (`Func::call` with the arguments it passes: wasmtime refuses a
    /// function with other parameters, in its own words).
    fn run(
        &self,
        store: &mut Store<CallState<B>>,
        instance: &wasmtime::Instance,
        function: &[u8],
    ) -> Result<B::Value, Failure> {
        // Any results of the initialiser are ignored, as the evaluator
        // ignores them.
        let init_name = "nix_wasm_init_v1";
        store.data().log.set_function(Some(init_name));
        let init = self.func(store, instance, init_name)?;
        run_func(store, init, &[])?;

        let name = String::from_utf8_lossy(function);
        store.data().log.set_function(Some(&name));
        let entry = match std::str::from_utf8(function) {
            Ok(function) => self.func(store, instance, function)?,
            // Export names are UTF-8: wasmtime's C API finds no export
            // by other bytes.
            Err(_) => {
                return Err(CallError::MissingExport {
                    module: self.name.clone(),
                    export: name.into_owned(),
                }
                .into());
            }
        };
        let results = run_func(store, entry, &[Val::I32(1)])?;
        let id = match results.as_slice() {
            [Val::I32(id)] => *id as u32,
            [_] => {
                return Err(CallError::BadResult(format!(
                    "Wasm function '{name}' from '{}' did not return an i32 value",
                    self.name
                ))
                .into());
            }
            _ => {
                return Err(CallError::BadResult(format!(
                    "Wasm function '{name}' from '{}' did not return exactly one value",
                    self.name
                ))
                .into());
            }
        };
        store.data_mut().forced(id).map_err(call_error)
    }

    /// A WASI program's run: no environment, no preopened directories,
    /// standard output and error as warnings, the argument's id as
    /// `argv[1]`; the result is what it handed to `return_to_nix`, and
    /// whatever `_start` did after that (the trap that call ends it with)
    /// does not matter. As in the evaluator, `return_to_nix(0)` is no
    /// result: the call fails with `_start`'s error, that trap.
    fn run_wasi(
        &self,
        store: &mut Store<CallState<B>>,
        instance: &wasmtime::Instance,
    ) -> Result<B::Value, Failure> {
        let log = store.data().log.clone();
        let context = WasiCtxBuilder::new()
            .args(&["wasi", "1"])
            .stdout(log.clone())
            .stderr(log)
            .build_p1();
        store.data_mut().wasi = Some(context);
        let start = self.func(store, instance, "_start")?;
        // Results, if `_start` has any, are ignored, as the evaluator's
        // call (sized by the function's type) ignores them.
        let mut results = vec![Val::I32(0); start.ty(&*store).results().len()];
        let outcome = start.call(&mut *store, &[], &mut results);
        match store.data().returned {
            Some(id) if id != 0 => store.data_mut().forced(id).map_err(call_error),
            _ => {
                outcome.map_err(call_error)?;
                Err(CallError::BadResult(format!(
                    "Wasm function '_start' from '{}' finished without returning a value",
                    self.name
                ))
                .into())
            }
        }
    }
}

/// Calls `func` with `args`, as the evaluator's `Func::call` does: its
/// results sized by its type, the arguments checked by wasmtime.
fn run_func<B: Backend>(
    store: &mut Store<CallState<B>>,
    func: Func,
    args: &[Val],
) -> Result<Vec<Val>, Failure> {
    let mut results = vec![Val::I32(0); func.ty(&*store).results().len()];
    func.call(&mut *store, args, &mut results)
        .map_err(call_error)?;
    Ok(results)
}
