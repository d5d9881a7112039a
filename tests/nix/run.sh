#!/usr/bin/env bash
# Nix-level tests on Debian's Nix 2.8 (no nixpkgs): every .nix file parses,
# nix/lib and the flake's lib output plan every example exactly as the CLI
# does, builders, secrets and renderers behave, and bad declarations fail
# evaluation with their field path. The engine is called through
# builtins.exec and nix-wasm-run, or, with MAILPLAN_NIX_PLUGIN set to the
# plugin scripts/build-nix-plugin.sh builds, through the real
# builtins.wasm (nix/lib's default caller).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

command -v nix-instantiate >/dev/null || {
  echo "nix-instantiate not found: apt-get install nix-bin" >&2
  exit 1
}
export NIX_CONFIG="experimental-features =
allow-unsafe-native-code-during-evaluation = true"

# The whole workspace, as every script builds it: one feature resolution,
# so wasmtime is compiled once in release for all of the test command.
cargo build --quiet --release --locked --workspace
cli=$root/target/release/mailplan
if [ -n "${MAILPLAN_NIX_PLUGIN:-}" ]; then
  echo "-- with the real builtins.wasm of $MAILPLAN_NIX_PLUGIN"
  # plugin-files must come before everything else nix-instantiate reads.
  nix_instantiate() { nix-instantiate --option plugin-files "$MAILPLAN_NIX_PLUGIN" "$@"; }
  runner=""
else
  echo "-- with builtins.exec and nix-wasm-run"
  nix_instantiate() { nix-instantiate "$@"; }
  runner=$root/target/release/nix-wasm-run
  echo "-- every .nix file parses"
  git ls-files '*.nix' | while read -r file; do
    nix-instantiate --parse "$file" >/dev/null
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- nix/lib and the flake's lib output"
nix_instantiate --eval --strict --json tests/nix/eval.nix \
  --argstr root "$root" --argstr runner "$runner" >"$work/eval.json"
for example in examples/*.json; do
  name=$(basename "$example" .json)
  "$cli" plan --json "$example" >"$work/$name.cli.json"
  "$cli" dns --zone "$example" >"$work/$name.cli.zone"
done
python3 tests/nix/check_eval.py "$work"

echo "-- bad declarations fail evaluation with their field path"
expect_failure() {
  local case=$1 needle=$2
  if nix_instantiate --eval --strict tests/nix/failures.nix \
    --argstr root "$root" --argstr runner "$runner" --argstr case "$case" \
    >"$work/$case.out" 2>"$work/$case.err"; then
    echo "FAIL: $case evaluated" >&2
    exit 1
  fi
  if ! grep -qF -- "$needle" "$work/$case.err"; then
    echo "FAIL: $case: expected \"$needle\" in:" >&2
    cat "$work/$case.err" >&2
    exit 1
  fi
  if grep -q "Sekr3t" "$work/$case.err"; then
    echo "FAIL: $case: the error shows a secret" >&2
    exit 1
  fi
  echo "ok: $case"
}
expect_failure port "mailRelay.port: 70000 is not a TCP port (1-65535)"
expect_failure portWithPassword "mailRelay.port: 70000 is not a TCP port (1-65535)"
expect_failure unknownAttribute "publicIp: is not a known attribute"
expect_failure twoRelayUsers "users: 2 users are tagged mail-relay: users[0] (noreply@example.com), users[1] (apikey)"
expect_failure pathLiteralSecret "mailRelay.passwordFile: write the path as a string"
if [ -n "$runner" ]; then
  expect_failure noWasm "this Nix has no builtins.wasm"
fi
expect_failure leakedSecret "mailRelay.password: must be a string"
echo "nix tests passed"
