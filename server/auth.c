/*
 * Bearer tokens and browser sessions.  Writes need a write (or admin) token
 * valid for the project (a token for every project, or one naming it); with
 * --private, reads need at least a read token.  Unknown or revoked tokens
 * are 401; a known token without the scope or for another project is 403.
 * The secret is hashed and compared in constant time by store_token_lookup.
 *
 * Design notes:
 *  1. A browser cannot send an Authorization header from a link, so a page
 *     request without one may carry the session cookie (SRV_SESSION_COOKIE)
 *     made at sign-in (route_page_triage.c).  It counts like the token it
 *     was made from, as that token is now (scope, project, revocation), but
 *     only on the page routes ("/" and "/p/..."): GET and HEAD, and the
 *     form POSTs, whose handlers check the session's CSRF token too.  The
 *     JSON API never takes the cookie, so no other site's page can make a
 *     browser write through it.
 *  2. A page request that is refused for want of credentials answers an
 *     HTML sign-in page (401, with WWW-Authenticate) instead of a bare
 *     problem+json, so a person sees a form; any other refusal of a page is
 *     an HTML error page.  API routes answer problem+json as before.
 *  3. Each lookup moves the session's idle expiry, writing at most once a
 *     minute per session (SESSION_TOUCH_MS), so browsing costs no write.
 *  4. "Secure" cookies: the server speaks plain HTTP (TLS is a proxy's job
 *     in front); with --trust-proxy, X-Forwarded-Proto: https or Forwarded:
 *     proto=https makes the request secure, and X-Forwarded-Host names the
 *     origin a form must come from.  Without --trust-proxy these headers are
 *     ignored: any client could send them.
 */
#include "server/page_int.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESSION_TOUCH_MS 60000

int64_t srv_session_idle_ms(const struct srv *s)
{
    return (int64_t)(s->cfg.session_idle_s ? s->cfg.session_idle_s
                                           : SRV_SESSION_IDLE_S) *
           1000;
}

int64_t srv_session_max_ms(const struct srv *s)
{
    return (int64_t)(s->cfg.session_max_s ? s->cfg.session_max_s
                                          : SRV_SESSION_MAX_S) *
           1000;
}

