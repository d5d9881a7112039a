# nixos/modules/services/web-servers/phpfpm/default.nix of NixOS 26.05.
#
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b,
# nixos/modules/services/web-servers/phpfpm/default.nix (read_file id
# 62202224917), read in full. The fork sorts attributes alphabetically (kept
# here). Dated only as the snapshot dated to the 26.05 window for acme/nginx (email optional, lego 4); its
# `toStr` escaping cites a nixpkgs#516530 comment (2026). Fidelity is meant
# at the level of the pool options and the phpfpm-<pool>.service unit.
#
# Left out: option descriptions and examples cut to one line; `with lib;`
# replaced by `lib.` prefixes. `services.phpfpm.phpPackage` defaults to
# `pkgs.php`; roundcube sets its pool's phpPackage itself.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib) mkOption types literalExpression;

  cfg = config.services.phpfpm;

  runtimeDir = "/run/phpfpm";

  toStr =
    value:
    if true == value then
      "yes"
    else if false == value then
      "no"
    else if lib.isString value then
      # Escape according to https://www.php.net/manual/en/function.parse-ini-file.php
      # Not escaping `$` since users might want to use that to interpolate environment variables.
      # Additionally, php-fpm applies post-processing to env values that start with `$` and replaces
      # them with the respective env variable, with no way to escape: https://github.com/php/php-src/blob/631c366f9f58c8ba4078a48d1f56187cfbf8e549/sapi/fpm/fpm/fpm_env.c#L171-L180
      # In all platforms except for Windows, PHP_EOL is the line feed `\n` character,
      # which we use here as an escape value since php-fpm parses the config line-by-line.
      # See https://github.com/NixOS/nixpkgs/pull/516530#issuecomment-4878738511 for more information.
      ''"${lib.replaceString "\n" ''" PHP_EOL "'' (lib.escape [ "\"" "\\" ] value)}"''
    else
      toString value;

  fpmCfgFile =
    pool: poolOpts:
    pkgs.writeText "phpfpm-${pool}.conf" ''
      [global]
      ${lib.concatStringsSep "\n" (lib.mapAttrsToList (n: v: "${n} = ${toStr v}") cfg.settings)}
      ${lib.optionalString (cfg.extraConfig != null) cfg.extraConfig}

      [${pool}]
      ${lib.concatStringsSep "\n" (lib.mapAttrsToList (n: v: "${n} = ${toStr v}") poolOpts.settings)}
      ${lib.concatStringsSep "\n" (lib.mapAttrsToList (n: v: "env[${n}] = ${toStr v}") poolOpts.phpEnv)}
      ${lib.optionalString (poolOpts.extraConfig != null) poolOpts.extraConfig}
    '';

  phpIni =
    poolOpts:
    pkgs.runCommand "php.ini"
      {
        inherit (poolOpts) phpPackage phpOptions;
        passAsFile = [ "phpOptions" ];
        preferLocalBuild = true;
      }
      ''
        cat ${poolOpts.phpPackage}/etc/php.ini $phpOptionsPath > $out
      '';

  poolOpts =
    { name, ... }:
    let
      poolOpts = cfg.pools.${name};
    in
    {
      options = {
        extraConfig = mkOption {
          default = null;
          description = "Extra lines that go into the pool configuration.";
          type = with types; nullOr lines;
        };

        group = mkOption {
          description = "Group account under which this pool runs.";
          type = types.str;
        };

        listen = mkOption {
          default = "";
          description = "The address on which to accept FastCGI requests.";
          example = "/path/to/unix/socket";
          type = types.str;
        };

        phpEnv = lib.mkOption {
          default = { };
          description = "Environment variables used for this PHP-FPM pool.";
          type = with types; attrsOf str;
        };

        phpOptions = mkOption {
          description = ''"Options appended to the PHP configuration file {file}`php.ini` used for this PHP-FPM pool."'';
          type = types.lines;
        };

        phpPackage = mkOption {
          default = cfg.phpPackage;
          defaultText = literalExpression "config.services.phpfpm.phpPackage";
          description = "The PHP package to use for running this PHP-FPM pool.";
          type = types.package;
        };

        settings = mkOption {
          default = { };
          description = "PHP-FPM pool directives.";

          type =
            with types;
            attrsOf (oneOf [
              str
              int
              bool
            ]);
        };

        socket = mkOption {
          description = "Path to the unix socket file on which to accept FastCGI requests.";
          example = "${runtimeDir}/<name>.sock";
          readOnly = true;
          type = types.str;
        };

        user = mkOption {
          description = "User account under which this pool runs.";
          type = types.str;
        };
      };

      config = {
        group = lib.mkDefault poolOpts.user;
        phpOptions = lib.mkBefore cfg.phpOptions;

        settings = lib.mapAttrs (name: lib.mkDefault) {
          group = poolOpts.group;
          listen = poolOpts.socket;
          user = poolOpts.user;
        };

        socket = if poolOpts.listen == "" then "${runtimeDir}/${name}.sock" else poolOpts.listen;
      };
    };

