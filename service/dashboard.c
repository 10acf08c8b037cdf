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
 *    resolved; either shows the alert's own change (the step against the
 *    level before it).
 * 2. Every series is read and ranked; nothing is cut before sorting.  The
 *    worse-now order puts suspected, regressed and known rows first, worst
 *    first.
 * 3. One row per series: the per-series summaries (store_summaries_list,
 *    schema/0008) carry the newest values, the noise and the live alert,
 *    so the cost does not grow with the history.  The summary's tail is
 *    longer than what an_level_now reads (LEVEL_HISTORY + AN_NOW_MAX_TAIL)
 *    and the noise is the CV of the last 10 values, as before.
 * 4. What a series' level says is a function of its tail alone, so it is
 *    remembered per series under the series' version (its result count,
 *    which only grows: no result is ever deleted) in a small table shared
 *    by the worker threads.  A series that another server, or this one,
 *    has since written to has another count and is computed afresh: the
 *    memo cannot go stale.  The direction is the measure's, fixed by its
 *    first result.
 * 5. Since when, for the rows that are worse now (suspected, alert open,
 *    known; service/regressions.c lists them): those few series are read
 *    whole, to name the first run of the new level (or the alert's first
 *    bad run), the last run before it, its time, and the change's 95%
 *    interval from one comparison: the runs since it against the
 *    LEVEL_HISTORY runs before it (an_compare_runs), as the level is
 *    compared.  An alert's change is that comparison's when its first bad
 *    run is in the series, else the alert's own.  The other rows cost one
 *    summary row each.
 */
#include "service/service_int.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_HISTORY 20 /* runs a series' latest level is measured against */
_Static_assert(STORE_SUMMARY_TAIL >= LEVEL_HISTORY + AN_NOW_MAX_TAIL,
               "the summary holds what an_level_now reads");

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

/* ---- what the level says, remembered by series version (note 4) ---------- */

#define MEMO_SLOTS 8192 /* a power of two; about 0.5 MB */

struct level_memo {
    int64_t benchmark_id, measure_id, branch_id, testbed_id;
    int64_t npoints; /* the version: 0 marks an empty slot */
    double change, worse;
    size_t tail;
    enum svc_dash_state state;
};

static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct level_memo memo[MEMO_SLOTS];

static size_t memo_slot(const struct store_summary *s)
{
    uint64_t h = 1469598103934665603ULL;
    const int64_t k[] = {s->benchmark_id, s->measure_id, s->branch_id,
                         s->testbed_id};

    for (size_t i = 0; i < 4; i++)
        h = (h ^ (uint64_t)k[i]) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 31)) & (MEMO_SLOTS - 1);
}

static bool memo_get(const struct store_summary *s, struct level_memo *out)
{
    const struct level_memo *m = &memo[memo_slot(s)];
    bool hit;

    pthread_mutex_lock(&memo_lock);
    hit = m->npoints == s->npoints && m->benchmark_id == s->benchmark_id &&
          m->measure_id == s->measure_id && m->branch_id == s->branch_id &&
          m->testbed_id == s->testbed_id;
    if (hit)
        *out = *m;
    pthread_mutex_unlock(&memo_lock);
    return hit;
}

static void memo_put(const struct level_memo *in)
{
    struct store_summary key = {.benchmark_id = in->benchmark_id,
                                .measure_id = in->measure_id,
                                .branch_id = in->branch_id,
                                .testbed_id = in->testbed_id};

    pthread_mutex_lock(&memo_lock);
    memo[memo_slot(&key)] = *in;
    pthread_mutex_unlock(&memo_lock);
}

/* The level of a series from its tail (note 1), or from the memo. */
static void level_of(const struct store_summary *s, enum direction dir,
                     struct level_memo *out)
{
    double sign = dir == DIR_HIGHER ? -1 : 1;
    struct an_rules rules;
    struct an_now now;

