/*
 * Tokens over HTTP (issue 16), with an admin token for every project:
 *   GET    /api/v1/tokens        every token: scope, project, created, last
 *                                used, expiry, revocation (never a secret)
 *   POST   /api/v1/tokens        {"name", "scope", "project", "expires_at"
 *                                | "expires_in_days"} -> 201 with "secret",
 *                                shown this once
 *   DELETE /api/v1/tokens/{id}   revoke -> 200 with the token
 *
 * The first admin token comes from the CLI (`benchvault token create
 * --scope admin`), which needs the database itself.  Token writes are
 * rare and small: they open their own read-write connection, as PATCH
 * alerts does.  last_used_at is what the writer records (at most once a
 * minute per token).
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_token(struct jw *w, const struct store_token *t)
{
    jw_obj_begin(w);
    jw_kint(w, "id", t->id);
    jw_kstr(w, "name", t->name);
    jw_kstr(w, "scope", token_scope_str(t->scope));
    jw_kstr(w, "project", t->project);
    jw_ktime(w, "created_at", t->created_at);
    jw_ktime(w, "last_used_at", t->last_used_at);
    jw_ktime(w, "expires_at", t->expires_at);
    jw_ktime(w, "revoked_at", t->revoked_at);
    jw_obj_end(w);
}

void route_tokens_list(struct req *rq)
{
    struct store_token *t = NULL;
    struct store *st = NULL;
    size_t n = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    err_init(&eb);
    e = srv_store_acquire(rq->srv, &st, &eb);
    if (e == ERR_OK)
        e = store_tokens_list(st, &t, &n, &eb);
    srv_store_release(rq->srv, st);
    if (e) {
        req_problem(rq, e, &eb);
    } else {
        req_json_begin(rq, 200, &w);
        jw_obj_begin(&w);
        jw_key(&w, "tokens");
        jw_arr_begin(&w);
        for (size_t i = 0; i < n; i++)
            write_token(&w, &t[i]);
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    store_tokens_free(t, n);
    err_cleanup(&eb);
}

void route_token_create(struct req *rq)
{
    struct ingest_token_req in;
    struct store_token t;
    struct store *st = NULL;
    enum token_scope scope;
    char *secret = NULL;
    int64_t id = 0;
    struct errbuf eb;
    struct jw w;
    enum err e;

    memset(&t, 0, sizeof t);
    memset(&in, 0, sizeof in);
    err_init(&eb);
    if (!req_identity_encoding(rq))
        goto out;
    e = ingest_token_req_parse(buf_str(&rq->body), rq->body.len, time_now_ms(),
                               &in, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    (void)token_scope_parse(in.scope, &scope); /* checked by the parser */
    e = store_open(rq->srv->db_path, STORE_RW_EXISTING, &st, NULL, &eb);
    if (e == ERR_OK)
        e = store_token_create_until(st, in.name, scope, in.project,
                                     in.expires_at, &secret, &id, &eb);
    if (e == ERR_OK)
        e = store_token_get(st, id, &t, &eb);
    store_close(st);
    if (e) {
        req_problem(rq, e, &eb);
        goto out;
    }
    log_info("token %lld (%s, %s) created by token %lld", (long long)id, t.name,
             token_scope_str(t.scope), (long long)rq->token.id);
    req_json_begin(rq, 201, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "id", t.id);
    jw_kstr(&w, "name", t.name);
    jw_kstr(&w, "scope", token_scope_str(t.scope));
    jw_kstr(&w, "project", t.project);
    jw_ktime(&w, "created_at", t.created_at);
    jw_ktime(&w, "expires_at", t.expires_at);
    jw_kstr(&w, "secret", secret);
    jw_obj_end(&w);
out:
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    store_token_cleanup(&t);
    ingest_token_req_cleanup(&in);
    err_cleanup(&eb);
}

void route_token_revoke(struct req *rq)
{
    struct store_token t;
    struct store *st = NULL;
    int64_t id;
    struct errbuf eb;
    struct jw w;
    enum err e;

    memset(&t, 0, sizeof t);
    if (parse_int64(rq->params[0], 1, INT64_MAX, &id)) {
        req_problem_status(rq, 404,
                           "no such token: token ids are positive "
                           "integers");
        return;
    }
    err_init(&eb);
    e = store_open(rq->srv->db_path, STORE_RW_EXISTING, &st, NULL, &eb);
    if (e == ERR_OK)
        e = store_token_revoke_id(st, id, &eb);
    if (e == ERR_OK)
        e = store_token_get(st, id, &t, &eb);
    store_close(st);
    if (e) {
        req_problem(rq, e, &eb);
    } else {
        log_info("token %lld revoked by token %lld", (long long)id,
                 (long long)rq->token.id);
        req_json_begin(rq, 200, &w);
        write_token(&w, &t);
    }
    store_token_cleanup(&t);
    err_cleanup(&eb);
}
