/*
 * Bearer tokens.  Writes need a write (or admin) token valid for the project
 * (a token for every project, or one naming it); with --private, reads need
 * at least a read token.  Unknown or revoked tokens are 401; a known token
 * without the scope or for another project is 403.  The secret is hashed
 * and compared in constant time by store_token_lookup.
 */
#include "server/server_int.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

static bool deny(struct req *rq, unsigned status, const char *detail)
{
    if (status == 401)
        rq->www_auth = "Bearer realm=\"benchvault\"";
    req_problem_status(rq, status, detail);
    return false;
}

bool auth_check(struct req *rq, enum access need, const char *project)
{
    const char *h;
    struct store *st = NULL;
    struct errbuf eb;
    enum err e;
    enum token_scope want;

    if (need == ACCESS_PUBLIC ||
        (need == ACCESS_READ && !rq->srv->cfg.private_reads))
        return true;
    h = req_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || !*h)
        return deny(rq, 401, need == ACCESS_WRITE
                                 ? "this request needs a write token: "
                                   "Authorization: Bearer <token>"
                                 : "this server is private: send "
                                   "Authorization: Bearer <token>");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return deny(rq, 401, "the Authorization header must be "
                             "\"Bearer <token>\"");
    h += 7;
    while (*h == ' ')
        h++;
    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (!e) {
        e = store_token_lookup(st, h, &rq->token);
        srv_store_release(rq->srv, st);
    }
    if (e == ERR_AUTH) {
        err_cleanup(&eb);
        return deny(rq, 401, "unknown or revoked token");
    }
    if (e) {
        req_problem(rq, e, &eb);
        err_cleanup(&eb);
        return false;
    }
    err_cleanup(&eb);
    rq->has_token = true;
    want = need == ACCESS_WRITE ? SCOPE_WRITE : SCOPE_READ;
    if (rq->token.scope < want)
        return deny(rq, 403, "this token's scope does not allow writes");
    if (project && rq->token.project && strcmp(rq->token.project, project))
        return deny(rq, 403, "this token is not valid for this project");
    return true;
}
