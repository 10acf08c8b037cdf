/*
 * What pages show of a comparison (the compare page and the run page) and
 * the run page itself.  Design notes:
 *  1. One comparison block serves the compare page (every row) and the run
 *     page (the run against its base, changed rows only, with a link to
 *     the full comparison, which the static report saves too).  Chart
 *     and links name the runs by id, so they show the same runs later,
 *     when the branch has moved on.
 *  2. Recommendations are worded by analysis/ and handed in by service/.
 *  3. Under the rows, the samples of the changed rows (regressed or
 *     improved; the PAGE_DIST_MAX largest changes): a verdict is easier to
 *     trust when the two clouds of points are in view.
 *  4. The comparison's recommendations include what the head run's
 *     resource samples say; the run page shows those beside its resources
 *     chart instead, so its comparison block leaves them out.
 *  5. Live, the compare page is a GET form over the references.  Without
 *     a live server (the static report) it has no form: it shows the
 *     comparison its link named (a run's full comparison), and the header
 *     does not link the empty form.
 *  6. The run page leads with its verdict: the comparison's summary and
 *     changed rows come first (before the chart, which grows with the
 *     rows), and the run's own results are folded (<details>) below, so
 *     the verdict is in the first screen whatever the run's size.
 *  7. The compare form offers recent runs and branches through a
 *     <datalist>: a picker in every browser, and the inputs stay free
 *     text, so the form works the same without JavaScript.
 */
#include "render/html_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_DIST_MAX 6

static void plural(struct page_w *w, size_t n, const char *one,
                   const char *many)
{
    page_wprintf(w, "%zu %s", n, n == 1 ? one : many);
}

/* "12,13": a side's run ids as a reference (note 1). */
static void side_ids(struct page_w *w, const struct page_cmp_side *s)
{
    for (size_t i = 0; i < s->nids; i++)
        page_wprintf(w, "%s%lld", i ? "," : "", (long long)s->ids[i]);
}

/* "Base: branch:main, run 3: the run of main before the head". */
static void side_line(struct page_w *w, const struct page_links *l,
                      const char *slug, const struct page_cmp_side *s,
                      bool head)
{
    page_wadds(w, head ? "<li>Head: " : "<li>Base: ");
    /* a reference that is just the ids says nothing more */
    if (s->ref && strspn(s->ref, "0123456789,") != strlen(s->ref)) {
        page_wtext(w, s->ref);
        page_wadds(w, ", ");
    }
    page_wadds(w, s->n == 1 ? "run " : "runs ");
    for (size_t i = 0; i < s->nids; i++) {
        char sfx[48], text[24];

        snprintf(sfx, sizeof sfx, "/runs/%lld", (long long)s->ids[i]);
        snprintf(text, sizeof text, "%lld", (long long)s->ids[i]);
        if (i)
            page_wadds(w, ", ");
        page_wlink(w, l, slug, sfx, text);
    }
    if (s->how) {
        page_wadds(w, ": ");
        page_wtext(w, s->how);
    }
    page_wadds(w, "</li>\n");
}

/* Rows with one value per run: listed with their change, not judged. */
static void single_rows(struct page_w *w, const struct page_comparison *c)
{
    if (!c->nsingles)
        return;
    page_wprintf(w,
                 "<details><summary>%zu not compared: one value per run "
                 "(judged by budgets and trends)</summary>\n<ul>\n",
                 c->nsingles);
    for (size_t i = 0; i < c->nsingles; i++) {
        page_wadds(w, "<li>");
        page_wtext(w, c->singles[i].key);
        page_wadds(w, " ");
        page_wtext(w, c->singles[i].measure);
        page_wadds(w, ": ");
        page_wpercent(w, c->singles[i].change);
        page_wadds(w, "</li>\n");
    }
    page_wadds(w, "</ul>\n</details>\n");
}

static bool changed(const struct page_cmp_row *r)
{
    return r->verdict == PAGE_REGRESSED || r->verdict == PAGE_IMPROVED;
}

