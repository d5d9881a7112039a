#!/usr/bin/env bash
# Makes (once) a Debian 13 root with Dovecot 2.4 for test_dovecot24.py:
# Debian 12's Dovecot is 2.3, NixOS 26.05 runs 2.4 (2.4.2 and later; Debian
# 13 has 2.4.1, the same configuration language). The root is built by
# debootstrap from Debian's archive, then given the users the mail VM's
# dovecot.conf names (vmail with the VM's uid, postfix).
#
# Usage: tests/daemons/dovecot24-root.sh ROOT   (as root)
set -euo pipefail
root=${1:?usage: dovecot24-root.sh ROOT}

if [ ! -x "$root/usr/sbin/dovecot" ]; then
  rm -rf "$root.partial"
  debootstrap --variant=minbase \
    --include=dovecot-core,dovecot-imapd,dovecot-lmtpd,openssl \
    trixie "$root.partial" http://deb.debian.org/debian
  mv "$root.partial" "$root"
fi

chroot "$root" sh -euc '
  getent group vmail >/dev/null || groupadd --system --gid 5000 vmail
  getent passwd vmail >/dev/null ||
    useradd --system --uid 5000 --gid vmail --no-create-home --shell /usr/sbin/nologin vmail
  getent passwd postfix >/dev/null ||
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postfix
'
chroot "$root" dovecot --version
