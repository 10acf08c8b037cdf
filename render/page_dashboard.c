/*
 * The projects index and a project's dashboard.  Design notes:
 *  1. Pages work without JavaScript: search and sort are GET query
 *     parameters (q, sort), so every view has a stable shareable URL.
 *  2. The dashboard gets every ranked row and shows rows_per_page of them,
 *     with links to every page (so a static report saves them all).
 *  3. Sparklines are <img> links to the chart routes: the chart is drawn
 *     (and cached) there, not here.
 *  4. Without a live server (links->live false) the dashboard has no
 *     search form; the sort links stay.
 */
#include "render/html_int.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum err page_projects_write(const struct page_links *l,
                             const struct page_project *p, size_t n,
                             struct buf *out)
{
    struct page_w w = {out, ERR_OK};

    w.e = page_begin(l, out, "Projects", NULL);
    page_wadds(&w, "<h1>Projects</h1>\n");
    if (n == 0)
        page_wadds(&w, "<p class=\"muted\">No projects yet: post a run to "
                       "<code>/api/v1/projects/{project}/runs</code>.</p>\n");
    else
        page_wadds(&w, "<table>\n<thead><tr><th>Project</th><th>Description"
                       "</th><th class=\"num\">Runs</th><th>Last run</th>"
                       "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        page_wadds(&w, "<tr><td>");
        page_wlink(&w, l, p[i].slug, "", p[i].slug);
        page_wadds(&w, "</td><td>");
        page_wtext(&w, p[i].description ? p[i].description : "");
        page_wprintf(&w, "</td><td class=\"num\">%lld</td><td>",
                     (long long)p[i].run_count);
        page_wtime(&w, p[i].last_run_at);
        page_wadds(&w, "</td></tr>\n");
    }
    if (n > 0)
        page_wadds(&w, "</tbody>\n</table>\n");
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}

/* A short commit, or alt without one. */
static void short_sha(struct page_w *w, const char *sha, const char *alt)
{
    char abbrev[13];
    const char *s = page_short_sha(sha, abbrev);

    page_wtext(w, s ? s : alt);
}

/* The alerts of one status under a heading (known ones stay on the
 * dashboard until they are resolved). */
static void dash_alerts(struct page_w *w, const struct page_links *l,
                        const char *slug, const struct page_dash_alert *a,
                        size_t n, bool ok, const char *heading,
                        bool quiet_when_none)
{
    if (!ok) {
        page_wprintf(w, "<h2>%s</h2>\n", heading);
        page_wadds(w, "<p class=\"bad\">Could not read the alerts.</p>\n");
        return;
    }
    if (n == 0 && quiet_when_none)
        return;
    page_wprintf(w, "<h2>%s</h2>\n", heading);
    if (n == 0) {
        page_wadds(w, "<p class=\"muted\">No open alerts.</p>\n");
        return;
    }
    page_wadds(w, "<table>\n<thead><tr><th>Benchmark</th><th>Measure</th>"
                  "<th>Branch</th><th class=\"num\">Change</th><th>First bad"
                  "</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        char sfx[48];

        snprintf(sfx, sizeof sfx, "/benchmarks/%lld",
                 (long long)a[i].benchmark_id);
        page_wadds(w, "<tr><td>");
        page_wlink(w, l, slug, sfx, a[i].benchmark);
        page_wadds(w, "</td><td>");
        page_wtext(w, a[i].measure);
        page_wadds(w, "</td><td>");
        page_wtext(w, a[i].branch);
        page_wadds(w, "</td><td class=\"num bad\">");
        page_wpercent(w, a[i].change);
        page_wadds(w, "</td><td><code>");
        short_sha(w, a[i].first_bad_commit, "–");
        page_wadds(w, "</code></td></tr>\n");
    }
    page_wadds(w, "</tbody>\n</table>\n");
}

/* What is worse now, the worst few, and a link to them all. */
static void dash_worse(struct page_w *w, const struct page_links *l,
                       const struct page_dashboard *d)
{
    const struct page_regressions *p = d->worse;

    page_wadds(w, "<h2>Worse now</h2>\n");
    if (p->total == 0) {
        page_wadds(w, "<p class=\"good\">Nothing is worse now. ");
        page_wlink(w, l, d->slug, "/regressions", "What is worse now");
        page_wadds(w, "</p>\n");
        return;
    }
    page_regressions_table(w, l, p, true);
    page_wadds(w, "<p>");
    if (p->total > p->n)
        page_wprintf(w, "%zu of %zu series. ", p->n, p->total);
    page_wlink(w, l, d->slug, "/regressions",
               "Every series worse now, since when and why");
    page_wadds(w, "</p>\n");
}

