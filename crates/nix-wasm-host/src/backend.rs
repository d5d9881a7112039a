//! Where a call's values live: the seam between the ABI (value ids, guest
//! memory, buffers, the messages of misuse) and the values themselves.
//!
//! The host functions exist once, in this crate, generic over a
//! [`Backend`]. [`Model`](crate::Model) is this crate's own value model
//! ([`NixValue`](crate::NixValue)), used by the runner, the tests and the
//! benchmarks; a Nix plugin implements the trait over the evaluator's real
//! values, so that `builtins.wasm` inside Nix runs the very same ABI code.

use crate::value::NixString;

/// Why a backend operation failed: the call traps with this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// Forcing or building a value failed (a `throw`, a type error, a
    /// file that cannot be read, …): the evaluator's message.
    Evaluation(String),
    /// An evaluation error with the trace line the evaluator adds to it
    /// where it happened (its `errorCtx`, e.g. "while realising the
    /// context of a path").
    Traced {
        /// The trace line, without the leading `… `.
        trace: String,
        /// The error's message.
        message: String,
    },
    /// A limit of the backend was hit.
    Limit(String),
}

impl From<String> for BackendError {
    fn from(message: String) -> Self {
        BackendError::Evaluation(message)
    }
}

/// The result of a backend operation.
pub type BackendResult<T> = Result<T, BackendError>;

/// The full length of a list or set, and its items when that length fits
/// the guest's buffer (none otherwise).
pub type Fitting<T> = (usize, Vec<T>);

/// The type `get_type` reports, with its ABI number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum ValueType {
    /// 1
    Int = 1,
    /// 2
    Float = 2,
    /// 3
    Bool = 3,
    /// 4
    String = 4,
    /// 5
    Path = 5,
    /// 6
    Null = 6,
    /// 7
    Attrs = 7,
    /// 8
    List = 8,
    /// 9: a lambda or a primop, applied or not.
    Function = 9,
}

impl ValueType {
    /// The type with ABI number `number`, if there is one.
    pub fn from_abi(number: u32) -> Option<Self> {
        [
            ValueType::Int,
            ValueType::Float,
            ValueType::Bool,
            ValueType::String,
            ValueType::Path,
            ValueType::Null,
            ValueType::Attrs,
            ValueType::List,
            ValueType::Function,
        ]
        .into_iter()
        .find(|value_type| *value_type as u32 == number)
    }
}

/// The values of one call, as the host functions see them.
///
/// A value is an opaque handle ([`Backend::Value`]); the ABI keeps them in
/// its value table for the length of the call. Every method that reads a
/// value forces it to weak head normal form first, as the evaluator's host
/// functions do; constructors force nothing. Errors name what went wrong
/// the way the evaluator words it; the ABI's own messages (invalid ids,
/// out-of-bounds memory, a buffer of the wrong length, "make_path expects
/// a path value", …) are made by the caller, not here.
pub trait Backend: Send + 'static {
    /// A handle to one value.
    type Value: Clone + Send + 'static;

    /// Forces `value` and tells its type; `None` for a type the ABI has
    /// no number for.
    fn type_of(&mut self, value: &Self::Value) -> BackendResult<Option<ValueType>>;
    /// Forces an integer.
    fn get_int(&mut self, value: &Self::Value) -> BackendResult<i64>;
    /// Forces a float (an integer is converted, as `forceFloat` does).
    fn get_float(&mut self, value: &Self::Value) -> BackendResult<f64>;
    /// Forces a Boolean.
    fn get_bool(&mut self, value: &Self::Value) -> BackendResult<bool>;
    /// Forces a string and gives its bytes (its context is dropped).
    fn get_string(&mut self, value: &Self::Value) -> BackendResult<NixString>;
    /// Forces the value; its text if it is a path, `None` otherwise.
    fn get_path(&mut self, value: &Self::Value) -> BackendResult<Option<NixString>>;
    /// Forces a list and gives its length and, only when it is at most
    /// `max_len`, its elements, unforced (as the evaluator hands out ids
    /// only for elements it copies; a length query makes no value).
    fn get_list(
        &mut self,
        value: &Self::Value,
        max_len: usize,
    ) -> BackendResult<Fitting<Self::Value>>;
    /// Forces a set and gives its size and, only when it is at most
    /// `max_len`, each attribute's name length and value (unforced), in the
    /// set's order.
    fn get_attrs(
        &mut self,
        value: &Self::Value,
        max_len: usize,
    ) -> BackendResult<Fitting<(usize, Self::Value)>>;
    /// Forces a set and gives the name of its `index`th attribute (in the
    /// order of [`Backend::get_attrs`]), `None` past its end.
    fn get_attr_name(
        &mut self,
        value: &Self::Value,
        index: usize,
    ) -> BackendResult<Option<NixString>>;
    /// Forces a set and gives the attribute `name` (unforced), if any.
    fn get_attr(&mut self, value: &Self::Value, name: &[u8]) -> BackendResult<Option<Self::Value>>;

    /// An integer.
    fn make_int(&mut self, n: i64) -> BackendResult<Self::Value>;
    /// A float.
    fn make_float(&mut self, x: f64) -> BackendResult<Self::Value>;
    /// A Boolean.
    fn make_bool(&mut self, b: bool) -> BackendResult<Self::Value>;
    /// `null`.
    fn make_null(&mut self) -> BackendResult<Self::Value>;
    /// A string of these bytes, without context.
    fn make_string(&mut self, text: &[u8]) -> BackendResult<Self::Value>;
    /// A path; `path` is absolute and canonical.
    fn make_path(&mut self, path: &[u8]) -> BackendResult<Self::Value>;
    /// A list of these values, unforced.
    fn make_list(&mut self, items: Vec<Self::Value>) -> BackendResult<Self::Value>;
    /// A set of these attributes, unforced; a repeated name is kept as the
    /// evaluator keeps it.
    fn make_attrset(&mut self, attrs: Vec<(NixString, Self::Value)>) -> BackendResult<Self::Value>;
    /// Forces `function` and checks that it can be called (a function, or
    /// a set with `__functor`), as `forceFunction` does.
    fn check_function(&mut self, function: &Self::Value) -> BackendResult<()>;
    /// `function` applied to `args` one at a time, each result forced (no
    /// arguments: the function itself, forced); `function` must be a
    /// function (or a set with `__functor`).
    fn call_function(
        &mut self,
        function: &Self::Value,
        args: Vec<Self::Value>,
    ) -> BackendResult<Self::Value>;
    /// A thunk of `function` applied to `args` (at least one), nothing
    /// forced or checked.
    fn make_app(
        &mut self,
        function: &Self::Value,
        args: Vec<Self::Value>,
    ) -> BackendResult<Self::Value>;
    /// The contents of the file the value names (a path, an absolute
    /// path string, a set with `__toString` or `outPath`), as
    /// `builtins.readFile` finds and reads it, with the name messages
    /// should use for it.
    fn read_file(&mut self, path: &Self::Value) -> BackendResult<(String, Vec<u8>)>;
    /// The value in weak head normal form: what the call returns.
    fn force(&mut self, value: &Self::Value) -> BackendResult<Self::Value>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_types_round_trip_through_their_abi_numbers() {
        for number in 1..=9 {
            assert_eq!(ValueType::from_abi(number).map(|t| t as u32), Some(number));
        }
        assert_eq!(ValueType::from_abi(0), None);
        assert_eq!(ValueType::from_abi(10), None);
    }
}
