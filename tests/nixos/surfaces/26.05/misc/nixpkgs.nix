# nixos/modules/misc/nixpkgs.nix, reduced to what reaches other modules:
# `nixpkgs.config` and `nixpkgs.system`/`hostPlatform` choose the package
# set, which modules get as the `pkgs` argument. Here the package set is
# tests/nixos/fake-pkgs.nix of this surface's release instead of nixpkgs.
# Not transcribed: overlays, crossSystem, nixpkgs.pkgs, the platform
# checks. `testing.fakePkgs.overrides` is the harness's own option.
{
  config,
  lib,
  ...
}:
let
  cfg = config.nixpkgs;
in
{
  options.nixpkgs = {
    config = lib.mkOption {
      type = lib.types.attrsOf lib.types.anything;
      default = { };
      example = {
        permittedInsecurePackages = [ "opendkim-2.11.0-Beta2" ];
      };
      description = "The configuration of the Nix Packages collection.";
    };
    system = lib.mkOption {
      type = lib.types.str;
      default = "x86_64-linux";
      description = "The system the configuration is built for (legacy; see hostPlatform).";
    };
    hostPlatform = lib.mkOption {
      type = lib.types.either lib.types.str (lib.types.attrsOf lib.types.anything);
      default = cfg.system;
      apply = platform: if builtins.isString platform then { system = platform; } else platform;
      description = "The platform the configuration runs on.";
    };
    flake.source = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      description = "The path of the nixpkgs flake the system was built from.";
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
    system = cfg.hostPlatform.system;
    overrides = config.testing.fakePkgs.overrides;
    runNixOSTest = config.testing.runNixOSTest;
  };
}
