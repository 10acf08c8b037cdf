/*
 * Unit tests of store/: every test opens a fresh database in its own
 * mkdtemp folder (removed afterwards, with its -wal and -shm files) and
 * talks to it only through store.h, as the rest of benchvault does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "schema/schema.h"
#include "store/store.h"
#include "tmpdb.h"

static int newest_version(void)
{
    int v = 0;

    for (size_t i = 0; i < schema_migration_count; i++)
        if (schema_migrations[i].version > v)
            v = schema_migrations[i].version;
    return v;
}

/* ---- building runs ----------------------------------------------------- */

static void run_basic(struct run *r, const char *project, const char *branch,
                      const char *sha, int64_t commit_time)
{
    run_init(r);
    r->project = xstrdup(project);
    r->branch = branch ? xstrdup(branch) : NULL;
    r->commit_sha = sha ? xstrdup(sha) : NULL;
    r->commit_time = commit_time;
    r->testbed = xstrdup("ci-linux");
}

static struct result *add_result(struct run *r, const char *bench,
                                 const char *params, const char *measure,
                                 const char *unit, double value)
{
    struct result *res = run_result_add(r);

    res->benchmark = xstrdup(bench);
    res->params = xstrdup(params ? params : "{}");
    res->key = params ? xasprintf("%s[%s]", bench, params) : xstrdup(bench);
    res->measure = xstrdup(measure);
    res->unit = xstrdup(unit);
    res->value = value;
    return res;
}

/* Inserts one run alone; returns the item's status, fills *id. */
static enum err insert_one(struct store *st, struct run *r, const char *key,
                           const unsigned char *hash, int64_t *id,
                           bool *duplicate)
{
    struct store_insert it = {0};
    struct errbuf eb;
    enum err e;

    err_init(&it.eb);
    err_init(&eb);
    it.run = r;
    it.idempotency_key = key;
    it.body_hash = hash;
    e = store_runs_insert(st, &it, 1, &eb);
    assert_int_equal(e, ERR_OK);
    if (id)
        *id = it.run_id;
    if (duplicate)
        *duplicate = it.duplicate;
    e = it.status;
    if (e != ERR_OK)
        fprintf(stderr, "# item: %s\n", it.eb.msg);
    err_cleanup(&it.eb);
    err_cleanup(&eb);
    return e;
}

static void counts(struct store *st, int64_t *runs, int64_t *results)
{
    assert_int_equal(store_count_runs(st, runs, results), ERR_OK);
}

static int64_t project_id(struct store *st, const char *slug)
{
    struct store_project p;
    int64_t id;

    assert_int_equal(store_project_get(st, slug, &p), ERR_OK);
    id = p.id;
    store_project_cleanup(&p);
    return id;
}

/* user_version lives big-endian at byte 60 of the database header. */
static int read_user_version(const char *path)
{
    unsigned char h[64];
    FILE *fp = fopen(path, "rb");

    assert_non_null(fp);
    assert_int_equal(fread(h, 1, sizeof h, fp), sizeof h);
    fclose(fp);
    return (h[60] << 24) | (h[61] << 16) | (h[62] << 8) | h[63];
}

static void write_user_version(const char *path, int v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    FILE *fp = fopen(path, "r+b");

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 60, SEEK_SET), 0);
    assert_int_equal(fwrite(b, 1, 4, fp), 4);
    fclose(fp);
}

/* ---- open and migrate -------------------------------------------------- */

static void test_open_migrates_once(void **state)
{
    struct tmpdb *f = *state;
    struct store *st = NULL;
    struct errbuf eb;
    char *other = xasprintf("%s/fresh.db", f->dir);
    char *want;
    bool created = false;

    err_init(&eb);
    assert_true(newest_version() >= 1);
    assert_int_equal(store_open(other, STORE_RW, &st, &created, &eb), ERR_OK);
    assert_true(created);
    store_close(st); /* the last close checkpoints: the header is current */
    assert_int_equal(read_user_version(other), newest_version());

    assert_int_equal(store_open(other, STORE_RW, &st, &created, &eb), ERR_OK);
    assert_false(created);
    store_close(st);
    assert_int_equal(read_user_version(other), newest_version());

    /* A newer schema than this binary knows is refused, read-write or not. */
    write_user_version(other, 999);
    st = (struct store *)1;
    assert_int_equal(store_open(other, STORE_RW, &st, &created, &eb), ERR_DB);
    assert_null(st);
    want = xasprintf("database schema version 999 is newer than this "
                     "benchvault (%d)",
                     newest_version());
    assert_string_equal(eb.msg, want);
    free(want);
    assert_int_equal(store_open(other, STORE_READONLY, &st, NULL, &eb), ERR_DB);
    assert_null(st);
    tmpdb_remove(other);

    /* Read-only never creates a file. */
    assert_int_equal(store_open(other, STORE_READONLY, &st, NULL, &eb), ERR_IO);
    assert_null(st);
    assert_int_equal(access(other, F_OK), -1);
    free(other);
    err_cleanup(&eb);
}

/* Several processes opening one new file at once migrate it exactly once. */
static void test_concurrent_first_open(void **state)
{
    struct tmpdb *f = *state;
    char *path = xasprintf("%s/race.db", f->dir);
    pid_t kids[4];
    int created_count = 0;

    for (int i = 0; i < 4; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            struct store *st = NULL;
            bool created = false;
            int rc;

            struct errbuf eb;

            err_init(&eb);
            rc = store_open(path, STORE_RW, &st, &created, &eb) == ERR_OK;
            if (!rc)
                fprintf(stderr, "# child: %s\n", eb.msg);
            store_close(st);
            /* 0: failed, 1: opened, 2: opened and migrated */
            _exit(rc ? (created ? 2 : 1) : 0);
        }
    }
    for (int i = 0; i < 4; i++) {
        int status = 0;

        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) >= 1);
        if (WEXITSTATUS(status) == 2)
            created_count++;
    }
    assert_int_equal(created_count, 1);
    assert_int_equal(read_user_version(path), newest_version());
    tmpdb_remove(path);
    free(path);
}

/* A file that is not SQLite is refused with a message, and left alone. */
static void test_open_not_a_database(void **state)
{
    struct tmpdb *f = *state;
    char *path = xasprintf("%s/junk.db", f->dir);
    static const char junk[] = "this is not an SQLite database, not at all, "
                               "just text long enough to fill a header";
    struct store *st = NULL;
    struct errbuf eb;
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(junk, 1, sizeof junk, fp), sizeof junk);
    fclose(fp);
    err_init(&eb);
    assert_int_equal(store_open(path, STORE_RW, &st, NULL, &eb), ERR_DB);
    assert_null(st);
    assert_true(eb.msg[0] != '\0');
    tmpdb_remove(path);
    free(path);
}

/* STORE_RW_EXISTING (the CLI's commands other than serve) never makes a
 * database: a missing path stays missing, an empty file stays empty, and
 * a real database opens and works. */
static void test_open_existing_only(void **state)
{
    struct tmpdb *f = *state;
    char *path = xasprintf("%s/typo.db", f->dir);
    struct store *st = (struct store *)1;
    struct errbuf eb;
    struct stat sb;
    FILE *fp;

    err_init(&eb);
    assert_int_equal(store_open(path, STORE_RW_EXISTING, &st, NULL, &eb),
                     ERR_NOT_FOUND);
    assert_null(st);
    assert_non_null(strstr(eb.msg, "no database at"));
    assert_int_equal(access(path, F_OK), -1);

    fp = fopen(path, "wb"); /* an empty file: SQLite would adopt it */
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(store_open(path, STORE_RW_EXISTING, &st, NULL, &eb),
                     ERR_NOT_FOUND);
    assert_null(st);
    assert_non_null(strstr(eb.msg, "not a benchvault database"));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    tmpdb_remove(path);

    assert_int_equal(store_open(path, STORE_RW, &st, NULL, &eb), ERR_OK);
    store_close(st);
    assert_int_equal(store_open(path, STORE_RW_EXISTING, &st, NULL, &eb),
                     ERR_OK);
    assert_non_null(st);
    store_close(st);
    tmpdb_remove(path);
    free(path);
    err_cleanup(&eb);
}

