#!/usr/bin/env bash
# Real daemons against every example's plan, on loopback: postfix check and
# postconf, postmap, opendkim -n, named-checkzone, pyspf, checkdmarc and
# doveconf (test_configs.py); a postfix + opendkim + dovecot site relaying
# through a SASL-over-STARTTLS smarthost, refusing open relay, delivering
# by LMTP, signing with DKIM (test_mail_flow.py); a PMG in front delivering
# to port 26, which nobody else may use (test_pmg_inbound.py); the mail
# VM's own units run as at boot (test_module_units.py); Dovecot 2.4, from a
# Debian 13 root, on the configuration of a NixOS 26.05 VM
# (test_dovecot24.py); every accepted shape of mailbox name logs in and
# receives mail, postmaster@ included, on Dovecot 2.3 and 2.4
# (test_mailbox_names.py); `mailplan verify` against BIND's named serving
# the zones of four examples and two sites of its own (one dual-stack) as
# planned and broken, a resolver that never
# answers, and postfix from the plan, as it is and as an open relay
# (test_verify.py). The module's scripts and nixpkgs' rendering of its
# dovecot settings come from tests/nixos (the nixpkgs lib in
# MAILPLAN_NIXPKGS_LIB, default ../shared/nixpkgs-lib/lib).
#
# Needs root (postfix's master and dovecot start as root and drop
# privileges) and Debian's packages, which scripts/test.sh installs. Nothing
# is skipped: a daemon that cannot start fails the run with its reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
  echo "tests/daemons/run.sh: must run as root (postfix and dovecot start as root); use sudo" >&2
  exit 1
fi
for command in postfix postconf postmap postqueue dovecot doveconf doveadm opendkim opendkim-genkey \
  named named-checkconf named-checkzone named-compilezone openssl script nix-instantiate debootstrap setpriv unshare; do
  command -v "$command" >/dev/null || {
    echo "tests/daemons/run.sh: $command not found: run scripts/test.sh, which installs it" >&2
    exit 1
  }
done

# The mail VM's vmail user (nix/lib/render.nix: paths.vmailUid).
if ! getent group vmail >/dev/null; then groupadd --system --gid 5000 vmail; fi
if ! getent passwd vmail >/dev/null; then
  useradd --system --uid 5000 --gid vmail --home-dir /var/vmail --no-create-home \
    --shell /usr/sbin/nologin vmail
fi
if [ "$(id -u vmail)" -ne 5000 ]; then
  echo "tests/daemons/run.sh: user vmail exists with uid $(id -u vmail), the mail VM's is 5000" >&2
  exit 1
fi

# Third-party checkers and the test smarthost, pinned, from PyPI.
venv=$root/target/daemon-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/daemons/requirements.txt

# The whole workspace, as every script builds it: one feature resolution,
# so wasmtime is compiled once in release for all of the test command.
cargo build --quiet --release --locked --workspace

export MAILPLAN_NIXPKGS_LIB=${MAILPLAN_NIXPKGS_LIB:-$root/../shared/nixpkgs-lib/lib}
if [ ! -f "$MAILPLAN_NIXPKGS_LIB/default.nix" ]; then
  echo "tests/daemons/run.sh: no nixpkgs lib at $MAILPLAN_NIXPKGS_LIB (set MAILPLAN_NIXPKGS_LIB)" >&2
  exit 1
fi
export MAILPLAN_DOVECOT24_ROOT=$root/target/dovecot24-root
tests/daemons/dovecot24-root.sh "$MAILPLAN_DOVECOT24_ROOT"

export NIX_CONFIG="experimental-features =
allow-unsafe-native-code-during-evaluation = true"
cd tests/daemons
exec "$venv/bin/python" -m unittest --verbose test_configs test_mail_flow test_pmg_inbound test_module_units test_dovecot24 \
  test_mailbox_names test_verify
