/*
 * Verdicts: regressed, improved, unchanged or inconclusive, and the
 * run-to-run noise they are checked against.
 *
 * Design notes (docs/statistics.md says the same for users):
 * 1. Samples inside one run understate the noise: a rerun of identical code
 *    moves medians by several percent with tiny p-values.  So the run is
 *    the unit of replication for the noise a verdict must beat: the
 *    central values of the series' recent runs on the base branch give a
 *    center (their median) and a spread (1.4826 x their MAD, relative to
 *    the center), which one wild run cannot inflate.
 * 2. Rules, in order.  s = +1 when lower is better, -1 when higher is
 *    better; "worse" means s * change > 0.
 *    a. A single value per side ("no samples"), or no relative change (a
 *       zero base): inconclusive, the change alone is reported.
 *    b. unchanged: the change's 95% CI lies inside (-threshold,
 *       +threshold).  Nothing else may claim "no change".
 *    c. A candidate: q < alpha (Benjamini-Hochberg across the comparison)
 *       and |change| > threshold.  It becomes regressed (worse) or
 *       improved (better) only if it also beats the run-to-run noise:
 *       with at least min_history base-branch runs, the head's central
 *       value must differ from the history center, in the same direction,
 *       by more than max(threshold, the run-to-run bound); with less
 *       history, the change must pass the run-to-run allowance.  Otherwise
 *       it is inconclusive and needs confirmation (pool another head run).
 *    d. Everything else is inconclusive.
 * 3. The run-to-run bound is a one-sided prediction bound for where a
 *    head's central value falls when nothing changed:
 *    t(level, h-1) x max(noise, floor) x sqrt(1 + 1/h), with h history
 *    runs and noise their robust relative spread.  The t quantile pays for
 *    a noise estimated from few runs (h = 6: 4.0 noise units at level
 *    0.995; many runs: 2.6).  The floor (2%) and the absence of a 1/k for k
 *    pooled head runs both come from measurements on a 2-core runner
 *    (tests/e2e/test_compare.py): a history made in one burst shows less
 *    spread than the drift between it and heads made minutes later, and
 *    that drift moves every head run alike, so averaging runs does not
 *    average it away (two identical-code heads both landed 6-7% off in one
 *    benchmark).  Pooling still helps as intended: one wild run is diluted
 *    by a normal one.  A lone run of unchanged code landing 5-8% off in
 *    one benchmark of eleven stays within the bound; a 20% slowdown
 *    passes it with room.
 * 4. The minimum detectable effect is what this comparison could have seen
 *    (80% power, two-sided 5%): 2.80 standard errors of the change, the
 *    standard error read off the CI (half-width / 1.96), or the run-to-run
 *    bar when that is larger.  more_samples is a planning figure: samples
 *    per side that would shrink the CI enough to decide, assuming the
 *    spread stays as it is (standard errors fall as 1/sqrt(n)); -1 when
 *    more samples cannot help (run-to-run noise decides) or the CI is
 *    unknown.
 */
#include "analysis/analysis_int.h"

#include <gsl/gsl_cdf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MAD_TO_SIGMA 1.4826
#define Z_975 1.959963984540054
#define Z_80 0.8416212335729143

const char *an_verdict_str(enum an_verdict v)
{
    static const char *const names[] = {"unchanged", "regressed", "improved",
                                        "inconclusive"};

    return (unsigned)v < 4 ? names[v] : "inconclusive";
}

void an_rules_default(struct an_rules *r)
{
    r->threshold = AN_THRESHOLD_DEFAULT;
    r->alpha = AN_ALPHA_DEFAULT;
    r->allowance = AN_ALLOWANCE_DEFAULT;
    r->min_history = AN_MIN_HISTORY_DEFAULT;
    r->level = AN_NOISE_LEVEL_DEFAULT;
    r->noise_floor = AN_NOISE_FLOOR_DEFAULT;
}

void an_noise_estimate(const double *values, size_t n, struct an_noise *out)
{
    double *s, *dev;
    size_t m = 0;

    out->runs = 0;
    out->center = out->mad = out->noise = NAN;
    if (n == 0)
        return;
    s = xmalloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++)
        if (isfinite(values[i]))
            s[m++] = values[i];
    if (m == 0) {
        free(s);
        return;
    }
    an_sort(s, m);
    out->runs = m;
    out->center = m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
    dev = xmalloc(m * sizeof *dev);
    for (size_t i = 0; i < m; i++)
        dev[i] = fabs(s[i] - out->center);
    an_sort(dev, m);
    out->mad = m % 2 ? dev[m / 2] : (dev[m / 2 - 1] + dev[m / 2]) / 2;
    if (m >= 2 && out->center != 0)
        out->noise = MAD_TO_SIGMA * out->mad / fabs(out->center);
    free(dev);
    free(s);
}

double an_noise_bound(const struct an_noise *hist, double level, double floor)
{
    double h, noise;

    if (!hist || hist->runs < 2 || !isfinite(hist->noise))
        return NAN;
    h = (double)hist->runs;
    noise = hist->noise > floor ? hist->noise : floor;
    return gsl_cdf_tdist_Pinv(level, h - 1) * noise * sqrt(1 + 1 / h);
}

