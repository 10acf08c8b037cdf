/*
 * store_read.c: the queries behind the API's lists and the run page.
 *
 * Design notes:
 * 1. Every query is one cached statement that answers with everything the
 *    caller needs (joins and correlated counts), so a list is one round of
 *    sqlite3_step calls and never a query per row.
 * 2. Rows are copied out (store_col_str) before the next step: SQLite's
 *    column pointers are borrowed only until then.
 * 3. On failure every out-parameter is emptied (NULL/0, or run_cleanup) so
 *    that callers free nothing twice.
 * 4. "Newest" means highest id (ingest order), which the indexes on
 *    run(project_id) and run(project_id, branch_id) deliver without a sort
 *    because the rowid is every index's last column.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- projects ---------------------------------------------------------- */

#define PROJECT_COLUMNS                                                        \
    "SELECT p.id, p.slug, p.description, p.created_at, "                       \
    "(SELECT COUNT(*) FROM run WHERE project_id = p.id), "                     \
    "(SELECT created_at FROM run WHERE project_id = p.id "                     \
    "ORDER BY id DESC LIMIT 1), p.repository_url FROM project p "

static void read_project(sqlite3_stmt *s, struct store_project *p)
{
    p->id = sqlite3_column_int64(s, 0);
    p->slug = store_col_str(s, 1);
    p->description = store_col_str(s, 2);
    p->created_at = store_col_time(s, 3);
    p->run_count = sqlite3_column_int64(s, 4);
    p->last_run_at = store_col_time(s, 5);
    p->repository_url = store_col_str(s, 6);
}

void store_project_cleanup(struct store_project *p)
{
    if (!p)
        return;
    free(p->slug);
    free(p->description);
    free(p->repository_url);
    memset(p, 0, sizeof *p);
}

enum err store_project_get(struct store *st, const char *slug,
                           struct store_project *out)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    memset(out, 0, sizeof *out);
    if (!slug)
        return ERR_NOT_FOUND;
    e = store_stmt(st, SQ_PROJECT_GET, PROJECT_COLUMNS "WHERE p.slug = ?1", &s,
                   NULL);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_text(&b, slug);
    e = store_bind_check(st, &b, NULL, "get project");
    if (e == ERR_OK)
        e = store_step(st, s, &row, NULL, "get project");
    if (e == ERR_OK && !row)
        e = ERR_NOT_FOUND;
    if (e == ERR_OK)
        read_project(s, out);
out:
    store_stmt_done(s);
    return e;
}

enum err store_projects_list(struct store *st, struct store_project **out,
                             size_t *n, struct errbuf *eb)
{
    struct store_project *v = NULL;
    sqlite3_stmt *s = NULL;
    size_t len = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    e = store_stmt(st, SQ_PROJECTS_LIST, PROJECT_COLUMNS "ORDER BY p.slug", &s,
                   eb);
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "list projects")) == ERR_OK &&
           row) {
        v = xreallocarray(v, len + 1, sizeof *v);
        memset(&v[len], 0, sizeof v[len]);
        read_project(s, &v[len++]);
    }
    store_stmt_done(s);
    if (e != ERR_OK) {
        store_projects_free(v, len);
        return e;
    }
    *out = v;
    *n = len;
    return ERR_OK;
}

void store_projects_free(struct store_project *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++)
        store_project_cleanup(&p[i]);
    free(p);
}

/* ---- a project's benchmarks, measures, branches, testbeds -------------- */

/*
 * Runs a listing statement with one parameter (the project id) and calls
 * read for each row into a growing array of elements of size bytes.
 */
typedef void (*row_reader)(sqlite3_stmt *s, void *elem);

static enum err list_rows(struct store *st, enum store_sql id, const char *sql,
                          int64_t project_id, size_t size, row_reader read,
                          void **out, size_t *n, struct errbuf *eb,
                          const char *what)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    unsigned char *v = NULL;
    size_t len = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    e = store_stmt(st, id, sql, &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    e = store_bind_check(st, &b, eb, what);
    while (e == ERR_OK && (e = store_step(st, s, &row, eb, what)) == ERR_OK &&
           row) {
        v = xreallocarray(v, len + 1, size);
        memset(v + len * size, 0, size);
        read(s, v + len * size);
        len++;
    }
out:
    store_stmt_done(s);
    *out = v;
    *n = len;
    return e;
}

static void read_benchmark(sqlite3_stmt *s, void *elem)
{
    struct store_benchmark *b = elem;

    b->id = sqlite3_column_int64(s, 0);
    b->key = store_col_str(s, 1);
    b->name = store_col_str(s, 2);
    b->params = store_col_str(s, 3);
}

