/*
 * Chart routes: /p/{project}/charts/trend.png, sparkline.png, compare.png,
 * distribution.png (also .svg), resources.png and scaling.png.
 *
 * Charts are cached by content.  The ETag is a SHA-256 over everything the
 * picture depends on (the program's version and the drawing code's
 * RENDER_REVISION, the options, the series' labels and every point),
 * computed from the series before drawing: a browser's If-None-Match that
 * matches costs one series query and a 304; a view from another client
 * finds the bytes in a small LRU cache shared by the worker threads, so
 * only a changed series is drawn again.
 *
 * compare.png without a height is as tall as its rows need
 * (chart_comparison_height), not a fixed 400 px with blank space below a
 * short comparison.  distribution.png shows one row of a comparison: its
 * sides resolve and its samples pool as the comparison's do
 * (svc_compare_samples), so the picture matches the verdict beside it.
 */
#include "render/render.h"
#include "server/server_int.h"

#include "analysis/analysis.h"

#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the cache ---------------------------------------------------------- */

struct chart_entry {
    char etag[2 * HASH_SHA256_LEN + 3]; /* quoted hex */
    char *data;                         /* owns */
    size_t len;
    const char *content_type;
    uint64_t used; /* LRU clock */
};

struct chart_cache {
    pthread_mutex_t lock;
    struct chart_entry *e;
    size_t n, max, bytes, max_bytes;
    uint64_t clock;
};

struct chart_cache *chart_cache_create(size_t max_entries, size_t max_bytes)
{
    struct chart_cache *c = xcalloc(1, sizeof *c);

    pthread_mutex_init(&c->lock, NULL);
    c->max = max_entries;
    c->max_bytes = max_bytes;
    c->e = xcalloc(max_entries, sizeof *c->e);
    return c;
}

void chart_cache_free(struct chart_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].data);
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Copies a hit into out; true when found. */
static bool cache_get(struct chart_cache *c, const char *etag, struct buf *out,
                      const char **ctype)
{
    bool hit = false;

    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->e[i].etag, etag) == 0) {
            c->e[i].used = ++c->clock;
            hit = buf_add(out, c->e[i].data, c->e[i].len) == ERR_OK;
            *ctype = c->e[i].content_type;
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void cache_put(struct chart_cache *c, const char *etag,
                      const struct buf *b, const char *ctype)
{
    size_t slot;

    if (b->len > c->max_bytes / 4)
        return;
    pthread_mutex_lock(&c->lock);
    /* Evict the least recently used until it fits. */
    while (c->n && (c->n == c->max || c->bytes + b->len > c->max_bytes)) {
        size_t old = 0;

        for (size_t i = 1; i < c->n; i++)
            if (c->e[i].used < c->e[old].used)
                old = i;
        c->bytes -= c->e[old].len;
        free(c->e[old].data);
        c->e[old] = c->e[--c->n];
    }
    slot = c->n++;
    memcpy(c->e[slot].etag, etag, strlen(etag) + 1);
    c->e[slot].data = xmalloc(b->len);
    memcpy(c->e[slot].data, b->data, b->len);
    c->e[slot].len = b->len;
    c->e[slot].content_type = ctype;
    c->e[slot].used = ++c->clock;
    c->bytes += b->len;
    pthread_mutex_unlock(&c->lock);
}

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

/* The most device pixels a chart may have (4096 x 4096). */
#define MAX_PIXELS (4096 * 4096)

static bool chart_options(struct req *rq, struct chart_opts *o, unsigned dw,
                          unsigned dh)
{
    int64_t w = dw, h = dh, scale = 1;
    const char *fmt = req_arg(rq, "format");

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
    if (w * h * scale * scale > MAX_PIXELS) {
        req_problem_status(rq, 400, "chart too large");
        return false;
    }
    return true;
}

/* The ETag of a chart: everything that changes its pixels. */
static void chart_etag(const char *kind, const struct chart_opts *o,
                       const struct series *s, const struct chart_change *ch,
                       size_t nch, char *out)
{
    struct buf b;
    unsigned char h[HASH_SHA256_LEN];

    buf_init(&b, 0);
    (void)buf_printf(&b, "%s|%s|r%d|%u|%u|%g|%d|%s|%s|%s|%s|%s|%zu|", kind,
                     BV_VERSION, RENDER_REVISION, o->width, o->height, o->scale,
                     o->format, s->benchmark_key ? s->benchmark_key : "",
                     s->measure ? s->measure : "", s->unit ? s->unit : "",
                     s->branch ? s->branch : "", s->testbed ? s->testbed : "",
                     s->npoints);
    for (size_t i = 0; i < s->npoints; i++) {
        const struct series_point *p = &s->points[i];

        (void)buf_add(&b, &p->run_id, sizeof p->run_id);
        (void)buf_add(&b, &p->time, sizeof p->time);
        (void)buf_add(&b, &p->value, sizeof p->value);
        (void)buf_add(&b, &p->lower, sizeof p->lower);
        (void)buf_add(&b, &p->upper, sizeof p->upper);
    }
    for (size_t i = 0; i < nch; i++) /* settings can move them */
        (void)buf_printf(&b, "|cp%zu%c", ch[i].index, ch[i].alert ? 'a' : 'c');
    hash_sha256(b.data, b.len, h);
    out[0] = '"';
    hash_hex(h, 16, out + 1); /* 128 bits are plenty for a cache key */
    out[33] = '"';
    out[34] = '\0';
    buf_cleanup(&b);
}

/*
 * Loads the series named by the query, and with ch its change points (a
 * regression's marked as an alert), computed as the series endpoint does;
 * answers itself on failure.
 */
static bool load_series(struct req *rq, struct series *s,
                        struct chart_change **ch, size_t *nch)
{
    struct store_project proj;
    struct store *st;
    struct store_series_query q = {0};
    struct errbuf eb;
    enum err e;

    memset(s, 0, sizeof *s);
    if (!srv_series_args(rq, &q))
        return false;
    st = srv_project_begin(rq, &proj);
    if (!st)
        return false;
    err_init(&eb);
    e = store_series_get(st, proj.id, &q, s, &eb);
    if (!e && ch) {
        struct an_cp *cps = NULL;
        size_t ncps = 0;

        svc_series_change_points(st, proj.id, s, &cps, &ncps);
        *ch = xcalloc(ncps ? ncps : 1, sizeof **ch);
        *nch = ncps;
        for (size_t i = 0; i < ncps; i++) {
            (*ch)[i].index = cps[i].index;
            (*ch)[i].alert = direction_worse(s->direction, cps[i].before_mean,
                                             cps[i].after_mean);
        }
        free(cps);
    }
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e)
        req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, &eb);
    err_cleanup(&eb);
    return e == ERR_OK;
}

