/*
 * Unit tests of analysis/changepoint.c.
 *
 * 1. The external reference vectors (copies of shared/cpd-reference in
 *    tests/data/cpd, read with
 *    jansson, which tests may use directly): MongoDB's q-hat per split,
 *    Otava's 14-point sequence, and the 365-point TigerBeetle series in its
 *    ten parameter sets, both Otava 0.8.0's answers (with its stale merge)
 *    and the corrected ones.
 * 2. Properties: the incremental mode equals a full analysis; single-point
 *    spikes make no change point; parameters and values are checked.
 * 3. The acceptance figures on a fixed-seed corpus from cpd_gen.h: recall
 *    of steps of 10% or more at CV 3% within +-2 runs above 0.95, and fewer
 *    than 1 false alert per 1,000 points of step-free history when every
 *    point is ingested in turn (the server's tail examination).
 *
 * `unit_changepoint --report [hunter]` skips the tests and prints the
 * figures of docs/changepoints.md on a larger corpus for the default method
 * (or hunter's defaults; a release build takes a few minutes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "core/core.h"
#include "tests/unit/cpd_gen.h"

#define REF TESTS_DIR "/data/cpd/"

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);

    if (!root)
        fail_msg("%s: %s (line %d)", path, je.text, je.line);
    return root;
}

static double *numbers_of(const json_t *arr, size_t *n)
{
    double *v;

    assert_true(json_is_array(arr));
    *n = json_array_size(arr);
    v = xcalloc(*n ? *n : 1, sizeof *v);
    for (size_t i = 0; i < *n; i++) {
        assert_true(json_is_number(json_array_get(arr, i)));
        v[i] = json_number_value(json_array_get(arr, i));
    }
    return v;
}

/* Otava's semantics: no minimum beyond one point, no outlier filter. */
static void otava_params(struct an_cpd_params *p, enum an_cpd_method m,
                         size_t window, double pv, double mag)
{
    an_cpd_params_default(p, m);
    p->window = window;
    p->max_pvalue = pv;
    p->min_magnitude = mag;
    p->min_size = 1;
    p->outlier_filter = 0.0;
}

static void expect_indexes(const struct an_cp *cps, size_t n,
                           const json_t *want, const char *what)
{
    bool same = n == json_array_size(want);

    for (size_t i = 0; same && i < n; i++)
        same = (json_int_t)cps[i].index ==
               json_integer_value(json_array_get(want, i));
    if (!same) {
        struct buf got;

        buf_init(&got, 0);
        for (size_t i = 0; i < n; i++)
            (void)buf_printf(&got, " %zu", cps[i].index);
        fail_msg("%s: got [%s ], want %zu points", what, buf_str(&got),
                 json_array_size(want));
    }
}

/* ---- reference vectors ----------------------------------------------------
 */

static void test_mongodb_qhat(void **state)
{
    json_t *root = load_json(REF "mongodb_qhat_robust_series.json");
    size_t n, nq, argmax = 0;
    double *x = numbers_of(json_object_get(root, "series"), &n);
    double *want = numbers_of(json_object_get(root, "qhat_by_tau"), &nq);
    double *q = xcalloc(n, sizeof *q), worst = 0.0;

    (void)state;
    assert_int_equal(n, 173);
    assert_int_equal(nq, n);
    an_edivisive_qhat(x, n, q);
    for (size_t i = 0; i < n; i++) {
        double err =
            want[i] == 0.0 ? fabs(q[i]) : fabs(q[i] - want[i]) / fabs(want[i]);

        if (err > worst)
            worst = err;
        if (q[i] > q[argmax])
            argmax = i;
    }
    if (worst >= 1e-9)
        fail_msg("q-hat relative error %g", worst);
    assert_int_equal(argmax, 114);
    free(x);
    free(want);
    free(q);
    json_decref(root);
}

