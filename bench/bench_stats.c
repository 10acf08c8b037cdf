/*
 * bench_stats: the statistics engine's cost for a large comparison.
 *
 * 1,000 benchmark pairs of 100 samples each (log-normal timings, one in
 * ten slowed by 10%), compared as GET .../compare does it: an_compare with
 * a 2,000-resample bootstrap per pair, Benjamini-Hochberg across them,
 * then each row's verdict.  The budget is 3 seconds; the program
 * exits 1 past it (or past --limit-ms).
 *
 * usage: bench_stats [--pairs N] [--samples N] [--bootstrap N]
 *                    [--limit-ms MS] [--json FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "core/core.h"

struct lcg {
    uint64_t s;
};

static double uniform(struct lcg *g)
{
    g->s = g->s * 6364136223846793005ull + 1442695040888963407ull;
    return ((double)(g->s >> 11) + 0.5) * 0x1.0p-53;
}

/* Box-Muller: one standard normal. */
static double normal(struct lcg *g)
{
    return sqrt(-2 * log(uniform(g))) * cos(6.283185307179586 * uniform(g));
}

static bool arg(int argc, char **argv, int *i, const char *name, int64_t *v)
{
    if (strcmp(argv[*i], name) || *i + 1 >= argc)
        return false;
    if (parse_int64(argv[++*i], 0, INT64_MAX, v)) {
        fprintf(stderr, "bench_stats: %s: expected a number\n", name);
        exit(2);
    }
    return true;
}

int main(int argc, char **argv)
{
    int64_t pairs = 1000, samples = 100, boot = AN_BOOTSTRAP_DEFAULT,
            limit_ms = 3000;
    const char *json = NULL;
    bool unwritten = false;
    struct lcg g = {20261126};
    struct an_options opt;
    struct an_rules rules;
    struct an_compare *c;
    double *data, *p, secs;
    size_t counts[4] = {0};
    uint64_t t0, t1, t2;

    for (int i = 1; i < argc; i++) {
        if (arg(argc, argv, &i, "--pairs", &pairs) ||
            arg(argc, argv, &i, "--samples", &samples) ||
            arg(argc, argv, &i, "--bootstrap", &boot) ||
            arg(argc, argv, &i, "--limit-ms", &limit_ms))
            continue;
        if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            json = argv[++i];
            continue;
        }
        fprintf(stderr, "usage: bench_stats [--pairs N] [--samples N] "
                        "[--bootstrap N] [--limit-ms MS] [--json FILE]\n");
        return 2;
    }
    if (pairs < 1 || samples < 1 || boot > AN_BOOTSTRAP_MAX) {
        fprintf(stderr, "bench_stats: bad sizes\n");
        return 2;
    }
    an_init();
    data = xmalloc((size_t)(pairs * samples * 2) * sizeof *data);
    for (int64_t k = 0; k < pairs; k++) {
        double mu = 1e-6 * (1 + (double)(k % 97)), slow = k % 10 ? 1 : 1.1;

        for (int64_t i = 0; i < samples; i++) {
            data[(2 * k) * samples + i] = mu * exp(0.05 * normal(&g));
            data[(2 * k + 1) * samples + i] =
                slow * mu * exp(0.05 * normal(&g));
        }
    }
    c = xcalloc((size_t)pairs, sizeof *c);
    p = xmalloc((size_t)pairs * sizeof *p);
    an_options_default(&opt);
    opt.bootstrap = (unsigned)boot;
    an_rules_default(&rules);

    t0 = time_mono_ns();
    for (int64_t k = 0; k < pairs; k++) {
        struct an_side b = {
            data + (2 * k) * samples, (size_t)samples, NAN, NAN, NAN, -1};
        struct an_side h = {
            data + (2 * k + 1) * samples, (size_t)samples, NAN, NAN, NAN, -1};

        if (an_compare(&b, &h, &opt, false, &c[k], NULL)) {
            fprintf(stderr, "bench_stats: an_compare failed\n");
            return 1;
        }
        p[k] = c[k].p_value;
    }
    t1 = time_mono_ns();
    an_bh_adjust(p, (size_t)pairs, p);
    for (int64_t k = 0; k < pairs; k++) {
        struct an_decision d;

        /* no history: the allowance decides, as for a first comparison */
        an_decide(&c[k], p[k], DIR_LOWER, NULL, NAN, &rules, &d);
        counts[d.verdict]++;
    }
    t2 = time_mono_ns();
    secs = (double)(t2 - t0) / 1e9;
    printf("bench_stats: compare of %lld pairs x %lld samples, bootstrap "
           "%lld: %.3f s (%.3f ms per pair; BH and verdicts %.3f ms); "
           "%zu unchanged, %zu inconclusive, %zu regressed; limit %.3f s: "
           "%s\n",
           (long long)pairs, (long long)samples, (long long)boot, secs,
           (double)(t1 - t0) / 1e6 / (double)pairs, (double)(t2 - t1) / 1e6,
           counts[AN_UNCHANGED], counts[AN_INCONCLUSIVE], counts[AN_REGRESSED],
           (double)limit_ms / 1e3,
           secs * 1e3 <= (double)limit_ms ? "ok" : "OVER");
    if (json) {
        FILE *f = fopen(json, "w");
        bool bad = !f;

        if (f) {
            bad = fprintf(f,
                          "{\"pairs\": %lld, \"samples\": %lld, \"bootstrap\": "
                          "%lld, \"seconds\": %.6f, \"limit_seconds\": %.3f}\n",
                          (long long)pairs, (long long)samples, (long long)boot,
                          secs, (double)limit_ms / 1e3) < 0;
            bad = fclose(f) != 0 || bad; /* closed once, even if it fails */
        }
        if (bad) {
            fprintf(stderr, "bench_stats: cannot write %s\n", json);
            unwritten = true;
        }
    }
    for (int64_t k = 0; k < pairs; k++)
        an_compare_cleanup(&c[k]);
    free(c);
    free(p);
    free(data);
    return !unwritten && secs * 1e3 <= (double)limit_ms ? 0 : 1;
}
