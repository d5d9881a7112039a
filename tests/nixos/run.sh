#!/usr/bin/env bash
# The NixOS evaluation tests (tests/nixos/default.nix) on Debian's Nix 2.8,
# with the nixpkgs lib of MAILPLAN_NIXPKGS_LIB (default
# ../shared/nixpkgs-lib/lib beside the repository) and the engine called
# through builtins.exec and nix-wasm-run, or, with MAILPLAN_NIX_PLUGIN set to
# the plugin scripts/build-nix-plugin.sh builds, through the real
# builtins.wasm. Prints how many evaluations passed. Extra arguments go to
# run.py (e.g. --case REGEX, --dump DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

command -v nix-instantiate >/dev/null || {
  echo "nix-instantiate not found: apt-get install nix-bin" >&2
  exit 1
}
lib=${MAILPLAN_NIXPKGS_LIB:-$root/../shared/nixpkgs-lib/lib}
if [ ! -f "$lib/default.nix" ]; then
  echo "tests/nixos/run.sh: no nixpkgs lib at $lib (set MAILPLAN_NIXPKGS_LIB)" >&2
  exit 1
fi

if [ -n "${MAILPLAN_NIX_PLUGIN:-}" ]; then
  exec python3 tests/nixos/run.py --lib "$lib" --plugin "$MAILPLAN_NIX_PLUGIN" "$@"
fi
# The whole workspace, as every script builds it: one feature resolution,
# so wasmtime is compiled once in release for all of the test command.
cargo build --quiet --release --locked --workspace
exec python3 tests/nixos/run.py --lib "$lib" --runner "$root/target/release/nix-wasm-run" "$@"
