# What every example VM needs to build: a disk, a boot loader, a state
# version. Real sites replace this with their own hardware module.
{ modulesPath, ... }:
{
  imports = [ "${modulesPath}/profiles/qemu-guest.nix" ];
  boot.loader.grub.device = "/dev/vda";
  fileSystems."/" = {
    device = "/dev/vda1";
    fsType = "ext4";
  };
  services.openssh.enable = true;
  # The release the VM was first installed with; keep it when upgrading
  # NixOS (it selects, among others, Dovecot 2.4 from 26.05 on).
  system.stateVersion = "26.05";
}
