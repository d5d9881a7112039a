# nixos/modules/misc/nixpkgs.nix, reduced to what reaches other modules:
# `nixpkgs.config` and the platform options choose the package set, which
# modules get as the `pkgs` argument.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62402805188, read in full). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header).
# Verbatim: mergeConfig and configType (so definitions of nixpkgs.config
# merge as in nixpkgs: attribute sets recursively, a list in a later
# definition replacing an earlier one, except allowUnfreePackages),
# nixpkgs.config, nixpkgs.hostPlatform (no default; apply
# lib.systems.elaborate), nixpkgs.localSystem (default { inherit system; },
# apply lib.systems.elaborate; description shortened).
# Deviations:
# - nixpkgs.system: nixpkgs' default throws unless the option is set;
#   nixos/lib/eval-config.nix sets it with mkDefault from its `system`
#   argument (builtins.currentSystem unless given), which the harness
#   (tests/nixos/nixos.nix) does not do, so here the default is
#   "x86_64-linux". The flake's nixosSystem stand-in sets it with mkDefault,
#   as nixpkgs' flake.nix does.
# - pkgs: instead of importing nixpkgs, tests/nixos/fake-pkgs.nix of this
#   surface's release, for the system nixpkgs would import for
#   (hostPlatform if defined, else localSystem; no cross compilation).
#   `testing.fakePkgs.overrides` is the harness's own option.
# Left out: overlays, buildPlatform, crossSystem, nixpkgs.pkgs, the
# assertions (platform and legacy-option checks), the removed-option module.
{
  config,
  lib,
  pkgs,
  options,
  ...
}:
let
  cfg = config.nixpkgs;
  opt = options.nixpkgs;

  isConfig = x: builtins.isAttrs x || lib.isFunction x;

  optCall = f: x: if lib.isFunction f then f x else f;

  mergeConfig =
    lhs_: rhs_:
    let
      lhs = optCall lhs_ { inherit lib pkgs; };
      rhs = optCall rhs_ { inherit lib pkgs; };
    in
    lib.recursiveUpdate lhs rhs
    // lib.optionalAttrs (lhs ? allowUnfreePackages) {
      allowUnfreePackages = lhs.allowUnfreePackages ++ (lib.attrByPath [ "allowUnfreePackages" ] [ ] rhs);
    }
    // lib.optionalAttrs (lhs ? packageOverrides) {
      packageOverrides =
        pkgs:
        optCall lhs.packageOverrides pkgs // optCall (lib.attrByPath [ "packageOverrides" ] { } rhs) pkgs;
    }
    // lib.optionalAttrs (lhs ? perlPackageOverrides) {
      perlPackageOverrides =
        pkgs:
        optCall lhs.perlPackageOverrides pkgs
        // optCall (lib.attrByPath [ "perlPackageOverrides" ] { } rhs) pkgs;
    };

  configType = lib.mkOptionType {
    check =
      x:
      let
        traceXIfNot = c: if c x then true else lib.traceSeqN 1 x false;
      in
      traceXIfNot isConfig;

    description = "nixpkgs config";
    merge = args: lib.foldr (def: mergeConfig def.value) { };
    name = "nixpkgs-config";
  };

  # Deviation (see the header): the system nixpkgs would be imported for.
  pkgsSystem =
    if opt.hostPlatform.isDefined then cfg.hostPlatform.system else cfg.localSystem.system;
in
{
  options.nixpkgs = {

    config = lib.mkOption {
      default = { };

      description = ''
        Global configuration for Nixpkgs.
        The complete list of [Nixpkgs configuration options](https://nixos.org/manual/nixpkgs/unstable/#sec-config-options-reference) is in the [Nixpkgs manual section on global configuration](https://nixos.org/manual/nixpkgs/unstable/#chap-packageconfig).

        Ignored when {option}`nixpkgs.pkgs` is set.
      '';

      example = lib.literalExpression ''
        { allowBroken = true; allowUnfree = true; }
      '';

      type = configType;
    };

    hostPlatform = lib.mkOption {
      # Make sure that the final value has all fields for sake of other modules
      # referring to this. TODO make `lib.systems` itself use the module system.
      apply = lib.systems.elaborate;

      description = ''
        Specifies the platform where the NixOS configuration will run.

        To cross-compile, set also `nixpkgs.buildPlatform`.

        Ignored when `nixpkgs.pkgs` is set.
      '';

      example = {
        system = "aarch64-linux";
      };

      type = lib.types.either lib.types.str lib.types.attrs; # TODO utilize lib.systems.parsedPlatform
    };

    localSystem = lib.mkOption {
      # Make sure that the final value has all fields for sake of other modules
      # referring to this. TODO make `lib.systems` itself use the module system.
      apply = lib.systems.elaborate;
      default = { inherit (cfg) system; };
      defaultText = lib.literalExpression "config.nixpkgs.system";

      description = "The platform on which NixOS should be built (see the nixpkgs option's description).";

      example = {
        system = "aarch64-linux";
      };

      type = lib.types.attrs; # TODO utilize lib.systems.parsedPlatform
    };

    # Deviation (see the header): the default.
    system = lib.mkOption {
      default = "x86_64-linux";
      description = "The Nix platform type on which NixOS should be built (legacy; see nixpkgs.hostPlatform).";
      example = "i686-linux";
      type = lib.types.str;
    };
  };

  options.testing.fakePkgs.overrides = lib.mkOption {
    type = lib.types.attrsOf lib.types.anything;
    default = { };
    internal = true;
    description = "Per-package attributes the test harness overrides in the fake package set.";
  };

  config._module.args.pkgs = import ../../../fake-pkgs.nix {
    inherit lib;
    release = config.system.nixos.release;
    config = cfg.config;
    system = pkgsSystem;
    overrides = config.testing.fakePkgs.overrides;
    runNixOSTest = config.testing.runNixOSTest;
  };
}
