"""Every page of the demo in headless Chromium at a phone's and a laptop's
size (issue 17): no page wider than its viewport (tables scroll inside
their own box), no broken image, no console error; and a run page leads
with its verdict (the "Against its base" heading in the first screen, the
raw results folded below it)."""
import html as htmllib
import os
import re
import shutil
from urllib.parse import urlsplit

import pytest
import requests

from conftest import BIN, Server

SIZES = ((390, 844, True), (1366, 900, False))
PER_KIND = 3  # pages of one kind (benchmarks/N, runs/N ...) looked at


@pytest.fixture
def demo(tmpdir_path):
    s = Server(os.path.join(tmpdir_path, "demo.db"), extra=["--demo"])
    s.start()
    yield s
    rc = s.stop()
    assert rc == 0, f"server exited {rc}:\n{s.logtext()[-4000:]}"


def driver_for(tmp):
    webdriver = pytest.importorskip("selenium.webdriver")
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.skip("chromium / chromium-driver not installed")
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless", "--no-sandbox", "--disable-gpu",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--hide-scrollbars",
              f"--user-data-dir={tmp}/chrome"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")),
                            options=opts)


def kind(path):
    """/p/demo/benchmarks/3?x -> /p/demo/benchmarks/N: one kind of page."""
    return re.sub(r"/\d+(?=/|$)", "/N", urlsplit(path).path)


def demo_pages(server):
    """The pages of the demo, found by following its links from /p/demo:
    every kind of page, PER_KIND of each, plus the compare page with two
    runs and a filtered runs list."""
    runs = requests.get(server.url + "/api/v1/projects/demo/runs",
                        params={"limit": 2}, timeout=30).json()["runs"]
    todo = ["/", "/p/demo", "/p/demo/regressions", "/p/demo/runs",
            "/p/demo/runs?branch=main", "/p/demo/alerts",
            f"/p/demo/compare?base={runs[1]['id']}&head={runs[0]['id']}"]
    seen, per = [], {}
    while todo and len(seen) < 40:
        path = todo.pop(0)
        if path in seen:
            continue
        k = kind(path)
        if k.endswith("/N") and per.get(k, 0) >= PER_KIND:
            continue
        per[k] = per.get(k, 0) + 1
        seen.append(path)
        r = requests.get(server.url + path, timeout=60)
        assert r.status_code == 200, (path, r.status_code)
        for href in re.findall(r'<a href="(/[^"]*)"', r.text):
            href = htmllib.unescape(href).split("#", 1)[0]
            if "/charts/" in href or href.endswith(".atom") or \
                    href.startswith("/static/"):
                continue
            if href not in seen and href not in todo:
                todo.append(href)
    return seen


def test_every_demo_page_fits_phone_and_laptop(demo, tmpdir_path):
    pages = demo_pages(demo)
    kinds = {kind(p) for p in pages}
    for need in ("/", "/p/demo", "/p/demo/regressions", "/p/demo/runs",
                 "/p/demo/runs/N", "/p/demo/benchmarks/N", "/p/demo/alerts",
                 "/p/demo/compare"):
        assert need in kinds, (need, sorted(kinds))
    outdir = os.path.join(os.path.dirname(os.path.abspath(BIN)),
                          "test-output", "screens")
    os.makedirs(outdir, exist_ok=True)
    driver = driver_for(tmpdir_path)
    wide = []
    try:
        driver.set_page_load_timeout(60)
        for w, h, mobile in SIZES:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": w, "height": h, "deviceScaleFactor": 1,
                "mobile": mobile})
            for path in pages:
                driver.get(demo.url + path)
                logs = [e for e in driver.get_log("browser")
                        if e["level"] == "SEVERE"]
                assert not logs, (path, w, logs)
                broken = driver.execute_script(
                    "return Array.from(document.images).filter("
                    "i => !i.complete || i.naturalWidth === 0)"
                    ".map(i => i.src)")
                assert not broken, (path, w, broken)
                sw, iw = driver.execute_script(
                    "return [document.documentElement.scrollWidth,"
                    " window.innerWidth]")
                # a phone's viewport widens to a page that overflows it
                if sw > w or iw != w:
                    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
                    driver.save_screenshot(os.path.join(
                        outdir, f"wide-{w}-{name or 'index'}.png"))
                    wide.append((path, w, sw, iw))
    finally:
        driver.quit()
    assert not wide, wide


def test_run_page_verdict_first(demo, tmpdir_path):
    runs = requests.get(demo.url + "/api/v1/projects/demo/runs",
                        params={"limit": 30}, timeout=30).json()["runs"]
    # the run with the most results: the longest page
    rid = max(runs, key=lambda r: r["results"])["id"] if "results" in \
        runs[0] else runs[0]["id"]
    path = f"/p/demo/runs/{rid}"
    html = requests.get(demo.url + path, timeout=60).text
    verdict = html.index("<h2>Against its base</h2>")
    assert verdict < html.index("<details class=\"results\">")
    assert verdict < html.index("<th>Benchmark</th><th>Measure</th>"
                                "<th class=\"num\">Value</th>")
    assert html.index('<p class="verdict">') > verdict
    driver = driver_for(tmpdir_path)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1366, "height": 900, "deviceScaleFactor": 1,
            "mobile": False})
        driver.get(demo.url + path)
        y, summary_y, folded = driver.execute_script(
            "const h = Array.from(document.querySelectorAll('h2')).find("
            "  e => e.textContent === 'Against its base');"
            "const v = document.querySelector('p.verdict');"
            "const d = document.querySelector('details.results');"
            "return [h.getBoundingClientRect().top + window.scrollY,"
            "        v.getBoundingClientRect().bottom + window.scrollY,"
            "        !d.open];")
    finally:
        driver.quit()
    assert y < 900 and summary_y < 900, (y, summary_y)
    assert folded
