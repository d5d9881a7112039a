# nixos/modules/system/boot/kernel.nix, reduced.
# Text: read_file id 36932984228 (nixfmt, has boot.kernel.enable and
# `apply = lib.unique` on the module lists; recent master, repository not
# shown by the index). Whether `apply = lib.unique` is already in 26.05 is
# not established (older texts, e.g. id 21510051, have no apply).
# Verbatim: boot.kernel.enable, boot.kernelParams, boot.extraModulePackages,
# boot.kernelModules, boot.initrd.availableKernelModules,
# boot.initrd.kernelModules, and the default module lists of the config.
# Reduced: boot.kernelPackages keeps type and default (pkgs.linuxPackages)
# but not its apply (which re-overrides the kernel with boot.kernelPatches
# and boot.kernel.features).
# Sink: boot.blacklistedKernelModules (system/boot/modprobe.nix, not
# transcribed; set by networking/nftables.nix), declared loosely.
# Left out: boot.kernel.features, kernelPatches, randstructSeed,
# system.modulesTree, sysctl, the kernel config checks.
# pkgs: the x86 module list reads pkgs.stdenv.hostPlatform.isx86;
# boot.kernelPackages.kernel (pkgs.linuxPackages) is read by the iptables
# firewall (rpfilter support).
{
  config,
  pkgs,
  lib,
  ...
}:
{
  options = {
    boot.kernel.enable =
      lib.mkEnableOption "the Linux kernel. This is useful for systemd-like containers which do not require a kernel"
      // {
        default = true;
      };

    boot.kernelPackages = lib.mkOption {
      default = pkgs.linuxPackages;
      type = lib.types.raw;
      # We don't want to evaluate all of linuxPackages for the manual
      # - some of it might not even evaluate correctly.
      defaultText = lib.literalExpression "pkgs.linuxPackages";
      example = lib.literalExpression "pkgs.linuxKernel.packages.linux_5_10";
      description = "This option allows you to override the Linux kernel used by NixOS.";
    };

    boot.kernelParams = lib.mkOption {
      type = lib.types.listOf (
        lib.types.strMatching ''([^"[:space:]]|"[^"]*")+''
        // {
          name = "kernelParam";
          description = "string, with spaces inside double quotes";
        }
      );
      default = [ ];
      description = "Parameters added to the kernel command line.";
    };

    boot.extraModulePackages = lib.mkOption {
      type = with lib.types; listOf package;
      default = [ ];
      example = lib.literalExpression "[ config.boot.kernelPackages.nvidia_x11 ]";
      description = "A list of additional packages supplying kernel modules.";
    };

    boot.kernelModules = lib.mkOption {
      type = with lib.types; listOf str;
      default = [ ];
      apply = lib.unique;
      description = ''
        The set of kernel modules to be loaded in the second stage of
        the boot process.  Note that modules that are needed to
        mount the root file system should be added to
        {option}`boot.initrd.availableKernelModules` or
        {option}`boot.initrd.kernelModules`.
      '';
    };

    boot.initrd.availableKernelModules = lib.mkOption {
      type = with lib.types; listOf str;
      default = [ ];
      apply = lib.unique;
      example = [
        "sata_nv"
        "ext3"
      ];
      description = "The set of kernel modules in the initial ramdisk used during the boot process.";
    };

    boot.initrd.kernelModules = lib.mkOption {
      type = with lib.types; listOf str;
      default = [ ];
      apply = lib.unique;
      description = "List of modules that are always loaded by the initrd.";
    };

    # sink: declared loosely, not transcribed (system/boot/modprobe.nix)
    boot.blacklistedKernelModules = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      description = "List of names of kernel modules that should not be loaded automatically.";
    };
  };

  config = lib.mkIf config.boot.kernel.enable {
    boot.kernelModules = [
      "loop"
      "atkbd"
    ];

    boot.initrd.availableKernelModules = [
      # Note: most of these (especially the SATA/PATA modules)
      # shouldn't be included by default since nixos-generate-config
      # detects them, but I'm keeping them for now for backwards
      # compatibility.

      # Some SATA/PATA stuff.
      "ahci"
      "sata_nv"
      "sata_via"
      "sata_sis"
      "sata_uli"
      "ata_piix"
      "pata_marvell"

      # NVMe
      "nvme"

      # Standard SCSI stuff.
      "sd_mod"
      "sr_mod"

      # SD cards and internal eMMC drives.
      "mmc_block"

      # Support USB keyboards, in case the boot fails and we only have
      # a USB keyboard, or for LUKS passphrase prompt.
      "uhci_hcd"
      "ehci_hcd"
      "ehci_pci"
      "ohci_hcd"
      "ohci_pci"
      "xhci_hcd"
      "xhci_pci"
      "usbhid"
      "hid_generic"
      "hid_lenovo"
      "hid_apple"
      "hid_roccat"
      "hid_logitech_hidpp"
      "hid_logitech_dj"
      "hid_microsoft"
      "hid_cherry"
      "hid_corsair"

    ]
    ++ lib.optionals pkgs.stdenv.hostPlatform.isx86 [
      # Misc. x86 keyboard stuff.
      "pcips2"
      "atkbd"
      "i8042"

      # x86 RTC needed by the stage 2 init script.
      "rtc_cmos"
    ];

    boot.initrd.kernelModules = [
      # For LVM.
      "dm_mod"
    ];
  };
}
