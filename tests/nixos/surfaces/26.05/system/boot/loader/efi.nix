# nixos/modules/system/boot/loader/efi.nix, verbatim.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62043084058, read in full). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header). Read by
# system/boot/loader/grub/grub.nix.
# Left out: nothing.
{ lib, ... }:
{
  options.boot.loader.efi = {

    canTouchEfiVariables = lib.mkOption {
      default = false;
      description = "Whether the installation process is allowed to modify EFI boot variables.";
      type = lib.types.bool;
    };

    efiSysMountPoint = lib.mkOption {
      default = "/boot";
      description = "Where the EFI System Partition is mounted.";
      type = lib.types.str;
    };
  };
}
