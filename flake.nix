{
  description = "mailplan: put a customer's mail VM on the public internet from one declaration";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      mailplanLib = import ./nix/lib { };

      # Evaluators without builtins.wasm (stock Nix) run the engine by
      # import-from-derivation, with this flake's runner.
      wasmCallFor =
        pkgs:
        if builtins ? wasm then
          null
        else
          mailplanLib.callers.ifd {
            inherit (pkgs) runCommand;
            runner = self.packages.${pkgs.stdenv.hostPlatform.system}.nix-wasm-run;
          };

      # Imported by both VM modules; the key makes the module system take
      # it once, so nixosModules.default defines the caller once.
      defaultCaller = {
        key = "mailplan#defaultCaller";
        _file = ./flake.nix;
        imports = [
          (
            { lib, pkgs, ... }:
            {
              services.mailplan.wasmCall = lib.mkDefault (wasmCallFor pkgs);
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
    in
    {
      # The plan functions (plan, spf, dnsRecords, relay, ddns, zone,
      # secrets, version), the builders (addMailRelay, addDomainProvider,
      # withPublicIP), the renderers, and mkSite. `withWasmCall` gives the
      # same library with another engine caller.
      lib = mailplanLib // {
        withWasmCall = wasmCall: import ./nix/lib { inherit wasmCall; };
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
          { networking.hostName = "mail"; }
        ];
        dnsModules = [
          ./nix/example/vm.nix
          { networking.hostName = "dns"; }
        ];
      };

      packages = forAllSystems (
        pkgs:
        let
          workspace = pkgs.rustPlatform.buildRustPackage {
            pname = "mailplan";
            version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).workspace.package.version;
            src = pkgs.lib.fileset.toSource {
              root = ./.;
              fileset = pkgs.lib.fileset.unions [
                ./Cargo.toml
                ./Cargo.lock
                ./crates
                ./examples
                ./nix/mailplan.wasm
              ];
            };
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
        in
        {
          mailplan = workspace;
          nix-wasm-run = workspace;
          default = workspace;
          # The committed plugin, as evaluation uses it. Its build needs a
          # pinned nightly with -Zbuild-std, which nixpkgs does not carry:
          # scripts/build-wasm.sh rebuilds it, and the repository's test
          # command checks that the rebuild is byte-identical.
          mailplan-wasm = pkgs.runCommand "mailplan.wasm" { } "cp ${./nix/mailplan.wasm} $out";
        }
        # The example site's mail VM (`nix run .#mail-vm`), for its system.
        // pkgs.lib.optionalAttrs (pkgs.stdenv.hostPlatform.system == "x86_64-linux") {
          mail-vm = self.nixosConfigurations.mail.config.system.build.vm;
        }
      );

      checks = forAllSystems (
        pkgs:
        let
          planFor = (self.lib.withWasmCall (wasmCallFor pkgs)).plan;
          expected = file: builtins.fromJSON (builtins.readFile ./examples/expected/${exampleName file}.plan.json);
          declaration = file: builtins.fromJSON (builtins.readFile ./examples/${file});
          mismatches = builtins.filter (file: planFor (declaration file) != expected file) examples;
        in
        {
          # cargo test of the engine, CLI, host and plugin.
          unit = self.packages.${pkgs.stdenv.hostPlatform.system}.mailplan;

          # Every example planned during evaluation equals its expected plan.
          eval =
            if mismatches == [ ] then
              pkgs.runCommand "mailplan-eval" { } "echo ${toString (builtins.length examples)} plans > $out"
            else
              throw "mailplan: plans differ from examples/expected for: ${toString mismatches}";

          # The relay VM test (needs KVM).
          vm-relay = import ./nix/tests/relay.nix {
            inherit pkgs;
            mailModule = self.nixosModules.mail;
          };
        }
      );

      formatter = forAllSystems (pkgs: pkgs.nixfmt);
    };
}
