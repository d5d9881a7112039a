# nixos/modules/security/pam.nix: security.pam.services only.
# sink: declared loosely, not transcribed. Only transcribed modules set it
# (dovecot with enablePAM, sshd). In nixpkgs it is an attrsOf a large PAM
# service submodule; here any attribute set merges.
# Left out: everything else.
{ lib, ... }:
{
  options.security.pam.services = lib.mkOption {
    type = lib.types.attrsOf lib.types.anything;
    default = { };
    description = "sink: declared loosely, not transcribed. PAM services.";
  };
}
