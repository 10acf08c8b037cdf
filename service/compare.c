/*
 * Comparisons: what GET /api/v1/projects/{project}/compare answers, the
 * pages and the pull-request comment show, `benchvault compare --db` prints
 * and the agent gates on (server/route_compare.c is its HTTP side).
 *
 * Design notes (docs/statistics.md says the same for users):
 * 1. References.  A side is run ids ("12" or "12,13": pooled, each run
 *    counting once), a branch ("branch:main") or a commit
 *    ("commit:3f2a9c1", a prefix of at least 4).  Explicit ids resolve
 *    first; a branch or commit on the other side is then looked up on the
 *    same testbed as the first resolved run, so machines are not
 *    compared.  A branch as the base is its recent history, the run is
 *    the unit: the last `history` runs of the branch on that testbed up to
 *    its tip (expand_branch), the head's runs left out.  When the head run
 *    is a pull request that carries its base commit (metadata
 *    "base_commit", see store_stats.c), the history ends at the branch's
 *    run at that commit, or the latest one before the base commit's time,
 *    not at the moving tip.  Without base, the head's pull-request base
 *    branch (else main) is used; when the head is itself on that branch,
 *    the base is the history before the head there, never the head.  The
 *    answer says which runs formed the base and how.
 * 2. Rows.  Every benchmark key x measure that both sides have is a row;
 *    rows only one side has are listed, not compared.  Each run gives its
 *    central value (the median of its samples, else its value), and each
 *    side's samples are pooled with every run counting once (pool: equal
 *    numbers of quantiles per run).  A series with one value per run on
 *    every run is not compared (single); a measure the tool derived from
 *    another of the same benchmark is compared beside its source and not
 *    counted (fold_derived).
 * 3. Statistics and verdicts.  A history that straddles a step is cut at
 *    its last change point (trim_history).  With min_history runs of
 *    history a row is compared run against run (an_compare_runs: the
 *    history's spread is the noise); with less, by its pooled samples and
 *    the run-to-run allowance.  Benjamini-Hochberg over every row's
 *    p-value; each row's noise threshold is the query's, else the first
 *    matching per-pattern rule of the project's settings, else the
 *    project's default, else 5%; an_decide gives the verdict and its
 *    reason.  The history is the base's own runs for a branch baseline,
 *    else the last `history` runs of the base branch on the base testbed
 *    up to the base run in commit order, the head's runs left out.
 * 4. Budgets are checked on the head runs (service/budgets.c).
 * 5. Recommendations are short sentences with their evidence, at most
 *    MAX_RECS: regressions, broken budgets, super-linear scaling of a
 *    family in the head's first run, what its resource samples say, noisy
 *    series, then notes on the comparison itself.
 * 6. Output: the JSON answer of DESIGN.md (rows carry more than the
 *    minimum: the test used, q-value, per-side statistics, run-to-run
 *    noise, minimum detectable effect), or text (a ministat-like table)
 *    or Markdown: the pull-request comment, the one the agent posts too
 *    (names escaped for Markdown), both written by render/compare_text.c
 *    from the comparison's data (text_view).  Its links need the server's
 *    URL: the query's "link" (an http(s) URL, what the agent was told),
 *    else the Host the client used; rows link to their series by benchmark
 *    id, and the chart and the full comparison name the runs by id, so an
 *    old comment keeps showing what it said.
 */
#include "service/service_int.h"

#include "render/render.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/analysis.h"

#define MAX_SIDE_RUNS 50
#define MAX_BASE_RUNS 1000 /* the history query's own limit */
#define HISTORY_RUNS 20
#define MAX_RECS 20
#define SCALING_MIN 3 /* family members for a scaling fit */

struct cmp_side {
    char *ref;                  /* owns: the reference as used */
    char *how;                  /* owns: how it was resolved, or NULL */
    struct store_run_ref *refs; /* owns, n */
    struct run *runs;           /* owns, n: results with samples */
    size_t n;
    bool from_branch; /* a branch's recent runs: the base is the history */
};

struct cmp_row {
    const struct result *b, *h; /* borrowed from the runs: names, units */
    int64_t bench_id;           /* for links (note 6); 0 when unknown */
    double head_center;         /* in the history's terms (note 3) */
    double *bc, *hc, *hist;     /* owns: central values of the base runs,
                                   the head runs and the history runs */
    size_t nbc, nhc, nhist;
    size_t cut;            /* history runs before its last level */
    double *bs, *hs;       /* owns: samples pooled per side (note 2) */
    struct an_side sb, sh; /* each side for a comparison of samples */
    struct an_compare c;
    double q, threshold;
    struct an_noise noise;
    struct an_decision d;
};

struct svc_compare {
    char *project;
    struct cmp_side base, head;
    struct an_options opt;
    struct an_rules rules; /* threshold: the default, rows have their own */
    int history;
    double prior_sd, prior_df; /* the noise the rows share (0: none) */
    struct cmp_row *rows;
    size_t nrows;
    struct cmp_row *single; /* one value per run: not compared (note 2) */
    size_t nsingle;
    struct cmp_row *folded; /* derived rows beside their source (note 2) */
    size_t nfolded;
    char **only_base, **only_head; /* "key (measure)" */
    size_t nonly_base, nonly_head;
    struct store_budget *budget_rules;
    char **budget_sources;
    struct svc_budget_result *budgets;
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

static bool in_side(const struct cmp_side *s, int64_t id)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->refs[i].id == id)
            return true;
    return false;
}

