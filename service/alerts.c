/*
 * Regression detection on ingest: after each group commit the writer thread
 * re-examines the series its runs touched and turns confirmed change points
 * into alerts.
 *
 * Design notes:
 * 1. Batch by series.  A batch's runs are mapped to their series (one
 *    indexed query per run), sorted and grouped, so a series that got k
 *    runs in one batch is examined once, with k new points.
 * 2. Only the tail is read: an_cpd_tail_len() points (4 windows + k) by an
 *    index walk (store_cpd_tail), so the cost per series does not grow with
 *    its history.  analysis/ decides which change points of the newest part
 *    are confirmed (an_cpd_tail_examine; docs/changepoints.md).
 * 2a. The writer keeps the tails it read (struct svc_cpd_cache, bounded,
 *    cleared when full), and a batch's new points come with the query that
 *    maps its runs to series, so in the steady state a series costs no tail
 *    query at all.  A cached tail is used only when the new points come
 *    after it in commit order and it holds enough points (or the whole
 *    series); anything else (a backfilled run, a wider window, a restart)
 *    reads the tail again.
 * 2b. The cache is checked against the database, not trusted: each entry
 *    remembers how many results its series had (the series summary's
 *    count, which the query that maps runs to series returns for free),
 *    and is used only when that count plus the batch's new points is the
 *    count now.  A run another process wrote (a second server, `push
 *    --db`) makes the counts differ, and the tail is read again.
 * 3. Matching, not duplicating: a confirmed change point is the same as a
 *    recorded one of the series when both go the same way and the recorded
 *    first run lies within AN_CPD_MATCH runs of it in the tail.  A match is
 *    restated (moved, new figures) when it moved or its change moved by
 *    half a point; its alert follows while open.  Otherwise it is recorded,
 *    and a regression (the measure's worse direction) opens an alert.
 *    Improvements are recorded without an alert.
 * 4. Resolution: an open or acknowledged alert is resolved when the newest
 *    segment of the tail lies wholly after its first bad run, is settled
 *    (its start is a confirmed change point, one that is no longer in the
 *    newest part, or the start of the tail), holds min_size points, and its
 *    mean is within half the alert's change of the alert's before value.
 * 5. All the writes of a batch go in one transaction (store_cpd_apply), and
 *    only when there is something to write: most batches cost reads only.
 */
#include "service/service_int.h"

#include <stdlib.h>
#include <string.h>

/* At most this many runs of one series count as new in a batch. */
#define NEW_MAX 1000
/* Recorded change points of a series read to match against. */
#define KNOWN_MAX 64

struct touch {
    struct store_cpd_series s;
    struct store_cpd_point p; /* the run's point of the series */
    int64_t npoints;          /* the series' results now (note 2b) */
    size_t job;               /* index into the runs examined */
};

/* ---- the tail cache (note 2a) ---------------------------------------------
 */

#define CACHE_SERIES 4096 /* entries; about 5 KB each at window 50 */

struct cpd_entry {
    struct store_cpd_series key;
    bool used;
    bool complete;               /* pts is the whole series */
    int64_t npoints;             /* results of the series then (note 2b);
                                    0: unknown, never used */
    struct store_cpd_point *pts; /* owns: newest points, commit order */
    size_t n;
};

struct svc_cpd_cache {
    struct cpd_entry *slot; /* owns; CACHE_SERIES * 2 slots */
    size_t count;
};

void svc_cpd_cache_free(struct svc_cpd_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < 2 * CACHE_SERIES; i++)
        free(c->slot[i].pts);
    free(c->slot);
    free(c);
}