static void test_otava_sequence14(void **state)
{
    json_t *root = load_json(REF "otava_sequence14.json");
    const json_t *want = json_object_get(root, "expected_change_points");
    size_t n, nout;
    double *x = numbers_of(json_object_get(root, "series"), &n);
    struct an_cpd_params p;
    struct an_cp *out = NULL;
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    /* Otava's divisive detector with its t-test tester, p <= 0.01. */
    otava_params(&p, AN_CPD_TTEST, 50, 0.01, 0.0);
    assert_int_equal(an_changepoints(x, n, &p, &out, &nout, &eb), ERR_OK);
    expect_indexes(out, nout, want, "ttest p 0.01");
    free(out);
    /* The Hunter procedure over one window says the same. */
    otava_params(&p, AN_CPD_HUNTER, n, 0.01, 0.0);
    assert_int_equal(an_changepoints(x, n, &p, &out, &nout, &eb), ERR_OK);
    expect_indexes(out, nout, want, "hunter p 0.01");
    free(out);
    /* The permutation test at its defaults (0.05, 199), for three seeds. */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        otava_params(&p, AN_CPD_PERMUTATION, 50, 0.05, 0.0);
        p.seed = seed;
        assert_int_equal(an_changepoints(x, n, &p, &out, &nout, &eb), ERR_OK);
        expect_indexes(out, nout, want, "permutation 0.05/199");
        assert_true(out[0].p_value <= 0.05 && out[1].p_value <= 0.05);
        free(out);
    }
    /* At Otava's 0.01 with 100 permutations the split at 8 cannot pass an
     * exact test: 1 in 42 shuffles of its 9-point segment keeps its
     * partition (docs/changepoints.md), so p is near 0.03. */
    otava_params(&p, AN_CPD_PERMUTATION, 50, 0.01, 0.0);
    p.permutations = 100;
    assert_int_equal(an_changepoints(x, n, &p, &out, &nout, &eb), ERR_OK);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0].index, 5);
    free(out);
    /* Seeded: the same seed gives the same p-values. */
    {
        struct an_cp *again = NULL;
        size_t n2;

        otava_params(&p, AN_CPD_PERMUTATION, 50, 0.05, 0.0);
        p.seed = 7;
        assert_int_equal(an_changepoints(x, n, &p, &out, &nout, &eb), ERR_OK);
        assert_int_equal(an_changepoints(x, n, &p, &again, &n2, &eb), ERR_OK);
        assert_int_equal(nout, n2);
        for (size_t i = 0; i < nout; i++)
            assert_true(out[i].p_value == again[i].p_value);
        free(out);
        free(again);
    }
    free(x);
    err_cleanup(&eb);
    json_decref(root);
}

static void test_tigerbeetle(void **state)
{
    json_t *series = load_json(REF "otava_tigerbeetle.json");
    json_t *fix = load_json(REF "otava_tigerbeetle_merge_fix.json");
    const json_t *cases = json_object_get(fix, "cases");
    size_t n, i;
    double *x = numbers_of(json_object_get(series, "series"), &n);
    json_t *c;
    struct errbuf eb;
    int affected = 0;

    (void)state;
    err_init(&eb);
    assert_int_equal(n, 365);
    assert_int_equal(json_array_size(cases), 10);
    json_array_foreach (cases, i, c) {
        const json_t *pp = json_object_get(c, "params");
        const char *name = json_string_value(json_object_get(c, "test"));
        struct an_cpd_params p;
        struct an_cp *out = NULL;
        size_t nout;
        char what[128];

        otava_params(
            &p, AN_CPD_HUNTER,
            (size_t)json_integer_value(json_object_get(pp, "window_len")),
            json_number_value(json_object_get(pp, "max_pvalue")),
            json_number_value(json_object_get(pp, "min_magnitude")));
        assert_int_equal(an_changepoints(x, n, &p, &out, &nout, &eb), ERR_OK);
        snprintf(what, sizeof what, "%s (corrected merge)", name);
        expect_indexes(out, nout, json_object_get(c, "corrected_expected"),
                       what);
        free(out);
        /* The same procedure with Otava 0.8.0's stale left neighbour gives
         * Otava's own expectations: the merge fix is the only difference. */
        p.otava_stale_merge = true;
        assert_int_equal(an_changepoints(x, n, &p, &out, &nout, &eb), ERR_OK);
        snprintf(what, sizeof what, "%s (Otava 0.8.0 merge)", name);
        expect_indexes(out, nout, json_object_get(c, "otava_expected"), what);
        free(out);
        affected += json_is_true(json_object_get(c, "affected_by_merge_fix"));
    }
    assert_int_equal(affected, 5);
    free(x);
    err_cleanup(&eb);
    json_decref(series);
    json_decref(fix);
}

/* ---- properties -----------------------------------------------------------
 */

static bool same_cps(const struct an_cp *a, size_t na, const struct an_cp *b,
                     size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].index != b[i].index || a[i].p_value != b[i].p_value ||
            a[i].before_mean != b[i].before_mean)
            return false;
    return true;
}

