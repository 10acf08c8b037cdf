/*
 * store_series.c: one series (benchmark x measure x branch x testbed) in
 * commit order, with the defaults store.h promises for what the query
 * leaves out.
 *
 * Design notes:
 * 1. The defaults are resolved first, one indexed probe each, and the points
 *    are then read with every id fixed, so the points query is always the
 *    same shape: result_series (benchmark_id, measure_id, run_id) narrows
 *    to one series, the run row filters branch and testbed.
 * 2. Default measure: the benchmark's only measure, else "latency" if it has
 *    it, else ERR_INVALID (the caller must choose).  "Has" means "has a
 *    result for", probed with EXISTS on result_series.
 * 3. Default branch: "main" if main has a result of this benchmark and
 *    measure, else the branch of the newest run (highest id) that has one.
 *    Default testbed: the testbed of the newest such run on that branch.
 *    "Newest" is ingest order, which an index walk gives for free.
 * 4. A branch given explicitly that has no result of the series answers
 *    ERR_OK with no points and testbed NULL (there is no testbed to pick);
 *    an unknown branch or testbed name is ERR_NOT_FOUND.
 * 5. The stat column is chosen in C from a table, not spliced into SQL.  A
 *    point whose chosen stat is NULL is skipped rather than replaced by
 *    another statistic, which would mix two quantities in one line.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* Column of SQ_SERIES_POINTS holding each stat. */
static const struct {
    const char *name;
    int column;
} stats[] = {
    {"value", 3}, {"mean", 4}, {"median", 5}, {"min", 6}, {"max", 7},
};

/* Shared by the default-branch probe and the explicit branch lookup. */
static const char branch_by_name_sql[] =
    "SELECT id, name FROM branch WHERE project_id = ?1 AND name = ?2";

#define COL_LOWER 8
#define COL_UPPER 9
#define COL_N 10

/*
 * Runs a statement bound with ints (and an optional trailing text) that
 * answers at most one row of (id, text): *id = 0 when there is no row.
 */
static enum err probe_id(struct store *st, enum store_sql slot, const char *sql,
                         const int64_t *ints, size_t nints, const char *text,
                         int64_t *id, char **name, struct errbuf *eb,
                         const char *what)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    *id = 0;
    if (name)
        *name = NULL;
    e = store_stmt(st, slot, sql, &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    for (size_t i = 0; i < nints; i++)
        store_bind_int(&b, ints[i]);
    if (text)
        store_bind_text(&b, text);
    e = store_step_bound(st, &b, &row, eb, what);
    if (e == ERR_OK && row) {
        *id = sqlite3_column_int64(s, 0);
        if (name && sqlite3_column_count(s) > 1)
            *name = store_col_str(s, 1);
    }
out:
    store_stmt_done(s);
    return e;
}

static enum err find_benchmark(struct store *st, int64_t pid, const char *b,
                               struct series *out, struct errbuf *eb)
{
    int64_t args[2] = {pid, 0};
    int64_t id;
    enum err e;

    /* A key first: a benchmark may well be named "42". */
    e = probe_id(st, SQ_SERIES_BENCHMARK_BY_KEY,
                 "SELECT id, key FROM benchmark "
                 "WHERE project_id = ?1 AND key = ?2",
                 args, 1, b, &id, &out->benchmark_key, eb, "find benchmark");
    if (e != ERR_OK || id)
        goto out;
    if (parse_int64(b, 1, INT64_MAX, &args[1]) == ERR_OK)
        e = probe_id(st, SQ_SERIES_BENCHMARK_BY_ID,
                     "SELECT id, key FROM benchmark "
                     "WHERE project_id = ?1 AND id = ?2",
                     args, 2, NULL, &id, &out->benchmark_key, eb,
                     "find benchmark");
    if (e == ERR_OK && !id) {
        err_set(eb, "unknown benchmark \"%s\"", b);
        e = ERR_NOT_FOUND;
    }
out:
    out->benchmark_id = id;
    return e;
}

/* The measure's unit and direction, and its id by name. */
static enum err find_measure(struct store *st, int64_t pid, const char *name,
                             struct series *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_SERIES_MEASURE_BY_NAME,
                   "SELECT id, name, unit, direction FROM measure "
                   "WHERE project_id = ?1 AND name = ?2",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, pid);
    store_bind_text(&b, name);
    e = store_step_bound(st, &b, &row, eb, "find measure");
    if (e != ERR_OK)
        goto out;
    if (!row) {
        err_set(eb, "unknown measure \"%s\"", name);
        e = ERR_NOT_FOUND;
        goto out;
    }
    out->measure_id = sqlite3_column_int64(s, 0);
    out->measure = store_col_str(s, 1);
    out->unit = store_col_str(s, 2);
    out->direction = store_col_direction(s, 3);
out:
    store_stmt_done(s);
    return e;
}

