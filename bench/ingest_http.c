/*
 * The HTTP load generator of bench_ingest: POST /api/v1/projects/{p}/runs on
 * 127.0.0.1 against the real server.
 *
 * Small runs: o->conns threads, each with one keep-alive connection and one
 * pre-built request (headers + body in one buffer); per request only the 40
 * commit-sha digits are rewritten in place, so every run is distinct and the
 * Content-Length never changes.  Threads claim sequence numbers from one
 * atomic counter until o->runs are claimed or o->seconds have passed, so the
 * phase is bounded both ways.  Latency is per request, from the first byte
 * sent to the last byte of the answer, on CLOCK_MONOTONIC (time_mono_ns), and
 * lands in lat[seq].  Each connection first sends one warm-up run (not
 * counted), then all meet at a barrier and the clock starts.
 *
 * Large run: one connection, o->posts sequential posts of the same 1,000 x
 * 100 body with distinct commits; the median per-post time gives sample
 * values per second.
 *
 * The answer parser reads only the status line, Content-Length (and
 * Connection: close) and the body; anything else (chunked encoding, a
 * missing length) is an error.  Every read and write has a 30 s socket
 * timeout, so a stuck server ends the phase instead of hanging it.
 * The server's CPU time comes from /proc/PID/stat, the generator's own from
 * getrusage(), both over the timed part only.
 */
#include "bench/ingest_bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define IO_TIMEOUT_S 30
#define ANSWER_MAX (16u << 20) /* largest answer we accept */
#define RBUF_INIT 16384
#define MAX_ERRORS_PER_CONN 20 /* reconnects before a thread gives up */

/* One connection and its receive buffer. */
struct conn {
    int fd;
    unsigned port;
    char *rbuf; /* owns */
    size_t rcap;
};

/* One parsed answer; body borrows conn->rbuf. */
struct answer {
    unsigned status;
    const char *head; /* the status line, for messages */
    size_t head_len;
    const char *body;
    size_t body_len;
    bool close; /* the server said Connection: close */
};

/* ---- connection ---------------------------------------------------------- */

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int conn_open(struct conn *c, char *msg, size_t msglen)
{
    struct sockaddr_in sa;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    int one = 1;

    conn_close(c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        snprintf(msg, msglen, "socket: %s", strerror(errno));
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)c->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        snprintf(msg, msglen, "connect 127.0.0.1:%u: %s", c->port,
                 strerror(errno));
        conn_close(c);
        return -1;
    }
    return 0;
}

static int send_all(int fd, const char *p, size_t n, char *msg, size_t msglen)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(msg, msglen, "send: %s",
                     w < 0 ? strerror(errno) : "nothing written");
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Finds "\r\n\r\n" in p[0..n); returns the offset after it, or 0. */
static size_t header_end(const char *p, size_t n)
{
    for (size_t i = 3; i < n; i++)
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' &&
            p[i - 3] == '\r')
            return i + 1;
    return 0;
}

