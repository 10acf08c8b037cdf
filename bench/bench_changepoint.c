/*
 * bench_changepoint: how fast change points are found (`make bench` runs it
 * through bench/run.sh).
 *
 *   bench_changepoint [--json OUT] [--reps N]
 *
 * What is measured, on performance-like histories from the test generator
 * (tests/unit/cpd_gen.h: log-normal noise at CV 3%, 1% outliers, 5%
 * bimodal runs, a step of 3-30% up or down every 500 points on average):
 *   1. a full analysis of a 10,000-point series;
 *   2. a full analysis of a 100,000-point series;
 *   3. adding one point to 10,000 with the incremental mode (the state of
 *      the first 10,000 is built outside the timed region, each time).
 * Each with Otava's parameters (the hunter method, window 50, p 0.001,
 * magnitude 0, no minimum segment beyond one point, no outlier filter) and
 * with benchvault's defaults (the steps method).  The time is the median of
 * --reps (15) runs, CLOCK_MONOTONIC.  Every incremental answer is checked
 * against a full analysis of the same points: they must be identical (exit
 * status 1 otherwise).
 *
 * Otava itself is not run here (it is a Python package this machine does
 * not have): its times are the constants below, Apache Otava 0.8.0 on the
 * same three tasks as measured when this bench was written (115 ms, 1.3 s,
 * 6 ms), on another machine.  So the "x Otava" column compares a figure
 * measured now with one measured then: read it as an order of magnitude.
 * Targets (50x Otava): 2.3 ms, 26 ms, 0.12 ms; shown, never enforced.
 */
#include "analysis/analysis.h"
#include "tests/unit/cpd_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct figure {
    const char *name, *label;
    double otava_ms; /* Apache Otava 0.8.0 (see above) */
    double target_ms;
    double ms[2];  /* Otava's parameters, benchvault's defaults */
    size_t cps[2]; /* change points found */
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void params_for(int set, struct an_cpd_params *p)
{
    an_cpd_params_default(p, set == 0 ? AN_CPD_HUNTER : AN_CPD_DEFAULT);
    if (set == 0) {
        p->min_magnitude = 0.0;
        p->min_size = 1;
        p->outlier_filter = 0.0;
    }
}

static bool same(const struct an_cp *a, size_t na, const struct an_cp *b,
                 size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].index != b[i].index || a[i].p_value != b[i].p_value)
            return false;
    return true;
}

/* Median time of a full analysis of x[0..n). */
static double time_full(const double *x, size_t n,
                        const struct an_cpd_params *p, size_t reps,
                        size_t *ncps)
{
    double *t = xcalloc(reps, sizeof *t), m;
    struct errbuf eb;

    err_init(&eb);
    for (size_t r = 0; r < reps; r++) {
        struct an_cp *cps = NULL;
        double t0 = now_ms();

        if (an_changepoints(x, n, p, &cps, ncps, &eb) != ERR_OK) {
            fprintf(stderr, "bench_changepoint: %s\n", eb.msg);
            exit(1);
        }
        t[r] = now_ms() - t0;
        free(cps);
    }
    m = median(t, reps);
    free(t);
    err_cleanup(&eb);
    return m;
}

/* Median time of adding point n to the state of x[0..n-1); *ok false when
 * an answer differs from the full analysis. */
static double time_incremental(const double *x, size_t n,
                               const struct an_cpd_params *p, size_t reps,
                               size_t *ncps, bool *ok)
{
    double *t = xcalloc(reps, sizeof *t), m;
    struct an_cp *full = NULL;
    size_t nfull;
    struct errbuf eb;

    err_init(&eb);
    if (an_changepoints(x, n, p, &full, &nfull, &eb) != ERR_OK)
        exit(1);
    for (size_t r = 0; r < reps; r++) {
        struct an_cpd_state st;
        struct an_cp *cps = NULL;
        double t0;

        an_cpd_state_init(&st);
        if (an_cpd_hunter_update(x, n - 1, p, &st, &cps, ncps, &eb))
            exit(1);
        free(cps);
        t0 = now_ms();
        if (an_cpd_hunter_update(x, n, p, &st, &cps, ncps, &eb))
            exit(1);
        t[r] = now_ms() - t0;
        if (!same(cps, *ncps, full, nfull))
            *ok = false;
        free(cps);
        an_cpd_state_cleanup(&st);
    }
    m = median(t, reps);
    free(t);
    free(full);
    err_cleanup(&eb);
    return m;
}

