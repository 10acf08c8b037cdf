/*
 * What the HTML pages show, gathered from the store for render/page.h's
 * writers: the server answers a request with it, `benchvault report` writes
 * it into files, and both get the same data.  Design notes:
 *  1. Each svc_page_* fills a caller-owned struct that owns everything it
 *     read and holds the render/ view (borrowing those) in ->view, so a
 *     caller hands ->view to the writer and then cleans the struct up.
 *  2. A part that cannot be read is shown as such on the page (the
 *     dashboard's alerts) or left out (a branch's latest run), as the
 *     pages always did; only the parts a page cannot exist without fail
 *     the call.
 */
#include "service/service_int.h"

#include "analysis/analysis.h"
#include "render/page.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the projects index ------------------------------------------------- */

enum err svc_page_projects(struct store *st, const char *only,
                           struct svc_page_projects *out, struct errbuf *eb)
{
    enum err e;
    size_t k = 0;

    memset(out, 0, sizeof *out);
    e = store_projects_list(st, &out->p, &out->n, eb);
    if (e)
        return e;
    out->view = xcalloc(out->n ? out->n : 1, sizeof *out->view);
    for (size_t i = 0; i < out->n; i++) {
        const struct store_project *p = &out->p[i];

        /* A project-scoped token sees its own project only. */
        if (only && strcmp(only, p->slug))
            continue;
        out->view[k++] = (struct page_project){p->slug, p->description,
                                               p->run_count, p->last_run_at};
    }
    out->nview = k;
    return ERR_OK;
}

void svc_page_projects_cleanup(struct svc_page_projects *p)
{
    store_projects_free(p->p, p->n);
    free(p->view);
    memset(p, 0, sizeof *p);
}

/* ---- a project's dashboard ---------------------------------------------- */

/* The sorts in the order of enum svc_dash_sort. */
static const struct page_dash_sort dash_sorts[] = {
    {"change", "worse now"},
    {"name", "name"},
    {"noise", "noise"},
};

const struct page_dash_sort *svc_page_dash_sorts(size_t *n)
{
    *n = sizeof dash_sorts / sizeof dash_sorts[0];
    return dash_sorts;
}

size_t svc_page_dash_sort(const char *name)
{
    for (size_t i = 0; name && i < sizeof dash_sorts / sizeof dash_sorts[0];
         i++)
        if (strcmp(name, dash_sorts[i].name) == 0)
            return i;
    return 0;
}

static struct page_dash_alert *dash_alerts(const struct store_alert *a,
                                           size_t n)
{
    struct page_dash_alert *v = xcalloc(n ? n : 1, sizeof *v);

    for (size_t i = 0; i < n; i++)
        v[i] = (struct page_dash_alert){
            a[i].benchmark_id, a[i].benchmark, a[i].measure,
            a[i].branch,       a[i].change,    a[i].first_bad_commit};
    return v;
}

static void dash_branches(struct store *st, int64_t project_id,
                          struct svc_page_dashboard *d)
{
    if (store_branches_list(st, project_id, &d->br, &d->nbr, NULL)) {
        d->br = NULL;
        d->nbr = 0;
    }
    d->branches = xcalloc(d->nbr ? d->nbr : 1, sizeof *d->branches);
    d->latest = xcalloc(d->nbr ? d->nbr : 1, sizeof *d->latest);
    for (size_t i = 0; i < d->nbr; i++) {
        struct store_run_filter f = {.branch = d->br[i].name, .limit = 1};
        struct page_dash_branch *b = &d->branches[i];
        struct run *r = NULL;
        size_t nr = 0;

        b->name = d->br[i].name;
        b->run_count = d->br[i].run_count;
        if (store_runs_list(st, project_id, &f, &r, &nr, NULL) == ERR_OK &&
            nr == 1) {
            b->latest_run_id = r[0].id;
            b->latest_at = r[0].created_at;
            d->latest[i] = r[0].commit_sha ? xstrdup(r[0].commit_sha) : NULL;
            b->latest_commit = d->latest[i];
        }
        store_runs_free(r, nr);
    }
}