in
{
  imports = [
    (lib.mkRemovedOptionModule [ "services" "phpfpm" "poolConfigs" ] "Use services.phpfpm.pools instead.")
    (lib.mkRemovedOptionModule [ "services" "phpfpm" "phpIni" ] "")
  ];

  options = {
    services.phpfpm = {
      extraConfig = mkOption {
        default = null;
        description = "Extra configuration that should be put in the global section of the PHP-FPM configuration file.";
        type = with types; nullOr lines;
      };

      phpOptions = mkOption {
        default = "";
        description = "Options appended to the PHP configuration file {file}`php.ini`.";
        example = ''
          date.timezone = "CET"
        '';
        type = types.lines;
      };

      phpPackage = lib.mkPackageOption pkgs "php" { };

      pools = mkOption {
        default = { };
        description = "PHP-FPM pools. If no pools are defined, the PHP-FPM service is disabled.";
        type = types.attrsOf (types.submodule poolOpts);
      };

      settings = mkOption {
        default = { };
        description = "PHP-FPM global directives.";

        type =
          with types;
          attrsOf (oneOf [
            str
            int
            bool
          ]);
      };
    };
  };

  config = lib.mkIf (cfg.pools != { }) {

    services.phpfpm.settings = {
      daemonize = false;
      error_log = "syslog";
    };

    systemd.services = lib.mapAttrs' (
      pool: poolOpts:
      lib.nameValuePair "phpfpm-${pool}" {
        after = [ "network.target" ];
        description = "PHP FastCGI Process Manager service for pool ${pool}";
        documentation = [ "man:php-fpm(8)" ];
        partOf = [ "phpfpm.target" ];

        serviceConfig =
          let
            cfgFile = fpmCfgFile pool poolOpts;
            iniFile = phpIni poolOpts;
          in
          {
            ExecReload = "${pkgs.coreutils}/bin/kill -USR2 $MAINPID";
            ExecStart = "${poolOpts.phpPackage}/bin/php-fpm -y ${cfgFile} -c ${iniFile}";
            PrivateDevices = true;
            PrivateTmp = true;
            ProtectHome = true;
            ProtectSystem = "full";
            Restart = "always";
            # XXX: We need AF_NETLINK to make the sendmail SUID binary from postfix work
            RestrictAddressFamilies = "AF_UNIX AF_INET AF_INET6 AF_NETLINK";
            RuntimeDirectory = "phpfpm";
            RuntimeDirectoryPreserve = true; # Relevant when multiple processes are running
            Slice = "system-phpfpm.slice";
            Type = "notify";
            WatchdogSec = 15;
          };

        wantedBy = [ "phpfpm.target" ];
      }
    ) cfg.pools;

    systemd.slices.system-phpfpm = {
      description = "PHP FastCGI Process Manager Slice";
    };

    systemd.targets.phpfpm = {
      description = "PHP FastCGI Process manager pools target";
      wantedBy = [ "multi-user.target" ];
    };

    warnings =
      lib.mapAttrsToList (pool: poolOpts: ''
        Using config.services.phpfpm.pools.${pool}.listen is deprecated and will become unsupported in a future release. Please reference the read-only option config.services.phpfpm.pools.${pool}.socket to access the path of your socket.
      '') (lib.filterAttrs (pool: poolOpts: poolOpts.listen != "") cfg.pools)
      ++ lib.mapAttrsToList (pool: poolOpts: ''
        Using config.services.phpfpm.pools.${pool}.extraConfig is deprecated and will become unsupported in a future release. Please migrate your configuration to config.services.phpfpm.settings.
      '') (lib.filterAttrs (pool: poolOpts: poolOpts.extraConfig != null) cfg.pools)
      ++ lib.optional (cfg.extraConfig != null) ''
        Using config.services.phpfpm.extraConfig is deprecated and will become unsupported in a future release. Please migrate your configuration to config.services.phpfpm.settings.
      '';
  };
}
