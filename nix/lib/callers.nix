# Ways to call an entry point of nix/mailplan.wasm. Each is a function
# `function: argument: result`; nix/lib takes one as its `wasmCall`.
{ wasmFile }:
{
  # Determinate Nix >= 3.17 (experimental feature `wasm-builtin`).
  builtin = function: argument: builtins.wasm { path = wasmFile; inherit function; } argument;

  # Stock Nix: import-from-derivation. The runner (this flake's
  # `packages.nix-wasm-run`) executes the module in a build and writes the
  # result as a Nix expression. The argument enters the store: use
  # passwordFile for secrets (inline ones land there anyway).
  ifd =
    { runCommand, runner }:
    function: argument:
    import (
      runCommand "mailplan-${function}.nix"
        {
          passAsFile = [ "argument" ];
          argument = builtins.toJSON argument;
        }
        ''
          ${runner}/bin/nix-wasm-run ${wasmFile} ${function} --arg-json "$argumentPath" --output nix > $out
        ''
    );

  # Any Nix with `allow-unsafe-native-code-during-evaluation`: runs the
  # runner binary through builtins.exec. Used by the tests on Nix 2.8; the
  # runner prints `builtins.throw "…"` on failure, so errors surface as
  # evaluation errors with the engine's message.
  exec =
    runner: function: argument:
    builtins.exec [
      runner
      (toString wasmFile)
      function
      "--arg-expr"
      (builtins.toJSON argument)
      "--output"
      "nix"
    ];
}
