/*
 * analysis/changepoint.c: E-divisive means change points (Matteson & James
 * 2014, alpha = 1), in the Hunter/Otava form and in the original divisive
 * form with a permutation test.
 *
 * Design notes:
 * 1. The statistic and its normalisation.  For X (m points) and Y (k
 *    points):
 *        E = 2/(m k) S_xy - S_xx / C(m,2) - S_yy / C(k,2),  q = m k/(m+k) E
 *    where S_xy = sum |x_i - y_j| and S_xx = sum_{i<j} |x_i - x_j|.  This is
 *    the binomial normalisation of Matteson & James (their eq. 5; MongoDB's
 *    "proper division"): within-sample sums are divided by the number of
 *    pairs, not by m^2.  A side with one point has no pairs and its within
 *    term is 0.  an_edivisive_qhat gives q for kappa = n (MongoDB's form).
 * 2. The scan.  As in Otava and ecp's e.divisive, a segment [a, b) splits at
 *    the tau maximising q over tau AND kappa (X = [a, tau), Y = [tau, kappa),
 *    kappa <= b).  One table per window, W[a][b] = sum_{a<=i<j<b} |z_i - z_j|
 *    (O(L^2) to fill), gives every sum in O(1):
 *        S_xx = W[a][tau], S_yy = W[tau][kappa],
 *        S_xy = W[a][kappa] - S_xx - S_yy,
 *    so a whole segment costs O(L^2), not O(L^4).  A split needs q > 0 (with
 *    q <= 0 everywhere the empty split tau = a, q = 0, wins in Otava and
 *    stops the search).  Ties go to the first tau, then the first segment,
 *    as numpy's argmax and Python's max.
 * 2a. Minimum segment size.  The scan is not restricted to the tau with
 *    min_size points on each side (ecp's way): when the best tau of a
 *    segment is too close to one of its ends, the segment is not split at
 *    all (in this window).  A restricted scan moves the split: a step 3
 *    points inside a window's edge would be placed min_size points in, and
 *    accepted, since that split still separates the levels well; blocked,
 *    the step is found exactly by the next, half-overlapping window, where
 *    it lies inside.  With min_size 1 both ways are Otava's.
 * 3. Hunter/Otava (apache/otava analysis.py, compute_change_points):
 *    split: windows of w points from 0; each next window starts at
 *    max(last change point found in this one, start + w/2).  In a window,
 *    E-divisive keeps splitting while its best candidate passes a pooled
 *    two-sided Student t-test between the candidate's neighbouring split
 *    points, at a relaxed level p' (10p when p < 0.05, 2p when p < 0.5,
 *    else p).  The t-test is SciPy's ttest_ind_from_stats given population
 *    SDs (numpy's default): svar = ((n1-1) s1^2 + (n2-1) s2^2) / (n1+n2-2).
 *    merge: over the whole series at level p, repeatedly delete the weakest
 *    change point (the first largest p-value if that is >= p, else the first
 *    smallest magnitude if that is <= min_magnitude) and recompute BOTH
 *    neighbours.  Otava 0.8.0 recomputes the right neighbour and the one
 *    after it, so the left neighbour can survive on a p-value computed
 *    against the deleted point (otava_stale_merge reproduces that, for the
 *    reference tests only).
 * 4. Merge works on segment moments (n, mean, M2): each initial segment is
 *    summed once (two passes), a deletion merges two with Chan's formula, so
 *    it costs O(1) plus the O(k) search for the weakest point.
 * 5. Incremental (Otava's new_data/old_cp mode, made exact): a window that
 *    ended before the old end of the series saw the same points then as
 *    now, so it finds the same split points, and so does the walk up to the
 *    first window the old end cut short.  The state keeps the walk (window
 *    starts) and the weak change points; an update keeps those at or before
 *    that window's start, re-scans from there and merges again.  The result
 *    equals a full analysis; the re-scan is at most about 1.5 windows.
 * 6. Permutation (method permutation): the divisive procedure over the whole
 *    series; a candidate is kept when p = (1 + #{permutations whose best q
 *    >= observed}) / (R + 1) <= alpha, each permutation shuffling every
 *    current segment separately (ecp).  The loop stops early once p cannot
 *    reach alpha.  A splitmix64 stream from the seed drives Fisher-Yates,
 *    so a seed gives one answer on every platform.
 * 7. t-test edge cases: n1 + n2 <= 2 gives p = 1 (Otava); zero pooled
 *    variance gives p = 0 when the means differ and p = 1 when they are equal
 *    (SciPy's NaN, which never passes a test).  Magnitude with a zero mean is
 *    infinite, or 0 when both means are 0.
 * 8. The outlier filter (hunter, on by default, off for Otava's own
 *    results): performance histories have lone slow runs (a GC pause, a
 *    noisy neighbour) that both inflate a segment's SD, so the t-test misses
 *    real steps, and become E-divisive's best candidate in their window,
 *    whose failed test then ends the search there.  A Hampel filter replaces
 *    a point that lies more than t robust SDs from the median of its 7
 *    neighbours by that median.  A step survives it: a point next to a step
 *    has at least 4 of its 7 neighbours on its own side.  Runs of up to 3
 *    outliers go; a new level needs 4 points at the end of the series to be
 *    seen.  The scale is local (31 residuals) so that the filter of a point
 *    depends only on points within FILTER_REACH, which keeps note 5 exact.
 *    The figures behind it are in docs/changepoints.md.
 * 9. An ingest re-examines the tail of its series (4 windows): what a full
 *    analysis says about the newest points depends little on points 200
 *    runs back, and the cost stays flat as histories grow.  Re-examining on
 *    every run is a sequential test: a noisy run at the end can make a
 *    change point that the next run takes away.  Counting only change
 *    points that the last AN_CPD_CONFIRM examinations all found (stateless:
 *    the shorter prefixes are analysed again) cuts those false alerts by
 *    about half for a delay of two runs (docs/changepoints.md).
 * 10. Steps (method steps, the default).  Hunter's procedure answers "is
 *    there a shift?" and so cuts a smooth trend into a staircase, and its
 *    magnitude is relative to one side (-5% reads 5.26%, +5% 5.00%).  Steps
 *    keeps Hunter's window walk (notes 2, 2a, 3, 5, 8), on log values when
 *    every value is > 0, and replaces the merge's test:
 *    a. A change point between segments L and R is tested net of a drift
 *       they share: z = a + b t + s [t in R] by least squares over L u R
 *       (two means and one common slope); s is the step, its p-value the
 *       t-test of s = 0 (n - 3 degrees of freedom).  A trend cut in two has
 *       s near 0 and goes; a step on a trend stays.
 *    b. The standard error is inflated by (1 + rho) / (1 - rho), rho the
 *       lag-1 autocorrelation of the residuals from the segments' lines
 *       (clipped to [0, 0.9]), because a t-test on serially correlated
 *       points is far too confident.  Runs of a benchmark are close to
 *       independent (rho ~ 0, no change); economic or physical series are
 *       not.  rho is measured on the segments the merge leaves: the merge
 *       runs again while that makes it grow.
 *    c. The size is a log ratio, the same up and down; the floor (the
 *       magnitude parameter) removes a step only when the upper 99% bound
 *       of its size is below log(1 + magnitude), so a step of exactly the
 *       floor is kept (a point estimate would drop half of them).  The size
 *       is the drift-adjusted s where one of the two segments drifts (both
 *       of its halves slope the same way, significantly at p), else the
 *       difference of the means (half the error): a staircase of steps,
 *       once one step is gone, must not make its neighbours read as drift.
 *    d. Values <= 0 anywhere: the walk and the tests run on the values, and
 *       sizes are relative to the larger absolute segment mean.
 *    The result carries step (s) and drift (b) additively in struct an_cp.
 * 11. Prefix sums (struct an_cpd_prefix) of z, z^2, t z, the lag-1 products
 *    and of the values y and y^2 give every segment's moments, residual
 *    autocorrelation and reported mean and SD in O(1); the incremental
 *    state keeps them and extends them from the first point that changed,
 *    so an update of the steps method costs what Hunter's does.
 */
