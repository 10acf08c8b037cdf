/*
 * The dashboard's rows: every series of a project (one per benchmark and
 * measure, on its default branch and testbed) with what is worse now.
 *
 * Design notes:
 * 1. What is worse now: each series' latest level (the runs since it moved
 *    beyond the threshold, at most AN_NOW_MAX_TAIL) against the median of
 *    the LEVEL_HISTORY runs before it, judged with the comparison's default
 *    rules (an_level_now, an_decide).  A worse level without an alert is
 *    "suspected": alerts wait for enough runs at the new level.  An open
 *    alert says "regressed" and an acknowledged one "known" until it is
 *    resolved; either shows the step at its first bad run: the runs since
 *    it against the LEVEL_HISTORY runs before it, compared as the level
 *    is (an_compare_runs), so the change and its interval come from one
 *    comparison; the alert's own change when its first bad run is not in
 *    the series.
 * 2. Every series is read and ranked; nothing is cut before sorting.  The
 *    worse-now order puts suspected, regressed and known rows first, worst
 *    first.
 */
#include "service/service_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CV_POINTS 10
#define LEVEL_HISTORY 20 /* runs a series' latest level is measured against */

/*
 * What a series' latest level says (note 1): worse or better than its
 * history with a verdict the comparison's rules give, and whether an alert
 * already says so.
 */
const char *svc_dash_state_str(enum svc_dash_state s)
{
    static const char *const names[] = {"", "suspected", "regressed", "known",
                                        "improved"};

    return (unsigned)s < 5 ? names[s] : "";
}

/* CV (stddev / mean) of the last CV_POINTS values: a cheap noise
 * level for the table, not a statistic to decide on. */
static double noise_cv(const struct series *s)
{
    size_t from = s->npoints > CV_POINTS ? s->npoints - CV_POINTS : 0;
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

static const struct store_alert *alert_of(const struct store_alert *a, size_t n,
                                          const struct series *s)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].benchmark_id == s->benchmark_id &&
            !strcmp(a[i].measure, s->measure) &&
            !strcmp(a[i].branch, s->branch ? s->branch : "") &&
            !strcmp(a[i].testbed, s->testbed ? s->testbed : "") &&
            !strcmp(a[i].kind, "changepoint"))
            return &a[i];
    return NULL;
}

/* Since when: the level that starts at point fb of s. */
static void level_start(struct svc_dash_row *r, const struct series *s,
                        size_t fb)
{
    assert(fb < s->npoints);
    free(r->first_bad_commit);
    free(r->last_good_commit);
    r->first_bad_commit = r->last_good_commit = NULL;
    r->first_bad_run_id = s->points[fb].run_id;
    r->since = s->points[fb].time;
    if (s->points[fb].commit_sha)
        r->first_bad_commit = xstrdup(s->points[fb].commit_sha);
    r->last_good_run_id = fb ? s->points[fb - 1].run_id : 0;
    if (fb && s->points[fb - 1].commit_sha)
        r->last_good_commit = xstrdup(s->points[fb - 1].commit_sha);
}

/* An alert's row (note 1): since its first bad run, the step measured as
 * the level is; the alert's own change when that run is not in s. */
static void alert_step(struct svc_dash_row *r, const struct series *s,
                       const double *v, const struct store_alert *a,
                       const struct an_rules *rules, double sign)
{
    size_t fb = 0;
    struct an_compare c;

    r->alert_id = a->id;
    r->ci[0] = r->ci[1] = NAN;
    while (fb < s->npoints && s->points[fb].run_id != a->first_bad_run_id)
        fb++;
    if (fb < s->npoints && fb >= 2) {
        size_t b0 = fb > LEVEL_HISTORY ? fb - LEVEL_HISTORY : 0;
        struct an_runs in = {v + b0,
                             fb - b0,
                             v + fb,
                             s->npoints - fb,
                             v + b0,
                             fb - b0,
                             rules->noise_floor,
                             0,
                             0};

        level_start(r, s, fb);
        r->tail = s->npoints - fb;
        if (an_compare_runs(&in, &c)) {
            r->change = c.change;
            r->ci[0] = c.change_ci[0];
            r->ci[1] = c.change_ci[1];
            r->worse = sign * r->change;
            return;
        }
    } else {
        free(r->first_bad_commit);
        free(r->last_good_commit);
        r->first_bad_commit = r->last_good_commit = NULL;
        r->first_bad_run_id = a->first_bad_run_id;
        r->last_good_run_id = a->last_good_run_id;
        r->since = a->created_at;
        if (a->first_bad_commit)
            r->first_bad_commit = xstrdup(a->first_bad_commit);
        if (a->last_good_commit)
            r->last_good_commit = xstrdup(a->last_good_commit);
    }
    if (isfinite(a->change)) {
        /* the alert measured the step against the level before it */
        r->change = a->change;
        r->worse = sign * r->change;
    }
}

/*
 * A row from its series (note 1): the latest level against the runs before
 * it (an_level_now), judged with the comparison's default rules; an open or
 * acknowledged alert on the series says more than the level does.
 */
