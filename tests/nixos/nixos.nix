# evalNixos: a NixOS system evaluated by the real module system (`lib`)
# over the option surface of one NixOS release instead of nixpkgs' modules,
# as nixpkgs' nixos/lib/eval-config.nix does it (class "nixos",
# `modulesPath` as a special argument, `pkgs` from the nixpkgs module).
#
#   evalNixos = import ./nixos.nix { inherit lib; release = "26.05"; };
#   (evalNixos { modules = [ ./configuration.nix ]; }).config
{
  lib,
  release,
}:
let
  surface = import ./surfaces/${release};

  evalNixos =
    {
      modules,
      specialArgs ? { },
    }:
    lib.evalModules {
      class = "nixos";
      specialArgs = {
        modulesPath = toString surface.modulesPath;
        nixosRelease = surface.release;
      }
      // specialArgs;
      modules = surface.modules ++ [ harness ] ++ modules;
    };

  # What the harness gives every system: the NixOS test framework for
  # pkgs.testers.runNixOSTest, and a place where the surfaces expose the
  # files their modules render.
  harness = {
    _file = ./nixos.nix;
    options.testing.runNixOSTest = lib.mkOption {
      type = lib.types.raw;
      internal = true;
      default = runNixOSTest;
      description = "pkgs.testers.runNixOSTest of the fake package set.";
    };
    options.testing.rendered = lib.mkOption {
      type = lib.types.attrsOf lib.types.raw;
      internal = true;
      default = { };
      description = "Files a transcribed module renders (by their /etc name), for the tests to read.";
    };
  };

  # nixos/lib/testing (reduced): every node is a NixOS system of this
  # surface with the test instrumentation's defaults; nodes see each
  # other's configuration as the `nodes` module argument. The result is a
  # derivation-like value carrying the nodes and the test script.
  runNixOSTest =
    {
      name,
      nodes,
      testScript,
      ...
    }:
    let
      nodeNames = builtins.attrNames nodes;
      evaluated = lib.imap1 (
        index: nodeName:
        lib.nameValuePair nodeName (evalNixos {
          modules = [
            nodes.${nodeName}
            (testNode index nodeName)
            { _module.args.nodes = configs; }
          ];
        })
      ) nodeNames;
      configs = lib.mapAttrs (_: system: system.config) (builtins.listToAttrs evaluated);
    in
    {
      type = "derivation";
      name = "vm-test-run-${name}";
      outPath = "/nix/store/00000000000000000000000000000000-vm-test-run-${name}";
      nodes = configs;
      testScript = if builtins.isFunction testScript then testScript { nodes = configs; } else testScript;
    };

  # nixos/lib/testing/network.nix, nixos/modules/testing/test-instrumentation.nix
  # and nixos/modules/virtualisation/qemu-vm.nix (reduced, from memory):
  # the node's address on the test network, its host name, the release as
  # state version, and the VM's disk and boot loader (mkVMOverride is
  # priority 10).
  testNode = index: nodeName: {
    _file = ./nixos.nix;
    options.networking.primaryIPAddress = lib.mkOption {
      type = lib.types.str;
      default = "192.168.1.${toString index}";
      description = "The node's IPv4 address on the first test network.";
    };
    config = {
      networking.hostName = lib.mkDefault nodeName;
      system.stateVersion = lib.mkDefault surface.release;
      boot.loader.grub.device = lib.mkOverride 10 "/dev/vda";
      fileSystems."/" = lib.mkOverride 10 {
        device = "/dev/disk/by-label/nixos";
        fsType = "ext4";
      };
    };
  };
in
evalNixos
