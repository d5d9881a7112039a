#!/usr/bin/env bash
# builtins.wasm inside a real evaluator: Debian's Nix 2.8 with the plugin
# scripts/build-nix-plugin.sh builds. The ABI through nix-wasm-host's probe
# plugin (tests/nix-plugin/abi.nix): laziness, functions called and applied,
# nesting, garbage collection, errors and what evaluation does after them,
# interrupts, warnings, read_file under restricted and pure evaluation, and
# a WASI program loaded by path.
# Usage: tests/nix-plugin/run.sh PLUGIN
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
plugin=${1:?usage: tests/nix-plugin/run.sh PLUGIN}
wat=$(cat crates/nix-wasm-host/tests/wat/probe.wat)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'bytes a plugin reads\n' >"$work/readable.txt"

# plugin-files must come before everything else nix-instantiate reads.
nix_instantiate() { nix-instantiate --option plugin-files "$plugin" "$@"; }

check_all_true() {
  local label=$1
  shift
  NIX_WASM_PLUGIN_GC_ON_CALL=1 nix_instantiate "$@" --eval --strict --json tests/nix-plugin/abi.nix \
    --argstr wat "$wat" --arg readable "$work/readable.txt" >"$work/checks.json"
  python3 - "$work/checks.json" "$label" <<'PY'
import json, sys
checks = json.load(open(sys.argv[1]))
failed = [name for name, ok in sorted(checks.items()) if ok is not True]
if failed:
    sys.exit(f"FAIL ({sys.argv[2]}): {', '.join(failed)}")
print(f"ok: {len(checks)} checks ({sys.argv[2]}): {', '.join(sorted(checks))}")
PY
}

echo "-- the ABI through Nix's own values"
check_all_true "impure"
# Restricted evaluation: only -I paths may be read, the file's own
# directory among them.
check_all_true "restricted" --option restrict-eval true -I "$root/tests/nix-plugin" -I "$work"

echo "-- calls that fail are evaluation errors, with the builtin's trace"
expect_failure() {
  local case=$1 needle=$2
  shift 2
  local status=0
  nix_instantiate "$@" --show-trace --eval --strict tests/nix-plugin/abi.nix \
    --argstr wat "$wat" --argstr case "$case" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" -ne 1 ]; then
    echo "FAIL: $case: exit status $status (1 expected: an evaluation error, not a crash)" >&2
    cat "$work/err" >&2
    exit 1
  fi
  for expected in "$needle" "while executing a Wasm module"; do
    if ! grep -qF -- "$expected" "$work/err"; then
      echo "FAIL: $case: expected \"$expected\" in:" >&2
      cat "$work/err" >&2
      exit 1
    fi
  done
  echo "ok: $case"
}
expect_failure panic "Wasm panic: boom"
expect_failure trap 'wasm `unreachable` instruction executed'
expect_failure oobInsideWasm "out of bounds memory access"
expect_failure oobThroughHost "Wasm memory access out of bounds"
expect_failure throwInsideCall "boom-arg"
expect_failure badId "invalid ValueId 12345"
expect_failure notAnInteger "while an integer was expected"
expect_failure noFunction "missing required 'function' attribute in first argument to \`builtins.wasm\` for non-WASI modules"
expect_failure missingExport "does not export 'no_such_export'"
expect_failure readForbidden "access to absolute path '/etc/hostname' is forbidden in restricted mode" \
  --option restrict-eval true -I "$root/tests/nix-plugin"
# Pure evaluation refuses the test file itself: the probe comes inline.
if nix_instantiate --option pure-eval true --show-trace --eval --strict \
  -E '{ wat }: builtins.wasm { inherit wat; function = "read"; } "/etc/hostname"' --argstr wat "$wat" \
  >/dev/null 2>"$work/err"; then
  echo "FAIL: read_file of /etc/hostname in pure evaluation mode evaluated" >&2
  exit 1
fi
grep -qF "access to absolute path '/etc/hostname' is forbidden in pure eval mode" "$work/err" || {
  cat "$work/err" >&2
  exit 1
}
echo "ok: readForbidden (pure)"

