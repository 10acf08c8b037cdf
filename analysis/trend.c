/*
 * trend: drift of a series (history, or a resource over time), and the
 * general least-squares fit the NIST StRD checks.
 *
 * Design notes:
 * 1. OLS follows SciPy 1.10's linregress step by step: population
 *    (co)variances about the means, r clipped to [-1, 1] (0 when a
 *    variance is 0), slope = sxy / sxx, t = r sqrt(df / ((1 - r + 1e-20)
 *    (1 + r + 1e-20))), p = 2 T_df(-|t|), slope stderr sqrt((1 - r^2) syy
 *    / sxx / df); for n = 2, p is 0 (or 1 when the two y are equal) and the
 *    stderr 0.  The slope's 95% CI is slope -/+ t(0.975, n-2) stderr (NAN
 *    for n = 2).  R^2 = r^2.
 * 2. Theil-Sen as scipy.stats.theilslopes(y, x): the median of the slopes
 *    of all pairs with different x; intercept median(y) - slope
 *    median(x) ("separate").  Past AN_THEILSEN_PAIRS pairs (n about 2,800)
 *    a seeded random sample of that many pairs stands in (documented; the
 *    estimate is then approximate).
 * 3. Mann-Kendall with tie correction (Hipel and McLeod 1994, as in
 *    pymannkendall's original_test): S = sum over i < j of sign(x_j - x_i)
 *    sign(y_j - y_i) (with x absent, the index order), Var(S) =
 *    (n(n-1)(2n+5) - sum over tie groups of y of t(t-1)(2t+5)) / 18,
 *    z = (S - sign(S)) / sqrt(Var(S)), p = 2 Q(|z|).  O(n^2): series are
 *    capped at AN_TREND_MAX points.
 * 4. an_ols_fit uses gsl_multifit_linear (an SVD of the column-balanced
 *    design), which meets the NIST StRD certified values of Longley, an
 *    ill-conditioned design, to about 1e-9 where normal equations lose
 *    half the digits.  Standard errors: sqrt of the diagonal of
 *    s^2 (X'X)^-1 that GSL returns; R^2 = 1 - RSS / TSS about the mean
 *    (about zero without an intercept, as NIST does).
 */
#include "analysis/analysis_int.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <stdlib.h>
#include <string.h>

#define AN_THEILSEN_PAIRS 4000000u
#define AN_TREND_MAX 20000u
#define TINY 1.0e-20

static void ols_simple(const double *x, const double *y, size_t n,
                       struct an_trend *out)
{
    double mx = an_mean(x, n), my = an_mean(y, n);
    double sxx = 0, syy = 0, sxy = 0, r, df;

    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;

        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    sxx /= (double)n;
    syy /= (double)n;
    sxy /= (double)n;
    if (sxx == 0 || syy == 0) {
        r = 0;
    } else {
        r = sxy / sqrt(sxx * syy);
        if (r > 1)
            r = 1;
        else if (r < -1)
            r = -1;
    }
    out->slope = sxy / sxx;
    out->intercept = my - out->slope * mx;
    out->r2 = r * r;
    if (n == 2) {
        out->p_value = y[0] == y[1] ? 1 : 0;
        out->slope_stderr = 0;
        return;
    }
    df = (double)(n - 2);
    {
        double t = r * sqrt(df / ((1.0 - r + TINY) * (1.0 + r + TINY)));
        double tc = an_t_crit(0.95, df);

        out->p_value = an_t_two_sided(t, df);
        out->slope_stderr = sqrt((1 - r * r) * syy / sxx / df);
        out->slope_ci[0] = out->slope - tc * out->slope_stderr;
        out->slope_ci[1] = out->slope + tc * out->slope_stderr;
    }
}

static void theil_sen(const double *x, const double *y, size_t n,
                      struct an_trend *out)
{
    size_t pairs = n * (n - 1) / 2, m = 0;
    double *sl, *tmp;

    if (pairs <= AN_THEILSEN_PAIRS) {
        sl = xmalloc(pairs * sizeof *sl);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (x[j] != x[i])
                    sl[m++] = (y[j] - y[i]) / (x[j] - x[i]);
    } else {
        struct an_rng rng;

        an_rng_seed_sample(&rng, 0, y, n, 3);
        sl = xmalloc(AN_THEILSEN_PAIRS * sizeof *sl);
        for (size_t k = 0; k < AN_THEILSEN_PAIRS; k++) {
            size_t i = an_rng_below(&rng, (uint32_t)n);
            size_t j = an_rng_below(&rng, (uint32_t)n);

            if (x[j] != x[i])
                sl[m++] = (y[j] - y[i]) / (x[j] - x[i]);
        }
    }
    out->theil_sen_slope = an_median_inplace(sl, m);
    free(sl);
    tmp = xmalloc(n * sizeof *tmp);
    memcpy(tmp, y, n * sizeof *tmp);
    out->theil_sen_intercept = an_median_inplace(tmp, n);
    memcpy(tmp, x, n * sizeof *tmp);
    out->theil_sen_intercept -=
        out->theil_sen_slope * an_median_inplace(tmp, n);
    free(tmp);
}

static int sgn(double v)
{
    return (v > 0) - (v < 0);
}

