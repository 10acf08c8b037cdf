/*
 * store_alerts.c: change points and alerts (schema/0002_alerts.sql).
 *
 * Design notes:
 * 1. The tail of a series is read newest-first by run id, which walks the
 *    result_series index (benchmark_id, measure_id, run_id) backwards and
 *    stops after limit matching rows; the branch and testbed filter is a
 *    rowid lookup in run per row.  The cost is that of the tail, whatever
 *    the history's length.  The rows are then put in commit order here.
 *    A run backfilled with an old commit time is therefore examined with
 *    the runs ingested around it, not with its commit-order neighbours;
 *    the series endpoint's full analysis always uses commit order.
 * 2. store_cpd_apply writes all the actions of one examination in one
 *    BEGIN IMMEDIATE transaction: a regression's alert row and its
 *    change_point row appear together or not at all.
 * 3. An UPDATE restates an alert only while it is open: once a person has
 *    acknowledged or dismissed it, what they saw stays as it was.
 * 4. Settings live in project.settings under "changepoints" and are read
 *    and written with SQLite's JSON functions: the paths are constants
 *    here, the values bound parameters.
 * 5. Every statement that records a change (the alert and change_point
 *    INSERTs and UPDATEs) takes it as its last parameters in one order,
 *    bound by exec_change: first run, last run, before, after, change,
 *    p-value, then the time.  Whatever else it binds (the series, kind and
 *    alert id of a new row; the id of an updated one) comes first.  Queries
 *    on one series likewise bind it first, through bind_series.
 */
#include "store/store_int.h"

#include <assert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const alert_statuses[] = {"open", "acknowledged",
                                             "dismissed", "resolved"};

bool store_alert_status_valid(const char *s)
{
    for (size_t i = 0; s && i < sizeof alert_statuses / sizeof *alert_statuses;
         i++)
        if (strcmp(s, alert_statuses[i]) == 0)
            return true;
    return false;
}

/* ---- binding --------------------------------------------------------- */

/*
 * Runs the statement bound in b to completion; *id (when not NULL) = the
 * new rowid.
 */
static enum err exec_bound(struct store *st, const struct store_bind *b,
                           int64_t *id, struct errbuf *eb, const char *what)
{
    bool row;
    enum err e = store_step_bound(st, b, &row, eb, what);

    if (e == ERR_OK && id)
        *id = sqlite3_last_insert_rowid(st->db);
    return e;
}

/* Binds the series' benchmark, measure, branch and testbed ids, in order. */
static void bind_series(struct store_bind *b,
                        const struct store_cpd_series *ser)
{
    store_bind_int(b, ser->benchmark_id);
    store_bind_int(b, ser->measure_id);
    store_bind_int(b, ser->branch_id);
    store_bind_int(b, ser->testbed_id);
}

/*
 * Takes the cached statement of a query on one series (?1 to ?4 as
 * bind_series binds them, ?5 the limit) and binds it.  *s as store_stmt;
 * hand it back with store_stmt_done either way.
 */
static enum err series_query(struct store *st, enum store_sql slot,
                             const char *sql,
                             const struct store_cpd_series *ser, size_t limit,
                             sqlite3_stmt **s, struct errbuf *eb,
                             const char *what)
{
    struct store_bind b;
    enum err e = store_stmt(st, slot, sql, s, eb);

    if (e != ERR_OK)
        return e;
    store_bind_start(&b, *s);
    bind_series(&b, ser);
    store_bind_int(&b, (int64_t)limit);
    return store_bind_check(st, &b, eb, what);
}

/*
 * Binds the change that a found (first run, last run or NULL, before,
 * after, change, p-value) and then now, after what b already holds, and
 * runs the statement as exec_bound does.
 */
static enum err exec_change(struct store *st, struct store_bind *b,
                            const struct store_cpd_action *a, int64_t now,
                            int64_t *id, struct errbuf *eb, const char *what)
{
    store_bind_int(b, a->first_run_id);
    store_bind_int_or_null(b, a->last_run_id, 0);
    store_bind_double(b, a->before);
    store_bind_double(b, a->after);
    store_bind_double(b, a->change);
    store_bind_double(b, a->p_value);
    store_bind_int(b, now);
    return exec_bound(st, b, id, eb, what);
}

/* ---- series of a run, settings --------------------------------------------
 */

