/*
 * store_delete.c: deleting runs, benchmarks, branches and projects, the
 * deletion log, and per-project retention (schema/0009_ops.sql).
 *
 * Design notes:
 * 1. One transaction per delete (BEGIN IMMEDIATE): the rows, the alerts'
 *    notes and the log row appear gone, changed and written together or
 *    not at all.  Foreign keys do the rest (ON DELETE CASCADE from run to
 *    result, resource_sample and change_point; from benchmark and branch to
 *    their runs, results and alerts).
 * 2. An alert points at its first bad run with ON DELETE CASCADE: deleting
 *    that run would silently take the alert (and the record of a person's
 *    triage) with it.  So before the run goes, its alerts are detached
 *    (first_bad_run_id NULL), resolved when still open or acknowledged,
 *    and given a note that says which run went, by whom and when.
 *    Dismissed and resolved alerts keep their status and get the note.
 * 3. Scope: every lookup names project_id, so another project's run,
 *    benchmark or branch is ERR_NOT_FOUND, the very answer of a missing one.
 * 4. The write path's id cache (store_cache) maps names to ids; a deleted
 *    branch or benchmark must not be handed to the next insert, so every
 *    delete clears it.  Another connection's cache (a server's writer while
 *    `benchvault delete --db` runs) cannot be reached from here: the server
 *    runs its deletes on its writer connection (docs/operations.md).
 * 5. Retention works in batches of at most `batch` runs, each batch one
 *    short transaction, and returns after one batch, so the caller (the
 *    server's writer thread) serves queued ingests between batches.
 * 6. Derived per-series data must follow a run delete in its transaction:
 *    summary_refresh is the place (the series the run had points in are
 *    passed).  Deleting a benchmark, branch or project needs nothing there:
 *    rows keyed by those ids go by ON DELETE CASCADE.  Dropping raw samples
 *    changes no result value.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY (86400LL * 1000LL)

void store_delete_out_cleanup(struct store_delete_out *o)
{
    if (!o)
        return;
    free(o->touched);
    memset(o, 0, sizeof *o);
}

static enum err tx_begin(struct store *st, struct errbuf *eb)
{
    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    return store_exec(st, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", eb);
}

/* Commits after success, rolls back otherwise; returns the outcome. */
static enum err tx_end(struct store *st, enum err e, struct errbuf *eb)
{
    if (e == ERR_OK)
        e = store_exec(st, SQ_COMMIT, "COMMIT", eb);
    if (e != ERR_OK && !sqlite3_get_autocommit(st->db))
        (void)store_exec(st, SQ_ROLLBACK, "ROLLBACK", NULL);
    if (e == ERR_OK)
        store_cache_clear(&st->cache); /* note 4 */
    return e;
}

/* The first column of the one row of a statement bound with one id. */
static enum err count_of(struct store *st, enum store_sql slot, const char *sql,
                         int64_t id, int64_t *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *out = 0;
    e = store_stmt(st, slot, sql, &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, id);
    e = store_step_bound(st, &b, &row, eb, "count");
    if (e == ERR_OK && row)
        *out = sqlite3_column_int64(s, 0);
out:
    store_stmt_done(s);
    return e;
}

/* Runs a statement bound with one integer to completion. */
static enum err exec_id(struct store *st, enum store_sql slot, const char *sql,
                        int64_t id, struct errbuf *eb, const char *what)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    e = store_stmt(st, slot, sql, &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, id);
        e = store_step_bound(st, &b, &row, eb, what);
    }
    store_stmt_done(s);
    return e;
}

static enum err log_row(struct store *st, int64_t project_id, const char *slug,
                        const char *kind, const char *target, const char *actor,
                        struct store_delete_out *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_DEL_LOG,
                   "INSERT INTO deletion (project, kind, target, actor, runs, "
                   "results, alerts_resolved, created_at) VALUES ("
                   "COALESCE(?1, (SELECT slug FROM project WHERE id = ?2)), "
                   "?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, slug);
    store_bind_int(&b, project_id);
    store_bind_text(&b, kind);
    store_bind_text(&b, target);
    store_bind_text(&b, actor && *actor ? actor : "unknown");
    store_bind_int(&b, out->runs);
    store_bind_int(&b, out->results);
    store_bind_int(&b, out->alerts_resolved);
    store_bind_int(&b, time_now_ms());
    e = store_step_bound(st, &b, &row, eb, "log deletion");
    if (e == ERR_OK)
        out->log_id = sqlite3_last_insert_rowid(st->db);
out:
    store_stmt_done(s);
    return e;
}

