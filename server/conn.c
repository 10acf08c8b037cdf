/*
 * The connection guard: how many connections we hold, and how long each may
 * take to send its request.
 *
 * libmicrohttpd 0.9.75 knows only idle timeouts: a client that sends one
 * byte every few seconds is never idle and holds its connection (and a slot
 * under the connection cap) for ever.  So, beside it:
 *
 * 1. Every TCP connection has a record (struct conn_rec), made when MHD
 *    reports it started (MHD_OPTION_NOTIFY_CONNECTION) and dropped when it
 *    reports it closed, which happens before MHD closes the socket: a
 *    record's fd is always the connection's own while the record is linked.
 * 2. A record is in one phase.  HEADERS: from the accept, or from the end
 *    of the previous request on a kept-alive connection, until the access
 *    handler's first call; deadline header_timeout.  BODY: from the first
 *    call until the handler runs; deadline body_timeout, one second later
 *    per SRV_BODY_GRACE_BYTES received (a large upload on a slow link is
 *    not an attack).  WORK: the handler runs or the connection is suspended
 *    for the writer, and the answer is sent; no deadline of ours (MHD's
 *    idle timeout still applies to a client that stops reading).
 * 3. A watchdog thread wakes every CONN_TICK_MS and shuts down (shutdown(2),
 *    not close: the fd stays MHD's) the socket of every connection past its
 *    deadline; MHD sees the end of the stream and closes the connection the
 *    usual way, calling the completion callbacks.
 * 4. The total: the accept policy callback refuses a connection at once
 *    when max_connections are held, so a new client gets a closed
 *    connection at once instead of waiting in the listen backlog; MHD's own
 *    cap is set well above ours so it never stops accepting.  The per-IP cap
 *    is MHD's (MHD_OPTION_PER_IP_CONNECTION_LIMIT), which also closes at
 *    once.
 * All record fields are read and written under conns->lock.
 */
#include "server/server_int.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define CONN_TICK_MS 250

struct conn_rec {
    int fd;
    enum conn_phase phase;
    uint64_t deadline_ns; /* 0: none */
    uint64_t body_start_ns;
    uint64_t body_bytes;
    bool killed;
    struct conn_rec *prev, *next;
};

struct conn_table {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running, stop;
    bool at_cap; /* logged once per time the cap is reached */
    struct conn_rec *head;
    size_t count;
    uint64_t header_ns, body_ns;
    _Atomic uint64_t refused, killed;
    size_t max;
};

static uint64_t secs_ns(unsigned s)
{
    return (uint64_t)s * 1000000000u;
}

/* Sets the phase's deadline; lock held. */
static void phase_set(struct conn_table *t, struct conn_rec *c,
                      enum conn_phase p)
{
    uint64_t now = time_mono_ns();

    c->phase = p;
    switch (p) {
    case CONN_HEADERS:
        c->deadline_ns = now + t->header_ns;
        break;
    case CONN_BODY:
        c->body_start_ns = now;
        c->body_bytes = 0;
        c->deadline_ns = now + t->body_ns;
        break;
    case CONN_WORK:
        c->deadline_ns = 0;
        break;
    }
}

static void *watchdog(void *arg)
{
    struct conn_table *t = arg;

    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        struct timespec ts;
        uint64_t now = time_mono_ns();
        unsigned n = 0;

        for (struct conn_rec *c = t->head; c; c = c->next) {
            if (c->killed || !c->deadline_ns || now < c->deadline_ns)
                continue;
            /* SHUT_RDWR: MHD's next read sees the end of the stream. */
            (void)shutdown(c->fd, SHUT_RDWR);
            c->killed = true;
            n++;
        }
        if (n) {
            atomic_fetch_add(&t->killed, n);
            log_warn("closed %u connection(s) past their header or body "
                     "deadline",
                     n);
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += CONN_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&t->wake, &t->lock, &ts);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

enum err conn_table_start(struct srv *s, struct errbuf *eb)
{
    struct conn_table *t = xcalloc(1, sizeof *t);

    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    t->header_ns = secs_ns(s->cfg.header_timeout_s);
    t->body_ns = secs_ns(s->cfg.body_timeout_s);
    t->max = s->cfg.max_connections;
    s->conns = t;
    if (pthread_create(&t->thread, NULL, watchdog, t)) {
        err_set(eb, "cannot start the connection watchdog thread");
        return ERR_INTERNAL;
    }
    t->running = true;
    return ERR_OK;
}

void conn_table_stop(struct srv *s)
{
    struct conn_table *t = s->conns;

    if (!t)
        return;
    if (t->running) {
        pthread_mutex_lock(&t->lock);
        t->stop = true;
        pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->thread, NULL);
    }
    /* MHD reported every close before this (the daemon is stopped). */
    assert(!t->head);
    if (atomic_load(&t->refused) || atomic_load(&t->killed))
        log_info("connections refused at the cap of %zu: %llu; closed past "
                 "their header or body deadline: %llu",
                 t->max, (unsigned long long)atomic_load(&t->refused),
                 (unsigned long long)atomic_load(&t->killed));
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
    s->conns = NULL;
}

bool conn_admit(struct srv *s)
{
    struct conn_table *t = s->conns;
    bool ok;

    bool first = false;

    pthread_mutex_lock(&t->lock);
    ok = t->count < t->max;
    if (!ok && !t->at_cap)
        first = t->at_cap = true;
    pthread_mutex_unlock(&t->lock);
    if (!ok)
        atomic_fetch_add(&t->refused, 1);
    if (first)
        log_warn("%zu connections held (--max-connections): new ones are "
                 "closed at once until some end",
                 t->max);
    return ok;
}

struct conn_rec *conn_opened(struct srv *s, int fd)
{
    struct conn_table *t = s->conns;
    struct conn_rec *c = xcalloc(1, sizeof *c);

    c->fd = fd;
    pthread_mutex_lock(&t->lock);
    phase_set(t, c, CONN_HEADERS);
    c->next = t->head;
    if (t->head)
        t->head->prev = c;
    t->head = c;
    t->count++;
    pthread_mutex_unlock(&t->lock);
    return c;
}

void conn_closed(struct srv *s, struct conn_rec *c)
{
    struct conn_table *t = s->conns;

    if (!c)
        return;
    pthread_mutex_lock(&t->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    assert(t->count > 0);
    t->count--;
    if (t->at_cap && t->count < t->max - t->max / 8) {
        t->at_cap = false;
        pthread_mutex_unlock(&t->lock);
        log_info("connections below the cap again: accepting");
    } else {
        pthread_mutex_unlock(&t->lock);
    }
    free(c);
}

void conn_phase(struct srv *s, struct conn_rec *c, enum conn_phase p)
{
    struct conn_table *t = s->conns;

    if (!c)
        return;
    pthread_mutex_lock(&t->lock);
    if (c->phase != p)
        phase_set(t, c, p);
    pthread_mutex_unlock(&t->lock);
}

void conn_body_bytes(struct srv *s, struct conn_rec *c, size_t n)
{
    struct conn_table *t = s->conns;

    if (!c)
        return;
    pthread_mutex_lock(&t->lock);
    if (c->phase == CONN_BODY) {
        c->body_bytes += n;
        c->deadline_ns = c->body_start_ns + t->body_ns +
                         secs_ns(1) * (c->body_bytes / SRV_BODY_GRACE_BYTES);
    }
    pthread_mutex_unlock(&t->lock);
}