/* ---- insert and read back ---------------------------------------------- */

static void test_insert_read_back(void **state)
{
    struct tmpdb *f = *state;
    struct run r, got;
    struct errbuf eb;
    struct result *res;
    int64_t id, pid;
    /* Awkward doubles that a text round trip could disturb. */
    static const double s1[] = {0.1, 1.0 / 3.0, 5e-324, 1.7976931348623157e308,
                                -0.0};
    static const double s2[] = {12.25, 12.5, 12.75};

    err_init(&eb);
    run_basic(&r, "alpha", "main", "abc123", 1700000000000);
    r.commit_message = xstrdup("fix: speed");
    r.commit_author = xstrdup("Ada");
    r.pr_number = 42;
    r.base_branch = xstrdup("main");
    r.testbed_info = xstrdup("{\"cores\":8}");
    r.started_at = 1700000001000;
    r.finished_at = 1700000002000;
    r.format = xstrdup("pytest-benchmark");
    r.ci_provider = xstrdup("github");
    r.ci_url = xstrdup("https://ci/1");
    r.ci_job = xstrdup("bench");
    r.metadata = xstrdup("{\"x\":1}");
    /* Inserted out of order: reads come back by key, then measure. */
    res = add_result(&r, "zeta", NULL, "throughput", "1/s", 81.5);
    res = add_result(&r, "batch", "{\"n\":100}", "latency", "s", 0.0123);
    res->samples = xmalloc(sizeof s1);
    memcpy(res->samples, s1, sizeof s1);
    res->nsamples = 5;
    res->n = 5;
    res->stddev = 0.002;
    res->mean = 0.0124;
    res->lower = 0.01;
    res->upper = 0.014;
    res = add_result(&r, "batch", "{\"n\":100}", "throughput", "1/s", 81.3);
    res->direction = DIR_HIGHER;
    res = add_result(&r, "zeta", NULL, "latency", "s", 12.5);
    res->samples = xmalloc(sizeof s2);
    memcpy(res->samples, s2, sizeof s2);
    res->nsamples = 3; /* n left unknown: the store counts the samples */
    res->median = 12.5;
    res->min = 12.25;
    res->max = 12.75;
    run_resource_add(&r)->t_ms = 100;
    r.resources[0].cpu_pct = 93.5;
    r.resources[0].rss_bytes = 123456789;
    run_resource_add(&r)->t_ms = 0;
    r.resources[1].gpu_mem_bytes = 1073741824;

    assert_int_equal(insert_one(f->st, &r, NULL, NULL, &id, NULL), ERR_OK);
    assert_true(id > 0);
    assert_int_equal(r.id, id);

    pid = project_id(f->st, "alpha");
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pid, id, &got, &eb), ERR_OK);
    assert_int_equal(got.id, id);
    assert_string_equal(got.project, "alpha");
    assert_string_equal(got.branch, "main");
    assert_string_equal(got.commit_sha, "abc123");
    assert_string_equal(got.commit_message, "fix: speed");
    assert_string_equal(got.commit_author, "Ada");
    assert_int_equal(got.commit_time, 1700000000000);
    assert_int_equal(got.pr_number, 42);
    assert_string_equal(got.base_branch, "main");
    assert_string_equal(got.testbed, "ci-linux");
    assert_string_equal(got.testbed_info, "{\"cores\":8}");
    assert_int_equal(got.started_at, 1700000001000);
    assert_int_equal(got.finished_at, 1700000002000);
    assert_true(got.created_at != TIME_NONE);
    assert_string_equal(got.format, "pytest-benchmark");
    assert_string_equal(got.ci_provider, "github");
    assert_string_equal(got.ci_url, "https://ci/1");
    assert_string_equal(got.ci_job, "bench");
    assert_string_equal(got.metadata, "{\"x\":1}");
    assert_int_equal(got.result_count, 4);
    assert_int_equal(got.nresults, 4);

    res = &got.results[0];
    assert_string_equal(res->key, "batch[{\"n\":100}]");
    assert_string_equal(res->benchmark, "batch");
    assert_string_equal(res->params, "{\"n\":100}");
    assert_string_equal(res->measure, "latency");
    assert_string_equal(res->unit, "s");
    assert_int_equal(res->direction, DIR_LOWER);
    assert_true(res->value == 0.0123);
    assert_true(res->mean == 0.0124);
    assert_true(res->stddev == 0.002);
    assert_true(isnan(res->median) && isnan(res->min) && isnan(res->max));
    assert_true(res->lower == 0.01 && res->upper == 0.014);
    assert_int_equal(res->n, 5);
    assert_int_equal(res->nsamples, 5);
    assert_memory_equal(res->samples, s1, sizeof s1); /* bit-exact, -0.0 too */
    assert_null(res->pointer);

    res = &got.results[1];
    assert_string_equal(res->measure, "throughput");
    assert_string_equal(res->unit, "1/s");
    assert_int_equal(res->direction, DIR_HIGHER);
    assert_int_equal(res->nsamples, 0);
    assert_null(res->samples);
    assert_int_equal(res->n, -1);
    assert_true(isnan(res->mean) && isnan(res->stddev) && isnan(res->lower));

    res = &got.results[2];
    assert_string_equal(res->key, "zeta");
    assert_string_equal(res->params, "{}");
    assert_string_equal(res->measure, "latency");
    assert_true(res->median == 12.5 && res->min == 12.25 && res->max == 12.75);
    assert_int_equal(res->n, 3);
    assert_memory_equal(res->samples, s2, sizeof s2);
    res = &got.results[3];
    assert_string_equal(res->key, "zeta");
    assert_string_equal(res->measure, "throughput");
    /* The direction of the measure, set explicitly by the earlier result. */
    assert_int_equal(res->direction, DIR_HIGHER);
    assert_true(res->value == 81.5);

    assert_int_equal(got.nresources, 2);
    assert_int_equal(got.resources[0].t_ms, 0);
    assert_true(isnan(got.resources[0].cpu_pct));
    assert_true(got.resources[0].gpu_mem_bytes == 1073741824);
    assert_int_equal(got.resources[1].t_ms, 100);
    assert_true(got.resources[1].cpu_pct == 93.5);
    assert_true(got.resources[1].rss_bytes == 123456789);
    assert_true(isnan(got.resources[1].gpu_util_pct));
    run_cleanup(&got);

    /* The wrong project does not see the run; an unknown id is not found. */
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pid + 1000, id, &got, &eb),
                     ERR_NOT_FOUND);
    assert_int_equal(store_run_get(f->st, pid, id + 1, &got, &eb),
                     ERR_NOT_FOUND);
    assert_null(got.project);
    run_cleanup(&got);
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_defaults_and_lists(void **state)
{
    struct tmpdb *f = *state;
    struct store_project *projects = NULL;
    struct store_benchmark *bench = NULL;
    struct store_measure *meas = NULL;
    struct store_branch *branches = NULL;
    struct store_testbed *tb = NULL;
    struct store_project p;
    struct run r, got;
    struct errbuf eb;
    int64_t id, pid;
    size_t n;

    err_init(&eb);
    /* No branch, sha, testbed, format or metadata: the store's defaults. */
    run_init(&r);
    r.project = xstrdup("beta");
    add_result(&r, "b1", NULL, "memory", "B", 1024);
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, &id, NULL), ERR_OK);
    run_cleanup(&r);
    pid = project_id(f->st, "beta");
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pid, id, &got, &eb), ERR_OK);
    assert_string_equal(got.branch, "unknown");
    assert_string_equal(got.commit_sha, "unknown");
    assert_string_equal(got.testbed, "default");
    assert_string_equal(got.testbed_info, "{}");
    assert_string_equal(got.format, "benchvault/v1");
    assert_string_equal(got.metadata, "{}");
    assert_int_equal(got.commit_time, TIME_NONE);
    assert_int_equal(got.pr_number, 0);
    assert_null(got.base_branch);
    run_cleanup(&got);

    /* Testbed info follows the latest non-empty description. */
    run_basic(&r, "beta", "main", "s2", TIME_NONE);
    r.testbed_info = xstrdup("{\"cpu\":\"old\"}");
    add_result(&r, "b1", NULL, "memory", "B", 1000);
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, NULL, NULL), ERR_OK);
    run_cleanup(&r);
    run_basic(&r, "beta", "main", "s3", TIME_NONE);
    r.testbed_info = xstrdup("{}");
    add_result(&r, "b1", NULL, "memory", "B", 1000);
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, NULL, NULL), ERR_OK);
    run_cleanup(&r);
    assert_int_equal(store_testbeds_list(f->st, pid, &tb, &n, &eb), ERR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(tb[0].name, "ci-linux");
    assert_string_equal(tb[0].info, "{\"cpu\":\"old\"}");
    assert_string_equal(tb[1].name, "default");
    store_testbeds_free(tb, n);
    run_basic(&r, "beta", "main", "s4", TIME_NONE);
    r.testbed_info = xstrdup("{\"cpu\":\"new\"}");
    add_result(&r, "a0", "{\"k\":1}", "memory", "B", 1000);
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, NULL, NULL), ERR_OK);
    run_cleanup(&r);
    assert_int_equal(store_testbeds_list(f->st, pid, &tb, &n, &eb), ERR_OK);
    assert_string_equal(tb[0].info, "{\"cpu\":\"new\"}");
    store_testbeds_free(tb, n);

    assert_int_equal(store_benchmarks_list(f->st, pid, &bench, &n, &eb),
                     ERR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(bench[0].key, "a0[{\"k\":1}]");
    assert_string_equal(bench[0].name, "a0");
    assert_string_equal(bench[0].params, "{\"k\":1}");
    assert_string_equal(bench[1].key, "b1");
    store_benchmarks_free(bench, n);

    assert_int_equal(store_measures_list(f->st, pid, &meas, &n, &eb), ERR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(meas[0].name, "memory");
    assert_string_equal(meas[0].unit, "B");
    assert_int_equal(meas[0].direction, DIR_LOWER);
    store_measures_free(meas, n);

    assert_int_equal(store_branches_list(f->st, pid, &branches, &n, &eb),
                     ERR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(branches[0].name, "main");
    assert_int_equal(branches[0].run_count, 3);
    assert_true(branches[0].last_run_at != TIME_NONE);
    assert_string_equal(branches[1].name, "unknown");
    assert_int_equal(branches[1].run_count, 1);
    store_branches_free(branches, n);

    /* Projects: a second one, and descriptions. */
    run_basic(&r, "alpha", "main", "s", TIME_NONE);
    add_result(&r, "b1", NULL, "memory", "B", 1);
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, NULL, NULL), ERR_OK);
    run_cleanup(&r);
    assert_int_equal(store_project_describe(f->st, "beta", "the beta"), ERR_OK);
    assert_int_equal(store_project_describe(f->st, "nope", "x"), ERR_NOT_FOUND);
    assert_int_equal(store_projects_list(f->st, &projects, &n, &eb), ERR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(projects[0].slug, "alpha");
    assert_null(projects[0].description);
    assert_int_equal(projects[0].run_count, 1);
    assert_string_equal(projects[1].slug, "beta");
    assert_string_equal(projects[1].description, "the beta");
    assert_int_equal(projects[1].run_count, 4);
    assert_true(projects[1].last_run_at != TIME_NONE);
    store_projects_free(projects, n);
    assert_int_equal(store_project_get(f->st, "gamma", &p), ERR_NOT_FOUND);
    assert_null(p.slug);
    err_cleanup(&eb);
}

/* ---- idempotency ------------------------------------------------------- */

static void test_idempotency(void **state)
{
    struct tmpdb *f = *state;
    unsigned char h1[HASH_SHA256_LEN], h2[HASH_SHA256_LEN];
    struct store_insert it = {0};
    struct run r;
    struct errbuf eb;
    int64_t id1, id2, runs, results, rid, count;
    bool dup = true;

    err_init(&eb);
    hash_sha256("body one", 8, h1);
    hash_sha256("body two", 8, h2);
    run_basic(&r, "alpha", "main", "c1", TIME_NONE);
    add_result(&r, "b", NULL, "latency", "s", 1);
    add_result(&r, "b", NULL, "throughput", "1/s", 1);
    assert_int_equal(insert_one(f->st, &r, "key-1", h1, &id1, &dup), ERR_OK);
    assert_false(dup);
    assert_int_equal(
        store_idempotent_get(f->st, "alpha", "key-1", h1, &rid, &count),
        ERR_OK);
    assert_int_equal(rid, id1);
    assert_int_equal(count, 2);
    assert_int_equal(
        store_idempotent_get(f->st, "alpha", "key-1", NULL, &rid, &count),
        ERR_OK);
    assert_int_equal(
        store_idempotent_get(f->st, "alpha", "key-1", h2, &rid, &count),
        ERR_CONFLICT);
    assert_int_equal(rid, 0);
    assert_int_equal(
        store_idempotent_get(f->st, "alpha", "key-2", h1, &rid, &count),
        ERR_NOT_FOUND);
    assert_int_equal(
        store_idempotent_get(f->st, "nope", "key-1", h1, &rid, &count),
        ERR_NOT_FOUND);

    /* The same key and body: the first run, nothing written. */
    assert_int_equal(insert_one(f->st, &r, "key-1", h1, &id2, &dup), ERR_OK);
    assert_true(dup);
    assert_int_equal(id2, id1);
    counts(f->st, &runs, &results);
    assert_int_equal(runs, 1);
    assert_int_equal(results, 2);

    /* The same key, another body: a conflict. */
    err_init(&it.eb);
    it.run = &r;
    it.idempotency_key = "key-1";
    it.body_hash = h2;
    assert_int_equal(store_runs_insert(f->st, &it, 1, &eb), ERR_OK);
    assert_int_equal(it.status, ERR_CONFLICT);
    assert_int_equal(it.run_id, 0);
    assert_false(it.duplicate);
    assert_non_null(strstr(it.eb.msg, "Idempotency-Key"));
    assert_non_null(
        strstr(it.eb.msg, "was already used with a different body"));
    err_cleanup(&it.eb);
    counts(f->st, &runs, &results);
    assert_int_equal(runs, 1);

    /* Keys are per project. */
    free(r.project);
    r.project = xstrdup("beta");
    assert_int_equal(insert_one(f->st, &r, "key-1", h2, &id2, &dup), ERR_OK);
    assert_false(dup);
    assert_true(id2 != id1);

    /* Twice in one batch: the second is the first's duplicate. */
    {
        struct store_insert two[2] = {{0}};

        for (int i = 0; i < 2; i++) {
            err_init(&two[i].eb);
            two[i].run = &r;
            two[i].idempotency_key = "key-3";
            two[i].body_hash = h1;
        }
        assert_int_equal(store_runs_insert(f->st, two, 2, &eb), ERR_OK);
        assert_int_equal(two[0].status, ERR_OK);
        assert_false(two[0].duplicate);
        assert_int_equal(two[1].status, ERR_OK);
        assert_true(two[1].duplicate);
        assert_int_equal(two[1].run_id, two[0].run_id);
        assert_int_equal(two[1].result_count, 2);
        for (int i = 0; i < 2; i++)
            err_cleanup(&two[i].eb);
    }
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* ---- conflicts inside a batch ----------------------------------------- */

static void test_batch_with_conflict(void **state)
{
    struct tmpdb *f = *state;
    struct store_insert items[3] = {{0}};
    struct run r[3];
    struct result *res;
    struct errbuf eb;
    int64_t runs, results;

    err_init(&eb);
    /* The first run fixes latency in s and throughput as higher-better. */
    run_basic(&r[0], "alpha", "main", "c1", TIME_NONE);
    add_result(&r[0], "b", NULL, "latency", "s", 1);
    add_result(&r[0], "b", NULL, "throughput", "1/s", 5);
    /* The second disagrees on both and would add rows before clashing. */
    run_basic(&r[1], "alpha", "main", "c2", TIME_NONE);
    add_result(&r[1], "new_bench", NULL, "new_measure", "", 1);
    res = add_result(&r[1], "b", NULL, "latency", "B", 2);
    res->pointer = xstrdup("/results/1/measures/latency");
    res = add_result(&r[1], "b", NULL, "throughput", "1/s", 2);
    res->direction = DIR_LOWER;
    run_resource_add(&r[1])->cpu_pct = 50;
    /* The third is fine. */
    run_basic(&r[2], "alpha", "main", "c3", TIME_NONE);
    add_result(&r[2], "b", NULL, "latency", "s", 3);
    for (int i = 0; i < 3; i++) {
        err_init(&items[i].eb);
        items[i].run = &r[i];
    }
    assert_int_equal(store_runs_insert(f->st, items, 3, &eb), ERR_OK);
    assert_int_equal(items[0].status, ERR_OK);
    assert_int_equal(items[2].status, ERR_OK);
    assert_int_equal(items[1].status, ERR_CONFLICT);
    assert_int_equal(items[1].run_id, 0);
    assert_int_equal(r[1].id, 0);
    assert_int_equal(items[1].eb.nitems, 2);
    assert_string_equal(items[1].eb.items[0].pointer,
                        "/results/1/measures/latency/unit");
    assert_string_equal(items[1].eb.items[0].message,
                        "measure \"latency\" is stored in s in this project, "
                        "not B");
    assert_string_equal(items[1].eb.items[1].pointer, "/results/2/direction");
    assert_non_null(strstr(items[1].eb.items[1].message, "throughput"));
    assert_true(items[0].run_id > 0 && items[2].run_id > items[0].run_id);
    assert_int_equal(items[0].result_count, 2);
    assert_int_equal(items[2].result_count, 1);

    counts(f->st, &runs, &results);
    assert_int_equal(runs, 2);
    assert_int_equal(results, 3);
    {
        struct store_benchmark *b;
        struct store_measure *m;
        size_t n;
        int64_t pid = project_id(f->st, "alpha");

        /* Nothing of the failed run survives: no benchmark, no measure. */
        assert_int_equal(store_benchmarks_list(f->st, pid, &b, &n, &eb),
                         ERR_OK);
        assert_int_equal(n, 1);
        store_benchmarks_free(b, n);
        assert_int_equal(store_measures_list(f->st, pid, &m, &n, &eb), ERR_OK);
        assert_int_equal(n, 2);
        store_measures_free(m, n);
    }
    for (int i = 0; i < 3; i++) {
        err_cleanup(&items[i].eb);
        run_cleanup(&r[i]);
    }

    /* A result without a finite value, and a measure twice: ERR_INVALID. */
    run_basic(&r[0], "alpha", "main", "c4", TIME_NONE);
    add_result(&r[0], "b", NULL, "latency", "s", NAN);
    assert_int_equal(insert_one(f->st, &r[0], NULL, NULL, NULL, NULL),
                     ERR_INVALID);
    run_cleanup(&r[0]);
    run_basic(&r[0], "alpha", "main", "c5", TIME_NONE);
    add_result(&r[0], "b", NULL, "latency", "s", 1);
    add_result(&r[0], "b", NULL, "latency", "s", 2);
    assert_int_equal(insert_one(f->st, &r[0], NULL, NULL, NULL, NULL),
                     ERR_INVALID);
    run_cleanup(&r[0]);
    run_init(&r[0]);
    add_result(&r[0], "b", NULL, "latency", "s", 1);
    assert_int_equal(insert_one(f->st, &r[0], NULL, NULL, NULL, NULL),
                     ERR_INVALID); /* no project */
    run_cleanup(&r[0]);
    counts(f->st, &runs, &results);
    assert_int_equal(runs, 2);
    assert_int_equal(results, 3);
    err_cleanup(&eb);
}

/*
 * A run that creates a benchmark and a measure and then fails must not leave
 * their ids in the cache: the next runs that use them, in the same batch and
 * in a later one, must create them again and succeed.
 */
static void test_cache_after_rollback(void **state)
{
    struct tmpdb *f = *state;
    struct store_insert items[3] = {{0}};
    struct run r[3], got;
    struct errbuf eb;
    int64_t pid;

    err_init(&eb);
    run_basic(&r[0], "alpha", "main", "c1", TIME_NONE);
    add_result(&r[0], "b", NULL, "latency", "s", 1);
    run_basic(&r[1], "alpha", "feature", "c2", TIME_NONE);
    r[1].testbed_info = xstrdup("{\"cpu\":\"x\"}");
    free(r[1].testbed);
    r[1].testbed = xstrdup("new-testbed");
    add_result(&r[1], "fresh", "{\"n\":1}", "fresh_measure", "s", 1);
    add_result(&r[1], "b", NULL, "latency", "B", 1); /* clash */
    run_basic(&r[2], "alpha", "feature", "c3", TIME_NONE);
    free(r[2].testbed);
    r[2].testbed = xstrdup("new-testbed");
    add_result(&r[2], "fresh", "{\"n\":1}", "fresh_measure", "B", 7);
    for (int i = 0; i < 3; i++) {
        err_init(&items[i].eb);
        items[i].run = &r[i];
    }
    assert_int_equal(store_runs_insert(f->st, items, 3, &eb), ERR_OK);
    assert_int_equal(items[0].status, ERR_OK);
    assert_int_equal(items[1].status, ERR_CONFLICT);
    assert_int_equal(items[2].status, ERR_OK);
    pid = project_id(f->st, "alpha");
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pid, items[2].run_id, &got, &eb),
                     ERR_OK);
    assert_string_equal(got.branch, "feature");
    assert_string_equal(got.testbed, "new-testbed");
    /* The failed run's info went with it. */
    assert_string_equal(got.testbed_info, "{}");
    assert_int_equal(got.nresults, 1);
    /* The unit is the surviving run's, not the rolled-back one's. */
    assert_string_equal(got.results[0].unit, "B");
    run_cleanup(&got);
    for (int i = 0; i < 3; i++) {
        err_cleanup(&items[i].eb);
        run_cleanup(&r[i]);
    }

    /* Alone, in a batch of its own, after a rollback that created ids. */
    run_basic(&r[0], "gamma", "main", "c1", TIME_NONE);
    add_result(&r[0], "g", NULL, "m", "s", 1);
    add_result(&r[0], "g", NULL, "m", "s", 1); /* duplicate: fails */
    assert_int_equal(insert_one(f->st, &r[0], NULL, NULL, NULL, NULL),
                     ERR_INVALID);
    run_cleanup(&r[0]);
    assert_int_equal(
        store_project_get(f->st, "gamma", &(struct store_project){0}),
        ERR_NOT_FOUND);
    run_basic(&r[0], "gamma", "main", "c1", TIME_NONE);
    add_result(&r[0], "g", NULL, "m", "B", 1);
    assert_int_equal(insert_one(f->st, &r[0], NULL, NULL, NULL, NULL), ERR_OK);
    run_cleanup(&r[0]);
    err_cleanup(&eb);
}