#include "analysis/analysis.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PERMUTATIONS 100000u

/* The methods that walk Hunter's windows (notes 3 and 10). */
static bool windowed(enum an_cpd_method m)
{
    return m == AN_CPD_HUNTER || m == AN_CPD_STEPS;
}

void an_cpd_params_default(struct an_cpd_params *p, enum an_cpd_method m)
{
    memset(p, 0, sizeof *p);
    p->method = m;
    p->window = AN_CPD_WINDOW;
    p->max_pvalue = windowed(m) ? AN_CPD_PVALUE : AN_CPD_PERM_PVALUE;
    p->min_magnitude = windowed(m) ? AN_CPD_MAGNITUDE : 0.0;
    p->min_size = AN_CPD_MIN_SIZE;
    p->outlier_filter = windowed(m) ? AN_CPD_OUTLIER_FILTER : 0.0;
    p->permutations = AN_CPD_PERMUTATIONS;
    p->seed = 1;
}

enum err an_cpd_params_check(const struct an_cpd_params *p, struct errbuf *eb)
{
    if (p->method != AN_CPD_HUNTER && p->method != AN_CPD_PERMUTATION &&
        p->method != AN_CPD_TTEST && p->method != AN_CPD_STEPS) {
        err_set(eb, "unknown change-point method");
        return ERR_INVALID;
    }
    if (p->window < 2 || p->window > AN_CPD_MAX_WINDOW) {
        err_set(eb, "window must be in [2, %d], got %zu", AN_CPD_MAX_WINDOW,
                p->window);
        return ERR_INVALID;
    }
    if (!(p->max_pvalue > 0.0 && p->max_pvalue <= 1.0)) {
        err_set(eb, "p must be in (0, 1], got %g", p->max_pvalue);
        return ERR_INVALID;
    }
    if (!(p->min_magnitude >= 0.0) || !isfinite(p->min_magnitude)) {
        err_set(eb, "magnitude must be a finite number >= 0, got %g",
                p->min_magnitude);
        return ERR_INVALID;
    }
    if (p->min_size < 1 || p->min_size > AN_CPD_MAX_WINDOW / 2) {
        err_set(eb, "min-size must be in [1, %d], got %zu",
                AN_CPD_MAX_WINDOW / 2, p->min_size);
        return ERR_INVALID;
    }
    if (!(p->outlier_filter >= 0.0) || !isfinite(p->outlier_filter)) {
        err_set(eb,
                "outlier filter must be a finite number >= 0 (0: off), "
                "got %g",
                p->outlier_filter);
        return ERR_INVALID;
    }
    if (p->method == AN_CPD_PERMUTATION &&
        (p->permutations < 1 || p->permutations > MAX_PERMUTATIONS)) {
        err_set(eb, "permutations must be in [1, %u], got %u", MAX_PERMUTATIONS,
                p->permutations);
        return ERR_INVALID;
    }
    return ERR_OK;
}

/* ---- moments and the t-test (note 7) ------------------------------------ */

struct moments {
    double n, mean, m2; /* m2: sum of squared deviations */
};

static void moments_of(const double *x, size_t n, struct moments *m)
{
    double s = 0.0, d2 = 0.0;

    for (size_t i = 0; i < n; i++)
        s += x[i];
    m->n = (double)n;
    m->mean = n ? s / (double)n : 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - m->mean;

        d2 += d * d;
    }
    m->m2 = d2;
}

/* Chan, Golub & LeVeque: the moments of the union of two segments. */
static struct moments moments_merge(const struct moments *a,
                                    const struct moments *b)
{
    struct moments r;
    double n = a->n + b->n, d = b->mean - a->mean;

    r.n = n;
    if (n == 0.0) {
        r.mean = r.m2 = 0.0;
        return r;
    }
    r.mean = a->mean + d * (b->n / n);
    r.m2 = a->m2 + b->m2 + d * d * (a->n * b->n / n);
    return r;
}

static double magnitude(double m1, double m2)
{
    if (m1 == 0.0 && m2 == 0.0)
        return 0.0;
    if (m1 == 0.0 || m2 == 0.0)
        return INFINITY;
    return fmax(fabs(m2 / m1 - 1.0), fabs(m1 / m2 - 1.0));
}

/* Two-sided pooled Student t-test on population SDs (note 3). */
static double ttest_p(const struct moments *l, const struct moments *r)
{
    double df = l->n + r->n - 2.0, v1, v2, svar, den, t;

    if (l->n + r->n <= 2.0)
        return 1.0;
    v1 = l->m2 / l->n; /* population variances, as numpy's std gives */
    v2 = r->m2 / r->n;
    svar = ((l->n - 1.0) * v1 + (r->n - 1.0) * v2) / df;
    den = sqrt(svar * (1.0 / l->n + 1.0 / r->n));
    if (!(den > 0.0))
        return l->mean == r->mean ? 1.0 : 0.0;
    t = (l->mean - r->mean) / den;
    if (!isfinite(t))
        return isnan(t) ? 1.0 : 0.0;
    return fmin(1.0, 2.0 * gsl_cdf_tdist_Q(fabs(t), df));
}

static void cp_fill(struct an_cp *c, size_t index, const struct moments *l,
                    const struct moments *r, double p)
{
    c->index = index;
    c->p_value = p;
    c->before_mean = l->mean;
    c->after_mean = r->mean;
    c->before_sd = l->n > 0 ? sqrt(l->m2 / l->n) : 0.0;
    c->after_sd = r->n > 0 ? sqrt(r->m2 / r->n) : 0.0;
    c->before_n = (size_t)l->n;
    c->after_n = (size_t)r->n;
    c->change = l->mean != 0.0 ? r->mean / l->mean - 1.0 : NAN;
    c->magnitude = magnitude(l->mean, r->mean);
    c->step = NAN;
    c->drift = NAN;
}

/* ---- the q-hat table of one window (note 2) ----------------------------- */

struct table {
    size_t cap;    /* most points a window may hold */
    size_t stride; /* cap + 1 */
    double *w;     /* owns: W[a * stride + b] */
    double *c2;    /* owns: 2 / (k (k-1)), 0 for k < 2 */
    double *inv;   /* owns: 1 / j, inv[0] unused */
};

static void table_init(struct table *t, size_t cap)
{
    t->cap = cap;
    t->stride = cap + 1;
    t->w = xreallocarray(NULL, t->stride * t->stride, sizeof *t->w);
    t->c2 = xreallocarray(NULL, cap + 1, sizeof *t->c2);
    t->inv = xreallocarray(NULL, 2 * cap + 1, sizeof *t->inv);
    for (size_t k = 0; k <= cap; k++)
        t->c2[k] = k < 2 ? 0.0 : 2.0 / ((double)k * (double)(k - 1));
    t->inv[0] = 0.0;
    for (size_t j = 1; j <= 2 * cap; j++)
        t->inv[j] = 1.0 / (double)j;
}