echo "-- configuration errors, before any module runs"
config_error() {
  local case=$1 needle=$2
  if nix_instantiate --eval --strict tests/nix-plugin/abi.nix --argstr wat "$wat" --argstr case "$case" \
    >/dev/null 2>"$work/err"; then
    echo "FAIL: $case evaluated" >&2
    exit 1
  fi
  grep -qF -- "$needle" "$work/err" || {
    echo "FAIL: $case: expected \"$needle\" in:" >&2
    cat "$work/err" >&2
    exit 1
  }
  echo "ok: $case"
}
config_error unknownAttribute "unknown attribute 'extra' in first argument to \`builtins.wasm\`"
config_error pathAndWat "'path' and 'wat' are mutually exclusive in first argument to \`builtins.wasm\`"
config_error neitherPathNorWat "missing required 'path' or 'wat' attribute in first argument to \`builtins.wasm\`"

echo "-- a WASI program loaded by path (crates/nix-wasm's wasi-echo example)"
cargo build --quiet --release --locked -p nix-wasm --example wasi-echo --target wasm32-wasip1
module=$root/target/wasm32-wasip1/release/examples/wasi-echo.wasm
nix_instantiate --eval --strict -E "builtins.wasm { path = $module; } { a = [ 1 2 ]; }" \
  >"$work/out" 2>"$work/err"
[ "$(cat "$work/out")" = '[ { a = [ 1 2 ]; } "set" ]' ] || {
  echo "FAIL: WASI result: $(cat "$work/out") $(cat "$work/err")" >&2
  exit 1
}
printf '%s\n' \
  "warning: 'wasi-echo.wasm': wasi-echo got a set" \
  "warning: 'wasi-echo.wasm': to standard error" \
  "warning: 'wasi-echo.wasm': through warn" >"$work/expected-err"
cmp -s "$work/err" "$work/expected-err" || {
  echo "FAIL: WASI warnings: $(cat "$work/err")" >&2
  exit 1
}
if nix_instantiate --eval --strict -E "builtins.wasm { path = $module; function = \"main\"; } 1" \
  >/dev/null 2>"$work/err"; then
  echo "FAIL: a function name was accepted for a WASI program" >&2
  exit 1
fi
grep -qF "'function' attribute is not allowed for WASI modules" "$work/err"
echo "ok: result through return_to_nix, output lines as warnings, no function name"

echo "-- an interrupt during a call stays an interrupt"
# SIGTERM, which Nix handles as SIGINT (a background job ignores SIGINT),
# while the Nix function the probe calls converts lists to JSON (where Nix
# 2.8 checks for interrupts).
slow='{ wat }: builtins.wasm { inherit wat; function = "call_f"; } {
  f = _: builtins.foldl'"'"' (n: _: n + builtins.stringLength (builtins.toJSON (builtins.genList (x: x) 1000))) 0
    (builtins.genList (x: x) 1000000);
  x = null;
}'
timeout -s KILL 120 nix-instantiate --option plugin-files "$plugin" --show-trace --eval --strict -E "$slow" \
  --argstr wat "$wat" >/dev/null 2>"$work/err" &
pid=$!
sleep 3
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
if [ "$status" -ne 1 ] || ! grep -qx "error: interrupted by the user" "$work/err" ||
  grep -qF "while executing a Wasm module" "$work/err"; then
  echo "FAIL: interrupt: exit status $status, expected 1 and Nix's own interrupt error:" >&2
  cat "$work/err" >&2
  exit 1
fi
echo "ok: interrupted by the user, not a Wasm error"

echo "-- warnings are Nix warnings, named by module and function"
nix_instantiate --eval --strict -E "builtins.wasm { wat = builtins.readFile $root/crates/nix-wasm-host/tests/wat/probe.wat; function = \"warn_twice\"; } null" \
  >/dev/null 2>"$work/err"
grep -qF "warning: '<inline wat>' function 'warn_twice': a" "$work/err"
grep -qF "warning: '<inline wat>' function 'warn_twice': b" "$work/err"
echo "ok: warnings"

echo "-- evaluation goes on after a failed call (nix repl, one evaluator)"
printf '%s\n' \
  "probe = f: builtins.wasm { wat = builtins.readFile $root/crates/nix-wasm-host/tests/wat/probe.wat; function = f; }" \
  'probe "panic" null' \
  'probe "trap" null' \
  'probe "int_plus_one" 41' |
  nix --extra-experimental-features nix-command --option plugin-files "$plugin" repl >"$work/repl" 2>&1
python3 - "$work/repl" <<'PY'
import re, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1]).read())
for expected in ("Wasm panic: boom", "instruction executed", "\n42\n"):
    if expected not in text:
        sys.exit(f"FAIL: the repl session lacks {expected!r}:\n{text}")
print("ok: panic, trap, then 42 in the same evaluator")
PY

echo "nix-plugin tests passed"
