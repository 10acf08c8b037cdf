/*
 * What is worse now: the regressions page, its Atom feed, and the short
 * list the dashboard leads with.  Design notes:
 *  1. The rows come ranked and judged from service/regressions.c (the
 *     dashboard's rule, service/dashboard.c note 1); nothing here decides.
 *  2. Each row says since when (the first bad run's date, its commit and
 *     subject, and the commit range last good..first bad), by how much
 *     (the change with its 95% interval), its state, and links to the
 *     benchmark page of its branch and testbed and to the trend chart.
 *  3. The feed's entry id names the series and its first bad run, so a
 *     reader shows a series again when it moves to a new level, not when
 *     its figures wobble.  Its links are the same server paths the pages
 *     use (relative references, RFC 4287 section 2.3).
 *  4. The compare link (last good against first bad) needs the live
 *     server, so the static report leaves it out.
 */
#include "render/html_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* "/p/{slug}/benchmarks/{id}?branch=..&testbed=.." or, chart, the trend
 * chart of the row's series. */
static enum err series_path(struct buf *b, const char *slug,
                            const struct page_regression *r, bool chart)
{
    struct page_w w = {b, ERR_OK};

    buf_reset(b);
    page_wadds(&w, "/p/");
    page_wseg(&w, slug);
    if (chart)
        page_wprintf(&w, "/charts/trend.png?benchmark=%lld&measure=",
                     (long long)r->bench_id);
    else
        page_wprintf(&w, "/benchmarks/%lld?measure=", (long long)r->bench_id);
    page_wquery(&w, r->measure);
    page_wadds(&w, "&branch=");
    page_wquery(&w, r->branch);
    page_wadds(&w, "&testbed=");
    page_wquery(&w, r->testbed);
    return w.e;
}

/* "+20.1% (95% CI +15.2% to +25.0%)" as text. */
static void change_text(struct page_w *w, const struct page_regression *r)
{
    page_wpercent(w, r->change);
    if (isfinite(r->ci[0]) && isfinite(r->ci[1])) {
        page_wadds(w, " <span class=\"muted small\">(95% CI ");
        page_wpercent(w, r->ci[0]);
        page_wadds(w, " to ");
        page_wpercent(w, r->ci[1]);
        page_wadds(w, ")</span>");
    }
}

static void state_text(struct page_w *w, const struct page_regression *r)
{
    if (!strcmp(r->state, "suspected"))
        page_wadds(w, "suspected <span class=\"muted small\">(no alert "
                      "yet)</span>");
    else if (!strcmp(r->state, "known"))
        page_wadds(w, "known <span class=\"muted small\">(acknowledged, "
                      "not resolved)</span>");
    else
        page_wadds(w, "alert open");
}

void page_regressions_table(struct page_w *w, const struct page_links *l,
                            const struct page_regressions *p, bool brief)
{
    struct buf path;

    buf_init(&path, 0);
    page_wadds(w, "<div class=\"scroll\"><table class=\"regressions\">\n"
                  "<thead><tr><th>Benchmark</th><th>Measure</th>"
                  "<th class=\"num\">Change</th><th>State</th><th>Since</th>");
    if (!brief)
        page_wadds(w, "<th>First bad commit</th><th>Range</th>"
                      "<th>Branch, testbed</th><th class=\"num\">Last</th>"
                      "<th>Chart</th>");
    page_wadds(w, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct page_regression *r = &p->rows[i];

        if (!w->e)
            w->e = series_path(&path, p->slug, r, false);
        page_wadds(w, "<tr><td><a href=\"");
        page_whref(w, l, buf_str(&path));
        page_wadds(w, "\">");
        page_wtext(w, r->key);
        page_wadds(w, "</a></td><td>");
        page_wtext(w, r->measure);
        page_wadds(w, "</td><td class=\"num bad\">");
        change_text(w, r);
        page_wprintf(w, " <span class=\"muted small\">(%zu run%s)</span>",
                     r->runs, r->runs == 1 ? "" : "s");
        page_wadds(w, "</td><td class=\"bad\">");
        state_text(w, r);
        page_wadds(w, "</td><td>");
        page_wtime(w, r->since);
        page_wadds(w, "</td>");
        if (brief) {
            page_wadds(w, "</tr>\n");
            continue;
        }
        page_wadds(w, "<td>");
        if (r->first_bad_run_id > 0) {
            char sfx[48];

            snprintf(sfx, sizeof sfx, "/runs/%lld",
                     (long long)r->first_bad_run_id);
            page_wlink(w, l, p->slug, sfx,
                       r->first_bad_commit ? r->first_bad_commit : "run");
        }
        if (r->message) {
            page_wadds(w, " <span class=\"small\">");
            page_wtext(w, r->message);
            page_wadds(w, "</span>");
        }
        page_wadds(w, "</td><td>");
        if (r->last_good_commit || r->first_bad_commit)
            page_wcommit_range(w, p->repo_url, r->last_good_commit,
                               r->first_bad_commit);
        if (l->live && r->last_good_run_id > 0 && r->first_bad_run_id > 0) {
            char sfx[96];

            snprintf(sfx, sizeof sfx, "/compare?base=%lld&head=%lld",
                     (long long)r->last_good_run_id,
                     (long long)r->first_bad_run_id);
            page_wadds(w, " ");
            page_wlink(w, l, p->slug, sfx, "compare");
        }
        page_wadds(w, "</td><td>");
        page_wtext(w, r->branch);
        page_wadds(w, ", ");
        page_wtext(w, r->testbed);
        page_wadds(w, "</td><td class=\"num\">");
        page_wvalue(w, r->last, r->unit);
        page_wadds(w, "</td><td><a href=\"");
        if (!w->e)
            w->e = series_path(&path, p->slug, r, true);
        page_whref(w, l, buf_str(&path));
        page_wadds(w, "\">trend</a></td></tr>\n");
    }
    page_wadds(w, "</tbody>\n</table></div>\n");
    buf_cleanup(&path);
}