static void table_cleanup(struct table *t)
{
    free(t->w);
    free(t->c2);
    free(t->inv);
    memset(t, 0, sizeof *t);
}

/* Fills W for z[0..len): column b from column b-1 and one running sum. */
static void table_fill(struct table *t, const double *z, size_t len)
{
    size_t st = t->stride;
    double *w = t->w;

    assert(len <= t->cap);
    w[0] = 0.0;
    for (size_t b = 1; b <= len; b++) {
        size_t k = b - 1;
        double s = 0.0;

        w[b * st + b] = 0.0;
        w[k * st + b] = 0.0;
        for (size_t a = k; a-- > 0;) {
            s += fabs(z[k] - z[a]);
            w[a * st + b] = w[a * st + b - 1] + s;
        }
    }
}

struct cand {
    size_t tau;
    double q;
    bool ok;
};

/*
 * The best split of [a, b) over tau and kappa (note 2), or none when it
 * would leave fewer than ms points on a side of tau (note 2a).
 */
static struct cand best_split(const struct table *t, size_t a, size_t b,
                              size_t ms)
{
    struct cand c = {0, 0.0, false};
    size_t st = t->stride;
    const double *rowa = t->w + a * st;

    for (size_t tau = a + 1; tau < b; tau++) {
        size_t m = tau - a;
        double dm = (double)m;
        double xt = rowa[tau], xr = t->c2[m] * xt;
        const double *rowt = t->w + tau * st;

        for (size_t kappa = tau + 1; kappa <= b; kappa++) {
            size_t k = kappa - tau;
            double yt = rowt[kappa];
            double cross = rowa[kappa] - xt - yt;
            double q = (2.0 * cross - dm * (double)k * (xr + t->c2[k] * yt)) *
                       t->inv[m + k];

            if (q > c.q) {
                c.q = q;
                c.tau = tau;
                c.ok = true;
            }
        }
    }
    if (c.ok && (c.tau - a < ms || b - c.tau < ms))
        c.ok = false;
    return c;
}

/* ---- divisive E-divisive inside one window ------------------------------ */

/* Split points of one window, sorted, and each segment's best candidate. */
struct segs {
    size_t *end;       /* owns: n + 1 sorted split points, 0 .. len */
    struct cand *cand; /* owns: cand[i] for segment [end[i], end[i+1]) */
    size_t n;          /* segments */
    size_t cap;
};

static void segs_reset(struct segs *s, size_t cap, size_t len)
{
    if (s->cap < cap + 1) {
        s->end = xreallocarray(s->end, cap + 1, sizeof *s->end);
        s->cand = xreallocarray(s->cand, cap + 1, sizeof *s->cand);
        s->cap = cap + 1;
    }
    s->end[0] = 0;
    s->end[1] = len;
    s->n = 1;
}

static void segs_cleanup(struct segs *s)
{
    free(s->end);
    free(s->cand);
    memset(s, 0, sizeof *s);
}

/* The segment holding the best candidate, or -1 (note 2: first on ties). */
static long segs_best(const struct segs *s)
{
    long bi = -1;

    for (size_t i = 0; i < s->n; i++)
        if (s->cand[i].ok && (bi < 0 || s->cand[i].q > s->cand[bi].q))
            bi = (long)i;
    return bi;
}

/* Splits segment i at tau and finds the two new segments' candidates. */
static void segs_split(struct segs *s, const struct table *t, size_t i,
                       size_t tau, size_t ms)
{
    assert(s->n + 1 < s->cap);
    memmove(&s->end[i + 2], &s->end[i + 1], (s->n - i) * sizeof *s->end);
    memmove(&s->cand[i + 2], &s->cand[i + 1], (s->n - i - 1) * sizeof *s->cand);
    s->end[i + 1] = tau;
    s->n++;
    s->cand[i] = best_split(t, s->end[i], tau, ms);
    s->cand[i + 1] = best_split(t, tau, s->end[i + 2], ms);
}

/*
 * E-divisive with the t-test on z[0..len) (note 3): appends the split
 * points found, sorted, to *out (grown as needed).
 */
static void divisive_ttest(struct table *t, struct segs *sg, const double *z,
                           size_t len, size_t ms, double pv, size_t **out,
                           size_t *nout, size_t *capout)
{
    size_t first = *nout;

    table_fill(t, z, len);
    segs_reset(sg, len, len);
    sg->cand[0] = best_split(t, 0, len, ms);
    for (;;) {
        long i = segs_best(sg);
        struct moments l, r;
        size_t a, b, tau;

        if (i < 0)
            break;
        a = sg->end[i];
        b = sg->end[i + 1];
        tau = sg->cand[i].tau;
        moments_of(z + a, tau - a, &l);
        moments_of(z + tau, b - tau, &r);
        if (!(ttest_p(&l, &r) <= pv))
            break;
        segs_split(sg, t, (size_t)i, tau, ms);
        if (*nout == *capout) {
            *capout = *capout ? 2 * *capout : 64;
            *out = xreallocarray(*out, *capout, sizeof **out);
        }
        (*out)[(*nout)++] = tau;
    }
    /* Insertion sort of this window's few points. */
    for (size_t i = first + 1; i < *nout; i++) {
        size_t v = (*out)[i], j = i;

        while (j > first && (*out)[j - 1] > v) {
            (*out)[j] = (*out)[j - 1];
            j--;
        }
        (*out)[j] = v;
    }
}

/* ---- the outlier filter (note 8) ---------------------------------------- */

#define FILTER_HALF 3 /* the median of 7 points */
#define SCALE_HALF 15 /* the robust scale of 31 residuals */
/* A filtered value depends on the points this far on either side. */
#define FILTER_REACH (FILTER_HALF + SCALE_HALF + 1)

/* The window of 2h+1 points around i, shifted inside [0, n). */
static void around(size_t i, size_t n, size_t h, size_t *a, size_t *len)
{
    size_t l = 2 * h + 1;

    if (n <= l) {
        *a = 0;
        *len = n;
    } else {
        *len = l;
        *a = i < h ? 0 : (i + h >= n ? n - l : i - h);
    }
}

/* Median of v[0..n) (n <= 2 SCALE_HALF + 1), sorting v in place. */
static double median_small(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double t = v[i];
        size_t j = i;

        while (j > 0 && v[j - 1] > t) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
    }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/*
 * y[i] for i in [from, n): x[i], or the median of its 7 neighbours when x[i]
 * is further from it than t robust SDs (1.4826 MAD of the residuals of the
 * 31 points around i).  A scale of 0 (most residuals exactly 0, as with
 * coarse integer data) filters nothing.
 */
