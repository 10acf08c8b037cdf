/*
 * store_summary.c: the per-series summary (schema/0008_series_summary.sql),
 * kept up to date inside the ingest transaction.
 *
 * Design notes:
 * 1. Derived data, recomputed from the database: an ingest reads the
 *    series' summary row as committed (inside its own BEGIN IMMEDIATE, so
 *    no other writer, process or server, can change it meanwhile), adds
 *    the new point and writes the row back.  Nothing is kept in process
 *    memory between transactions, and a rolled-back savepoint takes its
 *    summary changes with it.
 * 2. Invariant: a row equals summary_compute() of its series, i.e. what a
 *    full read of the series' results in commit order gives.  The common
 *    case keeps it with one row read and one row write: a point that comes
 *    after the row's last point in commit order (time, then run id) is
 *    appended to the tail and the oldest value drops out.  A point that
 *    sorts before it (a backfilled run) recomputes the row from the
 *    results (one series query; rare).
 * 3. The tail holds values only (STORE_SUMMARY_TAIL of them, 8 bytes
 *    each): what the dashboard's level, noise and sparklines need.  The
 *    order keys of the dropped values are not needed, since only the last
 *    point's key decides between append and recompute.
 * 4. Deleting results (no API does) would have to recompute the rows of
 *    the series they belong to; store_summary_rebuild does a project.
 */
#include "store/store_int.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CENTER_POINTS 20
#define NOISE_POINTS 10

/* The center and noise of note 2 in the schema file, from the tail. */
static void summary_stats(struct store_summary *s)
{
    size_t k = s->ntail < CENTER_POINTS ? s->ntail : CENTER_POINTS;
    double v[CENTER_POINTS], mean = 0, ss = 0;

    s->center = s->noise = NAN;
    if (k >= 3) {
        memcpy(v, s->tail + s->ntail - k, k * sizeof *v);
        qsort(v, k, sizeof *v, double_cmp);
        s->center = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
    }
    k = s->ntail < NOISE_POINTS ? s->ntail : NOISE_POINTS;
    if (k < 3)
        return;
    for (size_t i = s->ntail - k; i < s->ntail; i++)
        mean += s->tail[i];
    mean /= (double)k;
    for (size_t i = s->ntail - k; i < s->ntail; i++)
        ss += (s->tail[i] - mean) * (s->tail[i] - mean);
    if (mean != 0)
        s->noise = sqrt(ss / (double)(k - 1)) / fabs(mean);
}

static void bind_series(struct store_bind *b, const struct store_cpd_series *s)
{
    store_bind_int(b, s->benchmark_id);
    store_bind_int(b, s->measure_id);
    store_bind_int(b, s->branch_id);
    store_bind_int(b, s->testbed_id);
}

static void summary_start(struct store_summary *out,
                          const struct store_cpd_series *ser)
{
    memset(out, 0, sizeof *out);
    out->project_id = ser->project_id;
    out->benchmark_id = ser->benchmark_id;
    out->measure_id = ser->measure_id;
    out->branch_id = ser->branch_id;
    out->testbed_id = ser->testbed_id;
    out->center = out->noise = NAN;
}

/* Fills the tail from a BLOB column (at most STORE_SUMMARY_TAIL values). */
static enum err tail_decode(struct store *st, sqlite3_stmt *s, int col,
                            struct store_summary *out, struct errbuf *eb)
{
    double *v = NULL;
    size_t n = 0;

    if (store_samples_decode(sqlite3_column_blob(s, col),
                             (size_t)sqlite3_column_bytes(s, col), &v,
                             &n) != ERR_OK ||
        n > STORE_SUMMARY_TAIL) {
        free(v);
        err_set(eb, "series summary of benchmark %lld: a malformed tail",
                (long long)out->benchmark_id);
        (void)st;
        return ERR_DB;
    }
    if (n)
        memcpy(out->tail, v, n * sizeof *v);
    out->ntail = n;
    free(v);
    return ERR_OK;
}

