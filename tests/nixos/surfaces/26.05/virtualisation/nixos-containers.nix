# nixos/modules/virtualisation/nixos-containers.nix, reduced to
# boot.isContainer and boot.isNspawnContainer.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62095785794, the options part read). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header).
# Verbatim: the two options (the source has `with lib;`; here the names are
# prefixed with `lib.`). boot.isContainer is read by
# system/boot/loader/grub/grub.nix and system/boot/stage-1.nix.
# Left out: boot.enableContainers, containers.* and the container units.
{ config, lib, ... }:
{
  options = {

    boot.isContainer = lib.mkOption {
      default = config.boot.isNspawnContainer;
      defaultText = "config.boot.isNspawnContainer";

      description = ''
        Whether this NixOS machine is a lightweight container running
        in another NixOS system.
      '';

      type = lib.types.bool;
    };

    boot.isNspawnContainer = lib.mkOption {
      default = false;

      description = ''
        Whether the machine is running in an nspawn container. This
        option is added because [](#opt-boot.isContainer) is heavily used
        for non-nspawn environments as well, hence nspawn-specific settings
        are guarded by this option.
      '';

      type = lib.types.bool;
    };

  };
}