static void filter_outliers(const double *x, size_t n, size_t from, double t,
                            double *y)
{
    double w[2 * SCALE_HALF + 1], *med, *res;
    size_t lo, a, len;

    if (from >= n)
        return;
    lo = from > SCALE_HALF ? from - SCALE_HALF : 0;
    if (n > 2 * SCALE_HALF + 1 && n - (2 * SCALE_HALF + 1) < lo)
        lo = n - (2 * SCALE_HALF + 1);
    med = xreallocarray(NULL, n - lo, sizeof *med);
    res = xreallocarray(NULL, n - lo, sizeof *res);
    for (size_t i = lo; i < n; i++) {
        around(i, n, FILTER_HALF, &a, &len);
        memcpy(w, x + a, len * sizeof *w);
        med[i - lo] = median_small(w, len);
        res[i - lo] = fabs(x[i] - med[i - lo]);
    }
    for (size_t i = from; i < n; i++) {
        double r = res[i - lo], thr = r / (1.4826 * t);
        size_t below = 0, zero = 0;
        bool out;

        y[i] = x[i];
        if (r == 0.0)
            continue;
        around(i, n, SCALE_HALF, &a, &len);
        assert(a >= lo);
        if (len % 2 == 0) {
            double scale;

            memcpy(w, res + (a - lo), len * sizeof *w);
            scale = 1.4826 * median_small(w, len);
            out = scale > 0.0 && r > t * scale;
        } else {
            /* r > t * 1.4826 * median and median > 0, without sorting:
             * the median of an odd count is below thr when more than half
             * of the values are. */
            for (size_t j = a - lo; j < a - lo + len; j++) {
                below += res[j] < thr;
                zero += res[j] == 0.0;
            }
            out = below > len / 2 && zero <= len / 2;
        }
        if (out)
            y[i] = med[i - lo];
    }
    free(med);
    free(res);
}

/* ---- Hunter/Otava: split, merge, incremental (notes 3-5) --------------- */

static double split_pvalue(double p)
{
    if (p < 0.05)
        return p * 10.0;
    if (p < 0.5)
        return p * 2.0;
    return p;
}

struct idx_list {
    size_t *v; /* owns */
    size_t n, cap;
};

static void idx_push(struct idx_list *l, size_t v)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
    }
    l->v[l->n++] = v;
}

/*
 * The window walk from start to n: appends split points to weak and each
 * window start, then the start that ended the walk, to starts.
 */
static void split_walk(const double *x, size_t n, size_t start, size_t w,
                       size_t ms, double pv, struct idx_list *weak,
                       struct idx_list *starts)
{
    size_t step = w / 2;
    struct table t;
    struct segs sg = {0};
    size_t *pts = NULL, npts = 0, cappts = 0;

    table_init(&t, w);
    while (start < n) {
        size_t end = start + w < n ? start + w : n, last = 0;

        idx_push(starts, start);
        npts = 0;
        divisive_ttest(&t, &sg, x + start, end - start, ms, pv, &pts, &npts,
                       &cappts);
        for (size_t i = 0; i < npts; i++)
            idx_push(weak, pts[i] + start);
        if (npts)
            last = pts[npts - 1] + start;
        start = last > start + step ? last : start + step;
    }
    idx_push(starts, start);
    free(pts);
    segs_cleanup(&sg);
    table_cleanup(&t);
}

/* Change-point statistics of the merge (note 4). */
struct mcp {
    size_t index;
    double p, mag;
};

static void mcp_compute(struct mcp *c, const struct moments *l,
                        const struct moments *r)
{
    c->p = ttest_p(l, r);
    c->mag = magnitude(l->mean, r->mean);
}

/*
 * Merges the weak split points of x[0..n) (sorted, distinct, in (0, n)) at
 * level pv and magnitude mm; *out as an_changepoints.
 */
static void merge(const double *x, size_t n, const size_t *weak, size_t k,
                  double pv, double mm, bool stale, struct an_cp **out,
                  size_t *nout)
{
    struct moments *seg;
    struct mcp *cp;

    *out = NULL;
    *nout = 0;
    if (k == 0)
        return; /* nothing to merge (n may be 0: an empty series) */
    seg = xreallocarray(NULL, k + 1, sizeof *seg);
    cp = xreallocarray(NULL, k, sizeof *cp);
    for (size_t i = 0; i <= k; i++) {
        size_t a = i ? weak[i - 1] : 0, b = i < k ? weak[i] : n;

        assert(a < b);
        moments_of(x + a, b - a, &seg[i]);
    }
    for (size_t i = 0; i < k; i++) {
        cp[i].index = weak[i];
        mcp_compute(&cp[i], &seg[i], &seg[i + 1]);
    }
    while (k > 0) {
        size_t wi = 0;

        for (size_t i = 1; i < k; i++)
            if (cp[i].p > cp[wi].p)
                wi = i;
        if (cp[wi].p < pv) {
            wi = 0;
            for (size_t i = 1; i < k; i++)
                if (cp[i].mag < cp[wi].mag)
                    wi = i;
            if (cp[wi].mag > mm)
                break;
        }
        /* Delete cp[wi]: its two segments become one. */
        seg[wi] = moments_merge(&seg[wi], &seg[wi + 1]);
        memmove(&seg[wi + 1], &seg[wi + 2], (k - wi - 1) * sizeof *seg);
        memmove(&cp[wi], &cp[wi + 1], (k - wi - 1) * sizeof *cp);
        k--;
        if (!stale && wi > 0)
            mcp_compute(&cp[wi - 1], &seg[wi - 1], &seg[wi]);
        if (wi < k)
            mcp_compute(&cp[wi], &seg[wi], &seg[wi + 1]);
    }
    *out = NULL;
    *nout = k;
    if (k) {
        *out = xreallocarray(NULL, k, sizeof **out);
        for (size_t i = 0; i < k; i++) {
            double p = ttest_p(&seg[i], &seg[i + 1]);

            /* A stale p-value (otava_stale_merge) is what Otava reports. */
            cp_fill(&(*out)[i], cp[i].index, &seg[i], &seg[i + 1],
                    stale ? cp[i].p : p);
        }
    }
    free(seg);
    free(cp);
}

/* ---- steps: a step must beat a drift (note 10) -------------------------- */

/* The moments of the points (t, z[t]) of one segment; two segments merge
 * exactly (Chan's formula for co-moments). */
struct rmom {
    double n, mt, mz;     /* count, mean index, mean value */
    double stt, szz, stz; /* sums of squared and cross deviations */
};

static struct rmom rmom_merge(const struct rmom *a, const struct rmom *b)
{
    struct rmom r;
    double n = a->n + b->n, w = a->n * b->n / n;
    double dt = b->mt - a->mt, dz = b->mz - a->mz;

    r.n = n;
    r.mt = a->mt + dt * (b->n / n);
    r.mz = a->mz + dz * (b->n / n);
    r.stt = a->stt + b->stt + dt * dt * w;
    r.szz = a->szz + b->szz + dz * dz * w;
    r.stz = a->stz + b->stz + dt * dz * w;
    return r;
}

/*
 * Prefix sums (note 11): entry i holds the sums over j < i of d_j = z_j - z0,
 * d_j^2, j d_j, d_{j-1} d_j (j >= 1), e_j = y_j - y0 and e_j^2, where z0 and
 * y0 are the first values.  The moments of any range, the lag-1
 * autocorrelation of a segment and its values' mean and SD then cost O(1),
 * and an update only extends them.  The shifts keep the differences exact
 * enough for values far from 0 with little noise.
 */
struct an_cpd_prefix {
    double s1, s2, st, sdd, y1, y2;
};

/* Extends pre (n + 1 entries, entries 0..from valid) over z and y. */
static void prefix_extend(struct an_cpd_prefix *pre, const double *z,
                          const double *y, size_t n, size_t from)
{
    double z0 = n ? z[0] : 0.0, y0 = n ? y[0] : 0.0;

    if (from == 0)
        memset(&pre[0], 0, sizeof *pre);
    for (size_t i = from; i < n; i++) {
        double d = z[i] - z0, e = y[i] - y0;
        struct an_cpd_prefix *q = &pre[i + 1];
        const struct an_cpd_prefix *o = &pre[i];

        q->s1 = o->s1 + d;
        q->s2 = o->s2 + d * d;
        q->st = o->st + (double)i * d;
        q->sdd = o->sdd + (i ? (z[i - 1] - z0) * d : 0.0);
        q->y1 = o->y1 + e;
        q->y2 = o->y2 + e * e;
    }
}

