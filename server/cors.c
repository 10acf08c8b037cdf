/*
 * CORS for reads, and the API's OpenAPI document.
 *
 * Design notes:
 * 1. Only reads are shared with other origins: a GET (or HEAD) route whose
 *    request carries an Origin that --cors-origin lists ("*": any) gets
 *    Access-Control-Allow-Origin with that origin and Vary: Origin.  No
 *    write route ever answers a CORS header, so a page of another site
 *    cannot read what a write answered, and its preflight for a write is
 *    refused (no Access-Control-Allow-Methods for it).
 * 2. Preflight: OPTIONS on a path with a GET route is answered 204 before
 *    any token check (browsers send it without credentials), with Allow;
 *    and, when the origin is listed and the method asked for is GET or
 *    HEAD, the CORS headers: methods GET, HEAD and the Authorization
 *    header (a --private server's reads need a token).  OPTIONS on a path
 *    without a GET route is a 405 (or 404) as any other method.
 * 3. Credentials (cookies) are never allowed cross-origin: the pages'
 *    session cookie must not ride along; a bearer token is sent
 *    explicitly.
 */
#include "server/server_int.h"

#include "web/web.h"

#include <string.h>
#include <strings.h>

/* Whether origin is one of the comma-separated list (or the list is *). */
static bool listed(const char *list, const char *origin)
{
    size_t n = strlen(origin);

    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        const char *q = p;
        size_t l = len;

        while (l && (*q == ' ' || *q == '\t')) {
            q++;
            l--;
        }
        while (l && (q[l - 1] == ' ' || q[l - 1] == '\t'))
            l--;
        if ((l == 1 && *q == '*') || (l == n && !strncasecmp(q, origin, n)))
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

const char *srv_cors_origin(struct req *rq)
{
    const char *origin;

    if (!rq->srv->cors || !rq->route)
        return NULL;
    if (strcmp(rq->route->method, "GET"))
        return NULL;
    origin = req_header(rq, "Origin");
    if (!origin || !*origin || strlen(origin) > 512)
        return NULL;
    return listed(rq->srv->cors, origin) ? origin : NULL;
}

void route_openapi(struct req *rq)
{
    buf_reset(&rq->resp);
    if (buf_add(&rq->resp, web_openapi_json, web_openapi_json_len)) {
        req_problem(rq, ERR_NOMEM, NULL);
        return;
    }
    rq->status = 200;
    rq->content_type = "application/json";
    rq->cache_control = "public, max-age=3600";
}
