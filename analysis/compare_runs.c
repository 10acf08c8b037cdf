/*
 * compare_runs: one benchmark x measure compared run against run.  The run
 * is the unit of replication: samples inside one run share its machine
 * state (another job on the runner, the CPU's clock, the page cache), so a
 * rerun of identical code moves a run's median by more than its samples
 * say.  What a verdict must beat is the spread of whole runs.
 *
 * Design notes (docs/statistics.md says the same for users):
 * 1. Each run gives one central value (the median of its samples, else its
 *    value).  The base is a set of runs (a branch's recent history, or the
 *    runs named), the head is one run or several (a confirmation pools
 *    them), and the history is the series' recent runs on the base branch,
 *    whose spread is the run-to-run noise.  When the base is a branch, the
 *    base is the history.
 * 2. Logs: d = median(log head) - median(log base), change = e^d - 1.  A
 *    step up and the step down that undoes it have the same size, and the
 *    interval is symmetric in the ratio, not in the difference.
 * 3. Noise: the larger of 1.4826 x MAD of the history's logs (corrected
 *    for small samples) and their standard deviation without the one run
 *    furthest from the median, at least the floor.  One wild run in the
 *    history inflates neither; a history whose runs fall into two speed
 *    modes (Python processes on these machines do: +-20-40% between runs of
 *    identical code) shows in the second, where the MAD of a 4-2 split sees
 *    only the four.  Several head runs bring their own spread: the variance is
 *    pooled as in a two-sample t test ((h - 1) sigma^2 + (k - 1) s_head^2)
 *    / (h + k - 2), so head runs that disagree (one wild, one normal)
 *    widen the interval and are diluted, never confirmed, and head runs
 *    that agree add degrees of freedom.
 * 4. Standard error of d: sigma sqrt(c_k / k + c_b / n_b), with c = 1 for
 *    one or two runs (a median of two is their mean) and pi / 2 for the
 *    median of three or more (its variance against a mean's).
 * 5. t = d / se with h + k - 3 degrees of freedom (h - 2 for one head
 *    run; one less than usual for the trimmed run, h - 1 + k - 1 below 5
 *    history runs); p two-sided; 95% CI e^(d -+ t se) - 1.
 *    The CI and p come from the same distribution, so p < 0.05 exactly
 *    when the CI leaves out zero, and no verdict can contradict its
 *    interval.
 * 6. Wild runs: a history run beyond 4 robust SDs (and 3 noise floors) of
 *    its series says the series has had runs that land that far off on
 *    that side.  One head run that moved the same way cannot be told from
 *    such a run, so its verdict waits for a confirmation (verdict.c);
 *    pooled runs decide as usual.  (A run far below says nothing about a
 *    head far above.)
 * 7. The history's range: hist_lo and hist_hi are its lowest and highest
 *    run against the base's center.  A head whose center does not pass
 *    the history's extreme on its side by more than the threshold has not
 *    done what the base branch's own runs of unchanged code have not done
 *    already (two speed modes show as runs up there), and gets no verdict
 *    (verdict.c).
 * 8. Shared noise.  Six runs measure a series' noise with 4 degrees of
 *    freedom: the t quantile is heavy and one estimate may land at half or
 *    twice the truth, so a +20% head at 3% noise was missed about half
 *    the time.  The series of one comparison ran on the same runner, so
 *    their noises say something about each other: each series' variance is
 *    moderated towards the others' as limma does for genes measured in few
 *    replicates (Smyth 2004): s~^2 = (d0 s0^2 + d s^2) / (d0 + d) with
 *    d + d0 degrees of freedom, where s0^2 and d0 are fitted to the
 *    variances of all the series (an_noise_prior).  When series differ
 *    much (one benchmark bimodal, the others steady), d0 comes out small
 *    and each keeps its own; when they agree, the estimates borrow
 *    strength.  d0 is capped (AN_PRIOR_DF_MAX) so a series keeps a say.
 *    Two guards keep unlike series apart (on histories where a benchmark
 *    runs in two speed modes, moderation added false alarms without
 *    them): a prior worth fewer than AN_PRIOR_DF_MIN degrees of freedom
 *    is not used at all (the series are too unalike for one to inform
 *    another), and a series whose own variance lies beyond the prior's
 *    99th percentile (F(d, d0)) keeps its own, as limma's robust fit
 *    exempts outlying genes.
 *    Head runs that disagree still widen the interval as strongly as
 *    before: their spread is pooled against the series' own degrees of
 *    freedom, not the prior's (note 3), else a prior of 40 df would drown
 *    a wild head run's disagreement with its confirmation.
 */
