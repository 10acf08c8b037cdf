"""The Grafana recipe in docs/grafana (issue 16): every URL its dashboard
asks benchvault's JSON API for answers 200 with JSON, the root each panel
reads is a list, and each column's field is in its items; the Prometheus
panels name metrics /metrics exposes.  Run against the demo project."""
import json
import os
import re
import urllib.parse

import requests

from conftest import Server

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "grafana")


def field(item, selector):
    for part in selector.split("."):
        if not isinstance(item, dict) or part not in item:
            return False, None
        item = item[part]
    return True, item


def fill(url, values):
    return re.sub(r"\$\{(\w+)\}",
                  lambda m: urllib.parse.quote(values[m.group(1)], safe=""),
                  url)


def test_grafana_dashboard_urls_answer(tmpdir_path):
    with open(os.path.join(DOCS, "dashboard.json")) as fh:
        dash = json.load(fh)
    with open(os.path.join(DOCS, "datasources.yaml")) as fh:
        ds = fh.read()
    assert "yesoreyeram-infinity-datasource" in ds and "uid: benchvault" in ds
    s = Server(os.path.join(tmpdir_path, "demo.db"), ["--demo"]).start()
    try:
        values = {}
        # the template variables, in order: each query is a URL too
        for var in dash["templating"]["list"]:
            q = var["query"]
            r = s.get(fill(q["url"], values))
            assert r.status_code == 200, (q["url"], r.text[:200])
            items = r.json()[q["root_selector"]]
            assert items, q["url"]
            ok, v = field(items[0], q["columns"][0]["selector"])
            assert ok, (q["url"], items[0])
            values[var["name"]] = v
        checked = 0
        metrics = s.get("/metrics").text
        for panel in dash["panels"]:
            for t in panel["targets"]:
                if t["datasource"]["type"] == "prometheus":
                    for name in re.findall(r"(benchvault_\w+)", t["expr"]):
                        base = re.sub(r"_bucket$", "", name)
                        assert f"# TYPE {base} " in metrics, name
                    continue
                url = fill(t["url"], values)
                r = s.get(url)
                assert r.status_code == 200, (url, r.text[:200])
                assert r.headers["Content-Type"].startswith(
                    "application/json"), url
                items = r.json()[t["root_selector"]]
                assert isinstance(items, list), url
                for item in items[:5]:
                    for col in t["columns"]:
                        ok, _ = field(item, col["selector"])
                        assert ok, (url, col["selector"], sorted(item))
                checked += 1
        assert checked >= 4
    finally:
        s.stop()
