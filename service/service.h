/*
 * service: the use cases over store/ and analysis/ that the server, the CLI,
 * the agent and the report all call, so that they cannot disagree: a
 * comparison with its baseline and verdicts, budgets checked on runs, a
 * benchmark family's scaling data.  No HTTP, no SQL text, no HTML.
 *
 * Ownership: query structs and their strings are borrowed for the call;
 * results are caller-owned and freed by their *_free / *_cleanup.
 */
#ifndef BV_SERVICE_H
#define BV_SERVICE_H

#include "core/core.h"
#include "render/page.h"
#include "render/render.h"
#include "store/store.h"

struct jw;

/* ---- statistics engine: comparisons (service/compare.c) ---------- */
/*
 * GET /api/v1/projects/{p}/compare builds its answer with these, and so
 * does `benchvault compare --db` (no server needed).  Methods, defaults
 * and verdict rules: docs/statistics.md.
 */
struct store;
struct svc_compare;

struct svc_compare_query {
    const char *project; /* slug */
    const char *base;    /* run id, "12,13", "branch:NAME", "commit:SHA";
                            NULL: branch:<head's base branch, else main>,
                            or the run before the head when the head is
                            on that branch */
    const char *head;    /* the same forms; required */
    double threshold;    /* NAN: the project's settings (default 5%) */
    unsigned bootstrap;  /* resamples; 0: the default 2,000 */
    uint64_t seed;
    int history;           /* base-branch runs for the noise; 0: 20 */
    const char *link_base; /* "http://host:port" for links and the chart
                              image in Markdown; NULL: none; else it must
                              pass svc_link_ok (ERR_INVALID) */
};

/*
 * Resolves the references, loads the runs and compares every benchmark x
 * measure they share, with budgets and recommendations.  *out (free with
 * svc_compare_free) on ERR_OK.  ERR_NOT_FOUND (project, run, branch or
 * commit) and ERR_INVALID (a malformed reference) with a message in eb;
 * ERR_DB.
 */
enum err svc_compare_create(struct store *st, const struct svc_compare_query *q,
                            struct svc_compare **out, struct errbuf *eb);
/* Appends the comparison as "json", "text" or "markdown" (NULL: json);
 * ERR_INVALID for another format name. */
enum err svc_compare_write(const struct svc_compare *c, const char *format,
                           struct buf *out);
/* What a gate needs: rows regressed, budgets broken. */
void svc_compare_counts(const struct svc_compare *c, size_t *regressed,
                        size_t *budgets_failed);
void svc_compare_free(struct svc_compare *c);
/* Row i (< svc_compare_nrows) for a chart: borrowed key and measure, the
 * relative change and its CI (NAN when none), the verdict (enum
 * an_verdict) and the row's noise threshold. */
size_t svc_compare_nrows(const struct svc_compare *c);
void svc_compare_row(const struct svc_compare *c, size_t i, const char **key,
                     const char **measure, double *change, double ci[2],
                     int *verdict, double *threshold);
/* Whether u can be a link_base: an http:// or https:// URL (any case)
 * without query, space, quote, parenthesis or user:password@ (it stands
 * inside Markdown links that are published). */
bool svc_link_ok(const char *u);
/* Row i's central values (base, head; canonical unit, borrowed) and its
 * Benjamini-Hochberg q-value (NAN: untested). */
void svc_compare_row_values(const struct svc_compare *c, size_t i, double *base,
                            double *head, const char **unit, double *q);
/* Rows by verdict (indexed by enum an_verdict). */
void svc_compare_summary(const struct svc_compare *c, size_t counts[4]);
/* Why row i got its verdict (borrowed). */
const char *svc_compare_row_reason(const struct svc_compare *c, size_t i);
/* Rows with one value per run, not compared: i < svc_compare_nsingle;
 * borrowed key and measure, the change of the medians (NAN: none). */
size_t svc_compare_nsingle(const struct svc_compare *c);
void svc_compare_single(const struct svc_compare *c, size_t i, const char **key,
                        const char **measure, double *change);
/* Series only the base (head 0) or only the head (1) has. */
size_t svc_compare_nonly(const struct svc_compare *c, int head);
/* A side (head true: the head): the reference as used, how it was
 * resolved (NULL: as written), its run ids (at most max into ids); returns
 * how many runs it pools. */
