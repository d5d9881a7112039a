# nixos/modules/services/networking/nftables.nix, reduced.
# Text: read_file id 260124407 (nixfmt, has flattenRulesetFile and
# checkRulesetRedirects; repository and commit not shown by the index). Not
# dated to 26.05 [INFERENCE: recent enough; enable/tables/rulesetFile are
# unchanged].
# Verbatim: enable, ruleset, rulesetFile, flattenRulesetFile, flushRuleset,
# extraDeletions, tables (with the table submodule), checkRuleset,
# preCheckRuleset, and the config: blacklisted ip_tables, the nftables
# package, the flushRuleset default, nftables.service with its scripts.
# Reduced: the rules script keeps its text but not its checkPhase (nft
# --check under libredirect/lkl from pkgs.buildPackages).
# Left out: checkRulesetRedirects (its default reads /etc/hosts, /etc/protocols
# and /etc/services from environment.etc, not transcribed).
# pkgs: pkgs.nftables.
{
  config,
  pkgs,
  lib,
  ...
}:
let
  cfg = config.networking.nftables;

  tableSubmodule =
    { name, ... }:
    {
      options = {
        enable = lib.mkOption {
          type = lib.types.bool;
          default = true;
          description = "Enable this table.";
        };

        name = lib.mkOption {
          type = lib.types.str;
          description = "Table name.";
        };

        content = lib.mkOption {
          type = lib.types.lines;
          description = "The table content.";
        };

        family = lib.mkOption {
          description = "Table family.";
          type = lib.types.enum [
            "ip"
            "ip6"
            "inet"
            "arp"
            "bridge"
            "netdev"
          ];
        };
      };

      config = {
        name = lib.mkDefault name;
      };
    };
in
{
  ###### interface

  options = {
    networking.nftables.enable = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Whether to enable nftables and use nftables based firewall if enabled.
        nftables is a Linux-based packet filtering framework intended to
        replace frameworks like iptables.
      '';
    };

    networking.nftables.checkRuleset = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Run `nft check` on the ruleset to spot syntax errors during build.";
    };

    networking.nftables.preCheckRuleset = lib.mkOption {
      type = lib.types.lines;
      default = "";
      description = "This script gets run before the ruleset is checked.";
    };

    networking.nftables.flushRuleset = lib.mkEnableOption "flushing the entire ruleset on each reload";

    networking.nftables.extraDeletions = lib.mkOption {
      type = lib.types.lines;
      default = "";
      description = ''
        Extra deletion commands to be run on every firewall start, reload
        and after stopping the firewall.
      '';
    };

    networking.nftables.ruleset = lib.mkOption {
      type = lib.types.lines;
      default = "";
      description = ''
        The ruleset to be used with nftables.  Should be in a format that
        can be loaded using "/bin/nft -f".  The ruleset is updated atomically.
      '';
    };
    networking.nftables.rulesetFile = lib.mkOption {
      type = lib.types.nullOr lib.types.path;
      default = null;
      description = ''
        The ruleset file to be used with nftables.  Should be in a format that
        can be loaded using "nft -f".  The ruleset is updated atomically.
      '';
    };

    networking.nftables.flattenRulesetFile = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Use `builtins.readFile` rather than `include` to handle {option}`networking.nftables.rulesetFile`.";
    };

    networking.nftables.tables = lib.mkOption {
      type = lib.types.attrsOf (lib.types.submodule tableSubmodule);

      default = { };

      description = ''
        Tables to be added to ruleset.
        Tables will be added together with delete statements to clean up the table before every update.
      '';
    };
  };

  ###### implementation

  config = lib.mkIf cfg.enable {
    boot.blacklistedKernelModules = [ "ip_tables" ];
    environment.systemPackages = [ pkgs.nftables ];
    # versionOlder for backportability, remove afterwards
    networking.nftables.flushRuleset = lib.mkDefault (
      lib.versionOlder config.system.stateVersion "23.11"
      || (cfg.rulesetFile != null || cfg.ruleset != "")
    );
    systemd.services.nftables = {
      description = "nftables firewall";
      after = [ "sysinit.target" ];
      before = [
        "network-pre.target"
        "shutdown.target"
      ];
      conflicts = [ "shutdown.target" ];
      wants = [
        "network-pre.target"
        "sysinit.target"
      ];
      wantedBy = [ "multi-user.target" ];
      reloadIfChanged = true;
      serviceConfig =
        let
          enabledTables = lib.filterAttrs (_: table: table.enable) cfg.tables;
          deletionsScript = pkgs.writeScript "nftables-deletions" ''
            #! ${pkgs.nftables}/bin/nft -f
            ${
              if cfg.flushRuleset then
                "flush ruleset"
              else
                lib.concatStringsSep "\n" (
                  lib.mapAttrsToList (_: table: ''
                    table ${table.family} ${table.name}
                    delete table ${table.family} ${table.name}
                  '') enabledTables
                )
            }
            ${cfg.extraDeletions}
          '';
          deletionsScriptVar = "/var/lib/nftables/deletions.nft";
          ensureDeletions = pkgs.writeShellScript "nftables-ensure-deletions" ''
            touch ${deletionsScriptVar}
            chmod +x ${deletionsScriptVar}
          '';
          saveDeletionsScript = pkgs.writeShellScript "nftables-save-deletions" ''
            cp ${deletionsScript} ${deletionsScriptVar}
          '';
          cleanupDeletionsScript = pkgs.writeShellScript "nftables-cleanup-deletions" ''
            rm ${deletionsScriptVar}
          '';
          rulesScript = pkgs.writeTextFile {
            name = "nftables-rules";
            executable = true;
            text = ''
              #! ${pkgs.nftables}/bin/nft -f
              # previous deletions, if any
              include "${deletionsScriptVar}"
              # current deletions
              include "${deletionsScript}"
              ${lib.concatStringsSep "\n" (
                lib.mapAttrsToList (_: table: ''
                  table ${table.family} ${table.name} {
                    ${table.content}
                  }
                '') enabledTables
              )}
              ${cfg.ruleset}
              ${
                if cfg.rulesetFile != null then
                  if cfg.flattenRulesetFile then
                    builtins.readFile cfg.rulesetFile
                  else
                    ''
                      include "${cfg.rulesetFile}"
                    ''
                else
                  ""
              }
            '';
            # checkPhase left out (see the header).
          };
        in
        {
          Type = "oneshot";
          RemainAfterExit = true;
          ExecStart = [
            ensureDeletions
            rulesScript
          ];
          ExecStartPost = saveDeletionsScript;
          ExecReload = [
            ensureDeletions
            rulesScript
            saveDeletionsScript
          ];
          ExecStop = [
            deletionsScriptVar
            cleanupDeletionsScript
          ];
          StateDirectory = "nftables";
        };
      unitConfig.DefaultDependencies = false;
    };
  };
}