int main(int argc, char **argv)
{
    struct figure figs[] = {
        {"full_10k_ms",
         "full analysis, 10,000 points",
         115,
         2.3,
         {0, 0},
         {0, 0}},
        {"full_100k_ms",
         "full analysis, 100,000 points",
         1300,
         26,
         {0, 0},
         {0, 0}},
        {"add_one_10k_ms",
         "add one point to 10,000 (incremental)",
         6,
         0.12,
         {0, 0},
         {0, 0}},
    };
    struct gen_cfg c = {.n = 100000,
                        .cv = 0.03,
                        .outlier_rate = 0.01,
                        .bimodal_rate = 0.05,
                        .bimodal_shift = 0.08,
                        .nsteps = 200,
                        .step_min = 0.03,
                        .step_max = 0.30,
                        .min_gap = 100};
    struct gen_history h;
    const char *json = NULL;
    size_t reps = 15;
    bool ok = true;
    FILE *f;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            json = argv[++i];
        } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            int64_t r;

            if (parse_int64(argv[++i], 1, 1000, &r)) {
                fprintf(stderr, "bench_changepoint: --reps 1..1000\n");
                return 2;
            }
            reps = (size_t)r;
        } else {
            fprintf(stderr, "usage: bench_changepoint [--json OUT] "
                            "[--reps N]\n");
            return 2;
        }
    }
    an_init();
    gen_history_make(&c, 2026, &h);
    for (int set = 0; set < 2; set++) {
        struct an_cpd_params p;

        params_for(set, &p);
        figs[0].ms[set] = time_full(h.x, 10000, &p, reps, &figs[0].cps[set]);
        figs[1].ms[set] =
            time_full(h.x, 100000, &p, reps < 5 ? reps : 5, &figs[1].cps[set]);
        figs[2].ms[set] =
            time_incremental(h.x, 10001, &p, reps, &figs[2].cps[set], &ok);
    }
    printf("change points (bench_changepoint; CV 3%% history with steps, "
           "outliers, bimodal runs)\n");
    printf("%-42s %12s %12s %10s %10s %9s\n", "", "Otava params", "defaults",
           "Otava", "target", "x Otava");
    for (size_t i = 0; i < sizeof figs / sizeof *figs; i++)
        printf("%-42s %9.3f ms %9.3f ms %7.0f ms %7.2f ms %8.0fx %s\n",
               figs[i].label, figs[i].ms[0], figs[i].ms[1], figs[i].otava_ms,
               figs[i].target_ms,
               figs[i].otava_ms / fmax(figs[i].ms[0], figs[i].ms[1]),
               figs[i].ms[0] <= figs[i].target_ms &&
                       figs[i].ms[1] <= figs[i].target_ms
                   ? "ok"
                   : "OVER");
    printf("%-42s %12zu %12zu\n", "  change points found (10,000)",
           figs[0].cps[0], figs[0].cps[1]);
    printf("%-42s %12zu %12zu\n", "  change points found (100,000)",
           figs[1].cps[0], figs[1].cps[1]);
    printf("%-42s %12s\n", "  incremental equals full analysis",
           ok ? "yes" : "NO");
    if (json) {
        f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "bench_changepoint: cannot write %s\n", json);
            ok = false;
        } else {
            fprintf(f, "{");
            for (size_t i = 0; i < sizeof figs / sizeof *figs; i++)
                fprintf(f,
                        "\"%s\":{\"otava_params\":%.4f,\"defaults\":%.4f,"
                        "\"otava\":%g,\"target\":%g},",
                        figs[i].name, figs[i].ms[0], figs[i].ms[1],
                        figs[i].otava_ms, figs[i].target_ms);
            fprintf(f, "\"incremental_equals_full\":%s}\n",
                    ok ? "true" : "false");
            fclose(f);
        }
    }
    gen_history_free(&h);
    return ok ? 0 : 1;
}