static void rows_table(struct page_w *w, const struct page_comparison *c,
                       bool all_rows)
{
    size_t shown = 0;

    for (size_t i = 0; i < c->nrows; i++) {
        const struct page_cmp_row *r = &c->rows[i];

        if (!all_rows && !changed(r))
            continue;
        if (!shown++)
            page_wadds(w, "<table>\n<thead><tr><th>Benchmark</th><th>"
                          "Measure</th><th class=\"num\">Base</th><th "
                          "class=\"num\">Head</th><th class=\"num\">Change"
                          "</th><th class=\"num\">95% CI</th><th "
                          "class=\"num\">q</th><th class=\"num\">Threshold"
                          "</th><th>Verdict</th><th>Why</th></tr></thead>\n"
                          "<tbody>\n");
        page_wadds(w, "<tr><td>");
        page_wtext(w, r->key);
        page_wadds(w, "</td><td>");
        page_wtext(w, r->measure);
        page_wadds(w, "</td><td class=\"num\">");
        page_wvalue(w, r->base, r->unit);
        page_wadds(w, "</td><td class=\"num\">");
        page_wvalue(w, r->head, r->unit);
        page_wadds(w, "</td><td class=\"num\">");
        page_wpercent(w, r->change);
        page_wadds(w, "</td><td class=\"num\">");
        if (isnan(r->ci[0]) || isnan(r->ci[1])) {
            page_wadds(w, "–");
        } else {
            page_wpercent(w, r->ci[0]);
            page_wadds(w, " … ");
            page_wpercent(w, r->ci[1]);
        }
        page_wadds(w, "</td><td class=\"num\">");
        if (isnan(r->q))
            page_wadds(w, "–");
        else
            page_wprintf(w, "%.2g", r->q);
        page_wadds(w, "</td><td class=\"num\">");
        if (isnan(r->threshold))
            page_wadds(w, "–");
        else
            page_wprintf(w, "%.1f%%", r->threshold * 100);
        page_wadds(w, r->verdict == PAGE_REGRESSED  ? "</td><td class=\"bad\">"
                      : r->verdict == PAGE_IMPROVED ? "</td><td class=\"good\">"
                                                    : "</td><td>");
        page_wtext(w, r->verdict_text);
        page_wadds(w, "</td><td class=\"muted small\">");
        if (r->verdict != PAGE_UNCHANGED)
            page_wtext(w, r->reason);
        page_wadds(w, "</td></tr>\n");
    }
    if (shown)
        page_wadds(w, "</tbody>\n</table>\n");
    else if (c->nrows == 0)
        page_wprintf(w,
                     "<p class=\"bad\">Nothing was comparable: base and "
                     "head share no benchmark and measure with samples to "
                     "compare (%zu series only in the base, %zu only in the "
                     "head, %zu with one value per run).</p>\n",
                     c->nonly[0], c->nonly[1], c->nsingles);
    else if (!all_rows)
        page_wadds(w, "<p class=\"muted\">No benchmark changed beyond its "
                      "threshold and noise.</p>\n");
    single_rows(w, c);
}

/* The changed rows, largest |change| first, at most PAGE_DIST_MAX. */
static size_t changed_rows(const struct page_comparison *c,
                           size_t idx[PAGE_DIST_MAX])
{
    double size[PAGE_DIST_MAX];
    size_t n = 0;

    for (size_t i = 0; i < c->nrows; i++) {
        const struct page_cmp_row *r = &c->rows[i];
        double a;
        size_t k;

        if (!r->key || !r->measure || !changed(r))
            continue;
        a = isfinite(r->change) ? fabs(r->change) : 0;
        if (n == PAGE_DIST_MAX && a <= size[PAGE_DIST_MAX - 1])
            continue;
        k = n < PAGE_DIST_MAX ? n++ : PAGE_DIST_MAX - 1;
        for (; k > 0 && size[k - 1] < a; k--) {
            idx[k] = idx[k - 1];
            size[k] = size[k - 1];
        }
        idx[k] = i;
        size[k] = a;
    }
    return n;
}

