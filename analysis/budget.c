/*
 * budget: one rule ("latency max 50 ms", "throughput min 1000/s") against
 * the runs of one commit.  This is the only place a budget is judged: the
 * server's comparison and run pages (service/budgets.c) and the agent's
 * gate (--budgets FILE, agent/gate.c) both call an_budget_eval, so they
 * cannot disagree.  A value exactly at the threshold passes: "max 50 ms"
 * allows 50 ms.
 *
 * Design notes:
 *  1. The run is the unit: each matching series (benchmark key and
 *     measure) gets the median of its central values over the runs, so a
 *     confirmation run can clear one noisy run and one wild run cannot
 *     break a budget alone (issue 11).  The rule fails when any series'
 *     median breaks it; the worst series is reported.
 *  2. A result matches when its measure is the rule's, its key or family
 *     name matches the glob, and its unit is the rule's (a rule without a
 *     unit is in the measure's canonical unit; ms against bytes does not
 *     apply).
 *  3. When no result has the measure and it names a resource, the runs'
 *     samples are checked: the mean of cpu_pct (cpu) or gpu_util_pct
 *     (gpu), the peak of rss_bytes (memory), gpu_mem_bytes (gpu_memory),
 *     read_bytes, write_bytes; one value per run, then the median.
 */
#include "analysis/analysis_int.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void an_budget_check(bool is_max, double threshold, const double *values,
                     size_t n, struct an_budget_check *out)
{
    out->pass = true;
    out->checked = out->violations = 0;
    out->worst = NAN;
    for (size_t i = 0; i < n; i++) {
        double v = values[i];

        if (isnan(v))
            continue;
        out->checked++;
        if (isnan(out->worst) || (is_max ? v > out->worst : v < out->worst))
            out->worst = v;
        if (is_max ? v > threshold : v < threshold)
            out->violations++;
    }
    out->pass = out->violations == 0;
}

/* ---- a rule over runs (notes 1-3) -------------------------------------- */

static const struct {
    const char *name;
    size_t off;
    bool peak;
} resources[] = {
    {"cpu_pct", offsetof(struct resource_sample, cpu_pct), false},
    {"cpu", offsetof(struct resource_sample, cpu_pct), false},
    {"gpu_util_pct", offsetof(struct resource_sample, gpu_util_pct), false},
    {"gpu", offsetof(struct resource_sample, gpu_util_pct), false},
    {"rss_bytes", offsetof(struct resource_sample, rss_bytes), true},
    {"memory", offsetof(struct resource_sample, rss_bytes), true},
    {"gpu_mem_bytes", offsetof(struct resource_sample, gpu_mem_bytes), true},
    {"gpu_memory", offsetof(struct resource_sample, gpu_mem_bytes), true},
    {"read_bytes", offsetof(struct resource_sample, read_bytes), true},
    {"write_bytes", offsetof(struct resource_sample, write_bytes), true},
};

/* The run's mean or peak of one resource; NAN without samples. */
static double resource_of(const struct run *r, size_t off, bool peak)
{
    double acc = peak ? -INFINITY : 0;
    size_t m = 0;

    for (size_t i = 0; i < r->nresources; i++) {
        double v = *(const double *)((const char *)&r->resources[i] + off);

        if (isnan(v))
            continue;
        m++;
        acc = peak ? (v > acc ? v : acc) : acc + v;
    }
    if (m == 0)
        return NAN;
    return peak ? acc : acc / (double)m;
}

static bool matches(const struct an_budget_rule *rule, const struct result *res)
{
    const char *glob = rule->benchmark_glob && *rule->benchmark_glob
                           ? rule->benchmark_glob
                           : "*";
    const char *unit = res->unit ? res->unit : "";

    if (!res->measure || strcmp(res->measure, rule->measure) != 0)
        return false;
    if (rule->unit && *rule->unit && strcmp(rule->unit, unit) != 0)
        return false;
    return glob_match(glob, res->key ? res->key : "") ||
           (res->benchmark && glob_match(glob, res->benchmark));
}

/* The median of the finite values of v[0..n) (reordered); NAN if none. */
static double median_finite(double *v, size_t n)
{
    size_t m = 0;

    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[m++] = v[i];
    return an_median_inplace(v, m);
}

static struct an_budget_series *add_series(struct an_budget_eval *e,
                                           size_t *cap, const char *key)
{
    struct an_budget_series *s;

    if (e->nseries == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        e->series = xreallocarray(e->series, *cap, sizeof *e->series);
    }
    s = &e->series[e->nseries++];
    memset(s, 0, sizeof *s);
    s->key = key ? xstrdup(key) : NULL;
    return s;
}

static bool seen(const struct an_budget_eval *e, const char *key)
{
    for (size_t i = 0; i < e->nseries; i++)
        if (e->series[i].key && !strcmp(e->series[i].key, key))
            return true;
    return false;
}

void an_budget_eval(const struct an_budget_rule *rule, const struct run *runs,
                    size_t nruns, struct an_budget_eval *out)
{
    double *v;
    size_t cap = 0;

    assert(rule && rule->measure && out && (runs || nruns == 0));
    v = xcalloc(nruns + 1, sizeof *v);
    memset(out, 0, sizeof *out);
    out->worst = SIZE_MAX;
    for (size_t r = 0; r < nruns; r++) {
        for (size_t i = 0; i < runs[r].nresults; i++) {
            const struct result *res = &runs[r].results[i];
            struct an_budget_series *s;
            size_t nv = 0;

            if (!matches(rule, res) || seen(out, res->key ? res->key : ""))
                continue;
            /* The same series in every run, once each (note 1). */
            for (size_t q = 0; q < nruns; q++)
                for (size_t k = 0; k < runs[q].nresults; k++) {
                    const struct result *o = &runs[q].results[k];

                    if (matches(rule, o) && !strcmp(o->key ? o->key : "",
                                                    res->key ? res->key : "")) {
                        v[nv++] = o->value;
                        break;
                    }
                }
            s = add_series(out, &cap, res->key ? res->key : "");
            s->nruns = nv;
            s->value = median_finite(v, nv);
        }
    }
    for (size_t k = 0;
         out->nseries == 0 && k < sizeof resources / sizeof resources[0]; k++) {
        struct an_budget_series *s;

        if (strcmp(rule->measure, resources[k].name) != 0)
            continue;
        for (size_t r = 0; r < nruns; r++)
            v[r] = resource_of(&runs[r], resources[k].off, resources[k].peak);
        s = add_series(out, &cap, NULL);
        s->nruns = nruns;
        s->value = median_finite(v, nruns);
        out->from_samples = true;
    }
    free(v);
    v = xcalloc(out->nseries + 1, sizeof *v);
    for (size_t i = 0; i < out->nseries; i++) {
        struct an_budget_series *s = &out->series[i];

        v[i] = s->value;
        s->broken =
            !isnan(s->value) && (rule->is_max ? s->value > rule->threshold
                                              : s->value < rule->threshold);
    }
    an_budget_check(rule->is_max, rule->threshold, v, out->nseries,
                    &out->check);
    for (size_t i = 0; i < out->nseries && !isnan(out->check.worst); i++)
        if (out->series[i].value == out->check.worst) {
            out->worst = i;
            break;
        }
    free(v);
}

void an_budget_eval_free(struct an_budget_eval *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nseries; i++)
        free(e->series[i].key);
    free(e->series);
    memset(e, 0, sizeof *e);
}
