/* The run model: constructors and destructors. */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

void result_init(struct result *res)
{
    memset(res, 0, sizeof *res);
    res->direction = DIR_UNSET;
    res->value = res->mean = res->median = res->stddev = NAN;
    res->min = res->max = res->lower = res->upper = NAN;
    res->n = -1;
}

void result_cleanup(struct result *res)
{
    if (!res)
        return;
    free(res->benchmark);
    free(res->params);
    free(res->key);
    free(res->measure);
    free(res->unit);
    free(res->samples);
    free(res->pointer);
    result_init(res);
}

void run_init(struct run *r)
{
    memset(r, 0, sizeof *r);
    r->commit_time = TIME_NONE;
    r->started_at = TIME_NONE;
    r->finished_at = TIME_NONE;
    r->created_at = TIME_NONE;
}

void run_cleanup(struct run *r)
{
    if (!r)
        return;
    free(r->project);
    free(r->branch);
    free(r->commit_sha);
    free(r->commit_message);
    free(r->commit_author);
    free(r->base_branch);
    free(r->testbed);
    free(r->testbed_info);
    free(r->format);
    free(r->ci_provider);
    free(r->ci_url);
    free(r->ci_job);
    free(r->metadata);
    for (size_t i = 0; i < r->nresults; i++)
        result_cleanup(&r->results[i]);
    free(r->results);
    free(r->resources);
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    run_init(r);
}

struct result *run_result_add(struct run *r)
{
    if (r->nresults == r->capresults) {
        r->capresults = r->capresults ? r->capresults * 2 : 8;
        r->results =
            xreallocarray(r->results, r->capresults, sizeof *r->results);
    }
    result_init(&r->results[r->nresults]);
    return &r->results[r->nresults++];
}

struct resource_sample *run_resource_add(struct run *r)
{
    struct resource_sample *s;

    if (r->nresources == r->capresources) {
        r->capresources = r->capresources ? r->capresources * 2 : 16;
        r->resources =
            xreallocarray(r->resources, r->capresources, sizeof *r->resources);
    }
    s = &r->resources[r->nresources++];
    s->t_ms = 0;
    s->cpu_pct = s->rss_bytes = s->read_bytes = s->write_bytes = NAN;
    s->gpu_util_pct = s->gpu_mem_bytes = NAN;
    return s;
}

void run_warn(struct run *r, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (r->nwarnings >= 1000)
        return;
    va_start(ap, fmt);
    msg = xvasprintf_cut(4096, fmt, ap);
    va_end(ap);
    r->warnings =
        xreallocarray(r->warnings, r->nwarnings + 1, sizeof *r->warnings);
    r->warnings[r->nwarnings++] = msg;
}

void series_cleanup(struct series *s)
{
    if (!s)
        return;
    free(s->benchmark_key);
    free(s->measure);
    free(s->unit);
    free(s->branch);
    free(s->testbed);
    for (size_t i = 0; i < s->npoints; i++)
        free(s->points[i].commit_sha);
    free(s->points);
    memset(s, 0, sizeof *s);
}
