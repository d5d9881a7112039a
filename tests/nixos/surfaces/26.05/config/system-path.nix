# nixos/modules/config/system-path.nix, reduced to environment.systemPackages
# and environment.pathsToLink.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 61978828828, read in full). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header): ACME e-mail
# optional (nixpkgs#489983, Feb 2026), lego 4 (before nixpkgs#539076,
# Jul 2026).
# Verbatim: the two options (type, default, example, description).
# Left out: environment.corePackages and environment.defaultPackages (acl,
# bashInteractive, coreutils-full, …, perl, rsync, strace), which nixpkgs
# adds to environment.systemPackages, the pathsToLink that nixpkgs adds
# (/bin, /lib, /share/…), extraOutputsToInstall, extraSetup, system.path.
{ lib, ... }:
{
  options = {

    environment = {

      pathsToLink = lib.mkOption {
        # Note: We need `/lib' to be among `pathsToLink' for NSS modules
        # to work.
        default = [ ];
        description = "List of directories to be symlinked in {file}`/run/current-system/sw`.";
        example = [ "/" ];
        type = lib.types.listOf lib.types.str;
      };

      systemPackages = lib.mkOption {
        default = [ ];

        description = ''
          The set of packages that appear in
          /run/current-system/sw.  These packages are
          automatically available to all users, and are
          automatically updated every time you rebuild the system
          configuration.  (The latter is the main difference with
          installing them in the default profile,
          {file}`/nix/var/nix/profiles/default`.
        '';

        example = lib.literalExpression "[ pkgs.firefox pkgs.thunderbird ]";
        type = lib.types.listOf lib.types.package;
      };

    };

  };
}
