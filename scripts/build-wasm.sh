#!/usr/bin/env bash
# Builds nix/mailplan.wasm, the builtins.wasm plugin Nix evaluation uses,
# reproducibly: a pinned nightly (for std rebuilt for size with
# immediate-abort panics), the locked dependencies, remapped paths, and
# Debian's binaryen for the final size pass. The module uses only MVP
# WebAssembly features, so any builtins.wasm host can load it.
#
# immediate-abort keeps the module small (-Cpanic=abort with panic
# messages was 164 KiB against 150 when it was chosen): an engine panic, which the property
# tests rule out natively, would reach Nix as an `unreachable` trap without
# its message. Every validation error still reaches Nix as its text.
#
# Usage: scripts/build-wasm.sh [OUTPUT]   (default: nix/mailplan.wasm)
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain=nightly-2026-10-30
output=${1:-nix/mailplan.wasm}

if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$toolchain" --profile minimal \
    --component rust-src --target wasm32-unknown-unknown
fi
rustup component add rust-src --toolchain "$toolchain" >/dev/null
rustup target add wasm32-unknown-unknown --toolchain "$toolchain" >/dev/null
command -v wasm-opt >/dev/null || {
  echo "wasm-opt not found: apt-get install binaryen" >&2
  exit 1
}

sysroot=$(rustup run "$toolchain" rustc --print sysroot)
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Ctarget-cpu=mvp \
  --remap-path-prefix=$PWD=/mailplan \
  --remap-path-prefix=$cargo_home=/cargo \
  --remap-path-prefix=$sysroot=/rust"

cargo "+$toolchain" build --locked --quiet \
  -p mailplan-wasm --target wasm32-unknown-unknown --profile wasm \
  -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
  --target-dir target/wasm-build

wasm-opt -Oz --strip-debug --strip-producers \
  target/wasm-build/wasm32-unknown-unknown/wasm/mailplan_wasm.wasm -o "$output"
echo "$output: $(stat -c %s "$output") bytes"
