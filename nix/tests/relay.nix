# NixOS VM test: the mail VM, configured by mailplan, relays an
# authenticated submission through a smarthost that demands SASL over
# STARTTLS, and refuses to relay for an unauthenticated client.
{
  pkgs,
  mailModule,
}:
let
  relayPassword = "relay-secret";
  alicePassword = "alice-secret";

  # A self-signed certificate for a host, made at boot.
  selfSigned = name: dir: {
    description = "self-signed certificate for ${name}";
    wantedBy = [ "multi-user.target" ];
    before = [
      "postfix.service"
      "dovecot.service"
    ];
    serviceConfig.Type = "oneshot";
    script = ''
      mkdir -p ${dir}
      if [ ! -f ${dir}/fullchain.pem ]; then
        ${pkgs.openssl}/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
          -subj /CN=${name} -keyout ${dir}/key.pem -out ${dir}/fullchain.pem
      fi
    '';
  };

  # The test network has no DNS: names resolve through /etc/hosts.
  hosts = nodes: {
    ${nodes.smarthost.networking.primaryIPAddress} = [ "smarthost.test" ];
    ${nodes.mail.networking.primaryIPAddress} = [ "mail.example.com" ];
  };
in
pkgs.testers.runNixOSTest {
  name = "mailplan-relay";

  nodes = {
    # The provider: accepts mail for example.net, and relays for clients
    # that log in over STARTTLS.
    smarthost =
      { nodes, ... }:
      {
        networking.hosts = hosts nodes;
        networking.firewall.allowedTCPPorts = [ 587 ];
        systemd.services.smarthost-cert = selfSigned "smarthost.test" "/var/lib/smarthost";
        services.postfix = {
          enable = true;
          enableSubmission = true;
          settings.main = {
            myhostname = "smarthost.test";
            mydestination = [
              "smarthost.test"
              "example.net"
            ];
            smtpd_tls_chain_files = [
              "/var/lib/smarthost/key.pem"
              "/var/lib/smarthost/fullchain.pem"
            ];
            smtpd_tls_security_level = "may";
            smtpd_sasl_type = "dovecot";
            smtpd_sasl_path = "private/auth";
          };
          submissionOptions = {
            smtpd_tls_security_level = "encrypt";
            smtpd_sasl_auth_enable = "yes";
            smtpd_client_restrictions = "permit_sasl_authenticated,reject";
          };
        };
        users.users.bob.isNormalUser = true;
        environment.etc."smarthost-users".text = "relayuser:{PLAIN}${relayPassword}\n";
        # Dovecot 2.4 (the default for this test's 26.05 state version)
        # checks the relay user's password for postfix.
        services.dovecot2 = {
          enable = true;
          settings = {
            dovecot_config_version = "2.4.0";
            dovecot_storage_version = "2.4.0";
            # No listener: only the auth socket postfix asks.
            protocols = "";
            ssl = "no";
            "passdb passwd-file" = {
              driver = "passwd-file";
              passwd_file_path = "/etc/smarthost-users";
            };
            "userdb static" = {
              driver = "static";
              fields = {
                uid = "nobody";
                gid = "nogroup";
                home = "/var/empty";
              };
            };
            "service auth"."unix_listener /var/lib/postfix/queue/private/auth" = {
              mode = "0660";
              user = "postfix";
              group = "postfix";
            };
          };
        };
      };

    # The customer's mail VM, entirely from the plan.
    mail =
      { nodes, ... }:
      {
        imports = [ mailModule ];
        networking.hosts = hosts nodes;
        # Postfix looks relay hosts up in DNS only; this network has none.
        services.postfix.settings.main.smtp_host_lookup = "native";
        # No certificate is synced here: the module's placeholder serves.
        environment.etc = {
          "mailplan-test/relay-pass".text = relayPassword;
          "mailplan-test/alice".text = alicePassword;
        };
        services.mailplan = {
          enable = true;
          customer = {
            name = "RelayTest";
            domain = "example.com";
            webmail = false;
            mailRelay = {
              host = "smarthost.test";
              user = "relayuser";
              passwordFile = "/etc/mailplan-test/relay-pass";
            };
            users = [
              {
                name = "alice@example.com";
                passwordFile = "/etc/mailplan-test/alice";
              }
            ];
          };
        };
      };

    client =
      { nodes, pkgs, ... }:
      {
        networking.hosts = hosts nodes;
        environment.systemPackages = [ pkgs.swaks ];
      };
  };

  testScript = ''
    start_all()
    smarthost.wait_for_unit("postfix.service")
    smarthost.wait_for_open_port(587)
    mail.wait_for_unit("mailplan-relay-credentials.service")
    mail.wait_for_unit("mailplan-mailboxes.service")
    mail.wait_for_unit("postfix.service")
    mail.wait_for_unit("mailplan-placeholder-certificate.service")
    mail.wait_for_unit("dovecot.service")
    mail.wait_for_open_port(587)

    with subtest("an authenticated submission leaves through the smarthost"):
        client.succeed(
            "swaks --server mail.example.com --port 587 --tls"
            " --auth-user alice@example.com --auth-password ${alicePassword}"
            " --from alice@example.com --to bob@example.net"
            " --header 'Subject: mailplan relay test'"
        )
        mail.wait_until_succeeds(
            "journalctl -u postfix | grep -q 'relay=smarthost.test.*status=sent'", timeout=60
        )
        smarthost.wait_until_succeeds(
            "grep -q 'mailplan relay test' /var/spool/mail/bob", timeout=60
        )
        smarthost.succeed("journalctl -u postfix | grep -q 'sasl_username=relayuser'")

    with subtest("the mail VM is not an open relay"):
        out = client.succeed(
            "swaks --server mail.example.com --port 25"
            " --from spoof@elsewhere.org --to victim@example.net 2>&1 || true"
        )
        assert "5.7.1" in out, out
  '';
}
