# Pure renderers from a plan to configuration text, written without
# nixpkgs so that Nix alone can evaluate (and the tests can check) them.
let
  concatLines = lines: builtins.concatStringsSep "\n" lines + "\n";
in
rec {
  # Where the mail VM keeps mail and the credentials it generates at boot.
  paths = {
    vmailDirectory = "/var/vmail";
    vmailUid = 5000;
    secretsDirectory = "/var/lib/mailplan";
    dovecotPasswd = "/var/lib/mailplan/dovecot-passwd";
    postfixQueue = "/var/lib/postfix/queue";
  };

  # Dovecot's configuration for the plan's mailboxes, as the value of
  # nixpkgs' services.dovecot2.settings (NixOS >= 26.05, whose module
  # renders it): IMAPS on 993, passwords from a passwd-file written at
  # boot, delivery by LMTP from postfix, and SASL for postfix's submission
  # services. `version` is the Dovecot package's: 2.4 and later get the 2.4
  # setting names with a pinned configuration version, older ones the 2.3
  # names.
  dovecotSettings =
    plan:
    { version }:
    let
      tls = plan.tls;
      pre24 = builtins.compareVersions version "2.4" < 0;
      postfixListener = mode: {
        inherit mode;
        user = "postfix";
        group = "postfix";
      };
      specialMailbox = use: {
        special_use = "\\${use}";
        auto = "subscribe";
      };
      common = {
        protocols = [
          "imap"
          "lmtp"
        ];
        ssl = "required";
        ssl_min_protocol = "TLSv1.2";
        auth_mechanisms = [
          "plain"
          "login"
        ];
        mail_uid = "vmail";
        mail_gid = "vmail";
        first_valid_uid = paths.vmailUid;
        last_valid_uid = paths.vmailUid;
        "service auth"."unix_listener ${paths.postfixQueue}/private/auth" = postfixListener "0660";
        "service lmtp"."unix_listener ${paths.postfixQueue}/private/dovecot-lmtp" = postfixListener "0600";
        "service imap-login" = {
          "inet_listener imap".port = 0;
          "inet_listener imaps" = {
            port = 993;
            ssl = true;
          };
        };
        "protocol lmtp".postmaster_address = "postmaster@${plan.domain}";
        "namespace inbox" = {
          inbox = true;
          "mailbox Drafts" = specialMailbox "Drafts";
          "mailbox Sent" = specialMailbox "Sent";
          "mailbox Junk" = specialMailbox "Junk";
          "mailbox Trash" = specialMailbox "Trash";
        };
      };
      dovecot23 = {
        ssl_cert = "<${tls.certFile}";
        ssl_key = "<${tls.keyFile}";
        disable_plaintext_auth = true;
        auth_username_format = "%Lu";
        mail_location = "maildir:${paths.vmailDirectory}/%d/%n/Maildir";
        passdb = {
          driver = "passwd-file";
          args = "scheme=SHA512-CRYPT ${paths.dovecotPasswd}";
        };
        userdb = {
          driver = "static";
          args = "uid=vmail gid=vmail home=${paths.vmailDirectory}/%d/%n";
        };
      };
      # The configuration language is pinned (not the package's version),
      # as nixpkgs' assertion advises: a newer Dovecot keeps reading it.
      dovecot24 = {
        dovecot_config_version = "2.4.0";
        dovecot_storage_version = "2.4.0";
        ssl_server_cert_file = tls.certFile;
        ssl_server_key_file = tls.keyFile;
        auth_allow_cleartext = false;
        auth_username_format = "%{user | lower}";
        mail_driver = "maildir";
        mail_home = "${paths.vmailDirectory}/%{user | domain}/%{user | username}";
        mail_path = "~/Maildir";
        "passdb passwd-file" = {
          driver = "passwd-file";
          passwd_file_path = paths.dovecotPasswd;
        };
        "userdb static".driver = "static";
      };
    in
    common // (if pre24 then dovecot23 else dovecot24);

  # opendkim.conf additions: sign only (the mail VM acts on no DKIM
  # verification result, so the verifier is not run on inbound mail); sign
  # what postfix's submission services accept (they set
  # milter_macro_daemon_name = ORIGINATING), not only local mail; the socket is group-accessible so postfix (a member of the
  # opendkim group) can reach it, while key files keep opendkim's umask.
  opendkimConf = concatLines [
    "Mode s"
    "MTA ORIGINATING"
    "UMask 007"
  ];

  # What the mail VM's postfix adds to the plan's main.cf: the site's
  # mailboxes and aliases (texthash tables at the given paths), delivered
  # to dovecot by LMTP.
  postfixLocalDelivery =
    plan:
    { mailboxTable, aliasTable }:
    {
      virtual_mailbox_domains = [ plan.domain ];
      virtual_mailbox_maps = [ "texthash:${mailboxTable}" ];
      virtual_alias_maps = [ "texthash:${aliasTable}" ];
      virtual_transport = "lmtp:unix:private/dovecot-lmtp";
    };

  # The smtpd service a PMG in front delivers filtered inbound mail to, as
  # an entry of nixpkgs' services.postfix.settings.master: only the PMG
  # may connect, and only to deliver to this domain. null when inbound
  # mail arrives on port 25.
  postfixPmgService =
    plan:
    if plan.inbound.deliveryPort == 25 then
      null
    else
      {
        name = toString plan.inbound.deliveryPort;
        type = "inet";
        private = false;
        command = "smtpd";
        args = [
          "-o"
          "syslog_name=postfix/pmg"
          "-o"
          "mynetworks=${plan.inbound.deliveryFrom}/32"
          "-o"
          "smtpd_client_restrictions=permit_mynetworks,reject"
          "-o"
          "smtpd_relay_restrictions=reject_unauth_destination"
        ];
      };

  # The addresses postfix accepts for local delivery (virtual_mailbox_maps
  # as a texthash table): no secrets, safe for the store.
  mailboxTable = plan: concatLines (map (m: "${m.address} OK") plan.mailboxes);

  # RFC 5321 §4.5.1 wants postmaster@; abuse@ is expected too. Both go to
  # the first mailbox when the site has one.
  aliasTable =
    plan:
    if plan.mailboxes == [ ] then
      ""
    else
      let
        first = (builtins.head plan.mailboxes).address;
        boxes = map (m: m.address) plan.mailboxes;
        alias = local: if builtins.elem "${local}@${plan.domain}" boxes then [ ] else [ "${local}@${plan.domain} ${first}" ];
      in
      concatLines (alias "postmaster" ++ alias "abuse");

  # The ddns-updater config with the secret still redacted; the unit fills
  # it in at start from the secret file (see nixosModules.ddns).
  ddnsConfigTemplate = plan: builtins.toJSON { inherit (plan.ddns) settings; };
}