/* Draws a chart into out: the part of answering that differs by kind. */
typedef enum err (*chart_draw_fn)(const struct chart_opts *o, const void *ctx,
                                  struct buf *out, struct errbuf *eb);

/* Answers 304 for a matching If-None-Match, the cached bytes for a known
 * ETag, else draws (and caches) the chart. */
static void answer_drawn(struct req *rq, const char *etag,
                         const struct chart_opts *o, chart_draw_fn draw,
                         const void *ctx)
{
    const char *inm = req_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *ctype = o->format == CHART_SVG ? "image/svg+xml" : "image/png";
    struct errbuf eb;
    enum err e;

    rq->etag = xstrdup(etag);
    rq->cache_control = "no-cache"; /* keep it, but revalidate */
    buf_reset(&rq->resp);
    if (inm && strstr(inm, etag)) {
        rq->status = 304;
        return;
    }
    if (cache_get(rq->srv->charts, etag, &rq->resp, &ctype)) {
        rq->status = 200;
        rq->content_type = ctype;
        return;
    }
    err_init(&eb);
    e = draw(o, ctx, &rq->resp, &eb);
    if (e) {
        free(rq->etag);
        rq->etag = NULL;
        rq->cache_control = NULL;
        req_problem(rq, e, &eb);
    } else {
        rq->status = 200;
        rq->content_type = ctype;
        cache_put(rq->srv->charts, etag, &rq->resp, ctype);
    }
    err_cleanup(&eb);
}

struct trend_ctx {
    const struct series *s;
    const struct chart_change *ch;
    size_t nch;
};

static enum err draw_trend(const struct chart_opts *o, const void *ctx,
                           struct buf *out, struct errbuf *eb)
{
    const struct trend_ctx *t = ctx;

    return chart_trend_draw(o, t->s, t->ch, t->nch, out, eb);
}

static enum err draw_sparkline(const struct chart_opts *o, const void *ctx,
                               struct buf *out, struct errbuf *eb)
{
    const struct series *s = ctx;
    double *v = xcalloc(s->npoints ? s->npoints : 1, sizeof *v);
    enum err e;

