/*
 * Read routes of the JSON API: health, metrics, projects and their
 * benchmarks, measures, branches, testbeds, runs and series.  Each handler
 * borrows a read connection for the duration of its queries and writes its
 * answer with the JSON writer; errors go through req_problem's table.
 * The four list routes (benchmarks, measures, branches, testbeds) share
 * list_begin and list_answer: each makes its own typed store call and
 * writes one item; the helpers do the rest, so their answers keep one shape.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number that may be absent (NAN): written as null. */
static void opt_num(struct jw *w, const char *key, double v)
{
    jw_knum(w, key, v);
}

static void opt_str(struct jw *w, const char *key, const char *s)
{
    jw_kstr(w, key, s);
}

void srv_write_run(struct jw *w, const struct run *r, bool with_results)
{
    char url[512];

    jw_obj_begin(w);
    jw_kint(w, "id", r->id);
    opt_str(w, "project", r->project);
    snprintf(url, sizeof url, "/p/%s/runs/%lld", r->project ? r->project : "",
             (long long)r->id);
    jw_kstr(w, "url", url);
    opt_str(w, "branch", r->branch);
    jw_key(w, "testbed");
    jw_obj_begin(w);
    opt_str(w, "name", r->testbed);
    jw_key(w, "info");
    jw_raw(w, r->testbed_info && *r->testbed_info ? r->testbed_info : "{}");
    jw_obj_end(w);
    jw_key(w, "commit");
    jw_obj_begin(w);
    opt_str(w, "sha", r->commit_sha);
    jw_ktime(w, "time", r->commit_time);
    opt_str(w, "message", r->commit_message);
    opt_str(w, "author", r->commit_author);
    jw_obj_end(w);
    jw_key(w, "pull_request");
    if (r->pr_number > 0) {
        jw_obj_begin(w);
        jw_kint(w, "number", r->pr_number);
        opt_str(w, "base_branch", r->base_branch);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_ktime(w, "started_at", r->started_at);
    jw_ktime(w, "finished_at", r->finished_at);
    jw_ktime(w, "created_at", r->created_at);
    opt_str(w, "format", r->format);
    jw_key(w, "ci");
    jw_obj_begin(w);
    opt_str(w, "provider", r->ci_provider);
    opt_str(w, "url", r->ci_url);
    opt_str(w, "job", r->ci_job);
    jw_obj_end(w);
    jw_key(w, "metadata");
    jw_raw(w, r->metadata && *r->metadata ? r->metadata : "{}");
    jw_kint(w, "result_count",
            with_results ? (int64_t)r->nresults : r->result_count);
    if (with_results) {
        jw_key(w, "results");
        jw_arr_begin(w);
        for (size_t i = 0; i < r->nresults; i++) {
            const struct result *res = &r->results[i];

            jw_obj_begin(w);
            opt_str(w, "benchmark", res->benchmark);
            opt_str(w, "key", res->key);
            jw_key(w, "params");
            jw_raw(w, res->params && *res->params ? res->params : "{}");
            opt_str(w, "measure", res->measure);
            opt_str(w, "unit", res->unit);
            jw_kstr(w, "direction", direction_str(res->direction));
            opt_num(w, "value", res->value);
            opt_num(w, "mean", res->mean);
            opt_num(w, "median", res->median);
            opt_num(w, "stddev", res->stddev);
            opt_num(w, "min", res->min);
            opt_num(w, "max", res->max);
            opt_num(w, "lower", res->lower);
            opt_num(w, "upper", res->upper);
            jw_key(w, "n");
            if (res->n >= 0)
                jw_int(w, res->n);
            else
                jw_null(w);
            jw_key(w, "derived");
            jw_bool(w, res->derived);
            jw_key(w, "samples");
            jw_arr_begin(w);
            for (size_t k = 0; k < res->nsamples; k++)
                jw_num(w, res->samples[k]);
            jw_arr_end(w);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_key(w, "resources");
        jw_arr_begin(w);
        for (size_t i = 0; i < r->nresources; i++) {
            const struct resource_sample *rs = &r->resources[i];

            jw_obj_begin(w);
            jw_kint(w, "t_ms", rs->t_ms);
            opt_num(w, "cpu_pct", rs->cpu_pct);
            opt_num(w, "rss_bytes", rs->rss_bytes);
            opt_num(w, "read_bytes", rs->read_bytes);
            opt_num(w, "write_bytes", rs->write_bytes);
            opt_num(w, "gpu_util_pct", rs->gpu_util_pct);
            opt_num(w, "gpu_mem_bytes", rs->gpu_mem_bytes);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_obj_end(w);
}

/* ---- simple routes ----------------------------------------------------- */

void route_health(struct req *rq)
{
    struct store *st = NULL;
    struct errbuf eb;
    struct jw w;
    int64_t runs = 0, results = 0;
    bool db_ok;

    err_init(&eb);
    db_ok = srv_store_acquire(rq->srv, &st, &eb) == ERR_OK &&
            store_count_runs(st, &runs, &results) == ERR_OK;
    srv_store_release(rq->srv, st);
    req_json_begin(rq, db_ok ? 200 : 503, &w);
    jw_obj_begin(&w);
    jw_kstr(&w, "status", db_ok ? "ok" : "degraded");
    jw_kstr(&w, "version", BV_VERSION);
    jw_kstr(&w, "db", db_ok ? "ok" : "unavailable");
    jw_kstr(&w, "sqlite", store_engine_version());
    jw_kint(&w, "uptime_s", (time_now_ms() - rq->srv->started_at) / 1000);
    jw_obj_end(&w);
    if (!db_ok)
        log_error("health: database unavailable: %s", eb.msg);
    err_cleanup(&eb);
}

void srv_write_project(struct jw *w, const struct store_project *p)
{
    jw_obj_begin(w);
    jw_kint(w, "id", p->id);
    jw_kstr(w, "slug", p->slug);
    jw_kstr(w, "description", p->description);
    jw_ktime(w, "created_at", p->created_at);
    jw_kint(w, "runs", p->run_count);
    jw_ktime(w, "last_run_at", p->last_run_at);
    jw_kstr(w, "repository_url", p->repository_url);
    jw_obj_end(w);
}

/* PATCH /api/v1/projects/{project} {"repository_url"}: a write token valid
 * for the project; the body first, then the write on a connection of its
 * own (as an alert's PATCH), then the project as GET lists it. */
void route_project_patch(struct req *rq)
{
    struct store *st = NULL;
    struct store_project proj;
    char *url = NULL;
    struct errbuf eb;
    struct jw w;
    enum err e;

    memset(&proj, 0, sizeof proj);
    err_init(&eb);
    if (!auth_check(rq, ACCESS_WRITE, rq->params[0]) ||
        !req_identity_encoding(rq))
        goto out;
    e = ingest_project_patch_parse(buf_str(&rq->body), rq->body.len, &url, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    e = store_open(rq->srv->db_path, STORE_RW, &st, NULL, &eb);
    if (e == ERR_OK)
        e = store_project_set_repository(st, rq->params[0], url, &eb);
    if (e == ERR_OK)
        e = store_project_get(st, rq->params[0], &proj);
    store_close(st);
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such project");
        goto out;
    }
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    log_info("project %s: repository %s", proj.slug, url ? "set" : "cleared");
    req_json_begin(rq, 200, &w);
    srv_write_project(&w, &proj);
out:
    store_project_cleanup(&proj);
    free(url);
    err_cleanup(&eb);
}

void route_projects(struct req *rq)
{
    struct store *st = NULL;
    struct store_project *p = NULL;
    size_t n = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    if (!auth_check(rq, rq->route->access, NULL))
        return;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = store_projects_list(st, &p, &n, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_key(&w, "projects");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        /* A project-scoped token sees its own project only. */
        if (rq->has_token && rq->token.project &&
            strcmp(rq->token.project, p[i].slug))
            continue;
        srv_write_project(&w, &p[i]);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
out:
    store_projects_free(p, n);
    err_cleanup(&eb);
}

/*
 * Common start of a project route: auth, a read connection, the project.
 * Returns the connection (release it) or NULL after answering.
 */
struct store *srv_project_begin(struct req *rq, struct store_project *proj)
{
    struct store *st = NULL;
    struct errbuf eb;
    enum err e;

    memset(proj, 0, sizeof *proj);
    if (!auth_check(rq, rq->route->access, rq->params[0]))
        return NULL;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        err_cleanup(&eb);
        return NULL;
    }
    err_cleanup(&eb);
    e = store_project_get(st, rq->params[0], proj);
    if (e) {
        srv_store_release(rq->srv, st);
        if (e == ERR_NOT_FOUND)
            req_problem_status(rq, 404, "no such project");
        else
            req_problem(rq, e, NULL);
        return NULL;
    }
    return st;
}

/* ---- a project's lists: benchmarks, measures, branches, testbeds ------- */

/*
 * A list route between list_begin and list_answer: its project, the read
 * connection (until list_answer releases it) and the status of the store's
 * list call, which the route makes itself since each returns its own type.
 */
struct list_req {
    struct req *rq;
    struct store_project proj;
    struct store *st;
    struct errbuf eb;
    enum err e;
};

/* Writes the members of one list item into the open object. */
typedef void (*list_item_fn)(struct jw *w, const void *item);

/* Auth, connection, project; false when that already answered. */
static bool list_begin(struct req *rq, struct list_req *lr)
{
    lr->rq = rq;
    lr->e = ERR_OK;
    lr->st = srv_project_begin(rq, &lr->proj);
    if (!lr->st)
        return false;
    err_init(&lr->eb);
    return true;
}

/*
 * Releases the connection, then answers {"<member>": [{...}, ...]} with
 * the n items of size bytes each at items, or the problem for lr->e.
 * Cleans up lr; the items stay the caller's to free.
 */
static void list_answer(struct list_req *lr, const char *member,
                        const void *items, size_t n, size_t size,
                        list_item_fn write_item)
{
    struct jw w;

    srv_store_release(lr->rq->srv, lr->st);
    if (lr->e) {
        req_problem(lr->rq, lr->e, &lr->eb);
    } else {
        req_json_begin(lr->rq, 200, &w);
        jw_obj_begin(&w);
        jw_key(&w, member);
        jw_arr_begin(&w);
        for (size_t i = 0; i < n; i++) {
            jw_obj_begin(&w);
            write_item(&w, (const char *)items + i * size);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    store_project_cleanup(&lr->proj);
    err_cleanup(&lr->eb);
}

static void write_benchmark(struct jw *w, const void *item)
{
    const struct store_benchmark *b = item;

    jw_kint(w, "id", b->id);
    jw_kstr(w, "key", b->key);
    jw_kstr(w, "name", b->name);
    jw_key(w, "params");
    jw_raw(w, b->params && *b->params ? b->params : "{}");
}

void route_benchmarks(struct req *rq)
{
    struct store_benchmark *b = NULL;
    size_t n = 0;
    struct list_req lr;

    if (!list_begin(rq, &lr))
        return;
    lr.e = store_benchmarks_list(lr.st, lr.proj.id, &b, &n, &lr.eb);
    list_answer(&lr, "benchmarks", b, n, sizeof *b, write_benchmark);
    store_benchmarks_free(b, n);
}

static void write_measure(struct jw *w, const void *item)
{
    const struct store_measure *m = item;

    jw_kint(w, "id", m->id);
    jw_kstr(w, "name", m->name);
    jw_kstr(w, "unit", m->unit);
    jw_kstr(w, "direction", direction_str(m->direction));
}

void route_measures(struct req *rq)
{
    struct store_measure *m = NULL;
    size_t n = 0;
    struct list_req lr;

    if (!list_begin(rq, &lr))
        return;
    lr.e = store_measures_list(lr.st, lr.proj.id, &m, &n, &lr.eb);
    list_answer(&lr, "measures", m, n, sizeof *m, write_measure);
    store_measures_free(m, n);
}

static void write_branch(struct jw *w, const void *item)
{
    const struct store_branch *b = item;

    jw_kint(w, "id", b->id);
    jw_kstr(w, "name", b->name);
    jw_kint(w, "runs", b->run_count);
    jw_ktime(w, "last_run_at", b->last_run_at);
}

void route_branches(struct req *rq)
{
    struct store_branch *b = NULL;
    size_t n = 0;
    struct list_req lr;

    if (!list_begin(rq, &lr))
        return;
    lr.e = store_branches_list(lr.st, lr.proj.id, &b, &n, &lr.eb);
    list_answer(&lr, "branches", b, n, sizeof *b, write_branch);
    store_branches_free(b, n);
}

static void write_testbed(struct jw *w, const void *item)
{
    const struct store_testbed *t = item;

    jw_kint(w, "id", t->id);
    jw_kstr(w, "name", t->name);
    jw_key(w, "info");
    jw_raw(w, t->info && *t->info ? t->info : "{}");
}

void route_testbeds(struct req *rq)
{
    struct store_testbed *t = NULL;
    size_t n = 0;
    struct list_req lr;

    if (!list_begin(rq, &lr))
        return;
    lr.e = store_testbeds_list(lr.st, lr.proj.id, &t, &n, &lr.eb);
    list_answer(&lr, "testbeds", t, n, sizeof *t, write_testbed);
    store_testbeds_free(t, n);
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

void route_runs_list(struct req *rq)
{
    struct store_project proj;
    struct store *st;
    struct store_run_filter f = {0};
    struct run *runs = NULL;
    size_t n = 0;
    int64_t limit = 50, before = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    if (!int_arg(rq, "limit", 1, 1000, &limit) ||
        !int_arg(rq, "before", 1, INT64_MAX, &before))
        return;
    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    f.branch = req_arg_set(rq, "branch");
    f.testbed = req_arg_set(rq, "testbed");
    f.commit = req_arg_set(rq, "commit");
    f.before_id = before;
    f.limit = (int)limit;
    err_init(&eb);
    e = store_runs_list(st, proj.id, &f, &runs, &n, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e, &eb);
    } else {
        req_json_begin(rq, 200, &w);
        jw_obj_begin(&w);
        jw_key(&w, "runs");
        jw_arr_begin(&w);
        for (size_t i = 0; i < n; i++)
            srv_write_run(&w, &runs[i], false);
        jw_arr_end(&w);
        srv_write_cursor(&w, n, limit, n ? runs[n - 1].id : 0);
        jw_obj_end(&w);
    }
    store_runs_free(runs, n);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}

void route_run_get(struct req *rq)
{
    struct store_project proj;
    struct store *st;
    struct run r;
    int64_t id;
    struct errbuf eb;
    struct jw w;
    enum err e;

    if (parse_int64(rq->params[1], 1, INT64_MAX, &id)) {
        req_problem_status(rq, 404,
                           "no such run: run ids are positive "
                           "integers");
        return;
    }
    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    run_init(&r);
    err_init(&eb);
    e = store_run_get(st, proj.id, id, &r, &eb);
    srv_store_release(rq->srv, st);
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such run in this project");
    } else if (e) {
        req_problem(rq, e, &eb);
    } else {
        req_json_begin(rq, 200, &w);
        srv_write_run(&w, &r, true);
    }
    run_cleanup(&r);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}

void srv_write_cursor(struct jw *w, size_t n, int64_t limit, int64_t last_id)
{
    jw_key(w, "next_before");
    if (n > 0 && n == (size_t)limit)
        jw_int(w, last_id);
    else
        jw_null(w);
}

bool srv_series_args(struct req *rq, struct store_series_query *q)
{
    memset(q, 0, sizeof *q);
    q->benchmark = req_arg_set(rq, "benchmark");
    if (!q->benchmark) {
        req_query_problem(rq, "benchmark", "a benchmark key or id is required");
        return false;
    }
    q->measure = req_arg_set(rq, "measure");
    q->branch = req_arg_set(rq, "branch");
    q->testbed = req_arg_set(rq, "testbed");
    q->stat = req_arg_set(rq, "stat");
    return true;
}

/* A time bound of the series query: ISO 8601 (a date, or a date and time
 * with or without offset, read as UTC); answers 400 naming it when bad. */
static bool time_arg(struct req *rq, const char *name, int64_t *out)
{
    const char *v = req_arg_set(rq, name);
    bool naive;

    if (!v)
        return true;
    if (time_parse_iso(v, out, &naive) == ERR_OK)
        return true;
    req_query_problem(rq, name,
                      "expected an ISO 8601 date or time "
                      "(2026-11-26 or 2026-11-26T12:00:00Z), got \"%.64s\"",
                      v);
    return false;
}

/* Keeps the points with from <= time <= to, then the newest limit of
 * them (commit order: the last ones). */
static void series_window(struct series *s, int64_t from, int64_t to,
                          int64_t limit)
{
    size_t k = 0, drop;

    for (size_t i = 0; i < s->npoints; i++) {
        if (s->points[i].time < from || s->points[i].time > to) {
            free(s->points[i].commit_sha);
            continue;
        }
        s->points[k++] = s->points[i];
    }
    s->npoints = k;
    if (limit > 0 && s->npoints > (size_t)limit) {
        drop = s->npoints - (size_t)limit;
        for (size_t i = 0; i < drop; i++)
            free(s->points[i].commit_sha);
        memmove(s->points, s->points + drop, (size_t)limit * sizeof *s->points);
        s->npoints = (size_t)limit;
    }
}

void route_series(struct req *rq)
{
    struct store_project proj;
    struct store *st;
    struct store_series_query q = {0};
    struct series s;
    int64_t from = INT64_MIN, to = INT64_MAX, limit = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    if (!srv_series_args(rq, &q) || !time_arg(rq, "from", &from) ||
        !time_arg(rq, "to", &to) || !int_arg(rq, "limit", 1, 100000, &limit))
        return;
    if (from > to) {
        req_query_problem(rq, "to", "must not come before \"from\"");
        return;
    }
    st = srv_project_begin(rq, &proj);
    if (!st)
        return;
    memset(&s, 0, sizeof s);
    err_init(&eb);
    e = store_series_get(st, proj.id, &q, &s, &eb);
    if (e) {
        /* An unknown stat or an ambiguous measure is a bad query. */
        req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, &eb);
    } else {
        series_window(&s, from, to, limit);
        req_json_begin(rq, 200, &w);
        jw_obj_begin(&w);
        jw_key(&w, "benchmark");
        jw_obj_begin(&w);
        jw_kint(&w, "id", s.benchmark_id);
        jw_kstr(&w, "key", s.benchmark_key);
        jw_obj_end(&w);
        jw_kstr(&w, "measure", s.measure);
        jw_kstr(&w, "unit", s.unit);
        jw_kstr(&w, "direction", direction_str(s.direction));
        jw_kstr(&w, "branch", s.branch);
        jw_kstr(&w, "testbed", s.testbed);
        jw_kstr(&w, "stat", q.stat ? q.stat : "value");
        jw_key(&w, "points");
        jw_arr_begin(&w);
        for (size_t i = 0; i < s.npoints; i++) {
            const struct series_point *p = &s.points[i];

            jw_obj_begin(&w);
            jw_kint(&w, "run_id", p->run_id);
            jw_kstr(&w, "commit", p->commit_sha);
            jw_ktime(&w, "time", p->time);
            jw_knum(&w, "value", p->value);
            jw_knum(&w, "lower", p->lower);
            jw_knum(&w, "upper", p->upper);
            jw_key(&w, "n");
            if (p->n >= 0)
                jw_int(&w, p->n);
            else
                jw_null(&w);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_key(&w, "change_points");
        srv_write_series_change_points(&w, st, proj.id, &s);
        jw_obj_end(&w);
    }
    srv_store_release(rq->srv, st);
    series_cleanup(&s);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}
