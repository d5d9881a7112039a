"""Figures for the README: how long the record-sheet page takes to start
its engine, and one `plan` call inside the page, in headless Chromium.

Usage (after tests/web/run.sh has set up the venv):
  target/web-venv/bin/python tests/web/bench.py [LOADS]
Prints the median and range of LOADS page loads (default 20) from file://,
and per example the time of one `wasm_bindgen.plan` call (the median of
9 batches of 200)."""

import pathlib
import statistics
import sys
import tempfile

import test_web

loads = int(sys.argv[1]) if len(sys.argv) > 1 else 20
driver = test_web.chromium(pathlib.Path(tempfile.mkdtemp(prefix="mailplan-bench-")))
try:
    ready = []
    for _ in range(loads):
        driver.get("about:blank")
        driver.get((test_web.WEB / "index.html").as_uri())
        test_web.WebDriverWait(driver, 30).until(
            lambda d: d.find_element(test_web.By.TAG_NAME, "body").get_attribute("data-engine") == "ready")
        ready.append(float(driver.find_element(test_web.By.TAG_NAME, "body").get_attribute("data-engine-ready-ms")))
    print(f"engine ready after load: median {statistics.median(ready):.1f} ms"
          f" (min {min(ready):.1f}, max {max(ready):.1f}; {loads} loads from file://)")
    for example in test_web.EXAMPLES:
        # performance.now() ticks in 100 µs steps here (no cross-origin
        # isolation), so time batches of 200 calls: the median batch's mean.
        micros = driver.execute_script(
            "const text = arguments[0]; const batches = [];"
            "for (let b = 0; b < 9; b++) { const t = performance.now();"
            "  for (let i = 0; i < 200; i++) wasm_bindgen.plan(text, 'json');"
            "  batches.push((performance.now() - t) / 200); }"
            "batches.sort((a, b) => a - b); return batches[4] * 1000;", example.read_text())
        print(f"plan {example.stem}: {micros:.0f} µs per call")
finally:
    driver.quit()
