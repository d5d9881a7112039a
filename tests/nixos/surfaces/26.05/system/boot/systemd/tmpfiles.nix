# nixos/modules/system/boot/systemd/tmpfiles.nix, reduced.
# Text: NixOS/nixpkgs@9ab61b2537be813fd4e097ce04c8b098c5a4bcbf (read_file id
# 27723120; pre-nixfmt, uses types.attrsWith: about 2024-12). The 2023 copy
# (id 571959243) has the same `rules` option. Not dated to 26.05
# [INFERENCE: the 26.05 text is the same, nixfmt-formatted].
# Verbatim: systemd.tmpfiles.rules, systemd.tmpfiles.settings (the typed
# submodule), and the module's own default rules.
# Deviation: the default rules that nixpkgs guards with `config.nix.enable`
# read `config.nix.enable or true` (nix-daemon.nix is not transcribed; its
# default is true).
# Left out: systemd.tmpfiles.packages, boot.initrd.systemd.tmpfiles, the
# tmpfiles.d files in environment.etc, systemd-tmpfiles-resetup.service,
# the initrd units, the initrd warning.
{
  config,
  lib,
  ...
}:

let
  inherit (lib) mkOption types;

  attrsWith' =
    placeholder: elemType:
    types.attrsWith {
      inherit elemType placeholder;
    };

  settingsOption = {
    description = ''
      Declare systemd-tmpfiles rules to create, delete, and clean up volatile
      and temporary files and directories.

      Even though the service is called `*tmp*files` you can also create
      persistent files.
    '';
    example = {
      "10-mypackage" = {
        "/var/lib/my-service/statefolder".d = {
          mode = "0755";
          user = "root";
          group = "root";
        };
      };
    };
    default = { };
    type = attrsWith' "config-name" (
      attrsWith' "path" (
        attrsWith' "tmpfiles-type" (
          types.submodule (
            { name, config, ... }:
            {
              options.type = mkOption {
                type = types.str;
                default = name;
                defaultText = "‹tmpfiles-type›";
                example = "d";
                description = "The type of operation to perform on the file.";
              };
              options.mode = mkOption {
                type = types.str;
                default = "-";
                example = "0755";
                description = ''
                  The file access mode to use when creating this file or directory.
                '';
              };
              options.user = mkOption {
                type = types.str;
                default = "-";
                example = "root";
                description = "The user of the file.";
              };
              options.group = mkOption {
                type = types.str;
                default = "-";
                example = "root";
                description = "The group of the file.";
              };
              options.age = mkOption {
                type = types.str;
                default = "-";
                example = "10d";
                description = "Delete a file when it reaches a certain age.";
              };
              options.argument = mkOption {
                type = types.str;
                default = "";
                example = "";
                description = "An argument whose meaning depends on the type of operation.";
              };
            }
          )
        )
      )
    );
  };
in
{
  options = {
    systemd.tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "d /tmp 1777 root root 10d" ];
      description = ''
        Rules for creation, deletion and cleaning of volatile and temporary files
        automatically. See
        {manpage}`tmpfiles.d(5)`
        for the exact format.
      '';
    };

    systemd.tmpfiles.settings = mkOption settingsOption;
  };

  config = {
    systemd.tmpfiles.rules = [
      "d  /run/lock                          0755 root root - -"
      "d  /var/db                            0755 root root - -"
      "L  /var/lock                          -    -    -    - ../run/lock"
    ]
    ++ lib.optionals (config.nix.enable or true) [
      "d  /nix/var                           0755 root root - -"
      "L+ /nix/var/nix/gcroots/booted-system 0755 root root - /run/booted-system"
    ]
    # Boot-time cleanup
    ++ [
      "R! /etc/group.lock                    -    -    -    - -"
      "R! /etc/passwd.lock                   -    -    -    - -"
      "R! /etc/shadow.lock                   -    -    -    - -"
    ]
    ++ lib.optionals (config.nix.enable or true) [
      "R! /nix/var/nix/gcroots/tmp           -    -    -    - -"
      "R! /nix/var/nix/temproots             -    -    -    - -"
    ];
  };
}
