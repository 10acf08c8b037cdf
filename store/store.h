/*
 * store: the data-access layer.  The only code that sees SQLite; callers see
 * an opaque struct store and the core model.  The interface is written so
 * that a PostgreSQL implementation could sit beside this one.
 *
 * Thread model: one struct store is one database connection and is used by
 * one thread at a time (the caller serialises).  The server keeps a pool of
 * read connections, one per worker thread, and exactly one write connection
 * owned by its writer thread, which batches several runs into one
 * transaction (group commit).  WAL mode lets reads proceed during a write.
 *
 * Durability: synchronous=FULL, so a run whose insert returned ERR_OK
 * survives power loss.
 *
 * Ownership: every out-parameter struct or array is owned by the caller and
 * released with the matching *_free / *_cleanup function.  Input structs are
 * borrowed.
 */
#ifndef BV_STORE_H
#define BV_STORE_H

#include "core/core.h"

struct store;

enum store_mode {
    STORE_RW = 0,         /* create if missing, migrate, write */
    STORE_READONLY = 1,   /* existing database, queries only */
    STORE_RW_EXISTING = 2 /* existing database only, migrate, write */
};

/*
 * Opens (and for STORE_RW creates and migrates) the database at path.
 * Sets WAL, foreign keys, a busy timeout and synchronous=FULL.  *created is
 * set when the file had no schema before (NULL allowed).  ERR_DB or ERR_IO
 * with a message on failure; *out is NULL then.  STORE_RW_EXISTING is
 * ERR_NOT_FOUND, and leaves the path as it was, when no file is there or
 * the file holds no benchvault schema (a mistyped path never becomes a new
 * empty database); STORE_READONLY is ERR_NOT_FOUND for the latter too.
 */
enum err store_open(const char *path, enum store_mode mode, struct store **out,
                    bool *created, struct errbuf *eb);
void store_close(struct store *st);

/* ---- backups (store_backup.c) ------------------------------------------ */

struct store_backup_info {
    int64_t schema_version, runs, pages, page_size;
};
/*
 * Copies the database at db_path, while a server may be writing it, into
 * out_path as one consistent snapshot (SQLite's online backup API), checks
 * the copy (integrity_check, schema) and renames it into place.
 * ERR_NOT_FOUND, ERR_INVALID (not a benchvault database, or a broken one),
 * ERR_FULL, ERR_IO.
 */
enum err store_backup(const char *db_path, const char *out_path,
                      struct store_backup_info *info, struct errbuf *eb);
/* integrity_check and a schema this binary knows; ERR_INVALID if not. */
enum err store_check_file(const char *path, struct store_backup_info *info,
                          struct errbuf *eb);
/*
 * Checks the backup from, then copies it into db_path through SQLite (no
 * file is renamed from under a -wal file).  An existing db_path is
 * ERR_CONFLICT unless force; no server may be using it.
 */
enum err store_restore(const char *from, const char *db_path, bool force,
                       struct store_backup_info *info, struct errbuf *eb);

/* ---- writes ------------------------------------------------------------ */

/* One run to insert, with its outcome. */
struct store_insert {
    /* in (borrowed) */
    struct run *run;                /* run->project names the project */
    const char *idempotency_key;    /* NULL: none */
    const unsigned char *body_hash; /* HASH_SHA256_LEN bytes or NULL */
    /* out */
    enum err status; /* ERR_OK, ERR_CONFLICT (unit/direction clash or
                        idempotency key reused with another body),
                        ERR_INVALID, ERR_DB */
    int64_t run_id;
    int64_t result_count;
    bool duplicate;   /* the idempotency key was seen: run_id is the
                         first run's and nothing was written */
    struct errbuf eb; /* detail when status != ERR_OK; the caller
                         err_init()s it and err_cleanup()s it */
};

/*
 * Inserts n runs in one BEGIN IMMEDIATE transaction, each under its own
 * savepoint: a run that fails is rolled back alone and the others commit.
 * Creates the project, branch, testbed, benchmarks and measures it needs.
 * Returns ERR_OK when the transaction committed (look at each item's
 * status); otherwise every item failed with ERR_DB and nothing was written.
 */
