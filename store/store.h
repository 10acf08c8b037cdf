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
    STORE_RW = 0,      /* create if missing, migrate, write */
    STORE_READONLY = 1 /* existing database, queries only */
};

/*
 * Opens (and for STORE_RW creates and migrates) the database at path.
 * Sets WAL, foreign keys, a busy timeout and synchronous=FULL.  *created is
 * set when the file had no schema before (NULL allowed).  ERR_DB or ERR_IO
 * with a message on failure; *out is NULL then.
 */
enum err store_open(const char *path, enum store_mode mode,
                    struct store **out, bool *created, struct errbuf *eb);
void store_close(struct store *st);

/* ---- writes ------------------------------------------------------------ */

/* One run to insert, with its outcome. */
struct store_insert {
    /* in (borrowed) */
    struct run *run;                  /* run->project names the project */
    const char *idempotency_key;      /* NULL: none */
    const unsigned char *body_hash;   /* HASH_SHA256_LEN bytes or NULL */
    /* out */
    enum err status;      /* ERR_OK, ERR_CONFLICT (unit/direction clash or
                             idempotency key reused with another body),
                             ERR_INVALID, ERR_DB */
    int64_t run_id;
    int64_t result_count;
    bool duplicate;       /* the idempotency key was seen: run_id is the
                             first run's and nothing was written */
    struct errbuf eb;     /* detail when status != ERR_OK; the caller
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

/* Sets a project's description (the demo's label).  ERR_NOT_FOUND. */
enum err store_project_describe(struct store *st, const char *project,
                                const char *description);

/* ---- reads ------------------------------------------------------------- */

struct store_project {
    int64_t id;
    char *slug, *description; /* description may be NULL */
    int64_t created_at;
    int64_t run_count;
    int64_t last_run_at;      /* TIME_NONE without runs */
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
    const char *branch;   /* NULL: all branches */
    int64_t before_id;    /* 0: from the newest */
    int limit;            /* 1..1000 */
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
    char *project;        /* NULL: every project */
    int64_t created_at, last_used_at, revoked_at; /* TIME_NONE if never */
};

/*
 * Creates a token of 32 random bytes from the OS.  *secret (caller frees)
 * is "bv_" followed by 64 hex digits; only its SHA-256 is stored.
 */
enum err store_token_create(struct store *st, const char *name,
                            enum token_scope scope, const char *project,
                            char **secret, int64_t *id, struct errbuf *eb);
/*
 * Finds the live token whose secret this is (SHA-256, then a constant-time
 * comparison of the stored hash).  ERR_AUTH when unknown or revoked.
 */
enum err store_token_lookup(struct store *st, const char *secret,
                            struct store_token *out);
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

/* ---- statistics engine: baselines, history, budgets --------------------- */
/* (declarations for the statistics issue go here) */

/* ---- change points and alerts -------------------------------------------- */
/* (declarations for the regression-detection issue go here) */

/* ---- maintenance ------------------------------------------------------- */

/* Database size in bytes (main file plus WAL). */
enum err store_db_size(struct store *st, int64_t *bytes);
/* PRAGMA integrity_check; *ok true when it says "ok". */
enum err store_integrity_check(struct store *st, bool *ok,
                               struct errbuf *eb);
/* Counts for tests and metrics. */
enum err store_count_runs(struct store *st, int64_t *runs, int64_t *results);
/* SQLite's version text, for /api/health. */
const char *store_engine_version(void);

#endif /* BV_STORE_H */
