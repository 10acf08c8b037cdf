/*
 * Deleting a run, a benchmark, a branch or a project: the one use case the
 * API (DELETE routes, run on the server's writer connection) and
 * `benchvault delete --db` call.
 *
 * Design notes:
 * 1. The store deletes in one transaction and writes the deletion log; this
 *    layer then re-examines the change points of the series a deleted run
 *    was in (svc_alerts_reexamine) and writes the server-log line.  A
 *    benchmark, branch or project takes its series with it: nothing is
 *    left to examine.
 * 2. Re-examination is not part of the delete's transaction: the run is
 *    gone whatever it finds (as a run is stored whatever the examination
 *    after its ingest finds); a failure is logged.
 * 3. Derived per-series data (the summary table of schema 0006, on the
 *    scale branch) is recomputed inside the delete's transaction, in the
 *    store (store_delete.c, summary_refresh): not here.
 */
#include "service/service_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    [SVC_DEL_RUN] = "run",
    [SVC_DEL_BENCHMARK] = "benchmark",
    [SVC_DEL_BRANCH] = "branch",
    [SVC_DEL_PROJECT] = "project",
};

const char *svc_delete_kind_str(enum svc_delete_kind k)
{
    if ((unsigned)k < sizeof kind_names / sizeof kind_names[0])
        return kind_names[k];
    return "?";
}

enum err svc_delete(struct store *st, const struct svc_delete_req *d,
                    struct svc_delete_result *out, struct errbuf *eb)
{
    struct store_project proj;
    struct store_delete_out o;
    int64_t run_id = 0;
    enum err e;

    memset(out, 0, sizeof *out);
    memset(&o, 0, sizeof o);
    memset(&proj, 0, sizeof proj);
    if (!d->target || !*d->target) {
        err_set(eb, "which %s? none was named", svc_delete_kind_str(d->kind));
        return ERR_INVALID;
    }
    if (d->kind == SVC_DEL_PROJECT) {
        e = store_delete_project(st, d->target, d->actor, &o, eb);
        goto done;
    }
    if (d->kind == SVC_DEL_RUN &&
        parse_int64(d->target, 1, INT64_MAX, &run_id) != ERR_OK) {
        err_set(eb, "no run \"%.64s\": run ids are positive integers",
                d->target);
        return ERR_NOT_FOUND;
    }
    e = store_project_get(st, d->project, &proj);
    if (e == ERR_NOT_FOUND)
        err_set(eb, "no such project");
    if (e != ERR_OK)
        goto out;
    switch (d->kind) {
    case SVC_DEL_RUN:
        e = store_delete_run(st, proj.id, run_id, d->actor, &o, eb);
        break;
    case SVC_DEL_BENCHMARK:
        e = store_delete_benchmark(st, proj.id, d->target, d->actor, &o, eb);
        break;
    case SVC_DEL_BRANCH:
        e = store_delete_branch(st, proj.id, d->target, d->actor, &o, eb);
        break;
    default:
        err_set(eb, "unknown kind of deletion");
        e = ERR_INVALID;
        goto out;
    }
done:
    if (e != ERR_OK)
        goto out;
    /* Note 1. */
    if (o.ntouched)
        svc_alerts_reexamine(st, o.touched, o.ntouched);
    out->runs = o.runs;
    out->results = o.results;
    out->alerts_resolved = o.alerts_resolved;
    out->log_id = o.log_id;
    log_info("deleted %s %s of project %s by %s: %lld runs, %lld results, "
             "%lld alerts resolved (log %lld)",
             svc_delete_kind_str(d->kind), d->target,
             d->kind == SVC_DEL_PROJECT ? d->target : d->project,
             d->actor ? d->actor : "unknown", (long long)o.runs,
             (long long)o.results, (long long)o.alerts_resolved,
             (long long)o.log_id);
out:
    store_delete_out_cleanup(&o);
    store_project_cleanup(&proj);
    return e;
}
