//! A reference host for Nix `builtins.wasm` plugins, on wasmtime.
//!
//! It implements the evaluator's host ABI (the 23 `env` imports,
//! `nix_wasm_init_v1` before every call, a fresh instance per call from a
//! cached pre-instantiation, value id 0 reserved, the length-then-copy
//! protocol) so that any plugin can be run and tested without a Nix that
//! has `builtins.wasm`:
//!
//! ```no_run
//! use nix_wasm_host::{Host, NixValue};
//!
//! let host = Host::new()?;
//! let plugin = host.plugin("plugin.wasm".as_ref())?;
//! let outcome = plugin.call("fib", &NixValue::Int(10))?;
//! println!("{}", outcome.value.to_json()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Deliberate differences from the real evaluator, all of which make a
//! plugin that passes here safer on the real one:
//! - every pointer and length the guest passes is bounds-checked (the
//!   evaluator checks arrays only);
//! - attribute sets are reported in a scrambled order, neither
//!   lexicographic nor insertion order (the evaluator uses symbol order);
//! - strings from the guest must be UTF-8; attribute names must be unique;
//! - calls have a memory and fuel limit (the evaluator has none);
//! - WASI modules are refused (the evaluator runs them through `_start`).

mod abi;
pub mod nix_expr;
mod plugin;
pub mod value;

pub use abi::function;
pub use nix_expr::to_nix_expr;
pub use plugin::{CallOutcome, Host, Limits, Plugin};
pub use value::{Attrs, NixFunction, NixValue, Thunk};

/// Why a plugin could not be loaded, or a value converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The wasmtime engine could not be set up.
    #[error("cannot set up the Wasm engine: {0}")]
    Engine(String),
    /// The module file could not be read.
    #[error("cannot read Wasm module '{path}': {message}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The module is not valid WebAssembly (or WAT).
    #[error("cannot compile Wasm module '{module}': {message}")]
    Compile {
        /// The module's name.
        module: String,
        /// wasmtime's reason.
        message: String,
    },
    /// The module imports something the host does not provide.
    #[error("cannot link Wasm module '{module}': {message}")]
    Link {
        /// The module's name.
        module: String,
        /// wasmtime's reason.
        message: String,
    },
    /// The module is a WASI program.
    #[error(
        "Wasm module '{0}' imports WASI (wasi_snapshot_preview1); this host runs only non-WASI builtins.wasm plugins"
    )]
    Wasi(String),
    /// An attribute set was built with a repeated name.
    #[error("the attribute \"{0}\" is set twice")]
    DuplicateAttribute(String),
    /// A value has no JSON or Nix-expression form.
    #[error("{0} cannot be represented")]
    NotRepresentable(String),
    /// Forcing a value failed.
    #[error("{0}")]
    Evaluation(String),
    /// The plugin cache lock was poisoned by a panicking thread.
    #[error("the plugin cache is unusable after a panic in another thread")]
    Poisoned,
}

/// Why a call failed. Messages follow the evaluator's where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The plugin called `panic` (how plugins report errors).
    #[error("Wasm panic: {0}")]
    Panic(String),
    /// A host function refused the call (bad id, wrong type, out-of-bounds
    /// memory, a thunk that failed when forced, …).
    #[error("{0}")]
    Host(String),
    /// The module trapped on its own (unreachable, division by zero, …).
    #[error("Wasm trap: {0}")]
    Trap(String),
    /// A limit of this host was hit.
    #[error("{0}")]
    Limit(String),
    /// A required export is missing.
    #[error("Wasm module '{module}' does not export '{export}'")]
    MissingExport {
        /// The module's name.
        module: String,
        /// The missing export.
        export: String,
    },
    /// An export has the wrong kind or signature.
    #[error("export '{export}' of Wasm module '{module}' does not have the right type")]
    WrongExportType {
        /// The module's name.
        module: String,
        /// The export.
        export: String,
    },
    /// The entry point returned something other than one i32.
    #[error("{0}")]
    BadResult(String),
}