enum err svc_page_dashboard(struct store *st, const struct store_project *proj,
                            const char *q, size_t sort, size_t page,
                            size_t rows_per_page,
                            struct svc_page_dashboard *out, struct errbuf *eb)
{
    struct page_dashboard *v = &out->view;
    enum err e;
    size_t npages;

    assert(sort < sizeof dash_sorts / sizeof dash_sorts[0]);
    assert(rows_per_page > 0);
    memset(out, 0, sizeof *out);
    e = svc_dashboard(st, proj->id, q, (enum svc_dash_sort)sort, &out->rows,
                      &out->nrows, eb);
    if (e)
        return e;
    v->slug = proj->slug;
    v->description = proj->description;
    v->open_ok = store_alerts_list(st, proj->id, "open", 0, 50, &out->open,
                                   &out->nopen, NULL) == ERR_OK;
    v->known_ok = store_alerts_list(st, proj->id, "acknowledged", 0, 50,
                                    &out->known, &out->nknown, NULL) == ERR_OK;
    out->open_v = dash_alerts(out->open, out->nopen);
    out->known_v = dash_alerts(out->known, out->nknown);
    v->open = out->open_v;
    v->nopen = out->nopen;
    v->known = out->known_v;
    v->nknown = out->nknown;
    dash_branches(st, proj->id, out);
    v->branches = out->branches;
    v->nbranches = out->nbr;

    out->rows_v = xcalloc(out->nrows ? out->nrows : 1, sizeof *out->rows_v);
    for (size_t i = 0; i < out->nrows; i++) {
        const struct svc_dash_row *r = &out->rows[i];
        struct page_dash_row *p = &out->rows_v[i];

        p->bench_id = r->bench_id;
        p->key = r->key;
        p->measure = r->measure;
        p->unit = r->unit;
        p->last = r->last;
        p->change = r->change;
        p->cv = r->cv;
        p->tail = r->tail;
        p->since_alert =
            r->state == SVC_DASH_ALERT || r->state == SVC_DASH_KNOWN;
        p->first_bad_commit = r->first_bad_commit;
        p->state = r->state == SVC_DASH_BETTER ? PAGE_DASH_BETTER
                   : r->state != SVC_DASH_NONE ? PAGE_DASH_BAD
                                               : PAGE_DASH_NONE;
        p->state_text = svc_dash_state_str(r->state);
    }
    v->rows = out->rows_v;
    v->nrows = out->nrows;
    v->rows_per_page = rows_per_page;
    npages = out->nrows ? (out->nrows + rows_per_page - 1) / rows_per_page : 1;
    v->page = page < npages ? page : npages - 1;
    v->q = q;
    v->sorts = svc_page_dash_sorts(&v->nsorts);
    v->sort = sort;
    /* the dashboard leads with what is worse now (regressions.c), of
     * every series: not under a search, whose rows are only some */
    svc_regressions_from(st, proj, out->rows, out->nrows, SVC_DASH_WORSE_HEAD,
                         &out->worse);
    v->worse = q && *q ? NULL : &out->worse.view;
    return ERR_OK;
}

size_t svc_page_dashboard_pages(const struct svc_page_dashboard *d)
{
    size_t per = d->view.rows_per_page;

    return d->nrows ? (d->nrows + per - 1) / per : 1;
}

void svc_page_dashboard_cleanup(struct svc_page_dashboard *d)
{
    store_alerts_free(d->open, d->nopen);
    store_alerts_free(d->known, d->nknown);
    free(d->open_v);
    free(d->known_v);
    for (size_t i = 0; i < d->nbr; i++)
        free(d->latest[i]);
    free(d->latest);
    free(d->branches);
    store_branches_free(d->br, d->nbr);
    svc_regressions_cleanup(&d->worse); /* before the rows it borrows */
    svc_dash_rows_free(d->rows, d->nrows);
    free(d->rows_v);
    memset(d, 0, sizeof *d);
}

