"""Every example's plan, checked by the daemons' own checkers and by
third-party SPF and DMARC parsers."""

from __future__ import annotations

import ipaddress
import re
import unittest

import checkdmarc.dmarc
import spf

import harness as h

#: The dyndns name's current address, for sites without a static IP.
DYNDNS_ADDRESS = "198.51.100.77"
#: A sender the SPF record must not authorise.
FOREIGN_SENDER = "192.0.2.250"


class FakeDns:
    """The zone the record sheet describes, plus the world around it: names
    outside the zone resolve to stub addresses, provider SPF includes to a
    stub record authorising one address each."""

    def __init__(self, records: list[dict], domain: str):
        self.domain = domain
        self.answers: dict[tuple[str, str], list] = {}
        self.world: dict[str, str] = {}
        for record in records:
            name = record["name"].lower().rstrip(".")
            kind, value = record["type"], record["value"]
            if kind == "MX":
                priority, host = value.split()
                value = (int(priority), host.rstrip("."))
            elif kind == "TXT":
                value = [value.encode()]
            self.answers.setdefault((name, kind), []).append(value)

    def in_zone(self, name: str) -> bool:
        return name == self.domain or name.endswith("." + self.domain)

    def stub_address(self, name: str) -> str:
        """A stable documentation address for a name outside the zone."""
        if name not in self.world:
            self.world[name] = str(ipaddress.ip_address("198.51.100.100") + len(self.world))
        return self.world[name]

    def include_sender(self, include: str) -> str:
        """The address a provider's stub SPF record authorises."""
        return self.stub_address("sender." + include)

    def lookup(self, name, qtype, *args, **kwargs):
        name = str(name).lower().rstrip(".")
        if (name, "CNAME") in self.answers and qtype != "CNAME":
            target = self.answers[(name, "CNAME")][0].rstrip(".")
            return [((name, "CNAME"), target)] + self.lookup(target, qtype)
        if (name, qtype) in self.answers:
            return [((name, qtype), value) for value in self.answers[(name, qtype)]]
        if self.in_zone(name):
            return []
        if qtype == "A":
            return [((name, "A"), self.stub_address(name))]
        if qtype == "TXT":
            stub = f"v=spf1 ip4:{self.include_sender(name)} -all"
            return [((name, "TXT"), [stub.encode()])]
        return []


def spf_result(dns: FakeDns, record: str, sender_ip: str, domain: str) -> tuple:
    saved = spf.DNSLookup
    spf.DNSLookup = dns.lookup
    try:
        query = spf.query(i=sender_ip, s=f"postmaster@{domain}", h=f"mail.{domain}", strict=True)
        return query.check(spf=record)
    finally:
        spf.DNSLookup = saved


