/*
 * Internals shared inside server/.  Nothing outside server/ includes this.
 *
 * A request's life: the access handler creates a struct req on the first
 * call (route match, then the checks made from the headers alone: sizes,
 * framing, the route table's access level, Content-Type and the route's
 * body limit; server.c's design note 3), accumulates the body on the next
 * calls, then runs the route's handler, which fills req->resp_* (status,
 * content type, body).  Ingest handlers hand the parsed run to the writer
 * thread and suspend the connection; the writer resumes it after the group
 * commit, and the handler is called again to answer.  The completion
 * callback logs the request, records metrics and frees the req.
 */
#ifndef BV_SERVER_INT_H
#define BV_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "server/server.h"
#include "service/service.h"
#include "store/store.h"

struct MHD_Connection;
struct req;

enum access {
    ACCESS_PUBLIC = 0, /* never needs a token */
    ACCESS_READ = 1,   /* needs a read token when the server is private */
    ACCESS_WRITE = 2,  /* needs a write token */
    ACCESS_ADMIN = 3,  /* needs an admin token (a route without a project:
                          one for every project) */
};

typedef void (*route_fn)(struct req *rq);

/* The bodies a route takes (routes_body), checked from the headers before
 * any body byte is kept: the Content-Types allowed.  A POST, PUT or PATCH
 * route that names none takes any (the handler checks); a route of another
 * method takes no body at all. */
enum body_kind {
    BODY_ANY = 0,
    BODY_JSON = 1u << 0,      /* application/json, text/json, +json */
    BODY_TEXT = 1u << 1,      /* text/csv, text/plain */
    BODY_MULTIPART = 1u << 2, /* multipart/form-data */
    BODY_FORM = 1u << 3,      /* application/x-www-form-urlencoded */
};

struct route {
    const char *method;  /* "GET", "POST", "PATCH" ... */
    const char *pattern; /* "/api/v1/projects/{}/runs"; {} = one segment */
    route_fn fn;
    enum access access;
    const char *name; /* metrics label */
};

/* A body of a form route, and of any public body route the table of
 * bodies does not name: what an unauthenticated client may send. */
#define SRV_FORM_BODY_MAX (16u << 10)
/* A body's deadline grows by one second per this many bytes received. */
#define SRV_BODY_GRACE_BYTES (64u << 10)

#define ROUTE_MAX_PARAMS 4

/* ---- writer (group commit) ---------------------------------------------- */

/* What a job asks of the writer: a run to store, or a deletion (run on the
 * writer's connection, whose caches it must keep true). */
enum job_kind { JOB_INGEST = 0, JOB_DELETE = 1 };

struct ingest_job {
    enum job_kind kind;
    struct run run; /* owns */
    char *idem_key; /* owns; NULL when none */
    unsigned char body_hash[HASH_SHA256_LEN];
    int64_t token_id;
    struct req *rq; /* borrowed; resumed when done */
    /* out, set by the writer before it resumes the connection */
    enum err status;
    int64_t run_id, result_count;
    bool duplicate;
    struct errbuf eb;
    /* the alerts this run opened (svc_alerts_examine) */
    int64_t alert_ids[SVC_RUN_ALERTS_MAX];
    size_t nalerts;
    /* JOB_DELETE: the request (its strings in own[]) and the outcome */
    struct svc_delete_req del;
    char *own[3]; /* owns: del's project, target, actor */
    struct svc_delete_result del_out;
    struct ingest_job *next;
};

struct writer;

enum err writer_start(struct srv *s, struct writer **out, struct errbuf *eb);
/* Queues the job; the writer calls srv_job_done(job) after committing. */
void writer_submit(struct writer *w, struct ingest_job *job);
/* Finishes every queued job, then stops the thread and closes its store;
 * later submissions fail at once ("shutting down"). */
void writer_stop(struct writer *w);
/* Stops (if still running) and frees. */
void writer_free(struct writer *w);
void srv_job_done(struct ingest_job *job);

/* ---- metrics ------------------------------------------------------------ */

void metrics_record(struct srv *s, int route_index, unsigned status,
                    uint64_t ns);
void metrics_write(struct srv *s, struct buf *out);

#define METRICS_BUCKETS 14
#define METRICS_STATUS_SLOTS 20

