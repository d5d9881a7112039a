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

# shellcheck source=scripts/lib/wasm-build.sh
. scripts/lib/wasm-build.sh
output=${1:-nix/mailplan.wasm}

wasm_build mailplan-wasm wasm target/wasm-build

wasm-opt -Oz --strip-debug --strip-producers \
  target/wasm-build/wasm32-unknown-unknown/wasm/mailplan_wasm.wasm -o "$output"
echo "$output: $(stat -c %s "$output") bytes"
