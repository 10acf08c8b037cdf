"""`benchvault report`: a static site of the project's pages and charts.

The report writes the pages with the server's own writers, no server
running, as the server answers them in static mode (the request header
X-Benchvault-Static: 1): no page it saves has a <form>, the benchmark page's
branch and testbed choices are links to saved views, and every page works
from file:// in a real browser."""
import html as htmllib
import json
import os
import re
from urllib.parse import unquote, urlparse

from conftest import auth, native_run, run_cli
from test_pages import check_tidy, chromium_driver

STATIC = {"X-Benchvault-Static": "1"}
BRANCHES = ("main", "feature/fast-path")
TESTBEDS = ("linux-x86", "arm64 mac")


def post(server, body, project="alpha-q"):
    r = server.post(f"/api/v1/projects/{project}/runs",
                    data=json.dumps(body),
                    headers={**auth(server.write_token),
                             "Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def seed(server):
    for i in range(12):
        body = native_run(sha=f"c{i:03d}", n=2,
                          latency_ms=10 + (i >= 6) * 3,
                          samples=[10.0, 10.5, 11.0])
        body["commit"]["time"] = f"2026-11-{i + 1:02d}T12:00:00Z"
        post(server, body)


def seed_views(server):
    """Two branches and two testbeds; a step on main/linux-x86 that opens
    an alert."""
    for i in range(30):
        body = native_run(sha=f"m{i:03d}", n=2,
                          latency_ms=(10 if i < 18 else 13) + i % 3 * .05)
        body["commit"]["time"] = \
            f"2026-10-01T{i // 60:02d}:{i % 60:02d}:00Z"
        body["testbed"] = TESTBEDS[0]
        post(server, body)
    for bi, branch in enumerate(BRANCHES):
        for ti, testbed in enumerate(TESTBEDS):
            if bi == 0 and ti == 0:
                continue
            for i in range(3):
                body = native_run(sha=f"v{bi}{ti}{i}", n=2,
                                  latency_ms=20 + 5 * bi + 2 * ti + i * .1)
                body["branch"] = branch
                body["testbed"] = testbed
                body["commit"]["time"] = f"2026-10-02T1{bi}:{ti}{i}:00Z"
                post(server, body)


def make_report(server, tmpdir_path):
    out = os.path.join(tmpdir_path, "site")
    p = run_cli("report", "--db", server.db, "--project", "alpha-q",
                "--out", out)
    assert "files in" in p.stdout
    assert "stopped at" not in p.stderr
    assert os.path.isfile(os.path.join(out, "index.html"))
    return out


def site_pages(out):
    pages = []
    for root, _, files in os.walk(out):
        pages += [os.path.join(root, f) for f in files if f.endswith(".html")]
    return sorted(pages)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def target_of(page, link):
    """The file a relative href/src of page names."""
    return os.path.normpath(os.path.join(os.path.dirname(page),
                                         htmllib.unescape(link)))


def check_links(page, html):
    """Every href/src is relative and names a file of the site; returns
    how many PNG files the page uses."""
    pngs = 0
    for _, link in re.findall(r'(href|src)="([^"]*)"', html):
        assert not link.startswith("/"), (page, link)
        if link.startswith(("data:", "http:", "https:", "#")):
            continue
        target = target_of(page, link)
        assert os.path.isfile(target), (page, link)
        if target.endswith(".png"):
            with open(target, "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"
            pngs += 1
    return pngs


def choices(html, label):
    """{text: href or None (the current one)} of a <nav class="choices">."""
    m = re.search(r'<nav class="choices" aria-label="' + label +
                  r'">(.*?)</nav>', html, re.S)
    assert m, label
    out = {}
    for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>',
                                 m.group(1)):
        out[htmllib.unescape(text)] = href
    for text in re.findall(r"<strong>([^<]*)</strong>", m.group(1)):
        out[htmllib.unescape(text)] = None
    return out


def test_report_is_a_self_contained_site(server, tmpdir_path):
    seed(server)
    out = make_report(server, tmpdir_path)
    pages = site_pages(out)
    assert any("/benchmarks/" in x for x in pages)
    assert any("/runs/" in x for x in pages)
    pngs = 0
    for page in pages:
        pngs += check_links(page, read(page))
    assert pngs > 0


def test_report_has_no_forms_and_every_view(server, tmpdir_path):
    seed_views(server)
    alerts = server.get("/api/v1/projects/alpha-q/alerts").json()["alerts"]
    assert alerts, "the step opened no alert"
    bench = server.get("/api/v1/projects/alpha-q/benchmarks").json()
    bid = {b["name"]: b["id"] for b in bench["benchmarks"]}["bench_0"]
    out = make_report(server, tmpdir_path)
    pages = site_pages(out)
    for page in pages:
        html = read(page)
        assert "<form" not in html, page
        assert "<select" not in html and "<input" not in html, page
        # no script: its JSON sidecars need a server (fetch from file://)
        assert "<script" not in html and "data-points" not in html, page
        check_links(page, html)
        check_tidy(page, html)
    names = {os.path.relpath(p, out) for p in pages}
    # a run's full comparison is saved (without its form); the header does
    # not link the empty compare form, which needs a server
    compares = [n for n in names if n.startswith("compare")]
    assert compares, names
    for n in compares:
        html = read(os.path.join(out, n))
        assert "Comparing other runs needs the live server" in html, n
        assert "regression" in html and "Base: " in html, n
    assert "compare" not in read(os.path.join(out, "index.html")).split(
        "</header>")[0]

    # the dashboard: no search, its sort views saved
    index = os.path.join(out, "index.html")
    html = read(index)
    assert "Search needs the live server" in html
    # (the default view is "worse now"; the other sorts are saved pages)
    sorts = re.findall(r'<a href="(index-[0-9a-f]+\.html)">(name|noise)'
                       r'</a>', html)
    assert len(sorts) == 2, sorts

    # the alerts page: statuses, read-only
    html = read(os.path.join(out, "alerts.html"))
    assert "triage" in html and "needs the live server" in html
    assert "Sign in" not in html and 'name="csrf"' not in html
    assert re.search(r"<td>open</td>", html)

    # the benchmark page links every branch and testbed view; each link
    # is a saved page that marks its choice and shows that view's chart
    page = os.path.join(out, "benchmarks", f"{bid}.html")
    html = read(page)
    branch = choices(html, "Branch")
    testbed = choices(html, "Testbed")
    assert branch == {"(default)": None, **{b: branch[b] for b in BRANCHES}}
    assert testbed == {"(default)": None,
                       **{t: testbed[t] for t in TESTBEDS}}
    views = [("Branch", b, branch[b]) for b in BRANCHES] + \
        [("Testbed", t, testbed[t]) for t in TESTBEDS]
    for label, name, href in views:
        assert href, (label, name)
        target = target_of(page, href)
        assert os.path.isfile(target), (label, name, href)
        view = read(target)
        assert choices(view, label)[name] is None, (label, name)
        assert choices(view, label)["(default)"] is not None
        charts = re.findall(r'<img class="chart"[^>]* src="([^"]+)"', view)
        assert len(charts) == 1, (label, name)
        assert os.path.isfile(target_of(target, charts[0]))
        assert htmllib.escape(name, quote=False) + "," in view or \
            ", " + htmllib.escape(name, quote=False) + ")" in view
    # the cross views are saved too: feature branch on the second testbed
    view = read(target_of(page, branch[BRANCHES[1]]))
    cross = target_of(page, choices(view, "Testbed")[TESTBEDS[1]])
    html = read(cross)
    assert choices(html, "Branch")[BRANCHES[1]] is None
    assert choices(html, "Testbed")[TESTBEDS[1]] is None
    assert "(feature/fast-path, arm64 mac)" in html


def test_live_pages_keep_their_forms(server):
    """Static mode is asked for with the header; without it the pages keep
    their forms."""
    seed_views(server)
    bench = server.get("/api/v1/projects/alpha-q/benchmarks").json()
    bid = bench["benchmarks"][0]["id"]
    for path, live in ((f"/p/alpha-q/benchmarks/{bid}",
                        '<select name="branch">'),
                       ("/p/alpha-q", 'name="q"'),
                       ("/p/alpha-q/alerts", "Sign in to triage")):
        html = server.get(path).text
        assert "<form" in html and live in html, path
        assert 'href="/p/alpha-q/compare"' in html, path
        html = server.get(path, headers=STATIC).text
        assert "<form" not in html and live not in html, path
        assert 'href="/p/alpha-q/compare"' not in html, path
    html = server.get(f"/p/alpha-q/benchmarks/{bid}",
                      headers={"X-Benchvault-Static": "0"}).text
    assert '<select name="branch">' in html


def test_report_in_chromium(server, tmpdir_path):
    """Every saved page from file:// in headless Chromium: no console
    errors, every image drawn, every link and stylesheet a file."""
    seed_views(server)
    out = make_report(server, tmpdir_path)
    pages = site_pages(out)
    assert len(pages) < 200
    driver = chromium_driver(tmpdir_path)
    try:
        driver.set_page_load_timeout(30)
        for page in pages:
            driver.get("file://" + page)
            logs = [e for e in driver.get_log("browser")
                    if e["level"] == "SEVERE"]
            assert not logs, (page, logs)
            broken = driver.execute_script(
                "return Array.from(document.images).filter("
                "i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
            assert not broken, (page, broken)
            assert driver.execute_script(
                "return document.forms.length") == 0, page
            urls = driver.execute_script(
                "return Array.from(document.querySelectorAll("
                "'a[href], link[href], img[src]')).map("
                "e => e.href || e.src)")
            assert urls, page
            for u in urls:
                p = urlparse(u)
                if p.scheme in ("data", "http", "https"):
                    continue
                assert p.scheme == "file", (page, u)
                assert os.path.isfile(unquote(p.path)), (page, u)
            # the saved stylesheet is loaded
            assert driver.execute_script(
                "return document.styleSheets.length") >= 1, page
    finally:
        driver.quit()


def test_report_errors(server, tmpdir_path):
    out = os.path.join(tmpdir_path, "site")
    p = run_cli("report", "--db", server.db, "--project", "nope", "--out",
                out, check=False)
    assert p.returncode == 2 and "nope" in p.stderr
    p = run_cli("report", "--project", "x", check=False)
    assert p.returncode == 2


def unshare_prefix():
    """The command prefix that runs a program with networking off (a new,
    empty network namespace), or a skip where that is not permitted."""
    import shutil
    import subprocess

    import pytest
    exe = shutil.which("unshare")
    if not exe:
        pytest.skip("unshare (util-linux) is not installed")
    p = subprocess.run([exe, "-n", "true"], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("unshare -n is not permitted here (needs root or user "
                    f"namespaces): {p.stderr.strip()}")
    return [exe, "-n"]


def links_blank(html):
    """The page with every href and src value emptied: what is left must
    be the same bytes in the report and on the server."""
    return re.sub(r'\b(href|src)="[^"]*"', r'\1=""', html)


def test_report_offline_is_the_servers_pages(server, tmpdir_path):
    """Issue 14: the report needs no network (it runs in an empty network
    namespace here, with the server up beside it and unreachable), every
    link and image of it is a written file, and its pages are the bytes
    the server answers for the same pages in static mode, links apart."""
    import subprocess

    from conftest import BIN
    seed_views(server)
    alerts = server.get("/api/v1/projects/alpha-q/alerts").json()["alerts"]
    assert alerts, "the step opened no alert"
    bad_run = alerts[0]["first_bad_run"]["id"]
    bench = server.get("/api/v1/projects/alpha-q/benchmarks").json()
    bid = {b["name"]: b["id"] for b in bench["benchmarks"]}["bench_0"]
    out = os.path.join(tmpdir_path, "site")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BENCHVAULT_")}
    p = subprocess.run([*unshare_prefix(), BIN, "report", "--db", server.db,
                        "--project", "alpha-q", "--out", out],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "files in" in p.stdout and p.stderr == "", p.stderr
    pages = site_pages(out)
    pngs = 0
    for page in pages:
        pngs += check_links(page, read(page))
    assert pngs > 0

    # the full comparison of the run that regressed: the run page links it
    run_page = os.path.join(out, "runs", f"{bad_run}.html")
    live_run = server.get(f"/p/alpha-q/runs/{bad_run}", headers=STATIC).text
    every = r'<a href="([^"]*)">Every row \('
    compare_path = htmllib.unescape(re.search(every, live_run).group(1))
    compare_file = target_of(run_page,
                             re.search(every, read(run_page)).group(1))
    assert "Base: " in read(compare_file)

    same = [("/p/alpha-q", os.path.join(out, "index.html")),
            (f"/p/alpha-q/benchmarks/{bid}",
             os.path.join(out, "benchmarks", f"{bid}.html")),
            (compare_path, compare_file),
            ("/p/alpha-q/alerts", os.path.join(out, "alerts.html")),
            (f"/p/alpha-q/runs/{bad_run}", run_page)]
    for path, file in same:
        r = server.get(path, headers=STATIC)
        assert r.status_code == 200, path
        assert links_blank(read(file)) == links_blank(r.text), path
    # and links are the only difference: a page with its links left in
    # differs (so the comparison above is not of two empty strings)
    assert read(same[0][1]) != server.get(same[0][0], headers=STATIC).text
