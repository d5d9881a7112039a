# nixos/modules/tasks/network-interfaces.nix, reduced to three options.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62433272478, the options part read). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header): ACME e-mail
# optional (nixpkgs#489983, Feb 2026), lego 4 (before nixpkgs#539076,
# Jul 2026). networking.hostName has the same type and default in the older
# NixOS/nixpkgs copy read first (read_file id 112875094, 2023).
# Verbatim: networking.hostName, networking.domain, networking.enableIPv6
# (the source has `with lib;`; here the names are prefixed with `lib.`).
# Left out: everything else (interfaces, useDHCP, nameservers, hostId,
# defaultGateway, fqdn, fqdnOrHostName, the sysctl and service config, …).
{
  config,
  lib,
  ...
}:
{
  options = {

    networking.domain = lib.mkOption {
      default = null;

      description = ''
        The system domain name. Used to populate the {option}`fqdn` value.

        ::: {.warning}
        The domain name is not configured for DNS resolution purposes, see {option}`search` instead.
        :::
      '';

      example = "home.arpa";
      type = lib.types.nullOr lib.types.str;
    };

    networking.enableIPv6 = lib.mkOption {
      default = true;

      description = ''
        Whether to enable support for IPv6.
      '';

      type = lib.types.bool;
    };

    networking.hostName = lib.mkOption {
      default = config.system.nixos.distroId;
      defaultText = lib.literalExpression "config.system.nixos.distroId";

      description = ''
        The name of the machine. Leave it empty if you want to obtain it from a
        DHCP server (if using DHCP). The hostname must be a valid DNS label (see
        RFC 1035 section 2.3.1: "Preferred name syntax", RFC 1123 section 2.1:
        "Host Names and Numbers") and as such must not contain the domain part.
        This means that the hostname must start with a letter or digit,
        end with a letter or digit, and have as interior characters only
        letters, digits, and hyphen. The maximum length is 63 characters.
        Additionally it is recommended to only use lower-case characters.
        If (e.g. for legacy reasons) a FQDN is required as the Linux kernel
        network node hostname (uname --nodename) the option
        boot.kernel.sysctl."kernel.hostname" can be used as a workaround (but
        the 64 character limit still applies).

        WARNING: Do not use underscores (_) or you may run into unexpected issues.
      '';

      # Only allow hostnames without the domain name part (i.e. no FQDNs, see
      # e.g. "man 5 hostname") and require valid DNS labels (recommended
      # syntax). Note: We also allow underscores for compatibility/legacy
      # reasons (as undocumented feature):
      type = lib.types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      # warning until the issues in https://github.com/NixOS/nixpkgs/pull/138978
      # are resolved
    };

  };
}
