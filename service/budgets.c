/*
 * Budgets checked on runs: the rules that apply to a set of runs (the
 * project's, then those each run brought) and each rule's outcome.  One
 * evaluation for the comparison, the run's budgets route and the gate.
 * The rules' semantics are in server/route_budgets.c's notes (1 and 2).
 */
#include "service/service_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "ingest/ingest.h"

/* ---- rules ------------------------------------------------------------- */

void svc_budget_rules_free(struct store_budget *rules, char **sources, size_t n)
{
    for (size_t i = 0; sources && i < n; i++)
        free(sources[i]);
    free(sources);
    store_budgets_free(rules, n);
}

enum err svc_budget_rules(struct store *st, int64_t project_id,
                          const struct run *runs, size_t nruns,
                          struct store_budget **rules, char ***sources,
                          size_t *n, struct buf *notes, struct errbuf *eb)
{
    struct store_budget *r = NULL;
    char *settings = NULL, **src;
    size_t k = 0, cap;
    enum err e;

    *rules = NULL;
    *sources = NULL;
    *n = 0;
    e = store_budgets_get(st, project_id, &r, &k, &settings, eb);
    free(settings);
    if (e)
        return e;
    cap = k;
    src = xcalloc(k + 1, sizeof *src);
    for (size_t i = 0; i < k; i++)
        src[i] = xstrdup("project");
    for (size_t i = 0; i < nruns; i++) {
        const char *md = runs[i].metadata;
        struct ingest_budget *b = NULL;
        size_t nb = 0;
        struct errbuf pe;

        /* Only a run that says "budgets" brought any (a cheap test before
         * parsing its metadata). */
        if (!md || !strstr(md, "\"budgets\""))
            continue;
        err_init(&pe);
        if (ingest_budgets_parse(md, strlen(md), &b, &nb, &pe)) {
            if (notes)
                (void)buf_printf(notes,
                                 "%sthe budgets of run %lld are not "
                                 "valid rules: %s",
                                 notes->len ? "\n" : "", (long long)runs[i].id,
                                 pe.nitems ? pe.items[0].message : pe.msg);
            err_cleanup(&pe);
            continue;
        }
        err_cleanup(&pe);
        if (k + nb > cap) {
            cap = k + nb;
            r = xreallocarray(r, cap, sizeof *r);
            src = xreallocarray(src, cap + 1, sizeof *src);
        }
        for (size_t j = 0; j < nb; j++) {
            r[k].id = 0;
            r[k].benchmark_glob = b[j].benchmark_glob;
            r[k].measure = b[j].measure;
            r[k].unit = b[j].unit;
            r[k].is_max = b[j].is_max;
            r[k].threshold = b[j].threshold;
            b[j].benchmark_glob = b[j].measure = b[j].unit = NULL;
            src[k++] = xasprintf("run %lld", (long long)runs[i].id);
        }
        ingest_budgets_free(b, nb);
    }
    *rules = r;
    *sources = src;
    *n = k;
    return ERR_OK;
}

/* ---- evaluation ------------------------------------------------------------
 */

void svc_budget_results_free(struct svc_budget_result *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].worst_benchmark);
        free(r[i].message);
    }
    free(r);
}

static void eval_one(const struct store_budget *rule, const char *source,
                     const struct run *runs, size_t nruns,
                     struct svc_budget_result *out)
{
    const char *unit = rule->unit ? rule->unit : "";
    struct an_budget_rule ar = {rule->benchmark_glob, rule->measure, unit,
                                rule->is_max, rule->threshold};
    struct an_budget_eval ev;
    const struct an_budget_series *w;
    char of[64] = "";

    memset(out, 0, sizeof *out);
    out->rule = rule;
    out->source = source;
    out->nruns = nruns;
    an_budget_eval(&ar, runs, nruns, &ev);
    out->checked = ev.check.checked;
    out->violations = ev.check.violations;
    out->worst = ev.check.worst;
    out->status =
        ev.check.checked == 0 ? "no data" : (ev.check.pass ? "pass" : "fail");
    w = ev.worst < ev.nseries ? &ev.series[ev.worst] : NULL;
    if (w && w->key)
        out->worst_benchmark = xstrdup(w->key);
    out->worst_run = nruns == 1 ? runs[0].id : 0;
    if (nruns == 1)
        snprintf(of, sizeof of, "run %lld", (long long)runs[0].id);
    else
        snprintf(of, sizeof of, "median of %zu runs", w ? w->nruns : nruns);
    if (ev.check.checked == 0)
        out->message = xasprintf("%s %s %g %s: nothing in these runs to "
                                 "check",
                                 rule->measure, rule->is_max ? "max" : "min",
                                 rule->threshold, unit);
    else
        out->message = xasprintf(
            "%s of %s%s(%s): %g %s, %s the %s of %g %s%s", rule->measure,
            out->worst_benchmark ? out->worst_benchmark : "",
            out->worst_benchmark ? " " : "", of, ev.check.worst, unit,
            ev.check.pass ? "within" : (rule->is_max ? "over" : "under"),
            rule->is_max ? "max" : "min", rule->threshold, unit,
            ev.check.pass ? "" : " (budget broken)");
    an_budget_eval_free(&ev);
}

void svc_budgets_eval(const struct store_budget *rules, char *const *sources,
                      size_t n, const struct run *runs, size_t nruns,
                      struct svc_budget_result **out)
{
    *out = xcalloc(n + 1, sizeof **out);
    for (size_t i = 0; i < n; i++)
        eval_one(&rules[i], sources[i], runs, nruns, &(*out)[i]);
}

void svc_budget_result_json(struct jw *w, const struct svc_budget_result *r)
{
    jw_obj_begin(w);
    jw_kstr(w, "benchmark", r->rule->benchmark_glob);
    jw_kstr(w, "measure", r->rule->measure);
    jw_kstr(w, "op", r->rule->is_max ? "max" : "min");
    jw_knum(w, "threshold", r->rule->threshold);
    jw_kstr(w, "unit", r->rule->unit);
    jw_kstr(w, "source", r->source);
    jw_kstr(w, "status", r->status);
    jw_key(w, "broken");
    jw_bool(w, !strcmp(r->status, "fail"));
    jw_kint(w, "checked", (int64_t)r->checked);
    jw_kint(w, "violations", (int64_t)r->violations);
    jw_knum(w, "value", r->worst);
    jw_kstr(w, "worst_benchmark", r->worst_benchmark);
    jw_key(w, "worst_run");
    if (r->checked && r->worst_run > 0)
        jw_int(w, r->worst_run);
    else
        jw_null(w);
    jw_kint(w, "runs", (int64_t)r->nruns);
    jw_kstr(w, "message", r->message);
    jw_obj_end(w);
}

/* ---- routes -------------------------------------------------------------- */

/* The stored document (note 1): rules and settings. */
