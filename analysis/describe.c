/*
 * describe: the summary of one sample, as `benchvault analyze describe`
 * prints it and as each side of a comparison carries it.
 *
 * Definitions (each checked against NumPy/SciPy in tests/data/stats/):
 *   mean      compensated sum / n                       np.mean
 *   stddev    sample standard deviation, ddof = 1       np.std(ddof=1)
 *   median    middle value, mean of the two middle ones np.median
 *   mad       median(|x - median|), NOT scaled          scipy.stats.
 *             (multiply by 1.4826 for a normal sigma)   median_abs_deviation
 *   pNN, q1, q3  NumPy's default linear percentiles     np.percentile
 *   iqr       q3 - q1                                   scipy.stats.iqr
 *   cv        stddev / mean (ddof = 1; NAN if mean 0)
 *   mean_ci   mean -/+ t(0.975, n-1) stddev / sqrt(n)   scipy.stats.t.ppf
 *   median_ci percentile bootstrap of the median, seeded (bootstrap.c)
 *   outliers  Tukey's fences: below q1 - 1.5 iqr or above q3 + 1.5 iqr
 *
 * Constant data: when every value is the same, mean is that value and
 * stddev exactly 0 (a sum would otherwise leave rounding noise such as
 * 1e-17, and a CV or t interval built on it would be nonsense).  n = 1:
 * stddev, cv and mean_ci are NAN (undefined), median_ci is [x, x].
 */
#include "analysis/analysis_int.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <stdlib.h>
#include <string.h>

void an_options_default(struct an_options *o)
{
    o->bootstrap = AN_BOOTSTRAP_DEFAULT;
    o->seed = 0;
}

static void describe_clear(struct an_describe *d)
{
    memset(d, 0, sizeof *d);
    d->mean = d->median = d->stddev = d->mad = d->min = d->max = NAN;
    d->p90 = d->p95 = d->p99 = d->q1 = d->q3 = d->iqr = d->cv = NAN;
    d->mean_ci[0] = d->mean_ci[1] = d->median_ci[0] = d->median_ci[1] = NAN;
}

void an_describe_cleanup(struct an_describe *d)
{
    if (!d)
        return;
    free(d->outliers);
    describe_clear(d);
}

double an_t_crit(double level, double df)
{
    if (!(df > 0))
        return NAN;
    return gsl_cdf_tdist_Pinv(1 - (1 - level) / 2, df);
}

double an_t_two_sided(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    return 2 * gsl_cdf_tdist_Q(fabs(t), df);
}

/* np.median of sorted data. */
static double median_sorted(const double *s, size_t n)
{
    if (n % 2)
        return s[n / 2];
    return (s[n / 2 - 1] + s[n / 2]) / 2;
}

enum err an_describe_sorted(const double *s, size_t n,
                            const struct an_options *opt, double *medians,
                            struct an_describe *out)
{
    struct an_rng rng;
    double *dev, lo, hi, *boot = medians;
    size_t k = 0;
    enum err e = ERR_OK;

    /* The contract: ascending (an O(n) check beside O(n log n) work). */
    assert(s || n == 0);
    for (size_t i = 1; i < n; i++)
        assert(!(s[i] < s[i - 1]));

    describe_clear(out);
    out->n = n;
    out->min = s[0];
    out->max = s[n - 1];
    if (s[0] == s[n - 1]) {
        out->mean = s[0];
        out->stddev = n > 1 ? 0 : NAN;
    } else {
        out->mean = an_mean(s, n);
        out->stddev = sqrt(an_var(s, n, out->mean));
    }
    out->median = median_sorted(s, n);
    dev = xmalloc(n * sizeof *dev);
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(s[i] - out->median);
    an_sort(dev, n);
    out->mad = median_sorted(dev, n);
    free(dev);
    out->p90 = an_pct_sorted(s, n, 90);
    out->p95 = an_pct_sorted(s, n, 95);
    out->p99 = an_pct_sorted(s, n, 99);
    out->q1 = an_pct_sorted(s, n, 25);
    out->q3 = an_pct_sorted(s, n, 75);
    out->iqr = out->q3 - out->q1;
    out->cv = out->mean != 0 ? out->stddev / out->mean : NAN;
    if (n > 1) {
        double half =
            an_t_crit(0.95, (double)(n - 1)) * out->stddev / sqrt((double)n);

        out->mean_ci[0] = out->mean - half;
        out->mean_ci[1] = out->mean + half;
    }
    lo = out->q1 - 1.5 * out->iqr;
    hi = out->q3 + 1.5 * out->iqr;
    for (size_t i = 0; i < n; i++)
        k += s[i] < lo || s[i] > hi;
    if (k) {
        out->outliers = xmalloc(k * sizeof *out->outliers);
        for (size_t i = 0; i < n; i++)
            if (s[i] < lo || s[i] > hi)
                out->outliers[out->noutliers++] = s[i];
    }
    if (opt->bootstrap == 0)
        return ERR_OK;
    if (!boot)
        boot = xmalloc(opt->bootstrap * sizeof *boot);
    an_rng_seed_sample(&rng, opt->seed, s, n, AN_TAG_DESCRIBE);
    e = an_boot_medians(&rng, s, n, opt->bootstrap, boot);
    if (e == ERR_OK) {
        /* The interval reorders its input: keep the caller's copy intact. */
        double *tmp = medians ? xmalloc(opt->bootstrap * sizeof *tmp) : boot;

        if (medians)
            memcpy(tmp, boot, opt->bootstrap * sizeof *tmp);
        an_pct_interval(tmp, opt->bootstrap, out->median_ci);
        if (tmp != boot)
            free(tmp);
    }
    if (boot != medians)
        free(boot);
    return e;
}

enum err an_check_finite(const double *x, size_t n, const char *what,
                         struct errbuf *eb)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            err_set(eb, "%s: value %zu is not a finite number", what, i + 1);
            return ERR_INVALID;
        }
    }
    return ERR_OK;
}

enum err an_describe(const double *x, size_t n, const struct an_options *opt,
                     struct an_describe *out, struct errbuf *eb)
{
    struct an_options dflt;
    double *s;
    enum err e;

    describe_clear(out);
    if (!opt) {
        an_options_default(&dflt);
        opt = &dflt;
    }
    if (n == 0) {
        err_set(eb, "describe: no values");
        return ERR_INVALID;
    }
    if (opt->bootstrap > AN_BOOTSTRAP_MAX) {
        err_set(eb, "describe: at most %u bootstrap resamples",
                AN_BOOTSTRAP_MAX);
        return ERR_INVALID;
    }
    e = an_check_finite(x, n, "describe", eb);
    if (e)
        return e;
    s = an_sorted_copy(x, n);
    e = an_describe_sorted(s, n, opt, NULL, out);
    free(s);
    if (e) {
        err_set(eb, "describe: the bootstrap failed (%s)", err_str(e));
        an_describe_cleanup(out);
    }
    return e;
}
