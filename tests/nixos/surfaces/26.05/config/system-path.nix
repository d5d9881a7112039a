# nixos/modules/config/system-path.nix, reduced to environment.systemPackages.
# Text: [MEMORY] (not read; the option's type listOf package and default [ ]
# have been stable for years).
# environment.pathsToLink: also [MEMORY] (type and default; nixpkgs adds
# its own list of directories in config, left out).
# Left out: the requiredPackages and environment.defaultPackages that
# nixpkgs adds to environment.systemPackages (acl, bashInteractive,
# coreutils-full, …), extraOutputsToInstall, system.path.
{ lib, ... }:
{
  options = {
    environment.systemPackages = lib.mkOption {
      type = lib.types.listOf lib.types.package;
      default = [ ];
      example = lib.literalExpression "[ pkgs.firefox pkgs.thunderbird ]";
      description = ''
        The set of packages that appear in
        /run/current-system/sw.  These packages are
        automatically available to all users, and are
        automatically updated every time you rebuild the system
        configuration.
      '';
    };

    environment.pathsToLink = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "/" ];
      description = "List of directories to be symlinked in {file}`/run/current-system/sw`.";
    };
  };
}
