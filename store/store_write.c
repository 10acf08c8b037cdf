/*
 * store_write.c: inserting runs (the hot path), idempotency keys and the
 * project description.
 *
 * Design notes:
 * 1. store_runs_insert is group commit: one BEGIN IMMEDIATE transaction for
 *    the whole batch, one SAVEPOINT per run.  A run that fails is undone by
 *    ROLLBACK TO + RELEASE and the others commit; one fsync (WAL,
 *    synchronous=FULL) then covers every run of the batch.
 * 2. BEGIN IMMEDIATE takes the write lock up front, so the idempotency check
 *    and the find-or-create of project, branch, testbed, benchmarks and
 *    measures cannot race with another writer process between SELECT and
 *    INSERT.
 * 3. Ids come from the id cache (store_cache.c) before any SELECT.  Any
 *    rollback clears the cache, so it never keeps an id that a rolled-back
 *    savepoint created (store_cache.c, note 2).
 * 4. Project, branch, testbed, benchmark and measure share one
 *    find-or-create (entity_find, entity_create), driven by entities[]: one
 *    row per cache kind with its SQL, statement slots and the columns the
 *    cache keeps.  Cache, else SELECT by (project, name), else INSERT;
 *    either way the row ends in the id cache and callers read that entry,
 *    so a cache hit runs no SQL and allocates nothing.  The testbed's info
 *    update and the measure's check (note 5) sit on top of it.
 * 5. A measure's unit and direction are fixed by its first result.  A result
 *    that disagrees makes its run ERR_CONFLICT; the loop goes on checking the
 *    run's other results (without inserting them) so that one answer lists
 *    every clash.
 * 6. If SQLite itself abandons the transaction (disk full, I/O error:
 *    sqlite3_get_autocommit() turns true) or the COMMIT fails, nothing of the
 *    batch is stored and every item reports the cause: ERR_FULL (the disk,
 *    or the max_page_count quota), ERR_IO, ERR_NOMEM, else ERR_DB.  The
 *    server answers the first 507 and the second 503, both with
 *    Retry-After, so a client spools and retries instead of seeing a bug.
 */
#include "store/store_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- find-or-create of the entities a run refers to (note 4) ---------- */

/* Runs an INSERT already bound in b and returns the new row's id. */
static enum err insert_row(struct store *st, struct store_bind *b, int64_t *id,
                           struct errbuf *eb, const char *what)
{
    enum err e;
    bool row;

    e = store_step_bound(st, b, &row, eb, what);
    *id = e == ERR_OK ? sqlite3_last_insert_rowid(st->db) : 0;
    return e;
}

/*
 * How one kind of entity is found and created.  The SELECT binds (project
 * id, name) and returns the id, then ncols of: the text and the direction
 * that the id cache keeps.  The INSERT binds (project id, name), nvalues
 * texts from struct entity_new, created_at.  Projects have no project id:
 * their statements start at the name.
 */
struct entity {
    enum store_sql find_slot, insert_slot;
    const char *find_sql, *insert_sql;
    const char *find_what, *create_what;
    bool per_project;
    int ncols;   /* 0, 1 (text) or 2 (text, direction) */
    int nvalues; /* 0 to 2 */
};

/* What a new row holds beyond (project id, name); every pointer borrows. */
struct entity_new {
    const char *value[2]; /* the INSERT's texts after the name */
    const char *text;     /* what the id cache keeps as text, may be NULL */
    int dir;              /* and as direction (measures) */
};

/* For the kinds whose rows hold nothing beyond the name. */
static const struct entity_new no_values;