enum err store_summary_compute(struct store *st,
                               const struct store_cpd_series *ser,
                               struct store_summary *out, bool *found,
                               struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    double rev[STORE_SUMMARY_TAIL];
    size_t n = 0;
    enum err e;
    bool row;

    summary_start(out, ser);
    *found = false;
    e = store_stmt(st, SQ_SUMMARY_COUNT,
                   "SELECT count(*), max(r.run_id) FROM result r "
                   "JOIN run ru ON ru.id = r.run_id "
                   "WHERE r.benchmark_id = ?1 AND r.measure_id = ?2 "
                   "AND ru.branch_id = ?3 AND ru.testbed_id = ?4",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    bind_series(&b, ser);
    e = store_step_bound(st, &b, &row, eb, "count series");
    if (e != ERR_OK || !row)
        goto out;
    out->npoints = sqlite3_column_int64(s, 0);
    out->newest_run_id = store_col_int_or(s, 1, 0);
    store_stmt_done(s);
    s = NULL;
    if (out->npoints == 0)
        goto out;
    e = store_stmt(st, SQ_SUMMARY_TAIL,
                   "SELECT ru.id, COALESCE(ru.commit_time, ru.started_at, "
                   "ru.created_at) AS t, r.value FROM result r "
                   "JOIN run ru ON ru.id = r.run_id "
                   "WHERE r.benchmark_id = ?1 AND r.measure_id = ?2 "
                   "AND ru.branch_id = ?3 AND ru.testbed_id = ?4 "
                   "ORDER BY t DESC, ru.id DESC LIMIT ?5",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    bind_series(&b, ser);
    store_bind_int(&b, STORE_SUMMARY_TAIL);
    e = store_bind_check(st, &b, eb, "series summary tail");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "series summary tail")) == ERR_OK &&
           row && n < STORE_SUMMARY_TAIL) {
        if (n == 0) {
            out->last_run_id = sqlite3_column_int64(s, 0);
            out->last_time = store_col_int_or(s, 1, 0);
        }
        rev[n++] = sqlite3_column_double(s, 2);
    }
    if (e != ERR_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        out->tail[i] = rev[n - 1 - i];
    out->ntail = n;
    summary_stats(out);
    *found = true;
out:
    store_stmt_done(s);
    return e;
}

