# The mailplan Nix library: the translation engine of nix/mailplan.wasm,
# called during evaluation, plus builders and renderers for the modules.
#
#   let mailplan = import ./nix/lib { }; in mailplan.plan declaration
{
  # How to call an entry point of the plugin: `function: argument: result`.
  # null uses builtins.wasm (Determinate Nix >= 3.17 with the experimental
  # feature `wasm-builtin`); on stock Nix pass `callers.ifd { … }`, and the
  # tests pass `callers.exec runner`.
  wasmCall ? null,
}:
let
  wasmFile = ../mailplan.wasm;
  callers = import ./callers.nix { inherit wasmFile; };
  call =
    if wasmCall != null then
      wasmCall
    else if builtins ? wasm then
      callers.builtin
    else
      throw ''
        mailplan: this Nix has no builtins.wasm. Use Determinate Nix >= 3.17
        with `extra-experimental-features = wasm-builtin`, or pass a wasmCall
        to nix/lib, e.g. `callers.ifd { inherit (pkgs) runCommand; runner = mailplan.packages.''${system}.nix-wasm-run; }`.'';

  # A passwordFile given as a Nix path would be copied into the
  # world-readable store the moment it is used in a string.
  checkSecretPaths =
    where: attrs:
    if attrs ? passwordFile && builtins.isPath attrs.passwordFile then
      throw "mailplan: ${where}.passwordFile: write the path as a string (\"/run/secrets/relay-pass\"); a Nix path literal copies the secret into the Nix store"
    else
      attrs;

  checked =
    declaration:
    let
      relay = declaration.mailRelay or null;
      users = declaration.users or [ ];
      indexed = builtins.genList (i: checkSecretPaths "users[${toString i}]" (builtins.elemAt users i)) (
        builtins.length users
      );
    in
    builtins.seq (if builtins.isAttrs relay then checkSecretPaths "mailRelay" relay else null) (
      builtins.deepSeq (map (u: u.name or null) indexed) declaration
    );

  # Determinate Nix makes `a // b` with at most 16 attributes on the right a
  # *layered* set, and the host's copy_attrname, which the plugin calls for
  # every attribute it reads, aborts that evaluator on one (nix-src
  # v3.22.2: Bindings::operator[] calls unreachable()). builtins.mapAttrs
  # always builds a new flat set, so the plugin gets flat sets all the way
  # down; values stay lazy (an attribute is forced when the plugin reads
  # it, as before).
  flatten =
    value:
    if builtins.isAttrs value then
      builtins.mapAttrs (_: flatten) value
    else if builtins.isList value then
      map flatten value
    else
      value;

  entry = function: declaration: call function (flatten (checked declaration));
in
import ./builders.nix
// {
  inherit wasmFile callers flatten;

  # The whole plan (the plan contract).
  plan = entry "plan";
  # The SPF record.
  spf = entry "spf";
  # The DNS record sheet.
  dnsRecords = entry "dnsRecords";
  # The relay, or null for standalone.
  relay = entry "relay";
  # The dyndns updater section.
  ddns = entry "ddns";
  # The record sheet as a zone-file fragment.
  zone = entry "zone";
  # The secrets the plan refers to (inline values or files), for modules
  # that write secret files. Never printed.
  secrets = entry "secrets";
  # Engine and plan-format versions.
  version = call "version" null;

  # Pure renderers from a plan to configuration text.
  render = import ./render.nix;
}
