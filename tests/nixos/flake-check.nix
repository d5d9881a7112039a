# The NixOS evaluation tests (./default.nix) as a flake check: the flake's
# `checks.<system>.nixos-eval` runs them with nixpkgs' own lib wherever
# nixpkgs is at hand, as tests/nixos/run.py runs them here with the pinned
# lib. Every case is evaluated while the check is evaluated: its report must
# hold no problem, and what the modules produce is forced; a case that
# expects nixpkgs to refuse the build must be refused. The derivation then
# runs `bash -n` on every script the cases' systems would build (as
# nixpkgs' writeShellScript checks it) and records the count.
{
  lib,
  # pkgs.runCommand of the checking system.
  runCommand,
  # Case names to functions of `{ }` giving `{ report; forced; refusedWith; }`
  # (./default.nix's `cases`).
  cases,
}:
let
  evaluated = lib.mapAttrs (_: case: case { }) cases;

  # nixpkgs refuses by `throw`, which tryEval catches; the message itself is
  # compared by run.py, which sees the evaluator's output.
  refused = result: !(builtins.tryEval (builtins.deepSeq result.report.problems true)).success;

  caseProblems =
    name: result:
    if result.refusedWith or null != null then
      lib.optional (!refused result) "${name}: the build was not refused (expected: ${result.refusedWith})"
    else
      map (problem: "${name}: ${problem}") result.report.problems;

  problems = lib.concatLists (lib.mapAttrsToList caseProblems evaluated);

  # The scripts of the cases that evaluate, as files of their own: the
  # store paths inside them need not exist for `bash -n`.
  scripts = lib.concatLists (
    lib.mapAttrsToList (
      name: result:
      lib.optionals (result.refusedWith or null == null) (
        lib.mapAttrsToList (script: text: {
          name = "${name}: ${script}";
          file = builtins.toFile "mailplan-check.sh" (builtins.unsafeDiscardStringContext text);
        }) result.report.scripts
      )
    ) evaluated
  );

  forcedAll = lib.mapAttrsToList (
    _: result: if result.refusedWith or null == null then result.forced else null
  ) evaluated;

  count = toString (builtins.length (builtins.attrNames cases));
in
if problems != [ ] then
  throw "mailplan: NixOS evaluation tests failed:\n${lib.concatMapStrings (p: "  - ${p}\n") problems}"
else
  builtins.deepSeq forcedAll (
    runCommand "mailplan-nixos-eval" { } ''
      failed=0
      ${lib.concatMapStrings (script: ''
        bash -n -O extglob ${script.file} || { echo ${lib.escapeShellArg "fails bash -n: ${script.name}"} >&2; failed=1; }
      '') scripts}
      [ "$failed" = 0 ]
      echo "${count} of ${count} NixOS evaluations passed" > $out
    ''
  )
