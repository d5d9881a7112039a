#!/usr/bin/env bash
# The guest binding's WASI support end to end: crates/nix-wasm's example
# WASI plugin (examples/wasi-echo.rs), built for wasm32-wasip1, run by
# nix-wasm-run as builtins.wasm runs a WASI program: no function name, the
# argument's id in argv[1], the result through return_to_nix, standard
# output and error and warn calls as warnings, an error ending the call.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The whole workspace, as every script builds it: one feature resolution,
# so wasmtime is compiled once in release for all of the test command.
cargo build --quiet --release --locked --workspace
cargo build --quiet --release --locked -p nix-wasm --example wasi-echo --target wasm32-wasip1
module=target/wasm32-wasip1/release/examples/wasi-echo.wasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

target/release/nix-wasm-run "$module" --arg-expr '{"a": [1, 2]}' --output nix \
  >"$work/out" 2>"$work/err" || fail "the call failed: $(cat "$work/err")"
[ "$(cat "$work/out")" = '[ { a = [ 1 2 ]; } "set" ]' ] || fail "result: $(cat "$work/out")"
printf '%s\n' \
  "warning: 'wasi-echo.wasm': wasi-echo got a set" \
  "warning: 'wasi-echo.wasm': to standard error" \
  "warning: 'wasi-echo.wasm': through warn" >"$work/expected-err"
cmp -s "$work/err" "$work/expected-err" || fail "warnings: $(cat "$work/err")"

if target/release/nix-wasm-run "$module" >"$work/out" 2>"$work/err"; then
  fail "a null argument was accepted"
fi
# As Determinate Nix prints it: the builtin's trace, wasmtime's trap (its
# Wasm backtrace), caused by the Nix error of the panic.
grep -qx "       … while executing a Wasm module" "$work/err" || fail "error: $(cat "$work/err")"
grep -qx "       error: error while executing at wasm backtrace:" "$work/err" || fail "error: $(cat "$work/err")"
grep -qx "           error: Wasm panic: wasi-echo needs an argument" "$work/err" || fail "error: $(cat "$work/err")"

if target/release/nix-wasm-run "$module" main >"$work/out" 2>"$work/err"; then
  fail "a function name was accepted for a WASI program"
fi
printf '%s\n' \
  "error:" \
  "       … while executing a Wasm module" \
  "" \
  "       error: 'function' attribute is not allowed for WASI modules" >"$work/expected-err"
cmp -s "$work/err" "$work/expected-err" || fail "$(cat "$work/err")"
echo "WASI guest binding: ok"
