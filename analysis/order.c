/*
 * Order statistics and sums shared by the statistics files.
 *
 * Design notes:
 * 1. Percentiles follow NumPy's default method ("linear", Hyndman and Fan
 *    type 7): h = (n - 1) p / 100, then NumPy's own lerp, which
 *    interpolates from the upper neighbour when the fraction is at least
 *    one half.  Repeating its arithmetic keeps us within an ulp or two of
 *    np.percentile, which the reference tests hold us to.
 * 2. Means use Neumaier's compensated sum, variances two passes with the
 *    compensating term (the "corrected two-pass" of Chan, Golub and
 *    LeVeque): both are at least as accurate as NumPy's pairwise sums, so
 *    agreement to 1e-9 holds even for data such as 1e9 + {1, 2, 3}.
 * 3. an_select is Wirth's quickselect on signed indices; it reorders its
 *    input and never allocates.
 */
#include "analysis/analysis_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void an_sort(double *x, size_t n)
{
    if (n > 1)
        qsort(x, n, sizeof *x, double_cmp);
}

double *an_sorted_copy(const double *x, size_t n)
{
    double *s;

    if (n == 0)
        return NULL;
    s = xmalloc(n * sizeof *s);
    memcpy(s, x, n * sizeof *s);
    an_sort(s, n);
    return s;
}

/* NumPy's _lerp: a + (b - a) t, from b when t >= 0.5. */
static double lerp(double a, double b, double t)
{
    double d = b - a;

    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

double an_pct_sorted(const double *s, size_t n, double p)
{
    double h, g;
    size_t lo;

    assert(p >= 0 && p <= 100);
    if (n == 0)
        return NAN;
    h = (double)(n - 1) * (p / 100.0);
    lo = (size_t)floor(h);
    if (lo >= n - 1)
        return s[n - 1];
    g = h - (double)lo;
    return lerp(s[lo], s[lo + 1], g);
}

double an_select(double *a, size_t n, size_t k)
{
    ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

    while (l < m) {
        double x = a[kk];
        ptrdiff_t i = l, j = m;

        do {
            while (a[i] < x)
                i++;
            while (x < a[j])
                j--;
            if (i <= j) {
                double t = a[i];

                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            m = j;
    }
    return a[kk];
}

double an_pct_select(double *x, size_t n, double p)
{
    double h, g, a, b;
    size_t lo;

    if (n == 0)
        return NAN;
    h = (double)(n - 1) * (p / 100.0);
    lo = (size_t)floor(h);
    if (lo >= n - 1)
        return an_select(x, n, n - 1);
    a = an_select(x, n, lo);
    g = h - (double)lo;
    /* After the selection everything right of lo is >= a: its minimum is
     * the next order statistic. */
    b = x[lo + 1];
    for (size_t i = lo + 2; i < n; i++)
        if (x[i] < b)
            b = x[i];
    return lerp(a, b, g);
}

double an_mean(const double *x, size_t n)
{
    double s = 0, c = 0;

    if (n == 0)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double t = s + x[i];

        if (fabs(s) >= fabs(x[i]))
            c += (s - t) + x[i];
        else
            c += (x[i] - t) + s;
        s = t;
    }
    return (s + c) / (double)n;
}

double an_var(const double *x, size_t n, double mean)
{
    double ss = 0, sd = 0;

    if (n < 2)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;

        ss += d * d;
        sd += d;
    }
    ss = (ss - sd * sd / (double)n) / (double)(n - 1);
    return ss < 0 ? 0 : ss;
}

double an_median_inplace(double *x, size_t n)
{
    double m;

    if (n == 0)
        return NAN;
    m = an_select(x, n, (n - 1) / 2);
    if (n % 2 == 0) {
        /* everything right of (n-1)/2 is >= m: the next order statistic
         * is their minimum */
        double b = x[n / 2];

        for (size_t i = n / 2 + 1; i < n; i++)
            if (x[i] < b)
                b = x[i];
        m = (m + b) / 2;
    }
    return m;
}

double an_median(const double *x, size_t n)
{
    double *c, m;

    if (n == 0)
        return NAN;
    c = xmalloc(n * sizeof *c);
    memcpy(c, x, n * sizeof *c);
    m = an_median_inplace(c, n);
    free(c);
    return m;
}

void an_quantiles(const double *x, size_t n, size_t m, double *out)
{
    double *s = an_sorted_copy(x, n);

    for (size_t i = 0; i < m; i++)
        out[i] = an_pct_sorted(s, n, 100.0 * (double)i / (double)(m - 1));
    free(s);
}
