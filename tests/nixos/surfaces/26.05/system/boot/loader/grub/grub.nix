# nixos/modules/system/boot/loader/grub/grub.nix, reduced.
# Text: read_file id 25306865466 (pre-nixfmt, lib.-prefixed, has
# system.systemBuilderArgs and the grub.version removal warning: 2024). Not
# dated to 26.05 [INFERENCE: the device/devices/mirroredBoots logic and the
# assertions are unchanged; the 26.05 text is nixfmt-formatted].
# Verbatim: enable (default !boot.isContainer), version, device, devices,
# mirroredBoots, efiSupport, efiInstallAsRemovable, the devices ->
# mirroredBoots config, ALL the assertions and the version warning.
# Read from elsewhere in this surface: boot.isContainer
# (virtualisation/nixos-containers.nix) and
# boot.loader.efi.{efiSysMountPoint,canTouchEfiVariables}
# (system/boot/loader/efi.nix). The 26.05-cycle text
# Swarsel/nixpkgs@4aa6836a (read_file id 62106987586, read in full; dated as
# security/acme/default.nix) has the same types, defaults, config and
# assertions (nixfmt, attributes sorted by that fork).
# Left out: every other option (splash, theme, users, extra*, …), the
# install script (system.build.installBootLoader), system.build.grub, the
# GRUB package in environment.systemPackages.
{
  config,
  options,
  lib,
  ...
}:

let
  cfg = config.boot.loader.grub;

  efi = config.boot.loader.efi;

  bootDeviceCounters = lib.foldr (device: attr: attr // { ${device} = (attr.${device} or 0) + 1; }) { } (
    lib.concatMap (args: args.devices) cfg.mirroredBoots
  );
in

{

  ###### interface

  options = {

    boot.loader.grub = {

      enable = lib.mkOption {
        default = !config.boot.isContainer;
        defaultText = lib.literalExpression "!config.boot.isContainer";
        type = lib.types.bool;
        description = ''
          Whether to enable the GNU GRUB boot loader.
        '';
      };

      version = lib.mkOption {
        visible = false;
        type = lib.types.int;
      };

      device = lib.mkOption {
        default = "";
        example = "/dev/disk/by-id/wwn-0x500001234567890a";
        type = lib.types.str;
        description = ''
          The device on which the GRUB boot loader will be installed.
          The special value `nodev` means that a GRUB
          boot menu will be generated, but GRUB itself will not
          actually be installed.  To install GRUB on multiple devices,
          use `boot.loader.grub.devices`.
        '';
      };

      devices = lib.mkOption {
        default = [ ];
        example = [ "/dev/disk/by-id/wwn-0x500001234567890a" ];
        type = lib.types.listOf lib.types.str;
        description = ''
          The devices on which the boot loader, GRUB, will be
          installed. Can be used instead of `device` to
          install GRUB onto multiple devices.
        '';
      };

      mirroredBoots = lib.mkOption {
        default = [ ];
        description = ''
          Mirror the boot configuration to multiple partitions and install grub
          to the respective devices corresponding to those partitions.
        '';

        type =
          with lib.types;
          listOf (submodule {
            options = {

              path = lib.mkOption {
                example = "/boot1";
                type = lib.types.str;
                description = "The path to the boot directory where GRUB will be written.";
              };

              efiSysMountPoint = lib.mkOption {
                default = null;
                example = "/boot1/efi";
                type = lib.types.nullOr lib.types.str;
                description = "The path to the efi system mount point.";
              };

              efiBootloaderId = lib.mkOption {
                default = null;
                example = "NixOS-fsid";
                type = lib.types.nullOr lib.types.str;
                description = "The id of the bootloader to store in efi nvram.";
              };

              devices = lib.mkOption {
                default = [ ];
                type = lib.types.listOf lib.types.str;
                description = "The path to the devices which will have the GRUB MBR written.";
              };

            };
          });
      };

      efiSupport = lib.mkOption {
        default = false;
        type = lib.types.bool;
        description = "Whether GRUB should be built with EFI support.";
      };

      efiInstallAsRemovable = lib.mkOption {
        default = false;
        type = lib.types.bool;
        description = "Whether to invoke `grub-install` with `--removable`.";
      };

    };

  };

  ###### implementation

  config = lib.mkMerge [

    (lib.mkIf cfg.enable {

      boot.loader.grub.devices = lib.mkIf (cfg.device != "") [ cfg.device ];

      boot.loader.grub.mirroredBoots = lib.mkIf (cfg.devices != [ ]) [
        {
          path = "/boot";
          inherit (cfg) devices;
          inherit (efi) efiSysMountPoint;
        }
      ];

      assertions = [
        {
          assertion = cfg.mirroredBoots != [ ];
          message =
            "You must set the option ‘boot.loader.grub.devices’ or "
            + "'boot.loader.grub.mirroredBoots' to make the system bootable.";
        }
        {
          assertion =
            cfg.efiSupport
            || lib.all (c: c < 2) (
              lib.mapAttrsToList (n: c: if n == "nodev" then 0 else c) bootDeviceCounters
            );
          message = "You cannot have duplicated devices in mirroredBoots";
        }
        {
          assertion = cfg.efiInstallAsRemovable -> cfg.efiSupport;
          message = "If you wish to to use boot.loader.grub.efiInstallAsRemovable, then turn on boot.loader.grub.efiSupport";
        }
        {
          assertion = cfg.efiInstallAsRemovable -> !config.boot.loader.efi.canTouchEfiVariables;
          message = "If you wish to to use boot.loader.grub.efiInstallAsRemovable, then turn off boot.loader.efi.canTouchEfiVariables";
        }
        {
          assertion = !(options.boot.loader.grub.version.isDefined && cfg.version == 1);
          message = "Support for version 0.9x of GRUB was removed after being unsupported upstream for around a decade";
        }
      ]
      ++ lib.flip lib.concatMap cfg.mirroredBoots (
        args:
        [
          {
            assertion = args.devices != [ ];
            message = "A boot path cannot have an empty devices string in ${args.path}";
          }
          {
            assertion = lib.hasPrefix "/" args.path;
            message = "Boot paths must be absolute, not ${args.path}";
          }
          {
            assertion =
              if args.efiSysMountPoint == null then true else lib.hasPrefix "/" args.efiSysMountPoint;
            message = "EFI paths must be absolute, not ${args.efiSysMountPoint}";
          }
        ]
        ++ lib.forEach args.devices (device: {
          assertion = device == "nodev" || lib.hasPrefix "/" device;
          message = "GRUB devices must be absolute paths, not ${device} in ${args.path}";
        })
      );
    })

    (lib.mkIf options.boot.loader.grub.version.isDefined {
      warnings = [
        ''
          The boot.loader.grub.version option does not have any effect anymore, please remove it from your configuration.
        ''
      ];
    })
  ];
}