static void test_incremental_equals_full(void **state)
{
    double *shifted;
    struct gen_cfg c = {.n = 700,
                        .cv = 0.04,
                        .outlier_rate = 0.01,
                        .bimodal_rate = 0.05,
                        .bimodal_shift = 0.08,
                        .nsteps = 6,
                        .step_min = 0.05,
                        .step_max = 0.3,
                        .min_gap = 40};
    struct gen_history h;
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    gen_history_make(&c, 11, &h);
    shifted = xcalloc(h.n, sizeof *shifted);
    for (size_t i = 0; i < h.n; i++)
        shifted[i] = h.x[i] - 100.0; /* about half <= 0: no log scale */
    /* 0-2: hunter; 3: steps (log values); 4: steps on values <= 0; 5:
     * steps whose first non-positive value comes late (log scale, then
     * not). */
    for (int variant = 0; variant < 6; variant++) {
        struct an_cpd_params p;
        struct an_cpd_state st;
        const double *x = variant == 4 ? shifted : h.x;

        an_cpd_params_default(&p, variant >= 3 ? AN_CPD_STEPS : AN_CPD_HUNTER);
        if (variant == 1)
            otava_params(&p, AN_CPD_HUNTER, 30, 0.01, 0.0);
        if (variant == 2)
            p.window = 20;
        if (variant == 5) {
            memcpy(shifted, h.x, h.n * sizeof *shifted);
            shifted[400] = -1.0;
            x = shifted;
        }
        an_cpd_state_init(&st);
        for (size_t m = 1; m <= h.n; m += (m < 120 ? 1 : 7)) {
            struct an_cp *inc = NULL, *full = NULL;
            size_t ninc, nfull;

            assert_int_equal(
                an_cpd_hunter_update(x, m, &p, &st, &inc, &ninc, &eb), ERR_OK);
            assert_int_equal(an_changepoints(x, m, &p, &full, &nfull, &eb),
                             ERR_OK);
            if (!same_cps(inc, ninc, full, nfull))
                fail_msg("variant %d: incremental differs at %zu points",
                         variant, m);
            free(inc);
            free(full);
        }
        assert_true(st.n > 600);
        an_cpd_state_cleanup(&st);
    }
    free(shifted);
    gen_history_free(&h);
    err_cleanup(&eb);
}

static void test_spikes_make_no_change_points(void **state)
{
    struct gen_cfg c = {.n = 300, .cv = 0.02};
    struct gen_history h;
    struct an_cpd_params p;
    struct an_cp *out = NULL;
    size_t nout;
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    gen_history_make(&c, 3, &h);
    h.x[60] *= 3.0;  /* one slow run */
    h.x[150] *= 1.6; /* two */
    h.x[151] *= 1.6;
    h.x[240] *= 0.5; /* three fast ones */
    h.x[241] *= 0.5;
    h.x[242] *= 0.5;
    an_cpd_params_default(&p, AN_CPD_HUNTER);
    assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb), ERR_OK);
    assert_int_equal(nout, 0);
    free(out);
    /* Without the filter the minimum segment alone keeps them out. */
    p.outlier_filter = 0.0;
    assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb), ERR_OK);
    assert_int_equal(nout, 0);
    free(out);
    /* A real step of 15% is found, at its first point. */
    for (size_t i = 200; i < h.n; i++)
        h.x[i] *= 1.15;
    an_cpd_params_default(&p, AN_CPD_HUNTER);
    assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb), ERR_OK);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0].index, 200);
    assert_true(fabs(out[0].change - 0.15) < 0.02);
    assert_true(out[0].p_value < 1e-6);
    free(out);
    gen_history_free(&h);
    err_cleanup(&eb);
}

static void test_params_and_values_checked(void **state)
{
    double x[20] = {0}, bad[3] = {1.0, NAN, 2.0}, two[2] = {5.0, 6.0};
    struct an_cpd_params p;
    struct an_cp dummy, *out = &dummy;
    size_t nout = 9;
    struct errbuf eb;
    double *big;

    (void)state;
    err_init(&eb);
    an_cpd_params_default(&p, AN_CPD_HUNTER);
    assert_int_equal(an_changepoints(x, 20, &p, &out, &nout, &eb), ERR_OK);
    assert_null(out);
    assert_int_equal(nout, 0);
    assert_int_equal(an_changepoints(bad, 3, &p, &out, &nout, &eb),
                     ERR_INVALID);
    assert_non_null(strstr(eb.msg, "value 1"));
    p.window = 1;
    assert_int_equal(an_changepoints(x, 20, &p, &out, &nout, &eb), ERR_INVALID);
    assert_non_null(strstr(eb.msg, "window"));
    an_cpd_params_default(&p, AN_CPD_HUNTER);
    p.max_pvalue = 0.0;
    assert_int_equal(an_changepoints(x, 20, &p, &out, &nout, &eb), ERR_INVALID);
    an_cpd_params_default(&p, AN_CPD_HUNTER);
    p.min_magnitude = -0.1;
    assert_int_equal(an_changepoints(x, 20, &p, &out, &nout, &eb), ERR_INVALID);
    an_cpd_params_default(&p, AN_CPD_HUNTER);
    p.min_size = 0;
    assert_int_equal(an_changepoints(x, 20, &p, &out, &nout, &eb), ERR_INVALID);
    an_cpd_params_default(&p, AN_CPD_PERMUTATION);
    p.permutations = 0;
    assert_int_equal(an_changepoints(x, 20, &p, &out, &nout, &eb), ERR_INVALID);
    an_cpd_params_default(&p, AN_CPD_PERMUTATION);
    big = xcalloc(AN_CPD_PERM_MAX_POINTS + 1, sizeof *big);
    assert_int_equal(
        an_changepoints(big, AN_CPD_PERM_MAX_POINTS + 1, &p, &out, &nout, &eb),
        ERR_TOO_LARGE);
    free(big);
    /* Constant data: no split is worth anything; no data or a point or
     * two: nothing to find, and no trouble finding it. */
    for (int m = 0; m < 4; m++) {
        an_cpd_params_default(&p, (enum an_cpd_method)m);
        assert_int_equal(an_changepoints(x, 20, &p, &out, &nout, &eb), ERR_OK);
        assert_int_equal(nout, 0);
        for (size_t n = 0; n < 3; n++) {
            assert_int_equal(
                an_changepoints(n ? two : NULL, n, &p, &out, &nout, &eb),
                ERR_OK);
            assert_int_equal(nout, 0);
        }
    }
    err_cleanup(&eb);
}

