# nixos/modules/services/networking/firewall.nix, nearly whole.
# Text: NixOS/nixpkgs@0192bb844360b5b42ebaf7f575f84d79910a5927 (read_file id
# 52476772865, read in full). Dated by content: it has `backend` with
# "firewalld" (25.11+, so in 26.05) and filterOutput (PR #404072; whether it
# was merged before the 26.05 branch-off is not established).
# Verbatim: every option (descriptions shortened to one line where long),
# canonicalizePortList (apply = unique ∘ sort on the port lists), the
# assertions, trustedInterfaces "lo", environment.systemPackages,
# boot.kernelModules.
# Sink: services.firewalld.enable (services/networking/firewalld/, not
# transcribed), declared loosely here because `backend`'s default reads it.
# Left out: boot.extraModprobeConfig (system/boot/modprobe.nix is not
# transcribed; it is "" unless autoLoadConntrackHelpers).
# pkgs: package defaults to pkgs.iptables or pkgs.nftables (forced with
# environment.systemPackages).
{
  config,
  lib,
  pkgs,
  ...
}:
let

  cfg = config.networking.firewall;

  canonicalizePortList = ports: lib.unique (builtins.sort builtins.lessThan ports);

  commonOptions = direction: {
    allowedTCPPorts = lib.mkOption {
      type = lib.types.listOf lib.types.port;
      default = [ ];
      apply = canonicalizePortList;
      example = [
        22
        80
      ];
      description = ''
        List of TCP ports on which ${direction} connections are
        accepted.
      '';
    };

    allowedTCPPortRanges = lib.mkOption {
      type = lib.types.listOf (lib.types.attrsOf lib.types.port);
      default = [ ];
      example = [
        {
          from = 8999;
          to = 9003;
        }
      ];
      description = ''
        A range of TCP ports on which ${direction} connections are
        accepted.
      '';
    };

    allowedUDPPorts = lib.mkOption {
      type = lib.types.listOf lib.types.port;
      default = [ ];
      apply = canonicalizePortList;
      example = [ 53 ];
      description = ''
        List of UDP ports on which ${direction} packets are
        accepted.
      '';
    };

    allowedUDPPortRanges = lib.mkOption {
      type = lib.types.listOf (lib.types.attrsOf lib.types.port);
      default = [ ];
      example = [
        {
          from = 60000;
          to = 61000;
        }
      ];
      description = ''
        A range of UDP ports on which ${direction} UDP packets are
        accepted.
      '';
    };
  };

  commonOptionsIncoming = commonOptions "incoming";
  commonOptionsOutgoing = commonOptions "outgoing";

  filterOutputOptions = {
    enabled = lib.mkEnableOption "filtering for outgoing traffic";

    interfaces = lib.mkOption {
      default = { };
      type = with lib.types; attrsOf (submodule [ { options = commonOptionsOutgoing; } ]);
      description = ''
        Interface-specific allowed outgoing ports.
      '';
    };

    trustedInterfaces = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "enp0s2" ];
      description = ''
        Traffic leaving via these interfaces will be accepted
        unconditionally. Traffic going into the loopback (lo)
        interface will always be accepted.
      '';
    };

    extraRules = lib.mkOption {
      type = lib.types.lines;
      default = "";
      example = "oifname wg0 accept";
      description = ''
        Additional nftables rules to be appended to the output-allow
        chain.

        This option only works with the nftables based firewall.
      '';
    };

    allInterfaces = lib.mkOption {
      internal = true;
      visible = false;
      default = {
        default = lib.mapAttrs (name: value: cfg.filterOutput.${name}) commonOptionsOutgoing;
      }
      // cfg.filterOutput.interfaces;
      type = with lib.types; attrsOf (submodule [ { options = commonOptionsOutgoing; } ]);
      description = ''
        All open ports.
      '';
    };
  }
  // commonOptionsOutgoing;
in

