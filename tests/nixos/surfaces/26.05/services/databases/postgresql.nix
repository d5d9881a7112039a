# nixos/modules/services/databases/postgresql.nix of NixOS 26.05, reduced:
# sink-level fidelity (the options roundcube sets, the units it orders on).
#
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62216261353), read in full; the fork sorts attributes
# alphabetically (kept here). Dating: the
# postgresql.target / postgresql-setup.service split exists since 25.11
# (other modules carry a "Compatibility with 25.11 modules due to changes in
# PostgreSQL module" shim for it, e.g. find_string id 66703921687), so both
# units are established for 26.05. This copy's default package already has
# a stateVersion "26.11" -> postgresql_18 branch, so the snapshot is probably
# from the 26.11 cycle; an upstream-ordered copy without it (id 101609704,
# repository unknown, typed ensureClauses) also exists. For a 26.05
# stateVersion both give postgresql_17.
#
# Left out: systemCallFilter (SystemCallFilter), extensions, checkConfig and
# system.checks (config file and ALTER ROLE clause checks), enableJIT's
# package variants (finalPackage is the package itself here, nixpkgs applies
# withJIT/withoutJIT and withPackages), environment.pathsToLink, the
# mkRenamed/mkRemoved imports, meta; most of the postgresql.service hardening
# (kept: User/Group, Type, ExecStart, StateDirectory, RuntimeDirectory;
# UMask/StateDirectoryMode fixed to nixpkgs' values for PostgreSQL >= 11) and
# its unitConfig start limits. postgresql.conf is a writeText here (nixpkgs:
# writeTextDir, which the fake package set lacks).
# Descriptions cut to one line.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib)
    concatMapStrings
    concatStringsSep
    const
    elem
    escapeShellArgs
    filterAttrs
    isString
    literalExpression
    mapAttrsToList
    mkAfter
    mkBefore
    mkDefault
    mkEnableOption
    mkIf
    mkMerge
    mkOption
    optionalString
    types
    versionAtLeast
    ;

  missing =
    name:
    throw "tests/nixos/fake-pkgs.nix has no pkgs.${name} (services/databases/postgresql.nix needs it)";

  cfg = config.services.postgresql;

  toStr =
    value:
    if true == value then
      "yes"
    else if false == value then
      "no"
    else if isString value then
      "'${lib.replaceStrings [ "'" ] [ "''" ] value}'"
    else
      toString value;

  # The main PostgreSQL configuration file.
  configFile = pkgs.writeText "postgresql.conf" (
    concatStringsSep "\n" (
      mapAttrsToList (n: v: "${n} = ${toStr v}") (filterAttrs (const (x: x != null)) cfg.settings)
    )
  );

  psqlSchema = cfg.package.psqlSchema or (missing "postgresql_17.psqlSchema");

  generateClauseSqlStatements =
    user:
    mapAttrsToList (
      n: v:
      let
        directive = lib.toUpper (lib.replaceStrings [ "_" ] [ " " ] n);
      in
      if builtins.isBool v then
        (if v then directive else "NO${directive}")
      else if builtins.isString v then
        "${directive} '${v}'"
      else
        "${directive} ${toString v}"
    ) user.ensureClauses;

  generateAlterRoleSQL =
    user:
    let
      clauseSqlStatements = generateClauseSqlStatements user;
    in
    if clauseSqlStatements == [ ] then
      ""
    else
      ''ALTER ROLE "${user.name}" ${concatStringsSep " " clauseSqlStatements};'';

  generateUserSetupScript =
    user:
    let
      dbOwnershipStmt = optionalString user.ensureDBOwnership ''
        psql -tAc 'ALTER DATABASE "${user.name}" OWNER TO "${user.name}";'
      '';

      alterRoleSQL = generateAlterRoleSQL user;

      userClauses = optionalString (alterRoleSQL != "") ''
        psql -tAc ${lib.escapeShellArg alterRoleSQL}
      '';
    in
    ''
      psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='${user.name}'" | grep -q 1 || psql -tAc 'CREATE USER "${user.name}"'
      ${userClauses}
      ${dbOwnershipStmt}
    '';
