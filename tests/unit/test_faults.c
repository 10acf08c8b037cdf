/*
 * Fault injection over every write path of store/ (issue 14): a shim VFS
 * and allocator (tests/fault/) make call N of SQLite's reads, writes,
 * syncs, truncations, file opens or allocations fail, for every N from 1
 * until the operation runs without meeting the fault.  For each N:
 *
 *  - the operation fails with a clear error: the err that names the cause
 *    (ERR_IO, ERR_FULL, ERR_NOMEM) and a message, never a crash or a leak
 *    (ASan and UBSan run this test);
 *  - the same connection works again once the fault is gone (the same
 *    operation, retried, succeeds: what a client's retry does);
 *  - a fresh connection then finds PRAGMA integrity_check ok, every run
 *    acknowledged before or during the fault readable whole, and no half
 *    of anything that failed (a run is wholly there or wholly absent).
 *
 * Each operation starts from a copy of one prepared database (made once per
 * path), so that every N meets the same sequence of calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "schema/schema.h"
#include "store/store.h"
#include "tests/fault/fault.h"
#include "tmpdb.h"

#define NRES 3      /* results per run */
#define NSAMPLES 50 /* samples per result */
#define NRESOURCES 4
/* Past this many calls of one kind, N moves in steps of about an eighth
 * (allocations: a migration makes thousands). */
#define SWEEP_EVERY 200

/* ---- what every path shares ---------------------------------------------- */

/* Memory-backed when the machine has /dev/shm: the faults come from the
 * shim, not the disk, and each N commits with synchronous=FULL, whose
 * fsyncs on a real disk would make the sweep minutes long. */
static const char *base_dir(void)
{
    return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

struct ctx {
    struct tmpdb *db;    /* the database this N works on */
    char *sid;           /* a session made in prepare */
    int64_t token_id;    /* token "t0" */
    int64_t alert_id;    /* the open alert made in prepare, or 0 */
    int64_t runs_before; /* runs made in prepare */
    int64_t acked[8];    /* runs acknowledged by the operation */
    size_t nacked;
    char *backup; /* a backup file of the prepared database */
};

static void make_run(struct run *r, int i)
{
    run_init(r);
    r->project = xstrdup("faults");
    r->branch = xstrdup("main");
    r->commit_sha = xasprintf("%07x", 0xabc000 + i);
    r->commit_time = 1700000000000LL + i * 60000LL;
    r->testbed = xstrdup("ci-linux");
    r->testbed_info = xstrdup("{\"cores\":8}");
    for (int k = 0; k < NRES; k++) {
        struct result *res = run_result_add(r);

        res->benchmark = xasprintf("bench_%d", k);
        res->params = xstrdup("{}");
        res->key = xstrdup(res->benchmark);
        res->measure = xstrdup("latency");
        res->unit = xstrdup("s");
        res->value = 1.0 + k + (i % 2 ? 0.5 : 0.0);
        res->samples = xcalloc(NSAMPLES, sizeof(double));
        res->nsamples = NSAMPLES;
        for (int j = 0; j < NSAMPLES; j++)
            res->samples[j] = res->value + j * 1e-4;
    }
    for (int k = 0; k < NRESOURCES; k++) {
        struct resource_sample *rs = run_resource_add(r);

        rs->t_ms = k * 100;
        rs->cpu_pct = 50 + k;
        rs->rss_bytes = 1e6 * (k + 1);
        rs->read_bytes = rs->write_bytes = 0;
        rs->gpu_util_pct = rs->gpu_mem_bytes = NAN;
    }
}

/* Inserts runs i0.. (n of them) in one batch without faults; their ids. */
static void insert_ok(struct store *st, int i0, int n, int64_t *ids)
{
    struct store_insert it[4];
    struct run r[4];
    struct errbuf eb;

    assert_true(n <= 4);
    err_init(&eb);
    memset(it, 0, sizeof it);
    for (int k = 0; k < n; k++) {
        make_run(&r[k], i0 + k);
        it[k].run = &r[k];
        err_init(&it[k].eb);
    }
    assert_int_equal(store_runs_insert(st, it, (size_t)n, &eb), ERR_OK);
    for (int k = 0; k < n; k++) {
        assert_int_equal(it[k].status, ERR_OK);
        ids[k] = it[k].run_id;
        err_cleanup(&it[k].eb);
        run_cleanup(&r[k]);
    }
    err_cleanup(&eb);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char b[65536];
    size_t n;

    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(b, 1, sizeof b, in)) > 0)
        assert_int_equal(fwrite(b, 1, n, out), n);
    assert_int_equal(fclose(in), 0);
    assert_int_equal(fclose(out), 0);
}