/* ---- a project's alerts ------------------------------------------------- */

/* The recommendation for an open or acknowledged alert, else NULL. */
static char *alert_advice(const struct store_alert *a)
{
    struct an_regression_facts f;
    struct an_advice adv;
    char *series;

    if (strcmp(a->status, "open") && strcmp(a->status, "acknowledged"))
        return NULL;
    series = xasprintf("%s %s on %s (%s)", a->benchmark, a->measure, a->branch,
                       a->testbed);
    f = (struct an_regression_facts){
        .series = series,
        .change = a->change,
        .change_ci = {NAN, NAN},
        .p_value = a->p_value,
        .p_name = "p",
        .threshold = NAN,
        .before = a->before,
        .after = a->after,
        .unit = a->unit,
        .last_good = a->last_good_commit,
        .first_bad = a->first_bad_commit,
    };
    an_advise_regression(&f, &adv);
    free(series);
    return xstrdup(adv.text);
}

enum err svc_page_alerts(struct store *st, const struct store_project *proj,
                         struct svc_page_alerts *out, struct errbuf *eb)
{
    enum err e;

    memset(out, 0, sizeof *out);
    e = store_alerts_list(st, proj->id, NULL, 0, SVC_PAGE_ALERTS_MAX, &out->a,
                          &out->n, eb);
    if (e)
        return e;
    out->v = xcalloc(out->n ? out->n : 1, sizeof *out->v);
    out->msgs = xcalloc(out->n ? out->n : 1, sizeof *out->msgs);
    for (size_t i = 0; i < out->n; i++) {
        const struct store_alert *a = &out->a[i];

        out->v[i] = (struct page_alert){
            .id = a->id,
            .benchmark_id = a->benchmark_id,
            .status = a->status,
            .benchmark = a->benchmark,
            .measure = a->measure,
            .branch = a->branch,
            .testbed = a->testbed,
            .unit = a->unit,
            .note = a->note,
            .before = a->before,
            .after = a->after,
            .change = a->change,
            .last_good_run_id = a->last_good_run_id,
            .first_bad_run_id = a->first_bad_run_id,
            .last_good_commit = a->last_good_commit,
            .first_bad_commit = a->first_bad_commit,
            .advice = alert_advice(a),
            .created_at = a->created_at,
        };
        svc_run_brief(st, proj->id, a->first_bad_run_id, &out->msgs[i],
                      &out->v[i].first_bad_at);
        out->v[i].first_bad_message = out->msgs[i];
    }
    out->view.slug = proj->slug;
    out->view.repo_url = proj->repository_url;
    out->view.alerts = out->v;
    out->view.n = out->n;
    return ERR_OK;
}

void svc_page_alerts_cleanup(struct svc_page_alerts *p)
{
    for (size_t i = 0; p->v && i < p->n; i++) {
        free((char *)p->v[i].advice);
        free(p->msgs[i]);
    }
    free(p->msgs);
    free(p->v);
    store_alerts_free(p->a, p->n);
    memset(p, 0, sizeof *p);
}

/* ---- one benchmark ------------------------------------------------------ */

#define NOISE_RUNS 20         /* the noise of a series' last runs */
#define SCALING_MIN_MEMBERS 3 /* distinct parameter values for a fit */