enum err store_cpd_series_of_run(struct store *st, int64_t run_id,
                                 struct store_cpd_touch **out, size_t *n,
                                 struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    size_t cap = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    e = store_stmt(st, SQ_CPD_SERIES_OF_RUN,
                   "SELECT ru.project_id, r.benchmark_id, r.measure_id, "
                   "ru.branch_id, ru.testbed_id, m.direction, "
                   "COALESCE(ru.commit_time, ru.started_at, ru.created_at), "
                   "r.value FROM result r JOIN run ru ON ru.id = r.run_id "
                   "JOIN measure m ON m.id = r.measure_id "
                   "WHERE r.run_id = ?1",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, run_id);
    e = store_bind_check(st, &b, eb, "series of run");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "series of run")) == ERR_OK &&
           row) {
        struct store_cpd_touch *x;

        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = xreallocarray(*out, cap, sizeof **out);
        }
        x = &(*out)[(*n)++];
        x->s.project_id = sqlite3_column_int64(s, 0);
        x->s.benchmark_id = sqlite3_column_int64(s, 1);
        x->s.measure_id = sqlite3_column_int64(s, 2);
        x->s.branch_id = sqlite3_column_int64(s, 3);
        x->s.testbed_id = sqlite3_column_int64(s, 4);
        x->s.direction = store_col_direction(s, 5);
        x->p.run_id = run_id;
        x->p.time = store_col_int_or(s, 6, 0);
        x->p.value = sqlite3_column_double(s, 7);
    }
out:
    store_stmt_done(s);
    if (e != ERR_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return e;
}

enum err store_cpd_settings_get(struct store *st, int64_t project_id,
                                struct store_cpd_settings *out,
                                struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    out->window = out->min_size = 0;
    out->p = out->magnitude = NAN;
    e = store_stmt(st, SQ_CPD_SETTINGS_GET,
                   "SELECT json_extract(j, '$.changepoints.window'), "
                   "json_extract(j, '$.changepoints.min_size'), "
                   "json_extract(j, '$.changepoints.p'), "
                   "json_extract(j, '$.changepoints.magnitude') FROM "
                   "(SELECT CASE WHEN json_valid(settings) THEN settings "
                   "ELSE '{}' END AS j FROM project WHERE id = ?1)",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    e = store_step_bound(st, &b, &row, eb, "change-point settings");
    if (e != ERR_OK || !row)
        goto out;
    /* A value of the wrong JSON type reads as unset. */
    if (sqlite3_column_type(s, 0) == SQLITE_INTEGER)
        out->window = sqlite3_column_int64(s, 0);
    if (sqlite3_column_type(s, 1) == SQLITE_INTEGER)
        out->min_size = sqlite3_column_int64(s, 1);
    if (sqlite3_column_type(s, 2) == SQLITE_FLOAT ||
        sqlite3_column_type(s, 2) == SQLITE_INTEGER)
        out->p = sqlite3_column_double(s, 2);
    if (sqlite3_column_type(s, 3) == SQLITE_FLOAT ||
        sqlite3_column_type(s, 3) == SQLITE_INTEGER)
        out->magnitude = sqlite3_column_double(s, 3);
out:
    store_stmt_done(s);
    return e;
}

/* Sets one settings path of a project; *found when the project exists. */
static enum err settings_put(struct store *st, const char *project,
                             const char *path, bool integer, int64_t iv,
                             double dv, bool *found, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;

    e = store_stmt(st, SQ_CPD_SETTINGS_SET,
                   "UPDATE project SET settings = json_set(CASE WHEN "
                   "json_valid(settings) THEN settings ELSE '{}' END, ?2, ?3) "
                   "WHERE slug = ?1",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, project);
    store_bind_text(&b, path);
    if (integer)
        store_bind_int(&b, iv);
    else
        store_bind_double(&b, dv);
    e = exec_bound(st, &b, NULL, eb, "change-point settings");
    if (e == ERR_OK)
        *found = sqlite3_changes(st->db) > 0;
out:
    store_stmt_done(s);
    return e;
}

enum err store_cpd_settings_set(struct store *st, const char *project,
                                const struct store_cpd_settings *in,
                                struct errbuf *eb)
{
    bool found = true;
    enum err e = ERR_OK;

    if (in->window > 0)
        e = settings_put(st, project, "$.changepoints.window", true, in->window,
                         0, &found, eb);
    if (e == ERR_OK && found && in->min_size > 0)
        e = settings_put(st, project, "$.changepoints.min_size", true,
                         in->min_size, 0, &found, eb);
    if (e == ERR_OK && found && !isnan(in->p))
        e = settings_put(st, project, "$.changepoints.p", false, 0, in->p,
                         &found, eb);
    if (e == ERR_OK && found && !isnan(in->magnitude))
        e = settings_put(st, project, "$.changepoints.magnitude", false, 0,
                         in->magnitude, &found, eb);
    if (e == ERR_OK && !found) {
        err_set(eb, "unknown project \"%s\"", project);
        e = ERR_NOT_FOUND;
    }
    return e;
}

/* ---- the tail and the recorded change points ------------------------------
 */

static int point_cmp(const void *a, const void *b)
{
    const struct store_cpd_point *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->run_id < y->run_id ? -1 : x->run_id > y->run_id;
}

enum err store_cpd_tail(struct store *st, const struct store_cpd_series *ser,
                        size_t limit, struct store_cpd_point **out, size_t *n,
                        struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    if (limit == 0)
        return ERR_OK;
    e = series_query(st, SQ_CPD_TAIL,
                     "SELECT ru.id, COALESCE(ru.commit_time, ru.started_at, "
                     "ru.created_at), r.value FROM result r "
                     "JOIN run ru ON ru.id = r.run_id "
                     "WHERE r.benchmark_id = ?1 AND r.measure_id = ?2 "
                     "AND ru.branch_id = ?3 AND ru.testbed_id = ?4 "
                     "ORDER BY r.run_id DESC LIMIT ?5",
                     ser, limit, &s, eb, "series tail");
    if (e == ERR_OK)
        *out = xreallocarray(NULL, limit, sizeof **out);
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "series tail")) == ERR_OK && row &&
           *n < limit) {
        struct store_cpd_point *p = &(*out)[(*n)++];

        p->run_id = sqlite3_column_int64(s, 0);
        p->time = store_col_int_or(s, 1, 0);
        p->value = sqlite3_column_double(s, 2);
    }
    store_stmt_done(s);
    if (e != ERR_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    } else if (*n) {
        qsort(*out, *n, sizeof **out, point_cmp);
    } else {
        free(*out);
        *out = NULL;
    }
    return e;
}