enum err page_regressions_write(const struct page_links *l,
                                const struct page_regressions *p,
                                struct buf *out)
{
    struct page_w w = {out, ERR_OK};

    w.e = page_begin(l, out, "Worse now", p->slug);
    page_wadds(&w, "<h1>Worse now</h1>\n<p>Every series (benchmark and "
                   "measure on its default branch and testbed) whose latest "
                   "level is worse than the runs before it, worst first: "
                   "suspected before any alert, then alerts open and "
                   "acknowledged until they are resolved. ");
    if (l->live) /* the feed needs the live server */
        page_wlink(&w, l, p->slug, "/regressions.atom", "Atom feed");
    page_wadds(&w, "</p>\n");
    if (p->n == 0)
        page_wadds(&w, "<p class=\"good\">Nothing is worse now.</p>\n");
    else
        page_regressions_table(&w, l, p, false);
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}

/* An RFC 3339 time (UTC). */
static void atom_time(struct page_w *w, int64_t ms)
{
    char t[TIME_ISO_LEN];

    time_format_iso(ms, t);
    page_wtext(w, t);
}

enum err page_regressions_atom(const struct page_links *l,
                               const struct page_regressions *p,
                               struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    struct buf path;

    buf_init(&path, 0);
    buf_reset(out);
    page_wadds(&w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                   "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>");
    page_wtext(&w, p->slug);
    page_wadds(&w, ": worse now</title>\n<id>tag:benchvault,2026:");
    page_wseg(&w, p->slug);
    page_wadds(&w, "/regressions</id>\n<updated>");
    atom_time(&w, p->updated);
    page_wadds(&w, "</updated>\n<author><name>benchvault</name></author>\n"
                   "<link rel=\"alternate\" type=\"text/html\" href=\"");
    if (!w.e)
        w.e = buf_adds(&path, "/p/");
    if (!w.e)
        w.e = page_esc_segment(&path, p->slug);
    if (!w.e)
        w.e = buf_adds(&path, "/regressions");
    page_whref(&w, l, buf_str(&path));
    page_wadds(&w, "\"/>\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct page_regression *r = &p->rows[i];
        char abbrev[13];
        const char *fb = page_short_sha(r->first_bad_commit, abbrev);

        page_wadds(&w, "<entry>\n<title>");
        page_wtext(&w, r->key);
        page_wadds(&w, " ");
        page_wtext(&w, r->measure);
        page_wadds(&w, " ");
        page_wpercent(&w, r->change);
        page_wadds(&w, " (");
        page_wtext(&w, r->state);
        page_wadds(&w, ")</title>\n<id>tag:benchvault,2026:");
        page_wseg(&w, p->slug);
        page_wprintf(&w, "/regressions/%lld/", (long long)r->bench_id);
        page_wseg(&w, r->measure);
        page_wadds(&w, "/");
        page_wseg(&w, r->branch);
        page_wadds(&w, "/");
        page_wseg(&w, r->testbed);
        page_wprintf(&w, "/%lld</id>\n<updated>",
                     (long long)r->first_bad_run_id);
        atom_time(&w, r->since != TIME_NONE ? r->since : p->updated);
        page_wadds(&w, "</updated>\n<link rel=\"alternate\" "
                       "type=\"text/html\" href=\"");
        if (!w.e)
            w.e = series_path(&path, p->slug, r, false);
        page_whref(&w, l, buf_str(&path));
        page_wadds(&w, "\"/>\n<summary>");
        page_wtext(&w, r->key);
        page_wadds(&w, " (");
        page_wtext(&w, r->measure);
        page_wadds(&w, ", ");
        page_wtext(&w, r->branch);
        page_wadds(&w, ", ");
        page_wtext(&w, r->testbed);
        page_wadds(&w, ") is ");
        page_wpercent(&w, r->change);
        if (isfinite(r->ci[0]) && isfinite(r->ci[1])) {
            page_wadds(&w, " (95% CI ");
            page_wpercent(&w, r->ci[0]);
            page_wadds(&w, " to ");
            page_wpercent(&w, r->ci[1]);
            page_wadds(&w, ")");
        }
        page_wprintf(&w, " over %zu run%s, ", r->runs, r->runs == 1 ? "" : "s");
        page_wtext(&w, r->state);
        page_wadds(&w, "; since ");
        page_wtext(&w, fb ? fb : "an unknown commit");
        if (r->message) {
            page_wadds(&w, " \"");
            page_wtext(&w, r->message);
            page_wadds(&w, "\"");
        }
        if (r->since != TIME_NONE) {
            page_wadds(&w, " of ");
            page_wtime(&w, r->since);
        }
        page_wadds(&w, ".</summary>\n</entry>\n");
    }
    page_wadds(&w, "</feed>\n");
    buf_cleanup(&path);
    return w.e;
}