size_t svc_compare_side(const struct svc_compare *c, int head, const char **ref,
                        const char **how, int64_t *ids, size_t max);
/* Budget i (< svc_compare_nbudgets): "pass", "fail" or "no data", and its
 * line for people (borrowed). */
size_t svc_compare_nbudgets(const struct svc_compare *c);
void svc_compare_budget(const struct svc_compare *c, size_t i,
                        const char **status, const char **message);
/* Recommendation i (< svc_compare_nrecs), borrowed, and its kind (an enum
 * an_advice_kind of analysis/analysis.h; kind may be NULL). */
size_t svc_compare_nrecs(const struct svc_compare *c);
const char *svc_compare_rec(const struct svc_compare *c, size_t i, int *kind);

/* One row's samples, pooled per side as the comparison pools them (a run
 * compared by its summary alone gives none).  Caller-owned: clean with
 * svc_row_samples_cleanup. */
struct svc_row_samples {
    double *base, *head; /* owns */
    size_t nbase, nhead;
    char *measure;               /* owns: the row's measure */
    char *unit;                  /* owns; NULL when the result has none */
    char *base_runs, *head_runs; /* owns: the resolved run ids, "12,13" */
};
/*
 * Resolves q's sides as svc_compare_create does and fills out with the
 * samples of key x measure (measure NULL: the one measure of key both sides
 * have), without the statistics.  ERR_NOT_FOUND (project, run, branch,
 * commit, or a row not on both sides) and ERR_INVALID (a malformed
 * reference, or several measures to choose from) with a message in eb.
 */
enum err svc_compare_samples(struct store *st,
                             const struct svc_compare_query *q, const char *key,
                             const char *measure, struct svc_row_samples *out,
                             struct errbuf *eb);
void svc_row_samples_cleanup(struct svc_row_samples *s);

/* The value of params (canonical JSON) when it is an object of exactly one
 * positive number ({"n":1000}), and the parameter's name into name: a
 * family member that scaling can place. */
bool svc_one_numeric_param(const char *params, double *v, char *name,
                           size_t name_len);
/* A benchmark family's members whose one numeric parameter is param
 * ({"n": 1000}; NULL: the name most members carry) and each one's latest
 * value of a measure (NULL: the default) on its default branch and
 * testbed: what the scaling chart and advice rest on. */
struct svc_scaling {
    double *n, *t;            /* owns, count each */
    size_t count, distinct;   /* members, distinct parameter values */
    char *unit;               /* owns; NULL when count is 0 */
    char param[64];           /* the parameter's name ("n") */
    enum direction direction; /* the measure's; DIR_UNSET when count is 0 */
};
enum err svc_scaling_load(struct store *st, int64_t project_id,
                          const char *family, const char *param,
                          const char *measure, struct svc_scaling *out,
                          struct errbuf *eb);
void svc_scaling_cleanup(struct svc_scaling *sc);

/* ---- statistics engine: budgets checked on runs (service/budgets.c) -------
 */

/* One rule's outcome on a set of runs. */
struct svc_budget_result {
    const struct store_budget *rule; /* borrowed */
    const char *source;              /* borrowed: "project" or "run N" */
    const char *status;              /* "pass", "fail", "no data" */
    size_t checked, violations;
    double worst;          /* NAN when nothing was checked */
    char *worst_benchmark; /* owns; NULL for a resource rule */
    int64_t worst_run;     /* the run when one was checked, else 0 */
    size_t nruns;          /* the runs checked: each series' value is its
                              median over them (analysis/budget.c) */
    char *message;         /* owns: one line for people */
};

/*
 * The rules that apply to runs[0..nruns): the project's stored budgets
 * then those each run brought in its metadata ("budgets", read with
 * ingest_budgets_parse).  *rules and *sources (parallel, n each) are freed
 * with svc_budget_rules_free; a run's unreadable budgets become a line in
 * notes (may be NULL).  ERR_DB.
 */
enum err svc_budget_rules(struct store *st, int64_t project_id,
                          const struct run *runs, size_t nruns,
                          struct store_budget **rules, char ***sources,
                          size_t *n, struct buf *notes, struct errbuf *eb);
void svc_budget_rules_free(struct store_budget *rules, char **sources,
                           size_t n);
/* Checks each rule on the runs' results or resources; *out (n entries)
 * is freed with svc_budget_results_free. */
