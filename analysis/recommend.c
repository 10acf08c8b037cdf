/*
 * Recommendations: sentences that carry the numbers they rest on, so a
 * reader can judge them.  The server, the CLI and the comment writer call
 * these; none of them words advice of its own.  Thresholds are deliberately
 * coarse (a recommendation is a hint where to look, not a verdict):
 *   memory growth  a sustained rise of RSS over the live samples (note 1)
 *   CPU-bound      mean CPU >= 80% of one core
 *   I/O-bound      mean CPU < 30% and disk traffic > 1 MiB/s
 *   waiting        mean CPU < 30% and little disk traffic
 *   idle GPU       samples with GPU utilisation, mean < 10%
 *   regression     whatever the caller decided (a verdict or an alert);
 *                  the sentence adds the commit range and a bisect line
 *   noise          within a run: more repetitions needed for the
 *                  threshold (two-sided 5%, power 80%) than the run has;
 *                  run to run: the long-history prediction bound above
 *                  the threshold
 *   scaling        the log-log slope's verdict "super-linear", for a
 *                  lower-is-better measure only
 *   budget         a failed an_budget_check
 *
 * Design notes:
 *  1. Memory growth is a leak only when it is sustained.  A step in RSS (a
 *     subprocess starting, a cache filled once, the interpreter's start)
 *     has a steep least-squares line through it, so a line alone cried
 *     "leak" on every pytest run.  The advice needs: (a) the live samples
 *     only: RSS absent or 0 is a process that is gone (a zombie reads 0),
 *     not memory given back; (b) a Theil-Sen slope (the median of the
 *     pairwise slopes: robust to a step and to outliers) and a
 *     Mann-Kendall trend, p < 0.01, over the whole; (c) the same rise in
 *     each quarter of the run on its own (Mann-Kendall p < 0.05, and a
 *     Theil-Sen slope at least MEM_PART_SHARE of the whole's), which a
 *     step cannot give, as it leaves the quarters around it flat; (d)
 *     growth over the run above 10% of the mean RSS.  Halves were not
 *     enough: a real pytest-benchmark run (interpreter start in the first
 *     half, one benchmark's timings list in the second, then a plateau)
 *     rose "in both halves".  Long runs are thinned evenly to
 *     MEM_MAX_POINTS samples (the trend tests are O(n^2)).
 */
#include "analysis/analysis.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB 1048576.0
#define MEM_MAX_POINTS 2000
#define MEM_PARTS 4
#define MEM_MIN_POINTS (MEM_PARTS * 5)
#define MEM_PART_SHARE (1.0 / 4.0)
#define Z_975 1.959963984540054
#define Z_80 0.8416212335729143

static void add(struct an_advice *out, size_t max, size_t *k,
                enum an_advice_kind kind, const char *fmt, ...)
    CORE_PRINTF(5, 6);

static void add(struct an_advice *out, size_t max, size_t *k,
                enum an_advice_kind kind, const char *fmt, ...)
{
    va_list ap;

    if (*k >= max)
        return;
    out[*k].kind = kind;
    va_start(ap, fmt);
    vsnprintf(out[*k].text, sizeof out[*k].text, fmt, ap);
    va_end(ap);
    (*k)++;
}

/* Appends to a's text, truncating at its size. */
static void cat(struct an_advice *a, const char *fmt, ...) CORE_PRINTF(2, 3);

static void cat(struct an_advice *a, const char *fmt, ...)
{
    size_t len = strlen(a->text);
    va_list ap;

    if (len + 1 >= sizeof a->text)
        return;
    va_start(ap, fmt);
    vsnprintf(a->text + len, sizeof a->text - len, fmt, ap);
    va_end(ap);
}

/* Mean of the finite values of field f; NAN when none. */
static double mean_of(const struct resource_sample *s, size_t n, size_t off)
{
    double sum = 0;
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        double v = *(const double *)((const char *)&s[i] + off);

        if (isfinite(v)) {
            sum += v;
            m++;
        }
    }
    return m ? sum / (double)m : NAN;
}