/* ---- the acceptance figures on generated histories ------------------------
 */

/*
 * Ingests x point by point as the server does (examine the tail, open an
 * alert for each confirmed change point in the worse direction (up: slower)
 * unless one within AN_CPD_MATCH runs exists, which then moves to the new
 * position).  Returns the alerts opened; their final positions in at[].
 */
static size_t simulate_ingest(const double *x, size_t n,
                              const struct an_cpd_params *p, size_t *at,
                              size_t cap)
{
    size_t na = 0, k = an_cpd_tail_len(p, 1);
    struct errbuf eb;

    err_init(&eb);
    for (size_t t = 1; t <= n; t++) {
        size_t a = t > k ? t - k : 0;
        struct an_cpd_tail tl;

        assert_int_equal(an_cpd_tail_examine(x + a, t - a, 1, p, &tl, &eb),
                         ERR_OK);
        for (size_t i = 0; i < tl.nrecent; i++) {
            const struct an_cp *cp = &tl.recent[i];
            size_t pos = a + cp->index, j;

            if (!(cp->after_mean > cp->before_mean))
                continue;
            for (j = 0; j < na; j++)
                if ((pos > at[j] ? pos - at[j] : at[j] - pos) <= AN_CPD_MATCH)
                    break;
            if (j < na)
                at[j] = pos;
            else if (na < cap)
                at[na++] = pos;
        }
        an_cpd_tail_cleanup(&tl);
    }
    err_cleanup(&eb);
    return na;
}

struct recall {
    size_t found[4], total[4]; /* by size: 3-5%, 5-10%, 10-20%, 20-30% */
    size_t detected, true_pos;
};

static int size_class(double d)
{
    d = fabs(d);
    return d < 0.05 ? 0 : d < 0.10 ? 1 : d < 0.20 ? 2 : 3;
}

/* Full analyses of histories with steps: recall and precision, +-2 runs. */
static void step_recall(enum an_cpd_method m, double cv, double smin,
                        double smax, int sign, size_t histories, uint64_t seed0,
                        struct recall *r)
{
    struct an_cpd_params p;
    struct errbuf eb;

    memset(r, 0, sizeof *r);
    err_init(&eb);
    an_cpd_params_default(&p, m);
    for (uint64_t s = seed0; s < seed0 + histories; s++) {
        struct gen_cfg c = {.n = 1000,
                            .cv = cv,
                            .outlier_rate = 0.01,
                            .bimodal_rate = s % 2 ? 0.05 : 0.0,
                            .bimodal_shift = 0.08,
                            .nsteps = 8,
                            .step_min = smin,
                            .step_max = smax,
                            .min_gap = 60};
        struct gen_history h;
        struct an_cp *out = NULL;
        size_t nout;

        gen_history_make(&c, s, &h);
        assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb),
                         ERR_OK);
        for (size_t k = 0; k < h.nsteps; k++) {
            int cls = size_class(h.step_size[k]);

            if (sign && (h.step_size[k] > 0) != (sign > 0))
                continue; /* steps of the other direction */
            r->total[cls]++;
            for (size_t i = 0; i < nout; i++) {
                long d = (long)out[i].index - (long)h.step_at[k];

                if (d >= -2 && d <= 2) {
                    r->found[cls]++;
                    break;
                }
            }
        }
        for (size_t i = 0; i < nout; i++) {
            r->detected++;
            for (size_t k = 0; k < h.nsteps; k++) {
                long d = (long)out[i].index - (long)h.step_at[k];

                if (d >= -2 && d <= 2) {
                    r->true_pos++;
                    break;
                }
            }
        }
        free(out);
        gen_history_free(&h);
    }
    err_cleanup(&eb);
}