{
  options = {
    # sink: declared loosely, not transcribed (services/networking/firewalld)
    services.firewalld.enable = lib.mkEnableOption "firewalld";

    networking.firewall = {
      enable = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = ''
          Whether to enable the firewall.  This is a simple stateful
          firewall that blocks connection attempts to unauthorised TCP
          or UDP ports on this machine.
        '';
      };

      backend = lib.mkOption {
        type = lib.types.enum [
          "iptables"
          "nftables"
          "firewalld"
        ];
        default =
          if config.services.firewalld.enable then
            "firewalld"
          else if config.networking.nftables.enable then
            "nftables"
          else
            "iptables";
        defaultText = lib.literalExpression ''
          if config.services.firewalld.enable then
            "firewalld"
          else if config.networking.nftables.enable then
            "nftables"
          else
            "iptables"
        '';
        description = ''
          Underlying implementation for the firewall service.
        '';
      };

      package = lib.mkOption {
        type = lib.types.package;
        default = if config.networking.nftables.enable then pkgs.nftables else pkgs.iptables;
        defaultText = lib.literalExpression ''if config.networking.nftables.enable then "pkgs.nftables" else "pkgs.iptables"'';
        example = lib.literalExpression "pkgs.iptables-legacy";
        description = ''
          The package to use for running the firewall service.
        '';
      };

      logRefusedConnections = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "Whether to log rejected or dropped incoming connections.";
      };

      logRefusedPackets = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "Whether to log all rejected or dropped incoming packets.";
      };

      logRefusedUnicastsOnly = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = "If logRefusedPackets and this option are enabled, only log unicast packets.";
      };

      rejectPackets = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "If set, refused packets are rejected rather than dropped (ignored).";
      };

      trustedInterfaces = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        example = [ "enp0s2" ];
        description = ''
          Traffic coming in from these interfaces will be accepted
          unconditionally.  Traffic from the loopback (lo) interface
          will always be accepted.
        '';
      };

      allowPing = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = "Whether to respond to incoming ICMPv4 echo requests (\"pings\").";
      };

      pingLimit = lib.mkOption {
        type = lib.types.nullOr (lib.types.separatedString " ");
        default = null;
        example = "--limit 1/minute --limit-burst 5";
        description = "If pings are allowed, this allows setting rate limits on them.";
      };

      checkReversePath = lib.mkOption {
        type = lib.types.either lib.types.bool (
          lib.types.enum [
            "strict"
            "loose"
          ]
        );
        default = true;
        defaultText = lib.literalMD "`true` except if the iptables based firewall is in use and the kernel lacks rpfilter support";
        example = "loose";
        description = "Performs a reverse path filter test on a packet.";
      };

      logReversePathDrops = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "Logs dropped packets failing the reverse path filter test.";
      };

      filterOutput = lib.mkOption {
        type = lib.types.submodule { options = filterOutputOptions; };
        default = { };
        description = ''
          Configure firewall for outgoing packages.

          This option only works with the nftables based firewall.
        '';
      };

      filterForward = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = ''
          Enable filtering in IP forwarding.

          This option only works with the nftables based firewall.
        '';
      };

      connectionTrackingModules = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        description = "List of connection-tracking helpers that are auto-loaded.";
      };

      autoLoadConntrackHelpers = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "Whether to auto-load connection-tracking helpers.";
      };

      extraPackages = lib.mkOption {
        type = lib.types.listOf lib.types.package;
        default = [ ];
        example = lib.literalExpression "[ pkgs.ipset ]";
        description = ''
          Additional packages to be included in the environment of the system
          as well as the path of networking.firewall.extraCommands.
        '';
      };

      interfaces = lib.mkOption {
        default = { };
        type = with lib.types; attrsOf (submodule [ { options = commonOptionsIncoming; } ]);
        description = ''
          Interface-specific open ports.
        '';
      };

      allInterfaces = lib.mkOption {
        internal = true;
        visible = false;
        default = {
          default = lib.mapAttrs (name: value: cfg.${name}) commonOptionsIncoming;
        }
        // cfg.interfaces;
        type = with lib.types; attrsOf (submodule [ { options = commonOptionsIncoming; } ]);
        description = ''
          All open ports.
        '';
      };
    }
    // commonOptionsIncoming;
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.filterForward -> config.networking.nftables.enable;
        message = "filterForward only works with the nftables based firewall";
      }
      {
        assertion = cfg.filterOutput.enabled -> config.networking.nftables.enable;
        message = "filterOutput.enabled only works with the nftables based firewall";
      }
      {
        assertion =
          cfg.autoLoadConntrackHelpers -> lib.versionOlder config.boot.kernelPackages.kernel.version "6";
        message = "conntrack helper autoloading has been removed from kernel 6.0 and newer";
      }
    ];

    networking.firewall.trustedInterfaces = [ "lo" ];
    networking.firewall.filterOutput.trustedInterfaces = [ "lo" ];

    environment.systemPackages = [ cfg.package ] ++ cfg.extraPackages;

    boot.kernelModules =
      (lib.optional cfg.autoLoadConntrackHelpers "nf_conntrack")
      ++ map (x: "nf_conntrack_${x}") cfg.connectionTrackingModules;
  };
}
