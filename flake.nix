{
  description = "mailplan: put a customer's mail VM on the public internet from one declaration";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      # The VMs, the checks and the full package run on Linux; the runner
      # of the import-from-derivation fallback also builds where operators
      # evaluate (macOS included).
      linuxSystems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      runnerSystems = linuxSystems ++ [
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forSystems = systems: f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      mailplanLib = import ./nix/lib { };

      # Evaluators without builtins.wasm run the engine by
      # import-from-derivation: the runner and the call are built for the
      # machine that evaluates, whatever system the VM runs.
      ifdCaller =
        system:
        mailplanLib.callers.ifd {
          inherit (nixpkgs.legacyPackages.${system}) runCommand;
          runner = self.packages.${system}.nix-wasm-run;
        };

      # Imported by both VM modules; the key makes the module system take
      # it once, so nixosModules.default defines the caller once. Pure flake
      # evaluation does not reveal the evaluating system: the VM's build
      # platform stands in for it (set services.mailplan.wasmCall =
      # mailplan.lib.ifdCaller "<system>" when they differ).
      defaultCaller = {
        key = "mailplan#defaultCaller";
        _file = ./flake.nix;
        imports = [
          (
            { lib, pkgs, ... }:
            {
              services.mailplan.wasmCall = lib.mkDefault (
                if builtins ? wasm then
                  null
                else
                  ifdCaller (builtins.currentSystem or pkgs.stdenv.buildPlatform.system)
              );
            }
          )
        ];
      };
      withDefaultCaller = module: {
        imports = [
          module
          defaultCaller
        ];
      };

      examples = builtins.filter (name: builtins.match ".*\\.json" name != null) (
        builtins.attrNames (builtins.readDir ./examples)
      );
      exampleName = file: builtins.head (builtins.match "(.*)\\.json" file);

      version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).workspace.package.version;

      # A source tree of the repository holding only `paths` (relative to
      # it), and the directories leading to them.
      sourceOf =
        name: paths:
        lib.cleanSourceWith {
          inherit name;
          src = ./.;
          filter =
            path: type:
            let
              relative = lib.removePrefix (toString ./. + "/") (toString path);
            in
            lib.any (
              wanted: relative == wanted || lib.hasPrefix "${relative}/" wanted || lib.hasPrefix "${wanted}/" relative
            ) paths;
        };
      crates = builtins.attrNames (builtins.readDir ./crates);
      # What cargo needs to load the workspace and build it: every
      # manifest, every crate's sources, and the bench a manifest declares;
      # no tests.
      workspacePaths = [
        "Cargo.toml"
        "Cargo.lock"
        "crates/mailplan-wasm/benches"
      ]
      ++ lib.concatMap (crate: [
        "crates/${crate}/Cargo.toml"
        "crates/${crate}/src"
      ]) crates;
    in
    {
      # The plan functions (plan, spf, dnsRecords, relay, ddns, zone,
      # secrets, version), the builders (addMailRelay, addDomainProvider,
      # withPublicIP), the renderers, and mkSite. `withWasmCall` gives the
      # same library with another engine caller; `ifdCaller system` is the
      # import-from-derivation caller that builds on `system`.
      lib = mailplanLib // {
        withWasmCall = wasmCall: import ./nix/lib { inherit wasmCall; };
        inherit ifdCaller;
        mkSite = import ./nix/site.nix { inherit self; };
      };

      nixosModules = {
        mail = withDefaultCaller ./nix/modules/mail.nix;
        ddns = withDefaultCaller ./nix/modules/ddns.nix;
        default = {
          imports = [
            self.nixosModules.mail
            self.nixosModules.ddns
          ];
        };
      };

      flakeModules.default = import ./nix/flake-module.nix { inherit self; };

      # The example site: nix build .#nixosConfigurations.mail.config.system.build.toplevel
      nixosConfigurations = self.lib.mkSite {
        inherit nixpkgs;
        customer = import ./nix/example/customer.nix;
        mailModules = [
          ./nix/example/vm.nix
          {
            networking.hostName = "mail";
            # nixpkgs flagged opendkim insecure until its CVE patches, and
            # whether the pinned revision has them is not established here;
            # mailplan's opendkim only signs, which neither CVE reaches (see
            # the README), so the example builds on either side of the patch.
            nixpkgs.config.permittedInsecurePackages = [ "opendkim-2.11.0-Beta2" ];
          }
        ];
        dnsModules = [
          ./nix/example/vm.nix
          { networking.hostName = "dns"; }
        ];
      };

      packages = lib.foldl' lib.recursiveUpdate { } [
        (forSystems runnerSystems (pkgs: {
          # The runner alone, for import-from-derivation during evaluation:
          # one binary, no tests.
          nix-wasm-run = pkgs.rustPlatform.buildRustPackage {
            pname = "nix-wasm-run";
            inherit version;
            src = sourceOf "nix-wasm-run-source" workspacePaths;
            cargoLock.lockFile = ./Cargo.lock;
            cargoBuildFlags = [
              "--package"
              "nix-wasm-host"
              "--bin"
              "nix-wasm-run"
            ];
            doCheck = false;
            meta.mainProgram = "nix-wasm-run";
          };
        }))
        (forSystems linuxSystems (pkgs: {
          # The CLI and the runner, with the tests of the engine, the CLI,
          # the host and the plugin.
          mailplan = pkgs.rustPlatform.buildRustPackage {
            pname = "mailplan";
            inherit version;
            src = sourceOf "mailplan-source" (
              workspacePaths
              ++ map (crate: "crates/${crate}/tests") crates
              ++ [
                "examples"
                "nix/mailplan.wasm"
              ]
            );
            cargoLock.lockFile = ./Cargo.lock;
            cargoBuildFlags = [
              "--package"
              "mailplan-cli"
              "--package"
              "nix-wasm-host"
            ];
            cargoTestFlags = [
              "--package"
              "mailplan"
              "--package"
              "mailplan-cli"
              "--package"
              "nix-wasm-host"
              "--package"
              "mailplan-wasm"
            ];
            meta.mainProgram = "mailplan";
          };
          default = self.packages.${pkgs.stdenv.hostPlatform.system}.mailplan;
          # The committed plugin, as evaluation uses it. Its build needs a
          # pinned nightly with -Zbuild-std, which nixpkgs does not carry:
          # scripts/build-wasm.sh rebuilds it, and the repository's test
          # command checks that the rebuild is byte-identical.
          mailplan-wasm = pkgs.runCommand "mailplan.wasm" { } "cp ${./nix/mailplan.wasm} $out";
        }))
        # The example site's mail VM (`nix run .#mail-vm`).
        { x86_64-linux.mail-vm = self.nixosConfigurations.mail.config.system.build.vm; }
      ];

      checks = forSystems linuxSystems (
        pkgs:
        let
          system = pkgs.stdenv.hostPlatform.system;
          wasmCall = if builtins ? wasm then null else ifdCaller system;
          planFor = (self.lib.withWasmCall wasmCall).plan;
          expected = file: builtins.fromJSON (builtins.readFile ./examples/expected/${exampleName file}.plan.json);
          declaration = file: builtins.fromJSON (builtins.readFile ./examples/${file});
          mismatches = builtins.filter (file: planFor (declaration file) != expected file) examples;
        in
        {
          # cargo test of the engine, CLI, host and plugin.
          unit = self.packages.${system}.mailplan;

          # Every example planned during evaluation equals its expected plan.
          eval =
            if mismatches == [ ] then
              pkgs.runCommand "mailplan-eval" { } "echo ${toString (builtins.length examples)} plans > $out"
            else
              throw "mailplan: plans differ from examples/expected for: ${toString mismatches}";

          # The NixOS evaluation tests of tests/nixos with nixpkgs' own lib:
          # every module over the 26.05 and 26.11 option surfaces, per
          # example, VM and variant.
          nixos-eval = import ./tests/nixos/flake-check.nix {
            inherit lib;
            inherit (pkgs) runCommand;
            inherit (import ./tests/nixos { inherit lib wasmCall; }) cases;
          };

          # The relay VM test (needs KVM).
          vm-relay = import ./nix/tests/relay.nix {
            inherit pkgs;
            mailModule = self.nixosModules.mail;
          };
        }
      );

      formatter = forSystems runnerSystems (pkgs: pkgs.nixfmt);
    };
}
