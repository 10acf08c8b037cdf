/*
 * budget: one rule ("latency max 50 ms", "throughput min 1000/s") against
 * the values a run gives it.  Which values a rule sees (the matching
 * benchmarks' central values, a resource's peak or mean) is decided by
 * the caller; this file only judges them, so the rule is the same
 * wherever it is evaluated (server, CLI, agent).  A value exactly at the
 * threshold passes: "max 50 ms" allows 50 ms.
 */
#include "analysis/analysis_int.h"

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
