//! The first argument of `builtins.wasm` — `{ path | wat; function?; }` —
//! read as the evaluator's `prim_wasm` reads it.

use std::sync::Arc;

use crate::CallError;
use crate::log::WarningListener;
use crate::model::{REALISING_PATH, coerce_to_path, expected, file_name};
use crate::plugin::{CallReport, EXECUTING, Entry, FUNCTION_REQUIRED, Failure, Host, NOT_FOR_WASI};
use crate::value::{NixString, NixValue};

/// How messages name a module given inline through `wat`.
pub const INLINE_WAT: &str = "<inline wat>";

/// Where the module comes from, the attribute's value not yet forced.
enum Source {
    /// `path`: a binary module in a file, compiled once per path.
    Path(NixValue),
    /// `wat`: a text module, compiled for this call.
    Wat(NixValue),
}

fn usage(message: &str) -> Failure {
    CallError::Usage(message.to_string()).into()
}

/// An evaluation error with the trace Nix adds where it happened.
fn traced(message: String, trace: &str) -> Failure {
    Failure::from(CallError::Host(message)).within(trace)
}

/// A string attribute forced as `forceStringNoCtx` forces it (host values
/// carry no string context, so only the type is checked); any error with
/// the trace `trace`.
fn string_attribute(value: &NixValue, trace: &str) -> Result<NixString, Failure> {
    match value.force().map_err(|m| traced(m, trace))? {
        NixValue::String(text) => Ok(text),
        other => Err(traced(expected("a string", &other), trace)),
    }
}

/// The checks `prim_wasm` makes before anything else (wasm.cc 604–619),
/// whose errors have no "while executing a Wasm module": the
/// configuration's attributes, `path` and `wat` unforced, and `function`.
fn attributes(config: &NixValue) -> Result<(Source, Option<NixValue>), Failure> {
    // `forceAttrs`: only a type error carries its trace.
    let config = config
        .force()
        .map_err(|m| Failure::from(CallError::Host(m)))?;
    let NixValue::Attrs(attrs) = &config else {
        return Err(traced(
            expected("a set", &config),
            "while evaluating the first argument to `builtins.wasm`",
        ));
    };
    if let Some((name, _)) = attrs
        .iter()
        .find(|(name, _)| !matches!(&name[..], b"path" | b"wat" | b"function"))
    {
        return Err(CallError::Usage(format!(
            "unknown attribute '{name}' in first argument to `builtins.wasm`"
        ))
        .into());
    }
    let source = match (attrs.get("path"), attrs.get("wat")) {
        (Some(_), Some(_)) => {
            return Err(usage(
                "'path' and 'wat' are mutually exclusive in first argument to `builtins.wasm`",
            ));
        }
        (None, None) => {
            return Err(usage(
                "missing required 'path' or 'wat' attribute in first argument to `builtins.wasm`",
            ));
        }
        (Some(path), None) => Source::Path(path.clone()),
        (None, Some(wat)) => Source::Wat(wat.clone()),
    };
    Ok((source, attrs.get("function").cloned()))
}

/// The entry point `function` names, read once the module is
/// instantiated, as `prim_wasm` reads it (634–644).
fn entry(function: Option<NixValue>) -> Entry<'static> {
    Box::new(move |wasi| match (wasi, function) {
        (true, Some(_)) => Err(usage(NOT_FOR_WASI)),
        (true, None) => Ok(None),
        (false, None) => Err(usage(FUNCTION_REQUIRED)),
        (false, Some(function)) => {
            let name = string_attribute(&function, "while evaluating the 'function' attribute")?;
            Ok(Some(name.into_bytes()))
        }
    })
}

impl Host {
    /// `builtins.wasm config argument`, with `config` checked as the
    /// evaluator checks it: only `path`, `wat` and `function`; exactly one
    /// of `path` (anything that coerces to an absolute path: a path, a
    /// string, a set with `__toString` or `outPath`; a binary module,
    /// cached per path like [`Host::plugin`]) and `wat` (a text module,
    /// named [`INLINE_WAT`], compiled for every call as the evaluator
    /// does); then, the module instantiated, `function`: required for a
    /// plain module and refused for a WASI program. Failures carry the
    /// evaluator's traces ([`CallReport::error_traces`]). `listener` hears
    /// each warning as it is made.
    pub fn builtins_wasm(
        &self,
        config: &NixValue,
        argument: &NixValue,
        listener: Option<WarningListener>,
    ) -> CallReport {
        let (source, function) = match attributes(config) {
            Ok(attributes) => attributes,
            Err(failure) => return CallReport::new(Err(failure), Vec::new()),
        };
        let plugin = match self.load(source) {
            Ok(plugin) => plugin,
            Err(failure) => return CallReport::new(Err(failure.within(EXECUTING)), Vec::new()),
        };
        plugin.invoke_entry(plugin.model(), entry(function), argument.clone(), listener)
    }

    /// The module `source` names: `path` forced and coerced as
    /// `realisePath` does, or `wat` forced as a string.
    fn load(&self, source: Source) -> Result<Arc<crate::Plugin>, Failure> {
        match source {
            Source::Path(path) => {
                let path = path
                    .force()
                    .and_then(|path| coerce_to_path(&path))
                    .map_err(|m| traced(m, REALISING_PATH))?;
                Ok(self.plugin(&file_name(&path))?)
            }
            Source::Wat(wat) => {
                let text = string_attribute(&wat, "while evaluating the 'wat' attribute")?;
                Ok(Arc::new(self.compile_wat(INLINE_WAT, &text)?))
            }
        }
    }
}
