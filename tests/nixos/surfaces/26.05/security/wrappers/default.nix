# nixos/modules/security/wrappers/default.nix: security.wrappers only.
# sink: declared loosely, not transcribed. Only transcribed modules set it
# (postfix: mailq, postqueue, postdrop). In nixpkgs it is an attrsOf a
# wrapper submodule (source, program, owner, group, setuid, setgid,
# capabilities, permissions); here any attribute set merges.
# Left out: everything (the wrapper submodule, security.wrapperDir, the
# activation and the suid-sgid-wrappers service).
{ lib, ... }:
{
  options.security.wrappers = lib.mkOption {
    type = lib.types.attrsOf lib.types.anything;
    default = { };
    description = "sink: declared loosely, not transcribed. Setuid/setgid wrappers.";
  };
}
