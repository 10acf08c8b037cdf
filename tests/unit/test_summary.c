/*
 * unit.summary: the per-series summary (store/store_summary.c) against a
 * full recomputation from the results.
 *
 * Random ingests through two connections to one file (as two servers on
 * one database would write it), with backfilled commit times, runs without
 * commit time, several branches and testbeds, batches of several runs and
 * runs that fail inside their batch (rolled back to their savepoint); after
 * each batch every series' stored row must equal store_summary_compute,
 * field for field and bit for bit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "store/store.h"

#define NBENCH 4
#define NBRANCH 2
#define NTESTBED 2

static const char *const branches[NBRANCH] = {"main", "dev"};
static const char *const testbeds[NTESTBED] = {"ci-a", "ci-b"};
static const char *const measures[2] = {"latency", "memory"};
static const char *const units[2] = {"s", "B"};

struct fixture {
    char dir[64];
    char *path;
    struct store *st[2]; /* two connections: two writers */
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    struct errbuf eb;

    snprintf(f->dir, sizeof f->dir, "/tmp/bv_summary_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->path = xasprintf("%s/test.db", f->dir);
    err_init(&eb);
    for (int i = 0; i < 2; i++)
        if (store_open(f->path, STORE_RW, &f->st[i], NULL, &eb) != ERR_OK) {
            fprintf(stderr, "store_open: %s\n", eb.msg);
            return -1;
        }
    err_cleanup(&eb);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char *p;

    store_close(f->st[0]);
    store_close(f->st[1]);
    unlink(f->path);
    p = xasprintf("%s-wal", f->path);
    unlink(p);
    free(p);
    p = xasprintf("%s-shm", f->path);
    unlink(p);
    free(p);
    rmdir(f->dir);
    free(f->path);
    free(f);
    return 0;
}

/* xorshift: the same sequence on every machine */
static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* A random run: some benchmarks, random values, a commit time that may
 * fall before runs already stored (a backfill) or be absent. */
static void random_run(struct run *r, int n, bool bad)
{
    char name[32];

    run_init(r);
    r->project = xstrdup("p");
    r->branch = xstrdup(branches[rnd() % NBRANCH]);
    r->testbed = xstrdup(testbeds[rnd() % NTESTBED]);
    snprintf(name, sizeof name, "%08x", n);
    r->commit_sha = xstrdup(name);
    /* mostly forward in time, one run in five backfilled, a few with
     * equal times (ties go by run id), one in ten with no commit time */
    r->commit_time = rnd() % 5 == 0   ? 1000000 + (int64_t)(rnd() % 1000) * 60
                     : rnd() % 7 == 0 ? 1000000 + 60000
                                      : 1000000 + (int64_t)n * 60000;
    if (rnd() % 10 == 0) {
        r->commit_time = TIME_NONE;
        r->started_at = 2000000 + (int64_t)(rnd() % 100000) * 1000;
    }
    for (int b = 0; b < NBENCH; b++) {
        for (int m = 0; m < 2; m++) {
            struct result *res;

            if (n > 0 && rnd() % 4 == 0)
                continue; /* this run lacks this result (the first run
                             has every one: it fixes the units) */
            res = run_result_add(r);
            snprintf(name, sizeof name, "bench_%d", b);
            res->benchmark = xstrdup(name);
            res->key = xstrdup(name);
            res->params = xstrdup("{}");
            res->measure = xstrdup(measures[m]);
            /* a bad run clashes with the measure's unit: ERR_CONFLICT */
            res->unit = xstrdup(bad ? "%" : units[m]);
            res->value = (1 + b) * (m ? 1e6 : 1e-3) *
                         (1 + (double)(rnd() % 1000) / 10000.0);
        }
    }
    if (r->nresults == 0) { /* every run has at least one result */
        struct result *res = run_result_add(r);

        res->benchmark = xstrdup("bench_0");
        res->key = xstrdup("bench_0");
        res->params = xstrdup("{}");
        res->measure = xstrdup("latency");
        res->unit = xstrdup(bad ? "%" : "s");
        res->value = 1e-3;
    }
}

