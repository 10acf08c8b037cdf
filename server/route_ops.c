/*
 * Deleting and keeping data over HTTP (issue 16):
 *   DELETE /api/v1/projects/{p}/runs/{id}          write token
 *   DELETE /api/v1/projects/{p}/benchmarks/{id|key} write token
 *   DELETE /api/v1/projects/{p}/branches/{name...}  write token (a branch
 *                                                   name may hold '/')
 *   DELETE /api/v1/projects/{p}                     admin token
 *   GET    /api/v1/projects/{p}/deletions           the deletion log
 *   GET|PUT /api/v1/projects/{p}/retention          settings (PUT: write)
 *
 * Design notes:
 * 1. A delete runs on the writer thread (a JOB_DELETE job): the connection
 *    is suspended as for an ingest and the answer is built from the job
 *    when the writer resumes it.  So deletes are ordered with ingests and
 *    the writer's caches stay true (writer.c).
 * 2. The token is checked by the dispatcher (route table) for the URL's
 *    project: a token for another project is 403 before anything is read,
 *    and the store looks the target up inside that project only, so
 *    another project's run is 404, as a missing one.
 * 3. Retention settings are written on a connection of their own (one
 *    small UPDATE), as PUT budgets does; the writer applies them on its
 *    next pass.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv_actor(const struct req *rq, char *out, size_t len)
{
    if (rq->has_token)
        snprintf(out, len, "token %.64s (id %lld)",
                 rq->token.name ? rq->token.name : "?",
                 (long long)rq->token.id);
    else
        snprintf(out, len, "anonymous");
}

static void delete_answer(struct req *rq)
{
    struct ingest_job *job = rq->job;
    struct jw w;

    if (job->status) {
        req_problem(rq, job->status, &job->eb);
        return;
    }
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_kstr(&w, "deleted", svc_delete_kind_str(job->del.kind));
    jw_kstr(&w, "project",
            job->del.kind == SVC_DEL_PROJECT ? job->del.target
                                             : job->del.project);
    jw_kstr(&w, "target", job->del.target);
    jw_kint(&w, "runs", job->del_out.runs);
    jw_kint(&w, "results", job->del_out.results);
    jw_kint(&w, "alerts_resolved", job->del_out.alerts_resolved);
    jw_kint(&w, "log_id", job->del_out.log_id);
    jw_obj_end(&w);
}

/* Note 1: the first call queues the job, the second answers. */
static void delete_submit(struct req *rq, enum svc_delete_kind kind,
                          const char *target)
{
    struct ingest_job *job;
    char actor[160];

    if (rq->job) {
        delete_answer(rq);
        return;
    }
    if (!target || !*target) {
        req_problem_status(rq, 404, "nothing named to delete");
        return;
    }
    srv_actor(rq, actor, sizeof actor);
    job = xcalloc(1, sizeof *job);
    run_init(&job->run);
    err_init(&job->eb);
    job->kind = JOB_DELETE;
    job->rq = rq;
    job->token_id = rq->has_token ? rq->token.id : 0;
    job->own[0] = xstrdup(rq->params[0]);
    job->own[1] = xstrdup(target);
    job->own[2] = xstrdup(actor);
    job->del.kind = kind;
    job->del.project = job->own[0];
    job->del.target = job->own[1];
    job->del.actor = job->own[2];
    rq->job = job;
}

void route_run_delete(struct req *rq)
{
    delete_submit(rq, SVC_DEL_RUN, rq->params[1]);
}

void route_benchmark_delete(struct req *rq)
{
    delete_submit(rq, SVC_DEL_BENCHMARK, rq->params[1]);
}

void route_branch_delete(struct req *rq)
{
    delete_submit(rq, SVC_DEL_BRANCH, rq->params[1]);
}

void route_project_delete(struct req *rq)
{
    delete_submit(rq, SVC_DEL_PROJECT, rq->params[0]);
}

void route_deletions(struct req *rq)
{
    struct store_deletion *d = NULL;
    struct store *st = NULL;
    const char *v = req_arg_set(rq, "limit");
    int64_t limit = 100;
    size_t n = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    if (v && parse_int64(v, 1, 1000, &limit)) {
        req_query_problem(rq, "limit",
                          "expected an integer in [1, 1000], got \"%.64s\"", v);
        return;
    }
    err_init(&eb);
    /* The log outlives its project: no project lookup here. */
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (e == ERR_OK)
        e = store_deletions_list(st, rq->params[0], (int)limit, &d, &n, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_key(&w, "deletions");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "id", d[i].id);
        jw_kstr(&w, "project", d[i].project);
        jw_kstr(&w, "kind", d[i].kind);
        jw_kstr(&w, "target", d[i].target);
        jw_kstr(&w, "actor", d[i].actor);
        jw_kint(&w, "runs", d[i].runs);
        jw_kint(&w, "results", d[i].results);
        jw_kint(&w, "alerts_resolved", d[i].alerts_resolved);
        jw_ktime(&w, "at", d[i].created_at);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
out:
    store_deletions_free(d, n);
    err_cleanup(&eb);
}

static void write_retention(struct req *rq, const struct store_retention *r)
{
    struct jw w;

    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "samples_days", r->samples_days);
    jw_kint(&w, "default_runs_days", r->default_runs_days);
    jw_kint(&w, "branch_runs_days", r->branch_runs_days);
    jw_kstr(&w, "default_branch",
            r->default_branch ? r->default_branch : "main");
    jw_obj_end(&w);
}

void route_retention_get(struct req *rq)
{
    struct store_project proj;
    struct store_retention r;
    struct store *st;
    struct errbuf eb;
    enum err e;

    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    err_init(&eb);
    e = store_retention_get(st, proj.id, &r, &eb);
    srv_store_release(rq->srv, st);
    if (e)
        req_problem(rq, e, &eb);
    else
        write_retention(rq, &r);
    store_retention_cleanup(&r);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}

void route_retention_put(struct req *rq)
{
    struct store_project proj;
    struct ingest_retention in;
    struct store_retention r;
    struct store *st = NULL;
    struct errbuf eb;
    enum err e;

    memset(&r, 0, sizeof r);
    memset(&in, 0, sizeof in);
    err_init(&eb);
    if (!req_identity_encoding(rq))
        goto out;
    e = ingest_retention_parse(buf_str(&rq->body), rq->body.len, &in, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    st = srv_project_begin(rq, &proj);
    if (!st)
        goto out;
    srv_store_release(rq->srv, st);
    st = NULL;
    r.samples_days = in.samples_days;
    r.default_runs_days = in.default_runs_days;
    r.branch_runs_days = in.branch_runs_days;
    r.default_branch = in.default_branch;
    e = store_open(rq->srv->db_path, STORE_RW_EXISTING, &st, NULL, &eb);
    if (e == ERR_OK)
        e = store_retention_set(st, proj.id, &r, &eb);
    store_close(st);
    if (e) {
        req_problem(rq, e, &eb);
    } else {
        write_retention(rq, &r);
        log_info("retention of %s: samples %lld days, default branch %s "
                 "%lld days, other branches %lld days",
                 proj.slug, (long long)r.samples_days, r.default_branch,
                 (long long)r.default_runs_days, (long long)r.branch_runs_days);
    }
    store_project_cleanup(&proj);
out:
    ingest_retention_cleanup(&in);
    err_cleanup(&eb);
}
