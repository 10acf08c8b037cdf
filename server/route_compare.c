/*
 * GET /api/v1/projects/{project}/compare?base=&head=: the query's
 * arguments read and checked, the comparison made by service/compare.c,
 * answered as JSON, text or Markdown.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A read request's bootstrap is capped well below the engine's limit: its
 * cost grows with resamples x samples x rows, and reads need no token. */
#define ROUTE_BOOTSTRAP_MAX 10000

/* ---- the route -------------------------------------------------------------
 */

static bool arg_fraction(struct req *rq, const char *name, double *out)
{
    const char *v = req_arg(rq, name);
    char *end;
    double x;

    if (!v || !*v)
        return true;
    x = strtod(v, &end);
    if (end == v || *end || !(x >= 0 && x <= 10)) {
        req_query_problem(rq, name, "expected a fraction such as 0.05 (5%%)");
        return false;
    }
    *out = x;
    return true;
}

static bool arg_int(struct req *rq, const char *name, int64_t min, int64_t max,
                    int64_t *out)
{
    const char *v = req_arg(rq, name);

    if (!v || !*v)
        return true;
    if (parse_int64(v, min, max, out) == ERR_OK)
        return true;
    req_query_problem(rq, name, "expected an integer in [%lld, %lld]",
                      (long long)min, (long long)max);
    return false;
}

/*
 * Where the Markdown's links point (note 6): the query's link, else
 * http:// and the Host the client used (left out when it could not stand
 * in a link).  NULL for the other formats: they have no links, and a
 * link_base makes the comparison look up every row's benchmark id.
 */
static char *markdown_link(struct req *rq, const char *format)
{
    const char *given = req_arg_set(rq, "link");
    const char *host = req_header(rq, "Host");
    char *link;

    if (strcmp(format, "markdown") != 0)
        return NULL;
    if (given)
        return xstrdup(given); /* checked by svc_compare_create */
    if (!host || !*host || strlen(host) >= 200)
        return NULL;
    link = xasprintf("http://%s", host);
    if (!svc_link_ok(link)) {
        free(link);
        link = NULL;
    }
    return link;
}

void route_compare(struct req *rq)
{
    static const struct {
        const char *name;
        const char *type;
    } formats[] = {
        {"json", "application/json"},
        {"text", "text/plain; charset=utf-8"},
        {"markdown", "text/markdown; charset=utf-8"},
    };
    struct svc_compare_query q = {0};
    struct svc_compare *c = NULL;
    struct store *st = NULL;
    struct store_project proj;
    char key[2 * HASH_SHA256_LEN + 1] = "";
    char *link = NULL;
    const char *format = req_arg(rq, "format"), *type = NULL;
    int64_t boot = 0, seed = 0, hist = 0;
    struct errbuf eb;
    enum err e;

    if (!format || !*format)
        format = "json";
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(format, formats[i].name))
            type = formats[i].type;
    if (!type) {
        req_query_problem(rq, "format", "json, text or markdown");
        return;
    }
    q.project = rq->params[0];
    q.base = req_arg(rq, "base");
    q.head = req_arg(rq, "head");
    q.threshold = NAN;
    if (!arg_fraction(rq, "threshold", &q.threshold) ||
        !arg_int(rq, "bootstrap", 0, ROUTE_BOOTSTRAP_MAX, &boot) ||
        !arg_int(rq, "seed", 0, INT64_MAX, &seed) ||
        !arg_int(rq, "history", 1, 1000, &hist))
        return;
    q.bootstrap = (unsigned)boot;
    q.seed = (uint64_t)seed;
    q.history = (int)hist;
    if (!auth_check(rq, rq->route->access, rq->params[0]))
        return;
    q.link_base = link = markdown_link(rq, format);
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    /* computed once per project version, not per view (answer_cache.c) */
    if (!e && store_project_get(st, q.project, &proj) == ERR_OK) {
        bool hit = srv_answer_cached(rq, st, proj.id, link, key);

        store_project_cleanup(&proj);
        if (hit) {
            srv_store_release(rq->srv, st);
            goto out;
        }
    }
    if (!e)
        e = svc_compare_create(st, &q, &c, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        /* a malformed reference is a bad query */
        req_problem(rq, e == ERR_INVALID ? ERR_MALFORMED : e, &eb);
    } else {
        buf_reset(&rq->resp);
        rq->status = 200;
        rq->content_type = type;
        (void)svc_compare_write(c, format, &rq->resp);
        srv_answer_keep(rq, key);
    }
out:
    svc_compare_free(c);
    free(link);
    err_cleanup(&eb);
}