static bool file_exists(const char *p)
{
    struct stat sb;

    return stat(p, &sb) == 0;
}

/* The err an armed fault must surface as. */
static enum err want_err(unsigned kinds, enum fault_effect eff)
{
    if (kinds & FAULT_MALLOC)
        return ERR_NOMEM;
    return eff == FAULT_FULL ? ERR_FULL : ERR_IO;
}

/* ---- the write paths ------------------------------------------------------
 */

/*
 * One write path: prepare (no faults) builds the database every N starts
 * from; op runs under the fault and is retried after it by the harness;
 * check looks at a fresh connection afterwards.  op's result is ERR_OK when
 * the operation took effect: check then expects it, else expects nothing
 * of it.
 */
struct path {
    const char *name;
    void (*prepare)(struct ctx *c);
    enum err (*op)(struct ctx *c, struct errbuf *eb);
    void (*check)(struct ctx *c, struct store *st, bool done);
    bool retry_is_new; /* op may be run again after a success (and is) */
};

static void prep_runs(struct ctx *c)
{
    int64_t ids[2];

    insert_ok(c->db->st, 1, 2, ids);
    c->runs_before = 2;
}

/* Every run acknowledged is there whole; the others are not at all. */
static void check_runs(struct ctx *c, struct store *st, int64_t expect_runs)
{
    int64_t runs, results;
    struct store_project p;
    struct errbuf eb;

    err_init(&eb);
    assert_int_equal(store_count_runs(st, &runs, &results), ERR_OK);
    assert_int_equal(runs, expect_runs);
    assert_int_equal(results, expect_runs * NRES);
    if (runs == 0) {
        err_cleanup(&eb);
        return;
    }
    assert_int_equal(store_project_get(st, "faults", &p), ERR_OK);
    for (size_t i = 0; i < c->nacked; i++) {
        struct run r;

        run_init(&r);
        assert_int_equal(store_run_get(st, p.id, c->acked[i], &r, &eb), ERR_OK);
        assert_int_equal(r.nresults, NRES);
        assert_int_equal(r.nresources, NRESOURCES);
        for (size_t k = 0; k < r.nresults; k++)
            assert_int_equal(r.results[k].nsamples, NSAMPLES);
        run_cleanup(&r);
    }
    store_project_cleanup(&p);
    err_cleanup(&eb);
}

/* Ingest: a batch of two runs, one with an idempotency key (group commit
 * under savepoints, the server's writer path). */
static enum err op_ingest(struct ctx *c, struct errbuf *eb)
{
    struct store_insert it[2];
    struct run r[2];
    enum err e;

    memset(it, 0, sizeof it);
    for (int k = 0; k < 2; k++) {
        make_run(&r[k], 3 + k);
        it[k].run = &r[k];
        err_init(&it[k].eb);
    }
    it[0].idempotency_key = "key-3";
    e = store_runs_insert(c->db->st, it, 2, eb);
    for (int k = 0; k < 2; k++) {
        if (it[k].status == ERR_OK) {
            if (!it[k].duplicate) {
                assert_true(c->nacked < 8);
                c->acked[c->nacked++] = it[k].run_id;
            }
        } else {
            assert_true(it[k].eb.msg[0] != '\0');
            if (e == ERR_OK) {
                /* The batch committed without it: its own answer. */
                e = it[k].status;
                err_set(eb, "%s", it[k].eb.msg);
            }
        }
        err_cleanup(&it[k].eb);
        run_cleanup(&r[k]);
    }
    return e;
}

static void check_ingest(struct ctx *c, struct store *st, bool done)
{
    /* After the retry both runs are in, each once (the idempotency key
     * keeps a repeat of run 3 out; run 4 is retried only if it failed). */
    (void)done;
    check_runs(c, st, c->runs_before + (int64_t)c->nacked);
}

/* Open and migrate a new database. */
static void prep_nothing(struct ctx *c)
{
    (void)c;
}

static enum err op_open(struct ctx *c, struct errbuf *eb)
{
    struct store *st = NULL;
    enum err e;
    char *p = xasprintf("%s/new.db", c->db->dir);