/* What the steps merge reads: the series and its prefix sums. */
struct pview {
    const struct an_cpd_prefix *p;
    double z0, y0;
};

static void rmom_range(const struct pview *v, size_t a, size_t b,
                       struct rmom *m)
{
    const struct an_cpd_prefix *p = v->p;
    double n = (double)(b - a), s1 = p[b].s1 - p[a].s1;
    double md = s1 / n;

    assert(a < b);
    m->n = n;
    m->mt = 0.5 * ((double)a + (double)(b - 1));
    m->mz = v->z0 + md;
    m->stt = n * (n * n - 1.0) / 12.0;
    m->szz = fmax(0.0, (p[b].s2 - p[a].s2) - s1 * md);
    m->stz = (p[b].st - p[a].st) - m->mt * s1;
}

/* The moments of the values y[a..b) (for the report). */
static void ymom_range(const struct pview *v, size_t a, size_t b,
                       struct moments *m)
{
    const struct an_cpd_prefix *p = v->p;
    double n = (double)(b - a), s1 = p[b].y1 - p[a].y1;

    assert(a < b);
    m->n = n;
    m->mean = v->y0 + s1 / n;
    m->m2 = fmax(0.0, (p[b].y2 - p[a].y2) - s1 * (s1 / n));
}

/*
 * The sums of the lag-1 products and of the squares of the residuals of
 * z[a..b) from its line m (note 11: in O(1) from the prefix sums).
 */
static void lag1_range(const struct pview *v, size_t a, size_t b,
                       const struct rmom *m, double *num, double *den)
{
    const struct an_cpd_prefix *p = v->p;
    double beta = m->stt > 0.0 ? m->stz / m->stt : 0.0;
    double md = m->mz - v->z0, h = 0.5 * (m->n - 1.0);
    double la, lb, lc, le;

    *den = fmax(0.0, m->szz - beta * m->stz);
    *num = 0.0;
    if (b - a < 2)
        return;
    /* sum over t in [a, b-1) of e_t e_{t+1}, e_t = d_t - md - beta u_t,
     * u_t = t - mt: the sum of u_t + u_{t+1} is 0. */
    la = p[b].sdd - p[a + 1].sdd;
    lb = (p[b - 1].s1 - p[a].s1) + (p[b].s1 - p[a + 1].s1);
    lc = (p[b - 1].st - p[a].st) + (1.0 - m->mt) * (p[b - 1].s1 - p[a].s1) +
         (p[b].st - p[a + 1].st) - (1.0 + m->mt) * (p[b].s1 - p[a + 1].s1);
    le = m->stt - h * h - h;
    *num = la - md * lb - beta * lc + md * md * (m->n - 1.0) + beta * beta * le;
}

/* The sign of the slope of m when it is significant at pv, else 0.  zc:
 * the normal quantile of pv / 2; a t below it is not significant for any
 * degrees of freedom, and costs no t distribution. */
static int slope_sign(const struct rmom *m, double vif, double pv, double zc)
{
    double b, rss, df = m->n - 2.0, t;

    if (!(df >= 1.0) || !(m->stt > 0.0))
        return 0;
    b = m->stz / m->stt;
    rss = m->szz - b * m->stz;
    if (b == 0.0)
        return 0;
    if (rss > 0.0) {
        t = fabs(b) / sqrt(rss / df / m->stt * vif);
        if (t < zc || 2.0 * gsl_cdf_tdist_Q(t, df) > pv)
            return 0;
    }
    return b > 0.0 ? 1 : -1;
}

/*
 * Whether z[a..b) drifts: both of its halves slope the same way, each
 * significantly at pv.  A segment that holds a step slopes as a whole but
 * not in both halves; a drift does.
 */
static bool drifts(const struct pview *p, size_t a, size_t b, double vif,
                   double pv, double zc)
{
    struct rmom h1, h2;
    size_t mid = a + (b - a) / 2;
    int s1;

    if (b - a < 6)
        return false;
    rmom_range(p, a, mid, &h1);
    rmom_range(p, mid, b, &h2);
    s1 = slope_sign(&h1, vif, pv, zc);
    return s1 != 0 && s1 == slope_sign(&h2, vif, pv, zc);
}

/* A change point of the steps merge. */
struct scp {
    size_t index;
    double p;     /* two-sided p of the step, net of the common drift */
    double size;  /* upper 99% bound of |step| (the floor's scale) */
    double step;  /* the step */
    double drift; /* the common drift per point */
};

#define STEP_Z 2.3263478740408408 /* one-sided 99% normal quantile */

/* What step_test needs besides the two segments. */
struct step_ctx {
    const struct pview *pre;
    bool logs;  /* z is log values */
    double vif; /* variance inflation (inflation()) */
    double pv;  /* significance level */
    double zc;  /* the normal quantile of pv / 2 */
};

/*
 * The step between segments l = z[a..c) and r = z[c..b) net of a drift
 * they share (note 10): z = a + b t + s [t >= c] fitted over both by least
 * squares; s is the step, its p-value the t-test of s = 0 with n - 3
 * degrees of freedom (the SE inflated by vif).  Its size for the floor is
 * the upper 99% bound of |s| where one of the segments drifts (drifts()),
 * else of the difference of the means, whose error is half as large: a
 * staircase of steps must not lose its steps to a drift that its flat
 * segments do not have.  logs: the size is a log ratio; otherwise relative
 * to the larger absolute segment mean.
 */
static void step_test(struct scp *c, const struct rmom *l, const struct rmom *r,
                      size_t a, size_t b, const struct step_ctx *x)
{
    double stt = l->stt + r->stt, stz = l->stz + r->stz;
    double beta = stt > 0.0 ? stz / stt : 0.0;
    double dt = r->mt - l->mt;
    double jump = (r->mz - l->mz) - beta * dt;
    double df = l->n + r->n - (stt > 0.0 ? 3.0 : 2.0);
    double rss = l->szz + r->szz - beta * stz;
    double v = 1.0 / l->n + 1.0 / r->n + (stt > 0.0 ? dt * dt / stt : 0.0);
    double se, size, scale;

    c->step = jump;
    c->drift = beta;
    if (!(df >= 1.0)) {
        c->p = 1.0;
        c->size = 0.0;
        return;
    }
    se = rss > 0.0 ? sqrt(rss / df * v * x->vif) : 0.0;
    if (!(se > 0.0))
        c->p = jump == 0.0 ? 1.0 : 0.0;
    else
        c->p = fmin(1.0, 2.0 * gsl_cdf_tdist_Q(fabs(jump) / se, df));
    size = fabs(jump) + STEP_Z * se;
    if (!drifts(x->pre, a, c->index, x->vif, x->pv, x->zc) &&
        !drifts(x->pre, c->index, b, x->vif, x->pv, x->zc)) {
        rss = l->szz + r->szz;
        se = sqrt(fmax(0.0, rss) / (l->n + r->n - 2.0) *
                  (1.0 / l->n + 1.0 / r->n) * x->vif);
        size = fabs(r->mz - l->mz) + STEP_Z * se;
    }
    if (!x->logs) {
        scale = fmax(fabs(l->mz), fabs(r->mz));
        size = scale > 0.0 ? size / scale : INFINITY;
    }
    c->size = size;
}

