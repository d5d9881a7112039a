"""Every shape of mailbox name the engine accepts can log in and receive
mail (issue 11 item 4), on Dovecot 2.3 (Debian 12's) and 2.4 (the Debian
13 root): a declaration through the real CLI plan and the module's
rendering, the passwd-file from the module's mailboxes unit, postfix from
the plan with the module's mailbox and alias tables.

Dovecot lowercases every login (auth_username_format) and looks it up in
the passwd-file as it is, so a mailbox is its lowercase address: `Alice@`
logs in as `Alice@…` or `alice@…`. The shapes Dovecot or the tables could
never serve (`+`, a leading `#`, …) are refused by the engine
(crates/mailplan/tests/rules.rs).
"""

from __future__ import annotations

import imaplib
import json
import os
import smtplib
import unittest
import uuid
from email.message import EmailMessage

import harness as h
from test_dovecot24 import deliver, dovecot, imap

#: Stands for a host on the internet (outside mynetworks).
OUTSIDER = "127.0.0.2"

#: (the declared user, the logins that must work, the mailbox's address
#: in the plan, its password). The first is the alias target.
SHAPES = [
    (
        {"name": "Alice@example.com", "password": "alice mixed case"},
        ["Alice@example.com", "alice@example.com", "ALICE@Example.COM"],
        "alice@example.com",
        "alice mixed case",
    ),
    (
        {"name": "Bob", "passwordFile": "/run/secrets/mail/bob", "roles": ["mailbox"]},
        ["bob@example.com", "Bob@example.com"],
        "bob@example.com",
        "bob bare local part",
    ),
    (
        {"name": "first.last", "password": "dotted name", "roles": ["mailbox"]},
        ["first.last@example.com"],
        "first.last@example.com",
        "dotted name",
    ),
    (
        {"name": "info-desk@example.com", "password": "hyphenated name"},
        ["info-desk@example.com"],
        "info-desk@example.com",
        "hyphenated name",
    ),
    (
        {"name": "a_b", "password": "underscored name", "roles": ["mailbox"]},
        ["a_b@example.com"],
        "a_b@example.com",
        "underscored name",
    ),
    (
        {"name": "2024", "password": "digits only", "roles": ["mailbox"]},
        ["2024@example.com"],
        "2024@example.com",
        "digits only",
    ),
]


def message(recipient: str) -> tuple[EmailMessage, str]:
    tag = uuid.uuid4().hex
    mail = EmailMessage()
    mail["From"] = "sender@elsewhere.test"
    mail["To"] = recipient
    mail["Subject"] = f"mailplan mailbox names {tag}"
    mail.set_content("To a mailbox by its name.\n")
    return mail, tag


