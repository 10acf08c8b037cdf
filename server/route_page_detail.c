/*
 * HTML pages for one benchmark, one run and a project's alerts.  Design
 * notes:
 *  1. Change points on the benchmark page come from the same analysis as
 *     /api/v1/projects/{p}/series (svc_cpd_params + an_changepoints over
 *     the series values), so the page and the API never disagree.
 *  2. Branch and testbed are GET parameters: a selection is a shareable
 *     URL.  An unknown one is shown as "no data", not an error page,
 *     because the benchmark itself exists.
 *  3. The alerts page shows triage forms (acknowledge, dismiss with a
 *     note, reopen) once a write token was entered in its sign-in form;
 *     the cookie and CSRF design is in route_page_triage.c.
 *  4. Static mode (page_int.h) has no forms: the branch and testbed
 *     choices become links, one per name and one for the default, each
 *     URL built by view_url in one parameter order so the report's
 *     crawler saves every view once; the alerts page is read-only (no
 *     sign-in, no triage) with a note that triage needs the server.
 *  5. A run page compares the run with its base as the compare API does
 *     without a base (a pull request against its base branch, a run on
 *     its base branch against the run before it), with the API's default
 *     bootstrap, so the page, the compare page, the API and the comment
 *     give the same verdicts.  The alerts page
 *     ends with a recommendation per open alert (page_advice.c).
 *  6. A live benchmark page loads web/tooltips.js, its one script: each
 *     trend image names its JSON sidecar (charts/trend.json, the same
 *     query) in data-points; hovering shows a point's value and commit,
 *     clicking opens its run.  Without the script the page is whole (the
 *     runs table links every run); a static report has neither.
 */
#include "server/page_int.h"

#include "analysis/analysis.h"
#include "render/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_RUNS_MAX 50

/* A <select> of names; the selected one is marked, "" means the default. */
static void select_names(struct buf *b, const char *label, const char *name,
                         char *const *names, size_t n, const char *cur)
{
    buf_adds(b, "<label>");
    page_esc_text(b, label);
    buf_adds(b, " <select name=\"");
    page_esc_attr(b, name);
    buf_adds(b, "\"><option value=\"\">(default)</option>");
    for (size_t i = 0; i < n; i++) {
        buf_adds(b, "<option value=\"");
        page_esc_attr(b, names[i]);
        buf_adds(b, cur && strcmp(cur, names[i]) == 0 ? "\" selected>" : "\">");
        page_esc_text(b, names[i]);
        buf_adds(b, "</option>");
    }
    buf_adds(b, "</select></label>\n");
}

/* What a benchmark page shows: the benchmark of a project and the branch
 * and testbed chosen (NULL: the default).  All borrowed. */
struct bench_view {
    const char *slug;
    int64_t id;
    const char *branch, *testbed;
};

/* The benchmark page's URL for branch and testbed (NULL: leave it out),
 * parameters always in this order (note 4). */
static void view_url(struct buf *u, const struct bench_view *v,
                     const char *branch, const char *testbed)
{
    buf_adds(u, "/p/");
    page_esc_segment(u, v->slug);
    buf_printf(u, "/benchmarks/%lld", (long long)v->id);
    if (branch) {
        buf_adds(u, "?branch=");
        page_esc_query(u, branch);
    }
    if (testbed) {
        buf_adds(u, branch ? "&testbed=" : "?testbed=");
        page_esc_query(u, testbed);
    }
}

/* Static mode's selector: a link per name and one for the default, the
 * current choice in <strong>.  of_branch: the names are branches (else
 * testbeds); the links keep the view's other choice. */
static void choice_links(struct buf *b, const struct bench_view *v,
                         const char *label, char *const *names, size_t n,
                         bool of_branch)
{
    const char *cur = of_branch ? v->branch : v->testbed;
    struct buf url;

    buf_init(&url, 0);
    buf_adds(b, "<nav class=\"choices\" aria-label=\"");
    page_esc_attr(b, label);
    buf_adds(b, "\">");
    page_esc_text(b, label);
    buf_adds(b, ":");
    for (size_t i = 0; i <= n; i++) {
        const char *name = i ? names[i - 1] : NULL;
        bool on = name ? cur && strcmp(cur, name) == 0 : !cur;

        if (on) {
            buf_adds(b, " <strong>");
            page_esc_text(b, name ? name : "(default)");
            buf_adds(b, "</strong>");
            continue;
        }
        buf_reset(&url);
        view_url(&url, v, of_branch ? name : v->branch,
                 of_branch ? v->testbed : name);
        buf_adds(b, " <a href=\"");
        page_esc_attr(b, buf_str(&url));
        buf_adds(b, "\">");
        page_esc_text(b, name ? name : "(default)");
        buf_adds(b, "</a>");
    }
    buf_adds(b, "</nav>\n");
    buf_cleanup(&url);
}

