# A stand-in for the nixpkgs package set of one NixOS release, so that the
# NixOS modules can be evaluated without nixpkgs. Every package is a fake
# derivation: an attribute set with `type = "derivation"` and a store-like
# `outPath`, carrying what modules read from it (version, meta, passthru).
# The trivial builders (writeText, writeShellScript, …) keep the text they
# would write, so a test can force and inspect it; shell scripts are marked
# for the `bash -n` that nixpkgs' writeShellScript runs as its checkPhase.
#
# Insecure packages behave as in nixpkgs' check-meta: reading `outPath` or
# `drvPath` of a package with `meta.knownVulnerabilities` throws, unless
# `config.permittedInsecurePackages` names it.
{
  lib,
  # The NixOS release whose package versions to use (see `releases`).
  release,
  # nixpkgs' `config` (config.nixpkgs.config of the evaluated system).
  config ? { },
  system ? "x86_64-linux",
  # Attributes to override per package name, e.g.
  # `{ opendkim.meta.knownVulnerabilities = [ "…" ]; }`.
  overrides ? { },
  # The NixOS test framework (pkgs.testers.runNixOSTest), given by the
  # harness because it evaluates the test's nodes with the same surfaces.
  runNixOSTest ? _: throw "fake-pkgs: testers.runNixOSTest is not available here",
}:
let
  # Package versions the modules look at. Only dovecot's (2.3 or 2.4
  # selects the module's code paths) and postfix's (compatibility_level)
  # change what the modules produce; the others are plausible stand-ins.
  #
  # dovecot: nixpkgs pkgs/by-name/do/dovecot/{package,2.3}.nix. A
  # NixOS/nixpkgs tree of the 26.05 cycle has 2.4.2 (read_file id
  # 39466022427); a later master tree (Swarsel/nixpkgs@4aa6836a, roundcube
  # 1.7.2, lego 4) has 2.4.4. dovecot_2_3 is 2.3.21.1 in every tree.
  releases = {
    "26.05" = {
      dovecot = "2.4.2";
      dovecot_2_3 = "2.3.21.1";
      postfix = "3.10.5";
      opendkim = "2.11.0-Beta2";
      roundcube = "1.7.0";
      nginx = "1.28.0";
    };
    "26.11" = {
      dovecot = "2.4.4";
      dovecot_2_3 = "2.3.21.1";
      postfix = "3.10.6";
      opendkim = "2.11.0-Beta2";
      roundcube = "1.7.2";
      nginx = "1.30.0";
    };
  };
  versions = releases.${release} or (throw "fake-pkgs: no package versions for release ${release}");

  storeDir = "/nix/store";
  # A deterministic store path: nix32 has no e, o, t or u.
  storePath =
    name: seed:
    "${storeDir}/${
      builtins.substring 0 32 (
        builtins.replaceStrings [ "e" ] [ "z" ] (builtins.hashString "sha256" "${name}\n${seed}")
      )
    }-${name}";

  permitted =
    name:
    builtins.elem name (config.permittedInsecurePackages or [ ])
    || (config.allowInsecurePredicate or (_: false)) { inherit name; };

  # nixpkgs' check-meta refuses an insecure package when its derivation is
  # instantiated (outPath/drvPath forced), not when it is merely referenced.
  refuseInsecure =
    name: meta: value:
    if (meta.knownVulnerabilities or [ ]) != [ ] && !permitted name then
      throw ''
        Package ‘${name}’ is marked as insecure, refusing to evaluate.

        Known issues:
        ${lib.concatMapStrings (v: " - ${v}\n") meta.knownVulnerabilities}
        You can install it anyway by allowing this package, using the
        following methods:
          nixpkgs.config.permittedInsecurePackages = [ "${name}" ];''
    else
      value;

  # A fake derivation. `attrs` become attributes of the derivation, like
  # mkDerivation's arguments and passthru.
  mkFake =
    {
      name,
      meta ? { },
      seed ? "",
      ...
    }@attrs:
    let
      path = storePath name seed;
      self =
        removeAttrs attrs [ "seed" ]
        // {
          type = "derivation";
          inherit name system;
          meta = {
            inherit name;
          }
          // meta;
          outPath = refuseInsecure name self.meta path;
          drvPath = refuseInsecure name self.meta "${path}.drv";
          outputs = [ "out" ];
          outputName = "out";
          out = self;
          drvAttrs = removeAttrs attrs [ "seed" ];
        };
    in
    self;

  package =
    pname: args:
    let
      version = versions.${pname} or "0.0.0-fake";
      base = {
        name = "${pname}-${version}";
        inherit pname version;
        meta.mainProgram = pname;
      };
    in
    mkFake (lib.recursiveUpdate (lib.recursiveUpdate base args) (overrides.${pname} or { }));

  writeTextFile =
    {
      name,
      text,
      executable ? false,
      destination ? "",
      checkPhase ? "",
      meta ? { },
      ...
    }:
    mkFake {
      inherit
        name
        text
        executable
        destination
        checkPhase
        meta
        ;
      seed = text;
    };

  bash = package "bash" { meta.mainProgram = "bash"; };
  runtimeShell = "${bash}/bin/bash";
  shellDryRun = "${bash}/bin/bash -n -O extglob";

  # writeShellScript and friends: the text nixpkgs writes, and a marker for
  # the harness, which runs the same `bash -n` as their checkPhase.
  shellScript =
    {
      name,
      text,
      bin ? false,
    }:
    writeTextFile {
      inherit name;
      executable = true;
      destination = lib.optionalString bin "/bin/${name}";
      text = "#!${runtimeShell}\n${text}";
      checkPhase = ''${shellDryRun} "$target"'';
      meta.mainProgram = name;
    }
    // {
      shellCheck = true;
    };

  pkgs = {
    inherit
      lib
      system
      config
      runtimeShell
      writeTextFile
      bash
      ;
    path = toString ./.;

    stdenv = {
      hostPlatform = {
        inherit system;
        isLinux = lib.hasSuffix "-linux" system;
        isDarwin = lib.hasSuffix "-darwin" system;
        isx86 = lib.hasPrefix "x86_64-" system;
      };
      buildPlatform = pkgs.stdenv.hostPlatform;
      inherit shellDryRun;
    };
    stdenvNoCC = pkgs.stdenv;

    writeText = name: text: writeTextFile { inherit name text; };
    writeScript =
      name: text:
      writeTextFile {
        inherit name text;
        executable = true;
      };
    writeShellScript = name: text: shellScript { inherit name text; };
    writeShellScriptBin =
      name: text:
      shellScript {
        inherit name text;
        bin = true;
      };
    runCommand =
      name: env: buildCommand:
      mkFake (
        env
        // {
          inherit name buildCommand;
          seed = buildCommand;
        }
      );
    runCommandLocal = pkgs.runCommand;
    linkFarm =
      name: entries:
      mkFake {
        inherit name entries;
        seed = builtins.toJSON (map (e: e.name or "") (lib.toList entries));
      };
    symlinkJoin =
      { name, paths, ... }@args:
      mkFake (
        args
        // {
          seed = toString (map toString paths);
        }
      );

    # The flake's packages are built by rustPlatform.buildRustPackage; the
    # fake keeps its arguments so the tests can check what would be built.
    rustPlatform.buildRustPackage =
      args:
      mkFake (
        removeAttrs args [ "src" ]
        // {
          name = "${args.pname}-${args.version}";
          seed = builtins.toJSON (removeAttrs args [ "src" ]);
          passthru.args = args;
        }
      );

    testers = { inherit runNixOSTest; };

    postfix = package "postfix" { };
    dovecot = package "dovecot" {
      passthru.dovecot_pigeonhole = package "dovecot-pigeonhole" { };
    };
    dovecot_2_3 = package "dovecot_2_3" {
      pname = "dovecot";
      name = "dovecot-${versions.dovecot_2_3}";
      version = versions.dovecot_2_3;
      meta.mainProgram = "dovecot";
    };
    opendkim = package "opendkim" { };
    nginx = package "nginx" {
      modules = [ ];
      override = _: pkgs.nginx;
    };
    nginxStable = pkgs.nginx;
    nginxModules = { };
    php = package "php" {
      withExtensions = _: pkgs.php;
      buildEnv = _: pkgs.php;
      extensions = { };
    };
    php84 = pkgs.php;
    php83 = pkgs.php;
    aspellWithDicts = _: package "aspell-env" { };
    aspellDicts = { };
    writers.writeNginxConfig = pkgs.writeText;
    writeNginxConfig = pkgs.writeText;
    concatText =
      name: files:
      mkFake {
        inherit name files;
        seed = toString files;
      };
    postgresql = pkgs.postgresql_17;
  }
  # PostgreSQL majors, by the names nixpkgs gives them.
  // builtins.listToAttrs (
    map (major: {
      name = "postgresql_${major}";
      value = package "postgresql" {
        name = "postgresql-${major}.0";
        version = "${major}.0";
        psqlSchema = major;
        withPackages = _: pkgs."postgresql_${major}";
        pkgs = { };
      };
    }) [
      "14"
      "15"
      "16"
      "17"
      "18"
    ]
  )
  # Packages that modules only name (in paths, wrappers, ExecStart).
  // lib.genAttrs [
    "openssl"
    "jq"
    "roundcube"
    "ddns-updater"
    "lego"
    "minica"
    "swaks"
    "coreutils"
    "cacert"
    "nixfmt"
    "shadow"
    "bashInteractive"
    "zsh"
    "fish"
    "xonsh"
    "gnugrep"
    "gnused"
    "findutils"
    "diffutils"
    "flock"
    "mailcap"
    "systemd"
    "nix"
    "nftables"
    "iptables"
    "iptables-legacy"
    "ipset"
    "iana-etc"
    "nixos-firewall-tool"
    "util-linux"
    "procps"
  ] (name: package name { })
  // {
    linuxPackages.kernel = package "linux" {
      version = "6.12.0";
      config.isEnabled = _: true;
      features = { };
    };
    libxcrypt = package "libxcrypt" {
      enabledCryptSchemeIds = [
        "y"
        "gy"
        "7"
        "2b"
        "2y"
        "2a"
        "6"
        "5"
        "1"
      ];
    };
  };
in
pkgs