/*
 * A branch as a baseline (note 1): the anchor run picked in out->refs[0]
 * and the runs before it on its branch and testbed in commit order, the
 * head's runs left out, history runs in all.  The anchor itself is
 * dropped when it is one of the head's runs.  ERR_NOT_FOUND when nothing
 * is left.
 */
static enum err expand_branch(struct store *st, int64_t pid,
                              const struct cmp_side *head, int history,
                              struct cmp_side *out, struct errbuf *eb)
{
    struct store_run_pick q;
    size_t want = history > 0 ? (size_t)history : 1;
    enum err e = ERR_OK;
    char *branch, *testbed;

    if (out->n != 1)
        return ERR_OK;
    /* Copies: the anchor's strings go when it is dropped below (a head
     * that is its branch's newest run: fuzz_http found the borrow). */
    branch = out->refs[0].branch ? xstrdup(out->refs[0].branch) : NULL;
    testbed = out->refs[0].testbed ? xstrdup(out->refs[0].testbed) : NULL;
    q = (struct store_run_pick){branch, testbed, NULL, out->refs[0].time,
                                out->refs[0].id};
    if (in_side(head, out->refs[0].id)) {
        store_run_ref_cleanup(&out->refs[0]);
        out->n = 0;
    }
    while (out->n < want && out->n < MAX_BASE_RUNS) {
        const struct store_run_ref *last;

        e = pick(st, pid, &q, out, eb);
        if (e)
            break;
        last = &out->refs[out->n - 1];
        q.before = last->time;
        q.before_id = last->id;
        if (in_side(head, last->id)) {
            store_run_ref_cleanup(&out->refs[out->n - 1]);
            out->n--;
        }
    }
    if (e == ERR_NOT_FOUND && out->n > 0)
        e = ERR_OK;
    if (e == ERR_NOT_FOUND)
        err_set(eb, "branch %s has no run on testbed %s besides the head's",
                q.branch ? q.branch : "", q.testbed ? q.testbed : "");
    if (!e)
        out->from_branch = true;
    free(branch);
    free(testbed);
    return e;
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

/* How a branch baseline was formed: "the last 6 runs of main on testbed
 * ci (runs 12-17), before the head". */
static char *describe_history(const struct cmp_side *s, const char *anchor)
{
    int64_t lo = s->refs[0].id, hi = lo;

    for (size_t i = 1; i < s->n; i++) {
        lo = s->refs[i].id < lo ? s->refs[i].id : lo;
        hi = s->refs[i].id > hi ? s->refs[i].id : hi;
    }
    if (s->n == 1)
        return xasprintf("the one run of %s on testbed %s (run %lld), %s",
                         s->refs[0].branch, s->refs[0].testbed, (long long)lo,
                         anchor);
    return xasprintf("the last %zu runs of %s on testbed %s (ids %lld to "
                     "%lld) as one baseline, each run counting once, %s",
                     s->n, s->refs[0].branch, s->refs[0].testbed, (long long)lo,
                     (long long)hi, anchor);
}

/*
 * No base, and the head is on its own base branch (note 1): the run before
 * the head's first run there, on its testbed, in commit order.  Then the
 * runs are loaded.
 */
static enum err resolve_previous(struct store *st, int64_t pid,
                                 struct svc_compare *c, struct errbuf *eb)
{
    const struct store_run_ref *h = &c->head.refs[0];
    struct store_run_pick q = {h->branch, h->testbed, NULL, h->time, h->id};
    enum err e;

    /* before the earliest head run, in commit order (ties by id) */
    for (size_t i = 1; i < c->head.n; i++) {
        const struct store_run_ref *r = &c->head.refs[i];

        if (r->time < q.before ||
            (r->time == q.before && r->id < q.before_id)) {
            q.before = r->time;
            q.before_id = r->id;
        }
    }
    c->base.ref = xasprintf("branch:%s", h->branch);
    e = pick(st, pid, &q, &c->base, eb);
    if (e == ERR_NOT_FOUND) {
        err_set(eb,
                "run %lld is the first of branch %s on testbed %s: "
                "there is nothing before it to compare with",
                (long long)h->id, h->branch, h->testbed);
        return e;
    }
    if (e)
        return e;
    e = expand_branch(st, pid, &c->head, c->history, &c->base, eb);
    if (e)
        return e;
    c->base.how = describe_history(&c->base, "before the head");
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
                              const struct svc_compare_query *q,
                              struct svc_compare *c, struct errbuf *eb)
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
            e = resolve_side(st, pid, "head", q->head, c->base.refs[0].testbed,
                             NULL, &c->head, eb);
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
        if (!e && !strncmp(base, "branch:", 7)) {
            char *anchor = c->base.how ? xasprintf("up to %s", c->base.how)
                                       : xstrdup("up to its tip");

            free(c->base.how);
            c->base.how = NULL;
            e = expand_branch(st, pid, &c->head, c->history, &c->base, eb);
            if (!e)
                c->base.how = describe_history(&c->base, anchor);
            free(anchor);
        }
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

static double run_center(const struct result *r);

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

/*
 * Pools one side's entries into an an_side; *buf holds samples it made.
 * Each run counts once (note 2): when runs have different numbers of
 * samples, each gives the same number, m (the fewest any has), as m evenly
 * spaced quantiles of its own samples, so a run of 935 rounds cannot
 * outweigh one of 255.
 */
static void pool(const struct entry *e, size_t n, double **buf,
                 struct an_side *side)
{
    size_t total = 0, m = SIZE_MAX;
    bool all = true, same = true;