/* Every series' stored summary equals its recomputation. */
static size_t check_all(struct store *st)
{
    struct store_summary_row *rows = NULL;
    struct store_project p;
    struct errbuf eb;
    size_t n = 0, checked = 0;
    int64_t runs, results, total = 0;

    err_init(&eb);
    assert_int_equal(store_project_get(st, "p", &p), ERR_OK);
    assert_int_equal(store_summaries_list(st, p.id, NULL, &rows, &n, &eb),
                     ERR_OK);
    for (size_t i = 0; i < n; i++) {
        struct store_cpd_series ser = {.project_id = p.id,
                                       .benchmark_id = rows[i].s.benchmark_id,
                                       .measure_id = rows[i].s.measure_id,
                                       .branch_id = rows[i].s.branch_id,
                                       .testbed_id = rows[i].s.testbed_id};
        struct store_summary got, want;
        bool found;

        assert_int_equal(store_summary_get(st, &ser, &got, &found, &eb),
                         ERR_OK);
        assert_true(found);
        assert_int_equal(store_summary_compute(st, &ser, &want, &found, &eb),
                         ERR_OK);
        assert_true(found);
        assert_int_equal(got.npoints, want.npoints);
        assert_int_equal(got.newest_run_id, want.newest_run_id);
        assert_int_equal(got.last_run_id, want.last_run_id);
        assert_int_equal(got.last_time, want.last_time);
        assert_int_equal(got.ntail, want.ntail);
        assert_memory_equal(got.tail, want.tail, want.ntail * sizeof(double));
        assert_true(isnan(want.center) ? isnan(got.center)
                                       : got.center == want.center);
        assert_true(isnan(want.noise) ? isnan(got.noise)
                                      : got.noise == want.noise);
        /* the list's copy is the stored row too */
        assert_int_equal(rows[i].s.npoints, want.npoints);
        assert_memory_equal(rows[i].s.tail, want.tail,
                            want.ntail * sizeof(double));
        total += got.npoints;
        checked++;
    }
    /* every result belongs to exactly one summarised series */
    assert_int_equal(store_count_runs(st, &runs, &results), ERR_OK);
    assert_int_equal(total, results);
    store_summaries_free(rows, n);
    store_project_cleanup(&p);
    err_cleanup(&eb);
    return checked;
}

static void test_random_ingests_two_writers(void **state)
{
    struct fixture *f = *state;
    int next = 0;
    size_t series = 0;

    for (int batch = 0; batch < 120; batch++) {
        struct store *st = f->st[rnd() % 2];
        size_t k = 1 + rnd() % 3;
        struct run runs[3];
        struct store_insert it[3];
        struct errbuf eb;

        memset(it, 0, sizeof it);
        err_init(&eb);
        for (size_t i = 0; i < k; i++) {
            /* the first batch must set the units: no bad run there */
            bool bad = batch > 0 && rnd() % 8 == 0;

            random_run(&runs[i], next++, bad);
            it[i].run = &runs[i];
            err_init(&it[i].eb);
        }
        assert_int_equal(store_runs_insert(st, it, k, &eb), ERR_OK);
        for (size_t i = 0; i < k; i++) {
            assert_true(it[i].status == ERR_OK || it[i].status == ERR_CONFLICT);
            err_cleanup(&it[i].eb);
            run_cleanup(&runs[i]);
        }
        err_cleanup(&eb);
        /* either connection sees what the other wrote */
        series = check_all(f->st[batch % 2]);
    }
    /* the random walk reached every series and many backfills */
    assert_int_equal(series, NBENCH * 2 * NBRANCH * NTESTBED);
}

/* store_summary_rebuild (what migration 0008 runs) writes the same rows. */
static void test_rebuild_matches(void **state)
{
    struct fixture *f = *state;
    struct errbuf eb;

    err_init(&eb);
    for (int n = 0; n < 30; n++) {
        struct run r;
        struct store_insert it;

        memset(&it, 0, sizeof it);
        random_run(&r, n, false);
        it.run = &r;
        err_init(&it.eb);
        assert_int_equal(store_runs_insert(f->st[0], &it, 1, &eb), ERR_OK);
        assert_int_equal(it.status, ERR_OK);
        err_cleanup(&it.eb);
        run_cleanup(&r);
    }
    assert_int_equal(store_summary_rebuild(f->st[1], 0, &eb), ERR_OK);
    assert_true(check_all(f->st[0]) > 0);
    err_cleanup(&eb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_random_ingests_two_writers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_matches, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