struct metrics {
    _Atomic uint64_t *counts;  /* [route][status slot] */
    _Atomic uint64_t *buckets; /* [route][bucket] (cumulative on output) */
    _Atomic uint64_t *sum_us;  /* [route] */
    _Atomic uint64_t runs_ingested, results_ingested, ingest_batches;
    _Atomic uint64_t retention_runs; /* runs pruned or deleted */
};

/* ---- connection guard (conn.c) ----------------------------------------- */

/* Where a connection is in its request; each phase has its deadline. */
enum conn_phase {
    CONN_HEADERS, /* waiting for the request's headers */
    CONN_BODY,    /* headers in, body being received */
    CONN_WORK,    /* handler running, suspended, or answering: none */
};

struct conn_rec;
struct conn_table;

/* Makes the table and starts the watchdog thread (s->conns). */
enum err conn_table_start(struct srv *s, struct errbuf *eb);
/* Stops the watchdog and frees the table; after MHD_stop_daemon. */
void conn_table_stop(struct srv *s);
/* Accept policy: false (counted) when max_connections are held. */
bool conn_admit(struct srv *s);
/* A connection started / closed (MHD's notify-connection callback); the
 * record is owned by the table, fd borrowed from MHD. */
struct conn_rec *conn_opened(struct srv *s, int fd);
void conn_closed(struct srv *s, struct conn_rec *c);
/* Moves to phase p and sets its deadline (no-op when already there or for
 * NULL); conn_body_bytes extends the body deadline by bytes received. */
void conn_phase(struct srv *s, struct conn_rec *c, enum conn_phase p);
void conn_body_bytes(struct srv *s, struct conn_rec *c, size_t n);

/* ---- the server --------------------------------------------------------- */

struct read_pool {
    pthread_mutex_t lock;
    struct store **free; /* owns idle connections */
    size_t nfree, cap;
    struct store **all; /* owns every connection, for closing */
    size_t nall;
};

struct srv {
    struct srv_config cfg;
    char *db_path; /* owns */
    char *cors;    /* owns: cfg.cors_origins */
    struct MHD_Daemon *daemon;
    unsigned port;
    struct writer *writer;
    struct read_pool pool;
    struct metrics metrics;
    const struct route *routes;
    size_t nroutes;
    int64_t started_at;
    atomic_int inflight; /* requests begun and not completed */
    struct byte_cache *charts;
    struct byte_cache *answers; /* owns (answer_cache.c) */
    struct conn_table *conns;   /* owns */
};

/* Borrow a read connection (opened on demand); give it back after use. */
enum err srv_store_acquire(struct srv *s, struct store **out,
                           struct errbuf *eb);
void srv_store_release(struct srv *s, struct store *st);

/* ---- a request ---------------------------------------------------------- */

struct req {
    struct srv *srv;
    struct MHD_Connection *conn;
    const char *method; /* borrowed from MHD, valid all request */
    char *path;         /* owns (decoded) */
    int route_index;    /* -1: none */
    const struct route *route;
    char *params[ROUTE_MAX_PARAMS]; /* owns; path segments matched by {} */
    struct buf body;
    bool body_too_large;
    bool handled;
    bool counted; /* metrics recorded */
    uint64_t t0_ns;
    struct store_token token; /* valid when has_token */
    bool has_token;
    struct ingest_job *job; /* owns */
    bool job_submitted;
    atomic_bool job_done; /* set by the writer thread */
    /* the answer */
    unsigned status;
    const char *content_type; /* static string */
    struct buf resp;
    char *location;            /* owns; Location header */
    const char *www_auth;      /* WWW-Authenticate header */
    const char *retry_after;   /* Retry-After header (seconds) */
    char *etag;                /* owns; ETag header (quoted) */
    char *set_cookie;          /* owns; Set-Cookie header (pages) */
    const char *cache_control; /* NULL: "no-store" */
    char *allow;               /* owns; a 405's Allow header */
    size_t bytes_out;
    struct conn_rec *cr; /* borrowed: the connection's record */
    size_t body_limit;   /* this route's largest body */
    bool preflight;      /* OPTIONS on a GET route's path (cors.c) */
};

const char *req_arg(struct req *rq, const char *name);
/* req_arg, with an empty value as absent (NULL): "?branch=" means the
 * default, as no branch does. */
