/* analysis/recommend.c: advice from resource samples, on synthetic runs
 * whose truth is known, and the sentences for regressions, noise, scaling
 * and budgets with the numbers they must carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
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
    assert_int_equal(an_recommend_resources(s, N, a, 1), 1);  /* bounded */
}

/* RSS of a flat run (30 MiB with a +-0.5 MiB wobble) with one step of
 * `rise` bytes that starts at sample `at` and takes `ramp` samples. */
static void make_step(struct resource_sample *s, int at, int ramp, double rise)
{
    make(s, 50, 0, 0, NAN);
    for (int i = 0; i < N; i++) {
        double f = i < at ? 0 : i >= at + ramp ? 1 : (double)(i - at) / ramp;

        s[i].rss_bytes += -70.0 * 1048576 + f * rise;
    }
}

static void test_step_is_not_a_leak(void **state)
{
    struct resource_sample s[N];
    struct an_advice a[8];
    size_t n;

    (void)state;
    /* A subprocess starting (a 30 MiB step, sudden or over 0.5 s) is not
     * a leak wherever it falls; an OLS line through it was steep, with a
     * narrow CI (the old advice fired for steps from 20% to 80%). */
    for (int at = 5; at <= 95; at += 5) {
        for (int ramp = 1; ramp <= 5; ramp += 4) {
            make_step(s, at, ramp, 30.0 * 1048576);
            n = an_recommend_resources(s, N, a, 8);
            if (has(a, n, "Memory grew"))
                fail_msg("a step at sample %d (ramp %d) read as a leak: %s", at,
                         ramp, a[0].text);
        }
    }
    /* The interpreter's start: RSS climbs for a second, then stays. */
    make_step(s, 0, 10, 40.0 * 1048576);
    n = an_recommend_resources(s, N, a, 8);
    assert_false(has(a, n, "Memory grew"));
}

static void test_leak_over_live_samples(void **state)
{
    struct resource_sample s[N];
    struct an_advice a[8];
    size_t n;

    (void)state;
    /* 1 MiB/s for 10 s; the process then exits: the old sampler's last
     * sample read the zombie's RSS, 0, which pulled a least-squares line
     * down; the new one leaves RSS absent.  Both are skipped. */
    for (int tail = 0; tail < 2; tail++) {
        make(s, 95, 1.0 * 1048576, 0, NAN);
        for (int i = 0; i < N; i++)
            s[i].rss_bytes -= 80.0 * 1048576; /* from 20 MiB */
        s[N - 1].rss_bytes = tail ? NAN : 0;
        n = an_recommend_resources(s, N, a, 8);
        assert_true(has(a, n, "Memory grew"));
        assert_true(has(a, n, "RSS rose 1.00 MiB/s"));
    }
    /* Growth in steps all through the run (a cache that never stops
     * growing) is sustained: advice. */
    make(s, 50, 0, 0, NAN);
    for (int i = 0; i < N; i++)
        s[i].rss_bytes += (double)(i / 10) * 4.0 * 1048576;
    n = an_recommend_resources(s, N, a, 8);
    assert_true(has(a, n, "Memory grew"));
    /* A real pytest-benchmark run, shaped as CI sampled it (35 samples,
     * 3.5 s): the interpreter's start (14 to 29 MiB in 0.5 s), a plateau
     * creeping 0.7 MiB/s, one benchmark's timings list (30 to 64 MiB from
     * 2.5 s to 3.3 s), a plateau.  It rises "in both halves", which was
     * the old test, and cried leak; its quarters are not all rising. */
    make(s, 50, 0, 0, NAN);
    for (int i = 0; i < 35; i++) {
        double t = i * 0.1;
        double mib = t < 0.5   ? 14 + 30 * t
                     : t < 2.5 ? 29 + (t - 0.5) * 0.7
                     : t < 3.3 ? 30 + (t - 2.5) * 42
                               : 64;

        s[i].rss_bytes = (mib + ((i * 37) % 11 - 5) * 0.02) * 1048576;
    }
    n = an_recommend_resources(s, 35, a, 8);
    assert_false(has(a, n, "Memory grew"));
    /* Growth that stopped halfway is not a leak of this run. */
    make(s, 50, 0, 0, NAN);
    for (int i = 0; i < N; i++)
        s[i].rss_bytes += (i < N / 2 ? i : N / 2) * 0.4 * 1048576;
    n = an_recommend_resources(s, N, a, 8);
    assert_false(has(a, n, "Memory grew"));
}

static void test_regression_sentence(void **state)
{
    struct an_regression_facts f = {
        .series = "parse latency",
        .change = 0.15,
        .change_ci = {0.12, 0.18},
        .p_value = 0.0004,
        .p_name = "q",
        .threshold = 0.05,
        .before = 0.010,
        .after = 0.0115,
        .unit = "s",
        .last_good = "aaaaaaaaaaaaaaaaaaaa",
        .first_bad = "bbbbbbbbbbbbbbbbbbbb",
    };
    struct an_advice a;

    (void)state;
    an_advise_regression(&f, &a);
    assert_int_equal(a.kind, AN_ADVICE_REGRESSION);
    assert_string_equal(
        a.text, "parse latency regressed by +15.0% (from 10 ms to 11.5 ms, "
                "95% CI +12.0% to +18.0%, q = 0.0004), beyond the 5% "
                "threshold and its run-to-run noise. The cause is among the "
                "commits after aaaaaaaaaaaa up to bbbbbbbbbbbb: git bisect "
                "start bbbbbbbbbbbb aaaaaaaaaaaa.");
    /* what is unknown is left out, not printed as nan */
    f.change_ci[0] = f.change_ci[1] = f.p_value = f.threshold = NAN;
    f.before = NAN;
    f.last_good = NULL;
    an_advise_regression(&f, &a);
    assert_string_equal(a.text, "parse latency regressed by +15.0%. It first "
                                "shows in commit bbbbbbbbbbbb.");
}