/*
 * The variance inflation of a mean of serially correlated points,
 * (1 + rho) / (1 - rho), rho the lag-1 autocorrelation of the residuals
 * from the lines of the weak segments (clipped to [0, 0.9]): 1 for
 * independent runs, more for a series whose points follow each other.
 */
static double inflation(const struct pview *v, size_t n, const size_t *weak,
                        size_t k, const struct rmom *seg)
{
    double num = 0.0, den = 0.0, rho;

    for (size_t i = 0; i <= k; i++) {
        double nu, de;

        lag1_range(v, i ? weak[i - 1] : 0, i < k ? weak[i] : n, &seg[i], &nu,
                   &de);
        num += nu;
        den += de;
    }
    rho = den > 0.0 ? num / den : 0.0;
    rho = fmin(fmax(rho, 0.0), 0.9);
    return (1.0 + rho) / (1.0 - rho);
}

/* Segment i's bounds among k change points of a series of n points. */
static size_t seg_start(const struct scp *cp, size_t i)
{
    return i ? cp[i - 1].index : 0;
}

static size_t seg_end(const struct scp *cp, size_t k, size_t n, size_t i)
{
    return i < k ? cp[i].index : n;
}

/*
 * The merge of the steps method over the weak split points of z[0..n)
 * (sorted, distinct, in (0, n)): repeatedly deletes the change point with
 * the largest p-value while it is >= pv, then the one whose step is
 * smallest while even its upper bound is below the floor, recomputing both
 * neighbours.  Means are reported from y (the values, filtered).
 */
/* One merge pass with x (note 10); returns the change points left. */
static size_t merge_pass(const struct step_ctx *x, size_t n, const size_t *weak,
                         size_t k, double least, struct rmom *seg,
                         struct scp *cp)
{
    for (size_t i = 0; i <= k; i++)
        rmom_range(x->pre, i ? weak[i - 1] : 0, i < k ? weak[i] : n, &seg[i]);
    for (size_t i = 0; i < k; i++)
        cp[i].index = weak[i];
    for (size_t i = 0; i < k; i++)
        step_test(&cp[i], &seg[i], &seg[i + 1], seg_start(cp, i),
                  seg_end(cp, k, n, i + 1), x);
    while (k > 0) {
        size_t wi = 0;

        for (size_t i = 1; i < k; i++)
            if (cp[i].p > cp[wi].p)
                wi = i;
        if (cp[wi].p < x->pv) {
            wi = 0;
            for (size_t i = 1; i < k; i++)
                if (cp[i].size < cp[wi].size)
                    wi = i;
            if (!(cp[wi].size < least))
                break;
        }
        seg[wi] = rmom_merge(&seg[wi], &seg[wi + 1]);
        memmove(&seg[wi + 1], &seg[wi + 2], (k - wi - 1) * sizeof *seg);
        memmove(&cp[wi], &cp[wi + 1], (k - wi - 1) * sizeof *cp);
        k--;
        if (wi > 0)
            step_test(&cp[wi - 1], &seg[wi - 1], &seg[wi],
                      seg_start(cp, wi - 1), seg_end(cp, k, n, wi), x);
        if (wi < k)
            step_test(&cp[wi], &seg[wi], &seg[wi + 1], seg_start(cp, wi),
                      seg_end(cp, k, n, wi + 1), x);
    }
    return k;
}

#define VIF_ROUNDS 4
#define VIF_GROWTH 1.05 /* less growth than this changes little */

/*
 * The merge of the steps method over the weak split points of z[0..n)
 * (sorted, distinct, in (0, n)): repeatedly deletes the change point with
 * the largest p-value while it is >= pv, then the one whose step is
 * smallest while even its upper bound is below the floor, recomputing both
 * neighbours.  The variance inflation is that of the residuals of the
 * segments the merge leaves: it starts from the weak segments' and the
 * merge runs again while the segments left show more (at most VIF_ROUNDS
 * times; fewer segments, more autocorrelation, so it only grows).  Means
 * are reported from y (the values, filtered).
 */
static void merge_steps(const struct pview *pre, bool logs, size_t n,
                        const size_t *weak, size_t k0, double pv, double mm,
                        struct an_cp **out, size_t *nout)
{
    struct rmom *seg = xreallocarray(NULL, k0 + 1, sizeof *seg);
    struct scp *cp = xreallocarray(NULL, k0 ? k0 : 1, sizeof *cp);
    size_t *left = xreallocarray(NULL, k0 ? k0 : 1, sizeof *left);
    double least = logs ? log1p(mm) : mm;
    struct step_ctx x;
    size_t k = 0;

    *out = NULL;
    *nout = 0;
    if (k0 == 0) {
        free(seg);
        free(cp);
        free(left);
        return; /* nothing to merge (n may be 0) */
    }
    x.pre = pre;
    x.logs = logs;
    x.pv = pv;
    x.zc = gsl_cdf_ugaussian_Qinv(0.5 * pv);
    for (size_t i = 0; i <= k0; i++)
        rmom_range(pre, i ? weak[i - 1] : 0, i < k0 ? weak[i] : n, &seg[i]);
    x.vif = inflation(pre, n, weak, k0, seg);
    for (int round = 0; round < VIF_ROUNDS; round++) {
        double vif;

        k = merge_pass(&x, n, weak, k0, least, seg, cp);
        for (size_t i = 0; i < k; i++)
            left[i] = cp[i].index;
        vif = inflation(pre, n, left, k, seg);
        if (!(vif > x.vif * VIF_GROWTH))
            break;
        x.vif = vif;
        if (round + 1 == VIF_ROUNDS)
            k = merge_pass(&x, n, weak, k0, least, seg, cp);
    }
    free(left);
    *out = NULL;
    *nout = k;
    if (k) {
        struct moments l, r;

        *out = xreallocarray(NULL, k, sizeof **out);
        ymom_range(pre, 0, cp[0].index, &l);
        for (size_t i = 0; i < k; i++) {
            size_t e = i + 1 < k ? cp[i + 1].index : n;
            struct an_cp *o = &(*out)[i];

            ymom_range(pre, cp[i].index, e, &r);
            cp_fill(o, cp[i].index, &l, &r, cp[i].p);
            o->step = cp[i].step;
            o->drift = cp[i].drift;
            if (logs) {
                o->magnitude = expm1(fabs(cp[i].step));
            } else {
                double scale = fmax(fabs(seg[i].mz), fabs(seg[i + 1].mz));

                o->magnitude =
                    scale > 0.0 ? fabs(cp[i].step) / scale : INFINITY;
            }
            l = r;
        }
    }
    free(seg);
    free(cp);
}

void an_cpd_state_init(struct an_cpd_state *s)
{
    memset(s, 0, sizeof *s);
}

void an_cpd_state_cleanup(struct an_cpd_state *s)
{
    if (!s)
        return;
    free(s->weak);
    free(s->starts);
    free(s->y);
    free(s->z);
    free(s->pre);
    memset(s, 0, sizeof *s);
}

static enum err check_values(const double *x, size_t n, struct errbuf *eb)
{
    if (n && !x) {
        err_set(eb, "no values");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            err_set(eb, "value %zu is not a finite number", i);
            return ERR_INVALID;
        }
    }
    return ERR_OK;
}

static bool all_positive(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0.0))
            return false;
    return true;
}

