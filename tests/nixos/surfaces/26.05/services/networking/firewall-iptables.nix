# nixos/modules/services/networking/firewall-iptables.nix, reduced.
# Text: NixOS/nixpkgs@0d953321a18cf484b637b9932f8b3040bbfb11e3 (read_file id
# 53236638555, read in full). Dated by content: gated on `cfg.backend ==
# "iptables"` (25.11+), DHCP rules for vmspawn (vt-+) and nsresourced (ns-+)
# from systemd ≥ 258: late 2025 or later.
# Verbatim: extraCommands, extraStopCommands, the gate, the rpfilter
# assertion, the checkReversePath default, environment.systemPackages, and
# firewall.service's unit settings.
# Reduced: the start/stop/reload scripts (firewall-start etc., with
# helpers.nix) are NOT transcribed; stand-ins of the same names carry only
# cfg.extraCommands (start, reload) and cfg.extraStopCommands (stop, reload).
# Note: there is no assertion about extraInputRules here; under the iptables
# backend it is silently ignored.
# pkgs: kernelHasRPFilter reads config.boot.kernelPackages.kernel
# (pkgs.linuxPackages by default: kernel.config.isEnabled, kernel.features);
# pkgs.nixos-firewall-tool.
{
  config,
  lib,
  pkgs,
  ...
}:
let

  cfg = config.networking.firewall;

  inherit (config.boot.kernelPackages) kernel;

  kernelHasRPFilter =
    ((kernel.config.isEnabled or (x: false)) "IP_NF_MATCH_RPFILTER")
    || (kernel.features.netfilterRPFilter or false);

  # Stand-ins (see the header); nixpkgs: pkgs.writeScriptBin with
  # "#! ${pkgs.runtimeShell} -e" and the full rule set.
  writeShScript =
    name: text:
    let
      dir = pkgs.writeShellScriptBin name text;
    in
    "${dir}/bin/${name}";

  startScript = writeShScript "firewall-start" ''
    ${cfg.extraCommands}
  '';

  stopScript = writeShScript "firewall-stop" ''
    ${cfg.extraStopCommands}
  '';

  reloadScript = writeShScript "firewall-reload" ''
    ${cfg.extraStopCommands}

    if ${startScript}; then
      true
    else
      ${stopScript}
      exit 1
    fi
  '';

in

{
  options = {
    networking.firewall = {
      extraCommands = lib.mkOption {
        type = lib.types.lines;
        default = "";
        example = "iptables -A INPUT -p icmp -j ACCEPT";
        description = ''
          Additional shell commands executed as part of the firewall
          initialisation script.  These are executed just before the
          final "reject" firewall rule is added, so they can be used
          to allow packets that would otherwise be refused.

          This option only works with the iptables based firewall.
        '';
      };

      extraStopCommands = lib.mkOption {
        type = lib.types.lines;
        default = "";
        example = "iptables -P INPUT ACCEPT";
        description = ''
          Additional shell commands executed as part of the firewall
          shutdown script.  These are executed just after the removal
          of the NixOS input rule, or if the service enters a failed
          state.

          This option only works with the iptables based firewall.
        '';
      };
    };
  };

  # FIXME: Maybe if `enable' is false, the firewall should still be
  # built but not started by default?
  config = lib.mkIf (cfg.enable && cfg.backend == "iptables") {
    assertions = [
      # This is approximately "checkReversePath -> kernelHasRPFilter",
      # but the checkReversePath option can include non-boolean
      # values.
      {
        assertion = cfg.checkReversePath == false || kernelHasRPFilter;
        message = "This kernel does not support rpfilter";
      }
    ];

    networking.firewall.checkReversePath = lib.mkIf (!kernelHasRPFilter) (lib.mkDefault false);

    environment.systemPackages = [ pkgs.nixos-firewall-tool ];

    systemd.services.firewall = {
      description = "Firewall";
      wantedBy = [ "sysinit.target" ];
      wants = [ "network-pre.target" ];
      after = [ "systemd-modules-load.service" ];
      before = [
        "network-pre.target"
        "shutdown.target"
      ];
      conflicts = [ "shutdown.target" ];

      path = [ cfg.package ] ++ cfg.extraPackages;

      # FIXME: this module may also try to load kernel modules, but
      # containers don't have CAP_SYS_MODULE.  So the host system had
      # better have all necessary modules already loaded.
      unitConfig.ConditionCapability = "CAP_NET_ADMIN";
      unitConfig.DefaultDependencies = false;

      reloadIfChanged = true;

      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = "@${startScript} firewall-start";
        ExecReload = "@${reloadScript} firewall-reload";
        ExecStop = "@${stopScript} firewall-stop";
      };
    };
  };
}
