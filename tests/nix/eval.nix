# Evaluates the real nix/lib and the flake's `lib` output on Nix 2.8, with
# the engine called through builtins.exec (see run.sh). The result is JSON
# that run.sh compares with the CLI's output.
{
  # Absolute path of the repository.
  root,
  # Absolute path of nix-wasm-run, or "" for the real builtins.wasm.
  runner,
}:
let
  rootPath = /. + root;
  callers = import (rootPath + "/nix/lib/callers.nix") { wasmFile = rootPath + "/nix/mailplan.wasm"; };
  wasmCall = if runner == "" then callers.builtin else callers.exec runner;
  # With the real builtin, nix/lib's default caller (no wasmCall given).
  mailplan = import (rootPath + "/nix/lib") (
    if runner == "" then { } else { inherit wasmCall; }
  );

  # The flake, with stand-in inputs: `lib` needs no nixpkgs.
  flake = import (rootPath + "/flake.nix");
  outputs = flake.outputs {
    self = outputs;
    nixpkgs = {
      lib = throw "tests/nix: nixpkgs is not available here";
    };
  };
  flakeLib = outputs.lib.withWasmCall wasmCall;

  exampleFiles = builtins.filter (n: builtins.match ".*\\.json" n != null) (
    builtins.attrNames (builtins.readDir (rootPath + "/examples"))
  );
  exampleName = file: builtins.head (builtins.match "(.*)\\.json" file);
  example = file: builtins.fromJSON (builtins.readFile (rootPath + "/examples/${file}"));
  forExamples =
    f:
    builtins.listToAttrs (
      map (file: {
        name = exampleName file;
        value = f (example file);
      }) exampleFiles
    );

  base = {
    name = "ExampleCorp";
    domain = "example.com";
  };

  # True when no set in `value` carries source positions: none was written
  # as a literal or made by `//` from one (which Determinate Nix may make
  # a layered set); builtins.mapAttrs builds sets without positions.
  rebuilt =
    value:
    if builtins.isAttrs value then
      builtins.all (name: builtins.unsafeGetAttrPos name value == null && rebuilt value.${name}) (
        builtins.attrNames value
      )
    else if builtins.isList value then
      builtins.all rebuilt value
    else
      true;
  # nix/lib with a caller that refuses what `flatten` did not rebuild.
  watched = import (rootPath + "/nix/lib") {
    wasmCall =
      function: argument:
      if rebuilt argument then
        wasmCall function argument
      else
        throw "tests/nix: ${function} was handed a set written in Nix or made by //, not rebuilt by flatten";
  };
  render = mailplan.render;
in
{
  # nix/lib: every example's plan (compared with `mailplan plan --json`).
  plans = forExamples mailplan.plan;
  # The flake's lib output gives the same plans.
  flakePlans = forExamples flakeLib.plan;
  zones = forExamples mailplan.zone;
  spf = forExamples mailplan.spf;
  version = mailplan.version;

  # The builders produce the role-tagged users the C# builder does.
  builders = {
    gmail = mailplan.withPublicIP "203.0.113.5" (
      mailplan.addMailRelay {
        host = "smtp.gmail.com";
        saslUser = "noreply@example.com";
        saslPassword = "abcd-efgh-ijkl-mnop";
        port = 587;
      } base
    );
    noip = mailplan.addDomainProvider {
      provider = "noip";
      secretFile = "/run/secrets/ddns-password";
      hosts = [ "laufentaler" ];
      username = "your-login";
      secretKey = "password";
      domain = "ddns.net";
    } base;
    duckdns = mailplan.addDomainProvider {
      provider = "duckdns";
      secret = "token-value";
      hosts = [ "examplelab" ];
      domain = "duckdns.org";
    } base;
  };
  builtPlans = {
    gmail = mailplan.plan (
      mailplan.withPublicIP "203.0.113.5" (
        mailplan.addMailRelay {
          host = "smtp.gmail.com";
          saslUser = "noreply@example.com";
          saslPasswordFile = "/run/secrets/relay-pass";
        } base
      )
    );
  };

  # Secrets travel only through `secrets`.
  secrets = mailplan.secrets (
    mailplan.addMailRelay {
      host = "smtp.sendgrid.net";
      saslUser = "apikey";
      saslPassword = "SG.secret-value";
    } base
  );

  # The guard against Determinate Nix's layered sets: every example comes
  # out equal, and nothing is forced before it is read.
  flatten = {
    equal = builtins.all (file: mailplan.flatten (example file) == example file) exampleFiles;
    lazy = (mailplan.flatten {
      unread = throw "forced";
      kept = [ { deep = 1; } ];
    }).kept;
    # The guard sits in front of the call: builders' `//` and literals
    # reach the plugin rebuilt.
    reachesTheCall =
      (watched.plan (
        watched.withPublicIP "203.0.113.5" (
          watched.addMailRelay {
            host = "smtp.gmail.com";
            saslUser = "noreply@example.com";
            saslPasswordFile = "/run/secrets/relay-pass";
          } base
        )
      )).mode;
  };

  # Renderers.
  rendered = {
    dovecot23 = render.dovecotSettings (mailplan.plan (example "standalone.json")) { version = "2.3.21.1"; };
    dovecot24 = render.dovecotSettings (mailplan.plan (example "standalone.json")) { version = "2.4.2"; };
    mailboxes = render.mailboxTable (mailplan.plan (example "standalone.json"));
    aliases = render.aliasTable (mailplan.plan (example "standalone.json"));
    ddnsTemplate = builtins.fromJSON (render.ddnsConfigTemplate (mailplan.plan (example "noip-dyndns.json")));
  };
}
