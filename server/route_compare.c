/*
 * Comparisons: GET /api/v1/projects/{project}/compare?base=&head= and the
 * srv_compare_* functions `benchvault compare --db` shares.
 *
 * Design notes:
 * 1. References.  A side is run ids ("12" or "12,13": pooled), the latest
 *    run of a branch in commit order ("branch:main") or of a commit
 *    ("commit:3f2a9c1", a prefix of at least 4).  Explicit ids resolve
 *    first; a branch or commit on the other side is then looked up on the
 *    same testbed as the first resolved run, so machines are not
 *    compared.  Without base, the head's pull-request base branch (else
 *    main) is used; when the head is itself on that branch, the base is
 *    the run before the head there (same testbed, an earlier commit), so
 *    a run on main is compared with its predecessor, not with itself.  When the head run is a pull request that carries its
 *    base commit (metadata "base_commit", see store_stats.c) and the base
 *    is that base branch, the base is the branch's run at that commit, or
 *    the latest one before the base commit's time, not the moving tip;
 *    the answer says which it used.
 * 2. Rows.  Every benchmark key x measure that both sides have is a row.
 *    A side that pools several runs concatenates their samples; when some
 *    run lacks samples, each run's central value becomes one sample (the
 *    run is then the unit).  One run without samples is compared by its
 *    summary (mean, stddev, n) or, lacking that, its value alone.  Rows
 *    only one side has are listed, not compared.
 * 3. Verdicts (analysis/verdict.c): Benjamini-Hochberg over every row's
 *    p-value, each row's noise threshold (the query's, else the first
 *    matching per-pattern rule of the project's settings, else the
 *    project's default, else 5%), and the series' run-to-run noise from
 *    the last `history` runs of the base branch on the base testbed up to
 *    the base run in commit order, the head's runs left out.
 * 4. Budgets are checked on the head runs (route_budgets.c).
 * 5. Recommendations are short sentences with their evidence, at most
 *    MAX_RECS: regressions, broken budgets, super-linear scaling of a
 *    family in the head's first run, what its resource samples say, noisy
 *    series, then notes on the comparison itself.
 * 6. Output: the JSON answer of DESIGN.md (rows carry more than the
 *    minimum: the test used, q-value, per-side statistics, run-to-run
 *    noise, minimum detectable effect), or text (a ministat-like table)
 *    or Markdown: the pull-request comment, the one the agent posts too
 *    (names escaped for Markdown).  Its links need the server's URL: the
 *    query's "link" (an http(s) URL, what the agent was told), else the
 *    Host the client used; rows link to their series by benchmark id, and
 *    the chart and the full comparison name the runs by id, so an old
 *    comment keeps showing what it said.
 */
#include "render/render.h"
#include "server/server_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/analysis.h"

#define MAX_SIDE_RUNS 50
#define HISTORY_RUNS 20
#define MAX_RECS 20
#define SCALING_MIN 3 /* family members for a scaling fit */
/* A read request's bootstrap is capped well below the engine's limit: its
 * cost grows with resamples x samples x rows, and reads need no token. */
#define ROUTE_BOOTSTRAP_MAX 10000

struct cmp_side {
    char *ref;                  /* owns: the reference as used */
    char *how;                  /* owns: how it was resolved, or NULL */
    struct store_run_ref *refs; /* owns, n */
    struct run *runs;           /* owns, n: results with samples */
    size_t n;
};

struct cmp_row {
    const struct result *b, *h; /* borrowed from the runs: names, units */
    int64_t bench_id;           /* for links (note 6); 0 when unknown */
    double head_center;         /* in the history's terms (note 3) */
    struct an_compare c;
    double q, threshold;
    struct an_noise noise;
    struct an_decision d;
};

struct srv_compare {
    char *project;
    struct cmp_side base, head;
    struct an_options opt;
    struct an_rules rules; /* threshold: the default, rows have their own */
    int history;
    struct cmp_row *rows;
    size_t nrows;
    char **only_base, **only_head; /* "key (measure)" */
    size_t nonly_base, nonly_head;
    struct store_budget *budget_rules;
    char **budget_sources;
    struct srv_budget_result *budgets;
    size_t nbudgets, budgets_failed;
    size_t counts[4]; /* by enum an_verdict */
    struct buf notes; /* lines */
    char **recs;
    enum an_advice_kind *rec_kinds; /* parallel to recs */
    size_t nrecs;
    char *link_base; /* owns; NULL: no links */
};

/* ---- references (note 1) ------------------------------------------------- */

static void side_free(struct cmp_side *s)
{
    for (size_t i = 0; i < s->n; i++) {
        store_run_ref_cleanup(&s->refs[i]);
        run_cleanup(&s->runs[i]);
    }
    free(s->refs);
    free(s->runs);
    free(s->ref);
    free(s->how);
    memset(s, 0, sizeof *s);
}

static void side_add(struct cmp_side *s)
{
    s->refs = xreallocarray(s->refs, s->n + 1, sizeof *s->refs);
    s->runs = xreallocarray(s->runs, s->n + 1, sizeof *s->runs);
    memset(&s->refs[s->n], 0, sizeof s->refs[s->n]);
    s->refs[s->n].base_commit_time = TIME_NONE;
    run_init(&s->runs[s->n]);
    s->n++;
}

static bool is_ids(const char *ref)
{
    return ref && *ref && strspn(ref, "0123456789,") == strlen(ref);
}

static enum err resolve_ids(struct store *st, int64_t pid, const char *ref,
                            struct cmp_side *out, struct errbuf *eb)
{
    const char *p = ref;

    while (*p) {
        size_t len = strcspn(p, ",");
        char num[24];
        int64_t id;
        enum err e;

        if (len == 0 || len >= sizeof num) {
            err_set(eb, "\"%s\": expected run ids separated by commas", ref);
            return ERR_INVALID;
        }
        memcpy(num, p, len);
        num[len] = '\0';
        if (parse_int64(num, 1, INT64_MAX, &id)) {
            err_set(eb, "\"%s\": run ids are positive integers", ref);
            return ERR_INVALID;
        }
        if (out->n >= MAX_SIDE_RUNS) {
            err_set(eb, "at most %d runs on a side", MAX_SIDE_RUNS);
            return ERR_INVALID;
        }
        side_add(out);
        e = store_run_ref_get(st, pid, id, &out->refs[out->n - 1], eb);
        if (e)
            return e;
        p += len;
        if (*p == ',')
            p++;
    }
    return ERR_OK;
}

static enum err pick(struct store *st, int64_t pid,
                     const struct store_run_pick *q, struct cmp_side *out,
                     struct errbuf *eb)
{
    enum err e;

    side_add(out);
    e = store_run_pick(st, pid, q, &out->refs[out->n - 1], eb);
    if (e)
        out->n--; /* the slot is empty: nothing to clean */
    return e;
}

/* A pull request's base (note 1); ERR_NOT_FOUND when it has no run. */
static enum err resolve_pr_base(struct store *st, int64_t pid,
                                const char *branch, const char *testbed,
                                const struct store_run_ref *h,
                                struct cmp_side *out, struct errbuf *eb)
{
    struct store_run_pick q = {branch, testbed, h->base_commit, TIME_NONE, 0};
    enum err e = pick(st, pid, &q, out, eb);

    if (e != ERR_NOT_FOUND) {
        if (!e)
            out->how = xasprintf("the run of %s at the pull request's base "
                                 "commit %.12s",
                                 branch, h->base_commit);
        return e;
    }
    if (h->base_commit_time == TIME_NONE)
        return ERR_NOT_FOUND;
    q.commit = NULL;
    q.before = h->base_commit_time;
    e = pick(st, pid, &q, out, eb);
    if (!e)
        out->how = xasprintf("the latest run of %s before the pull "
                             "request's base commit %.12s (which has no run)",
                             branch, h->base_commit);
    return e;
}

static enum err resolve(struct store *st, int64_t pid, const char *ref,
                        const char *testbed, const struct store_run_ref *h,
                        struct cmp_side *out, struct errbuf *eb)
{
    struct store_run_pick q = {NULL, testbed, NULL, TIME_NONE, 0};
    enum err e;