/* The branch and testbed choice: a GET form live, links in static mode. */
static void selectors(struct req *rq, const struct bench_view *v,
                      const struct store_branch *br, size_t nbr,
                      const struct store_testbed *tb, size_t ntb)
{
    struct buf *b = &rq->resp;
    bool live = !srv_page_static(rq);
    char **names = xcalloc(nbr + ntb + 1, sizeof *names);

    if (live)
        buf_adds(b, "<form method=\"get\">\n");
    for (size_t i = 0; i < nbr; i++)
        names[i] = br[i].name;
    if (live)
        select_names(b, "Branch", "branch", names, nbr, v->branch);
    else
        choice_links(b, v, "Branch", names, nbr, true);
    for (size_t i = 0; i < ntb; i++)
        names[i] = tb[i].name;
    if (live)
        select_names(b, "Testbed", "testbed", names, ntb, v->testbed);
    else
        choice_links(b, v, "Testbed", names, ntb, false);
    if (live)
        buf_adds(b, "<button type=\"submit\">Show</button>\n</form>\n");
    free(names);
}

/* A link to a run named by text (a commit: its short form). */
static void run_link(struct buf *b, const char *slug, int64_t run_id,
                     const char *text)
{
    char sfx[48], abbrev[13];

    snprintf(sfx, sizeof sfx, "/runs/%lld", (long long)run_id);
    text = srv_page_short_sha(text, abbrev);
    srv_page_link(b, slug, sfx, text ? text : "run");
}

/* Change points of s, as the series API computes them (note 1). */
static void change_points(struct buf *b, struct store *st,
                          const struct store_project *proj,
                          const struct series *s)
{
    struct an_cpd_params p;
    struct an_cp *cps = NULL;
    size_t ncps = 0;
    double *v = NULL;
    struct errbuf eb;

    err_init(&eb);
    if (s->npoints > 0) {
        svc_cpd_params(st, proj->id, &p);
        v = xreallocarray(NULL, s->npoints, sizeof *v);
        for (size_t i = 0; i < s->npoints; i++)
            v[i] = s->points[i].value;
        if (an_changepoints(v, s->npoints, &p, &cps, &ncps, &eb) != ERR_OK)
            log_warn("page change points: %s", eb.msg);
    }
    if (ncps == 0) {
        buf_adds(b, "<p class=\"muted\">No change points.</p>\n");
        goto out;
    }
    buf_adds(b, "<table>\n<thead><tr><th>Commits</th><th class=\"num\">"
                "Before</th><th class=\"num\">After</th><th class=\"num\">"
                "Change</th><th>Kind</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < ncps; i++) {
        const struct an_cp *c = &cps[i];
        const struct series_point *pt = &s->points[c->index];
        bool worse =
            direction_worse(s->direction, c->before_mean, c->after_mean);

        buf_adds(b, "<tr><td><code>");
        if (c->index > 0) {
            run_link(b, proj->slug, s->points[c->index - 1].run_id,
                     s->points[c->index - 1].commit_sha);
            buf_adds(b, "</code> … <code>");
        }
        run_link(b, proj->slug, pt->run_id, pt->commit_sha);
        buf_adds(b, "</code></td><td class=\"num\">");
        srv_page_value(b, c->before_mean, s->unit);
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, c->after_mean, s->unit);
        buf_printf(b, "</td><td class=\"num\">%+.1f%%</td>", c->change * 100);
        buf_adds(b, worse ? "<td class=\"bad\">regression</td></tr>\n"
                          : "<td class=\"good\">improvement</td></tr>\n");
    }
    buf_adds(b, "</tbody>\n</table>\n");
out:
    free(cps);
    free(v);
    err_cleanup(&eb);
}