    e = store_open(p, STORE_RW, &st, NULL, eb);
    store_close(st);
    free(p);
    return e;
}

static void check_open(struct ctx *c, struct store *st, bool done)
{
    struct store *nw = NULL;
    struct errbuf eb;
    char *p = xasprintf("%s/new.db", c->db->dir);
    bool ok = false;
    int64_t runs = -1;

    (void)st;
    err_init(&eb);
    if (!done) {
        /* Whatever the failed open left, the next open migrates it. */
        if (file_exists(p)) {
            assert_int_equal(store_open(p, STORE_RW, &nw, NULL, &eb), ERR_OK);
            store_close(nw);
        }
        free(p);
        err_cleanup(&eb);
        return;
    }
    /* STORE_READONLY refuses a schema older than the newest. */
    assert_int_equal(store_open(p, STORE_READONLY, &nw, NULL, &eb), ERR_OK);
    assert_int_equal(store_integrity_check(nw, &ok, &eb), ERR_OK);
    assert_true(ok);
    assert_int_equal(store_count_runs(nw, &runs, NULL), ERR_OK);
    assert_int_equal(runs, 0);
    store_close(nw);
    tmpdb_remove(p);
    free(p);
    err_cleanup(&eb);
}

/* Migrations of an existing database: c->backup is a database made at
 * schema version 4 (the embedded migrations 1 to 4, applied here by raw
 * SQLite) holding a run whose commit message is not UTF-8, which
 * migration 5 repairs; every later migration then runs on it too. */
