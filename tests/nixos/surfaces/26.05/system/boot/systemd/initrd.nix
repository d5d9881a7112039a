# nixos/modules/system/boot/systemd/initrd.nix (systemd in stage 1), reduced.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62081827112, the options and the assertions read). Dated
# to 26.05 as system/boot/stage-1.nix (same snapshot): `enable` defaults to
# true, as the 26.05 release notes announce (stage 1 based on systemd by
# default; rl-2605 of siraben/nixpkgs@629005dd, read_file id 59991516509).
# Verbatim: boot.initrd.systemd.enable, boot.initrd.systemd.root, and under
# `mkIf (config.boot.initrd.enable && cfg.enable)` the root file system
# assertion.
# Left out: every other option (services, contents, storePaths, units,
# emergencyAccess, …), the assertions on the scripted-only options
# (preDeviceCommands, extraUtilsCommands, …: not declared here), the initrd
# units and files, the removed-option modules.
{
  config,
  lib,
  ...
}:

let
  inherit (lib)
    mkEnableOption
    mkIf
    any
    ;

  cfg = config.boot.initrd.systemd;
in
{
  options.boot.initrd.systemd = {
    enable = mkEnableOption "systemd in initrd" // {
      default = true;

      description = ''
        Whether to enable systemd in initrd. The unit options such as
        {option}`boot.initrd.systemd.services` are the same as their
        stage 2 counterparts such as {option}`systemd.services`,
        except that `restartTriggers` and `reloadTriggers` are not
        supported.
      '';
    };

    root = lib.mkOption {
      default = "fstab";

      description = ''
        Controls how systemd will interpret the root FS in initrd. See
        {manpage}`kernel-command-line(7)`. NixOS currently does not
        allow specifying the root file system itself this
        way. Instead, the `fstab` value is used in order to interpret
        the root file system specified with the `fileSystems` option.
        If root shall be omitted, set this option to `null`.
      '';

      example = "gpt-auto";

      type = lib.types.nullOr (
        lib.types.enum [
          "fstab"
          "gpt-auto"
        ]
      );
    };
  };

  config = mkIf (config.boot.initrd.enable && cfg.enable) {
    assertions = [
      {
        assertion =
          cfg.root == "fstab" -> any (fs: fs.mountPoint == "/") (builtins.attrValues config.fileSystems);

        message = "The ‘fileSystems’ option does not specify your root file system.";
      }
    ];
  };
}
