/*
 * Budgets: per-project rules ("latency of test_* at most 50 ms", "mean CPU
 * at most 90%", "throughput at least 1000/s") kept with
 * PUT/GET /api/v1/projects/{project}/budgets, or sent with a run (a
 * "budgets" member of its metadata: the native format keeps unknown
 * top-level members there), and checked on runs: every comparison checks
 * its head runs, and GET .../runs/{id}/budgets checks one run.
 *
 * Design notes:
 * 1. The PUT body is one document that replaces the project's budgets and
 *    its comparison settings together (PUT semantics: what is not given
 *    returns to its default):
 *      {"budgets": [{"benchmark": "test_*", "measure": "latency",
 *                    "max": 50, "unit": "ms"}, ...],
 *       "noise_threshold": 0.05,
 *       "thresholds": [{"benchmark": "test_sleep*", "threshold": 0.1}],
 *       "run_to_run_allowance": 0.5}
 *    Rules are read by ingest_budgets_parse (shared with the agent's
 *    --budgets file), settings by ingest_compare_settings_parse; the
 *    store keeps thresholds in canonical units.  GET answers the same
 *    shape, so a GET can be edited and PUT back.
 * 2. What a rule sees: the central values of the results whose measure
 *    is the rule's and whose benchmark key or family name matches its
 *    glob (a result in another unit than the rule's is not checked).  When
 *    no result has the measure and the measure names a resource, the
 *    run's resource samples: the mean of cpu_pct / gpu_util_pct (cpu,
 *    gpu), the peak of rss_bytes / gpu_mem_bytes / read_bytes /
 *    write_bytes (memory, gpu_memory).  A value at the threshold passes.
 * 3. Writes open a read-write connection of their own for the one
 *    transaction (budgets change rarely; the writer thread is for runs).
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

/* ---- rules ------------------------------------------------------------- */

void srv_budget_rules_free(struct store_budget *rules, char **sources, size_t n)
{
    for (size_t i = 0; sources && i < n; i++)
        free(sources[i]);
    free(sources);
    store_budgets_free(rules, n);
}

enum err srv_budget_rules(struct store *st, int64_t project_id,
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

static const struct {
    const char *name;
    size_t off;
    bool peak; /* else the mean over the run */
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

static bool rule_matches(const struct store_budget *rule,
                         const struct result *res)
{
    const char *glob = rule->benchmark_glob ? rule->benchmark_glob : "*";

    if (!res->measure || strcmp(res->measure, rule->measure))
        return false;
    if (rule->unit && *rule->unit && res->unit && strcmp(rule->unit, res->unit))
        return false;
    return glob_match(glob, res->key ? res->key : "") ||
           (res->benchmark && glob_match(glob, res->benchmark));
}

void srv_budget_results_free(struct srv_budget_result *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].worst_benchmark);
        free(r[i].message);
    }
    free(r);
}

static void eval_one(const struct store_budget *rule, const char *source,
                     const struct run *runs, size_t nruns,
                     struct srv_budget_result *out)
{
    size_t cap = 16, m = 0;
    double *v = xmalloc(cap * sizeof *v);
    const char **who = xmalloc(cap * sizeof *who);
    int64_t *run = xmalloc(cap * sizeof *run);
    struct an_budget_check c;
    const char *unit = rule->unit ? rule->unit : "";

    memset(out, 0, sizeof *out);
    out->rule = rule;
    out->source = source;
    for (size_t i = 0; i < nruns; i++) {
        for (size_t j = 0; j < runs[i].nresults; j++) {
            const struct result *res = &runs[i].results[j];

            if (!rule_matches(rule, res))
                continue;
            if (m == cap) {
                cap *= 2;
                v = xreallocarray(v, cap, sizeof *v);
                who = xreallocarray(who, cap, sizeof *who);
                run = xreallocarray(run, cap, sizeof *run);
            }
            v[m] = res->value;
            who[m] = res->key;
            run[m++] = runs[i].id;
        }
    }
    for (size_t k = 0; m == 0 && k < sizeof resources / sizeof resources[0];
         k++) {
        if (strcmp(rule->measure, resources[k].name))
            continue;
        if (nruns > cap) {
            cap = nruns;
            v = xreallocarray(v, cap, sizeof *v);
            who = xreallocarray(who, cap, sizeof *who);
            run = xreallocarray(run, cap, sizeof *run);
        }
        for (size_t i = 0; i < nruns; i++) {
            v[m] = resource_of(&runs[i], resources[k].off, resources[k].peak);
            who[m] = NULL;
            run[m++] = runs[i].id;
        }
        break;
    }
    an_budget_check(rule->is_max, rule->threshold, v, m, &c);
    out->checked = c.checked;
    out->violations = c.violations;
    out->worst = c.worst;
    out->status = c.checked == 0 ? "no data" : (c.pass ? "pass" : "fail");
    for (size_t i = 0; i < m; i++) {
        if (v[i] == c.worst) {
            out->worst_benchmark = xstrdup(who[i]);
            out->worst_run = run[i];
            break;
        }
    }
    if (c.checked == 0)
        out->message = xasprintf("%s %s %g %s: nothing in these runs to "
                                 "check",
                                 rule->measure, rule->is_max ? "max" : "min",
                                 rule->threshold, unit);
    else
        out->message = xasprintf(
            "%s of %s%s(run %lld): %g %s, %s the %s of %g %s%s", rule->measure,
            out->worst_benchmark ? out->worst_benchmark : "",
            out->worst_benchmark ? " " : "", (long long)out->worst_run, c.worst,
            unit, c.pass ? "within" : (rule->is_max ? "over" : "under"),
            rule->is_max ? "max" : "min", rule->threshold, unit,
            c.pass ? "" : " (budget broken)");
    free(v);
    free(who);
    free(run);
}

