# nixos/modules/system/activation/top-level.nix and nixos/modules/system/build.nix,
# reduced to the assertion/warning gate.
# Texts: top-level.nix from read_file id 62312138278 (nixfmt, has
# system.nixos-init, system.replaceDependencies, __structuredAttrs: 25.11+;
# repository not shown by the index): `baseSystemAssertWarn =
# lib.asserts.checkAssertWarn config.assertions config.warnings baseSystem`,
# verbatim. lib.asserts.checkAssertWarn is the real lib's: failedAssertions =
# map (x: x.message) (filter (x: !x.assertion) assertions); if any, throw
# "\nFailed assertions:\n- …", else lib.showWarnings warnings. build.nix from
# read_file id 1119565929 (lib.mdDoc era; the option is unchanged since).
# Not dated to 26.05 [INFERENCE: the gate is the same in 26.05].
# Deviations: baseSystem is a fake derivation (pkgs.runCommand of the fake
# package set) instead of the real system builder; its name uses
# system.nixos.version where nixpkgs uses system.nixos.label (equal when no
# label tags are set). system.build.vm belongs to
# virtualisation/build-vm.nix (vmVariant); here it is a fake derivation behind
# the same gate [INFERENCE: building the VM evaluates the variant's toplevel,
# hence its assertions]. system.checks is declared (verbatim) but, as the
# builder is fake, its packages are not built.
# Left out: the system builder, replaceDependencies, includeBuildDependencies,
# extraDependencies, forbiddenDependenciesRegexes,
# copySystemConfiguration and its assertion, system.boot.loader.*,
# systemBuilderArgs/Commands, specialisations.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  baseSystem = pkgs.runCommand "nixos-system-${config.system.name}-${config.system.nixos.version}" { } "";

  # Handle assertions and warnings
  baseSystemAssertWarn = lib.asserts.checkAssertWarn config.assertions config.warnings baseSystem;
in

{
  imports = [
    # nixos/modules/system/build.nix (imported by top-level.nix as ../build.nix)
    {
      options = {

        system.build = lib.mkOption {
          default = { };
          description = ''
            Attribute set of derivations used to set up the system.
          '';
          type = lib.types.submoduleWith {
            modules = [
              {
                freeformType = with lib.types; lazyAttrsOf (uniq unspecified);
              }
            ];
          };
        };

      };
    }
  ];

  options = {

    system.build.toplevel = lib.mkOption {
      description = ''
        This option contains the store path that typically represents a NixOS system.

        You can read this path in a custom deployment tool for example.
      '';

      readOnly = true;
      type = lib.types.package;
    };

    system.checks = lib.mkOption {
      default = [ ];

      description = ''
        Packages that are added as dependencies of the system's build, usually
        for the purpose of validating some part of the configuration.

        Unlike `system.extraDependencies`, these store paths do not
        become part of the built system configuration.
      '';

      type = lib.types.listOf lib.types.package;
    };

    system.name = lib.mkOption {
      default = if config.networking.hostName == "" then "unnamed" else config.networking.hostName;

      defaultText = lib.literalExpression ''
        if config.networking.hostName == ""
        then "unnamed"
        else config.networking.hostName;
      '';

      description = ''
        The name of the system used in the {option}`system.build.toplevel` derivation.
      '';

      type = lib.types.str;
    };

  };

  config = {
    system.build.toplevel = baseSystemAssertWarn;

    # virtualisation/build-vm.nix (fake, see the header).
    system.build.vm = lib.asserts.checkAssertWarn config.assertions config.warnings (
      pkgs.runCommand "nixos-vm" { } ""
    );
  };
}