const char *req_arg_set(struct req *rq, const char *name);
/* A list page's "next_before": the last item's id when the page is full
 * (n == limit: there may be more), else null. */
void srv_write_cursor(struct jw *w, size_t n, int64_t limit, int64_t last_id);
/* The series a query names: benchmark (required: a 400 naming it, false),
 * measure, branch, testbed, stat (absent or empty: the default). */
bool srv_series_args(struct req *rq, struct store_series_query *q);
const char *req_header(struct req *rq, const char *name);

/* Answers with a problem+json built from an error and its errbuf. */
void req_problem(struct req *rq, enum err e, const struct errbuf *eb);
/* Answers with a problem+json with this status and detail. */
void req_problem_status(struct req *rq, unsigned status, const char *detail);
/*
 * Answers 400 for a bad query parameter: problem+json whose detail is
 * "query parameter \"name\": message" and whose one error names it
 * ({"pointer": null, "parameter": name, "message"}), never a body pointer.
 * Every query-parameter error goes through here or through an errbuf item
 * made by err_add_param (docs/api.md "Errors").
 */
void req_query_problem(struct req *rq, const char *name, const char *fmt, ...)
    CORE_PRINTF(3, 4);
/*
 * answer_cache.c.  Answers computed from a project's runs (the run page,
 * comparisons), kept under a key of the route, the path, every query
 * parameter, extra (borrowed; what else the answer depends on) and the
 * project's data version in the database.  srv_answer_cached fills key
 * (2 * HASH_SHA256_LEN + 1 bytes; "" when the version cannot be read)
 * and, on a hit, the answer (200, its content type, its bytes): true.
 * srv_answer_keep keeps a 200 answer under key after a miss.
 */
bool srv_answer_cached(struct req *rq, struct store *st, int64_t project_id,
                       const char *extra, char *key);
void srv_answer_keep(struct req *rq, const char *key);

/*
 * encoding.c.  Answers of SRV_GZIP_MIN bytes or more in JSON or HTML are
 * sent with Content-Encoding: gzip when the request's Accept-Encoding
 * accepts it; such answers say Vary: Accept-Encoding either way.
 * srv_gzip_answer replaces rq->resp by its gzip form and returns true, or
 * leaves it (not compressible, not asked, or zlib failed) and returns
 * false.
 */
#define SRV_GZIP_MIN 1024
bool srv_accepts_gzip(const char *accept_encoding);
bool srv_compressible(const char *content_type);
bool srv_gzip_answer(struct req *rq);
/*
 * request_text.c.  req_query_text_ok: true when every query parameter's
 * name and value is text (valid UTF-8, no NUL, no control character; empty
 * and blank allowed); else answers 400 naming the parameter and returns
 * false.  req_identity_encoding: true for a body with no Content-Encoding
 * (or identity); else answers 415 and returns false.
 */
bool req_query_text_ok(struct req *rq);
bool req_identity_encoding(struct req *rq);
/* Starts a JSON answer: status, content type, a writer over rq->resp. */
void req_json_begin(struct req *rq, unsigned status, struct jw *w);

/* HTTP status for an enum err: the one table at this edge. */
unsigned srv_status_for(enum err e);
const char *srv_reason(unsigned status);

/* Checks the token for the route's access; answers 401/403 itself and
 * returns false when the request may not go on. */
bool auth_check(struct req *rq, enum access need, const char *project);

/* ---- routes ------------------------------------------------------------- */

const struct route *routes_table(size_t *n);
/* Finds the route; -1 when none.  When the path matches routes of other
 * methods only, allow (if not NULL) receives them, "GET, HEAD, POST" (HEAD
 * with GET), in table order without repeats; it stays empty otherwise. */
int routes_match(const struct route *routes, size_t n, const char *method,
                 const char *path, char **params, struct buf *allow);
/* A body route's rule, from the table beside the routes (by name): the
 * Content-Types it takes (enum body_kind bits; 0: any, the handler checks)
 * and its largest body (0: limits.max_body).  Neither for a route not in
 * that table. */
void routes_body(const struct route *r, unsigned *kinds, size_t *max);

