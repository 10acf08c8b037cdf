/*
 * The compare page: /p/{project}/compare?base=&head=, the answer of
 * /api/v1/projects/{p}/compare (svc_compare_create, the same engine) as a
 * table with its chart, budgets and recommendations (page_advice.c).  A GET form picks the references, so a comparison is a shareable
 * URL.  A bad or unknown reference is shown on the page as a message (the
 * form stays usable), not as an error page.
 */
#include "server/page_int.h"

#include "analysis/analysis.h"
#include "render/render.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void ref_input(struct buf *b, const char *label, const char *name,
                      const char *v)
{
    buf_adds(b, "<label>");
    page_esc_text(b, label);
    buf_adds(b, " <input type=\"text\" name=\"");
    page_esc_attr(b, name);
    buf_adds(b, "\" value=\"");
    page_esc_attr(b, v ? v : "");
    buf_adds(b, "\" placeholder=\"run id, branch:NAME, commit:SHA\">"
                "</label>\n");
}

void route_page_compare(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct svc_compare *c = NULL;
    struct svc_compare_query q;
    const char *base = req_arg_set(rq, "base"), *head = req_arg(rq, "head");
    struct buf *b = &rq->resp;
    struct errbuf eb;
    enum err e = ERR_OK;

    if (!st)
        return;
    err_init(&eb);
    memset(&q, 0, sizeof q);
    q.project = proj.slug;
    q.base = base;
    q.head = head;
    q.threshold = NAN; /* and the API's bootstrap: the same verdicts */
    if (head && *head)
        e = svc_compare_create(st, &q, &c, &eb);
    srv_store_release(rq->srv, st);
    if (e && e != ERR_NOT_FOUND && e != ERR_INVALID) {
        srv_page_error(rq, srv_status_for(e), "could not compare the runs");
        goto out;
    }
    srv_page_begin(b, "Compare", proj.slug);
    buf_adds(b, "<h1>Compare</h1>\n<form method=\"get\">\n");
    ref_input(b, "Base", "base", base);
    ref_input(b, "Head", "head", head);
    buf_adds(b, "<button type=\"submit\">Compare</button>\n</form>\n");
    if (e) {
        buf_adds(b, "<p class=\"bad\">");
        page_esc_text(b, eb.msg);
        buf_adds(b, "</p>\n");
    } else if (!c) {
        buf_adds(b, "<p class=\"muted\">Choose a head (and a base) to "
                    "compare.</p>\n");
    } else {
        srv_page_comparison(b, proj.slug, c, true, true, true);
    }
    srv_page_end(b);
    srv_page_send(rq, 200);
out:
    svc_compare_free(c);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}