static const double cvs[] = {0.01, 0.03, 0.05, 0.10};

/* False change points (full analysis) and false alerts (ingest) per 1,000
 * points of step-free history of one kind. */
static void step_free(enum an_cpd_method m, double cv, double outliers,
                      double bimodal, double drift, unsigned tail_df,
                      size_t histories, uint64_t seed0, double *cps_per_k,
                      double *alerts_per_k)
{
    struct an_cpd_params p;
    size_t cps = 0, alerts = 0, points = 0, at[256];
    struct errbuf eb;

    err_init(&eb);
    an_cpd_params_default(&p, m);
    for (uint64_t s = seed0; s < seed0 + histories; s++) {
        struct gen_cfg c = {.n = 1000,
                            .cv = cv,
                            .outlier_rate = outliers,
                            .bimodal_rate = bimodal,
                            .bimodal_shift = 0.08,
                            .drift = drift,
                            .tail_df = tail_df};
        struct gen_history h;
        struct an_cp *out = NULL;
        size_t nout;

        gen_history_make(&c, s, &h);
        assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb),
                         ERR_OK);
        cps += nout;
        free(out);
        if (alerts_per_k)
            alerts += simulate_ingest(h.x, h.n, &p, at, 256);
        points += h.n;
        gen_history_free(&h);
    }
    *cps_per_k = 1000.0 * (double)cps / (double)points;
    if (alerts_per_k)
        *alerts_per_k = 1000.0 * (double)alerts / (double)points;
    err_cleanup(&eb);
}

static void test_acceptance_recall(void **state)
{
    struct recall r;
    double recall;

    (void)state;
    step_recall(AN_CPD_HUNTER, 0.03, 0.10, 0.30, 0, 40, 1, &r);
    recall =
        (double)(r.found[2] + r.found[3]) / (double)(r.total[2] + r.total[3]);
    print_message("recall of steps >= 10%% at CV 3%%: %.3f (%zu steps), "
                  "precision %.3f\n",
                  recall, r.total[2] + r.total[3],
                  (double)r.true_pos / (double)r.detected);
    assert_true(r.total[2] + r.total[3] >= 300);
    assert_true(recall > 0.95);
    assert_true((double)r.true_pos / (double)r.detected > 0.9);
}

static void test_acceptance_false_alerts(void **state)
{
    double sum = 0.0, cps, alerts;
    size_t cells = 0;

    (void)state;
    /* 16 kinds of step-free history, one 1,000-point history each. */
    for (size_t ci = 0; ci < 4; ci++)
        for (int kind = 0; kind < 4; kind++) {
            step_free(AN_CPD_HUNTER, cvs[ci], kind & 1 ? 0.01 : 0.0,
                      kind & 2 ? 0.05 : 0.0, 0.0, 0, 1,
                      9000 + 10 * ci + (uint64_t)kind, &cps, &alerts);
            sum += alerts;
            cells++;
        }
    print_message("false alerts per 1,000 points (ingest): %.2f\n",
                  sum / (double)cells);
    assert_true(sum / (double)cells < 1.0);
}

static void tail_examination(enum an_cpd_method m)
{
    struct gen_cfg c = {.n = 260, .cv = 0.02};
    struct gen_history h;
    struct an_cpd_params p;
    struct errbuf eb;
    size_t first_seen = 0, k;

    err_init(&eb);
    gen_history_make(&c, 5, &h);
    for (size_t i = 220; i < h.n; i++)
        h.x[i] *= 1.15;
    an_cpd_params_default(&p, m);
    k = an_cpd_tail_len(&p, 1);
    assert_int_equal(k, 201);
    for (size_t t = 221; t <= h.n && !first_seen; t++) {
        size_t a = t > k ? t - k : 0;
        struct an_cpd_tail tl;

        assert_int_equal(an_cpd_tail_examine(h.x + a, t - a, 1, &p, &tl, &eb),
                         ERR_OK);
        if (tl.nrecent) {
            first_seen = t;
            assert_int_equal(a + tl.recent[0].index, 220);
            assert_true(tl.recent[0].change > 0.12);
            assert_int_equal(a + tl.last_start, 220);
            assert_true(fabs(tl.last_mean / tl.recent[0].before_mean - 1.15) <
                        0.03);
        }
        an_cpd_tail_cleanup(&tl);
    }
    /* min_size points after the change, then two more confirmations. */
    assert_int_equal(first_seen, 220 + AN_CPD_MIN_SIZE + AN_CPD_CONFIRM - 1);
    gen_history_free(&h);
    err_cleanup(&eb);
}