enum err store_summary_get(struct store *st, const struct store_cpd_series *ser,
                           struct store_summary *out, bool *found,
                           struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    summary_start(out, ser);
    *found = false;
    e = store_stmt(st, SQ_SUMMARY_GET,
                   "SELECT project_id, npoints, newest_run_id, last_run_id, "
                   "last_time, tail, center, noise FROM series_summary "
                   "WHERE benchmark_id = ?1 AND measure_id = ?2 "
                   "AND branch_id = ?3 AND testbed_id = ?4",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    bind_series(&b, ser);
    e = store_step_bound(st, &b, &row, eb, "series summary");
    if (e != ERR_OK || !row)
        goto out;
    out->project_id = sqlite3_column_int64(s, 0);
    out->npoints = sqlite3_column_int64(s, 1);
    out->newest_run_id = sqlite3_column_int64(s, 2);
    out->last_run_id = sqlite3_column_int64(s, 3);
    out->last_time = sqlite3_column_int64(s, 4);
    e = tail_decode(st, s, 5, out, eb);
    out->center = store_col_double(s, 6);
    out->noise = store_col_double(s, 7);
    *found = e == ERR_OK;
out:
    store_stmt_done(s);
    return e;
}

/* Inserts or replaces the row of sum's series. */
static enum err summary_put(struct store *st, const struct store_summary *sum,
                            struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    const void *blob;
    size_t len;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_SUMMARY_PUT,
                   "INSERT INTO series_summary (project_id, benchmark_id, "
                   "measure_id, branch_id, testbed_id, npoints, "
                   "newest_run_id, last_run_id, last_time, tail, center, "
                   "noise) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                   "?11, ?12) ON CONFLICT (benchmark_id, measure_id, "
                   "branch_id, testbed_id) DO UPDATE SET "
                   "npoints = excluded.npoints, "
                   "newest_run_id = excluded.newest_run_id, "
                   "last_run_id = excluded.last_run_id, "
                   "last_time = excluded.last_time, tail = excluded.tail, "
                   "center = excluded.center, noise = excluded.noise",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_samples_encode(st, sum->tail, sum->ntail, &blob, &len);
    store_bind_start(&b, s);
    store_bind_int(&b, sum->project_id);
    store_bind_int(&b, sum->benchmark_id);
    store_bind_int(&b, sum->measure_id);
    store_bind_int(&b, sum->branch_id);
    store_bind_int(&b, sum->testbed_id);
    store_bind_int(&b, sum->npoints);
    store_bind_int(&b, sum->newest_run_id);
    store_bind_int(&b, sum->last_run_id);
    store_bind_int(&b, sum->last_time);
    /* an empty tail is an empty BLOB, never NULL (the column is NOT NULL) */
    store_bind_blob(&b, len ? blob : "", len);
    store_bind_double(&b, sum->center);
    store_bind_double(&b, sum->noise);
    e = store_step_bound(st, &b, &row, eb, "write series summary");
out:
    store_stmt_done(s);
    return e;
}

enum err store_summary_refresh(struct store *st,
                               const struct store_cpd_series *ser,
                               struct errbuf *eb)
{
    struct store_summary sum;
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    bool found = false, row;
    enum err e = store_summary_compute(st, ser, &sum, &found, eb);

    if (e != ERR_OK || found)
        return e == ERR_OK ? summary_put(st, &sum, eb) : e;
    e = store_stmt(st, SQ_SUMMARY_DROP,
                   "DELETE FROM series_summary WHERE benchmark_id = ?1 AND "
                   "measure_id = ?2 AND branch_id = ?3 AND testbed_id = ?4",
                   &s, eb);
    if (e == ERR_OK) {
        store_bind_start(&b, s);
        store_bind_int(&b, ser->benchmark_id);
        store_bind_int(&b, ser->measure_id);
        store_bind_int(&b, ser->branch_id);
        store_bind_int(&b, ser->testbed_id);
        e = store_step_bound(st, &b, &row, eb, "drop series summary");
    }
    store_stmt_done(s);
    return e;
}

/* One new point of a series, inside the caller's transaction (note 2). */
static enum err summary_add(struct store *st,
                            const struct store_cpd_series *ser,
                            const struct store_cpd_point *p, struct errbuf *eb)
{
    struct store_summary sum;
    enum err e;
    bool found;

    e = store_summary_get(st, ser, &sum, &found, eb);
    if (e != ERR_OK)
        return e;
    if (found && (p->time > sum.last_time ||
                  (p->time == sum.last_time && p->run_id > sum.last_run_id))) {
        if (sum.ntail == STORE_SUMMARY_TAIL) {
            memmove(sum.tail, sum.tail + 1, (sum.ntail - 1) * sizeof *sum.tail);
            sum.ntail--;
        }
        sum.tail[sum.ntail++] = p->value;
        sum.npoints++;
        if (p->run_id > sum.newest_run_id)
            sum.newest_run_id = p->run_id;
        sum.last_run_id = p->run_id;
        sum.last_time = p->time;
        summary_stats(&sum);
    } else if (!found) {
        summary_start(&sum, ser);
        sum.npoints = 1;
        sum.newest_run_id = sum.last_run_id = p->run_id;
        sum.last_time = p->time;
        sum.tail[0] = p->value;
        sum.ntail = 1;
        summary_stats(&sum);
    } else {
        /* a backfill: the series' order changed before its last point */
        e = store_summary_compute(st, ser, &sum, &found, eb);
        if (e != ERR_OK)
            return e;
        assert(found);
    }
    return summary_put(st, &sum, eb);
}

enum err store_summary_add_run(struct store *st, int64_t run_id,
                               struct errbuf *eb)
{
    struct store_cpd_touch *t = NULL;
    size_t n = 0;
    enum err e;

    e = store_cpd_series_of_run(st, run_id, &t, &n, eb);
    for (size_t i = 0; e == ERR_OK && i < n; i++)
        e = summary_add(st, &t[i].s, &t[i].p, eb);
    free(t);
    return e;
}

enum err store_summary_rebuild(struct store *st, int64_t project_id,
                               struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_cpd_series *ser = NULL;
    size_t n = 0, cap = 0;
    struct store_bind b;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_SUMMARY_SERIES,
                   "SELECT DISTINCT ru.project_id, r.benchmark_id, "
                   "r.measure_id, ru.branch_id, ru.testbed_id FROM result r "
                   "JOIN run ru ON ru.id = r.run_id "
                   "WHERE ?1 = 0 OR ru.project_id = ?1",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    e = store_bind_check(st, &b, eb, "series to summarise");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "series to summarise")) == ERR_OK &&
           row) {
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            ser = xreallocarray(ser, cap, sizeof *ser);
        }
        ser[n].project_id = sqlite3_column_int64(s, 0);
        ser[n].benchmark_id = sqlite3_column_int64(s, 1);
        ser[n].measure_id = sqlite3_column_int64(s, 2);
        ser[n].branch_id = sqlite3_column_int64(s, 3);
        ser[n].testbed_id = sqlite3_column_int64(s, 4);
        ser[n].direction = DIR_UNSET;
        n++;
    }
    store_stmt_done(s);
    s = NULL;
    for (size_t i = 0; e == ERR_OK && i < n; i++) {
        struct store_summary sum;
        bool found;

        e = store_summary_compute(st, &ser[i], &sum, &found, eb);
        if (e == ERR_OK && found)
            e = summary_put(st, &sum, eb);
    }
