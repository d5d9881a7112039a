# Declarations that must fail evaluation, by name; run.sh evaluates each
# and checks the message names the field.
{
  root,
  # nix-wasm-run, or "" for the real builtins.wasm.
  runner,
  case,
}:
let
  rootPath = /. + root;
  callers = import (rootPath + "/nix/lib/callers.nix") { wasmFile = rootPath + "/nix/mailplan.wasm"; };
  wasmCall = if runner == "" then callers.builtin else callers.exec runner;
  # With the real builtin, nix/lib's default caller (no wasmCall given).
  mailplan = import (rootPath + "/nix/lib") (
    if runner == "" then { } else { inherit wasmCall; }
  );
  base = {
    name = "ExampleCorp";
    domain = "example.com";
  };
  cases = {
    port = mailplan.plan (
      base
      // {
        mailRelay = {
          host = "smtp.gmail.com";
          port = 70000;
        };
      }
    );
    # A field error in a declaration that carries an inline password: the
    # message names the field and never the password.
    portWithPassword = mailplan.plan (
      base
      // {
        mailRelay = {
          host = "smtp.gmail.com";
          port = 70000;
          user = "noreply@example.com";
          password = "Sekr3t-inline";
        };
      }
    );
    unknownAttribute = mailplan.plan (base // { publicIp = "203.0.113.5"; });
    twoRelayUsers = mailplan.plan (
      mailplan.addMailRelay {
        host = "smtp.sendgrid.net";
        saslUser = "apikey";
        saslPasswordFile = "/run/secrets/sg";
      } (
        mailplan.addMailRelay {
          host = "smtp.gmail.com";
          saslUser = "noreply@example.com";
          saslPasswordFile = "/run/secrets/gmail";
        } base
      )
    );
    pathLiteralSecret = mailplan.plan (
      base
      // {
        mailRelay = {
          host = "smtp.gmail.com";
          user = "noreply@example.com";
          passwordFile = /run/secrets/relay-pass;
        };
      }
    );
    noWasm = (import (rootPath + "/nix/lib") { }).plan base;
    leakedSecret = mailplan.plan (
      base
      // {
        mailRelay = {
          host = "smtp.example.net";
          user = "u";
          password = [ "Sekr3t-in-a-list" ];
        };
      }
    );
  };
in
cases.${case}
