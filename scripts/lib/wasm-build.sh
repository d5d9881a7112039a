# Sourced by scripts/build-wasm.sh and scripts/build-web.sh: builds a crate
# of the workspace for wasm32 reproducibly, with a pinned nightly (std
# rebuilt for size, immediate-abort panics, MVP WebAssembly only) and paths
# remapped, so that the same sources give the same bytes on any machine.

wasm_toolchain=nightly-2026-10-30

# wasm_build CRATE PROFILE TARGET_DIR: prints nothing; the module lands in
# TARGET_DIR/wasm32-unknown-unknown/PROFILE/. Needs wasm-opt afterwards.
wasm_build() {
  local crate=$1 profile=$2 target_dir=$3
  if ! rustup run "$wasm_toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$wasm_toolchain" --profile minimal \
      --component rust-src --target wasm32-unknown-unknown
  fi
  rustup component add rust-src --toolchain "$wasm_toolchain" >/dev/null
  rustup target add wasm32-unknown-unknown --toolchain "$wasm_toolchain" >/dev/null
  command -v wasm-opt >/dev/null || {
    echo "wasm-opt not found: apt-get install binaryen" >&2
    return 1
  }
  local sysroot cargo_home
  sysroot=$(rustup run "$wasm_toolchain" rustc --print sysroot)
  cargo_home=${CARGO_HOME:-$HOME/.cargo}
  # One flag per field (separated by 0x1f), so that a path with spaces
  # stays one --remap-path-prefix; this also wins over any RUSTFLAGS set.
  local flags=(-Zunstable-options -Cpanic=immediate-abort -Ctarget-cpu=mvp
    "--remap-path-prefix=$PWD=/mailplan"
    "--remap-path-prefix=$cargo_home=/cargo"
    "--remap-path-prefix=$sysroot=/rust")
  local IFS=$'\x1f'
  CARGO_ENCODED_RUSTFLAGS="${flags[*]}" \
    cargo "+$wasm_toolchain" build --locked --quiet \
    -p "$crate" --target wasm32-unknown-unknown --profile "$profile" \
    -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
    --target-dir "$target_dir"
}