enum err store_cpd_known_list(struct store *st,
                              const struct store_cpd_series *ser, size_t limit,
                              struct store_cpd_known **out, size_t *n,
                              struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    if (limit == 0)
        return ERR_OK;
    e = series_query(st, SQ_CPD_KNOWN,
                     "SELECT c.id, c.first_run_id, COALESCE(c.alert_id, 0), "
                     "c.kind = 'regression', COALESCE(a.status, ''), "
                     "c.before_value, c.after_value FROM change_point c "
                     "LEFT JOIN alert a ON a.id = c.alert_id "
                     "WHERE c.benchmark_id = ?1 AND c.measure_id = ?2 "
                     "AND c.branch_id = ?3 AND c.testbed_id = ?4 "
                     "ORDER BY COALESCE(a.status IN ('open', "
                     "'acknowledged'), 0) DESC, c.id DESC LIMIT ?5",
                     ser, limit, &s, eb, "recorded change points");
    if (e == ERR_OK)
        *out = xcalloc(limit, sizeof **out);
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "recorded change points")) ==
               ERR_OK &&
           row && *n < limit) {
        struct store_cpd_known *k = &(*out)[(*n)++];
        const unsigned char *status = sqlite3_column_text(s, 4);

        k->id = sqlite3_column_int64(s, 0);
        k->first_run_id = sqlite3_column_int64(s, 1);
        k->alert_id = sqlite3_column_int64(s, 2);
        k->regression = sqlite3_column_int64(s, 3) != 0;
        snprintf(k->status, sizeof k->status, "%s",
                 status ? (const char *)status : "");
        k->before = sqlite3_column_double(s, 5);
        k->after = sqlite3_column_double(s, 6);
    }
    store_stmt_done(s);
    if (e != ERR_OK || *n == 0) {
        free(*out);
        *out = NULL;
        if (e != ERR_OK)
            *n = 0;
    }
    return e;
}

/* ---- recording (note 2) ---------------------------------------------------
 */