static void row_fill(struct svc_dash_row *r, const struct store_benchmark *bm,
                     const struct series *s, const struct store_alert *al,
                     size_t nal, const struct store_alert *ak, size_t nak)
{
    double *v = xmalloc(s->npoints * sizeof *v);
    double sign = s->direction == DIR_HIGHER ? -1 : 1;
    struct an_rules rules;
    struct an_now now;
    const struct store_alert *a;

    memset(r, 0, sizeof *r);
    r->ci[0] = r->ci[1] = NAN;
    r->since = TIME_NONE;
    an_rules_default(&rules);
    r->bench_id = bm->id;
    r->key = xstrdup(bm->key);
    r->measure = xstrdup(s->measure);
    r->unit = xstrdup(s->unit ? s->unit : "");
    r->branch = xstrdup(s->branch ? s->branch : "");
    r->testbed = xstrdup(s->testbed ? s->testbed : "");
    r->npoints = s->npoints;
    r->last = s->points[s->npoints - 1].value;
    r->change = r->worse = NAN;
    r->cv = noise_cv(s);
    for (size_t i = 0; i < s->npoints; i++)
        v[i] = s->points[i].value;
    if (an_level_now(v, s->npoints, LEVEL_HISTORY, rules.threshold,
                     rules.noise_floor, &now)) {
        struct an_decision d;
        double qv = now.c.p_value;

        r->change = now.change;
        r->tail = now.tail;
        r->worse = sign * now.change;
        r->ci[0] = now.c.change_ci[0];
        r->ci[1] = now.c.change_ci[1];
        level_start(r, s, s->npoints - now.tail);
        an_decide(&now.c, qv, s->direction, NULL, NAN, &rules, &d);
        if (d.verdict == AN_REGRESSED)
            r->state = SVC_DASH_SUSPECTED;
        else if (d.verdict == AN_IMPROVED)
            r->state = SVC_DASH_BETTER;
    } else if (s->npoints > 1 && s->points[s->npoints - 2].value != 0) {
        r->tail = 1;
        r->change = r->last / s->points[s->npoints - 2].value - 1;
        r->worse = sign * r->change;
    }
    if ((a = alert_of(al, nal, s)) != NULL)
        r->state = SVC_DASH_ALERT;
    else if ((a = alert_of(ak, nak, s)) != NULL)
        r->state = SVC_DASH_KNOWN;
    if (a)
        alert_step(r, s, v, a, &rules, sign);
    free(v);
}

static int cmp_name(const void *a, const void *b)
{
    const struct svc_dash_row *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c ? c : strcmp(x->measure, y->measure);
}

/* Worse now first: regressions by how much worse, then the rest by
 * change; unknown changes last. */
static int cmp_change(const void *a, const void *b)
{
    const struct svc_dash_row *x = a, *y = b;
    double cx = isnan(x->worse) ? -INFINITY : x->worse;
    double cy = isnan(y->worse) ? -INFINITY : y->worse;
    int rx = x->state == SVC_DASH_SUSPECTED || x->state == SVC_DASH_ALERT ||
             x->state == SVC_DASH_KNOWN;
    int ry = y->state == SVC_DASH_SUSPECTED || y->state == SVC_DASH_ALERT ||
             y->state == SVC_DASH_KNOWN;

    if (rx != ry)
        return ry - rx;
    if (cx != cy)
        return cx < cy ? 1 : -1;
    return cmp_name(a, b);
}

static int cmp_noise(const void *a, const void *b)
{
    const struct svc_dash_row *x = a, *y = b;
    double cx = isnan(x->cv) ? -1 : x->cv;
    double cy = isnan(y->cv) ? -1 : y->cv;

    if (cx != cy)
        return cx < cy ? 1 : -1;
    return cmp_name(a, b);
}

void svc_dash_rows_free(struct svc_dash_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].key);
        free(rows[i].measure);
        free(rows[i].unit);
        free(rows[i].first_bad_commit);
        free(rows[i].last_good_commit);
        free(rows[i].branch);
        free(rows[i].testbed);
    }
    free(rows);
}

enum err svc_dashboard(struct store *st, int64_t project_id, const char *q,
                       enum svc_dash_sort sort, struct svc_dash_row **out,
                       size_t *nout, struct errbuf *eb)
{
    static int (*const cmps[])(const void *, const void *) = {
        cmp_change, cmp_name, cmp_noise};
    struct store_benchmark *bm = NULL;
    struct store_measure *ms = NULL;
    struct store_alert *al = NULL, *ak = NULL;
    size_t nb = 0, nm = 0, nal = 0, nak = 0, n = 0, cap = 0;
    struct svc_dash_row *rows = NULL;
    enum err e;

    *out = NULL;
    *nout = 0;
    e = store_benchmarks_list(st, project_id, &bm, &nb, eb);
    if (!e)
        e = store_measures_list(st, project_id, &ms, &nm, eb);
    if (!e)
        e = store_alerts_list(st, project_id, "open", 0, 1000, &al, &nal, eb);
    if (!e)
        e = store_alerts_list(st, project_id, "acknowledged", 0, 1000, &ak,
                              &nak, eb);
    for (size_t i = 0; !e && i < nb; i++) {
        if (q && *q && !strstr(bm[i].key, q))
            continue;
        for (size_t k = 0; k < nm; k++) {
            char id[24];
            struct store_series_query sq = {.benchmark = id,
                                            .measure = ms[k].name};
            struct series s;

            snprintf(id, sizeof id, "%lld", (long long)bm[i].id);
            memset(&s, 0, sizeof s);
            if (store_series_get(st, project_id, &sq, &s, NULL) != ERR_OK ||
                s.npoints == 0) {
                series_cleanup(&s);
                continue;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                rows = xreallocarray(rows, cap, sizeof *rows);
            }
            row_fill(&rows[n++], &bm[i], &s, al, nal, ak, nak);
            series_cleanup(&s);
        }
    }
    if (!e && n)
        qsort(rows, n, sizeof *rows, cmps[(unsigned)sort < 3 ? sort : 0]);
    store_alerts_free(al, nal);
    store_alerts_free(ak, nak);
    store_benchmarks_free(bm, nb);
    store_measures_free(ms, nm);
    if (e) {
        svc_dash_rows_free(rows, n);
        return e;
    }
    *out = rows;
    *nout = n;
    return ERR_OK;
}
