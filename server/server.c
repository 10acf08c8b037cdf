/*
 * The libmicrohttpd daemon: start/stop, the access handler, bodies, answers.
 *
 * Design notes:
 * 1. Threads: an internal thread pool (epoll) of cfg.threads workers.  Reads
 *    run on the worker that got the request, with a read-only SQLite
 *    connection borrowed from a pool (one per concurrently busy worker).
 *    All writes go through the single writer thread (writer.c), which groups
 *    the runs that queue up while a commit is in flight into one
 *    transaction: one fsync for many acknowledged runs.
 * 2. Suspension: an ingest handler suspends its connection while the writer
 *    works, so a worker never blocks on the disk and keeps serving other
 *    connections.  The writer resumes it; MHD then calls the access handler
 *    again and the answer is queued.
 * 3. Screening: the access handler's first call (headers in, no body byte
 *    kept yet) checks, in this order, the request target's length (414),
 *    the header block's size (431), the framing (conflicting Content-Length
 *    400, a transfer coding other than chunked 501), the route (404/405),
 *    the route table's access level (auth_check: 401/403), Content-Encoding
 *    (only identity: 415) and Content-Type (the route's kinds: 415), and
 *    the route's body limit against Content-Length (413).  A refusal is
 *    queued at once: libmicrohttpd then reads no more of the body and
 *    closes the connection after the answer.  So a client without a token
 *    can make us keep at most its headers, and on the public form routes
 *    SRV_FORM_BODY_MAX bytes.  A chunked body past the route's limit is
 *    discarded as it streams (the answer can only be queued at its end;
 *    the body deadline bounds how long that takes).  Bodies are only
 *    accumulated for routes that take one.
 *    libmicrohttpd's own limits (its per-connection memory pool) are set
 *    above ours, so these answers are ours; what it still refuses itself
 *    (a header block past its pool, a malformed Content-Length) gets its
 *    own HTML page: docs/api.md says what a proxy in front does about it.
 * 3a. Connections: conn.c holds the total and the deadlines for headers
 *    and bodies; libmicrohttpd holds the per-IP cap.
 * 4. Every client error is answered with a response (problem+json);
 *    MHD_NO is returned only to drop a connection we cannot answer.
 * 5. Shutdown: quiesce (stop accepting), wait for the requests in flight
 *    (not idle keep-alive connections) up to a grace period, drain the
 *    writer, stop the daemon, close every database connection.
 */
#include "server/server_int.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void srv_config_default(struct srv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->db_path = "./benchvault.db";
    cfg->listen = "127.0.0.1:8080";
    cfg->threads = 4;
    cfg->conn_timeout_s = 30;
    cfg->per_ip_limit = 64;
    cfg->max_connections = 1024;
    cfg->header_timeout_s = 15;
    cfg->body_timeout_s = 60;
    cfg->max_url = 8u << 10;
    cfg->max_headers = 32u << 10;
    cfg->batch_max = 256;
    cfg->log_requests = true;
    cfg->retention_interval_s = SRV_RETENTION_INTERVAL_S;
    cfg->retention_batch = SRV_RETENTION_BATCH;
    ingest_limits_default(&cfg->limits);
}

/* ---- read connection pool ---------------------------------------------- */

enum err srv_store_acquire(struct srv *s, struct store **out, struct errbuf *eb)
{
    struct read_pool *p = &s->pool;
    struct store *st = NULL;
    enum err e;

    *out = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->nfree)
        st = p->free[--p->nfree];
    pthread_mutex_unlock(&p->lock);
    if (st) {
        *out = st;
        return ERR_OK;
    }
    e = store_open(s->db_path, STORE_READONLY, &st, NULL, eb);
    if (e)
        return e;
    pthread_mutex_lock(&p->lock);
    p->all = xreallocarray(p->all, p->nall + 1, sizeof *p->all);
    p->all[p->nall++] = st;
    if (p->nall > p->cap) {
        p->cap = p->nall;
        p->free = xreallocarray(p->free, p->cap, sizeof *p->free);
    }
    pthread_mutex_unlock(&p->lock);
    *out = st;
    return ERR_OK;
}

