/*
 * store.c: opening, migrating and closing a connection, the statement cache
 * and the small binding and column helpers the other files share, and the
 * maintenance queries.
 *
 * Design notes:
 * 1. One struct store is one sqlite3 connection opened with
 *    SQLITE_OPEN_NOMUTEX: SQLite's own mutexes are off because the caller
 *    guarantees one thread at a time per connection (store.h).
 * 2. Every connection sets busy_timeout first (so that the journal-mode
 *    switch and the migration wait for a concurrent opener instead of
 *    failing), then journal_mode=WAL, foreign_keys=ON and synchronous=FULL.
 *    FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power
 *    loss, and a 201 answer promises the run is stored.
 * 3. Migrations: each schema_migrations[] entry above PRAGMA user_version
 *    runs inside its own BEGIN IMMEDIATE transaction together with the
 *    user_version bump, and user_version is read again after BEGIN
 *    IMMEDIATE, so two processes opening a new file at once migrate it
 *    exactly once (the second waits on the write lock, then sees the new
 *    version).
 * 4. STORE_RW_EXISTING is STORE_RW for a file that must already be a
 *    benchvault database: it opens without SQLITE_OPEN_CREATE and reads
 *    user_version before anything writes (the WAL switch would), so a
 *    wrong path or an empty file is refused untouched (STORE_READONLY
 *    makes the same check, to say the same thing).
 *    STORE_READONLY opens the file read-write but sets query_only: a
 *    SQLITE_OPEN_READONLY connection cannot create the -shm file of a WAL
 *    database whose writer has gone, while query_only reads at any time and
 *    still refuses every write.  It never migrates: a database whose schema
 *    is older than this binary must be opened read-write once.
 * 5. Statements are prepared on first use with SQLITE_PREPARE_PERSISTENT and
 *    kept until store_close; each use resets them (store_stmt_done).  A
 *    statement left un-reset would hold a read transaction open, pinning an
 *    old snapshot and blocking checkpoints, which is why every caller resets
 *    on every path.
 * 6. temp_store=MEMORY matters for speed, not for temp tables: every run is
 *    written under a SAVEPOINT, and SQLite journals each page a savepoint
 *    touches in a statement journal.  On disk that is a pwrite per page
 *    (about 40 per run of 10 results, half the cost of an insert); in
 *    memory it is a memcpy.  The journal holds one run's pages at a time
 *    (it is truncated at each RELEASE), and only pages that existed before
 *    the savepoint, so even a run with huge sample BLOBs keeps it small.
 */
#include "store/store_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema/schema.h"

#define BUSY_TIMEOUT_MS 5000
#define BUSY_RETRY_MS 10

/* ---- statement cache and helpers --------------------------------------- */

enum err store_err_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return ERR_FULL;
    case SQLITE_IOERR:
        return ERR_IO;
    case SQLITE_NOMEM:
        return ERR_NOMEM;
    default:
        return ERR_DB;
    }
}

enum err store_db_err(struct store *st, struct errbuf *eb, const char *what)
{
    err_set(eb, "%s: %s", what,
            st && st->db ? sqlite3_errmsg(st->db) : "no database");
    return st && st->db ? store_err_of(sqlite3_extended_errcode(st->db))
                        : ERR_DB;
}

enum err store_stmt(struct store *st, enum store_sql id, const char *sql,
                    sqlite3_stmt **out, struct errbuf *eb)
{
    int rc;

    assert(id >= 0 && id < SQ__COUNT);
    *out = NULL;
    if (st->stmt[id]) {
        /* One slot, one text: two call sites sharing a slot is a bug. */
        assert(st->stmt_sql[id] == sql || strcmp(st->stmt_sql[id], sql) == 0);
        *out = st->stmt[id];
        return ERR_OK;
    }
    rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                            &st->stmt[id], NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st->stmt[id]);
        st->stmt[id] = NULL;
        return store_db_err(st, eb, "prepare");
    }
    st->stmt_sql[id] = sql;
    *out = st->stmt[id];
    return ERR_OK;
}