void svc_budgets_eval(const struct store_budget *rules, char *const *sources,
                      size_t n, const struct run *runs, size_t nruns,
                      struct svc_budget_result **out);
void svc_budget_results_free(struct svc_budget_result *r, size_t n);
void svc_budget_result_json(struct jw *w, const struct svc_budget_result *r);

/* ---- regression detection (service/alerts.c) --------------------------- */

struct an_cpd_params;
struct an_cp;
struct series;
struct svc_cpd_cache;

/* Alerts one examined run lists at most. */
#define SVC_RUN_ALERTS_MAX 32

/* A stored run to examine, and (out) the alerts it opened. */
struct svc_alert_run {
    int64_t run_id; /* <= 0: skipped */
    int64_t alert_ids[SVC_RUN_ALERTS_MAX];
    size_t nalerts;
};

/*
 * After runs are stored (the writer calls it after each group commit, on
 * its connection): re-examines the tail of every series the runs touched
 * (one examination per series, whatever the number of its runs), records
 * the change points it confirms, opens alerts for regressions, resolves
 * alerts whose series came back, and lists on each run the alerts it
 * opened.  Failures are logged: the runs are stored whatever happens here.
 */
void svc_alerts_examine(struct store *st, struct svc_cpd_cache **cache,
                        struct svc_alert_run *runs, size_t n);
/* The cache of series tails (*cache starts NULL); NULL-safe. */
void svc_cpd_cache_free(struct svc_cpd_cache *c);
/*
 * Runs change-point detection over runs stored without the server's
 * writer (the demo project, `push --db`), in the order given, as if each
 * had just been ingested: alerts open as they would have live.
 */
void svc_alerts_backfill(struct store *st, const int64_t *run_ids, size_t n);
/* A project's change-point parameters: the defaults with its settings. */
void svc_cpd_params(struct store *st, int64_t project_id,
                    struct an_cpd_params *p);
/* What a change point of s is: "regression" when its step goes the worse
 * way for the series' direction, else "improvement". */
const char *svc_cp_kind(const struct series *s, const struct an_cp *c);
/* The bisect recipe of an alert with a commit range and both levels into
 * out: git bisect start/run/reset, its run step the threshold halfway
 * between the levels.  false (out untouched) when the alert lacks them. */
bool svc_alert_bisect(const struct store_alert *a, struct buf *out);
/* The change points of a series with the project's detection settings:
 * *cps (caller frees) in index order; none on failure (logged). */
void svc_series_change_points(struct store *st, int64_t project_id,
                              const struct series *s, struct an_cp **cps,
                              size_t *ncps);

/*
 * After a run is deleted: re-examines each series in gone[0..n) (the
 * deleted run's points, as store_delete_run listed them) from the
 * database; change points and alerts follow as on ingest.  Failures are
 * logged.
 */
void svc_alerts_reexamine(struct store *st, const struct store_cpd_touch *gone,
                          size_t n);

/* ---- deletion (service/delete.c) ---------------------------------------- */

enum svc_delete_kind {
    SVC_DEL_RUN = 0,
    SVC_DEL_BENCHMARK = 1,
    SVC_DEL_BRANCH = 2,
    SVC_DEL_PROJECT = 3
};
const char *svc_delete_kind_str(enum svc_delete_kind k);

struct svc_delete_req {
    enum svc_delete_kind kind;
    const char *project; /* slug (for SVC_DEL_PROJECT: unused) */
    const char *target;  /* run id, benchmark key or id, branch name,
                            project slug */
    const char *actor;   /* who asks: "token NAME (id N)", "cli" */
};
struct svc_delete_result {
    int64_t runs, results, alerts_resolved, log_id;
};
/*
 * Deletes what d names (store_delete_*: one transaction, logged), then
 * re-examines the series a deleted run was in and logs one line.  Needs a
 * STORE_RW connection; on the server, the writer's (its caches).
 * ERR_NOT_FOUND (project or target, also another project's), ERR_INVALID,
 * ERR_DB/ERR_FULL/ERR_IO, with a message in eb.
 */
enum err svc_delete(struct store *st, const struct svc_delete_req *d,
                    struct svc_delete_result *out, struct errbuf *eb);

/* ---- the dashboard: what is worse now (service/dashboard.c) ------------- */

