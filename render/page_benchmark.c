/*
 * One benchmark's page: per measure its trend chart, change points, noise,
 * scaling and runs.  Design notes:
 *  1. Branch and testbed are GET parameters: a selection is a shareable
 *     URL.  Live, a GET form chooses them; without a live server they are
 *     links, one per name and one for the default, each built by view_url
 *     in one parameter order, so a static report saves every view once.
 *  2. The change points, noise and scaling come from service/ (the same
 *     analysis as the series API), so the page and the API agree.
 *  3. Live, the page loads web/tooltips.js, its one script: each trend
 *     image names its JSON sidecar (charts/trend.json, the same query) in
 *     data-points.  Without the script the page is whole (the runs table
 *     links every run); a static report has neither.
 */
#include "render/html_int.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PAGE_RUNS_MAX 50 /* the runs table's newest points */

/* A <select> of names; the selected one is marked, "" is the default. */
static void select_names(struct page_w *w, const char *label, const char *name,
                         char *const *names, size_t n, const char *cur)
{
    page_wadds(w, "<label>");
    page_wtext(w, label);
    page_wadds(w, " <select name=\"");
    page_wattr(w, name);
    page_wadds(w, "\"><option value=\"\">(default)</option>");
    for (size_t i = 0; i < n; i++) {
        page_wadds(w, "<option value=\"");
        page_wattr(w, names[i]);
        page_wadds(w,
                   cur && strcmp(cur, names[i]) == 0 ? "\" selected>" : "\">");
        page_wtext(w, names[i]);
        page_wadds(w, "</option>");
    }
    page_wadds(w, "</select></label>\n");
}

/* The page's path for branch and testbed (NULL: left out), parameters
 * always in this order (note 1). */
static enum err view_url(struct buf *u, const struct page_benchmark *v,
                         const char *branch, const char *testbed)
{
    struct page_w w = {u, ERR_OK};

    buf_reset(u);
    page_wadds(&w, "/p/");
    page_wseg(&w, v->slug);
    page_wprintf(&w, "/benchmarks/%lld", (long long)v->id);
    if (branch) {
        page_wadds(&w, "?branch=");
        page_wquery(&w, branch);
    }
    if (testbed) {
        page_wadds(&w, branch ? "&testbed=" : "?testbed=");
        page_wquery(&w, testbed);
    }
    return w.e;
}

/* The static selector: a link per name and one for the default, the
 * current choice in <strong>; the links keep the view's other choice. */
static void choice_links(struct page_w *w, const struct page_links *l,
                         const struct page_benchmark *v, const char *label,
                         char *const *names, size_t n, bool of_branch)
{
    const char *cur = of_branch ? v->branch : v->testbed;
    struct buf url;

    buf_init(&url, 0);
    page_wadds(w, "<nav class=\"choices\" aria-label=\"");
    page_wattr(w, label);
    page_wadds(w, "\">");
    page_wtext(w, label);
    page_wadds(w, ":");
    for (size_t i = 0; i <= n; i++) {
        const char *name = i ? names[i - 1] : NULL;
        bool on = name ? cur && strcmp(cur, name) == 0 : !cur;

        if (on) {
            page_wadds(w, " <strong>");
            page_wtext(w, name ? name : "(default)");
            page_wadds(w, "</strong>");
            continue;
        }
        if (!w->e)
            w->e = view_url(&url, v, of_branch ? name : v->branch,
                            of_branch ? v->testbed : name);
        page_wadds(w, " <a href=\"");
        page_whref(w, l, buf_str(&url));
        page_wadds(w, "\">");
        page_wtext(w, name ? name : "(default)");
        page_wadds(w, "</a>");
    }
    page_wadds(w, "</nav>\n");
    buf_cleanup(&url);
}

static void selectors(struct page_w *w, const struct page_links *l,
                      const struct page_benchmark *v)
{
    if (l->live) {
        page_wadds(w, "<form method=\"get\">\n");
        select_names(w, "Branch", "branch", v->branches, v->nbranches,
                     v->branch);
        select_names(w, "Testbed", "testbed", v->testbeds, v->ntestbeds,
                     v->testbed);
        page_wadds(w, "<button type=\"submit\">Show</button>\n</form>\n");
        return;
    }
    choice_links(w, l, v, "Branch", v->branches, v->nbranches, true);
    choice_links(w, l, v, "Testbed", v->testbeds, v->ntestbeds, false);
}