    out->ref = xstrdup(ref);
    if (is_ids(ref))
        return resolve_ids(st, pid, ref, out, eb);
    if (!strncmp(ref, "branch:", 7) && ref[7]) {
        q.branch = ref + 7;
        if (h && h->pr_number > 0 && h->base_commit &&
            (!h->base_branch || !strcmp(h->base_branch, q.branch))) {
            e = resolve_pr_base(st, pid, q.branch, testbed, h, out, eb);
            if (e != ERR_NOT_FOUND)
                return e;
            out->how = xasprintf("the tip of %s: the pull request's base "
                                 "commit %.12s has no run there",
                                 q.branch, h->base_commit);
        }
        e = pick(st, pid, &q, out, eb);
        if (e == ERR_NOT_FOUND)
            err_set(eb, "branch %s has no run%s%s", q.branch,
                    testbed ? " on testbed " : "", testbed ? testbed : "");
        return e;
    }
    if (!strncmp(ref, "commit:", 7) && ref[7]) {
        q.commit = ref + 7;
        e = pick(st, pid, &q, out, eb);
        if (e == ERR_NOT_FOUND)
            err_set(eb, "commit %s has no run%s%s", q.commit,
                    testbed ? " on testbed " : "", testbed ? testbed : "");
        return e;
    }
    err_set(eb,
            "\"%s\": expected a run id (12), run ids (12,13), "
            "branch:NAME or commit:SHA",
            ref);
    return ERR_INVALID;
}

static enum err load_runs(struct store *st, int64_t pid, struct cmp_side *s,
                          struct errbuf *eb)
{
    for (size_t i = 0; i < s->n; i++) {
        enum err e = store_run_get(st, pid, s->refs[i].id, &s->runs[i], eb);

        if (e)
            return e;
    }
    return ERR_OK;
}

/*
 * No base, and the head is on its own base branch (note 1): the run before
 * the head's first run there, on its testbed, in commit order.  Then the
 * runs are loaded.
 */
static enum err resolve_previous(struct store *st, int64_t pid,
                                 struct srv_compare *c, struct errbuf *eb)
{
    const struct store_run_ref *h = &c->head.refs[0];
    struct store_run_pick q = {h->branch, h->testbed, NULL, h->time, h->id};
    enum err e;

    /* before the earliest head run, in commit order (ties by id) */
    for (size_t i = 1; i < c->head.n; i++) {
        const struct store_run_ref *r = &c->head.refs[i];

        if (r->time < q.before || (r->time == q.before && r->id < q.before_id)) {
            q.before = r->time;
            q.before_id = r->id;
        }
    }
    c->base.ref = xasprintf("branch:%s", h->branch);
    e = pick(st, pid, &q, &c->base, eb);
    if (e == ERR_NOT_FOUND) {
        err_set(eb, "run %lld is the first of branch %s on testbed %s: "
                    "there is nothing before it to compare with",
                (long long)h->id, h->branch, h->testbed);
        return e;
    }
    if (e)
        return e;
    c->base.how = xasprintf("the run of %s before the head", h->branch);
    e = load_runs(st, pid, &c->base, eb);
    if (!e)
        e = load_runs(st, pid, &c->head, eb);
    return e;
}

/* resolve() for the side called name ("base", "head"): a message names
 * the parameter it is about. */
static enum err resolve_side(struct store *st, int64_t pid, const char *name,
                             const char *ref, const char *testbed,
                             const struct store_run_ref *h,
                             struct cmp_side *out, struct errbuf *eb)
{
    enum err e = resolve(st, pid, ref, testbed, h, out, eb);

    if ((e == ERR_INVALID || e == ERR_NOT_FOUND) && eb) {
        char msg[sizeof eb->msg];

        snprintf(msg, sizeof msg, "%s", eb->msg);
        err_set(eb, "%s: %s", name, msg);
    }
    return e;
}

static enum err resolve_sides(struct store *st, int64_t pid,
                              const struct srv_compare_query *q,
                              struct srv_compare *c, struct errbuf *eb)
{
    const char *base = q->base && *q->base ? q->base : NULL;
    char *dflt = NULL;
    enum err e;

    if (!q->head || !*q->head) {
        err_set(eb, "head is required: a run id, ids, branch:NAME or "
                    "commit:SHA");
        return ERR_INVALID;
    }
    if (base && is_ids(base) && !is_ids(q->head)) {
        e = resolve_side(st, pid, "base", base, NULL, NULL, &c->base, eb);
        if (!e)
            e = resolve_side(st, pid, "head", q->head,
                             c->base.refs[0].testbed, NULL, &c->head, eb);
    } else {
        e = resolve_side(st, pid, "head", q->head, NULL, NULL, &c->head, eb);
        if (!e && !base) {
            const struct store_run_ref *h = &c->head.refs[0];
            const char *bb = h->base_branch ? h->base_branch : "main";

            if (h->branch && !strcmp(bb, h->branch))
                return resolve_previous(st, pid, c, eb);
            dflt = xasprintf("branch:%s", bb);
            base = dflt;
        }
        if (!e)
            e = resolve_side(st, pid, "base", base, c->head.refs[0].testbed,
                             &c->head.refs[0], &c->base, eb);
    }
    free(dflt);
    if (!e)
        e = load_runs(st, pid, &c->base, eb);
    if (!e)
        e = load_runs(st, pid, &c->head, eb);
    return e;
}

/* ---- rows (note 2) ---------------------------------------------------------
 */

struct entry {
    const struct result *res;
    int side; /* 0 base, 1 head */
    size_t run;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int k =
        strcmp(x->res->key ? x->res->key : "", y->res->key ? y->res->key : "");

    if (k)
        return k;
    k = strcmp(x->res->measure ? x->res->measure : "",
               y->res->measure ? y->res->measure : "");
    if (k)
        return k;
    if (x->side != y->side)
        return x->side - y->side;
    return (x->run > y->run) - (x->run < y->run);
}

static bool same_series(const struct entry *a, const struct entry *b)
{
    return !strcmp(a->res->key ? a->res->key : "",
                   b->res->key ? b->res->key : "") &&
           !strcmp(a->res->measure ? a->res->measure : "",
                   b->res->measure ? b->res->measure : "");
}

/* Pools one side's entries into an an_side; *buf holds samples it made. */
static void pool(const struct entry *e, size_t n, double **buf,
                 struct an_side *side)
{
    size_t total = 0;
    bool all = true;

    *buf = NULL;
    memset(side, 0, sizeof *side);
    side->value = side->mean = side->stddev = NAN;
    side->n = -1;
    for (size_t i = 0; i < n; i++) {
        all = all && e[i].res->nsamples > 0;
        total += e[i].res->nsamples;
    }
    if (all) {
        size_t k = 0;

        *buf = xmalloc(total * sizeof **buf);
        for (size_t i = 0; i < n; i++) {
            memcpy(*buf + k, e[i].res->samples,
                   e[i].res->nsamples * sizeof **buf);
            k += e[i].res->nsamples;
        }
        side->samples = *buf;
        side->nsamples = total;
    } else if (n == 1) {
        side->value = e[0].res->value;
        side->mean = e[0].res->mean;
        side->stddev = e[0].res->stddev;
        side->n = e[0].res->n;
    } else {
        *buf = xmalloc(n * sizeof **buf);
        for (size_t i = 0; i < n; i++)
            (*buf)[i] = e[i].res->value;
        side->samples = *buf;
        side->nsamples = n;
    }
}

/*
 * A run's central value as the history holds it: the median of its samples,
 * else its stored value.  The head's pooled median is compared with the
 * median of these, so both sides speak of the same statistic (a result's
 * "value" may be any statistic its tool reported).
 */
static double center_of(const double *samples, size_t n, double value)
{
    return n ? an_median(samples, n) : value;
}

static double run_center(const struct result *r)
{
    return center_of(r->samples, r->nsamples, r->value);
}

static char *series_name(const struct result *r)
{
    return xasprintf("%s (%s)", r->key ? r->key : "?",
                     r->measure ? r->measure : "?");
}

static void list_add(char ***list, size_t *n, char *s)
{
    *list = xreallocarray(*list, *n + 1, sizeof **list);
    (*list)[(*n)++] = s;
}

static enum err build_rows(struct srv_compare *c, struct errbuf *eb)
{
    struct entry *e = NULL;
    size_t ne = 0, cap = 0, i = 0;
    const struct cmp_side *sides[2] = {&c->base, &c->head};
    enum err err = ERR_OK;