enum svc_dash_state {
    SVC_DASH_NONE = 0,  /* nothing to say */
    SVC_DASH_SUSPECTED, /* worse now, no alert yet: too few runs to confirm */
    SVC_DASH_ALERT,     /* an open alert on the series */
    SVC_DASH_KNOWN,     /* an acknowledged alert: known, not fixed */
    SVC_DASH_BETTER     /* better now */
};
/* "", "suspected", "regressed", "known", "improved". */
const char *svc_dash_state_str(enum svc_dash_state s);

enum svc_dash_sort {
    SVC_DASH_WORSE = 0, /* suspected, regressed, known first, worst first */
    SVC_DASH_NAME = 1,
    SVC_DASH_NOISE = 2 /* noisiest first */
};

/* One series: a benchmark for one measure on its default branch. */
struct svc_dash_row {
    int64_t bench_id;
    char *key, *measure, *unit; /* owns */
    double last, change, cv;    /* NAN when unknown */
    double worse;               /* change signed so that worse > 0 */
    size_t npoints, tail;       /* tail: runs at the latest level */
    enum svc_dash_state state;
    char *first_bad_commit; /* owns: its alert's, else the first run of the
                               latest level's; NULL when unknown */
    /* Since when (service/regressions.c lists them): the first run of the
     * new level (its alert's first bad run) and the last run before it
     * (0: unknown), the first one's time, and change's 95% interval. */
    int64_t first_bad_run_id, last_good_run_id;
    char *last_good_commit; /* owns; NULL when unknown */
    int64_t since;          /* TIME_NONE when unknown */
    double ci[2];           /* NAN when none */
    char *branch, *testbed; /* owns: the series' */
    int64_t alert_id;       /* its open or acknowledged alert, else 0 */
};

/*
 * Every series of the project whose benchmark key contains q (NULL or "":
 * all), ranked by sort.  *rows (n) freed with svc_dash_rows_free.  ERR_DB.
 */
enum err svc_dashboard(struct store *st, int64_t project_id, const char *q,
                       enum svc_dash_sort sort, struct svc_dash_row **rows,
                       size_t *n, struct errbuf *eb);
void svc_dash_rows_free(struct svc_dash_row *rows, size_t n);

/* ---- what is worse now, listed (service/regressions.c) ------------------ */

/* The dashboard's rows that are worse now (suspected, alert open, known),
 * worst first, with each first bad commit's subject; ->view borrows the
 * rest of the struct, which owns what it read. */
struct svc_regressions {
    struct page_regressions view;
    struct svc_dash_row *rows; /* owns: every row of the project */
    size_t nrows;
    struct page_regression *v; /* owns */
    char **messages;           /* owns, parallel to v */
};
/*
 * proj's series worse now (svc_dashboard's rule), worst first; at most max
 * of them in ->view (0: all; ->view.total says how many there are).  proj
 * is borrowed by ->view.  ERR_DB.  Clean up also after an error.
 */
enum err svc_regressions(struct store *st, const struct store_project *proj,
                         size_t max, struct svc_regressions *out,
                         struct errbuf *eb);
/* The same from rows already read (borrowed: they must outlive out, and
 * are not freed by it). */
void svc_regressions_from(struct store *st, const struct store_project *proj,
                          const struct svc_dash_row *rows, size_t nrows,
                          size_t max, struct svc_regressions *out);
void svc_regressions_cleanup(struct svc_regressions *r);
/* {"project", "regressions": [...]} for the API (docs/api.md). */
void svc_regressions_json(struct jw *w, const struct svc_regressions *r);

/*
 * A sparkline's values from the series' summary (one row, whatever the
 * history): the newest n (at most `last`) values in commit order of the
 * series the query names with store_series_get's defaults.  The summary
 * answers (*answered true) only a query that names no branch, testbed or
 * stat other than "value", for last <= STORE_SUMMARY_TAIL, of a benchmark
 * and measure it has; otherwise *answered is false, nothing is held, and
 * the caller reads the full series (which words any error).  ERR_DB.
 */
struct svc_spark {
    char *key, *measure, *unit, *branch, *testbed; /* owns */
    int64_t npoints, last_run_id; /* the series' length and last point */
    double v[STORE_SUMMARY_TAIL];
    size_t n;
};
enum err svc_spark_get(struct store *st, int64_t project_id,
                       const struct store_series_query *q, size_t last,
                       struct svc_spark *out, bool *answered,
                       struct errbuf *eb);