/* Parses "HTTP/1.x NNN ..." and the headers we need from p[0..hlen). */
static int parse_head(const char *p, size_t hlen, struct answer *a,
                      size_t *clen, char *msg, size_t msglen)
{
    const char *line = p, *end = p + hlen;
    bool have_len = false;

    a->head = p;
    a->head_len = strcspn(p, "\r");
    if (a->head_len > hlen)
        a->head_len = hlen;
    if (hlen < 12 || memcmp(p, "HTTP/1.", 7) || p[8] != ' ' || p[9] < '1' ||
        p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
        p[11] > '9') {
        snprintf(msg, msglen, "not an HTTP/1.x status line: %.*s",
                 (int)(a->head_len > 80 ? 80 : a->head_len), p);
        return -1;
    }
    a->status = (unsigned)(p[9] - '0') * 100 + (unsigned)(p[10] - '0') * 10 +
                (unsigned)(p[11] - '0');
    a->close = p[7] == '0'; /* HTTP/1.0 closes unless told otherwise */
    for (;;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len;

        if (!nl)
            break;
        line = nl + 1;
        len = (size_t)(end - line);
        if (len > 15 && !strncasecmp(line, "Content-Length:", 15)) {
            char num[32];
            size_t i = 15, k = 0;
            char *stop = NULL;
            unsigned long long v;

            while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
            while (i < len && k + 1 < sizeof num && line[i] >= '0' &&
                   line[i] <= '9')
                num[k++] = line[i++];
            num[k] = '\0';
            errno = 0;
            v = strtoull(num, &stop, 10);
            if (k == 0 || errno || *stop || v > ANSWER_MAX) {
                snprintf(msg, msglen, "bad Content-Length");
                return -1;
            }
            *clen = (size_t)v;
            have_len = true;
        } else if (len > 18 && !strncasecmp(line, "Transfer-Encoding:", 18)) {
            snprintf(msg, msglen, "Transfer-Encoding is not supported here");
            return -1;
        } else if (len > 11 && !strncasecmp(line, "Connection:", 11)) {
            const char *v = line + 11;

            while (*v == ' ')
                v++;
            if ((size_t)(end - v) >= 5 && !strncasecmp(v, "close", 5))
                a->close = true;
            else if ((size_t)(end - v) >= 10 &&
                     !strncasecmp(v, "keep-alive", 10))
                a->close = false;
        }
    }
    if (!have_len) {
        if (a->status == 204 || a->status == 304) {
            *clen = 0;
            return 0;
        }
        snprintf(msg, msglen, "answer without Content-Length: %.*s",
                 (int)a->head_len, a->head);
        return -1;
    }
    return 0;
}

/*
 * Sends req and reads one whole answer.  0 with *a filled, or -1 with msg
 * (the connection is then unusable: close it).
 */
static int exchange(struct conn *c, const char *req, size_t reqlen,
                    struct answer *a, char *msg, size_t msglen)
{
    size_t have = 0, hlen = 0, need = 0, clen = 0;

    memset(a, 0, sizeof *a);
    if (send_all(c->fd, req, reqlen, msg, msglen))
        return -1;
    /* Each turn reads at least one byte or fails: bounded by the answer. */
    for (;;) {
        ssize_t r;

        if (have == c->rcap) {
            if (c->rcap >= ANSWER_MAX + 65536) {
                snprintf(msg, msglen, "answer too large");
                return -1;
            }
            c->rcap *= 2;
            c->rbuf = xrealloc(c->rbuf, c->rcap + 1);
        }
        r = recv(c->fd, c->rbuf + have, c->rcap - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(msg, msglen, "recv: %s",
                     r < 0 ? strerror(errno)
                           : "the server closed the connection");
            return -1;
        }
        have += (size_t)r;
        if (!hlen) {
            hlen = header_end(c->rbuf, have);
            if (!hlen)
                continue;
            c->rbuf[have] = '\0'; /* strcspn in parse_head stops here */
            if (parse_head(c->rbuf, hlen, a, &clen, msg, msglen))
                return -1;
            need = hlen + clen;
        }
        if (have >= need)
            break;
    }
    a->body = c->rbuf + hlen;
    a->body_len = clen;
    return 0;
}

/* Builds the request: headers, then a body with the sha at *sha_off. */
static void request_build(struct buf *req, const struct bench_opts *o,
                          const char *project, const struct buf *body,
                          size_t body_sha_off, size_t *sha_off)
{
    buf_reset(req);
    if (buf_printf(req,
                   "POST /api/v1/projects/%s/runs HTTP/1.1\r\n"
                   "Host: 127.0.0.1:%u\r\n"
                   "Authorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %zu\r\n"
                   "\r\n",
                   project, o->port, o->token, body->len) ||
        buf_add(req, body->data, body->len))
        abort();
    *sha_off = req->len - body->len + body_sha_off;
}

/* ---- CPU time ------------------------------------------------------------ */