    for (int s = 0; s < 2; s++) {
        for (size_t r = 0; r < sides[s]->n; r++) {
            const struct run *run = &sides[s]->runs[r];

            for (size_t k = 0; k < run->nresults; k++) {
                if (ne == cap) {
                    cap = cap ? cap * 2 : 256;
                    e = xreallocarray(e, cap, sizeof *e);
                }
                e[ne].res = &run->results[k];
                e[ne].side = s;
                e[ne++].run = r;
            }
        }
    }
    qsort(e, ne, sizeof *e, cmp_entry);
    c->rows = xcalloc(ne + 1, sizeof *c->rows);
    while (i < ne) {
        size_t j = i, nb = 0;
        struct an_side sb, sh;
        double *bb, *hb;
        struct cmp_row *row;

        while (j < ne && same_series(&e[i], &e[j]))
            j++;
        while (i + nb < j && e[i + nb].side == 0)
            nb++;
        if (nb == 0 || nb == j - i) {
            if (nb == 0)
                list_add(&c->only_head, &c->nonly_head, series_name(e[i].res));
            else
                list_add(&c->only_base, &c->nonly_base, series_name(e[i].res));
            i = j;
            continue;
        }
        pool(e + i, nb, &bb, &sb);
        pool(e + i + nb, j - i - nb, &hb, &sh);
        row = &c->rows[c->nrows];
        memset(row, 0, sizeof *row);
        row->b = e[i].res;
        row->h = e[i + nb].res;
        row->q = NAN;
        row->head_center = sh.nsamples ? NAN : run_center(e[i + nb].res);
        err = an_compare(&sb, &sh, &c->opt, false, &row->c, eb);
        free(bb);
        free(hb);
        if (err) {
            an_compare_cleanup(&row->c);
            break;
        }
        c->nrows++;
        i = j;
    }
    free(e);
    return err;
}

/* ---- thresholds, history, verdicts (note 3) ---------------------------- */

static double row_threshold(const struct srv_compare_query *q,
                            const struct ingest_compare_settings *cs,
                            const struct result *r)
{
    if (isfinite(q->threshold))
        return q->threshold;
    for (size_t i = 0; i < cs->nrules; i++) {
        const struct ingest_threshold *t = &cs->rules[i];

        if (t->measure && strcmp(t->measure, r->measure ? r->measure : ""))
            continue;
        if (glob_match(t->benchmark_glob, r->key ? r->key : "") ||
            (r->benchmark && glob_match(t->benchmark_glob, r->benchmark)))
            return t->threshold;
    }
    return isfinite(cs->threshold) ? cs->threshold : AN_THRESHOLD_DEFAULT;
}

static int cmp_series(const char *k1, const char *m1, const char *k2,
                      const char *m2)
{
    int k = strcmp(k1 ? k1 : "", k2 ? k2 : "");

    return k ? k : strcmp(m1 ? m1 : "", m2 ? m2 : "");
}

static enum err history(struct store *st, int64_t pid, struct srv_compare *c,
                        struct errbuf *eb)
{
    const struct store_run_ref *upto = &c->base.refs[0];
    struct store_history_point *h = NULL;
    int64_t *excl = xcalloc(c->head.n + 1, sizeof *excl);
    double *v = NULL;
    size_t nh = 0, k = 0;
    enum err e;

    for (size_t i = 1; i < c->base.n; i++) {
        const struct store_run_ref *r = &c->base.refs[i];

        if (r->time > upto->time || (r->time == upto->time && r->id > upto->id))
            upto = r;
    }
    for (size_t i = 0; i < c->head.n; i++)
        excl[i] = c->head.refs[i].id;
    e = store_history_values(st, pid, upto->branch_id, upto->testbed_id, upto,
                             excl, c->head.n, c->history, &h, &nh, eb);
    free(excl);
    if (e)
        return e;
    v = xmalloc((nh ? nh : 1) * sizeof *v);
    /* rows and points are both in (key, measure) order: one merge walk */
    for (size_t i = 0; i < c->nrows; i++) {
        const struct result *r = c->rows[i].b;
        size_t m = 0;

        while (k < nh &&
               cmp_series(h[k].key, h[k].measure, r->key, r->measure) < 0)
            k++;
        while (k < nh &&
               !cmp_series(h[k].key, h[k].measure, r->key, r->measure)) {
            v[m++] = center_of(h[k].samples, h[k].nsamples, h[k].value);
            k++;
        }
        an_noise_estimate(v, m, &c->rows[i].noise);
    }
    free(v);
    store_history_free(h, nh);
    return ERR_OK;
}

static void decide(const struct srv_compare_query *q,
                   const struct ingest_compare_settings *cs,
                   struct srv_compare *c)
{
    double *p = xcalloc(c->nrows + 1, sizeof *p);

    for (size_t i = 0; i < c->nrows; i++)
        p[i] = c->rows[i].c.p_value;
    an_bh_adjust(p, c->nrows, p);
    for (size_t i = 0; i < c->nrows; i++) {
        struct cmp_row *row = &c->rows[i];
        struct an_rules r = c->rules;

        row->q = p[i];
        row->threshold = r.threshold = row_threshold(q, cs, row->b);
        an_decide(&row->c, row->q, row->b->direction, &row->noise,
                  row->head_center, &r, &row->d);
        c->counts[row->d.verdict]++;
    }
    free(p);
}

/* "12,13": a side's run ids, as a reference that does not move. */
static void side_ids(struct buf *out, const struct cmp_side *s)
{
    for (size_t i = 0; i < s->n; i++)
        (void)buf_printf(out, "%s%lld", i ? "," : "", (long long)s->refs[i].id);
}

/* ---- recommendations (note 5): worded by analysis/recommend.c ---------- */

static void rec(struct srv_compare *c, const struct an_advice *a)
{
    if (c->nrecs >= MAX_RECS)
        return;
    c->rec_kinds = xreallocarray(c->rec_kinds, c->nrecs + 1,
                                 sizeof *c->rec_kinds);
    c->rec_kinds[c->nrecs] = a->kind;
    list_add(&c->recs, &c->nrecs, xstrdup(a->text));
}

/* A family member that scaling can place: its result, its one numeric
 * parameter's name and value. */
struct member {
    const struct result *r;
    char param[64];
    double n;
};

/* Family order: benchmark name, measure, parameter name, value. */
static int cmp_member(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    int k = strcmp(x->r->benchmark, y->r->benchmark);

    if (!k)
        k = strcmp(x->r->measure, y->r->measure);
    if (!k)
        k = strcmp(x->param, y->param);
    return k ? k : (x->n > y->n) - (x->n < y->n);
}

static bool same_family(const struct member *x, const struct member *y)
{
    return !strcmp(x->r->benchmark, y->r->benchmark) &&
           !strcmp(x->r->measure, y->r->measure) &&
           !strcmp(x->param, y->param);
}

/* One family's fit and advice: m[0..k) sorted by value. */
static void scaling_advice(struct srv_compare *c, const struct member *m,
                           size_t k, double *n, double *t)
{
    const struct result *r = m[0].r;
    enum direction dir = r->direction != DIR_UNSET
                             ? r->direction
                             : unit_default_direction(r->measure, r->unit);
    struct an_scaling fit;
    struct an_advice a;
    size_t distinct = 0;

    for (size_t i = 0; i < k; i++) {
        n[i] = m[i].n;
        t[i] = m[i].r->value;
        distinct += i == 0 || m[i].n != m[i - 1].n;
    }
    if (distinct >= SCALING_MIN &&
        an_scaling_fit(n, t, k, &fit, NULL) == ERR_OK) {
        char *series = xasprintf("%s %s", r->benchmark, r->measure);

        if (an_advise_scaling(series, m[0].param, dir, &fit, &a))
            rec(c, &a);
        free(series);
    }
}

/* Scaling advice from the head's first run: each family (benchmark name,
 * measure and the name of its one numeric parameter) with at least
 * SCALING_MIN distinct parameter values. */
static void recommend_scaling(struct srv_compare *c)
{
    const struct run *run = &c->head.runs[0];
    struct member *m = xcalloc(run->nresults + 1, sizeof *m);
    double *n = xcalloc(run->nresults + 1, sizeof *n);
    double *t = xcalloc(run->nresults + 1, sizeof *t);
    size_t nm = 0;

    for (size_t i = 0; i < run->nresults; i++) {
        const struct result *r = &run->results[i];

        if (r->benchmark && isfinite(r->value) &&
            srv_one_numeric_param(r->params, &m[nm].n, m[nm].param,
                                  sizeof m[nm].param)) {
            m[nm].r = r;
            nm++;
        }
    }
    if (nm)
        qsort(m, nm, sizeof *m, cmp_member);
    for (size_t i = 0, j; i < nm; i = j) {
        for (j = i + 1; j < nm && same_family(&m[i], &m[j]); j++)
            ;
        scaling_advice(c, m + i, j - i, n, t);
    }
    free(m);
    free(n);
    free(t);
}

