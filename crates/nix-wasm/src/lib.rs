//! A safe guest binding of the Nix `builtins.wasm` host ABI.
//!
//! A plugin is a `wasm32-unknown-unknown` cdylib. Nix calls an exported
//! entry point with the id of its argument and takes the id it returns as
//! the result:
//!
//! ```nix
//! builtins.wasm { path = ./plugin.wasm; function = "plan"; } { name = "X"; }
//! ```
//!
//! This crate wraps the host's 23 `env` imports in [`Value`], defines
//! `nix_wasm_init_v1`, provides [`entry_point!`] to export functions, and
//! bridges Nix values and serde types both ways ([`from_value`],
//! [`to_value`]). WASI programs (`wasm32-wasip1`) use [`wasi`] instead of
//! entry points.
//!
//! Errors an entry point returns end the call through the host's `panic`,
//! so their text becomes the Nix evaluation error. A Rust panic does too
//! when the plugin is built with `-Cpanic=abort`: `nix_wasm_init_v1`
//! installs a hook that forwards its message. With
//! `-Cpanic=immediate-abort` (smaller: no panic messages are compiled in)
//! a panic is a bare `unreachable` trap, which Nix still reports as an
//! evaluation error naming the plugin and the function, without a message.
//!
//! Values are opaque ids valid for one call; every call runs in a fresh
//! instance, so nothing survives between calls. Attribute order as the host
//! reports it is not lexicographic; this crate never depends on it.
//!
//! # Layered attribute sets
//!
//! Determinate Nix (3.22) evaluates `a // b` with at most 16 attributes in
//! `b` to a *layered* set, and its `copy_attrname`, which this crate calls
//! for every attribute of every set it reads ([`Value::attrs`],
//! [`from_value`]), aborts the whole evaluator on one (`Bindings::operator[]`
//! calls `unreachable()`). `copy_attrset` and `get_attr` are safe. Until
//! that is fixed upstream, hand plugins flat sets: rebuild the argument on
//! the Nix side, e.g.
//!
//! ```nix
//! let flatten = v:
//!   if builtins.isAttrs v then builtins.mapAttrs (_: flatten) v
//!   else if builtins.isList v then map flatten v
//!   else v;
//! in builtins.wasm { path = ./plugin.wasm; function = "f"; } (flatten arg)
//! ```
//!
//! (`builtins.mapAttrs` always builds a new flat set, and keeps values
//! lazy; mailplan's declarations take about 4 µs each this way on Nix 2.8,
//! about 1.4% of a call.) The reference host, `nix-wasm-host`, refuses `copy_attrname` on a
//! set made by its `NixValue::update` the same way, so tests catch it.

mod de;
mod ser;
mod sys;

use std::fmt;

pub use de::{DeError, ValueDeserializer, from_value};
pub use ser::{SerError, ValueSerializer, to_value};

/// The type of a Nix value, as `get_type` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A 64-bit integer.
    Int,
    /// A 64-bit float.
    Float,
    /// `true` or `false`.
    Bool,
    /// A string (its context is not visible to plugins).
    String,
    /// A path.
    Path,
    /// `null`.
    Null,
    /// An attribute set.
    Attrs,
    /// A list.
    List,
    /// A function (lambda, primop or functor).
    Function,
}

impl Type {
    fn from_code(code: u32) -> Type {
        match code {
            1 => Type::Int,
            2 => Type::Float,
            3 => Type::Bool,
            4 => Type::String,
            5 => Type::Path,
            6 => Type::Null,
            7 => Type::Attrs,
            8 => Type::List,
            9 => Type::Function,
            other => fail(&format!("the host reported an unknown value type {other}")),
        }
    }

    /// The name Nix's `builtins.typeOf` uses.
    pub fn name(self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Float => "float",
            Type::Bool => "bool",
            Type::String => "string",
            Type::Path => "path",
            Type::Null => "null",
            Type::Attrs => "set",
            Type::List => "list",
            Type::Function => "lambda",
        }
    }
}

/// A Nix value held by the host, by id. Valid only during the current call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Value(u32);

/// A Nix string that is not valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8;

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the string is not valid UTF-8")
    }
}

/// Reads a host buffer with the length-then-copy protocol: try a small
/// buffer, and when the host reports a longer length (having copied
/// nothing), retry with exactly that much room.
fn read_with_retry<T: Copy + Default>(copy: impl Fn(*mut T, usize) -> usize) -> Vec<T> {
    const FIRST_TRY: usize = 64;
    let mut buffer = vec![T::default(); FIRST_TRY];
    let len = copy(buffer.as_mut_ptr(), buffer.len());
    if len > buffer.len() {
        buffer = vec![T::default(); len];
        let again = copy(buffer.as_mut_ptr(), buffer.len());
        if again != len {
            fail("the host changed a value's length between two reads");
        }
    }
    buffer.truncate(len);
    buffer
}