static enum err cpd_insert(struct store *st, struct store_cpd_action *a,
                           int64_t now, struct errbuf *eb)
{
    const struct store_cpd_series *ser = a->series;
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    int64_t id;
    enum err e = ERR_OK;

    a->new_alert_id = 0;
    if (a->regression) {
        e = store_stmt(st, SQ_ALERT_INSERT,
                       "INSERT INTO alert (project_id, benchmark_id, "
                       "measure_id, branch_id, testbed_id, kind, "
                       "first_bad_run_id, last_good_run_id, before_value, "
                       "after_value, change, p_value, status, created_at, "
                       "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                       "'changepoint', ?6, ?7, ?8, ?9, ?10, ?11, 'open', "
                       "?12, ?12)",
                       &s, eb);
        if (e != ERR_OK)
            goto out;
        store_bind_start(&b, s);
        store_bind_int(&b, ser->project_id);
        bind_series(&b, ser);
        e = exec_change(st, &b, a, now, &a->new_alert_id, eb, "insert alert");
        store_stmt_done(s);
        s = NULL;
        if (e != ERR_OK)
            goto out;
    }
    e = store_stmt(st, SQ_CPD_INSERT,
                   "INSERT INTO change_point (project_id, benchmark_id, "
                   "measure_id, branch_id, testbed_id, kind, alert_id, "
                   "first_run_id, last_run_id, before_value, after_value, "
                   "change, p_value, created_at, updated_at) VALUES (?1, "
                   "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                   "?14)",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, ser->project_id);
    bind_series(&b, ser);
    store_bind_text(&b, a->regression ? "regression" : "improvement");
    store_bind_int_or_null(&b, a->new_alert_id, 0);
    e = exec_change(st, &b, a, now, &id, eb, "insert change point");
out:
    store_stmt_done(s);
    return e;
}

/*
 * Restates a's change on the row id of a statement whose ?1 is the row id,
 * ?2 to ?7 the change as exec_change binds it and ?8 the time.
 */
static enum err change_update(struct store *st, enum store_sql slot,
                              const char *sql, int64_t id,
                              const struct store_cpd_action *a, int64_t now,
                              struct errbuf *eb, const char *what)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;

    e = store_stmt(st, slot, sql, &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, id);
        e = exec_change(st, &b, a, now, NULL, eb, what);
    }
    store_stmt_done(s);
    return e;
}

static enum err cpd_update(struct store *st, const struct store_cpd_action *a,
                           int64_t now, struct errbuf *eb)
{
    enum err e;

    e = change_update(
        st, SQ_CPD_UPDATE,
        "UPDATE change_point SET first_run_id = ?2, "
        "last_run_id = ?3, before_value = ?4, after_value = ?5, "
        "change = ?6, p_value = ?7, updated_at = ?8 WHERE id = ?1",
        a->id, a, now, eb, "update change point");
    if (e != ERR_OK || !a->alert_id)
        return e;
    /* Note 3: only an open alert follows its change point. */
    return change_update(st, SQ_ALERT_UPDATE_OPEN,
                         "UPDATE alert SET first_bad_run_id = ?2, "
                         "last_good_run_id = ?3, before_value = ?4, "
                         "after_value = ?5, change = ?6, p_value = ?7, "
                         "updated_at = ?8 WHERE id = ?1 AND status = 'open'",
                         a->alert_id, a, now, eb, "update alert");
}

static enum err alert_resolve(struct store *st, int64_t alert_id, int64_t now,
                              struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;

    e = store_stmt(st, SQ_ALERT_RESOLVE,
                   "UPDATE alert SET status = 'resolved', updated_at = ?2 "
                   "WHERE id = ?1 AND status IN ('open', 'acknowledged')",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, alert_id);
        store_bind_int(&b, now);
        e = exec_bound(st, &b, NULL, eb, "resolve alert");
    }
    store_stmt_done(s);
    return e;
}

enum err store_cpd_apply(struct store *st, struct store_cpd_action *a, size_t n,
                         struct errbuf *eb)
{
    int64_t now = time_now_ms();
    enum err e;