enum err store_benchmarks_list(struct store *st, int64_t project_id,
                               struct store_benchmark **out, size_t *n,
                               struct errbuf *eb)
{
    void *v;
    enum err e;

    e = list_rows(st, SQ_BENCHMARKS_LIST,
                  "SELECT id, key, name, params FROM benchmark "
                  "WHERE project_id = ?1 ORDER BY key",
                  project_id, sizeof **out, read_benchmark, &v, n, eb,
                  "list benchmarks");
    *out = v;
    if (e != ERR_OK) {
        store_benchmarks_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void store_benchmarks_free(struct store_benchmark *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++) {
        free(b[i].key);
        free(b[i].name);
        free(b[i].params);
    }
    free(b);
}

static void read_measure(sqlite3_stmt *s, void *elem)
{
    struct store_measure *m = elem;

    m->id = sqlite3_column_int64(s, 0);
    m->name = store_col_str(s, 1);
    m->unit = store_col_str(s, 2);
    m->direction = store_col_direction(s, 3);
}

enum err store_measures_list(struct store *st, int64_t project_id,
                             struct store_measure **out, size_t *n,
                             struct errbuf *eb)
{
    void *v;
    enum err e;

    e = list_rows(st, SQ_MEASURES_LIST,
                  "SELECT id, name, unit, direction FROM measure "
                  "WHERE project_id = ?1 ORDER BY name",
                  project_id, sizeof **out, read_measure, &v, n, eb,
                  "list measures");
    *out = v;
    if (e != ERR_OK) {
        store_measures_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void store_measures_free(struct store_measure *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].name);
        free(m[i].unit);
    }
    free(m);
}

static void read_branch(sqlite3_stmt *s, void *elem)
{
    struct store_branch *b = elem;

    b->id = sqlite3_column_int64(s, 0);
    b->name = store_col_str(s, 1);
    b->run_count = sqlite3_column_int64(s, 2);
    b->last_run_at = store_col_time(s, 3);
}

enum err store_branches_list(struct store *st, int64_t project_id,
                             struct store_branch **out, size_t *n,
                             struct errbuf *eb)
{
    void *v;
    enum err e;

    e = list_rows(st, SQ_BRANCHES_LIST,
                  "SELECT b.id, b.name, "
                  "(SELECT COUNT(*) FROM run "
                  "WHERE project_id = b.project_id AND branch_id = b.id), "
                  "(SELECT created_at FROM run "
                  "WHERE project_id = b.project_id AND branch_id = b.id "
                  "ORDER BY id DESC LIMIT 1) "
                  "FROM branch b WHERE b.project_id = ?1 ORDER BY b.name",
                  project_id, sizeof **out, read_branch, &v, n, eb,
                  "list branches");
    *out = v;
    if (e != ERR_OK) {
        store_branches_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void store_branches_free(struct store_branch *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++)
        free(b[i].name);
    free(b);
}

static void read_testbed(sqlite3_stmt *s, void *elem)
{
    struct store_testbed *t = elem;

    t->id = sqlite3_column_int64(s, 0);
    t->name = store_col_str(s, 1);
    t->info = store_col_str(s, 2);
}

enum err store_testbeds_list(struct store *st, int64_t project_id,
                             struct store_testbed **out, size_t *n,
                             struct errbuf *eb)
{
    void *v;
    enum err e;

    e = list_rows(st, SQ_TESTBEDS_LIST,
                  "SELECT id, name, info FROM testbed "
                  "WHERE project_id = ?1 ORDER BY name",
                  project_id, sizeof **out, read_testbed, &v, n, eb,
                  "list testbeds");
    *out = v;
    if (e != ERR_OK) {
        store_testbeds_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void store_testbeds_free(struct store_testbed *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].name);
        free(t[i].info);
    }
    free(t);
}

/* ---- runs -------------------------------------------------------------- */

/* The columns read_run expects, in its order. */
#define RUN_COLUMNS                                                            \
    "SELECT r.id, p.slug, b.name, t.name, t.info, r.commit_sha, "              \
    "r.commit_time, r.commit_message, r.commit_author, r.pr_number, "          \
    "r.base_branch, r.started_at, r.finished_at, r.created_at, r.format, "     \
    "r.ci_provider, r.ci_url, r.ci_job, r.metadata, "                          \
    "(SELECT COUNT(*) FROM result WHERE run_id = r.id) "                       \
    "FROM run r JOIN project p ON p.id = r.project_id "                        \
    "JOIN branch b ON b.id = r.branch_id "                                     \
    "JOIN testbed t ON t.id = r.testbed_id "

