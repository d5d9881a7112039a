# nixos/modules/security/ca.nix: security.pki.caBundle only.
# sink: declared loosely, not transcribed. Read by transcribed modules
# (postfix: smtp_tls_CAfile's default). In nixpkgs it is a read-only path
# set to "${cacertPackage}/etc/ssl/certs/ca-bundle.crt", where cacertPackage
# is pkgs.cacert overridden with security.pki.certificateFiles and friends
# [MEMORY]; here the default is that path in the fake pkgs.cacert. The
# system-wide copy is /etc/ssl/certs/ca-certificates.crt.
# Left out: certificateFiles, certificates, caCertificateBlacklist,
# useCompatibleBundle, the /etc/ssl entries.
{ lib, pkgs, ... }:
{
  options.security.pki.caBundle = lib.mkOption {
    type = lib.types.path;
    readOnly = true;
    default = "${pkgs.cacert}/etc/ssl/certs/ca-bundle.crt";
    description = "sink: declared loosely, not transcribed. The path to the final bundle of certificate authorities.";
  };
}
