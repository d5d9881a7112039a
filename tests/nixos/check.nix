# What tests/nixos checks in an evaluated system. Each checker returns
#
#   {
#     report = { name; problems = [ "…" ]; scripts = { … }; files = { … }; };
#     forced = true;   # after forcing everything the modules produce
#   }
#
# `report` holds what a person reads when a case fails: every problem found
# by the checks below (empty when the case passes), the shell scripts the
# system's packages would run `bash -n` on, and the files the modules
# render. `forced` deep-forces the configuration our modules produce and
# the system's top level (which fails on a failed assertion, as NixOS
# does), so that an evaluation error anywhere in it fails the case.
{ lib }:
let
  inherit (lib)
    attrNames
    concatLists
    concatMap
    elem
    filter
    filterAttrs
    hasPrefix
    mapAttrs'
    nameValuePair
    optional
    optionals
    ;

  failedAssertions = config: map (a: a.message) (filter (a: !a.assertion) config.assertions);

  # Units systemd itself provides, which a NixOS module may order against.
  systemdUnits = [
    "basic.target"
    "default.target"
    "keys.target"
    "local-fs.target"
    "multi-user.target"
    "network-online.target"
    "network-pre.target"
    "network.target"
    "nss-lookup.target"
    "paths.target"
    "remote-fs.target"
    "shutdown.target"
    "sockets.target"
    "sysinit.target"
    "systemd-modules-load.service"
    "systemd-tmpfiles-setup.service"
    "time-sync.target"
    "timers.target"
  ];

  unitRelations = [
    "after"
    "before"
    "wants"
    "requires"
    "requisite"
    "bindsTo"
    "partOf"
    "upholds"
    "requiredBy"
    "wantedBy"
    "upheldBy"
  ];

  # Every unit an enabled service names in its ordering and dependencies
  # exists: a renamed upstream unit (dovecot2 → dovecot) or a misspelt
  # name would otherwise only show on a running VM.
  danglingUnits =
    config:
    let
      enabled = filterAttrs (_: service: service.enable) config.systemd.services;
      defined =
        map (n: "${n}.service") (attrNames enabled)
        ++ map (n: "${n}.target") (attrNames config.systemd.targets)
        ++ map (n: "${n}.timer") (attrNames config.systemd.timers)
        ++ map (n: "${n}.socket") (attrNames config.systemd.sockets)
        ++ systemdUnits;
    in
    concatLists (
      lib.mapAttrsToList (
        name: service:
        concatMap (
          relation:
          map (unit: "systemd.services.${name}.${relation} names ${unit}, which no module defines") (
            filter (unit: !elem unit defined) (service.${relation} or [ ])
          )
        ) unitRelations
      ) enabled
    );

  # Every group a user is put in exists.
  undefinedGroups =
    config:
    let
      groups = attrNames config.users.groups;
    in
    concatLists (
      lib.mapAttrsToList (
        name: user:
        map (group: "users.users.${name} is in group ${group}, which users.groups does not define") (
          filter (group: group != "" && !elem group groups) ([ user.group ] ++ user.extraGroups)
        )
      ) config.users.users
    );

  # The job scripts NixOS builds for every enabled service (script,
  # preStart, …), with the text its makeJobScript gives them:
  # writeShellScriptBin runs `bash -n` on each.
  jobScripts =
    config:
    lib.concatMapAttrs (
      name: service:
      lib.mapAttrs' (hook: text: nameValuePair "${name}.${hook}" "set -e\n\n${text}") (
        filterAttrs (_: text: text != "") (
          lib.genAttrs [
            "preStart"
            "script"
            "postStart"
            "reload"
            "preStop"
            "postStop"
          ] (hook: service.${hook} or "")
        )
      )
    ) (filterAttrs (_: service: service.enable) config.systemd.services);

  # writeShellScript programs a service runs from its serviceConfig.
  execScripts =
    config:
    lib.concatMapAttrs (
      name: service:
      builtins.listToAttrs (
        lib.imap0 (i: script: nameValuePair "${name}-exec-${toString i}" script.text) (
          filter (value: value.shellCheck or false) (
            lib.flatten (
              map (key: service.serviceConfig.${key} or [ ]) [
                "ExecStartPre"
                "ExecStart"
                "ExecStartPost"
                "ExecStop"
                "ExecReload"
              ]
            )
          )
        )
      )
    ) (filterAttrs (_: service: service.enable) config.systemd.services);

  renderedFiles = config: lib.mapAttrs (_: file: file.text) config.testing.rendered;

  # The comparison of warnings: every expected warning exactly, and
  # nothing else.
  warningProblems =
    { config, warnings }:
    map (w: "unexpected warning: ${w}") (filter (w: !elem w warnings) config.warnings)
    ++ map (w: "missing warning: ${w}") (filter (w: !elem w config.warnings) warnings);

  commonProblems =
    config:
    map (m: "failed assertion: ${m}") (failedAssertions config)
    ++ danglingUnits config
    ++ undefinedGroups config;

  unitsNamed =
    prefix: config: filterAttrs (name: _: hasPrefix prefix name) config.systemd.services;

  # What NixOS reads of a service to write its unit file (options without
  # a default, such as startLimitIntervalSec, only when defined).
  serviceView =
    service:
    {
      inherit (service)
        enable
        description
        unitConfig
        serviceConfig
        environment
        path
        script
        preStart
        postStart
        jobScripts
        restartTriggers
        ;
    }
    // lib.genAttrs unitRelations (relation: service.${relation} or [ ]);

  # Everything mailplan's modules produce, and the systems' top level.
  forceSystem =
    config: extra:
    builtins.deepSeq [
      (lib.mapAttrs (_: serviceView) config.systemd.services)
      config.systemd.tmpfiles.rules
      config.users.users
      config.users.groups
      config.networking.firewall.allowedTCPPorts
      config.networking.firewall.extraInputRules
      config.networking.firewall.extraCommands
      config.networking.hosts
      config.environment.etc
      (renderedFiles config)
      extra
      config.system.build.toplevel.outPath
    ] true;

  mailVmProblems =
    { config, plan }:
    let
      services = config.systemd.services;
      http01 = plan.tls.mode == "http-01";
      nginxRuns = plan.webmail || http01;
      certificateUnit =
        if http01 then "acme-${plan.hostname}.service" else "mailplan-placeholder-certificate.service";
      ports = config.networking.firewall.allowedTCPPorts;
      planPorts = map (r: r.port) (filter (r: r.source == null) plan.vmFirewall);
      ours = attrNames (unitsNamed "mailplan-" config);
      ourUnits = map (n: "${n}.service") ours;
      hardDependencies = service: service.requires ++ service.requisite ++ service.bindsTo;
      placeholder = services.mailplan-placeholder-certificate or null;
      dovecotConf = config.services.dovecot2.configFile.text;
      pre24 = lib.versionOlder config.services.dovecot2.package.version "2.4";
    in
    # The plan reaches the VM.
    optional (
      config.services.postfix.settings.main.myhostname != plan.hostname
    ) "postfix's myhostname is not the plan's host name"
    ++ optional (
      plan.relay != null
      && config.services.postfix.settings.main.relayhost != [ "[${plan.relay.host}]:${toString plan.relay.port}" ]
    ) "postfix's relayhost is not the plan's relay"
    # Ports: the plan's, plus SSH from the site's module; 443 only with
    # webmail (the port-forward sheet agrees).
    ++ map (p: "port ${toString p} of the plan is not opened") (filter (p: !elem p ports) planPorts)
    ++ optional (elem 443 ports != plan.webmail) "port 443 is ${
      if elem 443 ports then "open" else "closed"
    } while webmail is ${if plan.webmail then "on" else "off"}"
    ++ optional (
      lib.any (r: r.port == 443) plan.firewall != plan.webmail
    ) "the port-forward sheet disagrees with webmail about 443"
    ++ optional (config.services.nginx.enable != nginxRuns) "nginx.enable is ${
      lib.boolToString config.services.nginx.enable
    }, but webmail is ${lib.boolToString plan.webmail} and the TLS mode ${plan.tls.mode}"
    ++ optional (config.services.roundcube.enable != plan.webmail) "roundcube does not follow webmail"
    # Certificates exist before the daemons that read them start.
    ++ optional (!(services ? ${lib.removeSuffix ".service" certificateUnit})) "no unit ${certificateUnit}"
    ++ concatMap (
      daemon:
      optionals (services ? ${daemon}) (
        optional (!elem certificateUnit services.${daemon}.wants) "${daemon} does not want ${certificateUnit}"
        ++ optional (!elem certificateUnit services.${daemon}.after) "${daemon} does not start after ${certificateUnit}"
      )
    ) ([ "postfix" "dovecot" ] ++ optional (nginxRuns && !http01) "nginx")
    ++ optional (
      placeholder != null && nginxRuns && !lib.hasInfix "chgrp ${config.services.nginx.group} " placeholder.script
    ) "the placeholder key is not readable by nginx's group"
    # A missing secret takes down no daemon: nothing requires our units,
    # and our units require nothing but postfix-setup.
    ++ concatMap (
      daemon:
      map (unit: "${daemon} requires ${unit}") (
        filter (unit: elem unit ourUnits) (hardDependencies services.${daemon})
      )
    ) [ "postfix" "dovecot" ]
    ++ concatMap (
      name:
      map (unit: "${name} is required by ${unit}") (services.${name}.requiredBy ++ services.${name}.upheldBy)
    ) ours
    # Dovecot: the release's package, rendered in its own language.
    ++ optional (
      !pre24 && !lib.hasPrefix "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n" dovecotConf
    ) "dovecot.conf does not start with the 2.4 configuration and storage versions"
    ++ optional (pre24 && lib.hasInfix "dovecot_config_version" dovecotConf) "dovecot 2.3 gets 2.4 settings"
    ++ optional (
      !lib.hasInfix "chgrp ${config.services.dovecot2.settings.default_internal_group} " services.mailplan-mailboxes.script
    ) "the passwd-file is not given to dovecot's internal group";

  ddnsProblems =
    { config, plan }:
    let
      service = config.systemd.services.ddns-updater or null;
    in
    optional (config.services.ddns-updater.enable != plan.ddns.enabled) "ddns-updater runs ${
      if plan.ddns.enabled then "not " else ""
    }although the plan's ddns is ${if plan.ddns.enabled then "enabled" else "disabled"}"
    ++ optionals plan.ddns.enabled (
      optional (service == null) "no ddns-updater.service"
      ++ optional (
        plan.ddns.passwordFile != null
        && !elem "ddns-secret:${plan.ddns.passwordFile}" (service.serviceConfig.LoadCredential or [ ])
      ) "the ddns secret file is not loaded as a credential"
      ++ map (
        key: "ddns-updater's environment lacks the plan's ${key}"
      ) (filter (key: !(config.services.ddns-updater.environment ? ${key})) (attrNames plan.ddns.environment))
    );

  report =
    {
      name,
      config,
      problems,
    }:
    {
      inherit name problems;
      scripts = jobScripts config // execScripts config;
      files = renderedFiles config;
    };

  # A VM's case: the checks every system gets, the VM's own, and the
  # forcing of its plan, what mailplan's module produces (`forced`) and
  # the system's top level.
  vmCase =
    {
      name,
      config,
      warnings,
      problems,
      forced,
      refusedWith ? null,
    }:
    {
      report = report {
        inherit name config;
        problems = commonProblems config ++ warningProblems { inherit config warnings; } ++ problems;
      };
      forced = forceSystem config ([ config.services.mailplan.plan ] ++ forced);
      inherit refusedWith;
    };