static const struct entity entities[] = {
    [CK_PROJECT] = {.find_slot = SQ_PROJECT_FIND,
                    .find_sql = "SELECT id FROM project WHERE slug = ?1",
                    .insert_slot = SQ_PROJECT_INSERT,
                    .insert_sql = "INSERT INTO project (slug, created_at) "
                                  "VALUES (?1, ?2)",
                    .find_what = "find project",
                    .create_what = "create project"},
    [CK_BRANCH] = {.find_slot = SQ_BRANCH_FIND,
                   .find_sql = "SELECT id FROM branch "
                               "WHERE project_id = ?1 AND name = ?2",
                   .insert_slot = SQ_BRANCH_INSERT,
                   .insert_sql = "INSERT INTO branch (project_id, name, "
                                 "created_at) VALUES (?1, ?2, ?3)",
                   .find_what = "find branch",
                   .create_what = "create branch",
                   .per_project = true},
    [CK_TESTBED] = {.find_slot = SQ_TESTBED_FIND,
                    .find_sql = "SELECT id, info FROM testbed "
                                "WHERE project_id = ?1 AND name = ?2",
                    .insert_slot = SQ_TESTBED_INSERT,
                    .insert_sql = "INSERT INTO testbed (project_id, name, "
                                  "info, created_at) VALUES (?1, ?2, ?3, ?4)",
                    .find_what = "find testbed",
                    .create_what = "create testbed",
                    .per_project = true,
                    .ncols = 1,
                    .nvalues = 1},
    [CK_BENCHMARK] = {.find_slot = SQ_BENCHMARK_FIND,
                      .find_sql = "SELECT id FROM benchmark "
                                  "WHERE project_id = ?1 AND key = ?2",
                      .insert_slot = SQ_BENCHMARK_INSERT,
                      .insert_sql = "INSERT INTO benchmark (project_id, key, "
                                    "name, params, created_at) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5)",
                      .find_what = "find benchmark",
                      .create_what = "create benchmark",
                      .per_project = true,
                      .nvalues = 2},
    [CK_MEASURE] = {.find_slot = SQ_MEASURE_FIND,
                    .find_sql = "SELECT id, unit, direction FROM measure "
                                "WHERE project_id = ?1 AND name = ?2",
                    .insert_slot = SQ_MEASURE_INSERT,
                    .insert_sql = "INSERT INTO measure (project_id, name, "
                                  "unit, direction, created_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)",
                    .find_what = "find measure",
                    .create_what = "create measure",
                    .per_project = true,
                    .ncols = 2,
                    .nvalues = 2},
};

/*
 * Takes one of ent's cached statements and starts b on it with (project
 * id, name) bound.  b->s is the statement or NULL: hand it back with
 * store_stmt_done either way.
 */
static enum err entity_stmt(struct store *st, const struct entity *ent,
                            enum store_sql slot, const char *sql,
                            int64_t parent, const char *name,
                            struct store_bind *b, struct errbuf *eb)
{
    sqlite3_stmt *s;
    enum err e = store_stmt(st, slot, sql, &s, eb);

    store_bind_start(b, s);
    if (e == ERR_OK && ent->per_project)
        store_bind_int(b, parent);
    if (e == ERR_OK)
        store_bind_text(b, name);
    return e;
}

/*
 * The entity (kind, parent, name) from the id cache, else from its SELECT,
 * whose row then goes into the cache.  *en is that cache entry, NULL when
 * no row exists; it stays valid until the next cache put or clear.
 */
static enum err entity_find(struct store *st, enum store_cache_kind kind,
                            int64_t parent, const char *name,
                            struct store_cache_entry **en, struct errbuf *eb)
{
    const struct entity *ent = &entities[kind];
    struct store_bind b;
    enum err e;
    bool row;

    *en = store_cache_find(&st->cache, kind, parent, name);
    if (*en)
        return ERR_OK; /* the hot path: no SELECT, no allocation */
    e = entity_stmt(st, ent, ent->find_slot, ent->find_sql, parent, name, &b,
                    eb);
    if (e == ERR_OK)
        e = store_step_bound(st, &b, &row, eb, ent->find_what);
    if (e == ERR_OK && row) {
        const char *text =
            ent->ncols > 0 ? (const char *)sqlite3_column_text(b.s, 1) : NULL;
        int dir = ent->ncols > 1 ? (int)store_col_direction(b.s, 2) : 0;

        *en = store_cache_put(&st->cache, kind, parent, name,
                              sqlite3_column_int64(b.s, 0), text, dir);
    }
    store_stmt_done(b.s);
    return e;
}

/* Inserts the entity (kind, parent, name) with nw; *en as entity_find. */
static enum err entity_create(struct store *st, enum store_cache_kind kind,
                              int64_t parent, const char *name,
                              const struct entity_new *nw, int64_t now,
                              struct store_cache_entry **en, struct errbuf *eb)
{
    const struct entity *ent = &entities[kind];
    struct store_bind b;
    int64_t id;
    enum err e;

