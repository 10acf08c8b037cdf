"""The OpenAPI contract (issue 16): docs/openapi.json is what the server
serves at /api/v1/openapi.json; it describes exactly the routes of the
route table (server/routes.c, read here as data); and real answers of every
route, successes and errors (problem+json), validate against it with
python3-jsonschema.  A route added to the table without a description
fails test_document_describes_every_route; one without a request below
fails test_real_answers_validate."""
import json
import os
import re

import pytest
import requests
from jsonschema import Draft202012Validator, RefResolver

from conftest import Server, auth, run_cli

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..")
ENTRY = re.compile(r'\{"(GET|POST|PUT|PATCH|DELETE)",\s*"([^"]+)",\s*(\w+),')


def load_doc():
    with open(os.path.join(ROOT, "docs", "openapi.json")) as f:
        return json.load(f)


def table():
    with open(os.path.join(ROOT, "server", "routes.c")) as f:
        rows = ENTRY.findall(f.read())
    assert len(rows) >= 40, rows
    return {(m.lower(), re.sub(r"\{\+?\}", "{}", p)) for m, p, _ in rows}


def norm(template):
    return re.sub(r"\{[^}]+\}", "{}", template)


def operations(doc):
    return {(m, norm(p)): (p, o) for p, ops in doc["paths"].items()
            for m, o in ops.items()}


def test_document_describes_every_route():
    doc = load_doc()
    assert doc["openapi"].startswith("3.1")
    ops = operations(doc)
    routes = table()
    missing = sorted(routes - set(ops))
    extra = sorted(set(ops) - routes)
    assert not missing, f"routes the document does not describe: {missing}"
    assert not extra, f"operations no route serves: {extra}"
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    ids = [o["operationId"] for _, o in ops.values()]
    assert len(ids) == len(set(ids))


def resolve(doc, node):
    while "$ref" in node:
        ptr = node["$ref"].lstrip("#/").split("/")
        node = doc
        for part in ptr:
            node = node[part]
    return node


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.ops = operations(doc)
        self.resolver = RefResolver.from_schema(doc)
        self.seen = set()

    def check(self, method, template, r):
        key = (method, norm(template))
        if key not in self.ops and r.status_code == 405:
            # A method the path does not have: the document's 405 answer
            # (an operation cannot describe a method it does not have).
            assert any(k[1] == norm(template) for k in self.ops), template
            assert r.headers.get("Allow"), template
            schema = resolve(self.doc, self.doc["components"]["responses"][
                "E405"])["content"]["application/problem+json"]["schema"]
            Draft202012Validator(schema, resolver=self.resolver).validate(
                r.json())
            return
        assert key in self.ops, f"{method} {template}: not in the document"
        _, op = self.ops[key]
        resp = op["responses"].get(str(r.status_code))
        assert resp is not None, (
            f"{method.upper()} {template}: status {r.status_code} is not "
            f"documented: {r.text[:300]}")
        resp = resolve(self.doc, resp)
        self.seen.add(key)
        if method == "head" or r.status_code == 204:
            return
        ct = r.headers.get("Content-Type", "").split(";")[0].strip()
        content = resp.get("content", {})
        assert ct in content, (f"{method.upper()} {template} "
                               f"{r.status_code}: Content-Type {ct!r} not "
                               f"in {list(content)}")
        if ct.endswith("json"):
            schema = content[ct]["schema"]
            v = Draft202012Validator(schema, resolver=self.resolver)
            errors = sorted(v.iter_errors(r.json()), key=str)
            assert not errors, (f"{method.upper()} {template} "
                                f"{r.status_code}: {errors[0]}")


@pytest.fixture
def demo(tmpdir_path):
    db = os.path.join(tmpdir_path, "bv.db")
    s = Server(db, ["--demo"]).start()
    s.write_token = re.search(r"bv_[0-9a-f]{64}", "".join(s.banner)).group(0)
    s.admin_token = run_cli("token", "create", "--db", db, "--scope",
                            "admin", "--name", "root").stdout.split()[0]
    yield s
    assert s.stop() == 0


def test_served_document_is_the_file(demo):
    r = demo.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.json() == load_doc()


def native(sha, branch="main", project="demo"):
    return {"format": "benchvault/v1", "project": project, "branch": branch,
            "commit": {"sha": sha}, "testbed": {"name": "demo-linux-4c"},
            "results": [{"benchmark": "http_roundtrip", "measures": {
                "latency": {"unit": "ms", "value": 1.9}}}]}