/* The server's user + system CPU seconds, or NAN. */
static double proc_cpu_s(long pid)
{
    char path[64], text[1024];
    FILE *f;
    size_t n;
    const char *p;
    unsigned long long v[2] = {0, 0};
    long tck = sysconf(_SC_CLK_TCK);

    if (pid <= 0 || tck <= 0)
        return NAN;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return NAN;
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    p = strrchr(text, ')'); /* the command name may hold spaces */
    if (!p)
        return NAN;
    p++;
    /* After ')' come fields 3 (state) ...; utime is 14, stime is 15. */
    for (int field = 3; field <= 15; field++) {
        char *stop = NULL;
        unsigned long long x;

        while (*p == ' ')
            p++;
        if (!*p)
            return NAN;
        if (field < 14) {
            p += strcspn(p, " ");
            continue;
        }
        errno = 0;
        x = strtoull(p, &stop, 10);
        if (errno || stop == p)
            return NAN;
        v[field - 14] = x;
        p = stop;
    }
    return (double)(v[0] + v[1]) / (double)tck;
}

static double self_cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru))
        return NAN;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- small runs ---------------------------------------------------------- */

struct shared {
    const struct bench_opts *o;
    atomic_size_t next; /* the next sequence number to claim */
    size_t total;
    _Atomic uint64_t deadline_ns; /* the clock's end; moved once */
    uint64_t *lat;                /* owns; [total], 0 = not answered */
    atomic_size_t ok, bad, io_errors;
    pthread_barrier_t start;
    pthread_mutex_t lock; /* guards first_error */
    char first_error[256];
};

struct worker {
    struct shared *sh;
    unsigned id;
    pthread_t thread;
};

static void note_error(struct shared *sh, const char *msg)
{
    pthread_mutex_lock(&sh->lock);
    if (!sh->first_error[0])
        snprintf(sh->first_error, sizeof sh->first_error, "%s", msg);
    pthread_mutex_unlock(&sh->lock);
}

/* Records a non-201 answer: the status line and the start of the body. */
static void note_bad(const struct answer *a)
{
    char text[1024];
    int n = snprintf(text, sizeof text, "%.*s: %.*s", (int)a->head_len, a->head,
                     (int)(a->body_len > 700 ? 700 : a->body_len), a->body);

    if (n > 0)
        bench_note_bad_answer(text, strlen(text));
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    struct shared *sh = wk->sh;
    const struct bench_opts *o = sh->o;
    struct conn c = {.fd = -1, .port = o->port};
    struct buf body, req;
    struct answer a;
    size_t body_sha, sha_off;
    char msg[256];
    unsigned errors = 0;
    uint64_t tag = UINT64_C(0x5000000000000000) | wk->id;

    buf_init(&body, 0);
    buf_init(&req, 0);
    c.rcap = RBUF_INIT;
    c.rbuf = xmalloc(c.rcap + 1);
    bench_body_build(&body, BENCH_SMALL_RESULTS, BENCH_SMALL_SAMPLES,
                     wk->id + 1, &body_sha);
    request_build(&req, o, BENCH_PROJECT_SMALL, &body, body_sha, &sha_off);

    /* Warm-up: connect and store one run, outside the clock. */
    bench_sha_put(req.data + sha_off, tag, UINT64_MAX);
    if (conn_open(&c, msg, sizeof msg) ||
        exchange(&c, req.data, req.len, &a, msg, sizeof msg)) {
        note_error(sh, msg);
        atomic_fetch_add(&sh->io_errors, 1);
        conn_close(&c);
    } else if (a.status != 201) {
        atomic_fetch_add(&sh->bad, 1); /* counted, though not timed */
        note_bad(&a);
    }
    pthread_barrier_wait(&sh->start);

    for (;;) {
        size_t seq = atomic_fetch_add(&sh->next, 1);
        uint64_t t0, t1;

        if (seq >= sh->total ||
            time_mono_ns() >=
                atomic_load_explicit(&sh->deadline_ns, memory_order_relaxed))
            break;
        if (c.fd < 0 && conn_open(&c, msg, sizeof msg)) {
            note_error(sh, msg);
            atomic_fetch_add(&sh->io_errors, 1);
            break;
        }
        bench_sha_put(req.data + sha_off, tag, seq);
        t0 = time_mono_ns();
        if (exchange(&c, req.data, req.len, &a, msg, sizeof msg)) {
            note_error(sh, msg);
            atomic_fetch_add(&sh->io_errors, 1);
            conn_close(&c);
            if (++errors >= MAX_ERRORS_PER_CONN)
                break;
            continue;
        }
        t1 = time_mono_ns();
        sh->lat[seq] = t1 > t0 ? t1 - t0 : 1;
        if (a.status == 201) {
            atomic_fetch_add(&sh->ok, 1);
        } else {
            atomic_fetch_add(&sh->bad, 1);
            note_bad(&a);
        }
        if (a.close)
            conn_close(&c);
    }
    conn_close(&c);
    free(c.rbuf);
    buf_cleanup(&body);
    buf_cleanup(&req);
    return NULL;
}

