/*
 * The pages' glue to render/page.h: the request's link builder, answering
 * with a page, HTML error pages, and the project lookup every page starts
 * with.  The markup itself is render/'s (render/html.c, render/page_*.c).
 * Design notes:
 *  1. A page is written into one bounded struct buf (rq->resp); a page
 *     that outgrows it is answered as a 500 page by srv_page_answer or
 *     srv_page_send, never cut off silently.
 *  2. No markup here: error pages too are render/'s (page_error).
 *  3. Static mode (page_int.h) is read from one request header here, so
 *     the pages ask srv_page_links() and never parse headers themselves.
 */
#include "server/page_int.h"

#include "render/page.h"
#include "render/render.h"
#include "web/web.h"

#include <string.h>

/* The distribution chart's size: the route draws it, the pages reserve it. */
_Static_assert(SRV_DIST_WIDTH == PAGE_DIST_WIDTH &&
                   SRV_DIST_HEIGHT == PAGE_DIST_HEIGHT,
               "one distribution chart size");

/* The static mode's links: the same paths, nothing that needs a server
 * (page_int.h). */
static const struct page_links links_static = {NULL, NULL, false};

/* True when rq asks for the static rendering (page_int.h). */
static bool is_static(struct req *rq)
{
    const char *v = req_header(rq, SRV_PAGE_STATIC_HEADER);

    return v && strcmp(v, "1") == 0;
}

const struct page_links *srv_page_links(struct req *rq)
{
    return is_static(rq) ? &links_static : &page_links_server;
}

void srv_page_error(struct req *rq, unsigned status, const char *detail)
{
    /* An error page is small: it fits any response buffer. */
    (void)page_error(&page_links_server, &rq->resp, status, srv_reason(status),
                     detail);
    rq->status = status;
    rq->content_type = "text/html; charset=utf-8";
}

void srv_page_send(struct req *rq, unsigned status)
{
    /* A failed append leaves the page without its end (note 1): say so
     * instead of sending a truncated page. */
    if (!page_complete(&rq->resp)) {
        srv_page_error(rq, 500, "this page is too large to show");
        return;
    }
    rq->status = status;
    rq->content_type = "text/html; charset=utf-8";
}

void srv_page_answer(struct req *rq, enum err e)
{
    if (e || !page_complete(&rq->resp)) {
        srv_page_error(rq, 500, "this page is too large to show");
        return;
    }
    rq->status = 200;
    rq->content_type = "text/html; charset=utf-8";
}

struct store *srv_page_project_begin(struct req *rq, struct store_project *proj)
{
    struct store *st = NULL;
    struct errbuf eb;
    enum err e;

    memset(proj, 0, sizeof *proj);
    if (!auth_check(rq, rq->route->access, rq->params[0]))
        return NULL;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    err_cleanup(&eb);
    if (e) {
        srv_page_error(rq, srv_status_for(e), "the database is unavailable");
        return NULL;
    }
    e = store_project_get(st, rq->params[0], proj);
    if (e) {
        srv_store_release(rq->srv, st);
        srv_page_error(rq, srv_status_for(e),
                       e == ERR_NOT_FOUND ? "no such project"
                                          : "could not read the project");
        return NULL;
    }
    return st;
}

/* An embedded asset (web/), cacheable for an hour. */
static void send_asset(struct req *rq, const char *data, size_t len,
                       const char *type)
{
    buf_reset(&rq->resp);
    buf_add(&rq->resp, data, len);
    rq->status = 200;
    rq->content_type = type;
    rq->cache_control = "public, max-age=3600";
}

void route_page_style(struct req *rq)
{
    send_asset(rq, web_style_css, web_style_css_len, "text/css; charset=utf-8");
}

void route_page_script(struct req *rq)
{
    send_asset(rq, web_tooltips_js, web_tooltips_js_len,
               "text/javascript; charset=utf-8");
}
