/*
 * The upload of a run: POST .../runs with bounded retries (http.c's policy)
 * and an Idempotency-Key derived from the document.
 *
 * Design notes:
 *  1. The key is "run-" + the SHA-256 of the document, the same on every
 *     attempt and in the spool, so a retry after a lost answer, or a
 *     spooled copy of a run the server did store, is answered 200 from the
 *     first ingest and stored once.
 *  2. Outcomes: 200/201 delivered; a 4xx other than 408/429 refused (the
 *     run is wrong or the token is; resending cannot help); anything else
 *     after the retries is "unreachable", which the caller spools.
 */
#include "agent/agent_int.h"

#include <stdlib.h>
#include <string.h>

void agent_upload_result_cleanup(struct agent_upload_result *r)
{
    if (!r)
        return;
    free(r->answer);
    memset(r, 0, sizeof *r);
}

enum err agent_upload(const struct agent_http *h, const char *project,
                      const char *body, size_t len,
                      struct agent_upload_result *out, struct errbuf *eb)
{
    struct agent_request rq = {0};
    struct agent_response resp;
    struct buf url, key, auth;
    const char *headers[4];
    char k[AGENT_KEY_LEN];
    size_t nh = 0;
    enum err e;

    memset(out, 0, sizeof *out);
    /* Unbounded: the command line and the environment bound the server
     * URL, the project and the token; a bound here could only cut them. */
    buf_init(&url, 0);
    buf_init(&key, 0);
    buf_init(&auth, 0);
    agent_response_init(&resp);
    agent_url_base(&url, h->server);
    (void)buf_adds(&url, "/api/v1/projects/");
    agent_url_escape(&url, project);
    (void)buf_adds(&url, "/runs");
    agent_idempotency_key(body, len, k);
    (void)buf_printf(&key, "Idempotency-Key: %s", k);
    headers[nh++] = "Content-Type: application/json";
    headers[nh++] = buf_str(&key);
    if (h->token && *h->token) {
        (void)buf_printf(&auth, "Authorization: Bearer %s", h->token);
        headers[nh++] = buf_str(&auth);
    }
    headers[nh] = NULL;
    rq.method = "POST";
    rq.url = buf_str(&url);
    rq.headers = headers;
    rq.body = body;
    rq.len = len;
    rq.connect_timeout_ms = h->connect_timeout_ms;
    rq.timeout_ms = h->timeout_ms;
    rq.max_answer = 1 << 20;
    e = agent_http_retry(&rq, h->retries, h->backoff_ms, buf_str(&url), &resp);
    if (e == ERR_INTERNAL) {
        err_set(eb, "%s", resp.error);
        goto out;
    }
    out->status = resp.status;
    if (e) {
        out->delivery = AGENT_UNREACHABLE;
        out->answer = xstrdup(resp.error);
        e = ERR_OK;
    } else if (resp.status == 200 || resp.status == 201) {
        out->delivery = AGENT_DELIVERED;
        out->answer = xstrdup(buf_str(&resp.body));
        (void)ingest_answer_run_id(resp.body.data, resp.body.len, &out->run_id);
    } else if (agent_http_retryable(ERR_OK, resp.status)) {
        out->delivery = AGENT_UNREACHABLE;
        out->answer = xstrdup(buf_str(&resp.body));
    } else {
        out->delivery = AGENT_REJECTED;
        out->answer = xstrdup(buf_str(&resp.body));
    }
out:
    agent_response_cleanup(&resp);
    buf_cleanup(&url);
    buf_cleanup(&key);
    buf_cleanup(&auth);
    return e;
}