    *en = NULL;
    e = entity_stmt(st, ent, ent->insert_slot, ent->insert_sql, parent, name,
                    &b, eb);
    if (e == ERR_OK) {
        for (int i = 0; i < ent->nvalues; i++)
            store_bind_text(&b, nw->value[i]);
        store_bind_int(&b, now);
        e = insert_row(st, &b, &id, eb, ent->create_what);
    }
    if (e == ERR_OK)
        *en = store_cache_put(&st->cache, kind, parent, name, id, nw->text,
                              nw->dir);
    store_stmt_done(b.s);
    return e;
}

/* entity_find, then entity_create with nw when no row exists. */
static enum err entity_get(struct store *st, enum store_cache_kind kind,
                           int64_t parent, const char *name,
                           const struct entity_new *nw, int64_t now,
                           struct store_cache_entry **en, struct errbuf *eb)
{
    enum err e = entity_find(st, kind, parent, name, en, eb);

    if (e == ERR_OK && !*en)
        e = entity_create(st, kind, parent, name, nw, now, en, eb);
    return e;
}

/* entity_get for the callers that keep only the id (0 on failure). */
static enum err entity_id(struct store *st, enum store_cache_kind kind,
                          int64_t parent, const char *name,
                          const struct entity_new *nw, int64_t now, int64_t *id,
                          struct errbuf *eb)
{
    struct store_cache_entry *en;
    enum err e = entity_get(st, kind, parent, name, nw, now, &en, eb);

    *id = e == ERR_OK ? en->id : 0;
    return e;
}

/* Finds a project's id by slug without creating it; *id = 0 when unknown. */
static enum err project_find(struct store *st, const char *slug, int64_t *id,
                             struct errbuf *eb)
{
    struct store_cache_entry *en;
    enum err e = entity_find(st, CK_PROJECT, 0, slug, &en, eb);

    *id = e == ERR_OK && en ? en->id : 0;
    return e;
}

/* "{}" and "" carry no machine information worth replacing stored info. */
static bool info_empty(const char *info)
{
    return !info || !info[0] || strcmp(info, "{}") == 0;
}

/*
 * The testbed's id.  Its stored info follows the latest run that brings
 * non-empty info (machines get upgraded; the newest description wins).
 */
static enum err testbed_get_or_create(struct store *st, int64_t pid,
                                      const char *name, const char *info,
                                      int64_t now, int64_t *id,
                                      struct errbuf *eb)
{
    const char *first = info_empty(info) ? "{}" : info;
    const struct entity_new nw = {.value = {first}, .text = first};
    struct store_cache_entry *en;
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    int64_t tid;
    enum err e;
    bool row;

    *id = 0;
    e = entity_get(st, CK_TESTBED, pid, name, &nw, now, &en, eb);
    if (e != ERR_OK)
        return e;
    tid = en->id;
    if (info_empty(info) || (en->text && strcmp(en->text, info) == 0)) {
        *id = tid;
        return ERR_OK; /* the hot path: nothing to change */
    }
    e = store_stmt(st, SQ_TESTBED_SET_INFO,
                   "UPDATE testbed SET info = ?2 WHERE id = ?1", &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, tid);
        store_bind_text(&b, info);
        e = store_step_bound(st, &b, &row, eb, "update testbed");
    }
    if (e == ERR_OK) {
        store_cache_put(&st->cache, CK_TESTBED, pid, name, tid, info, 0);
        *id = tid;
    }
    store_stmt_done(s);
    return e;
}

static const char *unit_label(const char *unit)
{
    return unit && unit[0] ? unit : "(no unit)";
}

/* Adds a field error under ptr for each way res disagrees with its measure. */
static enum err measure_check(const struct result *res, const char *ptr,
                              const char *stored_unit,
                              enum direction stored_dir, struct errbuf *eb)
{
    const char *unit = res->unit ? res->unit : "";
    enum err e = ERR_OK;