static void dash_branches(struct page_w *w, const struct page_links *l,
                          const struct page_dashboard *d)
{
    page_wadds(w, "<h2>Branches</h2>\n");
    if (d->nbranches == 0) {
        page_wadds(w, "<p class=\"muted\">No runs yet.</p>\n");
        return;
    }
    page_wadds(w, "<table>\n<thead><tr><th>Branch</th><th class=\"num\">"
                  "Runs</th><th>Latest run</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < d->nbranches; i++) {
        const struct page_dash_branch *br = &d->branches[i];

        page_wadds(w, "<tr><td>");
        page_wtext(w, br->name);
        page_wprintf(w, "</td><td class=\"num\">%lld</td><td>",
                     (long long)br->run_count);
        if (br->latest_run_id > 0) {
            char sfx[48], abbrev[13];
            const char *sha = page_short_sha(br->latest_commit, abbrev);

            snprintf(sfx, sizeof sfx, "/runs/%lld",
                     (long long)br->latest_run_id);
            page_wlink(w, l, d->slug, sfx, sha ? sha : "run");
            page_wadds(w, " <span class=\"muted\">");
            page_wtime(w, br->latest_at);
            page_wadds(w, "</span>");
        }
        page_wadds(w, "</td></tr>\n");
    }
    page_wadds(w, "</tbody>\n</table>\n");
}

/* The dashboard's path with sort, q (when any) and page (0: none), as the
 * server names it: parameters always in this order. */
static enum err dash_url(struct buf *u, const struct page_dashboard *d,
                         const char *sort, size_t page)
{
    struct page_w w = {u, ERR_OK};

    buf_reset(u);
    page_wadds(&w, "/p/");
    page_wseg(&w, d->slug);
    page_wadds(&w, "?sort=");
    page_wquery(&w, sort);
    if (d->q && *d->q) {
        page_wadds(&w, "&q=");
        page_wquery(&w, d->q);
    }
    if (page)
        page_wprintf(&w, "&page=%zu", page);
    return w.e;
}

/* "Rows 201 to 400 of 1234" and links to every page (note 2). */
static void dash_pages(struct page_w *w, const struct page_links *l,
                       struct buf *url, const struct page_dashboard *d,
                       size_t npages)
{
    size_t per = d->rows_per_page, last = (d->page + 1) * per;

    page_wprintf(w,
                 "<p class=\"muted\">Rows %zu to %zu of %zu, ranked "
                 "together.",
                 d->page * per + 1, last < d->nrows ? last : d->nrows,
                 d->nrows);
    for (size_t i = 0; npages > 1 && i < npages; i++) {
        if (i == d->page) {
            page_wprintf(w, " <strong>%zu</strong>", i + 1);
            continue;
        }
        if (!w->e)
            w->e = dash_url(url, d, d->sorts[d->sort].name, i + 1);
        page_wadds(w, " <a href=\"");
        page_whref(w, l, buf_str(url));
        page_wprintf(w, "\">%zu</a>", i + 1);
    }
    page_wadds(w, "</p>\n");
}

/* The GET form that filters the benchmarks by q, keeping the sort. */
static void search_form(struct page_w *w, const struct page_dashboard *d)
{
    page_wadds(w, "<form method=\"get\" action=\"/p/");
    page_wseg(w, d->slug);
    page_wadds(w, "\"><label>Search <input type=\"search\" name=\"q\" "
                  "value=\"");
    page_wattr(w, d->q ? d->q : "");
    page_wadds(w, "\"></label> <input type=\"hidden\" name=\"sort\" "
                  "value=\"");
    page_wattr(w, d->sorts[d->sort].name);
    page_wadds(w, "\"> <button type=\"submit\">Filter</button></form>\n");
}

