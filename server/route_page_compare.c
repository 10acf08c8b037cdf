/*
 * The compare page: /p/{project}/compare?base=&head=, the answer of
 * /api/v1/projects/{p}/compare (svc_compare_create, the same engine) as a
 * table with its chart, budgets and recommendations, written by
 * render/page_compare.c.  A GET form picks the references, so a
 * comparison is a shareable URL.  A bad or unknown reference is shown on
 * the page as a message (the form stays usable), not as an error page.
 * In static mode (page_int.h) it has no form: the page as the static
 * report saves it (a run's full comparison).
 */
#include "server/page_int.h"

#include "render/page.h"
#include "service/service.h"

#include <math.h>
#include <string.h>

void route_page_compare(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct svc_compare *c = NULL;
    struct svc_page_comparison pc;
    struct svc_compare_query q;
    struct svc_compare_picks picks;
    const char *base = req_arg_set(rq, "base"), *head = req_arg(rq, "head");
    struct errbuf eb;
    enum err e = ERR_OK;

    memset(&pc, 0, sizeof pc);
    memset(&picks, 0, sizeof picks);
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
    svc_compare_picks(st, &proj, &picks);
    srv_store_release(rq->srv, st);
    if (e && e != ERR_NOT_FOUND && e != ERR_INVALID) {
        srv_page_error(rq, srv_status_for(e), "could not compare the runs");
        goto out;
    }
    if (c)
        svc_page_comparison(c, &pc);
    srv_page_answer(rq,
                    page_compare_write(srv_page_links(rq), proj.slug, base,
                                       head, &picks.view, c ? &pc.view : NULL,
                                       e ? eb.msg : NULL, &rq->resp));
out:
    svc_compare_picks_cleanup(&picks);
    svc_page_comparison_cleanup(&pc);
    svc_compare_free(c);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}