enum err an_cpd_hunter_update(const double *x, size_t n,
                              const struct an_cpd_params *p,
                              struct an_cpd_state *state, struct an_cp **out,
                              size_t *nout, struct errbuf *eb)
{
    struct idx_list weak = {0}, starts = {0};
    const double *y, *z;
    double pv1;
    size_t restart = 0, dirty = 0;
    bool steps, logs;
    enum err e;

    *out = NULL;
    *nout = 0;
    e = an_cpd_params_check(p, eb);
    if (e == ERR_OK && !windowed(p->method)) {
        err_set(eb, "incremental analysis is for the hunter and steps "
                    "methods");
        e = ERR_INVALID;
    }
    if (e == ERR_OK)
        e = check_values(x, n, eb);
    if (e != ERR_OK)
        return e;
    steps = p->method == AN_CPD_STEPS;
    /* Note 10: steps walks the log values when it can.  The points a state
     * has seen are those of x (the contract), so only new ones are read. */
    if (steps && state->n > 0 && state->n <= n &&
        state->method == AN_CPD_STEPS && state->log_scale)
        logs = all_positive(x + state->n, n - state->n);
    else
        logs = steps && all_positive(x, n);
    pv1 = split_pvalue(p->max_pvalue);
    /* Note 5: reuse the walk up to the first window that saw a point which
     * has changed since: a new one, or a filtered one near the old end. */
    if (state->n > 0 && state->n <= n && state->window == p->window &&
        state->min_size == p->min_size && state->split_pvalue == pv1 &&
        state->outlier_filter == p->outlier_filter &&
        state->method == p->method && state->log_scale == logs) {
        size_t same = state->n;

        if (p->outlier_filter > 0.0)
            same = same > FILTER_REACH ? same - FILTER_REACH : 0;
        dirty = same;
        for (size_t j = 0; j < state->nstarts; j++) {
            if (state->starts[j] + p->window > same) {
                restart = state->starts[j];
                break;
            }
            idx_push(&starts, state->starts[j]);
        }
        for (size_t j = 0; j < state->nweak && state->weak[j] <= restart; j++)
            idx_push(&weak, state->weak[j]);
    }
    if (restart == 0) {
        weak.n = 0;
        starts.n = 0;
        dirty = 0;
    }
    y = x;
    if (p->outlier_filter > 0.0) {
        if (dirty == 0) {
            free(state->y);
            state->y = NULL;
        }
        state->y = xreallocarray(state->y, n ? n : 1, sizeof *state->y);
        filter_outliers(x, n, dirty, p->outlier_filter, state->y);
        y = state->y;
    }
    z = y;
    if (logs) {
        if (dirty == 0) {
            free(state->z);
            state->z = NULL;
        }
        state->z = xreallocarray(state->z, n ? n : 1, sizeof *state->z);
        for (size_t i = dirty; i < n; i++)
            state->z[i] = log(y[i]);
        z = state->z;
    }
    split_walk(z, n, restart, p->window, p->min_size, pv1, &weak, &starts);
    if (steps) {
        struct pview v;

        if (dirty == 0) {
            free(state->pre);
            state->pre = NULL;
        }
        state->pre = xreallocarray(state->pre, n + 1, sizeof *state->pre);
        prefix_extend(state->pre, z, y, n, dirty);
        v.p = state->pre;
        v.z0 = n ? z[0] : 0.0;
        v.y0 = n ? y[0] : 0.0;
        merge_steps(&v, logs, n, weak.v, weak.n, p->max_pvalue,
                    p->min_magnitude, out, nout);
    } else {
        free(state->pre);
        state->pre = NULL;
        merge(y, n, weak.v, weak.n, p->max_pvalue, p->min_magnitude,
              p->otava_stale_merge, out, nout);
    }
    free(state->weak);
    free(state->starts);
    if (p->outlier_filter <= 0.0) {
        free(state->y);
        state->y = NULL;
    }
    if (!logs) {
        free(state->z);
        state->z = NULL;
    }
    state->n = n;
    state->window = p->window;
    state->min_size = p->min_size;
    state->split_pvalue = pv1;
    state->outlier_filter = p->outlier_filter;
    state->method = p->method;
    state->log_scale = logs;
    state->weak = weak.v;
    state->nweak = weak.n;
    state->starts = starts.v;
    state->nstarts = starts.n;
    return ERR_OK;
}

/* ---- whole-series divisive: t-test and permutation (note 6) ------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias (rejection). */
static size_t uniform_below(uint64_t *s, size_t bound)
{
    uint64_t b = (uint64_t)bound, lim = UINT64_MAX - UINT64_MAX % b, r;

    do {
        r = splitmix64(s);
    } while (r >= lim);
    return (size_t)(r % b);
}

struct perm_ctx {
    const double *x;
    size_t ms;
    struct table pt; /* the table of a shuffled segment */
    double *buf;     /* owns: the shuffled segment */
    uint64_t rng;
};

/* The largest best-q over the segments of one within-segment shuffle. */
static double permuted_max(struct perm_ctx *c, const struct segs *sg)
{
    double best = 0.0;

    for (size_t i = 0; i < sg->n; i++) {
        size_t a = sg->end[i], len = sg->end[i + 1] - a;
        struct cand cd;

        if (len < 2 * c->ms)
            continue; /* no split possible, shuffled or not */
        memcpy(c->buf, c->x + a, len * sizeof *c->buf);
        for (size_t j = len - 1; j > 0; j--) {
            size_t r = uniform_below(&c->rng, j + 1);
            double tmp = c->buf[j];

            c->buf[j] = c->buf[r];
            c->buf[r] = tmp;
        }
        table_fill(&c->pt, c->buf, len);
        cd = best_split(&c->pt, 0, len, c->ms);
        if (cd.ok && cd.q > best)
            best = cd.q;
    }
    return best;
}

static enum err divisive_whole(const double *x, size_t n,
                               const struct an_cpd_params *p,
                               struct an_cp **out, size_t *nout)
{
    struct table t;
    struct segs sg = {0};
    struct perm_ctx pc = {0};
    struct idx_list pts = {0};
    double *pvals = NULL;
    size_t npv = 0;
    double limit;