out:
    store_stmt_done(s);
    free(ser);
    return e;
}

/* ---- the dashboard's list ------------------------------------------------ */

/* The live alert of each series: an open one before an acknowledged one,
 * the newest first (alert_series narrows it to the series). */
#define SUMMARY_SELECT                                                         \
    "SELECT s.benchmark_id, s.measure_id, s.branch_id, s.testbed_id, "         \
    "s.npoints, s.newest_run_id, s.last_run_id, s.last_time, s.tail, "         \
    "s.center, s.noise, bm.key, m.name, m.unit, m.direction, br.name, "        \
    "tb.name, a.id, a.status, a.change, fr.commit_sha "                        \
    "FROM series_summary s "                                                   \
    "JOIN benchmark bm ON bm.id = s.benchmark_id "                             \
    "JOIN measure m ON m.id = s.measure_id "                                   \
    "JOIN branch br ON br.id = s.branch_id "                                   \
    "JOIN testbed tb ON tb.id = s.testbed_id "                                 \
    "LEFT JOIN alert a ON a.id = (SELECT x.id FROM alert x "                   \
    "WHERE x.benchmark_id = s.benchmark_id "                                   \
    "AND x.measure_id = s.measure_id AND x.branch_id = s.branch_id "           \
    "AND x.testbed_id = s.testbed_id AND x.kind = 'changepoint' "              \
    "AND x.status IN ('open', 'acknowledged') "                                \
    "ORDER BY x.status = 'open' DESC, x.id DESC LIMIT 1) "                     \
    "LEFT JOIN run fr ON fr.id = a.first_bad_run_id "

void store_summaries_free(struct store_summary_row *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].key);
        free(r[i].measure);
        free(r[i].unit);
        free(r[i].branch);
        free(r[i].testbed);
        free(r[i].alert_first_bad_commit);
    }
    free(r);
}

enum err store_summaries_list(struct store *st, int64_t project_id,
                              const char *benchmark,
                              struct store_summary_row **out, size_t *nout,
                              struct errbuf *eb)
{
    int64_t id = -1;
    sqlite3_stmt *s = NULL;
    struct store_summary_row *rows = NULL;
    size_t n = 0, cap = 0;
    struct store_bind b;
    enum err e;
    bool row;

