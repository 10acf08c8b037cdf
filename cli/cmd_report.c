/*
 * benchvault report --db PATH --project P --out DIR: a static HTML site with
 * PNG charts that works from file:// and any static host, written with
 * networking off: no server, no HTTP, no HTML parsed.
 *
 * Design notes:
 *  1. The report is the server's own pages, not a second renderer: each
 *     page's data comes from service/ (service/pages.c, service/charts.c)
 *     and its bytes from render/'s writers, as the server's routes do, so
 *     a saved page is the page the server answers in static mode (the
 *     header "X-Benchvault-Static: 1", server/page_int.h) apart from its
 *     links.  tests/e2e/test_report.py compares them byte for byte.
 *  2. Links: the writers hand every link's server path to a link builder
 *     (render/page.h); the report's maps it to a relative file name
 *     (file_for), writes that as the href and queues the target.  So the
 *     site holds exactly what its pages link, and nothing is rewritten.
 *     The pages are written with live = false: no <form> (nothing answers
 *     one from file://); the benchmark page's branch and testbed choices
 *     are links, so every view is saved; the dashboard has no search, the
 *     alerts page is read-only, and the header does not link the compare
 *     form.  A run's comparison with its base links its full comparison,
 *     which is saved as a compare page.
 *  3. A queued target is written from its path: the route (dashboard,
 *     alerts, benchmark, run, compare, a chart, the stylesheet) and its
 *     query, which a page built from percent-encoded parts (decoded here).
 *     A target that cannot be made (a chart without data) is reported and
 *     skipped; a file that cannot be written stops the report.
 *  4. Bounds: at most REPORT_MAX_FILES files; a link past the bound keeps
 *     its server path, and the report says it stopped early.
 *  5. "/" (the projects list) is the project's dashboard: the site is one
 *     project's.
 *
 * File names: /p/P -> index.html, /p/P/benchmarks/3 -> benchmarks/3.html,
 * /p/P/runs/7 -> runs/7.html, /p/P/alerts -> alerts.html, charts ->
 * charts/KIND-HASH.png, a page with a query -> NAME-HASH.html (HASH: the
 * first 12 hex digits of the path's SHA-256).
 */
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "render/page.h"
#include "render/render.h"
#include "service/service.h"
#include "store/store.h"
#include "web/web.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_MAX_FILES 20000
#define REPORT_INDEX                                                           \
    65536 /* slots of the queue's index: a power of two,                       \
             over twice REPORT_MAX_FILES */
#define REPORT_PAGE_MAX (64u << 20) /* the largest page or chart */