#include "analysis/analysis_int.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_psi.h>
#include <stdlib.h>
#include <string.h>

#define MAD_TO_SIGMA 1.4826
#define MEDIAN_VAR 1.5707963267948966 /* pi / 2 */

/* logs of x[0..n) into a new array; false when a value is not > 0. */
static bool logs_of(const double *x, size_t n, double **out)
{
    double *l = xmalloc((n ? n : 1) * sizeof *l);

    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0) || !isfinite(x[i])) {
            free(l);
            *out = NULL;
            return false;
        }
        l[i] = log(x[i]);
    }
    *out = l;
    return true;
}

/* Median of x[0..n) (reordered). */
static double median_of(double *x, size_t n)
{
    return an_pct_select(x, n, 50);
}

/*
 * 1.4826 x MAD of x[0..n) (reordered), times the small-sample factor that
 * makes it unbiased for normal data (Croux and Rousseeuw 1992; n / (n -
 * 0.8) past 9): from 6 runs the raw MAD underestimates the spread by a
 * sixth, which would turn wild runs into verdicts.  NAN for n < 2.
 */
static double robust_sigma(double *x, size_t n)
{
    static const double small[] = {0,     0,     1.196, 1.495, 1.363,
                                   1.206, 1.200, 1.140, 1.129, 1.107};
    double c, *dev;
    double s;

    if (n < 2)
        return NAN;
    c = median_of(x, n);
    dev = xmalloc(n * sizeof *dev);
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(x[i] - c);
    s = MAD_TO_SIGMA * median_of(dev, n);
    s *= n < sizeof small / sizeof small[0] ? small[n]
                                            : (double)n / ((double)n - 0.8);
    free(dev);
    return s;
}

/*
 * History runs far off their series (note 6): beyond 4 robust SDs of the
 * median and beyond 3 noise floors, counted by side (above into *up, below
 * into *down).  x is reordered.
 */
static void count_wild(double *x, size_t n, double sigma, double floor,
                       size_t *up, size_t *down)
{
    double c, bar;

    *up = *down = 0;
    if (n < 3 || !isfinite(sigma))
        return;
    c = median_of(x, n);
    bar = 4 * sigma > 3 * floor ? 4 * sigma : 3 * floor;
    for (size_t i = 0; i < n; i++) {
        *up += x[i] - c > bar;
        *down += c - x[i] > bar;
    }
}

/*
 * The standard deviation of x[0..n) without its one run furthest from the
 * median (n >= 5; all of them below): unlike the MAD it sees a history
 * whose runs fall into two speed modes (three runs here, three 30% away),
 * and like it one wild run cannot inflate it.  x is reordered; NAN for
 * n < 2.
 */
static double trimmed_sd(double *x, size_t n)
{
    double c, m;
    size_t far = 0;

    if (n < 2)
        return NAN;
    if (n >= 5) {
        c = median_of(x, n);
        for (size_t i = 1; i < n; i++)
            if (fabs(x[i] - c) > fabs(x[far] - c))
                far = i;
        x[far] = x[n - 1];
        n--;
    }
    m = an_mean(x, n);
    return sqrt(an_var(x, n, m));
}

static double var_factor(size_t n)
{
    return n >= 3 ? MEDIAN_VAR : 1;
}