    if (strcmp(stored_unit ? stored_unit : "", unit) != 0) {
        char *p = xasprintf("%s/unit", ptr);

        err_add(eb, p, "measure \"%s\" is stored in %s in this project, not %s",
                res->measure, unit_label(stored_unit), unit_label(unit));
        free(p);
        e = ERR_CONFLICT;
    }
    if (res->direction != DIR_UNSET && res->direction != stored_dir) {
        char *p = xasprintf("%s/direction", ptr);

        err_add(eb, p,
                "measure \"%s\" is stored as %s is better in this project, "
                "not %s",
                res->measure, direction_str(stored_dir),
                direction_str(res->direction));
        free(p);
        e = ERR_CONFLICT;
    }
    return e;
}

/*
 * The measure's id, created with this result's unit and direction when
 * new.  ERR_CONFLICT, with field errors under ptr, when the stored unit or
 * direction disagrees with the result's (*id is set all the same).
 */
static enum err measure_get_or_create(struct store *st, int64_t pid,
                                      const struct result *res, const char *ptr,
                                      int64_t now, int64_t *id,
                                      struct errbuf *eb)
{
    struct store_cache_entry *en;
    enum err e;

    *id = 0;
    e = entity_find(st, CK_MEASURE, pid, res->measure, &en, eb);
    if (e == ERR_OK && !en) {
        const char *unit = res->unit ? res->unit : "";
        enum direction dir = res->direction != DIR_UNSET
                                 ? res->direction
                                 : unit_default_direction(res->measure, unit);
        const struct entity_new nw = {
            .value = {unit, direction_str(dir)}, .text = unit, .dir = (int)dir};

        e = entity_create(st, CK_MEASURE, pid, res->measure, &nw, now, &en, eb);
    }
    if (e != ERR_OK)
        return e;
    *id = en->id;
    return measure_check(res, ptr, en->text, (enum direction)en->dir, eb);
}

/* ---- idempotency ------------------------------------------------------- */

/*
 * Looks key up in project pid: ERR_OK (same body, or a hash is missing on
 * either side so bodies cannot be told apart), ERR_CONFLICT (another body),
 * ERR_NOT_FOUND, ERR_DB.
 */
static enum err idem_lookup(struct store *st, int64_t pid, const char *key,
                            const unsigned char *hash, int64_t *run_id,
                            int64_t *count, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *run_id = 0;
    *count = 0;
    e = store_stmt(st, SQ_IDEMPOTENCY_FIND,
                   "SELECT id, body_hash FROM run "
                   "WHERE project_id = ?1 AND idempotency_key = ?2",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, pid);
    store_bind_text(&b, key);
    e = store_step_bound(st, &b, &row, eb, "find idempotency key");
    if (e != ERR_OK)
        goto out;
    if (!row) {
        e = ERR_NOT_FOUND;
        goto out;
    }
    if (hash && sqlite3_column_type(s, 1) == SQLITE_BLOB) {
        const void *stored = sqlite3_column_blob(s, 1);

        if (sqlite3_column_bytes(s, 1) != HASH_SHA256_LEN ||
            !hash_equal(stored, hash, HASH_SHA256_LEN)) {
            e = ERR_CONFLICT;
            goto out;
        }
    }
    *run_id = sqlite3_column_int64(s, 0);
    store_stmt_done(s);
    e = store_stmt(st, SQ_RUN_RESULT_COUNT,
                   "SELECT COUNT(*) FROM result WHERE run_id = ?1", &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, *run_id);
    e = store_step_bound(st, &b, &row, eb, "count results");
    if (e == ERR_OK && row)
        *count = sqlite3_column_int64(s, 0);
out:
    if (e != ERR_OK)
        *run_id = *count = 0;
    store_stmt_done(s);
    return e;
}

enum err store_idempotent_get(struct store *st, const char *project,
                              const char *key, const unsigned char *body_hash,
                              int64_t *run_id, int64_t *result_count)
{
    int64_t pid;
    enum err e;

    *run_id = 0;
    *result_count = 0;
    if (!project || !key)
        return ERR_NOT_FOUND;
    e = project_find(st, project, &pid, NULL);
    if (e != ERR_OK)
        return e;
    if (!pid)
        return ERR_NOT_FOUND;
    return idem_lookup(st, pid, key, body_hash, run_id, result_count, NULL);
}

/* ---- one run ----------------------------------------------------------- */

/* The JSON pointer to name a result in errors; fallback is 32 bytes. */
static const char *result_ptr(const struct result *res, size_t i,
                              char *fallback)
{
    if (res->pointer)
        return res->pointer;
    snprintf(fallback, 32, "/results/%zu", i);
    return fallback;
}

