/*
 * compare: base against head for one benchmark and measure, plus Welch's
 * test and Benjamini-Hochberg.
 *
 * Design notes:
 * 1. Three kinds of input, from most to least evidence.  Raw samples on
 *    both sides: the change of the medians (robust to the long right tail
 *    timings have) with a percentile-bootstrap 95% CI, Welch and
 *    Mann-Whitney; the verdict uses Mann-Whitney's p-value (no normality
 *    assumption).  Summaries only (mean, stddev, n >= 2 on both sides, or
 *    samples on one side only): the change of the means, Welch from the
 *    summaries and a delta-method CI for the ratio of means (its standard
 *    error r sqrt(s_h^2/(n_h m_h^2) + s_b^2/(n_b m_b^2)) with Welch's
 *    degrees of freedom).  A single value per side: the change alone.
 * 2. The bootstrap of the change resamples base and head independently,
 *    each from its own stream: the base's is the one describe uses (so the
 *    base's median CI costs nothing extra), the head's has its own tag, so
 *    two identical samples still get a CI of honest width.  Each resample
 *    gives median*_head / median*_base - 1; resamples with a zero base
 *    median are left out.
 * 3. change = head / base - 1, whatever the measure's direction; direction
 *    only matters to the verdict (verdict.c).  A zero base gives NAN (no
 *    relative change), except 0 -> 0, which is no change.
 * 4. Welch: t = (m1 - m2) / sqrt(v1/n1 + v2/n2) with the
 *    Welch-Satterthwaite df, p = 2 T_df(-|t|), as SciPy's ttest_ind(
 *    equal_var=False); SciPy's convention for two zero variances is kept
 *    (df = 1, so equal means give NAN and different ones p = 0).
 * 5. Benjamini-Hochberg: q_(i) = min over j >= i of p_(j) m / j, capped at
 *    1, m counting only the rows that have a p-value.
 */
#include "analysis/analysis_int.h"

#include <stdlib.h>
#include <string.h>

void an_welch_summary(double mean1, double sd1, double n1, double mean2,
                      double sd2, double n2, struct an_welch *out)
{
    double vn1, vn2, df, denom;

    out->t = out->df = out->p = NAN;
    if (!(n1 >= 2) || !(n2 >= 2) || !isfinite(sd1) || !isfinite(sd2) ||
        !isfinite(mean1) || !isfinite(mean2))
        return;
    vn1 = sd1 * sd1 / n1;
    vn2 = sd2 * sd2 / n2;
    df = (vn1 + vn2) * (vn1 + vn2) /
         (vn1 * vn1 / (n1 - 1) + vn2 * vn2 / (n2 - 1));
    if (isnan(df))
        df = 1; /* both variances zero: SciPy's choice */
    denom = sqrt(vn1 + vn2);
    out->df = df;
    out->t = (mean1 - mean2) / denom;
    if (isnan(out->t))
        return;
    out->p = isinf(out->t) ? 0 : an_t_two_sided(out->t, df);
}

void an_welch(const double *x, size_t nx, const double *y, size_t ny,
              struct an_welch *out)
{
    double mx = an_mean(x, nx), my = an_mean(y, ny);

    an_welch_summary(mx, sqrt(an_var(x, nx, mx)), (double)nx, my,
                     sqrt(an_var(y, ny, my)), (double)ny, out);
}

struct pidx {
    double p;
    size_t i;
};

