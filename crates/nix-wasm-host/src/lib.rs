//! A reference host for Nix `builtins.wasm` plugins, on wasmtime.
//!
//! The evaluator with `builtins.wasm` (Determinate Nix 3.17 and later,
//! experimental feature `wasm-builtin`) runs a plugin's exported function
//! on a Nix value: `builtins.wasm { path = ./plugin.wasm; function = "f"; }
//! arg`. This crate implements the same host ABI, so a plugin can be run
//! and tested with `cargo test` or the `nix-wasm-run` binary, without that
//! evaluator:
//!
//! - the 23 `env` imports with the evaluator's signatures and semantics:
//!   opaque value ids (0 reserved, the argument is 1, every constructor or
//!   lookup makes a new one), the length-then-copy protocol of
//!   `copy_string`, `copy_path`, `copy_list`, `copy_attrset` and
//!   `read_file`, constructors that force nothing, inspectors that force
//!   to weak head normal form, `make_app` building a thunk and
//!   `call_function` forcing its result;
//! - the required exports `memory`, `nix_wasm_init_v1: () -> ()` and the
//!   entry point `(i32) -> i32`, with the evaluator's error messages;
//! - WASI programs (modules importing `wasi_snapshot_preview1`) as the
//!   evaluator runs them: through `_start`, `argv` `["wasi", "1"]`, no
//!   environment or preopened directories, standard output and error as
//!   warnings line by line, the result through `env.return_to_nix`
//!   ([`Plugin::invoke`]);
//! - the first argument of `builtins.wasm` read as the evaluator reads it
//!   ([`Host::builtins_wasm`]): a binary module through `path` (anything
//!   that coerces to an absolute path; in pure evaluation mode only an
//!   allowed one, see [`FileAccess`]) or a text module through `wat`
//!   (named [`INLINE_WAT`]), and `function`, required for a plain module
//!   and refused for a WASI program;
//! - a fresh instance for every call, from a pre-linked module compiled
//!   once (the evaluator caches compiled modules per file in the same way);
//!   as there, host functions called from a Wasm start function trap;
//! - instances from a wasmtime pooling allocator, as in the evaluator, and
//!   its pool rules checked explicitly when a module is compiled: a module
//!   with more than one memory or table, or a table over 20 000 elements,
//!   does not compile.
//!
//! ```no_run
//! use nix_wasm_host::{Host, NixValue};
//!
//! let host = Host::new()?;
//! let plugin = host.plugin("plugin.wasm".as_ref())?;
//! let argument = NixValue::attrs([("n", NixValue::Int(10))])?;
//! let outcome = plugin.call("fib", &argument)?;
//! println!("{}", outcome.value.to_json()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The host functions are written once, over a value [`Backend`]: this
//! crate's model ([`Model`], the default of [`Host`] and [`Plugin`]) for
//! the runner and tests, or an evaluator's own values (the
//! `nix-wasm-plugin` crate runs them inside Nix 2.8).
//!
//! To test a plugin, build arguments with [`NixValue`] (including
//! [`NixValue::throw`] and [`NixValue::lazy`] values, to check that the
//! plugin forces only what it needs, and [`NixValue::function`] values for
//! `call_function`), call its exports, and compare results, warnings and
//! errors ([`CallError::Panic`] carries the plugin's own message).
//!
//! # Differences from the real evaluator
//!
//! The [`conformance`] table compares every host function and every step
//! of a call with Determinate Nix 3.22.2's `wasm.cc`, line by line, and
//! names the test of each. In short: with [`Limits::evaluator`] (the
//! runner's default) a plugin that works in the evaluator works here, and
//! the differences left make this host stricter where the evaluator's
//! behaviour is undefined or fatal:
//!
//! - every range of guest memory the host reads or writes is
//!   bounds-checked (the evaluator checks only arrays), and, as there, a
//!   copy that does not fit touches and checks nothing;
//! - `copy_attrname` on a layered set (`a // b` with a small `b`) is an
//!   error here and aborts the evaluator: hand plugins flat sets;
//! - values nest at most [`MAX_DEPTH`] levels (the evaluator builds
//!   any depth; in both, walking a value stops at Nix's
//!   `max-call-depth`, [`MAX_CALL_DEPTH`]);
//! - attribute sets are listed in a scrambled order (a hash of the
//!   name), as unpredictable as the evaluator's symbol-table order.
//!
//! Error texts are the evaluator's: wasmtime's errors as its C API words
//! them (the Wasm backtrace, then the causes), a host function's error as
//! the trap it becomes there ([`CallReport::error_message`]; a
//! [`CallError`] displays the bare message), and the whole error as Nix
//! prints it, its traces included ([`CallReport::nix_error`]; no source
//! positions).
//!
//! [`Limits::default`] is stricter still (time, memory, values, nesting),
//! so that tests fail instead of hanging; [`FileAccess::Pure`] reproduces
//! pure evaluation mode's refusal to read files outside allowed paths.

#![warn(missing_docs)]

mod abi;
mod access;
pub mod backend;
mod builtin;
#[doc = include_str!("../CONFORMANCE.md")]
pub mod conformance {}
mod log;
mod model;
pub mod nix_expr;
pub mod nix_log;
mod plugin;
mod show;
pub mod value;