/* Note 2: the alerts whose first bad run is run_id. */
static enum err alerts_detach(struct store *st, int64_t run_id,
                              const char *commit, const char *actor,
                              int64_t *count, struct errbuf *eb)
{
    char when[TIME_ISO_LEN];
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    struct buf note;
    int64_t now = time_now_ms(), live = 0;
    enum err e;
    bool row;

    /* Those still live (open, acknowledged) are what it resolves. */
    e = count_of(st, SQ_DEL_ALERTS_LIVE,
                 "SELECT count(*) FROM alert WHERE first_bad_run_id = ?1 AND "
                 "status IN ('open', 'acknowledged')",
                 run_id, &live, eb);
    if (e != ERR_OK)
        return e;
    buf_init(&note, 0);
    time_format_iso(now, when);
    /* Unbounded buffer: a sha and an actor name, both bounded on input. */
    (void)buf_printf(&note,
                     "the run that caused this alert (run %lld, commit %s) "
                     "was deleted by %s at %s; resolved",
                     (long long)run_id, commit ? commit : "?",
                     actor && *actor ? actor : "unknown", when);
    e = store_stmt(st, SQ_DEL_ALERTS_RESOLVE,
                   "UPDATE alert SET status = CASE WHEN status IN ('open', "
                   "'acknowledged') THEN 'resolved' ELSE status END, "
                   "note = CASE WHEN note IS NULL OR note = '' THEN ?2 "
                   "ELSE note || char(10) || ?2 END, "
                   "first_bad_run_id = NULL, updated_at = ?3 "
                   "WHERE first_bad_run_id = ?1",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, run_id);
        store_bind_text(&b, buf_str(&note));
        store_bind_int(&b, now);
        e = store_step_bound(st, &b, &row, eb, "resolve alerts");
    }
    store_stmt_done(s);
    buf_cleanup(&note);
    *count += live;
    return e;
}

/*
 * Note 6: the per-series summaries (schema 0008) of the series in t[0..n)
 * are recomputed from the results left, inside the delete's transaction;
 * a series left without results loses its row.  (A deleted benchmark,
 * branch or project takes its rows with it: foreign keys cascade.)
 */
static enum err summary_refresh(struct store *st,
                                const struct store_cpd_touch *t, size_t n,
                                struct errbuf *eb)
{
    enum err e = ERR_OK;

    for (size_t i = 0; e == ERR_OK && i < n; i++)
        e = store_summary_refresh(st, &t[i].s, eb);
    return e;
}

/* Deletes one run of the project inside the caller's transaction. */
static enum err run_delete_tx(struct store *st, int64_t project_id,
                              int64_t run_id, const char *actor, bool touched,
                              struct store_delete_out *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    struct store_cpd_touch *t = NULL;
    size_t nt = 0;
    char *commit = NULL;
    int64_t nres = 0;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_DEL_RUN_CHECK,
                   "SELECT commit_sha FROM run WHERE id = ?1 AND "
                   "project_id = ?2",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, run_id);
        store_bind_int(&b, project_id);
        e = store_step_bound(st, &b, &row, eb, "find run");
        if (e == ERR_OK && !row) {
            err_set(eb, "no run %lld in this project", (long long)run_id);
            e = ERR_NOT_FOUND;
        }
        if (e == ERR_OK)
            commit = store_col_str(s, 0);
    }
    store_stmt_done(s);
    if (e == ERR_OK)
        e = store_cpd_series_of_run(st, run_id, &t, &nt, eb);
    if (e == ERR_OK)
        e = count_of(st, SQ_DEL_RUN_COUNT,
                     "SELECT count(*) FROM result WHERE run_id = ?1", run_id,
                     &nres, eb);
    if (e == ERR_OK)
        e = alerts_detach(st, run_id, commit, actor, &out->alerts_resolved, eb);
    if (e == ERR_OK)
        e = exec_id(st, SQ_DEL_RUN, "DELETE FROM run WHERE id = ?1", run_id, eb,
                    "delete run");
    if (e == ERR_OK)
        e = summary_refresh(st, t, nt, eb);
    if (e == ERR_OK) {
        out->runs++;
        out->results += nres;
        if (touched) {
            free(out->touched);
            out->touched = t;
            out->ntouched = nt;
            t = NULL;
        }
    }
    free(t);
    free(commit);
    return e;
}

