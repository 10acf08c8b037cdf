/*
 * What is worse now: GET /p/{project}/regressions (HTML), its Atom feed
 * /p/{project}/regressions.atom, and GET /api/v1/projects/{project}/
 * regressions (JSON).  The data and its rule are service/regressions.c's,
 * the markup render/page_regressions.c's; here only the answers.  All three
 * are read routes (a token under --private, checked by the dispatcher and
 * again by the project lookup for a project-scoped token).
 */
#include "server/page_int.h"

#include "render/page.h"
#include "service/service.h"

#include <string.h>

/* The page and the feed: what, and how it is written. */
static void regressions_page(struct req *rq, bool atom)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct svc_regressions r;
    const struct page_links *l = srv_page_links(rq);
    struct errbuf eb;
    enum err e;

    memset(&r, 0, sizeof r);
    if (!st)
        return;
    err_init(&eb);
    e = svc_regressions(st, &proj, 0, &r, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        srv_page_error(rq, srv_status_for(e), "could not read the series");
    } else if (!atom) {
        srv_page_answer(rq, page_regressions_write(l, &r.view, &rq->resp));
    } else if (page_regressions_atom(l, &r.view, &rq->resp)) {
        srv_page_error(rq, 500, "this feed is too large to show");
    } else {
        rq->status = 200;
        rq->content_type = "application/atom+xml; charset=utf-8";
    }
    svc_regressions_cleanup(&r);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}

void route_page_regressions(struct req *rq)
{
    regressions_page(rq, false);
}

void route_page_regressions_atom(struct req *rq)
{
    regressions_page(rq, true);
}

void route_regressions(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_project_begin(rq, &proj);
    struct svc_regressions r;
    struct errbuf eb;
    struct jw w;
    enum err e;

    memset(&r, 0, sizeof r);
    if (!st)
        return;
    err_init(&eb);
    e = svc_regressions(st, &proj, 0, &r, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e, &eb);
    } else {
        req_json_begin(rq, 200, &w);
        svc_regressions_json(&w, &r);
    }
    svc_regressions_cleanup(&r);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}