    if (memo_get(s, out))
        return;
    memset(out, 0, sizeof *out);
    out->benchmark_id = s->benchmark_id;
    out->measure_id = s->measure_id;
    out->branch_id = s->branch_id;
    out->testbed_id = s->testbed_id;
    out->npoints = s->npoints;
    out->change = out->worse = NAN;
    an_rules_default(&rules);
    if (an_level_now(s->tail, s->ntail, LEVEL_HISTORY, rules.threshold,
                     rules.noise_floor, &now)) {
        struct an_decision d;
        double qv = now.c.p_value;

        out->change = now.change;
        out->tail = now.tail;
        out->worse = sign * now.change;
        an_decide(&now.c, qv, dir, NULL, NAN, &rules, &d);
        if (d.verdict == AN_REGRESSED)
            out->state = SVC_DASH_SUSPECTED;
        else if (d.verdict == AN_IMPROVED)
            out->state = SVC_DASH_BETTER;
    } else if (s->ntail > 1 && s->tail[s->ntail - 2] != 0) {
        out->tail = 1;
        out->change = s->tail[s->ntail - 1] / s->tail[s->ntail - 2] - 1;
        out->worse = sign * out->change;
    }
    if (s->npoints > 0)
        memo_put(out);
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

/* The details of a row that is worse now (note 5), from its whole series;
 * left as the summary gave them when the series cannot be read. */
static void row_detail(struct store *st, int64_t project_id,
                       struct svc_dash_row *r,
                       const struct store_summary_row *x)
{
    char id[24];
    struct store_series_query sq = {.benchmark = id,
                                    .measure = x->measure,
                                    .branch = x->branch,
                                    .testbed = x->testbed};
    double sign = x->direction == DIR_HIGHER ? -1 : 1, *v;
    struct an_rules rules;
    struct series s;

    snprintf(id, sizeof id, "%lld", (long long)x->s.benchmark_id);
    memset(&s, 0, sizeof s);
    if (store_series_get(st, project_id, &sq, &s, NULL) != ERR_OK ||
        s.npoints == 0) {
        series_cleanup(&s);
        return;
    }
    an_rules_default(&rules);
    v = xmalloc(s.npoints * sizeof *v);
    for (size_t i = 0; i < s.npoints; i++)
        v[i] = s.points[i].value;
    if (x->alert_id) {
        struct store_alert a;
        struct errbuf ae;

        memset(&a, 0, sizeof a);
        err_init(&ae);
        if (store_alert_get(st, x->alert_id, &a, &ae) == ERR_OK)
            alert_step(r, &s, v, &a, &rules, sign);
        store_alert_cleanup(&a);
        err_cleanup(&ae);
    } else {
        struct an_now now;

        if (an_level_now(v, s.npoints, LEVEL_HISTORY, rules.threshold,
                         rules.noise_floor, &now)) {
            r->ci[0] = now.c.change_ci[0];
            r->ci[1] = now.c.change_ci[1];
            level_start(r, &s, s.npoints - now.tail);
        }
    }
    free(v);
    series_cleanup(&s);
}

/*
 * A row from its series' summary (note 1): the latest level against the
 * runs before it (an_level_now over the summary's tail, which holds more
 * than the LEVEL_HISTORY + AN_NOW_MAX_TAIL points it reads), judged with
 * the comparison's default rules; a live alert on the series says more
 * than the level does.  A row worse now gets its details (note 5).
 */
static void row_fill(struct store *st, int64_t project_id,
                     struct svc_dash_row *r, const struct store_summary_row *x)
{
    const struct store_summary *s = &x->s;
    double sign = x->direction == DIR_HIGHER ? -1 : 1;
    struct level_memo lv;

    memset(r, 0, sizeof *r);
    r->ci[0] = r->ci[1] = NAN;
    r->since = TIME_NONE;
    r->bench_id = s->benchmark_id;
    r->key = xstrdup(x->key);
    r->measure = xstrdup(x->measure);
    r->unit = xstrdup(x->unit ? x->unit : "");
    r->branch = xstrdup(x->branch ? x->branch : "");
    r->testbed = xstrdup(x->testbed ? x->testbed : "");
    r->npoints = (size_t)s->npoints;
    r->last = s->tail[s->ntail - 1];
    r->cv = s->noise;
    level_of(s, x->direction, &lv);
    r->change = lv.change;
    r->worse = lv.worse;
    r->tail = lv.tail;
    r->state = lv.state;
    r->alert_id = x->alert_id;
    if (x->alert_id)
        r->state = x->alert_open ? SVC_DASH_ALERT : SVC_DASH_KNOWN;
    if (x->alert_id && x->alert_first_bad_commit)
        r->first_bad_commit = xstrdup(x->alert_first_bad_commit);
    if (x->alert_id && isfinite(x->alert_change)) {
        /* the alert measured the step against the level before it */
        r->change = x->alert_change;
        r->worse = sign * r->change;
    }
    if (r->state == SVC_DASH_SUSPECTED || r->state == SVC_DASH_ALERT ||
        r->state == SVC_DASH_KNOWN)
        row_detail(st, project_id, r, x);
}

/*
 * The series a benchmark x measure shows (store_series_get's defaults,
 * store_series.c note 3): its "main" branch if main has it, else the
 * branch of its newest run; on that branch, the testbed of its newest run.
 * x[0..n) are the summaries of one benchmark x measure.
 */
static const struct store_summary_row *
default_series(const struct store_summary_row *x, size_t n)
{
    const struct store_summary_row *newest = &x[0], *pick = NULL;
    const char *branch;

    assert(n > 0);
    for (size_t i = 1; i < n; i++)
        if (x[i].s.newest_run_id > newest->s.newest_run_id)
            newest = &x[i];
    branch = newest->branch;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(x[i].branch, "main"))
            branch = "main";
    for (size_t i = 0; i < n; i++)
        if (!strcmp(x[i].branch, branch) &&
            (!pick || x[i].s.newest_run_id > pick->s.newest_run_id))
            pick = &x[i];
    return pick;
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
    struct store_summary_row *sum = NULL;
    size_t nsum = 0, n = 0;
    struct svc_dash_row *rows = NULL;
    enum err e;

