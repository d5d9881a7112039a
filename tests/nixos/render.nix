# What the mail VM's NixOS module produces for one declaration, evaluated
# over a release's option surface: the files nixpkgs' modules render from
# it (main.cf, master.cf, dovecot.conf) and the scripts of mailplan's
# units, for tests/daemons to run with the real daemons.
{
  # The nixpkgs library (its module system).
  lib,
  # How nix/lib calls the engine.
  wasmCall,
  # The customer declaration.
  customer,
  release ? "26.05",
  # 26.05 and later run Dovecot 2.4; earlier state versions keep 2.3.
  stateVersion ? release,
}:
let
  root = ../..;
  evalNixos = import ./nixos.nix { inherit lib release; };
  inherit
    (evalNixos {
      modules = [
        (root + "/nix/modules/mail.nix")
        (root + "/nix/example/vm.nix")
        {
          services.mailplan = {
            enable = true;
            inherit customer wasmCall;
          };
          system.stateVersion = lib.mkForce stateVersion;
        }
      ];
    })
    config
    ;
  services = config.systemd.services;
  scriptOf = unit: if services ? ${unit} then services.${unit}.script else null;
in
{
  files = lib.mapAttrs (_: file: file.text) config.testing.rendered // {
    "opendkim.conf" = config.services.opendkim.configFile.text;
  };
  scripts = {
    mailboxes = scriptOf "mailplan-mailboxes";
    relayCredentials = scriptOf "mailplan-relay-credentials";
    placeholderCertificate = scriptOf "mailplan-placeholder-certificate";
  };
  dovecotVersion = config.services.dovecot2.package.version;
  dovecotGroup = config.services.dovecot2.settings.default_internal_group;
  nginxGroup = config.services.nginx.group;
}
