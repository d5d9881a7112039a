# The flake's example customer: Gmail smarthost through the guide's
# AddMailRelay shape, a static public IP, two mailboxes. Secrets come from
# files (e.g. sops-nix) so none enters the store.
let
  mailplan = import ../lib/builders.nix;
in
mailplan.withPublicIP "203.0.113.5" (
  mailplan.addMailRelay
    {
      host = "smtp.gmail.com";
      saslUser = "noreply@example.com";
      saslPasswordFile = "/run/secrets/relay-pass";
    }
    {
      name = "ExampleCorp";
      domain = "example.com";
      isp = {
        port25Outbound = true;
        rdns = true;
      };
      users = [
        {
          name = "alice@example.com";
          passwordFile = "/run/secrets/mail/alice";
        }
        {
          name = "bob";
          passwordFile = "/run/secrets/mail/bob";
          roles = [ "mailbox" ];
        }
      ];
    }
)
