/*
 * service/compare.c: regressions that the fuzz targets found (tests/fuzz/,
 * docs/testing.md), each on a real database in a temporary folder.  Under
 * `make test` (ASan) a use after free fails the test; without the fix it
 * aborts.
 */
#include "core/core.h"
#include "ingest/ingest.h"
#include "service/service.h"
#include "store/store.h"
#include "tmpdb.h"
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses body as the native format and stores it; returns the run id. */
static int64_t insert(struct store *st, const char *body, const char *branch)
{
    struct ingest_limits lim;
    struct ingest_overrides ov = {0};
    struct store_insert it = {0};
    struct run r;
    struct errbuf eb;

    ingest_limits_default(&lim);
    ov.project = "fuzz";
    ov.branch = branch;
    ov.commit = "c1";
    run_init(&r);
    err_init(&eb);
    err_init(&it.eb);
    assert_int_equal(ingest_parse(body, strlen(body), NULL, &ov, &lim, &r, &eb),
                     ERR_OK);
    it.run = &r;
    assert_int_equal(store_runs_insert(st, &it, 1, &eb), ERR_OK);
    assert_int_equal(it.status, ERR_OK);
    run_cleanup(&r);
    err_cleanup(&it.eb);
    err_cleanup(&eb);
    return it.run_id;
}

static const char body[] =
    "{\"results\": [{\"benchmark\": \"sort\", \"measures\": {\"latency\": "
    "{\"value\": 1.5, \"unit\": \"ms\", \"samples\": [1.4, 1.5, 1.6]}}}]}";

/*
 * fuzz_http's first finding: base=branch:main with a head that is main's
 * newest run.  The branch baseline's anchor is that run; expand_branch
 * dropped it (it is the head's) and went on reading its branch and testbed
 * names from the freed anchor (heap-use-after-free in store_run_pick).
 * Now the runs before the head form the base.
 */
static void test_branch_base_when_head_is_the_tip(void **state)
{
    struct tmpdb *f = *state;
    struct svc_compare_query q;
    struct svc_compare *c = NULL;
    struct errbuf eb;
    struct buf out;
    char head[32];
    int64_t id = 0;

    for (int i = 0; i < 3; i++)
        id = insert(f->st, body, "main");
    snprintf(head, sizeof head, "%lld", (long long)id);
    memset(&q, 0, sizeof q);
    q.project = "fuzz";
    q.base = "branch:main";
    q.head = head;
    q.threshold = NAN;
    q.history = 5;
    err_init(&eb);
    assert_int_equal(svc_compare_create(f->st, &q, &c, &eb), ERR_OK);
    buf_init(&out, 0);
    assert_int_equal(svc_compare_write(c, "text", &out), ERR_OK);
    assert_non_null(strstr(buf_str(&out), "sort"));
    buf_cleanup(&out);
    svc_compare_free(c);
    err_cleanup(&eb);

    /* The only run of its branch as the head: nothing is left for the
     * base, a clear ERR_NOT_FOUND naming the branch. */
    id = insert(f->st, body, "solo");
    snprintf(head, sizeof head, "%lld", (long long)id);
    q.base = "branch:solo";
    c = NULL;
    err_init(&eb);
    assert_int_equal(svc_compare_create(f->st, &q, &c, &eb), ERR_NOT_FOUND);
    assert_null(c);
    assert_non_null(strstr(eb.msg, "solo"));
    err_cleanup(&eb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_branch_base_when_head_is_the_tip,
                                        tmpdb_setup, tmpdb_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
