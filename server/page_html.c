/*
 * A small HTML writer for the pages: the common head and foot, HTML error
 * pages and value formatting.  Design notes:
 *  1. Everything is appended to one bounded struct buf (rq->resp); a page
 *     that outgrows it is answered as a 500 page by srv_page_send, never
 *     cut off silently.
 *  2. Only literal markup of ours is added raw; every user string goes
 *     through page_esc_text/attr/segment/query (render/render.h).
 *  3. Static mode (page_int.h) is read from one request header here, so
 *     the pages ask srv_page_static() and never parse headers themselves.
 */
#include "server/page_int.h"

#include "render/render.h"
#include "web/web.h"

#include <math.h>
#include <string.h>

static void page_begin(struct buf *b, const char *title, const char *project,
                       bool live)
{
    buf_reset(b);
    buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\">\n<title>");
    page_esc_text(b, title);
    buf_adds(b, " – benchvault</title>\n"
                "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
                /* An empty icon: browsers ask for /favicon.ico otherwise. */
                "<link rel=\"icon\" href=\"data:,\">\n"
                "</head>\n<body>\n<header><a href=\"/\">benchvault</a>");
    if (project) {
        buf_adds(b, "<nav>");
        srv_page_link(b, project, "", project);
        srv_page_link(b, project, "/alerts", "alerts");
        if (live)
            srv_page_link(b, project, "/compare", "compare");
        buf_adds(b, "</nav>");
    }
    buf_adds(b, "</header>\n<main>\n");
}

void srv_page_begin(struct buf *b, const char *title, const char *project)
{
    page_begin(b, title, project, true);
}

bool srv_page_static(struct req *rq)
{
    const char *v = req_header(rq, SRV_PAGE_STATIC_HEADER);

    return v && strcmp(v, "1") == 0;
}

void srv_page_begin_for(struct req *rq, const char *title, const char *project)
{
    page_begin(&rq->resp, title, project, !srv_page_static(rq));
}

void srv_page_end(struct buf *b)
{
    buf_adds(b, "</main>\n<footer>benchvault</footer>\n</body>\n</html>\n");
}

void srv_page_error(struct req *rq, unsigned status, const char *detail)
{
    srv_page_begin(&rq->resp, srv_reason(status), NULL);
    buf_printf(&rq->resp, "<h1>%u ", status);
    page_esc_text(&rq->resp, srv_reason(status));
    buf_adds(&rq->resp, "</h1>\n<p>");
    page_esc_text(&rq->resp, detail);
    buf_adds(&rq->resp, "</p>\n<p><a href=\"/\">All projects</a></p>\n");
    srv_page_end(&rq->resp);
    rq->status = status;
    rq->content_type = "text/html; charset=utf-8";
}

void srv_page_send(struct req *rq, unsigned status)
{
    static const char tail[] = "</html>\n";
    size_t n = sizeof tail - 1;

    /* A failed append leaves the page without its end (note 1): say so
     * instead of sending a truncated page. */
    if (rq->resp.len < n ||
        memcmp(rq->resp.data + rq->resp.len - n, tail, n) != 0) {
        srv_page_error(rq, 500, "this page is too large to show");
        return;
    }
    rq->status = status;
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

void srv_page_value(struct buf *b, double v, const char *unit)
{
    double div = 1;
    const char *label = NULL;

    if (isnan(v)) {
        buf_adds(b, "–");
        return;
    }
    if (!unit || !*unit) {
        buf_printf(b, "%.4g", v);
        return;
    }
    /* The charts' SI scaling, so a table and its chart say "12.3 ms". */
    chart_unit_scale(unit, v, &div, &label);
    buf_printf(b, "%.4g ", div != 0 ? v / div : v);
    page_esc_text(b, label ? label : unit);
}

void srv_page_time(struct buf *b, int64_t ms)
{
    char t[TIME_ISO_LEN];

    if (ms == TIME_NONE) {
        buf_adds(b, "–");
        return;
    }
    time_format_iso(ms, t);
    page_esc_text(b, t);
}

const char *srv_page_short_sha(const char *sha, char abbrev[13])
{
    size_t n = sha ? strlen(sha) : 0;

    if (n <= 12 || strspn(sha, "0123456789abcdefABCDEF") != n)
        return sha;
    memcpy(abbrev, sha, 12);
    abbrev[12] = '\0';
    return abbrev;
}

void srv_page_link(struct buf *b, const char *project, const char *suffix,
                   const char *text)
{
    buf_adds(b, "<a href=\"/p/");
    page_esc_segment(b, project);
    buf_adds(b, suffix);
    buf_adds(b, "\">");
    page_esc_text(b, text);
    buf_adds(b, "</a>");
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
    send_asset(rq, web_style_css, web_style_css_len,
               "text/css; charset=utf-8");
}

void route_page_script(struct req *rq)
{
    send_asset(rq, web_tooltips_js, web_tooltips_js_len,
               "text/javascript; charset=utf-8");
}