/* A chart path: /p/{slug}/charts/{chart}?{query} into p. */
static enum err chart_path(struct buf *p, const char *slug, const char *chart,
                           const char *query)
{
    struct page_w w = {p, ERR_OK};

    buf_reset(p);
    page_wadds(&w, "/p/");
    page_wseg(&w, slug);
    page_wadds(&w, chart);
    page_wadds(&w, query);
    return w.e;
}

/* The changed rows' samples (note 3); sides is "base=IDS&head=IDS". */
static void distributions(struct page_w *w, const struct page_links *l,
                          const char *slug, const struct page_comparison *c,
                          const char *sides)
{
    size_t idx[PAGE_DIST_MAX], n = changed_rows(c, idx);
    struct buf q, path;

    if (n == 0)
        return;
    page_wadds(w, "<h3>Samples of the changed rows</h3>\n<p>");
    buf_init(&q, 0);
    buf_init(&path, 0);
    for (size_t i = 0; i < n; i++) {
        const struct page_cmp_row *r = &c->rows[idx[i]];
        struct page_w qw = {&q, ERR_OK};

        buf_reset(&q);
        page_wadds(&qw, sides);
        page_wadds(&qw, "&benchmark=");
        page_wquery(&qw, r->key);
        page_wadds(&qw, "&measure=");
        page_wquery(&qw, r->measure);
        if (!w->e)
            w->e = qw.e ? qw.e
                        : chart_path(&path, slug, "/charts/distribution.png?",
                                     buf_str(&q));
        /* its size, so the page keeps its place while images load */
        page_wprintf(w,
                     "<img class=\"chart\" width=\"%d\" height=\"%d\" "
                     "alt=\"base and head samples of ",
                     PAGE_DIST_WIDTH, PAGE_DIST_HEIGHT);
        page_wattr(w, r->key);
        page_wadds(w, " (");
        page_wattr(w, r->measure);
        page_wadds(w, ")\" src=\"");
        page_whref(w, l, buf_str(&path));
        page_wadds(w, "\">\n");
    }
    page_wadds(w, "</p>\n");
    buf_cleanup(&q);
    buf_cleanup(&path);
}

/* The chart of every row's change with its interval (none without rows). */
static void change_chart(struct page_w *w, const struct page_links *l,
                         const char *slug, const struct page_comparison *c,
                         struct buf *path, const char *q)
{
    if (c->nrows == 0)
        return;
    if (!w->e)
        w->e = chart_path(path, slug, "/charts/compare.png?", q);
    page_wadds(w, "<p><img class=\"chart\" alt=\"relative change per "
                  "benchmark with its 95% confidence interval\" src=\"");
    page_whref(w, l, buf_str(path));
    page_wadds(w, "\"></p>\n");
}