/* ---- series ------------------------------------------------------------ */

static void add_series_run(struct store *st, const char *branch,
                           const char *testbed, const char *sha,
                           int64_t commit_time, double value, double mean)
{
    struct run r;
    struct result *res;

    run_basic(&r, "alpha", branch, sha, commit_time);
    free(r.testbed);
    r.testbed = xstrdup(testbed);
    res = add_result(&r, "b", "{\"n\":1}", "latency", "s", value);
    res->mean = mean;
    res->lower = value - 1;
    res->upper = value + 1;
    res->n = 10;
    add_result(&r, "b", "{\"n\":1}", "throughput", "1/s", 1 / value);
    add_result(&r, "single", NULL, "memory", "B", value);
    add_result(&r, "two", NULL, "memory", "B", value);
    add_result(&r, "two", NULL, "cpu", "%", value);
    assert_int_equal(insert_one(st, &r, NULL, NULL, NULL, NULL), ERR_OK);
    run_cleanup(&r);
}

static void test_series(void **state)
{
    struct tmpdb *f = *state;
    struct store_series_query q = {0};
    struct series s;
    struct errbuf eb;
    int64_t pid;
    char idtext[32];

    err_init(&eb);
    /* Inserted out of commit order. */
    add_series_run(f->st, "main", "tb1", "c3", 3000, 30, 31);
    add_series_run(f->st, "main", "tb1", "c1", 1000, 10, NAN);
    add_series_run(f->st, "main", "tb1", "c2", 2000, 20, 21);
    add_series_run(f->st, "main", "tb2", "c9", 9000, 90, 91);
    add_series_run(f->st, "main", "tb1", "c0", TIME_NONE, 5, 6); /* started? */
    add_series_run(f->st, "feature", "tb3", "f1", 500, 1, 2);
    pid = project_id(f->st, "alpha");

    /* Defaults: latency among two measures, main, its newest run's tb2. */
    q.benchmark = "b[{\"n\":1}]";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_string_equal(s.benchmark_key, "b[{\"n\":1}]");
    assert_string_equal(s.measure, "latency");
    assert_string_equal(s.unit, "s");
    assert_int_equal(s.direction, DIR_LOWER);
    assert_string_equal(s.branch, "main");
    assert_string_equal(s.testbed, "tb1"); /* c0 is the newest on main */
    assert_int_equal(s.npoints, 4);
    /* Commit time order; c0 has none and falls back to its ingest time. */
    assert_string_equal(s.points[0].commit_sha, "c1");
    assert_string_equal(s.points[1].commit_sha, "c2");
    assert_string_equal(s.points[2].commit_sha, "c3");
    assert_string_equal(s.points[3].commit_sha, "c0");
    assert_true(s.points[0].value == 10);
    assert_int_equal(s.points[0].time, 1000);
    assert_true(s.points[0].lower == 9 && s.points[0].upper == 11);
    assert_int_equal(s.points[0].n, 10);
    assert_true(s.points[0].run_id > 0);
    series_cleanup(&s);

    /* Explicit testbed; the mean skips the point without one. */
    q.testbed = "tb1";
    q.stat = "mean";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_int_equal(s.npoints, 3);
    assert_true(s.points[0].value == 21);
    assert_true(s.points[1].value == 31);
    assert_true(s.points[2].value == 6);
    series_cleanup(&s);
    q.testbed = "tb2";
    q.stat = "value";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_int_equal(s.npoints, 1);
    assert_true(s.points[0].value == 90);
    series_cleanup(&s);

    /* By id; an explicit measure and branch. */
    q.testbed = NULL;
    q.stat = NULL;
    q.measure = "throughput";
    q.branch = "feature";
    {
        struct store_benchmark *b;
        size_t n;

        assert_int_equal(store_benchmarks_list(f->st, pid, &b, &n, &eb),
                         ERR_OK);
        snprintf(idtext, sizeof idtext, "%lld", (long long)b[0].id);
        assert_string_equal(b[0].key, "b[{\"n\":1}]");
        store_benchmarks_free(b, n);
    }
    q.benchmark = idtext;
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_string_equal(s.measure, "throughput");
    assert_string_equal(s.unit, "1/s");
    assert_int_equal(s.direction, DIR_HIGHER);
    assert_string_equal(s.branch, "feature");
    assert_string_equal(s.testbed, "tb3");
    assert_int_equal(s.npoints, 1);
    assert_true(s.points[0].value == 1);
    assert_true(isnan(s.points[0].lower));
    assert_int_equal(s.points[0].n, -1);
    series_cleanup(&s);

    /* The only measure is the default; without "main" data, the latest. */
    q.benchmark = "single";
    q.measure = NULL;
    q.branch = NULL;
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_string_equal(s.measure, "memory");
    assert_string_equal(s.branch, "main");
    series_cleanup(&s);

    /* Errors. */
    q.benchmark = "two";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_INVALID);
    assert_non_null(strstr(eb.msg, "cpu"));
    series_cleanup(&s);
    q.measure = "latency"; /* known to the project, not to this benchmark */
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_NOT_FOUND);
    series_cleanup(&s);
    q.measure = "cpu";
    q.stat = "p99";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_INVALID);
    series_cleanup(&s);
    q.stat = "max";
    q.branch = "nope";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_NOT_FOUND);
    series_cleanup(&s);
    q.branch = NULL;
    q.testbed = "nope";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_NOT_FOUND);
    series_cleanup(&s);
    q.testbed = NULL;
    q.measure = "nope";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_NOT_FOUND);
    series_cleanup(&s);
    q.measure = NULL;
    q.benchmark = "nope";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_NOT_FOUND);
    assert_null(s.benchmark_key);
    assert_int_equal(s.npoints, 0);
    series_cleanup(&s);
    q.benchmark = "999999";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_NOT_FOUND);
    series_cleanup(&s);
    /* Another project does not see alpha's benchmark. */
    q.benchmark = "single";
    assert_int_equal(store_series_get(f->st, pid + 1, &q, &s, &eb),
                     ERR_NOT_FOUND);
    series_cleanup(&s);
    err_cleanup(&eb);
}