enum err store_runs_insert(struct store *st, struct store_insert *items,
                           size_t n, struct errbuf *eb);

/*
 * Looks up an idempotency key of a project: ERR_OK with *run_id and
 * *result_count when the key exists with the same body hash (or body_hash is
 * NULL), ERR_CONFLICT when it exists with a different body, ERR_NOT_FOUND
 * when unknown.
 */
enum err store_idempotent_get(struct store *st, const char *project,
                              const char *key, const unsigned char *body_hash,
                              int64_t *run_id, int64_t *result_count);

/* Sets a project's repository URL (NULL clears it); the caller checked
 * it (an http or https URL).  ERR_NOT_FOUND, ERR_DB (store_project.c). */
enum err store_project_set_repository(struct store *st, const char *project,
                                      const char *url, struct errbuf *eb);

/* Sets a project's description (the demo's label).  ERR_NOT_FOUND. */
enum err store_project_describe(struct store *st, const char *project,
                                const char *description);

/* ---- reads ------------------------------------------------------------- */

struct store_project {
    int64_t id;
    char *slug, *description; /* description may be NULL */
    int64_t created_at;
    int64_t run_count;
    int64_t last_run_at;  /* TIME_NONE without runs */
    char *repository_url; /* NULL: unknown (schema 0008) */
};

struct store_benchmark {
    int64_t id;
    char *key, *name, *params;
};

struct store_measure {
    int64_t id;
    char *name, *unit;
    enum direction direction;
};

struct store_branch {
    int64_t id;
    char *name;
    int64_t run_count;
    int64_t last_run_at;
};

struct store_testbed {
    int64_t id;
    char *name, *info; /* info: JSON object text */
};

/* ERR_NOT_FOUND when the project does not exist. */
enum err store_project_get(struct store *st, const char *slug,
                           struct store_project *out);
void store_project_cleanup(struct store_project *p);

enum err store_projects_list(struct store *st, struct store_project **out,
                             size_t *n, struct errbuf *eb);
void store_projects_free(struct store_project *p, size_t n);

/* Lists of a project's entities, ordered by name (key). */
enum err store_benchmarks_list(struct store *st, int64_t project_id,
                               struct store_benchmark **out, size_t *n,
                               struct errbuf *eb);
void store_benchmarks_free(struct store_benchmark *b, size_t n);
enum err store_measures_list(struct store *st, int64_t project_id,
                             struct store_measure **out, size_t *n,
                             struct errbuf *eb);
void store_measures_free(struct store_measure *m, size_t n);
enum err store_branches_list(struct store *st, int64_t project_id,
                             struct store_branch **out, size_t *n,
                             struct errbuf *eb);
void store_branches_free(struct store_branch *b, size_t n);
enum err store_testbeds_list(struct store *st, int64_t project_id,
                             struct store_testbed **out, size_t *n,
                             struct errbuf *eb);
void store_testbeds_free(struct store_testbed *t, size_t n);

struct store_run_filter {
    const char *branch;  /* NULL: all branches */
    int64_t before_id;   /* 0: from the newest */
    int limit;           /* 1..1000 */
    const char *testbed; /* NULL: all testbeds */
    const char *commit;  /* NULL: any; else a prefix of the commit sha */
};

/*
 * Runs of a project, newest first (by id), without results: each run's
 * result_count is set and results is empty.  *out is an array of n runs,
 * freed with store_runs_free.
 */
enum err store_runs_list(struct store *st, int64_t project_id,
                         const struct store_run_filter *f, struct run **out,
                         size_t *n, struct errbuf *eb);
void store_runs_free(struct run *runs, size_t n);

/*
 * One run of a project with its results (samples included) and resource
 * samples.  The caller run_init()s out and run_cleanup()s it.
 * ERR_NOT_FOUND when the run is not in that project.
 */
enum err store_run_get(struct store *st, int64_t project_id, int64_t run_id,
                       struct run *out, struct errbuf *eb);

