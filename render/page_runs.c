/*
 * The runs list, /p/{slug}/runs.  Design notes:
 *  1. The filters are GET parameters (branch, testbed, commit), so every
 *     view is a shareable URL; the form needs a live server, so the static
 *     report lists the runs without it.
 *  2. Pages go back in time by a cursor (before: a run id, as the runs API
 *     pages), so a page stays the same runs while new ones arrive.
 *  3. The table sits in a scroll box: a phone scrolls it, not the page.
 */
#include "render/html_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The list's path with its filters and before (0: none). */
static enum err runs_url(struct buf *u, const struct page_runs *p,
                         int64_t before)
{
    struct page_w w = {u, ERR_OK};
    char sep = '?';

    buf_reset(u);
    page_wadds(&w, "/p/");
    page_wseg(&w, p->slug);
    page_wadds(&w, "/runs");
    if (p->branch) {
        page_wadds(&w, "?branch=");
        page_wquery(&w, p->branch);
        sep = '&';
    }
    if (p->testbed) {
        page_wprintf(&w, "%ctestbed=", sep);
        page_wquery(&w, p->testbed);
        sep = '&';
    }
    if (p->commit) {
        page_wprintf(&w, "%ccommit=", sep);
        page_wquery(&w, p->commit);
        sep = '&';
    }
    if (before > 0)
        page_wprintf(&w, "%cbefore=%lld", sep, (long long)before);
    return w.e;
}

static void choice(struct page_w *w, const char *label, const char *name,
                   char *const *v, size_t n, const char *cur)
{
    page_wadds(w, "<label>");
    page_wtext(w, label);
    page_wadds(w, " <select name=\"");
    page_wattr(w, name);
    page_wadds(w, "\"><option value=\"\">all</option>");
    for (size_t i = 0; i < n; i++) {
        page_wadds(w, "<option value=\"");
        page_wattr(w, v[i]);
        page_wadds(w, cur && !strcmp(cur, v[i]) ? "\" selected>" : "\">");
        page_wtext(w, v[i]);
        page_wadds(w, "</option>");
    }
    page_wadds(w, "</select></label>\n");
}

static void filter_form(struct page_w *w, const struct page_runs *p)
{
    page_wadds(w, "<form method=\"get\" action=\"/p/");
    page_wseg(w, p->slug);
    page_wadds(w, "/runs\">\n");
    choice(w, "Branch", "branch", p->branches, p->nbranches, p->branch);
    choice(w, "Testbed", "testbed", p->testbeds, p->ntestbeds, p->testbed);
    page_wadds(w, "<label>Commit <input type=\"text\" name=\"commit\" "
                  "size=\"12\" placeholder=\"sha prefix\" value=\"");
    page_wattr(w, p->commit ? p->commit : "");
    page_wadds(w, "\"></label>\n<button type=\"submit\">Filter</button>\n"
                  "</form>\n");
}

static void run_row(struct page_w *w, const struct page_links *l,
                    const char *slug, const char *repo, const struct run *r)
{
    char sfx[48], text[32];
    const char *msg = r->commit_message;

    snprintf(sfx, sizeof sfx, "/runs/%lld", (long long)r->id);
    snprintf(text, sizeof text, "%lld", (long long)r->id);
    page_wadds(w, "<tr><td class=\"num\">");
    page_wlink(w, l, slug, sfx, text);
    page_wadds(w, "</td><td>");
    page_wtext(w, r->branch);
    if (r->pr_number > 0)
        page_wprintf(w, " <span class=\"muted small\">(PR %lld)</span>",
                     (long long)r->pr_number);
    page_wadds(w, "</td><td>");
    page_wcommit(w, repo, r->commit_sha);
    if (msg && *msg) {
        char *subject = xstrndup(msg, strcspn(msg, "\r\n"));

        page_wadds(w, " <span class=\"small\">");
        page_wtext(w, subject);
        page_wadds(w, "</span>");
        free(subject);
    }
    page_wadds(w, "</td><td>");
    page_wtext(w, r->testbed);
    page_wadds(w, "</td><td>");
    page_wtime(w, r->commit_time != TIME_NONE ? r->commit_time : r->created_at);
    page_wprintf(w, "</td><td class=\"num\">%lld</td></tr>\n",
                 (long long)r->result_count);
}

enum err page_runs_write(const struct page_links *l, const struct page_runs *p,
                         struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    struct buf url;

    buf_init(&url, 0);
    w.e = page_begin(l, out, "Runs", p->slug);
    page_wadds(&w, "<h1>Runs</h1>\n");
    if (l->live)
        filter_form(&w, p);
    if (p->n == 0) {
        page_wadds(&w, "<p class=\"muted\">No runs match.</p>\n");
    } else {
        page_wadds(&w, "<div class=\"scroll\"><table class=\"runs\">\n"
                       "<thead><tr><th class=\"num\">Run</th><th>Branch</th>"
                       "<th>Commit</th><th>Testbed</th><th>Time</th>"
                       "<th class=\"num\">Results</th></tr></thead>\n"
                       "<tbody>\n");
        for (size_t i = 0; i < p->n; i++)
            run_row(&w, l, p->slug, p->repo_url, &p->runs[i]);
        page_wadds(&w, "</tbody>\n</table></div>\n");
    }
    if (p->before > 0 || p->next_before > 0)
        page_wadds(&w, "<p>");
    if (p->before > 0) {
        if (!w.e)
            w.e = runs_url(&url, p, 0);
        page_wadds(&w, "<a href=\"");
        page_whref(&w, l, buf_str(&url));
        page_wadds(&w, "\">Newest runs</a> ");
    }
    if (p->next_before > 0) {
        if (!w.e)
            w.e = runs_url(&url, p, p->next_before);
        page_wadds(&w, "<a href=\"");
        page_whref(&w, l, buf_str(&url));
        page_wadds(&w, "\">Older runs</a>");
    }
    if (p->before > 0 || p->next_before > 0)
        page_wadds(&w, "</p>\n");
    if (!w.e)
        w.e = page_end(out);
    buf_cleanup(&url);
    return w.e;
}
