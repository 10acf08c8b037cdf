/*
 * Chart routes: /p/{project}/charts/trend.png, trend.json, sparkline.png,
 * compare.png, distribution.png (also .svg), resources.png and
 * scaling.png.  A route reads its query, has service/charts.c gather the
 * chart's data (the static report calls the same), and answers with
 * render/'s picture; no store query, statistics or chart logic here.
 *
 * Charts are cached by content.  The ETag is a SHA-256 over everything the
 * picture depends on (svc_chart_key: the program's version and the
 * drawing code's RENDER_REVISION, the options, the labels and every
 * value), computed before drawing: a browser's If-None-Match that matches
 * costs one series query and a 304; a view from another client finds the
 * bytes in a small LRU cache shared by the worker threads, so only a
 * changed chart is drawn again.
 *
 * compare.png without a height is as tall as its rows need
 * (svc_chart_fit_height), not a fixed 400 px with blank space below a
 * short comparison.
 */
#include "render/render.h"
#include "server/server_int.h"

#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- options ------------------------------------------------------------- */

static bool opt_uint(struct req *rq, const char *name, int64_t min, int64_t max,
                     int64_t *v)
{
    const char *s = req_arg(rq, name);

    if (!s || !*s)
        return true;
    if (parse_int64(s, min, max, v) == ERR_OK)
        return true;
    req_query_problem(rq, name,
                      "expected an integer in [%lld, %lld], got "
                      "\"%.64s\"",
                      (long long)min, (long long)max, s);
    return false;
}

static bool chart_options(struct req *rq, struct chart_opts *o,
                          enum svc_chart_kind kind)
{
    unsigned dw, dh;
    int64_t w, h, scale = 1;
    const char *fmt = req_arg(rq, "format");

    svc_chart_size(kind, &dw, &dh);
    w = dw;
    h = dh;
    chart_opts_default(o);
    if (!opt_uint(rq, "width", 16, 4096, &w) ||
        !opt_uint(rq, "height", 16, 4096, &h) ||
        !opt_uint(rq, "scale", 1, 4, &scale))
        return false;
    o->width = (unsigned)w;
    o->height = (unsigned)h;
    o->scale = (double)scale;
    if (fmt && *fmt && strcmp(fmt, "png") && strcmp(fmt, "svg")) {
        req_query_problem(rq, "format", "png or svg");
        return false;
    }
    o->format = fmt && !strcmp(fmt, "svg") ? CHART_SVG : CHART_PNG;
    if (w * h * scale * scale > SVC_CHART_MAX_PIXELS) {
        req_problem_status(rq, 400, "chart too large");
        return false;
    }
    return true;
}

/* Answers a loader's failure: a bad reference or stat is the query's. */
static void chart_problem(struct req *rq, enum err e, const struct errbuf *eb)
{
    req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, eb);
}

/*
 * Answers 304 for a matching If-None-Match, the cached bytes for a known
 * ETag, else draws (and caches) c.  The ETag hashes svc_chart_key: every
 * input of the picture, computed before drawing.
 */
static void answer_drawn(struct req *rq, const struct svc_chart *c,
                         const struct chart_opts *o)
{
    const char *inm = req_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *ctype = o->format == CHART_SVG ? "image/svg+xml" : "image/png";
    unsigned char h[HASH_SHA256_LEN];
    char etag[2 * HASH_SHA256_LEN + 3];
    struct errbuf eb;
    struct buf key;
    enum err e;

    buf_init(&key, 0);
    svc_chart_key(c, o, &key);
    hash_sha256(key.data, key.len, h);
    buf_cleanup(&key);
    etag[0] = '"';
    hash_hex(h, 16, etag + 1); /* 128 bits are plenty for a cache key */
    etag[33] = '"';
    etag[34] = '\0';
    rq->etag = xstrdup(etag);
    rq->cache_control = "no-cache"; /* keep it, but revalidate */
    buf_reset(&rq->resp);
    if (inm && strstr(inm, etag)) {
        rq->status = 304;
        return;
    }
    if (byte_cache_get(rq->srv->charts, etag, &rq->resp, &ctype)) {
        rq->status = 200;
        rq->content_type = ctype;
        return;
    }
    err_init(&eb);
    e = svc_chart_draw(c, o, &rq->resp, &eb);
    if (e) {
        free(rq->etag);
        rq->etag = NULL;
        rq->cache_control = NULL;
        req_problem(rq, e, &eb);
    } else {
        rq->status = 200;
        rq->content_type = ctype;
        byte_cache_put(rq->srv->charts, etag, rq->resp.data, rq->resp.len,
                       ctype);
    }
    err_cleanup(&eb);
}

