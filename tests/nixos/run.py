"""Runs the NixOS evaluation tests of tests/nixos (see default.nix).

Every case is evaluated by its own `nix-instantiate` (two at a time), so
that an evaluation error names its case: first its report (the problems
the checks found, the scripts, the rendered files), then the forcing of
everything the modules produce. A case passes when its report has no
problem, every script passes `bash -n` (as nixpkgs' writeShellScript
checks it), and the forcing succeeds, or, for a case that expects nixpkgs
to refuse the build, fails with that refusal.

Usage: run.py --lib PATH (--runner PATH | --plugin PATH) [--case PATTERN] [--dump DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The engine is called through builtins.exec of the runner, or through the
# real builtins.wasm of nix-wasm-plugin (scripts/build-nix-plugin.sh).
NIX_CONFIG = "experimental-features =\nallow-unsafe-native-code-during-evaluation = true\n"


@dataclass(frozen=True)
class Engine:
    """How the cases reach the engine: a runner for builtins.exec, or the plugin."""

    runner: Path | None
    plugin: Path | None

    def wasm_call(self) -> str:
        if self.plugin is not None:
            return "callers.builtin"
        return f'callers.exec "{self.runner}"'

    def nix_instantiate(self) -> list[str]:
        # plugin-files must come before everything else nix-instantiate reads.
        if self.plugin is not None:
            return ["nix-instantiate", "--option", "plugin-files", str(self.plugin)]
        return ["nix-instantiate"]


def expression(lib: Path, engine: Engine, case: str, attribute: str) -> str:
    return f"""
      let
        lib = import {lib};
        callers = import {ROOT}/nix/lib/callers.nix {{ wasmFile = {ROOT}/nix/mailplan.wasm; }};
        tests = import {ROOT}/tests/nixos {{ inherit lib; wasmCall = {engine.wasm_call()}; }};
      in
      (tests.cases.{json.dumps(case)} {{ }}).{attribute}
    """


def evaluate(lib: Path, engine: Engine, case: str, attribute: str, as_json: bool = True):
    argv = [*engine.nix_instantiate(), "--eval", "--strict", "--read-write-mode"]
    if as_json:
        argv.append("--json")
    argv += ["-E", expression(lib, engine, case, attribute)]
    env = {**os.environ, "NIX_CONFIG": NIX_CONFIG}
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def error_text(stderr: str) -> str:
    """The evaluation error, without Nix's trace preamble."""
    lines = stderr.strip().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("error:"):
            return "\n".join(lines[i:])[:4000]
    return stderr.strip()[-4000:]


def bash_syntax(name: str, text: str) -> str | None:
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as script:
        script.write(text)
        script.flush()
        result = subprocess.run(["bash", "-n", "-O", "extglob", script.name], capture_output=True, text=True)
    if result.returncode != 0:
        return f"script {name} fails bash -n: {result.stderr.strip()}"
    return None


def run_case(lib: Path, engine: Engine, case: str, dump: Path | None) -> tuple[str, list[str]]:
    refused = evaluate(lib, engine, case, "refusedWith")
    if refused.returncode != 0:
        return case, [f"evaluating the case failed:\n{error_text(refused.stderr)}"]
    refused_with = json.loads(refused.stdout)
    if refused_with is not None:
        # nixpkgs refuses the build as soon as the system is evaluated.
        for attribute in ("report", "forced"):
            result = evaluate(lib, engine, case, attribute)
            if result.returncode == 0:
                return case, [f"{attribute}: the build was not refused (expected: {refused_with})"]
            if refused_with not in result.stderr:
                return case, [f"{attribute}: refused, but not with {refused_with!r}:\n{error_text(result.stderr)}"]
        return case, []

    result = evaluate(lib, engine, case, "report")
    if result.returncode != 0:
        return case, [f"evaluating the case failed:\n{error_text(result.stderr)}"]
    report = json.loads(result.stdout)
    problems = list(report["problems"])
    problems += [p for p in (bash_syntax(n, t) for n, t in sorted(report["scripts"].items())) if p]
    if dump is not None:
        directory = dump / case
        for name, text in {**report["files"], **{f"scripts/{n}": t for n, t in report["scripts"].items()}}.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    forced = evaluate(lib, engine, case, "forced")
    if forced.returncode != 0:
        problems.append(f"forcing what the modules produce failed:\n{error_text(forced.stderr)}")
    return case, problems


def flake_check(lib: Path, engine: Engine, count: int) -> str | None:
    """Evaluates the flake's `checks.x86_64-linux.nixos-eval` (every case in
    one evaluation, through the flake's own engine caller: the real
    builtins.wasm) and checks the count it records."""
    result = evaluate(lib, engine, "26.05/flake", "nixosEvalCheck.buildCommand")
    if result.returncode != 0:
        return f"evaluating the check failed:\n{error_text(result.stderr)}"
    expected = f"{count} of {count} NixOS evaluations passed"
    if expected not in json.loads(result.stdout):
        return f"the check's build does not record {expected!r}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", type=Path, required=True, help="the nixpkgs lib directory")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--runner", type=Path, help="nix-wasm-run, called through builtins.exec")
    how.add_argument("--plugin", type=Path, help="nix-wasm-plugin: the real builtins.wasm")
    parser.add_argument("--case", default="", help="only cases whose name matches this regular expression")
    parser.add_argument("--dump", type=Path, help="write every case's rendered files and scripts here")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    engine = Engine(runner=args.runner, plugin=args.plugin)
    names = subprocess.run(
        [
            *engine.nix_instantiate(), "--eval", "--strict", "--json", "-E",
            f"builtins.attrNames (import {ROOT}/tests/nixos {{ lib = import {args.lib}; wasmCall = null; }}).cases",
        ],
        capture_output=True, text=True, env={**os.environ, "NIX_CONFIG": NIX_CONFIG},
    )
    if names.returncode != 0:
        print(error_text(names.stderr), file=sys.stderr)
        return 1
    cases = [c for c in json.loads(names.stdout) if re.search(args.case, c)]
    if not cases:
        print(f"no case matches {args.case!r}", file=sys.stderr)
        return 1

    failed = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_case, args.lib, engine, case, args.dump) for case in cases]
        for future in concurrent.futures.as_completed(futures):
            case, problems = future.result()
            if problems:
                failed[case] = problems
                print(f"FAIL {case}", flush=True)
            else:
                print(f"ok   {case}", flush=True)

    for case in sorted(failed):
        print(f"\n--- {case}", file=sys.stderr)
        for problem in failed[case]:
            print(f"  - {problem}", file=sys.stderr)
    releases = sorted({c.split("/")[0] for c in cases})
    print(
        f"\n{len(cases) - len(failed)} of {len(cases)} NixOS evaluations passed "
        f"(releases {', '.join(releases)}: mail and dns VMs per customer and variant, the vm-relay nodes, the flake)"
    )
    if engine.plugin is not None and not args.case and not failed:
        # The flake's own caller is builtins.wasm only with the plugin.
        problem = flake_check(args.lib, engine, len(cases))
        if problem:
            print(f"the flake's nixos-eval check fails: {problem}", file=sys.stderr)
            return 1
        print(f"the flake's nixos-eval check: all {len(cases)} in one evaluation, through the flake's caller")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
