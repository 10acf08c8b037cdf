"""Helpers for the tool-format end-to-end tests (test_formats_*.py)."""
import json
import math

from conftest import auth

REL = 1e-12


def close(got, want, what=""):
    """got equals want within REL relative error (both finite)."""
    assert got is not None, f"{what}: absent, want {want!r}"
    assert math.isfinite(got) and math.isfinite(want), (what, got, want)
    if got == want:
        return
    assert abs(got - want) <= REL * max(abs(got), abs(want)), \
        f"{what}: got {got!r}, want {want!r}"


def close_all(got, want, what=""):
    assert len(got) == len(want), f"{what}: {len(got)} values, want " \
                                  f"{len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        close(g, w, f"{what}[{i}]")


def post(server, body, project="fmt", content_type="application/json",
         params=None, token=None):
    """POSTs a body (bytes/str) to the ingest route; returns the response."""
    h = {"Content-Type": content_type} if content_type else {}
    h.update(auth(token or server.write_token))
    return server.post(f"/api/v1/projects/{project}/runs", data=body,
                       headers=h, params=params or {})


def post_files(server, files, project="fmt", params=None):
    """POSTs multipart/form-data parts {name: bytes} as requests builds it."""
    return server.post(f"/api/v1/projects/{project}/runs",
                       files={k: (k + ".csv", v, "text/csv")
                              for k, v in files.items()},
                       headers=auth(server.write_token), params=params or {})


def stored(server, answer, project="fmt"):
    """The stored run behind a 201 answer, read back through the API."""
    assert answer.status_code == 201, answer.text
    run_id = answer.json()["run_id"]
    r = server.get(f"/api/v1/projects/{project}/runs/{run_id}")
    assert r.status_code == 200, r.text
    return r.json()


def by_key(run):
    """{(benchmark, canonical params, measure): result}."""
    out = {}
    for res in run["results"]:
        k = (res["benchmark"], json.dumps(res["params"], sort_keys=True),
             res["measure"])
        assert k not in out, k
        out[k] = res
    return out


def key(benchmark, params, measure):
    return (benchmark, json.dumps(params or {}, sort_keys=True), measure)
