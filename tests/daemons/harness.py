"""Real mail and DNS daemons configured from mailplan plans, on loopback.

Every daemon runs from a private directory: the plan's absolute paths
(`/var/lib/...`, `/run/...`) are moved under it, nothing else in the plan
is changed. The settings a NixOS module adds around the plan (postfix's
virtual mailbox tables and submission services, the opendkim
configuration) are produced the same way the modules produce them: the
Nix renderers are evaluated with `nix-instantiate`. What only the NixOS
module and nixpkgs produce together (dovecot.conf, rendered by nixpkgs
from the module's settings; the scripts of mailplan's units) comes from
the module itself, evaluated over the NixOS 26.05 option surface of
tests/nixos (`module_rendering`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target/release/mailplan"
RUNNER = ROOT / "target/release/nix-wasm-run"
WASM = ROOT / "nix/mailplan.wasm"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))

#: Where the sandboxes live (root-owned, not world-writable).
SANDBOXES = Path("/var/lib/mailplan-tests")

#: The nixpkgs lib the NixOS modules are evaluated with (tests/nixos).
NIXPKGS_LIB = Path(os.environ.get("MAILPLAN_NIXPKGS_LIB", ROOT.parent / "shared/nixpkgs-lib/lib"))

#: A Debian 13 root with Dovecot 2.4 (tests/daemons/dovecot24-root.sh).
DOVECOT24_ROOT = Path(os.environ.get("MAILPLAN_DOVECOT24_ROOT", ROOT / "target/dovecot24-root"))

#: Debian's stand-ins for NixOS' names: dovecot's internal user and
#: group, and the group nginx reads certificate keys through.
DEBIAN_NAMES = {"dovecot2": "dovecot", "nginx": "www-data"}

#: Where a PMG in front of the site connects from, on loopback.
PMG_LOOPBACK = "127.0.0.3"

#: How long a test waits for a daemon or a delivery before failing.
DEADLINE = 30.0


def run(*argv, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Runs a command, failing with its output when `check` and it fails."""
    result = subprocess.run(
        [str(a) for a in argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, argv))} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def plan(declaration: Path) -> dict:
    """The plan JSON, from the native CLI."""
    return json.loads(run(CLI, "plan", "--json", declaration).stdout)


def zone_fragment(declaration: Path) -> str:
    """The record sheet as the CLI's zone-file fragment."""
    return run(CLI, "dns", "--zone", declaration).stdout


def secrets(declaration: Path) -> dict:
    """The secrets entry the NixOS module reads, through the wasm plugin."""
    return json.loads(run(RUNNER, WASM, "secrets", "--arg-json", declaration).stdout)


def nix_render(attribute: str, *arguments):
    """`(import nix/lib/render.nix).<attribute> arguments...`, evaluated by
    Nix; the arguments (the plan first, usually) are JSON values."""
    with tempfile.TemporaryDirectory() as directory:
        values = []
        for i, value in enumerate(arguments):
            file = Path(directory) / f"{i}.json"
            file.write_text(json.dumps(value))
            values.append(f"(builtins.fromJSON (builtins.readFile {file}))")
        expression = f"(import {ROOT}/nix/lib/render.nix).{attribute} " + " ".join(values)
        result = run("nix-instantiate", "--eval", "--strict", "--json", "-E", expression)
    return json.loads(result.stdout)


_renderings: dict[tuple[str, str], dict] = {}