static void test_repetitions_and_noise(void **state)
{
    struct an_noise hist = {20, 1.0, 0.03, 0.03};
    struct an_advice a;

    (void)state;
    /* 2 (1.96 + 0.8416)^2 x 0.1^2 / 0.05^2 = 62.79 */
    assert_int_equal(an_repetitions_needed(0.10, 0.05), 63);
    assert_int_equal(an_repetitions_needed(0.001, 0.05), 2);
    assert_int_equal(an_repetitions_needed(NAN, 0.05), -1);
    assert_int_equal(an_repetitions_needed(0.1, 0), -1);

    /* quiet samples, quiet history: nothing to say */
    assert_false(an_advise_noise("x latency", 0.01, 10, NULL, 0.995, 0.05, &a));
    hist.noise = 0.01; /* bound 2.58% < 5% */
    assert_false(
        an_advise_noise("x latency", 0.01, 10, &hist, 0.995, 0.05, &a));
    /* a CV of 10% with 10 samples: 63 needed */
    assert_true(an_advise_noise("x latency", 0.10, 10, NULL, 0.995, 0.05, &a));
    assert_int_equal(a.kind, AN_ADVICE_NOISE);
    assert_non_null(strstr(a.text, "CV of 10.0%"));
    assert_non_null(strstr(a.text, "about 63 repetitions per side (it has "
                                   "10)"));
    assert_non_null(strstr(a.text, "Add repetitions"));
    /* run to run 3%: the bound z(.995) x 3% = 7.7% > 5% */
    hist.noise = 0.03;
    assert_true(an_advise_noise("x latency", 0.01, 10, &hist, 0.995, 0.05, &a));
    assert_non_null(strstr(a.text, "moves by 3.0% (robust, over 20 runs)"));
    assert_non_null(strstr(a.text, "at 7.7%"));
    assert_non_null(strstr(a.text, "do not fix drift"));
    assert_null(strstr(a.text, "repetitions per side"));
}

static void test_scaling_sentence(void **state)
{
    double n[8], quad[8], lin[8];
    struct an_scaling s;
    struct an_advice a;

    (void)state;
    for (int i = 0; i < 8; i++) {
        n[i] = 16 << i;
        quad[i] = 1e-9 * n[i] * n[i] * (1 + 0.01 * (i % 2));
        lin[i] = 1e-6 * n[i] * (1 + 0.01 * (i % 2));
    }
    assert_int_equal(an_scaling_fit(n, quad, 8, &s, NULL), ERR_OK);
    assert_true(an_advise_scaling("sort", "n", DIR_LOWER, &s, &a));
    assert_int_equal(a.kind, AN_ADVICE_SCALING);
    assert_non_null(strstr(a.text, "sort grows faster than n: a log-log "
                                   "slope of 2.00"));
    assert_non_null(strstr(a.text, "closest to O(n^2)"));
    assert_non_null(strstr(a.text, "multiplies it by about 4.0"));
    assert_non_null(strstr(a.text, "throughput is 1% of its best"));
    assert_int_equal(an_scaling_fit(n, lin, 8, &s, NULL), ERR_OK);
    assert_false(an_advise_scaling("scan", "n", DIR_LOWER, &s, &a));
    /* a throughput growing as n^2 is good news, not advice */
    assert_int_equal(an_scaling_fit(n, quad, 8, &s, NULL), ERR_OK);
    assert_false(an_advise_scaling("sort", "n", DIR_HIGHER, &s, &a));
}

static void test_budget_sentence(void **state)
{
    double v[5] = {0.009, 0.0123, 0.011, 0.008, 0.0101};
    struct an_budget_check c;
    struct an_advice a;

    (void)state;
    an_budget_check(true, 0.010, v, 5, &c);
    assert_true(an_advise_budget("parse latency", true, 0.010, "s", &c, &a));
    assert_int_equal(a.kind, AN_ADVICE_BUDGET);
    assert_string_equal(a.text, "parse latency broke its budget of at most "
                                "10 ms: 3 of 5 values above it, the worst "
                                "12.3 ms (+23.0%).");
    an_budget_check(true, 0.02, v, 5, &c);
    assert_false(an_advise_budget("parse latency", true, 0.02, "s", &c, &a));
    an_budget_check(false, 1000, (double[]){900}, 1, &c);
    assert_true(an_advise_budget("ops", false, 1000, "1/s", &c, &a));
    assert_string_equal(a.text, "ops broke its budget of at least 1 k/s: 1 "
                                "of 1 value below it, the worst 900 /s "
                                "(-10.0%).");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grower_cpu_bound),
        cmocka_unit_test(test_io_bound_and_waiting),
        cmocka_unit_test(test_too_little_evidence),
        cmocka_unit_test(test_step_is_not_a_leak),
        cmocka_unit_test(test_leak_over_live_samples),
        cmocka_unit_test(test_regression_sentence),
        cmocka_unit_test(test_repetitions_and_noise),
        cmocka_unit_test(test_scaling_sentence),
        cmocka_unit_test(test_budget_sentence),
    };

    an_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