bool an_compare_runs(const struct an_runs *in, struct an_compare *out)
{
    double *lb = NULL, *lh = NULL, *lhist = NULL;
    double db, dh, sigma, se, d, tc, df, own_df;
    size_t k, nb, h;
    bool ok = false;

    assert(in && out);
    k = in->nhead;
    nb = in->nbase;
    h = in->nhist;
    assert((in->head || k == 0) && (in->base || nb == 0) &&
           (in->hist || h == 0));

    memset(out, 0, sizeof *out);
    out->kind = AN_KIND_RUNS;
    out->base = out->head = out->change = NAN;
    out->change_ci[0] = out->change_ci[1] = NAN;
    out->welch.t = out->welch.df = out->welch.p = NAN;
    out->mwu.p = out->mwu.u = NAN;
    out->p_value = out->noise = out->head_spread = NAN;
    out->hist_lo = out->hist_hi = NAN;
    out->t = out->df = NAN;
    out->own_noise = out->own_df = NAN;
    out->nbase = nb;
    out->nhead = k;
    out->nhist = h;
    if (!k || !nb || h < 2 || !logs_of(in->base, nb, &lb) ||
        !logs_of(in->head, k, &lh) || !logs_of(in->hist, h, &lhist))
        goto out;
    db = median_of(lb, nb);
    dh = median_of(lh, k);
    out->base = exp(db);
    out->head = exp(dh);
    d = dh - db;
    out->change = expm1(d);
    out->hist_lo = expm1(an_pct_select(lhist, h, 0) - db);
    out->hist_hi = expm1(an_pct_select(lhist, h, 100) - db);
    sigma = robust_sigma(lhist, h);
    count_wild(lhist, h, sigma, in->floor, &out->wild_up, &out->wild_down);
    {
        double sd = trimmed_sd(lhist, h);

        if (sd > sigma)
            sigma = sd;
    }
    df = (double)(h >= 5 ? h - 2 : h - 1);
    out->own_noise = sigma;
    out->own_df = df;
    own_df = df;
    if (in->prior_df > 0 && in->prior_sd > 0 && isfinite(sigma) &&
        sigma * sigma <= in->prior_sd * in->prior_sd *
                             gsl_cdf_fdist_Qinv(0.01, df, in->prior_df)) {
        /* note 8: the variance moderated towards the comparison's */
        sigma = sqrt(
            (in->prior_df * in->prior_sd * in->prior_sd + df * sigma * sigma) /
            (in->prior_df + df));
        df += in->prior_df;
        out->prior_df = in->prior_df;
    }
    if (!(sigma >= in->floor))
        sigma = in->floor;
    if (k >= 2) {
        double m = an_mean(lh, k), v = an_var(lh, k, m);

        out->head_spread = sqrt(v);
        /* the pooled variance of a two-sample t test: head runs that
         * disagree widen it, head runs that agree add degrees of freedom;
         * weighed against the series' own df (note 8) */
        sigma = sqrt((own_df * sigma * sigma + (double)(k - 1) * v) /
                     (own_df + (double)(k - 1)));
        df += (double)(k - 1);
        if (sigma < in->floor)
            sigma = in->floor;
    }
    out->noise = sigma;
    se = sigma * sqrt(var_factor(k) / (double)k + var_factor(nb) / (double)nb);
    out->df = df;
    out->t = se > 0 ? d / se : NAN;
    if (se > 0) {
        out->p_value = an_t_two_sided(d / se, df);
        tc = an_t_crit(0.95, df);
        out->change_ci[0] = expm1(d - tc * se);
        out->change_ci[1] = expm1(d + tc * se);
    }
    ok = true;
out:
    free(lb);
    free(lh);
    free(lhist);
    return ok;
}

/* The x with trigamma(x) = y (y > 0), by Newton's method from limma's
 * starting point: the iteration increases x monotonically. */
static double trigamma_inverse(double y)
{
    double x;

    if (y > 1e7)
        return 1 / sqrt(y);
    if (y < 1e-6)
        return 1 / y;
    x = 0.5 + 1 / y;
    for (int i = 0; i < 50; i++) {
        double tri = gsl_sf_psi_1(x),
               dif = tri * (1 - tri / y) / gsl_sf_psi_n(2, x);

        x += dif;
        if (-dif / x < 1e-8)
            break;
    }
    return x;
}

