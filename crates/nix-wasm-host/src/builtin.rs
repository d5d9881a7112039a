//! The first argument of `builtins.wasm` — `{ path | wat; function?; }` —
//! read as the evaluator's `prim_wasm` reads it.

use std::sync::Arc;

use crate::CallError;
use crate::log::WarningListener;
use crate::model::{coerce_to_path, expected, file_name};
use crate::plugin::{CallReport, Host, Plugin};
use crate::value::{NixString, NixValue};

/// How messages name a module given inline through `wat`.
pub const INLINE_WAT: &str = "<inline wat>";

/// Where the module comes from.
enum Source {
    /// `path`: a binary module in a file, compiled once per path.
    Path(NixString),
    /// `wat`: a text module, compiled for this call.
    Wat(NixString),
}

fn usage(message: &str) -> CallError {
    CallError::Usage(message.to_string())
}

/// A string attribute forced as `forceStringNoCtx` forces it (host values
/// carry no string context, so only the type is checked).
fn string_attribute(value: &NixValue) -> Result<NixString, CallError> {
    match value.force().map_err(CallError::Host)? {
        NixValue::String(text) => Ok(text),
        other => Err(CallError::Host(expected("a string", &other))),
    }
}

/// The module the configuration names, and its `function` attribute
/// unforced, after the checks `prim_wasm` makes before compiling.
fn source(config: &NixValue) -> Result<(Source, Option<NixValue>), CallError> {
    let config = config.force().map_err(CallError::Host)?;
    let NixValue::Attrs(attrs) = &config else {
        return Err(CallError::Host(expected("a set", &config)));
    };
    if let Some((name, _)) = attrs
        .iter()
        .find(|(name, _)| !matches!(&name[..], b"path" | b"wat" | b"function"))
    {
        return Err(CallError::Usage(format!(
            "unknown attribute '{name}' in first argument to `builtins.wasm`"
        )));
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
        (Some(path), None) => {
            let path = path.force().map_err(CallError::Host)?;
            Source::Path(coerce_to_path(&path).map_err(CallError::Host)?)
        }
        (None, Some(wat)) => Source::Wat(string_attribute(wat)?),
    };
    Ok((source, attrs.get("function").cloned()))
}

impl Host {
    /// `builtins.wasm config argument`, with `config` checked as the
    /// evaluator checks it: only `path`, `wat` and `function`; exactly one
    /// of `path` (anything that coerces to an absolute path: a path, a
    /// string, a set with `__toString` or `outPath`; a binary module,
    /// cached per path like [`Host::plugin`]) and `wat` (a text module,
    /// named [`INLINE_WAT`], compiled for every call as the evaluator
    /// does); `function` required for a plain module and refused for a
    /// WASI program. `listener` hears each warning as it is made.
    pub fn builtins_wasm(
        &self,
        config: &NixValue,
        argument: &NixValue,
        listener: Option<WarningListener>,
    ) -> CallReport {
        match self.configured(config) {
            Ok((plugin, function)) => plugin.invoke(function.as_deref(), argument, listener),
            Err(error) => CallReport {
                result: Err(error),
                warnings: Vec::new(),
            },
        }
    }

    /// The plugin and entry point `config` names.
    fn configured(&self, config: &NixValue) -> Result<(Arc<Plugin>, Option<String>), CallError> {
        let (source, function) = source(config)?;
        let plugin = match source {
            Source::Path(path) => self.plugin(&file_name(&path)),
            Source::Wat(text) => self.compile_wat(INLINE_WAT, &text).map(Arc::new),
        }
        .map_err(CallError::Load)?;
        let function = match (plugin.is_wasi(), function) {
            (true, Some(_)) => {
                return Err(usage(
                    "'function' attribute is not allowed for WASI modules",
                ));
            }
            (true, None) => None,
            (false, None) => {
                return Err(usage(
                    "missing required 'function' attribute in first argument to `builtins.wasm` for non-WASI modules",
                ));
            }
            (false, Some(function)) => {
                match String::from_utf8(string_attribute(&function)?.into_bytes()) {
                    Ok(name) => Some(name),
                    // Export names are UTF-8: no export has this name.
                    Err(e) => {
                        return Err(CallError::MissingExport {
                            module: plugin.name().to_string(),
                            export: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                        });
                    }
                }
            }
        };
        Ok((plugin, function))
    }
}