static enum err insert_result(struct store *st, int64_t run_id, int64_t bid,
                              int64_t mid, const struct result *res,
                              struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    const void *blob;
    size_t len;
    int64_t n = res->n;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_RESULT_INSERT,
                   "INSERT INTO result (run_id, benchmark_id, measure_id, "
                   "value, mean, median, stddev, min, max, n, lower, upper, "
                   "samples, derived) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                   "?9, ?10, ?11, ?12, ?13, ?14)",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    if (n < 0 && res->nsamples > 0)
        n = (int64_t)res->nsamples;
    store_samples_encode(st, res->samples, res->nsamples, &blob, &len);
    store_bind_start(&b, s);
    store_bind_int(&b, run_id);
    store_bind_int(&b, bid);
    store_bind_int(&b, mid);
    store_bind_double(&b, res->value);
    store_bind_double(&b, res->mean);
    store_bind_double(&b, res->median);
    store_bind_double(&b, res->stddev);
    store_bind_double(&b, res->min);
    store_bind_double(&b, res->max);
    store_bind_int_or_null(&b, n < 0 ? -1 : n, -1);
    store_bind_double(&b, res->lower);
    store_bind_double(&b, res->upper);
    store_bind_blob(&b, blob, len);
    store_bind_int(&b, res->derived);
    e = store_step_bound(st, &b, &row, eb, "insert result");
    if (e != ERR_OK &&
        sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
        /* The caller words it (it knows the pointer); SQLite's text about
         * result.run_id would only confuse whoever sent the run. */
        if (eb)
            eb->msg[0] = '\0';
        e = ERR_CONFLICT;
    }
out:
    store_stmt_done(s);
    return e;
}