static void test_tail_examination(void **state)
{
    (void)state;
    tail_examination(AN_CPD_HUNTER);
    tail_examination(AN_CPD_STEPS);
}

/* ---- the steps method, the default (changepoint.c note 10) ----------------
 */

static void test_steps_is_the_default(void **state)
{
    struct an_cpd_params p;

    (void)state;
    assert_int_equal(AN_CPD_DEFAULT, AN_CPD_STEPS);
    an_cpd_params_default(&p, AN_CPD_DEFAULT);
    assert_int_equal(p.window, AN_CPD_WINDOW);
    assert_true(p.max_pvalue == AN_CPD_PVALUE);
    assert_true(p.min_magnitude == AN_CPD_MAGNITUDE);
    assert_int_equal(p.min_size, AN_CPD_MIN_SIZE);
    assert_true(p.outlier_filter == AN_CPD_OUTLIER_FILTER);
    assert_int_equal(an_cpd_params_check(&p, NULL), ERR_OK);
}

/*
 * A step up by a factor f and a step down by 1/f are the same size: the
 * size is a log ratio.  Otava's magnitude (hunter) measured them against
 * one side's mean, so a step of exactly the floor went one way and not the
 * other.
 */
static void test_steps_symmetric_size(void **state)
{
    struct gen_cfg c = {.n = 240, .cv = 0.005};
    struct gen_history h;
    struct an_cpd_params p;
    double mag[2];
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    an_cpd_params_default(&p, AN_CPD_DEFAULT);
    for (int dir = 0; dir < 2; dir++) {
        struct an_cp *out = NULL;
        size_t nout;

        gen_history_make(&c, 17, &h);
        for (size_t i = 120; i < h.n; i++)
            h.x[i] *= dir ? 1.0 / 1.05 : 1.05;
        assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb),
                         ERR_OK);
        assert_int_equal(nout, 1);
        assert_int_equal(out[0].index, 120);
        mag[dir] = out[0].magnitude;
        assert_true(fabs(mag[dir] - 0.05) < 0.004);
        assert_true(fabs(out[0].step - (dir ? -1.0 : 1.0) * log(1.05)) < 0.004);
        free(out);
        gen_history_free(&h);
    }
    assert_true(fabs(mag[0] - mag[1]) < 0.004);
    err_cleanup(&eb);
}

/* Recall of steps of exactly +-10% at CV 1-3% and of +5% and -5% (each
 * direction alone) at CV 1%, found within 2 runs (acceptance, issue 11). */
static void test_steps_recall(void **state)
{
    static const double cv[] = {0.01, 0.02, 0.03};
    struct recall r;
    double rec;

    (void)state;
    for (size_t i = 0; i < sizeof cv / sizeof *cv; i++) {
        step_recall(AN_CPD_DEFAULT, cv[i], 0.10, 0.10, 0, 20, 100 + 20 * i, &r);
        rec = (double)r.found[2] / (double)r.total[2];
        print_message("steps: recall of 10%% steps at CV %g%%: %.3f (%zu), "
                      "precision %.3f\n",
                      100 * cv[i], rec, r.total[2],
                      (double)r.true_pos / (double)r.detected);
        assert_true(r.total[2] >= 150);
        assert_true(rec >= 0.95);
        assert_true((double)r.true_pos / (double)r.detected > 0.9);
    }
    for (int sign = -1; sign <= 1; sign += 2) {
        step_recall(AN_CPD_DEFAULT, 0.01, 0.05, 0.05, sign, 30, 300, &r);
        rec = (double)r.found[1] / (double)r.total[1];
        print_message("steps: recall of %+d%% steps at CV 1%%: %.3f (%zu)\n",
                      5 * sign, rec, r.total[1]);
        assert_true(r.total[1] >= 100);
        assert_true(rec >= 0.9);
    }
}

/*
 * Step-free histories: fewer than 1 change point per 1,000 points for each
 * kind of noise at CV 1-5%: plain, wild single runs (2%, x1.2-2.5), heavy
 * tails (Student t, 3 degrees of freedom), bimodal runs, and slow drifts of
 * 10% and 50% per 1,000 points (Otava's procedure cuts the latter into
 * steps: about 5 per 1,000 points).
 */
