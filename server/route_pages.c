/*
 * HTML pages: the projects list and a project's dashboard.  Design notes:
 *  1. Pages work without JavaScript: search and sort are GET query
 *     parameters (q, sort), so every view has a stable shareable URL.
 *  2. The dashboard reads one series per benchmark and measure on the
 *     default branch (store_series_get's choice) and shows at most
 *     DASH_MAX_ROWS rows, so its cost is bounded whatever the project's
 *     size.
 *  3. Sparklines are <img> links to the chart routes: the chart is drawn
 *     (and cached) there, not here.
 *  4. In static mode (page_int.h) the dashboard has no search form: a
 *     static report cannot answer one.  The sort links stay, and the
 *     report's crawler saves each sorted view.
 */
#include "server/page_int.h"

#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DASH_MAX_ROWS 1000
#define DASH_CV_POINTS 10

void route_page_projects(struct req *rq)
{
    struct store *st = NULL;
    struct store_project *p = NULL;
    size_t n = 0;
    struct buf *b = &rq->resp;
    struct errbuf eb;
    enum err e;

    if (!auth_check(rq, rq->route->access, NULL))
        return;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = store_projects_list(st, &p, &n, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        srv_page_error(rq, srv_status_for(e), "could not list the projects");
        goto out;
    }
    srv_page_begin(b, "Projects", NULL);
    buf_adds(b, "<h1>Projects</h1>\n");
    if (n == 0)
        buf_adds(b, "<p class=\"muted\">No projects yet: post a run to "
                    "<code>/api/v1/projects/{project}/runs</code>.</p>\n");
    else
        buf_adds(b, "<table>\n<thead><tr><th>Project</th><th>Description"
                    "</th><th class=\"num\">Runs</th><th>Last run</th></tr>"
                    "</thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        /* A project-scoped token sees its own project only. */
        if (rq->has_token && rq->token.project &&
            strcmp(rq->token.project, p[i].slug))
            continue;
        buf_adds(b, "<tr><td>");
        srv_page_link(b, p[i].slug, "", p[i].slug);
        buf_adds(b, "</td><td>");
        page_esc_text(b, p[i].description ? p[i].description : "");
        buf_printf(b, "</td><td class=\"num\">%lld</td><td>",
                   (long long)p[i].run_count);
        srv_page_time(b, p[i].last_run_at);
        buf_adds(b, "</td></tr>\n");
    }
    if (n > 0)
        buf_adds(b, "</tbody>\n</table>\n");
    srv_page_end(b);
    srv_page_send(rq, 200);
out:
    store_projects_free(p, n);
    err_cleanup(&eb);
}

/* One dashboard row: a benchmark's series for one measure. */
struct dash_row {
    const struct store_benchmark *bench; /* borrowed */
    char *measure, *unit;                /* owns */
    double last, change, cv;             /* NAN when unknown */
    size_t npoints;
};

/* CV (stddev / mean) of the last DASH_CV_POINTS values: a cheap noise
 * level for the table, not a statistic to decide on. */
static double noise_cv(const struct series *s)
{
    size_t from = s->npoints > DASH_CV_POINTS ? s->npoints - DASH_CV_POINTS : 0;
    size_t k = s->npoints - from;
    double mean = 0, ss = 0;

    if (k < 3)
        return NAN;
    for (size_t i = from; i < s->npoints; i++)
        mean += s->points[i].value;
    mean /= (double)k;
    for (size_t i = from; i < s->npoints; i++)
        ss += (s->points[i].value - mean) * (s->points[i].value - mean);
    if (mean == 0)
        return NAN;
    return sqrt(ss / (double)(k - 1)) / fabs(mean);
}

static int cmp_name(const void *a, const void *b)
{
    const struct dash_row *x = a, *y = b;
    int c = strcmp(x->bench->key, y->bench->key);

    return c ? c : strcmp(x->measure, y->measure);
}