void srv_store_release(struct srv *s, struct store *st)
{
    struct read_pool *p = &s->pool;

    if (!st)
        return;
    pthread_mutex_lock(&p->lock);
    p->free[p->nfree++] = st;
    pthread_mutex_unlock(&p->lock);
}

static void pool_close(struct read_pool *p)
{
    for (size_t i = 0; i < p->nall; i++)
        store_close(p->all[i]);
    free(p->all);
    free(p->free);
    p->all = p->free = NULL;
    p->nall = p->nfree = p->cap = 0;
}

/* ---- answers ----------------------------------------------------------- */

static const struct {
    unsigned status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {507, "Insufficient Storage"},
};

const char *srv_reason(unsigned status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Error";
}

/* The one table from enum err to HTTP status. */
static const unsigned err_status[] = {
    [ERR_OK] = 200,          [ERR_NOMEM] = 503,     [ERR_INVALID] = 422,
    [ERR_TOO_LARGE] = 413,   [ERR_NOT_FOUND] = 404, [ERR_CONFLICT] = 409,
    [ERR_AUTH] = 401,        [ERR_IO] = 503,        [ERR_DB] = 500,
    [ERR_INTERNAL] = 500,    [ERR_FORBIDDEN] = 403, [ERR_MALFORMED] = 400,
    [ERR_UNSUPPORTED] = 415, [ERR_FULL] = 507,
};

unsigned srv_status_for(enum err e)
{
    if ((unsigned)e < sizeof err_status / sizeof err_status[0] && err_status[e])
        return err_status[e];
    return 500;
}

void req_json_begin(struct req *rq, unsigned status, struct jw *w)
{
    buf_reset(&rq->resp);
    rq->status = status;
    rq->content_type = "application/json";
    jw_init(w, &rq->resp);
}