class MailboxNames:
    """One standalone site with every accepted shape, on Dovecot `VERSION`
    behind postfix (a mixin: the TestCases below pick the version)."""

    VERSION = ""
    #: Whether postfix delivers; else LMTP straight into dovecot, as
    #: postfix's virtual transport does.
    THROUGH_POSTFIX = True

    @classmethod
    def setUpClass(cls):
        cls.sandbox = h.Sandbox(f"mailbox-names-{cls.VERSION}")
        cls.stack = []
        try:
            cls.start_site()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_site(cls):
        sandbox = cls.sandbox
        declaration = {
            "name": "NamesCorp",
            "domain": "example.com",
            "publicIP": "203.0.113.5",
            "users": [user for user, *_ in SHAPES],
        }
        path = sandbox.path("/declaration.json")
        path.write_text(json.dumps(declaration))
        cls.plan = h.plan(path)
        files = {
            user["passwordFile"]: password + "\n" for user, _, _, password in SHAPES if "passwordFile" in user
        }
        if cls.THROUGH_POSTFIX:
            # Postfix first: `postfix check` makes its queue directories,
            # owned by postfix, where dovecot then puts its sockets.
            cls.postfix = h.Postfix(sandbox, cls.plan, h.free_port(), h.free_port())
            cls.postfix.write()
            cls.postfix.postfix("check")
        cls.dovecot = dovecot(sandbox, path, cls.plan, files, cls.VERSION)
        cls.dovecot.start()
        cls.stack.append(cls.dovecot)
        if cls.THROUGH_POSTFIX:
            cls.postfix.start()
            cls.stack.append(cls.postfix)

    @classmethod
    def tearDownClass(cls):
        for daemon in reversed(cls.stack):
            daemon.stop()
        if not os.environ.get("MAILPLAN_KEEP_SANDBOX"):
            cls.sandbox.remove()

    def test_the_plan_and_the_tables_hold_lowercase_addresses(self):
        addresses = [address for _, _, address, _ in SHAPES]
        self.assertEqual([m["address"] for m in self.plan["mailboxes"]], addresses)
        self.assertEqual(h.nix_render("mailboxTable", self.plan), "".join(f"{a} OK\n" for a in addresses))
        self.assertEqual(
            h.nix_render("aliasTable", self.plan),
            f"postmaster@example.com {addresses[0]}\nabuse@example.com {addresses[0]}\n",
        )
        passwd = self.dovecot.passwd.read_text().splitlines()
        self.assertEqual([line.split(":")[0] for line in passwd], addresses)

    def test_every_shape_logs_in_with_its_password(self):
        for _, logins, _, password in SHAPES:
            for login in logins:
                with self.subTest(login=login):
                    status, _ = imap(self, self.dovecot).login(login, password)
                    self.assertEqual(status, "OK")

    def test_a_wrong_password_is_refused_for_a_mixed_case_login(self):
        with self.assertRaises(imaplib.IMAP4.error):
            imap(self, self.dovecot).login("Alice@example.com", "not the password")

    def assert_delivered(self, recipient: str, mailbox: str, password: str):
        """A message from the internet to `recipient`, through postfix (or
        straight by LMTP) into dovecot, found by IMAP in `mailbox`'s INBOX."""
        if self.THROUGH_POSTFIX:
            mail, tag = message(recipient)
            with smtplib.SMTP(
                "127.0.0.1", self.postfix.smtp_port, source_address=(OUTSIDER, 0), timeout=h.DEADLINE
            ) as smtp:
                smtp.send_message(mail)
        else:
            tag = deliver(self.dovecot, recipient)
        h.wait_for(
            lambda: [m for m in self.dovecot.maildir_messages(mailbox) if tag in m.read_text(errors="replace")],
            f"delivery for {recipient} into {mailbox}'s Maildir",
        )
        client = imap(self, self.dovecot)
        client.login(mailbox, password)
        client.select("INBOX")
        status, found = client.search(None, "SUBJECT", tag)
        self.assertEqual(status, "OK")
        self.assertEqual(len(found[0].split()), 1)

    def test_mail_to_every_shape_is_delivered(self):
        for user, _, address, password in SHAPES:
            with self.subTest(address=address):
                self.assert_delivered(address, address, password)
        # The recipient as declared, mixed case, reaches the same mailbox.
        self.assert_delivered("Alice@example.com", "alice@example.com", SHAPES[0][3])


class MailboxNamesDovecot23(MailboxNames, unittest.TestCase):
    """Behind postfix, with the module's alias table."""

    VERSION = "2.3"

    def test_postmaster_and_abuse_reach_the_first_mailbox(self):
        # The alias table sends both to the first mailbox, lowercase.
        _, _, first, password = SHAPES[0]
        for alias in ("postmaster@example.com", "abuse@example.com"):
            with self.subTest(alias=alias):
                self.assert_delivered(alias, first, password)


class MailboxNamesDovecot24(MailboxNames, unittest.TestCase):
    """Without postfix: the Debian 13 root's postfix user has another uid
    than the host's, so the host's postfix may not connect to the LMTP
    socket Dovecot 2.4 makes (mode 0600, owner postfix)."""

    VERSION = "2.4"
    THROUGH_POSTFIX = False


if __name__ == "__main__":
    unittest.main()