/* The run-to-run noise of s's last NOISE_RUNS runs and its advice. */
static void measure_noise(const struct series *s, struct svc_page_measure *m)
{
    size_t from = s->npoints > NOISE_RUNS ? s->npoints - NOISE_RUNS : 0, k = 0;
    double v[NOISE_RUNS];
    struct an_noise noise;
    struct an_advice adv;
    char *series;

    m->view.noise = NAN;
    for (size_t i = from; i < s->npoints; i++)
        if (isfinite(s->points[i].value))
            v[k++] = s->points[i].value;
    an_noise_estimate(v, k, &noise);
    if (!isfinite(noise.noise))
        return;
    m->view.noise = noise.noise;
    m->view.noise_runs = noise.runs;
    series = xasprintf("%s %s", s->benchmark_key, s->measure);
    if (noise.runs >= AN_MIN_HISTORY_DEFAULT &&
        an_advise_noise(series, NAN, 0, &noise, AN_NOISE_LEVEL_DEFAULT,
                        AN_THRESHOLD_DEFAULT, &adv))
        m->noise_advice = xstrdup(adv.text);
    m->view.noise_advice = m->noise_advice;
    free(series);
}

/* When the benchmark belongs to a family whose members carry the same one
 * numeric parameter with at least SCALING_MIN_MEMBERS distinct values:
 * the fit and its advice. */
static void measure_scaling(struct store *st, int64_t project_id,
                            const struct store_benchmark *bench,
                            const char *measure, struct svc_page_measure *m)
{
    struct svc_scaling sc;
    struct an_scaling fit;
    struct an_advice adv;
    char *series, param[64];
    double v;

    if (!bench->name ||
        !svc_one_numeric_param(bench->params, &v, param, sizeof param) ||
        svc_scaling_load(st, project_id, bench->name, param, measure, &sc,
                         NULL) != ERR_OK)
        return;
    if (sc.distinct < SCALING_MIN_MEMBERS ||
        an_scaling_fit(sc.n, sc.t, sc.count, &fit, NULL) != ERR_OK)
        goto out;
    m->param = xstrdup(param);
    m->scaling = (struct page_scaling){
        .family = bench->name,
        .param = m->param,
        .count = sc.count,
        .best = an_complexity_str(fit.best),
        .verdict = fit.verdict,
        .slope = fit.loglog_slope,
        .slope_ci = {fit.loglog_slope_ci[0], fit.loglog_slope_ci[1]},
    };
    series = xasprintf("%s %s", bench->name, measure);
    if (an_advise_scaling(series, sc.param, sc.direction, &fit, &adv))
        m->scaling_advice = xstrdup(adv.text);
    m->scaling.advice = m->scaling_advice;
    m->view.scaling = &m->scaling;
    free(series);
out:
    svc_scaling_cleanup(&sc);
}

static void measure_load(struct store *st, int64_t project_id,
                         const struct store_benchmark *bench,
                         const char *measure, const char *branch,
                         const char *testbed, struct svc_page_measure *m)
{
    char id[24];
    struct store_series_query q = {.benchmark = id,
                                   .measure = measure,
                                   .branch = branch,
                                   .testbed = testbed};
    struct an_cp *cps = NULL;
    size_t ncps = 0;

    snprintf(id, sizeof id, "%lld", (long long)bench->id);
    m->view.noise = NAN;
    if (store_series_get(st, project_id, &q, &m->series, NULL) != ERR_OK ||
        m->series.npoints == 0)
        return;
    m->view.series = &m->series;
    svc_series_change_points(st, project_id, &m->series, &cps, &ncps);
    m->cps = xcalloc(ncps ? ncps : 1, sizeof *m->cps);
    for (size_t i = 0; i < ncps; i++)
        m->cps[i] = (struct page_cp){cps[i].index, cps[i].before_mean,
                                     cps[i].after_mean, cps[i].change};
    m->view.cps = m->cps;
    m->view.ncps = ncps;
    free(cps);
    measure_noise(&m->series, m);
    measure_scaling(st, project_id, bench, m->series.measure, m);
}

enum err svc_page_benchmark(struct store *st, const struct store_project *proj,
                            int64_t id, const char *branch, const char *testbed,
                            struct svc_page_benchmark *out, struct errbuf *eb)
{
    struct page_benchmark *v = &out->view;
    const struct store_benchmark *bench = NULL;