static void measure_section(struct buf *b, struct store *st,
                            const struct store_project *proj, int64_t bid,
                            const char *family, const char *params,
                            const char *measure,
                            const char *branch, const char *testbed,
                            bool live)
{
    char id[24];
    struct store_series_query q = {.benchmark = id,
                                   .measure = measure,
                                   .branch = branch,
                                   .testbed = testbed};
    struct series s;
    struct buf url;
    size_t from;

    snprintf(id, sizeof id, "%lld", (long long)bid);
    memset(&s, 0, sizeof s);
    buf_init(&url, 0);
    if (store_series_get(st, proj->id, &q, &s, NULL) != ERR_OK ||
        s.npoints == 0)
        goto out;
    buf_adds(b, "<section>\n<h2>");
    page_esc_text(b, s.measure);
    buf_adds(b, " <span class=\"muted\">(");
    page_esc_text(b, s.branch);
    buf_adds(b, ", ");
    page_esc_text(b, s.testbed);
    buf_adds(b, ")</span></h2>\n");
    /* the trend's query; the chart and its tooltips' sidecar share it */
    buf_printf(&url, "?benchmark=%lld&measure=", (long long)bid);
    page_esc_query(&url, s.measure);
    buf_adds(&url, "&branch=");
    page_esc_query(&url, s.branch);
    buf_adds(&url, "&testbed=");
    page_esc_query(&url, s.testbed);
    buf_adds(b, "<p><img class=\"chart\" width=\"900\" height=\"400\" "
                "alt=\"trend of ");
    page_esc_attr(b, s.measure);
    buf_adds(b, "\" src=\"/p/");
    page_esc_segment(b, proj->slug);
    buf_adds(b, "/charts/trend.png");
    page_esc_attr(b, buf_str(&url));
    if (live) { /* note 6 */
        buf_adds(b, "\" data-points=\"/p/");
        page_esc_segment(b, proj->slug);
        buf_adds(b, "/charts/trend.json");
        page_esc_attr(b, buf_str(&url));
    }
    buf_adds(b, "\"></p>\n<h3>Change points</h3>\n");
    change_points(b, st, proj, &s);
    srv_page_series_noise(b, &s);
    srv_page_scaling(b, st, proj, family, params, s.measure);
    /* Newest first, the last PAGE_RUNS_MAX points, folded: the chart and
     * its tooltips come first; the table is there to link every run. */
    from = s.npoints > PAGE_RUNS_MAX ? s.npoints - PAGE_RUNS_MAX : 0;
    buf_printf(b, "<details><summary>Runs (%s%zu, newest first)</summary>\n"
                  "<table>\n<thead><tr><th>Run</th><th>Commit</th><th>Time"
                  "</th><th class=\"num\">Value</th><th class=\"num\">n</th>"
                  "</tr></thead>\n<tbody>\n",
               from ? "the last " : "", s.npoints - from);
    for (size_t i = s.npoints; i-- > from;) {
        const struct series_point *p = &s.points[i];
        char rid[24];

        snprintf(rid, sizeof rid, "#%lld", (long long)p->run_id);
        buf_adds(b, "<tr><td>");
        run_link(b, proj->slug, p->run_id, rid);
        buf_adds(b, "</td><td><code>");
        {
            char abbrev[13];
            const char *sha = srv_page_short_sha(p->commit_sha, abbrev);

            page_esc_text(b, sha ? sha : "–");
        }
        buf_adds(b, "</code></td><td>");
        srv_page_time(b, p->time);
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, p->value, s.unit);
        if (p->n >= 0)
            buf_printf(b, "</td><td class=\"num\">%lld</td></tr>\n",
                       (long long)p->n);
        else
            buf_adds(b, "</td><td class=\"num\">–</td></tr>\n");
    }
    buf_adds(b, "</tbody>\n</table>\n</details>\n</section>\n");
out:
    series_cleanup(&s);
    buf_cleanup(&url);
}