static void mann_kendall(const double *x, const double *y, size_t n,
                         struct an_trend *out)
{
    double s = 0, var, dn = (double)n, *ys;
    size_t i = 0;

    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            s += sgn(x[b] - x[a]) * sgn(y[b] - y[a]);
    var = dn * (dn - 1) * (2 * dn + 5);
    ys = an_sorted_copy(y, n);
    while (i < n) {
        size_t j = i;

        while (j < n && ys[j] == ys[i])
            j++;
        if (j - i > 1) {
            double t = (double)(j - i);

            var -= t * (t - 1) * (2 * t + 5);
        }
        i = j;
    }
    free(ys);
    var /= 18;
    out->mann_kendall_s = s;
    if (s == 0 || !(var > 0)) {
        out->mann_kendall_z = 0;
        out->mann_kendall_p = 1;
        return;
    }
    out->mann_kendall_z = (s - sgn(s)) / sqrt(var);
    out->mann_kendall_p = 2 * gsl_cdf_ugaussian_Q(fabs(out->mann_kendall_z));
}

enum err an_trend(const double *x, const double *y, size_t n,
                  struct an_trend *out, struct errbuf *eb)
{
    double *ix = NULL;
    bool distinct = false;
    enum err e;

    memset(out, 0, sizeof *out);
    out->slope = out->intercept = out->r2 = out->p_value = NAN;
    out->slope_stderr = out->slope_ci[0] = out->slope_ci[1] = NAN;
    out->theil_sen_slope = out->theil_sen_intercept = NAN;
    out->mann_kendall_s = out->mann_kendall_z = out->mann_kendall_p = NAN;
    out->n = n;
    if (n < 2) {
        err_set(eb, "trend: at least 2 points are needed");
        return ERR_INVALID;
    }
    if (n > AN_TREND_MAX) {
        err_set(eb, "trend: at most %u points", AN_TREND_MAX);
        return ERR_TOO_LARGE;
    }
    e = an_check_finite(y, n, "trend: y", eb);
    if (!e && x)
        e = an_check_finite(x, n, "trend: x", eb);
    if (e)
        return e;
    if (!x) {
        ix = xmalloc(n * sizeof *ix);
        for (size_t i = 0; i < n; i++)
            ix[i] = (double)i;
        x = ix;
    }
    for (size_t i = 1; i < n && !distinct; i++)
        distinct = x[i] != x[0];
    if (!distinct) {
        err_set(eb, "trend: every x is the same, so there is no slope");
        free(ix);
        return ERR_INVALID;
    }
    ols_simple(x, y, n, out);
    theil_sen(x, y, n, out);
    mann_kendall(x, y, n, out);
    free(ix);
    return ERR_OK;
}

void an_ols_cleanup(struct an_ols *o)
{
    if (!o)
        return;
    free(o->coef);
    free(o->se);
    memset(o, 0, sizeof *o);
}

enum err an_ols_fit(const double *X, const double *y, size_t n, size_t k,
                    bool intercept, struct an_ols *out, struct errbuf *eb)
{
    size_t p = k + (intercept ? 1 : 0);
    gsl_matrix *A = NULL, *cov = NULL;
    gsl_vector *b = NULL, *c = NULL;
    gsl_multifit_linear_workspace *ws = NULL;
    double chisq, tss = 0, my;
    enum err e = ERR_OK;
    int rc;

    memset(out, 0, sizeof *out);
    if (p == 0 || n <= p) {
        err_set(eb, "ols: %zu observations cannot fit %zu coefficients", n, p);
        return ERR_INVALID;
    }
    e = an_check_finite(y, n, "ols: y", eb);
    if (!e)
        e = an_check_finite(X, n * k, "ols: X", eb);
    if (e)
        return e;
    A = gsl_matrix_alloc(n, p);
    b = gsl_vector_alloc(n);
    c = gsl_vector_alloc(p);
    cov = gsl_matrix_alloc(p, p);
    ws = gsl_multifit_linear_alloc(n, p);
    if (!A || !b || !c || !cov || !ws) {
        err_set(eb, "ols: GSL could not allocate");
        e = ERR_INTERNAL;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t col = 0;

        if (intercept)
            gsl_matrix_set(A, i, col++, 1.0);
        for (size_t j = 0; j < k; j++)
            gsl_matrix_set(A, i, col++, X[i * k + j]);
        gsl_vector_set(b, i, y[i]);
    }
    rc = gsl_multifit_linear(A, b, c, cov, &chisq, ws);
    if (rc != GSL_SUCCESS) {
        err_set(eb, "ols: %s", gsl_strerror(rc));
        e = ERR_INVALID;
        goto out;
    }
    if (gsl_multifit_linear_rank(GSL_DBL_EPSILON * (double)n, ws) < p) {
        err_set(eb, "ols: the design is singular (collinear columns)");
        e = ERR_INVALID;
        goto out;
    }
    out->n = n;
    out->p = p;
    out->coef = xmalloc(p * sizeof *out->coef);
    out->se = xmalloc(p * sizeof *out->se);
    for (size_t j = 0; j < p; j++) {
        out->coef[j] = gsl_vector_get(c, j);
        out->se[j] = sqrt(gsl_matrix_get(cov, j, j));
    }
    out->rsd = sqrt(chisq / (double)(n - p));
    my = intercept ? an_mean(y, n) : 0;
    for (size_t i = 0; i < n; i++)
        tss += (y[i] - my) * (y[i] - my);
    out->r2 = tss > 0 ? 1 - chisq / tss : NAN;
out:
    gsl_multifit_linear_free(ws);
    gsl_matrix_free(cov);
    gsl_vector_free(c);
    gsl_vector_free(b);
    gsl_matrix_free(A);
    return e;
}
