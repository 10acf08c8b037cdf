/*
 * render/page.h: the HTML pages as pure writers.  Data in, bytes out: each
 * page_* writer takes plain structs (filled by service/ or by the caller
 * from the store), a link builder and a struct buf, and never queries the
 * store or sees a request.  The server answers with these bytes; the static
 * report (`benchvault report`) writes them into files.
 *
 * Links: a page names every other page and chart by its server path
 * ("/p/alpha-q/benchmarks/3", "/static/style.css"), built with
 * page_esc_segment/page_esc_query for its parts, and hands it to the link
 * builder, which writes the href.  The server's builder writes the path as
 * it is; the report's maps it to a relative file.  So the report and the
 * live pages are the same bytes apart from links.
 *
 * Every user string goes through one of render.h's page_esc_* functions
 * for its context.  Appends are bounded: a writer stops at the first failed
 * append and returns its error (ERR_TOO_LARGE), and a caller that gets one
 * must not send the partial page.
 *
 * Ownership: everything passed in is borrowed; the caller owns out.
 */
#ifndef BV_RENDER_PAGE_H
#define BV_RENDER_PAGE_H

#include "core/core.h"

struct page_links;

/* How an href is escaped for its double-quoted attribute: page_esc_attr
 * (every "=" as &#61;), or page_esc_href (a URL's "=" left as it is). */
enum page_href_esc { PAGE_HREF_ATTR = 0, PAGE_HREF_URL = 1 };

/* Appends to b the href of path, escaped for a double-quoted attribute
 * as esc says. */
typedef enum err (*page_href_fn)(const struct page_links *l, struct buf *b,
                                 const char *path, enum page_href_esc esc);

/* How pages link: href (NULL: the path as it is, page_esc_attr'd) and its
 * context; live is false for the static report, whose pages leave out what
 * needs a live server (forms, search, triage, the compare page). */
struct page_links {
    page_href_fn href;
    void *ctx;
    bool live;
};

/* The server's links: absolute paths, live. */
extern const struct page_links page_links_server;

/* Appends the href of path through l (see struct page_links), escaped
 * with page_esc_attr (page_href) or page_esc_href (page_href_url: for
 * the links that always kept a URL's "=" as it is). */
enum err page_href(const struct page_links *l, struct buf *b, const char *path);
enum err page_href_url(const struct page_links *l, struct buf *b,
                       const char *path);
/* <a href="/p/{project}{suffix}">text</a>: suffix is markup-free path text
 * we built ourselves ("", "/alerts", "/runs/7"); text is escaped. */
enum err page_link(const struct page_links *l, struct buf *b,
                   const char *project, const char *suffix, const char *text);

/* Starts a page: resets b, then doctype, head with the title (escaped) and
 * the stylesheet, the header with the project's links (project NULL:
 * none; the compare link only when l->live). */
enum err page_begin(const struct page_links *l, struct buf *b,
                    const char *title, const char *project);
/* Closes main, body and html. */
enum err page_end(struct buf *b);
/* True when b holds a whole page (it ends as page_end ends it). */
bool page_complete(const struct buf *b);
/* A whole error page into b: "<status> <reason>" and detail as text. */
enum err page_error(const struct page_links *l, struct buf *b, unsigned status,
                    const char *reason, const char *detail);

/* A value with its unit as the charts scale it ("12.3 ms"); "–" for NAN. */
enum err page_value(struct buf *b, double v, const char *unit);
/* An ISO time, or "–" for TIME_NONE. */
enum err page_time(struct buf *b, int64_t ms);
/* A relative change as tables show it ("+5.0%"); "–" for NAN. */
enum err page_percent(struct buf *b, double change);
/* A commit as tables show it: a full hex sha as its first 12 digits (git's
 * short form), in abbrev; anything else (and NULL) as it is. */
const char *page_short_sha(const char *sha, char abbrev[13]);

