# nixos/modules/misc/extra-arguments.nix: the `utils` module argument, with
# nixos/lib/utils.nix reduced to what the transcribed modules use.
# Texts: extra-arguments.nix from Swarsel/nixpkgs@4aa6836a648ca76c68866decf0c8965e36ec2a3b
# (read_file id 62246003505, read in full: `_module.args.utils = import
# ../../lib/utils.nix { inherit lib config pkgs; }`). utils.nix from
# NixOS/nixpkgs@0229f9ed9a895714550dc58c5585f7c9fb014129 (read_file id
# 54565170930, read in full; nixfmt, genJqSecretsReplacement with
# loadCredential, escapeSystemdPath following systemd's path_simplify,
# pam.autoOrderRules: a recent master text, not pinned to release-26.05).
# The three functions kept are the same, apart from formatting, in the
# older faukah/nixpkgs@3b20077c copy (id 35348571779): unchanged across the
# window.
# Verbatim: pathsNeededForBoot, fsNeededForBoot, fsBefore (used by
# tasks/filesystems.nix and system/boot/stage-1.nix).
# Deviation: utils.nix is inlined here (this surface mirrors nixos/modules
# only); systemdUtils is inlined in system/boot/systemd.nix instead.
# Left out: every other function of utils.nix (escapeSystemdPath,
# escapeSystemdExecArg(s), toShellPath, genJqSecretsReplacement*,
# removePackagesByName, systemdUtils, binfmtMagics, pam, …).
{ lib, ... }:
let
  inherit (lib)
    any
    elem
    hasPrefix
    hasSuffix
    optionalString
    ;

  utils = rec {

    # Check whenever fileSystem is needed for boot.  NOTE: Make sure
    # pathsNeededForBoot is closed under the parent relationship, i.e. if /a/b/c
    # is in the list, put /a and /a/b in as well.
    pathsNeededForBoot = [
      "/"
      "/nix"
      "/nix/store"
      "/var"
      "/var/log"
      "/var/lib"
      "/var/lib/nixos"
      "/etc"
      "/usr"
    ];
    fsNeededForBoot = fs: fs.neededForBoot || elem fs.mountPoint pathsNeededForBoot;

    # Check whenever `b` depends on `a` as a fileSystem
    fsBefore =
      a: b:
      let
        # normalisePath adds a slash at the end of the path if it didn't already
        # have one.
        #
        # The reason slashes are added at the end of each path is to prevent `b`
        # from accidentally depending on `a` in cases like
        #    a = { mountPoint = "/aaa"; ... }
        #    b = { device     = "/aaaa"; ... }
        # Here a.mountPoint *is* a prefix of b.device even though a.mountPoint is
        # *not* a parent of b.device. If we add a slash at the end of each string,
        # though, this is not a problem: "/aaa/" is not a prefix of "/aaaa/".
        normalisePath = path: "${path}${optionalString (!(hasSuffix "/" path)) "/"}";
        normalise =
          mount:
          mount
          // {
            device = normalisePath (toString mount.device);
            mountPoint = normalisePath mount.mountPoint;
            depends = map normalisePath mount.depends;
          };

        a' = normalise a;
        b' = normalise b;

      in
      hasPrefix a'.mountPoint b'.device
      || hasPrefix a'.mountPoint b'.mountPoint
      || any (hasPrefix a'.mountPoint) b'.depends;
  };
in
{
  _module.args = {
    inherit utils;
  };
}
