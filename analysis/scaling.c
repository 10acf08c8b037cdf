/*
 * scaling: how a benchmark family's time grows with its numeric parameter.
 *
 * Design notes:
 * 1. Complexity classes are fitted exactly as Google Benchmark 1.7's
 *    complexity.cc does (MinimalLeastSq): for each g in 1, log2 n, n,
 *    n log2 n, n^2, n^3 the one-parameter fit t = c g(n) through the
 *    origin, c = sum(t g) / sum(g^2), and the RMS of its residuals
 *    normalised by the mean of t.  The best class is the one of lowest
 *    normalised RMS, O(1) first and a later class only when strictly
 *    lower, in the order above (so ties go to the simpler class, as there).
 *    log2 n is computed as log(n) * log2(e), the same expression.  Every
 *    point counts (repetitions included), as in Google Benchmark.
 * 2. The log-log slope is the OLS slope of ln t on ln n (trend.c's
 *    linregress) with its 95% t interval; 1 is linear.  The verdict
 *    compares the interval with 1 +/- 0.1: "super-linear" when it lies
 *    above 1.1, "sub-linear" when below 0.9, "linear" when inside
 *    [0.9, 1.1], else "inconclusive" (too few points or too noisy).
 * 3. Throughput is n / t at each distinct n (the median of its points).
 *    It is "kept" when the throughput at the largest n is at least 90% of
 *    the best throughput seen at any n: growing the batch did not cost
 *    throughput.
 */
#include "analysis/analysis_int.h"

#include <stdlib.h>
#include <string.h>

#define LOG2E 1.44269504088896340736
#define LINEAR_TOL 0.1
#define THROUGHPUT_KEPT 0.9

const char *an_complexity_str(enum an_complexity c)
{
    static const char *const names[] = {"O(1)",       "O(log n)", "O(n)",
                                        "O(n log n)", "O(n^2)",   "O(n^3)"};

    return (unsigned)c < AN_COMPLEXITIES ? names[c] : "O(?)";
}

static double curve(enum an_complexity c, double n)
{
    switch (c) {
    case AN_OLOGN:
        return LOG2E * log(n);
    case AN_ON:
        return n;
    case AN_ONLOGN:
        return LOG2E * n * log(n);
    case AN_ON2:
        return pow(n, 2);
    case AN_ON3:
        return pow(n, 3);
    case AN_O1:
    case AN_COMPLEXITIES:
        break;
    }
    return 1.0;
}

static void fit_one(enum an_complexity c, const double *n, const double *t,
                    size_t count, double *coef, double *rms)
{
    double sgg = 0, st = 0, stg = 0, ss = 0;

    for (size_t i = 0; i < count; i++) {
        double g = curve(c, n[i]);

        sgg += g * g;
        st += t[i];
        stg += t[i] * g;
    }
    *coef = stg / sgg;
    for (size_t i = 0; i < count; i++) {
        double r = t[i] - *coef * curve(c, n[i]);

        ss += r * r;
    }
    *rms = sqrt(ss / (double)count) / (st / (double)count);
}

struct nt {
    double n, t;
};

static int cmp_nt(const void *a, const void *b)
{
    const struct nt *x = a, *y = b;

    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static void throughput(const double *n, const double *t, size_t count,
                       struct an_scaling *out)
{
    struct nt *v = xmalloc(count * sizeof *v);
    double best = -INFINITY, last = NAN;
    size_t i = 0;

    for (size_t k = 0; k < count; k++) {
        v[k].n = n[k];
        v[k].t = t[k];
    }
    qsort(v, count, sizeof *v, cmp_nt);
    while (i < count) {
        size_t j = i, m;
        double med;

        while (j < count && v[j].n == v[i].n)
            j++;
        m = j - i;
        /* v is sorted by t within one n: the median is in the middle */
        med =
            m % 2 ? v[i + m / 2].t : (v[i + m / 2 - 1].t + v[i + m / 2].t) / 2;
        last = v[i].n / med;
        if (last > best)
            best = last;
        i = j;
    }
    out->throughput_ratio = last / best;
    out->throughput_kept = out->throughput_ratio >= THROUGHPUT_KEPT;
    free(v);
}

enum err an_scaling_fit(const double *n, const double *t, size_t count,
                        struct an_scaling *out, struct errbuf *eb)
{
    double *ln = NULL, *lt = NULL;
    struct an_trend tr;
    bool distinct = false;
    enum err e;

    memset(out, 0, sizeof *out);
    out->loglog_slope = out->loglog_slope_ci[0] = NAN;
    out->loglog_slope_ci[1] = out->throughput_ratio = NAN;
    out->verdict = "inconclusive";
    for (int c = 0; c < AN_COMPLEXITIES; c++)
        out->coefficient[c] = out->rms[c] = NAN;
    e = an_check_finite(n, count, "scaling: n", eb);
    if (!e)
        e = an_check_finite(t, count, "scaling: value", eb);
    if (e)
        return e;
    for (size_t i = 0; i < count; i++) {
        if (!(n[i] > 0) || !(t[i] > 0)) {
            err_set(eb,
                    "scaling: pair %zu: n and the value must be "
                    "positive",
                    i + 1);
            return ERR_INVALID;
        }
        distinct = distinct || n[i] != n[0];
    }
    if (count < 2 || !distinct) {
        err_set(eb, "scaling: at least two different n are needed");
        return ERR_INVALID;
    }
    out->best = AN_O1;
    for (int c = 0; c < AN_COMPLEXITIES; c++) {
        fit_one((enum an_complexity)c, n, t, count, &out->coefficient[c],
                &out->rms[c]);
        if (out->rms[c] < out->rms[out->best])
            out->best = (enum an_complexity)c;
    }
    ln = xmalloc(count * sizeof *ln);
    lt = xmalloc(count * sizeof *lt);
    for (size_t i = 0; i < count; i++) {
        ln[i] = log(n[i]);
        lt[i] = log(t[i]);
    }
    e = an_trend(ln, lt, count, &tr, eb);
    if (e)
        goto out;
    out->loglog_slope = tr.slope;
    out->loglog_slope_ci[0] = tr.slope_ci[0];
    out->loglog_slope_ci[1] = tr.slope_ci[1];
    if (isfinite(tr.slope_ci[0]) && isfinite(tr.slope_ci[1])) {
        if (tr.slope_ci[0] > 1 + LINEAR_TOL)
            out->verdict = "super-linear";
        else if (tr.slope_ci[1] < 1 - LINEAR_TOL)
            out->verdict = "sub-linear";
        else if (tr.slope_ci[0] >= 1 - LINEAR_TOL &&
                 tr.slope_ci[1] <= 1 + LINEAR_TOL)
            out->verdict = "linear";
    }
    throughput(n, t, count, out);
out:
    free(ln);
    free(lt);
    return e;
}
