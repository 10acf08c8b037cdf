/*
 * Webhook deliveries: what is sent for an alert's transition, how it is
 * signed, and when a failed one is tried again.  The outbox itself is the
 * store's (schema/0006_webhooks.sql); the HTTP exchange is the caller's
 * (a function pointer: the server's process wires in the agent's client),
 * so this layer stays free of any network library.
 *
 * Design notes:
 * 1. A request carries the event (X-Benchvault-Event), the delivery id
 *    (X-Benchvault-Delivery: a receiver drops a repeat by it; delivery is
 *    at least once) and X-Benchvault-Signature-256: "sha256=" and the hex
 *    HMAC-SHA-256 of the body under the webhook's secret, as GitHub signs
 *    its webhooks.  The body names its delivery and creation time, so a
 *    replayed body says when it was made.
 * 2. Any 2xx answer delivers.  Anything else (no answer, 3xx, 4xx, 5xx) is
 *    tried again after retry_base x 2^(attempt - 1), at most retry_max,
 *    with up to 25% jitter, until max_attempts; then the delivery is
 *    failed and stays listed with its last status and error.
 * 3. format "slack" sends {"text": ...}, which Slack's incoming webhooks
 *    (and Mattermost's, and Teams' legacy connectors) show as a message.
 */
#include "service/service_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void svc_webhook_cfg_default(struct svc_webhook_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->retry_base_ms = 30000;
    cfg->retry_max_ms = 3600000;
    cfg->max_attempts = 12;
    cfg->lease_ms = 120000;
    cfg->batch = 16;
}

/* "+20.3%" or "n/a" */
static void pct_text(char *out, size_t n, double change)
{
    if (isfinite(change))
        snprintf(out, n, "%+.1f%%", 100 * change);
    else
        snprintf(out, n, "n/a");
}

static void alert_link(struct buf *out, const char *link_base,
                       const char *project)
{
    /* a slug is letters, digits, '.', '_' and '-': nothing to escape */
    if (link_base && *link_base)
        (void)buf_printf(out, "%s/p/%s/alerts", link_base, project);
}

void svc_webhook_body(const struct store_delivery *d,
                      const struct store_alert *a, const char *link_base,
                      struct buf *out)
{
    char when[TIME_ISO_LEN], ch[32];
    struct buf link;
    struct jw w;

    assert(d && out);
    buf_init(&link, 0);
    alert_link(&link, link_base, d->project);
    time_format_iso(d->created_at, when);
    jw_init(&w, out);
    jw_obj_begin(&w);
    if (d->format && !strcmp(d->format, "slack")) {
        struct buf t;

        buf_init(&t, 0);
        pct_text(ch, sizeof ch, a ? a->change : NAN);
        (void)buf_printf(&t, "benchvault: %s in %s", d->event, d->project);
        if (a)
            (void)buf_printf(&t, ": %s (%s) on %s / %s, %s%s%s", a->benchmark,
                             a->measure, a->branch, a->testbed, ch,
                             a->first_bad_commit ? " since " : "",
                             a->first_bad_commit ? a->first_bad_commit : "");
        if (link.len)
            (void)buf_printf(&t, " <%s|alerts>", buf_str(&link));
        jw_kstr(&w, "text", buf_str(&t));
        buf_cleanup(&t);
        goto done;
    }
    jw_kstr(&w, "event", d->event);
    jw_kint(&w, "delivery", d->id);
    jw_kstr(&w, "created_at", when);
    jw_kstr(&w, "project", d->project);
    jw_key(&w, "alert");
    if (!a) {
        jw_null(&w);
    } else {
        jw_obj_begin(&w);
        jw_kint(&w, "id", a->id);
        jw_kstr(&w, "status", a->status);
        jw_kstr(&w, "kind", a->kind);
        jw_kstr(&w, "benchmark", a->benchmark);
        jw_kstr(&w, "measure", a->measure);
        jw_kstr(&w, "unit", a->unit);
        jw_kstr(&w, "branch", a->branch);
        jw_kstr(&w, "testbed", a->testbed);
        jw_knum(&w, "before", a->before);
        jw_knum(&w, "after", a->after);
        jw_knum(&w, "change", a->change);
        jw_knum(&w, "p_value", a->p_value);
        jw_kstr(&w, "first_bad_commit", a->first_bad_commit);
        jw_kstr(&w, "last_good_commit", a->last_good_commit);
        jw_kstr(&w, "note", a->note);
        jw_obj_end(&w);
    }
    if (link.len)
        jw_kstr(&w, "url", buf_str(&link));
done:
    jw_obj_end(&w);
    buf_cleanup(&link);
}

