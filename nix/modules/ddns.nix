# The dns VM's dyndns updater (qdm12/ddns-updater) from the mailplan plan:
# the plan's settings with the secret filled in at start, the public IP
# learned by HTTP echo (ipify, icanhazip). Nothing runs when the site has a
# static public IP or no domainProvider.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.mailplan;
  mailplanLib = import ../lib { inherit (cfg) wasmCall; };
  ddns = cfg.plan.ddns;
  secret = (mailplanLib.secrets cfg.customer).ddns;
  template = pkgs.writeText "ddns-updater-config.json" (mailplanLib.render.ddnsConfigTemplate cfg.plan);

  # nixpkgs runs ddns-updater as a DynamicUser; the config with the secret
  # lives in its runtime directory (tmpfs, removed when it stops), written
  # by the service itself before it starts.
  configFile = "/run/ddns-updater/config.json";
  writeConfig = pkgs.writeShellScript "mailplan-ddns-config" ''
    set -euo pipefail
    umask 077
    ${
      if secret.passwordFile != null then
        ''secret=$(cat "$CREDENTIALS_DIRECTORY/ddns-secret")''
      else
        "secret=${lib.escapeShellArg secret.password}"
    }
    ${lib.getExe pkgs.jq} --arg key ${lib.escapeShellArg ddns.secretKey} --arg secret "$secret" \
      '.settings |= map(.[$key] = $secret)' ${template} > ${configFile}.new
    mv ${configFile}.new ${configFile}
  '';
in
{
  imports = [ ./common.nix ];

  options.services.mailplan.ddns.enable = lib.mkEnableOption "the dyndns updater of a mailplan customer site (dns VM)";

  config = lib.mkIf cfg.ddns.enable (
    lib.mkMerge [
      {
        warnings = lib.optional (!ddns.enabled) "mailplan (${cfg.plan.name}): no dyndns updater runs: ${ddns.reason}";
      }
      (lib.mkIf ddns.enabled {
        services.ddns-updater = {
          enable = true;
          environment = ddns.environment // {
            CONFIG_FILEPATH = configFile;
            # The web UI stays on the VM itself.
            LISTENING_ADDRESS = "127.0.0.1:8000";
          };
        };

        systemd.services.ddns-updater.serviceConfig = {
          RuntimeDirectory = "ddns-updater";
          RuntimeDirectoryMode = "0700";
          ExecStartPre = [ writeConfig ];
          LoadCredential = lib.optional (secret.passwordFile != null) "ddns-secret:${secret.passwordFile}";
        };
      })
    ]
  );
}
