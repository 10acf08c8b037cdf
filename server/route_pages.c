/*
 * HTML pages: the projects list and a project's dashboard.  The route
 * checks access, reads its query (q, sort, page), gathers the page's data
 * through service/pages.c and has render/page_dashboard.c write it; the
 * design notes on the pages themselves are there.
 */
#include "server/page_int.h"

#include "render/page.h"
#include "service/service.h"

#include <string.h>

void route_page_projects(struct req *rq)
{
    struct store *st = NULL;
    struct svc_page_projects p;
    struct errbuf eb;
    const char *only = NULL;
    enum err e;

    memset(&p, 0, sizeof p);
    if (!auth_check(rq, rq->route->access, NULL))
        return;
    if (rq->has_token && rq->token.project)
        only = rq->token.project;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e)
        e = svc_page_projects(st, only, &p, &eb);
    srv_store_release(rq->srv, st);
    if (e)
        srv_page_error(rq, srv_status_for(e), "could not list the projects");
    else
        srv_page_answer(rq, page_projects_write(srv_page_links(rq), p.view,
                                                p.nview, &rq->resp));
    svc_page_projects_cleanup(&p);
    err_cleanup(&eb);
}

void route_page_dashboard(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct svc_page_dashboard d;
    const char *q = req_arg(rq, "q"), *pg = req_arg(rq, "page");
    size_t page = 0;
    struct errbuf eb;

    memset(&d, 0, sizeof d);
    if (!st)
        return;
    err_init(&eb);
    if (pg && *pg) {
        int64_t v;

        if (parse_int64(pg, 1, 1000000, &v)) {
            req_query_problem(rq, "page", "expected a page number from 1");
            goto out;
        }
        page = (size_t)(v - 1);
    }
    if (svc_page_dashboard(st, &proj, q,
                           svc_page_dash_sort(req_arg(rq, "sort")), page,
                           SVC_PAGE_DASH_ROWS, &d, &eb)) {
        srv_page_error(rq, 500, "could not read the benchmarks");
        goto out;
    }
    srv_page_answer(
        rq, page_dashboard_write(srv_page_links(rq), &d.view, &rq->resp));
out:
    srv_store_release(rq->srv, st);
    svc_page_dashboard_cleanup(&d);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}

/* /p/{project}/runs?branch=&testbed=&commit=&before=: the runs list. */
void route_page_runs(struct req *rq)
{
    struct store_project proj;
    struct store *st;
    struct store_run_filter f = {0};
    struct svc_page_runs p;
    const char *before = req_arg(rq, "before");
    struct errbuf eb;
    enum err e;

    memset(&p, 0, sizeof p);
    if (before && *before && parse_int64(before, 1, INT64_MAX, &f.before_id)) {
        req_query_problem(rq, "before", "expected a run id");
        return;
    }
    st = srv_page_project_begin(rq, &proj);
    if (!st)
        return;
    f.branch = req_arg_set(rq, "branch");
    f.testbed = req_arg_set(rq, "testbed");
    f.commit = req_arg_set(rq, "commit");
    err_init(&eb);
    e = svc_page_runs(st, &proj, &f, &p, &eb);
    srv_store_release(rq->srv, st);
    if (e)
        srv_page_error(rq, srv_status_for(e), "could not list the runs");
    else
        srv_page_answer(
            rq, page_runs_write(srv_page_links(rq), &p.view, &rq->resp));
    svc_page_runs_cleanup(&p);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}
