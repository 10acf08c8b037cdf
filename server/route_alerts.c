/*
 * Alerts over HTTP and change points in answers:
 *   GET   /api/v1/projects/{project}/alerts?status=&limit=&before=
 *   PATCH /api/v1/alerts/{id}   {"status": "...", "note": "..."}
 * the "alerts" of an ingest answer, and the "change_points" of a series.
 *
 * Design notes:
 * 1. PATCH needs a write token valid for the alert's project.  The token is
 *    checked first (401/403 without revealing whether the alert exists),
 *    then the alert is read, then its project compared with the token's:
 *    another project's alert answers the very 404 a missing one does, so a
 *    project-scoped token cannot learn which ids exist elsewhere.
 * 2. Triage writes are rare and small: PATCH opens its own read-write
 *    connection for one transaction (as PUT budgets does), and SQLite's
 *    lock with the busy timeout orders it with the writer thread's group
 *    commits.  Runs keep the writer to themselves.
 * 3. An alert's commit range is "last_good..first_bad" (git's notation for
 *    the commits the bad one brought), and the bisect recipe splits the
 *    difference: a run slower (or faster, for higher-is-better measures)
 *    than the midpoint between before and after is "bad".
 */
#include "server/server_int.h"

#include "analysis/analysis.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_ref(struct jw *w, const char *key, int64_t id,
                    const char *commit)
{
    jw_key(w, key);
    if (!id) {
        jw_null(w);
        return;
    }
    jw_obj_begin(w);
    jw_kint(w, "id", id);
    jw_kstr(w, "commit", commit);
    jw_obj_end(w);
}

void srv_write_alert(struct jw *w, const struct store_alert *a)
{
    struct buf t;
    bool range = a->first_bad_commit && a->last_good_commit;

    /* Unbounded: its parts are names ingest already bounded, and a failed
     * append here once meant an empty "bisect" without a word. */
    buf_init(&t, 0);
    jw_obj_begin(w);
    jw_kint(w, "id", a->id);
    jw_kstr(w, "project", a->project);
    jw_key(w, "benchmark");
    jw_obj_begin(w);
    jw_kint(w, "id", a->benchmark_id);
    jw_kstr(w, "key", a->benchmark);
    jw_obj_end(w);
    jw_kstr(w, "measure", a->measure);
    jw_kstr(w, "unit", a->unit);
    jw_kstr(w, "direction", direction_str(a->direction));
    jw_kstr(w, "branch", a->branch);
    jw_kstr(w, "testbed", a->testbed);
    jw_kstr(w, "kind", a->kind);
    jw_kstr(w, "status", a->status);
    run_ref(w, "last_good_run", a->last_good_run_id, a->last_good_commit);
    run_ref(w, "first_bad_run", a->first_bad_run_id, a->first_bad_commit);
    jw_key(w, "commit_range");
    if (range) {
        (void)buf_printf(&t, "%s..%s", a->last_good_commit,
                         a->first_bad_commit);
        jw_str(w, buf_str(&t));
    } else {
        jw_null(w);
    }
    jw_knum(w, "before", a->before);
    jw_knum(w, "after", a->after);
    jw_knum(w, "change", a->change);
    jw_knum(w, "p_value", a->p_value);
    jw_key(w, "bisect");
    buf_reset(&t);
    if (svc_alert_bisect(a, &t)) /* note 3 */
        jw_str(w, buf_str(&t));
    else
        jw_null(w);
    jw_kstr(w, "note", a->note);
    jw_ktime(w, "created_at", a->created_at);
    jw_ktime(w, "updated_at", a->updated_at);
    jw_obj_end(w);
    buf_cleanup(&t);
}

void srv_write_job_alerts(struct req *rq, struct jw *w)
{
    struct ingest_job *job = rq->job;
    struct store *st = NULL;
    struct errbuf eb;

    jw_arr_begin(w);
    if (!job || !job->nalerts || job->duplicate) {
        jw_arr_end(w);
        return;
    }
    err_init(&eb);
    if (srv_store_acquire(rq->srv, &st, &eb) != ERR_OK) {
        log_error("ingest answer: alerts: %s", eb.msg);
    } else {
        for (size_t i = 0; i < job->nalerts; i++) {
            struct store_alert a;

            if (store_alert_get(st, job->alert_ids[i], &a, &eb) == ERR_OK)
                srv_write_alert(w, &a);
            store_alert_cleanup(&a);
        }
        srv_store_release(rq->srv, st);
    }
    err_cleanup(&eb);
    jw_arr_end(w);
}