/* What the head's first run's resource samples say. */
static void recommend_resources(struct srv_compare *c)
{
    const struct run *run = &c->head.runs[0];
    struct an_advice a[8];
    size_t n = an_recommend_resources(run->resources, run->nresources, a, 8);

    for (size_t i = 0; i < n; i++)
        rec(c, &a[i]);
}

static void recommend_regressions(struct srv_compare *c)
{
    for (size_t i = 0; i < c->nrows; i++) {
        const struct cmp_row *r = &c->rows[i];
        struct an_regression_facts f;
        struct an_advice a;
        char *series;

        if (r->d.verdict != AN_REGRESSED)
            continue;
        series = xasprintf("%s %s", r->b->key, r->b->measure);
        f = (struct an_regression_facts){
            .series = series,
            .change = r->c.change,
            .change_ci = {r->c.change_ci[0], r->c.change_ci[1]},
            .p_value = r->q,
            .p_name = "q",
            .threshold = r->threshold,
            .before = r->c.base,
            .after = r->c.head,
            .unit = r->b->unit,
            .last_good = c->base.refs[0].commit_sha,
            .first_bad = c->head.refs[0].commit_sha,
        };
        an_advise_regression(&f, &a);
        rec(c, &a);
        free(series);
    }
}

static void recommend_budgets(struct srv_compare *c)
{
    for (size_t i = 0; i < c->nbudgets; i++) {
        const struct srv_budget_result *r = &c->budgets[i];
        struct an_budget_check chk = {false, r->checked, r->violations,
                                      r->worst};
        struct an_advice a;
        char *series;

        if (strcmp(r->status, "fail") != 0)
            continue;
        if (r->worst_benchmark)
            series = xasprintf("%s %s (run %lld; the %s rule for %s)",
                               r->worst_benchmark, r->rule->measure,
                               (long long)r->worst_run, r->source,
                               r->rule->benchmark_glob);
        else
            series = xasprintf("%s of run %lld (the %s rule)",
                               r->rule->measure, (long long)r->worst_run,
                               r->source);
        if (an_advise_budget(series, r->rule->is_max, r->rule->threshold,
                             r->rule->unit, &chk, &a))
            rec(c, &a);
        free(series);
    }
}

static void recommend(struct srv_compare *c)
{
    size_t confirm = 0, noisy = 0, short_hist = 0;
    struct an_advice a;

    recommend_regressions(c);
    recommend_budgets(c);
    recommend_scaling(c);
    recommend_resources(c);
    for (size_t i = 0; i < c->nrows; i++) {
        const struct cmp_row *r = &c->rows[i];
        bool hist = r->noise.runs >= c->rules.min_history;
        double cv = r->c.kind == AN_KIND_SAMPLES ? r->c.dhead.cv : NAN;
        char *series;

        confirm += r->d.needs_confirmation;
        short_hist += !hist;
        series = xasprintf("%s %s", r->b->key, r->b->measure);
        if (an_advise_noise(series, cv, r->c.nhead, hist ? &r->noise : NULL,
                            c->rules.level, r->threshold, &a) &&
            noisy++ < 3)
            rec(c, &a);
        free(series);
    }
    if (noisy > 3) {
        an_advise_more_noisy(noisy - 3, &a);
        rec(c, &a);
    }
    if (confirm) {
        struct buf ids;

        /* the head as run ids: "head=12,<new run id>" always resolves */
        buf_init(&ids, 0);
        side_ids(&ids, &c->head);
        an_advise_confirm(confirm, buf_str(&ids), &a);
        buf_cleanup(&ids);
        rec(c, &a);
    }
    if (short_hist) {
        an_advise_short_history(short_hist, c->nrows, c->rules.min_history,
                                c->base.refs[0].branch, c->rules.allowance,
                                &a);
        rec(c, &a);
    }
}

/* ---- output: JSON ----------------------------------------------------------
 */

static void num_pair(struct jw *w, const char *key, const double v[2])
{
    jw_key(w, key);
    jw_arr_begin(w);
    jw_num(w, v[0]);
    jw_num(w, v[1]);
    jw_arr_end(w);
}