static void problem(struct req *rq, unsigned status, const char *detail,
                    const struct errbuf *eb)
{
    struct jw w;

    req_json_begin(rq, status, &w);
    rq->content_type = "application/problem+json";
    jw_obj_begin(&w);
    jw_kstr(&w, "type", "about:blank");
    jw_kstr(&w, "title", srv_reason(status));
    jw_kint(&w, "status", status);
    if (detail && *detail)
        jw_kstr(&w, "detail", detail);
    if (eb && eb->nitems) {
        jw_key(&w, "errors");
        jw_arr_begin(&w);
        for (size_t i = 0; i < eb->nitems; i++) {
            jw_obj_begin(&w);
            if (eb->items[i].parameter) {
                /* Not a place in the body (docs/api.md "Errors"). */
                jw_key(&w, "pointer");
                jw_null(&w);
                jw_kstr(&w, "parameter", eb->items[i].parameter);
            } else {
                jw_kstr(&w, "pointer", eb->items[i].pointer);
            }
            jw_kstr(&w, "message", eb->items[i].message);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        if (eb->dropped)
            jw_kint(&w, "errors_omitted", (int64_t)eb->dropped);
    }
    jw_obj_end(&w);
}

void req_problem(struct req *rq, enum err e, const struct errbuf *eb)
{
    unsigned status = srv_status_for(e);
    const char *detail = eb && eb->msg[0] ? eb->msg : err_str(e);

    /* Internal detail (SQLite's text) is logged, not sent.  A full disk,
     * an I/O error and SQLite out of memory are not bugs: they say so,
     * and Retry-After tells a client (the agent spools) to come back. */
    if (status >= 500) {
        log_error("%s %s: %s", rq->method, rq->path, detail);
        if (e == ERR_FULL) {
            detail = "the server's disk is full: nothing of this request "
                     "was stored; retry later (its operator must free disk "
                     "space)";
            rq->retry_after = "60";
        } else if (e == ERR_IO) {
            detail = "the server cannot read or write its storage (an I/O "
                     "error, or it is shutting down): nothing of this "
                     "request was stored; retry later";
            rq->retry_after = "30";
        } else if (e == ERR_NOMEM) {
            /* Only SQLite reports it (our own allocations abort): its
             * memory comes back when other requests finish. */
            detail = "the server's database ran out of memory: nothing of "
                     "this request was stored; retry later";
            rq->retry_after = "30";
        } else {
            detail = "the server failed to handle the request; see its log";
        }
        eb = NULL;
    }
    problem(rq, status, detail, eb);
}

void req_problem_status(struct req *rq, unsigned status, const char *detail)
{
    problem(rq, status, detail, NULL);
}

void req_query_problem(struct req *rq, const char *name, const char *fmt, ...)
{
    struct errbuf eb;
    struct buf msg;
    va_list ap;

    buf_init(&msg, 1024);
    va_start(ap, fmt);
    /* Messages quote values to 64 bytes; past the limit, say less. */
    if (buf_vprintf(&msg, fmt, ap))
        buf_reset(&msg);
    va_end(ap);
    err_init(&eb);
    err_add_param(&eb, name, "%s", msg.len ? buf_str(&msg) : "not valid");
    problem(rq, 400, eb.msg, &eb);
    err_cleanup(&eb);
    buf_cleanup(&msg);
}

const char *req_arg(struct req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_arg_set(struct req *rq, const char *name)
{
    const char *v = req_arg(rq, name);

    return v && *v ? v : NULL;
}

const char *req_header(struct req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

/* CORS (cors.c design notes 1 and 2): only for a listed origin reading a
 * GET route; a preflight only for GET or HEAD. */
static void cors_headers(struct req *rq, struct MHD_Response *resp)
{
    const char *origin = srv_cors_origin(rq), *want;

    if (!origin)
        return;
    MHD_add_response_header(resp, "Vary", "Origin");
    if (rq->preflight) {
        want = req_header(rq, "Access-Control-Request-Method");
        if (!want || (strcmp(want, "GET") && strcmp(want, "HEAD")))
            return;
        MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                "GET, HEAD");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                "Authorization");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
}

static enum MHD_Result send_answer(struct req *rq)
{
    struct MHD_Response *resp;
    size_t len;
    char *data;
    enum MHD_Result ret;
    bool head = strcmp(rq->method, "HEAD") == 0, gz;

    if (!rq->status) {
        rq->status = 500;
        log_error("%s %s: handler gave no answer", rq->method, rq->path);
    }
    gz = srv_gzip_answer(rq);
    len = rq->resp.len;
    data = buf_take(&rq->resp);
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    if (rq->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                rq->content_type);
    if (rq->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rq->location);
    if (rq->www_auth)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                rq->www_auth);
    if (rq->retry_after)
        MHD_add_response_header(resp, "Retry-After", rq->retry_after);
    if ((rq->status == 405 || rq->preflight) && rq->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rq->allow);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (gz)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (srv_compressible(rq->content_type))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    /* Pages load only this server's stylesheet, script and images: an
     * injected element would do nothing even if escaping ever failed;
     * nor can another site frame them. */
    if (rq->content_type && !strncmp(rq->content_type, "text/html", 9))
        MHD_add_response_header(
            resp, "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "script-src 'self'; connect-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            rq->cache_control ? rq->cache_control : "no-store");
    if (rq->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rq->etag);
    if (rq->set_cookie)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
                                rq->set_cookie);
    cors_headers(rq, resp);
    rq->bytes_out = head ? 0 : len;
    ret = MHD_queue_response(rq->conn, rq->status, resp);
    MHD_destroy_response(resp);
    rq->handled = true;
    /* Counted when the answer is queued, not on completion: a client that
     * reads /metrics right after its answer must see its request. */
    metrics_record(rq->srv, rq->route_index, rq->status,
                   time_mono_ns() - rq->t0_ns);
    rq->counted = true;
    return ret;
}

/* ---- the access handler ----------------------------------------------- */

static bool route_takes_body(const struct route *r)
{
    return r &&
           (strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
            strcmp(r->method, "PATCH") == 0);
}

/* The route's largest body: its own limit, never above max_body. */
static size_t route_body_limit(const struct srv *s, const struct route *r)
{
    size_t max = s->cfg.limits.max_body, own;
    unsigned kinds;

    if (!route_takes_body(r))
        return 0;
    routes_body(r, &kinds, &own);
    /* A public route's body is what anyone may make us keep: small unless
     * the table says otherwise. */
    if (!own && r->access == ACCESS_PUBLIC)
        own = SRV_FORM_BODY_MAX;
    return own && own < max ? own : max;
}

