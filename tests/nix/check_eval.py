"""Checks tests/nix/eval.nix's output against the CLI's (run by run.sh)."""

import json
import pathlib
import sys

work = pathlib.Path(sys.argv[1])
result = json.loads((work / "eval.json").read_text())
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


for cli_plan in sorted(work.glob("*.cli.json")):
    name = cli_plan.name.removesuffix(".cli.json")
    expected = json.loads(cli_plan.read_text())
    check(result["plans"].get(name) == expected, f"{name}: nix/lib plan differs from the CLI's")
    check(result["flakePlans"].get(name) == expected, f"{name}: the flake's lib plan differs")
    check(result["spf"].get(name) == expected["spf"], f"{name}: spf differs")
    zone = (work / f"{name}.cli.zone").read_text()
    check(result["zones"].get(name) == zone, f"{name}: zone differs from mailplan dns --zone")
check(len(result["plans"]) >= 12, "every example is evaluated")

examples = pathlib.Path("examples")
gmail = json.loads((examples / "gmail-addmailrelay.json").read_text())
built = result["builders"]["gmail"]
check(built["users"][0] == gmail["users"][0], f"addMailRelay user differs: {built['users'][0]}")
check(built["publicIP"] == "203.0.113.5", "withPublicIP sets publicIP")

noip = result["builders"]["noip"]
check(noip["domainProvider"] == {
    "provider": "noip", "hosts": ["laufentaler"], "domain": "ddns.net",
    "username": "your-login", "secretKey": "password",
}, f"addDomainProvider knobs: {noip['domainProvider']}")
check(noip["users"] == [{
    "name": "your-login", "roles": ["domain-provider"], "passwordFile": "/run/secrets/ddns-password",
}], f"addDomainProvider user: {noip['users']}")
duck = result["builders"]["duckdns"]
check("secretKey" not in duck["domainProvider"] and "username" not in duck["domainProvider"],
      "token-only providers get neither username nor secretKey")
check(duck["users"][0]["name"] == "duckdns", "the domain-provider user is named after the provider")

built_plan = result["builtPlans"]["gmail"]
check(built_plan["relay"]["source"] == "user:noreply@example.com", "builder relay is role-tagged")
check(built_plan["spf"] == "v=spf1 mx include:_spf.google.com -all", "builder plan SPF")

secrets = result["secrets"]
check(secrets["relay"] == {
    "mapKey": "[smtp.sendgrid.net]:587", "user": "apikey",
    "password": "SG.secret-value", "passwordFile": None,
}, f"secrets: {secrets}")

check(result["flatten"] == {"equal": True, "lazy": [{"deep": 1}], "reachesTheCall": "smarthost"},
      f"flatten: {result['flatten']}")

rendered = result["rendered"]
# Dovecot's settings in each version's names (the daemon tests run both).
dovecot23, dovecot24 = rendered["dovecot23"], rendered["dovecot24"]
check(dovecot23["ssl_cert"] == "</var/lib/acme/mail.example.com/fullchain.pem", dovecot23.get("ssl_cert"))
check(dovecot23["passdb"] == {"driver": "passwd-file", "args": "scheme=SHA512-CRYPT /var/lib/mailplan/dovecot-passwd"},
      dovecot23.get("passdb"))
check("dovecot_config_version" not in dovecot23, "2.3 settings carry a 2.4 version")
check(dovecot24["dovecot_config_version"] == "2.4.0" and dovecot24["dovecot_storage_version"] == "2.4.0",
      "2.4 settings lack the pinned versions")
check(dovecot24["ssl_server_cert_file"] == "/var/lib/acme/mail.example.com/fullchain.pem",
      dovecot24.get("ssl_server_cert_file"))
check(dovecot24["passdb passwd-file"]["passwd_file_path"] == "/var/lib/mailplan/dovecot-passwd",
      dovecot24.get("passdb passwd-file"))
check(not any(key in dovecot24 for key in ("ssl_cert", "mail_location", "disable_plaintext_auth")),
      "2.4 settings carry 2.3 names")
for settings in (dovecot23, dovecot24):
    check("unix_listener /var/lib/postfix/queue/private/auth" in settings["service auth"], "no auth socket for postfix")
    check(settings["protocol lmtp"]["postmaster_address"] == "postmaster@example.com", "no postmaster address")
check(rendered["mailboxes"] == "alice@example.com OK\nbob@example.com OK\n", rendered["mailboxes"])
check(rendered["aliases"] == "postmaster@example.com alice@example.com\nabuse@example.com alice@example.com\n",
      rendered["aliases"])
check(rendered["ddnsTemplate"]["settings"][0]["password"] == "<redacted>", "ddns template is redacted")

if failures:
    for failure in failures:
        print("FAIL:", failure)
    sys.exit(1)
print(f"ok: {len(result['plans'])} examples through nix/lib and the flake's lib; builders, secrets, renderers")
