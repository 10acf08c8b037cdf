/*
 * The routes of the pages for one benchmark, one run and a project's
 * alerts: parse the request, check access, gather the page's data through
 * service/pages.c, and answer with render/'s page (render/page_benchmark.c,
 * page_compare.c, page_alerts.c hold the design notes of the pages).
 *  1. An unknown benchmark or run is a 404 page; an unknown branch or
 *     testbed is shown as "no data", because the benchmark exists.
 *  2. The alerts page's triage forms need the session's CSRF token and,
 *     before sign-in, the sign-in form's value (a cookie set here); the
 *     cookie and CSRF design is in route_page_triage.c.
 *  3. Static mode (page_int.h) writes the pages with links that need no
 *     live server: no forms, choices as links, a read-only alerts page.
 */
#include "server/page_int.h"

#include "render/page.h"
#include "service/service.h"

#include <string.h>

void route_page_benchmark(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct svc_page_benchmark p;
    int64_t id = 0;
    enum err e;

    memset(&p, 0, sizeof p);
    if (!st)
        return;
    if (parse_int64(rq->params[1], 1, INT64_MAX, &id))
        e = ERR_NOT_FOUND;
    else
        e = svc_page_benchmark(st, &proj, id, req_arg_set(rq, "branch"),
                               req_arg_set(rq, "testbed"), &p, NULL);
    srv_store_release(rq->srv, st);
    if (e == ERR_NOT_FOUND)
        srv_page_error(rq, 404, "no such benchmark");
    else if (e)
        srv_page_error(rq, 500, "could not read the project");
    else
        srv_page_answer(
            rq, page_benchmark_write(srv_page_links(rq), &p.view, &rq->resp));
    svc_page_benchmark_cleanup(&p);
    store_project_cleanup(&proj);
}

void route_page_run(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct svc_page_run p;
    char key[2 * HASH_SHA256_LEN + 1];
    int64_t id = 0;
    enum err e = ERR_NOT_FOUND;

    memset(&p, 0, sizeof p);
    if (!st)
        return;
    /* computed once per project version, not per view (answer_cache.c) */
    if (srv_answer_cached(rq, st, proj.id,
                          srv_page_links(rq)->live ? "live" : "static", key)) {
        srv_store_release(rq->srv, st);
        store_project_cleanup(&proj);
        return;
    }
    if (parse_int64(rq->params[1], 1, INT64_MAX, &id) == ERR_OK)
        e = svc_page_run(st, &proj, id, &p, NULL);
    srv_store_release(rq->srv, st);
    if (e) {
        srv_page_error(rq, srv_status_for(e),
                       e == ERR_NOT_FOUND ? "no such run"
                                          : "could not read the run");
    } else {
        srv_page_answer(rq,
                        page_run_write(srv_page_links(rq), &p.view, &rq->resp));
        srv_answer_keep(rq, key);
    }
    svc_page_run_cleanup(&p);
    store_project_cleanup(&proj);
}

void route_page_alerts(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    const struct page_links *l = srv_page_links(rq);
    struct svc_page_alerts p;
    const char *cookie;
    char csrf[SRV_PAGE_CSRF_LEN], fresh[SRV_SIGNIN_VALUE_LEN];
    enum err e;

    memset(&p, 0, sizeof p);
    if (!st)
        return;
    /* Static mode: never signed in, so no triage forms (note 4). */
    cookie = l->live ? srv_page_write_cookie(rq, st, proj.slug) : NULL;
    e = svc_page_alerts(st, &proj, &p, NULL);
    srv_store_release(rq->srv, st);
    if (e) {
        srv_page_error(rq, 500, "could not read the alerts");
        goto out;
    }
    if (cookie) {
        srv_page_csrf(cookie, csrf);
        p.view.csrf = csrf;
    } else if (l->live) {
        p.view.signin_csrf = srv_page_signin_value(rq, fresh);
    }
    srv_page_answer(rq, page_alerts_write(l, &p.view, &rq->resp));
out:
    svc_page_alerts_cleanup(&p);
    store_project_cleanup(&proj);
}
