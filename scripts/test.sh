#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs every test mailplan has.
# Usage: scripts/test.sh   (from anywhere inside the repository; installs
# Debian packages with apt-get, as root or through sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages that are not installed yet.
need_debian_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  fi
}

step "system packages"
# nix-bin: Nix 2.8 for the Nix tests; binaryen: wasm-opt for the plugin
# build; the rest: the real daemons and checkers of tests/daemons (debootstrap
# makes the Debian 13 root with Dovecot 2.4; bind9 is the named that
# `mailplan verify` is tested against; chromium and chromium-driver run
# the web page's tests). Postfix is installed without a
# configuration of its own (the tests write theirs).
echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
need_debian_packages nix-bin binaryen python3 python3-venv git \
  postfix dovecot-core dovecot-imapd dovecot-lmtpd opendkim opendkim-tools \
  bind9 bind9-utils openssl bsdutils debootstrap util-linux \
  chromium chromium-driver

step "the nixpkgs library (the module system of the NixOS tests)"
# Pinned in the steering repository beside this one (never copied in):
# ../shared/nixpkgs-lib/lib, or /work/shared/… when this clone lives
# elsewhere; MAILPLAN_NIXPKGS_LIB overrides both.
for candidate in "${MAILPLAN_NIXPKGS_LIB:-}" "$PWD/../shared/nixpkgs-lib/lib" /work/shared/nixpkgs-lib/lib; do
  if [ -n "$candidate" ] && [ -f "$candidate/default.nix" ]; then
    export MAILPLAN_NIXPKGS_LIB=$candidate
    break
  fi
done
if [ -z "${MAILPLAN_NIXPKGS_LIB:-}" ] || [ ! -f "$MAILPLAN_NIXPKGS_LIB/default.nix" ]; then
  echo "no nixpkgs lib found: set MAILPLAN_NIXPKGS_LIB to a nixpkgs lib/ directory" >&2
  exit 1
fi
echo "$MAILPLAN_NIXPKGS_LIB"

step "Rust toolchains"
rustup component add rustfmt clippy
rustup target add wasm32-unknown-unknown wasm32-wasip1
cargo --version

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The web engine's JavaScript face exists only on wasm32.
cargo clippy -p mailplan-web --target wasm32-unknown-unknown --locked -- -D warnings

step "unit, rule, example, property, plugin, host and CLI tests"
# The zone property loads accepted plans' zones in named-checkzone
# (bind9-utils, installed above).
MAILPLAN_NAMED_CHECKZONE="$(command -v named-checkzone)" cargo test --workspace --locked

step "release build of the workspace"
# Once: every later step builds exactly this (--workspace), so the
# release wasmtime is compiled here and only here.
cargo build --release --locked --workspace

step "a WASI plugin of the guest binding through the runner"
tests/wasi/run.sh

step "the committed plugin equals a fresh reproducible build"
scripts/build-wasm.sh target/mailplan-check.wasm
if ! cmp nix/mailplan.wasm target/mailplan-check.wasm; then
  echo "nix/mailplan.wasm is stale or not reproducible: run scripts/build-wasm.sh and commit it" >&2
  exit 1
fi

step "the committed web engine equals a fresh reproducible build"
scripts/build-web.sh target/web-engine-check
for file in mailplan_web.js mailplan_web_wasm.js; do
  if ! cmp "web/engine/$file" "target/web-engine-check/$file"; then
    echo "web/engine/$file is stale or not reproducible: run scripts/build-web.sh and commit it" >&2
    exit 1
  fi
done

step "the web page in headless Chromium (every example against the CLI and the plugin)"
tests/web/run.sh

step "Nix tests (Nix 2.8, the engine through builtins.exec)"
tests/nix/run.sh

step "NixOS modules, flake and VM test nodes, by the real module system over the 26.05 and 26.11 option surfaces"
tests/nixos/run.sh

step "builtins.wasm inside Nix 2.8: nix-wasm-plugin built from Debian's nix source"
plugin=$(scripts/build-nix-plugin.sh | tail -n 1)
echo "$plugin"

step "the ABI through the real evaluator (probe plugin)"
tests/nix-plugin/run.sh "$plugin"

step "Nix tests again, nix/lib's default caller being the real builtins.wasm"
MAILPLAN_NIX_PLUGIN=$plugin tests/nix/run.sh

step "NixOS tests again, through the real builtins.wasm"
MAILPLAN_NIX_PLUGIN=$plugin tests/nixos/run.sh

step "real daemons on loopback (postfix, dovecot, opendkim, named-checkzone, SPF/DMARC/DKIM checkers)"
as_root env MAILPLAN_NIXPKGS_LIB="$MAILPLAN_NIXPKGS_LIB" tests/daemons/run.sh

step "all tests passed"