/* A link to a run named by text (a commit: its short form). */
static void run_link(struct page_w *w, const struct page_links *l,
                     const char *slug, int64_t run_id, const char *text)
{
    char sfx[48], abbrev[13];

    snprintf(sfx, sizeof sfx, "/runs/%lld", (long long)run_id);
    text = page_short_sha(text, abbrev);
    page_wlink(w, l, slug, sfx, text ? text : "run");
}

static void change_points(struct page_w *w, const struct page_links *l,
                          const char *slug, const struct page_measure *m)
{
    const struct series *s = m->series;

    if (m->ncps == 0) {
        page_wadds(w, "<p class=\"muted\">No change points.</p>\n");
        return;
    }
    page_wadds(w, "<table>\n<thead><tr><th>Commits</th><th class=\"num\">"
                  "Before</th><th class=\"num\">After</th><th class=\"num\">"
                  "Change</th><th>Kind</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < m->ncps; i++) {
        const struct page_cp *c = &m->cps[i];
        const struct series_point *pt = &s->points[c->index];
        bool worse = direction_worse(s->direction, c->before, c->after);

        assert(c->index < s->npoints);
        page_wadds(w, "<tr><td><code>");
        if (c->index > 0) {
            run_link(w, l, slug, s->points[c->index - 1].run_id,
                     s->points[c->index - 1].commit_sha);
            page_wadds(w, "</code> … <code>");
        }
        run_link(w, l, slug, pt->run_id, pt->commit_sha);
        page_wadds(w, "</code></td><td class=\"num\">");
        page_wvalue(w, c->before, s->unit);
        page_wadds(w, "</td><td class=\"num\">");
        page_wvalue(w, c->after, s->unit);
        page_wprintf(w, "</td><td class=\"num\">%+.1f%%</td>", c->change * 100);
        page_wadds(w, worse ? "<td class=\"bad\">regression</td></tr>\n"
                            : "<td class=\"good\">improvement</td></tr>\n");
    }
    page_wadds(w, "</tbody>\n</table>\n");
}

static void advice(struct page_w *w, const char *text)
{
    if (!text)
        return;
    page_wadds(w, "<ul class=\"advice\"><li>");
    page_wtext(w, text);
    page_wadds(w, "</li></ul>\n");
}

static void scaling(struct page_w *w, const struct page_links *l,
                    const char *slug, const struct page_scaling *sc,
                    const char *measure)
{
    struct buf path;
    struct page_w p = {&path, ERR_OK};

    buf_init(&path, 0);
    page_wadds(&p, "/p/");
    page_wseg(&p, slug);
    page_wadds(&p, "/charts/scaling.png?benchmark=");
    page_wquery(&p, sc->family);
    page_wadds(&p, "&param=");
    page_wquery(&p, sc->param);
    page_wadds(&p, "&measure=");
    page_wquery(&p, measure);
    if (!w->e)
        w->e = p.e;
    page_wadds(w, "<h3>Scaling</h3>\n<p><img class=\"chart\" width=\"900\" "
                  "height=\"400\" alt=\"");
    page_wattr(w, sc->family);
    page_wadds(w, " against its parameter, log-log, with the fitted curve\" "
                  "src=\"");
    page_whref_url(w, l, buf_str(&path));
    page_wprintf(w, "\"></p>\n<p>%zu members; best fit ", sc->count);
    page_wtext(w, sc->best);
    page_wprintf(w, ", log-log slope %.2f (95%% CI %.2f to %.2f): ", sc->slope,
                 sc->slope_ci[0], sc->slope_ci[1]);
    page_wtext(w, sc->verdict);
    page_wadds(w, ".</p>\n");
    advice(w, sc->advice);
    buf_cleanup(&path);
}

static void runs_table(struct page_w *w, const struct page_links *l,
                       const char *slug, const struct series *s)
{
    size_t from = s->npoints > PAGE_RUNS_MAX ? s->npoints - PAGE_RUNS_MAX : 0;

    /* Newest first, folded: the chart comes first; the table is there
     * to link every run. */
    page_wprintf(w,
                 "<details><summary>Runs (%s%zu, newest first)</summary>"
                 "\n<table>\n<thead><tr><th>Run</th><th>Commit</th><th>"
                 "Time</th><th class=\"num\">Value</th><th class=\"num\">"
                 "n</th></tr></thead>\n<tbody>\n",
                 from ? "the last " : "", s->npoints - from);
    for (size_t i = s->npoints; i-- > from;) {
        const struct series_point *p = &s->points[i];
        char rid[24], abbrev[13];
        const char *sha = page_short_sha(p->commit_sha, abbrev);

        snprintf(rid, sizeof rid, "#%lld", (long long)p->run_id);
        page_wadds(w, "<tr><td>");
        run_link(w, l, slug, p->run_id, rid);
        page_wadds(w, "</td><td><code>");
        page_wtext(w, sha ? sha : "–");
        page_wadds(w, "</code></td><td>");
        page_wtime(w, p->time);
        page_wadds(w, "</td><td class=\"num\">");
        page_wvalue(w, p->value, s->unit);
        if (p->n >= 0)
            page_wprintf(w, "</td><td class=\"num\">%lld</td></tr>\n",
                         (long long)p->n);
        else
            page_wadds(w, "</td><td class=\"num\">–</td></tr>\n");
    }
    page_wadds(w, "</tbody>\n</table>\n</details>\n</section>\n");
}

