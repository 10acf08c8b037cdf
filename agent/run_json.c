/*
 * The run as a benchvault/v1 document, and the summary as results.
 *
 * Design notes:
 *  1. The upload goes through the server's normal ingest, so the agent
 *     writes the native format and nothing else.  Values are already in
 *     canonical units (s, B, 1/s, B/s, %, ""), each of which is also a unit
 *     the parser accepts with factor 1: parse(write(run)) == run.  Numbers
 *     are written with the shortest text that round-trips (jw_num).
 *  2. Results sharing a benchmark key are consecutive in every adapter's
 *     output; consecutive results with one key become one entry with
 *     several measures.  A key seen again later starts another entry, which
 *     the parser also accepts (identity is key x measure), so order never
 *     matters for correctness and the writer stays O(n).
 *  3. The testbed's name is written inside its info object (one member
 *     added to the JSON text by ingest_json_set), as the parser reads it.
 */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

static void time_member(struct jw *w, const char *key, int64_t ms)
{
    char iso[TIME_ISO_LEN];

    if (ms == TIME_NONE)
        return;
    time_format_iso(ms, iso);
    jw_kstr(w, key, iso);
}

static void opt_str(struct jw *w, const char *key, const char *s)
{
    if (s)
        jw_kstr(w, key, s);
}

static void opt_num(struct jw *w, const char *key, double v)
{
    if (!isnan(v))
        jw_knum(w, key, v);
}