const char *srv_cookie(struct req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

const char *srv_session_get(struct req *rq, struct store *st,
                            struct store_session *out)
{
    const char *sid = srv_cookie(rq, SRV_SESSION_COOKIE);
    int64_t now = time_now_ms();
    struct store *rw = NULL;

    memset(out, 0, sizeof *out);
    if (!sid ||
        store_session_lookup(st, sid, now, srv_session_idle_ms(rq->srv),
                             srv_session_max_ms(rq->srv), out) != ERR_OK)
        return NULL;
    /* Note 3.  A failed touch only shortens the session: no refusal. */
    if (now - out->last_seen_at >= SESSION_TOUCH_MS) {
        enum err e =
            store_open(rq->srv->db_path, STORE_RW_EXISTING, &rw, NULL, NULL);

        if (e == ERR_OK)
            e = store_session_touch(rw, out->id, now, NULL);
        if (e)
            log_warn("auth: could not refresh a session's idle expiry");
        store_close(rw);
    }
    return sid;
}

/* The value of a "Forwarded" (RFC 7239) or "X-Forwarded-*" header from the
 * first (client-most) hop: the text before any comma. */
static bool first_hop_is(const char *v, const char *want)
{
    size_t n = strlen(want);

    while (v && (*v == ' ' || *v == '\t'))
        v++;
    return v && strncasecmp(v, want, n) == 0 &&
           (v[n] == '\0' || v[n] == ',' || v[n] == ' ' || v[n] == ';');
}

bool srv_request_secure(struct req *rq)
{
    const char *v;

    if (!rq->srv->cfg.trust_proxy)
        return false;
    v = req_header(rq, "X-Forwarded-Proto");
    if (v)
        return first_hop_is(v, "https");
    v = req_header(rq, "Forwarded");
    /* The first element's proto parameter: "for=..;proto=https, ..." */
    for (const char *p = v; p && *p && *p != ','; p++)
        if ((p == v || p[-1] == ';' || p[-1] == ' ') &&
            strncasecmp(p, "proto=", 6) == 0)
            return first_hop_is(p + 6, "https") ||
                   first_hop_is(p + 6, "\"https\"");
    return false;
}

/* The host[:port] of an absolute URL ("https://h:1/x" -> "h:1"), as
 * [*start, *len); false when it has none. */
static bool url_host(const char *url, const char **start, size_t *len)
{
    const char *p = strstr(url, "://");

    if (!p || p == url)
        return false;
    p += 3;
    *start = p;
    *len = strcspn(p, "/?#");
    return *len > 0;
}

bool srv_origin_ok(struct req *rq)
{
    const char *origin = req_header(rq, "Origin");
    const char *from = origin ? origin : req_header(rq, "Referer");
    const char *host = NULL, *h;
    size_t hl;

    if (!from)
        return true; /* a client that sends neither: the CSRF token decides */
    if (rq->srv->cfg.trust_proxy)
        host = req_header(rq, "X-Forwarded-Host");
    if (!host)
        host = req_header(rq, MHD_HTTP_HEADER_HOST);
    /* "Origin: null" (a sandboxed or file: page) has no host: refused. */
    if (!host || !url_host(from, &h, &hl))
        return false;
    return strlen(host) == hl && strncasecmp(host, h, hl) == 0;
}

/* Note 1: the routes where the session cookie may stand for a token. */
static bool page_route(const struct req *rq)
{
    const char *p = rq->route ? rq->route->pattern : NULL;

    return p && (strcmp(p, "/") == 0 || strncmp(p, "/p/", 3) == 0);
}

static bool page_get(const struct req *rq)
{
    return page_route(rq) &&
           (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0);
}

static bool deny(struct req *rq, unsigned status, const char *detail)
{
    if (status == 401)
        rq->www_auth = "Bearer realm=\"benchvault\"";
    /* Note 2. */
    if (page_get(rq)) {
        if (status == 401)
            srv_page_signin(rq, 401, detail);
        else
            srv_page_error(rq, status, detail);
        return false;
    }
    req_problem_status(rq, status, detail);
    return false;
}

/* Fills rq->token from the request's live session; false when it has
 * none (note 1). */
static bool session_token(struct req *rq)
{
    struct store *st = NULL;
    struct store_session s;
    bool ok = false;

    if (!page_route(rq) || srv_store_acquire(rq->srv, &st, NULL) != ERR_OK)
        return false;
    if (srv_session_get(rq, st, &s)) {
        rq->token = s.token;
        memset(&s.token, 0, sizeof s.token);
        ok = true;
    }
    srv_store_release(rq->srv, st);
    store_session_cleanup(&s);
    return ok;
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
    /* Looked up once per request (by the dispatcher, from the route
     * table); a handler's own check re-judges only scope and project. */
    if (rq->has_token)
        goto scope;
    h = req_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
    if ((!h || !*h) && session_token(rq))
        goto scope;
    if (!h || !*h)
        return deny(rq, 401,
                    need == ACCESS_ADMIN ? "this request needs an admin token: "
                                           "Authorization: Bearer <token>"
                    : need == ACCESS_WRITE
                        ? "this request needs a write token: "
                          "Authorization: Bearer <token>"
                        : "this server is private: send "
                          "Authorization: Bearer <token>, or "
                          "sign in with a read token");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return deny(rq, 401,
                    "the Authorization header must be "
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
    if (e == ERR_AUTH && rq->token.expires_at > 0) {
        char when[TIME_ISO_LEN], msg[128];

        time_format_iso(rq->token.expires_at, when);
        snprintf(msg, sizeof msg, "token expired at %s", when);
        memset(&rq->token, 0, sizeof rq->token);
        err_cleanup(&eb);
        return deny(rq, 401, msg);
    }
    if (e == ERR_AUTH) {
        err_cleanup(&eb);
        return deny(rq, 401, "unknown or revoked token");
    }
    if (e) {
        /* The lookup takes no errbuf: the log still says what failed. */
        if (!eb.msg[0])
            err_set(&eb, "looking up the token: %s", err_str(e));
        req_problem(rq, e, &eb);
        err_cleanup(&eb);
        return false;
    }
    err_cleanup(&eb);
scope:
    rq->has_token = true;
    want = need == ACCESS_ADMIN   ? SCOPE_ADMIN
           : need == ACCESS_WRITE ? SCOPE_WRITE
                                  : SCOPE_READ;
    if (rq->token.scope < want)
        return deny(rq, 403,
                    want == SCOPE_ADMIN
                        ? "this request needs an admin token (benchvault "
                          "token create --scope admin)"
                        : "this token's scope does not allow writes");
    /* An admin route without a project in its URL (tokens) reaches every
     * project: a token limited to one project cannot make or see others'
     * tokens.  One with a project (webhooks, deleting it) takes that
     * project's admin token too. */
    if (need == ACCESS_ADMIN && !project && rq->token.project)
        return deny(rq, 403,
                    "this request needs an admin token for every project");
    if (project && rq->token.project && strcmp(rq->token.project, project))
        return deny(rq, 403, "this token is not valid for this project");
    return true;
}
