# nixos/modules/programs/shadow.nix, reduced to users.defaultUserShell.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62197325066, read in full). Dated to 26.05 as that snapshot's
# security/acme/default.nix (see its header): ACME e-mail optional
# (nixpkgs#489983, Feb 2026), lego 4 (before nixpkgs#539076, Jul 2026).
# The option, verbatim: default "/bin/sh"; programs/bash/bash.nix sets it
# to pkgs.bashInteractive with mkDefault, which is what users get.
# Left out: security.loginDefs.*, security.shadow.*, and the config
# (/etc/login.defs, /etc/default/useradd, the PAM services, the setuid
# wrappers, the shadow package and the default shell in
# environment.systemPackages).
{ lib, ... }:
{
  options = {
    users.defaultUserShell = lib.mkOption {
      # /bin/sh is also the compiled in default of the shadow package.
      default = "/bin/sh";

      description = ''
        This option defines the default shell assigned to user
        accounts. This can be either a full system path or a shell package.

        This must not be a store path, since the path is
        used outside the store (in particular in /etc/passwd).
      '';

      example = lib.literalExpression "pkgs.zsh";
      type = lib.types.either lib.types.path lib.types.shellPackage;
    };
  };
}