static int cmp_pidx(const void *a, const void *b)
{
    const struct pidx *x = a, *y = b;

    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

void an_bh_adjust(const double *p, size_t n, double *q)
{
    struct pidx *v = xmalloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    double run = 1;

    for (size_t i = 0; i < n; i++) {
        if (isfinite(p[i])) {
            v[m].p = p[i];
            v[m++].i = i;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            q[i] = NAN;
    qsort(v, m, sizeof *v, cmp_pidx);
    for (size_t k = m; k-- > 0;) {
        double adj = v[k].p * (double)m / (double)(k + 1);

        if (adj < run)
            run = adj;
        q[v[k].i] = run;
    }
    free(v);
}

static double rel_change(double base, double head)
{
    if (base == 0)
        return head == 0 ? 0 : NAN;
    return head / base - 1;
}

void an_compare_cleanup(struct an_compare *c)
{
    if (!c)
        return;
    an_describe_cleanup(&c->dbase);
    an_describe_cleanup(&c->dhead);
}

static void compare_clear(struct an_compare *c)
{
    memset(c, 0, sizeof *c);
    c->base = c->head = c->change = c->p_value = NAN;
    c->change_ci[0] = c->change_ci[1] = NAN;
    c->welch.t = c->welch.df = c->welch.p = NAN;
    c->mwu.u = c->mwu.p = NAN;
    c->t = c->df = c->noise = c->head_spread = NAN;
    an_describe_cleanup(&c->dbase);
    an_describe_cleanup(&c->dhead);
}

/* Raw samples on both sides (note 1 and 2). */
static enum err compare_samples(const struct an_side *b,
                                const struct an_side *h,
                                const struct an_options *opt,
                                bool describe_head, struct an_compare *out)
{
    double *bs = an_sorted_copy(b->samples, b->nsamples);
    double *hs = an_sorted_copy(h->samples, h->nsamples);
    double *mb = NULL, *mh = NULL;
    unsigned nb = opt->bootstrap;
    struct an_options no_boot = *opt;
    struct an_rng rng;
    enum err e;

    out->kind = AN_KIND_SAMPLES;
    out->nbase = b->nsamples;
    out->nhead = h->nsamples;
    if (nb) {
        mb = xmalloc(nb * sizeof *mb);
        mh = xmalloc(nb * sizeof *mh);
    }
    no_boot.bootstrap = 0;
    e = an_describe_sorted(bs, b->nsamples, opt, mb, &out->dbase);
    if (!e)
        e = an_describe_sorted(hs, h->nsamples, describe_head ? opt : &no_boot,
                               NULL, &out->dhead);
    if (e)
        goto out;
    out->base = out->dbase.median;
    out->head = out->dhead.median;
    out->change = rel_change(out->base, out->head);
    if (nb) {
        an_rng_seed_sample(&rng, opt->seed, hs, h->nsamples, AN_TAG_HEAD);
        e = an_boot_medians(&rng, hs, h->nsamples, nb, mh);
        if (e)
            goto out;
        for (unsigned k = 0; k < nb; k++)
            mh[k] = mb[k] != 0 ? mh[k] / mb[k] - 1 : (mh[k] == 0 ? 0 : NAN);
        an_pct_interval(mh, nb, out->change_ci);
    }
    an_welch_summary(out->dbase.mean, out->dbase.stddev, (double)b->nsamples,
                     out->dhead.mean, out->dhead.stddev, (double)h->nsamples,
                     &out->welch);
    an_mwu_sorted(bs, b->nsamples, hs, h->nsamples, &out->mwu);
    out->p_value = out->mwu.p;
out:
    free(bs);
    free(hs);
    free(mb);
    free(mh);
    return e;
}

/* A side's summary: from its samples when it has them. */
static void side_summary(const struct an_side *s, double *mean, double *sd,
                         double *n)
{
    if (s->nsamples) {
        *mean = an_mean(s->samples, s->nsamples);
        *sd = s->nsamples > 1 ? sqrt(an_var(s->samples, s->nsamples, *mean))
                              : NAN;
        *n = (double)s->nsamples;
        return;
    }
    *mean = s->mean;
    *sd = s->stddev;
    *n = s->n >= 0 ? (double)s->n : NAN;
}

/* The central value of a side without a usable summary. */
static double side_value(const struct an_side *s)
{
    if (isfinite(s->value))
        return s->value;
    if (s->nsamples) {
        double *c = an_sorted_copy(s->samples, s->nsamples);
        double v = an_pct_sorted(c, s->nsamples, 50);

        free(c);
        return v;
    }
    return s->mean;
}

static enum err side_check(const struct an_side *s, const char *what,
                           struct errbuf *eb)
{
    enum err e = an_check_finite(s->samples, s->nsamples, what, eb);

    if (e)
        return e;
    if (!s->nsamples && !isfinite(s->value) && !isfinite(s->mean)) {
        err_set(eb, "%s: no samples and no value", what);
        return ERR_INVALID;
    }
    return ERR_OK;
}

enum err an_compare(const struct an_side *base, const struct an_side *head,
                    const struct an_options *opt, bool describe_head,
                    struct an_compare *out, struct errbuf *eb)
{
    struct an_options dflt;
    double m1, s1, n1, m2, s2, n2;
    enum err e;

    memset(out, 0, sizeof *out);
    compare_clear(out);
    if (!opt) {
        an_options_default(&dflt);
        opt = &dflt;
    }
    if (opt->bootstrap > AN_BOOTSTRAP_MAX) {
        err_set(eb, "compare: at most %u bootstrap resamples",
                AN_BOOTSTRAP_MAX);
        return ERR_INVALID;
    }
    e = side_check(base, "compare: base", eb);
    if (!e)
        e = side_check(head, "compare: head", eb);
    if (e)
        return e;
    if (base->nsamples && head->nsamples) {
        e = compare_samples(base, head, opt, describe_head, out);
        if (e) {
            err_set(eb, "compare: the bootstrap failed (%s)", err_str(e));
            an_compare_cleanup(out);
        }
        return e;
    }
    side_summary(base, &m1, &s1, &n1);
    side_summary(head, &m2, &s2, &n2);
    if (n1 >= 2 && n2 >= 2 && isfinite(m1) && isfinite(m2) && isfinite(s1) &&
        isfinite(s2)) {
        double r, se, tc;

        out->kind = AN_KIND_SUMMARY;
        out->nbase = (size_t)n1;
        out->nhead = (size_t)n2;
        out->base = m1;
        out->head = m2;
        out->change = rel_change(m1, m2);
        an_welch_summary(m1, s1, n1, m2, s2, n2, &out->welch);
        out->p_value = out->welch.p;
        if (m1 != 0 && m2 != 0 && isfinite(out->welch.df)) {
            r = m2 / m1;
            se = fabs(r) *
                 sqrt(s2 * s2 / (n2 * m2 * m2) + s1 * s1 / (n1 * m1 * m1));
            tc = an_t_crit(0.95, out->welch.df);
            out->change_ci[0] = r - tc * se - 1;
            out->change_ci[1] = r + tc * se - 1;
        }
        return ERR_OK;
    }
    out->kind = AN_KIND_SINGLE;
    out->base = side_value(base);
    out->head = side_value(head);
    out->nbase = base->nsamples ? base->nsamples : 1;
    out->nhead = head->nsamples ? head->nsamples : 1;
    out->change = rel_change(out->base, out->head);
    return ERR_OK;
}