/* handlers */
void route_health(struct req *rq);
void route_metrics(struct req *rq);
void route_projects(struct req *rq);
void route_project_patch(struct req *rq);
/* A project as GET /api/v1/projects lists it. */
void srv_write_project(struct jw *w, const struct store_project *p);
void route_benchmarks(struct req *rq);
void route_measures(struct req *rq);
void route_branches(struct req *rq);
void route_testbeds(struct req *rq);
void route_runs_list(struct req *rq);
void route_run_get(struct req *rq);
void route_series(struct req *rq);
/* what is worse now (route_regressions.c) */
void route_regressions(struct req *rq);
void route_ingest(struct req *rq);
/* statistics engine: route_compare.c, route_budgets.c */
void route_compare(struct req *rq);
void route_budgets_get(struct req *rq);
void route_budgets_put(struct req *rq);
void route_run_budgets(struct req *rq);
void route_chart_trend(struct req *rq);
void route_chart_trend_points(struct req *rq);
void route_chart_sparkline(struct req *rq);
void route_chart_compare(struct req *rq);
/* distribution.png and .svg: one comparison row's samples, by default
 * SRV_DIST_WIDTH x SRV_DIST_HEIGHT (pages that embed it say so too). */
void route_chart_distribution(struct req *rq);
void route_chart_distribution_svg(struct req *rq);
#define SRV_DIST_WIDTH 560
#define SRV_DIST_HEIGHT 340
void route_chart_resources(struct req *rq);
void route_chart_scaling(struct req *rq);

/* ---- chart cache (route_charts.c) --------------------------------------- */

/* ---- byte_cache.c: a bounded LRU of answers by key (charts by ETag, run
 *      pages and comparisons by content, answer_cache.c) ---------------- */
#define BYTE_CACHE_KEY_MAX 80
struct byte_cache;
struct byte_cache *byte_cache_create(size_t max_entries, size_t max_bytes);
void byte_cache_free(struct byte_cache *c);
/* Appends the bytes kept under key to out and gives their content type;
 * false on a miss (out untouched) or a NULL cache. */
bool byte_cache_get(struct byte_cache *c, const char *key, struct buf *out,
                    const char **ctype);
/* Keeps a copy under key (strlen < BYTE_CACHE_KEY_MAX); a key already kept
 * stays as it is; nothing past a quarter of the byte bound is kept. */
void byte_cache_put(struct byte_cache *c, const char *key, const void *data,
                    size_t len, const char *ctype);

/*
 * Common start of a /projects/{p}/... or /p/{p}/... route: auth for the
 * route's access, a read connection, the project (rq->params[0]).  Returns
 * the connection (release it with srv_store_release) or NULL after
 * answering (401/403/404/5xx).
 */
struct store *srv_project_begin(struct req *rq, struct store_project *proj);

/* ---- regression detection (alerts.c, route_alerts.c) -------------------- */

/* Writes the alerts of rq->job as a JSON array (empty without a job). */
void srv_write_job_alerts(struct req *rq, struct jw *w);
/* Writes the change points of series s (full analysis with the project's
 * parameters) as a JSON array. */
void srv_write_series_change_points(struct jw *w, struct store *st,
                                    int64_t project_id, const struct series *s);
void route_alerts_list(struct req *rq);
void route_alert_patch(struct req *rq);
/* route_webhooks.c */
void route_webhooks_list(struct req *rq);
void route_webhook_add(struct req *rq);
void route_webhook_delete(struct req *rq);

/* ---- operations (route_ops.c, route_tokens.c, openapi.c) --------------- */

/* DELETE a run, benchmark, branch or project (through the writer). */
void route_run_delete(struct req *rq);
void route_benchmark_delete(struct req *rq);
void route_branch_delete(struct req *rq);
void route_project_delete(struct req *rq);
void route_deletions(struct req *rq);
void route_retention_get(struct req *rq);
void route_retention_put(struct req *rq);
void route_tokens_list(struct req *rq);
void route_token_create(struct req *rq);
void route_token_revoke(struct req *rq);
void route_openapi(struct req *rq);
/* Who the request acts as, for the deletion log: "token NAME (id N)". */
void srv_actor(const struct req *rq, char *out, size_t len);
/* CORS (cors.c): whether the request's Origin may read this route's answer
 * (a GET route and an origin in --cors-origin); the answer's headers. */
const char *srv_cors_origin(struct req *rq);

/* Writes a run (with results when it has them) as a JSON object. */
void srv_write_run(struct jw *w, const struct run *r, bool with_results);

#endif /* BV_SERVER_INT_H */