static void dash_row(struct page_w *w, const struct page_links *l,
                     struct buf *url, const char *slug,
                     const struct page_dash_row *r)
{
    struct page_w u = {url, ERR_OK};
    char sfx[48];

    snprintf(sfx, sizeof sfx, "/benchmarks/%lld", (long long)r->bench_id);
    page_wadds(w, "<tr><td>");
    page_wlink(w, l, slug, sfx, r->key);
    page_wadds(w, "</td><td>");
    page_wtext(w, r->measure);
    /* The URL is built escaped for its contexts (segment, query), then
     * the link builder escapes the whole as an attribute value. */
    buf_reset(url);
    page_wadds(&u, "/p/");
    page_wseg(&u, slug);
    page_wprintf(&u, "/charts/sparkline.png?benchmark=%lld&measure=",
                 (long long)r->bench_id);
    page_wquery(&u, r->measure);
    if (!w->e)
        w->e = u.e;
    page_wadds(w, "</td><td><img class=\"spark\" width=\"120\" "
                  "height=\"30\" alt=\"trend\" src=\"");
    page_whref(w, l, buf_str(url));
    page_wadds(w, "\"></td><td class=\"num\">");
    page_wvalue(w, r->last, r->unit);
    page_wadds(w, "</td><td class=\"num\">");
    if (isnan(r->change)) {
        page_wadds(w, "–");
    } else if (r->since_alert) {
        page_wprintf(w, "%+.1f%% <span class=\"muted small\">(since ",
                     r->change * 100);
        short_sha(w, r->first_bad_commit, "its alert");
        page_wadds(w, ")</span>");
    } else {
        page_wprintf(w,
                     "%+.1f%% <span class=\"muted small\">(%zu run%s)"
                     "</span>",
                     r->change * 100, r->tail, r->tail == 1 ? "" : "s");
    }
    page_wadds(w, r->state == PAGE_DASH_BETTER ? "</td><td class=\"good\">"
                  : r->state != PAGE_DASH_NONE ? "</td><td class=\"bad\">"
                                               : "</td><td>");
    page_wadds(w, r->state_text ? r->state_text : "");
    page_wadds(w, "</td><td class=\"num\">");
    if (isnan(r->cv))
        page_wadds(w, "–");
    else
        page_wprintf(w, "%.1f%%", r->cv * 100);
    page_wadds(w, "</td></tr>\n");
}

enum err page_dashboard_write(const struct page_links *l,
                              const struct page_dashboard *d, struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    size_t per = d->rows_per_page ? d->rows_per_page : 1;
    size_t npages = d->nrows ? (d->nrows + per - 1) / per : 1;
    struct buf url;

    assert(d->sort < d->nsorts && d->page < npages);
    buf_init(&url, 0);
    w.e = page_begin(l, out, d->slug, d->slug);
    page_wadds(&w, "<h1>");
    page_wtext(&w, d->slug);
    page_wadds(&w, "</h1>\n");
    if (d->description) {
        page_wadds(&w, "<p>");
        page_wtext(&w, d->description);
        page_wadds(&w, "</p>\n");
    }
    if (d->worse)
        dash_worse(&w, l, d);
    dash_alerts(&w, l, d->slug, d->open, d->nopen, d->open_ok, "Open alerts",
                false);
    dash_alerts(&w, l, d->slug, d->known, d->nknown, d->known_ok,
                "Known regressions (acknowledged, not resolved)", true);
    dash_branches(&w, l, d);

    page_wadds(&w, "<h2>Benchmarks</h2>\n");
    if (!l->live)
        page_wadds(&w, "<p class=\"muted\">Search needs the live server "
                       "(<code>benchvault serve</code>).</p>\n");
    else
        search_form(&w, d);
    page_wadds(&w, "<p>Sort by:");
    for (size_t i = 0; i < d->nsorts; i++) {
        if (i == d->sort) {
            page_wadds(&w, " <strong>");
            page_wtext(&w, d->sorts[i].label);
            page_wadds(&w, "</strong>");
            continue;
        }
        if (!w.e)
            w.e = dash_url(&url, d, d->sorts[i].name, 0);
        page_wadds(&w, " <a href=\"");
        page_whref(&w, l, buf_str(&url));
        page_wadds(&w, "\">");
        page_wtext(&w, d->sorts[i].label);
        page_wadds(&w, "</a>");
    }
    page_wadds(&w, "</p>\n");
    if (d->nrows == 0) {
        page_wadds(&w, "<p class=\"muted\">No benchmarks match.</p>\n");
    } else {
        dash_pages(&w, l, &url, d, npages);
        page_wadds(&w, "<table>\n<thead><tr><th>Benchmark</th><th>Measure"
                       "</th><th>Trend</th><th class=\"num\">Last</th>"
                       "<th class=\"num\" title=\"the latest level (its runs) "
                       "against the median of the runs before it\">Now vs "
                       "history</th><th>State</th><th class=\"num\">Noise "
                       "(CV)</th></tr></thead>\n<tbody>\n");
    }
    for (size_t i = d->page * per; i < d->nrows && i < (d->page + 1) * per; i++)
        dash_row(&w, l, &url, d->slug, &d->rows[i]);
    if (d->nrows > 0)
        page_wadds(&w, "</tbody>\n</table>\n");
    if (npages > 1) /* the page links again under a long table */
        dash_pages(&w, l, &url, d, npages);
    if (!w.e)
        w.e = page_end(out);
    buf_cleanup(&url);
    return w.e;
}
