# Evaluation tests of every NixOS module mailplan ships, by the real
# module system over the option surfaces of each supported NixOS release
# (tests/nixos/surfaces/<release>): the mail VM and the dns VM for the
# example customer and every examples/*.json, in the variants a site uses;
# the vm-relay test's nodes; the flake's outputs and its flake-parts module.
#
#   import ./tests/nixos { lib = import <nixpkgs/lib>; wasmCall = …; }
#
# gives `cases`, an attribute set of case names to functions of `{ }` that
# evaluate the case and return what tests/nixos/run.py checks: the
# problems found (empty when the case passes), the shell scripts to pass
# through `bash -n` (as nixpkgs' writeShellScript does), and the files the
# modules render. `lib` is a parameter so that the same tests run with
# nixpkgs' own lib wherever nixpkgs is available.
{
  # The nixpkgs library (its module system).
  lib,
  # How nix/lib calls the engine (`function: argument: result`).
  wasmCall,
  # The releases to test; each has a surface under ./surfaces.
  releases ? [
    "26.05"
    "26.11"
  ],
}:
let
  root = ../..;
  mailplan = import (root + "/nix/lib") { inherit wasmCall; };
  check = import ./check.nix { inherit lib; };

  exampleFiles = builtins.filter (n: builtins.match ".*\\.json" n != null) (
    builtins.attrNames (builtins.readDir (root + "/examples"))
  );
  customers = {
    example-customer = import (root + "/nix/example/customer.nix");
  }
  // builtins.listToAttrs (
    map (file: {
      name = builtins.head (builtins.match "(.*)\\.json" file);
      value = builtins.fromJSON (builtins.readFile (root + "/examples/${file}"));
    }) exampleFiles
  );

  # The engine caller every evaluated system uses.
  withCaller = {
    services.mailplan.wasmCall = wasmCall;
  };

  # What a site adds to the mail VM: its hardware module and host name.
  siteModules = name: [
    (root + "/nix/example/vm.nix")
    { networking.hostName = name; }
    withCaller
  ];

  mailVm =
    {
      customer,
      modules ? [ ],
      acmeEmail ? null,
    }:
    [
      (root + "/nix/modules/mail.nix")
      {
        services.mailplan = {
          enable = true;
          inherit customer acmeEmail;
        };
      }
    ]
    ++ siteModules "mail"
    ++ modules;

  dnsVm = customer: [
    (root + "/nix/modules/ddns.nix")
    {
      services.mailplan = {
        ddns.enable = true;
        inherit customer;
      };
    }
  ]
  ++ siteModules "dns";

  planWarnings = plan: map (w: "mailplan (${plan.name}): ${w}") plan.warnings;

  # nixpkgs' own warning when a 26.05 system keeps Dovecot 2.3 (a
  # stateVersion before 26.05).
  dovecot23Warning = ''
    While Dovecot 2.3 is not yet deprecated or EOL,
    there is a newer version available in Nixpkgs (Dovecot 2.4).
    Check https://doc.dovecot.org/latest/installation/upgrade/2.3-to-2.4.html
    before upgrading.
  '';

  opendkimIssues = [
    "CVE-2020-35766: Privilege escalation in test suite"
    "CVE-2022-48521: Specially crafted e-mails can bypass DKIM signature validation"
  ];

  # The variants of the mail VM a site really uses. Each gives the
  # declaration, extra modules, and what the case expects beyond the plan's
  # own warnings.
  mailVariants =
    release: customer:
    {
      default = {
        inherit customer;
      };
      webmail-off = {
        customer = customer // {
          webmail = false;
        };
      };
      nftables = {
        inherit customer;
        modules = [ { networking.nftables.enable = true; } ];
      };
      http-01 = {
        customer = customer // {
          tls = "http-01";
        };
        acmeEmail = "hostmaster@example.com";
      };
      http-01-no-email = {
        customer = customer // {
          tls = "http-01";
        };
      };
      http-01-webmail-off = {
        customer = customer // {
          tls = "http-01";
          webmail = false;
        };
      };
      # A VM installed before 26.05 keeps Dovecot 2.3 (nixpkgs follows the
      # state version), and nixpkgs says so.
      state-25-11 = {
        inherit customer;
        modules = [ { system.stateVersion = lib.mkForce "25.11"; } ];
        warnings = [ dovecot23Warning ];
      };
      # nixpkgs refused opendkim as insecure from February 2026 until the
      # CVE patches (#489486, #517633): on a pin in between, evaluation stops
      # with nixpkgs' own message (before any warning of ours could show),
      # and the system builds once the package is permitted (mailplan's
      # opendkim only signs, see the README).
      opendkim-flagged = {
        inherit customer;
        modules = [ { testing.fakePkgs.overrides.opendkim.meta.knownVulnerabilities = opendkimIssues; } ];
        refusedWith = "Package ‘opendkim-2.11.0-Beta2’ is marked as insecure, refusing to evaluate.";
      };
      opendkim-permitted = {
        inherit customer;
        modules = [
          {
            testing.fakePkgs.overrides.opendkim.meta.knownVulnerabilities = opendkimIssues;
            nixpkgs.config.permittedInsecurePackages = [ "opendkim-2.11.0-Beta2" ];
          }
        ];
      };
    }
    # A VM installed on this release (the example VM says 26.05).
    // lib.optionalAttrs (release != "26.05") {
      "state-${release}" = {
        inherit customer;
        modules = [ { system.stateVersion = lib.mkForce release; } ];
      };
    };

  mailCase =
    release: customerName: variantName: variant:
    let
      evalNixos = import ./nixos.nix { inherit lib release; };
      system = evalNixos {
        modules = mailVm {
          inherit (variant) customer;
          modules = variant.modules or [ ];
          acmeEmail = variant.acmeEmail or null;
        };
      };
      plan = mailplan.plan variant.customer;
    in
    check.mailVm {
      inherit system plan;
      name = "${release}/mail/${customerName}/${variantName}";
      warnings = planWarnings plan ++ variant.warnings or [ ];
      refusedWith = variant.refusedWith or null;
    };

  dnsCase =
    release: customerName: customer:
    let
      evalNixos = import ./nixos.nix { inherit lib release; };
      system = evalNixos { modules = dnsVm customer; };
      plan = mailplan.plan customer;
    in
    check.dnsVm {
      inherit system plan;
      name = "${release}/dns/${customerName}";
      warnings = lib.optional (
        !plan.ddns.enabled
      ) "mailplan (${plan.name}): no dyndns updater runs: ${plan.ddns.reason}";
    };

  # nix/tests/relay.nix, its nodes evaluated by the fake test framework.
  relayCase =
    release:
    let
      evalNixos = import ./nixos.nix { inherit lib release; };
      pkgs = (evalNixos { modules = [ ]; })._module.args.pkgs;
      test = import (root + "/nix/tests/relay.nix") {
        inherit pkgs;
        mailModule = {
          imports = [
            (root + "/nix/modules/mail.nix")
            withCaller
          ];
        };
      };
    in
    check.relayTest {
      name = "${release}/vm-relay";
      inherit test;
    };

  flakeCase =
    release:
    check.flake {
      name = "${release}/flake";
      inherit release root withCaller;
      customer = customers.example-customer;
    };

  # The flake check that runs these tests (./flake-check.nix), over three
  # of the release's cases (one refused by nixpkgs) and over cases that
  # must fail it.
  flakeCheckCase =
    release: cases:
    let
      evalNixos = import ./nixos.nix { inherit lib release; };
      inherit ((evalNixos { modules = [ ]; })._module.args.pkgs) runCommand;
      flakeCheck = cases: import ./flake-check.nix { inherit lib runCommand cases; };
      # Each case evaluated once, for the check and for the count below.
      evaluated = lib.mapAttrs (_: case: case { }) (
        lib.getAttrs [
          "${release}/mail/example-customer/default"
          "${release}/mail/example-customer/opendkim-flagged"
          "${release}/dns/example-customer"
        ] cases
      );
      derivation = flakeCheck (lib.mapAttrs (_: result: _: result) evaluated);
      scripts = lib.concatMap (result: builtins.attrNames result.report.scripts) [
        evaluated."${release}/mail/example-customer/default"
        evaluated."${release}/dns/example-customer"
      ];
      fake =
        problems: refusedWith:
        { }:
        {
          report = {
            name = "fake";
            inherit problems;
            scripts = { };
            files = { };
          };
          forced = true;
          inherit refusedWith;
        };
      fails = cases: !(builtins.tryEval (flakeCheck cases).buildCommand).success;
      bashChecks = builtins.length (lib.splitString "bash -n -O extglob" derivation.buildCommand) - 1;
    in
    {
      report = {
        name = "${release}/flake-check";
        problems =
          lib.optional (
            !lib.hasInfix "3 of 3 NixOS evaluations passed" derivation.buildCommand
          ) "the check does not count its cases"
          ++ lib.optional (
            scripts == [ ] || bashChecks != builtins.length scripts
          ) "the check runs bash -n ${toString bashChecks} times for ${toString (builtins.length scripts)} scripts"
          ++ lib.optional (!fails {
            broken = fake [ "a problem" ] null;
          }) "a case with a problem passes the check"
          ++ lib.optional (!fails {
            unrefused = fake [ ] "refused";
          }) "a case nixpkgs should refuse passes the check when it is not refused";
        scripts = { };
        files = { };
      };
      forced = builtins.deepSeq derivation.buildCommand true;
      refusedWith = null;
    };

  perRelease =
    release:
    lib.concatMapAttrs (
      customerName: customer:
      lib.mapAttrs' (
        variantName: variant:
        lib.nameValuePair "${release}/mail/${customerName}/${variantName}" (
          _: mailCase release customerName variantName variant
        )
      ) (mailVariants release customer)
      // {
        "${release}/dns/${customerName}" = _: dnsCase release customerName customer;
      }
    ) customers
    // {
      "${release}/vm-relay" = _: relayCase release;
      "${release}/flake" = _: flakeCase release;
      "${release}/flake-check" = _: flakeCheckCase release (perRelease release);
    };
in
{
  cases = lib.foldl' (acc: release: acc // perRelease release) { } releases;
}