static void prep_old_schema(struct ctx *c)
{
    sqlite3 *db = NULL;
    char *side;

    prep_runs(c);
    c->backup = xasprintf("%s/source-backup.db", c->db->dir);
    remove(c->backup);
    side = xasprintf("%s-wal", c->backup);
    remove(side);
    free(side);
    side = xasprintf("%s-shm", c->backup);
    remove(side);
    free(side);
    assert_int_equal(sqlite3_open(c->backup, &db), SQLITE_OK);
    for (int v = 1; v <= 4; v++)
        for (size_t i = 0; i < schema_migration_count; i++)
            if (schema_migrations[i].version == v)
                assert_int_equal(sqlite3_exec(db, schema_migrations[i].sql,
                                              NULL, NULL, NULL),
                                 SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO project (id, slug, created_at) "
                     "VALUES (1, 'old', 0); "
                     "INSERT INTO branch (id, project_id, name, created_at) "
                     "VALUES (1, 1, 'main', 0); "
                     "INSERT INTO testbed (id, project_id, name, created_at) "
                     "VALUES (1, 1, 'ci', 0); "
                     "INSERT INTO run (id, project_id, branch_id, testbed_id, "
                     "commit_sha, commit_message, created_at, format) "
                     "VALUES (1, 1, 1, 1, 'abc', CAST(X'ff41' AS TEXT), 0, "
                     "'benchvault/v1'); "
                     "PRAGMA user_version = 4",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static enum err op_migrate_old(struct ctx *c, struct errbuf *eb)
{
    struct store *st = NULL;
    enum err e = store_open(c->backup, STORE_RW, &st, NULL, eb);

    store_close(st);
    return e;
}

/* The old database's schema version and run 1's commit message (raw
 * SQLite: store_open would migrate it). */
static int old_state(const char *path, bool *repaired)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int v = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT hex(commit_message) FROM run "
                                        "WHERE id = 1",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    *repaired =
        strcmp((const char *)sqlite3_column_text(s, 0), "EFBFBD41") == 0;
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return v;
}

static void check_migrate_old(struct ctx *c, struct store *st, bool done)
{
    bool repaired = false;
    int v = old_state(c->backup, &repaired);

    (void)st;
    /* The repair and its version bump commit together (one transaction). */
    if (done)
        assert_true(v >= 5 && repaired);
    else
        assert_true((v == 4 && !repaired) || (v >= 5 && repaired));
}

/* Alerts: a change point that opens an alert (ingest's detector). */
static enum err op_alert_insert(struct ctx *c, struct errbuf *eb)
{
    struct store_cpd_touch *t = NULL;
    struct store_cpd_action a;
    size_t n = 0;
    enum err e;

    /* Reads under the fault too: the detector reads before it writes. */
    e = store_cpd_series_of_run(c->db->st, 2, &t, &n, eb);
    if (e != ERR_OK)
        return e;
    assert_true(n > 0);
    memset(&a, 0, sizeof a);
    a.op = STORE_CPD_INSERT;
    a.series = &t[0].s;
    a.regression = true;
    a.first_run_id = 2;
    a.last_run_id = 1;
    a.before = 1.0;
    a.after = 1.5;
    a.change = 0.5;
    a.p_value = 0.001;
    e = store_cpd_apply(c->db->st, &a, 1, eb);
    if (e == ERR_OK)
        assert_true(a.new_alert_id > 0);
    else
        assert_int_equal(a.new_alert_id, 0);
    free(t);
    return e;
}

static size_t alert_count(struct store *st, const char *status)
{
    struct store_alert *a = NULL;
    struct errbuf eb;
    size_t n = 0;

    err_init(&eb);
    assert_int_equal(store_alerts_list(st, 1, status, 0, 100, &a, &n, &eb),
                     ERR_OK);
    store_alerts_free(a, n);
    err_cleanup(&eb);
    return n;
}

static void check_alert_insert(struct ctx *c, struct store *st, bool done)
{
    (void)c;
    assert_int_equal(alert_count(st, NULL), done ? 1 : 0);
    check_runs(c, st, c->runs_before);
}

/* Triage: acknowledge the alert with a note. */
static void prep_alert(struct ctx *c)
{
    struct errbuf eb;

    prep_runs(c);
    err_init(&eb);
    assert_int_equal(op_alert_insert(c, &eb), ERR_OK);
    err_cleanup(&eb);
    c->alert_id = 1;
}

static enum err op_triage(struct ctx *c, struct errbuf *eb)
{
    return store_alert_update(c->db->st, c->alert_id, "acknowledged",
                              "looking into it", eb);
}

static void check_triage(struct ctx *c, struct store *st, bool done)
{
    struct store_alert a;
    struct errbuf eb;

    err_init(&eb);
    memset(&a, 0, sizeof a);
    assert_int_equal(store_alert_get(st, c->alert_id, &a, &eb), ERR_OK);
    assert_string_equal(a.status, done ? "acknowledged" : "open");
    if (done)
        assert_string_equal(a.note, "looking into it");
    else
        assert_null(a.note);
    store_alert_cleanup(&a);
    err_cleanup(&eb);
}

/* Tokens: create, revoke, touch. */
static void prep_token(struct ctx *c)
{
    char *secret = NULL;
    struct errbuf eb;

    err_init(&eb);
    assert_int_equal(store_token_create(c->db->st, "t0", SCOPE_WRITE, NULL,
                                        &secret, &c->token_id, &eb),
                     ERR_OK);
    free(secret);
    err_cleanup(&eb);
}

static enum err op_token_create(struct ctx *c, struct errbuf *eb)
{
    char *secret = NULL;
    int64_t id = 0;
    enum err e = store_token_create(c->db->st, "t1", SCOPE_READ, "faults",
                                    &secret, &id, eb);

    if (e == ERR_OK)
        assert_non_null(secret);
    else
        assert_null(secret);
    free(secret);
    return e;
}

static size_t token_count(struct store *st, struct store_token **out)
{
    struct errbuf eb;
    size_t n = 0;

    err_init(&eb);
    assert_int_equal(store_tokens_list(st, out, &n, &eb), ERR_OK);
    err_cleanup(&eb);
    return n;
}

static void check_token_create(struct ctx *c, struct store *st, bool done)
{
    struct store_token *t = NULL;
    size_t n = token_count(st, &t);

    (void)c;
    assert_int_equal(n, done ? 2 : 1);
    store_tokens_free(t, n);
}

static enum err op_token_revoke(struct ctx *c, struct errbuf *eb)
{
    return store_token_revoke(c->db->st, "t0", eb);
}

static void check_token_revoke(struct ctx *c, struct store *st, bool done)
{
    struct store_token *t = NULL;
    size_t n = token_count(st, &t);

    (void)c;
    assert_int_equal(n, 1);
    assert_int_equal(t[0].revoked_at != TIME_NONE, done);
    store_tokens_free(t, n);
}

#define TOUCH_AT 1234567LL

static enum err op_tokens_touch(struct ctx *c, struct errbuf *eb)
{
    enum err e = store_tokens_touch(c->db->st, &c->token_id, 1, TOUCH_AT);

    /* store_tokens_touch takes no errbuf: the caller logs err_str(). */
    if (e != ERR_OK)
        err_set(eb, "%s", err_str(e));
    return e;
}

static void check_tokens_touch(struct ctx *c, struct store *st, bool done)
{
    struct store_token *t = NULL;
    size_t n = token_count(st, &t);

    (void)c;
    assert_int_equal(n, 1);
    if (done)
        assert_int_equal(t[0].last_used_at, TOUCH_AT);
    else
        assert_int_equal(t[0].last_used_at, TIME_NONE);
    store_tokens_free(t, n);
}

/* Sessions: create, touch, delete, expire. */
#define HOUR (3600LL * 1000)
#define T0 (1700000000000LL)

static void prep_session(struct ctx *c)
{
    struct errbuf eb;

    prep_token(c);
    err_init(&eb);
    assert_int_equal(
        store_session_create(c->db->st, c->token_id, T0, &c->sid, &eb), ERR_OK);
    err_cleanup(&eb);
}

static bool session_live(struct ctx *c, struct store *st, int64_t now,
                         int64_t *last_seen)
{
    struct store_session s;
    enum err e;

    memset(&s, 0, sizeof s);
    e = store_session_lookup(st, c->sid, now, 12 * HOUR, 100 * HOUR, &s);
    assert_true(e == ERR_OK || e == ERR_AUTH);
    if (e == ERR_OK && last_seen)
        *last_seen = s.last_seen_at;
    store_session_cleanup(&s);
    return e == ERR_OK;
}

static enum err op_session_create(struct ctx *c, struct errbuf *eb)
{
    char *sid = NULL;
    enum err e = store_session_create(c->db->st, c->token_id, T0, &sid, eb);

    if (e == ERR_OK) {
        assert_non_null(sid);
        free(c->sid);
        c->sid = sid;
    } else {
        assert_null(sid);
    }
    return e;
}

static void check_session_create(struct ctx *c, struct store *st, bool done)
{
    assert_int_equal(session_live(c, st, T0 + 1, NULL), done);
}

static enum err op_session_touch(struct ctx *c, struct errbuf *eb)
{
    return store_session_touch(c->db->st, 1, T0 + 10 * HOUR, eb);
}

static void check_session_touch(struct ctx *c, struct store *st, bool done)
{
    int64_t seen = 0;

    assert_true(session_live(c, st, T0 + 11 * HOUR, &seen));
    assert_int_equal(seen, done ? T0 + 10 * HOUR : T0);
}

static enum err op_session_delete(struct ctx *c, struct errbuf *eb)
{
    return store_session_delete(c->db->st, c->sid, eb);
}

static void check_session_gone(struct ctx *c, struct store *st, bool done)
{
    assert_int_equal(session_live(c, st, T0 + 1, NULL), !done);
}

static enum err op_sessions_expire(struct ctx *c, struct errbuf *eb)
{
    int64_t deleted = -1;
    enum err e = store_sessions_expire(c->db->st, T0 + 13 * HOUR, 12 * HOUR,
                                       100 * HOUR, &deleted, eb);

    if (e == ERR_OK)
        assert_true(deleted == 1 || deleted == 0);
    return e;
}

/* Budgets and settings. */
static enum err op_budgets_put(struct ctx *c, struct errbuf *eb)
{
    struct store_budget rule = {.benchmark_glob = "bench_*",
                                .measure = "latency",
                                .unit = "s",
                                .is_max = true,
                                .threshold = 2.5};

    return store_budgets_put(c->db->st, "faults", &rule, 1, "{\"history\":7}",
                             eb);
}

static void check_budgets(struct ctx *c, struct store *st, bool done)
{
    struct store_budget *b = NULL;
    char *settings = NULL;
    struct errbuf eb;
    size_t n = 0;

    (void)c;
    err_init(&eb);
    assert_int_equal(store_budgets_get(st, 1, &b, &n, &settings, &eb), ERR_OK);
    assert_int_equal(n, done ? 1 : 0);
    if (done)
        assert_non_null(strstr(settings, "\"history\":7"));
    else
        assert_null(settings);
    store_budgets_free(b, n);
    free(settings);
    err_cleanup(&eb);
}

static enum err op_cpd_settings(struct ctx *c, struct errbuf *eb)
{
    struct store_cpd_settings s = {
        .window = 30, .min_size = 4, .p = 0.01, .magnitude = 0.2};

    return store_cpd_settings_set(c->db->st, "faults", &s, eb);
}

static void check_cpd_settings(struct ctx *c, struct store *st, bool done)
{
    struct store_cpd_settings s;
    struct errbuf eb;

    (void)c;
    err_init(&eb);
    assert_int_equal(store_cpd_settings_get(st, 1, &s, &eb), ERR_OK);
    /* All four fields or none: one transaction. */
    assert_int_equal(s.window, done ? 30 : 0);
    assert_int_equal(s.min_size, done ? 4 : 0);
    assert_true(done ? s.p == 0.01 : isnan(s.p) || s.p == 0);
    assert_true(done ? s.magnitude == 0.2
                     : isnan(s.magnitude) || s.magnitude == 0);
    err_cleanup(&eb);
}

static enum err op_describe(struct ctx *c, struct errbuf *eb)
{
    enum err e = store_project_describe(c->db->st, "faults", "under test");

    if (e != ERR_OK)
        err_set(eb, "%s", err_str(e));
    return e;
}

static void check_describe(struct ctx *c, struct store *st, bool done)
{
    struct store_project p;

    (void)c;
    assert_int_equal(store_project_get(st, "faults", &p), ERR_OK);
    if (done)
        assert_string_equal(p.description, "under test");
    else
        assert_null(p.description);
    store_project_cleanup(&p);
}

/* Backup and restore. */
static enum err op_backup(struct ctx *c, struct errbuf *eb)
{
    struct store_backup_info info;
    char *out = xasprintf("%s/backup.db", c->db->dir);
    enum err e;

    unlink(out);
    e = store_backup(c->db->path, out, &info, eb);
    if (e == ERR_OK)
        assert_int_equal(info.runs, 2);
    free(out);
    return e;
}

static void check_backup(struct ctx *c, struct store *st, bool done)
{
    struct store_backup_info info;
    struct errbuf eb;
    char *out = xasprintf("%s/backup.db", c->db->dir);
    char *tmp = xasprintf("%s.tmp.%ld", out, (long)getpid());

    (void)st;
    err_init(&eb);
    /* No half backup under its name, no temporary file left. */
    assert_false(file_exists(tmp));
    if (done) {
        assert_int_equal(store_check_file(out, &info, &eb), ERR_OK);
        assert_int_equal(info.runs, 2);
    } else {
        assert_false(file_exists(out));
    }
    check_runs(c, st, c->runs_before);
    free(tmp);
    free(out);
    err_cleanup(&eb);
}

static void prep_backup(struct ctx *c)
{
    struct store_backup_info info;
    struct errbuf eb;

    prep_runs(c);
    err_init(&eb);
    /* Outside the folder that each N's database is copied into. */
    c->backup = xasprintf("%s/source-backup.db", c->db->dir);
    assert_int_equal(store_backup(c->db->path, c->backup, &info, &eb), ERR_OK);
    err_cleanup(&eb);
}

static enum err op_restore(struct ctx *c, struct errbuf *eb)
{
    struct store_backup_info info;
    char *to = xasprintf("%s/restored.db", c->db->dir);
    enum err e = store_restore(c->backup, to, false, &info, eb);

    free(to);
    return e;
}

static void check_restore(struct ctx *c, struct store *st, bool done)
{
    struct store_backup_info info;
    struct errbuf eb;
    char *to = xasprintf("%s/restored.db", c->db->dir);

    (void)st;
    err_init(&eb);
    if (done) {
        /* The target holds the whole backup. */
        assert_int_equal(store_check_file(to, &info, &eb), ERR_OK);
        assert_int_equal(info.runs, 2);
        tmpdb_remove(to);
    } else {
        /* A failed restore leaves no file that would refuse the retry. */
        assert_false(file_exists(to));
    }
    free(to);
    err_cleanup(&eb);
}

static const struct path paths[] = {
    {"ingest", prep_runs, op_ingest, check_ingest, false},
    {"open and migrate", prep_nothing, op_open, check_open, true},
    {"migrate old schema", prep_old_schema, op_migrate_old, check_migrate_old,
     true},
    {"alert insert", prep_runs, op_alert_insert, check_alert_insert, false},
    {"alert triage", prep_alert, op_triage, check_triage, true},
    {"token create", prep_token, op_token_create, check_token_create, false},
    {"token revoke", prep_token, op_token_revoke, check_token_revoke, true},
    {"tokens touch", prep_token, op_tokens_touch, check_tokens_touch, true},
    {"session create", prep_token, op_session_create, check_session_create,
     false},
    {"session touch", prep_session, op_session_touch, check_session_touch,
     true},
    {"session delete", prep_session, op_session_delete, check_session_gone,
     true},
    {"sessions expire", prep_session, op_sessions_expire, check_session_gone,
     true},
    {"budgets", prep_runs, op_budgets_put, check_budgets, true},
    {"change-point settings", prep_runs, op_cpd_settings, check_cpd_settings,
     true},
    {"project description", prep_runs, op_describe, check_describe, true},
    {"backup", prep_runs, op_backup, check_backup, true},
    {"restore", prep_backup, op_restore, check_restore, false},
};

/* ---- the harness ----------------------------------------------------------
 */

struct fault_case {
    const char *name;
    unsigned kinds;
    enum fault_effect effect;
    unsigned flags;
};

static const struct fault_case cases[] = {
    {"write: I/O error", FAULT_WRITE, FAULT_IOERR, 0},
    {"write: disk full (stays full)", FAULT_WRITE, FAULT_FULL, FAULT_PERSIST},
    {"sync: I/O error", FAULT_SYNC, FAULT_IOERR, 0},
    {"read: I/O error", FAULT_READ, FAULT_IOERR, 0},
    {"truncate: I/O error", FAULT_TRUNCATE, FAULT_IOERR, 0},
    {"open: cannot open", FAULT_OPEN, FAULT_IOERR, 0},
    {"malloc: SQLite out of memory", FAULT_MALLOC, FAULT_IOERR, 0},
};

static long sweep_next(long n)
{
    return n < SWEEP_EVERY ? n + 1 : n + n / 8;
}

/* The err a fault of kind must surface as. */
static bool err_fits(const struct fault_case *fc, enum err e)
{
    return e == want_err(fc->kinds, fc->effect);
}

/*
 * One path under one kind of fault, every N.  Returns how many N met a
 * fault.
 */
static long sweep(const struct path *p, const struct fault_case *fc,
                  const char *template_dir, const struct ctx *proto,
                  long *recovered)
{
    long n, met = 0;

    for (n = 1;; n = sweep_next(n)) {
        struct ctx c = *proto;
        struct errbuf eb;
        struct store *st = NULL;
        long fired;
        enum err e, e2;
        bool ok;

        c.sid = proto->sid ? xstrdup(proto->sid) : NULL;
        c.db = tmpdb_create_in(base_dir(), false);
        assert_non_null(c.db);
        if (c.backup) {
            c.backup = xasprintf("%s/source-backup.db", c.db->dir);
            copy_file(proto->backup, c.backup);
        }
        {
            char *src = xasprintf("%s/test.db", template_dir);

            copy_file(src, c.db->path);
            free(src);
        }
        err_init(&eb);
        assert_int_equal(store_open(c.db->path, STORE_RW, &c.db->st, NULL, &eb),
                         ERR_OK);

        fault_arm(fc->kinds, n, fc->effect, fc->flags);
        e = p->op(&c, &eb);
        fired = fault_fired();
        fault_disarm();

        if (fired == 0) {
            /* Past the last call: the path ran whole. */
            if (e != ERR_OK)
                fail_msg("%s, %s, N=%ld: no fault, yet %s: %s", p->name,
                         fc->name, n, err_str(e), eb.msg);
        } else if (e != ERR_OK) {
            met++;
            if (!err_fits(fc, e) || !eb.msg[0])
                fail_msg("%s, %s, N=%ld: answered %s \"%s\"", p->name, fc->name,
                         n, err_str(e), eb.msg);
        } else {
            /* SQLite recovered by itself (a benign allocation, a journal
             * it could do without): what a fresh connection finds below
             * must say that nothing was lost. */
            (*recovered)++;
        }
        if (e != ERR_OK) {
            /* Nothing of what failed is there, seen from another
             * connection while this one stays open. */
            assert_int_equal(
                store_open(c.db->path, STORE_READONLY, &st, NULL, &eb), ERR_OK);
            ok = false;
            assert_int_equal(store_integrity_check(st, &ok, &eb), ERR_OK);
            if (!ok)
                fail_msg("%s, %s, N=%ld: %s", p->name, fc->name, n, eb.msg);
            p->check(&c, st, false);
            store_close(st);
            st = NULL;
        }
        /* The same connection works again (a client's retry). */
        if (e != ERR_OK || p->retry_is_new) {
            eb.msg[0] = '\0';
            e2 = p->op(&c, &eb);
            if (e2 != ERR_OK)
                fail_msg("%s, %s, N=%ld: the retry failed: %s: %s", p->name,
                         fc->name, n, err_str(e2), eb.msg);
        }
        store_close(c.db->st);
        c.db->st = NULL;

        /* A fresh connection: integrity and what must be there. */
        assert_int_equal(store_open(c.db->path, STORE_RW, &st, NULL, &eb),
                         ERR_OK);
        ok = false;
        assert_int_equal(store_integrity_check(st, &ok, &eb), ERR_OK);
        if (!ok)
            fail_msg("%s, %s, N=%ld: %s", p->name, fc->name, n, eb.msg);
        p->check(&c, st, true);
        store_close(st);

        err_cleanup(&eb);
        if (c.backup) {
            unlink(c.backup);
            free(c.backup);
        }
        {
            char *b = xasprintf("%s/backup.db", c.db->dir);

            unlink(b);
            free(b);
        }
        free(c.sid);
        tmpdb_free(c.db);
        if (fired == 0)
            break;
    }
    return met;
}

/* The state before the operation, checked once per path: check(false). */
static void check_untouched(const struct path *p, struct ctx *c,
                            const char *path)
{
    struct store *st = NULL;
    struct errbuf eb;

    err_init(&eb);
    assert_int_equal(store_open(path, STORE_RW, &st, NULL, &eb), ERR_OK);
    p->check(c, st, false);
    store_close(st);
    err_cleanup(&eb);
}

static void run_path(const struct path *p)
{
    struct ctx proto;
    struct tmpdb *tpl = tmpdb_create_in(base_dir(), true);

    assert_non_null(tpl);
    memset(&proto, 0, sizeof proto);
    proto.db = tpl;
    p->prepare(&proto);
    store_close(tpl->st); /* checkpoints: test.db holds everything */
    tpl->st = NULL;
    check_untouched(p, &proto, tpl->path);
    proto.db = NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long recovered = 0;
        long met = sweep(p, &cases[i], tpl->dir, &proto, &recovered);

        print_message("%-22s %-30s %4ld failed cleanly, %ld recovered\n",
                      p->name, cases[i].name, met, recovered);
    }
    if (proto.backup) {
        unlink(proto.backup);
        free(proto.backup);
    }
    free(proto.sid);
    tmpdb_free(tpl);
}