    for (size_t i = 0; i < s->npoints; i++)
        v[i] = s->points[i].value;
    e = chart_sparkline_draw(o, v, s->npoints, out, eb);
    free(v);
    return e;
}

/* The ETag of a chart drawn from bytes b (the inputs, serialised). */
static void etag_of(struct buf *b, char *out)
{
    unsigned char h[HASH_SHA256_LEN];

    hash_sha256(b->data, b->len, h);
    out[0] = '"';
    hash_hex(h, 16, out + 1);
    out[33] = '"';
    out[34] = '\0';
}

static void etag_head(struct buf *b, const char *kind,
                      const struct chart_opts *o)
{
    (void)buf_printf(b, "%s|%s|r%d|%u|%u|%g|%d|", kind, BV_VERSION,
                     RENDER_REVISION, o->width, o->height, o->scale, o->format);
}

void route_chart_trend(struct req *rq)
{
    struct chart_opts o;
    struct series s;
    struct chart_change *ch = NULL;
    struct trend_ctx ctx;
    size_t nch = 0;
    char etag[2 * HASH_SHA256_LEN + 3];

    if (!chart_options(rq, &o, 900, 400) || !load_series(rq, &s, &ch, &nch))
        return;
    chart_etag("trend", &o, &s, ch, nch, etag);
    ctx.s = &s;
    ctx.ch = ch;
    ctx.nch = nch;
    answer_drawn(rq, etag, &o, draw_trend, &ctx);
    free(ch);
    series_cleanup(&s);
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
    struct series s;
    struct errbuf eb;
    struct buf href;
    struct jw w;
    double *x, *y;
    char text[32], lo[32], hi[32], iso[TIME_ISO_LEN];

    if (!chart_options(rq, &o, 900, 400) || !load_series(rq, &s, NULL, NULL))
        return;
    x = xcalloc(s.npoints ? s.npoints : 1, sizeof *x);
    y = xcalloc(s.npoints ? s.npoints : 1, sizeof *y);
    err_init(&eb);
    buf_init(&href, 0);
    if (chart_trend_points(&o, &s, x, y, &eb) != ERR_OK) {
        req_problem_status(rq, 400, eb.msg);
        goto out;
    }
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "width", o.width);
    jw_kint(&w, "height", o.height);
    jw_key(&w, "points");
    jw_arr_begin(&w);
    for (size_t i = 0; i < s.npoints; i++) {
        const struct series_point *p = &s.points[i];

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
        unit_format(text, sizeof text, p->value, s.unit);
        jw_kstr(&w, "value", text);
        if (isfinite(p->lower) && isfinite(p->upper)) {
            unit_format(lo, sizeof lo, p->lower, s.unit);
            unit_format(hi, sizeof hi, p->upper, s.unit);
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
    series_cleanup(&s);
}

struct spark_values {
    const double *v;
    size_t n;
};

static enum err draw_spark_values(const struct chart_opts *o, const void *ctx,
                                  struct buf *out, struct errbuf *eb)
{
    const struct spark_values *sv = ctx;

    return chart_sparkline_draw(o, sv->v, sv->n, out, eb);
}

/*
 * A sparkline from the series' summary (svc_spark_get): one row read, an
 * ETag from what the picture shows, so a dashboard of 1,000 sparklines
 * costs 1,000 index probes however long the histories are.  false: the
 * summary cannot answer, read the full series.
 */
static bool sparkline_from_summary(struct req *rq, const struct chart_opts *o,
                                   int64_t last)
{
    struct store_series_query q;
    struct store_project proj;
    struct svc_spark sp;
    struct spark_values sv;
    struct errbuf eb;
    struct buf b;
    struct store *st;
    char etag[2 * HASH_SHA256_LEN + 3];
    bool answered = false;
    enum err e;

    if (!srv_series_args(rq, &q))
        return true; /* answered 400 */
    st = srv_project_begin(rq, &proj);
    if (!st)
        return true; /* answered */
    err_init(&eb);
    e = svc_spark_get(st, proj.id, &q, (size_t)last, &sp, &answered, &eb);
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e || !answered) {
        err_cleanup(&eb);
        return false;
    }
    buf_init(&b, 0);
    etag_head(&b, "sparkline-summary", o);
    (void)buf_printf(&b, "%s|%s|%s|%s|%s|%lld|%lld|%zu|", sp.key, sp.measure,
                     sp.unit, sp.branch, sp.testbed, (long long)sp.npoints,
                     (long long)sp.last_run_id, sp.n);
    (void)buf_add(&b, sp.v, sp.n * sizeof sp.v[0]);
    etag_of(&b, etag);
    sv.v = sp.v;
    sv.n = sp.n;
    answer_drawn(rq, etag, o, draw_spark_values, &sv);
    buf_cleanup(&b);
    svc_spark_cleanup(&sp);
    err_cleanup(&eb);
    return true;
}