static struct req *req_create(struct srv *s, struct MHD_Connection *conn,
                              const char *url, const char *method)
{
    struct req *rq = xcalloc(1, sizeof *rq);
    const union MHD_ConnectionInfo *ci;
    struct buf allow;
    const char *match_method = strcmp(method, "HEAD") == 0 ? "GET" : method;

    rq->srv = s;
    rq->conn = conn;
    atomic_fetch_add(&s->inflight, 1);
    rq->method = method;
    rq->path = xstrdup(url);
    rq->t0_ns = time_mono_ns();
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    rq->cr = ci ? ci->socket_context : NULL;
    buf_init(&allow, 256);
    /* A preflight is answered for a path with a GET route (cors.c). */
    if (strcmp(method, "OPTIONS") == 0) {
        rq->route_index =
            routes_match(s->routes, s->nroutes, "GET", url, rq->params, NULL);
        rq->preflight = rq->route_index >= 0;
    }
    if (!rq->preflight)
        rq->route_index = routes_match(s->routes, s->nroutes, match_method, url,
                                       rq->params, &allow);
    if (allow.len)
        rq->allow = buf_take(&allow);
    buf_cleanup(&allow);
    rq->route = rq->route_index >= 0 ? &s->routes[rq->route_index] : NULL;
    rq->body_limit = route_body_limit(s, rq->route);
    /* A body route's buffer is bounded by its limit; 1 byte for the others
     * (never used: their bytes are refused before they are kept). */
    buf_init(&rq->body, rq->body_limit ? rq->body_limit : 1);
    buf_init(&rq->resp, 0);
    return rq;
}

static void req_free(struct req *rq)
{
    if (!rq)
        return;
    free(rq->path);
    for (int i = 0; i < ROUTE_MAX_PARAMS; i++)
        free(rq->params[i]);
    buf_cleanup(&rq->body);
    buf_cleanup(&rq->resp);
    free(rq->location);
    free(rq->etag);
    free(rq->set_cookie);
    free(rq->allow);
    if (rq->has_token)
        store_token_cleanup(&rq->token);
    if (rq->job) {
        run_cleanup(&rq->job->run);
        free(rq->job->idem_key);
        for (size_t i = 0; i < sizeof rq->job->own / sizeof rq->job->own[0];
             i++)
            free(rq->job->own[i]);
        err_cleanup(&rq->job->eb);
        free(rq->job);
    }
    free(rq);
}

/* Answers status with a detail made from fmt (client text quoted short). */
static void refuse(struct req *rq, unsigned status, const char *fmt, ...)
    CORE_PRINTF(3, 4);

static void refuse(struct req *rq, unsigned status, const char *fmt, ...)
{
    struct buf msg;
    va_list ap;

    buf_init(&msg, 1024);
    va_start(ap, fmt);
    if (buf_vprintf(&msg, fmt, ap))
        buf_reset(&msg);
    va_end(ap);
    req_problem_status(rq, status,
                       msg.len ? buf_str(&msg) : srv_reason(status));
    buf_cleanup(&msg);
}

/* A client's header value as the detail quotes it: up to 64 bytes of
 * printable ASCII, anything else as '?', so the answer stays valid JSON. */
struct quoted {
    char s[68];
};

static struct quoted quote(const char *v)
{
    struct quoted q;
    size_t i = 0;

    for (; v && v[i] && i < 64; i++)
        q.s[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
    if (v && v[i]) {
        memcpy(q.s + i, "...", 3);
        i += 3;
    }
    q.s[i] = '\0';
    return q;
}

/* What the first call learns from the header list. */
struct head_scan {
    size_t args_len;          /* query: names, values, '=' and '&' */
    unsigned ncl, nte, nce;   /* Content-Length, Transfer-Encoding, ... */
    const char *cl, *te, *ce; /* the first of each; borrowed from MHD */
    bool cl_conflict;
};

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value)
{
    struct head_scan *h = cls;

    (void)kind;
    h->args_len += strlen(key) + (value ? strlen(value) : 0) + 2;
    return MHD_YES;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct head_scan *h = cls;

    (void)kind;
    if (!value)
        value = "";
    if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        if (h->ncl++ == 0)
            h->cl = value;
        else if (strcmp(h->cl, value))
            h->cl_conflict = true;
    } else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        if (h->nte++ == 0)
            h->te = value;
    } else if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_ENCODING)) {
        if (h->nce++ == 0)
            h->ce = value;
    }
    return MHD_YES;
}