#define PATH_TEST(fn, i)                                                       \
    static void fn(void **state)                                               \
    {                                                                          \
        (void)state;                                                           \
        run_path(&paths[i]);                                                   \
    }

PATH_TEST(test_ingest, 0)
PATH_TEST(test_open_migrate, 1)
PATH_TEST(test_migrate_old, 2)
PATH_TEST(test_alert_insert, 3)
PATH_TEST(test_alert_triage, 4)
PATH_TEST(test_token_create, 5)
PATH_TEST(test_token_revoke, 6)
PATH_TEST(test_tokens_touch, 7)
PATH_TEST(test_session_create, 8)
PATH_TEST(test_session_touch, 9)
PATH_TEST(test_session_delete, 10)
PATH_TEST(test_sessions_expire, 11)
PATH_TEST(test_budgets, 12)
PATH_TEST(test_cpd_settings, 13)
PATH_TEST(test_describe, 14)
PATH_TEST(test_backup, 15)
PATH_TEST(test_restore, 16)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest),
        cmocka_unit_test(test_open_migrate),
        cmocka_unit_test(test_migrate_old),
        cmocka_unit_test(test_alert_insert),
        cmocka_unit_test(test_alert_triage),
        cmocka_unit_test(test_token_create),
        cmocka_unit_test(test_token_revoke),
        cmocka_unit_test(test_tokens_touch),
        cmocka_unit_test(test_session_create),
        cmocka_unit_test(test_session_touch),
        cmocka_unit_test(test_session_delete),
        cmocka_unit_test(test_sessions_expire),
        cmocka_unit_test(test_budgets),
        cmocka_unit_test(test_cpd_settings),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_backup),
        cmocka_unit_test(test_restore),
    };

    /* Before anything opens a database (SQLITE_CONFIG_MALLOC). */
    if (fault_install() != 0) {
        fprintf(stderr, "cannot install the fault shim\n");
        return 1;
    }
    log_set_level(LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