    if (n == 0)
        return ERR_OK;
    e = store_exec(st, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", eb);
    if (e != ERR_OK)
        return e;
    for (size_t i = 0; i < n && e == ERR_OK; i++) {
        switch (a[i].op) {
        case STORE_CPD_INSERT:
            e = cpd_insert(st, &a[i], now, eb);
            break;
        case STORE_CPD_UPDATE:
            e = cpd_update(st, &a[i], now, eb);
            break;
        case STORE_CPD_RESOLVE:
            e = alert_resolve(st, a[i].alert_id, now, eb);
            break;
        }
    }
    if (e == ERR_OK)
        e = store_exec(st, SQ_COMMIT, "COMMIT", eb);
    if (e != ERR_OK) {
        if (!sqlite3_get_autocommit(st->db))
            (void)store_exec(st, SQ_ROLLBACK, "ROLLBACK", NULL);
        for (size_t i = 0; i < n; i++)
            a[i].new_alert_id = 0;
    }
    return e;
}

/* ---- reading and triaging alerts ----------------------------------------- */

/* The columns both alert queries select, in this order. */
#define ALERT_COLUMNS                                                          \
    "SELECT a.id, a.project_id, a.benchmark_id, p.slug, b.key, m.name, "       \
    "m.unit, m.direction, br.name, t.name, a.kind, a.status, a.note, "         \
    "COALESCE(a.first_bad_run_id, 0), COALESCE(a.last_good_run_id, 0), "       \
    "fr.commit_sha, lr.commit_sha, a.before_value, a.after_value, "            \
    "a.change, a.p_value, a.created_at, a.updated_at FROM alert a "            \
    "JOIN project p ON p.id = a.project_id "                                   \
    "JOIN benchmark b ON b.id = a.benchmark_id "                               \
    "JOIN measure m ON m.id = a.measure_id "                                   \
    "JOIN branch br ON br.id = a.branch_id "                                   \
    "JOIN testbed t ON t.id = a.testbed_id "                                   \
    "LEFT JOIN run fr ON fr.id = a.first_bad_run_id "                          \
    "LEFT JOIN run lr ON lr.id = a.last_good_run_id "

static void alert_read(sqlite3_stmt *s, struct store_alert *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(s, 0);
    a->project_id = sqlite3_column_int64(s, 1);
    a->benchmark_id = sqlite3_column_int64(s, 2);
    a->project = store_col_str(s, 3);
    a->benchmark = store_col_str(s, 4);
    a->measure = store_col_str(s, 5);
    a->unit = store_col_str(s, 6);
    a->direction = store_col_direction(s, 7);
    a->branch = store_col_str(s, 8);
    a->testbed = store_col_str(s, 9);
    a->kind = store_col_str(s, 10);
    a->status = store_col_str(s, 11);
    a->note = store_col_str(s, 12);
    a->first_bad_run_id = sqlite3_column_int64(s, 13);
    a->last_good_run_id = sqlite3_column_int64(s, 14);
    a->first_bad_commit = store_col_str(s, 15);
    a->last_good_commit = store_col_str(s, 16);
    a->before = store_col_double(s, 17);
    a->after = store_col_double(s, 18);
    a->change = store_col_double(s, 19);
    a->p_value = store_col_double(s, 20);
    a->created_at = store_col_time(s, 21);
    a->updated_at = store_col_time(s, 22);
}

void store_alert_cleanup(struct store_alert *a)
{
    if (!a)
        return;
    free(a->project);
    free(a->benchmark);
    free(a->measure);
    free(a->unit);
    free(a->branch);
    free(a->testbed);
    free(a->kind);
    free(a->status);
    free(a->note);
    free(a->first_bad_commit);
    free(a->last_good_commit);
    memset(a, 0, sizeof *a);
}

void store_alerts_free(struct store_alert *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++)
        store_alert_cleanup(&a[i]);
    free(a);
}

enum err store_alerts_list(struct store *st, int64_t project_id,
                           const char *status, int64_t before_id, int limit,
                           struct store_alert **out, size_t *n,
                           struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    size_t cap = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    if (status && !store_alert_status_valid(status)) {
        err_set(eb,
                "unknown alert status \"%s\" (open, acknowledged, "
                "dismissed, resolved)",
                status);
        return ERR_INVALID;
    }
    if (limit < 1 || limit > 1000)
        limit = limit < 1 ? 1 : 1000;
    e = store_stmt(st, SQ_ALERTS_LIST,
                   ALERT_COLUMNS
                   "WHERE a.project_id = ?1 "
                   "AND (?2 IS NULL OR a.status = ?2) "
                   "AND (?3 = 0 OR a.id < ?3) ORDER BY a.id DESC LIMIT ?4",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    store_bind_text(&b, status);
    store_bind_int(&b, before_id);
    store_bind_int(&b, limit);
    e = store_bind_check(st, &b, eb, "list alerts");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "list alerts")) == ERR_OK && row) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = xreallocarray(*out, cap, sizeof **out);
        }
        alert_read(s, &(*out)[(*n)++]);
    }
