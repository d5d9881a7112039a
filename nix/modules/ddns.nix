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
  dataDir = "/var/lib/ddns-updater";
  configFile = "${dataDir}/config.json";
  template = pkgs.writeText "ddns-updater-config.json" (mailplanLib.render.ddnsConfigTemplate cfg.plan);

  writeConfig = pkgs.writeShellScript "mailplan-ddns-config" ''
    set -euo pipefail
    umask 077
    ${
      if secret.passwordFile != null then
        ''secret=$(cat "$CREDENTIALS_DIRECTORY/ddns-secret")''
      else
        "secret=${lib.escapeShellArg secret.password}"
    }
    ${pkgs.jq}/bin/jq --arg key ${lib.escapeShellArg ddns.secretKey} --arg secret "$secret" \
      '.settings |= map(.[$key] = $secret)' ${template} > ${configFile}.new
    chown ${config.services.ddns-updater.user}: ${configFile}.new
    mv ${configFile}.new ${configFile}
  '';
in
{
  imports = [ ./common.nix ];

  options.services.mailplan.ddns.enable = lib.mkEnableOption "the dyndns updater of a mailplan customer site (dns VM)";

  config = lib.mkIf cfg.ddns.enable (lib.mkMerge [
    {
      warnings = lib.optional (!ddns.enabled) "mailplan (${cfg.plan.name}): no dyndns updater runs: ${ddns.reason}";
    }
    (lib.mkIf ddns.enabled {
    services.ddns-updater = {
      enable = true;
      environmentalVariables = ddns.environment // {
        DATADIR = dataDir;
        CONFIG_FILEPATH = configFile;
        # The web UI stays on the VM itself.
        LISTENING_ADDRESS = "127.0.0.1:8000";
      };
    };

    systemd.services.mailplan-ddns-config = {
      description = "mailplan: ddns-updater settings with the provider secret";
      before = [ "ddns-updater.service" ];
      requiredBy = [ "ddns-updater.service" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = writeConfig;
        LoadCredential = lib.optional (secret.passwordFile != null) "ddns-secret:${secret.passwordFile}";
      };
    };
    })
  ]);
}
