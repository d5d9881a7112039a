# The builtins.wasm ABI inside a real evaluator (Nix 2.8 with
# nix-wasm-plugin), through the probe plugin of nix-wasm-host's own tests.
# Each attribute of `checks` must be true; run.sh evaluates them and the
# cases that must fail.
{
  # The probe's WebAssembly text (crates/nix-wasm-host/tests/wat/probe.wat).
  wat,
  # A file the probe may read, and its contents as Nix reads them.
  readable ? null,
  # Which failing case to evaluate (run.sh), or null.
  case ? null,
}:
let
  probe = function: builtins.wasm { inherit wat function; };
  checks = {
    # Reading one attribute forces nothing else: the throw is never met.
    throwingAttributeUnread = probe "get_x" {
      x = 1;
      y = throw "y was forced";
    } == 1;
    # call_function applies a Nix function and forces its result.
    callsFunction = probe "call_f" {
      f = x: x * 2;
      x = 21;
    } == 42;
    # make_app builds a thunk: applying a throwing function is harmless
    # while it is not forced, and its value when it is.
    appliesLazily =
      probe "app_unused" {
        f = _: throw "applied";
        x = 1;
      } == 1
      && probe "app_f" {
        f = x: x + 1;
        x = 1;
      } == 2;
    # The result is forced outside the call, as the evaluator does: a
    # throw met there stays a throw, which tryEval catches.
    resultThrowIsCatchable =
      (builtins.tryEval (probe "app_f" {
        f = _: throw "lazy";
        x = 1;
      })).success == false;
    # wasm -> Nix -> wasm: the function the probe calls calls the probe.
    nested = probe "call_f" {
      f = x: probe "int_plus_one" x;
      x = 41;
    } == 42;
    nestedTwice = probe "call_f" {
      f = x: probe "call_f" {
        f = probe "int_plus_one";
        inherit x;
      };
      x = 1;
    } == 2;
    # Values the probe builds come back as Nix values.
    roundTrips =
      probe "list_roundtrip" [
        1
        "two"
        [ 3 ]
      ] == [
        1
        "two"
        [ 3 ]
      ]
      && probe "attrs_roundtrip" {
        a = 1;
        b.c = "d";
      } == {
        a = 1;
        b.c = "d";
      }
      && probe "string_roundtrip" "a string longer than sixteen bytes" == "a string longer than sixteen bytes"
      && probe "float_half" 3 == 1.5
      && probe "type_of" (x: x) == 9
      && probe "path_child" /a/b == /a/b/x
      && probe "path_text" /a/b == "/a/b";
    # A million values made while the call is on the stack survive the
    # garbage collections the function in between runs (run.sh sets
    # NIX_WASM_PLUGIN_GC_ON_CALL=1, which collects on every call_function).
    millionSurvive =
      probe "million_survive" {
        f = _: builtins.length (builtins.genList toString 200000);
      } == 1000000;
    # read_file reads as builtins.readFile does.
    readsFiles = readable == null || probe "read" readable == builtins.readFile readable;
  };
  failures = {
    panic = probe "panic" null;
    trap = probe "trap" null;
    oobInsideWasm = probe "oob_load" null;
    oobThroughHost = probe "oob_string" null;
    # A throw met inside a host function becomes the call's error, which
    # tryEval does not catch (as in Determinate Nix).
    throwInsideCall = builtins.tryEval (probe "int_plus_one" (throw "boom-arg"));
    badId = probe "bad_id" null;
    notAnInteger = probe "int_plus_one" "one";
    noFunction = builtins.wasm { inherit wat; } 1;
    unknownAttribute = builtins.wasm {
      inherit wat;
      function = "identity";
      extra = 1;
    } 1;
    pathAndWat = builtins.wasm {
      inherit wat;
      path = /dev/null;
      function = "identity";
    } 1;
    neitherPathNorWat = builtins.wasm { function = "identity"; } 1;
    missingExport = probe "no_such_export" 1;
    readForbidden = probe "read" "/etc/hostname";
  };
in
if case == null then checks else failures.${case}