static const struct cli_opt opts[] = {
    {"db", OPT_STR, 0, 0, "./benchvault.db", "BENCHVAULT_DB", "PATH",
     "database to report on"},
    {"project", OPT_STR, 0, 0, NULL, "BENCHVAULT_PROJECT", "SLUG",
     "project (required)"},
    {"out", OPT_STR, 0, 0, NULL, NULL, "DIR", "output folder (created)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

struct item {
    char *path; /* owns: the server path with its query, as a page wrote it */
    char *file; /* owns: its file in the report */
};

struct report {
    struct store *st; /* borrowed */
    struct store_project proj;
    const char *out;
    char *prefix; /* owns: "/p/SLUG", the slug percent-encoded */
    struct item *items;
    size_t n, done;
    size_t *index;    /* owns, REPORT_INDEX slots (queue) */
    const char *from; /* the file being written: links are relative to it */
    struct page_links links;
    size_t skipped;
    bool tty;
    bool truncated; /* a link was left out at REPORT_MAX_FILES */
};

/* ---- paths, files and links (notes 2, 4) -------------------------------- */

static void short_hash(const char *s, char out[13])
{
    unsigned char h[HASH_SHA256_LEN];

    hash_sha256(s, strlen(s), h);
    hash_hex(h, 6, out);
}

/* The report file for a server path, or NULL when it is not ours. */
static char *file_for(const struct report *r, const char *path)
{
    size_t pl = strlen(r->prefix);
    const char *q = strchr(path, '?');
    size_t pathlen = q ? (size_t)(q - path) : strlen(path);
    char h[13], *sub, *file = NULL;

    if (!strcmp(path, "/static/style.css"))
        return xstrdup("static/style.css");
    if (!strcmp(path, "/"))
        return xstrdup("index.html"); /* the site is one project's */
    if (strncmp(path, r->prefix, pl) ||
        (path[pl] && path[pl] != '/' && path[pl] != '?'))
        return NULL;
    sub = xstrndup(path + pl, pathlen - pl); /* "", "/runs/7", ... */
    short_hash(path, h);
    if (!strncmp(sub, "/charts/", 8)) {
        const char *kind = sub + 8;

        file = xasprintf("charts/%.*s-%s%s", (int)strcspn(kind, "."), kind, h,
                         strstr(kind, ".svg") ? ".svg" : ".png");
    } else if (!strcmp(sub, "") || !strcmp(sub, "/")) {
        file = q ? xasprintf("index-%s.html", h) : xstrdup("index.html");
    } else {
        /* /benchmarks/3 -> benchmarks/3.html; only safe characters. */
        bool ok = true;

        for (const char *p = sub + 1; *p; p++)
            if (!(*p == '/' || *p == '-' || *p == '_' ||
                  (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
                ok = false;
        if (ok)
            file = q ? xasprintf("%s-%s.html", sub + 1, h)
                     : xasprintf("%s.html", sub + 1);
    }
    free(sub);
    return file;
}

_Static_assert((REPORT_INDEX & (REPORT_INDEX - 1)) == 0 &&
                   REPORT_INDEX > 2 * REPORT_MAX_FILES,
               "the index never fills");

/* FNV-1a of a file name, for the index of queued files. */
static size_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

/* Queues path as file unless it is queued; false past the bound.  The
 * index (open addressing, REPORT_INDEX slots, item + 1 per used slot)
 * keeps a page's links from scanning every queued file. */
static bool queue(struct report *r, const char *path, const char *file)
{
    size_t slot = name_hash(file) & (REPORT_INDEX - 1);

    for (; r->index[slot]; slot = (slot + 1) & (REPORT_INDEX - 1))
        if (!strcmp(r->items[r->index[slot] - 1].file, file))
            return true;
    if (r->n >= REPORT_MAX_FILES) {
        r->truncated = true;
        return false;
    }
    r->items = xreallocarray(r->items, r->n + 1, sizeof *r->items);
    r->items[r->n].path = xstrdup(path);
    r->items[r->n].file = xstrdup(file);
    r->index[slot] = ++r->n;
    return true;
}

/* The link builder (note 2): a relative file name ("../" once per folder
 * of the page being written), or the path itself when it is not ours. */
static enum err href_file(const struct page_links *l, struct buf *b,
                          const char *path, enum page_href_esc esc)
{
    struct report *r = l->ctx;
    char *file = file_for(r, path);
    enum err e = ERR_OK;

    if (!file || !queue(r, path, file)) {
        free(file);
        return esc == PAGE_HREF_URL ? page_esc_href(b, path)
                                    : page_esc_attr(b, path);
    }
    for (const char *p = r->from; *p && !e; p++)
        if (*p == '/')
            e = buf_adds(b, "../");
    if (!e)
        e = page_esc_attr(b, file);
    free(file);
    return e;
}

/* ---- a path's query (note 3) -------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of name in path's query, percent-decoded (caller frees), or
 * NULL when absent. */
static char *query_arg(const char *path, const char *name)
{
    const char *q = strchr(path, '?');
    size_t nl = strlen(name);

    for (q = q ? q + 1 : NULL; q && *q;) {
        const char *end = q + strcspn(q, "&");

        if ((size_t)(end - q) > nl && !strncmp(q, name, nl) && q[nl] == '=') {
            struct buf v;

            buf_init(&v, 0);
            for (const char *p = q + nl + 1; p < end; p++) {
                if (*p == '%' && end - p >= 3 && hexval(p[1]) >= 0 &&
                    hexval(p[2]) >= 0) {
                    (void)buf_addc(&v,
                                   (char)(hexval(p[1]) * 16 + hexval(p[2])));
                    p += 2;
                } else {
                    (void)buf_addc(&v, *p == '+' ? ' ' : *p);
                }
            }
            return buf_take(&v);
        }
        q = *end ? end + 1 : NULL;
    }
    return NULL;
}

/* query_arg with an empty value as absent, as the server's req_arg_set. */
static char *query_arg_set(const char *path, const char *name)
{
    char *v = query_arg(path, name);

    if (v && !*v) {
        free(v);
        v = NULL;
    }
    return v;
}

/* ---- files -------------------------------------------------------------- */

static enum err mkdirs(const char *dir, const char *file, struct errbuf *eb)
{
    char *path = xasprintf("%s/%s", dir, file);

    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) && errno != EEXIST) {
            err_set(eb, "%s: %s", path, strerror(errno));
            free(path);
            return ERR_IO;
        }
        *p = '/';
    }
    free(path);
    return ERR_OK;
}

static enum err save(const char *dir, const char *file, const char *data,
                     size_t len, struct errbuf *eb)
{
    char *path;
    FILE *f;
    enum err e = mkdirs(dir, file, eb);

    if (e)
        return e;
    path = xasprintf("%s/%s", dir, file);
    f = fopen(path, "wb");
    if (!f) {
        err_set(eb, "cannot write %s: %s", path, strerror(errno));
        e = ERR_IO;
        goto out;
    }
    if (fwrite(data, 1, len, f) != len) {
        err_set(eb, "cannot write %s: %s", path, strerror(errno));
        e = ERR_IO;
    }
    /* fclose releases the stream even when it fails (a full disk shows
     * here, when the buffered tail is written): never close it twice. */
    if (fclose(f) != 0 && !e) {
        err_set(eb, "cannot write %s: %s", path, strerror(errno));
        e = ERR_IO;
    }
out:
    free(path);
    return e;
}

/* ---- the pages: what the server's page routes do, into a buffer --------- */

/* Each writes the page at path into out; ERR_NOT_FOUND and the like (with
 * a message) skip the page, ERR_TOO_LARGE too. */
typedef enum err (*page_fn)(struct report *r, const char *path, const char *id,
                            struct buf *out, struct errbuf *eb);

static enum err page_dashboard(struct report *r, const char *path,
                               const char *id, struct buf *out,
                               struct errbuf *eb)
{
    struct svc_page_dashboard d;
    char *q = query_arg(path, "q"), *pg = query_arg(path, "page");
    char *sort = query_arg(path, "sort");
    size_t page = 0;
    enum err e;

    (void)id;
    memset(&d, 0, sizeof d);
    if (pg && *pg) {
        int64_t v;

        e = parse_int64(pg, 1, 1000000, &v);
        if (e) {
            err_set(eb, "query parameter \"page\": expected a page number "
                        "from 1");
            goto out;
        }
        page = (size_t)(v - 1);
    }
    e = svc_page_dashboard(r->st, &r->proj, q, svc_page_dash_sort(sort), page,
                           SVC_PAGE_DASH_ROWS, &d, eb);
    if (!e)
        e = page_dashboard_write(&r->links, &d.view, out);
out:
    svc_page_dashboard_cleanup(&d);
    free(q);
    free(pg);
    free(sort);
    return e;
}

static enum err page_alerts(struct report *r, const char *path, const char *id,
                            struct buf *out, struct errbuf *eb)
{
    struct svc_page_alerts p;
    enum err e;

    (void)path;
    (void)id;
    memset(&p, 0, sizeof p);
    /* never signed in: no triage or sign-in form (csrf fields NULL) */
    e = svc_page_alerts(r->st, &r->proj, &p, eb);
    if (!e)
        e = page_alerts_write(&r->links, &p.view, out);
    svc_page_alerts_cleanup(&p);
    return e;
}

static enum err page_benchmark(struct report *r, const char *path,
                               const char *id, struct buf *out,
                               struct errbuf *eb)
{
    struct svc_page_benchmark p;
    char *branch = query_arg_set(path, "branch");
    char *testbed = query_arg_set(path, "testbed");
    int64_t bid;
    enum err e;

    memset(&p, 0, sizeof p);
    e = parse_int64(id, 1, INT64_MAX, &bid);
    if (!e)
        e = svc_page_benchmark(r->st, &r->proj, bid, branch, testbed, &p, eb);
    if (e == ERR_NOT_FOUND && !eb->msg[0])
        err_set(eb, "no such benchmark");
    if (!e)
        e = page_benchmark_write(&r->links, &p.view, out);
    svc_page_benchmark_cleanup(&p);
    free(branch);
    free(testbed);
    return e;
}

static enum err page_regressions(struct report *r, const char *path,
                                 const char *id, struct buf *out,
                                 struct errbuf *eb)
{
    struct svc_regressions g;
    enum err e;

    (void)path;
    (void)id;
    memset(&g, 0, sizeof g);
    e = svc_regressions(r->st, &r->proj, 0, &g, eb);
    if (!e)
        e = page_regressions_write(&r->links, &g.view, out);
    svc_regressions_cleanup(&g);
    return e;
}

/* As route_page_runs: the list with the filters and page its link names. */
static enum err page_runs(struct report *r, const char *path, const char *id,
                          struct buf *out, struct errbuf *eb)
{
    struct store_run_filter f = {0};
    struct svc_page_runs p;
    char *branch = query_arg_set(path, "branch"),
         *testbed = query_arg_set(path, "testbed"),
         *commit = query_arg_set(path, "commit"),
         *before = query_arg_set(path, "before");
    enum err e = ERR_OK;

    (void)id;
    memset(&p, 0, sizeof p);
    if (before && parse_int64(before, 1, INT64_MAX, &f.before_id)) {
        err_set(eb, "before: expected a run id");
        e = ERR_INVALID;
    }
    f.branch = branch;
    f.testbed = testbed;
    f.commit = commit;
    if (!e)
        e = svc_page_runs(r->st, &r->proj, &f, &p, eb);
    if (!e)
        e = page_runs_write(&r->links, &p.view, out);
    svc_page_runs_cleanup(&p);
    free(branch);
    free(testbed);
    free(commit);
    free(before);
    return e;
}

static enum err page_run(struct report *r, const char *path, const char *id,
                         struct buf *out, struct errbuf *eb)
{
    struct svc_page_run p;
    int64_t rid;
    enum err e;

    (void)path;
    memset(&p, 0, sizeof p);
    e = parse_int64(id, 1, INT64_MAX, &rid);
    if (!e)
        e = svc_page_run(r->st, &r->proj, rid, &p, eb);
    if (!e)
        e = page_run_write(&r->links, &p.view, out);
    svc_page_run_cleanup(&p);
    return e;
}

/* As route_page_compare: a reference that cannot be compared is a message
 * on the page, not a missing page. */
static enum err page_compare(struct report *r, const char *path, const char *id,
                             struct buf *out, struct errbuf *eb)
{
    struct svc_compare *c = NULL;
    struct svc_page_comparison pc;
    struct svc_compare_query q;
    char *base = query_arg_set(path, "base"), *head = query_arg(path, "head");
    struct errbuf ceb;
    enum err e = ERR_OK;

    (void)id;
    memset(&pc, 0, sizeof pc);
    memset(&q, 0, sizeof q);
    err_init(&ceb);
    q.project = r->proj.slug;
    q.base = base;
    q.head = head;
    q.threshold = NAN; /* and the API's bootstrap: the same verdicts */
    if (head && *head)
        e = svc_compare_create(r->st, &q, &c, &ceb);
    if (e && e != ERR_NOT_FOUND && e != ERR_INVALID) {
        err_set(eb, "%s", ceb.msg);
        goto out;
    }
    if (c)
        svc_page_comparison(c, &pc);
    /* no picks: the static report has no form (page_compare.c note 5) */
    e = page_compare_write(&r->links, r->proj.slug, base, head, NULL,
                           c ? &pc.view : NULL, e ? ceb.msg : NULL, out);
out:
    svc_page_comparison_cleanup(&pc);
    svc_compare_free(c);
    free(base);
    free(head);
    err_cleanup(&ceb);
    return e;
}

/* ---- the charts: what the server's chart routes draw -------------------- */

static const struct {
    const char *name; /* after /charts/ */
    enum svc_chart_kind kind;
    bool svg;
} charts[] = {
    {"trend.png", SVC_CHART_TREND, false},
    {"sparkline.png", SVC_CHART_SPARKLINE, false},
    {"resources.png", SVC_CHART_RESOURCES, false},
    {"compare.png", SVC_CHART_COMPARE, false},
    {"scaling.png", SVC_CHART_SCALING, false},
    {"distribution.png", SVC_CHART_DISTRIBUTION, false},
    {"distribution.svg", SVC_CHART_DISTRIBUTION, true},
};

/* One integer option of a chart's query into *v (absent: left as is). */
static enum err chart_int(const char *path, const char *name, int64_t min,
                          int64_t max, int64_t *v, struct errbuf *eb)
{
    char *s = query_arg_set(path, name);
    enum err e = ERR_OK;

    if (s && parse_int64(s, min, max, v) != ERR_OK) {
        err_set(eb,
                "query parameter \"%s\": expected an integer in [%lld, "
                "%lld]",
                name, (long long)min, (long long)max);
        e = ERR_INVALID;
    }
    free(s);
    return e;
}

/* The chart named by path (its kind k of charts[]) into out. */
static enum err chart_write(struct report *r, const char *path, size_t k,
                            struct buf *out, struct errbuf *eb)
{
    struct chart_opts o;
    struct svc_chart c;
    struct store_series_query sq = {0};
    struct svc_compare_query cq = {0};
    unsigned dw, dh;
    int64_t w, h, scale = 1, last = 30, run = 0;
    char *a[6] = {NULL};
    char *fmt = query_arg_set(path, "format");
    enum err e;

    memset(&c, 0, sizeof c);
    svc_chart_size(charts[k].kind, &dw, &dh);
    w = dw;
    h = dh;
    chart_opts_default(&o);
    e = chart_int(path, "width", 16, 4096, &w, eb);
    if (!e)
        e = chart_int(path, "height", 16, 4096, &h, eb);
    if (!e)
        e = chart_int(path, "scale", 1, 4, &scale, eb);
    if (e)
        goto out;
    o.width = (unsigned)w;
    o.height = (unsigned)h;
    o.scale = (double)scale;
    o.format =
        charts[k].svg || (fmt && !strcmp(fmt, "svg")) ? CHART_SVG : CHART_PNG;
    switch (charts[k].kind) {
    case SVC_CHART_TREND:
    case SVC_CHART_SPARKLINE:
        sq.benchmark = a[0] = query_arg_set(path, "benchmark");
        sq.measure = a[1] = query_arg_set(path, "measure");
        sq.branch = a[2] = query_arg_set(path, "branch");
        sq.testbed = a[3] = query_arg_set(path, "testbed");
        sq.stat = a[4] = query_arg_set(path, "stat");
        if (!sq.benchmark) {
            err_set(eb, "query parameter \"benchmark\" is required");
            e = ERR_INVALID;
        } else if (charts[k].kind == SVC_CHART_TREND) {
            e = svc_chart_trend(r->st, r->proj.id, &sq, true, &c, eb);
        } else {
            e = chart_int(path, "last", 2, 1000, &last, eb);
            if (!e)
                e = svc_chart_sparkline(r->st, r->proj.id, &sq, (size_t)last,
                                        &c, eb);
        }
        break;
    case SVC_CHART_RESOURCES:
        e = chart_int(path, "run", 1, INT64_MAX, &run, eb);
        if (!e && run == 0) {
            err_set(eb, "query parameter \"run\": a run id is required");
            e = ERR_INVALID;
        }
        if (!e)
            e = svc_chart_resources(r->st, r->proj.id, run, &c, eb);
        break;
    case SVC_CHART_COMPARE:
    case SVC_CHART_DISTRIBUTION:
        cq.project = r->proj.slug;
        cq.base = a[0] = query_arg_set(path, "base");
        cq.head = a[1] = query_arg_set(path, "head");
        cq.threshold = NAN;
        a[2] = query_arg_set(path, "benchmark");
        a[3] = query_arg_set(path, "measure");
        a[4] = query_arg_set(path, "height");
        if (!cq.head) {
            err_set(eb, "query parameter \"head\" is required");
            e = ERR_INVALID;
        } else if (charts[k].kind == SVC_CHART_COMPARE) {
            e = svc_chart_compare(r->st, &cq, &c, eb);
            if (!e && !a[4]) /* as tall as its rows need */
                svc_chart_fit_height(&c, &o);
        } else if (!a[2]) {
            err_set(eb, "query parameter \"benchmark\" is required");
            e = ERR_INVALID;
        } else {
            e = svc_chart_distribution(r->st, &cq, a[2], a[3], &c, eb);
        }
        break;
    case SVC_CHART_SCALING:
        a[0] = query_arg_set(path, "benchmark");
        a[1] = query_arg_set(path, "param");
        a[2] = query_arg_set(path, "measure");
        if (!a[0]) {
            err_set(eb, "query parameter \"benchmark\" is required");
            e = ERR_INVALID;
        } else {
            e = svc_chart_scaling(r->st, r->proj.id, a[0], a[1], a[2], &c, eb);
        }
        break;
    }
    if (!e &&
        (double)o.width * o.height * o.scale * o.scale > SVC_CHART_MAX_PIXELS) {
        err_set(eb, "chart too large");
        e = ERR_INVALID;
    }
    if (!e)
        e = svc_chart_draw(&c, &o, out, eb);
out:
    svc_chart_cleanup(&c);
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        free(a[i]);
    free(fmt);
    return e;
}

/* ---- writing the queue -------------------------------------------------- */

/* Writes item it's bytes into out (note 3). */
static enum err make(struct report *r, const struct item *it, struct buf *out,
                     struct errbuf *eb)
{
    static const struct {
        const char *prefix; /* after /p/SLUG; "/benchmarks/" takes an id */
        page_fn fn;
        bool id;
    } pages[] = {
        {"", page_dashboard, false},
        {"/", page_dashboard, false},
        {"/alerts", page_alerts, false},
        {"/regressions", page_regressions, false},
        {"/runs", page_runs, false},
        {"/compare", page_compare, false},
        {"/benchmarks/", page_benchmark, true},
        {"/runs/", page_run, true},
    };
    size_t pl = strlen(r->prefix);
    const char *sub = it->path + pl;
    size_t sl = strcspn(sub, "?");
    enum err e;

    if (!strcmp(it->path, "/static/style.css"))
        return buf_add(out, web_style_css, web_style_css_len);
    if (sl > 8 && !strncmp(sub, "/charts/", 8)) {
        for (size_t k = 0; k < sizeof charts / sizeof charts[0]; k++)
            if (strlen(charts[k].name) == sl - 8 &&
                !strncmp(sub + 8, charts[k].name, sl - 8))
                return chart_write(r, it->path, k, out, eb);
        err_set(eb, "no such chart");
        return ERR_NOT_FOUND;
    }
    for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++) {
        size_t n = strlen(pages[k].prefix);
        char *id;

        if (pages[k].id ? sl <= n || strncmp(sub, pages[k].prefix, n)
                        : sl != n || strncmp(sub, pages[k].prefix, n))
            continue;
        id = xstrndup(sub + n, pages[k].id ? sl - n : 0);
        e = pages[k].fn(r, it->path, id, out, eb);
        free(id);
        if (!e && !page_complete(out)) {
            err_set(eb, "the page is too large");
            e = ERR_TOO_LARGE;
        }
        return e;
    }
    err_set(eb, "no such page");
    return ERR_NOT_FOUND;
}

static void progress(const struct report *r, bool last)
{
    int width = 30, fill;

    if (!r->tty)
        return;
    fill = r->n ? (int)((double)r->done / (double)r->n * width) : 0;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu files", fill,
            "##############################", width - fill, "", r->done, r->n);
    if (last)
        fputc('\n', stderr);
}