/* Fills a run_init()ed run; its testbed_info is the testbed's current info. */
static void read_run(sqlite3_stmt *s, struct run *r)
{
    r->id = sqlite3_column_int64(s, 0);
    r->project = store_col_str(s, 1);
    r->branch = store_col_str(s, 2);
    r->testbed = store_col_str(s, 3);
    r->testbed_info = store_col_str(s, 4);
    r->commit_sha = store_col_str(s, 5);
    r->commit_time = store_col_time(s, 6);
    r->commit_message = store_col_str(s, 7);
    r->commit_author = store_col_str(s, 8);
    r->pr_number = store_col_int_or(s, 9, 0);
    r->base_branch = store_col_str(s, 10);
    r->started_at = store_col_time(s, 11);
    r->finished_at = store_col_time(s, 12);
    r->created_at = store_col_time(s, 13);
    r->format = store_col_str(s, 14);
    r->ci_provider = store_col_str(s, 15);
    r->ci_url = store_col_str(s, 16);
    r->ci_job = store_col_str(s, 17);
    r->metadata = store_col_str(s, 18);
    r->result_count = sqlite3_column_int64(s, 19);
}

#define RUNS_LIST_DEFAULT_LIMIT 100
#define RUNS_LIST_MAX_LIMIT 1000

enum err store_runs_list(struct store *st, int64_t project_id,
                         const struct store_run_filter *f, struct run **out,
                         size_t *n, struct errbuf *eb)
{
    const char *branch = f ? f->branch : NULL;
    const char *testbed = f ? f->testbed : NULL;
    const char *commit = f ? f->commit : NULL;
    int64_t before = f && f->before_id > 0 ? f->before_id : INT64_MAX;
    int limit = f ? f->limit : RUNS_LIST_DEFAULT_LIMIT;
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    struct run *v = NULL;
    size_t len = 0;
    enum err e;
    bool row;

    *out = NULL;
    *n = 0;
    if (limit < 1 || limit > RUNS_LIST_MAX_LIMIT) {
        err_set(eb, "limit must be between 1 and %d", RUNS_LIST_MAX_LIMIT);
        return ERR_INVALID;
    }
    /* Two statements rather than "?4 IS NULL OR ...", which would keep the
     * planner from walking the (project_id, branch_id) index. */
    if (testbed || commit)
        /* the rarer filters: the (project_id) walk, each filter optional */
        e = store_stmt(st, SQ_RUNS_LIST_FILTER,
                       RUN_COLUMNS "WHERE r.project_id = ?1 AND r.id < ?2 "
                                   "AND (?4 IS NULL OR b.name = ?4) "
                                   "AND (?5 IS NULL OR t.name = ?5) "
                                   "AND (?6 IS NULL OR substr(r.commit_sha, 1, "
                                   "length(?6)) = ?6) "
                                   "ORDER BY r.id DESC LIMIT ?3",
                       &s, eb);
    else if (branch)
        e = store_stmt(st, SQ_RUNS_LIST_BRANCH,
                       RUN_COLUMNS "WHERE r.project_id = ?1 AND r.id < ?2 "
                                   "AND r.branch_id = (SELECT id FROM branch "
                                   "WHERE project_id = ?1 AND name = ?4) "
                                   "ORDER BY r.id DESC LIMIT ?3",
                       &s, eb);
    else
        e = store_stmt(st, SQ_RUNS_LIST,
                       RUN_COLUMNS "WHERE r.project_id = ?1 AND r.id < ?2 "
                                   "ORDER BY r.id DESC LIMIT ?3",
                       &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    store_bind_int(&b, before);
    store_bind_int(&b, limit);
    if (testbed || commit) {
        store_bind_text(&b, branch); /* NULL binds NULL */
        store_bind_text(&b, testbed);
        store_bind_text(&b, commit);
    } else if (branch) {
        store_bind_text(&b, branch);
    }
    e = store_bind_check(st, &b, eb, "list runs");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "list runs")) == ERR_OK && row) {
        v = xreallocarray(v, len + 1, sizeof *v);
        run_init(&v[len]);
        read_run(s, &v[len++]);
    }
out:
    store_stmt_done(s);
    if (e != ERR_OK) {
        store_runs_free(v, len);
        return e;
    }
    *out = v;
    *n = len;
    return ERR_OK;
}

