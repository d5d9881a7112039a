//! A WASI plugin: `builtins.wasm { path = ./wasi-echo.wasm; } argument`
//! returns `[ argument "<its type>" ]`, printing a line to standard output
//! and one to standard error (two Nix warnings) and one through `warn`.
//!
//! Build: `cargo build -p nix-wasm --example wasi-echo --target wasm32-wasip1 --release`.

use nix_wasm::Value;

fn main() {
    nix_wasm::wasi::run(|argument| {
        let type_name = argument.type_of().name();
        println!("wasi-echo got a {type_name}");
        eprintln!("to standard error");
        nix_wasm::warn("through warn");
        if type_name == "null" {
            return Err("wasi-echo needs an argument");
        }
        Ok(Value::list(&[argument, Value::string(type_name)]))
    })
}