    *buf = NULL;
    memset(side, 0, sizeof *side);
    side->value = side->mean = side->stddev = NAN;
    side->n = -1;
    for (size_t i = 0; i < n; i++) {
        all = all && e[i].res->nsamples > 0;
        total += e[i].res->nsamples;
        same = same && e[i].res->nsamples == e[0].res->nsamples;
        if (e[i].res->nsamples < m)
            m = e[i].res->nsamples;
    }
    if (all && (n == 1 || same)) {
        size_t k = 0;

        *buf = xmalloc(total * sizeof **buf);
        for (size_t i = 0; i < n; i++) {
            memcpy(*buf + k, e[i].res->samples,
                   e[i].res->nsamples * sizeof **buf);
            k += e[i].res->nsamples;
        }
        side->samples = *buf;
        side->nsamples = total;
    } else if (all && m >= 2) {
        *buf = xmalloc(n * m * sizeof **buf);
        for (size_t i = 0; i < n; i++)
            an_quantiles(e[i].res->samples, e[i].res->nsamples, m,
                         *buf + i * m);
        side->samples = *buf;
        side->nsamples = n * m;
    } else if (n == 1) {
        side->value = e[0].res->value;
        side->mean = e[0].res->mean;
        side->stddev = e[0].res->stddev;
        side->n = e[0].res->n;
    } else {
        *buf = xmalloc(n * sizeof **buf);
        for (size_t i = 0; i < n; i++)
            (*buf)[i] = run_center(e[i].res);
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

/* One value per run on every run of both sides: no samples and no
 * summary (note 2). */
static bool single_valued(const struct entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct result *r = e[i].res;

        if (r->nsamples >= 2 || (r->n >= 2 && isfinite(r->stddev)))
            return false;
    }
    return true;
}

static double *centers(const struct entry *e, size_t n)
{
    double *v = xmalloc((n ? n : 1) * sizeof *v);

    for (size_t i = 0; i < n; i++)
        v[i] = run_center(e[i].res);
    return v;
}

static void row_cleanup(struct cmp_row *r)
{
    an_compare_cleanup(&r->c);
    free(r->bc);
    free(r->hc);
    free(r->hist);
    free(r->bs);
    free(r->hs);
}

/* Whether rows[0..n) holds a measured (not derived) row of key. */
static bool has_source(const struct cmp_row *rows, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!rows[i].b->derived &&
            !strcmp(rows[i].b->key ? rows[i].b->key : "", key ? key : ""))
            return true;
    return false;
}

/*
 * A measure the tool derived from another of the same benchmark (pytest's
 * ops from its times, gbench's items/s) says what its source says: it is
 * compared, but beside its source, not as a second verdict in the counts
 * (note 2).  Without its source in the comparison it stays a row.
 */
static void fold_derived(struct svc_compare *c)
{
    size_t k = 0;

    for (size_t i = 0; i < c->nrows; i++) {
        struct cmp_row *r = &c->rows[i];

        if (r->b->derived && has_source(c->rows, c->nrows, r->b->key)) {
            c->folded =
                xreallocarray(c->folded, c->nfolded + 1, sizeof *c->folded);
            c->folded[c->nfolded++] = *r;
        } else {
            c->rows[k++] = *r;
        }
    }
    c->nrows = k;
}

/*
 * The rows (note 2): per series both sides have, each run's central value
 * and the samples pooled per side; the statistics come later (compute).
 */
static void build_rows(struct svc_compare *c)
{
    struct entry *e = NULL;
    size_t ne = 0, cap = 0, i = 0;
    const struct cmp_side *sides[2] = {&c->base, &c->head};

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
    if (ne)
        qsort(e, ne, sizeof *e, cmp_entry);
    c->rows = xcalloc(ne + 1, sizeof *c->rows);
    while (i < ne) {
        size_t j = i, nb = 0;
        struct cmp_row *row;
        bool one;

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
        one = single_valued(e + i, j - i);
        if (one) {
            c->single =
                xreallocarray(c->single, c->nsingle + 1, sizeof *c->single);
            row = &c->single[c->nsingle++];
        } else {
            row = &c->rows[c->nrows++];
        }
        memset(row, 0, sizeof *row);
        row->b = e[i].res;
        row->h = e[i + nb].res;
        row->q = NAN;
        row->bc = centers(e + i, nb);
        row->nbc = nb;
        row->hc = centers(e + i + nb, j - i - nb);
        row->nhc = j - i - nb;
        row->head_center = an_median(row->hc, row->nhc);
        if (!one) {
            pool(e + i, nb, &row->bs, &row->sb);
            pool(e + i + nb, j - i - nb, &row->hs, &row->sh);
        }
        i = j;
    }
    free(e);
    fold_derived(c);
}

/* ---- thresholds, history, verdicts (note 3) ---------------------------- */

static double row_threshold(const struct svc_compare_query *q,
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

/* Gives row its history's central values (a copy of v[0..m)) and noise. */
static void row_history(struct cmp_row *row, const double *v, size_t m)
{
    row->hist = xmalloc((m ? m : 1) * sizeof *row->hist);
    if (m)
        memcpy(row->hist, v, m * sizeof *v);
    row->nhist = m;
    an_noise_estimate(v, m, &row->noise);
}

/*
 * A history that straddles a step is no baseline: the level before the
 * step is not what the base branch is now (note 3).  v[0..n) in commit
 * order (oldest first); returns the index where its last level starts (0
 * when the change-point detector finds no step).
 */
static size_t last_level(const double *v, size_t n)
{
    struct an_cpd_params p;
    struct an_cp *cp = NULL;
    size_t ncp = 0, from = 0;

    an_cpd_params_default(&p, AN_CPD_DEFAULT);
    if (n < 2 * p.min_size)
        return 0;
    if (an_changepoints(v, n, &p, &cp, &ncp, NULL) == ERR_OK && ncp)
        from = cp[ncp - 1].index;
    free(cp);
    return from;
}

/* Keeps the row's history since its last level; a branch baseline (whose
 * runs are newest first) is cut with it.  Sets row->cut to the runs left
 * out. */
static void trim_history(struct cmp_row *row, bool from_branch)
{
    double *chrono = xmalloc((row->nhist ? row->nhist : 1) * sizeof *chrono);
    size_t n = row->nhist, from;

    for (size_t i = 0; i < n; i++)
        chrono[i] = from_branch ? row->hist[n - 1 - i] : row->hist[i];
    from = last_level(chrono, n);
    if (from > 0) {
        row->cut = from;
        row->nhist = n - from;
        memcpy(row->hist, chrono + from, row->nhist * sizeof *row->hist);
        if (from_branch) { /* the base: its newest n - from runs */
            memcpy(row->bc, row->hist, row->nhist * sizeof *row->bc);
            row->nbc = row->nhist;
        }
        an_noise_estimate(row->hist, row->nhist, &row->noise);
    }
    free(chrono);
}

/*
 * Each row's history (note 3): a branch baseline is its own history;
 * otherwise the last `history` runs of the base branch on the base
 * testbed up to the newest base run, the head's runs left out.
 */
/* The histories of rows[0..n) (in key, measure order) from the points
 * h[0..nh) (in the same order): one merge walk. */
static void rows_history(struct cmp_row *rows, size_t n,
                         const struct store_history_point *h, size_t nh)
{
    double *v = xmalloc((nh ? nh : 1) * sizeof *v);
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        const struct result *r = rows[i].b;
        size_t m = 0;

        while (k < nh &&
               cmp_series(h[k].key, h[k].measure, r->key, r->measure) < 0)
            k++;
        while (k < nh &&
               !cmp_series(h[k].key, h[k].measure, r->key, r->measure)) {
            v[m++] = center_of(h[k].samples, h[k].nsamples, h[k].value);
            k++;
        }
        row_history(&rows[i], v, m);
        trim_history(&rows[i], false);
    }
    free(v);
}

static enum err history(struct store *st, int64_t pid, struct svc_compare *c,
                        struct errbuf *eb)
{
    const struct store_run_ref *upto = &c->base.refs[0];
    struct store_history_point *h = NULL;
    int64_t *excl;
    size_t nh = 0;
    enum err e;