void srv_write_series_change_points(struct jw *w, struct store *st,
                                    int64_t project_id, const struct series *s)
{
    struct an_cp *cps = NULL;
    size_t ncps = 0;

    jw_arr_begin(w);
    svc_series_change_points(st, project_id, s, &cps, &ncps);
    for (size_t i = 0; i < ncps; i++) {
        const struct an_cp *c = &cps[i];
        const struct series_point *pt = &s->points[c->index];

        jw_obj_begin(w);
        jw_kint(w, "index", (int64_t)c->index);
        jw_kint(w, "run_id", pt->run_id);
        jw_kstr(w, "commit", pt->commit_sha);
        if (c->index > 0) {
            jw_kint(w, "last_good_run_id", s->points[c->index - 1].run_id);
            jw_kstr(w, "last_good_commit", s->points[c->index - 1].commit_sha);
        }
        jw_knum(w, "p_value", c->p_value);
        jw_knum(w, "before_mean", c->before_mean);
        jw_knum(w, "after_mean", c->after_mean);
        jw_knum(w, "change", c->change);
        jw_kstr(w, "kind", svc_cp_kind(s, c));
        jw_obj_end(w);
    }
    jw_arr_end(w);
    free(cps);
}

/* Parses an optional integer query argument; answers 400 when bad. */
static bool int_arg(struct req *rq, const char *name, int64_t min, int64_t max,
                    int64_t *out)
{
    const char *v = req_arg(rq, name);

    if (!v || !*v)
        return true;
    if (parse_int64(v, min, max, out) == ERR_OK)
        return true;
    req_query_problem(rq, name,
                      "expected an integer in [%lld, %lld], got "
                      "\"%.64s\"",
                      (long long)min, (long long)max, v);
    return false;
}

void route_alerts_list(struct req *rq)
{
    struct store_project proj;
    struct store *st;
    struct store_alert *a = NULL;
    const char *status = req_arg_set(rq, "status");
    int64_t limit = 100, before = 0;
    size_t n = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    if (status && !store_alert_status_valid(status)) {
        req_query_problem(rq, "status",
                          "expected open, acknowledged, "
                          "dismissed or resolved, got \"%.64s\"",
                          status);
        return;
    }
    if (!int_arg(rq, "limit", 1, 1000, &limit) ||
        !int_arg(rq, "before", 1, INT64_MAX, &before))
        return;
    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    err_init(&eb);
    e = store_alerts_list(st, proj.id, status, before, (int)limit, &a, &n, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e, &eb);
    } else {
        req_json_begin(rq, 200, &w);
        jw_obj_begin(&w);
        jw_key(&w, "alerts");
        jw_arr_begin(&w);
        for (size_t i = 0; i < n; i++)
            srv_write_alert(&w, &a[i]);
        jw_arr_end(&w);
        srv_write_cursor(&w, n, limit, n ? a[n - 1].id : 0);
        jw_obj_end(&w);
    }
    store_alerts_free(a, n);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}

void route_alert_patch(struct req *rq)
{
    struct store *st = NULL;
    struct store_alert a;
    char *status = NULL, *note = NULL;
    int64_t id;
    struct errbuf eb;
    struct jw w;
    enum err e;

    memset(&a, 0, sizeof a);
    err_init(&eb);
    /* Note 1: the token first. */
    if (!auth_check(rq, ACCESS_WRITE, NULL) || !req_identity_encoding(rq))
        goto out;
    if (parse_int64(rq->params[0], 1, INT64_MAX, &id)) {
        req_problem_status(rq, 404,
                           "no such alert: alert ids are positive "
                           "integers");
        goto out;
    }
    e = ingest_alert_patch_parse(buf_str(&rq->body), rq->body.len, &status,
                                 &note, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (e == ERR_OK) {
        e = store_alert_get(st, id, &a, &eb);
        srv_store_release(rq->srv, st);
        st = NULL;
    }
    /* Note 1: not yours is not found. */
    if (e == ERR_OK && rq->token.project &&
        strcmp(rq->token.project, a.project))
        e = ERR_NOT_FOUND;
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such alert");
        goto out;
    }
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    store_alert_cleanup(&a);
    /* Note 2. */
    e = store_open(rq->srv->db_path, STORE_RW, &st, NULL, &eb);
    if (e == ERR_OK)
        e = store_alert_update(st, id, status, note, &eb);
    if (e == ERR_OK)
        e = store_alert_get(st, id, &a, &eb);
    store_close(st);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    log_info("alert %lld: status %s%s", (long long)id, a.status,
             note ? ", note set" : "");
    req_json_begin(rq, 200, &w);
    srv_write_alert(&w, &a);
out:
    store_alert_cleanup(&a);
    free(status);
    free(note);
    err_cleanup(&eb);
}
