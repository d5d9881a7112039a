# nixos/modules/services/networking/ddns-updater.nix, whole, verbatim.
# Text: NixOS/nixpkgs@e35710683623cdd040ce22de444d82a2b1adef28 (read_file id
# 355109957). Dated by content: the DynamicUser +
# `environment` module (after the 2024 rename of environmentalVariables),
# nixfmt; no `settings` option (Lord-Valen's `settings` branch, ids
# 52312977666/52098181241, appears unmerged). A newer variant
# (Lord-Valen/nixpkgs@f8bbc46, id 51894561232) differs only in the enable
# text, `description = "DDNS-updater service"` at the service level instead
# of unitConfig.Description (same [Unit] Description), and meta.maintainers;
# which of the two is in release-26.05 is not established.
# Left out: nothing.
# pkgs: pkgs.ddns-updater (lib.getExe through meta.mainProgram).
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.ddns-updater;
in
{
  options.services.ddns-updater = {
    enable = lib.mkEnableOption "Container to update DNS records periodically with WebUI for many DNS providers";

    package = lib.mkPackageOption pkgs "ddns-updater" { };

    environment = lib.mkOption {
      type = lib.types.attrsOf lib.types.str;
      description = "Environment variables to be set for the ddns-updater service. DATADIR is ignored to enable using systemd DynamicUser. For full list see https://github.com/qdm12/ddns-updater";
      default = { };
    };
  };

  config = lib.mkIf cfg.enable {

    systemd.services.ddns-updater = {
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      environment = cfg.environment // {
        DATADIR = "%S/ddns-updater";
      };
      unitConfig = {
        Description = "DDNS-updater service";
      };
      serviceConfig = {
        TimeoutSec = "5min";
        ExecStart = lib.getExe cfg.package;
        RestartSec = 30;
        DynamicUser = true;
        StateDirectory = "ddns-updater";
        Restart = "on-failure";
      };
    };
  };
}