/* Writes every queued item, queueing what their pages link; ERR_IO and
 * ERR_FULL (a file that cannot be written) stop it, with eb. */
static enum err write_all(struct report *r, struct errbuf *eb)
{
    struct buf data;
    enum err e = ERR_OK;

    buf_init(&data, REPORT_PAGE_MAX);
    for (; r->done < r->n && !e; r->done++) {
        /* make() may grow r->items: keep copies, not the item. */
        struct item it = {xstrdup(r->items[r->done].path),
                          xstrdup(r->items[r->done].file)};
        struct errbuf ieb;

        err_init(&ieb);
        buf_reset(&data);
        r->from = it.file;
        if (make(r, &it, &data, &ieb) != ERR_OK) {
            /* A page that cannot be made (a bad link) is reported, not
             * fatal: the rest of the site is still worth having. */
            fprintf(stderr, "benchvault report: %s: %s\n", it.path,
                    ieb.msg[0] ? ieb.msg : "could not be made");
            r->skipped++;
        } else {
            e = save(r->out, it.file, buf_str(&data), data.len, eb);
        }
        r->from = "";
        err_cleanup(&ieb);
        free(it.path);
        free(it.file);
        progress(r, false);
    }
    progress(r, true);
    buf_cleanup(&data);
    return e;
}

