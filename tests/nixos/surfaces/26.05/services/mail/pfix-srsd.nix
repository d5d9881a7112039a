# nixos/modules/services/mail/pfix-srsd.nix of NixOS 26.05 (nixpkgs, MIT),
# reduced to the option postfix.nix's `useSrs` rename points at. Removed
# for 26.11 (nixpkgs #553098, in the 26.11 release notes). Sink: the
# service itself is not transcribed.
{ lib, nixosRelease, ... }:
{
  options = lib.optionalAttrs (lib.versionOlder nixosRelease "26.11") {
    services.pfix-srsd.enable = lib.mkEnableOption "the postfix sender rewriting scheme daemon";
  };
}