enum err page_comparison_write(const struct page_links *l, struct buf *out,
                               const char *slug,
                               const struct page_comparison *c, bool all_rows,
                               bool resources)
{
    struct page_w w = {out, ERR_OK};
    struct buf q, path;
    struct page_w qw = {&q, ERR_OK};
    size_t shown = 0;

    buf_init(&q, 0);
    buf_init(&path, 0);
    page_wadds(&w, "<p class=\"verdict\"><strong>");
    plural(&w, c->counts[PAGE_REGRESSED], "regression", "regressions");
    page_wadds(&w, ", ");
    plural(&w, c->counts[PAGE_IMPROVED], "improvement", "improvements");
    page_wprintf(&w, ", %zu unchanged, %zu inconclusive</strong>",
                 c->counts[PAGE_UNCHANGED], c->counts[PAGE_INCONCLUSIVE]);
    if (c->nsingles)
        page_wprintf(&w, " (%zu not compared: one value per run)", c->nsingles);
    page_wadds(&w, "</p>\n<ul>\n");
    side_line(&w, l, slug, &c->side[0], false);
    side_line(&w, l, slug, &c->side[1], true);
    page_wadds(&w, "</ul>\n");
    page_wadds(&qw, "base=");
    side_ids(&qw, &c->side[0]);
    page_wadds(&qw, "&head=");
    side_ids(&qw, &c->side[1]);
    if (!w.e)
        w.e = qw.e;
    if (all_rows)
        change_chart(&w, l, slug, c, &path, buf_str(&q));
    rows_table(&w, c, all_rows);
    if (!all_rows) /* note 6: the changed rows first, then the chart */
        change_chart(&w, l, slug, c, &path, buf_str(&q));
    if (!all_rows) {
        if (!w.e)
            w.e = chart_path(&path, slug, "/compare?", buf_str(&q));
        page_wadds(&w, "<p><a href=\"");
        page_whref(&w, l, buf_str(&path));
        page_wprintf(&w, "\">Every row (%zu)</a></p>\n", c->nrows);
    }
    distributions(&w, l, slug, c, buf_str(&q));
    if (c->nbudgets)
        page_wadds(&w, "<h3>Budgets</h3>\n<ul>\n");
    for (size_t i = 0; i < c->nbudgets; i++) {
        const struct page_cmp_budget *bg = &c->budgets[i];

        page_wadds(&w, bg->status && strcmp(bg->status, "fail") == 0
                           ? "<li class=\"bad\">"
                           : "<li>");
        page_wtext(&w, bg->status);
        page_wadds(&w, ": ");
        page_wtext(&w, bg->message);
        page_wadds(&w, "</li>\n");
    }
    if (c->nbudgets)
        page_wadds(&w, "</ul>\n");
    for (size_t i = 0; i < c->nrecs; i++) {
        if (!resources && c->recs[i].resource)
            continue;
        if (!shown++)
            page_wadds(&w, "<h3>Recommendations</h3>\n<ul class=\"advice\">\n");
        page_wadds(&w, "<li>");
        page_wtext(&w, c->recs[i].text);
        page_wadds(&w, "</li>\n");
    }
    if (shown)
        page_wadds(&w, "</ul>\n");
    buf_cleanup(&q);
    buf_cleanup(&path);
    return w.e;
}

/* ---- the compare page --------------------------------------------------- */

static void ref_input(struct page_w *w, const char *label, const char *name,
                      const char *v, bool picks)
{
    page_wadds(w, "<label>");
    page_wtext(w, label);
    page_wadds(w, " <input type=\"text\" name=\"");
    page_wattr(w, name);
    page_wadds(w, picks ? "\" list=\"refs\" value=\"" : "\" value=\"");
    page_wattr(w, v ? v : "");
    page_wadds(w, "\" placeholder=\"run id, branch:NAME, commit:SHA\">"
                  "</label>\n");
}

/* Note 7: the references the form offers, as a <datalist>. */
static void ref_picks(struct page_w *w, const struct page_compare_picks *p)
{
    page_wadds(w, "<datalist id=\"refs\">\n");
    for (size_t i = 0; i < p->nbranches; i++) {
        page_wadds(w, "<option value=\"branch:");
        page_wattr(w, p->branches[i]);
        page_wadds(w, "\">branch ");
        page_wtext(w, p->branches[i]);
        page_wadds(w, " (its recent runs)</option>\n");
    }
    for (size_t i = 0; i < p->nruns; i++) {
        const struct run *r = &p->runs[i];
        char abbrev[13];
        const char *sha = page_short_sha(r->commit_sha, abbrev);

        page_wprintf(w, "<option value=\"%lld\">run %lld · ", (long long)r->id,
                     (long long)r->id);
        page_wtext(w, r->branch);
        page_wadds(w, " · ");
        page_wtext(w, sha ? sha : "");
        page_wadds(w, " · ");
        page_wtext(w, r->testbed);
        page_wadds(w, "</option>\n");
    }
    page_wadds(w, "</datalist>\n");
}

