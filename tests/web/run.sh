#!/usr/bin/env bash
# The record-sheet page (web/) in Debian's headless Chromium, driven by the
# pinned Selenium through Debian's chromedriver (test_web.py): every example
# against the CLI and the Nix plugin, errors by their field, secrets, no
# request, a phone's width, the keyboard. Screenshots: target/web-screenshots/.
#
# Needs the packages chromium and chromium-driver, which scripts/test.sh
# installs; the web engine in web/engine/ (committed; scripts/build-web.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

for command in chromium chromedriver; do
  command -v "$command" >/dev/null || {
    echo "tests/web/run.sh: $command not found: run scripts/test.sh, which installs it" >&2
    exit 1
  }
done

venv=$root/target/web-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/web/requirements.txt

# The whole workspace, as every script builds it (one feature resolution).
cargo build --quiet --release --locked --workspace

rm -rf target/web-screenshots
cd tests/web
# Selenium Manager must not look for a driver online: Debian's is given.
SE_OFFLINE=true "$venv/bin/python" -m unittest -v test_web
echo "screenshots: $root/target/web-screenshots/"