def module_rendering(declaration: Path, state_version: str) -> dict:
    """What the mail VM's NixOS module produces for a declaration, over the
    NixOS 26.05 option surface (tests/nixos/render.nix): the files nixpkgs
    renders (`files`), the scripts of mailplan's units (`scripts`), the
    dovecot version. State version 26.05 gives Dovecot 2.4, before it 2.3."""
    key = (declaration.read_text(), state_version)
    if key not in _renderings:
        expression = f"""
          let
            lib = import {NIXPKGS_LIB};
            callers = import {ROOT}/nix/lib/callers.nix {{ wasmFile = {WASM}; }};
          in
          import {ROOT}/tests/nixos/render.nix {{
            inherit lib;
            wasmCall = callers.exec "{RUNNER}";
            customer = builtins.fromJSON (builtins.readFile {declaration});
            stateVersion = "{state_version}";
          }}
        """
        result = run("nix-instantiate", "--eval", "--strict", "--json", "-E", expression)
        _renderings[key] = json.loads(result.stdout)
    return _renderings[key]


def debian_names(text: str) -> str:
    """NixOS' user and group names in a text replaced by Debian's."""
    return re.sub(r"\b(" + "|".join(DEBIAN_NAMES) + r")\b", lambda m: DEBIAN_NAMES[m.group(1)], text)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, what: str, deadline: float = DEADLINE):
    """Polls `predicate` until it returns something truthy."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:.0f}s waiting for {what}")
        time.sleep(0.1)


def wait_for_port(port: int, what: str):
    def listening():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_for(listening, f"{what} to listen on 127.0.0.1:{port}")


class Sandbox:
    """A private directory standing in for the VM's `/`."""

    def __init__(self, name: str):
        # Not under /tmp: opendkim refuses files below a world-writable
        # directory.
        SANDBOXES.mkdir(mode=0o755, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=SANDBOXES))
        os.chmod(self.root, 0o755)

    def path(self, absolute: str) -> Path:
        """Where the VM path `absolute` lives in the sandbox."""
        return self.root / absolute.lstrip("/")

    def relocate(self, value: str) -> str:
        """Moves every absolute VM path in a setting under the sandbox."""
        return re.sub(r"(?<![\w/])/(var|run|etc)/", lambda m: f"{self.root}/{m.group(1)}/", value)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_unit_script(self, script: str, env: dict | None = None, in_root: Path | None = None):
        """A script of a mailplan unit, as systemd runs it (`bash -e`), with
        the VM's paths moved into the sandbox and NixOS' names mapped to
        Debian's; in the chroot `in_root` when given."""
        argv = ["bash", "-e", "-c", debian_names(self.relocate(script))]
        if in_root is not None:
            argv = chrooted(in_root, argv)
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=DEADLINE,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **(env or {})},
        )


def chrooted(root: Path, argv: list) -> list:
    """`argv` run in the Debian root `root`, with the sandboxes (bind-mounted
    at the same path) and /proc, in a private mount namespace."""
    inside = root / SANDBOXES.relative_to("/")
    script = (
        f"mkdir -p {inside} && mount --bind {SANDBOXES} {inside} && "
        f"mount -t proc proc {root}/proc && exec chroot {root} "
        + " ".join(shlex.quote(str(a)) for a in argv)
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


def self_signed_certificate(key: Path, chain: Path, hostname: str):
    """The certificate ACME would have put under /var/lib/acme/<host>/."""
    key.parent.mkdir(parents=True, exist_ok=True)
    run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", f"/CN={hostname}", "-addext", f"subjectAltName=DNS:{hostname}",
        "-keyout", key, "-out", chain,
    )


# --- postfix -----------------------------------------------------------------

#: nixpkgs' postfix module: `submissionOptions`' default, the submission
#: services mailplan's module enables (enableSubmission, enableSubmissions).
SUBMISSION_OPTIONS = {
    "smtpd_tls_security_level": "encrypt",
    "smtpd_sasl_auth_enable": "yes",
    "smtpd_client_restrictions": "permit_sasl_authenticated,reject",
    "milter_macro_daemon_name": "ORIGINATING",
}

#: The daemons of nixpkgs' default master.cf, unchrooted (the sandbox is
#: not a chroot).
MASTER_SERVICES = """\
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
local      unix  - n n -     - local
virtual    unix  - n n -     - virtual
lmtp       unix  - - n -     - lmtp
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
"""