/* "main" wins as the default branch even when another branch is newer. */
static void test_series_default_branch(void **state)
{
    struct tmpdb *f = *state;
    struct store_series_query q = {0};
    struct series s;
    struct errbuf eb;
    int64_t pid;

    err_init(&eb);
    add_series_run(f->st, "dev", "tb1", "d1", 1000, 1, 1);
    pid = project_id(f->st, "alpha");
    q.benchmark = "single";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_string_equal(s.branch, "dev");
    series_cleanup(&s);
    add_series_run(f->st, "main", "tb1", "m1", 2000, 2, 2);
    add_series_run(f->st, "dev", "tb9", "d2", 3000, 3, 3);
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_string_equal(s.branch, "main");
    assert_string_equal(s.testbed, "tb1");
    assert_int_equal(s.npoints, 1);
    series_cleanup(&s);
    q.branch = "dev";
    assert_int_equal(store_series_get(f->st, pid, &q, &s, &eb), ERR_OK);
    assert_string_equal(s.testbed, "tb9");
    assert_int_equal(s.npoints, 1);
    assert_string_equal(s.points[0].commit_sha, "d2");
    series_cleanup(&s);
    err_cleanup(&eb);
}

/* ---- runs list --------------------------------------------------------- */

static void test_runs_list(void **state)
{
    struct tmpdb *f = *state;
    struct store_run_filter flt = {0};
    struct run r, *runs = NULL;
    struct errbuf eb;
    int64_t ids[7], pid;
    size_t n;

    err_init(&eb);
    for (int i = 0; i < 7; i++) {
        char sha[8];

        snprintf(sha, sizeof sha, "c%d", i);
        run_basic(&r, "alpha", i % 2 ? "dev" : "main", sha, TIME_NONE);
        for (int k = 0; k <= i; k++) {
            char name[8];

            snprintf(name, sizeof name, "b%d", k);
            add_result(&r, name, NULL, "latency", "s", 1);
        }
        assert_int_equal(insert_one(f->st, &r, NULL, NULL, &ids[i], NULL),
                         ERR_OK);
        run_cleanup(&r);
    }
    pid = project_id(f->st, "alpha");

    flt.limit = 3;
    assert_int_equal(store_runs_list(f->st, pid, &flt, &runs, &n, &eb), ERR_OK);
    assert_int_equal(n, 3);
    assert_int_equal(runs[0].id, ids[6]);
    assert_int_equal(runs[1].id, ids[5]);
    assert_int_equal(runs[2].id, ids[4]);
    assert_int_equal(runs[0].result_count, 7);
    assert_int_equal(runs[0].nresults, 0);
    assert_string_equal(runs[0].branch, "main");
    assert_string_equal(runs[0].commit_sha, "c6");
    assert_string_equal(runs[1].branch, "dev");
    store_runs_free(runs, n);

    flt.before_id = ids[4];
    assert_int_equal(store_runs_list(f->st, pid, &flt, &runs, &n, &eb), ERR_OK);
    assert_int_equal(n, 3);
    assert_int_equal(runs[0].id, ids[3]);
    assert_int_equal(runs[2].id, ids[1]);
    store_runs_free(runs, n);

    flt.before_id = ids[1];
    assert_int_equal(store_runs_list(f->st, pid, &flt, &runs, &n, &eb), ERR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(runs[0].id, ids[0]);
    store_runs_free(runs, n);

    flt.before_id = 0;
    flt.branch = "dev";
    flt.limit = 10;
    assert_int_equal(store_runs_list(f->st, pid, &flt, &runs, &n, &eb), ERR_OK);
    assert_int_equal(n, 3);
    assert_int_equal(runs[0].id, ids[5]);
    assert_int_equal(runs[1].id, ids[3]);
    assert_int_equal(runs[2].id, ids[1]);
    assert_int_equal(runs[2].result_count, 2);
    store_runs_free(runs, n);

    flt.branch = "nope";
    assert_int_equal(store_runs_list(f->st, pid, &flt, &runs, &n, &eb), ERR_OK);
    assert_int_equal(n, 0);
    store_runs_free(runs, n);

    flt.branch = NULL;
    assert_int_equal(store_runs_list(f->st, pid + 1, &flt, &runs, &n, &eb),
                     ERR_OK);
    assert_int_equal(n, 0);
    store_runs_free(runs, n);

    flt.limit = 0;
    assert_int_equal(store_runs_list(f->st, pid, &flt, &runs, &n, &eb),
                     ERR_INVALID);
    assert_null(runs);
    flt.limit = 1001;
    assert_int_equal(store_runs_list(f->st, pid, &flt, &runs, &n, &eb),
                     ERR_INVALID);
    err_cleanup(&eb);
}

/* ---- tokens ------------------------------------------------------------ */

static void test_tokens(void **state)
{
    struct tmpdb *f = *state;
    struct store_token t, *list = NULL;
    struct errbuf eb;
    char *s1 = NULL, *s2 = NULL, *s3 = NULL, *wrong;
    int64_t id1, id2, id3;
    enum token_scope sc;
    size_t n;

    err_init(&eb);
    assert_int_equal(token_scope_parse("write", &sc), ERR_OK);
    assert_int_equal(sc, SCOPE_WRITE);
    assert_int_equal(token_scope_parse("root", &sc), ERR_INVALID);
    assert_string_equal(token_scope_str(SCOPE_ADMIN), "admin");

    assert_int_equal(
        store_token_create(f->st, "ci", SCOPE_WRITE, "alpha", &s1, &id1, &eb),
        ERR_OK);
    assert_int_equal(
        store_token_create(f->st, "admin", SCOPE_ADMIN, NULL, &s2, &id2, &eb),
        ERR_OK);
    assert_int_equal(
        store_token_create(f->st, "7", SCOPE_READ, NULL, &s3, &id3, &eb),
        ERR_OK);
    assert_int_equal(strlen(s1), 3 + 64);
    assert_memory_equal(s1, "bv_", 3);
    for (size_t i = 3; i < strlen(s1); i++)
        assert_non_null(strchr("0123456789abcdef", s1[i]));
    assert_string_not_equal(s1, s2);
    assert_true(id2 > id1);
    {
        char *none = (char *)1;
        int64_t no_id = 1;

        assert_int_equal(
            store_token_create(f->st, "", SCOPE_READ, NULL, &none, &no_id, &eb),
            ERR_INVALID);
        assert_null(none);
        assert_int_equal(no_id, 0);
    }

    assert_int_equal(store_token_lookup(f->st, s1, &t), ERR_OK);
    assert_int_equal(t.id, id1);
    assert_string_equal(t.name, "ci");
    assert_int_equal(t.scope, SCOPE_WRITE);
    assert_string_equal(t.project, "alpha");
    assert_true(t.created_at != TIME_NONE);
    assert_int_equal(t.last_used_at, TIME_NONE);
    assert_int_equal(t.revoked_at, TIME_NONE);
    store_token_cleanup(&t);
    assert_int_equal(store_token_lookup(f->st, s2, &t), ERR_OK);
    assert_null(t.project);
    assert_int_equal(t.scope, SCOPE_ADMIN);
    store_token_cleanup(&t);

    /* A wrong secret, a near miss, nothing. */
    wrong = xstrdup(s1);
    wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
    assert_int_equal(store_token_lookup(f->st, wrong, &t), ERR_AUTH);
    assert_null(t.name);
    free(wrong);
    assert_int_equal(store_token_lookup(f->st, "bv_", &t), ERR_AUTH);
    assert_int_equal(store_token_lookup(f->st, "", &t), ERR_AUTH);
    assert_int_equal(store_token_lookup(f->st, NULL, &t), ERR_AUTH);

    assert_int_equal(store_tokens_touch(f->st, &id1, 1, 123456), ERR_OK);
    assert_int_equal(store_token_lookup(f->st, s1, &t), ERR_OK);
    assert_int_equal(t.last_used_at, 123456);
    store_token_cleanup(&t);

    /* Revoke by name, then by id; again is harmless; unknown is not found. */
    assert_int_equal(store_token_revoke(f->st, "ci", &eb), ERR_OK);
    assert_int_equal(store_token_lookup(f->st, s1, &t), ERR_AUTH);
    assert_null(t.name);
    assert_int_equal(store_token_revoke(f->st, "ci", &eb), ERR_OK);
    {
        char idtext[32];

        snprintf(idtext, sizeof idtext, "%lld", (long long)id2);
        assert_int_equal(store_token_revoke(f->st, idtext, &eb), ERR_OK);
    }
    assert_int_equal(store_token_lookup(f->st, s2, &t), ERR_AUTH);
    /* "7" is no token's id, but a token's name. */
    assert_int_equal(store_token_revoke(f->st, "7", &eb), ERR_OK);
    assert_int_equal(store_token_lookup(f->st, s3, &t), ERR_AUTH);
    assert_int_equal(store_token_revoke(f->st, "nobody", &eb), ERR_NOT_FOUND);
    assert_int_equal(store_token_revoke(f->st, "99999", &eb), ERR_NOT_FOUND);

    assert_int_equal(store_tokens_list(f->st, &list, &n, &eb), ERR_OK);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].id, id1);
    assert_string_equal(list[0].name, "ci");
    assert_true(list[0].revoked_at != TIME_NONE);
    assert_int_equal(list[0].last_used_at, 123456);
    assert_string_equal(list[1].name, "admin");
    assert_true(list[1].revoked_at != TIME_NONE);
    store_tokens_free(list, n);
    free(s1);
    free(s2);
    free(s3);
    err_cleanup(&eb);
}