/* Links into the project's repository (repo: its http(s) URL without a
 * trailing "/", as the project's settings keep it; NULL: none).  A commit
 * as page_short_sha shows it, in <code>, linked to {repo}/commit/{sha};
 * and a range "a..b" linked to {repo}/compare/{a}...{b} (either sha NULL:
 * "?").  Without repo, the same text without a link. */
enum err page_commit(struct buf *b, const char *repo, const char *sha);
enum err page_commit_range(struct buf *b, const char *repo, const char *a,
                           const char *b_sha);

/* ---- the projects index ------------------------------------------------- */

struct page_project {
    const char *slug, *description; /* description may be NULL */
    int64_t run_count;
    int64_t last_run_at; /* ms, or TIME_NONE */
};

/* "/": every project of p[0..n) with its runs and last run. */
enum err page_projects_write(const struct page_links *l,
                             const struct page_project *p, size_t n,
                             struct buf *out);

/* ---- a project's dashboard ---------------------------------------------- */

/* An open or acknowledged alert as the dashboard lists it. */
struct page_dash_alert {
    int64_t benchmark_id;
    const char *benchmark, *measure, *branch;
    double change;                /* NAN: unknown */
    const char *first_bad_commit; /* may be NULL */
};

/* The states of a dashboard row (service's enum svc_dash_state, as text
 * and class). */
enum page_dash_state {
    PAGE_DASH_NONE = 0, /* nothing to say */
    PAGE_DASH_BETTER,   /* shown in the "good" class */
    PAGE_DASH_BAD       /* suspected, alert, known ...: the "bad" class */
};

struct page_dash_row {
    int64_t bench_id;
    const char *key, *measure, *unit;
    double last, change, cv;      /* NAN: unknown */
    size_t tail;                  /* runs in the latest level */
    bool since_alert;             /* change is since first_bad_commit */
    const char *first_bad_commit; /* may be NULL */
    enum page_dash_state state;
    const char *state_text;
};

struct page_dash_branch {
    const char *name;
    int64_t run_count;
    int64_t latest_run_id; /* 0: none */
    const char *latest_commit;
    int64_t latest_at;
};

/* One sort of the dashboard: its name in the URL and its label. */
struct page_dash_sort {
    const char *name, *label;
};

struct page_dashboard {
    const char *slug, *description;
    /* Open alerts (alerts_ok false: they could not be read). */
    const struct page_dash_alert *open;
    size_t nopen;
    bool open_ok;
    /* Acknowledged, unresolved alerts (shown only when there are some). */
    const struct page_dash_alert *known;
    size_t nknown;
    bool known_ok;
    const struct page_dash_branch *branches;
    size_t nbranches;
    /* Every ranked row, sorted; the page shows rows_per_page of them. */
    const struct page_dash_row *rows;
    size_t nrows;
    size_t rows_per_page;
    size_t page;   /* 0-based, < the number of pages */
    const char *q; /* the search (may be NULL) */
    const struct page_dash_sort *sorts;
    size_t nsorts, sort; /* the current sort: sorts[sort] */
    /* What is worse now, the first few (NULL: not shown), first. */
    const struct page_regressions *worse;
};

/* ---- what is worse now (render/page_regressions.c) ---------------------- */

/* One series worse than its baseline now (service/regressions.c). */
struct page_regression {
    int64_t bench_id;
    const char *key, *measure, *unit, *branch, *testbed;
    const char *state;    /* "suspected", "regressed" (alert open), "known" */
    double change, ci[2]; /* relative, and its 95% interval; NAN: none */
    double last;          /* the latest value (unit); NAN: none */
    size_t runs;          /* runs at the new level */
    int64_t since;        /* the first bad run's time; TIME_NONE */
    int64_t first_bad_run_id, last_good_run_id;      /* 0: unknown */
    const char *first_bad_commit, *last_good_commit; /* may be NULL */
    const char *message; /* the first bad commit's subject; may be NULL */
    int64_t alert_id;    /* 0: no alert yet */
};