def nixpkgs_main_cf(settings: dict) -> str:
    """main.cf rendered the way nixpkgs renders `services.postfix.settings.main`
    (lists as indented continuation lines)."""
    lines = []
    for name, value in settings.items():
        if isinstance(value, list):
            lines.append(f"{name} =" + "".join(f"\n  {item}" + ("," if i + 1 < len(value) else "")
                                              for i, item in enumerate(value)))
        elif isinstance(value, bool):
            lines.append(f"{name} = {'yes' if value else 'no'}")
        else:
            lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n"


class Postfix:
    """A postfix instance from a plan: the plan's `postfix.main`, what the
    NixOS module adds, and the sandbox's own directories and ports."""

    def __init__(
        self, sandbox: Sandbox, plan_json: dict, smtp_port: int, submission_port: int, pmg_port: int | None = None
    ):
        self.sandbox = sandbox
        self.pmg_port = pmg_port
        self.plan = plan_json
        self.config_dir = sandbox.path("/etc/postfix")
        self.queue_dir = sandbox.path("/var/lib/postfix/queue")
        self.data_dir = sandbox.path("/var/lib/postfix/data")
        self.log = sandbox.path("/var/log/mail.log")
        self.smtp_port = smtp_port
        self.submission_port = submission_port
        self.plan_settings = {
            name: ([sandbox.relocate(v) for v in value] if isinstance(value, list) else sandbox.relocate(value))
            for name, value in plan_json["postfix"]["main"].items()
        }

    def module_settings(self) -> dict:
        """What mailplan's NixOS module merges over the plan's settings."""
        tables = self.sandbox.path("/etc/mailplan")
        tables.mkdir(parents=True, exist_ok=True)
        (tables / "mailboxes").write_text(nix_render("mailboxTable", self.plan))
        (tables / "aliases").write_text(nix_render("aliasTable", self.plan))
        return nix_render(
            "postfixLocalDelivery",
            self.plan,
            {"mailboxTable": str(tables / "mailboxes"), "aliasTable": str(tables / "aliases")},
        )

    def environment_settings(self) -> dict:
        """The sandbox: directories, loopback only, a log file, no DNS for
        client names (loopback peers have none)."""
        return {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "maillog_file": str(self.log),
            "maillog_file_prefixes": str(self.sandbox.root),
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "smtpd_peername_lookup": "no",
            "alias_maps": "",
            "alias_database": "",
        }

    def write(self):
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.data_dir, "postfix", "postfix")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        settings = {**self.environment_settings(), **self.plan_settings, **self.module_settings()}
        (self.config_dir / "main.cf").write_text(nixpkgs_main_cf(settings))
        submission = "".join(f"  -o {k}={v}\n" for k, v in SUBMISSION_OPTIONS.items())
        (self.config_dir / "master.cf").write_text(
            f"{self.smtp_port} inet n - n - - smtpd\n"
            f"{self.submission_port} inet n - n - - smtpd\n"
            f"  -o syslog_name=postfix/submission\n{submission}"
            + self.pmg_service()
            + MASTER_SERVICES
        )

    def pmg_service(self) -> str:
        """The module's PMG delivery service (port 26 on the VM), on
        `pmg_port` here, with the PMG's address mapped to PMG_LOOPBACK."""
        service = nix_render("postfixPmgService", self.plan)
        if service is None:
            return ""
        if self.pmg_port is None:
            raise AssertionError("the plan has a PMG delivery port: give Postfix a pmg_port")
        pmg_address = self.plan["inbound"]["deliveryFrom"]
        args = [arg.replace(f"={pmg_address}/", f"={PMG_LOOPBACK}/") for arg in service["args"]]
        private = "y" if service["private"] else "n"
        options = "".join(f"  {args[i]} {args[i + 1]}\n" for i in range(0, len(args), 2))
        return f"{self.pmg_port} {service['type']} {private} - n - - {service['command']}\n{options}"

    def postfix(self, *args, check=True):
        # postfix(1) reports to stderr only when it is a terminal; script(1)
        # gives it one, so a failure's reason reaches the test output.
        command = " ".join(shlex.quote(str(a)) for a in ("postfix", "-c", self.config_dir, *args))
        return run("script", "-qec", command, "/dev/null", check=check)

    def postconf(self, *args, check=True):
        return run("postconf", "-c", self.config_dir, *args, check=check)

    def postmap(self, *args, check=True):
        return run("postmap", "-c", self.config_dir, *args, check=check)

    def start(self):
        self.postfix("start")
        wait_for_port(self.smtp_port, "postfix smtpd")

    def stop(self):
        self.postfix("stop", check=False)

    def queue(self) -> list[dict]:
        """The queue, one JSON object per message (`postqueue -j`)."""
        out = run("postqueue", "-c", self.config_dir, "-j").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def flush(self):
        run("postqueue", "-c", self.config_dir, "-f")

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