/* Sen slope and Mann-Kendall p of y over x (n points); false when they
 * cannot be computed. */
static bool sen_mk(const double *x, const double *y, size_t n, double *slope,
                   double *p)
{
    struct an_trend t;

    if (n < 5 || an_trend(x, y, n, &t, NULL) != ERR_OK ||
        !isfinite(t.theil_sen_slope) || !isfinite(t.mann_kendall_p))
        return false;
    *slope = t.theil_sen_slope;
    *p = t.mann_kendall_p;
    return true;
}

static void memory_growth(const struct resource_sample *s, size_t n,
                          struct an_advice *out, size_t max, size_t *k)
{
    double *x = xcalloc(n, sizeof *x), *y = xcalloc(n, sizeof *y);
    size_t m = 0, live = 0, step;
    double slope, p, part[MEM_PARTS], secs, mean = 0;

    /* (a) the live samples (note 1) */
    for (size_t i = 0; i < n; i++)
        live += isfinite(s[i].rss_bytes) && s[i].rss_bytes > 0;
    step = live > MEM_MAX_POINTS ? (live + MEM_MAX_POINTS - 1) / MEM_MAX_POINTS
                                 : 1;
    for (size_t i = 0, j = 0; i < n; i++) {
        if (!(isfinite(s[i].rss_bytes) && s[i].rss_bytes > 0))
            continue;
        if (j++ % step)
            continue;
        x[m] = (double)(s[i].t_ms - s[0].t_ms) / 1000.0;
        y[m] = s[i].rss_bytes;
        mean += y[m];
        m++;
    }
    if (m < MEM_MIN_POINTS)
        goto out;
    mean /= (double)m;
    secs = x[m - 1] - x[0];
    /* (b) the whole, (d) the size */
    if (secs <= 0 || !sen_mk(x, y, m, &slope, &p) || slope <= 0 || p >= 0.01 ||
        slope * secs <= 0.10 * mean)
        goto out;
    /* (c) each part on its own */
    for (size_t q = 0; q < MEM_PARTS; q++) {
        size_t lo = m * q / MEM_PARTS, hi = m * (q + 1) / MEM_PARTS;
        double pq;

        if (!sen_mk(x + lo, y + lo, hi - lo, &part[q], &pq) || pq >= 0.05 ||
            part[q] < MEM_PART_SHARE * slope)
            goto out;
    }
    add(out, max, k, AN_ADVICE_MEMORY,
        "Memory grew through the run: RSS rose %.2f MiB/s (Theil-Sen; "
        "Mann-Kendall p = %.2g), and rose in each quarter of it (%.2f, "
        "%.2f, %.2f and %.2f MiB/s), over %.0f s: %.0f%% of its mean of "
        "%.1f MiB. Look for a leak or an unbounded cache.",
        slope / MIB, p, part[0] / MIB, part[1] / MIB, part[2] / MIB,
        part[3] / MIB, secs, 100 * slope * secs / mean, mean / MIB);
out:
    free(x);
    free(y);
}

size_t an_recommend_resources(const struct resource_sample *s, size_t n,
                              struct an_advice *out, size_t max)
{
    size_t k = 0;
    double secs, cpu, gpu, io = 0;