/*
 * Loads the trend of the series the query names (with its change points
 * when changes, the last points when last > 0) into c; answers itself on
 * failure.
 */
static bool load_series(struct req *rq, struct svc_chart *c, bool changes,
                        size_t last)
{
    struct store_project proj;
    struct store *st;
    struct store_series_query q = {0};
    struct errbuf eb;
    enum err e;

    memset(c, 0, sizeof *c);
    if (!srv_series_args(rq, &q))
        return false;
    st = srv_project_begin(rq, &proj);
    if (!st)
        return false;
    err_init(&eb);
    e = last ? svc_chart_sparkline(st, proj.id, &q, last, c, &eb)
             : svc_chart_trend(st, proj.id, &q, changes, c, &eb);
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e)
        chart_problem(rq, e, &eb);
    err_cleanup(&eb);
    return e == ERR_OK;
}

void route_chart_trend(struct req *rq)
{
    struct chart_opts o;
    struct svc_chart c;

    if (!chart_options(rq, &o, SVC_CHART_TREND) ||
        !load_series(rq, &c, true, 0))
        return;
    answer_drawn(rq, &c, &o);
    svc_chart_cleanup(&c);
}

/*
 * The trend chart's JSON sidecar, for the pages' tooltips: where each point
 * is drawn (chart_trend_points, CSS pixels of the chart at the same width
 * and height) and what to say about it, values already formatted so the
 * script formats nothing.  Missing values are left out.
 */
void route_chart_trend_points(struct req *rq)
{
    struct chart_opts o;
    struct svc_chart c;
    const struct series *sp = &c.series;
    struct errbuf eb;
    struct buf href;
    struct jw w;
    double *x, *y;
    char text[32], lo[32], hi[32], iso[TIME_ISO_LEN];

    if (!chart_options(rq, &o, SVC_CHART_TREND) ||
        !load_series(rq, &c, false, 0))
        return;
    x = xcalloc(sp->npoints ? sp->npoints : 1, sizeof *x);
    y = xcalloc(sp->npoints ? sp->npoints : 1, sizeof *y);
    err_init(&eb);
    buf_init(&href, 0);
    if (chart_trend_points(&o, sp, x, y, &eb) != ERR_OK) {
        req_problem_status(rq, 400, eb.msg);
        goto out;
    }
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "width", o.width);
    jw_kint(&w, "height", o.height);
    jw_key(&w, "points");
    jw_arr_begin(&w);
    for (size_t i = 0; i < sp->npoints; i++) {
        const struct series_point *p = &sp->points[i];

        if (isnan(x[i]))
            continue;
        jw_obj_begin(&w);
        jw_knum(&w, "x", round(x[i] * 10) / 10);
        jw_knum(&w, "y", round(y[i] * 10) / 10);
        jw_kint(&w, "run", p->run_id);
        buf_reset(&href);
        (void)buf_adds(&href, "/p/");
        (void)page_esc_segment(&href, rq->params[0]);
        (void)buf_printf(&href, "/runs/%lld", (long long)p->run_id);
        jw_kstr(&w, "href", buf_str(&href));
        jw_kstr(&w, "commit", p->commit_sha);
        time_format_iso(p->time, iso);
        jw_kstr(&w, "time", p->time == TIME_NONE ? NULL : iso);
        unit_format(text, sizeof text, p->value, sp->unit);
        jw_kstr(&w, "value", text);
        if (isfinite(p->lower) && isfinite(p->upper)) {
            unit_format(lo, sizeof lo, p->lower, sp->unit);
            unit_format(hi, sizeof hi, p->upper, sp->unit);
            buf_reset(&href);
            (void)buf_printf(&href, "%s \xe2\x80\xa6 %s", lo, hi);
            jw_kstr(&w, "ci", buf_str(&href));
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
out:
    free(x);
    free(y);
    buf_cleanup(&href);
    err_cleanup(&eb);
    svc_chart_cleanup(&c);
}

void route_chart_sparkline(struct req *rq)
{
    struct chart_opts o;
    struct svc_chart c;
    int64_t last = 30;

    if (!chart_options(rq, &o, SVC_CHART_SPARKLINE) ||
        !opt_uint(rq, "last", 2, 1000, &last) ||
        !load_series(rq, &c, false, (size_t)last))
        return;
    answer_drawn(rq, &c, &o);
    svc_chart_cleanup(&c);
}

void route_chart_resources(struct req *rq)
{
    struct chart_opts o;
    struct store_project proj;
    struct store *st;
    struct svc_chart c;
    struct errbuf eb;
    const char *arg = req_arg(rq, "run");
    int64_t id;
    enum err e;

    if (!chart_options(rq, &o, SVC_CHART_RESOURCES))
        return;
    if (!arg || parse_int64(arg, 1, INT64_MAX, &id) != ERR_OK) {
        req_query_problem(rq, "run", "a run id is required");
        return;
    }
    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    err_init(&eb);
    e = svc_chart_resources(st, proj.id, id, &c, &eb);
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e)
        req_problem(rq, e, &eb);
    else
        answer_drawn(rq, &c, &o);
    svc_chart_cleanup(&c);
    err_cleanup(&eb);
}

