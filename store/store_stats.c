/*
 * store_stats.c: what comparisons read (runs by id, branch, commit and
 * time; a series' recent central values for run-to-run noise) and the
 * budgets and comparison settings they are checked against.
 *
 * Design notes:
 * 1. Commit order is COALESCE(commit_time, started_at, created_at), then
 *    id, as in the series query (store_series.c), so "the latest run of a
 *    branch" and "the runs before the base" mean what a trend chart shows.
 * 2. store_run_pick is one statement with optional parameters ("?2 IS NULL
 *    OR ..."): it walks the project's runs through run_project and sorts
 *    the matches, which is fine for the one probe a comparison makes per
 *    side.
 * 3. History excludes the head's runs with "id NOT IN (SELECT value FROM
 *    json_each(?))": a bound JSON array keeps the statement cached and the
 *    SQL free of pasted text.
 * 4. A pull request's base commit travels in the run's metadata (the
 *    native format keeps unknown top-level members there): "base_commit"
 *    as a sha or as {"sha", "time"}, or "base_commit_time".  json_extract
 *    reads it here, so callers never parse metadata.
 * 5. Comparison settings live in project.settings under "compare";
 *    json_set replaces that member only, so settings other modules keep
 *    there survive.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define ORDER_KEY "COALESCE(r.commit_time, r.started_at, r.created_at)"

void store_run_ref_cleanup(struct store_run_ref *r)
{
    if (!r)
        return;
    free(r->branch);
    free(r->testbed);
    free(r->commit_sha);
    free(r->base_branch);
    free(r->base_commit);
    memset(r, 0, sizeof *r);
    r->base_commit_time = TIME_NONE;
}

enum err store_run_ref_get(struct store *st, int64_t project_id, int64_t run_id,
                           struct store_run_ref *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    store_run_ref_cleanup(out);
    e = store_stmt(
        st, SQ_STATS_RUN_REF,
        "SELECT r.id, r.branch_id, r.testbed_id, b.name, t.name, "
        "r.commit_sha, " ORDER_KEY ", r.pr_number, r.base_branch, "
        "CASE json_type(r.metadata, '$.base_commit') "
        "WHEN 'text' THEN json_extract(r.metadata, '$.base_commit') "
        "WHEN 'object' THEN json_extract(r.metadata, '$.base_commit.sha') "
        "END, "
        "COALESCE(json_extract(r.metadata, '$.base_commit_time'), "
        "CASE json_type(r.metadata, '$.base_commit') WHEN 'object' THEN "
        "json_extract(r.metadata, '$.base_commit.time') END) "
        "FROM run r JOIN branch b ON b.id = r.branch_id "
        "JOIN testbed t ON t.id = r.testbed_id "
        "WHERE r.project_id = ?1 AND r.id = ?2",
        &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    store_bind_int(&b, run_id);
    e = store_step_bound(st, &b, &row, eb, "run for a comparison");
    if (e != ERR_OK)
        goto out;
    if (!row) {
        err_set(eb, "run %lld is not in this project", (long long)run_id);
        e = ERR_NOT_FOUND;
        goto out;
    }
    out->id = sqlite3_column_int64(s, 0);
    out->branch_id = sqlite3_column_int64(s, 1);
    out->testbed_id = sqlite3_column_int64(s, 2);
    out->branch = store_col_str(s, 3);
    out->testbed = store_col_str(s, 4);
    out->commit_sha = store_col_str(s, 5);
    out->time = store_col_time(s, 6);
    out->pr_number = store_col_int_or(s, 7, 0);
    out->base_branch = store_col_str(s, 8);
    out->base_commit = store_col_str(s, 9);
    out->base_commit_time = TIME_NONE;
    if (sqlite3_column_type(s, 10) == SQLITE_TEXT) {
        int64_t ms;
        bool naive;

        /* an unparseable time is as good as none */
        if (time_parse_iso((const char *)sqlite3_column_text(s, 10), &ms,
                           &naive) == ERR_OK)
            out->base_commit_time = ms;
    }
out:
    store_stmt_done(s);
    if (e != ERR_OK)
        store_run_ref_cleanup(out);
    return e;
}