void route_page_benchmark(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct store_benchmark *bm = NULL;
    struct store_measure *ms = NULL;
    struct store_branch *br = NULL;
    struct store_testbed *tb = NULL;
    size_t nb = 0, nm = 0, nbr = 0, ntb = 0;
    const struct store_benchmark *bench = NULL;
    const char *branch = req_arg_set(rq, "branch");
    const char *testbed = req_arg_set(rq, "testbed");
    struct bench_view view;
    struct buf *b = &rq->resp;
    size_t before;
    int64_t id = 0;

    if (!st)
        return;
    if (parse_int64(rq->params[1], 1, INT64_MAX, &id) ||
        store_benchmarks_list(st, proj.id, &bm, &nb, NULL)) {
        srv_page_error(rq, 404, "no such benchmark");
        goto out;
    }
    for (size_t i = 0; i < nb; i++)
        if (bm[i].id == id)
            bench = &bm[i];
    if (!bench) {
        srv_page_error(rq, 404, "no such benchmark");
        goto out;
    }
    if (store_measures_list(st, proj.id, &ms, &nm, NULL) ||
        store_branches_list(st, proj.id, &br, &nbr, NULL) ||
        store_testbeds_list(st, proj.id, &tb, &ntb, NULL)) {
        srv_page_error(rq, 500, "could not read the project");
        goto out;
    }
    srv_page_begin_for(rq, bench->key, proj.slug);
    buf_adds(b, "<h1>");
    page_esc_text(b, bench->key);
    buf_adds(b, "</h1>\n");
    view = (struct bench_view){proj.slug, id, branch, testbed};
    selectors(rq, &view, br, nbr, tb, ntb);
    before = b->len;
    for (size_t k = 0; k < nm; k++)
        measure_section(b, st, &proj, id, bench->name, bench->params,
                        ms[k].name, branch, testbed, !srv_page_static(rq));
    if (b->len == before)
        buf_adds(b, "<p class=\"muted\">No data for this branch and "
                    "testbed.</p>\n");
    else if (!srv_page_static(rq))
        buf_adds(b, "<script src=\"/static/tooltips.js\" defer></script>\n");
    srv_page_end(b);
    srv_page_send(rq, 200);
out:
    srv_store_release(rq->srv, st);
    store_benchmarks_free(bm, nb);
    store_measures_free(ms, nm);
    store_branches_free(br, nbr);
    store_testbeds_free(tb, ntb);
    store_project_cleanup(&proj);
}

static void row_text(struct buf *b, const char *label, const char *v)
{
    buf_adds(b, "<tr><th>");
    page_esc_text(b, label);
    buf_adds(b, "</th><td>");
    page_esc_text(b, v && *v ? v : "–");
    buf_adds(b, "</td></tr>\n");
}

