"""Browser sessions and private mode (issue 13, item 8), on the real server
over real HTTP.

A browser signs in with a token and gets a server-side session: the cookie
holds a random id, never the token; it is HttpOnly, SameSite=Strict, Path=/,
Secure behind a trusted https proxy, and ends on sign-out, idle or absolute
expiry, or when its token is revoked.  The sign-in forms carry a CSRF value
(double submit) and refuse other sites' posts; PATCH on another project's
alert answers as a missing one does; under --private /metrics needs a token
and a browser can sign in and browse the pages.
"""
import hashlib
import html
import os
import re
import sqlite3
import time

import requests

from conftest import Server, auth, make_token, native_run, run_cli

PROJECT = "demo"


def post_run(server, body, token=None, project=PROJECT):
    r = server.post(f"/api/v1/projects/{project}/runs", json=body,
                    headers=auth(token or server.write_token))
    assert r.status_code == 201, r.text
    return r.json()


def seed(server, project=PROJECT):
    post_run(server, native_run(project=project), project=project)


def step_alert(server, project=PROJECT):
    """Ingests a step in one series so that it opens an alert; its id."""
    for i in range(40):
        b = native_run(project=project, sha=f"t{i:03d}",
                       latency_ms=(10 if i < 25 else 13) + (i % 3) * .05)
        b["commit"]["time"] = f"2026-10-01T{i // 60:02d}:{i % 60:02d}:00Z"
        post_run(server, b, project=project)
    alerts = server.get(f"/api/v1/projects/{project}/alerts",
                        headers=auth(server.write_token)).json()["alerts"]
    assert alerts, "the step opened no alert"
    return alerts[0]["id"]


def form_csrf(html):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert m, html
    return m.group(1)


def signin_form(s, url):
    """GETs the alerts page (or any page with a sign-in form) in session s;
    returns its CSRF value (and s now holds the bv_signin cookie)."""
    r = s.get(url, timeout=30)
    assert "text/html" in r.headers["Content-Type"], r.text
    return form_csrf(r.text)


def login(server, s, token, **kw):
    """Signs s in with token through the alerts page's form.  A browser
    that is signed in already sees no form, but keeps its bv_signin cookie,
    whose value the form carried (double submit)."""
    url = server.url + f"/p/{PROJECT}/alerts"
    html = s.get(url, timeout=30).text
    csrf = s.cookies.get("bv_signin")
    if 'action="/signout"' not in html:
        assert form_csrf(html) == csrf
    return s.post(url + "/login", data={"token": token, "csrf": csrf},
                  allow_redirects=False, timeout=30, **kw)


def session_rows(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT hash, token_id, created_at, last_seen_at "
                           "FROM session").fetchall()
    finally:
        con.close()


def db_exec(db, sql, *args):
    con = sqlite3.connect(db, timeout=30)
    try:
        con.execute(sql, args)
        con.commit()
    finally:
        con.close()


def signed_in_alerts(server, s):
    """True when the alerts page shows s the triage (sign-out) forms."""
    html = s.get(server.url + f"/p/{PROJECT}/alerts", timeout=30).text
    return 'action="/signout"' in html


def test_signin_gives_a_session_not_the_token(server):
    seed(server)
    s = requests.Session()
    r = login(server, s, server.write_token)
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == f"/p/{PROJECT}/alerts"
    sc = r.headers["Set-Cookie"]
    m = re.match(r"bv_session=([0-9a-f]{64});", sc)
    assert m, sc
    sid = m.group(1)
    assert server.write_token not in sc
    parts = [p.strip() for p in sc.split(";")]
    assert "HttpOnly" in parts and "SameSite=Strict" in parts
    assert "Path=/" in parts and "Max-Age=604800" in parts
    assert "Secure" not in parts  # plain http, no trusted proxy
    # only a hash of the id is stored, tied to the token
    rows = session_rows(server.db)
    assert len(rows) == 1
    assert bytes(rows[0][0]) == hashlib.sha256(sid.encode()).digest()
    assert signed_in_alerts(server, s)
    # a new sign-in makes a new id and ends the old session
    r = login(server, s, server.write_token)
    assert r.status_code == 303
    sid2 = re.match(r"bv_session=([0-9a-f]{64});",
                    r.headers["Set-Cookie"]).group(1)
    assert sid2 != sid and len(session_rows(server.db)) == 1
    # a made-up or old id is no session
    for bad in (sid, "0" * 64, server.write_token):
        t = requests.Session()
        t.cookies.set("bv_session", bad)
        assert not signed_in_alerts(server, t)