int bench_http_small(const struct bench_opts *o)
{
    struct shared sh;
    struct worker *wk = xcalloc((size_t)o->conns, sizeof *wk);
    uint64_t t0, t1, *done = NULL;
    double cpu_srv0, cpu_srv1, cpu_me0, cpu_me1, secs;
    size_t ndone = 0, ok, nstarted = 0;
    int rc = 1;

    memset(&sh, 0, sizeof sh);
    sh.o = o;
    sh.total = (size_t)o->runs;
    sh.lat = xcalloc(sh.total, sizeof *sh.lat);
    atomic_init(&sh.next, 0);
    atomic_init(&sh.ok, 0);
    atomic_init(&sh.bad, 0);
    atomic_init(&sh.io_errors, 0);
    pthread_mutex_init(&sh.lock, NULL);
    atomic_init(&sh.deadline_ns, UINT64_MAX);
    if (pthread_barrier_init(&sh.start, NULL, (unsigned)o->conns + 1)) {
        fprintf(stderr, "bench_ingest: pthread_barrier_init failed\n");
        goto out;
    }
    for (long i = 0; i < o->conns; i++) {
        wk[i].sh = &sh;
        wk[i].id = (unsigned)i;
        if (pthread_create(&wk[i].thread, NULL, worker_main, &wk[i])) {
            /* The barrier would never open: give up loudly. */
            fprintf(stderr, "bench_ingest: pthread_create failed\n");
            abort();
        }
        nstarted++;
    }
    pthread_barrier_wait(&sh.start);
    t0 = time_mono_ns();
    cpu_srv0 = proc_cpu_s(o->server_pid);
    cpu_me0 = self_cpu_s();
    /* The bound starts with the clock; a worker may see the old value for
     * a few requests, which only counts them inside the clock too. */
    atomic_store_explicit(&sh.deadline_ns,
                          t0 + (uint64_t)o->seconds * 1000000000u,
                          memory_order_relaxed);
    for (size_t i = 0; i < nstarted; i++)
        pthread_join(wk[i].thread, NULL);
    t1 = time_mono_ns();
    cpu_srv1 = proc_cpu_s(o->server_pid);
    cpu_me1 = self_cpu_s();
    pthread_barrier_destroy(&sh.start);

    done = xcalloc(sh.total, sizeof *done);
    for (size_t i = 0; i < sh.total; i++)
        if (sh.lat[i])
            done[ndone++] = sh.lat[i];
    bench_sort_u64(done, ndone);
    ok = atomic_load(&sh.ok);
    secs = (double)(t1 - t0) / 1e9;

    bench_fig_set("small_runs_per_s", secs > 0 ? (double)ok / secs : NAN);
    bench_fig_set("small_p50_ms", bench_pct_u64(done, ndone, 0.50) / 1e6);
    bench_fig_set("small_p99_ms", bench_pct_u64(done, ndone, 0.99) / 1e6);
    bench_fig_set("small_max_ms", ndone ? (double)done[ndone - 1] / 1e6 : NAN);
    bench_fig_set("small_runs_201", (double)ok);
    bench_fig_set("small_seconds", secs);
    bench_fig_set("small_non201", (double)atomic_load(&sh.bad));
    bench_fig_set("small_io_errors", (double)atomic_load(&sh.io_errors));
    if (ndone) {
        bench_fig_set("small_server_cpu_us_per_run",
                      (cpu_srv1 - cpu_srv0) * 1e6 / (double)ndone);
        bench_fig_set("small_client_cpu_us_per_run",
                      (cpu_me1 - cpu_me0) * 1e6 / (double)ndone);
        bench_fig_set("small_server_cpu_util", (cpu_srv1 - cpu_srv0) / secs);
    }
    if (sh.first_error[0])
        fprintf(stderr, "bench_ingest: small runs: first I/O error: %s\n",
                sh.first_error);
    rc = ndone ? 0 : 1;
out:
    pthread_mutex_destroy(&sh.lock);
    free(done);
    free(sh.lat);
    free(wk);
    return rc;
}

