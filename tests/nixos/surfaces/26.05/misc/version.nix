# nixos/modules/misc/version.nix, reduced.
# Text: nixfmt-era copy, read_file id 164408158 (repository not shown by the
# index); system.stateVersion is also in NixOS/nixpkgs@03a362f (id 5959632213,
# 2023) with the same type/default/apply. Not dated to 26.05: id 164408158
# is 24.11-era (SUPPORT_END = "2025-06-30"); the stateVersion option has not
# changed since 23.05 in any copy read [INFERENCE: same in 26.05].
# Transcribed exactly: system.stateVersion (type, default, apply with the
# "not set" warning), system.nixos.release (readOnly). Declared as in the
# text but only because other code reads them: nixos.version,
# nixos.versionSuffix, nixos.revision (set by nixpkgs' flake.nix
# nixosSystem), nixos.distroId (networking.hostName's default).
# Left out: codeName (the lib here is not 26.05's), distroName, vendor*,
# variant*, system.image.*, configurationRevision, boot.initrd.osRelease,
# /etc/os-release and /etc/lsb-release, label.nix.
{
  config,
  lib,
  options,
  # The release of this option surface, passed by tests/nixos/nixos.nix.
  # In nixpkgs the default is lib.trivial.release, i.e. the .version file
  # of the nixpkgs tree ("26.05" on release-26.05); the lib used here is
  # another release's, so the surface gives the release instead.
  nixosRelease,
  ...
}:

let
  cfg = config.system.nixos;
  opt = options.system.nixos;

  inherit (lib)
    literalExpression
    mkDefault
    mkOption
    trivial
    types
    ;
in
{
  options.system = {
    nixos = {
      version = mkOption {
        internal = true;
        type = types.str;
        description = "The full NixOS version (e.g. `16.03.1160.f2d4ee1`).";
      };

      release = mkOption {
        readOnly = true;
        type = types.str;
        # nixpkgs: default = trivial.release;
        default = nixosRelease;
        description = "The NixOS release (e.g. `16.03`).";
      };

      versionSuffix = mkOption {
        internal = true;
        type = types.str;
        default = trivial.versionSuffix;
        description = "The NixOS version suffix (e.g. `1160.f2d4ee1`).";
      };

      revision = mkOption {
        internal = true;
        type = types.nullOr types.str;
        default = trivial.revisionWithDefault null;
        description = "The Git revision from which this NixOS configuration was built.";
      };

      distroId = mkOption {
        internal = true;
        type = types.str;
        default = "nixos";
        description = "The id of the operating system";
      };
    };

    stateVersion = mkOption {
      type = types.str;
      # TODO Remove this and drop the default of the option so people are forced to set it.
      # Doing this also means fixing the comment in nixos/modules/testing/test-instrumentation.nix
      apply =
        v:
        lib.warnIf (options.system.stateVersion.highestPrio == (lib.mkOptionDefault { }).priority)
          "system.stateVersion is not set, defaulting to ${v}. Read why this matters on https://nixos.org/manual/nixos/stable/options.html#opt-system.stateVersion."
          v;
      default = cfg.release;
      defaultText = literalExpression "config.${opt.release}";
      description = ''
        This option defines the first version of NixOS you have installed on this particular machine,
        and is used to maintain compatibility with application data (e.g. databases) created on older NixOS versions.
      '';
    };
  };

  config = {
    system.nixos = {
      # These defaults are set here rather than up there so that
      # changing them would not rebuild the manual
      version = mkDefault (cfg.release + cfg.versionSuffix);
    };
  };
}