static uint64_t series_hash(const struct store_cpd_series *s)
{
    const int64_t k[] = {s->project_id, s->benchmark_id, s->measure_id,
                         s->branch_id, s->testbed_id};
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < 5; i++)
        h = (h ^ (uint64_t)k[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static bool same_series(const struct store_cpd_series *a,
                        const struct store_cpd_series *b)
{
    return a->project_id == b->project_id &&
           a->benchmark_id == b->benchmark_id &&
           a->measure_id == b->measure_id && a->branch_id == b->branch_id &&
           a->testbed_id == b->testbed_id;
}

/* The entry of s, or the empty slot where it goes (linear probing). */
static struct cpd_entry *cache_slot(struct svc_cpd_cache *c,
                                    const struct store_cpd_series *s)
{
    size_t mask = 2 * CACHE_SERIES - 1;

    for (size_t i = (size_t)series_hash(s) & mask;; i = (i + 1) & mask)
        if (!c->slot[i].used || same_series(&c->slot[i].key, s))
            return &c->slot[i];
}

/* Keeps the last keep points of pts[0..n) for s; clears the table when
 * it would pass CACHE_SERIES entries (no deletions, so no tombstones). */
static void cache_put(struct svc_cpd_cache *c, const struct store_cpd_series *s,
                      const struct store_cpd_point *pts, size_t n, size_t keep,
                      bool complete, int64_t npoints)
{
    struct cpd_entry *en = cache_slot(c, s);
    size_t from = n > keep ? n - keep : 0;

    if (!en->used && c->count >= CACHE_SERIES) {
        for (size_t i = 0; i < 2 * CACHE_SERIES; i++) {
            free(c->slot[i].pts);
            memset(&c->slot[i], 0, sizeof c->slot[i]);
        }
        c->count = 0;
        en = cache_slot(c, s);
    }
    if (!en->used) {
        en->used = true;
        en->key = *s;
        c->count++;
    }
    free(en->pts);
    en->n = n - from;
    en->pts = en->n ? xreallocarray(NULL, en->n, sizeof *en->pts) : NULL;
    if (en->n)
        memcpy(en->pts, pts + from, en->n * sizeof *en->pts);
    en->complete = complete && from == 0;
    en->npoints = npoints;
}

/* Makes the next lookup of s miss (the entry stays, empty, incomplete). */
static void cache_forget(struct svc_cpd_cache *c,
                         const struct store_cpd_series *s)
{
    struct cpd_entry *en = cache_slot(c, s);

    if (!en->used)
        return;
    free(en->pts);
    en->pts = NULL;
    en->n = 0;
    en->complete = false;
    en->npoints = 0;
}

static int point_order(const struct store_cpd_point *a,
                       const struct store_cpd_point *b)
{
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->run_id < b->run_id ? -1 : a->run_id > b->run_id;
}

/*
 * The tail for a group's new points from the cache: *out (caller frees)
 * holds the cached points then the new ones (t[0..k), sorted by job, which
 * is ingest order), or NULL when the cache cannot answer.
 */
static struct store_cpd_point *cache_tail(struct svc_cpd_cache *c,
                                          const struct touch *t, size_t k,
                                          size_t want, size_t *n)
{
    struct cpd_entry *en = cache_slot(c, &t[0].s);
    struct store_cpd_point *pts;

    *n = 0;
    if (!en->used || (!en->complete && en->n + k < want))
        return NULL;
    /* note 2b: exactly the batch's points came since, from any writer */
    for (size_t i = 0; i < k; i++)
        if (t[i].npoints != t[0].npoints)
            return NULL;
    if (!en->npoints || en->npoints + (int64_t)k != t[0].npoints)
        return NULL;
    pts = xreallocarray(NULL, en->n + k, sizeof *pts);
    memcpy(pts, en->pts, en->n * sizeof *pts);
    *n = en->n;
    for (size_t i = 0; i < k; i++) {
        /* Commit order must only grow: a run that sorts before the last
         * one is a backfill, which the database places. */
        if (*n && point_order(&t[i].p, &pts[*n - 1]) < 0) {
            free(pts);
            *n = 0;
            return NULL;
        }
        pts[(*n)++] = t[i].p;
    }
    return pts;
}

static int series_cmp(const struct store_cpd_series *a,
                      const struct store_cpd_series *b)
{
    const int64_t ka[] = {a->project_id, a->benchmark_id, a->measure_id,
                          a->branch_id, a->testbed_id};
    const int64_t kb[] = {b->project_id, b->benchmark_id, b->measure_id,
                          b->branch_id, b->testbed_id};

    for (size_t i = 0; i < 5; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

static int touch_cmp(const void *a, const void *b)
{
    const struct touch *x = a, *y = b;
    int c = series_cmp(&x->s, &y->s);

    if (c)
        return c;
    return x->job < y->job ? -1 : x->job > y->job;
}

void svc_cpd_params(struct store *st, int64_t project_id,
                    struct an_cpd_params *p)
{
    struct store_cpd_settings cs;
    struct an_cpd_params q;
    struct errbuf eb;

    an_cpd_params_default(p, AN_CPD_DEFAULT);
    err_init(&eb);
    if (store_cpd_settings_get(st, project_id, &cs, &eb) != ERR_OK) {
        log_warn("change-point settings of project %lld: %s",
                 (long long)project_id, eb.msg);
        err_cleanup(&eb);
        return;
    }
    /* Each setting alone is checked; a bad one keeps the default. */
    q = *p;
    if (cs.window > 0 && cs.window <= AN_CPD_MAX_WINDOW) {
        q.window = (size_t)cs.window;
        if (an_cpd_params_check(&q, NULL) == ERR_OK)
            *p = q;
    }
    q = *p;
    if (cs.min_size > 0 && cs.min_size <= AN_CPD_MAX_WINDOW) {
        q.min_size = (size_t)cs.min_size;
        if (an_cpd_params_check(&q, NULL) == ERR_OK)
            *p = q;
    }
    q = *p;
    if (!isnan(cs.p)) {
        q.max_pvalue = cs.p;
        if (an_cpd_params_check(&q, NULL) == ERR_OK)
            *p = q;
    }
    q = *p;
    if (!isnan(cs.magnitude)) {
        q.min_magnitude = cs.magnitude;
        if (an_cpd_params_check(&q, NULL) == ERR_OK)
            *p = q;
    }
    err_cleanup(&eb);
}

/* The position of run_id in the tail, or -1. */
static long tail_pos(const struct store_cpd_point *pts, size_t n,
                     int64_t run_id)
{
    for (size_t i = 0; i < n; i++)
        if (pts[i].run_id == run_id)
            return (long)i;
    return -1;
}

/* One series' examination: what to write. */
struct plan {
    struct store_cpd_action *a; /* owns */
    size_t n, cap;
    size_t *group; /* owns: a[i]'s series group */
};

static struct store_cpd_action *plan_add(struct plan *pl, size_t group)
{
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? 2 * pl->cap : 16;
        pl->a = xreallocarray(pl->a, pl->cap, sizeof *pl->a);
        pl->group = xreallocarray(pl->group, pl->cap, sizeof *pl->group);
    }
    memset(&pl->a[pl->n], 0, sizeof *pl->a);
    pl->group[pl->n] = group;
    return &pl->a[pl->n++];
}

static void fill_figures(struct store_cpd_action *a, const struct an_cp *c,
                         const struct store_cpd_point *pts)
{
    a->first_run_id = pts[c->index].run_id;
    a->last_run_id = c->index > 0 ? pts[c->index - 1].run_id : 0;
    a->before = c->before_mean;
    a->after = c->after_mean;
    a->change = c->change;
    a->p_value = c->p_value;
}

/* Note 4. */
static bool settled_back(const struct an_cpd_tail *tl, size_t n,
                         const struct an_cpd_params *p, size_t nnew, long pos,
                         const struct store_cpd_known *k)
{
    size_t recent_from = n > p->window + nnew ? n - p->window - nnew : 0;
    bool settled = tl->last_start == 0 || tl->last_start < recent_from;

    for (size_t i = 0; !settled && i < tl->nrecent; i++)
        settled = tl->recent[i].index == tl->last_start;
    if (!settled || tl->last_n < p->min_size || isnan(tl->last_mean))
        return false;
    if (pos >= 0 && tl->last_start <= (size_t)pos)
        return false;
    return fabs(tl->last_mean - k->before) <= fabs(k->after - k->before) / 2;
}

static void examine_series(struct store *st, struct svc_cpd_cache *cache,
                           const struct touch *t, size_t nnew,
                           const struct an_cpd_params *p, size_t group,
                           struct plan *pl)
{
    const struct store_cpd_series *s = &t[0].s;
    struct store_cpd_point *pts = NULL;
    struct store_cpd_known *known = NULL;
    struct an_cpd_tail tl;
    double *v = NULL;
    size_t np = 0, nk = 0, want = an_cpd_tail_len(p, nnew);
    bool complete = false;
    struct errbuf eb;
    enum err e = ERR_OK;

    memset(&tl, 0, sizeof tl);
    err_init(&eb);
    pts = cache_tail(cache, t, nnew, want, &np);
    if (pts) {
        complete = cache_slot(cache, s)->complete;
    } else {
        e = store_cpd_tail(st, s, want, &pts, &np, &eb);
        complete = np < want;
    }
    if (e == ERR_OK)
        cache_put(cache, s, pts, np, an_cpd_tail_len(p, 0), complete,
                  t[nnew - 1].npoints);
    if (e != ERR_OK || np < 2 * p->min_size)
        goto out;
    if (np > want) {
        /* The cache held more than this examination reads. */
        memmove(pts, pts + (np - want), want * sizeof *pts);
        np = want;
    }
    v = xreallocarray(NULL, np, sizeof *v);
    for (size_t i = 0; i < np; i++)
        v[i] = pts[i].value;
    e = an_cpd_tail_examine(v, np, nnew, p, &tl, &eb);
    if (e == ERR_OK)
        e = store_cpd_known_list(st, s, KNOWN_MAX, &known, &nk, &eb);
    if (e != ERR_OK)
        goto out;
    for (size_t i = 0; i < tl.nrecent; i++) {
        const struct an_cp *c = &tl.recent[i];
        bool reg = direction_worse(s->direction, c->before_mean, c->after_mean);
        const struct store_cpd_known *match = NULL;
        struct store_cpd_action *a;

        if (c->index == 0)
            continue;
        for (size_t j = 0; j < nk && !match; j++) {
            long pos = tail_pos(pts, np, known[j].first_run_id);
            size_t d;

            if (pos < 0 || known[j].regression != reg)
                continue;
            d = (size_t)pos > c->index ? (size_t)pos - c->index
                                       : c->index - (size_t)pos;
            if (d <= AN_CPD_MATCH)
                match = &known[j];
        }
        if (match) {
            double was =
                match->before != 0.0 ? match->after / match->before - 1.0 : NAN;

            if (match->first_run_id == pts[c->index].run_id &&
                fabs(was - c->change) < 0.005)
                continue; /* nothing new to say */
            a = plan_add(pl, group);
            a->op = STORE_CPD_UPDATE;
            a->id = match->id;
            a->alert_id = match->alert_id;
        } else {
            a = plan_add(pl, group);
            a->op = STORE_CPD_INSERT;
            a->series = s;
            a->regression = reg;
        }
        fill_figures(a, c, pts);
    }
    for (size_t j = 0; j < nk; j++) {
        const struct store_cpd_known *k = &known[j];
        struct store_cpd_action *a;

        if (!k->alert_id ||
            (strcmp(k->status, "open") && strcmp(k->status, "acknowledged")))
            continue;
        if (!settled_back(&tl, np, p, nnew, tail_pos(pts, np, k->first_run_id),
                          k))
            continue;
        a = plan_add(pl, group);
        a->op = STORE_CPD_RESOLVE;
        a->alert_id = k->alert_id;
    }
out:
    if (e != ERR_OK)
        log_warn("change points: series %lld/%lld/%lld/%lld: %s",
                 (long long)s->benchmark_id, (long long)s->measure_id,
                 (long long)s->branch_id, (long long)s->testbed_id, eb.msg);
    an_cpd_tail_cleanup(&tl);
    free(v);
    free(pts);
    free(known);
    err_cleanup(&eb);
}

/* Collects (series, job) pairs of the batch's stored runs (note 1). */
static struct touch *collect(struct store *st, struct svc_alert_run *runs,
                             size_t n, size_t *nt)
{
    struct touch *t = NULL;
    size_t cap = 0;

    *nt = 0;
    for (size_t i = 0; i < n; i++) {
        struct store_cpd_touch *ser = NULL;
        size_t ns = 0;
        struct errbuf eb;

        if (runs[i].run_id <= 0)
            continue;
        err_init(&eb);
        if (store_cpd_series_of_run(st, runs[i].run_id, &ser, &ns, &eb)) {
            log_warn("change points: series of run %lld: %s",
                     (long long)runs[i].run_id, eb.msg);
            ns = 0;
        }
        err_cleanup(&eb);
        for (size_t k = 0; k < ns; k++) {
            if (*nt == cap) {
                cap = cap ? 2 * cap : 64;
                t = xreallocarray(t, cap, sizeof *t);
            }
            t[*nt].s = ser[k].s;
            t[*nt].p = ser[k].p;
            t[*nt].npoints = ser[k].npoints;
            t[*nt].job = i;
            (*nt)++;
        }
        free(ser);
    }
    if (*nt)
        qsort(t, *nt, sizeof *t, touch_cmp);
    return t;
}

void svc_alerts_examine(struct store *st, struct svc_cpd_cache **cache,
                        struct svc_alert_run *runs, size_t n)
{
    struct plan pl = {0};
    struct touch *t;
    size_t nt, *gstart = NULL, ngroups = 0;
    struct an_cpd_params p;
    int64_t params_of = 0;
    struct errbuf eb;

    for (size_t i = 0; i < n; i++)
        runs[i].nalerts = 0;
    t = collect(st, runs, n, &nt);
    if (!nt)
        goto out;
    if (!*cache) {
        *cache = xcalloc(1, sizeof **cache);
        (*cache)->slot = xcalloc(2 * CACHE_SERIES, sizeof *(*cache)->slot);
    }
    gstart = xreallocarray(NULL, nt + 1, sizeof *gstart);
    for (size_t i = 0; i < nt; i++)
        if (i == 0 || series_cmp(&t[i].s, &t[i - 1].s))
            gstart[ngroups++] = i;
    gstart[ngroups] = nt;
    for (size_t g = 0; g < ngroups; g++) {
        const struct touch *first = &t[gstart[g]];
        size_t nnew = gstart[g + 1] - gstart[g];

        /* Groups are sorted by project: read its settings once. */
        if (first->s.project_id != params_of) {
            svc_cpd_params(st, first->s.project_id, &p);
            params_of = first->s.project_id;
        }
        if (nnew > NEW_MAX) {
            /* Only the newest NEW_MAX runs count as new; the tail then
             * comes from the database (the cache would miss the rest). */
            cache_forget(*cache, &first->s);
            first += nnew - NEW_MAX;
            nnew = NEW_MAX;
        }
        examine_series(st, *cache, first, nnew, &p, g, &pl);
    }
    if (!pl.n)
        goto out;
    err_init(&eb);
    if (store_cpd_apply(st, pl.a, pl.n, &eb) != ERR_OK) {
        log_error("change points: recording failed: %s", eb.msg);
        err_cleanup(&eb);
        goto out;
    }
    err_cleanup(&eb);
    for (size_t i = 0; i < pl.n; i++) {
        size_t g = pl.group[i];

        if (!pl.a[i].new_alert_id)
            continue;
        log_info("alert %lld opened: benchmark %lld measure %lld, change "
                 "%+.1f%%",
                 (long long)pl.a[i].new_alert_id,
                 (long long)t[gstart[g]].s.benchmark_id,
                 (long long)t[gstart[g]].s.measure_id, 100 * pl.a[i].change);
        for (size_t k = gstart[g]; k < gstart[g + 1]; k++) {
            struct svc_alert_run *r = &runs[t[k].job];

            if (r->nalerts < SVC_RUN_ALERTS_MAX)
                r->alert_ids[r->nalerts++] = pl.a[i].new_alert_id;
        }
    }
out:
    free(pl.a);
    free(pl.group);
    free(gstart);
    free(t);
}

/*
 * Examines runs stored without the writer (the demo project, `push --db`)
 * as if each had just been ingested, in the order given: the same
 * incremental analysis, confirmation and alerts as a live ingest.
 */
void svc_alerts_backfill(struct store *st, const int64_t *run_ids, size_t n)
{
    struct svc_cpd_cache *cache = NULL;
    struct svc_alert_run run;

    for (size_t i = 0; i < n; i++) {
        memset(&run, 0, sizeof run);
        run.run_id = run_ids[i];
        svc_alerts_examine(st, &cache, &run, 1);
    }
    svc_cpd_cache_free(cache);
}

void svc_series_change_points(struct store *st, int64_t project_id,
                              const struct series *s, struct an_cp **cps,
                              size_t *ncps)
{
    struct an_cpd_params p;
    double *v;
    struct errbuf eb;

    *cps = NULL;
    *ncps = 0;
    if (s->npoints == 0)
        return;
    err_init(&eb);
    svc_cpd_params(st, project_id, &p);
    v = xreallocarray(NULL, s->npoints, sizeof *v);
    for (size_t i = 0; i < s->npoints; i++)
        v[i] = s->points[i].value;
    if (an_changepoints(v, s->npoints, &p, cps, ncps, &eb) != ERR_OK)
        log_warn("series change points: %s", eb.msg);
    free(v);
    err_cleanup(&eb);
}

const char *svc_cp_kind(const struct series *s, const struct an_cp *c)
{
    return direction_worse(s->direction, c->before_mean, c->after_mean)
               ? "regression"
               : "improvement";
}

bool svc_alert_bisect(const struct store_alert *a, struct buf *out)
{
    if (!a->first_bad_commit || !a->last_good_commit || isnan(a->before) ||
        isnan(a->after))
        return false;
    /* the run command is the project's; the rest is known */
    (void)buf_printf(
        out,
        "git bisect start %s %s\n"
        "git bisect run sh -c '<run %s; exit 1 when its %s "
        "is %s than %.6g %s>'\n"
        "git bisect reset",
        a->first_bad_commit, a->last_good_commit, a->benchmark, a->measure,
        a->direction == DIR_HIGHER ? "lower" : "higher",
        (a->before + a->after) / 2, a->unit && *a->unit ? a->unit : "(count)");
    return true;
}

/*
 * After a run is deleted (service/delete.c): each series it had a point in
 * is examined again from the database, as if the points that came after
 * the deleted one had just arrived (at least the newest one, at most
 * NEW_MAX): a change point the run made goes away, one it hid appears, and
 * alerts whose series came back resolve as on ingest.  The deleted run's
 * own alerts were resolved with a note by the store.  A private tail cache:
 * the writer's must be dropped by its owner (it still holds the point).
 */
void svc_alerts_reexamine(struct store *st, const struct store_cpd_touch *gone,
                          size_t n)
{
    struct svc_cpd_cache *cache = NULL;
    struct plan pl = {0};
    struct an_cpd_params p;
    struct touch **ts; /* the plan's actions borrow their series here */
    struct errbuf eb;

    if (!n)
        return;
    /* examine_series reads nnew touches of a series (one per new point on
     * ingest): here each series gets a block of nnew copies, with no count
     * (0), so the private cache is never trusted */
    ts = xcalloc(n, sizeof *ts);
    cache = xcalloc(1, sizeof *cache);
    cache->slot = xcalloc(2 * CACHE_SERIES, sizeof *cache->slot);
    err_init(&eb);
    for (size_t i = 0; i < n; i++) {
        struct store_cpd_point *pts = NULL;
        size_t np = 0, nnew = 0;
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++)
            seen = !series_cmp(&gone[j].s, &gone[i].s);
        if (seen)
            continue;
        svc_cpd_params(st, gone[i].s.project_id, &p);
        if (store_cpd_tail(st, &gone[i].s, an_cpd_tail_len(&p, NEW_MAX), &pts,
                           &np, &eb) != ERR_OK) {
            log_warn("change points after a delete: %s", eb.msg);
            err_cleanup(&eb);
            err_init(&eb);
            continue;
        }
        for (size_t k = 0; k < np; k++)
            if (point_order(&pts[k], &gone[i].p) > 0)
                nnew++;
        free(pts);
        if (np == 0)
            continue;
        if (nnew == 0)
            nnew = 1;
        if (nnew > NEW_MAX)
            nnew = NEW_MAX;
        ts[i] = xcalloc(nnew, sizeof *ts[i]);
        for (size_t k = 0; k < nnew; k++) {
            ts[i][k].s = gone[i].s;
            ts[i][k].p = gone[i].p;
        }
        examine_series(st, cache, ts[i], nnew, &p, i, &pl);
    }
    if (pl.n && store_cpd_apply(st, pl.a, pl.n, &eb) != ERR_OK)
        log_error("change points after a delete: recording failed: %s", eb.msg);
    for (size_t i = 0; i < pl.n; i++)
        if (pl.a[i].new_alert_id)
            log_info("alert %lld opened on re-examination after a delete",
                     (long long)pl.a[i].new_alert_id);
    err_cleanup(&eb);
    free(pl.a);
    free(pl.group);
    for (size_t i = 0; i < n; i++)
        free(ts[i]);
    free(ts);
    svc_cpd_cache_free(cache);
}