/* MDE and more_samples for an undecided row (note 4). */
static void plan(const struct an_compare *c, double tau, double bar,
                 bool noise_decides, struct an_decision *out)
{
    double half, se, mde, target, n;

    if (!isfinite(c->change_ci[0]) || !isfinite(c->change_ci[1]))
        return;
    half = (c->change_ci[1] - c->change_ci[0]) / 2;
    se = half / Z_975;
    mde = (Z_975 + Z_80) * se;
    out->mde = isfinite(bar) && bar > mde ? bar : mde;
    if (noise_decides)
        return;
    target = fabs(fabs(c->change) - tau);
    if (target < tau / 4)
        target = tau / 4;
    n = (double)(c->nbase < c->nhead ? c->nbase : c->nhead);
    if (half <= target || !(n > 0)) {
        out->more_samples = 0;
        return;
    }
    n = ceil(n * (half / target) * (half / target)) - n;
    out->more_samples = n > 1e12 ? (int64_t)1e12 : (int64_t)n;
}

/* The decision's reason, cut to fit. */
static void say(struct an_decision *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct an_decision *out, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* "+12.3%" into out. */
static void pct(char *out, size_t n, double v)
{
    if (isfinite(v))
        snprintf(out, n, "%+.1f%%", 100 * v);
    else
        snprintf(out, n, "?");
}

/* "the 95% CI [+3.1%, +9.0%]" into out, or "no CI". */
static void ci_text(char *out, size_t n, const double ci[2])
{
    char lo[24], hi[24];

    if (!isfinite(ci[0]) || !isfinite(ci[1])) {
        snprintf(out, n, "no CI");
        return;
    }
    pct(lo, sizeof lo, ci[0]);
    pct(hi, sizeof hi, ci[1]);
    snprintf(out, n, "95%% CI [%s, %s]", lo, hi);
}

/* What the change was measured against, for a reason. */
static void against(char *out, size_t n, const struct an_compare *c)
{
    if (c->kind == AN_KIND_RUNS)
        snprintf(out, n,
                 "the median of %zu base run%s, noise %.1f%% from "
                 "%zu history runs%s",
                 c->nbase, c->nbase == 1 ? "" : "s", 100 * c->noise, c->nhist,
                 c->prior_df > 0 ? " and the other series'" : "");
    else
        snprintf(out, n, "the base's %zu samples", c->nbase);
}

/* The verdict of a run-level row (note 5 of compare_runs.c): the CI is the
 * test's, so a verdict needs q < alpha, the change past the threshold and
 * the whole CI on its side. */
static void decide_runs(const struct an_compare *c, double q, double s,
                        double tau, const struct an_rules *r,
                        struct an_decision *out)
{
    char ch[24], ci[64], vs[160], t[24];
    double w = s * c->change, lo = s * c->change_ci[0],
           hi = s * c->change_ci[1];
    bool one_side = (lo > 0 && hi > 0) || (lo < 0 && hi < 0);
    size_t wild;
    double reached;

    pct(ch, sizeof ch, c->change);
    ci_text(ci, sizeof ci, c->change_ci);
    against(vs, sizeof vs, c);
    pct(t, sizeof t, tau);
    out->bar = tau;
    if (isfinite(c->change_ci[0]) && isfinite(c->change_ci[1]))
        out->mde =
            (Z_975 + Z_80) *
            ((log1p(c->change_ci[1]) - log1p(c->change_ci[0])) / 2 / Z_975);
    reached = c->change > 0 ? c->hist_hi : c->hist_lo;
    if (out->significant && fabs(w) > tau && one_side &&
        fabs(log1p(c->change)) - fabs(log1p(reached)) <= log1p(tau)) {
        char at[24];

        pct(at, sizeof at, reached);
        say(out,
            "%s against %s: %s, q %.2g, but the base branch's own runs "
            "have reached %s, within the threshold of it: unchanged "
            "code has landed about this far off, so more runs would "
            "decide",
            ch, vs, ci, q, at);
        out->needs_confirmation = c->nhead == 1;
        return;
    }
    wild = c->change > 0 ? c->wild_up : c->wild_down;
    if (out->significant && fabs(w) > tau && one_side && c->nhead == 1 &&
        wild > 0) {
        say(out,
            "%s against %s: %s, q %.2g, but %zu of the history's runs "
            "landed that far off this series on the same side, so one "
            "run cannot be told from such a run: confirm with another "
            "head run (pooled)",
            ch, vs, ci, q, wild);
        out->needs_confirmation = true;
        return;
    }
    if (out->significant && fabs(w) > tau && one_side) {
        out->verdict = w > 0 ? AN_REGRESSED : AN_IMPROVED;
        say(out, "%s against %s: %s, q %.2g < %.2g, beyond the %s threshold",
            ch, vs, ci, q, r->alpha, t + 1);
        return;
    }
    if (!out->significant) {
        say(out,
            "%s against %s, not significant (q %.2g) and its %s reaches "
            "past the %s threshold: more runs would decide",
            ch, vs, isfinite(q) ? q : 1.0, ci, t + 1);
        out->needs_confirmation = c->nhead == 1 && w > tau;
        return;
    }
    say(out,
        "%s against %s, significant (q %.2g) but within the %s "
        "threshold, and its %s reaches past it",
        ch, vs, q, t + 1, ci);
}

void an_decide(const struct an_compare *c, double q, enum direction dir,
               const struct an_noise *hist, double head_center,
               const struct an_rules *r, struct an_decision *out)
{
    double s = dir == DIR_HIGHER ? -1 : 1, tau = r->threshold, w, bound;
    char ch[24], ci[64], t[24];
    bool one_side;

    out->verdict = AN_INCONCLUSIVE;
    out->reason[0] = '\0';
    out->needs_confirmation = false;
    out->significant = isfinite(q) && q < r->alpha;
    out->vs_history = NAN;
    out->mde = NAN;
    out->more_samples = -1;
    out->have_history =
        hist && hist->runs >= r->min_history && hist->center != 0;
    bound = out->have_history ? an_noise_bound(hist, r->level, r->noise_floor)
                              : NAN;
    out->have_history = out->have_history && isfinite(bound);
    if (out->have_history)
        out->bar = bound > tau ? bound : tau;
    else
        out->bar = r->allowance > tau ? r->allowance : tau;
    if (isnan(head_center))
        head_center = c->head;
    if (hist && hist->runs > 0 && hist->center != 0 && isfinite(head_center))
        out->vs_history = head_center / hist->center - 1;
    pct(ch, sizeof ch, c->change);
    ci_text(ci, sizeof ci, c->change_ci);
    pct(t, sizeof t, tau);
    if (c->kind == AN_KIND_SINGLE) {
        say(out,
            "one value per run and no history to judge it by: the "
            "change (%s) is reported, not decided",
            ch);
        return;
    }
    if (!isfinite(c->change)) {
        say(out, "the base's central value is zero: no relative change");
        return;
    }
    if (isfinite(c->change_ci[0]) && isfinite(c->change_ci[1]) &&
        c->change_ci[0] > -tau && c->change_ci[1] < tau) {
        out->verdict = AN_UNCHANGED;
        say(out, "%s: the %s lies within the %s threshold", ch, ci, t + 1);
        if (c->kind == AN_KIND_RUNS)
            out->bar = tau;
        return;
    }
    if (c->kind == AN_KIND_RUNS) {
        out->have_history = true;
        decide_runs(c, q, s, tau, r, out);
        return;
    }
    w = s * c->change;
    one_side = isfinite(c->change_ci[0]) && isfinite(c->change_ci[1])
                   ? (s * c->change_ci[0] > 0) == (s * c->change_ci[1] > 0) &&
                         (s * c->change_ci[0] > 0) == (w > 0)
                   : true;
    if (out->significant && fabs(w) > tau && one_side) {
        enum an_verdict v = w > 0 ? AN_REGRESSED : AN_IMPROVED;

        if (out->have_history) {
            if (s * out->vs_history * (w > 0 ? 1 : -1) > out->bar) {
                char vs[24];

                pct(vs, sizeof vs, out->vs_history);
                out->verdict = v;
                say(out,
                    "%s against the base's samples (%s, q %.2g), beyond "
                    "the %s threshold and the series' run-to-run noise "
                    "(%s from the history's center)",
                    ch, ci, q, t + 1, vs);
                return;
            }
            say(out,
                "%s against the base's samples is significant (q %.2g), "
                "but within the series' run-to-run noise on the base "
                "branch: confirm with another head run (pooled)",
                ch, q);
            out->needs_confirmation = true;
            plan(c, tau, out->bar, true, out);
            return;
        }
        if (fabs(w) > out->bar) {
            out->verdict = v;
            say(out,
                "%s against the base's samples (%s, q %.2g), beyond the "
                "run-to-run allowance of %.0f%% (too little history to "
                "estimate the noise)",
                ch, ci, q, 100 * out->bar);
            return;
        }
        say(out,
            "%s against the base's samples is significant (q %.2g), but "
            "with too little base-branch history the run-to-run noise is "
            "unknown (allowance %.0f%%): confirm with another head run or "
            "build history",
            ch, q, 100 * out->bar);
        out->needs_confirmation = true;
        plan(c, tau, NAN, true, out);
        return;
    }
    if (!isfinite(q))
        say(out, "%s: no test, too few samples for a p-value", ch);
    else if (out->significant && fabs(w) > tau)
        say(out,
            "%s is significant (q %.2g) but its %s reaches the other "
            "side of zero",
            ch, q, ci);
    else if (out->significant)
        say(out,
            "%s is significant (q %.2g) but within the %s threshold, and "
            "its %s reaches past it",
            ch, q, t + 1, ci);
    else
        say(out,
            "%s, not significant (q %.2g), and its %s reaches past the %s "
            "threshold: more samples would decide",
            ch, q, ci, t + 1);
    plan(c, tau, out->have_history ? out->bar : NAN,
         out->have_history && out->bar > tau, out);
}