/* The wait before attempt + 1 (note 2). */
static int64_t retry_after(const struct svc_webhook_cfg *cfg, int attempts)
{
    double wait = (double)cfg->retry_base_ms;
    uint32_t r = 0;

    for (int i = 1; i < attempts && wait < (double)cfg->retry_max_ms; i++)
        wait *= 2;
    if (wait > (double)cfg->retry_max_ms)
        wait = (double)cfg->retry_max_ms;
    (void)rand_bytes(&r, sizeof r);
    return (int64_t)(wait * (1 + 0.25 * (double)r / 4294967295.0));
}

/* Sends one claimed delivery and records the outcome. */
static enum err deliver(struct store *st, const struct svc_webhook_cfg *cfg,
                        const struct store_delivery *d,
                        svc_webhook_post_fn post, void *ctx, struct errbuf *eb)
{
    struct store_alert a;
    bool have = false;
    struct buf body;
    unsigned char mac[HASH_SHA256_LEN];
    char hex[2 * HASH_SHA256_LEN + 1], sig[128], ev[96], id[64], error[256];
    const char *headers[5];
    long status = 0;
    const char *state;
    int64_t next = TIME_NONE;
    enum err e;

    memset(&a, 0, sizeof a);
    if (d->alert_id) {
        struct errbuf ae;

        err_init(&ae);
        have = store_alert_get(st, d->alert_id, &a, &ae) == ERR_OK;
        err_cleanup(&ae);
    }
    buf_init(&body, 0);
    svc_webhook_body(d, have ? &a : NULL, cfg->link_base, &body);
    hash_hmac_sha256(d->secret, strlen(d->secret), buf_str(&body), body.len,
                     mac);
    hash_hex(mac, sizeof mac, hex);
    snprintf(sig, sizeof sig, "X-Benchvault-Signature-256: sha256=%s", hex);
    snprintf(ev, sizeof ev, "X-Benchvault-Event: %s", d->event);
    snprintf(id, sizeof id, "X-Benchvault-Delivery: %lld", (long long)d->id);
    headers[0] = "Content-Type: application/json";
    headers[1] = sig;
    headers[2] = ev;
    headers[3] = id;
    headers[4] = NULL;
    error[0] = '\0';
    post(ctx, d->url, headers, buf_str(&body), body.len, &status, error,
         sizeof error);
    if (status >= 200 && status < 300) {
        state = "delivered";
    } else {
        if (!error[0])
            snprintf(error, sizeof error, "answered %ld", status);
        if (d->attempts >= cfg->max_attempts) {
            state = "failed";
            log_warn("webhook %lld: delivery %lld (%s) failed for good "
                     "after %d attempts: %s",
                     (long long)d->webhook_id, (long long)d->id, d->event,
                     d->attempts, error);
        } else {
            state = "pending";
            next = time_now_ms() + retry_after(cfg, d->attempts);
            log_info("webhook %lld: delivery %lld (%s) attempt %d: %s; "
                     "trying again",
                     (long long)d->webhook_id, (long long)d->id, d->event,
                     d->attempts, error);
        }
    }
    e = store_delivery_done(st, d->id, state, status,
                            strcmp(state, "delivered") ? error : NULL, next,
                            eb);
    if (have)
        store_alert_cleanup(&a);
    buf_cleanup(&body);
    return e;
}

enum err svc_webhooks_pass(struct store *st, const struct svc_webhook_cfg *cfg,
                           svc_webhook_post_fn post, void *ctx,
                           size_t *attempted, struct errbuf *eb)
{
    struct store_delivery *d = NULL;
    size_t n = 0;
    enum err e;

    assert(st && cfg && post);
    if (attempted)
        *attempted = 0;
    e = store_deliveries_claim(st, time_now_ms(), cfg->lease_ms, cfg->batch, &d,
                               &n, eb);
    for (size_t i = 0; e == ERR_OK && i < n; i++)
        e = deliver(st, cfg, &d[i], post, ctx, eb);
    if (attempted)
        *attempted = n;
    store_deliveries_free(d, n);
    return e;
}
