/*
 * cpd_gen.h: a generator of performance-like histories for the change-point
 * tests (test_changepoint.c includes it; it is not a module of its own).
 *
 * A history is a level times noise, point by point:
 *   - noise: log-normal with a coefficient of variation cv (1-10%):
 *     exp(s N(0,1) - s^2/2), s^2 = log(1 + cv^2), so its mean is 1;
 *   - outliers: with probability outlier_rate a point is slower by a factor
 *     uniform in [1.2, 2.5] (a noisy neighbour, a GC pause), one point alone;
 *   - bimodal runs: with probability bimodal_rate a run lands in a second
 *     mode bimodal_shift slower (another CPU frequency, a cold cache);
 *   - steps: at random places at least min_gap apart, the level is
 *     multiplied by 1 + d, |d| uniform in [step_min, step_max], random sign;
 *   - slow drift: the level moves by drift per 1,000 points (compounded),
 *     which is not a step and must not be reported as many;
 *   - heavy tails: with tail_df > 2 the noise's normal is replaced by a
 *     Student t with tail_df degrees of freedom scaled to the same SD
 *     (tail_df 3: a run of 5 SDs is about 100 times likelier than normal).
 * The random stream is splitmix64 from a seed: one seed, one history.
 */
#ifndef BV_TESTS_CPD_GEN_H
#define BV_TESTS_CPD_GEN_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

struct gen_cfg {
    size_t n;            /* points */
    double cv;           /* noise coefficient of variation */
    double outlier_rate; /* per point */
    double bimodal_rate; /* per point; 0 for unimodal */
    double bimodal_shift;
    size_t nsteps;             /* steps to place (fewer if they do not fit) */
    double step_min, step_max; /* relative size range */
    size_t min_gap;            /* points between steps and from the ends */
    double drift;              /* relative level change per 1,000 points */
    unsigned tail_df;          /* > 2: Student t noise (heavy tails) */
};

struct gen_history {
    double *x; /* owns */
    size_t n;
    size_t *step_at;   /* owns: index of the first point after a step */
    double *step_size; /* owns: relative change of the level */
    size_t nsteps;
};

static uint64_t gen_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double gen_unif(uint64_t *s)
{
    return ((double)(gen_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double gen_normal(uint64_t *s)
{
    double u = gen_unif(s), v = gen_unif(s);

    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static int gen_cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    return x < y ? -1 : x > y;
}

static void gen_history_free(struct gen_history *h)
{
    free(h->x);
    free(h->step_at);
    free(h->step_size);
    memset(h, 0, sizeof *h);
}

static void gen_history_make(const struct gen_cfg *c, uint64_t seed,
                             struct gen_history *h)
{
    uint64_t s = seed * 0x2545f4914f6cdd1dULL + 1;
    double sig = sqrt(log(1.0 + c->cv * c->cv)), level = 100.0;
    double drift_step = pow(1.0 + c->drift, 1.0 / 1000.0);
    size_t k = 0;

    memset(h, 0, sizeof *h);
    h->n = c->n;
    h->x = xcalloc(c->n ? c->n : 1, sizeof *h->x);
    h->step_at = xcalloc(c->nsteps ? c->nsteps : 1, sizeof *h->step_at);
    h->step_size = xcalloc(c->nsteps ? c->nsteps : 1, sizeof *h->step_size);
    /* Places steps by rejection: each at least min_gap from the others and
     * from both ends.  Gives up quietly when they do not fit. */
    for (size_t tries = 0; k < c->nsteps && tries < 1000 * (c->nsteps + 1);
         tries++) {
        size_t at, i;

        if (c->n <= 2 * c->min_gap)
            break;
        at = c->min_gap +
             (size_t)(gen_unif(&s) * (double)(c->n - 2 * c->min_gap));
        for (i = 0; i < k; i++)
            if ((at > h->step_at[i] ? at - h->step_at[i] : h->step_at[i] - at) <
                c->min_gap)
                break;
        if (i == k)
            h->step_at[k++] = at;
    }
    h->nsteps = k;
    qsort(h->step_at, k, sizeof *h->step_at, gen_cmp_size);
    for (size_t i = 0; i < k; i++) {
        double d = c->step_min + gen_unif(&s) * (c->step_max - c->step_min);

        h->step_size[i] = gen_unif(&s) < 0.5 ? d : -d;
    }
    for (size_t i = 0, j = 0; i < c->n; i++) {
        double v;

        if (j < k && h->step_at[j] == i)
            level *= 1.0 + h->step_size[j++];
        level *= drift_step;
        if (c->tail_df > 2) {
            double chi = 0.0, g = gen_normal(&s), df = (double)c->tail_df;

            for (unsigned d = 0; d < c->tail_df; d++) {
                double u = gen_normal(&s);

                chi += u * u;
            }
            g = g / sqrt(chi / df) * sqrt((df - 2.0) / df);
            v = level * exp(sig * g - 0.5 * sig * sig);
        } else {
            v = level * exp(sig * gen_normal(&s) - 0.5 * sig * sig);
        }
        if (c->bimodal_rate > 0 && gen_unif(&s) < c->bimodal_rate)
            v *= 1.0 + c->bimodal_shift;
        if (c->outlier_rate > 0 && gen_unif(&s) < c->outlier_rate)
            v *= 1.2 + 1.3 * gen_unif(&s);
        h->x[i] = v;
    }
}

#endif /* BV_TESTS_CPD_GEN_H */
