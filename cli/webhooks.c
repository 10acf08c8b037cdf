/*
 * The webhook sender of `benchvault serve`: a thread that wakes every
 * poll interval, runs one pass of service/webhooks.c over its own database
 * connection, and sends through the agent's HTTP client.  It lives here,
 * in the program's top layer, because only here may the store, the
 * service and the network client meet (tests/layering.py).  Ingest never
 * waits on it: the outbox is written by triggers inside the alert's own
 * transaction, and this thread only claims rows in short transactions.
 */
#include "cli/cli.h"

#include "agent/agent.h"
#include "service/service.h"
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cli_webhooks {
    char *db;
    struct svc_webhook_cfg cfg;
    char *link_base;
    long timeout_ms, poll_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

/* svc_webhook_post_fn over agent_http_once (no retry here: the outbox
 * retries, with backoff, across restarts). */
static void post(void *ctx, const char *url, const char *const *headers,
                 const char *body, size_t len, long *status, char *error,
                 size_t errlen)
{
    const struct cli_webhooks *w = ctx;
    struct agent_request rq = {"POST", url,           headers,       body,
                               len,    w->timeout_ms, w->timeout_ms, 64u << 10};
    struct agent_response resp;
    enum err e;

    agent_response_init(&resp);
    e = agent_http_once(&rq, &resp);
    *status = e == ERR_OK ? resp.status : 0;
    if (e != ERR_OK)
        snprintf(error, errlen, "%s", resp.error[0] ? resp.error : "no answer");
    agent_response_cleanup(&resp);
}

static void *loop(void *arg)
{
    struct cli_webhooks *w = arg;
    struct store *st = NULL;
    struct errbuf eb;
    bool stop = false;

    err_init(&eb);
    while (!stop) {
        struct timespec until;
        size_t n = 0;

        if (!st && store_open(w->db, STORE_RW_EXISTING, &st, NULL, &eb)) {
            log_warn("webhooks: cannot open the database: %s", eb.msg);
            st = NULL;
        }
        if (st && svc_webhooks_pass(st, &w->cfg, post, w, &n, &eb)) {
            log_warn("webhooks: %s", eb.msg);
            store_close(st); /* a fresh connection next time */
            st = NULL;
        }
        pthread_mutex_lock(&w->mu);
        if (!w->stop && n == 0) {
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += w->poll_ms / 1000;
            until.tv_nsec += (w->poll_ms % 1000) * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!w->stop &&
                   pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT)
                ;
        }
        stop = w->stop;
        pthread_mutex_unlock(&w->mu);
    }
    store_close(st);
    err_cleanup(&eb);
    return NULL;
}

struct cli_webhooks *cli_webhooks_start(const char *db,
                                        const struct cli_webhooks_opts *o)
{
    struct cli_webhooks *w = xcalloc(1, sizeof *w);

    w->db = xstrdup(db);
    svc_webhook_cfg_default(&w->cfg);
    w->cfg.retry_base_ms = o->retry_base_ms;
    w->cfg.max_attempts = o->max_attempts;
    w->link_base = xstrdup(o->link_base);
    w->cfg.link_base = w->link_base;
    w->timeout_ms = o->timeout_ms;
    w->poll_ms = o->poll_ms;
    if (w->cfg.lease_ms < 2 * w->timeout_ms)
        w->cfg.lease_ms = 2 * w->timeout_ms;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, loop, w)) {
        log_error("webhooks: cannot start the sender thread");
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w->db);
        free(w->link_base);
        free(w);
        return NULL;
    }
    return w;
}

void cli_webhooks_stop(struct cli_webhooks *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->db);
    free(w->link_base);
    free(w);
}