void route_page_run(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct run r;
    struct buf *b = &rq->resp;
    struct svc_compare *cmp = NULL;
    struct errbuf ceb;
    char title[48], head[24];
    int64_t id = 0;
    enum err e = ERR_NOT_FOUND, ce = ERR_OK;

    run_init(&r);
    err_init(&ceb);
    if (!st)
        goto out;
    if (parse_int64(rq->params[1], 1, INT64_MAX, &id) == ERR_OK)
        e = store_run_get(st, proj.id, id, &r, NULL);
    if (!e) {
        /* the run against its base (note 5) */
        struct svc_compare_query q = {0};

        snprintf(head, sizeof head, "%lld", (long long)id);
        q.project = proj.slug;
        q.head = head;
        q.threshold = NAN; /* and the API's bootstrap: the same verdicts */
        ce = svc_compare_create(st, &q, &cmp, &ceb);
    }
    srv_store_release(rq->srv, st);
    if (e) {
        srv_page_error(rq, srv_status_for(e),
                       e == ERR_NOT_FOUND ? "no such run"
                                          : "could not read the run");
        goto out;
    }
    snprintf(title, sizeof title, "Run %lld", (long long)id);
    srv_page_begin_for(rq, title, proj.slug);
    buf_adds(b, "<h1>");
    page_esc_text(b, title);
    buf_adds(b, "</h1>\n<table>\n");
    row_text(b, "Branch", r.branch);
    row_text(b, "Commit", r.commit_sha);
    row_text(b, "Message", r.commit_message);
    row_text(b, "Author", r.commit_author);
    buf_adds(b, "<tr><th>Commit time</th><td>");
    srv_page_time(b, r.commit_time);
    buf_adds(b, "</td></tr>\n");
    row_text(b, "Testbed", r.testbed);
    row_text(b, "Format", r.format);
    buf_adds(b, "<tr><th>CI</th><td>");
    page_esc_text(b, r.ci_provider ? r.ci_provider : "");
    /* Only an http(s) URL becomes a link; anything else stays text. */
    if (r.ci_url && page_url_safe(r.ci_url)) {
        buf_adds(b, " <a rel=\"nofollow noopener\" href=\"");
        page_esc_attr(b, r.ci_url);
        buf_adds(b, "\">");
        page_esc_text(b, r.ci_job && *r.ci_job ? r.ci_job : "CI job");
        buf_adds(b, "</a>");
    } else if (r.ci_url) {
        buf_adds(b, " ");
        page_esc_text(b, r.ci_url);
    }
    buf_adds(b, "</td></tr>\n</table>\n<h2>Results</h2>\n");
    if (r.nresults == 0) {
        buf_adds(b, "<p class=\"muted\">No results.</p>\n");
    } else {
        buf_adds(b, "<table>\n<thead><tr><th>Benchmark</th><th>Measure</th>"
                    "<th class=\"num\">Value</th><th class=\"num\">CI</th>"
                    "<th class=\"num\">Stddev</th><th class=\"num\">n</th>"
                    "</tr></thead>\n<tbody>\n");
    }
    for (size_t i = 0; i < r.nresults; i++) {
        const struct result *res = &r.results[i];

        buf_adds(b, "<tr><td>");
        page_esc_text(b, res->key);
        buf_adds(b, "</td><td>");
        page_esc_text(b, res->measure);
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, res->value, res->unit);
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(res->lower) || isnan(res->upper)) {
            buf_adds(b, "–");
        } else {
            srv_page_value(b, res->lower, res->unit);
            buf_adds(b, " … ");
            srv_page_value(b, res->upper, res->unit);
        }
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, res->stddev, res->unit);
        if (res->n >= 0)
            buf_printf(b, "</td><td class=\"num\">%lld</td></tr>\n",
                       (long long)res->n);
        else
            buf_adds(b, "</td><td class=\"num\">–</td></tr>\n");
    }
    if (r.nresults > 0)
        buf_adds(b, "</tbody>\n</table>\n");
    buf_adds(b, "<h2>Against its base</h2>\n");
    if (cmp) {
        srv_page_comparison(b, proj.slug, cmp, false, !srv_page_static(rq),
                            false);
    } else {
        buf_adds(b, ce == ERR_NOT_FOUND || ce == ERR_INVALID
                        ? "<p class=\"muted\">"
                        : "<p class=\"bad\">");
        page_esc_text(b, ceb.msg[0] ? ceb.msg : "could not compare the run");
        buf_adds(b, "</p>\n");
    }
    if (r.nresources > 0) {
        struct an_advice adv[8];
        size_t nadv = an_recommend_resources(r.resources, r.nresources, adv,
                                             8);

        buf_adds(b, "<h2>Resources</h2>\n<p><img alt=\"CPU, memory, disk "
                    "and GPU over the run\" width=\"900\" height=\"400\" "
                    "src=\"/p/");
        page_esc_segment(b, proj.slug);
        buf_printf(b, "/charts/resources.png?run=%lld\"></p>\n",
                   (long long)id);
        if (nadv)
            buf_adds(b, "<h2>Recommendations</h2>\n<ul>\n");
        for (size_t i = 0; i < nadv; i++) {
            buf_adds(b, "<li>");
            page_esc_text(b, adv[i].text);
            buf_adds(b, "</li>\n");
        }
        if (nadv)
            buf_adds(b, "</ul>\n");
    }
    srv_page_end(b);
    srv_page_send(rq, 200);
out:
    svc_compare_free(cmp);
    err_cleanup(&ceb);
    run_cleanup(&r);
    store_project_cleanup(&proj);
}

/* One form per action on alert a; each carries the CSRF token. */
static void triage_forms(struct buf *b, const char *slug,
                         const struct store_alert *a, const char *csrf)
{
    static const struct {
        const char *status, *label;
        bool note;
    } acts[] = {
        {"acknowledged", "Acknowledge", false},
        {"dismissed", "Dismiss", true},
        {"open", "Reopen", false},
    };

    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        if (strcmp(a->status, acts[k].status) == 0)
            continue;
        buf_adds(b, "<form class=\"inline\" method=\"post\" action=\"/p/");
        page_esc_segment(b, slug);
        buf_printf(b,
                   "/alerts/%lld\"><input type=\"hidden\" name=\"csrf\" "
                   "value=\"",
                   (long long)a->id);
        page_esc_attr(b, csrf);
        buf_adds(b, "\"><input type=\"hidden\" name=\"status\" value=\"");
        page_esc_attr(b, acts[k].status);
        buf_adds(b, "\">");
        if (acts[k].note)
            buf_adds(b, "<input type=\"text\" name=\"note\" required "
                        "placeholder=\"why\" aria-label=\"note\">");
        buf_adds(b, "<button type=\"submit\">");
        page_esc_text(b, acts[k].label);
        buf_adds(b, "</button></form> ");
    }
}

