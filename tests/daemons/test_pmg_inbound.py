"""A site with a Proxmox Mail Gateway in front (the guide's "PMG in front"
inbound choice): the PMG delivers filtered mail to the mail VM's port 26,
and nobody else may use that port."""

from __future__ import annotations

import json
import smtplib
import unittest

import harness as h

#: Stands for a host on the internet (not the PMG, not mynetworks).
OUTSIDER = "127.0.0.2"


class PmgInbound(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = h.Sandbox("pmg")
        declaration = json.loads((h.ROOT / "examples/pmg.json").read_text())
        declaration["users"] = [{"name": "alice@example.com", "passwordFile": "/run/secrets/alice"}]
        path = cls.sandbox.path("/declaration.json")
        path.write_text(json.dumps(declaration))
        cls.plan = h.plan(path)
        assert cls.plan["inbound"]["deliveryPort"] == 26, cls.plan["inbound"]
        tls = cls.plan["tls"]
        h.self_signed_certificate(
            cls.sandbox.path(tls["keyFile"]), cls.sandbox.path(tls["certFile"]), cls.plan["hostname"]
        )
        cls.postfix = h.Postfix(cls.sandbox, cls.plan, h.free_port(), h.free_port(), h.free_port())
        cls.postfix.write()
        cls.postfix.postfix("check")
        try:
            cls.postfix.start()
            h.wait_for_port(cls.postfix.pmg_port, "postfix's PMG delivery service")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.postfix.stop()
        cls.sandbox.remove()

    def client(self, source: str) -> smtplib.SMTP:
        smtp = smtplib.SMTP("127.0.0.1", self.postfix.pmg_port, source_address=(source, 0), timeout=h.DEADLINE)
        self.addCleanup(smtp.close)
        smtp.ehlo("pmg.example.com")
        return smtp

    def test_the_service_is_in_master_cf(self):
        services = self.postfix.postconf("-M").stdout
        self.assertRegex(services, rf"(?m)^{self.postfix.pmg_port}\s+inet\s+n\s.*smtpd.*mynetworks={h.PMG_LOOPBACK}/32")

    def test_the_pmg_delivers_mail_for_the_domain(self):
        smtp = self.client(h.PMG_LOOPBACK)
        self.assertEqual(smtp.mail("sender@elsewhere.test")[0], 250)
        self.assertEqual(smtp.rcpt("alice@example.com")[0], 250)
        code, reply = smtp.data(b"Subject: filtered by the PMG\r\n\r\nhello\r\n")
        self.assertEqual(code, 250, reply)
        self.assertIn(b"queued", reply)

    def test_the_pmg_cannot_relay_elsewhere(self):
        smtp = self.client(h.PMG_LOOPBACK)
        smtp.mail("sender@elsewhere.test")
        code, reply = smtp.rcpt("victim@foreign.test")
        self.assertEqual(code, 554, reply)
        self.assertIn(b"5.7.1", reply)

    def test_nobody_else_may_use_the_port(self):
        smtp = self.client(OUTSIDER)
        smtp.mail("sender@elsewhere.test")
        code, reply = smtp.rcpt("alice@example.com")
        self.assertEqual(code, 554, reply)
        self.assertIn(b"Client host rejected", reply)


if __name__ == "__main__":
    unittest.main()