/* True when the header value, trimmed of spaces and tabs, is word
 * (case-insensitive). */
static bool value_is(const char *v, const char *word)
{
    size_t n = strlen(word);

    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, word, n))
        return false;
    v += n;
    while (*v == ' ' || *v == '\t')
        v++;
    return *v == '\0';
}

static const struct {
    unsigned kind;
    const char *type; /* media type, lower case */
} media_types[] = {
    {BODY_JSON, "application/json"},
    {BODY_JSON, "text/json"},
    {BODY_TEXT, "text/csv"},
    {BODY_TEXT, "text/plain"},
    {BODY_MULTIPART, "multipart/form-data"},
    {BODY_FORM, "application/x-www-form-urlencoded"},
};

/* The body kinds of a Content-Type value (0: none we know). */
static unsigned media_kind(const char *ct)
{
    size_t len = strcspn(ct, ";");

    while (*ct == ' ' && len) {
        ct++;
        len--;
    }
    while (len && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof media_types / sizeof media_types[0]; i++)
        if (strlen(media_types[i].type) == len &&
            !strncasecmp(ct, media_types[i].type, len))
            return media_types[i].kind;
    /* application/<anything>+json */
    if (len > 17 && !strncasecmp(ct, "application/", 12) &&
        !strncasecmp(ct + len - 5, "+json", 5))
        return BODY_JSON;
    return 0;
}

/* "application/json, text/csv" for the kinds a route takes. */
static void media_list(unsigned kinds, struct buf *out)
{
    for (size_t i = 0; i < sizeof media_types / sizeof media_types[0]; i++) {
        if (!(kinds & media_types[i].kind))
            continue;
        /* A handful of short names: far below the buffer's limit. */
        if (out->len)
            (void)buf_adds(out, ", ");
        (void)buf_adds(out, media_types[i].type);
    }
}

/* The project a route's URL names: /p/{}... and /api/v1/projects/{}...
 * (NULL for the others). */
static const char *route_project(const struct req *rq)
{
    const char *pat = rq->route->pattern;

    if (!strncmp(pat, "/p/{}", 5) || !strncmp(pat, "/api/v1/projects/{}", 19))
        return rq->params[0];
    return NULL;
}

/*
 * The first call's checks (design note 3), before any body byte is kept.
 * True when the request was refused (rq->status set).
 */