bool an_noise_prior(const double *sd, const double *df, size_t n,
                    double *prior_sd, double *prior_df)
{
    double sum = 0, sum2 = 0, tri = 0, mean, var, d0, s02;
    size_t m = 0;

    assert(prior_sd && prior_df && (sd || n == 0) && (df || n == 0));
    *prior_sd = *prior_df = 0;
    /* e_i = log s_i^2 - digamma(d_i / 2) + log(d_i / 2): unbiased for
     * log s0^2 whatever d_i, with variance trigamma(d_i / 2) plus the
     * prior's own trigamma(d0 / 2) (Smyth 2004, section 6.2) */
    for (size_t i = 0; i < n; i++) {
        double e;

        if (!(sd[i] > 0) || !isfinite(sd[i]) || !(df[i] > 0) ||
            !isfinite(df[i]))
            continue;
        e = 2 * log(sd[i]) - gsl_sf_psi(df[i] / 2) + log(df[i] / 2);
        sum += e;
        sum2 += e * e;
        tri += gsl_sf_psi_1(df[i] / 2);
        m++;
    }
    if (m < AN_PRIOR_MIN_SERIES)
        return false;
    mean = sum / (double)m;
    var = (sum2 - (double)m * mean * mean) / (double)(m - 1) - tri / (double)m;
    d0 = var > 0 ? 2 * trigamma_inverse(var) : AN_PRIOR_DF_MAX;
    if (d0 > AN_PRIOR_DF_MAX)
        d0 = AN_PRIOR_DF_MAX;
    if (d0 < AN_PRIOR_DF_MIN)
        return false;
    s02 = exp(mean + gsl_sf_psi(d0 / 2) - log(d0 / 2));
    *prior_sd = sqrt(s02);
    *prior_df = d0;
    return true;
}

/*
 * What is worse now (an_level_now): the series' latest runs against the
 * center of the runs before them.
 * 6. The new level is the longest tail of at most AN_NOW_MAX_TAIL runs
 *    that all lie beyond the threshold on the same side of the center of
 *    the (up to) hist runs before the tail; without one, the last run.
 *    So a step two runs ago shows as the step, not as the last run's
 *    wobble against the one before it.
 * 7. That tail is compared with the runs before it as a comparison
 *    compares head runs with a branch's history (notes 1-5): the same
 *    change, CI and p-value; the verdict is the caller's, with the
 *    comparison's rules.
 */
bool an_level_now(const double *v, size_t n, size_t hist, double threshold,
                  double floor, struct an_now *out)
{
    size_t tail = 0, maxtail;

    assert(out && (v || n == 0));
    memset(out, 0, sizeof *out);
    out->change = NAN;
    if (n < 4 || hist < 2)
        return false;
    maxtail = n - 3 < AN_NOW_MAX_TAIL ? n - 3 : AN_NOW_MAX_TAIL;
    for (size_t m = maxtail; m >= 1 && !tail; m--) {
        size_t from = n - m, b0 = from > hist ? from - hist : 0;
        double c = an_median(v + b0, from - b0);
        int side = 0;
        bool all = c > 0;

        for (size_t i = from; all && i < n; i++) {
            double r = v[i] / c - 1;
            int sd = r > threshold ? 1 : (r < -threshold ? -1 : 0);

            all = sd != 0 && (side == 0 || sd == side);
            side = sd;
        }
        if (all)
            tail = m;
    }
    out->tail = tail ? tail : 1;
    {
        size_t from = n - out->tail, b0 = from > hist ? from - hist : 0;
        struct an_runs in = {v + b0,    from - b0, v + from, out->tail, v + b0,
                             from - b0, floor,     0,        0};

        out->base_runs = from - b0;
        if (!an_compare_runs(&in, &out->c))
            return false;
        out->change = out->c.change;
    }
    return true;
}
