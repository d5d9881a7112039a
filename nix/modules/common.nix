# Options shared by the mail VM and the dns VM modules: the customer
# declaration, how the engine is called, and the resulting plan.
{
  config,
  lib,
  ...
}:
let
  cfg = config.services.mailplan;
  mailplanLib = import ../lib { inherit (cfg) wasmCall; };
in
{
  options.services.mailplan = {
    customer = lib.mkOption {
      type = lib.types.attrsOf lib.types.anything;
      description = ''
        The customer site declaration (mailplan contract v1): domain,
        optional smarthost relay, users, dyndns provider or static public
        IP, inbound choice, TLS mode. The engine turns it into
        {option}`services.mailplan.plan` during evaluation; an invalid
        declaration fails evaluation with every problem and its field path.
        Give secrets as `passwordFile` strings (e.g. from sops-nix): inline
        `password`s land in the Nix store.
      '';
      example = lib.literalExpression ''
        {
          name = "ExampleCorp";
          domain = "example.com";
          publicIP = "203.0.113.5";
          mailRelay = {
            host = "smtp.gmail.com";
            user = "noreply@example.com";
            passwordFile = "/run/secrets/relay-pass";
          };
          users = [ { name = "alice@example.com"; passwordFile = "/run/secrets/mail/alice"; } ];
        }
      '';
    };

    wasmCall = lib.mkOption {
      type = lib.types.nullOr (lib.types.functionTo (lib.types.functionTo lib.types.anything));
      default = null;
      description = ''
        How to call the engine (`function: argument: result`). `null` uses
        `builtins.wasm`, which needs Determinate Nix ≥ 3.17 with the
        `wasm-builtin` experimental feature. The flake's modules default
        to import-from-derivation on evaluators without it.
      '';
    };

    plan = lib.mkOption {
      type = lib.types.attrsOf lib.types.anything;
      readOnly = true;
      description = "The plan computed from {option}`services.mailplan.customer` (no secrets).";
    };
  };

  config.services.mailplan.plan = mailplanLib.plan cfg.customer;
}
