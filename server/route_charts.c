/*
 * Chart routes: /p/{project}/charts/trend.png and .../sparkline.png.
 *
 * Charts are cached by content.  The ETag is a SHA-256 over everything the
 * picture depends on (the renderer's version, the options, the series'
 * labels and every point), computed from the series before drawing: a
 * browser's If-None-Match that matches costs one series query and a 304;
 * a view from another client finds the bytes in a small LRU cache shared by
 * the worker threads, so only a changed series is drawn again.
 */
#include "render/render.h"
#include "server/server_int.h"

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
    uint64_t used;                      /* LRU clock */
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
static bool cache_get(struct chart_cache *c, const char *etag,
                      struct buf *out, const char **ctype)
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

static bool opt_uint(struct req *rq, const char *name, int64_t min,
                     int64_t max, int64_t *v)
{
    const char *s = req_arg(rq, name);
    char msg[160];

    if (!s || !*s)
        return true;
    if (parse_int64(s, min, max, v) == ERR_OK)
        return true;
    snprintf(msg, sizeof msg, "query parameter \"%s\": expected an integer "
             "in [%lld, %lld]", name, (long long)min, (long long)max);
    req_problem_status(rq, 400, msg);
    return false;
}

static bool chart_options(struct req *rq, struct chart_opts *o,
                          unsigned dw, unsigned dh)
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
        req_problem_status(rq, 400, "query parameter \"format\": png or svg");
        return false;
    }
    o->format = fmt && !strcmp(fmt, "svg") ? CHART_SVG : CHART_PNG;
    if (w * h * scale * scale > 4096 * 4096) {
        req_problem_status(rq, 400, "chart too large");
        return false;
    }
    return true;
}

/* The ETag of a chart: everything that changes its pixels. */
static void chart_etag(const char *kind, const struct chart_opts *o,
                       const struct series *s, char *out)
{
    struct buf b;
    unsigned char h[HASH_SHA256_LEN];

    buf_init(&b, 0);
    (void)buf_printf(&b, "%s|%s|%u|%u|%g|%d|%s|%s|%s|%s|%s|%zu|", kind,
                     BV_VERSION, o->width, o->height, o->scale, o->format,
                     s->benchmark_key ? s->benchmark_key : "",
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
    hash_sha256(b.data, b.len, h);
    out[0] = '"';
    hash_hex(h, 16, out + 1); /* 128 bits are plenty for a cache key */
    out[33] = '"';
    out[34] = '\0';
    buf_cleanup(&b);
}

/* Loads the series named by the query; answers itself on failure. */
static bool load_series(struct req *rq, struct series *s)
{
    struct store_project proj;
    struct store *st;
    struct store_series_query q = {0};
    struct errbuf eb;
    enum err e;

    memset(s, 0, sizeof *s);
    q.benchmark = req_arg(rq, "benchmark");
    if (!q.benchmark || !*q.benchmark) {
        req_problem_status(rq, 400, "query parameter \"benchmark\" (a "
                           "benchmark key or id) is required");
        return false;
    }
    q.measure = req_arg(rq, "measure");
    q.branch = req_arg(rq, "branch");
    q.testbed = req_arg(rq, "testbed");
    q.stat = req_arg(rq, "stat");
    if (q.measure && !*q.measure)
        q.measure = NULL;
    if (q.branch && !*q.branch)
        q.branch = NULL;
    if (q.testbed && !*q.testbed)
        q.testbed = NULL;
    if (q.stat && !*q.stat)
        q.stat = NULL;
    st = srv_project_begin(rq, &proj);
    if (!st)
        return false;
    err_init(&eb);
    e = store_series_get(st, proj.id, &q, s, &eb);
    srv_store_release(rq->srv, st);
    store_project_cleanup(&proj);
    if (e)
        req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, &eb);
    err_cleanup(&eb);
    return e == ERR_OK;
}

static void answer_chart(struct req *rq, const char *etag,
                         const struct chart_opts *o, const char *kind,
                         const struct series *s)
{
    const char *inm = req_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *ctype = o->format == CHART_SVG ? "image/svg+xml"
                                               : "image/png";
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
    if (!strcmp(kind, "trend")) {
        e = chart_trend_draw(o, s, NULL, 0, &rq->resp, &eb);
    } else {
        double *v = xcalloc(s->npoints ? s->npoints : 1, sizeof *v);

        for (size_t i = 0; i < s->npoints; i++)
            v[i] = s->points[i].value;
        e = chart_sparkline_draw(o, v, s->npoints, &rq->resp, &eb);
        free(v);
    }
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

void route_chart_trend(struct req *rq)
{
    struct chart_opts o;
    struct series s;
    char etag[2 * HASH_SHA256_LEN + 3];

    if (!chart_options(rq, &o, 900, 400) || !load_series(rq, &s))
        return;
    chart_etag("trend", &o, &s, etag);
    answer_chart(rq, etag, &o, "trend", &s);
    series_cleanup(&s);
}

void route_chart_sparkline(struct req *rq)
{
    struct chart_opts o;
    struct series s;
    char etag[2 * HASH_SHA256_LEN + 3];
    int64_t last = 30;

    if (!chart_options(rq, &o, 120, 24) ||
        !opt_uint(rq, "last", 2, 1000, &last) || !load_series(rq, &s))
        return;
    if (s.npoints > (size_t)last) { /* only the newest points */
        size_t drop = s.npoints - (size_t)last;

        for (size_t i = 0; i < drop; i++)
            free(s.points[i].commit_sha);
        memmove(s.points, s.points + drop, (size_t)last * sizeof *s.points);
        s.npoints = (size_t)last;
    }
    chart_etag("sparkline", &o, &s, etag);
    answer_chart(rq, etag, &o, "sparkline", &s);
    series_cleanup(&s);
}