void store_stmt_done(sqlite3_stmt *s)
{
    if (!s)
        return;
    /* The return value repeats the last step's error, already handled. */
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
}

enum err store_exec(struct store *st, enum store_sql id, const char *sql,
                    struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    bool row;
    enum err e;

    e = store_stmt(st, id, sql, &s, eb);
    if (e == ERR_OK)
        e = store_step(st, s, &row, eb, sql);
    store_stmt_done(s);
    return e;
}

void store_bind_start(struct store_bind *b, sqlite3_stmt *s)
{
    b->s = s;
    b->i = 0;
    b->rc = SQLITE_OK;
}

void store_bind_int(struct store_bind *b, int64_t v)
{
    b->i++;
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_int64(b->s, b->i, v);
}

void store_bind_int_or_null(struct store_bind *b, int64_t v, int64_t none)
{
    if (v == none)
        store_bind_null(b);
    else
        store_bind_int(b, v);
}

void store_bind_double(struct store_bind *b, double v)
{
    if (isnan(v)) {
        store_bind_null(b);
        return;
    }
    b->i++;
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_double(b->s, b->i, v);
}

void store_bind_text(struct store_bind *b, const char *s)
{
    if (!s) {
        store_bind_null(b);
        return;
    }
    b->i++;
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_text(b->s, b->i, s, -1, SQLITE_STATIC);
}

void store_bind_blob(struct store_bind *b, const void *p, size_t n)
{
    if (!p || n == 0) {
        store_bind_null(b);
        return;
    }
    b->i++;
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_blob64(b->s, b->i, p, (sqlite3_uint64)n,
                                    SQLITE_STATIC);
}

void store_bind_null(struct store_bind *b)
{
    b->i++;
    if (b->rc == SQLITE_OK)
        b->rc = sqlite3_bind_null(b->s, b->i);
}

enum err store_bind_check(struct store *st, const struct store_bind *b,
                          struct errbuf *eb, const char *what)
{
    if (b->rc == SQLITE_OK) {
        /* Every parameter of the statement got a value. */
        assert(b->i == sqlite3_bind_parameter_count(b->s));
        return ERR_OK;
    }
    err_set(eb, "%s: binding parameter %d: %s", what, b->i,
            sqlite3_errstr(b->rc));
    (void)st;
    return ERR_DB;
}

enum err store_step(struct store *st, sqlite3_stmt *s, bool *row,
                    struct errbuf *eb, const char *what)
{
    int rc = sqlite3_step(s);

    *row = false;
    if (rc == SQLITE_ROW) {
        *row = true;
        return ERR_OK;
    }
    if (rc == SQLITE_DONE)
        return ERR_OK;
    return store_db_err(st, eb, what);
}

enum err store_step_bound(struct store *st, const struct store_bind *b,
                          bool *row, struct errbuf *eb, const char *what)
{
    enum err e = store_bind_check(st, b, eb, what);

    *row = false;
    if (e == ERR_OK)
        e = store_step(st, b->s, row, eb, what);
    return e;
}

char *store_col_str(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);

    return t ? xstrdup((const char *)t) : NULL;
}

int64_t store_col_time(sqlite3_stmt *s, int i)
{
    return store_col_int_or(s, i, TIME_NONE);
}

int64_t store_col_int_or(sqlite3_stmt *s, int i, int64_t dflt)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return dflt;
    return sqlite3_column_int64(s, i);
}

double store_col_double(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(s, i);
}

enum direction store_col_direction(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    enum direction d = DIR_UNSET;

    if (t)
        (void)direction_parse((const char *)t, &d);
    return d;
}

/* ---- samples ------------------------------------------------------------ */

/*
 * The BLOB format is little-endian float64 whatever the host.  On a
 * little-endian host the in-memory array is already that format; elsewhere
 * each double goes through a uint64_t (IEEE 754 hosts store doubles in the
 * same byte order as integers) and out byte by byte.
 */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) &&             \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LITTLE_ENDIAN 1