enum err store_delete_run(struct store *st, int64_t project_id, int64_t run_id,
                          const char *actor, struct store_delete_out *out,
                          struct errbuf *eb)
{
    char target[32];
    enum err e;

    memset(out, 0, sizeof *out);
    e = tx_begin(st, eb);
    if (e != ERR_OK)
        return e;
    e = run_delete_tx(st, project_id, run_id, actor, true, out, eb);
    snprintf(target, sizeof target, "%lld", (long long)run_id);
    if (e == ERR_OK)
        e = log_row(st, project_id, NULL, "run", target, actor, out, eb);
    e = tx_end(st, e, eb);
    if (e != ERR_OK)
        store_delete_out_cleanup(out);
    return e;
}

/*
 * Finds a named thing of the project (find: ?1 project, ?2 name, ?3 id or
 * -1) and deletes it with its dependants, counting runs and results first
 * (count: ?1 the thing's id, one row of (runs, results)).  Its alerts go
 * with it: none is "resolved".
 */
struct del_spec {
    enum store_sql find_slot, count_slot, del_slot;
    const char *find_sql, *count_sql, *del_sql;
    const char *kind, *what;
    bool self; /* the thing is the project: the log names it by target */
};

static enum err delete_named(struct store *st, const struct del_spec *sp,
                             int64_t project_id, const char *name,
                             int64_t id_or, const char *actor,
                             struct store_delete_out *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    char *target = NULL;
    int64_t id = 0;
    enum err e;
    bool row;

    memset(out, 0, sizeof *out);
    e = tx_begin(st, eb);
    if (e != ERR_OK)
        return e;
    e = store_stmt(st, sp->find_slot, sp->find_sql, &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, project_id);
        store_bind_text(&b, name);
        store_bind_int(&b, id_or);
        e = store_step_bound(st, &b, &row, eb, sp->what);
        if (e == ERR_OK && !row) {
            err_set(eb, "no %s \"%.64s\" in this project", sp->kind, name);
            e = ERR_NOT_FOUND;
        }
        if (e == ERR_OK) {
            id = sqlite3_column_int64(s, 0);
            target = store_col_str(s, 1);
        }
    }
    store_stmt_done(s);
    if (e == ERR_OK) {
        e = store_stmt(st, sp->count_slot, sp->count_sql, &s, eb);
        if (e == ERR_OK) {
            store_bind_start(&b, s);
            store_bind_int(&b, id);
            e = store_step_bound(st, &b, &row, eb, sp->what);
            if (e == ERR_OK && row) {
                out->runs = sqlite3_column_int64(s, 0);
                out->results = sqlite3_column_int64(s, 1);
            }
        }
        store_stmt_done(s);
    }
    if (e == ERR_OK)
        e = exec_id(st, sp->del_slot, sp->del_sql, id, eb, sp->what);
    if (e == ERR_OK)
        e = log_row(st, project_id, sp->self ? target : NULL, sp->kind, target,
                    actor, out, eb);
    e = tx_end(st, e, eb);
    free(target);
    return e;
}

enum err store_delete_benchmark(struct store *st, int64_t project_id,
                                const char *benchmark, const char *actor,
                                struct store_delete_out *out, struct errbuf *eb)
{
    static const struct del_spec sp = {
        SQ_DEL_BENCH_FIND,
        SQ_DEL_BENCH_COUNT,
        SQ_DEL_BENCH,
        "SELECT id, key FROM benchmark WHERE project_id = ?1 AND "
        "(key = ?2 OR id = ?3)",
        "SELECT count(DISTINCT run_id), count(*) FROM result WHERE "
        "benchmark_id = ?1",
        "DELETE FROM benchmark WHERE id = ?1",
        "benchmark",
        "delete benchmark",
        false,
    };
    int64_t id = -1;

    if (parse_int64(benchmark, 1, INT64_MAX, &id) != ERR_OK)
        id = -1;
    return delete_named(st, &sp, project_id, benchmark, id, actor, out, eb);
}