    if (n < 5)
        return 0;
    secs = (double)(s[n - 1].t_ms - s[0].t_ms) / 1000.0;
    if (secs < 2)
        return 0;
    memory_growth(s, n, out, max, &k);
    cpu = mean_of(s, n, offsetof(struct resource_sample, cpu_pct));
    /* read and write bytes are cumulative: traffic is last minus first */
    for (int f = 0; f < 2; f++) {
        size_t off = f ? offsetof(struct resource_sample, write_bytes)
                       : offsetof(struct resource_sample, read_bytes);
        double first = NAN, last = NAN;

        for (size_t i = 0; i < n; i++) {
            double v = *(const double *)((const char *)&s[i] + off);

            if (!isfinite(v))
                continue;
            if (!isfinite(first))
                first = v;
            last = v;
        }
        if (isfinite(first) && last > first)
            io += last - first;
    }
    if (isfinite(cpu)) {
        if (cpu >= 80)
            add(out, max, &k, AN_ADVICE_CPU,
                "CPU-bound: the process tree used %.0f%% of a core on "
                "average over %.0f s. Faster code or more cores help; "
                "faster disks do not.",
                cpu, secs);
        else if (cpu < 30 && io / secs > MIB)
            add(out, max, &k, AN_ADVICE_IO,
                "I/O-bound: %.0f%% CPU on average while the disk moved "
                "%.1f MiB/s. The storage, not the code, sets the pace.",
                cpu, io / secs / MIB);
        else if (cpu < 30)
            add(out, max, &k, AN_ADVICE_WAIT,
                "Mostly waiting: %.0f%% CPU on average and %.2f MiB/s of "
                "disk traffic. Look at locks, sleeps or the network.",
                cpu, io / secs / MIB);
    }
    gpu = mean_of(s, n, offsetof(struct resource_sample, gpu_util_pct));
    if (isfinite(gpu) && gpu < 10)
        add(out, max, &k, AN_ADVICE_GPU,
            "The GPU was nearly idle: %.1f%% utilisation on average. The "
            "work may not reach the GPU, or it waits on the CPU.",
            gpu);
    return k;
}

/* ---- comparisons, alerts, scaling, budgets ------------------------------- */

void an_advise_regression(const struct an_regression_facts *f,
                          struct an_advice *out)
{
    const char *sep = " (";

    out->kind = AN_ADVICE_REGRESSION;
    snprintf(out->text, sizeof out->text, "%s regressed by %+.1f%%", f->series,
             100 * f->change);
    if (isfinite(f->before) && isfinite(f->after)) {
        char b[32], a[32];

        unit_format(b, sizeof b, f->before, f->unit);
        unit_format(a, sizeof a, f->after, f->unit);
        cat(out, "%sfrom %s to %s", sep, b, a);
        sep = ", ";
    }
    if (isfinite(f->change_ci[0]) && isfinite(f->change_ci[1])) {
        cat(out, "%s95%% CI %+.1f%% to %+.1f%%", sep, 100 * f->change_ci[0],
            100 * f->change_ci[1]);
        sep = ", ";
    }
    if (isfinite(f->p_value)) {
        cat(out, "%s%s = %.2g", sep, f->p_name ? f->p_name : "p", f->p_value);
        sep = ", ";
    }
    if (strcmp(sep, ", ") == 0)
        cat(out, ")");
    if (isfinite(f->threshold))
        cat(out, ", beyond the %.0f%% threshold and its run-to-run noise",
            100 * f->threshold);
    if (f->last_good && f->first_bad)
        cat(out,
            ". The cause is among the commits after %.12s up to %.12s: "
            "git bisect start %.12s %.12s.",
            f->last_good, f->first_bad, f->first_bad, f->last_good);
    else if (f->first_bad)
        cat(out, ". It first shows in commit %.12s.", f->first_bad);
    else
        cat(out, ".");
}

int64_t an_repetitions_needed(double cv, double effect)
{
    double n;

    if (!isfinite(cv) || !isfinite(effect) || cv <= 0 || effect <= 0)
        return -1;
    n = ceil(2 * (Z_975 + Z_80) * (Z_975 + Z_80) * cv * cv / (effect * effect));
    if (n > 1e12)
        return (int64_t)1e12;
    return n < 2 ? 2 : (int64_t)n;
}

bool an_advise_noise(const char *series, double cv, size_t nsamples,
                     const struct an_noise *hist, double level, double effect,
                     struct an_advice *out)
{
    int64_t reps = an_repetitions_needed(cv, effect);
    bool within = nsamples >= 2 && reps > (int64_t)nsamples;
    bool across = false;
    double bound = NAN;

