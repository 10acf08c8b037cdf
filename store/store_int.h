/*
 * store_int.h: what the files of store/ share; nothing outside store/
 * includes it.  It holds the connection struct, the per-connection prepared
 * statement cache, the id cache of the write path, and small helpers that
 * bind parameters and read columns with SQLite's NULL mapped to the core
 * model's "absent" values (TIME_NONE, NAN, NULL).
 *
 * Ownership: struct store owns its sqlite3 handle, every cached statement
 * and every cache entry.  Statements from store_stmt() are borrowed from the
 * connection: the caller hands them back with store_stmt_done() on every
 * path, which resets them (ending any implicit read transaction) and clears
 * their bindings (text and blobs are bound SQLITE_STATIC, so a binding must
 * not outlive the borrowed string it points to).
 */
#ifndef BV_STORE_INT_H
#define BV_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/*
 * One slot per SQL statement the module runs.  The SQL text sits at its
 * call site, next to its bindings; the slot only names the cache entry.
 */
enum store_sql {
    SQ_BEGIN_IMMEDIATE,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_SAVEPOINT,
    SQ_RELEASE,
    SQ_ROLLBACK_TO,
    /* write path */
    SQ_PROJECT_FIND,
    SQ_PROJECT_INSERT,
    SQ_BRANCH_FIND,
    SQ_BRANCH_INSERT,
    SQ_TESTBED_FIND,
    SQ_TESTBED_INSERT,
    SQ_TESTBED_SET_INFO,
    SQ_BENCHMARK_FIND,
    SQ_BENCHMARK_INSERT,
    SQ_MEASURE_FIND,
    SQ_MEASURE_INSERT,
    SQ_RUN_INSERT,
    SQ_RESULT_INSERT,
    SQ_RESOURCE_INSERT,
    SQ_IDEMPOTENCY_FIND,
    SQ_RUN_RESULT_COUNT,
    SQ_PROJECT_DESCRIBE,
    SQ_PROJECT_SET_REPOSITORY,
    /* reads */
    SQ_PROJECT_GET,
    SQ_PROJECTS_LIST,
    SQ_BENCHMARKS_LIST,
    SQ_MEASURES_LIST,
    SQ_BRANCHES_LIST,
    SQ_TESTBEDS_LIST,
    SQ_RUNS_LIST,
    SQ_RUNS_LIST_BRANCH,
    SQ_RUNS_LIST_FILTER,
    SQ_RUN_GET,
    SQ_RUN_RESULTS,
    SQ_RUN_RESOURCES,
    /* series */
    SQ_SERIES_BENCHMARK_BY_KEY,
    SQ_SERIES_BENCHMARK_BY_ID,
    SQ_SERIES_MEASURE_BY_NAME,
    SQ_SERIES_MEASURE_HAS,
    SQ_SERIES_MEASURES_OF,
    SQ_SERIES_BRANCH_BY_NAME,
    SQ_SERIES_TESTBED_BY_NAME,
    SQ_SERIES_LATEST_BRANCH,
    SQ_SERIES_BRANCH_HAS,
    SQ_SERIES_LATEST_TESTBED,
    SQ_SERIES_POINTS,
    /* tokens */
    SQ_TOKEN_INSERT,
    SQ_TOKEN_BY_HASH,
    SQ_TOKENS_LIST,
    SQ_TOKEN_REVOKE_ID,
    SQ_TOKEN_REVOKE_NAME,
    SQ_TOKEN_TOUCH,
    SQ_TOKEN_GET,
    /* sessions (store_session.c) */
    SQ_SESSION_INSERT,
    SQ_SESSION_BY_HASH,
    SQ_SESSION_TOUCH,
    SQ_SESSION_DELETE,
    SQ_SESSIONS_EXPIRE,
    /* maintenance */
    SQ_PAGE_COUNT,
    SQ_PAGE_SIZE,
    SQ_COUNT_RUNS,
    SQ_COUNT_RESULTS,
    /* statistics engine: compare baselines, run-to-run history, budgets */
    SQ_STATS_RUN_REF,
    SQ_STATS_RUN_PICK,
    SQ_STATS_HISTORY,
    SQ_STATS_BUDGETS,
    SQ_STATS_SETTINGS_GET,
    SQ_STATS_PROJECT_ENSURE,
    SQ_STATS_PROJECT_ID,
    SQ_STATS_BUDGETS_DELETE,
    SQ_STATS_BUDGET_INSERT,
    SQ_STATS_SETTINGS_SET,
    /* change points and alerts */
    /* (add SQ_ALERT_* / SQ_CPD_* entries here) */
    SQ_CPD_SERIES_OF_RUN,
    SQ_CPD_SETTINGS_GET,
    SQ_CPD_SETTINGS_SET,
    SQ_CPD_TAIL,
    SQ_CPD_KNOWN,
    SQ_CPD_INSERT,
    SQ_CPD_UPDATE,
    SQ_ALERT_INSERT,
    SQ_ALERT_UPDATE_OPEN,
    SQ_ALERT_RESOLVE,
    SQ_ALERTS_LIST,
    SQ_ALERT_GET,
    SQ_ALERT_SET,
    SQ_ALERTS_OPEN_COUNT,
    /* deletion and retention (store_delete.c) */
    SQ_DEL_RUN_CHECK,
    SQ_DEL_RUN_COUNT,
    SQ_DEL_ALERTS_LIVE,
    SQ_DEL_ALERTS_RESOLVE,
    SQ_DEL_RUN,
    SQ_DEL_LOG,
    SQ_DEL_BENCH_FIND,
    SQ_DEL_BENCH_COUNT,
    SQ_DEL_BENCH,
    SQ_DEL_BRANCH_FIND,
    SQ_DEL_BRANCH_COUNT,
    SQ_DEL_BRANCH,
    SQ_DEL_PROJECT_FIND,
    SQ_DEL_PROJECT_COUNT,
    SQ_DEL_PROJECT,
    SQ_DEL_LOG_LIST,
    SQ_RET_GET,
    SQ_RET_SET,
    SQ_RET_PROJECTS,
    SQ_RET_PRUNE_PICK,
    SQ_RET_PRUNE_RESULTS,
    SQ_RET_PRUNE_RESOURCES,
    SQ_RET_PRUNE_MARK,
    SQ_RET_OLD_RUNS,
    SQ_ALERTS_BY_PROJECT,
    SQ_WEBHOOK_ADD,
    SQ_WEBHOOK_LIST,
    SQ_WEBHOOK_DELETE,
    SQ_DELIVERY_DUE,
    SQ_DELIVERY_CLAIM,
    SQ_DELIVERY_DONE,
    SQ_DELIVERY_LIST,
    /* per-series summaries (store_summary.c) */
    SQ_SUMMARY_COUNT,
    SQ_SUMMARY_TAIL,
    SQ_SUMMARY_GET,
    SQ_SUMMARY_PUT,
    SQ_SUMMARY_DROP,
    SQ_SUMMARY_SERIES,
    SQ_SUMMARIES_LIST,
    SQ_SUMMARIES_OF,
    SQ_PROJECT_VERSION,
    SQ__COUNT
};