void route_chart_sparkline(struct req *rq)
{
    struct chart_opts o;
    struct series s;
    char etag[2 * HASH_SHA256_LEN + 3];
    int64_t last = 30;

    if (!chart_options(rq, &o, 120, 24) ||
        !opt_uint(rq, "last", 2, 1000, &last) ||
        sparkline_from_summary(rq, &o, last) ||
        !load_series(rq, &s, NULL, NULL))
        return;
    if (s.npoints > (size_t)last) { /* only the newest points */
        size_t drop = s.npoints - (size_t)last;

        for (size_t i = 0; i < drop; i++)
            free(s.points[i].commit_sha);
        memmove(s.points, s.points + drop, (size_t)last * sizeof *s.points);
        s.npoints = (size_t)last;
    }
    chart_etag("sparkline", &o, &s, NULL, 0, etag);
    answer_drawn(rq, etag, &o, draw_sparkline, &s);
    series_cleanup(&s);
}

/* ---- resources: one run's samples --------------------------------------- */

struct resources_ctx {
    const struct run *run;
    char title[200];
};

static enum err draw_resources(const struct chart_opts *o, const void *ctx,
                               struct buf *out, struct errbuf *eb)
{
    const struct resources_ctx *r = ctx;

    return chart_resources_draw(o, r->title, r->run->resources,
                                r->run->nresources, out, eb);
}

void route_chart_resources(struct req *rq)
{
    struct chart_opts o;
    struct store_project proj;
    struct store *st;
    struct run run;
    struct resources_ctx ctx;
    struct errbuf eb;
    struct buf b;
    char etag[2 * HASH_SHA256_LEN + 3];
    const char *arg = req_arg(rq, "run");
    int64_t id;
    enum err e;

    if (!chart_options(rq, &o, 900, 400))
        return;
    if (!arg || parse_int64(arg, 1, INT64_MAX, &id) != ERR_OK) {
        req_query_problem(rq, "run", "a run id is required");
        return;
    }
    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    err_init(&eb);
    run_init(&run);
    e = store_run_get(st, proj.id, id, &run, &eb);
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e) {
        req_problem(rq, e, &eb);
    } else {
        snprintf(ctx.title, sizeof ctx.title,
                 "run %lld \xc2\xb7 %s \xc2\xb7 resources", (long long)id,
                 run.branch ? run.branch : "?");
        ctx.run = &run;
        buf_init(&b, 0);
        etag_head(&b, "resources", &o);
        (void)buf_printf(&b, "%s|%zu|", ctx.title, run.nresources);
        (void)buf_add(&b, run.resources,
                      run.nresources * sizeof *run.resources);
        etag_of(&b, etag);
        buf_cleanup(&b);
        answer_drawn(rq, etag, &o, draw_resources, &ctx);
    }
    run_cleanup(&run);
    err_cleanup(&eb);
}

/* ---- compare: every benchmark of two runs (or branches) ------------------ */

struct compare_ctx {
    struct chart_cmp_row *rows;
    size_t n;
    double threshold;
    char title[300];
};

static enum err draw_compare(const struct chart_opts *o, const void *ctx,
                             struct buf *out, struct errbuf *eb)
{
    const struct compare_ctx *c = ctx;

    return chart_comparison_draw(o, c->title, c->rows, c->n, c->threshold, out,
                                 eb);
}

/* A bare run id ("12", "12,13") reads better as "run 12". */
static bool ref_is_run(const char *ref)
{
    return ref[strspn(ref, "0123456789,")] == '\0';
}