enum err store_run_pick(struct store *st, int64_t project_id,
                        const struct store_run_pick *q,
                        struct store_run_ref *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    int64_t id = 0;
    enum err e;
    bool row;

    store_run_ref_cleanup(out);
    if (q->commit && strlen(q->commit) < 4) {
        err_set(eb, "a commit prefix needs at least 4 characters");
        return ERR_INVALID;
    }
    e = store_stmt(st, SQ_STATS_RUN_PICK,
                   "SELECT r.id FROM run r "
                   "JOIN branch b ON b.id = r.branch_id "
                   "JOIN testbed t ON t.id = r.testbed_id "
                   "WHERE r.project_id = ?1 "
                   "AND (?2 IS NULL OR b.name = ?2) "
                   "AND (?3 IS NULL OR t.name = ?3) "
                   "AND (?4 IS NULL OR substr(r.commit_sha, 1, length(?4)) "
                   "= ?4) "
                   "AND (?5 IS NULL OR " ORDER_KEY " < ?5 OR (" ORDER_KEY
                   " = ?5 AND (?6 IS NULL OR r.id < ?6))) "
                   "ORDER BY " ORDER_KEY " DESC, r.id DESC LIMIT 1",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    store_bind_text(&b, q->branch);
    store_bind_text(&b, q->testbed);
    store_bind_text(&b, q->commit);
    store_bind_int_or_null(&b, q->before, TIME_NONE);
    store_bind_int_or_null(&b, q->before_id, 0);
    e = store_step_bound(st, &b, &row, eb, "pick a run");
    if (e == ERR_OK && row)
        id = sqlite3_column_int64(s, 0);
    store_stmt_done(s);
    s = NULL;
    if (e != ERR_OK)
        goto out;
    if (!id) {
        e = ERR_NOT_FOUND;
        goto out;
    }
    e = store_run_ref_get(st, project_id, id, out, eb);
out:
    store_stmt_done(s);
    return e;
}

void store_history_free(struct store_history_point *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].key);
        free(p[i].measure);
        free(p[i].samples);
    }
    free(p);
}

enum err store_history_values(struct store *st, int64_t project_id,
                              int64_t branch_id, int64_t testbed_id,
                              const struct store_run_ref *upto,
                              const int64_t *exclude, size_t nexclude,
                              int limit, struct store_history_point **out,
                              size_t *n, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    struct buf ids;
    size_t cap = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    if (limit < 1 || limit > 1000) {
        err_set(eb, "history: limit must be between 1 and 1000");
        return ERR_INVALID;
    }
    buf_init(&ids, 0);
    (void)buf_addc(&ids, '[');
    for (size_t i = 0; i < nexclude; i++)
        (void)buf_printf(&ids, "%s%lld", i ? "," : "", (long long)exclude[i]);
    (void)buf_addc(&ids, ']');
    e = store_stmt(st, SQ_STATS_HISTORY,
                   "WITH h AS (SELECT r.id FROM run r WHERE r.project_id = ?1 "
                   "AND r.branch_id = ?2 AND r.testbed_id = ?3 "
                   "AND (" ORDER_KEY " < ?4 OR (" ORDER_KEY
                   " = ?4 AND r.id <= ?5)) "
                   "AND r.id NOT IN (SELECT value FROM json_each(?6)) "
                   "ORDER BY " ORDER_KEY " DESC, r.id DESC LIMIT ?7) "
                   "SELECT b.key, m.name, x.run_id, x.value, x.samples "
                   "FROM result x "
                   "JOIN h ON h.id = x.run_id "
                   "JOIN benchmark b ON b.id = x.benchmark_id "
                   "JOIN measure m ON m.id = x.measure_id "
                   "ORDER BY b.key, m.name, x.run_id",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    store_bind_int(&b, branch_id);
    store_bind_int(&b, testbed_id);
    store_bind_int(&b, upto->time);
    store_bind_int(&b, upto->id);
    store_bind_text(&b, buf_str(&ids));
    store_bind_int(&b, limit);
    e = store_bind_check(st, &b, eb, "run history");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "run history")) == ERR_OK && row) {
        struct store_history_point *p;

        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *out = xreallocarray(*out, cap, sizeof **out);
        }
        p = &(*out)[(*n)++];
        p->key = store_col_str(s, 0);
        p->measure = store_col_str(s, 1);
        p->run_id = sqlite3_column_int64(s, 2);
        p->value = store_col_double(s, 3);
        p->samples = NULL;
        p->nsamples = 0;
        if (store_samples_decode(sqlite3_column_blob(s, 4),
                                 (size_t)sqlite3_column_bytes(s, 4),
                                 &p->samples, &p->nsamples) != ERR_OK) {
            err_set(eb,
                    "run %lld: samples are not a whole number of "
                    "float64 values",
                    (long long)p->run_id);
            e = ERR_DB;
        }
    }
out:
    store_stmt_done(s);
    buf_cleanup(&ids);
    if (e != ERR_OK) {
        store_history_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void store_budgets_free(struct store_budget *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++) {
        free(b[i].benchmark_glob);
        free(b[i].measure);
        free(b[i].unit);
    }
    free(b);
}