pub use access::FileAccess;
pub use backend::{Backend, BackendError, BackendResult, Fitting, ValueType};
pub use builtin::INLINE_WAT;
pub use log::{Warning, WarningListener};
pub use model::Model;
pub use nix_expr::to_nix_expr;
pub use plugin::{CallOutcome, CallReport, EPOCH_TICK, Host, Limits, Plugin};
pub use value::{
    Attrs, LAYER_RHS_THRESHOLD, MAX_CALL_DEPTH, MAX_DEPTH, MAX_LAYERS, NixFunction, NixString,
    NixValue, STACK_OVERFLOW, Thunk, function,
};

/// Why a plugin could not be loaded, or a value converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The wasmtime engine could not be set up.
    #[error("cannot set up the Wasm engine: {0}")]
    Engine(String),
    /// The module file could not be read: the evaluator's message ("path
    /// '…' does not exist", "file '…' is not a regular file", "access to
    /// absolute path '…' is forbidden in pure evaluation mode …").
    #[error("{message}")]
    Read {
        /// The file.
        path: String,
        /// The evaluator's message.
        message: String,
    },
    /// The module is not valid WebAssembly (or WAT). As in the evaluator,
    /// the message is wasmtime's error alone, as wasmtime's C API words it
    /// (`{:?}`: the error, then its causes).
    #[error("{message}")]
    Compile {
        /// The module's name.
        module: String,
        /// wasmtime's error.
        message: String,
    },
    /// The module imports something the host does not provide, or with
    /// another type; wasmtime's error alone, as in the evaluator.
    #[error("{message}")]
    Link {
        /// The module's name.
        module: String,
        /// wasmtime's error.
        message: String,
    },
    /// The module needs more than the instance pool gives (see
    /// [`Limits`]; the evaluator's are [`Limits::evaluator`]): wasmtime's
    /// compile error alone, as in the evaluator.
    #[error("{message}")]
    Unsupported {
        /// The module's name.
        module: String,
        /// What it needs.
        message: String,
    },
    /// An attribute set was built with a repeated name.
    #[error("the attribute \"{0}\" is set twice")]
    DuplicateAttribute(String),
    /// A value has no JSON or Nix-expression form.
    #[error("{0} cannot be represented")]
    NotRepresentable(String),
    /// A value is nested deeper than [`MAX_CALL_DEPTH`]: Nix's error
    /// converting or printing it.
    #[error("stack overflow; max-call-depth exceeded")]
    TooDeep,
    /// Forcing a value failed with this message.
    #[error("{0}")]
    Evaluation(String),
    /// The plugin cache lock was poisoned by a panicking thread.
    #[error("the plugin cache is unusable after a panic in another thread")]
    Poisoned,
}

/// Why a call failed. Each displays as the evaluator's message, except
/// [`CallError::Panic`] and [`CallError::Host`] raised while the module
/// ran: they display as the host function's message, which the evaluator
/// shows inside wasmtime's backtrace ([`CallReport::error_message`] has
/// that whole text, [`CallReport::nix_error`] the error as Nix prints it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The plugin called `panic` (how plugins report errors). Bytes that
    /// are not UTF-8 are replaced by U+FFFD, as in the evaluator, whose
    /// message passes through wasmtime's trap, a Rust string.
    #[error("Wasm panic: {0}")]
    Panic(String),
    /// A host function refused the call: an invalid value id, a value of
    /// the wrong type, guest memory out of bounds, a thunk that failed
    /// when forced, …; or forcing the result failed.
    #[error("{0}")]
    Host(String),
    /// wasmtime's error, as the evaluator shows it (wasmtime's C API
    /// formats it with `{:?}`): a trap of the module's own (unreachable,
    /// division by zero, memory access out of bounds inside Wasm, stack
    /// overflow, …, or a WASI program's `proc_exit` or `return_to_nix(0)`)
    /// after its Wasm backtrace, or an entry point called with the wrong
    /// parameters.
    #[error("{0}")]
    Trap(String),
    /// A limit of this host was hit (see [`Limits`]).
    #[error("{0}")]
    Limit(String),
    /// The module could not be instantiated (its memory is over the
    /// limit, its start function trapped, …): wasmtime's error alone, as
    /// in the evaluator.
    #[error("{message}")]
    Instantiate {
        /// The module's name.
        module: String,
        /// wasmtime's error.
        message: String,
    },
    /// A required export is missing.
    #[error("Wasm module '{module}' does not export '{export}'")]
    MissingExport {
        /// The module's name.
        module: String,
        /// The missing export.
        export: String,
    },
    /// An export has the wrong kind, or a function export the wrong
    /// parameters.
    #[error("export '{export}' of Wasm module '{module}' does not have the right type")]
    WrongExportType {
        /// The module's name.
        module: String,
        /// The export.
        export: String,
    },
    /// The entry point returned something other than one i32, or a WASI
    /// program finished without `return_to_nix`.
    #[error("{0}")]
    BadResult(String),
    /// The call named a function for a WASI program, or none for a plain
    /// module, or the first argument of `builtins.wasm` is not `{ path |
    /// wat; function?; }` ([`Host::builtins_wasm`]).
    #[error("{0}")]
    Usage(String),
    /// The module named by the first argument of `builtins.wasm` could
    /// not be read, compiled or linked.
    #[error(transparent)]
    Load(#[from] HostError),
}
