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
 * 3. Limits: a body over max_body is refused with 413 as soon as its
 *    Content-Length says so, or when the streamed bytes pass the limit (the
 *    rest is discarded, never buffered).  Bodies are only accumulated for
 *    routes that take one.
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
    cfg->per_ip_limit = 0;
    cfg->batch_max = 256;
    cfg->log_requests = true;
    ingest_limits_default(&cfg->limits);
}

/* ---- read connection pool ---------------------------------------------- */

enum err srv_store_acquire(struct srv *s, struct store **out,
                           struct errbuf *eb)
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
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
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
    [ERR_OK] = 200,           [ERR_NOMEM] = 500,
    [ERR_INVALID] = 422,      [ERR_TOO_LARGE] = 413,
    [ERR_NOT_FOUND] = 404,    [ERR_CONFLICT] = 409,
    [ERR_AUTH] = 401,         [ERR_IO] = 503,
    [ERR_DB] = 500,           [ERR_INTERNAL] = 500,
    [ERR_FORBIDDEN] = 403,    [ERR_MALFORMED] = 400,
    [ERR_UNSUPPORTED] = 415,  [ERR_FULL] = 507,
};

unsigned srv_status_for(enum err e)
{
    if ((unsigned)e < sizeof err_status / sizeof err_status[0] &&
        err_status[e])
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

    /* Internal detail (SQLite's text) is logged, not sent.  A full disk
     * and an I/O error are the operator's to fix, not a bug: they say so,
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

static enum MHD_Result send_answer(struct req *rq)
{
    struct MHD_Response *resp;
    size_t len = rq->resp.len;
    char *data = buf_take(&rq->resp);
    enum MHD_Result ret;
    bool head = strcmp(rq->method, "HEAD") == 0;

    if (!rq->status) {
        rq->status = 500;
        log_error("%s %s: handler gave no answer", rq->method, rq->path);
    }
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
    if (rq->status == 405 && rq->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rq->allow);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
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
                            rq->cache_control ? rq->cache_control
                                              : "no-store");
    if (rq->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rq->etag);
    if (rq->set_cookie)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
                                rq->set_cookie);
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
    return r && (strcmp(r->method, "POST") == 0 ||
                 strcmp(r->method, "PUT") == 0 ||
                 strcmp(r->method, "PATCH") == 0);
}

static struct req *req_create(struct srv *s, struct MHD_Connection *conn,
                              const char *url, const char *method)
{
    struct req *rq = xcalloc(1, sizeof *rq);
    struct buf allow;
    const char *match_method = strcmp(method, "HEAD") == 0 ? "GET" : method;

    rq->srv = s;
    rq->conn = conn;
    atomic_fetch_add(&s->inflight, 1);
    rq->method = method;
    rq->path = xstrdup(url);
    rq->t0_ns = time_mono_ns();
    buf_init(&rq->body, s->cfg.limits.max_body);
    buf_init(&rq->resp, 0);
    buf_init(&allow, 256);
    rq->route_index = routes_match(s->routes, s->nroutes, match_method,
                                   url, rq->params, &allow);
    rq->route = rq->route_index >= 0 ? &s->routes[rq->route_index] : NULL;
    if (!rq->route && allow.len) {
        struct buf msg;

        buf_init(&msg, 512);
        /* The method is the client's: at most 32 bytes of it. */
        if (buf_printf(&msg, "method %.32s is not allowed on this path; "
                       "allowed: %s", method, buf_str(&allow)))
            buf_reset(&msg);
        req_problem_status(rq, 405,
                           msg.len ? buf_str(&msg)
                                   : "method not allowed on this path");
        buf_cleanup(&msg);
        rq->allow = buf_take(&allow);
    } else if (!rq->route) {
        req_problem_status(rq, 404, "no such resource");
    }
    buf_cleanup(&allow);
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
        err_cleanup(&rq->job->eb);
        free(rq->job);
    }
    free(rq);
}

/* Early refusal from Content-Length, before any body byte is read. */
static bool body_refused_early(struct req *rq)
{
    const char *cl = req_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t n;

    if (!cl || parse_int64(cl, 0, INT64_MAX, &n))
        return false;
    if ((uint64_t)n > rq->srv->cfg.limits.max_body) {
        struct buf msg;

        buf_init(&msg, 256);
        (void)buf_printf(&msg, "request body of %lld bytes is over the "
                         "limit of %zu bytes", (long long)n,
                         rq->srv->cfg.limits.max_body);
        req_problem_status(rq, 413, buf_str(&msg));
        buf_cleanup(&msg);
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
        if (rq->status)
            return send_answer(rq);
        if (route_takes_body(rq->route) && body_refused_early(rq))
            return send_answer(rq);
        return MHD_YES;
    }
    if (rq->handled)
        return MHD_YES; /* discard any rest of a refused body */
    if (*upload_data_size) {
        if (!rq->body_too_large &&
            buf_add(&rq->body, upload_data, *upload_data_size))
            rq->body_too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->job && rq->job_submitted && !atomic_load(&rq->job_done))
        return MHD_YES; /* spurious call while suspended */
    if (rq->body_too_large) {
        struct buf msg;

        buf_init(&msg, 256);
        (void)buf_printf(&msg, "request body is over the limit of %zu bytes",
                         s->cfg.limits.max_body);
        req_problem_status(rq, 413, buf_str(&msg));
        buf_cleanup(&msg);
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

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct srv *s = cls;
    struct req *rq = *req_cls;
    uint64_t ns;

    (void)conn;
    if (!rq)
        return;
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

/* ---- start and stop ---------------------------------------------------- */

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

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    (void)cls;
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
    unsigned threads;
    enum err e;

    *out = NULL;
    e = parse_listen(cfg->listen, &sa, eb);
    if (e)
        return e;
    s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    s->db_path = xstrdup(cfg->db_path);
    s->cfg.db_path = s->db_path;
    s->cfg.listen = NULL;
    s->started_at = time_now_ms();
    s->routes = routes_table(&s->nroutes);
    s->charts = chart_cache_create(256, 32u << 20);
    pthread_mutex_init(&s->pool.lock, NULL);
    s->metrics.counts = xcalloc((s->nroutes + 1) * METRICS_STATUS_SLOTS,
                                sizeof *s->metrics.counts);
    s->metrics.buckets = xcalloc((s->nroutes + 1) * METRICS_BUCKETS,
                                 sizeof *s->metrics.buckets);
    s->metrics.sum_us = xcalloc(s->nroutes + 1, sizeof *s->metrics.sum_us);

    /* Create and migrate the database before anything reads it. */
    e = store_open(s->db_path, STORE_RW, &st, NULL, eb);
    if (e)
        goto fail;
    store_close(st);
    e = writer_start(s, &s->writer, eb);
    if (e)
        goto fail;
    threads = cfg->threads ? cfg->threads : 1;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
            MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        MHD_OPTION_END);
    if (!s->daemon) {
        err_set(eb, "cannot listen on %s (address in use, or no "
                "permission?)", cfg->listen);
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
    writer_free(s->writer);
    pool_close(&s->pool);
    chart_cache_free(s->charts);
    pthread_mutex_destroy(&s->pool.lock);
    free((void *)s->metrics.counts);
    free((void *)s->metrics.buckets);
    free((void *)s->metrics.sum_us);
    free(s->db_path);
    free(s);
}
