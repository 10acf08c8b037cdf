/*
 * server: the HTTP service over libmicrohttpd.  Routing, authentication,
 * limits, the JSON API, metrics, and the writer thread that batches ingests
 * into group commits.  cli/ starts and stops it; nothing below cli/
 * includes this header.
 *
 * Ownership: srv_start copies what it needs from the config; the caller
 * keeps its strings.  srv_stop frees everything.
 */
#ifndef BV_SERVER_H
#define BV_SERVER_H

#include "core/core.h"
#include "ingest/ingest.h"

struct srv_config {
    const char *db_path;
    const char *listen;          /* "127.0.0.1:8080"; port 0 = ephemeral */
    unsigned threads;            /* worker threads (thread pool size) */
    bool private_reads;          /* reads need a read token */
    unsigned conn_timeout_s;     /* idle connection timeout */
    unsigned per_ip_limit;       /* concurrent connections per IP, 0 = none */
    unsigned batch_max;          /* runs per group commit */
    bool log_requests;           /* one log line per request */
    struct ingest_limits limits; /* body, depth, names, samples */
};

void srv_config_default(struct srv_config *cfg);

struct srv;

/*
 * Opens the database (creating and migrating it), starts the writer thread
 * and the HTTP listener.  ERR_IO when the address cannot be bound, ERR_DB
 * when the database cannot be opened.
 */
enum err srv_start(const struct srv_config *cfg, struct srv **out,
                   struct errbuf *eb);
/* The port actually bound (useful with port 0). */
unsigned srv_port(const struct srv *s);
/*
 * Graceful stop: stops accepting, lets in-flight requests finish (up to
 * grace_ms), drains the writer, closes the database.  NULL is a no-op.
 */
void srv_stop(struct srv *s, unsigned grace_ms);

/* ---- statistics engine: comparisons (server/route_compare.c) ---------- */
/*
 * GET /api/v1/projects/{p}/compare builds its answer with these, and so
 * does `benchvault compare --db` (no server needed).  Methods, defaults
 * and verdict rules: docs/statistics.md.
 */
struct store;
struct srv_compare;

struct srv_compare_query {
    const char *project; /* slug */
    const char *base;    /* run id, "12,13", "branch:NAME", "commit:SHA";
                            NULL: branch:<head's base branch, else main>,
                            or the run before the head when the head is
                            on that branch */
    const char *head;    /* the same forms; required */
    double threshold;    /* NAN: the project's settings (default 5%) */
    unsigned bootstrap;  /* resamples; 0: the default 2,000 */
    uint64_t seed;
    int history; /* base-branch runs for the noise; 0: 20 */
    const char *link_base; /* "http://host:port" for links and the chart
                              image in Markdown; NULL: none; else it must
                              pass srv_link_ok (ERR_INVALID) */
};

/*
 * Resolves the references, loads the runs and compares every benchmark x
 * measure they share, with budgets and recommendations.  *out (free with
 * srv_compare_free) on ERR_OK.  ERR_NOT_FOUND (project, run, branch or
 * commit) and ERR_INVALID (a malformed reference) with a message in eb;
 * ERR_DB.
 */
enum err srv_compare_create(struct store *st, const struct srv_compare_query *q,
                            struct srv_compare **out, struct errbuf *eb);
/* Appends the comparison as "json", "text" or "markdown" (NULL: json);
 * ERR_INVALID for another format name. */
enum err srv_compare_write(const struct srv_compare *c, const char *format,
                           struct buf *out);
/* What a gate needs: rows regressed, budgets broken. */
void srv_compare_counts(const struct srv_compare *c, size_t *regressed,
                        size_t *budgets_failed);
void srv_compare_free(struct srv_compare *c);
/* Row i (< srv_compare_nrows) for a chart: borrowed key and measure, the
 * relative change and its CI (NAN when none), the verdict (enum
 * an_verdict) and the row's noise threshold. */
size_t srv_compare_nrows(const struct srv_compare *c);
void srv_compare_row(const struct srv_compare *c, size_t i, const char **key,
                     const char **measure, double *change, double ci[2],
                     int *verdict, double *threshold);
/* Whether u can be a link_base: an http:// or https:// URL (any case)
 * without query, space, quote, parenthesis or user:password@ (it stands
 * inside Markdown links that are published). */
bool srv_link_ok(const char *u);
/* Row i's central values (base, head; canonical unit, borrowed) and its
 * Benjamini-Hochberg q-value (NAN: untested). */
void srv_compare_row_values(const struct srv_compare *c, size_t i,
                            double *base, double *head, const char **unit,
                            double *q);
/* Rows by verdict (indexed by enum an_verdict). */
void srv_compare_summary(const struct srv_compare *c, size_t counts[4]);
/* A side (head true: the head): the reference as used, how it was
 * resolved (NULL: as written), its run ids (at most max into ids); returns
 * how many runs it pools. */
size_t srv_compare_side(const struct srv_compare *c, int head,
                        const char **ref, const char **how, int64_t *ids,
                        size_t max);
/* Budget i (< srv_compare_nbudgets): "pass", "fail" or "no data", and its
 * line for people (borrowed). */
size_t srv_compare_nbudgets(const struct srv_compare *c);
void srv_compare_budget(const struct srv_compare *c, size_t i,
                        const char **status, const char **message);
/* Recommendation i (< srv_compare_nrecs), borrowed, and its kind (an enum
 * an_advice_kind of analysis/analysis.h; kind may be NULL). */
size_t srv_compare_nrecs(const struct srv_compare *c);
const char *srv_compare_rec(const struct srv_compare *c, size_t i, int *kind);

/* One row's samples, pooled per side as the comparison pools them (a run
 * compared by its summary alone gives none).  Caller-owned: clean with
 * srv_row_samples_cleanup. */
struct srv_row_samples {
    double *base, *head; /* owns */
    size_t nbase, nhead;
    char *measure;               /* owns: the row's measure */
    char *unit;                  /* owns; NULL when the result has none */
    char *base_runs, *head_runs; /* owns: the resolved run ids, "12,13" */
};
/*
 * Resolves q's sides as srv_compare_create does and fills out with the
 * samples of key x measure (measure NULL: the one measure of key both sides
 * have), without the statistics.  ERR_NOT_FOUND (project, run, branch,
 * commit, or a row not on both sides) and ERR_INVALID (a malformed
 * reference, or several measures to choose from) with a message in eb.
 */
enum err srv_compare_samples(struct store *st,
                             const struct srv_compare_query *q, const char *key,
                             const char *measure, struct srv_row_samples *out,
                             struct errbuf *eb);
void srv_row_samples_cleanup(struct srv_row_samples *s);

/* ---- regression detection (server/route_alerts.c) ---------------------- */

struct store_alert;
/* Writes an alert as the API shows it (commit range, bisect recipe); the
 * CLI's --db mode prints the same. */
void srv_write_alert(struct jw *w, const struct store_alert *a);

struct store;
/*
 * Runs change-point detection over runs stored without the server's
 * writer (the demo project, `push --db`), in the order given, as if each
 * had just been ingested: alerts open as they would have live.
 */
void srv_alerts_backfill(struct store *st, const int64_t *run_ids, size_t n);

#endif /* BV_SERVER_H */