static void side_json(struct jw *w, const struct cmp_side *s)
{
    char iso[TIME_ISO_LEN];

    jw_obj_begin(w);
    jw_kstr(w, "ref", s->ref);
    jw_kstr(w, "resolved", s->how);
    jw_key(w, "runs");
    jw_arr_begin(w);
    for (size_t i = 0; i < s->n; i++) {
        const struct store_run_ref *r = &s->refs[i];

        jw_obj_begin(w);
        jw_kint(w, "id", r->id);
        jw_kstr(w, "branch", r->branch);
        jw_kstr(w, "testbed", r->testbed);
        jw_kstr(w, "commit", r->commit_sha);
        time_format_iso(r->time, iso);
        jw_kstr(w, "time", r->time == TIME_NONE ? NULL : iso);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

static const char *kind_str(enum an_kind k)
{
    return k == AN_KIND_SAMPLES
               ? "samples"
               : (k == AN_KIND_SUMMARY ? "summary" : "no samples");
}

static const char *test_str(const struct an_compare *c)
{
    return c->kind == AN_KIND_SAMPLES
               ? "mann-whitney"
               : (c->kind == AN_KIND_SUMMARY ? "welch" : "none");
}

static void stats_json(struct jw *w, const char *key,
                       const struct an_describe *d, size_t n, double center)
{
    jw_key(w, key);
    jw_obj_begin(w);
    jw_kint(w, "n", (int64_t)n);
    jw_knum(w, "center", center);
    if (d->n) {
        jw_knum(w, "mean", d->mean);
        jw_knum(w, "median", d->median);
        jw_knum(w, "stddev", d->stddev);
        jw_knum(w, "min", d->min);
        jw_knum(w, "max", d->max);
        jw_knum(w, "cv", d->cv);
        jw_kint(w, "outliers", (int64_t)d->noutliers);
    }
    jw_obj_end(w);
}

static void row_json(struct jw *w, const struct cmp_row *r)
{
    const struct an_compare *c = &r->c;

    jw_obj_begin(w);
    jw_kstr(w, "benchmark", r->b->key);
    jw_kstr(w, "name", r->b->benchmark);
    jw_key(w, "params");
    jw_raw(w, r->b->params && *r->b->params ? r->b->params : "{}");
    jw_kstr(w, "measure", r->b->measure);
    jw_kstr(w, "unit", r->b->unit);
    jw_kstr(w, "direction", direction_str(r->b->direction));
    jw_knum(w, "base", c->base);
    jw_knum(w, "head", c->head);
    jw_knum(w, "change", c->change);
    num_pair(w, "change_ci", c->change_ci);
    jw_knum(w, "p_value", c->p_value);
    jw_knum(w, "q_value", r->q);
    jw_kstr(w, "test", test_str(c));
    jw_knum(w, "p_welch", c->welch.p);
    jw_knum(w, "p_mannwhitney", c->mwu.p);
    if (c->kind == AN_KIND_SAMPLES)
        jw_kstr(w, "mannwhitney_method", c->mwu.exact ? "exact" : "asymptotic");
    jw_kstr(w, "kind", kind_str(c->kind));
    stats_json(w, "base_stats", &c->dbase, c->nbase, c->base);
    stats_json(w, "head_stats", &c->dhead, c->nhead, c->head);
    jw_knum(w, "threshold", r->threshold);
    jw_kstr(w, "verdict", an_verdict_str(r->d.verdict));
    jw_kstr(w, "reason", r->d.reason);
    jw_key(w, "needs_confirmation");
    jw_bool(w, r->d.needs_confirmation);
    jw_knum(w, "mde", r->d.mde);
    jw_key(w, "more_samples");
    if (r->d.more_samples >= 0)
        jw_int(w, r->d.more_samples);
    else
        jw_null(w);
    jw_key(w, "run_to_run");
    jw_obj_begin(w);
    jw_kint(w, "runs", (int64_t)r->noise.runs);
    jw_knum(w, "center", r->noise.center);
    jw_knum(w, "noise", r->noise.noise);
    jw_knum(w, "bar", r->d.bar);
    jw_kstr(w, "bar_from", r->d.have_history ? "history" : "allowance");
    jw_knum(w, "vs_history", r->d.vs_history);
    jw_key(w, "detectable");
    jw_bool(w, r->d.bar <= r->threshold);
    jw_obj_end(w);
    jw_obj_end(w);
}

static void str_list(struct jw *w, const char *key, char *const *v, size_t n)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        jw_str(w, v[i]);
    jw_arr_end(w);
}

static void write_json(const struct srv_compare *c, struct buf *out)
{
    struct jw w;
    const char *p, *q;

    jw_init(&w, out);
    jw_obj_begin(&w);
    jw_kstr(&w, "project", c->project);
    jw_key(&w, "base");
    side_json(&w, &c->base);
    jw_key(&w, "head");
    side_json(&w, &c->head);
    jw_key(&w, "settings");
    jw_obj_begin(&w);
    jw_knum(&w, "threshold", c->rules.threshold);
    jw_knum(&w, "alpha", c->rules.alpha);
    jw_knum(&w, "run_to_run_allowance", c->rules.allowance);
    jw_kint(&w, "min_history", (int64_t)c->rules.min_history);
    jw_knum(&w, "noise_level", c->rules.level);
    jw_knum(&w, "noise_floor", c->rules.noise_floor);
    jw_kint(&w, "history_runs", c->history);
    jw_kint(&w, "bootstrap", c->opt.bootstrap);
    jw_kint(&w, "seed", (int64_t)c->opt.seed);
    jw_obj_end(&w);
    jw_key(&w, "summary");
    jw_obj_begin(&w);
    jw_kint(&w, "regressed", (int64_t)c->counts[AN_REGRESSED]);
    jw_kint(&w, "improved", (int64_t)c->counts[AN_IMPROVED]);
    jw_kint(&w, "unchanged", (int64_t)c->counts[AN_UNCHANGED]);
    jw_kint(&w, "inconclusive", (int64_t)c->counts[AN_INCONCLUSIVE]);
    jw_kint(&w, "rows", (int64_t)c->nrows);
    jw_kint(&w, "budgets_failed", (int64_t)c->budgets_failed);
    jw_obj_end(&w);
    jw_key(&w, "rows");
    jw_arr_begin(&w);
    for (size_t i = 0; i < c->nrows; i++)
        row_json(&w, &c->rows[i]);
    jw_arr_end(&w);
    str_list(&w, "only_in_base", c->only_base, c->nonly_base);
    str_list(&w, "only_in_head", c->only_head, c->nonly_head);
    jw_key(&w, "budgets");
    jw_arr_begin(&w);
    for (size_t i = 0; i < c->nbudgets; i++)
        srv_budget_result_json(&w, &c->budgets[i]);
    jw_arr_end(&w);
    str_list(&w, "recommendations", c->recs, c->nrecs);
    jw_key(&w, "notes");
    jw_arr_begin(&w);
    for (p = buf_str(&c->notes); *p; p = *q ? q + 1 : q) {
        q = strchr(p, '\n');
        if (!q)
            q = p + strlen(p);
        jw_strn(&w, p, (size_t)(q - p));
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
}

/* ---- output: text and Markdown ------------------------------------------- */

/* A value with a readable unit: 28.6 us, 1.5 MiB, 812 /s. */
static void fmt_pct(char *out, size_t n, double v)
{
    if (isfinite(v))
        snprintf(out, n, "%+.1f%%", 100 * v);
    else
        snprintf(out, n, "-");
}

static void fmt_ci(char *out, size_t n, const double ci[2])
{
    if (isfinite(ci[0]) && isfinite(ci[1]))
        snprintf(out, n, "[%+.1f%%, %+.1f%%]", 100 * ci[0], 100 * ci[1]);
    else
        snprintf(out, n, "-");
}

static void fmt_p(char *out, size_t n, double p)
{
    if (isfinite(p))
        snprintf(out, n, "%.2g", p);
    else
        snprintf(out, n, "-");
}

static void side_line(struct buf *out, const char *label,
                      const struct cmp_side *s)
{
    (void)buf_printf(out, "%s %s:", label, s->ref ? s->ref : "");
    for (size_t i = 0; i < s->n; i++)
        (void)buf_printf(out, "%s run %lld (%s, %.12s, testbed %s)",
                         i ? "," : "", (long long)s->refs[i].id,
                         s->refs[i].branch, s->refs[i].commit_sha,
                         s->refs[i].testbed);
    (void)buf_addc(out, '\n');
    if (s->how)
        (void)buf_printf(out, "  (%s)\n", s->how);
}

static void write_text(const struct srv_compare *c, struct buf *out)
{
    int kw = 9;
    const char *p;

    side_line(out, "base", &c->base);
    side_line(out, "head", &c->head);
    for (size_t i = 0; i < c->nrows; i++) {
        int l = (int)strlen(c->rows[i].b->key);

        kw = l > kw ? (l > 60 ? 60 : l) : kw;
    }
    (void)buf_printf(out, "\n%-*s %-10s %12s %12s %8s %18s %8s  %s\n", kw,
                     "benchmark", "measure", "base", "head", "change", "95% CI",
                     "q", "verdict");
    for (size_t i = 0; i < c->nrows; i++) {
        const struct cmp_row *r = &c->rows[i];
        char b[32], h[32], ch[16], ci[40], q[16];

        unit_format(b, sizeof b, r->c.base, r->b->unit);
        unit_format(h, sizeof h, r->c.head, r->b->unit);
        fmt_pct(ch, sizeof ch, r->c.change);
        fmt_ci(ci, sizeof ci, r->c.change_ci);
        fmt_p(q, sizeof q, r->q);
        (void)buf_printf(out, "%-*s %-10s %12s %12s %8s %18s %8s  %s%s\n", kw,
                         r->b->key, r->b->measure, b, h, ch, ci, q,
                         an_verdict_str(r->d.verdict),
                         r->c.kind == AN_KIND_SINGLE ? " (no samples)" : "");
    }
    (void)buf_printf(out,
                     "\nsummary: %zu regressed, %zu improved, %zu "
                     "unchanged, %zu inconclusive (threshold %.0f%%, "
                     "Benjamini-Hochberg at %.0f%%)\n",
                     c->counts[AN_REGRESSED], c->counts[AN_IMPROVED],
                     c->counts[AN_UNCHANGED], c->counts[AN_INCONCLUSIVE],
                     100 * c->rules.threshold, 100 * c->rules.alpha);
    for (size_t i = 0; i < c->nonly_base; i++)
        (void)buf_printf(out, "only in base: %s\n", c->only_base[i]);
    for (size_t i = 0; i < c->nonly_head; i++)
        (void)buf_printf(out, "only in head: %s\n", c->only_head[i]);
    if (c->nbudgets)
        (void)buf_printf(out, "\nbudgets:\n");
    for (size_t i = 0; i < c->nbudgets; i++)
        (void)buf_printf(out, "  %-7s %s\n", c->budgets[i].status,
                         c->budgets[i].message);
    if (c->nrecs)
        (void)buf_printf(out, "\nrecommendations:\n");
    for (size_t i = 0; i < c->nrecs; i++)
        (void)buf_printf(out, "  - %s\n", c->recs[i]);
    p = buf_str(&c->notes);
    if (*p)
        (void)buf_printf(out, "\nnotes:\n  %s\n", p);
}

static const char *verdict_mark(enum an_verdict v)
{
    static const char *const m[] = {"unchanged", "**regressed**", "improved",
                                    "inconclusive"};

    return (unsigned)v < 4 ? m[v] : "inconclusive";
}

/* The history page of a row's series on the head's branch and testbed. */
static void md_series_url(struct buf *out, const struct srv_compare *c,
                          const struct cmp_row *r)
{
    (void)buf_printf(out, "%s/p/", c->link_base);
    (void)page_esc_segment(out, c->project);
    (void)buf_printf(out, "/benchmarks/%lld?branch=", (long long)r->bench_id);
    (void)page_esc_query(out, c->head.refs[0].branch);
    (void)buf_adds(out, "&testbed=");
    (void)page_esc_query(out, c->head.refs[0].testbed);
}

static void md_row(struct buf *out, const struct srv_compare *c,
                   const struct cmp_row *r)
{
    char b[32], h[32], ch[16], ci[40], q[16];
    bool link = c->link_base && c->project && r->bench_id > 0;

    unit_format(b, sizeof b, r->c.base, r->b->unit);
    unit_format(h, sizeof h, r->c.head, r->b->unit);
    fmt_pct(ch, sizeof ch, r->c.change);
    fmt_ci(ci, sizeof ci, r->c.change_ci);
    fmt_p(q, sizeof q, r->q);
    (void)buf_adds(out, link ? "| [" : "| ");
    (void)page_esc_md(out, r->b->key);
    if (link) {
        (void)buf_adds(out, "](");
        md_series_url(out, c, r);
        (void)buf_adds(out, ")");
    }
    (void)buf_adds(out, " | ");
    (void)page_esc_md(out, r->b->measure);
    (void)buf_printf(out, " | %s | %s | %s | %s | %s | %s |\n", b, h, ch, ci,
                     q, verdict_mark(r->d.verdict));
}

static const char md_head[] = "| benchmark | measure | base | head | change "
                              "| 95% CI | q | verdict |\n"
                              "|---|---|---:|---:|---:|---:|---:|---|\n";

static void plural(struct buf *out, size_t n, const char *one,
                   const char *many)
{
    (void)buf_printf(out, "%zu %s", n, n == 1 ? one : many);
}


static void md_side(struct buf *out, const struct srv_compare *c,
                    const struct cmp_side *s)
{
    bool ids_only = s->ref && strspn(s->ref, "0123456789,") == strlen(s->ref);

    if (!ids_only) {
        (void)page_esc_md(out, s->ref);
        (void)buf_adds(out, ", ");
    }
    (void)buf_adds(out, s->n == 1 ? "run " : "runs ");
    for (size_t i = 0; i < s->n; i++) {
        (void)buf_adds(out, i ? ", " : "");
        if (c->link_base && c->project) {
            (void)buf_printf(out, "[%lld](%s/p/", (long long)s->refs[i].id,
                             c->link_base);
            (void)page_esc_segment(out, c->project);
            (void)buf_printf(out, "/runs/%lld)", (long long)s->refs[i].id);
        } else {
            (void)buf_printf(out, "%lld", (long long)s->refs[i].id);
        }
    }
}

/*
 * GitHub refuses a comment over 65,536 characters, and the agent adds a
 * few hundred bytes of its own: the changed rows stop at about 24 KB, all
 * rows at about 56 KB, each with a line saying how many are left out and
 * where to see them (note 6).
 */
#define MD_CHANGED_BYTES 24000
#define MD_ALL_BYTES 56000

/* After a table: a blank line, or "N more rows in the full comparison". */
static void md_more(struct buf *out, const struct srv_compare *c, size_t left,
                    const char *what)
{
    if (!left) {
        (void)buf_addc(out, '\n');
        return;
    }
    (void)buf_printf(out, "\n%zu more %s ", left, what);
    if (c->link_base && c->project) {
        (void)buf_printf(out, "in the [full comparison](%s/p/", c->link_base);
        (void)page_esc_segment(out, c->project);
        (void)buf_adds(out, "/compare?base=");
        side_ids(out, &c->base);
        (void)buf_adds(out, "&head=");
        side_ids(out, &c->head);
        (void)buf_adds(out, ")");
    } else {
        (void)buf_adds(out, "in the full comparison");
    }
    (void)buf_adds(out, " (a comment holds at most 64 KiB).\n\n");
}

/*
 * A pull-request comment (note 6): the verdict as its first line, what
 * was compared, the rows that changed with a link to their history, the
 * chart and a link to the full comparison when a server URL is known,
 * budgets and recommendations, every row in a collapsed block, and last a
 * hidden marker, so a bot updates its comment instead of adding one.
 */
static void write_markdown(const struct srv_compare *c, struct buf *out)
{
    size_t changed = c->counts[AN_REGRESSED] + c->counts[AN_IMPROVED];
    size_t start = out->len;

    (void)buf_adds(out, "### benchvault: ");
    plural(out, c->counts[AN_REGRESSED], "regression", "regressions");
    (void)buf_adds(out, ", ");
    plural(out, c->counts[AN_IMPROVED], "improvement", "improvements");
    (void)buf_printf(out, ", %zu unchanged, %zu inconclusive\n\n",
                     c->counts[AN_UNCHANGED], c->counts[AN_INCONCLUSIVE]);
    (void)buf_adds(out, "Base: ");
    md_side(out, c, &c->base);
    (void)buf_adds(out, "; head: ");
    md_side(out, c, &c->head);
    (void)buf_printf(out,
                     ". Noise threshold %.0f%%, Benjamini-Hochberg at "
                     "%.0f%%.\n\n",
                     100 * c->rules.threshold, 100 * c->rules.alpha);
    if (changed) {
        size_t left = 0;

        (void)buf_adds(out, md_head);
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < c->nrows; i++) {
                if (c->rows[i].d.verdict != (pass ? AN_IMPROVED : AN_REGRESSED))
                    continue;
                if (out->len - start < MD_CHANGED_BYTES)
                    md_row(out, c, &c->rows[i]);
                else
                    left++;
            }
        md_more(out, c, left, "changed rows");
    }
    if (c->link_base && c->project && c->nrows) {
        struct buf q;

        buf_init(&q, 0);
        (void)buf_adds(&q, "base=");
        side_ids(&q, &c->base);
        (void)buf_adds(&q, "&head=");
        side_ids(&q, &c->head);
        (void)buf_printf(out, "![comparison chart](%s/p/", c->link_base);
        (void)page_esc_segment(out, c->project);
        (void)buf_printf(out, "/charts/compare.png?%s)\n\n[Full comparison]"
                         "(%s/p/", buf_str(&q), c->link_base);
        (void)page_esc_segment(out, c->project);
        (void)buf_printf(out, "/compare?%s)\n\n", buf_str(&q));
        buf_cleanup(&q);
    }
    if (c->nbudgets)
        (void)buf_adds(out, "**Budgets**\n\n");
    for (size_t i = 0; i < c->nbudgets; i++) {
        (void)buf_printf(out, "- %s: ", c->budgets[i].status);
        (void)page_esc_md(out, c->budgets[i].message);
        (void)buf_addc(out, '\n');
    }
    if (c->nbudgets)
        (void)buf_addc(out, '\n');
    if (c->nrecs)
        (void)buf_adds(out, "**Recommendations**\n\n");
    for (size_t i = 0; i < c->nrecs; i++) {
        (void)buf_adds(out, "- ");
        (void)page_esc_md(out, c->recs[i]);
        (void)buf_addc(out, '\n');
    }
    if (c->nrecs)
        (void)buf_addc(out, '\n');
    (void)buf_printf(out, "<details><summary>All %zu rows</summary>\n\n",
                     c->nrows);
    (void)buf_adds(out, md_head);
    for (size_t i = 0; i < c->nrows; i++) {
        if (out->len - start >= MD_ALL_BYTES) {
            md_more(out, c, c->nrows - i, "rows");
            break;
        }
        md_row(out, c, &c->rows[i]);
    }
    (void)buf_adds(out, "\n</details>\n\n" COMMENT_MARKER "\n");
}

enum err srv_compare_write(const struct srv_compare *c, const char *format,
                           struct buf *out)
{
    if (!format || !*format || !strcmp(format, "json"))
        write_json(c, out);
    else if (!strcmp(format, "text"))
        write_text(c, out);
    else if (!strcmp(format, "markdown"))
        write_markdown(c, out);
    else
        return ERR_INVALID;
    return ERR_OK;
}

void srv_compare_counts(const struct srv_compare *c, size_t *regressed,
                        size_t *budgets_failed)
{
    *regressed = c->counts[AN_REGRESSED];
    *budgets_failed = c->budgets_failed;
}

/* ---- building
 * ------------------------------------------------------------------ */

void srv_compare_free(struct srv_compare *c)
{
    if (!c)
        return;
    free(c->project);
    free(c->link_base);
    for (size_t i = 0; i < c->nrows; i++)
        an_compare_cleanup(&c->rows[i].c);
    free(c->rows);
    for (size_t i = 0; i < c->nonly_base; i++)
        free(c->only_base[i]);
    free(c->only_base);
    for (size_t i = 0; i < c->nonly_head; i++)
        free(c->only_head[i]);
    free(c->only_head);
    srv_budget_results_free(c->budgets, c->nbudgets);
    srv_budget_rules_free(c->budget_rules, c->budget_sources, c->nbudgets);
    for (size_t i = 0; i < c->nrecs; i++)
        free(c->recs[i]);
    free(c->recs);
    free(c->rec_kinds);
    buf_cleanup(&c->notes);
    side_free(&c->base);
    side_free(&c->head);
    free(c);
}

static void note(struct srv_compare *c, char *s)
{
    (void)buf_printf(&c->notes, "%s%s", c->notes.len ? "\n" : "", s);
    free(s);
}

/* The project's comparison settings; unreadable ones are noted and
 * ignored (the defaults apply). */
static enum err settings_of(struct store *st, int64_t pid,
                            struct srv_compare *c,
                            struct ingest_compare_settings *cs,
                            struct errbuf *eb)
{
    struct store_budget *tmp = NULL;
    size_t ntmp = 0;
    char *text = NULL;
    enum err e = store_budgets_get(st, pid, &tmp, &ntmp, &text, eb);

    store_budgets_free(tmp, ntmp);
    if (!e && text &&
        ingest_compare_settings_parse(text, strlen(text), cs, NULL))
        note(c, xasprintf("the project's comparison settings do not parse; "
                          "the defaults apply"));
    free(text);
    return e;
}

/* An http(s) URL that can stand in a Markdown link: no query, fragment,
 * space, quote, parenthesis or credentials. */
bool srv_link_ok(const char *u)
{
    size_t n = strlen(u), skip;

    if (!strncasecmp(u, "http://", 7))
        skip = 7;
    else if (!strncasecmp(u, "https://", 8))
        skip = 8;
    else
        return false;
    if (n <= skip || n > 256)
        return false;
    /* no "user:password@": it would be published in every link */
    for (const char *p = u + skip; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-_~:/%[]", *p))
            return false;
    return true;
}

static int cmp_bench_key(const void *a, const void *b)
{
    return strcmp(((const struct store_benchmark *)a)->key,
                  ((const struct store_benchmark *)b)->key);
}

/* Each row's benchmark id, for the links of the Markdown (note 6). */
static enum err bench_ids(struct store *st, int64_t pid, struct srv_compare *c,
                          struct errbuf *eb)
{
    struct store_benchmark *bm = NULL, want;
    size_t n = 0;
    enum err e = store_benchmarks_list(st, pid, &bm, &n, eb);

    if (e)
        return e;
    if (n)
        qsort(bm, n, sizeof *bm, cmp_bench_key);
    for (size_t i = 0; n && i < c->nrows; i++) {
        const struct store_benchmark *hit;

        want.key = c->rows[i].b->key;
        hit = bsearch(&want, bm, n, sizeof *bm, cmp_bench_key);
        c->rows[i].bench_id = hit ? hit->id : 0;
    }
    store_benchmarks_free(bm, n);
    return ERR_OK;
}

enum err srv_compare_create(struct store *st, const struct srv_compare_query *q,
                            struct srv_compare **out, struct errbuf *eb)
{
    struct srv_compare *c = xcalloc(1, sizeof *c);
    struct ingest_compare_settings cs;
    struct store_project proj;
    enum err e;

    *out = NULL;
    memset(&cs, 0, sizeof cs);
    cs.threshold = cs.allowance = NAN;
    memset(&proj, 0, sizeof proj);
    buf_init(&c->notes, 1 << 16);
    c->project = xstrdup(q->project);
    if (q->link_base && !srv_link_ok(q->link_base)) {
        err_set(eb, "link: expected an http:// or https:// URL without "
                    "query, spaces or parentheses, got \"%.200s\"",
                q->link_base);
        free(c->project);
        buf_cleanup(&c->notes);
        free(c);
        return ERR_INVALID;
    }
    if (q->link_base) {
        size_t n = strlen(q->link_base); /* > 8: srv_link_ok */

        c->link_base = xstrndup(q->link_base, n - (q->link_base[n - 1] == '/'));
    }
    an_options_default(&c->opt);
    if (q->bootstrap)
        c->opt.bootstrap = q->bootstrap;
    c->opt.seed = q->seed;
    an_rules_default(&c->rules);
    c->history = q->history > 0 ? q->history : HISTORY_RUNS;
    e = store_project_get(st, q->project, &proj);
    if (e == ERR_NOT_FOUND)
        err_set(eb, "no such project");
    if (!e)
        e = settings_of(st, proj.id, c, &cs, eb);
    if (e)
        goto out;
    if (isfinite(cs.allowance))
        c->rules.allowance = cs.allowance;
    if (isfinite(q->threshold))
        c->rules.threshold = q->threshold;
    else if (isfinite(cs.threshold))
        c->rules.threshold = cs.threshold;
    e = resolve_sides(st, proj.id, q, c, eb);
    if (!e)
        e = build_rows(c, eb);
    if (!e)
        e = history(st, proj.id, c, eb);
    if (!e && c->link_base)
        e = bench_ids(st, proj.id, c, eb);
    if (e)
        goto out;
    decide(q, &cs, c);
    e = srv_budget_rules(st, proj.id, c->head.runs, c->head.n, &c->budget_rules,
                         &c->budget_sources, &c->nbudgets, &c->notes, eb);
    if (e)
        goto out;
    srv_budgets_eval(c->budget_rules, c->budget_sources, c->nbudgets,
                     c->head.runs, c->head.n, &c->budgets);
    for (size_t i = 0; i < c->nbudgets; i++)
        c->budgets_failed += !strcmp(c->budgets[i].status, "fail");
    if (strcmp(c->base.refs[0].testbed, c->head.refs[0].testbed))
        note(c, xasprintf("base and head ran on different testbeds (%s, %s): "
                          "the changes include the machines'",
                          c->base.refs[0].testbed, c->head.refs[0].testbed));
    if (c->base.how)
        note(c, xasprintf("base: %s", c->base.how));
    recommend(c);
out:
    store_project_cleanup(&proj);
    ingest_compare_settings_cleanup(&cs);
    if (e) {
        srv_compare_free(c);
        return e;
    }
    *out = c;
    return ERR_OK;
}

/* ---- the route -------------------------------------------------------------
 */

static bool arg_fraction(struct req *rq, const char *name, double *out)
{
    const char *v = req_arg(rq, name);
    char *end;
    double x;

    if (!v || !*v)
        return true;
    x = strtod(v, &end);
    if (end == v || *end || !(x >= 0 && x <= 10)) {
        req_query_problem(rq, name, "expected a fraction such as 0.05 (5%%)");
        return false;
    }
    *out = x;
    return true;
}

static bool arg_int(struct req *rq, const char *name, int64_t min, int64_t max,
                    int64_t *out)
{
    const char *v = req_arg(rq, name);

    if (!v || !*v)
        return true;
    if (parse_int64(v, min, max, out) == ERR_OK)
        return true;
    req_query_problem(rq, name, "expected an integer in [%lld, %lld]",
                      (long long)min, (long long)max);
    return false;
}

/*
 * Where the Markdown's links point (note 6): the query's link, else
 * http:// and the Host the client used (left out when it could not stand
 * in a link).  NULL for the other formats: they have no links, and a
 * link_base makes the comparison look up every row's benchmark id.
 */
static char *markdown_link(struct req *rq, const char *format)
{
    const char *given = req_arg_set(rq, "link");
    const char *host = req_header(rq, "Host");
    char *link;

    if (strcmp(format, "markdown") != 0)
        return NULL;
    if (given)
        return xstrdup(given); /* checked by srv_compare_create */
    if (!host || !*host || strlen(host) >= 200)
        return NULL;
    link = xasprintf("http://%s", host);
    if (!srv_link_ok(link)) {
        free(link);
        link = NULL;
    }
    return link;
}

void route_compare(struct req *rq)
{
    static const struct {
        const char *name;
        const char *type;
    } formats[] = {
        {"json", "application/json"},
        {"text", "text/plain; charset=utf-8"},
        {"markdown", "text/markdown; charset=utf-8"},
    };
    struct srv_compare_query q = {0};
    struct srv_compare *c = NULL;
    struct store *st = NULL;
    char *link = NULL;
    const char *format = req_arg(rq, "format"), *type = NULL;
    int64_t boot = 0, seed = 0, hist = 0;
    struct errbuf eb;
    enum err e;

    if (!format || !*format)
        format = "json";
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(format, formats[i].name))
            type = formats[i].type;
    if (!type) {
        req_query_problem(rq, "format", "json, text or markdown");
        return;
    }
    q.project = rq->params[0];
    q.base = req_arg(rq, "base");
    q.head = req_arg(rq, "head");
    q.threshold = NAN;
    if (!arg_fraction(rq, "threshold", &q.threshold) ||
        !arg_int(rq, "bootstrap", 0, ROUTE_BOOTSTRAP_MAX, &boot) ||
        !arg_int(rq, "seed", 0, INT64_MAX, &seed) ||
        !arg_int(rq, "history", 1, 1000, &hist))
        return;
    q.bootstrap = (unsigned)boot;
    q.seed = (uint64_t)seed;
    q.history = (int)hist;
    if (!auth_check(rq, rq->route->access, rq->params[0]))
        return;
    q.link_base = link = markdown_link(rq, format);
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = srv_compare_create(st, &q, &c, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        /* a malformed reference is a bad query */
        req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, &eb);
    } else {
        buf_reset(&rq->resp);
        rq->status = 200;
        rq->content_type = type;
        (void)srv_compare_write(c, format, &rq->resp);
    }
    srv_compare_free(c);
    free(link);
    err_cleanup(&eb);
}