    if (c->base.from_branch) {
        for (size_t i = 0; i < c->nrows; i++) {
            row_history(&c->rows[i], c->rows[i].bc, c->rows[i].nbc);
            trim_history(&c->rows[i], true);
        }
        for (size_t i = 0; i < c->nfolded; i++) {
            row_history(&c->folded[i], c->folded[i].bc, c->folded[i].nbc);
            trim_history(&c->folded[i], true);
        }
        for (size_t i = 0; i < c->nsingle; i++)
            row_history(&c->single[i], c->single[i].bc, c->single[i].nbc);
        return ERR_OK;
    }
    for (size_t i = 1; i < c->base.n; i++) {
        const struct store_run_ref *r = &c->base.refs[i];

        if (r->time > upto->time || (r->time == upto->time && r->id > upto->id))
            upto = r;
    }
    excl = xcalloc(c->head.n + 1, sizeof *excl);
    for (size_t i = 0; i < c->head.n; i++)
        excl[i] = c->head.refs[i].id;
    e = store_history_values(st, pid, upto->branch_id, upto->testbed_id, upto,
                             excl, c->head.n, c->history, &h, &nh, eb);
    free(excl);
    if (e)
        return e;
    rows_history(c->rows, c->nrows, h, nh);
    rows_history(c->folded, c->nfolded, h, nh);
    for (size_t i = 0; i < c->nsingle; i++)
        row_history(&c->single[i], NULL, 0);
    store_history_free(h, nh);
    return ERR_OK;
}

/*
 * Each row's statistics (note 3): run against run when the history has
 * min_history runs to measure the run-to-run noise by, else the pooled
 * samples (each run counting once).  A run-level row's noise is moderated
 * towards the noise the comparison's measured rows share (prior; none when
 * prior_df is 0).
 */
static enum err compute_rows(struct svc_compare *c, struct cmp_row *rows,
                             size_t n, double prior_sd, double prior_df,
                             struct errbuf *eb)
{
    for (size_t i = 0; i < n; i++) {
        struct cmp_row *row = &rows[i];
        struct an_runs in = {row->bc,
                             row->nbc,
                             row->hc,
                             row->nhc,
                             row->hist,
                             row->nhist,
                             c->rules.noise_floor,
                             prior_sd,
                             prior_df};
        enum err e;

        an_compare_cleanup(&row->c);
        if (row->nhist >= c->rules.min_history && an_compare_runs(&in, &row->c))
            continue;
        e = an_compare(&row->sb, &row->sh, &c->opt, false, &row->c, eb);
        if (e)
            return e;
    }
    return ERR_OK;
}

/*
 * The noise the measured run-level rows share (compare_runs.c note 8),
 * from their own estimates; derived rows are left out, as they repeat
 * their source's noise.
 */
static void noise_prior(struct svc_compare *c)
{
    double *sd = xcalloc(c->nrows + 1, sizeof *sd),
           *df = xcalloc(c->nrows + 1, sizeof *df);
    size_t m = 0;

    for (size_t i = 0; i < c->nrows; i++) {
        const struct cmp_row *row = &c->rows[i];

        if (row->c.kind != AN_KIND_RUNS || row->b->derived)
            continue;
        sd[m] = row->c.own_noise;
        df[m++] = row->c.own_df;
    }
    if (!an_noise_prior(sd, df, m, &c->prior_sd, &c->prior_df))
        c->prior_sd = c->prior_df = 0;
    free(sd);
    free(df);
}

static enum err compute(struct svc_compare *c, struct errbuf *eb)
{
    enum err e = compute_rows(c, c->rows, c->nrows, 0, 0, eb);