static enum err insert_resources(struct store *st, int64_t run_id,
                                 const struct run *r, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e = ERR_OK;
    bool row;

    if (r->nresources == 0)
        return ERR_OK;
    e = store_stmt(st, SQ_RESOURCE_INSERT,
                   "INSERT INTO resource_sample (run_id, t_ms, cpu_pct, "
                   "rss_bytes, read_bytes, write_bytes, gpu_util_pct, "
                   "gpu_mem_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                   &s, eb);
    for (size_t i = 0; e == ERR_OK && i < r->nresources; i++) {
        const struct resource_sample *rs = &r->resources[i];

        store_bind_start(&b, s);
        store_bind_int(&b, run_id);
        store_bind_int(&b, rs->t_ms);
        store_bind_double(&b, rs->cpu_pct);
        store_bind_double(&b, rs->rss_bytes);
        store_bind_double(&b, rs->read_bytes);
        store_bind_double(&b, rs->write_bytes);
        store_bind_double(&b, rs->gpu_util_pct);
        store_bind_double(&b, rs->gpu_mem_bytes);
        e = store_step_bound(st, &b, &row, eb, "insert resource sample");
        store_stmt_done(s);
    }
    store_stmt_done(s);
    return e;
}

static enum err insert_run_row(struct store *st, const struct store_insert *it,
                               int64_t pid, int64_t bid, int64_t tid,
                               int64_t now, int64_t *run_id, struct errbuf *eb)
{
    const struct run *r = it->run;
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;

    *run_id = 0;
    e = store_stmt(st, SQ_RUN_INSERT,
                   "INSERT INTO run (project_id, branch_id, testbed_id, "
                   "commit_sha, commit_time, commit_message, commit_author, "
                   "pr_number, base_branch, started_at, finished_at, "
                   "created_at, format, ci_provider, ci_url, ci_job, "
                   "metadata, idempotency_key, body_hash) VALUES (?1, ?2, "
                   "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "?16, ?17, ?18, ?19)",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, pid);
    store_bind_int(&b, bid);
    store_bind_int(&b, tid);
    store_bind_text(&b, r->commit_sha && r->commit_sha[0] ? r->commit_sha
                                                          : "unknown");
    store_bind_int_or_null(&b, r->commit_time, TIME_NONE);
    store_bind_text(&b, r->commit_message);
    store_bind_text(&b, r->commit_author);
    store_bind_int_or_null(&b, r->pr_number, 0);
    store_bind_text(&b, r->base_branch);
    store_bind_int_or_null(&b, r->started_at, TIME_NONE);
    store_bind_int_or_null(&b, r->finished_at, TIME_NONE);
    store_bind_int(&b, r->created_at != TIME_NONE ? r->created_at : now);
    store_bind_text(&b,
                    r->format && r->format[0] ? r->format : "benchvault/v1");
    store_bind_text(&b, r->ci_provider);
    store_bind_text(&b, r->ci_url);
    store_bind_text(&b, r->ci_job);
    store_bind_text(&b, r->metadata && r->metadata[0] ? r->metadata : "{}");
    store_bind_text(&b, it->idempotency_key);
    store_bind_blob(&b, it->idempotency_key ? it->body_hash : NULL,
                    it->body_hash ? HASH_SHA256_LEN : 0);
    e = insert_row(st, &b, run_id, eb, "insert run");
out:
    store_stmt_done(s);
    return e;
}

/*
 * Writes one run inside the caller's savepoint.  Any status but ERR_OK
 * means the caller rolls the savepoint back; detail goes to it->eb.
 */
static enum err insert_item(struct store *st, struct store_insert *it,
                            int64_t now)
{
    struct run *r = it->run;
    struct errbuf *eb = &it->eb;
    int64_t pid, branch_id, testbed_id, run_id;
    enum err e, status = ERR_OK;

    if (!r || !r->project || !r->project[0]) {
        err_set(eb, "the run names no project");
        return ERR_INVALID;
    }
    if (it->idempotency_key) {
        int64_t first, count;

        e = project_find(st, r->project, &pid, eb);
        if (e != ERR_OK)
            return e;
        e = pid ? idem_lookup(st, pid, it->idempotency_key, it->body_hash,
                              &first, &count, eb)
                : ERR_NOT_FOUND;
        if (e == ERR_OK) {
            it->duplicate = true;
            it->run_id = r->id = first;
            it->result_count = count;
            return ERR_OK;
        }
        if (e == ERR_CONFLICT)
            err_set(eb,
                    "Idempotency-Key \"%s\" was already used with a "
                    "different body",
                    it->idempotency_key);
        if (e != ERR_NOT_FOUND)
            return e;
    }
    e = entity_id(st, CK_PROJECT, 0, r->project, &no_values, now, &pid, eb);
    if (e == ERR_OK)
        e = entity_id(st, CK_BRANCH, pid,
                      r->branch && r->branch[0] ? r->branch : "unknown",
                      &no_values, now, &branch_id, eb);
    if (e == ERR_OK)
        e = testbed_get_or_create(
            st, pid, r->testbed && r->testbed[0] ? r->testbed : "default",
            r->testbed_info, now, &testbed_id, eb);
    if (e == ERR_OK)
        e = insert_run_row(st, it, pid, branch_id, testbed_id, now, &run_id,
                           eb);
    if (e != ERR_OK)
        return e;

    for (size_t i = 0; i < r->nresults; i++) {
        const struct result *res = &r->results[i];
        const char *key = res->key ? res->key : res->benchmark;
        const struct entity_new bench = {
            .value = {res->benchmark ? res->benchmark : key,
                      res->params ? res->params : "{}"}};
        char fallback[32];
        int64_t bid, mid;

        if (!key || !key[0] || !res->measure || !res->measure[0]) {
            err_add(eb, result_ptr(res, i, fallback),
                    "a result needs a benchmark and a measure name");
            status = status ? status : ERR_INVALID;
            continue;
        }
        if (!isfinite(res->value)) {
            char *p = xasprintf("%s/value", result_ptr(res, i, fallback));

            err_add(eb, p, "value must be a finite number");
            free(p);
            status = status ? status : ERR_INVALID;
            continue;
        }
        e = measure_get_or_create(st, pid, res, result_ptr(res, i, fallback),
                                  now, &mid, eb);
        if (e == ERR_CONFLICT) {
            status = status ? status : ERR_CONFLICT;
            continue;
        }
        if (e != ERR_OK)
            return e;
        if (status != ERR_OK)
            continue; /* only checking the rest now: nothing will commit */
        e = entity_id(st, CK_BENCHMARK, pid, key, &bench, now, &bid, eb);
        if (e == ERR_OK)
            e = insert_result(st, run_id, bid, mid, res, eb);
        if (e == ERR_CONFLICT) {
            err_add(eb, result_ptr(res, i, fallback),
                    "benchmark \"%s\" has measure \"%s\" twice in this run",
                    key, res->measure);
            status = ERR_INVALID;
            continue;
        }
        if (e != ERR_OK)
            return e;
    }
    if (status != ERR_OK)
        return status;
    e = insert_resources(st, run_id, r, eb);
    if (e == ERR_OK)
        e = store_summary_add_run(st, run_id, eb);
    if (e != ERR_OK)
        return e;
    it->run_id = r->id = run_id;
    it->result_count = (int64_t)r->nresults;
    return ERR_OK;
}

/* ---- the batch --------------------------------------------------------- */

static void item_reset(struct store_insert *it)
{
    it->run_id = 0;
    it->result_count = 0;
    it->duplicate = false;
    if (it->run)
        it->run->id = 0;
}

enum err store_runs_insert(struct store *st, struct store_insert *items,
                           size_t n, struct errbuf *eb)
{
    struct errbuf txeb;
    bool in_tx = false;
    enum err e = ERR_OK;

    err_init(&txeb);
    for (size_t i = 0; i < n; i++) {
        items[i].status = ERR_OK;
        item_reset(&items[i]);
    }
    if (n == 0)
        goto out;
    if (st->mode == STORE_READONLY) {
        err_set(&txeb, "the database is open read-only");
        e = ERR_DB;
        goto out;
    }
    e = store_exec(st, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", &txeb);
    if (e != ERR_OK)
        goto out;
    in_tx = true;
    for (size_t i = 0; i < n; i++) {
        struct store_insert *it = &items[i];

        e = store_exec(st, SQ_SAVEPOINT, "SAVEPOINT item", &txeb);
        if (e != ERR_OK)
            goto out;
        it->status = insert_item(st, it, time_now_ms());
        if (it->status == ERR_OK) {
            e = store_exec(st, SQ_RELEASE, "RELEASE item", &txeb);
            if (e != ERR_OK)
                goto out;
            continue;
        }
        /* The savepoint may have created ids that are about to vanish. */
        store_cache_clear(&st->cache);
        item_reset(it);
        if (sqlite3_get_autocommit(st->db)) {
            /* SQLite abandoned the whole transaction (disk full, I/O). */
            in_tx = false;
            err_set(&txeb, "transaction aborted: %s", it->eb.msg);
            e = it->status == ERR_FULL || it->status == ERR_IO ||
                        it->status == ERR_NOMEM
                    ? it->status
                    : ERR_DB;
            goto out;
        }
        e = store_exec(st, SQ_ROLLBACK_TO, "ROLLBACK TO item", &txeb);
        if (e == ERR_OK)
            e = store_exec(st, SQ_RELEASE, "RELEASE item", &txeb);
        if (e != ERR_OK)
            goto out;
    }
    e = store_exec(st, SQ_COMMIT, "COMMIT", &txeb);
    if (e != ERR_OK)
        goto out;
    in_tx = false;
out:
    if (e != ERR_OK) {
        store_cache_clear(&st->cache);
        if (in_tx && !sqlite3_get_autocommit(st->db))
            (void)store_exec(st, SQ_ROLLBACK, "ROLLBACK", NULL);
        for (size_t i = 0; i < n; i++) {
            items[i].status = e;
            item_reset(&items[i]);
            err_set(&items[i].eb, "%s", txeb.msg);
        }
        err_set(eb, "%s", txeb.msg);
    }
    err_cleanup(&txeb);
    return e;
}

enum err store_project_describe(struct store *st, const char *project,
                                const char *description)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    if (st->mode == STORE_READONLY)
        return ERR_DB;
    e = store_stmt(st, SQ_PROJECT_DESCRIBE,
                   "UPDATE project SET description = ?2 WHERE slug = ?1", &s,
                   NULL);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, project);
    store_bind_text(&b, description);
    e = store_step_bound(st, &b, &row, NULL, "describe project");
    if (e == ERR_OK && sqlite3_changes(st->db) == 0)
        e = ERR_NOT_FOUND;
out:
    store_stmt_done(s);
    return e;
}