class ExampleConfigs(unittest.TestCase):
    """One subtest per example in examples/."""

    def setUp(self):
        self.sandboxes: list[h.Sandbox] = []

    def tearDown(self):
        for sandbox in self.sandboxes:
            sandbox.remove()

    def for_each_example(self, check):
        """Runs `check(example, plan, sandbox)` as one subtest per example."""
        for example in h.EXAMPLES:
            with self.subTest(example=example.name):
                sandbox = h.Sandbox(example.stem)
                self.sandboxes.append(sandbox)
                check(example, h.plan(example), sandbox)

    def test_main_cf_passes_postfix_check_and_postconf(self):
        def check(example, plan, sandbox):
            postfix = h.Postfix(sandbox, plan, h.free_port(), h.free_port(), h.free_port())
            postfix.write()
            result = postfix.postfix("check", check=False)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertEqual(result.stdout.strip(), "", "postfix check printed warnings")
            shown = postfix.postconf("-n")
            self.assertNotRegex(shown.stderr, r"unused parameter|unknown parameter|warning")
            names = list(postfix.plan_settings)
            effective = postfix.postconf("-h", *names).stdout.splitlines()
            for name, actual in zip(names, effective, strict=True):
                value = postfix.plan_settings[name]
                expected = ", ".join(value) if isinstance(value, list) else value
                self.assertEqual(actual, expected, f"{name}: postconf's value")

        self.for_each_example(check)

    def test_sasl_map_from_the_module_answers_the_relayhost(self):
        """The module's SASL map, made by its relay-credentials unit as at
        boot, from the inline password or from the password file."""

        def check(example, plan, sandbox):
            relay = h.secrets(example)["relay"]
            if plan["mode"] == "standalone":
                self.assertIsNone(relay)
                self.assertEqual(plan["postfix"]["main"]["relayhost"], [])
                return
            if relay is None:
                # A relay without credentials (PMG on the LAN): no SASL at all.
                self.assertNotEqual(plan["postfix"]["main"].get("smtp_sasl_auth_enable"), "yes")
                return
            # The map key must be the relayhost exactly, or postfix never
            # finds the credential.
            self.assertEqual(relay["mapKey"], plan["postfix"]["relayhost"])
            rendering = h.module_rendering(example, "26.05")
            postfix = h.Postfix(sandbox, plan, h.free_port(), h.free_port(), h.free_port())
            postfix.write()
            if relay["password"] is not None:
                password = relay["password"]
            else:
                password = "from the password file: 100% ${secret}"
                secret = sandbox.path(relay["passwordFile"])
                secret.parent.mkdir(parents=True)
                secret.write_text(password + "\n")
            result = sandbox.run_unit_script(
                rendering["scripts"]["relayCredentials"], env={"MAIL_CONFIG": str(postfix.config_dir)}
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            sasl_map = sandbox.path(plan["postfix"]["saslPasswordMap"])
            self.assertEqual(oct(sasl_map.stat().st_mode & 0o777), "0o600")
            answer = postfix.postmap("-q", plan["postfix"]["relayhost"], f"hash:{sasl_map}").stdout
            self.assertEqual(answer.strip(), f"{relay['user']}:{password}")
            self.assertEqual(
                plan["postfix"]["main"]["smtp_sasl_password_maps"],
                f"hash:{plan['postfix']['saslPasswordMap']}",
            )

        self.for_each_example(check)

    def test_opendkim_accepts_its_configuration(self):
        def check(example, plan, sandbox):
            opendkim = h.OpenDkim(sandbox, plan)
            opendkim.generate_key()
            opendkim.write_config()
            result = opendkim.check()
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertTrue(opendkim.public_key_record().startswith("v=DKIM1;"))
            self.assertEqual(plan["dkim"]["recordName"], f"{plan['dkim']['selector']}._domainkey.{plan['domain']}")

        self.for_each_example(check)

    def test_record_sheet_is_a_valid_zone(self):
        def check(example, plan, sandbox):
            opendkim = h.OpenDkim(sandbox, plan)
            opendkim.generate_key()
            zone = sandbox.path("/zone")
            zone.write_text(h.zone_file(plan["domain"], h.zone_fragment(example), opendkim.public_key_record()))
            result = h.run(
                "named-checkzone", "-k", "fail", "-n", "fail", "-m", "fail", "-M", "fail",
                "-S", "fail", "-i", "full", plan["domain"], zone, check=False,
            )
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("OK", result.stdout)
            # Every record of the sheet made it into the zone: the DKIM one
            # included, once the key exists.
            loaded = re.search(r"loaded serial \d+", result.stdout)
            self.assertIsNotNone(loaded, result.stdout)
            dumped = h.run("named-compilezone", "-i", "none", "-o", "-", plan["domain"], zone).stdout
            for record in plan["dnsRecords"]:
                self.assertRegex(dumped, rf"(?m)^{re.escape(record['name'])}\.\s+\d+\s+IN\s+{record['type']}\s")

        self.for_each_example(check)

    def test_spf_evaluates_as_intended_with_pyspf(self):
        def check(example, plan, sandbox):
            domain, record = plan["domain"], plan["spf"]
            dns = FakeDns(plan["dnsRecords"], domain)
            static = [r["value"] for r in plan["dnsRecords"] if r["type"] == "A" and r["name"] == plan["hostname"]]
            vm_address = static[0] if static else DYNDNS_ADDRESS
            for host in plan["ddns"]["hosts"]:
                # The dyndns name: resolves to wherever the site is now.
                dns.world[host] = DYNDNS_ADDRESS
            # Who sends the site's mail to the internet: the VM itself when
            # standalone, the relay in smarthost mode.
            senders = {"the mail VM": vm_address} if plan["mode"] == "standalone" else {}
            for include in re.findall(r"\binclude:(\S+)", record):
                senders[f"{include}'s network"] = dns.include_sender(include)
            relay = plan["relay"]
            if relay and relay["provider"] in ("custom", "pmg"):
                address = next(
                    (r["value"] for r in plan["dnsRecords"] if r["type"] == "A" and r["name"] == relay["host"]),
                    None,
                ) or dns.stub_address(relay["host"])
                senders[f"the relay {relay['host']}"] = address
            self.assertTrue(senders, "nobody is authorised to send")
            for who, address in senders.items():
                result, _, explanation = spf_result(dns, record, address, domain)
                self.assertEqual(result, "pass", f"{who} ({address}): {explanation}")
            expected = "softfail" if record.endswith("~all") else "fail"
            result, _, explanation = spf_result(dns, record, FOREIGN_SENDER, domain)
            self.assertEqual(result, expected, explanation)
            txt = [r for r in plan["dnsRecords"] if r["type"] == "TXT" and r["name"] == domain]
            self.assertEqual([r["value"] for r in txt], [record])

        self.for_each_example(check)

    def test_dmarc_parses_with_checkdmarc(self):
        def check(example, plan, sandbox):
            parsed = checkdmarc.dmarc.parse_dmarc_record(
                plan["dmarc"], plan["domain"], nameservers=["127.0.0.1"], timeout=0.2
            )
            self.assertIn(parsed["tags"]["p"]["value"], ("none", "quarantine", "reject"))
            for address in parsed["tags"].get("rua", {}).get("value", []):
                self.assertTrue(address["address"].endswith("@" + plan["domain"]), address)
            # No DNS here: checkdmarc's only complaint may be that it could
            # not look up the report address's MX.
            for warning in parsed["warnings"]:
                self.assertRegex(warning, r"^Failed to retrieve MX records for the domain of rua")
            records = [r for r in plan["dnsRecords"] if r["name"] == f"_dmarc.{plan['domain']}"]
            self.assertEqual([r["value"] for r in records], [plan["dmarc"]])

        self.for_each_example(check)

    def test_dovecot_accepts_the_rendered_configuration(self):
        """Debian's Dovecot 2.3 on the configuration of a VM installed
        before NixOS 26.05 (test_dovecot24 checks 2.4's)."""

        def check(example, plan, sandbox):
            tls = plan["tls"]
            h.self_signed_certificate(sandbox.path(tls["keyFile"]), sandbox.path(tls["certFile"]), plan["hostname"])
            queue = sandbox.path("/var/lib/postfix/queue")
            rendering = h.module_rendering(example, "25.11")
            self.assertTrue(rendering["dovecotVersion"].startswith("2.3."), rendering["dovecotVersion"])
            dovecot = h.Dovecot(sandbox, rendering, queue, h.free_port())
            dovecot.write({m["passwordFile"]: "x" for m in plan["mailboxes"] if m["passwordFile"]})
            result = dovecot.check()
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertNotIn("warning", result.stderr.lower())

        self.for_each_example(check)

if __name__ == "__main__":
    unittest.main()