void svc_spark_cleanup(struct svc_spark *sp);

/* ---- what the HTML pages show (service/pages.c) ------------------------- */
/*
 * Each fills a caller-owned struct that owns what it read and holds the
 * render/page.h view (borrowing it) in ->view; clean it up after writing
 * the page, also after an error.
 */
struct svc_page_projects {
    struct page_project *view; /* the projects to show */
    size_t nview;
    struct store_project *p; /* owns */
    size_t n;
};
/* Every project, or only the one named only (a project-scoped token's). */
enum err svc_page_projects(struct store *st, const char *only,
                           struct svc_page_projects *out, struct errbuf *eb);
void svc_page_projects_cleanup(struct svc_page_projects *p);

struct svc_page_dashboard {
    struct page_dashboard view;
    /* owned below */
    struct store_alert *open, *known;
    size_t nopen, nknown;
    struct page_dash_alert *open_v, *known_v;
    struct store_branch *br;
    size_t nbr;
    struct page_dash_branch *branches;
    char **latest; /* per branch: its latest run's commit */
    struct svc_dash_row *rows;
    size_t nrows;
    struct page_dash_row *rows_v;
    struct svc_regressions worse; /* the head of what is worse now */
};
#define SVC_PAGE_DASH_ROWS                                                     \
    200 /* rows a dashboard page shows; every row is                           \
          ranked */

#define SVC_DASH_WORSE_HEAD 5 /* series worse now the dashboard lists */
/* The dashboard's sorts (by URL name and label), in enum svc_dash_sort's
 * order; the index of a name (0, the default, for NULL or unknown). */
const struct page_dash_sort *svc_page_dash_sorts(size_t *n);
size_t svc_page_dash_sort(const char *name);
/*
 * proj's dashboard ranked by sorts[sort], filtered by q (NULL: all), with
 * page (0-based; past the last: the last) of rows_per_page rows.  proj and
 * q are borrowed by ->view.  ERR_DB when the benchmarks cannot be read.
 */
enum err svc_page_dashboard(struct store *st, const struct store_project *proj,
                            const char *q, size_t sort, size_t page,
                            size_t rows_per_page,
                            struct svc_page_dashboard *out, struct errbuf *eb);
/* How many pages of rows d has (at least 1). */
size_t svc_page_dashboard_pages(const struct svc_page_dashboard *d);
void svc_page_dashboard_cleanup(struct svc_page_dashboard *d);

#define SVC_PAGE_ALERTS_MAX 200 /* the newest alerts the alerts page shows */
struct svc_page_alerts {
    struct page_alerts view; /* the caller sets the session's csrf fields */
    struct store_alert *a;   /* owns */
    struct page_alert *v;    /* owns, and each advice */
    char **msgs;             /* owns: each first bad commit's subject */
    size_t n;
};
/* proj's newest SVC_PAGE_ALERTS_MAX alerts with their recommendations;
 * proj is borrowed by ->view.  ERR_DB. */
enum err svc_page_alerts(struct store *st, const struct store_project *proj,
                         struct svc_page_alerts *out, struct errbuf *eb);
void svc_page_alerts_cleanup(struct svc_page_alerts *p);

/* One measure of the benchmark page, and what it owns. */
struct svc_page_measure {
    struct page_measure view; /* points into the fields below */
    struct series series;
    struct page_cp *cps;
    char *noise_advice, *scaling_advice, *param;
    struct page_scaling scaling;
};
struct svc_page_benchmark {
    struct page_benchmark view;
    /* owned below */
    struct store_benchmark *bm;
    struct store_measure *ms;
    struct store_branch *br;
    struct store_testbed *tb;
    size_t nbm, nms, nbr, ntb;
    char **names; /* borrowed names: branches, then testbeds */
    struct svc_page_measure *m;
    struct page_measure *mv; /* the views of m, as ->view.measures */
};
/*
 * Benchmark id of proj on branch and testbed (NULL: the default; borrowed
 * by ->view): per measure its series, change points (the series API's),
 * noise and scaling.  ERR_NOT_FOUND for no such benchmark; ERR_DB.
 */
enum err svc_page_benchmark(struct store *st, const struct store_project *proj,
                            int64_t id, const char *branch, const char *testbed,
                            struct svc_page_benchmark *out, struct errbuf *eb);