void srv_budgets_eval(const struct store_budget *rules, char *const *sources,
                      size_t n, const struct run *runs, size_t nruns,
                      struct srv_budget_result **out)
{
    *out = xcalloc(n + 1, sizeof **out);
    for (size_t i = 0; i < n; i++)
        eval_one(&rules[i], sources[i], runs, nruns, &(*out)[i]);
}

void srv_budget_result_json(struct jw *w, const struct srv_budget_result *r)
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
    if (r->checked)
        jw_int(w, r->worst_run);
    else
        jw_null(w);
    jw_kstr(w, "message", r->message);
    jw_obj_end(w);
}

/* ---- routes -------------------------------------------------------------- */

/* The stored document (note 1): rules and settings. */
static void write_document(struct jw *w, const char *project,
                           const struct store_budget *b, size_t n,
                           const struct ingest_compare_settings *cs)
{
    jw_obj_begin(w);
    jw_kstr(w, "project", project);
    jw_key(w, "budgets");
    jw_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(w);
        if (b[i].id)
            jw_kint(w, "id", b[i].id);
        jw_kstr(w, "benchmark", b[i].benchmark_glob);
        jw_kstr(w, "measure", b[i].measure);
        jw_knum(w, b[i].is_max ? "max" : "min", b[i].threshold);
        jw_kstr(w, "unit", b[i].unit);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_knum(w, "noise_threshold", cs->threshold);
    jw_knum(w, "run_to_run_allowance", cs->allowance);
    jw_key(w, "thresholds");
    jw_arr_begin(w);
    for (size_t i = 0; i < cs->nrules; i++) {
        jw_obj_begin(w);
        jw_kstr(w, "benchmark", cs->rules[i].benchmark_glob);
        jw_kstr(w, "measure", cs->rules[i].measure);
        jw_knum(w, "threshold", cs->rules[i].threshold);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

/* The settings as stored: only what was given. */
static char *settings_json(const struct ingest_compare_settings *cs)
{
    struct buf b;
    struct jw w;

    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    if (!isnan(cs->threshold))
        jw_knum(&w, "threshold", cs->threshold);
    if (!isnan(cs->allowance))
        jw_knum(&w, "run_to_run_allowance", cs->allowance);
    jw_key(&w, "thresholds");
    jw_arr_begin(&w);
    for (size_t i = 0; i < cs->nrules; i++) {
        jw_obj_begin(&w);
        jw_kstr(&w, "benchmark", cs->rules[i].benchmark_glob);
        if (cs->rules[i].measure)
            jw_kstr(&w, "measure", cs->rules[i].measure);
        jw_knum(&w, "threshold", cs->rules[i].threshold);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    return buf_take(&b);
}

static void answer_project(struct req *rq, struct store *st, int64_t pid)
{
    struct store_budget *b = NULL;
    struct ingest_compare_settings cs;
    char *settings = NULL;
    size_t n = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    memset(&cs, 0, sizeof cs);
    cs.threshold = cs.allowance = NAN;
    err_init(&eb);
    e = store_budgets_get(st, pid, &b, &n, &settings, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    /* what the store holds was checked on the way in */
    if (settings &&
        ingest_compare_settings_parse(settings, strlen(settings), &cs, NULL))
        log_warn("project %s: stored comparison settings do not parse",
                 rq->params[0]);
    req_json_begin(rq, 200, &w);
    write_document(&w, rq->params[0], b, n, &cs);
out:
    ingest_compare_settings_cleanup(&cs);
    store_budgets_free(b, n);
    free(settings);
    err_cleanup(&eb);
}

void route_budgets_get(struct req *rq)
{
    struct store_project proj;
    struct store *st = NULL;
    struct errbuf eb;
    enum err e;

    if (!auth_check(rq, rq->route->access, rq->params[0]))
        return;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = store_project_get(st, rq->params[0], &proj);
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such project");
    } else if (e) {
        req_problem(rq, e, &eb);
    } else {
        answer_project(rq, st, proj.id);
        store_project_cleanup(&proj);
    }
    srv_store_release(rq->srv, st);
    err_cleanup(&eb);
}

void route_budgets_put(struct req *rq)
{
    struct ingest_compare_settings cs;
    struct ingest_budget *b = NULL;
    struct store_budget *rules = NULL;
    struct store_project proj;
    struct store *st = NULL;
    char *settings = NULL;
    size_t n = 0;
    struct errbuf eb;
    enum err e;

    memset(&cs, 0, sizeof cs);
    cs.threshold = cs.allowance = NAN;
    if (!ingest_slug_valid(rq->params[0], rq->srv->cfg.limits.max_name)) {
        req_problem_status(rq, 400,
                           "the project in the URL must be 1-256 "
                           "letters, digits, '.', '_' or '-', starting "
                           "with a letter or digit");
        return;
    }
    if (!auth_check(rq, ACCESS_WRITE, rq->params[0]))
        return;
    err_init(&eb);
    e = ingest_compare_settings_parse(buf_str(&rq->body), rq->body.len, &cs,
                                      &eb);
    if (!e)
        e = ingest_budgets_parse(buf_str(&rq->body), rq->body.len, &b, &n, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    rules = xcalloc(n + 1, sizeof *rules);
    for (size_t i = 0; i < n; i++) {
        rules[i].benchmark_glob = b[i].benchmark_glob;
        rules[i].measure = b[i].measure;
        rules[i].unit = b[i].unit;
        rules[i].is_max = b[i].is_max;
        rules[i].threshold = b[i].threshold;
    }
    settings = settings_json(&cs);
    e = store_open(rq->srv->db_path, STORE_RW, &st, NULL, &eb);
    if (!e)
        e = store_budgets_put(st, rq->params[0], rules, n, settings, &eb);
    if (!e)
        e = store_project_get(st, rq->params[0], &proj);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    answer_project(rq, st, proj.id);
    store_project_cleanup(&proj);
out:
    store_close(st);
    free(rules); /* its strings are b's */
    ingest_budgets_free(b, n);
    ingest_compare_settings_cleanup(&cs);
    free(settings);
    err_cleanup(&eb);
}

void route_run_budgets(struct req *rq)
{
    struct store_project proj;
    struct store *st = NULL;
    struct store_budget *rules = NULL;
    struct srv_budget_result *res = NULL;
    char **sources = NULL;
    size_t n = 0, failed = 0;
    struct run r;
    struct buf notes;
    struct errbuf eb;
    struct jw w;
    int64_t id;
    enum err e;

    if (parse_int64(rq->params[1], 1, INT64_MAX, &id)) {
        req_problem_status(rq, 404,
                           "no such run: run ids are positive "
                           "integers");
        return;
    }
    if (!auth_check(rq, rq->route->access, rq->params[0]))
        return;
    run_init(&r);
    buf_init(&notes, 1 << 16);
    err_init(&eb);
    memset(&proj, 0, sizeof proj);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = store_project_get(st, rq->params[0], &proj);
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such project");
        goto out;
    }
    if (!e)
        e = store_run_get(st, proj.id, id, &r, &eb);
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such run in this project");
        goto out;
    }
    if (!e)
        e = srv_budget_rules(st, proj.id, &r, 1, &rules, &sources, &n, &notes,
                             &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    srv_budgets_eval(rules, sources, n, &r, 1, &res);
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "run_id", r.id);
    jw_key(&w, "budgets");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        srv_budget_result_json(&w, &res[i]);
        failed += !strcmp(res[i].status, "fail");
    }
    jw_arr_end(&w);
    jw_kint(&w, "failed", (int64_t)failed);
    jw_key(&w, "notes");
    jw_arr_begin(&w);
    if (notes.len)
        jw_str(&w, buf_str(&notes));
    jw_arr_end(&w);
    jw_obj_end(&w);
out:
    srv_store_release(rq->srv, st);
    srv_budget_results_free(res, n);
    srv_budget_rules_free(rules, sources, n);
    run_cleanup(&r);
    store_project_cleanup(&proj);
    buf_cleanup(&notes);
    err_cleanup(&eb);
}