    memset(out, 0, sizeof *out);
    if (store_benchmarks_list(st, proj->id, &out->bm, &out->nbm, eb))
        return ERR_NOT_FOUND;
    for (size_t i = 0; i < out->nbm; i++)
        if (out->bm[i].id == id)
            bench = &out->bm[i];
    if (!bench) {
        err_set(eb, "no such benchmark");
        return ERR_NOT_FOUND;
    }
    if (store_measures_list(st, proj->id, &out->ms, &out->nms, eb) ||
        store_branches_list(st, proj->id, &out->br, &out->nbr, eb) ||
        store_testbeds_list(st, proj->id, &out->tb, &out->ntb, eb))
        return ERR_DB;
    out->names = xcalloc(out->nbr + out->ntb + 1, sizeof *out->names);
    for (size_t i = 0; i < out->nbr; i++)
        out->names[i] = out->br[i].name;
    for (size_t i = 0; i < out->ntb; i++)
        out->names[out->nbr + i] = out->tb[i].name;
    out->m = xcalloc(out->nms ? out->nms : 1, sizeof *out->m);
    out->mv = xcalloc(out->nms ? out->nms : 1, sizeof *out->mv);
    for (size_t k = 0; k < out->nms; k++) {
        measure_load(st, proj->id, bench, out->ms[k].name, branch, testbed,
                     &out->m[k]);
        out->mv[k] = out->m[k].view;
    }
    *v = (struct page_benchmark){
        .slug = proj->slug,
        .key = bench->key,
        .id = id,
        .branch = branch,
        .testbed = testbed,
        .branches = out->names,
        .nbranches = out->nbr,
        .testbeds = out->names + out->nbr,
        .ntestbeds = out->ntb,
        .measures = out->mv,
        .nmeasures = out->nms,
    };
    return ERR_OK;
}

void svc_page_benchmark_cleanup(struct svc_page_benchmark *p)
{
    for (size_t k = 0; p->m && k < p->nms; k++) {
        series_cleanup(&p->m[k].series);
        free(p->m[k].cps);
        free(p->m[k].noise_advice);
        free(p->m[k].scaling_advice);
        free(p->m[k].param);
    }
    free(p->m);
    free(p->mv);
    free(p->names);
    store_benchmarks_free(p->bm, p->nbm);
    store_measures_free(p->ms, p->nms);
    store_branches_free(p->br, p->nbr);
    store_testbeds_free(p->tb, p->ntb);
    memset(p, 0, sizeof *p);
}

/* ---- a comparison, the compare page and a run --------------------------- */

#define SIDE_IDS_MAX 50 /* run ids a side names on the page */

/* Advice that rests on a run's resource samples. */
static bool is_resource_advice(int kind)
{
    return kind == AN_ADVICE_MEMORY || kind == AN_ADVICE_CPU ||
           kind == AN_ADVICE_IO || kind == AN_ADVICE_WAIT ||
           kind == AN_ADVICE_GPU;
}

void svc_page_comparison(const struct svc_compare *c,
                         struct svc_page_comparison *out)
{
    struct page_comparison *v = &out->view;
    size_t n;