/* ---- a second connection, read-only ------------------------------------ */

static void test_readonly_reader(void **state)
{
    struct tmpdb *f = *state;
    struct store *ro = NULL;
    struct store_insert it = {0};
    struct run r;
    struct errbuf eb;
    int64_t runs, results, id, pid;
    char *secret = NULL;

    err_init(&eb);
    assert_int_equal(store_open(f->path, STORE_READONLY, &ro, NULL, &eb),
                     ERR_OK);
    counts(ro, &runs, &results);
    assert_int_equal(runs, 0);

    run_basic(&r, "alpha", "main", "c1", TIME_NONE);
    add_result(&r, "b", NULL, "latency", "s", 1);
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, &id, NULL), ERR_OK);
    /* The reader's statements were reset: it sees the new commit. */
    counts(ro, &runs, &results);
    assert_int_equal(runs, 1);
    assert_int_equal(results, 1);
    pid = project_id(ro, "alpha");
    {
        struct run got;

        run_init(&got);
        assert_int_equal(store_run_get(ro, pid, id, &got, &eb), ERR_OK);
        assert_int_equal(got.nresults, 1);
        run_cleanup(&got);
    }

    /* It refuses every write. */
    err_init(&it.eb);
    it.run = &r;
    assert_int_equal(store_runs_insert(ro, &it, 1, &eb), ERR_DB);
    assert_int_equal(it.status, ERR_DB);
    err_cleanup(&it.eb);
    assert_int_equal(
        store_token_create(ro, "x", SCOPE_READ, NULL, &secret, &id, &eb),
        ERR_DB);
    assert_null(secret);
    assert_int_equal(store_project_describe(ro, "alpha", "x"), ERR_DB);
    counts(f->st, &runs, &results);
    assert_int_equal(runs, 1);

    /* A write after the reader opened: still visible. */
    free(r.commit_sha);
    r.commit_sha = xstrdup("c2");
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, NULL, NULL), ERR_OK);
    counts(ro, &runs, &results);
    assert_int_equal(runs, 2);
    run_cleanup(&r);
    store_close(ro);
    err_cleanup(&eb);
}