/* Largest absolute change first; unknown changes last. */
static int cmp_change(const void *a, const void *b)
{
    const struct dash_row *x = a, *y = b;
    double cx = isnan(x->change) ? -1 : fabs(x->change);
    double cy = isnan(y->change) ? -1 : fabs(y->change);

    if (cx != cy)
        return cx < cy ? 1 : -1;
    return cmp_name(a, b);
}

static int cmp_noise(const void *a, const void *b)
{
    const struct dash_row *x = a, *y = b;
    double cx = isnan(x->cv) ? -1 : x->cv;
    double cy = isnan(y->cv) ? -1 : y->cv;

    if (cx != cy)
        return cx < cy ? 1 : -1;
    return cmp_name(a, b);
}

static const struct {
    const char *name, *label;
    int (*cmp)(const void *, const void *);
} sorts[] = {
    {"name", "name", cmp_name},
    {"change", "change", cmp_change},
    {"noise", "noise", cmp_noise},
};

static void dash_alerts(struct buf *b, struct store *st,
                        const struct store_project *proj)
{
    struct store_alert *a = NULL;
    size_t n = 0;
    struct errbuf eb;

    err_init(&eb);
    buf_adds(b, "<h2>Open alerts</h2>\n");
    if (store_alerts_list(st, proj->id, "open", 0, 50, &a, &n, &eb)) {
        buf_adds(b, "<p class=\"bad\">Could not read the alerts.</p>\n");
        goto out;
    }
    if (n == 0) {
        buf_adds(b, "<p class=\"muted\">No open alerts.</p>\n");
        goto out;
    }
    buf_adds(b, "<table>\n<thead><tr><th>Benchmark</th><th>Measure</th>"
                "<th>Branch</th><th class=\"num\">Change</th><th>First bad"
                "</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        char sfx[48];

        snprintf(sfx, sizeof sfx, "/benchmarks/%lld",
                 (long long)a[i].benchmark_id);
        buf_adds(b, "<tr><td>");
        srv_page_link(b, proj->slug, sfx, a[i].benchmark);
        buf_adds(b, "</td><td>");
        page_esc_text(b, a[i].measure);
        buf_adds(b, "</td><td>");
        page_esc_text(b, a[i].branch);
        buf_adds(b, "</td><td class=\"num bad\">");
        if (isnan(a[i].change))
            buf_adds(b, "–");
        else
            buf_printf(b, "%+.1f%%", a[i].change * 100);
        buf_adds(b, "</td><td><code>");
        {
            char abbrev[13];
            const char *sha = srv_page_short_sha(a[i].first_bad_commit, abbrev);

            page_esc_text(b, sha ? sha : "–");
        }
        buf_adds(b, "</code></td></tr>\n");
    }
    buf_adds(b, "</tbody>\n</table>\n");
out:
    store_alerts_free(a, n);
    err_cleanup(&eb);
}

static void dash_branches(struct buf *b, struct store *st,
                          const struct store_project *proj)
{
    struct store_branch *br = NULL;
    size_t n = 0;
    struct errbuf eb;

    err_init(&eb);
    buf_adds(b, "<h2>Branches</h2>\n");
    if (store_branches_list(st, proj->id, &br, &n, &eb) || n == 0) {
        buf_adds(b, "<p class=\"muted\">No runs yet.</p>\n");
        goto out;
    }
    buf_adds(b, "<table>\n<thead><tr><th>Branch</th><th class=\"num\">Runs"
                "</th><th>Latest run</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        struct store_run_filter f = {.branch = br[i].name, .limit = 1};
        struct run *r = NULL;
        size_t nr = 0;

        buf_adds(b, "<tr><td>");
        page_esc_text(b, br[i].name);
        buf_printf(b, "</td><td class=\"num\">%lld</td><td>",
                   (long long)br[i].run_count);
        if (store_runs_list(st, proj->id, &f, &r, &nr, NULL) == ERR_OK &&
            nr == 1) {
            char sfx[48], abbrev[13];
            const char *sha = srv_page_short_sha(r[0].commit_sha, abbrev);

            snprintf(sfx, sizeof sfx, "/runs/%lld", (long long)r[0].id);
            srv_page_link(b, proj->slug, sfx, sha ? sha : "run");
            buf_adds(b, " <span class=\"muted\">");
            srv_page_time(b, r[0].created_at);
            buf_adds(b, "</span>");
        }
        store_runs_free(r, nr);
        buf_adds(b, "</td></tr>\n");
    }
    buf_adds(b, "</tbody>\n</table>\n");
out:
    store_branches_free(br, n);
    err_cleanup(&eb);
}