/* The default measure (note 2): the name to look up, or an error. */
static enum err default_measure(struct store *st, int64_t pid,
                                const struct series *out, char **name,
                                struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    struct buf names;
    char *only = NULL;
    size_t count = 0;
    bool latency = false, row, cut = false;
    enum err e;

    *name = NULL;
    buf_init(&names, 512);
    e = store_stmt(st, SQ_SERIES_MEASURES_OF,
                   "SELECT m.name FROM measure m WHERE m.project_id = ?1 "
                   "AND EXISTS (SELECT 1 FROM result r WHERE "
                   "r.benchmark_id = ?2 AND r.measure_id = m.id) "
                   "ORDER BY m.name",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, pid);
    store_bind_int(&b, out->benchmark_id);
    e = store_bind_check(st, &b, eb, "measures of benchmark");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "measures of benchmark")) ==
               ERR_OK &&
           row) {
        const char *m = (const char *)sqlite3_column_text(s, 0);

        if (!m)
            continue;
        if (count++ == 0)
            only = xstrdup(m);
        if (strcmp(m, "latency") == 0)
            latency = true;
        /* Past the buffer's bound the list says it goes on. */
        if (!cut && buf_printf(&names, "%s\"%s\"", names.len ? ", " : "", m))
            cut = true;
    }
    if (e != ERR_OK)
        goto out;
    if (count == 1) {
        *name = only;
        only = NULL;
    } else if (latency) {
        *name = xstrdup("latency");
    } else if (count == 0) {
        err_set(eb, "benchmark \"%s\" has no results", out->benchmark_key);
        e = ERR_NOT_FOUND;
    } else {
        err_set(eb, "benchmark \"%s\" has several measures (%s%s): name one",
                out->benchmark_key, buf_str(&names), cut ? ", ..." : "");
        e = ERR_INVALID;
    }
out:
    store_stmt_done(s);
    buf_cleanup(&names);
    free(only);
    return e;
}

static enum err resolve_measure(struct store *st, int64_t pid, const char *want,
                                struct series *out, struct errbuf *eb)
{
    char *name = NULL;
    int64_t args[2], has;
    enum err e = ERR_OK;

    if (!want) {
        e = default_measure(st, pid, out, &name, eb);
        want = name;
    }
    if (e == ERR_OK)
        e = find_measure(st, pid, want, out, eb);
    if (e != ERR_OK || name)
        goto out; /* a default was chosen among the benchmark's measures */
    args[0] = out->benchmark_id;
    args[1] = out->measure_id;
    e = probe_id(st, SQ_SERIES_MEASURE_HAS,
                 "SELECT 1 FROM result "
                 "WHERE benchmark_id = ?1 AND measure_id = ?2 LIMIT 1",
                 args, 2, NULL, &has, NULL, eb, "measure of benchmark");
    if (e == ERR_OK && !has) {
        err_set(eb, "benchmark \"%s\" has no measure \"%s\"",
                out->benchmark_key, want);
        e = ERR_NOT_FOUND;
    }
out:
    free(name);
    return e;
}

/* Branch or testbed id by name in a project; ERR_NOT_FOUND when unknown. */
static enum err find_named(struct store *st, enum store_sql slot,
                           const char *sql, int64_t pid, const char *name,
                           int64_t *id, struct errbuf *eb, const char *what)
{
    enum err e = probe_id(st, slot, sql, &pid, 1, name, id, NULL, eb, what);

    if (e == ERR_OK && !*id) {
        err_set(eb, "unknown %s \"%s\"", what, name);
        e = ERR_NOT_FOUND;
    }
    return e;
}

/* The default branch (note 3); *id 0 when the series has no results. */
static enum err default_branch(struct store *st, int64_t pid,
                               struct series *out, int64_t *id,
                               struct errbuf *eb)
{
    int64_t main_id, has, args[3];
    enum err e;

    *id = 0;
    e = probe_id(st, SQ_SERIES_BRANCH_BY_NAME, branch_by_name_sql, &pid, 1,
                 "main", &main_id, NULL, eb, "find branch");
    if (e != ERR_OK)
        return e;
    if (main_id) {
        args[0] = out->benchmark_id;
        args[1] = out->measure_id;
        args[2] = main_id;
        e = probe_id(st, SQ_SERIES_BRANCH_HAS,
                     "SELECT 1 FROM result r JOIN run ru ON ru.id = r.run_id "
                     "WHERE r.benchmark_id = ?1 AND r.measure_id = ?2 "
                     "AND ru.branch_id = ?3 LIMIT 1",
                     args, 3, NULL, &has, NULL, eb, "branch of series");
        if (e != ERR_OK)
            return e;
        if (has) {
            *id = main_id;
            out->branch = xstrdup("main");
            return ERR_OK;
        }
    }
    args[0] = out->benchmark_id;
    args[1] = out->measure_id;
    return probe_id(st, SQ_SERIES_LATEST_BRANCH,
                    "SELECT b.id, b.name FROM result r "
                    "JOIN run ru ON ru.id = r.run_id "
                    "JOIN branch b ON b.id = ru.branch_id "
                    "WHERE r.benchmark_id = ?1 AND r.measure_id = ?2 "
                    "ORDER BY r.run_id DESC LIMIT 1",
                    args, 2, NULL, id, &out->branch, eb, "latest branch");
}