static bool req_screen(struct req *rq, const char *url)
{
    struct srv *s = rq->srv;
    struct head_scan h = {0};
    const union MHD_ConnectionInfo *ci;
    size_t target, head, own_max;
    unsigned kinds;
    int64_t n = 0;

    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, scan_arg, &h);
    MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, scan_header, &h);
    target = strlen(url) + h.args_len;
    if (target > s->cfg.max_url) {
        refuse(rq, 414,
               "the request target (path and query) is over the "
               "limit of %zu bytes",
               s->cfg.max_url);
        return true;
    }
    ci = MHD_get_connection_info(rq->conn,
                                 MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    head = ci ? ci->header_size : 0;
    head = head > target ? head - target : 0;
    if (head > s->cfg.max_headers) {
        refuse(rq, 431,
               "the request's header fields are over the limit of "
               "%zu bytes",
               s->cfg.max_headers);
        return true;
    }
    if (h.cl_conflict) {
        refuse(rq, 400,
               "header Content-Length: given twice with different "
               "values");
        return true;
    }
    if (h.nte > 1 || (h.te && !value_is(h.te, "chunked"))) {
        refuse(rq, 501,
               "header Transfer-Encoding: only \"chunked\" is "
               "supported, got \"%s\"",
               quote(h.te).s);
        return true;
    }
    if (h.te && h.ncl) {
        refuse(rq, 400,
               "header Content-Length: not allowed with "
               "Transfer-Encoding");
        return true;
    }
    if (h.cl && parse_int64(h.cl, 0, INT64_MAX, &n)) {
        refuse(rq, 400,
               "header Content-Length: expected a byte count, got "
               "\"%s\"",
               quote(h.cl).s);
        return true;
    }
    if (rq->preflight) {
        /* Before any token check: browsers send no credentials here. */
        buf_reset(&rq->resp);
        rq->status = 204;
        rq->content_type = NULL;
        free(rq->allow);
        rq->allow = xstrdup("GET, HEAD, OPTIONS");
        return true;
    }
    if (!rq->route && rq->allow) {
        /* The method is the client's: at most 32 bytes of it. */
        refuse(rq, 405,
               "method %.32s is not allowed on this path; "
               "allowed: %s",
               quote(rq->method).s, rq->allow);
        return true;
    }
    if (!rq->route) {
        req_problem_status(rq, 404, "no such resource");
        return true;
    }
    /* The table's level for every route: a handler that forgets its own
     * check is not public.  auth_check answers 401/403 itself. */
    if (!auth_check(rq, rq->route->access, route_project(rq)))
        return true;
    /* Every query parameter of every route is text (valid UTF-8, no NUL
     * or control character): 400 naming it (request_text.c). */
    if (!req_query_text_ok(rq))
        return true;
    if (h.nce > 1 || (h.ce && !value_is(h.ce, "identity"))) {
        refuse(rq, 415,
               "header Content-Encoding: \"%s\" is not "
               "supported; send the body uncompressed (identity)",
               quote(h.ce).s);
        return true;
    }
    if (!route_takes_body(rq->route)) {
        if (n > 0 || h.te) {
            refuse(rq, 413, "%s %s takes no request body", rq->route->method,
                   rq->route->pattern);
            return true;
        }
        return false;
    }
    routes_body(rq->route, &kinds, &own_max);
    if (kinds) {
        const char *ct = req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);

        if (ct && *ct && !(media_kind(ct) & kinds)) {
            struct buf list;

            buf_init(&list, 512);
            media_list(kinds, &list);
            refuse(rq, 415,
                   "header Content-Type: \"%s\" is not accepted "
                   "here; send %s",
                   quote(ct).s, buf_str(&list));
            buf_cleanup(&list);
            return true;
        }
    }
    if ((uint64_t)n > rq->body_limit) {
        refuse(rq, 413,
               "request body of %lld bytes is over the limit of %zu "
               "bytes",
               (long long)n, rq->body_limit);
        return true;
    }
    return false;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
    struct srv *s = cls;
    struct req *rq = *req_cls;

    (void)version;
    if (!rq) {
        rq = req_create(s, conn, url, method);
        *req_cls = rq;
        if (req_screen(rq, url)) {
            conn_phase(s, rq->cr, CONN_WORK);
            return send_answer(rq);
        }
        conn_phase(s, rq->cr, CONN_BODY);
        return MHD_YES;
    }
    if (rq->handled) {
        *upload_data_size = 0;
        return MHD_YES; /* discard any rest of a refused body */
    }
    if (*upload_data_size) {
        /* Past the limit, the rest is discarded under the body deadline as
         * it stood: bytes we do not keep buy no more time. */
        if (!rq->body_too_large &&
            (!rq->body_limit ||
             buf_add(&rq->body, upload_data, *upload_data_size)))
            rq->body_too_large = true;
        if (!rq->body_too_large)
            conn_body_bytes(s, rq->cr, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    conn_phase(s, rq->cr, CONN_WORK);
    if (rq->job && rq->job_submitted && !atomic_load(&rq->job_done))
        return MHD_YES; /* spurious call while suspended */
    if (rq->body_too_large) {
        if (rq->body_limit)
            refuse(rq, 413, "request body is over the limit of %zu bytes",
                   rq->body_limit);
        else
            refuse(rq, 413, "%s %s takes no request body", rq->route->method,
                   rq->route->pattern);
        return send_answer(rq);
    }
    rq->route->fn(rq);
    if (rq->job && !rq->job_submitted && !rq->status) {
        /* Suspend before submitting: the writer may finish and resume the
         * connection before this function returns. */
        rq->job_submitted = true;
        MHD_suspend_connection(conn);
        writer_submit(s->writer, rq->job);
        return MHD_YES;
    }
    return send_answer(rq);
}

void srv_job_done(struct ingest_job *job)
{
    struct req *rq = job->rq;

    atomic_store(&rq->job_done, true);
    MHD_resume_connection(rq->conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv *s = cls;
    struct req *rq = *req_cls;
    const union MHD_ConnectionInfo *ci;
    uint64_t ns;

    if (!rq)
        return;
    /* The next request on a kept-alive connection: a new header deadline.
     * The record is looked up, not rq->cr: NULL once MHD reported the
     * connection closed. */
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_phase(s, ci ? ci->socket_context : NULL, CONN_HEADERS);
    ns = time_mono_ns() - rq->t0_ns;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !rq->status)
        rq->status = 499; /* the client went away before an answer */
    if (!rq->counted)
        metrics_record(s, rq->route_index, rq->status, ns);
    if (s->cfg.log_requests)
        log_info("%s %s %u %zu %.3fms", rq->method, rq->path, rq->status,
                 rq->bytes_out, (double)ns / 1e6);
    *req_cls = NULL;
    req_free(rq);
    atomic_fetch_sub(&s->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct srv *s = cls;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

        *socket_context = conn_opened(s, ci ? (int)ci->connect_fd : -1);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_closed(s, *socket_context);
        *socket_context = NULL;
    }
}

/* Refuses at once (MHD closes the socket) when the total is held. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
                                 socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    return conn_admit(cls) ? MHD_YES : MHD_NO;
}

/* ---- start and stop ---------------------------------------------------- */

/* Descriptors besides the connections': databases, epoll, pipes, logs. */
#define SRV_FD_RESERVE 256u

/*
 * Raises the soft descriptor limit to the hard one when max_connections
 * needs it; where even the hard limit is short, lowers max_connections to
 * fit and says so.
 */
static void fd_limit_fit(struct srv_config *cfg)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg->max_connections + SRV_FD_RESERVE;

    if (getrlimit(RLIMIT_NOFILE, &rl))
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) || getrlimit(RLIMIT_NOFILE, &rl))
            return;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        unsigned fit = rl.rlim_cur > 2 * SRV_FD_RESERVE
                           ? (unsigned)(rl.rlim_cur - SRV_FD_RESERVE)
                           : (unsigned)(rl.rlim_cur / 2);

        log_warn("--max-connections %u is over what the descriptor limit "
                 "(%llu) allows: using %u",
                 cfg->max_connections, (unsigned long long)rl.rlim_cur, fit);
        cfg->max_connections = fit;
    }
}

