#!/usr/bin/env bash
# Builds nix-wasm-plugin: builtins.wasm for the Nix installed by Debian's
# nix-bin (2.8.0), as a plugin Nix loads with
#   nix-instantiate --option plugin-files <plugin> …
# (the option before the subcommand's arguments). Prints the plugin's
# absolute path as its last line.
#
# Debian ships no Nix headers: the exact source of the installed nix-bin
# comes from Debian's source archive (apt-get source), configured as
# Debian configures it, for config.h. Installs what it needs with apt-get
# (as root or through sudo); rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

log() { printf '%s\n' "$*" >&2; }

command -v cargo >/dev/null || {
  echo "build-nix-plugin.sh: cargo not found: install Rust with rustup (1.90 or later)" >&2
  exit 1
}

out=$root/target/nix-plugin
mkdir -p "$out"

# The Nix the plugin is for: the installed nix-bin, whose C++ API it uses.
if ! dpkg-query -W -f='${Status}' nix-bin 2>/dev/null | grep -q "install ok installed"; then
  as_root apt-get update >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y nix-bin >&2
fi
debian_version=$(dpkg-query -W -f='${source:Version}' nix-bin)
nix_version=$(nix-instantiate --version | awk '{print $NF}')
source_dir=$out/nix-source-$debian_version
log "nix-wasm-plugin for Nix $nix_version (Debian source $debian_version)"

if [ ! -f "$source_dir/config.h" ]; then
  # Debian's source archive, beside the binary one, for apt-get source.
  if ! grep -rqsE '^Types:.*\bdeb-src\b|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    as_root tee /etc/apt/sources.list.d/nix-wasm-plugin-deb-src.sources >/dev/null <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  as_root apt-get update >&2
  # The build dependencies of nix (for its configure script), the headers
  # the adapter includes, and dpkg-dev to unpack the source.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y nix >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    dpkg-dev g++ libboost-dev nlohmann-json3-dev libgc-dev >&2
  work=$(mktemp -d "$out/source.XXXXXX")
  (cd "$work" && apt-get source "nix=$debian_version") >&2
  unpacked=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'nix-*' | head -n1)
  # Debian's configure step (debian/rules), for the config.h the headers
  # assume (HAVE_BOEHMGC changes EvalState's layout).
  (cd "$unpacked" && dh_autoreconf && debian/rules override_dh_auto_configure) >&2
  rm -rf "$source_dir"
  mv "$unpacked" "$source_dir"
  rm -rf "$work"
fi

# The Rust half: nix-wasm-host's ABI over the adapter's values.
# The whole workspace, as the test scripts build it (one feature
# resolution, so wasmtime is compiled once in release for all of them).
cargo build --release --locked --workspace >&2
rust_lib=$root/target/release/libnix_wasm_plugin.a

adapter=$root/crates/nix-wasm-plugin/adapter/nix-wasm-plugin.cc
exports=$root/crates/nix-wasm-plugin/adapter/exports.map
plugin=$out/libnix-wasm-plugin.so
if [ ! -f "$plugin" ] || [ "$adapter" -nt "$plugin" ] || [ "$rust_lib" -nt "$plugin" ] ||
  [ "$exports" -nt "$plugin" ] || [ "$source_dir/config.h" -nt "$plugin" ] || [ "$0" -nt "$plugin" ]; then
  src=$source_dir/src
  # The headers do not include config.h themselves; only the adapter's
  # symbols (and the static registration) are exported, the Rust code and
  # wasmtime stay inside.
  g++ -std=c++17 -O2 -g0 -fPIC -shared -Wall -Wno-unused-parameter \
    -include "$source_dir/config.h" \
    -DNIX_WASM_PLUGIN_NIX_VERSION="\"$nix_version\"" \
    -I"$src/libexpr" -I"$src/libutil" -I"$src/libstore" -I"$src/libmain" -I"$src/libfetchers" \
    "$adapter" "$rust_lib" \
    -L/usr/lib/nix -Wl,-rpath,/usr/lib/nix -lnixexpr -lnixstore -lnixutil -lgc \
    -lpthread -ldl -lm \
    -Wl,--version-script="$exports" -Wl,--gc-sections -Wl,-z,now -s \
    -o "$plugin.tmp"
  mv "$plugin.tmp" "$plugin"
fi
log "$(du -h "$plugin" | cut -f1) $plugin"
echo "$plugin"
