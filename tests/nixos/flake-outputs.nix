# The flake's outputs, evaluated under the Nix at hand with a stand-in
# `nixpkgs` input: the real lib plus a `nixosSystem` over this release's
# option surface (as nixpkgs' flake.nix defines it: eval-config.nix with
# `system` and `modules`), and the fake package set per system. Checks
# `lib`, `nixosModules`, `nixosConfigurations.{mail,dns}`, the names of
# `packages` and `checks`, the runner that import-from-derivation builds,
# and `flakeModules.default` through a reduced flake-parts evaluation.
{
  lib,
  forceSystem,
  commonProblems,
}:
{
  name,
  release,
  root,
  # A module that sets the engine caller of the tests.
  withCaller,
  # The example customer.
  customer,
}:
let
  inherit (lib) optional;
  evalNixos = import ./nixos.nix { inherit lib release; };
  allSystems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];

  nixpkgs = {
    outPath = "/nix/store/00000000000000000000000000000000-source";
    lib = lib // {
      # nixpkgs' flake.nix: eval-config.nix with `system` as nixpkgs.system.
      nixosSystem =
        args:
        evalNixos {
          modules = args.modules ++ [
            {
              nixpkgs.system = lib.mkDefault args.system;
              nixpkgs.flake.source = nixpkgs.outPath;
            }
          ];
          specialArgs = args.specialArgs or { };
        };
    };
    legacyPackages = lib.genAttrs allSystems (
      system: import ./fake-pkgs.nix { inherit lib release system; }
    );
  };

  outputs = (import (root + "/flake.nix")).outputs {
    self = outputs // {
      outPath = toString root;
    };
    inherit nixpkgs;
  };

  # The flake's systems call the engine by import-from-derivation on a Nix
  # without builtins.wasm; the tests give them their own caller instead.
  withTestCaller = system: system.extendModules { modules = [ withCaller ]; };

  vmProblems =
    vm: system:
    map (p: "nixosConfigurations.${vm}: ${p}") (
      commonProblems system.config
      ++ optional (
        system.config.warnings != expectedWarnings system.config
      ) "warnings: ${builtins.toJSON system.config.warnings}"
    );
  expectedWarnings =
    config:
    let
      plan = config.services.mailplan.plan;
    in
    lib.optionals (config.services.mailplan.enable or false) (
      map (w: "mailplan (${plan.name}): ${w}") plan.warnings
    )
    ++ optional (
      (config.services.mailplan.ddns.enable or false) && !plan.ddns.enabled
    ) "mailplan (${plan.name}): no dyndns updater runs: ${plan.ddns.reason}";

  configurations = lib.mapAttrs (_: withTestCaller) outputs.nixosConfigurations;

  # flake-parts (reduced): the `flake` option whose attributes become the
  # flake's outputs, and `inputs`/`self` as special arguments.
  flakeParts = lib.evalModules {
    specialArgs = {
      inputs = {
        inherit nixpkgs;
        self = outputs;
      };
      self = outputs;
    };
    modules = [
      {
        options.flake = lib.mkOption {
          type = lib.types.submoduleWith {
            modules = [ { freeformType = lib.types.lazyAttrsOf lib.types.raw; } ];
          };
          default = { };
          description = "The flake's outputs.";
        };
      }
      outputs.flakeModules.default
      {
        mailplan = {
          inherit customer;
          mailModules = [
            (root + "/nix/example/vm.nix")
            withCaller
          ];
          dnsModules = [
            (root + "/nix/example/vm.nix")
            withCaller
          ];
        };
      }
    ];
  };
  partsConfigurations = flakeParts.config.flake.nixosConfigurations;

  # Everything the example flake's mail VM and the modules put in one
  # system (nixosModules.default: both VMs' modules).
  defaultModuleSystem = evalNixos {
    modules = [
      outputs.nixosModules.default
      (root + "/nix/example/vm.nix")
      withCaller
      {
        services.mailplan = {
          enable = true;
          ddns.enable = true;
          inherit customer;
        };
      }
    ];
  };

  runner = system: outputs.packages.${system}.nix-wasm-run;
  # The files of the runner's source, from its store path.
  sourceFiles =
    dir: prefix:
    lib.concatLists (
      lib.mapAttrsToList (
        entry: kind:
        if kind == "directory" then sourceFiles "${dir}/${entry}" "${prefix}${entry}/" else [ "${prefix}${entry}" ]
      ) (builtins.readDir dir)
    );
  runnerSource = sourceFiles "${(runner "x86_64-linux").passthru.args.src}" "";

  # The example site's mail VM builds even where nixpkgs flags opendkim
  # as insecure (a pin before its CVE patches).
  flaggedOpendkimMail = configurations.mail.extendModules {
    modules = [
      { testing.fakePkgs.overrides.opendkim.meta.knownVulnerabilities = [ "CVE-2022-48521" ]; }
    ];
  };

  packageNames = lib.mapAttrs (_: builtins.attrNames) outputs.packages;
  expectedPackages = {
    x86_64-linux = [
      "default"
      "mail-vm"
      "mailplan"
      "mailplan-wasm"
      "nix-wasm-run"
    ];
    aarch64-linux = [
      "default"
      "mailplan"
      "mailplan-wasm"
      "nix-wasm-run"
    ];
    x86_64-darwin = [ "nix-wasm-run" ];
    aarch64-darwin = [ "nix-wasm-run" ];
  };

  # flake.lock pins the release the flake names, as a GitHub input.
  flakeInput = (import (root + "/flake.nix")).inputs.nixpkgs.url;
  lockedNixpkgs = (builtins.fromJSON (builtins.readFile (root + "/flake.lock"))).nodes.nixpkgs;

  problems =
    optional (flakeInput != "github:NixOS/nixpkgs/nixos-26.05") "flake.nix follows ${flakeInput}, not nixos-26.05"
    ++ optional (lockedNixpkgs.original != {
      owner = "NixOS";
      ref = "nixos-26.05";
      repo = "nixpkgs";
      type = "github";
    }) "flake.lock's nixpkgs is not the nixos-26.05 branch"
    ++ optional (
      builtins.match "sha256-[A-Za-z0-9+/]{43}=" lockedNixpkgs.locked.narHash == null
      || builtins.match "[0-9a-f]{40}" lockedNixpkgs.locked.rev == null
    ) "flake.lock's nixpkgs pin is malformed"
    ++ optional (!(outputs.lib ? plan && outputs.lib ? mkSite && outputs.lib ? ifdCaller)) "lib lacks plan, mkSite or ifdCaller"
    ++ optional (builtins.attrNames outputs.nixosModules != [
      "ddns"
      "default"
      "mail"
    ]) "nixosModules: ${toString (builtins.attrNames outputs.nixosModules)}"
    ++ optional (builtins.attrNames outputs.nixosConfigurations != [
      "dns"
      "mail"
    ]) "nixosConfigurations: ${toString (builtins.attrNames outputs.nixosConfigurations)}"
    ++ lib.concatLists (lib.mapAttrsToList vmProblems configurations)
    ++ lib.concatLists (
      lib.mapAttrsToList (vm: system: map (p: "flakeModules.default: ${p}") (vmProblems vm system)) partsConfigurations
    )
    ++ map (p: "nixosModules.default: ${p}") (commonProblems defaultModuleSystem.config)
    ++ optional (packageNames != expectedPackages) "packages: ${builtins.toJSON packageNames}"
    ++ optional (
      lib.mapAttrs (_: builtins.attrNames) outputs.checks
      != lib.genAttrs [ "aarch64-linux" "x86_64-linux" ] (_: [
        "eval"
        "nixos-eval"
        "unit"
        "vm-relay"
      ])
    ) "checks: ${builtins.toJSON (lib.mapAttrs (_: builtins.attrNames) outputs.checks)}"
    # The import-from-derivation runner: one binary, no tests, built for
    # every system an operator evaluates on, from the workspace's sources
    # without tests.
    ++ lib.concatMap (
      system:
      optional ((runner system).drvAttrs.doCheck != false) "${system}: the runner runs tests"
      ++ optional ((runner system).drvAttrs.cargoBuildFlags != [
        "--package"
        "nix-wasm-host"
        "--bin"
        "nix-wasm-run"
      ]) "${system}: the runner builds more than nix-wasm-run"
    ) allSystems
    ++ map (file: "the runner's source holds ${file}") (
      builtins.filter (file: builtins.match "(.*/)?(tests|examples)/.*|nix/.*|README.md" file != null) runnerSource
    )
    ++ optional (!builtins.elem "crates/nix-wasm-host/src/bin/nix-wasm-run.rs" runnerSource) "the runner's source lacks its main"
    ++ optional (outputs.formatter.x86_64-linux.pname != "nixfmt") "formatter is not nixfmt"
    ++ optional (
      !(builtins.tryEval (forceSystem flaggedOpendkimMail.config [ ])).success
    ) "nixosConfigurations.mail is refused where nixpkgs flags opendkim as insecure";
in
{
  report = {
    inherit name problems;
    scripts = { };
    files = { };
  };
  forced = builtins.deepSeq (
    lib.mapAttrsToList (_: system: forceSystem system.config [ system.config.services.mailplan.plan ]) (
      configurations // partsConfigurations
    )
  ) true;
  refusedWith = null;
  # The flake's `nixos-eval` check, every case of tests/nixos in one
  # evaluation. run.py evaluates it with the real builtins.wasm only:
  # without it the flake calls the engine by import-from-derivation.
  nixosEvalCheck = outputs.checks.x86_64-linux.nixos-eval;
}
