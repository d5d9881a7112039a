"""The record-sheet page (web/) in a real headless Chromium, driven by
Selenium: every example shows what the CLI prints and what the Nix plugin
plans; errors sit next to their field; a password never leaves its input;
the page makes no request of its own; it fits a phone and works from the
keyboard. Screenshots land in target/web-screenshots/ for a person.

Run by tests/web/run.sh (which installs Chromium, chromedriver and the
pinned Selenium, and builds the CLI and the runner)."""

import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import tomllib
import unittest

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CLI = ROOT / "target" / "release" / "mailplan"
RUNNER = ROOT / "target" / "release" / "nix-wasm-run"
PLUGIN = ROOT / "nix" / "mailplan.wasm"
SHOTS = ROOT / "target" / "web-screenshots"
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
PAGE_FILES = ["index.html", "style.css", "app.js", "engine/mailplan_web.js", "engine/mailplan_web_wasm.js"]


def cli(*args):
    """Runs the CLI; returns (exit status, stdout, stderr)."""
    done = subprocess.run([str(CLI), *args], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def sheet_rows(plan):
    """The record sheet's rows, as the page should show a plan's dnsRecords."""
    return [[r["type"], r["name"], r["value"], r["note"] or "", "Copy"] for r in plan["dnsRecords"]]


# Examples written out as TOML by hand: the first with tables and an array of
# tables, the second with inline ones.
TOML_TWINS = {
    "static-ip.json": """\
# static-ip.json, as TOML
name = "ExampleCorp"
domain = "example.com"
publicIP = "203.0.113.5"

[domainProvider]
provider = "noip"
hosts = ["examplecorp"]
username = "your-login"
domain = "ddns.net"

[[users]]
name = "ddns"
passwordFile = "/run/secrets/ddns-password"
roles = ["domain-provider"]

[mailRelay]
host = "smtp.gmail.com"
user = "noreply@example.com"
passwordFile = "/run/secrets/relay-pass"
""",
    "standalone.json": """\
name = 'ExampleCorp'
domain = 'example.com'
publicIP = '203.0.113.5'
isp = { port25Outbound = true, rdns = true }
users = [
  { name = "alice@example.com", passwordFile = "/run/secrets/mail/alice" },
  { name = "bob", passwordFile = "/run/secrets/mail/bob", roles = ["mailbox"] },
]
""",
}


def chromium(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--no-first-run",
        "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions",
        "--window-size=1400,1000", f"--user-data-dir={tempfile.mkdtemp(prefix='mailplan-chromium-')}",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


class Page(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        SHOTS.mkdir(parents=True, exist_ok=True)
        cls.downloads = pathlib.Path(tempfile.mkdtemp(prefix="mailplan-downloads-"))
        cls.driver = chromium(cls.downloads)
        cls.requests = []

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        shutil.rmtree(cls.downloads, ignore_errors=True)

    # ---- helpers -------------------------------------------------------------

    def collect_requests(self):
        """Every request the browser sent since the last call (from its log)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def open(self, url=None):
        self.collect_requests()
        self.requests.clear()
        self.driver.set_window_size(1400, 1000)
        self.driver.get(url or (WEB / "index.html").as_uri())
        WebDriverWait(self.driver, 30).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-engine") in ("ready", "failed"))
        body = self.driver.find_element(By.TAG_NAME, "body")
        self.assertEqual(body.get_attribute("data-engine"), "ready",
                         self.driver.find_element(By.ID, "engine-status").text)
        return float(body.get_attribute("data-engine-ready-ms"))

    def state(self):
        return self.driver.find_element(By.TAG_NAME, "body").get_attribute("data-state")

    def wait_state(self, wanted):
        try:
            WebDriverWait(self.driver, 10).until(lambda d: self.state() == wanted)
        except TimeoutException:
            self.fail(f"page state {self.state()!r}, wanted {wanted!r}; errors: "
                      f"{self.driver.find_element(By.ID, 'errors').text!r}")

    def load_file(self, path):
        self.driver.execute_script("document.body.dataset.state = 'loading'")
        self.driver.find_element(By.ID, "file").send_keys(str(path))
        WebDriverWait(self.driver, 10).until(
            lambda d: self.state() != "loading" or d.find_element(By.ID, "load-error").text)
        self.assertEqual(self.driver.find_element(By.ID, "load-error").text, "")

    def paste(self, text):
        """Puts a declaration into the paste box and presses Load."""
        self.driver.execute_script("document.getElementById('paste').value = arguments[0]", text)
        self.driver.find_element(By.ID, "paste-load").click()

    def text_of(self, element_id):
        return self.driver.execute_script(f"return document.getElementById({element_id!r}).textContent")

    def rows(self, table_id):
        return self.driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map(r =>"
            " [...r.cells].map(c => c.textContent))", f"#{table_id} tbody tr")

    def download(self, button_id, name):
        """Clicks a download button and returns the text of the file saved."""
        target = self.downloads / name
        target.unlink(missing_ok=True)
        self.driver.find_element(By.ID, button_id).click()
        deadline = time.monotonic() + 10
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        return target.read_text()

    def screenshot(self, name):
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        width = self.driver.execute_script("return window.innerWidth")
        if width >= 1000:
            self.driver.set_window_size(1400, min(max(height + 150, 1000), 8000))
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))

    def assert_no_foreign_request(self, base):
        self.collect_requests()
        allowed = {f"{base}{name}" for name in PAGE_FILES}
        if base.startswith("file:"):
            allowed.add(base.rstrip("/") + "/index.html")
        else:
            allowed.add(base)
        # blob: and data: URLs are the page's own memory (the downloads,
        # the empty icon), not requests that leave the browser.
        foreign = [url for url in self.requests
                   if url not in allowed and not url.startswith(("blob:", "data:"))]
        self.assertEqual(foreign, [], "requests beyond the page's own files")
        # The log works: the page's own files were seen being loaded.
        self.assertIn(f"{base}engine/mailplan_web_wasm.js", self.requests)

    # ---- every example ---------------------------------------------------------

    def test_every_example_shows_what_the_cli_prints_and_the_plugin_plans(self):
        self.open()
        for example in EXAMPLES:
            with self.subTest(example=example.name):
                status, plan_text, _ = cli("plan", "--json", str(example))
                self.assertEqual(status, 0)
                plan = json.loads(plan_text)
                _, zone, _ = cli("dns", "--zone", str(example))
                _, summary, check_err = cli("check", str(example))
                plugin = subprocess.run(
                    [str(RUNNER), str(PLUGIN), "plan", "--arg-json", str(example)],
                    capture_output=True, text=True, check=True).stdout

                self.load_file(example)
                self.wait_state("planned")
                self.assertEqual(self.text_of("plan-json"), plan_text)
                self.assertEqual(json.loads(self.text_of("plan-json")), json.loads(plugin))
                self.assertEqual(self.text_of("zone"), zone)
                self.assertEqual(self.text_of("summary"), summary.strip())
                self.assertEqual(self.rows("sheet"), sheet_rows(plan))
                self.assertEqual(
                    self.rows("ports"),
                    [[str(r["port"]), r["proto"], "PMG" if r["target"] == "pmg" else "mail VM",
                      r["source"] or "any", r["reason"]] for r in plan["firewall"]])
                warnings = self.driver.execute_script(
                    "return [...document.querySelectorAll('#warnings li')].map(li => li.textContent)")
                self.assertEqual(warnings, plan["warnings"])
                self.assertEqual(warnings, [line.removeprefix("warning: ")
                                            for line in check_err.splitlines() if line.startswith("warning: ")])
                self.assertEqual(self.text_of("credential-hint"),
                                 plan["relay"]["credentialHint"] if plan["relay"] else "")
                ddns = self.text_of("ddns")
                self.assertIn(plan["ddns"]["reason"], ddns)
                diagram = self.text_of("diagram-text")
                self.assertIn(plan["hostname"], diagram)
                if plan["relay"]:
                    self.assertIn(f"{plan['relay']['host']}:{plan['relay']['port']}", diagram)
                else:
                    self.assertIn("Direct delivery", diagram)
                for mx in plan["inbound"]["mx"]:
                    self.assertIn(mx["host"], diagram)

                # The download button gives the same zone text.
                self.assertEqual(self.download("download-zone", f"{plan['domain']}.zone"), zone)
                # On a wide screen the sheet fits its box: nothing to scroll.
                self.assertEqual(self.driver.execute_script(
                    "const box = document.getElementById('sheet').parentElement;"
                    "return box.scrollWidth - box.clientWidth"), 0)
                self.screenshot(example.stem)
        self.assert_no_foreign_request(WEB.as_uri() + "/")

    def test_a_toml_declaration_pasted_plans_as_its_json_twin(self):
        self.open()
        toml = ('name = "ExampleCorp"\ndomain = "example.com"\npublicIP = "203.0.113.5"\n'
                '[mailRelay]\nhost = "smtp.sendgrid.net"\nuser = "apikey"\n'
                'passwordFile = "/run/secrets/relay-pass"\n')
        twin = {"name": "ExampleCorp", "domain": "example.com", "publicIP": "203.0.113.5",
                "mailRelay": {"host": "smtp.sendgrid.net", "user": "apikey",
                              "passwordFile": "/run/secrets/relay-pass"}}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
            json.dump(twin, file)
            file.flush()
            _, plan_text, _ = cli("plan", "--json", file.name)
        self.paste(toml)
        self.wait_state("planned")
        self.assertEqual(self.text_of("plan-json"), plan_text)
        self.assertEqual(Select(self.driver.find_element(By.ID, "f-relay")).first_selected_option.text, "SendGrid")
        # A TOML syntax error is shown with its line, next to the paste box.
        self.paste('name = "X"\nname = "Y"\n')
        self.assertIn("line 2", self.driver.find_element(By.ID, "load-error").text)

    def test_a_toml_file_opened_plans_as_its_json_original(self):
        """Two examples written out as TOML by hand (tables and arrays of tables,
        then inline ones), checked to be their JSON original by tomllib and the
        CLI, opened through the file input under a .toml name."""
        self.open()
        for example, toml in TOML_TWINS.items():
            with self.subTest(example=example):
                original = ROOT / "examples" / example
                self.assertEqual(tomllib.loads(toml), json.loads(original.read_text()))
                _, plan_text, _ = cli("plan", "--json", str(original))
                _, zone, _ = cli("dns", "--zone", str(original))
                with tempfile.TemporaryDirectory(prefix="mailplan-toml-") as folder:
                    path = pathlib.Path(folder) / original.with_suffix(".toml").name
                    path.write_text(toml)
                    self.assertEqual(cli("plan", "--json", str(path))[1], plan_text)
                    self.load_file(path)
                self.wait_state("planned")
                self.assertEqual(self.text_of("plan-json"), plan_text)
                self.assertEqual(self.text_of("zone"), zone)
                self.assertEqual(self.rows("sheet"), sheet_rows(json.loads(plan_text)))

    # ---- copy buttons ---------------------------------------------------------------

    def clipboard(self):
        """What the browser's clipboard holds (headless Chromium keeps its own)."""
        return self.driver.execute_async_script(
            "const done = arguments[0];"
            "navigator.clipboard.readText().then(done, error => done(`unreadable: ${error}`))")

    def press_copy(self, button, how):
        """Puts a marker on the clipboard, presses a copy button by mouse or key
        and returns (the clipboard, the status announced) once one is announced."""
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "document.getElementById('copy-status').textContent = '';"
            # The prototype's own method: a test may have replaced the page's.
            "Clipboard.prototype.writeText.call(navigator.clipboard, arguments[0]).then(done)",
            "not copied yet")
        self.assertEqual(self.clipboard(), "not copied yet")
        if how == "mouse":
            button.click()
        else:
            button.send_keys({"Enter": Keys.ENTER, "Space": Keys.SPACE}[how])
        WebDriverWait(self.driver, 10).until(lambda d: self.text_of("copy-status"))
        return self.clipboard(), self.text_of("copy-status")

    def grant_clipboard(self):
        self.driver.execute_cdp_cmd("Browser.grantPermissions", {
            "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})

    def test_each_copy_button_copies_its_records_value(self):
        self.grant_clipboard()
        self.open()
        example = ROOT / "examples" / "pmg.json"
        _, plan_text, _ = cli("plan", "--json", str(example))
        records = json.loads(plan_text)["dnsRecords"]
        _, zone, _ = cli("dns", "--zone", str(example))
        self.load_file(example)
        self.wait_state("planned")
        # Passed through to the real clipboard, and counted: the page's own
        # way of copying, not its fallback, is the one under test here.
        self.driver.execute_script(
            "window.written = [];"
            "navigator.clipboard.writeText = text =>"
            "  (written.push(text), Clipboard.prototype.writeText.call(navigator.clipboard, text))")
        buttons = self.driver.find_elements(By.CSS_SELECTOR, "#sheet tbody button")
        shown = [row[2] for row in self.rows("sheet")]
        self.assertEqual(shown, [record["value"] for record in records])
        self.assertEqual(len(buttons), len(records))
        for index, (button, record) in enumerate(zip(buttons, records)):
            for how in ["mouse", "Enter", "Space"]:
                with self.subTest(record=index + 1, how=how):
                    copied, status = self.press_copy(button, how)
                    self.assertEqual(copied, record["value"])
                    self.assertEqual(copied, shown[index])
                    self.assertEqual(status, f"Copied the {record['type']} value.")
        copied, status = self.press_copy(self.driver.find_element(By.ID, "copy-zone"), "mouse")
        self.assertEqual(copied, zone)
        self.assertEqual(status, "Copied the zone file.")
        self.assertEqual(self.driver.execute_script("return written"),
                         [record["value"] for record in records for _ in range(3)] + [zone])
        self.assertEqual(self.driver.find_element(By.ID, "copy-status").get_attribute("aria-live"), "polite")

    def test_a_refused_clipboard_falls_back_and_a_failed_copy_says_so(self):
        self.grant_clipboard()
        self.open()
        example = ROOT / "examples" / "pmg.json"
        record = json.loads(cli("plan", "--json", str(example))[1])["dnsRecords"][2]
        self.load_file(example)
        self.wait_state("planned")
        button = self.driver.find_elements(By.CSS_SELECTOR, "#sheet tbody button")[2]
        # The asynchronous clipboard refused: the page copies through a
        # selection, and the focus comes back to the button.
        self.driver.execute_script(
            "navigator.clipboard.writeText = async () => {"
            "  throw new DOMException('refused by the test', 'NotAllowedError'); }")
        copied, status = self.press_copy(button, "Enter")
        self.assertEqual(copied, record["value"])
        self.assertEqual(status, f"Copied the {record['type']} value.")
        self.assertEqual(self.driver.switch_to.active_element, button)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "body > textarea"), [])
        # Both refused: nothing copied, and the status says so.
        self.driver.execute_script("document.execCommand = () => false")
        copied, status = self.press_copy(button, "mouse")
        self.assertEqual(copied, "not copied yet")
        self.assertEqual(status, f"Could not copy the {record['type']} value: select it and copy by hand.")

    # ---- errors next to their field --------------------------------------------

    def test_a_bad_port_is_named_next_to_the_port_field(self):
        self.open()
        Select(self.driver.find_element(By.ID, "f-relay")).select_by_visible_text("Mailgun")
        self.driver.find_element(By.ID, "f-relay-user").send_keys("postmaster@mg.example.com")
        self.driver.find_element(By.ID, "f-relay-passwordFile").send_keys("/run/secrets/relay-pass")
        self.wait_state("planned")
        self.assertEqual(self.driver.find_element(By.ID, "f-relay-host").get_attribute("value"),
                         "smtp.mailgun.org")
        port = self.driver.find_element(By.ID, "f-relay-port")
        self.assertEqual(port.get_attribute("value"), "587")
        port.send_keys(Keys.CONTROL, "a")
        port.send_keys("70000")
        self.wait_state("invalid")
        error = self.driver.find_element(By.ID, port.get_attribute("aria-describedby"))
        self.assertEqual(error.text, "mailRelay.port: 70000 is not a TCP port (1-65535)")
        self.assertEqual(port.get_attribute("aria-invalid"), "true")
        self.assertTrue(self.driver.execute_script(
            "return arguments[0].parentElement === arguments[1].parentElement", port, error))
        self.screenshot("bad-port")
        port.send_keys(Keys.CONTROL, "a")
        port.send_keys("2525")
        self.wait_state("planned")
        self.assertEqual(error.text, "")
        self.assertIn('"relayhost": "[smtp.mailgun.org]:2525"', self.text_of("plan-json"))

    def test_an_error_on_a_user_sits_by_that_user_and_the_rest_in_the_list(self):
        self.open()
        self.driver.find_element(By.ID, "add-user").click()
        self.wait_state("invalid")
        name_error = self.driver.find_element(By.ID, "f-user-0-name-error").text
        self.assertTrue(name_error.startswith("users[0].name: "), name_error)
        name = self.driver.find_element(By.ID, "f-user-0-name")
        self.assertEqual(self.driver.switch_to.active_element, name)
        name.send_keys("alice@example.com")
        self.wait_state("invalid")
        self.assertEqual(self.driver.find_element(By.ID, "f-user-0-name-error").text, "")
        secret_error = self.driver.find_element(By.ID, "f-user-0-passwordFile-error").text
        self.assertTrue(secret_error.startswith("users[0].passwordFile: a mailbox needs a password"),
                        secret_error)
        self.driver.find_element(By.ID, "f-user-0-passwordFile").send_keys("/run/secrets/mail/alice")
        self.wait_state("planned")
        # An error whose field is not in the form is listed above it.
        self.paste('{"name": "X", "domain": "example.com", "isp": {"rdns": 1}}')
        self.wait_state("invalid")
        self.assertIn("isp.rdns: ", self.driver.find_element(By.ID, "errors").text)

    # ---- switching choices back and forth --------------------------------------

    def plan_now(self):
        return json.loads(self.text_of("plan-json"))

    def test_the_address_mode_switches_both_ways_and_keeps_what_was_typed(self):
        self.open()
        self.load_file(ROOT / "examples" / "noip-dyndns.json")
        self.wait_state("planned")
        self.driver.find_element(By.CSS_SELECTOR, "input[name=address][value=static]").click()
        ip = self.driver.find_element(By.ID, "f-publicIP")
        self.assertTrue(ip.is_displayed())
        self.assertTrue(self.driver.find_element(
            By.CSS_SELECTOR, "input[name=address][value=static]").is_selected())
        ip.send_keys("203.0.113.7")
        self.wait_state("planned")
        self.assertIn("203.0.113.7", self.plan_now()["ddns"]["reason"])
        self.driver.find_element(By.CSS_SELECTOR, "input[name=address][value=dyndns]").click()
        self.wait_state("planned")
        self.assertEqual(self.plan_now()["ddns"]["hosts"], ["laufentaler.ddns.net"])
        self.driver.find_element(By.CSS_SELECTOR, "input[name=address][value=static]").click()
        self.assertEqual(self.driver.find_element(By.ID, "f-publicIP").get_attribute("value"), "203.0.113.7")

    def test_the_inbound_kind_switches_without_leaving_the_other_kinds_fields(self):
        self.open()
        self.load_file(ROOT / "examples" / "pmg.json")
        self.wait_state("planned")
        kind = Select(self.driver.find_element(By.ID, "f-inbound-kind"))
        kind.select_by_value("self")
        self.wait_state("planned")
        self.assertEqual(self.plan_now()["inbound"]["kind"], "self")
        kind.select_by_value("pmg")
        self.wait_state("planned")
        self.assertEqual(self.plan_now()["inbound"]["mx"], [{"priority": 10, "host": "pmg.example.com"}])

    def test_the_relay_list_names_the_provider_the_engine_recognises(self):
        self.open()
        relay = Select(self.driver.find_element(By.ID, "f-relay"))
        for name, shown in [("ses.json", "Amazon SES"), ("mailgun.json", "Mailgun"),
                            ("poco-port-2525.json", "custom relay")]:
            self.load_file(ROOT / "examples" / name)
            self.wait_state("planned")
            self.assertEqual(relay.first_selected_option.text, shown, name)
            self.assertEqual(self.text_of("relay-hint"), self.plan_now()["relay"]["credentialHint"], name)
        # Leaving the relay and coming back keeps the operator's host and port.
        self.load_file(ROOT / "examples" / "ses.json")
        self.wait_state("planned")
        host = self.plan_now()["relay"]["host"]
        relay.select_by_value("none")
        self.wait_state("planned")
        relay.select_by_value("ses")
        self.wait_state("planned")
        self.assertEqual(self.plan_now()["relay"]["host"], host)
        # A provider's preset user does not follow the operator to the next one.
        relay.select_by_visible_text("SendGrid")
        self.assertEqual(self.driver.find_element(By.ID, "f-relay-user").get_attribute("value"), "apikey")
        relay.select_by_visible_text("Gmail / Google Workspace")
        self.assertEqual(self.driver.find_element(By.ID, "f-relay-user").get_attribute("value"), "")
        # Clearing the port of a custom relay keeps the relay's fields.
        relay.select_by_visible_text("custom relay")
        port = self.driver.find_element(By.ID, "f-relay-port")
        port.send_keys(Keys.CONTROL, "a")
        port.send_keys(Keys.DELETE)
        self.assertTrue(port.is_displayed())
        self.assertEqual(relay.first_selected_option.text, "custom relay")

    def test_removing_a_user_keeps_the_focus_in_the_list(self):
        self.open()
        self.load_file(ROOT / "examples" / "noip-dyndns.json")
        self.wait_state("planned")
        self.driver.find_element(By.CSS_SELECTOR, "[aria-label='Remove user 1']").click()
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"), "f-user-0-name")
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("value"), "noreply@laufentaler.ch")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "fieldset.user")), 2)

    def test_hostile_values_stay_text(self):
        self.open()
        hostile = '<img src=x onerror="document.body.dataset.pwned=1"><script>document.body.dataset.pwned=2</script>'
        self.paste(json.dumps({"name": hostile, "domain": "example.com", "publicIP": "203.0.113.5",
                               "mailRelay": {"host": hostile, "user": hostile},
                               "users": [{"name": hostile, "roles": [hostile]}], hostile: 1}))
        self.wait_state("invalid")
        time.sleep(0.3)
        self.assertIsNone(self.driver.find_element(By.TAG_NAME, "body").get_attribute("data-pwned"))
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "main img, main script"), [])
        self.assertEqual(self.driver.find_element(By.ID, "f-name").get_attribute("value"), hostile)
        self.assertIn(hostile, self.text_of("kept"))

    # ---- secrets ------------------------------------------------------------------

    def assert_nowhere_but_its_input(self, secret, input_id=None):
        source = self.driver.page_source
        self.assertNotIn(secret, source)
        elsewhere = self.driver.execute_script(
            "const skip = arguments[0];"
            "return [...document.querySelectorAll('input, textarea, select')]"
            "  .filter(e => e.id !== skip).map(e => e.value + ' ' + (e.placeholder || ''))"
            "  .concat([document.body.innerText, document.body.textContent, document.title,"
            "           document.cookie, JSON.stringify(Object.entries(localStorage)),"
            "           JSON.stringify(Object.entries(sessionStorage))]).join('\\n')", input_id)
        self.assertNotIn(secret, elsewhere)
        self.assertEqual(self.driver.execute_script("return localStorage.length + sessionStorage.length"), 0)
        databases = self.driver.execute_async_script(
            "const done = arguments[0]; indexedDB.databases().then(d => done(d.length))")
        self.assertEqual(databases, 0)

    def test_a_password_typed_in_stays_in_its_input(self):
        self.open()
        Select(self.driver.find_element(By.ID, "f-relay")).select_by_visible_text("SendGrid")
        secret = "SG.never-shown-4f9c2e7b1a"
        field = self.driver.find_element(By.ID, "f-relay-password")
        field.send_keys(secret)
        self.wait_state("planned")
        self.assertEqual(field.get_attribute("value"), secret)
        warnings = self.text_of("warnings")
        self.assertIn("Nix store", warnings)
        self.assert_nowhere_but_its_input(secret, "f-relay-password")
        # Errors and the downloaded declaration leave it out as well.
        port = self.driver.find_element(By.ID, "f-relay-port")
        port.send_keys(Keys.CONTROL, "a")
        port.send_keys("0")
        self.wait_state("invalid")
        self.assert_nowhere_but_its_input(secret, "f-relay-password")
        saved = self.download("download-declaration", "example.com.json")
        self.assertNotIn(secret, saved)
        self.assertEqual(json.loads(saved)["mailRelay"]["host"], "smtp.sendgrid.net")
        self.assert_no_foreign_request(WEB.as_uri() + "/")

    def test_a_password_in_a_loaded_file_is_never_rendered_back(self):
        self.open()
        example = ROOT / "examples" / "gmail-addmailrelay.json"
        secret = json.loads(example.read_text())["users"][0]["password"]
        self.load_file(example)
        self.wait_state("planned")
        self.assert_nowhere_but_its_input(secret)
        field = self.driver.find_element(By.ID, "f-user-0-password")
        self.assertEqual(field.get_attribute("value"), "")
        self.assertIn("memory only", field.get_attribute("placeholder"))
        # The engine still has it: the plan is the CLI's, relay credential included.
        _, plan_text, _ = cli("plan", "--json", str(example))
        self.assertEqual(self.text_of("plan-json"), plan_text)
        # A password of the wrong type is a secret all the same.
        self.paste('{"name": "X", "domain": "example.com", "publicIP": "203.0.113.5", "mailRelay":'
                   ' {"host": "smtp.sendgrid.net", "user": "apikey", "password": 987654321}}')
        self.wait_state("invalid")
        error = self.driver.find_element(By.ID, "f-relay-password-error").text
        self.assertTrue(error.startswith("mailRelay.password: "), error)
        self.assert_nowhere_but_its_input("987654321")
        self.assertNotIn("987654321", self.download("download-declaration", "example.com.json"))

    # ---- served by the CLI -----------------------------------------------------------

    def test_the_page_served_by_mailplan_web_plans_like_the_cli(self):
        server = subprocess.Popen([str(CLI), "web", "--port", "0"], stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline()
            url = "http://" + line.split("http://", 1)[1].split()[0]
            self.open(url)
            example = ROOT / "examples" / "pmg.json"
            self.load_file(example)
            self.wait_state("planned")
            _, zone, _ = cli("dns", "--zone", str(example))
            self.assertEqual(self.text_of("zone"), zone)
            self.assert_no_foreign_request(url)
        finally:
            server.kill()
            server.wait()
            server.stdout.close()

    # ---- a phone, the keyboard, labels ----------------------------------------------

    def test_on_a_phone_nothing_scrolls_sideways(self):
        self.open()
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
        try:
            for name in ["noip-dyndns.json", "ses.json"]:
                self.load_file(ROOT / "examples" / name)
                self.wait_state("planned")
                # Not window.innerWidth: on a phone the layout viewport
                # grows to the content, so the device's width is the bar.
                wide = self.driver.execute_script(
                    "return [...document.querySelectorAll('body *')]"
                    "  .filter(e => e.getBoundingClientRect().right > 391)"
                    "  .map(e => e.tagName + '#' + e.id + '.' + e.className)")
                self.assertEqual(wide, [], name)
                self.assertLessEqual(
                    self.driver.execute_script("return document.documentElement.scrollWidth"), 390, name)
            # Laid out as cards, the tables keep their roles for screen readers.
            self.assertEqual(self.driver.execute_script(
                "return document.querySelectorAll('#sheet tbody tr:not([role=row]),"
                " #sheet tbody td:not([role=cell]), #ports tbody th:not([role=rowheader])').length"), 0)
            self.driver.save_screenshot(str(SHOTS / "phone.png"))
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def test_every_control_has_a_label_and_the_keyboard_reaches_them(self):
        self.open()
        self.load_file(ROOT / "examples" / "noip-dyndns.json")
        self.wait_state("planned")
        unlabelled = self.driver.execute_script(
            "return [...document.querySelectorAll('input, select, textarea, button')]"
            "  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
            "               && !(e.tagName === 'BUTTON' && e.textContent.trim()))"
            "  .map(e => e.outerHTML)")
        self.assertEqual(unlabelled, [])
        self.driver.find_element(By.TAG_NAME, "body").click()
        reached = set()
        active = None
        for _ in range(250):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            active = self.driver.switch_to.active_element
            reached.add(active.get_attribute("id") or active.get_attribute("aria-label") or active.text)
        for wanted in ["file", "paste", "f-domain", "f-relay", "f-ddns-provider", "f-user-0-name",
                       "f-inbound-kind", "f-tls", "download-zone",
                       "Copy the value of record 2, MX laufentaler.ch"]:
            self.assertIn(wanted, reached)


if __name__ == "__main__":
    unittest.main()