/* ---- maintenance ------------------------------------------------------- */

static void test_maintenance(void **state)
{
    struct tmpdb *f = *state;
    struct run r;
    struct errbuf eb;
    int64_t size0, size1;
    bool ok = false;

    err_init(&eb);
    assert_int_equal(store_integrity_check(f->st, &ok, &eb), ERR_OK);
    assert_true(ok);
    assert_int_equal(store_db_size(f->st, &size0), ERR_OK);
    assert_true(size0 > 0);
    run_basic(&r, "alpha", "main", "c1", TIME_NONE);
    for (int i = 0; i < 200; i++) {
        char name[16];

        snprintf(name, sizeof name, "bench_%d", i);
        add_result(&r, name, NULL, "latency", "s", i + 1);
    }
    assert_int_equal(insert_one(f->st, &r, NULL, NULL, NULL, NULL), ERR_OK);
    run_cleanup(&r);
    assert_int_equal(store_db_size(f->st, &size1), ERR_OK);
    assert_true(size1 > size0);
    assert_int_equal(store_integrity_check(f->st, &ok, &eb), ERR_OK);
    assert_true(ok);
    assert_non_null(store_engine_version());
    assert_true(strlen(store_engine_version()) > 0);
    err_cleanup(&eb);
}

/*
 * Throughput smoke test: prints the cost per run so a regression shows in
 * the log.  The bound asserted is loose (sanitizers, shared CI machines);
 * the real targets are measured with an optimised build (schema/schema.md).
 */
