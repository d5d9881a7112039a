# nixos/modules/tasks/network-interfaces.nix, reduced to three options.
# Text: networking.hostName from read_file id 112875094 (NixOS/nixpkgs,
# lib.mdDoc era, 2023; default config.system.nixos.distroId); the type and
# description are the same in the nixfmt-era option docs (id 52584438817).
# networking.domain and networking.enableIPv6 are [MEMORY]. Not dated to
# 26.05 [INFERENCE: unchanged].
# Left out: everything else (interfaces, useDHCP, nameservers, hostId,
# defaultGateway, fqdn, the sysctl and service config, …).
{
  config,
  lib,
  ...
}:
{
  options = {

    networking.hostName = lib.mkOption {
      default = config.system.nixos.distroId;
      defaultText = lib.literalExpression "config.system.nixos.distroId";
      # Only allow hostnames without the domain name part (i.e. no FQDNs, see
      # e.g. "man 5 hostname") and require valid DNS labels (recommended
      # syntax). Note: We also allow underscores for compatibility/legacy
      # reasons (as undocumented feature):
      type = lib.types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      description = "The name of the machine (a DNS label, not a FQDN).";
    };

    # [MEMORY]
    networking.domain = lib.mkOption {
      default = null;
      example = "home.arpa";
      type = lib.types.nullOr lib.types.str;
      description = "The domain. It can be left empty if it is auto-detected through DHCP.";
    };

    # [MEMORY]
    networking.enableIPv6 = lib.mkOption {
      default = true;
      type = lib.types.bool;
      description = "Whether to enable support for IPv6.";
    };

  };
}