in
{
  mailVm =
    {
      name,
      system,
      plan,
      warnings,
      refusedWith ? null,
    }:
    let
      inherit (system) config;
    in
    vmCase {
      inherit
        name
        config
        warnings
        refusedWith
        ;
      problems = mailVmProblems { inherit config plan; };
      forced = [
        config.services.postfix.settings.main
        (lib.mapAttrs (_: service: service.rawEntry) config.services.postfix.settings.master)
        config.services.dovecot2.settings
        config.services.dovecot2.configFile
        {
          inherit (config.services.opendkim)
            domains
            keyPath
            selector
            configFile
            ;
        }
        (lib.optionalAttrs config.services.nginx.enable (
          lib.mapAttrs (_: host: {
            inherit (host) enableACME forceSSL;
          }) config.services.nginx.virtualHosts
        ))
        (lib.mapAttrs (_: cert: {
          inherit (cert)
            email
            webroot
            group
            reloadServices
            ;
        }) config.security.acme.certs)
      ];
    };

  dnsVm =
    {
      name,
      system,
      plan,
      warnings,
    }:
    let
      inherit (system) config;
    in
    vmCase {
      inherit name config warnings;
      problems = ddnsProblems { inherit config plan; };
      forced = [ config.services.ddns-updater ];
    };

  # nix/tests/relay.nix: every node evaluates, with no failed assertion and
  # only the warnings its plan gives.
  relayTest =
    { name, test }:
    let
      nodes = test.nodes;
      nodeProblems =
        nodeName: config:
        map (p: "${nodeName}: ${p}") (
          commonProblems config
          ++ warningProblems {
            inherit config;
            warnings = optionals (config.services.mailplan.enable or false) (
              map (w: "mailplan (${config.services.mailplan.plan.name}): ${w}") config.services.mailplan.plan.warnings
            );
          }
        );
    in
    {
      report = {
        inherit name;
        problems =
          concatLists (lib.mapAttrsToList nodeProblems nodes)
          ++ optional (attrNames nodes != [
            "client"
            "mail"
            "smarthost"
          ]) "the test's nodes changed: ${toString (attrNames nodes)}"
          ++ optional (!lib.hasInfix "mailplan relay test" test.testScript) "the test script lost its subtests";
        scripts = lib.concatMapAttrs (
          nodeName: config: mapAttrs' (n: nameValuePair "${nodeName}/${n}") (jobScripts config)
        ) nodes;
        files = lib.concatMapAttrs (
          nodeName: config: mapAttrs' (n: nameValuePair "${nodeName}/${n}") (renderedFiles config)
        ) nodes;
      };
      forced = builtins.deepSeq (lib.mapAttrsToList (_: config: forceSystem config [ ]) nodes) true;
      refusedWith = null;
    };

  flake = import ./flake-outputs.nix { inherit lib forceSystem commonProblems; };
}
