# (surface) nixos/modules/profiles/qemu-guest.nix, verbatim content.
# Text: infinixbot/nixpkgs@4998c0ab04bfa1944aa1194897b70b5378e5b304
# (read_file id 33800346659); the older NixOS/nixpkgs@07320da (id 267380079)
# has the same lists. The second list is written one element per line as
# nixfmt-rfc-style formats it [MEMORY: the 26.05 file's exact layout was not
# read]. Not dated to 26.05 [INFERENCE: the lists have not changed in years].
# Left out: nothing.

# Common configuration for virtual machines running under QEMU (using
# virtio).

{ ... }:

{
  boot.initrd.availableKernelModules = [
    "virtio_net"
    "virtio_pci"
    "virtio_mmio"
    "virtio_blk"
    "virtio_scsi"
    "9p"
    "9pnet_virtio"
  ];
  boot.initrd.kernelModules = [
    "virtio_balloon"
    "virtio_console"
    "virtio_rng"
    "virtio_gpu"
  ];
}