enum err store_budgets_get(struct store *st, int64_t project_id,
                           struct store_budget **out, size_t *n,
                           char **settings, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    size_t cap = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    *settings = NULL;
    e = store_stmt(st, SQ_STATS_BUDGETS,
                   "SELECT id, benchmark_glob, measure, op, threshold, unit "
                   "FROM budget WHERE project_id = ?1 ORDER BY id",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    e = store_bind_check(st, &b, eb, "budgets");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "budgets")) == ERR_OK && row) {
        struct store_budget *r;
        const char *op = (const char *)sqlite3_column_text(s, 3);

        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xreallocarray(*out, cap, sizeof **out);
        }
        r = &(*out)[(*n)++];
        r->id = sqlite3_column_int64(s, 0);
        r->benchmark_glob = store_col_str(s, 1);
        r->measure = store_col_str(s, 2);
        r->is_max = op && !strcmp(op, "max");
        r->threshold = store_col_double(s, 4);
        r->unit = store_col_str(s, 5);
    }
    store_stmt_done(s);
    s = NULL;
    if (e != ERR_OK)
        goto out;
    e = store_stmt(st, SQ_STATS_SETTINGS_GET,
                   "SELECT json_extract(settings, '$.compare') FROM project "
                   "WHERE id = ?1 AND json_type(settings, '$.compare') = "
                   "'object'",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    e = store_step_bound(st, &b, &row, eb, "comparison settings");
    if (e == ERR_OK && row)
        *settings = store_col_str(s, 0);
out:
    store_stmt_done(s);
    if (e != ERR_OK) {
        store_budgets_free(*out, *n);
        *out = NULL;
        *n = 0;
        free(*settings);
        *settings = NULL;
    }
    return e;
}

/* The project's id, creating the project when it does not exist yet. */
static enum err put_project(struct store *st, const char *project, int64_t *id,
                            struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *id = 0;
    e = store_stmt(st, SQ_STATS_PROJECT_ENSURE,
                   "INSERT INTO project (slug, created_at) VALUES (?1, ?2) "
                   "ON CONFLICT (slug) DO NOTHING",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, project);
    store_bind_int(&b, time_now_ms());
    e = store_step_bound(st, &b, &row, eb, "create project");
    store_stmt_done(s);
    s = NULL;
    if (e != ERR_OK)
        goto out;
    e = store_stmt(st, SQ_STATS_PROJECT_ID,
                   "SELECT id FROM project WHERE slug = ?1", &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, project);
    e = store_step_bound(st, &b, &row, eb, "find project");
    if (e == ERR_OK && row)
        *id = sqlite3_column_int64(s, 0);
    else if (e == ERR_OK)
        e = store_db_err(st, eb, "find project");
out:
    store_stmt_done(s);
    return e;
}

static enum err put_rules(struct store *st, int64_t pid,
                          const struct store_budget *rules, size_t n,
                          const char *settings, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_STATS_BUDGETS_DELETE,
                   "DELETE FROM budget WHERE project_id = ?1", &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, pid);
    e = store_step_bound(st, &b, &row, eb, "clear budgets");
    store_stmt_done(s);
    s = NULL;
    for (size_t i = 0; e == ERR_OK && i < n; i++) {
        e = store_stmt(st, SQ_STATS_BUDGET_INSERT,
                       "INSERT INTO budget (project_id, benchmark_glob, "
                       "measure, op, threshold, unit, created_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       &s, eb);
        if (e != ERR_OK)
            break;
        store_bind_start(&b, s);
        store_bind_int(&b, pid);
        store_bind_text(&b, rules[i].benchmark_glob ? rules[i].benchmark_glob
                                                    : "*");
        store_bind_text(&b, rules[i].measure);
        store_bind_text(&b, rules[i].is_max ? "max" : "min");
        store_bind_double(&b, rules[i].threshold);
        store_bind_text(&b, rules[i].unit ? rules[i].unit : "");
        store_bind_int(&b, time_now_ms());
        e = store_step_bound(st, &b, &row, eb, "add budget");
        store_stmt_done(s);
        s = NULL;
    }
    if (e != ERR_OK || !settings)
        goto out;
    e = store_stmt(st, SQ_STATS_SETTINGS_SET,
                   "UPDATE project SET settings = json_set(settings, "
                   "'$.compare', json(?2)) WHERE id = ?1",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, pid);
    store_bind_text(&b, settings);
    e = store_step_bound(st, &b, &row, eb, "comparison settings");
out:
    store_stmt_done(s);
    return e;
}

enum err store_budgets_put(struct store *st, const char *project,
                           const struct store_budget *rules, size_t n,
                           const char *settings, struct errbuf *eb)
{
    int64_t pid;
    enum err e;

    e = store_exec(st, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", eb);
    if (e != ERR_OK)
        return e;
    e = put_project(st, project, &pid, eb);
    if (e == ERR_OK)
        e = put_rules(st, pid, rules, n, settings, eb);
    if (e == ERR_OK)
        e = store_exec(st, SQ_COMMIT, "COMMIT", eb);
    if (e != ERR_OK && !sqlite3_get_autocommit(st->db))
        (void)store_exec(st, SQ_ROLLBACK, "ROLLBACK", NULL);
    return e;
}