enum err store_delete_branch(struct store *st, int64_t project_id,
                             const char *branch, const char *actor,
                             struct store_delete_out *out, struct errbuf *eb)
{
    static const struct del_spec sp = {
        SQ_DEL_BRANCH_FIND,
        SQ_DEL_BRANCH_COUNT,
        SQ_DEL_BRANCH,
        "SELECT id, name FROM branch WHERE project_id = ?1 AND name = ?2 "
        "AND ?3 = ?3",
        "SELECT count(*), (SELECT count(*) FROM result r JOIN run ru ON "
        "ru.id = r.run_id WHERE ru.branch_id = ?1) FROM run WHERE "
        "branch_id = ?1",
        "DELETE FROM branch WHERE id = ?1",
        "branch",
        "delete branch",
        false,
    };

    return delete_named(st, &sp, project_id, branch, 0, actor, out, eb);
}

enum err store_delete_project(struct store *st, const char *slug,
                              const char *actor, struct store_delete_out *out,
                              struct errbuf *eb)
{
    static const struct del_spec sp = {
        SQ_DEL_PROJECT_FIND,
        SQ_DEL_PROJECT_COUNT,
        SQ_DEL_PROJECT,
        "SELECT id, slug FROM project WHERE ?1 = ?1 AND slug = ?2 AND "
        "?3 = ?3",
        "SELECT count(*), (SELECT count(*) FROM result r JOIN run ru ON "
        "ru.id = r.run_id WHERE ru.project_id = ?1) FROM run WHERE "
        "project_id = ?1",
        "DELETE FROM project WHERE id = ?1",
        "project",
        "delete project",
        true,
    };

    /* The log row names the slug: its project is gone by then. */
    return delete_named(st, &sp, 0, slug, 0, actor, out, eb);
}

enum err store_deletions_list(struct store *st, const char *project, int limit,
                              struct store_deletion **out, size_t *n,
                              struct errbuf *eb)
{
    struct store_deletion *v = NULL;
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    size_t len = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    e = store_stmt(st, SQ_DEL_LOG_LIST,
                   "SELECT id, project, kind, target, actor, runs, results, "
                   "alerts_resolved, created_at FROM deletion WHERE "
                   "project = ?1 ORDER BY id DESC LIMIT ?2",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_text(&b, project);
        store_bind_int(&b, limit);
        e = store_bind_check(st, &b, eb, "list deletions");
    }
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "list deletions")) == ERR_OK &&
           row) {
        struct store_deletion *d;

        v = xreallocarray(v, len + 1, sizeof *v);
        d = &v[len++];
        d->id = sqlite3_column_int64(s, 0);
        d->project = store_col_str(s, 1);
        d->kind = store_col_str(s, 2);
        d->target = store_col_str(s, 3);
        d->actor = store_col_str(s, 4);
        d->runs = sqlite3_column_int64(s, 5);
        d->results = sqlite3_column_int64(s, 6);
        d->alerts_resolved = sqlite3_column_int64(s, 7);
        d->created_at = sqlite3_column_int64(s, 8);
    }
    store_stmt_done(s);
    if (e != ERR_OK) {
        store_deletions_free(v, len);
        return e;
    }
    *out = v;
    *n = len;
    return ERR_OK;
}

void store_deletions_free(struct store_deletion *d, size_t n)
{
    for (size_t i = 0; d && i < n; i++) {
        free(d[i].project);
        free(d[i].kind);
        free(d[i].target);
        free(d[i].actor);
    }
    free(d);
}

/* ---- retention ---------------------------------------------------------- */

void store_retention_cleanup(struct store_retention *r)
{
    if (!r)
        return;
    free(r->default_branch);
    memset(r, 0, sizeof *r);
}

enum err store_retention_get(struct store *st, int64_t project_id,
                             struct store_retention *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    memset(out, 0, sizeof *out);
    e = store_stmt(st, SQ_RET_GET,
                   "SELECT json_extract(settings, '$.retention.samples_days'), "
                   "json_extract(settings, '$.retention.default_runs_days'), "
                   "json_extract(settings, '$.retention.branch_runs_days'), "
                   "json_extract(settings, '$.retention.default_branch') "
                   "FROM project WHERE id = ?1",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, project_id);
        e = store_step_bound(st, &b, &row, eb, "retention settings");
        if (e == ERR_OK && !row) {
            err_set(eb, "no such project");
            e = ERR_NOT_FOUND;
        }
        if (e == ERR_OK) {
            out->samples_days = store_col_int_or(s, 0, 0);
            out->default_runs_days = store_col_int_or(s, 1, 0);
            out->branch_runs_days = store_col_int_or(s, 2, 0);
            out->default_branch = store_col_str(s, 3);
        }
    }
    store_stmt_done(s);
    return e;
}