/* A query parameter that must be there; NULL after answering 400. */
static const char *required(struct req *rq, const char *name, const char *what)
{
    const char *v = req_arg(rq, name);

    if (v && *v)
        return v;
    req_query_problem(rq, name, "%s is required", what);
    return NULL;
}

void route_chart_compare(struct req *rq)
{
    struct chart_opts o;
    struct svc_compare_query q = {0};
    struct store *st = NULL;
    struct svc_chart c;
    struct errbuf eb;
    const char *h;
    enum err e;

    memset(&c, 0, sizeof c);
    if (!chart_options(rq, &o, SVC_CHART_COMPARE))
        return;
    q.project = rq->params[0];
    q.base = req_arg_set(rq, "base");
    q.head = required(rq, "head", "a run id, branch:NAME or commit:SHA");
    q.threshold = NAN;
    if (!q.head || !auth_check(rq, rq->route->access, rq->params[0]))
        return;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = svc_chart_compare(st, &q, &c, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        chart_problem(rq, e, &eb);
    } else {
        h = req_arg(rq, "height");
        if (!h || !*h) /* as tall as its rows need */
            svc_chart_fit_height(&c, &o);
        answer_drawn(rq, &c, &o);
    }
    svc_chart_cleanup(&c);
    err_cleanup(&eb);
}

void route_chart_scaling(struct req *rq)
{
    struct chart_opts o;
    struct store_project proj;
    struct store *st;
    struct svc_chart c;
    struct errbuf eb;
    const char *family = req_arg_set(rq, "benchmark");
    enum err e;

    if (!chart_options(rq, &o, SVC_CHART_SCALING))
        return;
    if (!family) {
        req_query_problem(rq, "benchmark",
                          "a benchmark family name is required");
        return;
    }
    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    err_init(&eb);
    e = svc_chart_scaling(st, proj.id, family, req_arg_set(rq, "param"),
                          req_arg_set(rq, "measure"), &c, &eb);
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e)
        req_problem(rq, e, &eb);
    else
        answer_drawn(rq, &c, &o);
    svc_chart_cleanup(&c);
    err_cleanup(&eb);
}

/* distribution.svg is SVG: a format that says otherwise is a mistake. */
static bool svg_only(struct req *rq, struct chart_opts *o)
{
    const char *fmt = req_arg(rq, "format");

    if (fmt && *fmt && strcmp(fmt, "svg")) {
        req_query_problem(rq, "format",
                          "distribution.svg is SVG; ask "
                          "distribution.png for a PNG");
        return false;
    }
    o->format = CHART_SVG;
    return true;
}

static void distribution(struct req *rq, bool svg)
{
    struct chart_opts o;
    struct svc_compare_query q = {0};
    struct svc_chart c;
    struct store *st = NULL;
    struct errbuf eb;
    const char *key, *measure = req_arg(rq, "measure");
    enum err e;

    memset(&c, 0, sizeof c);
    if (!chart_options(rq, &o, SVC_CHART_DISTRIBUTION) ||
        (svg && !svg_only(rq, &o)))
        return;
    q.project = rq->params[0];
    q.base = req_arg_set(rq, "base");
    q.threshold = NAN;
    q.head = required(rq, "head", "a run id, branch:NAME or commit:SHA");
    key = q.head ? required(rq, "benchmark", "a benchmark key") : NULL;
    if (!key || !auth_check(rq, rq->route->access, rq->params[0]))
        return;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = svc_chart_distribution(
            st, &q, key, measure && *measure ? measure : NULL, &c, &eb);
    srv_store_release(rq->srv, st);
    if (e)
        chart_problem(rq, e, &eb);
    else
        answer_drawn(rq, &c, &o);
    svc_chart_cleanup(&c);
    err_cleanup(&eb);
}

void route_chart_distribution(struct req *rq)
{
    distribution(rq, false);
}

void route_chart_distribution_svg(struct req *rq)
{
    distribution(rq, true);
}