int cmd_report(int argc, char **argv)
{
    struct cli_args a;
    struct report r;
    struct errbuf eb;
    struct buf prefix;
    char *start;
    const char *slug;
    enum err e;
    int rc = EXIT_OK;

    memset(&r, 0, sizeof r);
    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault report: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        cli_usage(stdout, "benchvault report --db PATH --project P --out DIR",
                  "Writes a project's pages and charts as a static site "
                  "(relative links; works from file:// and any static "
                  "host; needs no network).",
                  opts, NOPTS);
        goto out;
    }
    slug = cli_str(&a, "project");
    if (!slug || !cli_str(&a, "out")) {
        fprintf(stderr, "benchvault report: give --project P, --out DIR and "
                        "an existing --db PATH\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (!ingest_slug_valid(slug, 256)) {
        fprintf(stderr, "benchvault report: invalid project name\n");
        rc = EXIT_USAGE;
        goto out;
    }
    rc = cli_db_open("report", &a, &r.st);
    if (rc)
        goto out;
    e = store_project_get(r.st, slug, &r.proj);
    if (e) {
        if (e == ERR_NOT_FOUND)
            fprintf(stderr, "benchvault report: no project %s here\n", slug);
        else
            fprintf(stderr,
                    "benchvault report: could not read project %s: "
                    "%s\n",
                    slug, err_str(e));
        rc = EXIT_USAGE;
        goto out;
    }
    buf_init(&prefix, 0);
    (void)buf_adds(&prefix, "/p/");
    (void)page_esc_segment(&prefix, slug);
    r.prefix = buf_take(&prefix);
    r.out = cli_str(&a, "out");
    r.tty = isatty(STDERR_FILENO);
    r.from = "";
    r.links.href = href_file;
    r.links.ctx = &r;
    r.links.live = false;
    r.index = xcalloc(REPORT_INDEX, sizeof *r.index);
    queue(&r, r.prefix, "index.html");
    start = xasprintf("%s/alerts", r.prefix);
    queue(&r, start, "alerts.html");
    free(start);
    e = write_all(&r, &eb);
    if (e) {
        fprintf(stderr, "benchvault report: %s\n", eb.msg);
        rc = EXIT_USAGE;
    } else {
        printf("report: %zu files in %s (open %s/index.html)\n",
               r.n - r.skipped, r.out, r.out);
        if (r.truncated)
            fprintf(stderr,
                    "benchvault report: stopped at %d files; some "
                    "links still point to the server\n",
                    REPORT_MAX_FILES);
    }
    render_shutdown();
out:
    for (size_t i = 0; i < r.n; i++) {
        free(r.items[i].path);
        free(r.items[i].file);
    }
    free(r.items);
    free(r.index);
    free(r.prefix);
    store_project_cleanup(&r.proj);
    store_close(r.st);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
