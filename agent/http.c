/*
 * HTTP over libcurl for the agent: one exchange and the retry loop (the
 * policy of cli/cmd_push.c's loop, factored out; upload.c, gate.c and
 * comment.c use it).
 *
 * Design notes:
 *  1. Every exchange has a connect timeout and a total timeout, so a
 *     server that accepts and then hangs costs at most timeout_ms per
 *     attempt, and (retries + 1) attempts plus the backoff in all.
 *  2. Worth retrying: no answer (refused, reset, timeout), 5xx, 429, 408.
 *     A 4xx other than those is the request's fault; retrying cannot help.
 *  3. Backoff: full jitter (AWS architecture blog, "Exponential Backoff
 *     and Jitter"): sleep uniform in [0, min(8 s, base * 2^attempt)], so
 *     agents that failed together do not come back together.
 *  4. CURLOPT_NOSIGNAL: the agent's signal handlers stay its own, and
 *     libcurl's resolver timeouts do not use SIGALRM.
 */
#include "agent/agent_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTP_DEFAULT_MAX_ANSWER ((size_t)4 << 20)
#define HTTP_BACKOFF_CAP_MS 8000

void agent_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void agent_cleanup(void)
{
    curl_global_cleanup();
}

void agent_response_init(struct agent_response *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, HTTP_DEFAULT_MAX_ANSWER);
    buf_init(&r->link, 8192);
}

void agent_response_cleanup(struct agent_response *r)
{
    buf_cleanup(&r->body);
    buf_cleanup(&r->link);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct agent_response *r = ud;

    /* Past the bound the rest is dropped (and said); the status still
     * counts. */
    if (buf_add(&r->body, p, size * n))
        r->truncated = true;
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct buf *link = ud;
    size_t len = size * n;

    if (len > 5 && strncasecmp(p, "Link:", 5) == 0) {
        buf_reset(link);
        (void)buf_add(link, p + 5, len - 5);
    }
    return len;
}

enum err agent_http_once(const struct agent_request *rq,
                         struct agent_response *resp)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    CURLcode cc;
    enum err e = ERR_OK;

    resp->status = 0;
    resp->truncated = false;
    resp->error[0] = '\0';
    buf_reset(&resp->body);
    buf_reset(&resp->link);
    resp->body.max = rq->max_answer ? rq->max_answer : HTTP_DEFAULT_MAX_ANSWER;
    if (!c) {
        snprintf(resp->error, sizeof resp->error, "cannot start libcurl");
        return ERR_INTERNAL;
    }
    for (const char *const *p = rq->headers; p && *p; p++)
        h = curl_slist_append(h, *p);
    /* libcurl would add "Expect: 100-continue" to large POSTs: one
     * round trip less, and servers that do not answer it cannot stall. */
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
    } else if (strcmp(rq->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->link);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms
                                                : 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     rq->timeout_ms > 0 ? rq->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "benchvault/" BV_VERSION);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(resp->error, sizeof resp->error, "%s", curl_easy_strerror(cc));
        e = ERR_IO;
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return e;
}

bool agent_http_retryable(enum err e, long status)
{
    if (e == ERR_IO)
        return true;
    return e == ERR_OK &&
           (status >= 500 || status == 429 || status == 408 || status == 0);
}

void agent_backoff_sleep(int attempt, int base_ms)
{
    uint64_t cap, r = 0;
    struct timespec ts;

    if (base_ms <= 0)
        base_ms = 250;
    cap = (uint64_t)base_ms << (attempt < 10 ? attempt : 10);
    if (cap > HTTP_BACKOFF_CAP_MS)
        cap = HTTP_BACKOFF_CAP_MS;
    (void)rand_bytes(&r, sizeof r);
    r %= cap + 1;
    ts.tv_sec = (time_t)(r / 1000);
    ts.tv_nsec = (long)(r % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

enum err agent_http_retry(const struct agent_request *rq, int retries,
                          int base_ms, const char *label,
                          struct agent_response *resp)
{
    enum err e = ERR_IO;

    for (int attempt = 0; attempt <= retries; attempt++) {
        if (attempt)
            agent_backoff_sleep(attempt - 1, base_ms);
        e = agent_http_once(rq, resp);
        if (!agent_http_retryable(e, resp->status))
            return e;
        if (e)
            log_warn("%s: %s (attempt %d of %d)", label, resp->error,
                     attempt + 1, retries + 1);
        else
            log_warn("%s: the server answered %ld (attempt %d of %d)", label,
                     resp->status, attempt + 1, retries + 1);
    }
    return e;
}

enum err agent_url_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    enum err e = ERR_OK;

    for (const unsigned char *p = (const unsigned char *)s; *p && !e; p++) {
        unsigned char ch = *p;

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
            ch == '~') {
            e = buf_addc(out, (char)ch);
        } else {
            char three[3] = {'%', hex[ch >> 4], hex[ch & 15]};

            e = buf_add(out, three, 3);
        }
    }
    return e;
}

enum err agent_url_base(struct buf *out, const char *server)
{
    size_t n = strlen(server);

    while (n && server[n - 1] == '/')
        n--;
    return buf_add(out, server, n);
}

void agent_url_public(struct buf *out, const char *server)
{
    const char *host = strstr(server, "://");
    const char *at, *slash;

    if (host) {
        host += 3;
        slash = strchr(host, '/');
        at = strchr(host, '@');
        if (at && (!slash || at < slash)) {
            /* scheme, then what follows "user:password@" */
            (void)buf_add(out, server, (size_t)(host - server));
            server = at + 1;
        }
    }
    agent_url_base(out, server);
}