enum err store_retention_set(struct store *st, int64_t project_id,
                             const struct store_retention *in,
                             struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    if (st->mode == STORE_READONLY) {
        err_set(eb, "the database is open read-only");
        return ERR_DB;
    }
    e = store_stmt(st, SQ_RET_SET,
                   "UPDATE project SET settings = json_set(settings, "
                   "'$.retention', json_object('samples_days', ?2, "
                   "'default_runs_days', ?3, 'branch_runs_days', ?4, "
                   "'default_branch', ?5)) WHERE id = ?1",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, project_id);
        store_bind_int(&b, in->samples_days);
        store_bind_int(&b, in->default_runs_days);
        store_bind_int(&b, in->branch_runs_days);
        store_bind_text(&b, in->default_branch ? in->default_branch : "main");
        e = store_step_bound(st, &b, &row, eb, "set retention");
        if (e == ERR_OK && sqlite3_changes(st->db) == 0) {
            err_set(eb, "no such project");
            e = ERR_NOT_FOUND;
        }
    }
    store_stmt_done(s);
    return e;
}

struct ret_project {
    int64_t id;
    struct store_retention r;
};

static enum err ret_projects(struct store *st, struct ret_project **out,
                             size_t *n, struct errbuf *eb)
{
    struct ret_project *v = NULL;
    sqlite3_stmt *s = NULL;
    size_t len = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    e = store_stmt(st, SQ_RET_PROJECTS,
                   "SELECT id, json_extract(settings, "
                   "'$.retention.samples_days'), json_extract(settings, "
                   "'$.retention.default_runs_days'), json_extract(settings, "
                   "'$.retention.branch_runs_days'), json_extract(settings, "
                   "'$.retention.default_branch') FROM project WHERE "
                   "json_extract(settings, '$.retention') IS NOT NULL "
                   "ORDER BY id",
                   &s, eb);
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "retention projects")) == ERR_OK &&
           row) {
        v = xreallocarray(v, len + 1, sizeof *v);
        memset(&v[len], 0, sizeof v[len]);
        v[len].id = sqlite3_column_int64(s, 0);
        v[len].r.samples_days = store_col_int_or(s, 1, 0);
        v[len].r.default_runs_days = store_col_int_or(s, 2, 0);
        v[len].r.branch_runs_days = store_col_int_or(s, 3, 0);
        v[len].r.default_branch = store_col_str(s, 4);
        len++;
    }
    store_stmt_done(s);
    if (e != ERR_OK) {
        for (size_t i = 0; i < len; i++)
            store_retention_cleanup(&v[i].r);
        free(v);
        return e;
    }
    *out = v;
    *n = len;
    return ERR_OK;
}

/* Up to batch run ids of a pick query bound (project, [text, int,] cutoff,
 * limit). */
static enum err pick_runs(struct store *st, enum store_sql slot,
                          const char *sql, int64_t project_id,
                          const char *branch, int64_t same, int64_t cutoff,
                          size_t batch, int64_t *ids, size_t *n,
                          struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *n = 0;
    e = store_stmt(st, slot, sql, &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, project_id);
        if (branch) {
            store_bind_text(&b, branch);
            store_bind_int(&b, same);
        }
        store_bind_int(&b, cutoff);
        store_bind_int(&b, (int64_t)batch);
        e = store_bind_check(st, &b, eb, "retention pick");
    }
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "retention pick")) == ERR_OK &&
           row && *n < batch)
        ids[(*n)++] = sqlite3_column_int64(s, 0);
    store_stmt_done(s);
    return e;
}

