# The customer's mail VM, configured from the mailplan plan: postfix
# (relayhost, SASL and TLS to the relay, submission with dovecot SASL,
# closed relay), dovecot (IMAPS, mailboxes), opendkim with first-boot key
# generation, Roundcube on nginx, certificates, firewall. The module maps
# the plan onto nixpkgs options; the decisions are the engine's.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.mailplan;
  mailplanLib = import ../lib { inherit (cfg) wasmCall; };
  inherit (mailplanLib.render) paths;
  render = mailplanLib.render;

  plan = cfg.plan;
  secrets = mailplanLib.secrets cfg.customer;

  relayCredential = secrets.relay;
  saslMap = plan.postfix.saslPasswordMap;
  pmgService = render.postfixPmgService plan;
  http01 = plan.tls.mode == "http-01";

  # The dovecot unit is `dovecot.service` since nixos-25.05 (with a
  # `dovecot2.service` alias until 25.11).
  dovecotUnit = "dovecot.service";

  openPorts = map (r: r.port) (lib.filter (r: r.source == null) plan.vmFirewall);
  restrictedPorts = lib.filter (r: r.source != null) plan.vmFirewall;

  # Mailbox and relay secrets read from files arrive as systemd credentials.
  mailboxCredential = i: "mailbox-${toString i}";
  fileMailboxes = lib.filter (m: m.passwordFile != null) (
    lib.imap0 (i: m: m // { credential = mailboxCredential i; }) secrets.mailboxes
  );

  credentialsScript = pkgs.writeShellScript "mailplan-credentials" ''
    set -euo pipefail
    umask 077
    ${lib.optionalString (relayCredential != null) ''
      install -d -m 0700 ${dirOf saslMap}
      ${lib.optionalString (relayCredential.passwordFile != null) ''
        printf '%s %s:%s\n' ${lib.escapeShellArg relayCredential.mapKey} \
          ${lib.escapeShellArg relayCredential.user} \
          "$(cat "$CREDENTIALS_DIRECTORY/relay-password")" > ${saslMap}
      ''}
      ${config.services.postfix.package}/bin/postmap hash:${saslMap}
    ''}
    install -d -m 0750 -g ${config.services.dovecot2.group} ${paths.secretsDirectory}
    passwd=$(mktemp ${paths.secretsDirectory}/.dovecot-passwd.XXXXXX)
    ${lib.concatMapStrings (
      m:
      let
        source =
          if m.passwordFile != null then
            ''< "$CREDENTIALS_DIRECTORY/${m.credential}"''
          else
            "<<< ${lib.escapeShellArg m.password}";
      in
      ''
        printf '%s:%s\n' ${lib.escapeShellArg m.address} \
          "{SHA512-CRYPT}$(${pkgs.openssl}/bin/openssl passwd -6 -stdin ${source})" >> "$passwd"
      ''
    ) (lib.imap0 (i: m: m // { credential = mailboxCredential i; }) secrets.mailboxes)}
    chgrp ${config.services.dovecot2.group} "$passwd"
    chmod 0640 "$passwd"
    mv "$passwd" ${paths.dovecotPasswd}
  '';
in
{
  imports = [ ./common.nix ];

  options.services.mailplan = {
    enable = lib.mkEnableOption "the mail VM of a mailplan customer site";

    acmeEmail = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "hostmaster@example.com";
      description = "Contact address for Let's Encrypt; required when the plan's TLS mode is `http-01`.";
    };

    webmail.enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Whether to serve Roundcube webmail on port 443 (the guide's setup).
        Without it, nginx still answers ACME HTTP-01 challenges when the
        site uses them.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = http01 -> cfg.acmeEmail != null;
        message = "services.mailplan.acmeEmail is required: the site uses tls = \"http-01\", so the mail VM asks Let's Encrypt for its certificate.";
      }
    ];
    warnings = map (w: "mailplan (${plan.name}): ${w}") plan.warnings;

    # Postfix: the plan's main.cf, local delivery to dovecot, submission.
    services.postfix = {
      enable = true;
      settings.main =
        plan.postfix.main
        // render.postfixLocalDelivery plan {
          mailboxTable = pkgs.writeText "mailplan-mailboxes" (render.mailboxTable plan);
          aliasTable = pkgs.writeText "mailplan-aliases" (render.aliasTable plan);
        };
      enableSubmission = true;
      enableSubmissions = true;
      settings.master = lib.mkIf (pmgService != null) { pmg = pmgService; };
    };

    # Relay and mailbox credentials: written at boot, never in the store
    # when given as files. Inline relay passwords (lab posture) come from
    # tmpfiles, as the guide describes.
    systemd.tmpfiles.rules = lib.optionals (relayCredential != null && relayCredential.password != null) [
      "d ${dirOf saslMap} 0700 root root -"
      "f+ ${saslMap} 0600 root root - ${
        render.tmpfilesArgument "${relayCredential.mapKey} ${relayCredential.user}:${relayCredential.password}"
      }"
    ];
    systemd.services.mailplan-credentials = {
      description = "mailplan: relay SASL map and mailbox passwords";
      wantedBy = [ "multi-user.target" ];
      before = [
        "postfix.service"
        dovecotUnit
      ];
      requiredBy = [
        "postfix.service"
        dovecotUnit
      ];
      # postmap reads main.cf, which postfix-setup links anew at every start.
      after = [
        "systemd-tmpfiles-setup.service"
        "postfix-setup.service"
      ];
      requires = [ "postfix-setup.service" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = credentialsScript;
        LoadCredential =
          lib.optional (
            relayCredential != null && relayCredential.passwordFile != null
          ) "relay-password:${relayCredential.passwordFile}"
          ++ map (m: "${m.credential}:${m.passwordFile}") fileMailboxes;
      };
    };

    # Dovecot: IMAPS and LMTP, configuration rendered by mailplan.
    services.dovecot2 = {
      enable = true;
      # The rendered configuration is Dovecot 2.3 syntax. nixos-25.11's
      # module always runs pkgs.dovecot (2.3) and has no `package` option;
      # releases whose default is 2.4 have the option again.
      package = lib.mkIf (lib.versionAtLeast pkgs.dovecot.version "2.4") (lib.mkDefault pkgs.dovecot_2_3);
      enablePAM = false;
      enableDHE = false;
      configFile = pkgs.writeText "dovecot.conf" (render.dovecotConf plan);
    };
    users.users.vmail = {
      uid = paths.vmailUid;
      group = "vmail";
      isSystemUser = true;
      home = paths.vmailDirectory;
      createHome = true;
    };
    users.groups.vmail.gid = paths.vmailUid;

    # OpenDKIM: key generated on first boot, public record echoed to the
    # journal and kept in the plan's public record file.
    services.opendkim = {
      enable = true;
      selector = plan.dkim.selector;
      domains = "csl:${plan.domain}";
      keyPath = plan.dkim.keyDirectory;
      configFile = pkgs.writeText "opendkim.conf" render.opendkimConf;
    };
    systemd.services.opendkim = {
      preStart = lib.mkBefore ''
        if [ ! -f ${plan.dkim.privateKeyFile} ]; then
          ${pkgs.opendkim}/bin/opendkim-genkey -D ${plan.dkim.keyDirectory} \
            -s ${plan.dkim.selector} -d ${plan.domain}
          cp ${plan.dkim.keyDirectory}/${plan.dkim.selector}.txt ${plan.dkim.publicRecordFile}
          echo "mailplan: new DKIM key for ${plan.domain}; publish this as ${plan.dkim.recordName}:"
          cat ${plan.dkim.publicRecordFile}
        fi
      '';
    };
    # postfix connects to the milter socket through the opendkim group.
    users.users.postfix.extraGroups = [ config.services.opendkim.group ];

    # Roundcube on nginx, with the identity fix from the guide.
    services.roundcube = lib.mkIf cfg.webmail.enable {
      enable = true;
      hostName = plan.hostname;
      extraConfig = ''
        $config['imap_host'] = 'ssl://${plan.hostname}:993';
        $config['smtp_host'] = 'ssl://${plan.hostname}:465';
        $config['smtp_user'] = '%u';
        $config['smtp_pass'] = '%p';
        $config['mail_domain'] = '${plan.domain}';
        $config['username_domain'] = '${plan.domain}';
      '';
    };
    # Webmail reaches IMAP and submission on this host, under the name the
    # certificate carries.
    networking.hosts."127.0.0.1" = [ plan.hostname ];

    # Certificates: synced from the dns VM (dns-01) or fetched here (http-01).
    services.nginx.enable = lib.mkIf (cfg.webmail.enable || http01) true;
    services.nginx.virtualHosts.${plan.hostname} = lib.mkIf (cfg.webmail.enable || http01) (
      if http01 then
        { enableACME = true; }
      else
        {
          enableACME = false;
          sslCertificate = plan.tls.certFile;
          sslCertificateKey = plan.tls.keyFile;
        }
    );
    # Until the dns VM has synced the dns-01 certificate, a self-signed
    # placeholder lets postfix, dovecot and nginx start (instead of failing
    # the whole switch); the sync replaces it and reloads them.
    systemd.services.mailplan-placeholder-certificate = lib.mkIf (!http01) {
      description = "mailplan: placeholder certificate until the real one is synced";
      wantedBy = [ "multi-user.target" ];
      before = [
        "postfix.service"
        dovecotUnit
        "nginx.service"
      ];
      requiredBy = [
        "postfix.service"
        dovecotUnit
      ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = ''
        if [ -s ${plan.tls.certFile} ] && [ -s ${plan.tls.keyFile} ]; then
          exit 0
        fi
        echo "mailplan: no certificate in ${plan.tls.directory} yet: serving a self-signed placeholder until the dns VM syncs the real one"
        install -d -m 0755 ${plan.tls.directory}
        umask 077
        ${pkgs.openssl}/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
          -subj /CN=${plan.hostname} -addext subjectAltName=DNS:${plan.hostname} \
          -keyout ${plan.tls.keyFile}.new -out ${plan.tls.certFile}.new
        chmod 0644 ${plan.tls.certFile}.new
        mv ${plan.tls.keyFile}.new ${plan.tls.keyFile}
        mv ${plan.tls.certFile}.new ${plan.tls.certFile}
      '';
    };
    security.acme = lib.mkIf http01 {
      acceptTerms = true;
      defaults.email = cfg.acmeEmail;
      certs.${plan.hostname}.reloadServices = [
        "postfix.service"
        dovecotUnit
      ];
    };

    # The VM's own firewall: every service, LAN clients included.
    networking.firewall.allowedTCPPorts = openPorts;
    networking.firewall.extraInputRules = lib.mkIf config.networking.nftables.enable (
      lib.concatMapStrings (r: "ip saddr ${r.source} tcp dport ${toString r.port} accept\n") restrictedPorts
    );
    networking.firewall.extraCommands = lib.mkIf (!config.networking.nftables.enable) (
      lib.concatMapStrings (
        r: "iptables -A nixos-fw -p tcp -s ${r.source} --dport ${toString r.port} -j nixos-fw-accept\n"
      ) restrictedPorts
    );
  };
}