impl Value {
    /// The value with this id, e.g. an entry point's argument.
    pub fn from_id(id: u32) -> Value {
        Value(id)
    }

    /// The value's id, e.g. to return it from an entry point.
    pub fn id(self) -> u32 {
        self.0
    }

    /// The value's type; forces it.
    pub fn type_of(self) -> Type {
        Type::from_code(unsafe { sys::get_type(self.0) })
    }

    /// A new integer.
    pub fn int(n: i64) -> Value {
        Value(unsafe { sys::make_int(n) })
    }

    /// The integer; the host errors on any other type.
    pub fn as_int(self) -> i64 {
        unsafe { sys::get_int(self.0) }
    }

    /// A new float.
    pub fn float(x: f64) -> Value {
        Value(unsafe { sys::make_float(x) })
    }

    /// The float (integers convert); the host errors on any other type.
    pub fn as_float(self) -> f64 {
        unsafe { sys::get_float(self.0) }
    }

    /// A new Boolean.
    pub fn bool(b: bool) -> Value {
        Value(unsafe { sys::make_bool(i32::from(b)) })
    }

    /// The Boolean; the host errors on any other type.
    pub fn as_bool(self) -> bool {
        unsafe { sys::get_bool(self.0) != 0 }
    }

    /// `null`.
    pub fn null() -> Value {
        Value(unsafe { sys::make_null() })
    }

    /// A new string (without context).
    pub fn string(s: &str) -> Value {
        Value(unsafe { sys::make_string(s.as_ptr(), s.len()) })
    }

    /// The string's bytes (context dropped); the host errors on any other
    /// type.
    pub fn as_bytes(self) -> Vec<u8> {
        read_with_retry(|ptr, len| unsafe { sys::copy_string(self.0, ptr, len) })
    }

    /// The string as UTF-8 text.
    pub fn as_string(self) -> Result<String, NotUtf8> {
        String::from_utf8(self.as_bytes()).map_err(|_| NotUtf8)
    }

    /// A new path relative to this path value (same source tree); an
    /// absolute `rel` replaces it.
    pub fn path_relative(self, rel: &str) -> Value {
        Value(unsafe { sys::make_path(self.0, rel.as_ptr(), rel.len()) })
    }

    /// The path's text; the host errors on any other type.
    pub fn as_path(self) -> Result<String, NotUtf8> {
        let bytes = read_with_retry(|ptr, len| unsafe { sys::copy_path(self.0, ptr, len) });
        String::from_utf8(bytes).map_err(|_| NotUtf8)
    }

    /// A new list of these values (not forced).
    pub fn list(items: &[Value]) -> Value {
        Value(unsafe { sys::make_list(items.as_ptr().cast(), items.len()) })
    }

    /// The list's elements (not forced); the host errors on any other type.
    pub fn items(self) -> Vec<Value> {
        read_with_retry(|ptr, len| unsafe { sys::copy_list(self.0, ptr, len) })
            .into_iter()
            .map(Value)
            .collect()
    }

    /// A new attribute set (values not forced).
    pub fn attrset(attrs: &[(&str, Value)]) -> Value {
        let records: Vec<sys::AttrIn> = attrs
            .iter()
            .map(|(name, value)| sys::AttrIn {
                name_ptr: name.as_ptr(),
                name_len: name.len(),
                value: value.0,
            })
            .collect();
        Value(unsafe { sys::make_attrset(records.as_ptr(), records.len()) })
    }

    /// The attribute `name`, or `None` when the set has none (the value is
    /// not forced); the host errors when `self` is not an attribute set.
    pub fn attr(self, name: &str) -> Option<Value> {
        match unsafe { sys::get_attr(self.0, name.as_ptr(), name.len()) } {
            0 => None,
            id => Some(Value(id)),
        }
    }