#else
#define HOST_LITTLE_ENDIAN 0
#endif

_Static_assert(sizeof(double) == 8 && sizeof(uint64_t) == 8,
               "samples are stored as 8-byte IEEE 754 doubles");

void store_samples_encode(struct store *st, const double *v, size_t n,
                          const void **blob, size_t *len)
{
    *blob = NULL;
    *len = 0;
    if (n == 0)
        return;
    *len = n * 8;
    if (HOST_LITTLE_ENDIAN) {
        *blob = v;
        return;
    }
    if (st->scratch_cap < *len) {
        free(st->scratch);
        st->scratch = xmalloc(*len);
        st->scratch_cap = *len;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t u;

        memcpy(&u, &v[i], 8);
        for (int k = 0; k < 8; k++)
            st->scratch[i * 8 + (size_t)k] = (unsigned char)(u >> (8 * k));
    }
    *blob = st->scratch;
}

enum err store_samples_decode(const void *blob, size_t len, double **out,
                              size_t *n)
{
    const unsigned char *p = blob;
    double *v;

    *out = NULL;
    *n = 0;
    if (len % 8 != 0)
        return ERR_DB;
    if (len == 0 || !blob)
        return ERR_OK;
    v = xmalloc(len);
    if (HOST_LITTLE_ENDIAN) {
        memcpy(v, p, len);
    } else {
        for (size_t i = 0; i < len / 8; i++) {
            uint64_t u = 0;

            for (int k = 0; k < 8; k++)
                u |= (uint64_t)p[i * 8 + (size_t)k] << (8 * k);
            memcpy(&v[i], &u, 8);
        }
    }
    *out = v;
    *n = len / 8;
    return ERR_OK;
}

/* ---- open, migrate, close ---------------------------------------------- */

int store_schema_newest(void)
{
    int v = 0;

    for (size_t i = 0; i < schema_migration_count; i++)
        if (schema_migrations[i].version > v)
            v = schema_migrations[i].version;
    return v;
}

/* Runs one pragma that returns a single integer (or NULL: *v = 0). */
static enum err pragma_int(struct store *st, const char *sql, int64_t *v,
                           struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    enum err e = ERR_OK;
    int rc;

    *v = 0;
    rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) {
        e = store_db_err(st, eb, sql);
        goto out;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        e = store_db_err(st, eb, sql);
out:
    sqlite3_finalize(s);
    return e;
}

/*
 * Runs a pragma and checks that its single text answer is want.  Retries
 * SQLITE_BUSY for up to BUSY_TIMEOUT_MS: switching a new file to WAL while
 * another process does the same can answer BUSY without consulting the busy
 * handler, so busy_timeout alone does not cover it.
 */
static enum err pragma_expect(struct store *st, const char *sql,
                              const char *want, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    enum err e = ERR_OK;
    int rc, waited = 0;

    for (;;) {
        rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(s);
        if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
            break;
        sqlite3_finalize(s);
        s = NULL;
        waited += sqlite3_sleep(BUSY_RETRY_MS);
    }
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);

        if (!t || strcmp((const char *)t, want) != 0) {
            err_set(eb, "%s: got \"%s\", want \"%s\"", sql,
                    t ? (const char *)t : "", want);
            e = ERR_DB;
        }
    } else {
        e = store_db_err(st, eb, sql);
    }
    sqlite3_finalize(s);
    return e;
}

static enum err exec_sql(struct store *st, const char *sql, const char *what,
                         struct errbuf *eb)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        err_set(eb, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return ERR_DB;
    }
    return ERR_OK;
}