static enum err parse_listen(const char *listen, struct sockaddr_in *sa,
                             struct errbuf *eb)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    int64_t port;

    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (!colon || (size_t)(colon - listen) >= sizeof host ||
        parse_int64(colon + 1, 0, 65535, &port)) {
        err_set(eb, "--listen: expected HOST:PORT, got \"%s\"", listen);
        return ERR_INVALID;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (strcmp(host, "localhost") == 0)
        memcpy(host, "127.0.0.1", sizeof "127.0.0.1");
    if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) != 1) {
        err_set(eb, "--listen: \"%s\" is not an IPv4 address", host);
        return ERR_INVALID;
    }
    sa->sin_port = htons((uint16_t)port);
    return ERR_OK;
}

/* libmicrohttpd logs a line per refused or broken connection: under an
 * attack, thousands a second.  At most this many lines a second; the rest
 * are counted and the count logged with the next second's first line. */
#define SRV_MHD_LOG_PER_SEC 10

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t second;
    static unsigned lines, dropped;
    uint64_t now = time_mono_ns() / 1000000000u;
    unsigned were_dropped = 0;
    char line[512];

    (void)cls;
    pthread_mutex_lock(&lock);
    if (now != second) {
        second = now;
        lines = 0;
        were_dropped = dropped;
        dropped = 0;
    }
    if (lines >= SRV_MHD_LOG_PER_SEC) {
        dropped++;
        pthread_mutex_unlock(&lock);
        return;
    }
    lines++;
    pthread_mutex_unlock(&lock);
    if (were_dropped)
        log_warn("microhttpd: %u more messages in the last second not "
                 "logged",
                 were_dropped);
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_warn("microhttpd: %s", line);
}