static void measure_section(struct page_w *w, const struct page_links *l,
                            const struct page_benchmark *v,
                            const struct page_measure *m)
{
    const struct series *s = m->series;
    struct buf q, path;
    struct page_w qw = {&q, ERR_OK}, pw = {&path, ERR_OK};

    buf_init(&q, 0);
    buf_init(&path, 0);
    page_wadds(w, "<section>\n<h2>");
    page_wtext(w, s->measure);
    page_wadds(w, " <span class=\"muted\">(");
    page_wtext(w, s->branch);
    page_wadds(w, ", ");
    page_wtext(w, s->testbed);
    page_wadds(w, ")</span></h2>\n");
    /* the trend's query; the chart and its tooltips' sidecar share it */
    page_wprintf(&qw, "?benchmark=%lld&measure=", (long long)v->id);
    page_wquery(&qw, s->measure);
    page_wadds(&qw, "&branch=");
    page_wquery(&qw, s->branch);
    page_wadds(&qw, "&testbed=");
    page_wquery(&qw, s->testbed);
    page_wadds(&pw, "/p/");
    page_wseg(&pw, v->slug);
    page_wadds(&pw, "/charts/trend.png");
    page_wadds(&pw, buf_str(&q));
    if (!w->e)
        w->e = qw.e ? qw.e : pw.e;
    page_wadds(w, "<p><img class=\"chart\" width=\"900\" height=\"400\" "
                  "alt=\"trend of ");
    page_wattr(w, v->key);
    page_wadds(w, " ");
    page_wattr(w, s->measure);
    page_wadds(w, " on ");
    page_wattr(w, s->branch);
    page_wadds(w, " / ");
    page_wattr(w, s->testbed);
    if (s->npoints) {
        page_wprintf(w, ": %zu runs, latest ", s->npoints);
        page_wvalue_attr(w, s->points[s->npoints - 1].value, s->unit);
    }
    page_wadds(w, "\" src=\"");
    page_whref(w, l, buf_str(&path));
    if (l->live) { /* note 3: the sidecar, fetched by the script */
        page_wadds(w, "\" data-points=\"/p/");
        page_wseg(w, v->slug);
        page_wadds(w, "/charts/trend.json");
        page_wattr(w, buf_str(&q));
    }
    page_wadds(w, "\"></p>\n<h3>Change points</h3>\n");
    change_points(w, l, v->slug, m);
    if (isfinite(m->noise)) {
        page_wprintf(w,
                     "<p>Run-to-run noise: %.1f%% (1.4826 \xc3\x97 MAD "
                     "of the last %zu runs over their median).</p>\n",
                     100 * m->noise, m->noise_runs);
        advice(w, m->noise_advice);
    }
    if (m->scaling)
        scaling(w, l, v->slug, m->scaling, s->measure);
    runs_table(w, l, v->slug, s);
    buf_cleanup(&q);
    buf_cleanup(&path);
}

enum err page_benchmark_write(const struct page_links *l,
                              const struct page_benchmark *v, struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    size_t shown = 0;

    w.e = page_begin(l, out, v->key, v->slug);
    page_wadds(&w, "<h1>");
    page_wtext(&w, v->key);
    page_wadds(&w, "</h1>\n");
    selectors(&w, l, v);
    for (size_t k = 0; k < v->nmeasures; k++) {
        if (!v->measures[k].series || v->measures[k].series->npoints == 0)
            continue;
        measure_section(&w, l, v, &v->measures[k]);
        shown++;
    }
    if (shown == 0) {
        page_wadds(&w, "<p class=\"muted\">No data for this branch and "
                       "testbed.</p>\n");
    } else if (l->live) {
        page_wadds(&w, "<script src=\"");
        page_whref(&w, l, "/static/tooltips.js");
        page_wadds(&w, "\" defer></script>\n");
    }
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}