    /// Every attribute, sorted by name (the host's own order is not
    /// lexicographic, so it is never used). Values are not forced.
    pub fn attrs(self) -> Result<Vec<(String, Value)>, NotUtf8> {
        let records: Vec<sys::AttrOut> =
            read_with_retry(|ptr, len| unsafe { sys::copy_attrset(self.0, ptr, len) });
        let mut attrs = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            let mut name = vec![0u8; record.name_len as usize];
            unsafe { sys::copy_attrname(self.0, index, name.as_mut_ptr(), name.len()) };
            attrs.push((
                String::from_utf8(name).map_err(|_| NotUtf8)?,
                Value(record.value),
            ));
        }
        attrs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(attrs)
    }

    /// Calls this function with `args` and forces the result.
    pub fn call(self, args: &[Value]) -> Value {
        Value(unsafe { sys::call_function(self.0, args.as_ptr().cast(), args.len()) })
    }

    /// Applies this function to `args` lazily: nothing is evaluated until
    /// the result is forced.
    pub fn apply_lazily(self, args: &[Value]) -> Value {
        Value(unsafe { sys::make_app(self.0, args.as_ptr().cast(), args.len()) })
    }

    /// The contents of the file this path (or path-like string) names.
    pub fn read_file(self) -> Vec<u8> {
        read_with_retry(|ptr, len| unsafe { sys::read_file(self.0, ptr, len) })
    }
}

/// Prints a warning through Nix (`warning: '<module>' function '<f>': …`).
pub fn warn(message: &str) {
    unsafe { sys::warn(message.as_ptr(), message.len()) }
}

/// Ends the call with a Nix evaluation error carrying `message`.
pub fn fail(message: &str) -> ! {
    unsafe { sys::panic(message.as_ptr(), message.len()) }
}

/// Called by the host before every entry point: routes Rust panics to
/// [`fail`], so they surface as Nix evaluation errors with their message
/// (unless the plugin is built with `-Cpanic=immediate-abort`, where a
/// panic never reaches a hook).
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn nix_wasm_init_v1() {
    route_panics_to_nix();
}

fn route_panics_to_nix() {
    std::panic::set_hook(Box::new(|info| {
        let message = match info.payload().downcast_ref::<&str>() {
            Some(s) => (*s).to_string(),
            None => match info.payload().downcast_ref::<String>() {
                Some(s) => s.clone(),
                None => "panic".to_string(),
            },
        };
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        fail(&format!("plugin bug (please report): {message}{location}"));
    }));
}

/// WASI plugins: programs (`fn main`) built for `wasm32-wasip1`, which
/// `builtins.wasm { path = …; } argument` runs through `_start`, without a
/// function name and without calling `nix_wasm_init_v1`. The argument's
/// id is `argv[1]`; the result goes back through the host's
/// `return_to_nix`; what the program prints to standard output or error
/// becomes Nix warnings, one per line. Every [`Value`] method works as in
/// a plain plugin.
///
/// ```ignore
/// fn main() {
///     nix_wasm::wasi::run(|argument| Ok::<_, String>(nix_wasm::Value::list(&[argument])));
/// }
/// ```
pub mod wasi {
    use super::{Value, fail, fmt, sys};

    /// The call's argument (its id is `argv[1]`).
    pub fn argument() -> Value {
        std::env::args()
            .nth(1)
            .and_then(|id| id.parse().ok())
            .map(Value::from_id)
            .unwrap_or_else(|| {
                fail(
                    "this WASI program expects builtins.wasm's argument: argv[1] is not a value id",
                )
            })
    }

    /// Hands `value` to Nix as the call's result; the call ends here.
    pub fn return_to_nix(value: Value) -> ! {
        unsafe { sys::return_to_nix(value.id()) }
    }

    /// Runs `body` on the argument and returns its result to Nix, or ends
    /// the call with the error's text as a Nix evaluation error; a Rust
    /// panic does too.
    pub fn run<E: fmt::Display>(body: impl FnOnce(Value) -> Result<Value, E>) -> ! {
        super::route_panics_to_nix();
        match body(argument()) {
            Ok(value) => return_to_nix(value),
            Err(error) => fail(&error.to_string()),
        }
    }
}

/// Runs an entry point body: returns the result's id, or ends the call
/// with the error's text as a Nix evaluation error.
pub fn run_entry<E: fmt::Display>(arg: u32, body: impl FnOnce(Value) -> Result<Value, E>) -> u32 {
    match body(Value::from_id(arg)) {
        Ok(value) => value.id(),
        Err(error) => fail(&error.to_string()),
    }
}

/// Exports `fn(Value) -> Result<Value, impl Display>` functions as
/// `builtins.wasm` entry points under the given names:
///
/// ```ignore
/// nix_wasm::entry_point!("plan" => plan, "version" => version);
/// ```
#[macro_export]
macro_rules! entry_point {
    ($($name:literal => $function:path),* $(,)?) => {
        $(
            const _: () = {
                #[unsafe(export_name = $name)]
                extern "C" fn entry(arg: u32) -> u32 {
                    $crate::run_entry(arg, $function)
                }
            };
        )*
    };
}
