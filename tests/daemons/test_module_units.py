"""The mail VM's own units, run as systemd runs them at boot (their scripts
come from the NixOS module, evaluated over the 26.05 option surface): a
missing secret fails loudly for its owner alone, and the placeholder
certificate is readable by the daemons that read it, nobody else."""

from __future__ import annotations

import grp
import json
import pwd
import stat
import subprocess
import unittest
from pathlib import Path

import harness as h


def declaration(sandbox: h.Sandbox, **fields) -> Path:
    path = sandbox.path("/declaration.json")
    path.write_text(json.dumps({"name": "UnitCorp", "domain": "example.com", "publicIP": "203.0.113.5", **fields}))
    return path


class MailboxPasswords(unittest.TestCase):
    def setUp(self):
        self.sandbox = h.Sandbox("units-mailboxes")
        self.addCleanup(self.sandbox.remove)
        path = declaration(
            self.sandbox,
            users=[
                {"name": "alice@example.com", "passwordFile": "/run/secrets/mail/alice"},
                {"name": "bob@example.com", "passwordFile": "/run/secrets/mail/bob"},
                {"name": "carol@example.com", "password": "carol's inline password"},
            ],
        )
        self.script = h.module_rendering(path, "26.05")["scripts"]["mailboxes"]
        self.passwd = self.sandbox.path("/var/lib/mailplan/dovecot-passwd")

    def write_secret(self, name: str, text: str):
        secret = self.sandbox.path(f"/run/secrets/mail/{name}")
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(text)

    def entries(self) -> dict[str, str]:
        return dict(line.split(":", 1) for line in self.passwd.read_text().splitlines())

    def assert_verifies(self, hashed: str, password: str):
        result = h.run("doveadm", "pw", "-t", hashed, "-p", password, check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_mailbox_gets_its_hash_readable_by_dovecot_only(self):
        self.write_secret("alice", "alice's password\n")
        self.write_secret("bob", "bob's password")
        result = self.sandbox.run_unit_script(self.script)
        self.assertEqual(result.returncode, 0, result.stderr)
        entries = self.entries()
        self.assertEqual(sorted(entries), ["alice@example.com", "bob@example.com", "carol@example.com"])
        self.assert_verifies(entries["alice@example.com"], "alice's password")
        self.assert_verifies(entries["bob@example.com"], "bob's password")
        self.assert_verifies(entries["carol@example.com"], "carol's inline password")
        info = self.passwd.stat()
        self.assertEqual(stat.S_IMODE(info.st_mode), 0o640)
        self.assertEqual(grp.getgrgid(info.st_gid).gr_name, "dovecot")
        self.assertNotIn("password", self.passwd.read_text())

    def test_a_missing_secret_locks_out_that_mailbox_alone(self):
        self.write_secret("alice", "alice's password\n")
        self.write_secret("bob", "")
        result = self.sandbox.run_unit_script(self.script)
        self.assertNotEqual(result.returncode, 0, "the unit must fail, so that systemctl --failed shows it")
        self.assertIn("mailbox bob@example.com cannot log in", result.stderr)
        self.assertNotIn("alice", result.stderr)
        self.assertNotIn("carol", result.stderr)
        entries = self.entries()
        # bob still exists (his mail is delivered), but no password matches.
        self.assertEqual(sorted(entries), ["alice@example.com", "bob@example.com", "carol@example.com"])
        self.assertEqual(entries["bob@example.com"], "{CRYPT}!")
        self.assertNotEqual(h.run("doveadm", "pw", "-t", "{CRYPT}!", "-p", "", check=False).returncode, 0)
        self.assert_verifies(entries["alice@example.com"], "alice's password")

        # Once the secret arrives, a restart of the unit lets bob in too.
        self.write_secret("bob", "bob's password")
        result = self.sandbox.run_unit_script(self.script)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_verifies(self.entries()["bob@example.com"], "bob's password")

    def test_only_the_first_line_of_a_secret_file_is_the_password(self):
        self.write_secret("alice", "alice's password\nsecond line\n")
        self.write_secret("bob", "bob's password")
        result = self.sandbox.run_unit_script(self.script)
        self.assertEqual(result.returncode, 0, result.stderr)
        entries = self.entries()
        self.assertEqual(len(self.passwd.read_text().splitlines()), 3)
        self.assert_verifies(entries["alice@example.com"], "alice's password")


class RelayCredentials(unittest.TestCase):
    def test_a_missing_relay_secret_fails_that_unit_with_its_path(self):
        sandbox = h.Sandbox("units-relay")
        self.addCleanup(sandbox.remove)
        path = declaration(
            sandbox,
            mailRelay={"host": "smtp.sendgrid.net", "user": "apikey", "passwordFile": "/run/secrets/relay-pass"},
        )
        script = h.module_rendering(path, "26.05")["scripts"]["relayCredentials"]
        result = sandbox.run_unit_script(script)
        self.assertNotEqual(result.returncode, 0)
        secret = sandbox.path("/run/secrets/relay-pass")
        self.assertIn(f"the relay password file {secret} is missing or empty", result.stderr)
        self.assertFalse(sandbox.path("/var/lib/postfix/sasl/sasl_passwd").exists())


class PlaceholderCertificate(unittest.TestCase):
    def certificate(self, webmail: bool):
        sandbox = h.Sandbox("units-certificate")
        self.addCleanup(sandbox.remove)
        path = declaration(sandbox, webmail=webmail)
        plan = h.plan(path)
        script = h.module_rendering(path, "26.05")["scripts"]["placeholderCertificate"]
        result = sandbox.run_unit_script(script)
        self.assertEqual(result.returncode, 0, result.stderr)
        return sandbox, script, sandbox.path(plan["tls"]["keyFile"]), sandbox.path(plan["tls"]["certFile"])

    def readable_by(self, user: str, path) -> bool:
        account = pwd.getpwnam(user)
        result = subprocess.run(
            ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--init-groups", "cat", str(path)],
            capture_output=True,
        )
        return result.returncode == 0

    def test_with_webmail_nginx_reads_the_key_and_nobody_else(self):
        sandbox, script, key, cert = self.certificate(webmail=True)
        self.assertEqual(stat.S_IMODE(key.stat().st_mode), 0o640)
        self.assertEqual(stat.S_IMODE(cert.stat().st_mode), 0o644)
        # www-data stands in for NixOS' nginx user and group.
        self.assertTrue(self.readable_by("www-data", key), "nginx cannot read the placeholder key")
        self.assertFalse(self.readable_by("nobody", key))
        self.assertTrue(self.readable_by("nobody", cert))
        h.run("openssl", "x509", "-noout", "-in", cert)

        # A certificate the dns VM has synced is kept as it is.
        h.self_signed_certificate(key, cert, "synced.example.com")
        synced = cert.read_bytes(), key.read_bytes()
        result = sandbox.run_unit_script(script)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual((cert.read_bytes(), key.read_bytes()), synced)

    def test_without_webmail_the_key_is_roots(self):
        _, _, key, _ = self.certificate(webmail=False)
        self.assertEqual(key.stat().st_gid, 0)
        self.assertFalse(self.readable_by("www-data", key))


if __name__ == "__main__":
    unittest.main()
