"""Chart routes: PNG/SVG, sizes, content-based ETags and 304s."""
import itertools
import json
import os
import struct
import xml.etree.ElementTree as ET
import zlib

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
    # as tall as three rows need: 62 + 3 x 40 + 40
    assert png_size(r.content) == (900, 222)
    keep("e2e-compare.png", r.content)
    r2 = server.get("/p/alpha-q/charts/compare.png", params=q,
                    headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304
    r3 = server.get("/p/alpha-q/charts/compare.png",
                    params={**q, "scale": 2})
    assert png_size(r3.content) == (1800, 444)
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
    # a second run: its comparison's recommendations (API, Markdown) say
    # what its samples say; its page says it once, beside the chart
    body["commit"]["sha"] = "res2"
    r = server.post("/api/v1/projects/alpha-q/runs", data=json.dumps(body),
                    headers={**auth(server.write_token),
                             "Content-Type": "application/json"})
    rid2 = r.json()["run_id"]
    j = server.get("/api/v1/projects/alpha-q/compare",
                   params={"head": rid2}).json()
    assert j["base"]["runs"][0]["id"] == rid
    assert any(x.startswith("CPU-bound") for x in j["recommendations"])
    md = server.get("/api/v1/projects/alpha-q/compare",
                    params={"head": rid2, "format": "markdown"}).text
    assert "- CPU\\-bound" in md
    page = server.get(f"/p/alpha-q/runs/{rid2}").text
    assert "<h2>Against its base</h2>" in page
    assert page.count("CPU-bound") == 1
    assert page.index("CPU-bound") > page.index(src.replace(str(rid),
                                                            str(rid2)))


# ---- every chart route: PNG sizes, pixels, SVG, no-data, hostile names ----

SVG_NS = "{http://www.w3.org/2000/svg}"
# Benchmark, branch and testbed names are user input; in an SVG chart they
# must stay drawn text, never markup.
HOSTILE = [
    "<script>alert(1)</script>",
    '"onerror=alert(1) x="',
    "javascript:alert(1)",
    "[click](javascript:alert(1)) **b** ![i](https://evil.example/x.png)",
    "<img src=x onerror=alert(1)>]]><svg onload=alert(1)>",
    "&lt;script&gt; <!-- c --> <a href='javascript:x'>",
]
WHITE = (255, 255, 255)
BLUE = (0, 114, 178)          # Okabe-Ito blue: trend values, CPU, points
VERMILLION = (213, 94, 0)     # regressed
SKY = (0x4A, 0x9A, 0xC7)    # Okabe-Ito sky blue, darkened to 3:1


class Image:
    """A decoded PNG of the kind the server writes (8-bit RGB)."""

    def __init__(self, data):
        w, h = png_size(data)
        pos, idat = 8, b""
        while pos < len(data):
            (n,) = struct.unpack(">I", data[pos:pos + 4])
            kind = data[pos + 4:pos + 8]
            body = data[pos + 8:pos + 8 + n]
            assert zlib.crc32(kind + body) == struct.unpack(
                ">I", data[pos + 8 + n:pos + 12 + n])[0], "bad CRC"
            if kind == b"IHDR":
                assert body[8] == 8 and body[9] == 2, "not 8-bit RGB"
            elif kind == b"IDAT":
                idat += body
            elif kind == b"IEND":
                break
            pos += 12 + n
        raw = zlib.decompress(idat)
        stride = w * 3
        assert len(raw) == h * (stride + 1)
        rows = []
        prev = bytearray(stride)
        for y in range(h):
            f = raw[y * (stride + 1)]
            line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            if f == 1:        # Sub: per channel running sum
                for c in range(3):
                    line[c::3] = bytes(itertools.accumulate(
                        line[c::3], lambda a, b: (a + b) & 255))
            elif f == 2:      # Up
                line = bytearray((a + b) & 255 for a, b in zip(line, prev))
            else:
                assert f == 0, f"filter {f} not expected from our encoder"
            rows.append(bytes(line))
            prev = line
        self.w, self.h, self.rows = w, h, rows

    def pixels(self, x0, y0, x1, y1):
        for y in range(max(y0, 0), min(y1, self.h)):
            row = self.rows[y]
            for x in range(max(x0, 0), min(x1, self.w)):
                yield tuple(row[3 * x:3 * x + 3])

    def ink(self, x0, y0, x1, y1):
        """Pixels that are not background in a rectangle."""
        return sum(p != WHITE for p in self.pixels(x0, y0, x1, y1))

    def colour(self, rgb, x0=0, y0=0, x1=None, y1=None):
        x1 = self.w if x1 is None else x1
        y1 = self.h if y1 is None else y1
        return sum(p == rgb for p in self.pixels(x0, y0, x1, y1))


def assert_margins(img, what):
    """Nothing outside the canvas frame: 11 px left and right (3 px beside
    the x tick labels), 5 px top, 4 px bottom, all blank."""
    w, h = img.w, img.h
    assert img.ink(0, 0, 11, h) == 0, f"{what}: ink in the left margin"
    assert img.ink(w - 11, 0, w, h - 40) == 0, f"{what}: right margin"
    assert img.ink(w - 3, 0, w, h) == 0, f"{what}: right edge"
    assert img.ink(0, 0, w, 5) == 0, f"{what}: ink in the top margin"
    assert img.ink(0, h - 4, w, h) == 0, f"{what}: ink in the bottom margin"


def assert_no_data(img, what):
    """The no-data state: a title, a message in the middle, nothing else."""
    assert (img.w, img.h) == (900, 400)
    assert_margins(img, what)
    assert img.ink(10, 5, 300, 25) > 30, f"{what}: no title"
    assert img.ink(250, 180, 650, 240) > 200, f"{what}: no message"
    assert img.ink(20, 45, 880, 170) == 0, f"{what}: drawn above the message"
    assert img.ink(20, 250, 880, 380) == 0, f"{what}: drawn below it"
    for rgb in (BLUE, VERMILLION, SKY):
        assert img.colour(rgb) == 0, f"{what}: data colour {rgb}"


def svg_root(content, width, height):
    """Parses an SVG chart (it must be well-formed XML) and checks that the
    root is <svg> sized in CSS pixels; returns the root element."""
    root = ET.fromstring(content)
    assert root.tag == SVG_NS + "svg", root.tag
    for attr, want in (("width", width), ("height", height)):
        got = root.get(attr)
        assert got in (str(want), f"{want}px"), f"{attr}={got!r}"
    assert root.get("viewBox") == f"0 0 {width} {height}"
    return root


def assert_inert(root, content, what):
    """No script, no event handler, no javascript: link anywhere in the
    parsed SVG, and no trace of the hostile names as markup or text."""
    banned = {"script", "foreignObject", "iframe", "object", "embed", "a",
              "animate", "set", "handler", "listener", "image"}
    for el in root.iter():
        local = el.tag.rsplit("}", 1)[-1]
        assert local not in banned, f"{what}: <{local}> element"
        for name, value in el.attrib.items():
            lname = name.rsplit("}", 1)[-1].lower()
            assert not lname.startswith("on"), f"{what}: {name}= attribute"
            v = "".join(value.split()).lower()
            assert not v.startswith(("javascript:", "data:text")), \
                f"{what}: {name}={value!r}"
        assert "alert(" not in (el.text or "") + (el.tail or "")
    low = content.lower()
    for needle in (b"<script", b"javascript:", b"onerror", b"onload",
                   b"alert("):
        assert needle not in low, f"{what}: {needle!r} in the SVG bytes"


def get_chart(server, kind, params, status=200):
    r = server.get(f"/p/alpha-q/charts/{kind}.png", params=params)
    assert r.status_code == status, r.text
    return r


def check_route(server, kind, params, data_check, size=(900, 400)):
    """One chart route: PNG at its default size (900x400) with data where it
    belongs, HiDPI at twice that, another size, and the same chart as
    well-formed SVG."""
    w, h = size
    r = get_chart(server, kind, params)
    assert r.headers["Content-Type"] == "image/png"
    keep(f"e2e-{kind}-all.png", r.content)
    img = Image(r.content)
    assert (img.w, img.h) == (w, h)
    assert_margins(img, kind)
    data_check(img)
    r2 = get_chart(server, kind, {**params, "scale": 2})
    assert png_size(r2.content) == (2 * w, 2 * h)
    img2 = Image(r2.content)
    assert_margins(img2, kind + " at scale 2")
    r3 = get_chart(server, kind, {**params, "width": 640, "height": 320})
    assert png_size(r3.content) == (640, 320)
    s = get_chart(server, kind, {**params, "format": "svg"})
    assert s.headers["Content-Type"] == "image/svg+xml"
    root = svg_root(s.content, w, h)
    assert any(el.tag == SVG_NS + "path" for el in root.iter())
    svg_root(get_chart(server, kind, {**params, "format": "svg", "width": 640,
                                      "height": 320}).content, 640, 320)
    return img


def test_every_route_png_and_svg(server):
    seed(server, n=12)
    trend = {"benchmark": "bench_0[size=0]", "measure": "latency"}

    def trend_data(img):
        # the values span the plot, left to right, in blue
        assert img.colour(BLUE, 40, 62, 200, 360) > 20
        assert img.colour(BLUE, 700, 62, 884, 360) > 20
        assert img.ink(60, 62, 884, 360) > 2000
    check_route(server, "trend", trend, trend_data)

    def spark_data(img):
        assert img.ink(0, 0, 60, 24) > 20 and img.ink(60, 0, 120, 24) > 20
    r = get_chart(server, "sparkline", {"benchmark": "bench_0[size=0]"})
    spark = Image(r.content)
    assert (spark.w, spark.h) == (120, 24)
    spark_data(spark)
    assert png_size(get_chart(server, "sparkline",
                              {"benchmark": "bench_0[size=0]",
                               "scale": 2}).content) == (240, 48)
    svg_root(get_chart(server, "sparkline", {"benchmark": "bench_0[size=0]",
                                             "format": "svg"}).content,
             120, 24)

    base = post_run(server, native_run(sha="b001", n=3, latency_ms=10,
                                       samples=[10.0, 10.1, 9.9, 10.0]))
    head = post_run(server, native_run(sha="h001", n=3, latency_ms=13,
                                       samples=[13.0, 13.1, 12.9, 13.0]))

    def compare_data(img):
        # three rows under the legend, a +30% regression right of zero, the
        # axis and its labels right below them: no blank space
        assert img.colour(VERMILLION, 300, 62, 884, 182) > 100
        assert img.ink(0, 186, 900, 218) > 100, "no axis under the rows"
    check_route(server, "compare", {"base": base, "head": head},
                compare_data, size=(900, 222))

    samples = [{"t_ms": 1000 * i, "cpu_pct": 50 + i % 7,
                "rss_bytes": 100e6 + i * 1e6} for i in range(30)]
    rid = post_run(server, native_run(sha="r001",
                                      resources={"samples": samples}))

    def resources_data(img):
        # two panels: CPU (blue) above, RSS below
        assert img.colour(BLUE, 92, 40, 884, 200) > 200
        assert img.colour(BLUE, 0, 210, 900, 400) == 0
        assert img.ink(92, 220, 884, 356) > 500
    check_route(server, "resources", {"run": rid}, resources_data)

    body = native_run(sha="s001")
    body["results"] = [
        {"benchmark": "sort_ints", "params": {"n": n},
         "measures": {"latency": {"unit": "s",
                                  "value": 2e-9 * n * n.bit_length()}}}
        for n in (16, 64, 256, 1024, 4096, 16384)]
    post_run(server, body)

    def scaling_data(img):
        # log-log and rising: bottom left to top right
        assert img.colour(BLUE, 40, 200, 300, 360) > 20
        assert img.colour(BLUE, 600, 62, 884, 200) > 20
    check_route(server, "scaling", {"benchmark": "sort_ints",
                                    "measure": "latency"}, scaling_data)


def test_no_data_and_one_point_states(server):
    # one run: the trend has one point and says so
    seed(server, n=1)
    r = get_chart(server, "trend", {"benchmark": "bench_0[size=0]"})
    img = Image(r.content)
    keep("e2e-trend-one.png", r.content)
    assert_margins(img, "trend, one point")
    assert img.colour(BLUE, 420, 62, 480, 360) > 5, "the point, centred"
    assert img.colour(BLUE, 40, 62, 400, 360) == 0
    assert img.ink(330, 66, 570, 86) > 100, "the one-point note"
    spark = Image(get_chart(server, "sparkline",
                            {"benchmark": "bench_0[size=0]"}).content)
    assert spark.colour(VERMILLION) > 3, "the one value, marked"
    # a run without resource samples, and one with a single sample
    bare = post_run(server, native_run(sha="r002"))
    r = get_chart(server, "resources", {"run": bare})
    keep("e2e-resources-none.png", r.content)
    assert_no_data(Image(r.content), "resources, no samples")
    one = post_run(server, native_run(sha="r003", resources={"samples": [
        {"t_ms": 0, "cpu_pct": 40.0, "rss_bytes": 1e8}]}))
    assert_no_data(Image(get_chart(server, "resources",
                                   {"run": one}).content),
                   "resources, one sample")
    svg_root(get_chart(server, "resources",
                       {"run": bare, "format": "svg"}).content, 900, 400)
    # a family with one member cannot show scaling
    body = native_run(sha="s002")
    body["results"] = [{"benchmark": "lonely", "params": {"n": 10},
                        "measures": {"latency": {"unit": "s",
                                                 "value": 1e-3}}}]
    post_run(server, body)
    r = get_chart(server, "scaling", {"benchmark": "lonely"})
    assert_no_data(Image(r.content), "scaling, one member")


def test_hostile_names_inert_in_every_svg(server):
    """The XSS corpus as benchmark, branch and testbed names: each chart
    that shows a name renders it as drawn text, never as markup."""
    ids = []
    for i, evil in enumerate(HOSTILE):
        for j in range(2):
            body = native_run(sha=f"e{i}{j}", latency_ms=10 + j,
                              samples=[10.0 + j, 10.5 + j, 11.0 + j])
            body["branch"] = evil
            body["testbed"] = {"name": evil}
            body["results"][0]["benchmark"] = evil
            body["commit"]["time"] = f"2026-11-{i + 1:02d}T1{j}:00:00Z"
            body["resources"] = {"samples": [
                {"t_ms": 1000 * k, "cpu_pct": 50.0 + k,
                 "rss_bytes": 1e8 + k * 1e6} for k in range(5)]}
            ids.append(post_run(server, body))
        fam = native_run(sha=f"f{i}")
        fam["branch"] = evil
        fam["results"] = [
            {"benchmark": evil + "-family", "params": {"n": n},
             "measures": {"latency": {"unit": "s", "value": 1e-6 * n}}}
            for n in (10, 100, 1000)]
        post_run(server, fam)

    for i, evil in enumerate(HOSTILE):
        views = {
            "trend": {"benchmark": evil + "[size=0]", "branch": evil,
                      "testbed": evil},
            "compare": {"base": ids[2 * i], "head": "branch:" + evil},
            "resources": {"run": ids[2 * i + 1]},
            "scaling": {"benchmark": evil + "-family", "branch": evil},
        }
        for kind, params in views.items():
            what = f"{kind} with {evil!r}"
            h = 160 if kind == "compare" else 400  # one row
            png = get_chart(server, kind, params)
            assert png_size(png.content) == (900, h), what
            s = get_chart(server, kind, {**params, "format": "svg"})
            root = svg_root(s.content, 900, h)
            assert_inert(root, s.content, what)
            # the name was drawn: the title's glyphs are there
            assert Image(png.content).ink(10, 5, 400, 25) > 30, what


def test_long_and_odd_unicode_names(server):
    """Names that cairo would refuse if passed on as they are: a title cut
    in the middle of a UTF-8 sequence, a noncharacter (U+FFFF).  Every
    chart still draws (they answered 500 before render/ cleaned its text)."""
    long_a = "\u00e9" * 127 + "a"        # 255 bytes of UTF-8
    long_b = "x" + "\u00e9" * 127        # the cut falls one byte later
    odd = "nonchar \uffff \ufdd0 end"
    ids = {}
    for k, (name, testbed) in enumerate(((long_a, "tb"), (long_b, "tb"),
                                         (odd, odd), (odd, odd))):
        body = native_run(sha=f"u{k}", latency_ms=10 + k,
                          samples=[10.0 + k, 10.5 + k, 11.0 + k])
        body["branch"] = name
        body["testbed"] = {"name": testbed}
        body["results"][0]["benchmark"] = name
        body["commit"]["time"] = f"2026-11-0{k + 1}T12:00:00Z"
        body["resources"] = {"samples": [
            {"t_ms": 1000 * i, "cpu_pct": 50.0, "rss_bytes": 1e8 + i}
            for i in range(3)]}
        ids.setdefault(name, []).append(post_run(server, body))
    views = [("compare", {"base": "branch:" + long_a,
                          "head": "branch:" + long_b}),
             ("compare", {"base": ids[odd][0], "head": ids[odd][1]})]
    for name in (long_a, long_b, odd):
        views += [("trend", {"benchmark": name + "[size=0]", "branch": name}),
                  ("resources", {"run": ids[name][0]})]
    for kind, params in views:
        for fmt in ("png", "svg"):
            r = server.get(f"/p/alpha-q/charts/{kind}.png",
                           params={**params, "format": fmt})
            assert r.status_code == 200, f"{kind} {fmt}: {r.text[:300]}"
            h = 160 if kind == "compare" else 400  # one row, or none
            if fmt == "svg":
                svg_root(r.content, 900, h)
            else:
                assert png_size(r.content) == (900, h)


# ---- distribution: one comparison row's samples; compare's height -------

ORANGE = (0xC2, 0x86, 0)      # the head's box (Okabe-Ito orange, darkened)


def dist(server, params, status=200, ext="png"):
    r = server.get(f"/p/alpha-q/charts/distribution.{ext}", params=params)
    assert r.status_code == status, r.text
    return r


def step_pair(server, base_ms=10.0, head_ms=13.0, n=3, branch="feature"):
    """A base run on main and a head run on another branch, n benchmarks
    with eight samples each; returns their ids."""
    def samples(v):
        return [v * (1 + 0.004 * (k % 4 - 1.5)) for k in range(8)]
    base = post_run(server, native_run(sha="d001", n=n, latency_ms=base_ms,
                                       samples=samples(base_ms)))
    head = native_run(sha="d002", n=n, latency_ms=head_ms,
                      samples=samples(head_ms))
    head["branch"] = branch
    return base, post_run(server, head)


def test_distribution_chart(server):
    base, head = step_pair(server)
    q = {"base": base, "head": head, "benchmark": "bench_0[size=0]",
         "measure": "latency"}
    r = dist(server, q)
    assert r.headers["Content-Type"] == "image/png"
    keep("e2e-distribution.png", r.content)
    img = Image(r.content)
    assert (img.w, img.h) == (560, 340)
    assert_margins(img, "distribution")
    assert img.ink(10, 5, 300, 25) > 30, "no title"
    # base (sky) left and low, head (orange) right and high: +30%
    assert img.colour(SKY, 40, 181, 280, 300) > 30
    assert img.colour(ORANGE, 280, 62, 550, 181) > 30
    assert img.colour(SKY, 280, 0, 560, 340) == 0
    assert img.colour(ORANGE, 0, 0, 280, 340) == 0
    assert img.colour(SKY, 0, 62, 560, 181) == 0, "base drawn high"
    assert img.colour(ORANGE, 0, 181, 560, 300) == 0, "head drawn low"
    # the same chart again: 304 without a body
    etag = r.headers["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    r2 = server.get("/p/alpha-q/charts/distribution.png", params=q,
                    headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    # one measure: it may be left out; the same samples, the same tag
    no_measure = {k: v for k, v in q.items() if k != "measure"}
    assert dist(server, no_measure).headers["ETag"] == etag
    # a reference resolves as the comparison's does, and the chart names
    # the runs by id: branch:main is the base run here
    assert dist(server, {**q, "base": "branch:main"}).headers["ETag"] == etag
    # another row, other samples
    assert dist(server, {**q, "benchmark": "bench_1[size=1]"}) \
        .headers["ETag"] != etag
    # HiDPI and sizes
    assert png_size(dist(server, {**q, "scale": 2}).content) == (1120, 680)
    assert png_size(dist(server, {**q, "width": 900,
                                  "height": 400}).content) == (900, 400)
    # SVG: .svg or format=svg, the same chart, its own tag
    s1 = dist(server, q, ext="svg")
    s2 = dist(server, {**q, "format": "svg"})
    for s in (s1, s2):
        assert s.headers["Content-Type"] == "image/svg+xml"
        root = svg_root(s.content, 560, 340)
        assert any(el.tag == SVG_NS + "path" for el in root.iter())
    assert s1.headers["ETag"] == s2.headers["ETag"] != etag
    problem = dist(server, {**q, "format": "png"}, status=400, ext="svg")
    assert "format" in problem.json()["detail"]


def test_distribution_pools_runs(server):
    """Several head runs are pooled as the comparison pools them."""
    base, head = step_pair(server)
    again = native_run(sha="d003", n=3, latency_ms=14,
                       samples=[14.0, 14.1, 13.9, 14.0])
    again["branch"] = "feature"
    head2 = post_run(server, again)
    q = {"base": base, "benchmark": "bench_0[size=0]", "measure": "latency"}
    one = dist(server, {**q, "head": head})
    both = dist(server, {**q, "head": f"{head},{head2}"})
    assert both.headers["ETag"] != one.headers["ETag"]
    keep("e2e-distribution-pooled.png", both.content)

    def head_extent(data):
        img = Image(data)
        rows = [y for y in range(62, 300)
                if img.colour(ORANGE, 280, y, 560, y + 1)]
        return rows[-1] - rows[0]
    # one head run is tight around 13 ms; pooled with the 14 ms run, its
    # box and whiskers span both
    assert head_extent(one.content) < 15
    assert head_extent(both.content) > 40


def test_distribution_errors(server):
    base, head = step_pair(server)
    q = {"base": base, "head": head, "benchmark": "bench_0[size=0]",
         "measure": "latency"}
    for missing in ("head", "benchmark"):
        r = dist(server, {k: v for k, v in q.items() if k != missing},
                 status=400)
        assert r.headers["Content-Type"] == "application/problem+json"
        assert f'"{missing}"' in r.json()["detail"]
    for params in ({**q, "benchmark": "nope"}, {**q, "measure": "memory"},
                   {**q, "head": 99999}, {**q, "base": "branch:nope"}):
        r = dist(server, params, status=404)
        assert r.headers["Content-Type"] == "application/problem+json"
        assert r.json()["status"] == 404 and r.json()["detail"]
    assert "no row" in dist(server, {**q, "benchmark": "nope"},
                            status=404).json()["detail"]
    r = server.get("/p/nope/charts/distribution.png", params=q)
    assert r.status_code == 404
    dist(server, {**q, "base": "bogus"}, status=400)
    dist(server, {**q, "width": "99999"}, status=400)
    dist(server, {**q, "format": "gif"}, status=400)
    # two measures and none named: which one is for the caller to say
    body = native_run(sha="d010", samples=[10.0, 10.2, 10.1])
    body["results"][0]["measures"]["throughput"] = {
        "unit": "ops/s", "value": 100, "samples": [99.0, 100.0, 101.0]}
    b2 = post_run(server, body)
    body["commit"]["sha"] = "d011"
    h2 = post_run(server, body)
    r = dist(server, {"base": b2, "head": h2,
                      "benchmark": "bench_0[size=0]"}, status=400)
    assert '"measure"' in r.json()["detail"]
    dist(server, {"base": b2, "head": h2, "benchmark": "bench_0[size=0]",
                  "measure": "throughput"})


def test_distribution_hostile_names_inert(server):
    for i, evil in enumerate(HOSTILE):
        ids = []
        for j in range(2):
            body = native_run(sha=f"x{i}{j}", latency_ms=10 + j,
                              samples=[10.0 + j, 10.5 + j, 11.0 + j])
            body["branch"] = evil
            body["results"][0]["benchmark"] = evil
            body["commit"]["time"] = f"2026-11-{i + 1:02d}T1{j}:00:00Z"
            ids.append(post_run(server, body))
        q = {"base": ids[0], "head": ids[1], "benchmark": evil + "[size=0]"}
        what = f"distribution with {evil!r}"
        png = dist(server, q)
        assert png_size(png.content) == (560, 340), what
        assert Image(png.content).ink(10, 5, 300, 25) > 30, what
        s = dist(server, q, ext="svg")
        assert_inert(svg_root(s.content, 560, 340), s.content, what)


def test_compare_height_follows_rows(server):
    def pair(n, sha):
        b = post_run(server, native_run(sha=sha + "b", n=n, latency_ms=10,
                                        samples=[10.0, 10.1, 9.9]))
        h = post_run(server, native_run(sha=sha + "h", n=n, latency_ms=12,
                                        samples=[12.0, 12.1, 11.9]))
        return {"base": b, "head": h}

    for n, height in ((1, 160), (3, 222), (10, 502), (120, 4000)):
        q = pair(n, f"n{n}")
        r = get_chart(server, "compare", q)
        assert png_size(r.content) == (900, height), n
        if n == 10:
            img = Image(r.content)
            keep("e2e-compare-10.png", r.content)
            # the last row is drawn just above the axis, its labels below
            assert img.ink(12, 62 + 9 * 40 + 10, 300, 62 + 9 * 40 + 30) > 20
            assert img.ink(0, 466, 900, 498) > 100
            assert img.ink(0, 498, 900, 502) == 0
        # an explicit height wins; scale doubles whatever height applies
        assert png_size(get_chart(server, "compare", {**q, "height": 400})
                        .content) == (900, 400)
        if n <= 10:
            assert png_size(get_chart(server, "compare", {**q, "scale": 2})
                            .content) == (1800, 2 * height)
            svg_root(get_chart(server, "compare", {**q, "format": "svg"})
                     .content, 900, height)