/* Drops the raw samples of runs ids[0..n) in one transaction. */
static enum err prune_runs(struct store *st, const int64_t *ids, size_t n,
                           int64_t now, struct errbuf *eb)
{
    enum err e = tx_begin(st, eb);

    for (size_t i = 0; e == ERR_OK && i < n; i++) {
        e = exec_id(st, SQ_RET_PRUNE_RESULTS,
                    "UPDATE result SET samples = NULL WHERE run_id = ?1 AND "
                    "samples IS NOT NULL",
                    ids[i], eb, "prune samples");
        if (e == ERR_OK)
            e = exec_id(st, SQ_RET_PRUNE_RESOURCES,
                        "DELETE FROM resource_sample WHERE run_id = ?1", ids[i],
                        eb, "prune resources");
        if (e == ERR_OK) {
            sqlite3_stmt *s = NULL;
            struct store_bind b;
            bool row;

            e = store_stmt(st, SQ_RET_PRUNE_MARK,
                           "UPDATE run SET pruned_at = ?2 WHERE id = ?1", &s,
                           eb);
            if (e == ERR_OK) {
                store_bind_start(&b, s);
                store_bind_int(&b, ids[i]);
                store_bind_int(&b, now);
                e = store_step_bound(st, &b, &row, eb, "mark pruned");
            }
            store_stmt_done(s);
        }
    }
    return tx_end(st, e, eb);
}

/* Deletes runs ids[0..n) of a project in one transaction, logged once. */
static enum err expire_runs(struct store *st, int64_t project_id,
                            const int64_t *ids, size_t n, const char *target,
                            struct errbuf *eb)
{
    struct store_delete_out out;
    enum err e;

    memset(&out, 0, sizeof out);
    e = tx_begin(st, eb);
    for (size_t i = 0; e == ERR_OK && i < n; i++)
        e = run_delete_tx(st, project_id, ids[i], "retention", false, &out, eb);
    if (e == ERR_OK)
        e = log_row(st, project_id, NULL, "retention", target, "retention",
                    &out, eb);
    e = tx_end(st, e, eb);
    store_delete_out_cleanup(&out);
    return e;
}

enum err store_retention_step(struct store *st, int64_t now, size_t batch,
                              int64_t *pruned, int64_t *deleted,
                              struct errbuf *eb)
{
    struct ret_project *p = NULL;
    int64_t *ids, done0 = 0, *done = &done0;
    size_t np = 0, n = 0;
    enum err e;

    *pruned = *deleted = 0;
    if (batch == 0)
        batch = 1;
    ids = xreallocarray(NULL, batch, sizeof *ids);
    e = ret_projects(st, &p, &np, eb);
    for (size_t i = 0; e == ERR_OK && i < np && *done == 0; i++) {
        const struct store_retention *r = &p[i].r;
        const char *def = r->default_branch ? r->default_branch : "main";
        char target[160];

        /* Runs past their branch's limit go first: pruning them would be
         * wasted work. */
        for (int same = 1; same >= 0 && e == ERR_OK && *done == 0; same--) {
            int64_t days = same ? r->default_runs_days : r->branch_runs_days;

            if (days <= 0)
                continue;
            e = pick_runs(st, SQ_RET_OLD_RUNS,
                          "SELECT r.id FROM run r JOIN branch b ON b.id = "
                          "r.branch_id WHERE r.project_id = ?1 AND "
                          "(b.name = ?2) = ?3 AND COALESCE(r.started_at, "
                          "r.commit_time, r.created_at) < ?4 ORDER BY r.id "
                          "LIMIT ?5",
                          p[i].id, def, same, now - days * MS_PER_DAY, batch,
                          ids, &n, eb);
            if (e != ERR_OK || n == 0)
                continue;
            snprintf(target, sizeof target, "runs of %s older than %lld days",
                     same ? "the default branch" : "other branches",
                     (long long)days);
            e = expire_runs(st, p[i].id, ids, n, target, eb);
            if (e == ERR_OK)
                *done = *deleted = (int64_t)n;
        }
        if (e != ERR_OK || *done || r->samples_days <= 0)
            continue;
        e = pick_runs(st, SQ_RET_PRUNE_PICK,
                      "SELECT id FROM run WHERE project_id = ?1 AND "
                      "pruned_at IS NULL AND COALESCE(started_at, "
                      "commit_time, created_at) < ?2 ORDER BY id LIMIT ?3",
                      p[i].id, NULL, 0, now - r->samples_days * MS_PER_DAY,
                      batch, ids, &n, eb);
        if (e == ERR_OK && n) {
            e = prune_runs(st, ids, n, now, eb);
            if (e == ERR_OK)
                *done = *pruned = (int64_t)n;
        }
    }
    for (size_t i = 0; i < np; i++)
        store_retention_cleanup(&p[i].r);
    free(p);
    free(ids);
    return e;
}
