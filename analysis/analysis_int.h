/*
 * analysis_int.h: what the statistics files of analysis/ share (describe.c,
 * compare.c, tests_nonparam.c, trend.c, scaling.c, budget.c, bootstrap.c);
 * nothing outside analysis/ includes it.
 *
 * The random stream: xoshiro256** (Blackman and Vigna) seeded through
 * splitmix64, chosen over GSL's generators for two reasons.  It is the
 * inner loop of the bootstrap (hundreds of millions of draws per large
 * comparison), where an inlined generator is several times faster than a
 * call through gsl_rng's function pointers; and it is a few lines of
 * integer arithmetic that tests/reference/gen_stats_reference.py repeats
 * exactly, so the bootstrap intervals are checked against NumPy bit for
 * bit instead of only statistically.  Bounded integers use Lemire's
 * multiply-shift with rejection (unbiased).
 *
 * Ownership: every helper borrows its inputs; sorted copies are xmalloc'd
 * and freed by the caller.
 */
#ifndef BV_ANALYSIS_INT_H
#define BV_ANALYSIS_INT_H

#include "analysis/analysis.h"

/* ---- random stream --------------------------------------------------------
 */

struct an_rng {
    uint64_t s[4];
};

/* splitmix64's output function (Steele, Lea, Flood): a 64-bit mixer. */
static inline uint64_t an_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t an_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t an_rng_next(struct an_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = an_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = an_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), 1 <= n < 2^32: Lemire (2019), with rejection. */
static inline uint32_t an_rng_below(struct an_rng *r, uint32_t n)
{
    uint64_t m = (an_rng_next(r) >> 32) * (uint64_t)n;
    uint32_t low = (uint32_t)m;

    if (low < n) {
        uint32_t t = (uint32_t)(-n) % n;

        while (low < t) {
            m = (an_rng_next(r) >> 32) * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double an_rng_uniform(struct an_rng *r)
{
    return (double)(an_rng_next(r) >> 11) * 0x1.0p-53;
}

/*
 * Seeds the stream for one sample: the seed is derived from the user's seed,
 * the sorted values' bit patterns and a stream tag, so the same numbers
 * always give the same stream (in any input order) and the two sides of a
 * comparison get independent streams even when their values coincide.
 */
void an_rng_seed_sample(struct an_rng *r, uint64_t seed, const double *sorted,
                        size_t n, uint64_t tag);

/* Stream tags. */
#define AN_TAG_DESCRIBE 1u /* a sample's own median CI (describe, base) */
#define AN_TAG_HEAD 2u     /* the head side of a comparison */

/* ---- sorting and order statistics ---------------------------------------- */

/* A sorted copy of x (xmalloc'd; NULL when n is 0). */
double *an_sorted_copy(const double *x, size_t n);
void an_sort(double *x, size_t n);
/* NumPy's default ("linear", Hyndman and Fan type 7) percentile, p in
 * [0, 100], of sorted data; NAN for n = 0. */
double an_pct_sorted(const double *s, size_t n, double p);
/* The k-th smallest (0-based) of x, which is reordered (quickselect). */
double an_select(double *x, size_t n, size_t k);
/* The linear percentile p of x (reordered), without a full sort. */
double an_pct_select(double *x, size_t n, double p);
/* The median of x[0..n) without a copy (x is reordered); NAN for n 0. */
double an_median_inplace(double *x, size_t n);

/* ---- sums -------------------------------------------------------------------
 */

/* Mean with Neumaier's compensated sum; NAN for n = 0. */
double an_mean(const double *x, size_t n);
/* Sample variance (ddof = 1), two-pass with the compensating term; NAN for
 * n < 2. */
double an_var(const double *x, size_t n, double mean);

/* ---- bootstrap of the median (bootstrap.c) --------------------------------
 */

/*
 * The medians of b bootstrap resamples of sorted[0..n) drawn from stream r,
 * into out[0..b).  n up to AN_BOOT_COUNTING_MAX draws every resample (n
 * indices, counted, so no resample is sorted); above it each resample's
 * median is drawn from its exact distribution through Beta order
 * statistics (GSL), which costs O(1) per resample.  ERR_INTERNAL when a
 * GSL allocation fails.
 */
#define AN_BOOT_COUNTING_MAX 20000u
enum err an_boot_medians(struct an_rng *r, const double *sorted, size_t n,
                         unsigned b, double *out);

/* The two-sided 95% percentile interval of v[0..n) (reordered), NumPy's
 * linear percentiles 2.5 and 97.5 of the finite values. */
void an_pct_interval(double *v, size_t n, double ci[2]);

/* ---- shared steps
 * ------------------------------------------------------------ */

/* ERR_INVALID with "what: value i is not a finite number" for the first
 * non-finite x[i]. */
enum err an_check_finite(const double *x, size_t n, const char *what,
                         struct errbuf *eb);
/*
 * an_describe on sorted data s[0..n), n >= 1.  With opt->bootstrap > 0 the
 * median CI comes from the AN_TAG_DESCRIBE stream; medians (NULL or
 * opt->bootstrap doubles) receives the resampled medians, in draw order.
 */
enum err an_describe_sorted(const double *s, size_t n,
                            const struct an_options *opt, double *medians,
                            struct an_describe *out);
/* Mann-Whitney U on sorted samples (tests_nonparam.c). */
void an_mwu_sorted(const double *xs, size_t nx, const double *ys, size_t ny,
                   struct an_mwu *out);

/* ---- distributions ---------------------------------------------------------
 */

/* Two-sided p-value of a t statistic with df degrees of freedom. */
double an_t_two_sided(double t, double df);
/* The t quantile t_{1 - (1 - level)/2, df}; NAN when df <= 0. */
double an_t_crit(double level, double df);

#endif /* BV_ANALYSIS_INT_H */