struct store_series_query {
    const char *benchmark; /* key, or decimal id */
    const char *measure;   /* NULL: the benchmark's only measure, else
                              "latency" if it has it, else ERR_INVALID */
    const char *branch;    /* NULL: "main" if it has runs, else the branch
                              of the latest run of the benchmark */
    const char *testbed;   /* NULL: the testbed of the latest run of the
                              benchmark on that branch */
    const char *stat;      /* NULL or "value", "mean", "median", "min",
                              "max" */
};

/*
 * A series in commit order (commit time, then run start, then ingest time,
 * then run id).  ERR_NOT_FOUND for an unknown benchmark, measure, branch or
 * testbed; ERR_INVALID for a bad stat or an ambiguous measure.  The caller
 * series_cleanup()s out, also on failure.
 */
enum err store_series_get(struct store *st, int64_t project_id,
                          const struct store_series_query *q,
                          struct series *out, struct errbuf *eb);

/* ---- tokens ------------------------------------------------------------ */

enum token_scope { SCOPE_READ = 0, SCOPE_WRITE = 1, SCOPE_ADMIN = 2 };

const char *token_scope_str(enum token_scope s);
enum err token_scope_parse(const char *s, enum token_scope *out);

struct store_token {
    int64_t id;
    char *name;
    enum token_scope scope;
    char *project;                                /* NULL: every project */
    int64_t created_at, last_used_at, revoked_at; /* TIME_NONE if never */
    int64_t expires_at;                           /* TIME_NONE: never */
};

/*
 * Creates a token of 32 random bytes from the OS.  *secret (caller frees)
 * is "bv_" followed by 64 hex digits; only its SHA-256 is stored.
 */
enum err store_token_create(struct store *st, const char *name,
                            enum token_scope scope, const char *project,
                            char **secret, int64_t *id, struct errbuf *eb);
/*
 * store_token_create with an expiry (ms since the epoch; TIME_NONE: never).
 * ERR_INVALID ("expires_at: ...") for an expiry not in the future.
 */
enum err store_token_create_until(struct store *st, const char *name,
                                  enum token_scope scope, const char *project,
                                  int64_t expires_at, char **secret,
                                  int64_t *id, struct errbuf *eb);
/*
 * Finds the live token whose secret this is (SHA-256, then a constant-time
 * comparison of the stored hash).  ERR_AUTH when unknown, revoked or
 * expired; for an expired one out->expires_at (alone) holds the expiry, so
 * the caller can say why (it is 0 otherwise).
 */
enum err store_token_lookup(struct store *st, const char *secret,
                            struct store_token *out);
/* One token by id (revoked and expired ones too); ERR_NOT_FOUND. */
enum err store_token_get(struct store *st, int64_t id, struct store_token *out,
                         struct errbuf *eb);
/* Revokes token id (not a name); ERR_NOT_FOUND.  Revoking twice keeps
 * the first time. */
enum err store_token_revoke_id(struct store *st, int64_t id, struct errbuf *eb);
void store_token_cleanup(struct store_token *t);
enum err store_tokens_list(struct store *st, struct store_token **out,
                           size_t *n, struct errbuf *eb);
void store_tokens_free(struct store_token *t, size_t n);
/* Revokes by id (decimal) or by name; ERR_NOT_FOUND. */
enum err store_token_revoke(struct store *st, const char *id_or_name,
                            struct errbuf *eb);
/* Records use: sets last_used_at = now for these ids. */
enum err store_tokens_touch(struct store *st, const int64_t *ids, size_t n,
                            int64_t now);

/* ---- browser sessions (store_session.c) --------------------------------- */

/* A session id as the cookie carries it: 64 lowercase hex digits. */
#define STORE_SESSION_ID_LEN 64

struct store_session {
    int64_t id; /* the row, for store_session_touch */
    int64_t created_at, last_seen_at;
    struct store_token token; /* owns: the token it was made from, now */
};

/*
 * Makes a session for token_id at now: *sid (caller frees) is 32 random
 * bytes from the OS as hex; only its SHA-256 is stored.  ERR_DB.
 */
enum err store_session_create(struct store *st, int64_t token_id, int64_t now,
                              char **sid, struct errbuf *eb);