    *out = NULL;
    *nout = 0;
    if (!benchmark)
        e = store_stmt(st, SQ_SUMMARIES_LIST,
                       SUMMARY_SELECT "WHERE s.project_id = ?1 "
                                      "ORDER BY bm.key, m.name, s.id",
                       &s, eb);
    else /* one benchmark: the UNIQUE index's first column, no scan */
        e = store_stmt(st, SQ_SUMMARIES_OF,
                       SUMMARY_SELECT
                       "WHERE s.benchmark_id = COALESCE((SELECT k.id "
                       "FROM benchmark k WHERE k.project_id = ?1 "
                       "AND k.key = ?2), (SELECT k.id FROM benchmark k "
                       "WHERE k.project_id = ?1 AND k.id = ?3)) "
                       "AND +s.project_id = ?1 " /* not its index */
                       "ORDER BY bm.key, m.name, s.id",
                       &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    /* a key first, as store_series_get: a benchmark may be named "42" */
    if (benchmark && parse_int64(benchmark, 1, INT64_MAX, &id) != ERR_OK)
        id = -1;
    store_bind_int(&b, project_id);
    if (benchmark) {
        store_bind_text(&b, benchmark);
        store_bind_int(&b, id);
    }
    e = store_bind_check(st, &b, eb, "series summaries");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "series summaries")) == ERR_OK &&
           row) {
        struct store_summary_row *r;
        const char *status;

        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            rows = xreallocarray(rows, cap, sizeof *rows);
        }
        r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->s.project_id = project_id;
        r->s.benchmark_id = sqlite3_column_int64(s, 0);
        r->s.measure_id = sqlite3_column_int64(s, 1);
        r->s.branch_id = sqlite3_column_int64(s, 2);
        r->s.testbed_id = sqlite3_column_int64(s, 3);
        r->s.npoints = sqlite3_column_int64(s, 4);
        r->s.newest_run_id = sqlite3_column_int64(s, 5);
        r->s.last_run_id = sqlite3_column_int64(s, 6);
        r->s.last_time = sqlite3_column_int64(s, 7);
        e = tail_decode(st, s, 8, &r->s, eb);
        r->s.center = store_col_double(s, 9);
        r->s.noise = store_col_double(s, 10);
        r->key = store_col_str(s, 11);
        r->measure = store_col_str(s, 12);
        r->unit = store_col_str(s, 13);
        r->direction = store_col_direction(s, 14);
        r->branch = store_col_str(s, 15);
        r->testbed = store_col_str(s, 16);
        r->alert_id = store_col_int_or(s, 17, 0);
        status = (const char *)sqlite3_column_text(s, 18);
        r->alert_open = status && !strcmp(status, "open");
        r->alert_change = store_col_double(s, 19);
        r->alert_first_bad_commit = store_col_str(s, 20);
    }
out:
    store_stmt_done(s);
    if (e != ERR_OK) {
        store_summaries_free(rows, n);
        return e;
    }
    *out = rows;
    *nout = n;
    return ERR_OK;
}

/* ---- a project's data version ----------------------------------------------
 */

enum err store_project_version(struct store *st, int64_t project_id,
                               struct buf *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    buf_reset(out);
    e = store_stmt(st, SQ_PROJECT_VERSION,
                   "SELECT (SELECT COALESCE(max(id), 0) FROM run "
                   "WHERE project_id = ?1), (SELECT count(*) FROM budget "
                   "WHERE project_id = ?1), (SELECT COALESCE(max(id), 0) "
                   "FROM budget WHERE project_id = ?1), settings, "
                   "(SELECT count(*) FROM run WHERE project_id = ?1), "
                   "repository_url, (SELECT COALESCE(max(updated_at), 0) "
                   "FROM alert WHERE project_id = ?1) "
                   "FROM project WHERE id = ?1",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    e = store_step_bound(st, &b, &row, eb, "project version");
    if (e != ERR_OK)
        goto out;
    if (!row) {
        err_set(eb, "no project %lld", (long long)project_id);
        e = ERR_NOT_FOUND;
        goto out;
    }
    /* the run count changes when a run is deleted, the repository URL
     * and the alerts' triage show on the pages too */
    e = buf_printf(out, "r%lld:%lld|b%lld:%lld|a%lld|%s|",
                   (long long)sqlite3_column_int64(s, 0),
                   (long long)sqlite3_column_int64(s, 4),
                   (long long)sqlite3_column_int64(s, 1),
                   (long long)sqlite3_column_int64(s, 2),
                   (long long)sqlite3_column_int64(s, 6),
                   sqlite3_column_text(s, 5)
                       ? (const char *)sqlite3_column_text(s, 5)
                       : "");
    if (e == ERR_OK && sqlite3_column_text(s, 3))
        e = buf_adds(out, (const char *)sqlite3_column_text(s, 3));
    if (e != ERR_OK)
        err_set(eb, "project version: too long");
out:
    store_stmt_done(s);
    return e;
}