# --- opendkim ----------------------------------------------------------------


class OpenDkim:
    """opendkim as nixpkgs' module runs it (first-boot key generation
    included), with mailplan's public record file and its config file."""

    def __init__(self, sandbox: Sandbox, plan_json: dict):
        dkim = plan_json["dkim"]
        self.sandbox = sandbox
        self.domain = dkim["domain"]
        self.selector = dkim["selector"]
        self.key_directory = sandbox.path(dkim["keyDirectory"])
        self.private_key = sandbox.path(dkim["privateKeyFile"])
        self.public_record = sandbox.path(dkim["publicRecordFile"])
        milter = plan_json["postfix"]["main"]["smtpd_milters"][0]
        self.socket = sandbox.path(milter.removeprefix("unix:"))
        self.config = sandbox.path("/etc/opendkim.conf")
        self.process: subprocess.Popen | None = None

    def generate_key(self):
        """nixpkgs' preStart (opendkim-genkey in the key directory), then
        the module's: the public record copied to the plan's
        publicRecordFile."""
        self.key_directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["opendkim-genkey", "-s", self.selector, "-d", "all-domains-generic-key"],
            cwd=self.key_directory, check=True, capture_output=True, timeout=DEADLINE,
        )
        shutil.copy(self.key_directory / f"{self.selector}.txt", self.public_record)

    def public_key_record(self) -> str:
        """The TXT value from the generated `<domain>.txt` (its quoted strings
        joined, as a resolver returns them)."""
        return "".join(re.findall(r'"([^"]*)"', self.public_record.read_text()))

    def write_config(self):
        self.config.parent.mkdir(parents=True, exist_ok=True)
        # The module's opendkim.conf; postfix reaches the socket through the
        # opendkim group on the VM, but here it is another user in no
        # shared group, so the socket is opened to everyone.
        rendered = nix_render("opendkimConf")
        if "UMask 007" not in rendered:
            raise AssertionError(f"the module's opendkim.conf changed; update the sandbox's copy:\n{rendered}")
        self.config.write_text(rendered.replace("UMask 007", "UMask 000"))

    def argv(self) -> list:
        """nixpkgs' ExecStart arguments."""
        return [
            "opendkim", "-f", "-l",
            "-p", f"local:{self.socket}",
            "-d", self.domain,
            "-k", self.private_key,
            "-s", self.selector,
            "-x", self.config,
        ]

    def check(self) -> subprocess.CompletedProcess:
        return run(*self.argv()[:2], *self.argv()[3:], "-n", check=False)

    def start(self):
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen([str(a) for a in self.argv()], stderr=subprocess.PIPE, text=True)
        wait_for(lambda: self.socket.exists() or self.process.poll() is not None, "opendkim's socket")
        if self.process.poll() is not None:
            raise AssertionError(f"opendkim exited {self.process.returncode}: {self.process.stderr.read()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=DEADLINE)


# --- dovecot -----------------------------------------------------------------


class Dovecot:
    """dovecot from the configuration nixpkgs renders from the module's
    settings, with its paths moved into the sandbox and NixOS' names mapped
    to Debian's; Debian's own Dovecot (2.3), or the one in `root` (2.4)."""

    def __init__(
        self, sandbox: Sandbox, rendering: dict, postfix_queue: Path, imaps_port: int, root: Path | None = None
    ):
        self.sandbox = sandbox
        self.rendering = rendering
        self.root = root
        self.config = sandbox.path("/etc/dovecot/dovecot.conf")
        self.imaps_port = imaps_port
        self.postfix_queue = postfix_queue
        self.passwd = sandbox.path("/var/lib/mailplan/dovecot-passwd")
        self.process: subprocess.Popen | None = None

    def command(self, *argv) -> list:
        return chrooted(self.root, list(argv)) if self.root else [str(a) for a in argv]

    def rendered(self) -> str:
        text = self.rendering["files"]["dovecot/dovecot.conf"]
        # NixOS' plugin directory and sendmail; the sandbox has Debian's.
        text = text.replace("/run/current-system/sw/lib/dovecot/modules", "/usr/lib/dovecot/modules")
        text = text.replace("/run/wrappers/bin/sendmail", "/usr/sbin/sendmail")
        text = debian_names(self.sandbox.relocate(text))
        text = text.replace("port = 993", f"port = {self.imaps_port}")
        return text + "\nlisten = 127.0.0.1\nlog_path = " + str(self.sandbox.path("/var/log/dovecot.log")) + "\n"

    def write(self, password_files: dict[str, str] | None = None, missing_secrets: int = 0):
        """dovecot.conf, and the passwd-file from the module's mailboxes
        unit, run as at boot (the mailboxes' password files first, at
        their sandboxed paths); the unit must fail exactly when
        `missing_secrets` mailboxes lack theirs."""
        for path, password in (password_files or {}).items():
            secret = self.sandbox.path(path)
            secret.parent.mkdir(parents=True, exist_ok=True)
            secret.write_text(password)
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.rendered())
        self.sandbox.path("/var/log").mkdir(parents=True, exist_ok=True)
        vmail = self.sandbox.path("/var/vmail")
        vmail.mkdir(parents=True, exist_ok=True)
        os.chown(vmail, 5000, 5000)
        result = self.sandbox.run_unit_script(self.rendering["scripts"]["mailboxes"], in_root=self.root)
        if (result.returncode != 0) != (missing_secrets > 0) or result.stderr.count("cannot log in") != missing_secrets:
            raise AssertionError(
                f"the mailboxes unit exited {result.returncode} with {missing_secrets} secret(s) missing:\n{result.stderr}"
            )

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command("doveconf", "-n", "-c", self.config), capture_output=True, text=True, timeout=DEADLINE
        )

    def start(self):
        self.sandbox.path("/run/dovecot2").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command("dovecot", "-F", "-c", self.config), stderr=subprocess.PIPE, text=True
        )
        wait_for(
            lambda: (self.postfix_queue / "private/auth").exists() or self.process.poll() is not None,
            "dovecot's auth socket",
        )
        if self.process.poll() is not None:
            raise AssertionError(f"dovecot exited {self.process.returncode}: {self.process.stderr.read()}")
        wait_for_port(self.imaps_port, "dovecot imaps")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=DEADLINE)
        if self.process:
            self.process.stderr.close()

    def maildir_messages(self, address: str) -> list[Path]:
        local, domain = address.split("@")
        new = self.sandbox.path(f"/var/vmail/{domain}/{local}/Maildir/new")
        return sorted(new.iterdir()) if new.exists() else []


