# nixos/modules/system/boot/stage-1.nix (the scripted initrd), reduced.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62202936298, read in full). Dated to 26.05 by content: the
# warning that the scripted initrd is deprecated "and scheduled for removal
# in 26.11. See the NixOS 26.05 release notes.", whose highlights say that
# stage 1 is now based on systemd by default (rl-2605 of
# siraben/nixpkgs@629005dd, read_file id 59991516509); also as that
# snapshot's security/acme/default.nix (see its header).
# Verbatim: boot.initrd.enable, fileSystems.<name>.neededForBoot, and under
# `mkIf config.boot.initrd.enable` the root file system assertion (only
# with the scripted initrd: `!config.boot.initrd.systemd.enable -> …`) and
# the deprecation warning.
# Deviation: nixpkgs takes the file systems from config.system.build.fileSystems
# (tasks/filesystems.nix's topologically sorted list, not built here); this
# uses attrValues config.fileSystems, the same file systems unsorted, which
# `any` does not mind.
# Left out: every other option (compressor, secrets, extraUtilsCommands,
# postDeviceCommands, resumeDevice, …), the other two assertions (resume
# device, initrd secrets), the initrd itself (extraUtils, bootStage1,
# makeInitrd, system.build.*), boot.initrd.supportedFilesystems,
# system.requiredKernelConfig.
{
  config,
  lib,
  utils,
  ...
}:

with lib;

let

  # The initrd only has to mount `/` or any FS marked as necessary for
  # booting (such as the FS containing `/nix/store`, or an FS needed for
  # mounting `/`, like `/` on a loopback).
  fileSystems = filter utils.fsNeededForBoot (attrValues config.fileSystems);

in

{

  options = {

    boot.initrd.enable = mkOption {
      default = !config.boot.isContainer;
      defaultText = literalExpression "!config.boot.isContainer";

      description = ''
        Whether to enable the NixOS initial RAM disk (initrd). This may be
        needed to perform some initialisation tasks (like mounting
        network/encrypted file systems) before continuing the boot process.
      '';

      type = types.bool;
    };

    fileSystems = mkOption {
      type =
        with lib.types;
        attrsOf (submodule {
          options.neededForBoot = mkOption {
            default = false;

            description = ''
              If set, this file system will be mounted in the initial ramdisk.
              Note that the file system will always be mounted in the initial
              ramdisk if its mount point is one of the following:
              ${concatStringsSep ", " (forEach utils.pathsNeededForBoot (i: "{file}`${i}`"))}.
            '';

            type = types.bool;
          };
        });
    };

  };

  config = mkIf config.boot.initrd.enable {
    assertions = [
      {
        assertion = !config.boot.initrd.systemd.enable -> any (fs: fs.mountPoint == "/") fileSystems;
        message = "The ‘fileSystems’ option does not specify your root file system.";
      }
    ];

    warnings = lib.optional (!config.boot.initrd.systemd.enable) ''
      Scripted initrd is deprecated and scheduled for removal in 26.11. See the NixOS 26.05 release notes.
    '';
  };
}