/*
 * Finds the live session of sid: known, its token not revoked, seen less
 * than idle_ms ago and made less than max_ms ago.  ERR_AUTH otherwise
 * (also for a malformed sid); ERR_DB.  store_session_cleanup(out) after.
 */
enum err store_session_lookup(struct store *st, const char *sid, int64_t now,
                              int64_t idle_ms, int64_t max_ms,
                              struct store_session *out);
void store_session_cleanup(struct store_session *s);
/* Moves the idle expiry: last_seen_at = now (never backwards). */
enum err store_session_touch(struct store *st, int64_t id, int64_t now,
                             struct errbuf *eb);
/* Ends the session of sid (sign out); ERR_OK when there was none. */
enum err store_session_delete(struct store *st, const char *sid,
                              struct errbuf *eb);
/* Deletes the sessions those limits have ended and those of revoked
 * tokens; *deleted says how many. */
enum err store_sessions_expire(struct store *st, int64_t now, int64_t idle_ms,
                               int64_t max_ms, int64_t *deleted,
                               struct errbuf *eb);

/* ---- statistics engine: baselines, history, budgets --------------------- */
/* (store/store_stats.c) "Commit order" is the series order: commit time,
 * else run start, else ingest time, then run id. */

/* A run as comparisons need it. */
struct store_run_ref {
    int64_t id, branch_id, testbed_id;
    char *branch, *testbed, *commit_sha; /* owns */
    int64_t time;                        /* commit order key (ms) */
    int64_t pr_number;                   /* 0: not a pull request */
    char *base_branch;                   /* owns; NULL */
    char *base_commit;        /* owns; metadata "base_commit" (a sha, or an
                                 object's "sha"), NULL when absent */
    int64_t base_commit_time; /* metadata "base_commit_time" or
                                 "base_commit"."time"; TIME_NONE */
};
void store_run_ref_cleanup(struct store_run_ref *r);

/* Run run_id of the project; ERR_NOT_FOUND.  The caller cleans out up. */
enum err store_run_ref_get(struct store *st, int64_t project_id, int64_t run_id,
                           struct store_run_ref *out, struct errbuf *eb);

struct store_run_pick {
    const char *branch;  /* NULL: any branch */
    const char *testbed; /* NULL: any testbed */
    const char *commit;  /* NULL: any; else a sha or a prefix of >= 4 */
    int64_t before;      /* TIME_NONE, else commit time (or start) <= */
    int64_t before_id;   /* 0, else with before: strictly before the run
                            (before, before_id) in commit order, ties by id */
};
/* The latest run in commit order matching q; ERR_NOT_FOUND when none.
 * The caller cleans out up. */
enum err store_run_pick(struct store *st, int64_t project_id,
                        const struct store_run_pick *q,
                        struct store_run_ref *out, struct errbuf *eb);

/* One run's result of one series, for run-to-run noise. */
struct store_history_point {
    char *key, *measure; /* owns: benchmark key, measure name */
    int64_t run_id;
    double value;    /* result.value */
    double *samples; /* owns; NULL when the result has none */
    size_t nsamples;
};
/*
 * The results (value and samples) of the last `limit` runs (1..1000)
 * on branch_id x testbed_id that come at or before run upto in commit
 * order, leaving out the runs in exclude[0..nexclude).  *out (free with
 * store_history_free) is ordered by key, measure, run id.
 */
enum err store_history_values(struct store *st, int64_t project_id,
                              int64_t branch_id, int64_t testbed_id,
                              const struct store_run_ref *upto,
                              const int64_t *exclude, size_t nexclude,
                              int limit, struct store_history_point **out,
                              size_t *n, struct errbuf *eb);
void store_history_free(struct store_history_point *p, size_t n);

/* A budget rule: measure "max"/"min" threshold (canonical unit). */
struct store_budget {
    int64_t id;
    char *benchmark_glob, *measure, *unit; /* owns */
    bool is_max;
    double threshold;
};
/*
 * A project's budgets (in id order) and its comparison settings: the JSON
 * object text stored under settings "compare" (*settings NULL when none;
 * caller frees).  Free the rules with store_budgets_free.
 */
