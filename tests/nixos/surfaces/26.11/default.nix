# The option surface of NixOS 26.11 (branching in December 2026): the 26.05
# surface, whose files encode where 26.11's sources differ, by the
# release (`nixosRelease`), as far as it is established from nixpkgs
# master texts of the 26.11 cycle and its release notes:
# - services/mail/postfix.nix: no `useSrs` rename; services.pfix-srsd is
#   gone (nixpkgs #553098);
# - tests/nixos/fake-pkgs.nix: Dovecot 2.4.4, Roundcube 1.7.2.
# Not established, so not encoded: nginx's kTLS default and vhost
# assertions moving into the vhost submodule, postfix's
# MemoryDenyWriteExecute, ACME's lego 5 command lines (scripts only; unit
# names, files and assertions are unchanged), the removal of the scripted
# stage 1 announced for 26.11 (system/boot/stage-1.nix; no case turns
# boot.initrd.systemd.enable off), a ddns-updater `settings`
# option without a default (an unmerged branch: if it lands as written,
# ddns.nix must set it).
(import ../26.05) // { release = "26.11"; }