/* Applies one migration and its user_version bump in one transaction. */
static enum err migrate_one(struct store *st, const struct schema_migration *m,
                            bool *applied, struct errbuf *eb)
{
    char bump[64];
    int64_t uv;
    enum err e;
    bool in_tx = false;

    *applied = false;
    e = exec_sql(st, "BEGIN IMMEDIATE", "begin migration", eb);
    if (e != ERR_OK)
        goto out;
    in_tx = true;
    /* Another process may have migrated while we waited for the lock. */
    e = pragma_int(st, "PRAGMA user_version", &uv, eb);
    if (e != ERR_OK || uv >= m->version)
        goto out;
    e = exec_sql(st, m->sql, m->name, eb);
    if (e != ERR_OK)
        goto out;
    /* A pragma takes no bound parameter; the number is ours, not input. */
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", m->version);
    e = exec_sql(st, bump, m->name, eb);
    if (e != ERR_OK)
        goto out;
    e = exec_sql(st, "COMMIT", "commit migration", eb);
    if (e != ERR_OK)
        goto out;
    in_tx = false;
    *applied = true;
out:
    if (in_tx) {
        if (e == ERR_OK)
            e = exec_sql(st, "COMMIT", "commit migration", eb);
        else if (!sqlite3_get_autocommit(st->db))
            (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return e;
}

static enum err migrate(struct store *st, int64_t uv, bool *created,
                        struct errbuf *eb)
{
    enum err e = ERR_OK;
    bool applied, any = false;

    for (int v = (int)uv + 1; v <= store_schema_newest(); v++) {
        const struct schema_migration *m = NULL;

        for (size_t i = 0; i < schema_migration_count; i++)
            if (schema_migrations[i].version == v)
                m = &schema_migrations[i];
        if (!m)
            continue; /* numbering may skip */
        e = migrate_one(st, m, &applied, eb);
        if (e != ERR_OK)
            return e;
        if (applied) {
            log_info("store: applied migration %s", m->name);
            /* Created: this process made the first schema.  Another
             * process may apply later migrations of the same new file
             * between ours (each is its own transaction), so "applied one
             * while the file was new" would let two processes both claim
             * it. */
            if (m->version == 1)
                any = true;
        }
    }
    *created = any;
    return e;
}

/* ---- text repair (migration 0005_repair_text.sql) ---------------------- */

/* bv_utf8_valid(x): 1 unless x is text that is not UTF-8 (NULL, numbers and
 * BLOBs are not text to repair). */
static void sql_utf8_valid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *s;

    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_int(ctx, 1);
        return;
    }
    s = (const char *)sqlite3_value_text(argv[0]);
    sqlite3_result_int(
        ctx, !s || text_utf8_valid(s, (size_t)sqlite3_value_bytes(argv[0])));
}

/* bv_utf8_repair(x): x with each byte that starts no UTF-8 sequence
 * replaced by U+FFFD; anything else unchanged.  Counts what it changed in
 * the connection's store (the user data). */
static void sql_utf8_repair(sqlite3_context *ctx, int argc,
                            sqlite3_value **argv)
{
    struct store *st = sqlite3_user_data(ctx);
    const char *s;
    size_t n, nbad = 0;
    struct buf b;

    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    s = (const char *)sqlite3_value_text(argv[0]);
    n = (size_t)sqlite3_value_bytes(argv[0]);
    buf_init(&b, 0);
    if (!s || text_utf8_repair(&b, s, n, &nbad) != ERR_OK || !nbad) {
        sqlite3_result_value(ctx, argv[0]);
    } else {
        st->text_repaired++;
        sqlite3_result_text(ctx, buf_str(&b), (int)b.len, SQLITE_TRANSIENT);
    }
    buf_cleanup(&b);
}

static enum err text_functions(struct store *st, struct errbuf *eb)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;

    if (sqlite3_create_function_v2(st->db, "bv_utf8_valid", 1, flags, NULL,
                                   sql_utf8_valid, NULL, NULL,
                                   NULL) != SQLITE_OK ||
        sqlite3_create_function_v2(
            st->db, "bv_utf8_repair", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, st,
            sql_utf8_repair, NULL, NULL, NULL) != SQLITE_OK)
        return store_db_err(st, eb, "register text functions");
    return ERR_OK;
}