enum err store_budgets_get(struct store *st, int64_t project_id,
                           struct store_budget **out, size_t *n,
                           char **settings, struct errbuf *eb);
void store_budgets_free(struct store_budget *b, size_t n);
/*
 * Replaces every budget of project (created if it does not exist yet) by
 * rules[0..n), and, when settings is not NULL, its comparison settings
 * (JSON object text) under settings "compare", other settings kept; one
 * transaction.  Needs a STORE_RW connection.  ERR_DB.
 */
enum err store_budgets_put(struct store *st, const char *project,
                           const struct store_budget *rules, size_t n,
                           const char *settings, struct errbuf *eb);

/* ---- change points and alerts -------------------------------------------- */
/* (declarations for the regression-detection issue go here) */
/*
 * (store/store_alerts.c)  The change points ingest finds (table
 * change_point, both directions) and the alerts a person triages (table
 * alert: regressions, status open / acknowledged / dismissed / resolved).
 */

/* One series: benchmark x measure x branch x testbed of a project. */
struct store_cpd_series {
    int64_t project_id, benchmark_id, measure_id, branch_id, testbed_id;
    enum direction direction; /* the measure's */
};

struct store_cpd_point {
    int64_t run_id;
    int64_t time; /* commit order key */
    double value; /* result.value */
};

/* A series a run has a result in, and that result as a point. */
struct store_cpd_touch {
    struct store_cpd_series s;
    struct store_cpd_point p;
    int64_t npoints; /* the series' results now (its summary's count, as
                        committed when read; 0 without a summary): what a
                        cache of the series' tail checks itself against */
};
/* The series run run_id has results in: *out (caller frees), *n. */
enum err store_cpd_series_of_run(struct store *st, int64_t run_id,
                                 struct store_cpd_touch **out, size_t *n,
                                 struct errbuf *eb);

/* A project's change-point settings (settings "changepoints": window, p,
 * magnitude, min_size); a field not set is 0 (integers) or NAN. */
struct store_cpd_settings {
    int64_t window, min_size;
    double p, magnitude;
};
enum err store_cpd_settings_get(struct store *st, int64_t project_id,
                                struct store_cpd_settings *out,
                                struct errbuf *eb);
/* Stores the fields that are set (non-zero, not NAN) for the project slug,
 * all in one transaction or none; ERR_NOT_FOUND for an unknown project,
 * ERR_FULL, ERR_IO, ERR_DB. */
enum err store_cpd_settings_set(struct store *st, const char *project,
                                const struct store_cpd_settings *in,
                                struct errbuf *eb);

/*
 * The newest limit points of a series by ingest order (an index walk, so
 * the cost does not grow with the history), returned in commit order.
 * *out (caller frees).
 */
enum err store_cpd_tail(struct store *st, const struct store_cpd_series *s,
                        size_t limit, struct store_cpd_point **out, size_t *n,
                        struct errbuf *eb);

/* A recorded change point of a series and the state of its alert. */
struct store_cpd_known {
    int64_t id, first_run_id, alert_id; /* alert_id 0: none */
    bool regression;
    char status[16]; /* the alert's status; "" without one */
    double before, after;
};
/* The series' change points with a live (open or acknowledged) alert, then
 * the newest others, at most limit; *out (caller frees). */
enum err store_cpd_known_list(struct store *st,
                              const struct store_cpd_series *s, size_t limit,
                              struct store_cpd_known **out, size_t *n,
                              struct errbuf *eb);

enum store_cpd_op {
    STORE_CPD_INSERT = 0, /* record a change point (a regression opens an
                             alert) */
    STORE_CPD_UPDATE = 1, /* move / restate a recorded one (its alert too
                             while open) */
    STORE_CPD_RESOLVE = 2 /* the series is back: resolve alert_id */
};
struct store_cpd_action {
    enum store_cpd_op op;
    const struct store_cpd_series *series; /* borrowed; INSERT */
    int64_t id;                            /* UPDATE: the change point */
    int64_t alert_id;                      /* UPDATE (0: none), RESOLVE */
    bool regression;                       /* INSERT */
    int64_t first_run_id, last_run_id;
    double before, after, change, p_value;
    int64_t new_alert_id; /* out: INSERT of a regression */
};
/* Applies the actions in one transaction (all or nothing); ERR_DB. */
enum err store_cpd_apply(struct store *st, struct store_cpd_action *a, size_t n,
                         struct errbuf *eb);