/* ---- the id cache of the write path ----------------------------------- */

enum store_cache_kind {
    CK_PROJECT = 1, /* slug -> id */
    CK_BRANCH,      /* (project, name) -> id */
    CK_TESTBED,     /* (project, name) -> id, text = info */
    CK_BENCHMARK,   /* (project, key) -> id */
    CK_MEASURE      /* (project, name) -> id, text = unit, dir */
};

/* Cleared wholesale when it would grow past this many entries. */
#define STORE_CACHE_MAX 100000

struct store_cache_entry {
    char *key;  /* owns; NULL marks an empty slot */
    char *text; /* owns; may be NULL */
    uint64_t hash;
    int64_t parent; /* project id, 0 for projects */
    int64_t id;
    int kind;
    int dir; /* enum direction, measures only */
};

/* Open addressing with linear probing; no deletions, only clears. */
struct store_cache {
    struct store_cache_entry *slot; /* owns */
    size_t cap;                     /* 0 or a power of two */
    size_t count;
};

void store_cache_init(struct store_cache *c);
void store_cache_cleanup(struct store_cache *c);
/* Forgets every entry (keeps the memory of the table). */
void store_cache_clear(struct store_cache *c);
/* The entry or NULL; the pointer is valid until the next put or clear. */
struct store_cache_entry *store_cache_find(struct store_cache *c, int kind,
                                           int64_t parent, const char *key);
/*
 * Adds (or replaces) an entry; copies key and text.  The returned pointer is
 * valid until the next put or clear.
 */
struct store_cache_entry *store_cache_put(struct store_cache *c, int kind,
                                          int64_t parent, const char *key,
                                          int64_t id, const char *text,
                                          int dir);

/* ---- the connection ---------------------------------------------------- */

struct store {
    sqlite3 *db; /* owns */
    char *path;  /* owns; for the -wal file's size */
    enum store_mode mode;
    sqlite3_stmt *stmt[SQ__COUNT];   /* owns; prepared on first use */
    const char *stmt_sql[SQ__COUNT]; /* the text each slot was built from */
    struct store_cache cache;        /* write path only */
    unsigned char *scratch;          /* owns; big-endian sample encoding */
    size_t scratch_cap;
    size_t text_repaired; /* values bv_utf8_repair() changed (migration 5) */
};