/* ---- the large run ------------------------------------------------------- */

int bench_http_large(const struct bench_opts *o)
{
    struct conn c = {.fd = -1, .port = o->port};
    struct buf body, req;
    struct answer a;
    size_t body_sha, sha_off, nbad = 0, nok = 0;
    double *ms = xcalloc((size_t)o->posts, sizeof *ms), first = NAN;
    double cpu0, cpu1;
    char msg[256];
    int rc = 1;

    buf_init(&body, 0);
    buf_init(&req, 0);
    c.rcap = RBUF_INIT;
    c.rbuf = xmalloc(c.rcap + 1);
    bench_body_build(&body, BENCH_LARGE_RESULTS, BENCH_LARGE_SAMPLES, 1000,
                     &body_sha);
    request_build(&req, o, BENCH_PROJECT_LARGE, &body, body_sha, &sha_off);
    bench_fig_set("large_body_bytes", (double)body.len);
    if (conn_open(&c, msg, sizeof msg)) {
        fprintf(stderr, "bench_ingest: large run: %s\n", msg);
        goto out;
    }
    cpu0 = proc_cpu_s(o->server_pid);
    for (long i = 0; i < o->posts; i++) {
        uint64_t t0, t1;

        if (c.fd < 0 && conn_open(&c, msg, sizeof msg)) {
            fprintf(stderr, "bench_ingest: large run: %s\n", msg);
            break;
        }
        bench_sha_put(req.data + sha_off, UINT64_C(0x1a00000000000000),
                      (uint64_t)i);
        t0 = time_mono_ns();
        if (exchange(&c, req.data, req.len, &a, msg, sizeof msg)) {
            fprintf(stderr, "bench_ingest: large run: %s\n", msg);
            conn_close(&c);
            continue;
        }
        t1 = time_mono_ns();
        if (a.status != 201) {
            nbad++;
            note_bad(&a);
        } else {
            ms[nok++] = (double)(t1 - t0) / 1e6;
            if (i == 0)
                first = ms[0];
        }
        if (a.close)
            conn_close(&c);
    }
    cpu1 = proc_cpu_s(o->server_pid);
    bench_fig_set("large_posts_201", (double)nok);
    bench_fig_set("large_non201", (double)nbad);
    bench_fig_set("large_first_ms", first);
    if (nok) {
        double med;

        bench_fig_set("large_server_cpu_ms_per_post",
                      (cpu1 - cpu0) * 1e3 / (double)(nok + nbad));
        bench_sort_double(ms, nok);
        bench_fig_set("large_min_ms", ms[0]);
        med = bench_median(ms, nok);
        bench_fig_set("large_ms_per_post", med);
        bench_fig_set("large_values_per_s", (double)BENCH_LARGE_RESULTS *
                                                BENCH_LARGE_SAMPLES /
                                                (med / 1e3));
        rc = 0;
    }
out:
    conn_close(&c);
    free(c.rbuf);
    free(ms);
    buf_cleanup(&body);
    buf_cleanup(&req);
    return rc;
}