    table_init(&t, n);
    table_fill(&t, x, n);
    segs_reset(&sg, n, n);
    sg.cand[0] = best_split(&t, 0, n, p->min_size);
    if (p->method == AN_CPD_PERMUTATION) {
        pc.x = x;
        pc.ms = p->min_size;
        pc.rng = p->seed;
        pc.buf = xreallocarray(NULL, n ? n : 1, sizeof *pc.buf);
        table_init(&pc.pt, n);
    }
    pvals = xreallocarray(NULL, n ? n : 1, sizeof *pvals);
    /* p = (over + 1) / (R + 1) <= alpha while over + 1 <= limit. */
    limit = p->max_pvalue * (p->permutations + 1.0);
    for (;;) {
        long i = segs_best(&sg);
        size_t a, b, tau;
        double pval;

        if (i < 0)
            break;
        a = sg.end[i];
        b = sg.end[i + 1];
        tau = sg.cand[i].tau;
        if (p->method == AN_CPD_PERMUTATION) {
            /* A shuffle that keeps the observed partition gives the same
             * q up to rounding: it must count as a tie, not fall below. */
            double tie = sg.cand[i].q * (1.0 - 1e-12);
            size_t over = 0;
            unsigned r;

            for (r = 0; r < p->permutations; r++) {
                if (permuted_max(&pc, &sg) >= tie)
                    over++;
                if ((double)(over + 1) > limit)
                    break; /* p can no longer reach alpha */
            }
            if (r < p->permutations)
                break;
            pval = (double)(over + 1) / (p->permutations + 1.0);
        } else {
            struct moments l, rm;

            moments_of(x + a, tau - a, &l);
            moments_of(x + tau, b - tau, &rm);
            pval = ttest_p(&l, &rm);
        }
        if (!(pval <= p->max_pvalue))
            break;
        segs_split(&sg, &t, (size_t)i, tau, p->min_size);
        idx_push(&pts, tau);
        pvals[npv++] = pval;
    }
    /* Report in index order with the final segments' moments. */
    *nout = pts.n;
    *out = pts.n ? xreallocarray(NULL, pts.n, sizeof **out) : NULL;
    for (size_t j = 1; j + 1 < sg.n + 1; j++) {
        size_t a = sg.end[j - 1], c = sg.end[j], b = sg.end[j + 1];
        struct moments l, r;
        double pval = NAN;

        for (size_t k = 0; k < pts.n; k++)
            if (pts.v[k] == c)
                pval = pvals[k];
        moments_of(x + a, c - a, &l);
        moments_of(x + c, b - c, &r);
        if (p->method == AN_CPD_TTEST)
            pval = ttest_p(&l, &r);
        cp_fill(&(*out)[j - 1], c, &l, &r, pval);
    }
    free(pts.v);
    free(pvals);
    free(pc.buf);
    if (p->method == AN_CPD_PERMUTATION)
        table_cleanup(&pc.pt);
    segs_cleanup(&sg);
    table_cleanup(&t);
    return ERR_OK;
}

enum err an_changepoints(const double *x, size_t n,
                         const struct an_cpd_params *p, struct an_cp **out,
                         size_t *nout, struct errbuf *eb)
{
    struct an_cpd_state st;
    enum err e;

    *out = NULL;
    *nout = 0;
    e = an_cpd_params_check(p, eb);
    if (e == ERR_OK)
        e = check_values(x, n, eb);
    if (e != ERR_OK)
        return e;
    if (windowed(p->method)) {
        an_cpd_state_init(&st);
        e = an_cpd_hunter_update(x, n, p, &st, out, nout, eb);
        an_cpd_state_cleanup(&st);
        return e;
    }
    if (n > AN_CPD_PERM_MAX_POINTS) {
        err_set(eb,
                "the %s method takes at most %d points, got %zu (use "
                "the hunter method)",
                p->method == AN_CPD_PERMUTATION ? "permutation" : "ttest",
                AN_CPD_PERM_MAX_POINTS, n);
        return ERR_TOO_LARGE;
    }
    if (n < 2)
        return ERR_OK; /* nothing to split (and no table to build) */
    return divisive_whole(x, n, p, out, nout);
}

/* ---- the tail an ingest examines (note 9) ------------------------------- */

size_t an_cpd_tail_len(const struct an_cpd_params *p, size_t n_new)
{
    return AN_CPD_TAIL_WINDOWS * p->window + n_new;
}

void an_cpd_tail_cleanup(struct an_cpd_tail *t)
{
    if (!t)
        return;
    free(t->recent);
    free(t->all);
    memset(t, 0, sizeof *t);
}

/* True when cps[0..n) has one within AN_CPD_MATCH of c, the same way. */
static bool has_match(const struct an_cp *cps, size_t n, const struct an_cp *c)
{
    for (size_t i = 0; i < n; i++) {
        size_t d = cps[i].index > c->index ? cps[i].index - c->index
                                           : c->index - cps[i].index;

        if (d <= AN_CPD_MATCH && (cps[i].after_mean > cps[i].before_mean) ==
                                     (c->after_mean > c->before_mean))
            return true;
    }
    return false;
}

enum err an_cpd_tail_examine(const double *x, size_t n, size_t n_new,
                             const struct an_cpd_params *p,
                             struct an_cpd_tail *out, struct errbuf *eb)
{
    struct an_cp *prev[AN_CPD_CONFIRM] = {NULL};
    size_t nprev[AN_CPD_CONFIRM] = {0}, from, span;
    bool done[AN_CPD_CONFIRM] = {false};
    enum err e;

    memset(out, 0, sizeof *out);
    if (!windowed(p->method)) {
        err_set(eb, "the tail examination uses the hunter or steps method");
        return ERR_INVALID;
    }
    e = an_changepoints(x, n, p, &out->all, &out->nall, eb);
    if (e != ERR_OK)
        return e;
    if (out->nall) {
        const struct an_cp *last = &out->all[out->nall - 1];

        out->last_start = last->index;
        out->last_mean = last->after_mean;
        out->last_n = last->after_n;
    } else {
        struct moments m;
        const double *y = x;
        double *tmp = NULL;

        if (p->outlier_filter > 0.0 && n) {
            tmp = xreallocarray(NULL, n, sizeof *tmp);
            filter_outliers(x, n, 0, p->outlier_filter, tmp);
            y = tmp;
        }
        moments_of(y, n, &m);
        free(tmp);
        out->last_mean = n ? m.mean : NAN;
        out->last_n = n;
    }
    span = p->window + n_new;
    from = n > span ? n - span : 0;
    for (size_t i = 0; i < out->nall && e == ERR_OK; i++) {
        const struct an_cp *cp = &out->all[i];
        bool ok = cp->index >= from;

        /* The shorter prefixes are analysed only when a change point of
         * the newest part needs them: most examinations find none. */
        for (size_t c = 1; c < AN_CPD_CONFIRM && ok && e == ERR_OK; c++) {
            if (n <= c) {
                ok = false;
                break;
            }
            if (!done[c]) {
                e = an_changepoints(x, n - c, p, &prev[c], &nprev[c], eb);
                done[c] = true;
            }
            ok = e == ERR_OK && has_match(prev[c], nprev[c], cp);
        }
        if (!ok)
            continue;
        out->recent =
            xreallocarray(out->recent, out->nrecent + 1, sizeof *out->recent);
        out->recent[out->nrecent++] = *cp;
    }
    for (size_t c = 0; c < AN_CPD_CONFIRM; c++)
        free(prev[c]);
    return e;
}

/* ---- q-hat with kappa = n (MongoDB's form, note 1) ---------------------- */

static double qhat_of(double cross, double xt, double yt, size_t m, size_t k)
{
    double dm = (double)m, dk = (double)k;
    double c, xr, yr;

    if (m < 1 || k < 1)
        return 0.0;
    c = 2.0 / (dm * dk) * cross;
    xr = m < 2 ? 0.0 : 2.0 / (dm * (dm - 1.0)) * xt;
    yr = k < 2 ? 0.0 : 2.0 / (dk * (dk - 1.0)) * yt;
    return dm * dk / (dm + dk) * (c - xr - yr);
}

void an_edivisive_qhat(const double *x, size_t n, double *q)
{
    double cross = 0.0, xt = 0.0, yt = 0.0;

    /* Moving x[tau] from Y to X: it leaves the cross pairs with X and
     * the within-Y pairs, and brings its pairs with the rest of Y. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            yt += fabs(x[i] - x[j]);
    for (size_t tau = 0; tau < n; tau++) {
        double col = 0.0, row = 0.0;

        q[tau] = qhat_of(cross, xt, yt, tau, n - tau);
        for (size_t i = 0; i < tau; i++)
            col += fabs(x[tau] - x[i]);
        for (size_t j = tau + 1; j < n; j++)
            row += fabs(x[j] - x[tau]);
        cross += row - col;
        xt += col;
        yt -= row;
    }
}
