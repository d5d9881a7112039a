# nixos/modules/misc/nixpkgs-flake.nix, reduced to nixpkgs.flake.source.
# Text: Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62079779429, read in full). Dated to 26.05 as that
# snapshot's security/acme/default.nix (see its header).
# Verbatim: the option (set by nixpkgs' flake.nix nixosSystem, and here by
# its stand-in in tests/nixos/flake-outputs.nix).
# Left out: setFlakeRegistry, setNixPath and the config (nix.registry,
# nix.nixPath: the nix module is not in this surface).
{ lib, ... }:
{
  options.nixpkgs.flake = {
    source = lib.mkOption {
      default = null;
      defaultText = "if (using nixpkgsFlake.lib.nixosSystem) then self.outPath else null";

      description = ''
        The path to the nixpkgs sources used to build the system. This is automatically set up to be
        the store path of the nixpkgs flake used to build the system if using
        `nixpkgs.lib.nixosSystem`, and is otherwise null by default.

        This can also be optionally set if the NixOS system is not built with a flake but still uses
        pinned sources: set this to the store path for the nixpkgs sources used to build the system,
        as may be obtained by `fetchTarball`, for example.

        Note: the name of the store path must be "source" due to
        <https://github.com/NixOS/nix/issues/7075>.
      '';

      example = ''fetchTarball { name = "source"; sha256 = "${lib.fakeHash}"; url = "https://github.com/nixos/nixpkgs/archive/somecommit.tar.gz"; }'';
      # In newer Nix versions, particularly with lazy trees, outPath of
      # flakes becomes a Nix-language path object. We deliberately allow this
      # to gracefully come through the interface in discussion with @roberth.
      #
      # See: https://github.com/NixOS/nixpkgs/pull/278522#discussion_r1460292639
      type = lib.types.nullOr (lib.types.either lib.types.str lib.types.path);
    };
  };
}
