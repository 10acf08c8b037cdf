/*
 * POST /api/v1/projects/{project}/runs: the ingest route.
 *
 * Called twice.  First, on the worker thread: auth, content type, the
 * Idempotency-Key fast path (a replay is answered from the database without
 * parsing), parse and validate; then the job goes to the writer and the
 * connection is suspended (server.c).  Second, after the writer resumed the
 * connection: the answer is built from the job's outcome.
 *
 * Idempotency: the key is scoped to the project and bound to the SHA-256 of
 * the body.  A repeat with the same body answers 200 with the first run's
 * id; the same key with a different body is a 409.  The writer checks again
 * inside its transaction, so two concurrent requests with one key store one
 * run.
 */
#include "server/server_int.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IDEM_KEY_MAX 255

/* JSON for the JSON formats; text/csv, text/plain and multipart/form-data
 * for the text formats (locust's CSV files, go test's output); ingest
 * decides the format from the bytes, or from ?format=. */
static bool content_type_ok(const char *ct)
{
    static const char *const accepted[] = {"application/json", "text/json",
                                           "text/csv", "text/plain",
                                           "multipart/form-data"};
    size_t len;

    if (!ct || !*ct)
        return true; /* curl --data-binary without -H: be lenient */
    len = strcspn(ct, ";");
    while (len && ct[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
        if (strlen(accepted[i]) == len && !strncasecmp(ct, accepted[i], len))
            return true;
    /* application/<anything>+json */
    return len > 17 && !strncasecmp(ct, "application/", 12) &&
           !strncasecmp(ct + len - 5, "+json", 5);
}

/* The key is stored with the run: the one text rule (core/text.c). */
static bool idem_key_ok(const char *k)
{
    char why[TEXT_WHY_LEN];

    return text_valid(k, strlen(k), IDEM_KEY_MAX, 0, why, sizeof why);
}

static void answer(struct req *rq, unsigned status, int64_t run_id,
                   int64_t results, const struct run *r, bool replay)
{
    struct jw w;
    char url[512];

    snprintf(url, sizeof url, "/p/%s/runs/%lld", rq->params[0],
             (long long)run_id);
    free(rq->location);
    rq->location = xasprintf("/api/v1/projects/%s/runs/%lld", rq->params[0],
                             (long long)run_id);
    req_json_begin(rq, status, &w);
    jw_obj_begin(&w);
    jw_kint(&w, "run_id", run_id);
    jw_kstr(&w, "url", url);
    jw_kint(&w, "results", results);
    jw_key(&w, "alerts");
    srv_write_job_alerts(rq, &w);
    jw_key(&w, "warnings");
    jw_arr_begin(&w);
    for (size_t i = 0; r && i < r->nwarnings; i++)
        jw_str(&w, r->warnings[i]);
    jw_arr_end(&w);
    if (replay)
        jw_kstr(&w, "idempotent_replay",
                "this Idempotency-Key was seen "
                "before: nothing new was stored");
    jw_obj_end(&w);
}

static void finish_job(struct req *rq)
{
    struct ingest_job *job = rq->job;

    if (job->status) {
        req_problem(rq, job->status, &job->eb);
        return;
    }
    answer(rq, job->duplicate ? 200 : 201, job->run_id, job->result_count,
           &job->run, job->duplicate);
}

/* Replays a known key from a read connection.  True when answered. */
static bool idem_fast_path(struct req *rq, const char *key,
                           const unsigned char *hash)
{
    struct store *st = NULL;
    int64_t run_id = 0, results = 0;
    enum err e;

    if (srv_store_acquire(rq->srv, &st, NULL))
        return false; /* the writer will check */
    e = store_idempotent_get(st, rq->params[0], key, hash, &run_id, &results);
    srv_store_release(rq->srv, st);
    if (e == ERR_OK) {
        answer(rq, 200, run_id, results, NULL, true);
        return true;
    }
    if (e == ERR_CONFLICT) {
        req_problem_status(rq, 409,
                           "this Idempotency-Key was already used "
                           "with a different body");
        return true;
    }
    return false;
}

void route_ingest(struct req *rq)
{
    struct ingest_overrides ov = {0};
    struct ingest_job *job;
    struct errbuf eb;
    const char *key, *format, *pr;
    unsigned char hash[HASH_SHA256_LEN];
    enum err e;

    if (rq->job) {
        finish_job(rq);
        return;
    }
    if (!ingest_slug_valid(rq->params[0], rq->srv->cfg.limits.max_name)) {
        req_problem_status(rq, 400,
                           "the project in the URL must be 1-256 "
                           "letters, digits, '.', '_' or '-', starting "
                           "with a letter or digit");
        return;
    }
    if (!auth_check(rq, ACCESS_WRITE, rq->params[0]))
        return;
    if (!content_type_ok(req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        req_problem_status(rq, 415,
                           "send the run as Content-Type: "
                           "application/json, text/csv, text/plain or "
                           "multipart/form-data");
        return;
    }
    /* Every query value is text (a NUL is seen by its length, which
     * req_arg's C string would hide); the run fields are checked again as
     * names by ingest (400 naming the parameter). */
    if (!req_identity_encoding(rq) || !req_query_text_ok(rq))
        return;
    key = req_header(rq, "Idempotency-Key");
    if (key && !idem_key_ok(key)) {
        req_problem_status(rq, 400,
                           "Idempotency-Key must be 1-255 bytes "
                           "of UTF-8 text without control characters");
        return;
    }
    hash_sha256(buf_str(&rq->body), rq->body.len, hash);
    if (key && idem_fast_path(rq, key, hash))
        return;

    ov.project = rq->params[0];
    ov.branch = req_arg(rq, "branch");
    ov.commit = req_arg(rq, "commit");
    ov.testbed = req_arg(rq, "testbed");
    ov.base_branch = req_arg(rq, "base_branch");
    pr = req_arg(rq, "pr");
    if (pr && *pr && parse_int64(pr, 1, INT64_MAX, &ov.pr_number)) {
        req_query_problem(rq, "pr",
                          "expected a positive integer, got "
                          "\"%.64s\"",
                          pr);
        return;
    }
    format = req_arg(rq, "format");

    job = xcalloc(1, sizeof *job);
    run_init(&job->run);
    err_init(&job->eb);
    job->rq = rq;
    rq->job = job;
    err_init(&eb);
    e = ingest_parse_body(buf_str(&rq->body), rq->body.len,
                          req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE), format,
                          &ov, &rq->srv->cfg.limits, &job->run, &eb);
    if (e) {
        req_problem(rq, e, &eb);
        err_cleanup(&eb);
        return; /* rq->status is set: server.c answers, no submission */
    }
    err_cleanup(&eb);
    job->idem_key = xstrdup(key);
    memcpy(job->body_hash, hash, sizeof hash);
    job->token_id = rq->has_token ? rq->token.id : 0;
}