size_t srv_compare_nrows(const struct srv_compare *c)
{
    return c->nrows;
}

void srv_compare_row(const struct srv_compare *c, size_t i, const char **key,
                     const char **measure, double *change, double ci[2],
                     int *verdict, double *threshold)
{
    const struct cmp_row *r = &c->rows[i];

    *key = r->h->key;
    *measure = r->h->measure;
    *change = r->c.change;
    ci[0] = r->c.change_ci[0];
    ci[1] = r->c.change_ci[1];
    *verdict = (int)r->d.verdict;
    *threshold = r->threshold;
}

void srv_compare_row_values(const struct srv_compare *c, size_t i,
                            double *base, double *head, const char **unit,
                            double *q)
{
    const struct cmp_row *r = &c->rows[i];

    *base = r->c.base;
    *head = r->c.head;
    *unit = r->b->unit;
    *q = r->q;
}

void srv_compare_summary(const struct srv_compare *c, size_t counts[4])
{
    memcpy(counts, c->counts, sizeof c->counts);
}

size_t srv_compare_side(const struct srv_compare *c, int head,
                        const char **ref, const char **how, int64_t *ids,
                        size_t max)
{
    const struct cmp_side *s = head ? &c->head : &c->base;

    *ref = s->ref;
    *how = s->how;
    for (size_t i = 0; i < s->n && i < max; i++)
        ids[i] = s->refs[i].id;
    return s->n;
}

