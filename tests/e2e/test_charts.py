"""Chart routes: PNG/SVG, sizes, content-based ETags and 304s."""
import json
import os
import struct

from conftest import auth, native_run


def post(server, body):
    r = server.post("/api/v1/projects/alpha-q/runs", data=json.dumps(body),
                    headers={**auth(server.write_token),
                             "Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def seed(server, name="bench_0", n=12):
    for i in range(n):
        body = native_run(sha=f"c{i:03d}", latency_ms=10 + (i >= 8) * 2,
                          samples=[10.0, 10.5, 11.0])
        body["results"][0]["benchmark"] = name
        body["commit"]["time"] = f"2026-11-{i + 1:02d}T12:00:00Z"
        post(server, body)


def test_trend_png_svg_and_etag(server):
    seed(server)
    q = {"benchmark": "bench_0[size=0]", "measure": "latency"}
    r = server.get("/p/alpha-q/charts/trend.png", params=q)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "image/png"
    assert png_size(r.content) == (900, 400)
    etag = r.headers["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    # the same chart again: 304 with the tag, no body
    r2 = server.get("/p/alpha-q/charts/trend.png", params=q,
                    headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    # HiDPI and size options
    r3 = server.get("/p/alpha-q/charts/trend.png",
                    params={**q, "scale": 2, "width": 600, "height": 300})
    assert png_size(r3.content) == (1200, 600)
    assert r3.headers["ETag"] != etag
    # SVG
    r4 = server.get("/p/alpha-q/charts/trend.png", params={**q,
                                                           "format": "svg"})
    assert r4.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in r4.content
    # a new point changes the tag
    body = native_run(sha="c999", latency_ms=13)
    body["commit"]["time"] = "2026-11-25T12:00:00Z"
    post(server, body)
    r5 = server.get("/p/alpha-q/charts/trend.png", params=q,
                    headers={"If-None-Match": etag})
    assert r5.status_code == 200 and r5.headers["ETag"] != etag


def test_sparkline_and_errors(server):
    seed(server, n=5)
    r = server.get("/p/alpha-q/charts/sparkline.png",
                   params={"benchmark": "bench_0[size=0]"})
    assert r.status_code == 200 and png_size(r.content) == (120, 24)
    assert server.get("/p/alpha-q/charts/trend.png").status_code == 400
    assert server.get("/p/alpha-q/charts/trend.png",
                      params={"benchmark": "nope"}).status_code == 404
    assert server.get("/p/nope/charts/trend.png",
                      params={"benchmark": "x"}).status_code == 404
    assert server.get("/p/alpha-q/charts/trend.png",
                      params={"benchmark": "bench_0[size=0]",
                              "width": "99999"}).status_code == 400


def test_hostile_names_stay_text_in_svg(server):
    evil = '<script>alert(1)</script>"onerror=x'
    seed(server, name=evil, n=3)
    r = server.get("/p/alpha-q/charts/trend.png",
                   params={"benchmark": evil + "[size=0]", "format": "svg"})
    assert r.status_code == 200, r.text
    assert b"<script" not in r.content and b"onerror" not in r.content


def keep(name, data):
    """Writes a chart to $BV_CHART_DUMP for looking at it."""
    d = os.environ.get("BV_CHART_DUMP")
    if d:
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def post_run(server, body):
    r = server.post("/api/v1/projects/alpha-q/runs", data=json.dumps(body),
                    headers={**auth(server.write_token),
                             "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


def test_resources_chart(server):
    samples = [{"t_ms": 1000 * i, "cpu_pct": 50 + i % 7,
                "rss_bytes": 100e6 + i * 1e6} for i in range(30)]
    rid = post_run(server, native_run(sha="r001",
                                      resources={"samples": samples}))
    r = server.get("/p/alpha-q/charts/resources.png", params={"run": rid})
    assert r.status_code == 200, r.text
    assert png_size(r.content) == (900, 400)
    keep("e2e-resources.png", r.content)
    etag = r.headers["ETag"]
    r2 = server.get("/p/alpha-q/charts/resources.png", params={"run": rid},
                    headers={"If-None-Match": etag})
    assert r2.status_code == 304
    # a run without samples draws the "no data" state, not an error
    bare = post_run(server, native_run(sha="r002"))
    r3 = server.get("/p/alpha-q/charts/resources.png", params={"run": bare})
    assert r3.status_code == 200 and png_size(r3.content) == (900, 400)
    assert server.get("/p/alpha-q/charts/resources.png").status_code == 400
    assert server.get("/p/alpha-q/charts/resources.png",
                      params={"run": "x"}).status_code == 400
    assert server.get("/p/alpha-q/charts/resources.png",
                      params={"run": 99999}).status_code == 404


def test_compare_chart(server):
    base = post_run(server, native_run(sha="b001", n=3, latency_ms=10,
                                       samples=[10.0, 10.1, 9.9, 10.0]))
    head = post_run(server, native_run(sha="h001", n=3, latency_ms=12,
                                       samples=[12.0, 12.1, 11.9, 12.0]))
    q = {"base": base, "head": head}
    r = server.get("/p/alpha-q/charts/compare.png", params=q)
    assert r.status_code == 200, r.text
    assert png_size(r.content) == (900, 400)
    keep("e2e-compare.png", r.content)
    r2 = server.get("/p/alpha-q/charts/compare.png", params=q,
                    headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304
    r3 = server.get("/p/alpha-q/charts/compare.png",
                    params={**q, "scale": 2})
    assert png_size(r3.content) == (1800, 800)
    assert server.get("/p/alpha-q/charts/compare.png",
                      params={"base": base}).status_code == 400
    assert server.get("/p/alpha-q/charts/compare.png",
                      params={"base": base, "head": 99999}).status_code == 404
    assert server.get("/p/nope/charts/compare.png",
                      params=q).status_code == 404


def test_scaling_chart(server):
    results = []
    for n in (16, 64, 256, 1024, 4096, 16384):
        results.append({"benchmark": "sort_ints", "params": {"n": n},
                        "measures": {"latency": {
                            "unit": "s", "value": 2e-9 * n * n.bit_length()}}})
    body = native_run(sha="s001")
    body["results"] = results
    post_run(server, body)
    q = {"benchmark": "sort_ints", "measure": "latency"}
    r = server.get("/p/alpha-q/charts/scaling.png", params=q)
    assert r.status_code == 200, r.text
    assert png_size(r.content) == (900, 400)
    keep("e2e-scaling.png", r.content)
    r2 = server.get("/p/alpha-q/charts/scaling.png", params=q,
                    headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304
    assert server.get("/p/alpha-q/charts/scaling.png").status_code == 400
    assert server.get("/p/alpha-q/charts/scaling.png",
                      params={"benchmark": "nope"}).status_code == 404
    assert server.get("/p/nope/charts/scaling.png",
                      params=q).status_code == 404


def test_run_page_resources_and_recommendations(server):
    body = native_run(sha="res1")
    body["resources"] = {"samples": [
        {"t_ms": i * 100, "cpu_pct": 97.0,
         "rss_bytes": 100 * 1048576 + i * 200 * 1024,
         "read_bytes": 0, "write_bytes": 0} for i in range(100)]}
    r = server.post("/api/v1/projects/alpha-q/runs", data=json.dumps(body),
                    headers={**auth(server.write_token),
                             "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    rid = r.json()["run_id"]
    page = server.get(f"/p/alpha-q/runs/{rid}")
    assert page.status_code == 200
    assert "Recommendations" in page.text
    assert "Memory grew" in page.text and "CPU-bound" in page.text
    src = f"/p/alpha-q/charts/resources.png?run={rid}"
    assert src in page.text
    png = server.get(src)
    assert png.status_code == 200 and png_size(png.content) == (900, 400)