void route_page_alerts(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct store_alert *a = NULL;
    size_t n = 0;
    struct buf *b = &rq->resp;
    const char *cookie;
    char csrf[SRV_PAGE_CSRF_LEN];
    bool live = !srv_page_static(rq);
    enum err e;

    if (!st)
        return;
    /* Static mode: never signed in, so no triage forms (note 4). */
    cookie = live ? srv_page_write_cookie(rq, st, proj.slug) : NULL;
    if (cookie)
        srv_page_csrf(cookie, csrf);
    e = store_alerts_list(st, proj.id, NULL, 0, 200, &a, &n, NULL);
    srv_store_release(rq->srv, st);
    if (e) {
        srv_page_error(rq, 500, "could not read the alerts");
        goto out;
    }
    srv_page_begin_for(rq, "Alerts", proj.slug);
    buf_adds(b, "<h1>Alerts</h1>\n");
    if (!live) {
        buf_adds(b, "<p class=\"muted\">A read-only copy: triage "
                    "(acknowledge, dismiss, reopen) needs the live server "
                    "(<code>benchvault serve</code>).</p>\n");
    } else if (!cookie) {
        srv_page_signin_form(rq, proj.slug, NULL);
    } else {
        srv_page_signout_form(rq, cookie);
    }
    if (n == 0) {
        buf_adds(b, "<p class=\"muted\">No alerts.</p>\n");
    } else {
        buf_adds(b, "<table>\n<thead><tr><th class=\"num\">Id</th><th>Status"
                    "</th><th>Benchmark</th><th>Measure</th><th>Branch</th>"
                    "<th>Testbed</th><th class=\"num\">Before</th>"
                    "<th class=\"num\">After</th><th class=\"num\">Change"
                    "</th><th>Commits</th><th>Note</th><th>Triage</th></tr>"
                    "</thead>\n"
                    "<tbody>\n");
    }
    for (size_t i = 0; i < n; i++) {
        char sfx[48];

        snprintf(sfx, sizeof sfx, "/benchmarks/%lld",
                 (long long)a[i].benchmark_id);
        buf_printf(b, "<tr><td class=\"num\">%lld</td><td>",
                   (long long)a[i].id);
        page_esc_text(b, a[i].status);
        buf_adds(b, "</td><td>");
        srv_page_link(b, proj.slug, sfx, a[i].benchmark);
        buf_adds(b, "</td><td>");
        page_esc_text(b, a[i].measure);
        buf_adds(b, "</td><td>");
        page_esc_text(b, a[i].branch);
        buf_adds(b, "</td><td>");
        page_esc_text(b, a[i].testbed);
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, a[i].before, a[i].unit);
        buf_adds(b, "</td><td class=\"num\">");
        srv_page_value(b, a[i].after, a[i].unit);
        buf_adds(b, "</td><td class=\"num\">");
        if (isnan(a[i].change))
            buf_adds(b, "–");
        else
            buf_printf(b, "%+.1f%%", a[i].change * 100);
        buf_adds(b, "</td><td><code>");
        if (a[i].last_good_run_id > 0) {
            run_link(b, proj.slug, a[i].last_good_run_id,
                     a[i].last_good_commit);
            buf_adds(b, "</code> … <code>");
        }
        if (a[i].first_bad_run_id > 0)
            run_link(b, proj.slug, a[i].first_bad_run_id,
                     a[i].first_bad_commit);
        buf_adds(b, "</code></td><td>");
        page_esc_text(b, a[i].note ? a[i].note : "");
        buf_adds(b, "</td><td>");
        if (cookie)
            triage_forms(b, proj.slug, &a[i], csrf);
        buf_adds(b, "</td></tr>\n");
    }
    if (n > 0)
        buf_adds(b, "</tbody>\n</table>\n");
    srv_page_alert_advice(b, proj.slug, a, n);
    srv_page_end(b);
    srv_page_send(rq, 200);
out:
    store_alerts_free(a, n);
    store_project_cleanup(&proj);
}
