# nixos/modules/services/web-servers/nginx/vhost-options.nix of NixOS 26.05,
# with nginx/location-options.nix (the `locations` submodule) inlined below.
#
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b, vhost-options.nix
# (read_file id 62104284615) and location-options.nix (id 62319131030), both
# read in full. The fork sorts attributes alphabetically (kept here). Dated
# to 26.05 as the same snapshot as security/acme/default.nix (email optional,
# lego 4); kTLS still defaults to false, unlike a later copy
# (SuperSandro2000/nixpkgs@f1b48ea0, id 27852965880) that also moves the vhost
# assertions into this submodule.
#
# Left out: nothing among the options; descriptions and examples are cut to
# one line; `with lib;` replaced by `lib.` prefixes.
{ config, lib, ... }:
let
  inherit (lib) mkOption types literalExpression;

  # nginx/location-options.nix, imported by nixpkgs with `{ inherit lib config; }`.
  locationOptions = {
    options = {
      alias = mkOption {
        default = null;
        description = "Alias directory for requests.";
        example = "/your/alias/directory";
        type = types.nullOr types.path;
      };

      basicAuth = mkOption {
        default = { };
        description = "Basic Auth protection for a vhost.";
        type = types.attrsOf types.str;
      };

      basicAuthFile = mkOption {
        default = null;
        description = "Basic Auth password file for a vhost.";
        type = types.nullOr types.path;
      };

      extraConfig = mkOption {
        default = "";
        description = "These lines go to the end of the location verbatim.";
        type = types.lines;
      };

      fastcgiParams = mkOption {
        default = { };
        description = "FastCGI parameters to override.";
        type = types.attrsOf (types.either types.str types.path);
      };

      index = mkOption {
        default = null;
        description = "Adds index directive.";
        example = "index.php index.html";
        type = types.nullOr types.str;
      };

      priority = mkOption {
        default = 1000;
        description = "Order of this location block in relation to the others in the vhost.";
        type = types.int;
      };

      proxyPass = mkOption {
        default = null;
        description = "Adds proxy_pass directive and sets recommended proxy headers if recommendedProxySettings is enabled.";
        example = "http://www.example.org/";
        type = types.nullOr types.str;
      };

      proxyWebsockets = mkOption {
        default = false;
        description = "Whether to support proxying websocket connections with HTTP/1.1.";
        example = true;
        type = types.bool;
      };

      recommendedProxySettings = mkOption {
        default = config.services.nginx.recommendedProxySettings;
        defaultText = literalExpression "config.services.nginx.recommendedProxySettings";
        description = "Enable recommended proxy settings.";
        type = types.bool;
      };

      recommendedUwsgiSettings = mkOption {
        default = config.services.nginx.recommendedUwsgiSettings;
        defaultText = literalExpression "config.services.nginx.recommendedUwsgiSettings";
        description = "Enable recommended uwsgi settings.";
        type = types.bool;
      };

      return = mkOption {
        default = null;
        description = "Adds a return directive, for e.g. redirections.";
        example = "301 http://example.com$request_uri";

        type =
          with types;
          nullOr (oneOf [
            str
            int
          ]);
      };

      root = mkOption {
        default = null;
        description = "Root directory for requests.";
        example = "/your/root/directory";
        type = types.nullOr types.path;
      };

      tryFiles = mkOption {
        default = null;
        description = "Adds try_files directive.";
        example = "$uri =404";
        type = types.nullOr types.str;
      };

      uwsgiPass = mkOption {
        default = null;
        description = "Adds uwsgi_pass directive and sets recommended proxy headers if recommendedUwsgiSettings is enabled.";
        example = "unix:/run/example/example.sock";
        type = types.nullOr types.str;
      };
    };
  };