out:
    store_stmt_done(s);
    if (e != ERR_OK) {
        store_alerts_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

enum err store_alert_get(struct store *st, int64_t id, struct store_alert *out,
                         struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row = false;

    memset(out, 0, sizeof *out);
    e = store_stmt(st, SQ_ALERT_GET, ALERT_COLUMNS "WHERE a.id = ?1", &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, id);
    e = store_step_bound(st, &b, &row, eb, "get alert");
    if (e == ERR_OK && row)
        alert_read(s, out);
    if (e == ERR_OK && !row) {
        err_set(eb, "no alert %lld", (long long)id);
        e = ERR_NOT_FOUND;
    }
out:
    store_stmt_done(s);
    return e;
}

enum err store_alert_update(struct store *st, int64_t id, const char *status,
                            const char *note, struct errbuf *eb)
{
    struct store_alert cur;
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    const char *new_note;
    enum err e;

    if (status && !store_alert_status_valid(status)) {
        err_set(eb,
                "unknown alert status \"%s\" (open, acknowledged, "
                "dismissed, resolved)",
                status);
        return ERR_INVALID;
    }
    if (note && text_check("note", note, strlen(note), STORE_NOTE_MAX,
                           TEXT_MULTILINE | TEXT_BLANK_OK, eb) != ERR_OK)
        return ERR_INVALID;
    /* Read and write in one transaction: the writer thread may resolve
     * the alert meanwhile. */
    e = store_exec(st, SQ_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", eb);
    if (e != ERR_OK)
        return e;
    e = store_alert_get(st, id, &cur, eb);
    if (e != ERR_OK)
        goto out;
    new_note = note ? note : cur.note;
    if (new_note && !*new_note)
        new_note = NULL;
    if (status && strcmp(status, "dismissed") == 0 && !new_note) {
        err_set(eb, "dismissing an alert needs a note that says why");
        e = ERR_INVALID;
        goto out;
    }
    e = store_stmt(st, SQ_ALERT_SET,
                   "UPDATE alert SET status = COALESCE(?2, status), "
                   "note = ?3, updated_at = ?4 WHERE id = ?1",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, id);
    store_bind_text(&b, status);
    store_bind_text(&b, new_note);
    store_bind_int(&b, time_now_ms());
    e = exec_bound(st, &b, NULL, eb, "update alert");
out:
    store_stmt_done(s);
    store_alert_cleanup(&cur);
    if (e == ERR_OK)
        e = store_exec(st, SQ_COMMIT, "COMMIT", eb);
    if (e != ERR_OK && !sqlite3_get_autocommit(st->db))
        (void)store_exec(st, SQ_ROLLBACK, "ROLLBACK", NULL);
    return e;
}

enum err store_alerts_by_project(struct store *st,
                                 struct store_alert_tally **out, size_t *n)
{
    sqlite3_stmt *s = NULL;
    struct store_alert_tally *v = NULL;
    size_t k = 0;
    enum err e;
    bool row;

    assert(st && out && n);
    *out = NULL;
    *n = 0;
    e = store_stmt(st, SQ_ALERTS_BY_PROJECT,
                   "SELECT p.slug, "
                   "COUNT(CASE WHEN a.status = 'open' THEN 1 END), "
                   "COUNT(CASE WHEN a.status = 'acknowledged' THEN 1 END) "
                   "FROM project p LEFT JOIN alert a ON a.project_id = p.id "
                   "GROUP BY p.id ORDER BY p.slug",
                   &s, NULL);
    while (e == ERR_OK) {
        e = store_step(st, s, &row, NULL, "count alerts by project");
        if (e || !row)
            break;
        v = xreallocarray(v, k + 1, sizeof *v);
        v[k].project = xstrdup((const char *)sqlite3_column_text(s, 0));
        v[k].open = sqlite3_column_int64(s, 1);
        v[k].acknowledged = sqlite3_column_int64(s, 2);
        k++;
    }
    store_stmt_done(s);
    if (e) {
        store_alert_tally_free(v, k);
        return e;
    }
    *out = v;
    *n = k;
    return ERR_OK;
}

void store_alert_tally_free(struct store_alert_tally *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].project);
    free(v);
}