static void test_steps_step_free(void **state)
{
    static const double cv[] = {0.01, 0.02, 0.03, 0.05};
    static const struct {
        const char *name;
        double outliers, bimodal, drift;
        unsigned tail_df;
    } kinds[] = {
        {"plain", 0.0, 0.0, 0.0, 0},
        {"wild single runs 2%", 0.02, 0.0, 0.0, 0},
        {"heavy tails (t3)", 0.0, 0.0, 0.0, 3},
        {"bimodal 5% at +8%", 0.0, 0.05, 0.0, 0},
        {"drift 10%/1,000", 0.01, 0.0, 0.10, 0},
        {"drift 50%/1,000", 0.01, 0.0, 0.50, 0},
    };
    double all = 0.0;

    (void)state;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        double sum = 0.0, cps;

        for (size_t i = 0; i < sizeof cv / sizeof *cv; i++) {
            step_free(AN_CPD_DEFAULT, cv[i], kinds[k].outliers,
                      kinds[k].bimodal, kinds[k].drift, kinds[k].tail_df, 3,
                      11000 + 100 * k + 10 * i, &cps, NULL);
            sum += cps;
        }
        sum /= (double)(sizeof cv / sizeof *cv);
        print_message("steps: %s: %.2f change points per 1,000 points\n",
                      kinds[k].name, sum);
        assert_true(sum < 1.0);
        all += sum;
    }
    assert_true(all / (double)(sizeof kinds / sizeof *kinds) < 0.5);
}

/* Ingesting point by point as the server does: fewer than 1 false alert per
 * 1,000 step-free points with the default method. */
static void test_steps_false_alerts(void **state)
{
    double sum = 0.0, cps, alerts;
    size_t cells = 0;

    (void)state;
    for (size_t ci = 0; ci < 4; ci++)
        for (int kind = 0; kind < 4; kind++) {
            step_free(AN_CPD_DEFAULT, cvs[ci], kind & 1 ? 0.01 : 0.0,
                      kind & 2 ? 0.05 : 0.0, 0.0, 0, 1,
                      9000 + 10 * ci + (uint64_t)kind, &cps, &alerts);
            sum += alerts;
            cells++;
        }
    print_message("steps: false alerts per 1,000 points (ingest): %.2f\n",
                  sum / (double)cells);
    assert_true(sum / (double)cells < 1.0);
}

/* A drift is not a step, and a step on a drift is still one. */
static void test_steps_trend_is_not_steps(void **state)
{
    struct gen_cfg c = {.n = 1000, .cv = 0.01, .drift = 0.5};
    struct gen_history h;
    struct an_cpd_params p;
    struct an_cp *out = NULL;
    size_t nout;
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    gen_history_make(&c, 23, &h);
    an_cpd_params_default(&p, AN_CPD_DEFAULT);
    assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb), ERR_OK);
    assert_int_equal(nout, 0);
    free(out);
    /* Otava's procedure (hunter, benchvault's filter and floor) cuts it. */
    an_cpd_params_default(&p, AN_CPD_HUNTER);
    assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb), ERR_OK);
    assert_true(nout >= 2);
    free(out);
    for (size_t i = 600; i < h.n; i++)
        h.x[i] *= 1.10;
    an_cpd_params_default(&p, AN_CPD_DEFAULT);
    assert_int_equal(an_changepoints(h.x, h.n, &p, &out, &nout, &eb), ERR_OK);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0].index, 600);
    assert_true(fabs(out[0].step - log(1.10)) < 0.01);
    assert_true(out[0].drift > 0.0);
    free(out);
    gen_history_free(&h);
    err_cleanup(&eb);
}

/* ---- the report of docs/changepoints.md -----------------------------------
 */