enum err page_compare_write(const struct page_links *l, const char *slug,
                            const char *base, const char *head,
                            const struct page_compare_picks *picks,
                            const struct page_comparison *c, const char *error,
                            struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    bool pk = picks && (picks->nruns || picks->nbranches);

    w.e = page_begin(l, out, "Compare", slug);
    page_wadds(&w, "<h1>Compare</h1>\n");
    if (l->live) { /* note 5 */
        page_wadds(&w, "<form method=\"get\">\n");
        ref_input(&w, "Base", "base", base, pk);
        ref_input(&w, "Head", "head", head, pk);
        if (pk)
            ref_picks(&w, picks);
        page_wadds(&w, "<button type=\"submit\">Compare</button>\n</form>\n");
        if (pk) {
            page_wadds(&w,
                       "<p class=\"muted small\">Type a run id, "
                       "<code>branch:NAME</code> or <code>commit:SHA</code>, "
                       "or pick one; ");
            page_wlink(&w, l, slug, "/runs", "every run");
            page_wadds(&w, ".</p>\n");
        }
    } else {
        page_wadds(&w, "<p class=\"muted\">Comparing other runs needs the "
                       "live server.</p>\n");
    }
    if (error) {
        page_wadds(&w, "<p class=\"bad\">");
        page_wtext(&w, error);
        page_wadds(&w, "</p>\n");
    } else if (!c) {
        page_wadds(&w, "<p class=\"muted\">Choose a head (and a base) to "
                       "compare.</p>\n");
    } else if (!w.e) {
        w.e = page_comparison_write(l, out, slug, c, true, true);
    }
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}

/* ---- the run page ------------------------------------------------------- */

static void row_text(struct page_w *w, const char *label, const char *v)
{
    page_wadds(w, "<tr><th>");
    page_wtext(w, label);
    page_wadds(w, "</th><td>");
    page_wtext(w, v && *v ? v : "–");
    page_wadds(w, "</td></tr>\n");
}

static void run_table(struct page_w *w, const struct run *r)
{
    page_wadds(w, "<table>\n");
    row_text(w, "Branch", r->branch);
    row_text(w, "Commit", r->commit_sha);
    row_text(w, "Message", r->commit_message);
    row_text(w, "Author", r->commit_author);
    page_wadds(w, "<tr><th>Commit time</th><td>");
    page_wtime(w, r->commit_time);
    page_wadds(w, "</td></tr>\n");
    row_text(w, "Testbed", r->testbed);
    row_text(w, "Format", r->format);
    page_wadds(w, "<tr><th>CI</th><td>");
    page_wtext(w, r->ci_provider ? r->ci_provider : "");
    /* Only an http(s) URL becomes a link; anything else stays text. */
    if (r->ci_url && page_url_safe(r->ci_url)) {
        page_wadds(w, " <a rel=\"nofollow noopener\" href=\"");
        page_wattr(w, r->ci_url);
        page_wadds(w, "\">");
        page_wtext(w, r->ci_job && *r->ci_job ? r->ci_job : "CI job");
        page_wadds(w, "</a>");
    } else if (r->ci_url) {
        page_wadds(w, " ");
        page_wtext(w, r->ci_url);
    }
    page_wadds(w, "</td></tr>\n</table>\n");
}

/* One line above the verdict: which run this is (branch, commit and its
 * subject, testbed). */
static void run_line(struct page_w *w, const struct run *r, const char *repo)
{
    const char *msg = r->commit_message;

    page_wadds(w, "<p class=\"muted\">");
    page_wtext(w, r->branch);
    page_wadds(w, " · ");
    page_wcommit(w, repo, r->commit_sha);
    if (msg && *msg) {
        char *subject = xstrndup(msg, strcspn(msg, "\r\n"));

        page_wadds(w, " ");
        page_wtext(w, subject);
        free(subject);
    }
    page_wadds(w, " · ");
    page_wtext(w, r->testbed);
    page_wadds(w, "</p>\n");
}