in
{
  options = {

    services.postgresql = {

      enable = mkEnableOption "PostgreSQL Server";

      package = mkOption {
        defaultText = literalExpression ''
          if versionAtLeast config.system.stateVersion "26.11" then
            pkgs.postgresql_18
          else if versionAtLeast config.system.stateVersion "25.11" then
            pkgs.postgresql_17
          else if versionAtLeast config.system.stateVersion "24.11" then
            pkgs.postgresql_16
          else if versionAtLeast config.system.stateVersion "23.11" then
            pkgs.postgresql_15
          else
            pkgs.postgresql_14
        '';
        description = "The package being used by postgresql.";
        example = literalExpression "pkgs.postgresql_15";
        type = types.package;
      };

      authentication = mkOption {
        default = "";
        description = "Defines how users authenticate themselves to the server (pg_hba.conf).";
        type = types.lines;
      };

      dataDir = mkOption {
        defaultText = literalExpression ''"/var/lib/postgresql/''${config.services.postgresql.package.psqlSchema}"'';
        description = "The data directory for PostgreSQL.";
        example = "/var/lib/postgresql/15";
        type = types.path;
      };

      enableJIT = mkEnableOption "JIT support";

      enableTCPIP = mkOption {
        default = false;
        description = "Whether PostgreSQL should listen on all network interfaces.";
        type = types.bool;
      };

      ensureDatabases = mkOption {
        default = [ ];
        description = "Ensures that the specified databases exist.";

        example = [
          "gitea"
          "nextcloud"
        ];

        type = types.listOf types.str;
      };

      ensureUsers = mkOption {
        default = [ ];
        description = "Ensures that the specified users exist.";

        type = types.listOf (
          types.submodule {
            options = {
              ensureClauses = mkOption {
                default = { };
                description = "An attrset of clauses to grant to the user.";

                type = types.submodule {
                  freeformType = types.attrsOf (
                    types.oneOf [
                      types.str
                      types.int
                      types.bool
                    ]
                  );
                };
              };

              ensureDBOwnership = mkOption {
                default = false;
                description = "Grants the user ownership to a database with the same name.";
                type = types.bool;
              };

              name = mkOption {
                description = "Name of the user to ensure.";
                type = types.str;
              };
            };
          }
        );
      };

      # Reduced: nixpkgs' default applies withJIT/withoutJIT and withPackages extensions.
      finalPackage = mkOption {
        default = cfg.package;
        defaultText = "with config.services.postgresql; package.withPackages extensions";
        description = "The postgresql package that will effectively be used in the system.";
        readOnly = true;
        type = types.package;
      };

      identMap = mkOption {
        default = "";
        description = "Defines the mapping from system users to database users.";
        type = types.lines;
      };

      initdbArgs = mkOption {
        default = [ ];
        description = "Additional arguments passed to `initdb` during data dir initialisation.";
        type = with types; listOf str;
      };

      initialScript = mkOption {
        default = null;
        description = "A file containing SQL statements to execute on first startup.";
        type = types.nullOr types.path;
      };

      settings = mkOption {
        default = { };
        description = "PostgreSQL configuration.";

        type =
          with types;
          submodule {
            options = {
              log_line_prefix = mkOption {
                default = "[%p] ";
                description = "A printf-style string that is output at the beginning of each log line.";
                example = "%m [%p] ";
                type = types.str;
              };

              port = mkOption {
                default = 5432;
                description = "The port on which PostgreSQL listens.";
                type = types.port;
              };

              shared_preload_libraries = mkOption {
                default = null;
                description = "List of libraries to be preloaded.";
                type = nullOr (coercedTo (listOf str) (concatStringsSep ",") commas);
              };
            };

            freeformType = attrsOf (oneOf [
              bool
              float
              int
              str
            ]);
          };
      };

      superUser = mkOption {
        default = "postgres";
        description = "PostgreSQL superuser account to use for various operations.";
        internal = true;
        readOnly = true;
        type = types.str;
      };
    };

  };

  config = mkIf cfg.enable {

    assertions = map (
      { ensureDBOwnership, name, ... }:
      {
        assertion = ensureDBOwnership -> elem name cfg.ensureDatabases;

        message = ''
          For each database user defined with `services.postgresql.ensureUsers` and
          `ensureDBOwnership = true;`, a database with the same name must be defined
          in `services.postgresql.ensureDatabases`.

          Offender: ${name} has not been found among databases.
        '';
      }
    ) cfg.ensureUsers;

    environment.systemPackages = [ cfg.finalPackage ];

    services.postgresql.authentication = mkMerge [
      (mkBefore "# Generated file; do not edit!")
      (mkAfter ''
        # default value of services.postgresql.authentication
        local all postgres         peer map=postgres
        local all all              peer
        host  all all 127.0.0.1/32 md5
        host  all all ::1/128      md5
      '')
    ];

    services.postgresql.dataDir = mkDefault "/var/lib/postgresql/${psqlSchema}";

    # The default allows to login with the same database username as the current system user.
    # This is the default for peer authentication without a map, but needs to be made explicit
    # once a map is used.
    services.postgresql.identMap = mkAfter ''
      postgres postgres postgres
    '';

    services.postgresql.package =
      let
        mkThrow = ver: throw "postgresql_${ver} was removed, please upgrade your postgresql version.";
        base =
          # XXX Don't forget to keep `defaultText` of `services.postgresql.package` up to date!
          if versionAtLeast config.system.stateVersion "26.11" then
            pkgs.postgresql_18 or (missing "postgresql_18")
          else if versionAtLeast config.system.stateVersion "25.11" then
            pkgs.postgresql_17 or (missing "postgresql_17")
          else if versionAtLeast config.system.stateVersion "24.11" then
            pkgs.postgresql_16 or (missing "postgresql_16")
          else if versionAtLeast config.system.stateVersion "23.11" then
            pkgs.postgresql_15 or (missing "postgresql_15")
          else if versionAtLeast config.system.stateVersion "22.05" then
            pkgs.postgresql_14 or (missing "postgresql_14")
          else if versionAtLeast config.system.stateVersion "21.11" then
            mkThrow "13"
          else if versionAtLeast config.system.stateVersion "20.03" then
            mkThrow "11"
          else if versionAtLeast config.system.stateVersion "17.09" then
            mkThrow "9_6"
          else
            mkThrow "9_5";
      in
      # Note: when changing the default, make it conditional on
      # ‘system.stateVersion’ to maintain compatibility with existing
      # systems!
      mkDefault (if cfg.enableJIT then base.withJIT else base);

    services.postgresql.settings = {
      hba_file = "${pkgs.writeText "pg_hba.conf" cfg.authentication}";
      ident_file = "${pkgs.writeText "pg_ident.conf" cfg.identMap}";
      jit = mkDefault (if cfg.enableJIT then "on" else "off");
      listen_addresses = if cfg.enableTCPIP then "*" else "localhost";
      log_destination = "stderr";
    };

    systemd.services.postgresql = {
      after = [ "network.target" ];
      description = "PostgreSQL Server";
      environment.PGDATA = cfg.dataDir;
      partOf = [ "postgresql.target" ];
      path = [ cfg.finalPackage ];

      # nixpkgs links "${configFile}/postgresql.conf" (a writeTextDir).
      preStart = ''
        if ! test -e ${cfg.dataDir}/PG_VERSION; then
          # Cleanup the data directory.
          rm -f ${cfg.dataDir}/*.conf

          # Initialise the database.
          initdb -U ${cfg.superUser} ${escapeShellArgs cfg.initdbArgs}

          # See postStart!
          touch "${cfg.dataDir}/.first_startup"
        fi

        ln -sfn "${configFile}" "${cfg.dataDir}/postgresql.conf"
      '';

      serviceConfig = mkMerge [
        {
          ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
          ExecStart = "${cfg.finalPackage}/bin/postgres";
          Group = "postgres";
          KillMode = "mixed";
          KillSignal = "SIGINT";
          Restart = "always";
          RuntimeDirectory = "postgresql";
          TimeoutSec = 120;
          Type = if versionAtLeast cfg.package.version "9.6" then "notify" else "simple";
          UMask = "0027";
          User = "postgres";
        }
        (mkIf (cfg.dataDir != "/var/lib/postgresql/${psqlSchema}") {
          # The user provides their own data directory
          ReadWritePaths = [ cfg.dataDir ];
        })
        (mkIf (cfg.dataDir == "/var/lib/postgresql/${psqlSchema}") {
          # Provision the default data directory
          StateDirectory = "postgresql postgresql/${psqlSchema}";
          StateDirectoryMode = "0750";
        })
      ];

      unitConfig = {
        RequiresMountsFor = "${cfg.dataDir}";
      };

      # To trigger the .target also on "systemctl start postgresql" as well as on
      # restarts & stops.
      # Please note that postgresql.service & postgresql.target binding to
      # each other makes the Restart=always rule racy and results
      # in sometimes the service not being restarted.
      wants = [ "postgresql.target" ];
    };

    systemd.services.postgresql-setup = {
      after = [ "postgresql.service" ];
      description = "PostgreSQL Setup Scripts";
      environment.PGPORT = toString cfg.settings.port;
      path = [ cfg.finalPackage ];
      requires = [ "postgresql.service" ];

      # Wait for PostgreSQL to be ready to accept connections.
      script = ''
        # If we're in standby mode, don't perform any setup
        if [[ -f "${cfg.dataDir}/standby.signal" ]]; then
          echo "Skipping setup because PostgreSQL is in standby mode"
          exit 0
        fi

        check-connection() {
          psql -d postgres -v ON_ERROR_STOP=1 <<-'  EOF'
            SELECT pg_is_in_recovery() \gset
            \if :pg_is_in_recovery
            \i still-recovering
            \endif
          EOF
        }
        while ! check-connection 2> /dev/null; do
            if ! systemctl is-active --quiet postgresql.service; then exit 1; fi
            sleep 0.1
        done

        if test -e "${cfg.dataDir}/.first_startup"; then
          ${optionalString (cfg.initialScript != null) ''
            psql -f "${cfg.initialScript}" -d postgres
          ''}
          rm -f "${cfg.dataDir}/.first_startup"
        fi
      ''
      + optionalString (cfg.ensureDatabases != [ ]) ''
        ${concatMapStrings (database: ''
          psql -tAc "SELECT 1 FROM pg_database WHERE datname = '${database}'" | grep -q 1 || psql -tAc 'CREATE DATABASE "${database}"'
        '') cfg.ensureDatabases}
      ''
      + ''
        ${concatMapStrings generateUserSetupScript cfg.ensureUsers}
      '';

      serviceConfig = {
        Group = "postgres";
        RemainAfterExit = true;
        Type = "oneshot";
        User = "postgres";
      };
    };

    systemd.targets.postgresql = {
      description = "PostgreSQL";

      requires = [
        "postgresql.service"
        "postgresql-setup.service"
      ];

      wantedBy = [ "multi-user.target" ];
    };

    users.groups.postgres.gid = config.ids.gids.postgres;

    users.users.postgres = {
      description = "PostgreSQL server user";
      group = "postgres";
      home = "${cfg.dataDir}";
      name = "postgres";
      uid = config.ids.uids.postgres;
      useDefaultShell = true;
    };

    warnings = (
      let
        unstableState =
          if lib.hasInfix "beta" cfg.package.version then
            "in beta"
          else if lib.hasInfix "rc" cfg.package.version then
            "a release candidate"
          else
            null;
      in
      lib.optional (unstableState != null)
        "PostgreSQL ${lib.versions.major cfg.package.version} is currently ${unstableState}, and is not advised for use in production environments."
    );
  };
}
