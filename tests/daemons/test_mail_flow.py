"""Mail flowing through a site planned by mailplan, on loopback.

The site relays through a smarthost on 127.0.0.1 that demands SASL AUTH
over STARTTLS (aiosmtpd). On the site's side run postfix from the plan,
opendkim with a key generated the way the module generates it, and dovecot
(Debian's 2.3, as a VM installed before NixOS 26.05 keeps) from the
configuration nixpkgs renders from the module (SASL for submission, LMTP
delivery). The relay's SASL map and the mailbox passwords come from the
module's own units, run as at boot.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import threading
import unittest
import logging
import uuid
from email.message import EmailMessage

import dkim
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import harness as h

# aiosmtpd logs a warning each time it sets its own deprecated
# Session.login_data; its other errors still show.
logging.getLogger("mail.log").setLevel(logging.ERROR)

RELAY_USER = "relay-account@example.com"
RELAY_PASSWORD = "relay pass: with spaces, % and ${braces}"
RELAY_PASSWORD_FILE = "/run/secrets/relay-pass"
MAILBOX = {"address": "alice@example.com", "password": "alice's mailbox password"}
#: Outside mynetworks (127.0.0.1/32): stands for a host on the internet.
OUTSIDER = "127.0.0.2"


class Smarthost:
    """An SMTP relay that, like Gmail or SendGrid, offers AUTH only after
    STARTTLS and refuses mail without it."""

    def __init__(self, sandbox: h.Sandbox, port: int):
        key, chain = sandbox.path("/smarthost/key.pem"), sandbox.path("/smarthost/chain.pem")
        h.self_signed_certificate(key, chain, "smarthost.test")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(chain, key)
        self.port = port
        self.received: list[tuple[str, bytes, list[str]]] = []
        self.arrived = threading.Condition()
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=port,
            server_hostname="smarthost.test",
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self.authenticate,
        )

    @staticmethod
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == RELAY_USER
            and auth_data.password.decode() == RELAY_PASSWORD
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    async def handle_DATA(self, server, session, envelope):
        with self.arrived:
            login = session.auth_data.login.decode()
            self.received.append((login, envelope.original_content or envelope.content, envelope.rcpt_tos))
            self.arrived.notify_all()
        return "250 2.0.0 queued"

    def message_to(self, recipient: str):
        """The (AUTH user, message) that arrived for `recipient`."""
        def find():
            return next(((login, data) for login, data, rcpts in self.received if recipient in rcpts), None)

        return h.wait_for(find, f"the smarthost to receive mail for {recipient}")

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()


def message(sender: str, recipient: str) -> tuple[EmailMessage, str]:
    """A message with a unique subject, so each test finds its own."""
    tag = uuid.uuid4().hex
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = recipient
    mail["Subject"] = f"mailplan test {tag}"
    mail.set_content(f"Sent by the mailplan daemon tests ({tag}).\n")
    return mail, tag


class MailFlow(unittest.TestCase):
    """One site, started once: smarthost, opendkim, dovecot, postfix."""

    @classmethod
    def setUpClass(cls):
        cls.sandbox = h.Sandbox("flow")
        cls.stack = []
        try:
            cls.start_site()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_site(cls):
        sandbox = cls.sandbox
        relay_port = h.free_port()
        declaration = {
            "name": "LoopbackCorp",
            "domain": "example.com",
            "publicIP": "203.0.113.5",
            "mailRelay": {
                "host": "127.0.0.1", "port": relay_port, "user": RELAY_USER, "passwordFile": RELAY_PASSWORD_FILE,
            },
            "users": [{"name": MAILBOX["address"], "password": MAILBOX["password"], "roles": ["mailbox"]}],
        }
        cls.declaration = sandbox.path("/declaration.json")
        cls.declaration.write_text(json.dumps(declaration))
        cls.plan = h.plan(cls.declaration)
        cls.rendering = h.module_rendering(cls.declaration, "25.11")
        assert cls.plan["mode"] == "smarthost", cls.plan["mode"]
        assert MAILBOX["password"] not in json.dumps(cls.plan), "a mailbox password leaked into the plan"

        tls = cls.plan["tls"]
        h.self_signed_certificate(sandbox.path(tls["keyFile"]), sandbox.path(tls["certFile"]), cls.plan["hostname"])

        cls.smarthost = Smarthost(sandbox, relay_port)
        cls.smarthost.start()
        cls.stack.append(cls.smarthost)

        cls.opendkim = h.OpenDkim(sandbox, cls.plan)
        cls.opendkim.generate_key()
        cls.opendkim.write_config()
        cls.opendkim.start()
        cls.stack.append(cls.opendkim)

        cls.postfix = h.Postfix(sandbox, cls.plan, h.free_port(), h.free_port())
        cls.postfix.write()
        cls.write_sasl_map(RELAY_PASSWORD)

        cls.dovecot = h.Dovecot(sandbox, cls.rendering, cls.postfix.queue_dir, h.free_port())
        cls.dovecot.write()
        cls.postfix.postfix("check")
        cls.dovecot.start()
        cls.stack.append(cls.dovecot)
        cls.postfix.start()
        cls.stack.append(cls.postfix)

    @classmethod
    def tearDownClass(cls):
        for daemon in reversed(cls.stack):
            daemon.stop()
        if not os.environ.get("MAILPLAN_KEEP_SANDBOX"):
            cls.sandbox.remove()

    @classmethod
    def write_sasl_map(cls, password: str):
        """The relay's password file, then the module's relay-credentials
        unit, which writes the SASL map from it and runs postmap."""
        secret = cls.sandbox.path(RELAY_PASSWORD_FILE)
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(password + "\n")
        result = cls.sandbox.run_unit_script(
            cls.rendering["scripts"]["relayCredentials"], env={"MAIL_CONFIG": str(cls.postfix.config_dir)}
        )
        if result.returncode != 0:
            raise AssertionError(f"the relay-credentials unit failed:\n{result.stderr}")

    def change_relay_password(self, password: str):
        """What an operator does after fixing the password file: the map is
        rebuilt and postfix reloaded. (Postfix notices a changed map by its
        mtime alone, which has one-second granularity: two rebuilds within
        one second would go unseen.)"""
        self.write_sasl_map(password)
        self.postfix.postfix("reload")

    def client(self, port: int, source: str = "127.0.0.1") -> smtplib.SMTP:
        smtp = smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=h.DEADLINE)
        self.addCleanup(smtp.close)
        return smtp

    def assert_signed_by_the_site(self, data: bytes):
        """dkimpy verifies the signature with the public key opendkim-genkey
        wrote to the plan's publicRecordFile."""
        selector, domain = self.plan["dkim"]["selector"], self.plan["dkim"]["domain"]
        record = self.opendkim.public_key_record().encode()
        expected = f"{selector}._domainkey.{domain}."

        def txt(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            return record if name.rstrip(".") + "." == expected else None

        self.assertIn(b"DKIM-Signature:", data)
        self.assertIn(f"d={domain};".encode(), data.replace(b" ", b""))
        self.assertTrue(dkim.verify(data, dnsfunc=txt), "dkimpy rejected the DKIM signature")

    def test_local_mail_relays_through_the_smarthost_with_auth_and_dkim(self):
        mail, tag = message("alice@example.com", "someone@gmail.test")
        self.client(self.postfix.smtp_port).send_message(mail)
        login, data = self.smarthost.message_to("someone@gmail.test")
        self.assertEqual(login, RELAY_USER)
        self.assertIn(tag.encode(), data)
        self.assert_signed_by_the_site(data)
        self.assertIn("TLS connection established to 127.0.0.1", self.postfix.log_text())

    def test_authenticated_submission_is_relayed(self):
        smtp = self.client(self.postfix.submission_port, source=OUTSIDER)
        smtp.starttls(context=ssl._create_unverified_context())
        smtp.login(MAILBOX["address"], MAILBOX["password"])
        mail, tag = message(MAILBOX["address"], "friend@outlook.test")
        smtp.send_message(mail)
        login, data = self.smarthost.message_to("friend@outlook.test")
        self.assertEqual(login, RELAY_USER)
        self.assertIn(tag.encode(), data)
        self.assert_signed_by_the_site(data)

    def test_submission_refuses_a_wrong_mailbox_password(self):
        smtp = self.client(self.postfix.submission_port, source=OUTSIDER)
        smtp.starttls(context=ssl._create_unverified_context())
        with self.assertRaises(smtplib.SMTPAuthenticationError) as refused:
            smtp.login(MAILBOX["address"], "not the password")
        self.assertEqual(refused.exception.smtp_code, 535)

    def test_submission_offers_no_auth_before_starttls(self):
        smtp = self.client(self.postfix.submission_port, source=OUTSIDER)
        smtp.ehlo()
        self.assertFalse(smtp.has_extn("auth"))
        code, reply = smtp.mail("alice@example.com")
        self.assertEqual(code, 530, reply)

    def test_inbound_listener_is_not_an_open_relay(self):
        smtp = self.client(self.postfix.smtp_port, source=OUTSIDER)
        smtp.ehlo("spammer.test")
        self.assertEqual(smtp.mail("spammer@spam.test")[0], 250)
        code, reply = smtp.rcpt("victim@foreign.test")
        self.assertEqual(code, 554, reply)
        self.assertIn(b"5.7.1", reply)
        self.assertIn(b"Relay access denied", reply)

    def test_unauthenticated_submission_is_refused(self):
        smtp = self.client(self.postfix.submission_port, source=OUTSIDER)
        smtp.starttls(context=ssl._create_unverified_context())
        smtp.ehlo("spammer.test")
        smtp.mail("spammer@spam.test")
        code, reply = smtp.rcpt("victim@foreign.test")
        self.assertEqual(code, 554, reply)
        self.assertIn(b"5.7.1", reply)

    def test_inbound_mail_for_a_mailbox_is_delivered_by_lmtp(self):
        before = len(self.dovecot.maildir_messages(MAILBOX["address"]))
        mail, tag = message("sender@elsewhere.test", MAILBOX["address"])
        self.client(self.postfix.smtp_port, source=OUTSIDER).send_message(mail)
        delivered = h.wait_for(
            lambda: [m for m in self.dovecot.maildir_messages(MAILBOX["address"])[before:] if tag in m.read_text()],
            "LMTP delivery into alice's Maildir",
        )
        self.assertEqual(len(delivered), 1)

    def test_mail_for_an_unknown_local_user_is_refused(self):
        smtp = self.client(self.postfix.smtp_port, source=OUTSIDER)
        smtp.ehlo("elsewhere.test")
        smtp.mail("sender@elsewhere.test")
        code, reply = smtp.rcpt("nobody@example.com")
        self.assertEqual(code, 550, reply)

    def test_wrong_relay_password_defers_and_keeps_the_message(self):
        self.change_relay_password("not the relay password")
        self.addCleanup(self.change_relay_password, RELAY_PASSWORD)
        mail, tag = message("alice@example.com", "deferred@gmail.test")
        self.client(self.postfix.smtp_port).send_message(mail)

        def deferred():
            return [
                m for m in self.postfix.queue()
                if m["queue_name"] == "deferred" and any(r["address"] == "deferred@gmail.test" for r in m["recipients"])
            ]

        queued = h.wait_for(deferred, "the message to be deferred")
        reason = queued[0]["recipients"][0]["delay_reason"]
        self.assertIn("SASL authentication failed", reason)
        self.assertIn("SASL authentication failed", self.postfix.log_text())
        self.assertNotIn("not the relay password", self.postfix.log_text())
        self.assertFalse(any("deferred@gmail.test" in r for _, _, r in self.smarthost.received))

        # With the right password the same message goes out: nothing lost.
        self.change_relay_password(RELAY_PASSWORD)
        self.postfix.flush()
        login, data = self.smarthost.message_to("deferred@gmail.test")
        self.assertEqual(login, RELAY_USER)
        self.assertIn(tag.encode(), data)
        h.wait_for(lambda: not deferred(), "the queue to empty")


if __name__ == "__main__":
    unittest.main()