struct page_regressions {
    const char *slug;
    const struct page_regression *rows; /* worst first */
    size_t n;
    size_t total;         /* series worse now in all (the dashboard shows n) */
    int64_t updated;      /* the feed's time: the newest since, else now */
    const char *repo_url; /* the project's repository; NULL: none */
};

/* "/p/{slug}/regressions": every series worse now, worst first, with since
 * when, by how much and its state, each linked to its chart. */
enum err page_regressions_write(const struct page_links *l,
                                const struct page_regressions *p,
                                struct buf *out);
/* "/p/{slug}/regressions.atom": the same as an Atom feed (RFC 4287), one
 * entry per series and level (its id changes when the first bad run
 * does). */
enum err page_regressions_atom(const struct page_links *l,
                               const struct page_regressions *p,
                               struct buf *out);

/* "/p/{slug}": alerts, branches and the ranked benchmarks. */
enum err page_dashboard_write(const struct page_links *l,
                              const struct page_dashboard *d, struct buf *out);

/* ---- sign-in, sign-out and a project's alerts ---------------------------- */

/* The sign-in form: for project, the alerts page's (a write token, POST
 * /p/{project}/alerts/login); for NULL, the site's (any token, POST
 * /signin, then back to next, a local path the caller checked).  csrf is
 * the form's CSRF value; NULL writes that signing in is unavailable. */
enum err page_signin_form(const struct page_links *l, struct buf *b,
                          const char *project, const char *csrf,
                          const char *next);
/* The sign-out form (POST /signout) with the session's CSRF value. */
enum err page_signout_form(const struct page_links *l, struct buf *b,
                           const char *csrf);

/* The sign-in page: detail (text), the site's sign-in form (csrf, next as
 * for page_signin_form) and how long a session lasts unused. */
enum err page_signin_write(const struct page_links *l, const char *detail,
                           const char *csrf, const char *next,
                           int64_t idle_minutes, struct buf *out);
/* Who is signed in (the token's scope, name and project, NULL: every
 * project) and the sign-out form with the session's csrf. */
enum err page_signed_in_write(const struct page_links *l, const char *scope,
                              const char *token_name, const char *project,
                              const char *csrf, struct buf *out);
/* The body of a redirect: a link to location, a local path ("/..."). */
enum err page_continue_write(const struct page_links *l, const char *location,
                             struct buf *out);

struct page_alert {
    int64_t id, benchmark_id;
    const char *status, *benchmark, *measure, *branch, *testbed, *unit;
    const char *note;                           /* may be NULL */
    double before, after, change;               /* NAN: unknown */
    int64_t last_good_run_id, first_bad_run_id; /* 0: none */
    const char *last_good_commit, *first_bad_commit;
    const char *advice;   /* the recommendation, or NULL (none needed) */
    int64_t created_at;   /* when it opened; TIME_NONE */
    int64_t first_bad_at; /* the first bad run's time; TIME_NONE */
    const char *first_bad_message; /* its commit's subject; may be NULL */
};

struct page_alerts {
    const char *slug;
    const struct page_alert *alerts;
    size_t n;
    /* Live only.  csrf NULL: not signed in with a write token, so the
     * sign-in form with signin_csrf (NULL: unavailable); else the triage
     * and sign-out forms carry the session's csrf. */
    const char *csrf, *signin_csrf;
    const char *repo_url; /* the project's repository; NULL: none */
};

/* "/p/{slug}/alerts": every alert, triage when signed in (live), and the
 * recommendations. */
enum err page_alerts_write(const struct page_links *l,
                           const struct page_alerts *p, struct buf *out);

/* ---- one benchmark ------------------------------------------------------ */

/* A change point of a series: the index of the first point of the new
 * segment and the means of the segments either side. */
struct page_cp {
    size_t index;
    double before, after, change;
};

