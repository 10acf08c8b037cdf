"""Chart routes: PNG/SVG, sizes, content-based ETags and 304s."""
import json
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
