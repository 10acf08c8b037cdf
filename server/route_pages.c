/*
 * HTML pages: the projects list and a project's dashboard.  Design notes:
 *  1. Pages work without JavaScript: search and sort are GET query
 *     parameters (q, sort), so every view has a stable shareable URL.
 *  2. The dashboard reads one series per benchmark and measure on the
 *     default branch (store_series_get's choice), ranks every one of them,
 *     and shows DASH_PAGE_ROWS rows a page with links to every page (so a
 *     static report saves them all).  Nothing is cut before sorting.
 *  3. Sparklines are <img> links to the chart routes: the chart is drawn
 *     (and cached) there, not here.
 *  4. In static mode (page_int.h) the dashboard has no search form: a
 *     static report cannot answer one.  The sort links stay, and the
 *     report's crawler saves each sorted view.
 *  5. What is worse now comes from service/dashboard.c (svc_dashboard):
 *     each series' latest level against the runs before it, "suspected"
 *     before an alert confirms it, "known" while an acknowledged alert is
 *     unresolved; the default sort puts these first, worst first.
 */
#include "server/page_int.h"

#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DASH_PAGE_ROWS 200 /* rows a page shows; every row is ranked */

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

/* The dashboard's sorts: a name in the URL, a label, service's order. */
static const struct {
    const char *name, *label;
    enum svc_dash_sort sort;
} sorts[] = {
    {"change", "worse now", SVC_DASH_WORSE},
    {"name", "name", SVC_DASH_NAME},
    {"noise", "noise", SVC_DASH_NOISE},
};

/* The alerts of one status under a heading; known (acknowledged) ones
 * stay on the dashboard until they are resolved (note 5). */