def test_signin_form_needs_its_csrf_value_and_our_origin(server):
    seed(server)
    url = server.url + f"/p/{PROJECT}/alerts"
    s = requests.Session()
    csrf = signin_form(s, url)
    assert "bv_signin" in s.cookies
    # no CSRF value: refused, nothing set
    r = s.post(url + "/login", data={"token": server.write_token},
               allow_redirects=False)
    assert r.status_code == 403 and "text/html" in r.headers["Content-Type"]
    assert "bv_session" not in r.headers.get("Set-Cookie", "")
    # the form's value without the cookie (another site's form: the
    # browser does not send a SameSite=Strict cookie with it)
    r = requests.post(url + "/login", data={"token": server.write_token,
                                            "csrf": csrf},
                      allow_redirects=False)
    assert r.status_code == 403
    assert "bv_session" not in r.headers.get("Set-Cookie", "")
    # a cross-origin POST cannot set the cookie, even with both values
    for h in ({"Origin": "http://evil.example"},
              {"Origin": "null"},
              {"Referer": "http://evil.example/page"}):
        r = s.post(url + "/login", data={"token": server.write_token,
                                         "csrf": csrf},
                   headers=h, allow_redirects=False)
        assert r.status_code == 403, (h, r.status_code)
        assert "bv_session" not in r.headers.get("Set-Cookie", "")
    assert session_rows(server.db) == []
    # a wrong token does not sign in
    r = s.post(url + "/login", data={"token": "bv_x", "csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 403
    # our own origin, as a browser sends it: signed in
    r = s.post(url + "/login", data={"token": server.write_token,
                                     "csrf": csrf},
               headers={"Origin": server.url,
                        "Referer": url}, allow_redirects=False)
    assert r.status_code == 303, r.text


def test_triage_and_signout_need_the_session_csrf(server):
    aid = step_alert(server)
    s = requests.Session()
    assert login(server, s, server.write_token).status_code == 303
    html = s.get(server.url + f"/p/{PROJECT}/alerts").text
    csrf = form_csrf(html)
    act = server.url + f"/p/{PROJECT}/alerts/{aid}"
    for data in ({"status": "acknowledged"},
                 {"status": "acknowledged", "csrf": "0" * 64}):
        r = s.post(act, data=data, allow_redirects=False)
        assert r.status_code == 403
    r = s.post(act, data={"status": "acknowledged", "csrf": csrf},
               headers={"Origin": "http://evil.example"},
               allow_redirects=False)
    assert r.status_code == 403
    r = s.post(act, data={"status": "acknowledged", "csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 303, r.text
    # an empty field (a form without the browser's "required" check) is
    # absent, not undefined behaviour: a dismissal without a note is 422
    r = s.post(act, data={"status": "dismissed", "note": "", "csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 422, r.text
    # the session cookie never stands for a token on the JSON API
    r = s.patch(server.url + f"/api/v1/alerts/{aid}",
                json={"status": "open"})
    assert r.status_code == 401
    # sign-out needs the CSRF value too, then ends the session for good
    r = s.post(server.url + "/signout", data={}, allow_redirects=False)
    assert r.status_code == 403
    old = s.cookies.get("bv_session")
    r = s.post(server.url + "/signout", data={"csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/"
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    assert session_rows(server.db) == []
    t = requests.Session()
    t.cookies.set("bv_session", old)
    r = t.post(act, data={"status": "open", "csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 403


def test_session_ends_when_idle_too_old_or_token_revoked(server):
    seed(server)
    s = requests.Session()
    assert login(server, s, server.write_token).status_code == 303
    now = int(time.time() * 1000)
    assert signed_in_alerts(server, s)
    # browsing moves the idle expiry (at most once a minute)
    db_exec(server.db, "UPDATE session SET last_seen_at = ?", now - 120000)
    assert signed_in_alerts(server, s)
    assert session_rows(server.db)[0][3] >= now
    # 12 hours unused: ended
    db_exec(server.db, "UPDATE session SET last_seen_at = ?",
            now - 12 * 3600 * 1000 - 1000)
    assert not signed_in_alerts(server, s)
    # 7 days after sign-in: ended, however busy
    assert login(server, s, server.write_token).status_code == 303
    assert signed_in_alerts(server, s)
    db_exec(server.db, "UPDATE session SET created_at = ?",
            now - 7 * 24 * 3600 * 1000 - 1000)
    assert not signed_in_alerts(server, s)
    # revoking the token ends its sessions at once
    assert login(server, s, server.write_token).status_code == 303
    assert signed_in_alerts(server, s)
    run_cli("token", "revoke", "--db", server.db, "test")
    assert not signed_in_alerts(server, s)


def test_secure_cookie_behind_a_trusted_https_proxy(tmpdir_path):
    db = os.path.join(tmpdir_path, "proxy.db")
    w = make_token(db, "write")
    s = Server(db, ["--trust-proxy"]).start()
    plain = Server(os.path.join(tmpdir_path, "plain.db")).start()
    try:
        s.write_token = w
        plain.write_token = make_token(plain.db, "write")
        seed(s)
        seed(plain)
        https = {"X-Forwarded-Proto": "https"}
        r = login(s, requests.Session(), w, headers=https)
        assert r.status_code == 303
        assert "Secure" in [p.strip() for p in
                            r.headers["Set-Cookie"].split(";")]
        r = login(s, requests.Session(), w,
                  headers={"Forwarded": "for=1.2.3.4;proto=https"})
        assert "Secure" in r.headers["Set-Cookie"]
        r = login(s, requests.Session(), w)
        assert r.status_code == 303 and "Secure" not in r.headers["Set-Cookie"]
        # without --trust-proxy the header is anyone's: ignored
        r = login(plain, requests.Session(), plain.write_token,
                  headers=https)
        assert r.status_code == 303 and "Secure" not in r.headers["Set-Cookie"]
        # the proxy's X-Forwarded-Host is the origin forms must come from
        ss = requests.Session()
        csrf = signin_form(ss, s.url + f"/p/{PROJECT}/alerts")
        r = ss.post(s.url + f"/p/{PROJECT}/alerts/login",
                    data={"token": w, "csrf": csrf},
                    headers={"X-Forwarded-Host": "bench.example.com",
                             "Origin": "https://bench.example.com"},
                    allow_redirects=False)
        assert r.status_code == 303, r.text
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]
        assert plain.stop() == 0, plain.logtext()[-3000:]


def test_patch_on_another_projects_alert_answers_as_a_missing_one(server):
    aid = step_alert(server)
    other = make_token(server.db, "write", project="other", name="other")
    a = server.get("/api/v1/projects/demo/alerts").json()["alerts"]
    missing = max(x["id"] for x in a) + 1000
    answers = []
    for i in (aid, missing):
        r = requests.patch(server.url + f"/api/v1/alerts/{i}",
                           json={"status": "acknowledged"},
                           headers=auth(other), timeout=30)
        answers.append((r.status_code, r.headers["Content-Type"], r.json()))
    assert answers[0] == answers[1], answers
    assert answers[0][0] == 404
    # and nothing changed
    a = server.get("/api/v1/projects/demo/alerts").json()["alerts"]
    assert [x for x in a if x["id"] == aid][0]["status"] == "open"
    # the project's own token still may
    r = requests.patch(server.url + f"/api/v1/alerts/{aid}",
                       json={"status": "acknowledged"},
                       headers=auth(server.write_token), timeout=30)
    assert r.status_code == 200


def private_server(tmpdir_path):
    db = os.path.join(tmpdir_path, "priv.db")
    w = make_token(db, "write")
    rd = make_token(db, "read", name="reader")
    scoped = make_token(db, "read", project="elsewhere", name="scoped")
    s = Server(db, ["--private"]).start()
    s.write_token, s.read_token, s.scoped_token = w, rd, scoped
    return s


def test_private_metrics_need_a_token_for_every_project(tmpdir_path):
    s = private_server(tmpdir_path)
    try:
        r = s.get("/metrics")
        assert r.status_code == 401
        assert "benchvault_http_requests_total" not in r.text
        assert s.get("/metrics",
                     headers=auth(s.scoped_token)).status_code == 403
        r = s.get("/metrics", headers=auth(s.read_token))
        assert r.status_code == 200 and "benchvault_build_info" in r.text
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]
    # without --private it stays public
    db = os.path.join(tmpdir_path, "pub.db")
    p = Server(db).start()
    try:
        assert p.get("/metrics").status_code == 200
    finally:
        assert p.stop() == 0, p.logtext()[-3000:]


def test_private_server_lets_a_browser_sign_in_and_browse(tmpdir_path):
    s = private_server(tmpdir_path)
    try:
        seed(s)
        b = requests.Session()
        page = f"/p/{PROJECT}?sort=name"
        r = b.get(s.url + page)
        # a sign-in page, not a bare 401 JSON
        assert r.status_code == 401
        assert r.headers["Content-Type"].startswith("text/html")
        assert 'action="/signin"' in r.text and 'name="token"' in r.text
        nxt = re.search(r'name="next" value="([^"]*)"', r.text).group(1)
        assert html.unescape(nxt) == page
        csrf = form_csrf(r.text)
        # the API still answers problem+json
        r = b.get(s.url + "/api/v1/projects")
        assert r.status_code == 401
        assert r.headers["Content-Type"].startswith("application/problem")
        # a revoked or unknown token does not sign in
        r = b.post(s.url + "/signin", data={"token": "bv_nope",
                                            "csrf": csrf, "next": page},
                   allow_redirects=False)
        assert r.status_code == 403
        r = b.post(s.url + "/signin", data={"token": s.read_token,
                                            "csrf": csrf, "next": page},
                   allow_redirects=False)
        assert r.status_code == 303, r.text
        assert r.headers["Location"] == page
        for path in ("/", page, f"/p/{PROJECT}/alerts",
                     f"/p/{PROJECT}/runs/1", "/signin"):
            r = b.get(s.url + path)
            assert r.status_code == 200, (path, r.status_code)
            assert "text/html" in r.headers["Content-Type"]
        r = b.get(s.url + f"/p/{PROJECT}/charts/sparkline.png"
                  f"?benchmark=bench_0%5Bsize%3D0%5D&measure=latency")
        assert r.status_code in (200, 404), r.status_code
        assert r.status_code != 401
        # a read session browses but does not triage: the alerts page
        # offers the write sign-in
        text = b.get(s.url + f"/p/{PROJECT}/alerts").text
        assert f'action="/p/{PROJECT}/alerts/login"' in text
        # the cookie is no token for the API
        assert b.get(s.url + "/api/v1/projects").status_code == 401
        assert b.get(s.url + "/metrics").status_code == 401
        # an off-site next is not followed
        c = requests.Session()
        csrf = signin_form(c, s.url + "/signin")
        for nxt in ("//evil.example/x", "https://evil.example/",
                    "/\\evil.example", "/p/\xff", "/p/a b", "/p/\r\nX: y",
                    "javascript:alert(1)", ""):
            r = c.post(s.url + "/signin", data={"token": s.read_token,
                                                "csrf": csrf, "next": nxt},
                       allow_redirects=False)
            assert r.status_code == 303 and r.headers["Location"] == "/"
        # a session of a token for another project sees only that one
        c = requests.Session()
        csrf = signin_form(c, s.url + "/signin")
        r = c.post(s.url + "/signin", data={"token": s.scoped_token,
                                            "csrf": csrf, "next": page},
                   allow_redirects=False)
        assert r.status_code == 303
        r = c.get(s.url + page)
        assert r.status_code == 403 and "text/html" in \
            r.headers["Content-Type"]
        # sign-out from the /signin page ends the browsing
        text = b.get(s.url + "/signin").text
        assert "reader" in text
        r = b.post(s.url + "/signout", data={"csrf": form_csrf(text)},
                   allow_redirects=False)
        assert r.status_code == 303
        assert b.get(s.url + page).status_code == 401
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]


def test_private_sign_in_in_chromium(tmpdir_path):
    """The private sign-in flow in a real browser: the page asked for shows
    the sign-in form; a read token signs in (Chromium sends its own Origin
    and cookies) and returns to that page; the cookie is HttpOnly and
    SameSite=Strict; sign-out from /signin ends it."""
    from selenium.webdriver.common.by import By
    from test_pages import chromium_driver
    s = private_server(tmpdir_path)
    driver = None
    try:
        seed(s)
        driver = chromium_driver(tmpdir_path)
        driver.set_page_load_timeout(30)
        driver.get(s.url + f"/p/{PROJECT}")
        assert driver.title.startswith("Sign in"), driver.title
        driver.find_element(By.NAME, "token").send_keys(s.read_token)
        driver.find_element(By.CSS_SELECTOR,
                            "form.signin button").click()
        assert driver.current_url == s.url + f"/p/{PROJECT}", \
            driver.current_url
        assert not driver.title.startswith("Sign in"), driver.page_source
        assert "bench_0" in driver.page_source
        c = {k["name"]: k for k in driver.get_cookies()}
        assert c["bv_session"]["httpOnly"] is True
        assert c["bv_session"]["sameSite"] == "Strict"
        assert c["bv_session"]["value"] != s.read_token
        driver.get(s.url + "/signin")
        driver.find_element(By.CSS_SELECTOR, "form.signout button").click()
        driver.get(s.url + f"/p/{PROJECT}")
        assert driver.title.startswith("Sign in"), driver.title
    finally:
        if driver:
            driver.quit()
        assert s.stop() == 0, s.logtext()[-3000:]


def test_private_login_form_tells_no_stranger_which_projects_exist(
        tmpdir_path):
    s = private_server(tmpdir_path)
    try:
        seed(s)
        answers = []
        for project in (PROJECT, "no-such-project"):
            c = requests.Session()
            csrf = signin_form(c, s.url + "/signin")
            r = c.post(s.url + f"/p/{project}/alerts/login",
                       data={"token": "bv_guess", "csrf": csrf},
                       allow_redirects=False)
            answers.append((r.status_code, r.text))
        assert answers[0] == answers[1] and answers[0][0] == 403
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]