static enum err open_error(int rc, sqlite3 *db, const char *path,
                           struct errbuf *eb)
{
    err_set(eb, "cannot open database %s: %s", path,
            db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return ERR_IO;
    default:
        return ERR_DB;
    }
}

enum err store_open(const char *path, enum store_mode mode, struct store **out,
                    bool *created, struct errbuf *eb)
{
    struct store *st = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    int64_t uv;
    int newest = store_schema_newest();
    bool made = false;
    enum err e = ERR_OK;
    int rc;

    *out = NULL;
    if (created)
        *created = false;
    if (!path || !*path) {
        err_set(eb, "no database path");
        return ERR_INVALID;
    }
    if (mode == STORE_RW)
        flags |= SQLITE_OPEN_CREATE;
    if (mode == STORE_RW_EXISTING) {
        struct stat sb;

        if (stat(path, &sb) != 0 && errno == ENOENT) {
            err_set(eb, "no database at %s", path);
            return ERR_NOT_FOUND;
        }
    }
    st = xcalloc(1, sizeof *st);
    st->mode = mode;
    st->path = xstrdup(path);
    store_cache_init(&st->cache);
    rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        e = open_error(rc, st->db, path, eb);
        goto out;
    }
    (void)sqlite3_extended_result_codes(st->db, 1);
    rc = sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK) {
        e = store_db_err(st, eb, "busy_timeout");
        goto out;
    }
    if (mode != STORE_RW) {
        e = pragma_int(st, "PRAGMA user_version", &uv, eb);
        if (e != ERR_OK) {
            err_set(eb, "cannot read database %s: %s", path,
                    sqlite3_errmsg(st->db));
            goto out;
        }
        if (uv == 0) {
            err_set(eb,
                    "%s is not a benchvault database (it holds no "
                    "benchvault schema)",
                    path);
            e = ERR_NOT_FOUND;
            goto out;
        }
    }
    if (mode != STORE_READONLY) {
        e = pragma_expect(st, "PRAGMA journal_mode = WAL", "wal", eb);
        if (e != ERR_OK)
            goto out;
        e = exec_sql(st, "PRAGMA synchronous = FULL", "synchronous", eb);
        if (e != ERR_OK)
            goto out;
        /* Truncates the -wal file to 64 MiB after a checkpoint; without
         * it one burst of ingest would leave a huge file behind. */
        e = exec_sql(st, "PRAGMA journal_size_limit = 67108864",
                     "journal_size_limit", eb);
        if (e != ERR_OK)
            goto out;
    } else {
        e = exec_sql(st, "PRAGMA query_only = ON", "query_only", eb);
        if (e != ERR_OK)
            goto out;
    }
    e = exec_sql(st, "PRAGMA foreign_keys = ON", "foreign_keys", eb);
    /* 16 MiB of page cache: the series and result indexes stay hot. */
    if (e == ERR_OK)
        e = exec_sql(st, "PRAGMA cache_size = -16384", "cache_size", eb);
    /* Keeps each savepoint's statement journal in memory: on disk it costs
     * a pwrite per page a run touches (note 6). */
    if (e == ERR_OK)
        e = exec_sql(st, "PRAGMA temp_store = MEMORY", "temp_store", eb);
    if (e != ERR_OK)
        goto out;

    e = pragma_int(st, "PRAGMA user_version", &uv, eb);
    if (e != ERR_OK) {
        /* A file that is not SQLite fails here, at its first read. */
        err_set(eb, "cannot read database %s: %s", path,
                sqlite3_errmsg(st->db));
        goto out;
    }
    if (uv > newest) {
        err_set(eb,
                "database schema version %lld is newer than this "
                "benchvault (%d)",
                (long long)uv, newest);
        e = ERR_DB;
        goto out;
    }
    if (mode != STORE_READONLY && uv < newest) {
        e = text_functions(st, eb);
        if (e == ERR_OK)
            e = migrate(st, uv, &made, eb);
        if (e != ERR_OK)
            goto out;
        if (st->text_repaired)
            log_warn("store: %s: %zu stored text values were not valid "
                     "UTF-8 (written before version 5 checked them); each "
                     "bad byte was replaced by U+FFFD",
                     path, st->text_repaired);
    } else if (mode == STORE_READONLY && uv < newest) {
        err_set(eb,
                "database schema version %lld is older than this "
                "benchvault (%d): open it read-write once to migrate",
                (long long)uv, newest);
        e = ERR_DB;
        goto out;
    }
