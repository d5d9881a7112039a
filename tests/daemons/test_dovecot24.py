"""Dovecot 2.4, on the configuration a NixOS 26.05 mail VM gets: the
module's settings for a 26.05 state version, rendered by nixpkgs' dovecot
module (tests/nixos's 26.05 surface). Debian 12's Dovecot is 2.3, so 2.4
runs from a Debian 13 root (dovecot24-root.sh) on the same sandboxes.

Every example's configuration passes `doveconf`; one site then serves IMAPS
to its mailboxes, with the passwords the module's mailboxes unit hashes,
and takes delivery by LMTP as postfix hands it over, also for a mailbox
whose secret is missing; and a VM moving from 2.3 to 2.4 keeps its mail.
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
#: A mailbox whose password file is missing.
LOCKED_MAILBOX = {"address": "carol@example.com", "passwordFile": "/run/secrets/mail/carol"}


def dovecot(
    sandbox: h.Sandbox, declaration, plan: dict, password_files: dict[str, str], version: str, missing_secrets: int = 0
) -> h.Dovecot:
    """Dovecot 2.4 (or Debian's 2.3, for a VM installed before 26.05) with
    the module's configuration, written; not started."""
    rendering = h.module_rendering(declaration, "26.05" if version == "2.4" else "25.11")
    if not rendering["dovecotVersion"].startswith(version + "."):
        raise AssertionError(f"the module's configuration is for Dovecot {rendering['dovecotVersion']}, not {version}")
    tls = plan["tls"]
    if not sandbox.path(tls["certFile"]).exists():
        h.self_signed_certificate(sandbox.path(tls["keyFile"]), sandbox.path(tls["certFile"]), plan["hostname"])
    queue = sandbox.path("/var/lib/postfix/queue")
    (queue / "private").mkdir(parents=True, exist_ok=True)
    root = h.DOVECOT24_ROOT if version == "2.4" else None
    server = h.Dovecot(sandbox, rendering, queue, h.free_port(), root=root)
    server.write(password_files, missing_secrets)
    return server


def dovecot24(sandbox: h.Sandbox, declaration, plan: dict, password_files: dict[str, str], **kwargs) -> h.Dovecot:
    return dovecot(sandbox, declaration, plan, password_files, "2.4", **kwargs)


def imap(testcase: unittest.TestCase, server: h.Dovecot) -> imaplib.IMAP4_SSL:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", server.imaps_port, ssl_context=ssl._create_unverified_context(), timeout=h.DEADLINE
    )
    testcase.addCleanup(close, client)
    return client


def close(client: imaplib.IMAP4_SSL):
    """Closes a connection the server may have closed already."""
    try:
        client.shutdown()
    except OSError:
        pass


def deliver(server: h.Dovecot, recipient: str) -> str:
    """A message delivered by LMTP, as postfix's virtual transport does;
    returns its unique subject."""
    tag = uuid.uuid4().hex
    mail = EmailMessage()
    mail["From"] = "sender@elsewhere.test"
    mail["To"] = recipient
    mail["Subject"] = f"mailplan test {tag}"
    mail.set_content("Delivered by LMTP.\n")
    with smtplib.LMTP(str(server.postfix_queue / "private/dovecot-lmtp"), timeout=h.DEADLINE) as lmtp:
        lmtp.send_message(mail)
    return tag


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
                {"name": LOCKED_MAILBOX["address"], "passwordFile": LOCKED_MAILBOX["passwordFile"]},
            ],
        }
        path = cls.sandbox.path("/declaration.json")
        path.write_text(json.dumps(declaration))
        plan = h.plan(path)
        cls.dovecot = dovecot24(
            cls.sandbox, path, plan, {FILE_MAILBOX["passwordFile"]: FILE_MAILBOX["password"] + "\n"},
            missing_secrets=1,
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
        return imap(self, self.dovecot)

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
        tag = deliver(self.dovecot, MAILBOX["address"])
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

    def test_a_mailbox_without_its_secret_cannot_log_in_but_receives_mail(self):
        with self.assertRaises(imaplib.IMAP4.error):
            self.imap().login(LOCKED_MAILBOX["address"], "")
        tag = deliver(self.dovecot, LOCKED_MAILBOX["address"])
        local, domain = LOCKED_MAILBOX["address"].split("@")
        new = self.sandbox.path(f"/var/vmail/{domain}/{local}/Maildir/new")
        self.assertTrue(any(tag in m.read_text() for m in new.iterdir()), "the message is not in carol's Maildir")


class UpgradeFrom23(unittest.TestCase):
    """A VM installed before 26.05 keeps Dovecot 2.3 until its operator
    moves it to 2.4: the mail and folders 2.3 wrote stay readable."""

    def test_mail_and_folders_survive_the_move_to_24(self):
        sandbox = h.Sandbox("dovecot-upgrade")
        self.addCleanup(sandbox.remove)
        path = sandbox.path("/declaration.json")
        path.write_text(json.dumps({
            "name": "UpgradeCorp", "domain": "example.com", "publicIP": "203.0.113.5",
            "users": [{"name": MAILBOX["address"], "password": MAILBOX["password"]}],
        }))
        plan = h.plan(path)

        old = dovecot(sandbox, path, plan, {}, "2.3")
        old.start()
        try:
            tag = deliver(old, MAILBOX["address"])
            client = imap(self, old)
            client.login(MAILBOX["address"], MAILBOX["password"])
            self.assertEqual(client.create("Projects")[0], "OK")
        finally:
            old.stop()

        new = dovecot(sandbox, path, plan, {}, "2.4")
        new.start()
        self.addCleanup(new.stop)
        client = imap(self, new)
        client.login(MAILBOX["address"], MAILBOX["password"])
        status, mailboxes = client.list()
        self.assertIn(b"Projects", b" ".join(mailboxes))
        client.select("INBOX")
        status, found = client.search(None, "SUBJECT", tag)
        self.assertEqual(len(found[0].split()), 1, "2.4 does not see the message 2.3 delivered")

if __name__ == "__main__":
    unittest.main()
