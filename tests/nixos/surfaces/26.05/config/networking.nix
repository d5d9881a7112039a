# nixos/modules/config/networking.nix, reduced.
# Text: read_file id 76749400 (NixOS/nixpkgs, lib.-prefixed, pre-nixfmt, no
# lib.mdDoc: about 2024); the 2023 copy id 122849490 has the same
# networking.hosts option, assertion and 127.0.0.2 entries. Not dated to
# 26.05 [INFERENCE: no semantic change since; the 26.05 text is
# nixfmt-formatted].
# Verbatim: networking.hosts (no default), hostFiles, extraHosts, the
# "localhost" assertion, the module's own networking.hosts entries and
# hostFiles.
# Left out: networking.timeServers, networking.proxy.*, and the
# environment.etc entries (hosts via pkgs.concatText, services/protocols
# from pkgs.iana-etc, netgroup, host.conf, rpc).
{
  config,
  lib,
  pkgs,
  ...
}:
let

  cfg = config.networking;

  localhostMultiple = lib.any (lib.elem "localhost") (
    lib.attrValues (
      removeAttrs cfg.hosts [
        "127.0.0.1"
        "::1"
      ]
    )
  );

in

{
  options = {

    networking.hosts = lib.mkOption {
      type = lib.types.attrsOf (lib.types.listOf lib.types.str);
      example = lib.literalExpression ''
        {
          "127.0.0.1" = [ "foo.bar.baz" ];
          "192.168.0.2" = [ "fileserver.local" "nameserver.local" ];
        };
      '';
      description = ''
        Locally defined maps of hostnames to IP addresses.
      '';
    };

    networking.hostFiles = lib.mkOption {
      type = lib.types.listOf lib.types.path;
      defaultText = lib.literalMD "Hosts from {option}`networking.hosts` and {option}`networking.extraHosts`";
      description = ''
        Files that should be concatenated together to form {file}`/etc/hosts`.
      '';
    };

    networking.extraHosts = lib.mkOption {
      type = lib.types.lines;
      default = "";
      example = "192.168.0.1 lanlocalhost";
      description = ''
        Additional verbatim entries to be appended to {file}`/etc/hosts`.
      '';
    };
  };

  config = {

    assertions = [
      {
        assertion = !localhostMultiple;
        message = ''
          `networking.hosts` maps "localhost" to something other than "127.0.0.1"
          or "::1". This will break some applications. Please use
          `networking.extraHosts` if you really want to add such a mapping.
        '';
      }
    ];

    # These entries are required for "hostname -f" and to resolve both the
    # hostname and FQDN correctly:
    networking.hosts =
      let
        hostnames = # Note: The FQDN (canonical hostname) has to come first:
          lib.optional (cfg.hostName != "" && cfg.domain != null) "${cfg.hostName}.${cfg.domain}"
          ++ lib.optional (cfg.hostName != "") cfg.hostName; # Then the hostname (without the domain)
      in
      {
        "127.0.0.2" = hostnames;
      }
      // lib.optionalAttrs cfg.enableIPv6 {
        "::1" = hostnames;
      };

    networking.hostFiles =
      let
        # Note: localhostHosts has to appear first in /etc/hosts so that 127.0.0.1
        # resolves back to "localhost" (as some applications assume) instead of
        # the FQDN! By default "networking.hosts" also contains entries for the
        # FQDN so that e.g. "hostname -f" works correctly.
        localhostHosts = pkgs.writeText "localhost-hosts" ''
          127.0.0.1 localhost
          ${lib.optionalString cfg.enableIPv6 "::1 localhost"}
        '';
        stringHosts =
          let
            oneToString = set: ip: ip + " " + lib.concatStringsSep " " set.${ip} + "\n";
            allToString = set: lib.concatMapStrings (oneToString set) (lib.attrNames set);
          in
          pkgs.writeText "string-hosts" (allToString (lib.filterAttrs (_: v: v != [ ]) cfg.hosts));
        extraHosts = pkgs.writeText "extra-hosts" cfg.extraHosts;
      in
      lib.mkBefore [
        localhostHosts
        stringHosts
        extraHosts
      ];
  };
}
