# nixos/modules/misc/assertions.nix, verbatim.
# Text: NixOS/nixpkgs@c9634190fe4c832b63bb617a72fdd4461b3ca9da (read_file id
# 218143128). Dated to the 26.05 cycle by content: nixfmt style and the
# comment naming system/service/portable/lib.nix (portable services, 25.11+).
# Left out: nothing.
{ lib, ... }:
{

  options = {

    assertions = lib.mkOption {
      type = lib.types.listOf lib.types.unspecified;
      internal = true;
      default = [ ];
      example = [
        {
          assertion = false;
          message = "you can't enable this for that reason";
        }
      ];
      description = ''
        This option allows modules to express conditions that must
        hold for the evaluation of the system configuration to
        succeed, along with associated error messages for the user.
      '';
    };

    warnings = lib.mkOption {
      internal = true;
      default = [ ];
      type = lib.types.listOf lib.types.str;
      example = [ "The `foo' service is deprecated and will go away soon!" ];
      description = ''
        This option allows modules to show warnings to users during
        the evaluation of the system configuration.
      '';
    };

  };
  # impl of assertions is in
  # - <nixpkgs/nixos/modules/system/activation/top-level.nix>
  # - <nixpkgs/nixos/modules/system/service/portable/lib.nix>
}
