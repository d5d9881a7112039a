//! This crate's own value model as a [`Backend`]: [`NixValue`]s, with the
//! evaluator's messages, the nesting limit of [`Limits::max_depth`] and
//! the file rules of [`FileAccess`].
//!
//! [`Limits::max_depth`]: crate::Limits::max_depth

use std::collections::HashMap;
use std::sync::Arc;

use crate::abi::{canonical_path, no_nul};
use crate::access::FileAccess;
use crate::backend::{Backend, BackendError, BackendResult, Fitting, ValueType};
use crate::value::{Attrs, NixString, NixValue, Thunk};

/// The values of one call in this crate's model: the backend of the runner,
/// the tests and the benchmarks.
pub struct Model {
    /// Nesting of the lists, sets and thunks built during this call, by
    /// address (the call's value table keeps them alive until it ends, so
    /// an address cannot be reused). Values the host made count as 0.
    depths: HashMap<usize, usize>,
    /// How deep values may nest.
    max_depth: usize,
    /// Which files `read_file` may read.
    file_access: Arc<FileAccess>,
}

impl Model {
    /// The backend of one call: values nest at most `max_depth` levels,
    /// files are read as `file_access` allows.
    pub fn new(max_depth: usize, file_access: Arc<FileAccess>) -> Self {
        Self {
            depths: HashMap::new(),
            max_depth,
            file_access,
        }
    }

    /// The value in weak head normal form; a value a thunk produced is
    /// measured, as it may wrap values of this call.
    fn forced(&mut self, value: &NixValue) -> BackendResult<NixValue> {
        let NixValue::Thunk(thunk) = value else {
            return Ok(value.clone());
        };
        let forced = thunk.force()?;
        self.measure_new(&forced)?;
        Ok(forced)
    }

    fn forced_attrs(&mut self, value: &NixValue) -> BackendResult<Arc<Attrs>> {
        match self.forced(value)? {
            NixValue::Attrs(attrs) => Ok(attrs),
            other => Err(expected("a set", &other).into()),
        }
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
    ) -> BackendResult<()> {
        let depth = 1 + children
            .into_iter()
            .map(|child| self.depth(child))
            .max()
            .unwrap_or(0);
        self.record(value, depth)
    }