/* ---- deletion and retention (store_delete.c) ----------------------------- */

static int64_t one_run(struct store *st, const char *project,
                       const char *branch, const char *sha, double v)
{
    struct run r;
    int64_t id = 0;

    run_basic(&r, project, branch, sha, TIME_NONE);
    add_result(&r, "b", NULL, "latency", "s", v);
    assert_int_equal(insert_one(st, &r, NULL, NULL, &id, NULL), ERR_OK);
    run_cleanup(&r);
    return id;
}

static void test_delete(void **state)
{
    struct tmpdb *f = *state;
    struct store_delete_out out;
    struct store_cpd_touch *t = NULL;
    struct store_cpd_action act;
    struct store_alert al;
    struct store_deletion *log = NULL;
    struct errbuf eb;
    struct run got;
    int64_t a1, a2, b1, pa, pb, runs, results;
    size_t nt = 0, nlog = 0;

    err_init(&eb);
    a1 = one_run(f->st, "alpha", "main", "c1", 1.0);
    a2 = one_run(f->st, "alpha", "feature", "c2", 2.0);
    b1 = one_run(f->st, "beta", "main", "c3", 3.0);
    pa = project_id(f->st, "alpha");
    pb = project_id(f->st, "beta");
    /* Another project's run is not found, and stays. */
    assert_int_equal(store_delete_run(f->st, pa, b1, "t", &out, &eb),
                     ERR_NOT_FOUND);
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pb, b1, &got, &eb), ERR_OK);
    run_cleanup(&got);
    /* An alert whose first bad run goes is kept, resolved, with a note. */
    assert_int_equal(store_cpd_series_of_run(f->st, a1, &t, &nt, &eb), ERR_OK);
    assert_int_equal(nt, 1);
    memset(&act, 0, sizeof act);
    act.op = STORE_CPD_INSERT;
    act.series = &t[0].s;
    act.regression = true;
    act.first_run_id = a1;
    act.before = 1.0;
    act.after = 1.5;
    act.change = 0.5;
    act.p_value = 0.001;
    assert_int_equal(store_cpd_apply(f->st, &act, 1, &eb), ERR_OK);
    assert_true(act.new_alert_id > 0);
    assert_int_equal(store_delete_run(f->st, pa, a1, "token ci", &out, &eb),
                     ERR_OK);
    assert_int_equal(out.runs, 1);
    assert_int_equal(out.results, 1);
    assert_int_equal(out.alerts_resolved, 1);
    assert_int_equal(out.ntouched, 1);
    assert_int_equal(out.touched[0].p.run_id, a1);
    store_delete_out_cleanup(&out);
    {
        /* the series' summary follows the delete: a1 was its only point,
         * so the row is gone, as a full recomputation says */
        struct store_summary stored, fresh;
        bool have = true, exists = true;

        assert_int_equal(store_summary_get(f->st, &t[0].s, &stored, &have, &eb),
                         ERR_OK);
        assert_int_equal(
            store_summary_compute(f->st, &t[0].s, &fresh, &exists, &eb),
            ERR_OK);
        assert_false(exists);
        assert_false(have);
    }
    assert_int_equal(store_alert_get(f->st, act.new_alert_id, &al, &eb),
                     ERR_OK);
    assert_string_equal(al.status, "resolved");
    assert_non_null(strstr(al.note, "was deleted by token ci"));
    assert_int_equal(al.first_bad_run_id, 0);
    store_alert_cleanup(&al);
    free(t);
    counts(f->st, &runs, &results);
    assert_int_equal(runs, 2);
    assert_int_equal(results, 2);
    /* A deleted branch's name can be used again on this connection: its
     * cached id is gone with it. */
    assert_int_equal(store_delete_branch(f->st, pa, "feature", "t", &out, &eb),
                     ERR_OK);
    assert_int_equal(out.runs, 1);
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pa, a2, &got, &eb), ERR_NOT_FOUND);
    run_cleanup(&got);
    (void)one_run(f->st, "alpha", "feature", "c4", 2.0);
    assert_int_equal(store_delete_benchmark(f->st, pa, "nope", "t", &out, &eb),
                     ERR_NOT_FOUND);
    assert_int_equal(store_delete_benchmark(f->st, pa, "b", "t", &out, &eb),
                     ERR_OK);
    assert_int_equal(out.results, 1);
    (void)one_run(f->st, "alpha", "main", "c5", 2.0);
    /* The project, and its log that outlives it. */
    assert_int_equal(store_delete_project(f->st, "alpha", "root", &out, &eb),
                     ERR_OK);
    assert_int_equal(out.runs, 2);
    assert_int_equal(
        store_project_get(f->st, "alpha", &(struct store_project){0}),
        ERR_NOT_FOUND);
    counts(f->st, &runs, &results);
    assert_int_equal(runs, 1); /* beta's */
    assert_int_equal(store_deletions_list(f->st, "alpha", 10, &log, &nlog, &eb),
                     ERR_OK);
    assert_int_equal(nlog, 4);
    assert_string_equal(log[0].kind, "project");
    assert_string_equal(log[0].actor, "root");
    assert_string_equal(log[3].kind, "run");
    assert_string_equal(log[3].actor, "token ci");
    store_deletions_free(log, nlog);
    (void)one_run(f->st, "alpha", "main", "c6", 2.0); /* made anew */
    err_cleanup(&eb);
}

