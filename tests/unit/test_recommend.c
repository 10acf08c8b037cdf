/* analysis/recommend.c: advice from resource samples, on synthetic runs
 * whose truth is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "analysis/analysis.h"

#define N 100

static void make(struct resource_sample *s, double cpu, double rss_per_s,
                 double write_per_s, double gpu)
{
    for (int i = 0; i < N; i++) {
        double t = i * 0.1;

        s[i].t_ms = i * 100;
        s[i].cpu_pct = cpu + (i % 3) - 1;
        /* a deterministic wobble of +-0.5 MiB around the line */
        s[i].rss_bytes = 100.0 * 1048576 + rss_per_s * t +
                         ((i * 37) % 11 - 5) * 0.1 * 1048576;
        s[i].read_bytes = 0;
        s[i].write_bytes = write_per_s * t;
        s[i].gpu_util_pct = gpu;
        s[i].gpu_mem_bytes = NAN;
    }
}

static bool has(const struct an_advice *a, size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(a[i].text, word))
            return true;
    return false;
}

static void test_grower_cpu_bound(void **state)
{
    struct resource_sample s[N];
    struct an_advice a[8];
    size_t n;

    (void)state;
    make(s, 95, 2.0 * 1048576, 0, NAN);
    n = an_recommend_resources(s, N, a, 8);
    assert_true(has(a, n, "Memory grew"));
    assert_true(has(a, n, "RSS rose 2.0"));
    assert_true(has(a, n, "CPU-bound"));
    assert_false(has(a, n, "GPU"));
}

static void test_io_bound_and_waiting(void **state)
{
    struct resource_sample s[N];
    struct an_advice a[8];
    size_t n;

    (void)state;
    make(s, 10, 0, 5.0 * 1048576, NAN);
    n = an_recommend_resources(s, N, a, 8);
    assert_true(has(a, n, "I/O-bound"));
    assert_false(has(a, n, "Memory grew")); /* flat RSS with noise */
    make(s, 5, 0, 0, 2);
    n = an_recommend_resources(s, N, a, 8);
    assert_true(has(a, n, "Mostly waiting"));
    assert_true(has(a, n, "GPU was nearly idle"));
}

static void test_too_little_evidence(void **state)
{
    struct resource_sample s[N];
    struct an_advice a[8];

    (void)state;
    make(s, 95, 2.0 * 1048576, 0, NAN);
    assert_int_equal(an_recommend_resources(s, 4, a, 8), 0);
    assert_int_equal(an_recommend_resources(s, 15, a, 8), 0); /* 1.4 s */
    assert_int_equal(an_recommend_resources(s, N, a, 1), 1); /* bounded */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grower_cpu_bound),
        cmocka_unit_test(test_io_bound_and_waiting),
        cmocka_unit_test(test_too_little_evidence),
    };

    an_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