void store_runs_free(struct run *runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++)
        run_cleanup(&runs[i]);
    free(runs);
}

static enum err read_results(struct store *st, struct run *out,
                             struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_RUN_RESULTS,
                   "SELECT r.id, b.name, b.key, b.params, m.name, m.unit, "
                   "m.direction, r.value, r.mean, r.median, r.stddev, r.min, "
                   "r.max, r.n, r.lower, r.upper, r.samples, r.derived "
                   "FROM result r JOIN benchmark b ON b.id = r.benchmark_id "
                   "JOIN measure m ON m.id = r.measure_id "
                   "WHERE r.run_id = ?1 ORDER BY b.key, m.name",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, out->id);
    e = store_bind_check(st, &b, eb, "read results");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "read results")) == ERR_OK && row) {
        struct result *res = run_result_add(out);
        const void *blob;

        res->id = sqlite3_column_int64(s, 0);
        res->benchmark = store_col_str(s, 1);
        res->key = store_col_str(s, 2);
        res->params = store_col_str(s, 3);
        res->measure = store_col_str(s, 4);
        res->unit = store_col_str(s, 5);
        res->direction = store_col_direction(s, 6);
        res->value = store_col_double(s, 7);
        res->mean = store_col_double(s, 8);
        res->median = store_col_double(s, 9);
        res->stddev = store_col_double(s, 10);
        res->min = store_col_double(s, 11);
        res->max = store_col_double(s, 12);
        res->n = store_col_int_or(s, 13, -1);
        res->lower = store_col_double(s, 14);
        res->upper = store_col_double(s, 15);
        res->derived = sqlite3_column_int64(s, 17) != 0;
        blob = sqlite3_column_blob(s, 16);
        if (store_samples_decode(blob, (size_t)sqlite3_column_bytes(s, 16),
                                 &res->samples, &res->nsamples) != ERR_OK) {
            err_set(eb,
                    "result %lld: samples are not a whole number of "
                    "float64 values",
                    (long long)res->id);
            e = ERR_DB;
        }
    }
out:
    store_stmt_done(s);
    return e;
}

static enum err read_resources(struct store *st, struct run *out,
                               struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    e = store_stmt(st, SQ_RUN_RESOURCES,
                   "SELECT t_ms, cpu_pct, rss_bytes, read_bytes, write_bytes, "
                   "gpu_util_pct, gpu_mem_bytes FROM resource_sample "
                   "WHERE run_id = ?1 ORDER BY t_ms, id",
                   &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, out->id);
    e = store_bind_check(st, &b, eb, "read resources");
    while (e == ERR_OK &&
           (e = store_step(st, s, &row, eb, "read resources")) == ERR_OK &&
           row) {
        struct resource_sample *rs = run_resource_add(out);

        rs->t_ms = sqlite3_column_int64(s, 0);
        rs->cpu_pct = store_col_double(s, 1);
        rs->rss_bytes = store_col_double(s, 2);
        rs->read_bytes = store_col_double(s, 3);
        rs->write_bytes = store_col_double(s, 4);
        rs->gpu_util_pct = store_col_double(s, 5);
        rs->gpu_mem_bytes = store_col_double(s, 6);
    }
out:
    store_stmt_done(s);
    return e;
}

enum err store_run_get(struct store *st, int64_t project_id, int64_t run_id,
                       struct run *out, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    struct store_bind b;
    enum err e;
    bool row;

    run_cleanup(out);
    e = store_stmt(st, SQ_RUN_GET,
                   RUN_COLUMNS "WHERE r.project_id = ?1 AND r.id = ?2", &s, eb);
    if (e != ERR_OK)
        goto out;
    store_bind_start(&b, s);
    store_bind_int(&b, project_id);
    store_bind_int(&b, run_id);
    e = store_step_bound(st, &b, &row, eb, "get run");
    if (e != ERR_OK)
        goto out;
    if (!row) {
        err_set(eb, "run %lld not found", (long long)run_id);
        e = ERR_NOT_FOUND;
        goto out;
    }
    read_run(s, out);
    /* Reset before the next queries: no read transaction spans them all,
     * but the run row and its results are written in one transaction, so
     * whatever snapshot each sees holds all of them or none. */
    store_stmt_done(s);
    s = NULL;
    e = read_results(st, out, eb);
    if (e == ERR_OK)
        e = read_resources(st, out, eb);
out:
    store_stmt_done(s);
    if (e != ERR_OK)
        run_cleanup(out);
    return e;
}