static enum err read_points(struct store *st, int64_t branch_id,
                            int64_t testbed_id, int column, struct series *out,
                            struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    size_t cap = 0;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_SERIES_POINTS,
                   "SELECT ru.id, ru.commit_sha, "
                   "COALESCE(ru.commit_time, ru.started_at, ru.created_at) "
                   "AS t, r.value, r.mean, r.median, r.min, r.max, r.lower, "
                   "r.upper, r.n FROM result r "
                   "JOIN run ru ON ru.id = r.run_id "
                   "WHERE r.benchmark_id = ?1 AND r.measure_id = ?2 "
                   "AND ru.branch_id = ?3 AND ru.testbed_id = ?4 "
                   "ORDER BY t, ru.id",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, out->benchmark_id);
    store_bind_int(&b, out->measure_id);
    store_bind_int(&b, branch_id);
    store_bind_int(&b, testbed_id);
    e = store_bind_check(st, &b, eb, "series points");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "series points")) == ERR_OK &&
           row) {
        struct series_point *p;

        if (sqlite3_column_type(s, column) == SQLITE_NULL)
            continue; /* note 5 */
        if (out->npoints == cap) {
            cap = cap ? cap * 2 : 64;
            out->points = xreallocarray(out->points, cap, sizeof *p);
        }
        p = &out->points[out->npoints++];
        p->run_id = sqlite3_column_int64(s, 0);
        p->commit_sha = store_col_str(s, 1);
        p->time = store_col_time(s, 2);
        p->value = sqlite3_column_double(s, column);
        p->lower = store_col_double(s, COL_LOWER);
        p->upper = store_col_double(s, COL_UPPER);
        p->n = store_col_int_or(s, COL_N, -1);
    }
out:
    store_stmt_done(s);
    return e;
}

enum err store_series_get(struct store *st, int64_t project_id,
                          const struct store_series_query *q,
                          struct series *out, struct errbuf *eb)
{
    int64_t branch_id = 0, testbed_id = 0;
    int column = -1;
    enum err e;

    memset(out, 0, sizeof *out);
    out->direction = DIR_UNSET;
    if (!q || !q->benchmark || !q->benchmark[0]) {
        err_set(eb, "a series needs a benchmark");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        if (strcmp(q->stat ? q->stat : "value", stats[i].name) == 0)
            column = stats[i].column;
    if (column < 0) {
        err_set(eb, "unknown stat \"%s\" (value, mean, median, min, max)",
                q->stat);
        return ERR_INVALID;
    }
    e = find_benchmark(st, project_id, q->benchmark, out, eb);
    if (e == ERR_OK)
        e = resolve_measure(st, project_id, q->measure, out, eb);
    if (e != ERR_OK)
        goto out;
    if (q->branch) {
        e = find_named(st, SQ_SERIES_BRANCH_BY_NAME, branch_by_name_sql,
                       project_id, q->branch, &branch_id, eb, "branch");
        if (e == ERR_OK)
            out->branch = xstrdup(q->branch);
    } else {
        e = default_branch(st, project_id, out, &branch_id, eb);
    }
    if (e != ERR_OK || !branch_id)
        goto out; /* no results at all: an empty series */
    if (q->testbed) {
        e = find_named(st, SQ_SERIES_TESTBED_BY_NAME,
                       "SELECT id FROM testbed "
                       "WHERE project_id = ?1 AND name = ?2",
                       project_id, q->testbed, &testbed_id, eb, "testbed");
        if (e == ERR_OK)
            out->testbed = xstrdup(q->testbed);
    } else {
        int64_t args[3] = {out->benchmark_id, out->measure_id, branch_id};

        e = probe_id(st, SQ_SERIES_LATEST_TESTBED,
                     "SELECT t.id, t.name FROM result r "
                     "JOIN run ru ON ru.id = r.run_id "
                     "JOIN testbed t ON t.id = ru.testbed_id "
                     "WHERE r.benchmark_id = ?1 AND r.measure_id = ?2 "
                     "AND ru.branch_id = ?3 ORDER BY r.run_id DESC LIMIT 1",
                     args, 3, NULL, &testbed_id, &out->testbed, eb,
                     "latest testbed");
    }
    if (e != ERR_OK || !testbed_id)
        goto out; /* note 4 */
    e = read_points(st, branch_id, testbed_id, column, out, eb);
out:
    if (e != ERR_OK) {
        series_cleanup(out);
        out->direction = DIR_UNSET;
    }
    return e;
}