struct page_scaling {
    const char *family, *param; /* the benchmark family and its parameter */
    size_t count;               /* members */
    const char *best, *verdict; /* "O(n)", and what the slope says */
    double slope, slope_ci[2];  /* log-log */
    const char *advice;         /* may be NULL */
};

/* One measure of the benchmark on the chosen branch and testbed. */
struct page_measure {
    const struct series *series; /* NULL or empty: not shown */
    const struct page_cp *cps;
    size_t ncps;
    double noise;                       /* run-to-run noise; NAN: not shown */
    size_t noise_runs;                  /* the runs it was estimated from */
    const char *noise_advice;           /* may be NULL */
    const struct page_scaling *scaling; /* NULL: none */
};

struct page_benchmark {
    const char *slug, *key;
    int64_t id;
    const char *branch, *testbed; /* the choice; NULL: the default */
    char *const *branches;        /* every branch and testbed, to choose */
    size_t nbranches;
    char *const *testbeds;
    size_t ntestbeds;
    const struct page_measure *measures;
    size_t nmeasures;
};

/* "/p/{slug}/benchmarks/{id}": the choice, then per measure with data its
 * trend, change points, noise, scaling and runs. */
enum err page_benchmark_write(const struct page_links *l,
                              const struct page_benchmark *v, struct buf *out);

/* ---- comparisons, the compare page and a run ---------------------------- */

/* A distribution chart's size (CSS px): the pages reserve it, the chart
 * route draws it. */
#define PAGE_DIST_WIDTH 560
#define PAGE_DIST_HEIGHT 340

/* Verdicts, in the order of analysis' enum an_verdict. */
enum page_verdict {
    PAGE_UNCHANGED = 0,
    PAGE_REGRESSED = 1,
    PAGE_IMPROVED = 2,
    PAGE_INCONCLUSIVE = 3
};

struct page_cmp_side {
    const char *ref, *how; /* how it was resolved; NULL: as written */
    size_t n;              /* runs pooled */
    const int64_t *ids;    /* the first nids of them */
    size_t nids;
};

struct page_cmp_row {
    const char *key, *measure, *unit;
    double base, head, change, ci[2], q, threshold; /* NAN: none */
    enum page_verdict verdict;
    const char *verdict_text, *reason;
};

struct page_cmp_single {
    const char *key, *measure;
    double change;
};

struct page_cmp_budget {
    const char *status, *message; /* "pass", "fail", "no data" */
};

struct page_cmp_rec {
    const char *text;
    bool resource; /* rests on the head run's resource samples */
};

struct page_comparison {
    size_t counts[4];             /* rows by enum page_verdict */
    struct page_cmp_side side[2]; /* base, head */
    const struct page_cmp_row *rows;
    size_t nrows;
    const struct page_cmp_single *singles; /* one value per run */
    size_t nsingles;
    size_t nonly[2]; /* series only in the base, only in the head */
    const struct page_cmp_budget *budgets;
    size_t nbudgets;
    const struct page_cmp_rec *recs;
    size_t nrecs;
};

/* A comparison block (no page around it): the verdict line, its sides,
 * the chart, the rows (all, or only the changed ones with a link to every
 * row when live), the changed rows' samples, budgets and recommendations
 * (those from resource samples only when resources). */
enum err page_comparison_write(const struct page_links *l, struct buf *out,
                               const char *slug,
                               const struct page_comparison *c, bool all_rows,
                               bool resources);
/* What the compare form offers to pick (a <datalist>: free text still
 * works, without JavaScript): recent runs and the branches. */
struct page_compare_picks {
    const struct run *runs; /* newest first, without results */
    size_t nruns;
    char *const *branches;
    size_t nbranches;
};

/* "/p/{slug}/compare": the form with base and head (as asked) and picks
 * (NULL: none), then the comparison c, or error (text) when the references
 * could not be compared, or a hint when c and error are both NULL. */
