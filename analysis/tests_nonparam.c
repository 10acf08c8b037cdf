/*
 * Mann-Whitney U, as SciPy 1.10's mannwhitneyu(x, y, method='auto',
 * alternative='two-sided', use_continuity=True).
 *
 * Design notes:
 * 1. Ranks come from merging the two sorted samples: a run of equal values
 *    (across both) of length t gets the average rank, adds t^3 - t to the
 *    tie term, and makes "ties" true.  U1 = R1 - nx (nx + 1) / 2 is the
 *    statistic of x; the two-sided p-value uses U = max(U1, U2).
 * 2. Method, as SciPy's _mwu_choose_method: asymptotic when both sides have
 *    more than 8 values or there is any tie; exact otherwise.
 * 3. Exact: p = 2 P(U' <= nx ny - U), the null distribution counted with
 *    the recurrence SciPy uses (Mann and Whitney 1947; Di Bucchianico 1999,
 *    Theorem 2.5): f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k), held for
 *    the smaller side's i in (i, k) rows and swept over the larger side's
 *    j, up to k = nx ny - U.  Only additions of positive numbers, so the
 *    counts are as exact as doubles allow; divided by C(nx + ny, nx) and
 *    capped at 1.  The sweep costs (larger side) x (smaller side) x k; past
 *    AN_MWU_EXACT_WORK additions (a side of thousands against one of up to
 *    8, where SciPy itself needs gigabytes of memo) the normal
 *    approximation is used instead and `exact` says so.
 * 4. Asymptotic: z = (U - nx ny / 2 - 1/2) / s with
 *    s = sqrt(nx ny / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))), p =
 *    2 Q(z), capped at 1; s = 0 (every value equal) gives p = 1.
 */
#include "analysis/analysis_int.h"

#include <gsl/gsl_cdf.h>
#include <stdlib.h>

#define AN_MWU_EXACT_WORK 2e8

/* Counts of U' <= K for sizes m (small) and n, over C(m + n, m). */
static double exact_cdf(size_t m, size_t n, size_t kmax)
{
    size_t w = kmax + 1;
    double *f = xcalloc((m + 1) * w, sizeof *f), sum = 0, total = 1;

    for (size_t i = 0; i <= m; i++)
        f[i * w] = 1; /* f(i, 0, k) = [k == 0]; f(0, j, k) too */
    for (size_t j = 1; j <= n; j++) {
        for (size_t i = 1; i <= m; i++) {
            double *row = f + i * w;
            const double *prev = f + (i - 1) * w;

            for (size_t k = j; k <= kmax; k++)
                row[k] += prev[k - j];
        }
    }
    for (size_t k = 0; k <= kmax; k++)
        sum += f[m * w + k];
    free(f);
    for (size_t i = 1; i <= m; i++)
        total = total * (double)(n + i) / (double)i;
    return sum / total;
}

void an_mwu_sorted(const double *xs, size_t nx, const double *ys, size_t ny,
                   struct an_mwu *out)
{
    double r1 = 0, tie = 0, u1, u2, u, nn = (double)(nx + ny);
    double mn = (double)nx * (double)ny;
    size_t i = 0, j = 0, rank = 0;
    bool ties = false;

    while (i < nx || j < ny) {
        double v = i < nx && (j >= ny || xs[i] <= ys[j]) ? xs[i] : ys[j];
        size_t cx = 0, cy = 0, t;

        while (i < nx && xs[i] == v) {
            i++;
            cx++;
        }
        while (j < ny && ys[j] == v) {
            j++;
            cy++;
        }
        t = cx + cy;
        /* ranks rank+1 .. rank+t share their average */
        r1 += (double)cx * ((double)rank + ((double)t + 1) / 2);
        if (t > 1) {
            ties = true;
            tie += (double)t * (double)t * (double)t - (double)t;
        }
        rank += t;
    }
    u1 = r1 - (double)nx * ((double)nx + 1) / 2;
    u2 = mn - u1;
    u = u1 > u2 ? u1 : u2;
    out->u = u1;
    out->exact = false;
    if ((nx <= 8 || ny <= 8) && !ties) {
        size_t m = nx < ny ? nx : ny, n = nx < ny ? ny : nx;
        size_t kmax = (size_t)(mn - u);

        if ((double)n * (double)m * (double)(kmax + 1) <= AN_MWU_EXACT_WORK) {
            out->exact = true;
            out->p = 2 * exact_cdf(m, n, kmax);
            if (out->p > 1)
                out->p = 1;
            return;
        }
    }
    {
        double s = sqrt(mn / 12 * ((nn + 1) - tie / (nn * (nn - 1))));
        double z;

        if (!(s > 0)) {
            out->p = 1;
            return;
        }
        z = (u - mn / 2 - 0.5) / s;
        out->p = 2 * gsl_cdf_ugaussian_Q(z);
        if (out->p > 1)
            out->p = 1;
    }
}

enum err an_mannwhitney(const double *x, size_t nx, const double *y, size_t ny,
                        struct an_mwu *out, struct errbuf *eb)
{
    double *xs, *ys;
    enum err e;

    out->u = out->p = NAN;
    out->exact = false;
    if (nx == 0 || ny == 0) {
        err_set(eb, "mannwhitney: each side needs at least one value");
        return ERR_INVALID;
    }
    e = an_check_finite(x, nx, "mannwhitney: first sample", eb);
    if (!e)
        e = an_check_finite(y, ny, "mannwhitney: second sample", eb);
    if (e)
        return e;
    xs = an_sorted_copy(x, nx);
    ys = an_sorted_copy(y, ny);
    an_mwu_sorted(xs, nx, ys, ny, out);
    free(xs);
    free(ys);
    return ERR_OK;
}
