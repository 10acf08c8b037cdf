/*
 * Advice from a run's resource samples.  Each sentence carries the numbers
 * it rests on, so a reader can judge it; the thresholds are deliberately
 * coarse (a recommendation is a hint where to look, not a verdict):
 *   memory growth  OLS slope of RSS over time, 95% CI above zero, and the
 *                  growth over the run above 10% of the mean RSS
 *   CPU-bound      mean CPU >= 80% of one core
 *   I/O-bound      mean CPU < 30% and disk traffic > 1 MiB/s
 *   waiting        mean CPU < 30% and little disk traffic
 *   idle GPU       samples with GPU utilisation, mean < 10%
 */
#include "analysis/analysis.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define MIB 1048576.0

static void add(struct an_advice *out, size_t max, size_t *k,
                const char *fmt, ...) CORE_PRINTF(4, 5);

static void add(struct an_advice *out, size_t max, size_t *k,
                const char *fmt, ...)
{
    va_list ap;

    if (*k >= max)
        return;
    va_start(ap, fmt);
    vsnprintf(out[*k].text, sizeof out[*k].text, fmt, ap);
    va_end(ap);
    (*k)++;
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

static void memory_growth(const struct resource_sample *s, size_t n,
                          double secs, struct an_advice *out, size_t max,
                          size_t *k)
{
    double *x = xcalloc(n, sizeof *x), *y = xcalloc(n, sizeof *y);
    size_t m = 0;
    struct an_trend t;

    for (size_t i = 0; i < n; i++) {
        if (!isfinite(s[i].rss_bytes))
            continue;
        x[m] = (double)(s[i].t_ms - s[0].t_ms) / 1000.0;
        y[m] = s[i].rss_bytes;
        m++;
    }
    if (m >= 5 && an_trend(x, y, m, &t, NULL) == ERR_OK &&
        t.slope_ci[0] > 0) {
        double mean = mean_of(s, n, offsetof(struct resource_sample,
                                             rss_bytes));

        if (t.slope * secs > 0.10 * mean)
            add(out, max, k,
                "Memory grew through the run: RSS rose %.2f MiB/s (95%% CI "
                "%.2f to %.2f, R\xc2\xb2 %.2f) over %.0f s, %.0f%% of its "
                "mean of %.1f MiB. Look for a leak or an unbounded cache.",
                t.slope / MIB, t.slope_ci[0] / MIB, t.slope_ci[1] / MIB, t.r2,
                secs, 100 * t.slope * secs / mean, mean / MIB);
    }
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
    memory_growth(s, n, secs, out, max, &k);
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
            add(out, max, &k,
                "CPU-bound: the process tree used %.0f%% of a core on "
                "average over %.0f s. Faster code or more cores help; "
                "faster disks do not.", cpu, secs);
        else if (cpu < 30 && io / secs > MIB)
            add(out, max, &k,
                "I/O-bound: %.0f%% CPU on average while the disk moved "
                "%.1f MiB/s. The storage, not the code, sets the pace.",
                cpu, io / secs / MIB);
        else if (cpu < 30)
            add(out, max, &k,
                "Mostly waiting: %.0f%% CPU on average and %.2f MiB/s of "
                "disk traffic. Look at locks, sleeps or the network.", cpu,
                io / secs / MIB);
    }
    gpu = mean_of(s, n, offsetof(struct resource_sample, gpu_util_pct));
    if (isfinite(gpu) && gpu < 10)
        add(out, max, &k,
            "The GPU was nearly idle: %.1f%% utilisation on average. The "
            "work may not reach the GPU, or it waits on the CPU.", gpu);
    return k;
}