struct store_alert {
    int64_t id, project_id, benchmark_id;
    char *project, *benchmark, *measure, *unit, *branch, *testbed; /* owns */
    enum direction direction;
    char *kind, *status, *note;                 /* owns; note NULL when none */
    int64_t first_bad_run_id, last_good_run_id; /* 0 when absent */
    char *first_bad_commit, *last_good_commit;  /* owns; NULL when absent */
    double before, after, change, p_value;      /* NAN when absent */
    int64_t created_at, updated_at;
};
void store_alert_cleanup(struct store_alert *a);
void store_alerts_free(struct store_alert *a, size_t n);
/*
 * A project's alerts, newest first: status NULL for all, before_id 0 for
 * the newest, limit 1..1000.  ERR_INVALID for an unknown status.
 */
enum err store_alerts_list(struct store *st, int64_t project_id,
                           const char *status, int64_t before_id, int limit,
                           struct store_alert **out, size_t *n,
                           struct errbuf *eb);
/* One alert of any project; ERR_NOT_FOUND.  The caller cleans out up. */
enum err store_alert_get(struct store *st, int64_t id, struct store_alert *out,
                         struct errbuf *eb);
/*
 * Sets an alert's status and note (NULL: unchanged; "" clears the note).
 * ERR_NOT_FOUND; ERR_INVALID for an unknown status, a note that is not
 * text (text_valid: UTF-8, no control character but TAB/LF/CR, at most
 * STORE_NOTE_MAX bytes; eb says "note: ..."), or dismissed without a note
 * (stored or given).  Every writer (the API, the triage form) gets the
 * same check here.
 */
#define STORE_NOTE_MAX 4096
enum err store_alert_update(struct store *st, int64_t id, const char *status,
                            const char *note, struct errbuf *eb);
/* Whether s is an alert status (open, acknowledged, dismissed, resolved). */
bool store_alert_status_valid(const char *s);
/* Alerts by project (for /metrics' labelled gauges): every project, also
 * those with none, in slug order. */
struct store_alert_tally {
    char *project; /* owns: the slug */
    int64_t open, acknowledged;
};
enum err store_alerts_by_project(struct store *st,
                                 struct store_alert_tally **out, size_t *n);
void store_alert_tally_free(struct store_alert_tally *v, size_t n);

/* ---- webhooks (store_webhook.c; triggers on alert fill the outbox) ----- */

struct store_webhook {
    int64_t id, project_id;
    char *url, *format; /* owns; format "json" or "slack" */
    int64_t created_at;
    int64_t pending, delivered, failed; /* deliveries by state */
    int64_t last_status; /* HTTP status of the newest attempt; 0 none */
    char *last_error;    /* owns; the newest attempt's error, or NULL */
};
/* Adds a receiver of project_id's alert transitions (url and secret
 * checked by the caller); *id is its id. */
enum err store_webhook_add(struct store *st, int64_t project_id,
                           const char *url, const char *secret,
                           const char *format, int64_t *id, struct errbuf *eb);
/* A project's webhooks (no secrets), oldest first. */
enum err store_webhooks_list(struct store *st, int64_t project_id,
                             struct store_webhook **out, size_t *n,
                             struct errbuf *eb);
void store_webhooks_free(struct store_webhook *v, size_t n);
/* Deletes one with its pending deliveries; ERR_NOT_FOUND when project_id
 * has no webhook id. */
enum err store_webhook_delete(struct store *st, int64_t project_id, int64_t id,
                              struct errbuf *eb);

struct store_delivery {
    int64_t id, webhook_id, alert_id; /* alert_id 0 when the alert is gone */
    char *event;                      /* owns: "alert.opened", ... */
    char *url, *secret, *format, *project; /* owns */
    int64_t created_at;
    int attempts; /* counting the one just claimed */
};
/*
 * Claims up to limit deliveries due at now (ms): each gets its attempt
 * counted and next_at = now + lease_ms in one transaction, so no other
 * sender takes it until the lease ends (store_webhook.c note 2).
 */