    if (hist && hist->runs >= 2 && isfinite(hist->noise)) {
        struct an_noise longrun = *hist;

        /* the bound as the history grows: more runs will not lower it */
        longrun.runs = 1000000;
        bound = an_noise_bound(&longrun, level, 0);
        across = bound > effect;
    }
    if (!within && !across)
        return false;
    out->kind = AN_ADVICE_NOISE;
    snprintf(out->text, sizeof out->text,
             "%s is too noisy to detect a %.0f%% change:", series,
             100 * effect);
    if (within)
        cat(out,
            " its samples vary with a CV of %.1f%%, so a %.0f%% change "
            "needs about %lld repetitions per side (it has %zu)",
            100 * cv, 100 * effect, (long long)reps, nsamples);
    if (within && across)
        cat(out, ";");
    if (across)
        cat(out,
            " from run to run it moves by %.1f%% (robust, over %zu runs), "
            "so even a long history bounds chance changes at %.1f%%",
            100 * hist->noise, hist->runs, 100 * bound);
    if (across)
        cat(out, ". More repetitions within a run do not fix drift between "
                 "runs: pin CPUs, fix the CPU frequency, or use a quieter "
                 "testbed.");
    else
        cat(out, ". Add repetitions (rounds), or pin CPUs and fix the CPU "
                 "frequency to lower the CV.");
    return true;
}

bool an_advise_scaling(const char *series, const char *param,
                       enum direction dir, const struct an_scaling *s,
                       struct an_advice *out)
{
    if (dir == DIR_HIGHER || !s->verdict ||
        strcmp(s->verdict, "super-linear") != 0)
        return false;
    out->kind = AN_ADVICE_SCALING;
    snprintf(out->text, sizeof out->text,
             "%s grows faster than %s: a log-log slope of %.2f (95%% CI %.2f "
             "to %.2f), closest to %s, so doubling %s multiplies it by about "
             "%.1f",
             series, param, s->loglog_slope, s->loglog_slope_ci[0],
             s->loglog_slope_ci[1], an_complexity_str(s->best), param,
             pow(2, s->loglog_slope));
    if (isfinite(s->throughput_ratio))
        cat(out, "; at the largest %s, throughput is %.0f%% of its best", param,
            100 * s->throughput_ratio);
    cat(out, ". Look for work per element that grows with the input: "
             "nested loops, repeated scans, rehashing or sorting inside a "
             "loop.");
    return true;
}

bool an_advise_budget(const char *series, bool is_max, double threshold,
                      const char *unit, const struct an_budget_check *c,
                      struct an_advice *out)
{
    char t[32], w[32];

    if (c->pass)
        return false;
    unit_format(t, sizeof t, threshold, unit);
    unit_format(w, sizeof w, c->worst, unit);
    out->kind = AN_ADVICE_BUDGET;
    snprintf(out->text, sizeof out->text,
             "%s broke its budget of %s %s: %zu of %zu value%s %s, the "
             "worst %s (%+.1f%%).",
             series, is_max ? "at most" : "at least", t, c->violations,
             c->checked, c->checked == 1 ? "" : "s",
             is_max ? "above it" : "below it", w,
             threshold != 0 ? 100 * (c->worst / threshold - 1) : NAN);
    return true;
}

/* ---- about the comparison itself ---------------------------------------- */

void an_advise_more_noisy(size_t n, struct an_advice *out)
{
    out->kind = AN_ADVICE_PROCESS;
    snprintf(out->text, sizeof out->text,
             "%zu more series are too noisy to detect their threshold (see "
             "cv and run_to_run in the rows).",
             n);
}

void an_advise_confirm(size_t n, const char *head, struct an_advice *out)
{
    out->kind = AN_ADVICE_PROCESS;
    snprintf(out->text, sizeof out->text,
             "%zu significant change%s could be run-to-run noise: run the "
             "benchmarks again on the head commit and compare with "
             "head=%s,<new run id> to confirm.",
             n, n == 1 ? "" : "s", head);
}

void an_advise_short_history(size_t n, size_t total, size_t min_history,
                             const char *branch, double allowance,
                             struct an_advice *out)
{
    out->kind = AN_ADVICE_PROCESS;
    snprintf(out->text, sizeof out->text,
             "%zu of %zu series have fewer than %zu runs of history on %s: "
             "until it builds up, only changes beyond the %.0f%% run-to-run "
             "allowance are called.",
             n, total, min_history, branch, 100 * allowance);
}