in
{
  options = {
    acmeFallbackHost = mkOption {
      default = null;
      description = "Host which to proxy requests to if ACME challenge is not found.";
      type = types.nullOr types.str;
    };

    acmeRoot = mkOption {
      default = "/var/lib/acme/acme-challenge";

      description = ''
        Directory for the ACME challenge, which is **public**. Don't put certs or keys in here.
        Set to null to inherit from config.security.acme.
      '';

      type = types.nullOr types.str;
    };

    addSSL = mkOption {
      default = false;
      description = "Whether to enable HTTPS in addition to plain HTTP.";
      type = types.bool;
    };

    basicAuth = mkOption {
      default = { };
      description = "Basic Auth protection for a vhost.";
      type = types.attrsOf types.str;
    };

    basicAuthFile = mkOption {
      default = null;
      description = "Basic Auth password file for a vhost.";
      type = types.nullOr types.path;
    };

    default = mkOption {
      default = false;
      description = "Makes this vhost the default.";
      type = types.bool;
    };

    enableACME = mkOption {
      default = false;

      description = ''
        Whether to ask Let's Encrypt to sign a certificate for this vhost.
        Alternately, you can use an existing certificate through {option}`useACMEHost`.
      '';

      type = types.bool;
    };

    extraConfig = mkOption {
      default = "";
      description = "These lines go to the end of the vhost verbatim.";
      type = types.lines;
    };

    forceSSL = mkOption {
      default = false;
      description = "Whether to add a separate nginx server block that redirects all plain HTTP traffic to HTTPS.";
      type = types.bool;
    };

    globalRedirect = mkOption {
      default = null;
      description = "If set, all requests for this host are redirected to the given hostname.";
      example = "newserver.example.org";
      type = types.nullOr types.str;
    };

    http2 = mkOption {
      default = true;
      description = "Whether to enable the HTTP/2 protocol.";
      type = types.bool;
    };

    http3 = mkOption {
      default = true;
      description = "Whether to enable the HTTP/3 protocol.";
      type = types.bool;
    };

    http3_hq = mkOption {
      default = false;
      description = "Whether to enable the HTTP/0.9 protocol negotiation used in QUIC interoperability tests.";
      type = types.bool;
    };

    kTLS = mkOption {
      default = false;
      description = "Whether to enable kTLS support.";
      type = types.bool;
    };

    listen = mkOption {
      default = [ ];
      description = "Listen addresses and ports for this virtual host.";

      type =
        with types;
        listOf (submodule {
          options = {
            addr = mkOption {
              description = "Listen address.";
              type = str;
            };

            extraParameters = mkOption {
              default = [ ];
              description = "Extra parameters of this listen directive.";
              type = listOf str;
            };

            port = mkOption {
              default = null;
              description = "Port number to listen on.";
              type = types.nullOr port;
            };

            proxyProtocol = mkOption {
              default = false;
              description = "Enable PROXY protocol.";
              type = bool;
            };

            ssl = mkOption {
              default = false;
              description = "Enable SSL.";
              type = bool;
            };
          };
        });
    };

    listenAddresses = mkOption {
      default = [ ];
      description = "Listen addresses for this virtual host.";
      type = with types; listOf str;
    };

    locations = mkOption {
      default = { };
      description = "Declarative location config";
      type = types.attrsOf (types.submodule locationOptions);
    };

    onlySSL = mkOption {
      default = false;
      description = "Whether to enable HTTPS and reject plain HTTP connections.";
      type = types.bool;
    };

    quic = mkOption {
      default = false;
      description = "Whether to enable the QUIC transport protocol.";
      type = types.bool;
    };

    redirectCode = mkOption {
      default = 301;
      description = "HTTP status used by `globalRedirect` and `forceSSL`.";
      example = 308;
      type = types.ints.between 300 399;
    };

    rejectSSL = mkOption {
      default = false;
      description = "Whether to listen for and reject all HTTPS connections to this vhost.";
      type = types.bool;
    };

    reuseport = mkOption {
      default = false;
      description = "Create an individual listening socket.";
      type = types.bool;
    };

    root = mkOption {
      default = null;
      description = "The path of the web root directory.";
      example = "/data/webserver/docs";
      type = types.nullOr types.path;
    };

    serverAliases = mkOption {
      default = [ ];
      description = "Additional names of virtual hosts served by this virtual host configuration.";
      type = types.listOf types.str;
    };

    serverName = mkOption {
      default = null;
      description = "Name of this virtual host. Defaults to attribute name in virtualHosts.";
      example = "example.org";
      type = types.nullOr types.str;
    };

    sslCertificate = mkOption {
      description = "Path to server SSL certificate.";
      example = "/var/host.cert";
      type = types.path;
    };

    sslCertificateKey = mkOption {
      description = "Path to server SSL certificate key.";
      example = "/var/host.key";
      type = types.path;
    };

    sslTrustedCertificate = mkOption {
      default = null;
      description = "Path to root SSL certificate for stapling and client certificates.";
      type = types.nullOr types.path;
    };

    useACMEHost = mkOption {
      default = null;
      description = "A host of an existing Let's Encrypt certificate to use.";
      type = types.nullOr types.str;
    };
  };
}
