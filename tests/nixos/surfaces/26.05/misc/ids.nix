# nixos/modules/misc/ids.nix, reduced to some entries.
# Text: NixOS/nixpkgs@001d025fd4d70322f01b25021f074db9c359ae0a (read_file id
# 52954359230), verbatim where kept. Dated to the 26.05 cycle by content: it
# has `shoko = 328`, and Shoko is a new module in the 26.05 release notes
# (rl-2605, id 53373593116).
# ONLY THESE ENTRIES ARE TRANSCRIBED: the ids of the users and groups that
# the transcribed modules create (postfix, postdrop, dovecot2, dovenull2,
# opendkim, nginx, postgres), the static groups and users of
# config/users-groups.nix (root, nobody, wheel, …), the legacy `dovecot`,
# `keys`, and nixbld. Every other entry of the ~300 in each table is left out.
# `clock` is not in that copy (it has `uinput = 327`); it is taken from a
# later master copy (Swarsel/nixpkgs@4aa6836a, id 62201344166, where
# `clock = 327`), because users-groups.nix defines the static group `clock`.
# That later copy also has `types.attrsOf types.ints.u32` instead of
# `types.attrsOf types.int`; which of the two 26.05 has is not established.
{ lib, ... }:

let
  inherit (lib) types;
in
{
  options = {

    ids.uids = lib.mkOption {
      internal = true;
      description = ''
        The user IDs used in NixOS.
      '';
      type = types.attrsOf types.int;
    };

    ids.gids = lib.mkOption {
      internal = true;
      description = ''
        The group IDs used in NixOS.
      '';
      type = types.attrsOf types.int;
    };

  };

  config = {

    ids.uids = {
      root = 0;
      postfix = 13;
      #postdrop = 14; # unused
      dovecot = 15;
      dovecot2 = 46;
      dovenull2 = 47;
      nginx = 60;
      postgres = 71;
      opendkim = 221;

      # When adding a uid, make sure it doesn't match an existing gid. And don't use uids above 399!

      nixbld = 30000; # start of range of uids
      nobody = 65534;
    };

    ids.gids = {
      root = 0;
      wheel = 1;
      kmem = 2;
      tty = 3;
      disk = 6;
      postfix = 13;
      postdrop = 14;
      dovecot = 15;
      audio = 17;
      floppy = 18;
      uucp = 19;
      lp = 20;
      cdrom = 24;
      tape = 25;
      video = 26;
      dialout = 27;
      utmp = 29;
      dovecot2 = 46;
      dovenull2 = 47;
      adm = 55;
      nginx = 60;
      postgres = 71;
      keys = 96;
      input = 174;
      opendkim = 221;
      kvm = 302; # default udev rules from systemd requires these
      render = 303; # default udev rules from systemd requires these
      sgx = 304; # default udev rules from systemd requires these
      shadow = 318;
      clock = 327; # from Swarsel/nixpkgs@4aa6836a (id 62201344166), see above

      users = 100;
      nixbld = 30000;
      nogroup = 65534;
    };

  };
}