enum err page_compare_write(const struct page_links *l, const char *slug,
                            const char *base, const char *head,
                            const struct page_compare_picks *picks,
                            const struct page_comparison *c, const char *error,
                            struct buf *out);

/* ---- the runs list (render/page_runs.c) --------------------------------- */

struct page_runs {
    const char *slug;
    const struct run *runs; /* newest first, without results */
    size_t n;
    /* the filters as asked (NULL: none) and what they can choose from */
    const char *branch, *testbed, *commit;
    char *const *branches;
    size_t nbranches;
    char *const *testbeds;
    size_t ntestbeds;
    int64_t before;       /* this page starts before this run id; 0: newest */
    int64_t next_before;  /* the next page's before; 0: no older runs */
    const char *repo_url; /* the project's repository; NULL: none */
};

/* "/p/{slug}/runs": the runs, filtered by branch, testbed and commit, one
 * page of them with a link to the older ones, each linked to its page. */
enum err page_runs_write(const struct page_links *l, const struct page_runs *p,
                         struct buf *out);

struct page_run {
    const char *slug;
    const struct run *run;
    /* The run against its base, or NULL and why: cmp_error (text), shown
     * as an expected state (no base yet) when cmp_expected. */
    const struct page_comparison *cmp;
    const char *cmp_error;
    bool cmp_expected;
    /* What its resource samples say (shown with its resources chart). */
    const char *const *advice;
    size_t nadvice;
    const char *repo_url; /* the project's repository; NULL: none */
};

/* "/p/{slug}/runs/{id}": the run, its results, the comparison with its
 * base, its resources and their advice. */
enum err page_run_write(const struct page_links *l, const struct page_run *p,
                        struct buf *out);

/* ---- a comparison as text and Markdown (render/compare_text.c) ---------- */

/* One run of a side, as the text names it. */
struct page_cmp_run {
    int64_t id;
    const char *branch, *commit_sha, *testbed;
};

struct page_cmp_text_side {
    const char *ref, *how; /* how it was resolved; NULL: as written */
    const struct page_cmp_run *runs;
    size_t n;
};

struct page_cmp_text_row {
    const char *key, *measure, *unit;
    const char *reason;                  /* why it got its verdict */
    int64_t bench_id;                    /* for the Markdown's link; 0: none */
    double base, head, change, ci[2], q; /* NAN: none */
    enum page_verdict verdict;
};

/* What the text and the comment show of a comparison; all borrowed. */
struct page_cmp_text {
    const char *project;
    const char *link_base; /* the server's URL for links; NULL: none */
    struct page_cmp_text_side side[2];    /* base, head (at least one run) */
    const struct page_cmp_text_row *rows; /* compared */
    size_t nrows;
    const struct page_cmp_text_row *folded; /* derived, beside their source */
    size_t nfolded;
    const struct page_cmp_text_row *singles; /* one value per run */
    size_t nsingles;
    char *const *only[2]; /* "key (measure)" only in the base, the head */
    size_t nonly[2];
    const struct page_cmp_budget *budgets;
    size_t nbudgets;
    char *const *recs; /* recommendations */
    size_t nrecs;
    size_t counts[4];        /* rows by enum page_verdict */
    double threshold, alpha; /* the default noise threshold, BH's level */
    const char *notes;       /* lines, or NULL */
};

/* Appends c as text: the sides, a table of every row, the summary, why
 * each changed row changed, then what was not compared, budgets,
 * recommendations and notes.  Appends are not checked: give an unbounded
 * out. */
void page_compare_text_write(const struct page_cmp_text *c, struct buf *out);
/* Appends c as a pull-request comment in Markdown (at most about 64 KiB),
 * ending with COMMENT_MARKER; appends as for page_compare_text_write. */
void page_compare_md_write(const struct page_cmp_text *c, struct buf *out);

#endif /* BV_RENDER_PAGE_H */