static void test_retention_and_expiry(void **state)
{
    struct tmpdb *f = *state;
    struct store_retention r = {0}, back;
    struct store_token tk;
    struct errbuf eb;
    struct run run, got;
    int64_t now = time_now_ms(), old_id, new_id, pr_id, pid, pruned, deleted,
            tid;
    char *secret = NULL;

    err_init(&eb);
    for (int i = 0; i < 3; i++) {
        struct result *res;

        run_basic(&run, "alpha", i == 2 ? "pr-1" : "main", "c", TIME_NONE);
        run.started_at = i == 1 ? now : now - 10LL * 86400000;
        res = add_result(&run, "b", NULL, "latency", "s", 1.0);
        res->samples = xcalloc(3, sizeof *res->samples);
        res->nsamples = 3;
        assert_int_equal(insert_one(f->st, &run, NULL, NULL,
                                    i == 0   ? &old_id
                                    : i == 1 ? &new_id
                                             : &pr_id,
                                    NULL),
                         ERR_OK);
        run_cleanup(&run);
    }
    pid = project_id(f->st, "alpha");
    /* Nothing set: nothing done. */
    assert_int_equal(
        store_retention_step(f->st, now, 10, &pruned, &deleted, &eb), ERR_OK);
    assert_int_equal(pruned + deleted, 0);
    r.samples_days = 5;
    r.branch_runs_days = 7;
    assert_int_equal(store_retention_set(f->st, pid, &r, &eb), ERR_OK);
    assert_int_equal(store_retention_get(f->st, pid, &back, &eb), ERR_OK);
    assert_int_equal(back.samples_days, 5);
    assert_int_equal(back.branch_runs_days, 7);
    assert_string_equal(back.default_branch, "main");
    store_retention_cleanup(&back);
    /* The old PR run goes first, then the old main run's samples. */
    assert_int_equal(
        store_retention_step(f->st, now, 10, &pruned, &deleted, &eb), ERR_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(
        store_retention_step(f->st, now, 10, &pruned, &deleted, &eb), ERR_OK);
    assert_int_equal(pruned, 1);
    assert_int_equal(
        store_retention_step(f->st, now, 10, &pruned, &deleted, &eb), ERR_OK);
    assert_int_equal(pruned + deleted, 0);
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pid, pr_id, &got, &eb),
                     ERR_NOT_FOUND);
    assert_int_equal(store_run_get(f->st, pid, old_id, &got, &eb), ERR_OK);
    assert_int_equal(got.results[0].nsamples, 0);
    assert_true(got.results[0].value == 1.0);
    run_cleanup(&got);
    run_init(&got);
    assert_int_equal(store_run_get(f->st, pid, new_id, &got, &eb), ERR_OK);
    assert_int_equal(got.results[0].nsamples, 3);
    run_cleanup(&got);

    /* Expiry: in the past is refused; past it, the lookup says so. */
    assert_int_equal(store_token_create_until(f->st, "x", SCOPE_READ, NULL,
                                              now - 1, &secret, &tid, &eb),
                     ERR_INVALID);
    assert_null(secret);
    assert_int_equal(store_token_create_until(f->st, "x", SCOPE_READ, NULL,
                                              time_now_ms() + 150, &secret,
                                              &tid, &eb),
                     ERR_OK);
    assert_int_equal(store_token_lookup(f->st, secret, &tk), ERR_OK);
    assert_true(tk.expires_at > now);
    store_token_cleanup(&tk);
    nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL);
    assert_int_equal(store_token_lookup(f->st, secret, &tk), ERR_AUTH);
    assert_true(tk.expires_at > now);
    store_token_cleanup(&tk);
    assert_int_equal(store_token_revoke_id(f->st, tid, &eb), ERR_OK);
    assert_int_equal(store_token_revoke_id(f->st, 9999, &eb), ERR_NOT_FOUND);
    assert_int_equal(store_token_get(f->st, tid, &tk, &eb), ERR_OK);
    assert_true(tk.revoked_at != TIME_NONE);
    store_token_cleanup(&tk);
    free(secret);
    err_cleanup(&eb);
}

static void test_insert_speed(void **state)
{
    struct tmpdb *f = *state;
    enum { BATCH = 25, BATCHES = 40, RESULTS = 10 };
    struct store_insert items[BATCH];
    struct run runs[BATCH], big;
    struct errbuf eb;
    uint64_t t0, small_ns, big_ns;
    int64_t nruns, nresults;

    err_init(&eb);
    t0 = time_mono_ns();
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++) {
            char sha[16];

            snprintf(sha, sizeof sha, "c%d_%d", b, i);
            run_basic(&runs[i], "speed", "main", sha, TIME_NONE);
            for (int k = 0; k < RESULTS; k++) {
                char name[16];

                snprintf(name, sizeof name, "bench_%d", k);
                add_result(&runs[i], name, NULL, "latency", "s", k + 1);
            }
            memset(&items[i], 0, sizeof items[i]);
            items[i].run = &runs[i];
        }
        assert_int_equal(store_runs_insert(f->st, items, BATCH, &eb), ERR_OK);
        for (int i = 0; i < BATCH; i++) {
            assert_int_equal(items[i].status, ERR_OK);
            err_cleanup(&items[i].eb);
            run_cleanup(&runs[i]);
        }
    }
    small_ns = time_mono_ns() - t0;

    run_basic(&big, "speed", "main", "big", TIME_NONE);
    for (int k = 0; k < 1000; k++) {
        char name[16];
        struct result *res;

        snprintf(name, sizeof name, "big_%d", k);
        res = add_result(&big, name, NULL, "latency", "s", 1);
        res->samples = xcalloc(100, sizeof *res->samples);
        for (int j = 0; j < 100; j++)
            res->samples[j] = k + j * 1e-3;
        res->nsamples = 100;
    }
    t0 = time_mono_ns();
    assert_int_equal(insert_one(f->st, &big, NULL, NULL, NULL, NULL), ERR_OK);
    big_ns = time_mono_ns() - t0;
    run_cleanup(&big);

    counts(f->st, &nruns, &nresults);
    assert_int_equal(nruns, BATCH * BATCHES + 1);
    assert_int_equal(nresults, BATCH * BATCHES * RESULTS + 1000);
    printf("# insert: %.1f us per run of %d results (batches of %d); "
           "1000 x 100 samples: %.1f ms\n",
           small_ns / 1e3 / (BATCH * BATCHES), RESULTS, BATCH, big_ns / 1e6);
    /* Timings are reported, not asserted: a shared 2-core machine makes a
     * timed test flaky.  The targets are checked by `make bench`. */
    err_cleanup(&eb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_migrates_once, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_first_open, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_open_existing_only, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_open_not_a_database, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_insert_read_back, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_defaults_and_lists, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_batch_with_conflict, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_cache_after_rollback, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_series, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_series_default_branch, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_runs_list, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_tokens, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_reader, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_maintenance, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_delete, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_retention_and_expiry, tmpdb_setup,
                                        tmpdb_teardown),
        cmocka_unit_test_setup_teardown(test_insert_speed, tmpdb_setup,
                                        tmpdb_teardown),
    };

    log_set_level(LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
