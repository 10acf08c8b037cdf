/*
 * /api/v1/projects/{p}/webhooks: a project's receivers of alert
 * transitions (service/webhooks.c sends them).
 *
 * Design notes:
 * 1. An admin token, for the project or for every project (ACCESS_ADMIN
 *    in the route table): a webhook sends the project's alerts to any URL,
 *    which is more than a CI job's write token should be able to arrange.
 * 2. The secret is shown once, in the answer to the POST (made here when
 *    the body has none); GET never shows it.
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

static bool admin_check(struct req *rq)
{
    return auth_check(rq, ACCESS_ADMIN, rq->params[0]);
}

/* The project of the URL, or an answer (404) and false. */
static bool project_of(struct req *rq, struct store *st,
                       struct store_project *p)
{
    enum err e = store_project_get(st, rq->params[0], p);
    struct errbuf eb;

    if (e == ERR_OK)
        return true;
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such project");
        return false;
    }
    err_init(&eb);
    err_set(&eb, "reading the project failed");
    req_problem(rq, e, &eb);
    err_cleanup(&eb);
    return false;
}

static void write_hook(struct jw *w, const struct store_webhook *h)
{
    char t[TIME_ISO_LEN];

    time_format_iso(h->created_at, t);
    jw_obj_begin(w);
    jw_kint(w, "id", h->id);
    jw_kstr(w, "url", h->url);
    jw_kstr(w, "format", h->format);
    jw_kstr(w, "created_at", t);
    jw_key(w, "deliveries");
    jw_obj_begin(w);
    jw_kint(w, "pending", h->pending);
    jw_kint(w, "delivered", h->delivered);
    jw_kint(w, "failed", h->failed);
    jw_key(w, "last_status");
    if (h->last_status)
        jw_int(w, h->last_status);
    else
        jw_null(w);
    jw_kstr(w, "last_error", h->last_error);
    jw_obj_end(w);
    jw_obj_end(w);
}

void route_webhooks_list(struct req *rq)
{
    struct store *st = NULL;
    struct store_project p;
    struct store_webhook *v = NULL;
    size_t n = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    memset(&p, 0, sizeof p);
    err_init(&eb);
    if (!admin_check(rq))
        goto out;
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    if (!project_of(rq, st, &p))
        goto out;
    e = store_webhooks_list(st, p.id, &v, &n, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    req_json_begin(rq, 200, &w);
    jw_obj_begin(&w);
    jw_kstr(&w, "project", p.slug);
    jw_key(&w, "webhooks");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        write_hook(&w, &v[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
out:
    srv_store_release(rq->srv, st);
    store_webhooks_free(v, n);
    store_project_cleanup(&p);
    err_cleanup(&eb);
}

void route_webhook_add(struct req *rq)
{
    char *url = NULL, *secret = NULL, *format = NULL;
    unsigned char raw[24];
    char made[2 * sizeof raw + 1];
    struct store *st = NULL;
    struct store_project p;
    struct errbuf eb;
    struct jw w;
    int64_t id = 0;
    enum err e;

    memset(&p, 0, sizeof p);
    err_init(&eb);
    if (!admin_check(rq) || !req_identity_encoding(rq))
        goto out;
    e = ingest_webhook_parse(buf_str(&rq->body), rq->body.len, &url, &secret,
                             &format, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    if (!secret) {
        e = rand_bytes(raw, sizeof raw);
        if (e) {
            err_set(&eb, "no randomness for the secret");
            req_problem(rq, e, &eb);
            goto out;
        }
        hash_hex(raw, sizeof raw, made);
        secret = xstrdup(made);
    }
    e = store_open(rq->srv->db_path, STORE_RW, &st, NULL, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    if (!project_of(rq, st, &p))
        goto out;
    e = store_webhook_add(st, p.id, url, secret, format, &id, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    log_info("project %s: webhook %lld added (%s)", p.slug, (long long)id,
             format);
    req_json_begin(rq, 201, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "id", id);
    jw_kstr(&w, "url", url);
    jw_kstr(&w, "format", format);
    jw_kstr(&w, "secret", secret);
    jw_kstr(&w, "signature_header", "X-Benchvault-Signature-256");
    jw_obj_end(&w);
out:
    store_close(st);
    store_project_cleanup(&p);
    free(url);
    free(secret);
    free(format);
    err_cleanup(&eb);
}

void route_webhook_delete(struct req *rq)
{
    struct store *st = NULL;
    struct store_project p;
    struct errbuf eb;
    int64_t id;
    enum err e;

    memset(&p, 0, sizeof p);
    err_init(&eb);
    if (!admin_check(rq))
        goto out;
    if (parse_int64(rq->params[1], 1, INT64_MAX, &id)) {
        req_problem_status(rq, 404,
                           "no such webhook: webhook ids are positive "
                           "integers");
        goto out;
    }
    e = store_open(rq->srv->db_path, STORE_RW, &st, NULL, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    if (!project_of(rq, st, &p))
        goto out;
    e = store_webhook_delete(st, p.id, id, &eb);
    if (e == ERR_NOT_FOUND) {
        req_problem_status(rq, 404, "no such webhook in this project");
        goto out;
    }
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    log_info("project %s: webhook %lld deleted", p.slug, (long long)id);
    rq->status = 204;
    buf_reset(&rq->resp);
out:
    store_close(st);
    store_project_cleanup(&p);
    err_cleanup(&eb);
}