/* Fills c's rows (names[i] owns row i's label) from the comparison. */
static void compare_rows(const struct svc_compare *cmp, struct compare_ctx *c,
                         char **names)
{
    for (size_t i = 0; i < c->n; i++) {
        const char *key, *measure;
        double ci[2], th;
        int v;

        svc_compare_row(cmp, i, &key, &measure, &c->rows[i].change, ci, &v,
                        &th);
        /* The measure only when it is not the usual one: keys stay short. */
        names[i] = measure && strcmp(measure, "latency")
                       ? xasprintf("%s (%s)", key ? key : "?", measure)
                       : xstrdup(key ? key : "?");
        c->rows[i].key = names[i];
        c->rows[i].ci_lo = ci[0];
        c->rows[i].ci_hi = ci[1];
        c->rows[i].verdict = v == AN_REGRESSED      ? CHART_REGRESSED
                             : v == AN_IMPROVED     ? CHART_IMPROVED
                             : v == AN_INCONCLUSIVE ? CHART_INCONCLUSIVE
                                                    : CHART_UNCHANGED;
        if (i == 0 || th > c->threshold)
            c->threshold = th; /* the widest band: no row hides in it */
    }
    if (!isfinite(c->threshold))
        c->threshold = 0;
}

/* Without a height in the query, as tall as the rows need (the top
 * comment), within the pixels chart_options allows. */
static void compare_height(struct req *rq, struct chart_opts *o,
                           const struct compare_ctx *c)
{
    const char *h = req_arg(rq, "height");
    double max = MAX_PIXELS / ((double)o->width * o->scale * o->scale);

    if (h && *h)
        return;
    o->height = chart_comparison_height(c->rows, c->n);
    if (o->height > max)
        o->height = (unsigned)max;
}

static void compare_etag(const struct chart_opts *o,
                         const struct compare_ctx *c, char *etag)
{
    struct buf b;

    buf_init(&b, 0);
    etag_head(&b, "compare", o);
    (void)buf_printf(&b, "%s|%zu|", c->title, c->n);
    (void)buf_add(&b, &c->threshold, sizeof c->threshold);
    for (size_t i = 0; i < c->n; i++) {
        const struct chart_cmp_row *r = &c->rows[i];

        (void)buf_printf(&b, "%s|%d|", r->key, (int)r->verdict);
        (void)buf_add(&b, &r->change, sizeof r->change);
        (void)buf_add(&b, &r->ci_lo, sizeof r->ci_lo);
        (void)buf_add(&b, &r->ci_hi, sizeof r->ci_hi);
    }
    etag_of(&b, etag);
    buf_cleanup(&b);
}

void route_chart_compare(struct req *rq)
{
    struct chart_opts o;
    struct svc_compare_query q = {0};
    struct svc_compare *cmp = NULL;
    struct store *st = NULL;
    struct compare_ctx ctx = {0};
    char **names = NULL;
    struct errbuf eb;
    char etag[2 * HASH_SHA256_LEN + 3];
    enum err e;

    if (!chart_options(rq, &o, 900, 400))
        return;
    q.project = rq->params[0];
    q.base = req_arg_set(rq, "base");
    q.head = req_arg(rq, "head");
    q.threshold = NAN;
    if (!q.head || !*q.head) {
        req_query_problem(rq, "head",
                          "a run id, branch:NAME or commit:SHA "
                          "is required");
        return;
    }
    if (!auth_check(rq, rq->route->access, rq->params[0]))
        return;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = svc_compare_create(st, &q, &cmp, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, &eb);
        err_cleanup(&eb);
        return;
    }
    ctx.n = svc_compare_nrows(cmp);
    ctx.rows = xcalloc(ctx.n ? ctx.n : 1, sizeof *ctx.rows);
    names = xcalloc(ctx.n ? ctx.n : 1, sizeof *names);
    snprintf(ctx.title, sizeof ctx.title, "%s%s vs %s%s",
             ref_is_run(q.head) ? "run " : "", q.head,
             q.base && ref_is_run(q.base) ? "run " : "",
             q.base ? q.base : "its base");
    compare_rows(cmp, &ctx, names);
    compare_height(rq, &o, &ctx);
    compare_etag(&o, &ctx, etag);
    answer_drawn(rq, etag, &o, draw_compare, &ctx);
    for (size_t i = 0; i < ctx.n; i++)
        free(names[i]);
    free(names);
    free(ctx.rows);
    svc_compare_free(cmp);
    err_cleanup(&eb);
}

/* ---- scaling: a benchmark family against its one numeric parameter ------ */

struct scaling_ctx {
    double *n, *t;
    size_t count;
    const char *unit, *cls;
    double coef;
    char title[300];
};

static enum err draw_scaling(const struct chart_opts *o, const void *ctx,
                             struct buf *out, struct errbuf *eb)
{
    const struct scaling_ctx *c = ctx;

    return chart_scaling_draw(o, c->title, c->unit, c->n, c->t, c->count,
                              c->cls, c->coef, out, eb);
}