    fn record(&mut self, value: &NixValue, depth: usize) -> BackendResult<()> {
        if depth > self.max_depth {
            return Err(BackendError::Limit(format!(
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
    fn measure_new(&mut self, value: &NixValue) -> BackendResult<()> {
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

impl Backend for Model {
    type Value = NixValue;

    fn type_of(&mut self, value: &NixValue) -> BackendResult<Option<ValueType>> {
        Ok(Some(match self.forced(value)? {
            NixValue::Int(_) => ValueType::Int,
            NixValue::Float(_) => ValueType::Float,
            NixValue::Bool(_) => ValueType::Bool,
            NixValue::String(_) => ValueType::String,
            NixValue::Path(_) => ValueType::Path,
            NixValue::Null => ValueType::Null,
            NixValue::Attrs(_) => ValueType::Attrs,
            NixValue::List(_) => ValueType::List,
            NixValue::Function(_) => ValueType::Function,
            NixValue::Thunk(_) => return Ok(None),
        }))
    }

    fn get_int(&mut self, value: &NixValue) -> BackendResult<i64> {
        match self.forced(value)? {
            NixValue::Int(n) => Ok(n),
            other => Err(expected("an integer", &other).into()),
        }
    }

    fn get_float(&mut self, value: &NixValue) -> BackendResult<f64> {
        match self.forced(value)? {
            NixValue::Float(x) => Ok(x),
            NixValue::Int(n) => Ok(n as f64),
            other => Err(expected("a float", &other).into()),
        }
    }

    fn get_bool(&mut self, value: &NixValue) -> BackendResult<bool> {
        match self.forced(value)? {
            NixValue::Bool(b) => Ok(b),
            other => Err(expected("a Boolean", &other).into()),
        }
    }

    fn get_string(&mut self, value: &NixValue) -> BackendResult<NixString> {
        match self.forced(value)? {
            NixValue::String(text) => Ok(text),
            other => Err(expected("a string", &other).into()),
        }
    }

    fn get_path(&mut self, value: &NixValue) -> BackendResult<Option<NixString>> {
        match self.forced(value)? {
            NixValue::Path(path) => Ok(Some(path)),
            _ => Ok(None),
        }
    }

    fn get_list(&mut self, value: &NixValue, max_len: usize) -> BackendResult<Fitting<NixValue>> {
        match self.forced(value)? {
            NixValue::List(items) if items.len() <= max_len => {
                Ok((items.len(), items.as_ref().clone()))
            }
            NixValue::List(items) => Ok((items.len(), Vec::new())),
            other => Err(expected("a list", &other).into()),
        }
    }

    fn get_attrs(
        &mut self,
        value: &NixValue,
        max_len: usize,
    ) -> BackendResult<Fitting<(usize, NixValue)>> {
        let attrs = self.forced_attrs(value)?;
        if attrs.len() > max_len {
            return Ok((attrs.len(), Vec::new()));
        }
        let records = attrs
            .iter()
            .map(|(name, value)| (name.len(), value.clone()))
            .collect();
        Ok((attrs.len(), records))
    }

    /// As the evaluator: the index is checked against the whole set first,
    /// then the name is looked up positionally, which a layered set cannot
    /// do.
    fn get_attr_name(
        &mut self,
        value: &NixValue,
        index: usize,
    ) -> BackendResult<Option<NixString>> {
        let attrs = self.forced_attrs(value)?;
        if index >= attrs.len() {
            return Ok(None);
        }
        if attrs.layers() > 1 {
            // Bindings::operator[] calls unreachable() on a layered set.
            return Err(BackendError::Evaluation(
                "copy_attrname on a layered attribute set (made by `//` with at most 16 attributes \
                 on its right side): Determinate Nix aborts the whole evaluator here \
                 (Bindings::operator[] calls unreachable()); hand plugins flat sets, \
                 e.g. rebuilt with builtins.mapAttrs"
                    .into(),
            ));
        }
        Ok(attrs.at(index).map(|(name, _)| name.clone()))
    }

    fn get_attr(&mut self, value: &NixValue, name: &[u8]) -> BackendResult<Option<NixValue>> {
        let attrs = self.forced_attrs(value)?;
        Ok(attrs.get(name).cloned())
    }

    fn make_int(&mut self, n: i64) -> BackendResult<NixValue> {
        Ok(NixValue::Int(n))
    }

    fn make_float(&mut self, x: f64) -> BackendResult<NixValue> {
        Ok(NixValue::Float(x))
    }

    fn make_bool(&mut self, b: bool) -> BackendResult<NixValue> {
        Ok(NixValue::Bool(b))
    }

    fn make_null(&mut self) -> BackendResult<NixValue> {
        Ok(NixValue::Null)
    }

    fn make_string(&mut self, text: &[u8]) -> BackendResult<NixValue> {
        Ok(NixValue::String(text.into()))
    }

    fn make_path(&mut self, path: &[u8]) -> BackendResult<NixValue> {
        Ok(NixValue::Path(path.into()))
    }

    fn make_list(&mut self, items: Vec<NixValue>) -> BackendResult<NixValue> {
        let list = NixValue::list(items);
        let NixValue::List(items) = &list else {
            unreachable!("NixValue::list makes a list")
        };
        self.nest(&list, items.iter())?;
        Ok(list)
    }

    fn make_attrset(&mut self, attrs: Vec<(NixString, NixValue)>) -> BackendResult<NixValue> {
        let value = NixValue::Attrs(Arc::new(Attrs::with_duplicates(attrs)));
        let NixValue::Attrs(set) = &value else {
            unreachable!("built as a set")
        };
        self.nest(&value, set.iter().map(|(_, value)| value))?;
        Ok(value)
    }

    fn check_function(&mut self, function: &NixValue) -> BackendResult<()> {
        let function = self.forced(function)?;
        if !is_callable(&function) {
            return Err(expected("a function", &function).into());
        }
        Ok(())
    }

    fn call_function(
        &mut self,
        function: &NixValue,
        args: Vec<NixValue>,
    ) -> BackendResult<NixValue> {
        self.check_function(function)?;
        let result = apply(function, &args)?;
        self.measure_new(&result)?;
        Ok(result)
    }

    fn make_app(&mut self, function: &NixValue, args: Vec<NixValue>) -> BackendResult<NixValue> {
        let depth = 1 + std::iter::once(function)
            .chain(&args)
            .map(|value| self.depth(value))
            .max()
            .unwrap_or(0);
        let function = function.clone();
        let thunk = NixValue::Thunk(Thunk::new(move || apply(&function, &args)));
        self.record(&thunk, depth)?;
        Ok(thunk)
    }

    /// As `realisePath` and `SourcePath::readFile`: forcing and coercing
    /// fail with the trace "while realising the context of a path";
    /// reading fails in the source accessor's words, naming the resolved
    /// file, which is also the name returned.
    fn read_file(&mut self, path: &NixValue) -> BackendResult<(String, Vec<u8>)> {
        let realising = |message: String| BackendError::Traced {
            trace: REALISING_PATH.into(),
            message,
        };
        let value = self.forced(path).map_err(|e| match e {
            BackendError::Evaluation(message) => realising(message),
            other => other,
        })?;
        let path = coerce_to_path(&value).map_err(realising)?;
        let file = self.file_access.realise(&file_name(&path))?;
        let bytes = crate::access::read(&file)?;
        Ok((file.display().to_string(), bytes))
    }

    fn force(&mut self, value: &NixValue) -> BackendResult<NixValue> {
        self.forced(value)
    }
}

/// The trace `realisePath` adds to an error forcing or coercing its
/// argument (`coerceToPath`'s `errorCtx`).
pub(crate) const REALISING_PATH: &str = "while realising the context of a path";

/// A type error as Nix words it: "expected an integer but found a
/// string: \"x\"".
pub(crate) fn expected(what: &str, found: &NixValue) -> String {
    format!(
        "expected {what} but found {}: {}",
        found.describe(),
        crate::show::show(found)
    )
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
fn apply(function: &NixValue, args: &[NixValue]) -> Result<NixValue, String> {
    args.iter()
        .try_fold(function.force()?, |function, arg| apply1(&function, arg))
}

fn apply1(function: &NixValue, arg: &NixValue) -> Result<NixValue, String> {
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
pub(crate) fn coerce_to_path(value: &NixValue) -> Result<NixString, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