static void results_table(struct page_w *w, const struct run *r)
{
    if (r->nresults == 0) {
        page_wadds(w, "<p class=\"muted\">No results.</p>\n");
        return;
    }
    page_wadds(w, "<table>\n<thead><tr><th>Benchmark</th><th>Measure</th>"
                  "<th class=\"num\">Value</th><th class=\"num\">CI</th>"
                  "<th class=\"num\">Stddev</th><th class=\"num\">n</th>"
                  "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < r->nresults; i++) {
        const struct result *res = &r->results[i];

        page_wadds(w, "<tr><td>");
        page_wtext(w, res->key);
        page_wadds(w, "</td><td>");
        page_wtext(w, res->measure);
        page_wadds(w, "</td><td class=\"num\">");
        page_wvalue(w, res->value, res->unit);
        page_wadds(w, "</td><td class=\"num\">");
        if (isnan(res->lower) || isnan(res->upper)) {
            page_wadds(w, "–");
        } else {
            page_wvalue(w, res->lower, res->unit);
            page_wadds(w, " … ");
            page_wvalue(w, res->upper, res->unit);
        }
        page_wadds(w, "</td><td class=\"num\">");
        page_wvalue(w, res->stddev, res->unit);
        if (res->n >= 0)
            page_wprintf(w, "</td><td class=\"num\">%lld</td></tr>\n",
                         (long long)res->n);
        else
            page_wadds(w, "</td><td class=\"num\">–</td></tr>\n");
    }
    page_wadds(w, "</tbody>\n</table>\n");
}

enum err page_run_write(const struct page_links *l, const struct page_run *p,
                        struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    const struct run *r = p->run;
    char title[48];

    snprintf(title, sizeof title, "Run %lld", (long long)r->id);
    w.e = page_begin(l, out, title, p->slug);
    page_wadds(&w, "<h1>");
    page_wtext(&w, title);
    page_wadds(&w, "</h1>\n");
    run_line(&w, r, p->repo_url);
    page_wadds(&w, "<h2>Against its base</h2>\n");
    if (p->cmp) {
        if (!w.e)
            w.e = page_comparison_write(l, out, p->slug, p->cmp, false, false);
    } else {
        page_wadds(&w, p->cmp_expected ? "<p class=\"muted\">"
                                       : "<p class=\"bad\">");
        page_wtext(&w,
                   p->cmp_error ? p->cmp_error : "could not compare the run");
        page_wadds(&w, "</p>\n");
    }
    page_wadds(&w, "<h2>The run</h2>\n");
    run_table(&w, r);
    page_wprintf(&w,
                 "<details class=\"results\">\n<summary>Results "
                 "<span class=\"muted small\">(%zu, raw)</span></summary>\n",
                 r->nresults);
    results_table(&w, r);
    page_wadds(&w, "</details>\n");
    if (r->nresources > 0) {
        struct buf path;
        struct page_w pw = {&path, ERR_OK};

        buf_init(&path, 0);
        page_wadds(&pw, "/p/");
        page_wseg(&pw, p->slug);
        page_wprintf(&pw, "/charts/resources.png?run=%lld", (long long)r->id);
        if (!w.e)
            w.e = pw.e;
        page_wadds(&w, "<h2>Resources</h2>\n<p><img alt=\"CPU, memory, disk "
                       "and GPU over the run\" width=\"900\" height=\"400\" "
                       "src=\"");
        page_whref_url(&w, l, buf_str(&path));
        page_wadds(&w, "\"></p>\n");
        buf_cleanup(&path);
        if (p->nadvice)
            page_wadds(&w, "<h2>Recommendations</h2>\n<ul>\n");
        for (size_t i = 0; i < p->nadvice; i++) {
            page_wadds(&w, "<li>");
            page_wtext(&w, p->advice[i]);
            page_wadds(&w, "</li>\n");
        }
        if (p->nadvice)
            page_wadds(&w, "</ul>\n");
    }
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}