static int report(enum an_cpd_method m)
{
    static const char *const kinds[] = {
        "plain", "outliers 1%", "bimodal 5% at +8%", "outliers + bimodal"};
    double sum_alerts = 0.0;
    size_t cells = 0;

    printf("Method %s; defaults: window %d, p %g, magnitude %g, min_size %d, "
           "outlier filter %g, confirmations %d.\n\n",
           m == AN_CPD_STEPS ? "steps" : "hunter", AN_CPD_WINDOW, AN_CPD_PVALUE,
           AN_CPD_MAGNITUDE, AN_CPD_MIN_SIZE, AN_CPD_OUTLIER_FILTER,
           AN_CPD_CONFIRM);
    printf("Steps of exactly one size (1,000-point histories, 8 steps, 1%% "
           "outliers, half bimodal; 40 histories per cell; recall within 2 "
           "runs):\n\n| CV | +5%% | -5%% | +10%% | -10%% |\n"
           "|---|---|---|---|---|\n");
    for (size_t ci = 0; ci < 3; ci++) {
        static const double cv3[] = {0.01, 0.02, 0.03};
        double rec[4];

        for (int j = 0; j < 4; j++) {
            struct recall r;
            double size = j < 2 ? 0.05 : 0.10;
            int cls = j < 2 ? 1 : 2;

            step_recall(m, cv3[ci], size, size, j % 2 ? -1 : 1, 40, 400, &r);
            rec[j] = (double)r.found[cls] / (double)r.total[cls];
        }
        printf("| %g%% | %.3f | %.3f | %.3f | %.3f |\n", 100 * cv3[ci], rec[0],
               rec[1], rec[2], rec[3]);
        fflush(stdout);
    }
    printf("\n");
    printf("Steps (1,000-point histories, 8 steps of 3-30%% up or down, 1%% "
           "outliers, half bimodal; 100 histories per CV):\n\n");
    printf("| CV | recall 3-5%% | 5-10%% | 10-20%% | 20-30%% | precision "
           "|\n|---|---|---|---|---|---|\n");
    for (size_t ci = 0; ci < 4; ci++) {
        struct recall r;

        step_recall(m, cvs[ci], 0.03, 0.30, 0, 100, 1, &r);
        printf("| %g%% | %.2f | %.2f | %.2f | %.2f | %.3f |\n", 100 * cvs[ci],
               (double)r.found[0] / (double)r.total[0],
               (double)r.found[1] / (double)r.total[1],
               (double)r.found[2] / (double)r.total[2],
               (double)r.found[3] / (double)r.total[3],
               (double)r.true_pos / (double)r.detected);
        fflush(stdout);
    }
    printf("\nStep-free histories (per 1,000 points; 10 histories of 1,000 "
           "points per cell):\n\n| CV | kind | false change points (full "
           "analysis) | false alerts (ingest, regressions) |\n"
           "|---|---|---|---|\n");
    for (size_t ci = 0; ci < 4; ci++)
        for (int kind = 0; kind < 4; kind++) {
            double cps, alerts;

            step_free(m, cvs[ci], kind & 1 ? 0.01 : 0.0, kind & 2 ? 0.05 : 0.0,
                      0.0, 0, 10, 5000 + 100 * ci + 10 * (uint64_t)kind, &cps,
                      &alerts);
            printf("| %g%% | %s | %.2f | %.2f |\n", 100 * cvs[ci], kinds[kind],
                   cps, alerts);
            fflush(stdout);
            sum_alerts += alerts;
            cells++;
        }
    printf("\nAll step-free cells: %.2f false alerts per 1,000 points.\n",
           sum_alerts / (double)cells);
    printf("\nSlow drift (step-free otherwise, CV 3%%, 1%% outliers; false "
           "change points per 1,000 points, full analysis):\n\n"
           "| drift per 1,000 points | change points |\n|---|---|\n");
    for (int d = 0; d < 4; d++) {
        static const double drifts[] = {0.05, 0.10, 0.20, 0.50};
        double cps;

        step_free(m, 0.03, 0.01, 0.0, drifts[d], 0, 20, 7000 + (uint64_t)d,
                  &cps, NULL);
        printf("| %g%% | %.2f |\n", 100 * drifts[d], cps);
    }
    printf("\nHeavy tails and wild runs (step-free, 20 histories per cell; "
           "change points per 1,000 points, full analysis):\n\n"
           "| CV | Student t, 3 df | wild single runs 2%% |\n|---|---|---|\n");
    for (size_t ci = 0; ci < 4; ci++) {
        double t3, wild;

        step_free(m, cvs[ci], 0.0, 0.0, 0.0, 3, 20, 8000 + 10 * ci, &t3, NULL);
        step_free(m, cvs[ci], 0.02, 0.0, 0.0, 0, 20, 8500 + 10 * ci, &wild,
                  NULL);
        printf("| %g%% | %.2f | %.2f |\n", 100 * cvs[ci], t3, wild);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mongodb_qhat),
        cmocka_unit_test(test_otava_sequence14),
        cmocka_unit_test(test_tigerbeetle),
        cmocka_unit_test(test_incremental_equals_full),
        cmocka_unit_test(test_spikes_make_no_change_points),
        cmocka_unit_test(test_params_and_values_checked),
        cmocka_unit_test(test_tail_examination),
        cmocka_unit_test(test_acceptance_recall),
        cmocka_unit_test(test_acceptance_false_alerts),
        cmocka_unit_test(test_steps_is_the_default),
        cmocka_unit_test(test_steps_symmetric_size),
        cmocka_unit_test(test_steps_recall),
        cmocka_unit_test(test_steps_step_free),
        cmocka_unit_test(test_steps_false_alerts),
        cmocka_unit_test(test_steps_trend_is_not_steps),
    };

    an_init();
    if (argc > 1 && strcmp(argv[1], "--report") == 0)
        return report(argc > 2 && strcmp(argv[2], "hunter") == 0
                          ? AN_CPD_HUNTER
                          : AN_CPD_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
