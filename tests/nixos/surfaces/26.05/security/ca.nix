# nixos/modules/security/ca.nix, reduced to security.pki.caBundle.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62037906883, read in full). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header).
# Verbatim: the option (read-only path, no default) and its definition
# `security.pki.caBundle = caBundle`. Read by transcribed modules (postfix:
# smtp_tls_CAfile's default).
# Deviation: nixpkgs' cacertPackage is pkgs.cacert.override { blacklist,
# extraCertificateFiles, extraCertificateStrings } from the options left
# out here; at their defaults ([ ]) that is pkgs.cacert, which is used
# directly (the fake package set has no .override). caBundleName is
# "ca-bundle.crt", its value with useCompatibleBundle at its default
# (false).
# Left out: caCertificateBlacklist, certificateFiles, certificates,
# installCACerts, useCompatibleBundle, and the /etc/ssl, /etc/pki entries
# (the system-wide copy is /etc/ssl/certs/ca-certificates.crt).
{
  pkgs,
  lib,
  ...
}:
let
  cacertPackage = pkgs.cacert;
  caBundleName = "ca-bundle.crt";
  caBundle = "${cacertPackage}/etc/ssl/certs/${caBundleName}";
in
{
  options = {
    security.pki.caBundle = lib.mkOption {
      description = ''
        (Read-only) the path to the final bundle of certificate authorities as a single file.
      '';

      readOnly = true;
      type = lib.types.path;
    };
  };

  config = {
    security.pki.caBundle = caBundle;
  };
}