/*
 * The cached statement of slot id, prepared from sql on first use (sql must
 * be the same literal at every use of a slot).  ERR_DB with a message.
 */
enum err store_stmt(struct store *st, enum store_sql id, const char *sql,
                    sqlite3_stmt **out, struct errbuf *eb);
/* Resets s and clears its bindings; NULL-safe.  Call on every path. */
void store_stmt_done(sqlite3_stmt *s);

/* Sets "what: <sqlite message>" into eb and returns ERR_DB. */
enum err store_db_err(struct store *st, struct errbuf *eb, const char *what);
/* The err for an SQLite result code: SQLITE_FULL (the disk, or the
 * max_page_count quota) is ERR_FULL, SQLITE_IOERR and SQLITE_CANTOPEN
 * ERR_IO, SQLITE_NOMEM ERR_NOMEM, anything else ERR_DB. */
enum err store_err_of(int rc);
/* Adds run run_id's points to their series' summaries (store_summary.c);
 * inside the caller's transaction, after the run's results. */
enum err store_summary_add_run(struct store *st, int64_t run_id,
                               struct errbuf *eb);
/* Recomputes series ser's summary from its results, inside the caller's
 * transaction (after a delete); drops the row of a series left without
 * results. */
enum err store_summary_refresh(struct store *st,
                               const struct store_cpd_series *ser,
                               struct errbuf *eb);
/* The newest schema version this binary knows (its last migration). */
int store_schema_newest(void);

/* Runs a cached statement that takes no parameters and returns no row. */
enum err store_exec(struct store *st, enum store_sql id, const char *sql,
                    struct errbuf *eb);

/* ---- binding: sequential parameters with a sticky first error ---------- */

struct store_bind {
    sqlite3_stmt *s; /* borrows */
    int i;           /* the last parameter bound */
    int rc;          /* the first bind error, SQLITE_OK until then */
};

void store_bind_start(struct store_bind *b, sqlite3_stmt *s);
void store_bind_int(struct store_bind *b, int64_t v);
/* NULL when v == none (TIME_NONE for times, 0 for "no PR", ...). */
void store_bind_int_or_null(struct store_bind *b, int64_t v, int64_t none);
/* NULL when v is NAN. */
void store_bind_double(struct store_bind *b, double v);
/* Borrowed until store_stmt_done; NULL binds NULL. */
void store_bind_text(struct store_bind *b, const char *s);
void store_bind_blob(struct store_bind *b, const void *p, size_t n);
void store_bind_null(struct store_bind *b);
/* ERR_DB with a message when a bind failed. */
enum err store_bind_check(struct store *st, const struct store_bind *b,
                          struct errbuf *eb, const char *what);

/*
 * Steps s: ERR_OK with *row true (a row is there to read) or false (done);
 * ERR_DB with "what: message" on any other outcome.
 */
enum err store_step(struct store *st, sqlite3_stmt *s, bool *row,
                    struct errbuf *eb, const char *what);
/* store_bind_check, then one store_step of b's statement: the common way to
 * run a bound statement (*row false on any error). */
enum err store_step_bound(struct store *st, const struct store_bind *b,
                          bool *row, struct errbuf *eb, const char *what);

/* ---- columns: SQLite NULL as the model's "absent" ---------------------- */

char *store_col_str(sqlite3_stmt *s, int i);    /* xstrdup; NULL for NULL */
int64_t store_col_time(sqlite3_stmt *s, int i); /* TIME_NONE for NULL */
int64_t store_col_int_or(sqlite3_stmt *s, int i, int64_t dflt);
double store_col_double(sqlite3_stmt *s, int i); /* NAN for NULL */
/* "lower"/"higher" -> enum direction; DIR_UNSET for anything else. */
enum direction store_col_direction(sqlite3_stmt *s, int i);

/* ---- samples: one BLOB of little-endian IEEE 754 float64 --------------- */

/*
 * Encodes n samples.  *blob borrows v itself on little-endian hosts (no
 * copy: a 1,000,000-sample result is 8 MB), else st->scratch; either way it
 * is valid until the next call or until v is freed.
 */
void store_samples_encode(struct store *st, const double *v, size_t n,
                          const void **blob, size_t *len);
/* Decodes into a new array (*out NULL when n is 0); ERR_DB when len is not
 * a multiple of 8. */
enum err store_samples_decode(const void *blob, size_t len, double **out,
                              size_t *n);

#endif /* BV_STORE_INT_H */