enum err store_deliveries_claim(struct store *st, int64_t now, int64_t lease_ms,
                                int limit, struct store_delivery **out,
                                size_t *n, struct errbuf *eb);
void store_deliveries_free(struct store_delivery *v, size_t n);
/* Records an attempt: state "delivered", "failed" (given up) or "pending"
 * (again at next_at; TIME_NONE keeps the lease's); status 0 when no answer
 * came; error NULL when none. */
enum err store_delivery_done(struct store *st, int64_t id, const char *state,
                             long status, const char *error, int64_t next_at,
                             struct errbuf *eb);

/* ---- per-series summaries (store/store_summary.c) ------------------------ */
/* One row per series, kept up to date by every ingest inside its
 * transaction (schema/0008_series_summary.sql): what the dashboard, the
 * sparklines and "worse now" read instead of the series' history. */

#define STORE_SUMMARY_TAIL 32 /* values of a series' newest points kept */

struct store_summary {
    int64_t project_id, benchmark_id, measure_id, branch_id, testbed_id;
    int64_t npoints;                 /* results of the series */
    int64_t newest_run_id;           /* highest run id (ingest order) */
    int64_t last_run_id;             /* the last point in commit order, */
    int64_t last_time;               /* and its commit order key */
    double tail[STORE_SUMMARY_TAIL]; /* the last ntail values, commit order */
    size_t ntail;                    /* min(npoints, STORE_SUMMARY_TAIL) */
    double center; /* median of the last 20 values; NAN below 3 */
    double noise;  /* stddev / |mean| of the last 10; NAN below 3 */
};
/* The stored summary of a series (*found false when it has none). */
enum err store_summary_get(struct store *st, const struct store_cpd_series *s,
                           struct store_summary *out, bool *found,
                           struct errbuf *eb);
/* The same computed from the series' results (a full read of its history):
 * what the stored row must equal.  *found false for a series without
 * results. */
enum err store_summary_compute(struct store *st,
                               const struct store_cpd_series *s,
                               struct store_summary *out, bool *found,
                               struct errbuf *eb);
/* Recomputes every summary row of a project (0: of every project) from
 * the results, in the caller's transaction or its own statement. */
enum err store_summary_rebuild(struct store *st, int64_t project_id,
                               struct errbuf *eb);

/* A series' summary with its names and its live change-point alert. */
struct store_summary_row {
    struct store_summary s;
    char *key, *measure, *unit, *branch, *testbed; /* owns */
    enum direction direction;
    int64_t alert_id;             /* the newest open (else acknowledged)
                                     change-point alert; 0: none */
    bool alert_open;              /* that alert is open */
    double alert_change;          /* its change; NAN */
    char *alert_first_bad_commit; /* owns; NULL */
};
/*
 * The summaries of a project's series (benchmark NULL) or of one
 * benchmark's (its key, else its decimal id, as store_series_get reads
 * it; none for an unknown one), ordered by benchmark key, measure name,
 * then series age.  *out (store_summaries_free) and *n.  ERR_DB.
 */
enum err store_summaries_list(struct store *st, int64_t project_id,
                              const char *benchmark,
                              struct store_summary_row **out, size_t *n,
                              struct errbuf *eb);
void store_summaries_free(struct store_summary_row *r, size_t n);

/*
 * A text that changes whenever what a comparison of the project reads
 * changes: its newest run (runs are never changed after their ingest, and
 * every new run gets a higher id) and its run count (a deleted run), its
 * budgets, its settings, its repository URL and its alerts' last triage
 * (the pages show both).  For
 * caches of answers computed from a project's runs: two servers on one
 * database read the same version.  ERR_NOT_FOUND, ERR_DB.
 */
enum err store_project_version(struct store *st, int64_t project_id,
                               struct buf *out, struct errbuf *eb);

