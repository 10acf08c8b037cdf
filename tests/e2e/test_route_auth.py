"""Every route of the route table (server/routes.c, read here as data)
answers by its declared access level under --private, checked by the
dispatcher before the handler runs (issue 14, "Auth in the dispatcher"):
no token -> 401; a read token -> a READ route is served, a WRITE or ADMIN
route is 403; a write token -> WRITE routes pass auth, ADMIN routes are
403; an admin token passes them all.  A route added to the
table is walked without touching this test."""
import os
import re

import pytest
import requests

from conftest import Server, auth, make_token, native_run

ROUTES = os.path.join(os.path.dirname(__file__), "..", "..", "server",
                      "routes.c")
ENTRY = re.compile(r'\{"(GET|POST|PUT|PATCH|DELETE)",\s*"([^"]+)",\s*(\w+),'
                   r'\s*(ACCESS_\w+)')


def table():
    with open(ROUTES) as f:
        text = f.read()
    rows = ENTRY.findall(text)
    assert len(rows) >= 30, rows
    return rows


def url(pattern):
    values = iter(["alpha-q", "1", "1"])
    return re.sub(r"\{\+?\}", lambda m: next(values), pattern)


def call(s, method, path, token=None):
    h = auth(token) if token else {}
    body = None
    if method in ("POST", "PUT", "PATCH"):
        h["Content-Type"] = "application/json"
        body = b"{}"
    return requests.request(method, s.url + path, headers=h, data=body,
                            timeout=60, allow_redirects=False)


@pytest.fixture
def private(tmpdir_path):
    db = os.path.join(tmpdir_path, "bv.db")
    s = Server(db, ["--private"])
    s.write_token = make_token(db, "write")
    s.read_token = make_token(db, "read", name="reader")
    s.admin_token = make_token(db, "admin", name="admin")
    s.start()
    r = s.post("/api/v1/projects/alpha-q/runs", json=native_run(),
               headers=auth(s.write_token))
    assert r.status_code == 201, r.text
    yield s
    assert s.stop() == 0


def test_every_route_by_its_access_level(private):
    checked = 0
    for method, pattern, handler, access in table():
        if access == "ACCESS_PUBLIC":
            continue
        path = url(pattern)
        r = call(private, method, path)
        assert r.status_code == 401, (method, pattern, r.status_code)
        r = call(private, method, path, private.read_token)
        if access == "ACCESS_READ":
            assert r.status_code not in (401, 403), \
                (method, pattern, r.status_code, r.text[:200])
        else:
            assert r.status_code == 403, (method, pattern, r.status_code)
        r = call(private, method, path, private.write_token)
        if access == "ACCESS_ADMIN":
            assert r.status_code == 403, (method, pattern, r.status_code)
            assert "admin" in r.json()["detail"], r.text
            r = call(private, method, path, private.admin_token)
        assert r.status_code not in (401, 403), \
            (method, pattern, r.status_code, r.text[:200])
        checked += 1
    print(f"{checked} routes checked")
    assert checked >= 25