void route_chart_scaling(struct req *rq)
{
    struct chart_opts o;
    struct store_project proj;
    struct store *st;
    struct svc_scaling sc;
    struct scaling_ctx ctx = {0};
    struct an_scaling fit;
    struct errbuf eb;
    struct buf b;
    char etag[2 * HASH_SHA256_LEN + 3];
    const char *family = req_arg_set(rq, "benchmark");
    const char *param = req_arg_set(rq, "param");
    const char *measure = req_arg_set(rq, "measure");
    enum err e;

    if (!chart_options(rq, &o, 900, 400))
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
    e = svc_scaling_load(st, proj.id, family, param, measure, &sc, &eb);
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    if (sc.count == 0) {
        req_problem_status(rq, 404,
                           "no benchmark of that family with one "
                           "numeric parameter and this measure");
        goto out;
    }
    ctx.n = sc.n;
    ctx.t = sc.t;
    ctx.count = sc.count;
    ctx.unit = sc.unit;
    ctx.coef = NAN;
    if (an_scaling_fit(ctx.n, ctx.t, ctx.count, &fit, &eb) == ERR_OK) {
        ctx.cls = an_complexity_str(fit.best);
        ctx.coef = fit.coefficient[fit.best];
    }
    snprintf(ctx.title, sizeof ctx.title, "%s \xc2\xb7 %s", family,
             measure ? measure : "latency");
    buf_init(&b, 0);
    etag_head(&b, "scaling", &o);
    (void)buf_printf(&b, "%s|%s|%s|%zu|", ctx.title, sc.unit ? sc.unit : "",
                     ctx.cls ? ctx.cls : "", ctx.count);
    (void)buf_add(&b, ctx.n, ctx.count * sizeof *ctx.n);
    (void)buf_add(&b, ctx.t, ctx.count * sizeof *ctx.t);
    (void)buf_add(&b, &ctx.coef, sizeof ctx.coef);
    etag_of(&b, etag);
    buf_cleanup(&b);
    answer_drawn(rq, etag, &o, draw_scaling, &ctx);
out:
    svc_scaling_cleanup(&sc);
    err_cleanup(&eb);
}

/* ---- distribution: one row of a comparison, its samples ----------------- */

struct distribution_ctx {
    const struct svc_row_samples *s;
    char title[600];
};

static enum err draw_distribution(const struct chart_opts *o, const void *ctx,
                                  struct buf *out, struct errbuf *eb)
{
    const struct distribution_ctx *d = ctx;

    return chart_distribution_draw(o, d->title, d->s->unit, d->s->base,
                                   d->s->nbase, d->s->head, d->s->nhead, out,
                                   eb);
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

static void distribution_etag(const struct chart_opts *o,
                              const struct distribution_ctx *d, char *etag)
{
    const struct svc_row_samples *s = d->s;
    struct buf b;

    buf_init(&b, 0);
    etag_head(&b, "distribution", o);
    (void)buf_printf(&b, "%s|%s|%zu|", d->title, s->unit ? s->unit : "",
                     s->nbase);
    (void)buf_add(&b, s->base, s->nbase * sizeof *s->base);
    (void)buf_printf(&b, "|%zu|", s->nhead);
    (void)buf_add(&b, s->head, s->nhead * sizeof *s->head);
    etag_of(&b, etag);
    buf_cleanup(&b);
}

static void distribution(struct req *rq, bool svg)
{
    struct chart_opts o;
    struct svc_compare_query q = {0};
    struct svc_row_samples s;
    struct distribution_ctx ctx;
    struct store *st = NULL;
    struct errbuf eb;
    char etag[2 * HASH_SHA256_LEN + 3];
    const char *key, *measure = req_arg(rq, "measure");
    enum err e;

    if (!chart_options(rq, &o, SRV_DIST_WIDTH, SRV_DIST_HEIGHT) ||
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
        e = svc_compare_samples(st, &q, key,
                                measure && *measure ? measure : NULL, &s, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, &eb);
        err_cleanup(&eb);
        return;
    }
    snprintf(ctx.title, sizeof ctx.title,
             "%s \xc2\xb7 %s \xc2\xb7 run%s %s vs run%s %s", key, s.measure,
             strchr(s.head_runs, ',') ? "s" : "", s.head_runs,
             strchr(s.base_runs, ',') ? "s" : "", s.base_runs);
    ctx.s = &s;
    distribution_etag(&o, &ctx, etag);
    answer_drawn(rq, etag, &o, draw_distribution, &ctx);
    svc_row_samples_cleanup(&s);
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