    *out = NULL;
    *nout = 0;
    e = store_summaries_list(st, project_id, NULL, &sum, &nsum, eb);
    if (e)
        return e;
    rows = xcalloc(nsum ? nsum : 1, sizeof *rows);
    /* sum is ordered by key, then measure: one group per row */
    for (size_t i = 0, j; i < nsum; i = j) {
        for (j = i + 1;
             j < nsum && sum[j].s.benchmark_id == sum[i].s.benchmark_id &&
             sum[j].s.measure_id == sum[i].s.measure_id;
             j++)
            ;
        if (q && *q && !strstr(sum[i].key, q))
            continue;
        row_fill(st, project_id, &rows[n++], default_series(sum + i, j - i));
    }
    if (n)
        qsort(rows, n, sizeof *rows, cmps[(unsigned)sort < 3 ? sort : 0]);
    store_summaries_free(sum, nsum);
    *out = rows;
    *nout = n;
    return ERR_OK;
}

/* ---- sparklines from the summary ------------------------------------------
 */

void svc_spark_cleanup(struct svc_spark *sp)
{
    free(sp->key);
    free(sp->measure);
    free(sp->unit);
    free(sp->branch);
    free(sp->testbed);
    memset(sp, 0, sizeof *sp);
}

/* The measure the query names, or the default one (store_series.c note
 * 2) among the benchmark's summaries x[0..n); NULL: let the full series
 * query decide (and word its error). */
static const char *spark_measure(const struct store_summary_row *x, size_t n,
                                 const char *want)
{
    const char *only = NULL;
    bool several = false, latency = false;

    for (size_t i = 0; i < n; i++) {
        if (want && !strcmp(x[i].measure, want))
            return want;
        if (only && strcmp(only, x[i].measure))
            several = true;
        only = only ? only : x[i].measure;
        latency = latency || !strcmp(x[i].measure, "latency");
    }
    if (want || !only)
        return NULL;
    return !several ? only : latency ? "latency" : NULL;
}

enum err svc_spark_get(struct store *st, int64_t project_id,
                       const struct store_series_query *q, size_t last,
                       struct svc_spark *out, bool *answered, struct errbuf *eb)
{
    struct store_summary_row *x = NULL;
    const struct store_summary_row *pick;
    const char *measure;
    size_t nx = 0, from = 0, to;
    enum err e;

    memset(out, 0, sizeof *out);
    *answered = false;
    if (q->branch || q->testbed || (q->stat && strcmp(q->stat, "value")) ||
        last > STORE_SUMMARY_TAIL || !q->benchmark)
        return ERR_OK;
    e = store_summaries_list(st, project_id, q->benchmark, &x, &nx, eb);
    if (e != ERR_OK || nx == 0 || !(measure = spark_measure(x, nx, q->measure)))
        goto out;
    while (from < nx && strcmp(x[from].measure, measure))
        from++;
    for (to = from; to < nx && !strcmp(x[to].measure, measure); to++)
        ;
    pick = default_series(x + from, to - from);
    out->key = xstrdup(pick->key);
    out->measure = xstrdup(pick->measure);
    out->unit = xstrdup(pick->unit ? pick->unit : "");
    out->branch = xstrdup(pick->branch);
    out->testbed = xstrdup(pick->testbed);
    out->npoints = pick->s.npoints;
    out->last_run_id = pick->s.last_run_id;
    out->n = pick->s.ntail < last ? pick->s.ntail : last;
    memcpy(out->v, pick->s.tail + pick->s.ntail - out->n,
           out->n * sizeof *out->v);
    *answered = true;
out:
    store_summaries_free(x, nx);
    return e;
}