out:
    if (e != ERR_OK) {
        store_close(st);
        return e;
    }
    if (created)
        *created = made;
    *out = st;
    return ERR_OK;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < SQ__COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    if (st->db) {
        /* Every statement is finalized above, so close cannot be busy. */
        int rc = sqlite3_close(st->db);

        if (rc != SQLITE_OK)
            log_error("store: closing %s: %s", st->path, sqlite3_errstr(rc));
    }
    store_cache_cleanup(&st->cache);
    free(st->scratch);
    free(st->path);
    free(st);
}

/* ---- maintenance ------------------------------------------------------- */

const char *store_engine_version(void)
{
    return sqlite3_libversion();
}

static enum err one_int(struct store *st, enum store_sql id, const char *sql,
                        int64_t *v)
{
    sqlite3_stmt *s = NULL;
    enum err e;
    bool row;

    *v = 0;
    e = store_stmt(st, id, sql, &s, NULL);
    if (e != ERR_OK)
        goto out;
    e = store_step(st, s, &row, NULL, sql);
    if (e == ERR_OK && row)
        *v = sqlite3_column_int64(s, 0);
out:
    store_stmt_done(s);
    return e;
}

enum err store_db_size(struct store *st, int64_t *bytes)
{
    int64_t pages, page_size;
    struct stat sb;
    char *wal = NULL;
    enum err e;

    *bytes = 0;
    e = one_int(st, SQ_PAGE_COUNT, "PRAGMA page_count", &pages);
    if (e == ERR_OK)
        e = one_int(st, SQ_PAGE_SIZE, "PRAGMA page_size", &page_size);
    if (e != ERR_OK)
        goto out;
    *bytes = pages * page_size;
    wal = xasprintf("%s-wal", st->path);
    if (stat(wal, &sb) == 0)
        *bytes += (int64_t)sb.st_size;
    else if (errno != ENOENT)
        e = ERR_IO;
out:
    if (e != ERR_OK)
        *bytes = 0;
    free(wal);
    return e;
}

enum err store_integrity_check(struct store *st, bool *ok, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    enum err e = ERR_OK;
    bool first = true;
    int rc;

    *ok = false;
    /* Not cached: rare, and its rows would hold a read transaction. */
    rc = sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        e = store_db_err(st, eb, "integrity_check");
        goto out;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);

        if (first && t && strcmp((const char *)t, "ok") == 0)
            *ok = true;
        else if (first)
            err_set(eb, "integrity_check: %s", t ? (const char *)t : "?");
        first = false;
    }
    if (rc != SQLITE_DONE) {
        *ok = false;
        e = store_db_err(st, eb, "integrity_check");
    }
out:
    sqlite3_finalize(s);
    return e;
}

enum err store_count_runs(struct store *st, int64_t *runs, int64_t *results)
{
    int64_t a = 0, b = 0;
    enum err e;

    e = one_int(st, SQ_COUNT_RUNS, "SELECT COUNT(*) FROM run", &a);
    if (e == ERR_OK)
        e = one_int(st, SQ_COUNT_RESULTS, "SELECT COUNT(*) FROM result", &b);
    if (e != ERR_OK)
        a = b = 0;
    if (runs)
        *runs = a;
    if (results)
        *results = b;
    return e;
}