enum err srv_start(const struct srv_config *cfg, struct srv **out,
                   struct errbuf *eb)
{
    struct srv *s;
    struct store *st = NULL;
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;
    unsigned threads, mhd_cap;
    size_t pool;
    enum err e;

    *out = NULL;
    e = parse_listen(cfg->listen, &sa, eb);
    if (e)
        return e;
    s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    s->db_path = xstrdup(cfg->db_path);
    s->cfg.db_path = s->db_path;
    s->cors = cfg->cors_origins ? xstrdup(cfg->cors_origins) : NULL;
    s->cfg.cors_origins = s->cors;
    s->cfg.listen = NULL;
    fd_limit_fit(&s->cfg);
    s->started_at = time_now_ms();
    s->routes = routes_table(&s->nroutes);
    s->charts = byte_cache_create(256, 32u << 20);
    s->answers = byte_cache_create(200, 64u << 20);
    pthread_mutex_init(&s->pool.lock, NULL);
    s->metrics.counts = xcalloc((s->nroutes + 1) * METRICS_STATUS_SLOTS,
                                sizeof *s->metrics.counts);
    s->metrics.buckets =
        xcalloc((s->nroutes + 1) * METRICS_BUCKETS, sizeof *s->metrics.buckets);
    s->metrics.sum_us = xcalloc(s->nroutes + 1, sizeof *s->metrics.sum_us);

    /* Create and migrate the database before anything reads it. */
    e = store_open(s->db_path, STORE_RW, &st, NULL, eb);
    if (e)
        goto fail;
    store_close(st);
    e = writer_start(s, &s->writer, eb);
    if (e)
        goto fail;
    e = conn_table_start(s, eb);
    if (e)
        goto fail;
    threads = cfg->threads ? cfg->threads : 1;
    /* MHD's pool holds a connection's request line and headers: room for
     * ours to be the limits that answer (414, 431).  Its connection cap
     * is split among the workers; with ours the real one, a worker that
     * got more than its share must not stop accepting.  epoll (MHD_USE_AUTO
     * on Linux): no FD_SETSIZE cap. */
    pool = 2 * (s->cfg.max_url + s->cfg.max_headers) + (16u << 10);
    if (pool < (64u << 10))
        pool = 64u << 10;
    mhd_cap = s->cfg.max_connections * threads + threads;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
            MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
        0, on_accept, s, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->conn_timeout_s, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        cfg->per_ip_limit, MHD_OPTION_CONNECTION_LIMIT, mhd_cap,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_END);
    if (!s->daemon) {
        err_set(eb,
                "cannot listen on %s (address in use, or no "
                "permission?)",
                cfg->listen);
        e = ERR_IO;
        goto fail;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    *out = s;
    return ERR_OK;
fail:
    srv_stop(s, 0);
    return e;
}

unsigned srv_port(const struct srv *s)
{
    return s->port;
}

void srv_stop(struct srv *s, unsigned grace_ms)
{
    if (!s)
        return;
    if (s->daemon) {
        MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
        uint64_t deadline = time_mono_ns() + (uint64_t)grace_ms * 1000000u;

        if (lfd != MHD_INVALID_SOCKET)
            close(lfd);
        /* Wait for requests in flight, not for idle keep-alive
         * connections: those would hold the stop for the whole grace. */
        for (;;) {
            if (atomic_load(&s->inflight) == 0 || time_mono_ns() > deadline)
                break;
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    /* The writer finishes queued jobs and resumes their connections before
     * the daemon goes: MHD must not be stopped with suspended ones. */
    if (s->writer)
        writer_stop(s->writer);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    conn_table_stop(s);
    writer_free(s->writer);
    pool_close(&s->pool);
    byte_cache_free(s->charts);
    byte_cache_free(s->answers);
    pthread_mutex_destroy(&s->pool.lock);
    free((void *)s->metrics.counts);
    free((void *)s->metrics.buckets);
    free((void *)s->metrics.sum_us);
    free(s->db_path);
    free(s->cors);
    free(s);
}