/* The dashboard URL with q and sort, for the sort links. */
static void dash_url(struct buf *b, const char *slug, const char *q,
                     const char *sort)
{
    buf_adds(b, "/p/");
    page_esc_segment(b, slug);
    buf_adds(b, "?sort=");
    page_esc_query(b, sort);
    if (q && *q) {
        buf_adds(b, "&q=");
        page_esc_query(b, q);
    }
}

/* The GET form that filters the benchmarks by q, keeping the sort. */
static void search_form(struct buf *b, const char *slug, const char *q,
                        const char *sort)
{
    buf_adds(b, "<form method=\"get\" action=\"/p/");
    page_esc_segment(b, slug);
    buf_adds(b, "\"><label>Search <input type=\"search\" name=\"q\" "
                "value=\"");
    page_esc_attr(b, q ? q : "");
    buf_adds(b, "\"></label> <input type=\"hidden\" name=\"sort\" value=\"");
    page_esc_attr(b, sort);
    buf_adds(b, "\"> <button type=\"submit\">Filter</button></form>\n");
}

void route_page_dashboard(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct store_benchmark *bm = NULL;
    struct store_measure *ms = NULL;
    size_t nb = 0, nm = 0, nrows = 0, si = 0;
    struct dash_row *rows = NULL;
    const char *q = req_arg(rq, "q"), *sort = req_arg(rq, "sort");
    struct buf *b = &rq->resp;
    struct buf url;
    struct errbuf eb;

    if (!st)
        return;
    err_init(&eb);
    buf_init(&url, 0);
    for (size_t i = 0; sort && i < sizeof sorts / sizeof sorts[0]; i++)
        if (strcmp(sort, sorts[i].name) == 0)
            si = i;
    if (store_benchmarks_list(st, proj.id, &bm, &nb, &eb) ||
        store_measures_list(st, proj.id, &ms, &nm, &eb)) {
        srv_page_error(rq, 500, "could not read the benchmarks");
        goto out;
    }
    rows = xcalloc(DASH_MAX_ROWS, sizeof *rows);
    for (size_t i = 0; i < nb && nrows < DASH_MAX_ROWS; i++) {
        if (q && *q && !strstr(bm[i].key, q))
            continue;
        for (size_t k = 0; k < nm && nrows < DASH_MAX_ROWS; k++) {
            char id[24];
            struct store_series_query sq = {.benchmark = id,
                                            .measure = ms[k].name};
            struct series s;
            struct dash_row *r;

            snprintf(id, sizeof id, "%lld", (long long)bm[i].id);
            memset(&s, 0, sizeof s);
            if (store_series_get(st, proj.id, &sq, &s, NULL) != ERR_OK ||
                s.npoints == 0) {
                series_cleanup(&s);
                continue;
            }
            r = &rows[nrows++];
            r->bench = &bm[i];
            r->measure = xstrdup(s.measure);
            r->unit = xstrdup(s.unit ? s.unit : "");
            r->npoints = s.npoints;
            r->last = s.points[s.npoints - 1].value;
            r->change = NAN;
            if (s.npoints > 1 && s.points[s.npoints - 2].value != 0)
                r->change = (r->last - s.points[s.npoints - 2].value) /
                            fabs(s.points[s.npoints - 2].value);
            r->cv = noise_cv(&s);
            series_cleanup(&s);
        }
    }
    qsort(rows, nrows, sizeof *rows, sorts[si].cmp);

    srv_page_begin_for(rq, proj.slug, proj.slug);
    buf_adds(b, "<h1>");
    page_esc_text(b, proj.slug);
    buf_adds(b, "</h1>\n");
    if (proj.description) {
        buf_adds(b, "<p>");
        page_esc_text(b, proj.description);
        buf_adds(b, "</p>\n");
    }
    dash_alerts(b, st, &proj);
    dash_branches(b, st, &proj);

    buf_adds(b, "<h2>Benchmarks</h2>\n");
    if (srv_page_static(rq))
        buf_adds(b, "<p class=\"muted\">Search needs the live server "
                    "(<code>benchvault serve</code>).</p>\n");
    else
        search_form(b, proj.slug, q, sorts[si].name);
    buf_adds(b, "<p>Sort by:");
    for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
        buf_reset(&url);
        dash_url(&url, proj.slug, q, sorts[i].name);
        if (i == si) {
            buf_adds(b, " <strong>");
            page_esc_text(b, sorts[i].label);
            buf_adds(b, "</strong>");
            continue;
        }
        buf_adds(b, " <a href=\"");
        page_esc_attr(b, buf_str(&url));
        buf_adds(b, "\">");
        page_esc_text(b, sorts[i].label);
        buf_adds(b, "</a>");
    }
    buf_adds(b, "</p>\n");
    if (nrows == 0) {
        buf_adds(b, "<p class=\"muted\">No benchmarks match.</p>\n");
    } else {
        buf_adds(b, "<table>\n<thead><tr><th>Benchmark</th><th>Measure</th>"
                    "<th>Trend</th><th class=\"num\">Last</th>"
                    "<th class=\"num\">Change</th><th class=\"num\">Noise "
                    "(CV)</th></tr></thead>\n<tbody>\n");
    }
    for (size_t i = 0; i < nrows; i++) {
        const struct dash_row *r = &rows[i];
        char sfx[48];

        snprintf(sfx, sizeof sfx, "/benchmarks/%lld", (long long)r->bench->id);
        buf_adds(b, "<tr><td>");
        srv_page_link(b, proj.slug, sfx, r->bench->key);
        buf_adds(b, "</td><td>");
        page_esc_text(b, r->measure);
        /* The URL is built escaped for its contexts (segment, query),
         * then the whole is escaped again as an attribute value. */
        buf_reset(&url);
        buf_adds(&url, "/p/");
        page_esc_segment(&url, proj.slug);
        buf_printf(&url, "/charts/sparkline.png?benchmark=%lld&measure=",
                   (long long)r->bench->id);
        page_esc_query(&url, r->measure);
        buf_adds(b, "</td><td><img class=\"spark\" width=\"120\" "
                    "height=\"30\" alt=\"trend\" src=\"");
        page_esc_attr(b, buf_str(&url));
        buf_adds(b, "\"></td><td class=\"num\">");
        srv_page_value(b, r->last, r->unit);
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(r->change))
            buf_adds(b, "–");
        else
            buf_printf(b, "%+.1f%%", r->change * 100);
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(r->cv))
            buf_adds(b, "–");
        else
            buf_printf(b, "%.1f%%", r->cv * 100);
        buf_adds(b, "</td></tr>\n");
    }
    if (nrows > 0)
        buf_adds(b, "</tbody>\n</table>\n");
    srv_page_end(b);
    srv_page_send(rq, 200);
out:
    srv_store_release(rq->srv, st);
    for (size_t i = 0; i < nrows; i++) {
        free(rows[i].measure);
        free(rows[i].unit);
    }
    free(rows);
    store_benchmarks_free(bm, nb);
    store_measures_free(ms, nm);
    store_project_cleanup(&proj);
    buf_cleanup(&url);
    err_cleanup(&eb);
}