void svc_page_benchmark_cleanup(struct svc_page_benchmark *p);

/* A comparison as the pages show it; ->view borrows from c, which must
 * outlive it. */
struct svc_page_comparison {
    struct page_comparison view;
    int64_t *ids[2];
    struct page_cmp_row *rows;
    struct page_cmp_single *singles;
    struct page_cmp_budget *budgets;
    struct page_cmp_rec *recs;
};
void svc_page_comparison(const struct svc_compare *c,
                         struct svc_page_comparison *out);
void svc_page_comparison_cleanup(struct svc_page_comparison *p);

#define SVC_PAGE_RUN_ADVICE 8 /* resource advice a run page shows */
struct svc_page_run {
    struct page_run view;
    struct run run;
    struct svc_compare *cmp; /* NULL: cmp_eb says why */
    struct errbuf cmp_eb;
    struct svc_page_comparison pc;
    char *advice[SVC_PAGE_RUN_ADVICE];
    size_t nadvice;
};
/*
 * Run id of proj with its comparison against its base (as the compare API
 * without a base) and its resource advice.  ERR_NOT_FOUND (eb), ERR_DB.
 * Clean up also after an error.
 */
enum err svc_page_run(struct store *st, const struct store_project *proj,
                      int64_t id, struct svc_page_run *out, struct errbuf *eb);
void svc_page_run_cleanup(struct svc_page_run *p);

/* ---- the charts' data (service/charts.c) -------------------------------- */
/*
 * What each chart shows, gathered for its render/ writer: the server's
 * chart routes and the static report both call these, then svc_chart_draw.
 * Each loader fills a caller-owned struct svc_chart (owns what it read);
 * svc_chart_cleanup it after drawing, also after an error.
 */
enum svc_chart_kind {
    SVC_CHART_TREND = 0,
    SVC_CHART_SPARKLINE,
    SVC_CHART_RESOURCES,
    SVC_CHART_COMPARE,
    SVC_CHART_SCALING,
    SVC_CHART_DISTRIBUTION
};

/* The most device pixels a chart may have (4096 x 4096). */
#define SVC_CHART_MAX_PIXELS (4096 * 4096)

struct svc_chart {
    enum svc_chart_kind kind;
    char title[600];
    /* trend, sparkline */
    struct series series;
    struct chart_change *changes; /* owns, nchanges */
    size_t nchanges;
    /* resources */
    struct run run;
    bool has_run;
    /* compare: rows[i].key is names[i] (owned) */
    struct chart_cmp_row *rows;
    char **names;
    size_t nrows;
    double threshold;
    /* scaling: the fitted class (static text, NULL: no fit) */
    struct svc_scaling scaling;
    const char *cls;
    double coef;
    /* distribution */
    struct svc_row_samples samples;
};

/* A kind's size (CSS px) when the query gives none. */
void svc_chart_size(enum svc_chart_kind kind, unsigned *width,
                    unsigned *height);
/*
 * The trend of the series q names (the series API's rules), with its change
 * points when changes (one worse than the segment before marked as an
 * alert).  ERR_NOT_FOUND (benchmark, measure, branch, testbed) and
 * ERR_INVALID (a bad stat, an ambiguous measure) with a message; ERR_DB.
 */
enum err svc_chart_trend(struct store *st, int64_t project_id,
                         const struct store_series_query *q, bool changes,
                         struct svc_chart *out, struct errbuf *eb);
/* The same series' newest last (>= 1) points, for a sparkline. */
enum err svc_chart_sparkline(struct store *st, int64_t project_id,
                             const struct store_series_query *q, size_t last,
                             struct svc_chart *out, struct errbuf *eb);
/* Run run_id's resource samples.  ERR_NOT_FOUND, ERR_DB. */
enum err svc_chart_resources(struct store *st, int64_t project_id,
                             int64_t run_id, struct svc_chart *out,
                             struct errbuf *eb);
/* Every row of the comparison q (svc_compare_create's errors). */
enum err svc_chart_compare(struct store *st, const struct svc_compare_query *q,
                           struct svc_chart *out, struct errbuf *eb);
/* For a compare chart asked without a height: as tall as its rows need,
 * within SVC_CHART_MAX_PIXELS; other kinds are left as they are. */
