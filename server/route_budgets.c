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
    if (!auth_check(rq, ACCESS_WRITE, rq->params[0]) ||
        !req_identity_encoding(rq))
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
    struct svc_budget_result *res = NULL;
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
        e = svc_budget_rules(st, proj.id, &r, 1, &rules, &sources, &n, &notes,
                             &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    svc_budgets_eval(rules, sources, n, &r, 1, &res);
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "run_id", r.id);
    jw_key(&w, "budgets");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        svc_budget_result_json(&w, &res[i]);
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
    svc_budget_results_free(res, n);
    svc_budget_rules_free(rules, sources, n);
    run_cleanup(&r);
    store_project_cleanup(&proj);
    buf_cleanup(&notes);
    err_cleanup(&eb);
}