def test_real_answers_validate(demo):
    doc = load_doc()
    c = Checker(doc)
    s = demo
    w = auth(s.write_token)
    a = auth(s.admin_token)
    j = {"Content-Type": "application/json"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    P = "/api/v1/projects/demo"
    H = "http_roundtrip"

    def go(method, template, path=None, status=None, **kw):
        kw.setdefault("timeout", 60)
        kw.setdefault("allow_redirects", False)
        r = requests.request(method, s.url + (path or template), **kw)
        if status is not None:
            assert r.status_code == status, (method, path, r.status_code,
                                             r.text[:300])
        c.check(method.lower(), template, r)
        return r

    # pages and assets
    go("GET", "/", status=200)
    go("GET", "/static/style.css", status=200)
    go("GET", "/static/tooltips.js", status=200)
    go("GET", "/p/{project}", "/p/demo", 200)
    go("GET", "/p/{project}", "/p/nope", 404)
    go("GET", "/p/{project}/benchmarks/{id}", "/p/demo/benchmarks/1", 200)
    go("GET", "/p/{project}/benchmarks/{id}", "/p/demo/benchmarks/x", 404)
    go("GET", "/p/{project}/runs/{id}", "/p/demo/runs/60", 200)
    go("GET", "/p/{project}/alerts", "/p/demo/alerts", 200)
    go("GET", "/p/{project}/runs", "/p/demo/runs", 200)
    go("GET", "/p/{project}/runs", "/p/nope/runs", 404)
    go("GET", "/p/{project}/regressions", "/p/demo/regressions", 200)
    go("GET", "/p/{project}/regressions.atom", "/p/demo/regressions.atom",
       200)
    go("GET", "/p/{project}/compare", "/p/demo/compare?base=59&head=60",
       200)
    go("POST", "/p/{project}/alerts/login", "/p/demo/alerts/login",
       data="token=nope", headers=form)
    go("POST", "/p/{project}/alerts/{id}", "/p/demo/alerts/2",
       data="action=ack", headers=form)
    go("GET", "/signin", status=200)
    go("POST", "/signin", data="token=nope", headers=form)
    go("POST", "/signout", data="", headers=form)
    # service
    go("GET", "/api/health", status=200)
    go("GET", "/metrics", status=200)
    go("GET", "/api/v1/openapi.json", status=200)
    go("PUT", "/api/v1/openapi.json", status=405)
    # projects and lists
    go("GET", "/api/v1/projects", status=200)
    go("DELETE", "/api/v1/projects", status=405)
    for name in ("benchmarks", "measures", "branches", "testbeds"):
        go("GET", f"/api/v1/projects/{{project}}/{name}", f"{P}/{name}", 200)
        go("GET", f"/api/v1/projects/{{project}}/{name}",
           f"/api/v1/projects/nope/{name}", 404)
    go("GET", "/api/v1/projects/{project}/regressions", f"{P}/regressions",
       200)
    go("GET", "/api/v1/projects/{project}/regressions",
       "/api/v1/projects/nope/regressions", 404)
    t = "/api/v1/projects/{project}"
    go("PATCH", t, P, 200, headers={**j, **w},
       data=json.dumps({"repository_url": "https://example.com/demo"}))
    go("PATCH", t, P, 422, headers={**j, **w},
       data=json.dumps({"repository_url": "ftp://x"}))
    go("PATCH", t, P, 401, headers=j, data="{}")
    # webhooks
    t = "/api/v1/projects/{project}/webhooks"
    go("GET", t, f"{P}/webhooks", 200, headers=a)
    go("GET", t, f"{P}/webhooks", 403, headers=w)
    hook = go("POST", t, f"{P}/webhooks", 201, headers={**j, **a},
              data=json.dumps({"url": "http://127.0.0.1:9/hook"})).json()
    go("POST", t, f"{P}/webhooks", 422, headers={**j, **a},
       data=json.dumps({"url": "nope"}))
    t = "/api/v1/projects/{project}/webhooks/{id}"
    go("DELETE", t, f"{P}/webhooks/{hook['id']}", 204, headers=a)
    go("DELETE", t, f"{P}/webhooks/{hook['id']}", 404, headers=a)
    # runs
    t = "/api/v1/projects/{project}/runs"
    go("GET", t, f"{P}/runs?limit=2", 200)
    go("GET", t, f"{P}/runs?limit=0", 400)
    go("POST", t, f"{P}/runs", 201, data=json.dumps(native("a1")),
       headers={**j, **w})
    go("POST", t, f"{P}/runs", 201, data=json.dumps(native("a2")),
       headers={**j, **w, "Idempotency-Key": "k1"})
    go("POST", t, f"{P}/runs", 200, data=json.dumps(native("a2")),
       headers={**j, **w, "Idempotency-Key": "k1"})
    go("POST", t, f"{P}/runs", 401, data="{}", headers=j)
    go("POST", t, f"{P}/runs", 422, data=json.dumps({"results": []}),
       headers={**j, **w})
    go("POST", t, f"{P}/runs", 400, data="{nope", headers={**j, **w})
    go("POST", t, f"{P}/runs", 415, data="<a/>",
       headers={"Content-Type": "text/xml", **w})
    t = "/api/v1/projects/{project}/runs/{id}"
    go("GET", t, f"{P}/runs/60", 200)
    go("GET", t, f"{P}/runs/99999", 404)
    go("GET", "/api/v1/projects/{project}/runs/{id}/budgets",
       f"{P}/runs/60/budgets", 200)
    go("GET", "/api/v1/projects/{project}/compare",
       f"{P}/compare?base=59&head=60", 200)
    go("GET", "/api/v1/projects/{project}/compare", f"{P}/compare", 400)
    go("GET", "/api/v1/projects/{project}/compare",
       f"{P}/compare?base=59&head=999999", 404)
    t = "/api/v1/projects/{project}/budgets"
    go("GET", t, f"{P}/budgets", 200)
    go("PUT", t, f"{P}/budgets", 200, data=json.dumps({"budgets": []}),
       headers={**j, **w})
    go("PUT", t, f"{P}/budgets", 422,
       data=json.dumps({"budgets": [{"measure": 3}]}), headers={**j, **w})
    t = "/api/v1/projects/{project}/series"
    go("GET", t, f"{P}/series?benchmark={H}", 200)
    go("GET", t, f"{P}/series?benchmark={H}&limit=5&from=2026-01-01", 200)
    go("GET", t, f"{P}/series", 400)
    go("GET", t, f"{P}/series?benchmark={H}&to=never", 400)
    go("GET", t, f"{P}/series?benchmark=nope", 404)
    # charts
    for name, q in (("trend.png", f"benchmark={H}"),
                    ("trend.json", f"benchmark={H}"),
                    ("sparkline.png", f"benchmark={H}"),
                    ("compare.png", "base=59&head=60"),
                    ("distribution.png",
                     f"base=59&head=60&benchmark={H}&measure=latency"),
                    ("distribution.svg",
                     f"base=59&head=60&benchmark={H}&measure=latency"),
                    ("resources.png", "run=60"),
                    ("scaling.png", "benchmark=sort_ints")):
        t = f"/p/{{project}}/charts/{name}"
        go("GET", t, f"/p/demo/charts/{name}?{q}", 200)
        go("GET", t, f"/p/demo/charts/{name}", 400)
    # alerts
    t = "/api/v1/projects/{project}/alerts"
    go("GET", t, f"{P}/alerts", 200)
    go("GET", t, f"{P}/alerts?status=bogus", 400)
    t = "/api/v1/alerts/{id}"
    go("PATCH", t, "/api/v1/alerts/2", 200,
       data=json.dumps({"status": "acknowledged"}), headers={**j, **w})
    go("PATCH", t, "/api/v1/alerts/2", 401,
       data=json.dumps({"status": "acknowledged"}), headers=j)
    go("PATCH", t, "/api/v1/alerts/999999", 404,
       data=json.dumps({"status": "acknowledged"}), headers={**j, **w})
    go("PATCH", t, "/api/v1/alerts/2", 422,
       data=json.dumps({"status": "gone"}), headers={**j, **w})
    # tokens
    t = "/api/v1/tokens"
    go("GET", t, status=200, headers=a)
    go("GET", t, status=401)
    go("GET", t, status=403, headers=w)
    made = go("POST", t, status=201, headers={**j, **a},
              data=json.dumps({"name": "bot", "scope": "read",
                               "expires_in_days": 7})).json()
    go("POST", t, status=422, headers={**j, **a},
       data=json.dumps({"name": "bot", "scope": "root"}))
    t = "/api/v1/tokens/{id}"
    go("DELETE", t, f"/api/v1/tokens/{made['id']}", 200, headers=a)
    go("DELETE", t, "/api/v1/tokens/999999", 404, headers=a)
    # retention
    t = "/api/v1/projects/{project}/retention"
    go("GET", t, f"{P}/retention", 200)
    go("PUT", t, f"{P}/retention", 200, headers={**j, **w},
       data=json.dumps({"samples_days": 365}))
    go("PUT", t, f"{P}/retention", 422, headers={**j, **w},
       data=json.dumps({"samples_days": -3}))
    go("PUT", t, f"{P}/retention", 401, headers=j, data="{}")
    # deletion, last: it takes data the requests above used
    go("POST", "/api/v1/projects/{project}/runs", f"{P}/runs", 201,
       data=json.dumps(native("b1", branch="feature/x")), headers={**j, **w})
    t = "/api/v1/projects/{project}/branches/{branch}"
    go("DELETE", t, f"{P}/branches/feature/x", 200, headers=w)
    go("DELETE", t, f"{P}/branches/feature/x", 404, headers=w)
    t = "/api/v1/projects/{project}/runs/{id}"
    go("DELETE", t, f"{P}/runs/1", 200, headers=w)
    go("DELETE", t, f"{P}/runs/1", 404, headers=w)
    go("DELETE", t, f"{P}/runs/2", 401)
    t = "/api/v1/projects/{project}/benchmarks/{benchmark}"
    go("DELETE", t, f"{P}/benchmarks/{H}", 200, headers=w)
    go("DELETE", t, f"{P}/benchmarks/{H}", 404, headers=w)
    go("GET", "/api/v1/projects/{project}/deletions", f"{P}/deletions", 200)
    go("GET", "/api/v1/projects/{project}/deletions",
       f"{P}/deletions?limit=x", 400)
    t = "/api/v1/projects/{project}"
    go("DELETE", t, P, 403, headers=w)
    go("DELETE", t, P, 200, headers=a)
    go("DELETE", t, P, 404, headers=a)

    unseen = sorted(set(c.ops) - c.seen)
    assert not unseen, f"operations no request exercised: {unseen}"