    memset(out, 0, sizeof *out);
    svc_compare_summary(c, v->counts);
    for (int h = 0; h < 2; h++) {
        struct page_cmp_side *s = &v->side[h];

        out->ids[h] = xcalloc(SIDE_IDS_MAX, sizeof *out->ids[h]);
        s->n =
            svc_compare_side(c, h, &s->ref, &s->how, out->ids[h], SIDE_IDS_MAX);
        s->ids = out->ids[h];
        s->nids = s->n < SIDE_IDS_MAX ? s->n : SIDE_IDS_MAX;
        v->nonly[h] = svc_compare_nonly(c, h);
    }
    n = svc_compare_nrows(c);
    out->rows = xcalloc(n ? n : 1, sizeof *out->rows);
    for (size_t i = 0; i < n; i++) {
        struct page_cmp_row *r = &out->rows[i];
        int verdict;

        svc_compare_row(c, i, &r->key, &r->measure, &r->change, r->ci, &verdict,
                        &r->threshold);
        svc_compare_row_values(c, i, &r->base, &r->head, &r->unit, &r->q);
        r->verdict = (enum page_verdict)verdict;
        r->verdict_text = an_verdict_str((enum an_verdict)verdict);
        r->reason = svc_compare_row_reason(c, i);
    }
    v->rows = out->rows;
    v->nrows = n;
    n = svc_compare_nsingle(c);
    out->singles = xcalloc(n ? n : 1, sizeof *out->singles);
    for (size_t i = 0; i < n; i++)
        svc_compare_single(c, i, &out->singles[i].key, &out->singles[i].measure,
                           &out->singles[i].change);
    v->singles = out->singles;
    v->nsingles = n;
    n = svc_compare_nbudgets(c);
    out->budgets = xcalloc(n ? n : 1, sizeof *out->budgets);
    for (size_t i = 0; i < n; i++)
        svc_compare_budget(c, i, &out->budgets[i].status,
                           &out->budgets[i].message);
    v->budgets = out->budgets;
    v->nbudgets = n;
    n = svc_compare_nrecs(c);
    out->recs = xcalloc(n ? n : 1, sizeof *out->recs);
    for (size_t i = 0; i < n; i++) {
        int kind = -1;

        out->recs[i].text = svc_compare_rec(c, i, &kind);
        out->recs[i].resource = is_resource_advice(kind);
    }
    v->recs = out->recs;
    v->nrecs = n;
}

void svc_page_comparison_cleanup(struct svc_page_comparison *p)
{
    free(p->ids[0]);
    free(p->ids[1]);
    free(p->rows);
    free(p->singles);
    free(p->budgets);
    free(p->recs);
    memset(p, 0, sizeof *p);
}

enum err svc_page_run(struct store *st, const struct store_project *proj,
                      int64_t id, struct svc_page_run *out, struct errbuf *eb)
{
    struct svc_compare_query q = {0};
    struct an_advice adv[SVC_PAGE_RUN_ADVICE];
    char head[24];
    enum err e, ce;

    memset(out, 0, sizeof *out);
    run_init(&out->run);
    err_init(&out->cmp_eb);
    e = store_run_get(st, proj->id, id, &out->run, eb);
    if (e)
        return e;
    /* The run against its base as the compare API does without a base,
     * with the API's threshold and bootstrap: the same verdicts. */
    snprintf(head, sizeof head, "%lld", (long long)id);
    q.project = proj->slug;
    q.head = head;
    q.threshold = NAN;
    ce = svc_compare_create(st, &q, &out->cmp, &out->cmp_eb);
    out->view.slug = proj->slug;
    out->view.repo_url = proj->repository_url;
    out->view.run = &out->run;
    if (out->cmp) {
        svc_page_comparison(out->cmp, &out->pc);
        out->view.cmp = &out->pc.view;
    } else {
        out->view.cmp_error = out->cmp_eb.msg[0] ? out->cmp_eb.msg : NULL;
        out->view.cmp_expected = ce == ERR_NOT_FOUND || ce == ERR_INVALID;
    }
    if (out->run.nresources > 0) {
        out->nadvice = an_recommend_resources(
            out->run.resources, out->run.nresources, adv, SVC_PAGE_RUN_ADVICE);
        for (size_t i = 0; i < out->nadvice; i++)
            out->advice[i] = xstrdup(adv[i].text);
        out->view.advice = (const char *const *)out->advice;
        out->view.nadvice = out->nadvice;
    }
    return ERR_OK;
}

void svc_page_run_cleanup(struct svc_page_run *p)
{
    for (size_t i = 0; i < p->nadvice; i++)
        free(p->advice[i]);
    svc_page_comparison_cleanup(&p->pc);
    svc_compare_free(p->cmp);
    err_cleanup(&p->cmp_eb);
    run_cleanup(&p->run);
    memset(p, 0, sizeof *p);
}