size_t srv_compare_nbudgets(const struct srv_compare *c)
{
    return c->nbudgets;
}

void srv_compare_budget(const struct srv_compare *c, size_t i,
                        const char **status, const char **message)
{
    *status = c->budgets[i].status;
    *message = c->budgets[i].message;
}

size_t srv_compare_nrecs(const struct srv_compare *c)
{
    return c->nrecs;
}

const char *srv_compare_rec(const struct srv_compare *c, size_t i, int *kind)
{
    if (kind)
        *kind = (int)c->rec_kinds[i];
    return c->recs[i];
}

/* ---- one row's samples: the distribution chart ----------------------------
 *
 * The chart shows what the comparison compared, so the sides resolve as
 * they do above (note 1) and the samples pool as build_rows pools them
 * (note 2), through the same functions; it skips the statistics (no
 * bootstrap, no history), which a picture of the samples does not need.
 */

static bool same_row(const struct result *r, const char *key,
                     const char *measure)
{
    return !strcmp(r->key ? r->key : "", key) &&
           !strcmp(r->measure ? r->measure : "", measure);
}

/* Appends one side's results of key x measure to *e, in run order. */
static size_t side_entries(const struct cmp_side *s, int side, const char *key,
                           const char *measure, struct entry **e, size_t *ne)
{
    size_t found = 0;

    for (size_t r = 0; r < s->n; r++) {
        for (size_t k = 0; k < s->runs[r].nresults; k++) {
            const struct result *res = &s->runs[r].results[k];

            if (!same_row(res, key, measure))
                continue;
            *e = xreallocarray(*e, *ne + 1, sizeof **e);
            (*e)[(*ne)++] = (struct entry){res, side, r};
            found++;
        }
    }
    return found;
}