void svc_chart_fit_height(const struct svc_chart *c, struct chart_opts *o);
/* A family's scaling (svc_scaling_load) with its best fit; ERR_NOT_FOUND
 * when no member has one numeric parameter and the measure. */
enum err svc_chart_scaling(struct store *st, int64_t project_id,
                           const char *family, const char *param,
                           const char *measure, struct svc_chart *out,
                           struct errbuf *eb);
/* One row's samples of the comparison q (svc_compare_samples' errors). */
enum err svc_chart_distribution(struct store *st,
                                const struct svc_compare_query *q,
                                const char *key, const char *measure,
                                struct svc_chart *out, struct errbuf *eb);
/* Appends to b everything c's picture at o depends on (the program's
 * version, RENDER_REVISION, o, labels, values): hash it for a cache key. */
void svc_chart_key(const struct svc_chart *c, const struct chart_opts *o,
                   struct buf *b);
/* Draws c at o into out (render/'s chart writers); their errors. */
enum err svc_chart_draw(const struct svc_chart *c, const struct chart_opts *o,
                        struct buf *out, struct errbuf *eb);
void svc_chart_cleanup(struct svc_chart *c);

/* ---- webhooks (webhooks.c): alert transitions sent to receivers ------- */

struct svc_webhook_cfg {
    int64_t retry_base_ms; /* the first retry waits this; doubles */
    int64_t retry_max_ms;  /* the longest wait between attempts */
    int max_attempts;      /* then the delivery is failed */
    int64_t lease_ms;      /* a claimed delivery is another sender's after */
    int batch;             /* deliveries claimed per pass */
    const char *link_base; /* the pages' public URL for links, or NULL */
};
void svc_webhook_cfg_default(struct svc_webhook_cfg *cfg);
/*
 * Sends one request: POST body to url with headers (NULL-terminated
 * "Name: value").  Sets *status (0 when no answer came) and, on a
 * transport failure, error.
 */
typedef void (*svc_webhook_post_fn)(void *ctx, const char *url,
                                    const char *const *headers,
                                    const char *body, size_t len, long *status,
                                    char *error, size_t errlen);
/* The body of delivery d about alert a (NULL when gone): JSON, or Slack's
 * {"text"} for format "slack". */
void svc_webhook_body(const struct store_delivery *d,
                      const struct store_alert *a, const char *link_base,
                      struct buf *out);
/*
 * One pass of the sender: claims the due deliveries, signs and sends each
 * through post, records delivered / retry / failed (webhooks.c notes).
 * *attempted (may be NULL) counts the requests made.
 */
enum err svc_webhooks_pass(struct store *st, const struct svc_webhook_cfg *cfg,
                           svc_webhook_post_fn post, void *ctx,
                           size_t *attempted, struct errbuf *eb);

/* ---- the runs list and the compare page's picks (service/runs.c) -------- */

#define SVC_PAGE_RUNS_MAX 50 /* runs one page of the runs list shows */
struct svc_page_runs {
    struct page_runs view;
    /* owned below */
    struct run *runs;
    size_t n;
    struct store_branch *br;
    struct store_testbed *tb;
    size_t nbr, ntb;
    char **names; /* borrowed names: branches, then testbeds */
};
/*
 * proj's runs newest first matching f (f->limit: 0 for SVC_PAGE_RUNS_MAX),
 * with the branches and testbeds to choose from; f's strings are borrowed
 * by ->view.  ERR_INVALID (a limit out of range), ERR_DB.  Clean up also
 * after an error.
 */
enum err svc_page_runs(struct store *st, const struct store_project *proj,
                       const struct store_run_filter *f,
                       struct svc_page_runs *out, struct errbuf *eb);
void svc_page_runs_cleanup(struct svc_page_runs *p);

#define SVC_COMPARE_PICK_RUNS 30 /* recent runs the compare form offers */
struct svc_compare_picks {
    struct page_compare_picks view;
    struct run *runs; /* owns */
    size_t n;
    struct store_branch *br; /* owns */
    size_t nbr;
    char **names; /* owns the array; borrows the names */
};
/* What the compare form offers: the recent runs and the branches; a part
 * that cannot be read is left out. */
void svc_compare_picks(struct store *st, const struct store_project *proj,
                       struct svc_compare_picks *out);
void svc_compare_picks_cleanup(struct svc_compare_picks *p);

#endif /* BV_SERVICE_H */