/* ---- deletion and retention (store_delete.c) ---------------------------- */
/*
 * Each delete is one BEGIN IMMEDIATE transaction on a STORE_RW connection
 * and writes one row of the deletion log (who, what, when).  The run,
 * benchmark or branch must belong to project_id: another project's is
 * ERR_NOT_FOUND, exactly as a missing one.  An alert whose first bad run
 * goes is kept, resolved (when open or acknowledged) with a note naming
 * the deleted run, instead of vanishing with it.  The connection's id
 * cache is cleared (a deleted branch or benchmark must not be reused).
 */
struct store_delete_out {
    int64_t runs, results, alerts_resolved;
    /* store_delete_run: the series the run had results in, and its point in
     * each, as before the delete (caller frees), for re-examination. */
    struct store_cpd_touch *touched;
    size_t ntouched;
    int64_t log_id; /* the deletion row */
};
void store_delete_out_cleanup(struct store_delete_out *o);
enum err store_delete_run(struct store *st, int64_t project_id, int64_t run_id,
                          const char *actor, struct store_delete_out *out,
                          struct errbuf *eb);
/* By key or decimal id (store_series_query's rule). */
enum err store_delete_benchmark(struct store *st, int64_t project_id,
                                const char *benchmark, const char *actor,
                                struct store_delete_out *out,
                                struct errbuf *eb);
enum err store_delete_branch(struct store *st, int64_t project_id,
                             const char *branch, const char *actor,
                             struct store_delete_out *out, struct errbuf *eb);
/* Everything of the project (runs, results, alerts, budgets, settings);
 * tokens naming it stay (a slug is not a foreign key). */
enum err store_delete_project(struct store *st, const char *slug,
                              const char *actor, struct store_delete_out *out,
                              struct errbuf *eb);

/* One row of the deletion log. */
struct store_deletion {
    int64_t id;
    char *project, *kind, *target, *actor; /* owns */
    int64_t runs, results, alerts_resolved, created_at;
};
/* A project's log (slug; also after the project is gone), newest first,
 * at most limit (1..1000).  Free with store_deletions_free. */
enum err store_deletions_list(struct store *st, const char *project, int limit,
                              struct store_deletion **out, size_t *n,
                              struct errbuf *eb);
void store_deletions_free(struct store_deletion *d, size_t n);

/*
 * Per-project retention (project settings "retention"); 0 days: forever.
 * Ages are the run's time: started_at, else commit time, else ingest time.
 */
struct store_retention {
    int64_t samples_days;      /* then raw samples go, summaries stay */
    int64_t default_runs_days; /* runs of the default branch */
    int64_t branch_runs_days;  /* runs of every other branch (PRs) */
    char *default_branch;      /* owns; NULL: "main" */
};
void store_retention_cleanup(struct store_retention *r);
/* The project's settings (all 0 and NULL when none are set). */
enum err store_retention_get(struct store *st, int64_t project_id,
                             struct store_retention *out, struct errbuf *eb);
/* Replaces them; ERR_NOT_FOUND for an unknown project. */
enum err store_retention_set(struct store *st, int64_t project_id,
                             const struct store_retention *in,
                             struct errbuf *eb);
/*
 * One retention batch over every project at time now: at most batch runs
 * have their raw samples dropped (run.pruned_at set), or at most batch runs
 * past their branch's limit deleted (as store_delete_run, actor
 * "retention", one log row per project and batch), each batch its own
 * short transaction.  *pruned and *deleted count the runs handled (both
 * 0: nothing left to do).
 */
enum err store_retention_step(struct store *st, int64_t now, size_t batch,
                              int64_t *pruned, int64_t *deleted,
                              struct errbuf *eb);

/* ---- maintenance ------------------------------------------------------- */

/* Database size in bytes (main file plus WAL). */
enum err store_db_size(struct store *st, int64_t *bytes);
/* PRAGMA integrity_check; *ok true when it says "ok". */
enum err store_integrity_check(struct store *st, bool *ok, struct errbuf *eb);
/* Counts for tests and metrics. */
enum err store_count_runs(struct store *st, int64_t *runs, int64_t *results);
/* SQLite's version text, for /api/health. */
const char *store_engine_version(void);

#endif /* BV_STORE_H */