static bool side_has(const struct cmp_side *s, const char *key,
                     const char *measure)
{
    for (size_t r = 0; r < s->n; r++)
        for (size_t k = 0; k < s->runs[r].nresults; k++)
            if (same_row(&s->runs[r].results[k], key, measure))
                return true;
    return false;
}

/* Without a measure: the one measure of key that both sides have. */
static enum err only_measure(const struct srv_compare *c, const char *key,
                             const char **measure, struct errbuf *eb)
{
    const char *found = NULL;

    for (size_t r = 0; r < c->head.n; r++) {
        for (size_t k = 0; k < c->head.runs[r].nresults; k++) {
            const struct result *res = &c->head.runs[r].results[k];
            const char *m = res->measure ? res->measure : "";

            if (strcmp(res->key ? res->key : "", key) ||
                (found && !strcmp(found, m)) || !side_has(&c->base, key, m))
                continue;
            if (found) {
                err_set(eb, "query parameter \"measure\" is required: %.200s "
                            "has several measures (%.100s, %.100s)",
                        key, found, m);
                return ERR_INVALID;
            }
            found = m;
        }
    }
    *measure = found;
    if (!found)
        err_set(eb, "no row %.200s: base and head do not both have it", key);
    return found ? ERR_OK : ERR_NOT_FOUND;
}

/* A side's samples as the comparison pools them: none for a run compared
 * by its summary. */
static void pooled(const struct entry *e, size_t n, double **out, size_t *nout)
{
    struct an_side side;

    pool(e, n, out, &side);
    *nout = *out ? side.nsamples : 0;
}

static char *ids_of(const struct cmp_side *s)
{
    struct buf b;
    char *out;

    buf_init(&b, 0);
    for (size_t i = 0; i < s->n; i++)
        (void)buf_printf(&b, "%s%lld", i ? "," : "", (long long)s->refs[i].id);
    out = xstrdup(buf_str(&b));
    buf_cleanup(&b);
    return out;
}

static enum err row_samples(const struct srv_compare *c, const char *key,
                            const char *measure, struct srv_row_samples *out,
                            struct errbuf *eb)
{
    struct entry *e = NULL;
    size_t ne = 0, nb, nh;
    enum err err;

    if (!measure) {
        err = only_measure(c, key, &measure, eb);
        if (err)
            return err;
    }
    nb = side_entries(&c->base, 0, key, measure, &e, &ne);
    nh = side_entries(&c->head, 1, key, measure, &e, &ne);
    if (nb == 0 || nh == 0) {
        free(e);
        err_set(eb, "no row %.200s (%.100s): base and head do not both "
                    "have it", key, measure);
        return ERR_NOT_FOUND;
    }
    pooled(e, nb, &out->base, &out->nbase);
    pooled(e + nb, nh, &out->head, &out->nhead);
    out->measure = xstrdup(measure);
    out->unit = e[nb].res->unit ? xstrdup(e[nb].res->unit) : NULL;
    out->base_runs = ids_of(&c->base);
    out->head_runs = ids_of(&c->head);
    free(e);
    return ERR_OK;
}

enum err srv_compare_samples(struct store *st,
                             const struct srv_compare_query *q, const char *key,
                             const char *measure, struct srv_row_samples *out,
                             struct errbuf *eb)
{
    struct srv_compare *c = xcalloc(1, sizeof *c);
    struct store_project proj;
    enum err e;

    memset(out, 0, sizeof *out);
    memset(&proj, 0, sizeof proj);
    e = store_project_get(st, q->project, &proj);
    if (e == ERR_NOT_FOUND)
        err_set(eb, "no such project");
    if (!e)
        e = resolve_sides(st, proj.id, q, c, eb);
    if (!e)
        e = row_samples(c, key, measure, out, eb);
    if (e)
        srv_row_samples_cleanup(out);
    store_project_cleanup(&proj);
    srv_compare_free(c);
    return e;
}

void srv_row_samples_cleanup(struct srv_row_samples *s)
{
    free(s->base);
    free(s->head);
    free(s->measure);
    free(s->unit);
    free(s->base_runs);
    free(s->head_runs);
    memset(s, 0, sizeof *s);
}
