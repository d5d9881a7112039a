# The option surface of NixOS 26.05: the NixOS modules that mailplan's
# modules set or read, transcribed from the nixpkgs sources of that release
# (each file names the nixpkgs file and the text it was read from). The
# directory mirrors nixpkgs' nixos/modules, so it doubles as `modulesPath`.
{
  release = "26.05";
  modulesPath = ./.;
  modules = import ./module-list.nix;
}
