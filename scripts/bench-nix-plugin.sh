#!/usr/bin/env bash
# What one `plan` costs through the real builtins.wasm (Nix 2.8 with
# nix-wasm-plugin): nix/lib's plan of every example, N times each with a
# distinct name (so that no result is shared), in one nix-instantiate,
# against the same evaluation with no plan; the median of 5 runs each.
# Prints milliseconds per plan and the evaluator's start-up cost, and
# what nix/lib's `flatten` (the guard against Determinate Nix's layered
# sets, which runs before every call) costs alone, per declaration.
# Usage: scripts/bench-nix-plugin.sh PLUGIN [N]
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${1:?usage: scripts/bench-nix-plugin.sh PLUGIN [N]}
n=${2:-100}
python3 - "$plugin" "$n" <<'PY'
import statistics, subprocess, sys, time
plugin, n = sys.argv[1], int(sys.argv[2])
expression = """
{ n, step }:
let
  mailplan = import ./nix/lib { };
  files = builtins.filter (f: builtins.match ".*[.]json" f != null) (builtins.attrNames (builtins.readDir ./examples));
  declarations = builtins.concatMap (f:
    let d = builtins.fromJSON (builtins.readFile (./examples + "/${f}")); in
    builtins.genList (i: d // { name = "${d.name}${toString i}"; }) n) files;
  run = { plan = mailplan.plan; flatten = mailplan.flatten; }.${step};
in builtins.foldl' (count: d: builtins.deepSeq (run d) (count + 1)) 0 declarations
"""
def run(count, step):
    argv = ["nix-instantiate", "--option", "plugin-files", plugin, "--eval", "--strict",
            "-E", expression, "--arg", "n", str(count), "--argstr", "step", step]
    start = time.perf_counter()
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()
    return time.perf_counter() - start, int(out)
def median(count, step="plan"):
    runs = [run(count, step) for _ in range(5)]
    return statistics.median(t for t, _ in runs), runs[0][1]
base, _ = median(0)
total, plans = median(n)
print(f"{plans} plans: {1000 * (total - base) / plans:.3f} ms per plan through builtins.wasm "
      f"(nix/lib's plan, its flatten and checks included); evaluator start-up with the plugin {1000 * base:.0f} ms")
flattened, count = median(n, "flatten")
print(f"{count} declarations flattened: {1e6 * (flattened - base) / count:.1f} µs each (nix/lib's flatten alone)")
PY
