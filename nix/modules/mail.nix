# The customer's mail VM, configured from the mailplan plan: postfix
# (relayhost, SASL and TLS to the relay, submission with dovecot SASL,
# closed relay), dovecot (IMAPS, mailboxes), opendkim with first-boot key
# generation, Roundcube on nginx, certificates, firewall. The module maps
# the plan onto nixpkgs options; the decisions are the engine's.
#
# Written against the NixOS 26.05 modules (dovecot's RFC 42 `settings`,
# the acme-<cert>.service baseline certificate, networking.firewall.backend);
# tests/nixos evaluates it over their transcribed option surfaces.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.mailplan;
  mailplanLib = import ../lib { inherit (cfg) wasmCall; };
  inherit (mailplanLib) render;
  inherit (render) paths;

  plan = cfg.plan;
  secrets = mailplanLib.secrets cfg.customer;

  relayCredential = secrets.relay;
  saslMap = plan.postfix.saslPasswordMap;
  pmgService = render.postfixPmgService plan;
  http01 = plan.tls.mode == "http-01";
  nginxRuns = plan.webmail || http01;

  # nixpkgs 26.05 names dovecot's unit dovecot.service, and its auth
  # process runs as the default internal user, which reads the passwd-file.
  dovecotUnit = "dovecot.service";
  dovecotGroup = config.services.dovecot2.settings.default_internal_group;

  # Where the certificate comes from before postfix, dovecot and nginx may
  # start: with http-01, nixpkgs' acme-<host>.service puts a self-signed
  # baseline in place (replaced once Let's Encrypt answers); with dns-01,
  # mailplan's placeholder until the dns VM syncs the real one.
  certificateUnit =
    if http01 then "acme-${plan.hostname}.service" else "mailplan-placeholder-certificate.service";
  # nginx runs as its own user and reads the key itself; postfix and
  # dovecot read it as root.
  keyGroup = if nginxRuns then config.services.nginx.group else "root";

  openPorts = map (r: r.port) (lib.filter (r: r.source == null) plan.vmFirewall);
  restrictedPorts = lib.filter (r: r.source != null) plan.vmFirewall;
  firewallBackend = config.networking.firewall.backend;

  shellQuote = lib.escapeShellArg;

  # A unit that does its work once per boot, before the daemons it serves.
  bootOneshot =
    unit:
    {
      wantedBy = [ "multi-user.target" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
    }
    // unit;

  # Shell: reads the first line of the secret file $2 into the variable
  # named $1; fails when the file is missing or that line is empty.
  readSecret = ''
    read_secret() {
      [ -f "$2" ] || return 1
      IFS= read -r "$1" < "$2" || true
      [ -n "''${!1}" ]
    }
  '';

  # The passwd-file line of a mailbox, or, when its secret file is missing,
  # a line no password matches: that mailbox cannot log in (and the unit
  # fails, naming it), but it still exists, so its mail is delivered, and
  # the other mailboxes are not affected.
  mailboxLine =
    mailbox:
    if mailbox.passwordFile != null then
      ''
        if read_secret password ${shellQuote mailbox.passwordFile}; then
          add_mailbox ${shellQuote mailbox.address} "$password"
        else
          echo ${shellQuote "mailplan: mailbox ${mailbox.address} cannot log in: its password file ${mailbox.passwordFile} is missing or empty (its mail is still delivered; the other mailboxes are not affected)"} >&2
          lock_mailbox ${shellQuote mailbox.address}
          missing=$((missing + 1))
        fi
      ''
    else
      ''
        add_mailbox ${shellQuote mailbox.address} ${shellQuote mailbox.password}
      '';
in
{
  imports = [
    ./common.nix
    (lib.mkRemovedOptionModule [ "services" "mailplan" "webmail" "enable" ] ''
      Webmail is part of the customer declaration now, so that the plan's
      port-forward sheet and the VM's firewall leave out 443 without it:
      set `webmail = false;` in services.mailplan.customer.'')
  ];

  options.services.mailplan = {
    enable = lib.mkEnableOption "the mail VM of a mailplan customer site";

    acmeEmail = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "hostmaster@example.com";
      description = ''
        Contact address for the Let's Encrypt account when the plan's TLS
        mode is `http-01`. Optional, as in nixpkgs' ACME module since
        NixOS 26.05 (Let's Encrypt sends no expiry mail any more).
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = restrictedPorts == [ ] || firewallBackend != "firewalld";
        message = "mailplan (${plan.name}): port ${toString (map (r: r.port) restrictedPorts)} may only be reached from ${toString (map (r: r.source) restrictedPorts)}, which mailplan sets with the iptables or nftables firewall; networking.firewall.backend is \"firewalld\": use one of the others, or add that rule to firewalld yourself and open an issue.";
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
    systemd.services.postfix = {
      wants = [ certificateUnit ] ++ lib.optional (relayCredential != null) "mailplan-relay-credentials.service";
      after = [ certificateUnit ];
    };

    # The relay's SASL map, written at boot (and whenever the unit
    # changes) from the password file, which never enters the store, or
    # from an inline password (the guide's lab posture: in the store, and
    # warned about). A missing file fails this unit alone: outbound mail
    # waits in the queue, while inbound mail and submission keep working.
    systemd.services.mailplan-relay-credentials = lib.mkIf (relayCredential != null) (bootOneshot {
      description = "mailplan: the relay's SASL password map";
      before = [ "postfix.service" ];
      # postmap reads main.cf, which postfix-setup links anew at every start.
      after = [ "postfix-setup.service" ];
      requires = [ "postfix-setup.service" ];
      path = [
        config.services.postfix.package
        pkgs.coreutils
      ];
      script = ''
        set -euo pipefail
        umask 077
        ${readSecret}
        ${
          if relayCredential.passwordFile != null then
            ''
              if ! read_secret password ${shellQuote relayCredential.passwordFile}; then
                echo ${shellQuote "mailplan: the relay password file ${relayCredential.passwordFile} is missing or empty: mail to ${plan.relay.host} stays queued until it exists (then restart mailplan-relay-credentials.service)"} >&2
                exit 1
              fi
            ''
          else
            "password=${shellQuote relayCredential.password}"
        }
        install -d -m 0700 ${dirOf saslMap}
        printf '%s %s:%s\n' ${shellQuote relayCredential.mapKey} ${shellQuote relayCredential.user} "$password" \
          > ${saslMap}.new
        mv ${saslMap}.new ${saslMap}
        postmap hash:${saslMap}
      '';
    });

    # Mailbox passwords, hashed into dovecot's passwd-file at boot. Read
    # from their files (never stored) or inline (stored, warned about).
    systemd.services.mailplan-mailboxes = bootOneshot {
      description = "mailplan: mailbox passwords for dovecot";
      before = [ dovecotUnit ];
      path = [
        pkgs.openssl
        pkgs.coreutils
      ];
      script = ''
        set -euo pipefail
        umask 077
        ${readSecret}
        # Appends the passwd-file line of mailbox $1 with password $2.
        add_mailbox() {
          local hash
          hash=$(printf '%s\n' "$2" | openssl passwd -6 -stdin)
          printf '%s:{SHA512-CRYPT}%s\n' "$1" "$hash" >> "$passwd"
        }
        # Appends a line for mailbox $1 that no password matches.
        lock_mailbox() {
          printf '%s:{CRYPT}!\n' "$1" >> "$passwd"
        }
        install -d -m 0750 -g ${dovecotGroup} ${paths.secretsDirectory}
        passwd=$(mktemp ${paths.secretsDirectory}/.dovecot-passwd.XXXXXX)
        trap 'rm -f "$passwd"' EXIT
        missing=0
        ${lib.concatMapStrings mailboxLine secrets.mailboxes}
        chgrp ${dovecotGroup} "$passwd"
        chmod 0640 "$passwd"
        mv "$passwd" ${paths.dovecotPasswd}
        trap - EXIT
        if [ "$missing" -gt 0 ]; then
          echo "mailplan: $missing mailbox(es) without a password; see above, then restart mailplan-mailboxes.service" >&2
          exit 1
        fi
      '';
    };

    # Dovecot: IMAPS and LMTP, in the settings language of the release's
    # Dovecot (2.4 for a 26.05 stateVersion, 2.3 before).
    services.dovecot2 = {
      enable = true;
      enablePAM = false;
      # The vmail user is declared below, with the uid the mail tree uses.
      createMailUser = false;
      settings = render.dovecotSettings plan { inherit (config.services.dovecot2.package) version; };
    };
    systemd.services.dovecot = {
      wants = [
        certificateUnit
        "mailplan-mailboxes.service"
      ];
      after = [
        certificateUnit
        "mailplan-mailboxes.service"
      ];
    };
    users.users.vmail = {
      uid = paths.vmailUid;
      group = "vmail";
      isSystemUser = true;
      home = paths.vmailDirectory;
      createHome = true;
    };
    users.groups.vmail.gid = paths.vmailUid;

    # OpenDKIM: nixpkgs' unit generates the key on first boot; the public
    # record is then kept in the plan's public record file and echoed to
    # the journal.
    services.opendkim = {
      enable = true;
      selector = plan.dkim.selector;
      domains = "csl:${plan.domain}";
      keyPath = plan.dkim.keyDirectory;
      configFile = pkgs.writeText "opendkim.conf" render.opendkimConf;
    };
    systemd.services.opendkim.preStart = lib.mkAfter ''
      if [ ! -f ${plan.dkim.publicRecordFile} ]; then
        cp ${plan.dkim.keyDirectory}/${plan.dkim.selector}.txt ${plan.dkim.publicRecordFile}
        echo "mailplan: the DKIM key of ${plan.domain}; publish this as ${plan.dkim.recordName}:"
        cat ${plan.dkim.publicRecordFile}
      fi
    '';
    # postfix connects to the milter socket through the opendkim group.
    users.users.postfix.extraGroups = [ config.services.opendkim.group ];

    # Roundcube on nginx, with the identity fix from the guide.
    services.roundcube = lib.mkIf plan.webmail {
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
    networking.hosts."127.0.0.1" = lib.mkIf plan.webmail [ plan.hostname ];

    # Certificates: synced from the dns VM (dns-01) or fetched here (http-01).
    services.nginx = lib.mkIf nginxRuns {
      enable = true;
      virtualHosts.${plan.hostname} =
        if http01 then
          { enableACME = true; }
        else
          {
            enableACME = false;
            sslCertificate = plan.tls.certFile;
            sslCertificateKey = plan.tls.keyFile;
          };
    };
    systemd.services.nginx = lib.mkIf (nginxRuns && !http01) {
      wants = [ certificateUnit ];
      after = [ certificateUnit ];
    };
    # Until the dns VM has synced the dns-01 certificate, a self-signed
    # placeholder lets postfix, dovecot and nginx start (instead of failing
    # the whole switch); the sync replaces it and reloads them. The key is
    # root's, and readable by nginx's group when nginx serves webmail: the
    # dns VM must deliver key.pem the same way (see the README).
    systemd.services.mailplan-placeholder-certificate = lib.mkIf (!http01) (bootOneshot {
      description = "mailplan: placeholder certificate until the real one is synced";
      before = [
        "postfix.service"
        dovecotUnit
      ]
      ++ lib.optional nginxRuns "nginx.service";
      path = [
        pkgs.openssl
        pkgs.coreutils
      ];
      script = ''
        set -euo pipefail
        if [ -s ${plan.tls.certFile} ] && [ -s ${plan.tls.keyFile} ]; then
          exit 0
        fi
        echo "mailplan: no certificate in ${plan.tls.directory} yet: serving a self-signed placeholder until the dns VM syncs the real one"
        install -d -m 0755 ${plan.tls.directory}
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
          -subj /CN=${plan.hostname} -addext subjectAltName=DNS:${plan.hostname} \
          -keyout ${plan.tls.keyFile}.new -out ${plan.tls.certFile}.new
        chmod 0644 ${plan.tls.certFile}.new
        chgrp ${keyGroup} ${plan.tls.keyFile}.new
        chmod 0640 ${plan.tls.keyFile}.new
        mv ${plan.tls.keyFile}.new ${plan.tls.keyFile}
        mv ${plan.tls.certFile}.new ${plan.tls.certFile}
      '';
    });
    security.acme = lib.mkIf http01 {
      acceptTerms = true;
      defaults.email = lib.mkIf (cfg.acmeEmail != null) cfg.acmeEmail;
      certs.${plan.hostname}.reloadServices = [
        "postfix.service"
        dovecotUnit
      ];
    };

    # The VM's own firewall: every service, LAN clients included; the PMG's
    # delivery port only from the PMG.
    networking.firewall.allowedTCPPorts = openPorts;
    networking.firewall.extraInputRules = lib.mkIf (firewallBackend == "nftables") (
      lib.concatMapStrings (r: "ip saddr ${r.source} tcp dport ${toString r.port} accept\n") restrictedPorts
    );
    networking.firewall.extraCommands = lib.mkIf (firewallBackend == "iptables") (
      lib.concatMapStrings (
        r: "iptables -A nixos-fw -p tcp -s ${r.source} --dport ${toString r.port} -j nixos-fw-accept\n"
      ) restrictedPorts
    );
  };
}