    if (e)
        return e;
    noise_prior(c);
    if (c->prior_df > 0)
        e = compute_rows(c, c->rows, c->nrows, c->prior_sd, c->prior_df, eb);
    if (!e)
        e = compute_rows(c, c->folded, c->nfolded, c->prior_sd, c->prior_df,
                         eb);
    if (e)
        return e;
    for (size_t i = 0; i < c->nsingle; i++) {
        struct cmp_row *row = &c->single[i];
        double b = an_median(row->bc, row->nbc);

        memset(&row->c, 0, sizeof row->c);
        row->c.kind = AN_KIND_SINGLE;
        row->c.base = b;
        row->c.head = row->head_center;
        row->c.change = b != 0 ? row->head_center / b - 1 : NAN;
        row->c.change_ci[0] = row->c.change_ci[1] = NAN;
        row->c.p_value = row->c.t = row->c.df = NAN;
        row->c.noise = row->c.head_spread = NAN;
        row->c.welch.t = row->c.welch.df = row->c.welch.p = NAN;
        row->c.mwu.u = row->c.mwu.p = NAN;
        row->c.nbase = row->nbc;
        row->c.nhead = row->nhc;
    }
    return ERR_OK;
}

static void decide(const struct svc_compare_query *q,
                   const struct ingest_compare_settings *cs,
                   struct svc_compare *c)
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
    for (size_t i = 0; i < c->nfolded; i++) {
        struct cmp_row *row = &c->folded[i];
        struct an_rules r = c->rules;

        /* a derived row is tested with its source (note 2): its q is the
         * source's, and it is not counted */
        row->q = NAN;
        for (size_t k = 0; k < c->nrows; k++)
            if (!strcmp(c->rows[k].b->key, row->b->key) &&
                !c->rows[k].b->derived)
                row->q = c->rows[k].q;
        row->threshold = r.threshold = row_threshold(q, cs, row->b);
        an_decide(&row->c, row->q, row->b->direction, &row->noise,
                  row->head_center, &r, &row->d);
    }
    for (size_t i = 0; i < c->nsingle; i++) {
        struct cmp_row *row = &c->single[i];

        row->threshold = row_threshold(q, cs, row->b);
        row->d.verdict = AN_INCONCLUSIVE;
        snprintf(row->d.reason, sizeof row->d.reason,
                 "one value per run: not compared, judged by budgets and "
                 "its trend");
        row->d.mde = NAN;
        row->d.vs_history = NAN;
        row->d.bar = NAN;
        row->d.more_samples = -1;
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

static void rec(struct svc_compare *c, const struct an_advice *a)
{
    if (c->nrecs >= MAX_RECS)
        return;
    c->rec_kinds =
        xreallocarray(c->rec_kinds, c->nrecs + 1, sizeof *c->rec_kinds);
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
           !strcmp(x->r->measure, y->r->measure) && !strcmp(x->param, y->param);
}

/* One family's fit and advice: m[0..k) sorted by value. */
static void scaling_advice(struct svc_compare *c, const struct member *m,
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
static void recommend_scaling(struct svc_compare *c)
{
    const struct run *run = &c->head.runs[0];
    struct member *m = xcalloc(run->nresults + 1, sizeof *m);
    double *n = xcalloc(run->nresults + 1, sizeof *n);
    double *t = xcalloc(run->nresults + 1, sizeof *t);
    size_t nm = 0;

    for (size_t i = 0; i < run->nresults; i++) {
        const struct result *r = &run->results[i];

        if (r->benchmark && isfinite(r->value) &&
            svc_one_numeric_param(r->params, &m[nm].n, m[nm].param,
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
static void recommend_resources(struct svc_compare *c)
{
    const struct run *run = &c->head.runs[0];
    struct an_advice a[8];
    size_t n = an_recommend_resources(run->resources, run->nresources, a, 8);

    for (size_t i = 0; i < n; i++)
        rec(c, &a[i]);
}

static void recommend_regressions(struct svc_compare *c)
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

static void recommend_budgets(struct svc_compare *c)
{
    for (size_t i = 0; i < c->nbudgets; i++) {
        const struct svc_budget_result *r = &c->budgets[i];
        struct an_budget_check chk = {false, r->checked, r->violations,
                                      r->worst};
        struct an_advice a;
        char *series, of[64];

        if (strcmp(r->status, "fail") != 0)
            continue;

        if (r->worst_run > 0)
            snprintf(of, sizeof of, "run %lld", (long long)r->worst_run);
        else
            snprintf(of, sizeof of, "the median of %zu runs", r->nruns);
        if (r->worst_benchmark)
            series = xasprintf("%s %s (%s; the %s rule for %s)",
                               r->worst_benchmark, r->rule->measure, of,
                               r->source, r->rule->benchmark_glob);
        else
            series = xasprintf("%s of %s (the %s rule)", r->rule->measure, of,
                               r->source);
        if (an_advise_budget(series, r->rule->is_max, r->rule->threshold,
                             r->rule->unit, &chk, &a))
            rec(c, &a);
        free(series);
    }
}

static void recommend(struct svc_compare *c)
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
                                c->base.refs[0].branch, c->rules.allowance, &a);
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
    static const char *const names[] = {"samples", "summary", "no samples",
                                        "runs"};

    return (unsigned)k < 4 ? names[k] : "?";
}

static const char *test_str(const struct an_compare *c)
{
    static const char *const names[] = {"mann-whitney", "welch", "none",
                                        "t-runs"};

    return (unsigned)c->kind < 4 ? names[c->kind] : "none";
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
    jw_kint(w, "base_runs", (int64_t)r->nbc);
    jw_kint(w, "head_runs", (int64_t)r->nhc);
    if (c->kind == AN_KIND_RUNS) {
        jw_knum(w, "t", c->t);
        jw_knum(w, "df", c->df);
        jw_knum(w, "noise", c->noise);
        jw_knum(w, "noise_own", c->own_noise);
        jw_knum(w, "head_spread", c->head_spread);
        jw_knum(w, "hist_lo", c->hist_lo);
        jw_knum(w, "hist_hi", c->hist_hi);
    }
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
    jw_kint(w, "before_last_step", (int64_t)r->cut);
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

/* A row with one value per run (note 2): what it says, not a verdict. */
static void single_json(struct jw *w, const struct cmp_row *r)
{
    jw_obj_begin(w);
    jw_kstr(w, "benchmark", r->b->key);
    jw_kstr(w, "measure", r->b->measure);
    jw_kstr(w, "unit", r->b->unit);
    jw_knum(w, "base", r->c.base);
    jw_knum(w, "head", r->c.head);
    jw_knum(w, "change", r->c.change);
    jw_kint(w, "base_runs", (int64_t)r->nbc);
    jw_kint(w, "head_runs", (int64_t)r->nhc);
    jw_kstr(w, "reason", r->d.reason);
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

static void write_json(const struct svc_compare *c, struct buf *out)
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
    jw_key(&w, "shared_noise");
    if (c->prior_df > 0) {
        jw_obj_begin(&w);
        jw_knum(&w, "noise", c->prior_sd);
        jw_knum(&w, "df", c->prior_df);
        jw_obj_end(&w);
    } else {
        jw_null(&w);
    }
    jw_key(&w, "summary");
    jw_obj_begin(&w);
    jw_kint(&w, "regressed", (int64_t)c->counts[AN_REGRESSED]);
    jw_kint(&w, "improved", (int64_t)c->counts[AN_IMPROVED]);
    jw_kint(&w, "unchanged", (int64_t)c->counts[AN_UNCHANGED]);
    jw_kint(&w, "inconclusive", (int64_t)c->counts[AN_INCONCLUSIVE]);
    jw_kint(&w, "not_compared", (int64_t)c->nsingle);
    jw_kint(&w, "derived", (int64_t)c->nfolded);
    jw_kint(&w, "rows", (int64_t)c->nrows);
    jw_kint(&w, "budgets_failed", (int64_t)c->budgets_failed);
    jw_obj_end(&w);
    jw_key(&w, "rows");
    jw_arr_begin(&w);
    for (size_t i = 0; i < c->nrows; i++)
        row_json(&w, &c->rows[i]);
    jw_arr_end(&w);
    jw_key(&w, "derived");
    jw_arr_begin(&w);
    for (size_t i = 0; i < c->nfolded; i++)
        row_json(&w, &c->folded[i]);
    jw_arr_end(&w);
    jw_key(&w, "not_compared");
    jw_arr_begin(&w);
    for (size_t i = 0; i < c->nsingle; i++)
        single_json(&w, &c->single[i]);
    jw_arr_end(&w);
    str_list(&w, "only_in_base", c->only_base, c->nonly_base);
    str_list(&w, "only_in_head", c->only_head, c->nonly_head);
    jw_key(&w, "budgets");
    jw_arr_begin(&w);
    for (size_t i = 0; i < c->nbudgets; i++)
        svc_budget_result_json(&w, &c->budgets[i]);
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

/* What render/compare_text.c writes them from (note 6). */

_Static_assert(AN_UNCHANGED == (int)PAGE_UNCHANGED &&
                   AN_REGRESSED == (int)PAGE_REGRESSED &&
                   AN_IMPROVED == (int)PAGE_IMPROVED &&
                   AN_INCONCLUSIVE == (int)PAGE_INCONCLUSIVE,
               "one order of verdicts");

/* A page_cmp_text of a comparison and what it owns (it borrows c). */
struct text_view {
    struct page_cmp_text v;
    struct page_cmp_text_row *rows, *folded, *singles;
    struct page_cmp_run *runs[2];
    struct page_cmp_budget *budgets;
};

static struct page_cmp_text_row *text_rows(const struct cmp_row *r, size_t n)
{
    struct page_cmp_text_row *v = xcalloc(n ? n : 1, sizeof *v);

    for (size_t i = 0; i < n; i++) {
        v[i].key = r[i].b->key;
        v[i].measure = r[i].b->measure;
        v[i].unit = r[i].b->unit;
        v[i].reason = r[i].d.reason;
        v[i].bench_id = r[i].bench_id;
        v[i].base = r[i].c.base;
        v[i].head = r[i].c.head;
        v[i].change = r[i].c.change;
        v[i].ci[0] = r[i].c.change_ci[0];
        v[i].ci[1] = r[i].c.change_ci[1];
        v[i].q = r[i].q;
        v[i].verdict = (enum page_verdict)r[i].d.verdict;
    }
    return v;
}

static struct page_cmp_run *text_side(const struct cmp_side *s,
                                      struct page_cmp_text_side *v)
{
    struct page_cmp_run *runs = xcalloc(s->n ? s->n : 1, sizeof *runs);

    for (size_t i = 0; i < s->n; i++) {
        runs[i].id = s->refs[i].id;
        runs[i].branch = s->refs[i].branch;
        runs[i].commit_sha = s->refs[i].commit_sha;
        runs[i].testbed = s->refs[i].testbed;
    }
    v->ref = s->ref;
    v->how = s->how;
    v->runs = runs;
    v->n = s->n;
    return runs;
}

static void text_view(const struct svc_compare *c, struct text_view *t)
{
    struct page_cmp_text *v = &t->v;

    memset(t, 0, sizeof *t);
    v->project = c->project;
    v->link_base = c->link_base;
    t->runs[0] = text_side(&c->base, &v->side[0]);
    t->runs[1] = text_side(&c->head, &v->side[1]);
    v->rows = t->rows = text_rows(c->rows, c->nrows);
    v->nrows = c->nrows;
    v->folded = t->folded = text_rows(c->folded, c->nfolded);
    v->nfolded = c->nfolded;
    v->singles = t->singles = text_rows(c->single, c->nsingle);
    v->nsingles = c->nsingle;
    v->only[0] = c->only_base;
    v->nonly[0] = c->nonly_base;
    v->only[1] = c->only_head;
    v->nonly[1] = c->nonly_head;
    t->budgets = xcalloc(c->nbudgets ? c->nbudgets : 1, sizeof *t->budgets);
    for (size_t i = 0; i < c->nbudgets; i++) {
        t->budgets[i].status = c->budgets[i].status;
        t->budgets[i].message = c->budgets[i].message;
    }
    v->budgets = t->budgets;
    v->nbudgets = c->nbudgets;
    v->recs = c->recs;
    v->nrecs = c->nrecs;
    memcpy(v->counts, c->counts, sizeof v->counts);
    v->threshold = c->rules.threshold;
    v->alpha = c->rules.alpha;
    v->notes = buf_str(&c->notes);
}

static void text_view_cleanup(struct text_view *t)
{
    free(t->rows);
    free(t->folded);
    free(t->singles);
    free(t->runs[0]);
    free(t->runs[1]);
    free(t->budgets);
}

enum err svc_compare_write(const struct svc_compare *c, const char *format,
                           struct buf *out)
{
    struct text_view t;

    if (!format || !*format || !strcmp(format, "json")) {
        write_json(c, out);
        return ERR_OK;
    }
    if (strcmp(format, "text") && strcmp(format, "markdown"))
        return ERR_INVALID;
    text_view(c, &t);
    if (!strcmp(format, "text"))
        page_compare_text_write(&t.v, out);
    else
        page_compare_md_write(&t.v, out);
    text_view_cleanup(&t);
    return ERR_OK;
}

void svc_compare_counts(const struct svc_compare *c, size_t *regressed,
                        size_t *budgets_failed)
{
    *regressed = c->counts[AN_REGRESSED];
    *budgets_failed = c->budgets_failed;
}

/* ---- building
 * ------------------------------------------------------------------ */

void svc_compare_free(struct svc_compare *c)
{
    if (!c)
        return;
    free(c->project);
    free(c->link_base);
    for (size_t i = 0; i < c->nrows; i++)
        row_cleanup(&c->rows[i]);
    free(c->rows);
    for (size_t i = 0; i < c->nsingle; i++)
        row_cleanup(&c->single[i]);
    free(c->single);
    for (size_t i = 0; i < c->nfolded; i++)
        row_cleanup(&c->folded[i]);
    free(c->folded);
    for (size_t i = 0; i < c->nonly_base; i++)
        free(c->only_base[i]);
    free(c->only_base);
    for (size_t i = 0; i < c->nonly_head; i++)
        free(c->only_head[i]);
    free(c->only_head);
    svc_budget_results_free(c->budgets, c->nbudgets);
    svc_budget_rules_free(c->budget_rules, c->budget_sources, c->nbudgets);
    for (size_t i = 0; i < c->nrecs; i++)
        free(c->recs[i]);
    free(c->recs);
    free(c->rec_kinds);
    buf_cleanup(&c->notes);
    side_free(&c->base);
    side_free(&c->head);
    free(c);
}

static void note(struct svc_compare *c, char *s)
{
    (void)buf_printf(&c->notes, "%s%s", c->notes.len ? "\n" : "", s);
    free(s);
}

/* The project's comparison settings; unreadable ones are noted and
 * ignored (the defaults apply). */
static enum err settings_of(struct store *st, int64_t pid,
                            struct svc_compare *c,
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
bool svc_link_ok(const char *u)
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
static enum err bench_ids(struct store *st, int64_t pid, struct svc_compare *c,
                          struct errbuf *eb)
{
    struct store_benchmark *bm = NULL, want = {0};
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

enum err svc_compare_create(struct store *st, const struct svc_compare_query *q,
                            struct svc_compare **out, struct errbuf *eb)
{
    struct svc_compare *c = xcalloc(1, sizeof *c);
    struct ingest_compare_settings cs;
    struct store_project proj;
    enum err e;

    *out = NULL;
    memset(&cs, 0, sizeof cs);
    cs.threshold = cs.allowance = NAN;
    memset(&proj, 0, sizeof proj);
    buf_init(&c->notes, 0); /* lines we write, each bounded */
    c->project = xstrdup(q->project);
    if (q->link_base && !svc_link_ok(q->link_base)) {
        err_set(eb,
                "link: expected an http:// or https:// URL without "
                "query, spaces or parentheses, got \"%.200s\"",
                q->link_base);
        free(c->project);
        buf_cleanup(&c->notes);
        free(c);
        return ERR_INVALID;
    }
    if (q->link_base) {
        size_t n = strlen(q->link_base); /* > 8: svc_link_ok */

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
    if (!e) {
        build_rows(c);
        e = history(st, proj.id, c, eb);
    }
    if (!e)
        e = compute(c, eb);
    if (!e && c->link_base)
        e = bench_ids(st, proj.id, c, eb);
    if (e)
        goto out;
    decide(q, &cs, c);
    e = svc_budget_rules(st, proj.id, c->head.runs, c->head.n, &c->budget_rules,
                         &c->budget_sources, &c->nbudgets, &c->notes, eb);
    if (e)
        goto out;
    svc_budgets_eval(c->budget_rules, c->budget_sources, c->nbudgets,
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
        svc_compare_free(c);
        return e;
    }
    *out = c;
    return ERR_OK;
}

size_t svc_compare_nrows(const struct svc_compare *c)
{
    return c->nrows;
}

void svc_compare_row(const struct svc_compare *c, size_t i, const char **key,
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

void svc_compare_row_values(const struct svc_compare *c, size_t i, double *base,
                            double *head, const char **unit, double *q)
{
    const struct cmp_row *r = &c->rows[i];

    *base = r->c.base;
    *head = r->c.head;
    *unit = r->b->unit;
    *q = r->q;
}

const char *svc_compare_row_reason(const struct svc_compare *c, size_t i)
{
    return c->rows[i].d.reason;
}

size_t svc_compare_nsingle(const struct svc_compare *c)
{
    return c->nsingle;
}

void svc_compare_single(const struct svc_compare *c, size_t i, const char **key,
                        const char **measure, double *change)
{
    *key = c->single[i].b->key;
    *measure = c->single[i].b->measure;
    *change = c->single[i].c.change;
}

size_t svc_compare_nonly(const struct svc_compare *c, int head)
{
    return head ? c->nonly_head : c->nonly_base;
}

void svc_compare_summary(const struct svc_compare *c, size_t counts[4])
{
    memcpy(counts, c->counts, sizeof c->counts);
}

size_t svc_compare_side(const struct svc_compare *c, int head, const char **ref,
                        const char **how, int64_t *ids, size_t max)
{
    const struct cmp_side *s = head ? &c->head : &c->base;

    *ref = s->ref;
    *how = s->how;
    for (size_t i = 0; i < s->n && i < max; i++)
        ids[i] = s->refs[i].id;
    return s->n;
}

size_t svc_compare_nbudgets(const struct svc_compare *c)
{
    return c->nbudgets;
}

void svc_compare_budget(const struct svc_compare *c, size_t i,
                        const char **status, const char **message)
{
    *status = c->budgets[i].status;
    *message = c->budgets[i].message;
}

size_t svc_compare_nrecs(const struct svc_compare *c)
{
    return c->nrecs;
}

const char *svc_compare_rec(const struct svc_compare *c, size_t i, int *kind)
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
static enum err only_measure(const struct svc_compare *c, const char *key,
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
                err_set(eb,
                        "query parameter \"measure\" is required: %.200s "
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

static enum err row_samples(const struct svc_compare *c, const char *key,
                            const char *measure, struct svc_row_samples *out,
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
        err_set(eb,
                "no row %.200s (%.100s): base and head do not both "
                "have it",
                key, measure);
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

enum err svc_compare_samples(struct store *st,
                             const struct svc_compare_query *q, const char *key,
                             const char *measure, struct svc_row_samples *out,
                             struct errbuf *eb)
{
    struct svc_compare *c = xcalloc(1, sizeof *c);
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
        svc_row_samples_cleanup(out);
    store_project_cleanup(&proj);
    svc_compare_free(c);
    return e;
}

void svc_row_samples_cleanup(struct svc_row_samples *s)
{
    free(s->base);
    free(s->head);
    free(s->measure);
    free(s->unit);
    free(s->base_runs);
    free(s->head_runs);
    memset(s, 0, sizeof *s);
}