static void dash_alerts(struct buf *b, struct store *st,
                        const struct store_project *proj, const char *status,
                        const char *heading, bool quiet_when_none)
{
    struct store_alert *a = NULL;
    size_t n = 0;
    struct errbuf eb;

    err_init(&eb);
    if (store_alerts_list(st, proj->id, status, 0, 50, &a, &n, &eb)) {
        buf_printf(b, "<h2>%s</h2>\n", heading);
        buf_adds(b, "<p class=\"bad\">Could not read the alerts.</p>\n");
        goto out;
    }
    if (n == 0 && quiet_when_none)
        goto out;
    buf_printf(b, "<h2>%s</h2>\n", heading);
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

/* "Rows 201-400 of 1,234" and links to every page (note 2). */
static void dash_pages(struct buf *b, struct buf *url, const char *slug,
                       const char *q, const char *sort, size_t page,
                       size_t npages, size_t nrows)
{
    size_t last = (page + 1) * DASH_PAGE_ROWS;

    buf_printf(b, "<p class=\"muted\">Rows %zu to %zu of %zu, ranked "
                  "together.", page * DASH_PAGE_ROWS + 1,
               last < nrows ? last : nrows, nrows);
    for (size_t i = 0; npages > 1 && i < npages; i++) {
        if (i == page) {
            buf_printf(b, " <strong>%zu</strong>", i + 1);
            continue;
        }
        buf_reset(url);
        dash_url(url, slug, q, sort);
        buf_printf(url, "&page=%zu", i + 1);
        buf_adds(b, " <a href=\"");
        page_esc_attr(b, buf_str(url));
        buf_printf(b, "\">%zu</a>", i + 1);
    }
    buf_adds(b, "</p>\n");
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
    size_t nrows = 0, si = 0, page = 0, npages;
    struct svc_dash_row *rows = NULL;
    const char *q = req_arg(rq, "q"), *sort = req_arg(rq, "sort");
    const char *pg = req_arg(rq, "page");
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
    if (pg && *pg) {
        int64_t v;

        if (parse_int64(pg, 1, 1000000, &v)) {
            req_query_problem(rq, "page", "expected a page number from 1");
            goto out;
        }
        page = (size_t)(v - 1);
    }
    if (svc_dashboard(st, proj.id, q, sorts[si].sort, &rows, &nrows, &eb)) {
        srv_page_error(rq, 500, "could not read the benchmarks");
        goto out;
    }
    npages = nrows ? (nrows + DASH_PAGE_ROWS - 1) / DASH_PAGE_ROWS : 1;
    if (page >= npages)
        page = npages - 1;

    srv_page_begin_for(rq, proj.slug, proj.slug);
    buf_adds(b, "<h1>");
    page_esc_text(b, proj.slug);
    buf_adds(b, "</h1>\n");
    if (proj.description) {
        buf_adds(b, "<p>");
        page_esc_text(b, proj.description);
        buf_adds(b, "</p>\n");
    }
    dash_alerts(b, st, &proj, "open", "Open alerts", false);
    dash_alerts(b, st, &proj, "acknowledged",
                "Known regressions (acknowledged, not resolved)", true);
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
        dash_pages(b, &url, proj.slug, q, sorts[si].name, page, npages,
                   nrows);
        buf_adds(b, "<table>\n<thead><tr><th>Benchmark</th><th>Measure</th>"
                    "<th>Trend</th><th class=\"num\">Last</th>"
                    "<th class=\"num\" title=\"the latest level (its runs) "
                    "against the median of the runs before it\">Now vs "
                    "history</th><th>State</th><th class=\"num\">Noise "
                    "(CV)</th></tr></thead>\n<tbody>\n");
    }
    for (size_t i = page * DASH_PAGE_ROWS;
         i < nrows && i < (page + 1) * DASH_PAGE_ROWS; i++) {
        const struct svc_dash_row *r = &rows[i];
        char sfx[48];

        snprintf(sfx, sizeof sfx, "/benchmarks/%lld", (long long)r->bench_id);
        buf_adds(b, "<tr><td>");
        srv_page_link(b, proj.slug, sfx, r->key);
        buf_adds(b, "</td><td>");
        page_esc_text(b, r->measure);
        /* The URL is built escaped for its contexts (segment, query),
         * then the whole is escaped again as an attribute value. */
        buf_reset(&url);
        buf_adds(&url, "/p/");
        page_esc_segment(&url, proj.slug);
        buf_printf(&url, "/charts/sparkline.png?benchmark=%lld&measure=",
                   (long long)r->bench_id);
        page_esc_query(&url, r->measure);
        buf_adds(b, "</td><td><img class=\"spark\" width=\"120\" "
                    "height=\"30\" alt=\"trend\" src=\"");
        page_esc_attr(b, buf_str(&url));
        buf_adds(b, "\"></td><td class=\"num\">");
        srv_page_value(b, r->last, r->unit);
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(r->change)) {
            buf_adds(b, "–");
        } else if (r->state == SVC_DASH_ALERT || r->state == SVC_DASH_KNOWN) {
            char abbrev[13];
            const char *sha = srv_page_short_sha(r->first_bad_commit, abbrev);

            buf_printf(b, "%+.1f%% <span class=\"muted small\">(since ",
                       r->change * 100);
            page_esc_text(b, sha ? sha : "its alert");
            buf_adds(b, ")</span>");
        } else {
            buf_printf(b, "%+.1f%% <span class=\"muted small\">(%zu run%s)"
                          "</span>",
                       r->change * 100, r->tail, r->tail == 1 ? "" : "s");
        }
        buf_adds(b, r->state == SVC_DASH_BETTER ? "</td><td class=\"good\">"
                    : r->state != SVC_DASH_NONE ? "</td><td class=\"bad\">"
                                                : "</td><td>");
        buf_adds(b, svc_dash_state_str(r->state));
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(r->cv))
            buf_adds(b, "–");
        else
            buf_printf(b, "%.1f%%", r->cv * 100);
        buf_adds(b, "</td></tr>\n");
    }
    if (nrows > 0)
        buf_adds(b, "</tbody>\n</table>\n");
    if (npages > 1) /* the page links again under a long table */
        dash_pages(b, &url, proj.slug, q, sorts[si].name, page, npages,
                   nrows);
    srv_page_end(b);
    srv_page_send(rq, 200);
out:
    srv_store_release(rq->srv, st);
    svc_dash_rows_free(rows, nrows);
    store_project_cleanup(&proj);
    buf_cleanup(&url);
    err_cleanup(&eb);
}
