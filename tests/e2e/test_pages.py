"""Server-rendered HTML pages: status, content type, content, HTML5
validity (tidy), hostile names rendered as text, and 404 pages."""
import json
import re
import shutil
import subprocess
import time

import pytest

from conftest import auth

PROJECT = "demo"
XSS_BENCH = "<script>alert(1)</script>"
XSS_ATTR = '"onerror=alert(1) x="'
XSS_MD = "[click](javascript:alert(1)) *bold* <img src=x onerror=alert(1)>"
XSS_BRANCH = "<b>br</b>" + XSS_ATTR
SCRIPT_TAG = '<script src="/static/tooltips.js" defer></script>'


def post(server, body, project=PROJECT):
    r = server.post(f"/api/v1/projects/{project}/runs",
                    data=json.dumps(body),
                    headers={**auth(server.write_token),
                             "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    return r.json()


def run_body(i, branch="main", ci_url="https://ci.example.com/job/1"):
    results = []
    for name, base in (("bench_fast", 10.0), (XSS_BENCH, 20.0),
                       (XSS_ATTR, 5.0), (XSS_MD, 7.0)):
        results.append({"benchmark": name,
                        "measures": {"latency": {
                            "unit": "ms",
                            "value": base + (3 if i >= 6 else 0) + i % 2 * .1,
                            "samples": [base, base + .2, base + .4]}}})
    return {"format": "benchvault/v1", "project": PROJECT, "branch": branch,
            "commit": {"sha": f"c{i:03d}",
                       "time": f"2026-11-{i + 1:02d}T12:00:00Z"},
            "ci": {"provider": "github", "url": ci_url, "job": "build"},
            "results": results}


def seed(server):
    ids = []
    for i in range(12):
        ids.append(post(server, run_body(i))["run_id"])
    ids.append(post(server, run_body(20, branch=XSS_BRANCH,
                                      ci_url="javascript:alert(1)"))["run_id"])
    return ids


def get_page(server, path, status=200, **kw):
    r = server.get(path, **kw)
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "text/html; charset=utf-8", path
    html = r.text
    assert html.startswith("<!DOCTYPE html>"), path
    assert '<html lang="en">' in html and '<meta charset="utf-8">' in html
    assert re.search(r"<title>[^<]+</title>", html), path
    check_tidy(path, html)
    check_no_injection(path, html)
    return html


def check_tidy(path, html):
    """tidy -e -q: errors fail; so do warnings, except the ones tidy gives
    for valid HTML5 it does not know."""
    if not shutil.which("tidy"):
        pytest.skip("tidy is not installed (Makefile DEB_PKGS)")
    p = subprocess.run(["tidy", "-e", "-q", "--show-warnings", "yes"],
                       input=html.encode(), capture_output=True, timeout=30)
    lines = [ln for ln in p.stderr.decode(errors="replace").splitlines()
             if ln.strip()]
    assert p.returncode in (0, 1) and not lines, (path, lines)


def check_no_injection(path, html):
    """No payload gets out of its text or attribute context."""
    assert XSS_BENCH not in html, path
    assert "<b>br</b>" not in html, path
    assert "<img src=x" not in html, path
    # inside a real tag (text may say "onerror=": its "<" is escaped)
    assert not re.search(r"<[^>]*\sonerror\s*=", html, re.I), path
    assert not re.search(r"href\s*=\s*\"?\s*javascript:", html, re.I), path
    # the one script is ours, by URL; pages work without it
    rest = html.replace(SCRIPT_TAG, "")
    assert "<script" not in rest.lower(), path


def test_pages(server):
    runs = seed(server)
    # projects list
    html = get_page(server, "/")
    assert 'href="/p/demo"' in html and "<td class=\"num\">13</td>" in html

    # dashboard: alerts first, branches, benchmarks with sparklines
    html = get_page(server, "/p/demo")
    assert html.index("Open alerts") < html.index("Benchmarks")
    assert "bench_fast" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;br&lt;/b&gt;" in html
    sparks = re.findall(r'<img class="spark"[^>]* src="([^"]+)"', html)
    assert len(sparks) == 4
    for s in sparks:
        url = s.replace("&amp;", "&").replace("&#61;", "=")
        assert url.startswith("/p/demo/charts/sparkline.png?benchmark=")
        r = server.get(url)
        assert r.status_code == 200 and r.headers["Content-Type"] == \
            "image/png", (url, r.text[:200])
    assert re.search(r"\d+(\.\d+)? ms", html)
    # search and sort are plain GET parameters
    html = get_page(server, "/p/demo", params={"q": "fast", "sort": "change"})
    table = html.split("<h2>Benchmarks</h2>")[1]
    assert "bench_fast" in table and "alert(1)" not in table
    assert "<strong>worse now</strong>" in html
    html = get_page(server, "/p/demo", params={"q": XSS_ATTR})
    assert 'value="&quot;onerror&#61;alert(1) x&#61;&quot;"' in html

    # what is worse now, its feed, and the runs list (issue 17): valid
    # HTML5, hostile names as text
    get_page(server, "/p/demo/regressions")
    html = get_page(server, "/p/demo/runs")
    assert "&lt;b&gt;br&lt;/b&gt;" in html
    html = get_page(server, "/p/demo/runs", params={"branch": XSS_BRANCH,
                                                    "commit": XSS_ATTR})
    assert "No runs match" in html
    get_page(server, "/p/demo/compare")

    # a benchmark page: trend images per measure, selectors, change points
    bench = server.get("/api/v1/projects/demo/benchmarks").json()
    ids = {b["key"]: b["id"] for b in bench["benchmarks"]}
    html = get_page(server, f"/p/demo/benchmarks/{ids['bench_fast']}")
    trends = re.findall(r'<img class="chart"[^>]* src="([^"]+)"', html)
    assert len(trends) == 1
    url = trends[0].replace("&amp;", "&").replace("&#61;", "=")
    assert "/charts/trend.png?benchmark=" in url and "branch=main" in url
    r = server.get(url)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert '<select name="branch">' in html and '<select name="testbed">' \
        in html
    assert "regression" in html  # the step at run 6
    assert "c005" in html and "c006" in html
    for key in (XSS_BENCH, XSS_ATTR, XSS_MD):
        get_page(server, f"/p/demo/benchmarks/{ids[key]}")
    # the hostile branch selected
    html = get_page(server, f"/p/demo/benchmarks/{ids[XSS_BENCH]}",
                    params={"branch": XSS_BRANCH})
    assert "selected>&lt;b&gt;br&lt;/b&gt;" in html
    html = get_page(server, f"/p/demo/benchmarks/{ids['bench_fast']}",
                    params={"branch": "nope"})
    assert "No data" in html

    # a run page: CI link only when safe
    html = get_page(server, f"/p/demo/runs/{runs[0]}")
    assert 'href="https://ci.example.com/job/1"' in html
    assert "bench_fast" in html and "ms" in html
    html = get_page(server, f"/p/demo/runs/{runs[-1]}")
    assert "javascript:alert(1)" in html  # as text
    assert "ci.example.com" not in html

    # alerts (read-only)
    html = get_page(server, "/p/demo/alerts")
    assert "<h1>Alerts</h1>" in html

    # compare: the form, a table, a bad reference as a message
    html = get_page(server, "/p/demo/compare")
    assert '<input type="text" name="head"' in html
    html = get_page(server, "/p/demo/compare",
                    params={"base": str(runs[0]), "head": str(runs[-2])})
    assert "bench_fast" in html
    assert re.search(r"<td[^>]*>(unchanged|regressed|improved|inconclusive)"
                     r"</td><td[^>]*>[^<]*</td></tr>", html)
    assert re.search(r"\+\d+\.\d%", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = get_page(server, "/p/demo/compare",
                    params={"base": XSS_BENCH, "head": "999999"})
    assert 'class="bad"' in html

    # the stylesheet
    r = server.get("/static/style.css")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(
        "text/css") and "body" in r.text


def test_page_404s(server):
    post(server, run_body(0))
    for path in ("/p/nope", "/p/nope/alerts", "/p/demo/runs/999",
                 "/p/demo/runs/x", "/p/demo/benchmarks/999",
                 "/p/demo/benchmarks/abc", "/p/nope/benchmarks/1"):
        html = get_page(server, path, status=404)
        assert "404" in html


def test_empty_project_list(server):
    html = get_page(server, "/")
    assert "No projects yet" in html


def chromium_driver(tmp):
    """Headless Chromium through chromedriver, or a skip when missing."""
    webdriver = pytest.importorskip("selenium.webdriver")
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.skip("chromium / chromium-driver not installed")
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless", "--no-sandbox", "--disable-gpu",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run",
              "--window-size=1280,1000", f"--user-data-dir={tmp}/chrome"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")),
                            options=opts)


def test_pages_in_chromium(server, tmpdir_path):
    """Every page in a real browser: no console errors, no broken images,
    no element injected by the hostile names; screenshots as test output
    in the build folder."""
    from conftest import BIN
    import os
    runs = seed(server)
    bench = server.get("/api/v1/projects/demo/benchmarks").json()
    ids = {b["key"]: b["id"] for b in bench["benchmarks"]}
    pages = {
        "projects": "/",
        "dashboard": "/p/demo",
        "benchmark": f"/p/demo/benchmarks/{ids['bench_fast']}",
        "benchmark-xss": f"/p/demo/benchmarks/{ids[XSS_BENCH]}",
        "run": f"/p/demo/runs/{runs[0]}",
        "run-xss": f"/p/demo/runs/{runs[-1]}",
        "alerts": "/p/demo/alerts",
        "compare": f"/p/demo/compare?base={runs[0]}&head={runs[-2]}",
        "not-found": "/p/nope",
    }
    # a step that opens alerts, and a family that scales: every kind of
    # section a page can have
    for i in range(40):
        family = [{"benchmark": "sort", "params": {"n": n},
                   "measures": {"latency": {"unit": "ns",
                                            "value": 0.5 * n * n}}}
                  for n in (64, 128, 256, 512)]
        post(server, step_run(i, 10 if i < 25 else 13, extra=family),
             project="adv")
    adv = {b["key"]: b["id"] for b in server.get(
        "/api/v1/projects/adv/benchmarks").json()["benchmarks"]}
    adv_runs = [r["id"] for r in server.get(
        "/api/v1/projects/adv/runs", params={"limit": 100}).json()["runs"]]
    pages.update({
        "dashboard-adv": "/p/adv",
        "benchmark-step": f"/p/adv/benchmarks/{adv['step']}",
        "benchmark-scaling": f"/p/adv/benchmarks/{adv['sort[n=256]']}",
        "run-step": f"/p/adv/runs/{adv_runs[-26]}",
        "alerts-adv": "/p/adv/alerts",
    })
    outdir = os.path.join(os.path.dirname(os.path.abspath(BIN)),
                          "test-output", "pages")
    os.makedirs(outdir, exist_ok=True)
    links = set()
    driver = chromium_driver(tmpdir_path)
    try:
        driver.set_page_load_timeout(30)
        for name, path in pages.items():
            driver.get(server.url + path)
            driver.save_screenshot(os.path.join(outdir, f"page-{name}.png"))
            logs = [e for e in driver.get_log("browser")
                    if e["level"] == "SEVERE"
                    # the 404 page's own status is logged as an error
                    and not (name == "not-found" and "404" in e["message"])]
            assert not logs, (path, logs)
            broken = driver.execute_script(
                "return Array.from(document.images).filter("
                "i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
            assert not broken, (path, broken)
            injected = driver.execute_script(
                "return [Array.from(document.scripts).filter("
                "   s => !s.src.endsWith('/static/tooltips.js')).length,"
                " document.querySelectorAll('[onerror],b').length,"
                " Array.from(document.links).filter("
                "   a => a.protocol === 'javascript:').length]")
            assert injected == [0, 0, 0], (path, injected)
            links.update(driver.execute_script(
                "return Array.from(document.links).map(a => a.href)"
                ".filter(h => h.startsWith(location.origin))"))
    finally:
        driver.quit()
    # no broken links: every link of this server a page shows answers
    assert len(links) > 20, links
    for link in sorted(links):
        r = server.get(link[len(server.url):])
        assert r.status_code == 200, (link, r.status_code)


def test_alert_triage_forms(server):
    """Sign in once with the write token (a session in an HttpOnly,
    SameSite=Strict cookie), then acknowledge and dismiss through the forms; the forms
    need the CSRF token."""
    import requests
    for i in range(40):
        b = run_body(0)
        b["commit"] = {"sha": f"t{i:03d}",
                       "time": f"2026-10-01T{i // 60:02d}:{i % 60:02d}:00Z"}
        b["results"] = [{"benchmark": "slow",
                         "measures": {"latency": {
                             "unit": "ms",
                             "value": (10 if i < 25 else 13) + (i % 3) * .05}}}]
        post(server, b)
    alerts = server.get("/api/v1/projects/demo/alerts").json()["alerts"]
    assert alerts, "the step opened no alert"
    aid = alerts[0]["id"]

    s = requests.Session()
    html = s.get(server.url + "/p/demo/alerts").text
    assert 'action="/p/demo/alerts/login"' in html
    assert f'action="/p/demo/alerts/{aid}"' not in html
    # the sign-in form's CSRF value (test_sessions.py has the details)
    signin = s.cookies["bv_signin"]
    # no cookie: refused
    r = s.post(server.url + f"/p/demo/alerts/{aid}",
               data={"status": "acknowledged", "csrf": "0" * 64},
               allow_redirects=False)
    assert r.status_code == 403 and "text/html" in r.headers["Content-Type"]
    # a wrong token does not sign in
    r = s.post(server.url + "/p/demo/alerts/login",
               data={"token": "bv_x", "csrf": signin}, allow_redirects=False)
    assert r.status_code == 403
    r = s.post(server.url + "/p/demo/alerts/login",
               data={"token": server.write_token, "csrf": signin},
               allow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == "/p/demo/alerts"
    sc = r.headers["Set-Cookie"]
    assert "HttpOnly" in sc and "SameSite=Strict" in sc and \
        "Path=/;" in sc and server.write_token not in sc
    html = get_page(server, "/p/demo/alerts",
                    cookies=s.cookies.get_dict())
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
    # a cookie without the right CSRF token: refused
    r = s.post(server.url + f"/p/demo/alerts/{aid}",
               data={"status": "acknowledged", "csrf": "0" * 64},
               allow_redirects=False)
    assert r.status_code == 403
    r = s.post(server.url + f"/p/demo/alerts/{aid}",
               data={"status": "acknowledged", "csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 303, r.text
    a = server.get(f"/api/v1/projects/demo/alerts").json()["alerts"]
    assert [x for x in a if x["id"] == aid][0]["status"] == "acknowledged"
    # dismissing needs a note (the store's rule, as PATCH)
    r = s.post(server.url + f"/p/demo/alerts/{aid}",
               data={"status": "dismissed", "csrf": csrf})
    assert r.status_code == 422 and "text/html" in r.headers["Content-Type"]
    r = s.post(server.url + f"/p/demo/alerts/{aid}",
               data={"status": "dismissed", "note": "<i>flaky</i> runner",
                     "csrf": csrf})
    assert r.status_code == 200  # after the redirect
    assert "&lt;i&gt;flaky&lt;/i&gt; runner" in r.text
    assert "<i>flaky" not in r.text
    # an unknown alert
    r = s.post(server.url + "/p/demo/alerts/999999",
               data={"status": "open", "csrf": csrf}, allow_redirects=False)
    assert r.status_code == 404


def step_run(i, value_ms, branch="main", key="step", extra=()):
    """A run of benchmark key with 8 samples around value_ms."""
    samples = [value_ms * (1 + 0.002 * ((i + k) % 4)) for k in range(8)]
    results = [{"benchmark": key,
                "measures": {"latency": {"unit": "ms",
                                         "value": sorted(samples)[4],
                                         "samples": samples}}}]
    results += list(extra)
    return {"format": "benchvault/v1", "project": "adv", "branch": branch,
            "commit": {"sha": f"s{i:03d}",
                       "time": f"2026-10-01T{i // 60:02d}:{i % 60:02d}:00Z"},
            "results": results}


def test_run_alert_and_compare_pages_give_advice(server):
    """The run page compares the run with its base; the alerts page and
    the compare page carry recommendations with the evidence."""
    ids = []
    for i in range(40):
        ids.append(post(server, step_run(i, 10 if i < 25 else 13),
                        project="adv")["run_id"])
    # the first run has nothing before it
    html = get_page(server, f"/p/adv/runs/{ids[0]}")
    assert "<h2>Against its base</h2>" in html
    assert "nothing before it" in html
    # the step: compared with the run before it, a regression, its range
    html = get_page(server, f"/p/adv/runs/{ids[25]}")
    part = html.split("<h2>Against its base</h2>")[1]
    assert "<strong>1 regression, 0 improvements, 0 unchanged, 0 " \
        "inconclusive</strong>" in part
    assert f'href="/p/adv/runs/{ids[24]}"' in part
    assert "runs of main" in part and "before the head" in part
    assert re.search(r'<td class="bad">regressed</td>', part)
    hb = ",".join(str(i) for i in reversed(ids[5:25]))  # 20 runs of main
    assert "/charts/compare.png?base&#61;%s&amp;head&#61;%d" % (
        hb, ids[25]) in part
    assert re.search(r"step latency regressed by \+30\.\d% \(from 10\.\d+ ms "
                     r"to 13\.\d+ ms, 95% CI", part)
    assert "git bisect start s025 s024" in part
    link = f'href="/p/adv/compare?base&#61;{hb}&amp;head&#61;{ids[25]}"'
    assert link in part
    # a quiet run: nothing changed
    html = get_page(server, f"/p/adv/runs/{ids[30]}")
    assert "No benchmark changed" in html
    # the compare page: verdict line, chart, recommendations
    html = get_page(server, "/p/adv/compare",
                    params={"base": ids[24], "head": ids[25]})
    assert "1 regression, 0 improvements" in html
    assert "<h3>Recommendations</h3>" in html and "git bisect" in html
    r = server.get(f"/p/adv/charts/compare.png?base={ids[24]}&head={ids[25]}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    # the alerts page: one recommendation per open alert, with its range
    alerts = server.get("/api/v1/projects/adv/alerts").json()["alerts"]
    assert alerts
    html = get_page(server, "/p/adv/alerts")
    advice = html.split("<h2>Recommendations</h2>")[1]
    for a in alerts:
        assert f"Alert {a['id']}: step latency on main" in advice
    assert "The cause is among the commits after s024 up to s025: " \
        "git bisect start s025 s024." in advice
    assert re.search(r'<a href="/p/adv/benchmarks/\d+\?branch(=|&#61;)main'
                     r'&amp;testbed(=|&#61;)[^"]+">history</a>', advice)


def test_benchmark_page_noise_and_scaling(server):
    """A family with one numeric parameter gets its scaling chart and the
    super-linear advice; a series that drifts from run to run gets the
    noise advice."""
    family = [{"benchmark": "sort", "params": {"n": n},
               "measures": {"latency": {"unit": "ns",
                                        "value": 0.5 * n * n}}}
              for n in (64, 128, 256, 512, 1024)]
    for i in range(8):
        noisy = 10 * (1 + (0.15 if i % 2 else -0.15))
        post(server, step_run(i, noisy, key="drifty", extra=family),
             project="adv")
    bench = server.get("/api/v1/projects/adv/benchmarks").json()
    ids = {b["key"]: b["id"] for b in bench["benchmarks"]}
    html = get_page(server, f"/p/adv/benchmarks/{ids['sort[n=256]']}")
    assert "<h3>Scaling</h3>" in html
    src = re.search(r'src="(/p/adv/charts/scaling\.png[^"]+)"', html).group(1)
    assert "benchmark=sort&amp;param=n&amp;measure=latency" in src
    r = server.get(src.replace("&amp;", "&").replace("&#61;", "="))
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert "best fit O(n^2)" in html and "super-linear" in html
    assert "sort latency grows faster than n: a log-log slope of 2.00" in html
    assert "multiplies it by about 4.0" in html
    # the same advice where runs are compared: API, comment, pages
    runs = [r["id"] for r in server.get("/api/v1/projects/adv/runs").json()[
        "runs"]]
    j = server.get("/api/v1/projects/adv/compare",
                   params={"head": runs[0]}).json()
    assert any(x.startswith("sort latency grows faster than n")
               for x in j["recommendations"]), j["recommendations"]
    html = get_page(server, f"/p/adv/runs/{runs[0]}")
    assert "sort latency grows faster than n" in html
    md = server.get("/api/v1/projects/adv/compare",
                    params={"head": runs[0], "format": "markdown"}).text
    assert "- sort latency grows faster than n" in md
    html = get_page(server, f"/p/adv/benchmarks/{ids['drifty']}")
    assert "Run-to-run noise: " in html
    assert "drifty latency is too noisy to detect a 5% change" in html
    assert "<h3>Scaling</h3>" not in html


def test_trend_tooltips(server, tmpdir_path):
    """The benchmark page's one script: its trend image names a JSON sidecar
    of where each point is drawn; hovering a point shows its value and
    commit as text (hostile names included), clicking opens its run."""
    runs = seed(server)
    bench = server.get("/api/v1/projects/demo/benchmarks").json()
    ids = {b["key"]: b["id"] for b in bench["benchmarks"]}
    html = get_page(server, f"/p/demo/benchmarks/{ids[XSS_BENCH]}")
    assert SCRIPT_TAG in html
    side = re.search(r'data-points="([^"]+)"', html).group(1)
    side = side.replace("&amp;", "&").replace("&#61;", "=")
    assert side.startswith("/p/demo/charts/trend.json?benchmark=")
    r = server.get(side)
    assert r.status_code == 200, r.text
    j = r.json()
    assert (j["width"], j["height"]) == (900, 400)
    pts = j["points"]
    assert len(pts) == 12  # the main branch's runs
    assert [p["run"] for p in pts] == runs[:12]
    assert all(60 < p["x"] < 900 and 50 < p["y"] < 370 for p in pts)
    assert pts[0]["x"] < pts[-1]["x"] and pts[0]["y"] > pts[-1]["y"]
    assert pts[0]["value"] == "20 ms" and pts[0]["commit"] == "c000"
    assert pts[0]["href"] == f"/p/demo/runs/{runs[0]}"
    assert server.get("/p/demo/charts/trend.json").status_code == 400
    r = server.get("/static/tooltips.js")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(
        "text/javascript")
    # pages say what may load; charts need no such header
    r = server.get(f"/p/demo/benchmarks/{ids[XSS_BENCH]}")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "Content-Security-Policy" not in server.get(side).headers

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    driver = chromium_driver(tmpdir_path)
    try:
        driver.set_page_load_timeout(30)
        driver.get(server.url + f"/p/demo/benchmarks/{ids[XSS_BENCH]}")
        img = driver.find_element(By.CSS_SELECTOR, "img[data-points]")
        k = img.size["width"] / 900
        p = pts[6]
        tip = None
        for _ in range(50):  # the sidecar loads after the page
            ActionChains(driver).move_to_element_with_offset(
                img, int((p["x"] - 450) * k), int((p["y"] - 200) * k)
            ).perform()
            tip = driver.execute_script(
                "var t = document.querySelector('.tip');"
                "return t && !t.hidden ? t.textContent : null")
            if tip:
                break
            time.sleep(0.1)
        assert tip and p["value"] in tip and "commit c006" in tip, tip
        # text only: nothing the data holds became an element
        assert driver.execute_script(
            "return document.querySelectorAll('.tip *').length === "
            "document.querySelectorAll('.tip div, .tip strong').length")
        logs = [e for e in driver.get_log("browser")
                if e["level"] == "SEVERE"]
        assert not logs, logs
        ActionChains(driver).click().perform()
        for _ in range(50):
            if driver.current_url.endswith(f"/p/demo/runs/{runs[6]}"):
                break
            time.sleep(0.1)
        assert driver.current_url.endswith(f"/p/demo/runs/{runs[6]}")
    finally:
        driver.quit()


def test_compare_page_shows_distributions(server):
    """A regressed row gets the image of its base and head samples, on the
    compare page and under the run page's "Against its base"; the image
    URL answers with a PNG."""
    import html as htmllib
    ids = [post(server, step_run(i, 10 if i < 8 else 13),
                project="adv")["run_id"] for i in range(9)]
    img_re = (r'<img class="chart"[^>]* alt="base and head samples of step '
              r'\(latency\)" src="(/p/adv/charts/distribution\.png\?[^"]+)"')
    html = get_page(server, "/p/adv/compare",
                    params={"base": ids[7], "head": ids[8]})
    assert "1 regression" in html
    m = re.search(img_re, html)
    assert m, html
    src = htmllib.unescape(m.group(1))
    assert src == (f"/p/adv/charts/distribution.png?base={ids[7]}"
                   f"&head={ids[8]}&benchmark=step&measure=latency")
    r = server.get(src)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    part = get_page(server, f"/p/adv/runs/{ids[8]}").split(
        "<h2>Against its base</h2>")[1]
    m = re.search(img_re, part)
    # against its base: the runs of main before it, each counting once
    hist = ",".join(str(i) for i in reversed(ids[:8]))
    assert m and htmllib.unescape(m.group(1)) == (
        f"/p/adv/charts/distribution.png?base={hist}"
        f"&head={ids[8]}&benchmark=step&measure=latency")


def test_markdown_comment_keeps_hostile_names_as_text(server):
    """The pull-request comment of a comparison whose names are the XSS
    corpus: every name is escaped text, no HTML element or link of its own
    survives, the marker stays the last line and appears once."""
    runs = seed(server)
    r = server.get("/api/v1/projects/demo/compare",
                   params={"base": runs[0], "head": runs[6],
                           "format": "markdown"})
    assert r.status_code == 200, r.text
    md = r.text
    assert md.splitlines()[0].startswith("### benchvault: ")
    assert md.splitlines()[-1] == "<!-- benchvault-comment -->"
    assert md.count("<!-- benchvault-comment -->") == 1
    # no element but our own <details>/<summary>, no link to javascript:
    tags = set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", md))
    assert tags <= {"details", "summary"}, tags
    assert not re.search(r"\]\(\s*javascript:", md, re.I)
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md
    assert "\\[click\\]\\(javascript:alert\\(1\\)\\) \\*bold\\*" in md
    # a name cannot close a table cell or start a new block
    for line in md.splitlines():
        if line.startswith("| ") and "alert" in line:
            assert line.count(" | ") == 7, line


def test_review_fixes_pages_agree_cap_and_advice(server):
    """The run and compare pages give the API's verdicts (one bootstrap);
    a huge comparison's comment stays under GitHub's 64 KiB; the confirm
    advice names run ids, which resolve; a family is one parameter name,
    and a throughput growing fast is not advice; bad references name the
    parameter."""
    ids = []
    for i in range(12):
        ids.append(post(server, step_run(i, 10 if i < 8 else 10.4),
                        project="adv")["run_id"])
    for rid in ids[5:]:
        api = server.get("/api/v1/projects/adv/compare",
                         params={"head": rid}).json()["summary"]
        line = (f"{api['regressed']} regression" +
                ("" if api["regressed"] == 1 else "s") +
                f", {api['improved']} improvement" +
                ("" if api["improved"] == 1 else "s") +
                f", {api['unchanged']} unchanged, "
                f"{api['inconclusive']} inconclusive")
        assert line in get_page(server, f"/p/adv/runs/{rid}"), (rid, line)
        assert line in get_page(server, "/p/adv/compare",
                                params={"head": rid}), (rid, line)

    # confirm: a significant change without enough base history
    def run(project, branch, sha, value, key="conf"):
        b = step_run(0, value, branch=branch, key=key)
        b["project"] = project
        b["commit"]["sha"] = sha
        return post(server, b, project=project)["run_id"]
    run("cf", "main", "m1", 10)
    run("cf", "main", "m2", 10)
    feat = run("cf", "feat", "f1", 12)
    j = server.get("/api/v1/projects/cf/compare",
                   params={"base": "branch:main",
                           "head": "branch:feat"}).json()
    confirm = [x for x in j["recommendations"] if "to confirm" in x]
    assert confirm and f"head={feat},<new run id>" in confirm[0], j
    r = server.get("/api/v1/projects/cf/compare",
                   params={"base": "branch:main", "head": f"{feat},{feat}"})
    assert r.status_code == 200, r.text
    r = server.get("/api/v1/projects/cf/compare",
                   params={"base": "zz", "head": str(feat)})
    assert r.status_code == 400 and r.json()["detail"].startswith("base: ")
    r = server.get("/api/v1/projects/cf/compare",
                   params={"head": "branch:nope"})
    assert r.status_code == 404 and r.json()["detail"].startswith("head: ")

    # a family is one parameter name; fast-growing throughput is no advice
    fam = [{"benchmark": "g", "params": {p: v},
            "measures": {"latency": {"unit": "ns", "value": v * v}}}
           for p, v in (("a", 1), ("b", 10), ("c", 100))]
    fam += [{"benchmark": "h", "params": {"n": v},
             "measures": {"throughput": {"unit": "ops/s", "value": v ** 1.8}}}
            for v in (10, 100, 1000, 10000)]
    for sha in ("s1", "s2"):
        b = step_run(0, 10, key="x", extra=fam)
        b["project"] = "fam"
        b["commit"]["sha"] = sha
        last = post(server, b, project="fam")["run_id"]
    recs = server.get("/api/v1/projects/fam/compare",
                      params={"head": last}).json()["recommendations"]
    assert not [x for x in recs if "grows faster" in x], recs

    # a comparison of 400 rows with long names: the comment is cut to fit
    big = [{"benchmark": "test_a_rather_long_benchmark_name_" + "x" * 40,
            "params": {"case": k},
            "measures": {"latency": {"unit": "ms", "samples": [
                10 + k % 3 + 0.01 * j for j in range(5)]}}}
           for k in range(400)]
    for sha in ("b1", "b2"):
        b = step_run(0, 10, key="y", extra=big)
        b["project"] = "big"
        b["commit"]["sha"] = sha
        last = post(server, b, project="big")["run_id"]
    md = server.get("/api/v1/projects/big/compare",
                    params={"head": last, "format": "markdown",
                            "link": "https://bench.example.org"}).text
    assert len(md) < 60000, len(md)
    assert re.search(r"\n\d+ more rows in the \[full comparison\]\("
                     r"https://bench\.example\.org/p/big/compare\?base=\d+"
                     r"&head=\d+\)", md)
    assert md.endswith("</details>\n\n<!-- benchvault-comment -->\n")
    # links never carry credentials
    r = server.get("/api/v1/projects/big/compare",
                   params={"head": last, "format": "markdown",
                           "link": "https://u:p@bench.example.org"})
    assert r.status_code == 400 and "link" in r.json()["detail"]
    r = server.get("/api/v1/projects/big/compare",
                   params={"head": last, "format": "markdown",
                           "link": "HTTPS://bench.example.org"})
    assert r.status_code == 200
