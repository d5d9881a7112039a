"""Dovecot 2.4, on the configuration a NixOS 26.05 mail VM gets: the
module's settings for a 26.05 state version, rendered by nixpkgs' dovecot
module (tests/nixos's 26.05 surface). Debian 12's Dovecot is 2.3, so 2.4
runs from a Debian 13 root (dovecot24-root.sh) on the same sandboxes.

Every example's configuration passes `doveconf`; one site then serves IMAPS
to its mailboxes, with the passwords the module's mailboxes unit hashes,
and takes delivery by LMTP as postfix hands it over.
"""

from __future__ import annotations

import imaplib
import json
import smtplib
import ssl
import unittest
import uuid
from email.message import EmailMessage

import harness as h

MAILBOX = {"address": "alice@example.com", "password": "alice's 2.4 password"}
FILE_MAILBOX = {"address": "bob@example.com", "passwordFile": "/run/secrets/mail/bob", "password": "bob's secret"}


def dovecot24(sandbox: h.Sandbox, declaration, plan: dict, password_files: dict[str, str]) -> h.Dovecot:
    """Dovecot 2.4 with the module's configuration, written; not started."""
    rendering = h.module_rendering(declaration, "26.05")
    if not rendering["dovecotVersion"].startswith("2.4."):
        raise AssertionError(f"a 26.05 state version runs Dovecot {rendering['dovecotVersion']}, not 2.4")
    tls = plan["tls"]
    h.self_signed_certificate(sandbox.path(tls["keyFile"]), sandbox.path(tls["certFile"]), plan["hostname"])
    queue = sandbox.path("/var/lib/postfix/queue")
    (queue / "private").mkdir(parents=True, exist_ok=True)
    dovecot = h.Dovecot(sandbox, rendering, queue, h.free_port(), root=h.DOVECOT24_ROOT)
    dovecot.write(password_files)
    return dovecot


class Dovecot24Configs(unittest.TestCase):
    def test_every_example_passes_doveconf(self):
        for example in h.EXAMPLES:
            with self.subTest(example=example.name):
                sandbox = h.Sandbox(f"dovecot24-{example.stem}")
                self.addCleanup(sandbox.remove)
                plan = h.plan(example)
                files = {m["passwordFile"]: "x" for m in plan["mailboxes"] if m["passwordFile"]}
                result = dovecot24(sandbox, example, plan, files).check()
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertNotIn("warning", result.stderr.lower())
                self.assertIn("dovecot_config_version = 2.4.0", result.stdout)


class Dovecot24Site(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = h.Sandbox("dovecot24-site")
        declaration = {
            "name": "TwoFourCorp",
            "domain": "example.com",
            "publicIP": "203.0.113.5",
            "users": [
                {"name": MAILBOX["address"], "password": MAILBOX["password"]},
                {"name": FILE_MAILBOX["address"], "passwordFile": FILE_MAILBOX["passwordFile"]},
            ],
        }
        path = cls.sandbox.path("/declaration.json")
        path.write_text(json.dumps(declaration))
        plan = h.plan(path)
        cls.dovecot = dovecot24(
            cls.sandbox, path, plan, {FILE_MAILBOX["passwordFile"]: FILE_MAILBOX["password"] + "\n"}
        )
        try:
            cls.dovecot.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dovecot.stop()
        cls.sandbox.remove()

    def imap(self) -> imaplib.IMAP4_SSL:
        client = imaplib.IMAP4_SSL(
            "127.0.0.1", self.dovecot.imaps_port, ssl_context=ssl._create_unverified_context(), timeout=h.DEADLINE
        )
        self.addCleanup(client.shutdown)
        return client

    def test_mailboxes_log_in_with_their_passwords(self):
        for box in (MAILBOX, FILE_MAILBOX):
            with self.subTest(mailbox=box["address"]):
                status, _ = self.imap().login(box["address"], box["password"])
                self.assertEqual(status, "OK")

    def test_the_address_is_case_insensitive(self):
        status, _ = self.imap().login("Alice@Example.COM", MAILBOX["password"])
        self.assertEqual(status, "OK")

    def test_a_wrong_password_is_refused(self):
        with self.assertRaises(imaplib.IMAP4.error):
            self.imap().login(MAILBOX["address"], "not the password")

    def test_lmtp_delivers_into_the_mailbox(self):
        tag = uuid.uuid4().hex
        mail = EmailMessage()
        mail["From"] = "sender@elsewhere.test"
        mail["To"] = MAILBOX["address"]
        mail["Subject"] = f"mailplan 2.4 test {tag}"
        mail.set_content("Delivered by LMTP, as postfix's virtual transport does.\n")
        socket = self.dovecot.postfix_queue / "private/dovecot-lmtp"
        with smtplib.LMTP(str(socket), timeout=h.DEADLINE) as lmtp:
            lmtp.send_message(mail)
        client = self.imap()
        client.login(MAILBOX["address"], MAILBOX["password"])
        client.select("INBOX")
        status, found = client.search(None, "SUBJECT", tag)
        self.assertEqual(status, "OK")
        self.assertEqual(len(found[0].split()), 1)
        status, mailboxes = client.list()
        names = b" ".join(mailboxes)
        for special in (b"\\Drafts", b"\\Sent", b"\\Junk", b"\\Trash"):
            self.assertIn(special, names)


if __name__ == "__main__":
    unittest.main()