# --- DNS ---------------------------------------------------------------------


def zone_file(domain: str, fragment: str, dkim_record: str | None) -> str:
    """The CLI's fragment inside a complete zone (SOA, NS), with the DKIM
    placeholder line replaced by the generated key when there is one."""
    lines = []
    for line in fragment.splitlines():
        if line.startswith("; ") and "._domainkey." in line and " TXT " in line:
            if dkim_record is not None:
                name = line[2:].split()[0]
                chunks = [dkim_record[i:i + 200] for i in range(0, len(dkim_record), 200)]
                lines.append(f"{name} 3600 IN TXT ( " + " ".join(f'"{c}"' for c in chunks) + " )")
            continue
        lines.append(line)
    head = (
        f"$ORIGIN {domain}.\n$TTL 3600\n"
        f"@ IN SOA ns1.invalid. hostmaster.{domain}. ( 1 7200 3600 1209600 3600 )\n"
        "@ IN NS ns1.invalid.\n"
        "@ IN NS ns2.invalid.\n"
    )
    return head + "\n".join(lines) + "\n"


def zone_records(plan_json: dict) -> list[dict]:
    """The plan's record sheet without the DKIM placeholder."""
    return [r for r in plan_json["dnsRecords"] if r["source"] == "plan"]


class Named:
    """BIND's named, authoritative only, on 127.0.0.1:`port`, serving the
    zones given as {origin: zone file text}. Names outside them are
    REFUSED (no recursion), so a test serves every zone it wants resolved."""

    def __init__(self, directory: Path, zones: dict[str, str]):
        self.directory = directory
        self.zones = zones
        self.port = free_port()
        self.config = directory / "named.conf"
        self.log = directory / "named.log"
        self.process: subprocess.Popen | None = None

    def write(self):
        """named.conf and the zone files, each zone checked by
        named-checkzone first so a broken one fails with its reason."""
        self.directory.mkdir(parents=True, exist_ok=True)
        declarations = []
        for origin, text in self.zones.items():
            file = self.directory / f"{origin}.zone"
            file.write_text(text)
            run("named-checkzone", "-q", "-k", "fail", "-i", "local", origin, file)
            declarations.append(f'zone "{origin}" {{ type primary; file "{file}"; }};')
        d = self.directory
        self.config.write_text(
            "options {\n"
            f'  directory "{d}";\n'
            f'  pid-file "{d}/named.pid";\n'
            f'  session-keyfile "{d}/session.key";\n'
            f'  managed-keys-directory "{d}";\n'
            f"  listen-on port {self.port} {{ 127.0.0.1; }};\n"
            "  listen-on-v6 { none; };\n"
            "  recursion no;\n"
            "  dnssec-validation no;\n"
            "  notify no;\n"
            "  allow-transfer { none; };\n"
            "};\n"
            # No rndc channel (named's default is 127.0.0.1:953, shared by
            # every instance).
            "controls { };\n"
            + "\n".join(declarations) + "\n"
        )
        run("named-checkconf", self.config)

    def start(self):
        # -g: foreground, logs to stderr (here the log file); -4: IPv4 only.
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                ["named", "-g", "-4", "-n", "1", "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )

        def ready():
            if self.process.poll() is not None:
                return "exited"
            return "answering" if self.answers_udp() else None

        if wait_for(ready, "named to answer on UDP") == "exited":
            raise AssertionError(f"named exited {self.process.returncode}:\n{self.log.read_text()}")

    def answers_udp(self) -> bool:
        """Whether named answers a query (SOA of its first zone) on UDP
        with NOERROR: listening, and the zone loaded."""
        origin = next(iter(self.zones), "invalid")
        question = b"".join(bytes([len(label)]) + label.encode() for label in origin.split(".")) + b"\0"
        query = b"\x4d\x50\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + question + b"\x00\x06\x00\x01"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.settimeout(0.2)
            try:
                probe.sendto(query, ("127.0.0.1", self.port))
                answer = probe.recv(4096)
            except OSError:
                return False
            return answer[:2] == b"\x4d\x50" and answer[3] & 0x0F == 0

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=DEADLINE)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"