static void measure(struct jw *w, const struct result *res)
{
    jw_key(w, res->measure);
    jw_obj_begin(w);
    jw_kstr(w, "unit", res->unit ? res->unit : "");
    opt_num(w, "value", res->value);
    opt_num(w, "mean", res->mean);
    opt_num(w, "median", res->median);
    opt_num(w, "stddev", res->stddev);
    opt_num(w, "min", res->min);
    opt_num(w, "max", res->max);
    opt_num(w, "lower", res->lower);
    opt_num(w, "upper", res->upper);
    if (res->n >= 0)
        jw_kint(w, "n", res->n);
    if (res->direction != DIR_UNSET)
        jw_kstr(w, "direction", direction_str(res->direction));
    if (res->nsamples) {
        jw_key(w, "samples");
        jw_arr_begin(w);
        for (size_t i = 0; i < res->nsamples; i++)
            jw_num(w, res->samples[i]);
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

static void results(struct jw *w, const struct run *r)
{
    const char *open_key = NULL;

    jw_key(w, "results");
    jw_arr_begin(w);
    for (size_t i = 0; i < r->nresults; i++) {
        const struct result *res = &r->results[i];

        if (!open_key || strcmp(open_key, res->key) != 0) {
            if (open_key) {
                jw_obj_end(w); /* measures */
                jw_obj_end(w); /* the entry */
            }
            jw_obj_begin(w);
            jw_kstr(w, "benchmark", res->benchmark);
            jw_key(w, "params");
            jw_raw(w, res->params && *res->params ? res->params : "{}");
            jw_key(w, "measures");
            jw_obj_begin(w);
            open_key = res->key;
        }
        measure(w, res);
    }
    if (open_key) {
        jw_obj_end(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void resources(struct jw *w, const struct run *r)
{
    if (!r->nresources)
        return;
    jw_key(w, "resources");
    jw_obj_begin(w);
    jw_key(w, "samples");
    jw_arr_begin(w);
    for (size_t i = 0; i < r->nresources; i++) {
        const struct resource_sample *s = &r->resources[i];

        jw_obj_begin(w);
        jw_kint(w, "t_ms", s->t_ms);
        opt_num(w, "cpu_pct", s->cpu_pct);
        opt_num(w, "rss_bytes", s->rss_bytes);
        opt_num(w, "read_bytes", s->read_bytes);
        opt_num(w, "write_bytes", s->write_bytes);
        opt_num(w, "gpu_util_pct", s->gpu_util_pct);
        opt_num(w, "gpu_mem_bytes", s->gpu_mem_bytes);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

enum err agent_run_json(const struct run *r, struct buf *out)
{
    struct jw w;
    char *testbed = NULL, *name_json = NULL;
    struct buf nb;

    jw_init(&w, out);
    jw_obj_begin(&w);
    jw_kstr(&w, "format", "benchvault/v1");
    opt_str(&w, "project", r->project);
    opt_str(&w, "branch", r->branch);
    jw_key(&w, "commit");
    jw_obj_begin(&w);
    jw_kstr(&w, "sha", r->commit_sha ? r->commit_sha : "unknown");
    time_member(&w, "time", r->commit_time);
    opt_str(&w, "message", r->commit_message);
    opt_str(&w, "author", r->commit_author);
    jw_obj_end(&w);
    if (r->pr_number > 0) {
        jw_key(&w, "pull_request");
        jw_obj_begin(&w);
        jw_kint(&w, "number", r->pr_number);
        opt_str(&w, "base_branch", r->base_branch);
        jw_obj_end(&w);
    }
    if (r->testbed) {
        /* Design note 3. */
        buf_init(&nb, 0);
        (void)buf_addc(&nb, '"');
        (void)jw_escape(&nb, r->testbed, strlen(r->testbed));
        (void)buf_addc(&nb, '"');
        name_json = buf_take(&nb);
        if (ingest_json_set(r->testbed_info, "name", name_json, &testbed)) {
            free(testbed);
            testbed = NULL;
        }
        jw_key(&w, "testbed");
        if (testbed)
            jw_raw(&w, testbed);
        else
            jw_str(&w, r->testbed);
    }
    time_member(&w, "started_at", r->started_at);
    time_member(&w, "finished_at", r->finished_at);
    if (r->ci_provider || r->ci_url || r->ci_job) {
        jw_key(&w, "ci");
        jw_obj_begin(&w);
        opt_str(&w, "provider", r->ci_provider);
        opt_str(&w, "url", r->ci_url);
        opt_str(&w, "job", r->ci_job);
        jw_obj_end(&w);
    }
    results(&w, r);
    resources(&w, r);
    jw_key(&w, "metadata");
    jw_raw(&w, r->metadata && *r->metadata ? r->metadata : "{}");
    jw_obj_end(&w);
    free(testbed);
    free(name_json);
    return w.err;
}

void agent_idempotency_key(const char *body, size_t len, char *out)
{
    unsigned char h[HASH_SHA256_LEN];

    hash_sha256(body, len, h);
    memcpy(out, "run-", 4);
    hash_hex(h, sizeof h, out + 4);
}

/* ---- the summary as measures -------------------------------------------- */

#define RESOURCES_BENCHMARK "resources"

static void add(struct run *r, const char *measure, const char *unit, double v)
{
    struct result *res;

    if (!isfinite(v))
        return;
    res = run_result_add(r);
    res->benchmark = xstrdup(RESOURCES_BENCHMARK);
    res->params = xstrdup("{}");
    res->key = xstrdup(RESOURCES_BENCHMARK);
    res->measure = xstrdup(measure);
    res->unit = xstrdup(unit);
    /* A cost: less is better, whatever the name suggests. */
    res->direction = DIR_LOWER;
    res->value = v;
}

void agent_summary_to_results(const struct agent_summary *s, struct run *r)
{
    for (size_t i = 0; i < r->nresults; i++) {
        if (!strcmp(r->results[i].benchmark, RESOURCES_BENCHMARK)) {
            run_warn(r, "the results already have a benchmark named "
                        "\"" RESOURCES_BENCHMARK "\"; the resource summary "
                        "is not added as measures");
            return;
        }
    }
    add(r, "wall_time", "s", (double)s->wall_ms / 1000.0);
    add(r, "cpu_time", "s", s->cpu_time_s);
    add(r, "cpu_mean", "%", s->cpu_mean_pct);
    add(r, "cpu_max", "%", s->cpu_max_pct);
    add(r, "peak_rss", "B", s->rss_peak_bytes);
    add(r, "read_bytes", "B", s->read_bytes);
    add(r, "write_bytes", "B", s->write_bytes);
    add(r, "threads_max", "", (double)s->threads_max);
    add(r, "procs_max", "", (double)s->procs_max);
    add(r, "ctx_switches", "", s->ctx_switches);
    add(r, "gpu_util_mean", "%", s->gpu_util_mean_pct);
    add(r, "gpu_util_max", "%", s->gpu_util_max_pct);
    add(r, "gpu_mem_peak", "B", s->gpu_mem_peak_bytes);
}
