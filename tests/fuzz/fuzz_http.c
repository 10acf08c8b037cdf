/*
 * libFuzzer target for what the server parses out of a request: the query
 * string (libmicrohttpd splits and decodes it; our routes read limit,
 * before, base, head, format, branch, testbed, ... and the ingest
 * overrides), the path segments, the urlencoded forms of the alert pages
 * (login token, csrf, status, note), and bodies of every route (ingest,
 * budgets PUT, alert PATCH, multipart).  The real server runs in this
 * process on a temporary database and an ephemeral loopback port; each
 * input becomes one request on a fresh connection.  (A socketpair handed
 * to MHD_add_connection was tried first: libmicrohttpd 0.9.75 sometimes
 * left such a connection unserved for seconds, a false hang.)
 *
 * Input: "METHOD TARGET\n", then header lines "Name: value\n" up to an
 * empty line, then the body.  The harness adds Host, Connection: close and
 * Content-Length (and refuses inputs that would set them), a write token
 * as Authorization when the input gives none, and a Content-Type by route
 * when the input gives none.  "@TOKEN@" anywhere becomes that token.
 *
 * Findings: a crash or sanitizer report in any server thread, an answer
 * that is not HTTP, a 500 (our generic "see the log": a client's bytes
 * must never reach it), or no answer within FUZZ_HTTP_TIMEOUT_MS.  With
 * BV_FUZZ_UTF8=1 a JSON answer must also be valid UTF-8 (issue 13 item 3).
 * BV_FUZZ_TRACE=1 prints each request line, the answer's status and time
 * (to check what a seed reaches); BV_FUZZ_GDB=1 prints every thread's
 * stack (gdb) before aborting on a hang.
 */
#include "render/render.h"
#include "server/server.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define FUZZ_HTTP_TIMEOUT_MS 20000
#define FUZZ_HTTP_MAX_INPUT (128u << 10)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct srv *server;
static char *token;
static char dir[256];
static bool check_utf8, trace;

/* A connect() interrupted by a signal goes on in the background: wait for
 * it and say whether it succeeded. */
static bool connected_late(int fd)
{
    struct pollfd p = {fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;

    while (poll(&p, 1, FUZZ_HTTP_TIMEOUT_MS) < 0 && errno == EINTR)
        ;
    return !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) && !err;
}

/* Sends req on a fresh loopback connection and reads the whole answer
 * into resp (the server closes: Connection: close).  The client closes
 * with a reset (SO_LINGER 0), so that neither side keeps the connection
 * in TIME_WAIT: thousands of requests a second would otherwise run out of
 * ports. */
static void exchange(const struct buf *req, struct buf *resp)
{
    int fd;
    struct sockaddr_in sa;
    struct linger lg = {1, 0};
    size_t off = 0;
    uint64_t deadline;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)srv_port(server));
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof sa) &&
                   (errno != EINTR || !connected_late(fd)))) {
        perror("fuzz_http: connect");
        abort();
    }
    while (off < req->len) {
        ssize_t n = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the server closed early: read what it said */
        off += (size_t)n;
    }
    deadline = time_mono_ns() + (uint64_t)FUZZ_HTTP_TIMEOUT_MS * 1000000u;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        char tmp[16384];
        ssize_t n;
        uint64_t now = time_mono_ns();
        int pr = now < deadline
                     ? poll(&p, 1, (int)((deadline - now) / 1000000u) + 1)
                     : 0;

        if (pr < 0 && errno == EINTR)
            continue; /* libFuzzer's SIGALRM (-timeout) */
        if (pr != 1) {
            fprintf(stderr,
                    "fuzz_http: no answer within %d ms (poll %d) "
                    "to:\n%.*s\n",
                    FUZZ_HTTP_TIMEOUT_MS, pr,
                    (int)(req->len > 2000 ? 2000 : req->len), req->data);
            if (getenv("BV_FUZZ_GDB")) { /* sockets, every thread's stack */
                char cmd[128];

                snprintf(cmd, sizeof cmd,
                         "ss -tanpi >&2; gdb -p %d -batch -ex"
                         " 'thread apply all bt' >&2 2>/dev/null",
                         (int)getpid());
                if (system(cmd) != 0)
                    fprintf(stderr, "fuzz_http: gdb failed\n");
            }
            abort();
        }
        n = recv(fd, tmp, sizeof tmp, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        (void)buf_add(resp, tmp, (size_t)n);
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void cleanup(void)
{
    char path[512];

    srv_stop(server, 0);
    server = NULL;
    render_shutdown(); /* cairo's and fontconfig's caches, as serve does */
    free(token);
    if (!dir[0])
        return;
    for (const char *const *s = (const char *const[]){"", "-wal", "-shm", NULL};
         *s; s++) {
        snprintf(path, sizeof path, "%s/fuzz.db%s", dir, *s);
        unlink(path);
    }
    rmdir(dir);
}

/* One native run, so that the read routes find a project, a series, a
 * run and a comparison to answer about. */
static const char seed_run[] =
    "POST /api/v1/projects/fuzz/runs?branch=main&commit=c1 HTTP/1.1\r\n"
    "Host: fuzz\r\nConnection: close\r\nAuthorization: Bearer %s\r\n"
    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s";
static const char seed_body[] =
    "{\"results\": [{\"benchmark\": \"sort\", \"params\": {\"n\": 10}, "
    "\"measures\": {\"latency\": {\"value\": 1.5, \"unit\": \"ms\", "
    "\"samples\": [1.4, 1.5, 1.6, 1.5, 1.5]}}}, {\"benchmark\": \"scan\", "
    "\"measures\": {\"latency\": {\"value\": 2.0, \"unit\": \"ms\"}, "
    "\"throughput\": {\"value\": 5, "
    "\"unit\": \"1/s\"}}}]}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct srv_config cfg;
    struct store *st = NULL;
    struct errbuf eb;
    char db[300];
    const char *tmp = getenv("TMPDIR");
    int64_t id;

    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    check_utf8 = getenv("BV_FUZZ_UTF8") && !strcmp(getenv("BV_FUZZ_UTF8"), "1");
    trace = getenv("BV_FUZZ_TRACE") && !strcmp(getenv("BV_FUZZ_TRACE"), "1");
    snprintf(dir, sizeof dir, "%s/bv-fuzz-http-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_http: mkdtemp");
        abort();
    }
    snprintf(db, sizeof db, "%s/fuzz.db", dir);
    err_init(&eb);
    if (store_open(db, STORE_RW, &st, NULL, &eb) ||
        store_token_create(st, "fuzz", SCOPE_ADMIN, NULL, &token, &id, &eb)) {
        fprintf(stderr, "fuzz_http: %s\n", eb.msg);
        abort();
    }
    store_close(st);
    srv_config_default(&cfg);
    cfg.db_path = db;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.log_requests = false;
    cfg.limits.max_body = 1u << 20;
    if (srv_start(&cfg, &server, &eb)) {
        fprintf(stderr, "fuzz_http: %s\n", eb.msg);
        abort();
    }
    err_cleanup(&eb);
    atexit(cleanup);
    for (int i = 0; i < 3; i++) {
        struct buf req, resp;

        buf_init(&req, 0);
        buf_init(&resp, 0);
        (void)buf_printf(&req, seed_run, token, strlen(seed_body), seed_body);
        exchange(&req, &resp);
        if (strncmp(buf_str(&resp), "HTTP/1.1 201", 12)) {
            fprintf(stderr, "fuzz_http: seed run refused:\n%s\n",
                    buf_str(&resp));
            abort();
        }
        buf_cleanup(&req);
        buf_cleanup(&resp);
    }
    return 0;
}

/* Appends s[0..n) with every "@TOKEN@" replaced by the token. */
static void add_subst(struct buf *b, const char *s, size_t n)
{
    static const char mark[] = "@TOKEN@";
    const size_t ml = sizeof mark - 1;

    while (n) {
        const char *at = memchr(s, '@', n);

        if (!at) {
            (void)buf_add(b, s, n);
            return;
        }
        (void)buf_add(b, s, (size_t)(at - s));
        n -= (size_t)(at - s);
        s = at;
        if (n >= ml && !memcmp(s, mark, ml)) {
            (void)buf_adds(b, token);
            s += ml;
            n -= ml;
        } else {
            (void)buf_addc(b, *s);
            s++;
            n--;
        }
    }
}

static bool header_is(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);

    return n > k && line[k] == ':' && !strncasecmp(line, name, k);
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80         ? 1
                     : (c >> 5) == 6  ? 2
                     : (c >> 4) == 14 ? 3
                     : (c >> 3) == 30 ? 4
                                      : 0;
        unsigned cp;

        if (!len || i + len > n)
            return false;
        cp = len == 1 ? c : c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* Whether the answer's header block (up to hdr_end) has a JSON type. */
static bool json_answer(const char *resp, const char *hdr_end)
{
    for (const char *l = resp; l && l < hdr_end; l = strstr(l, "\r\n")) {
        l += l == resp ? 0 : 2;
        if (!strncasecmp(l, "Content-Type:", 13)) {
            const char *e = strstr(l, "\r\n");

            for (const char *c = l; c + 4 <= e; c++)
                if (!strncmp(c, "json", 4))
                    return true;
            return false;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data, *end = in + size, *p, *nl;
    const char *body;
    bool has_auth = false, has_type = false, form;
    struct buf req, resp;
    unsigned status = 0;
    uint64_t t0;

    if (size > FUZZ_HTTP_MAX_INPUT)
        return 0;
    /* The request line: METHOD SP TARGET, printable, no more spaces. */
    nl = memchr(in, '\n', size);
    if (!nl || nl == in)
        return 0;
    p = memchr(in, ' ', (size_t)(nl - in));
    if (!p || p == in || p + 1 == nl || p[1] != '/')
        return 0;
    for (const char *c = in; c < nl; c++)
        if ((unsigned char)*c <= ' ' ? c != p : *c == 0x7f)
            return 0;
    form = (size_t)(nl - p) > 3 && !strncmp(p + 1, "/p/", 3) &&
           !strncmp(in, "POST ", 5);
    buf_init(&req, 0);
    buf_init(&resp, 0);
    add_subst(&req, in, (size_t)(nl - in));
    (void)buf_adds(&req, " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n");
    /* Header lines up to an empty one. */
    for (p = nl + 1;; p = nl + 1) {
        size_t n;

        if (p >= end) {
            body = end;
            break;
        }
        nl = memchr(p, '\n', (size_t)(end - p));
        n = (size_t)((nl ? nl : end) - p);
        if (n == 0) {
            body = p + 1;
            break;
        }
        if (!memchr(p, ':', n) || memchr(p, '\r', n) || memchr(p, '\0', n) ||
            p[0] == ' ' || p[0] == '\t' || header_is(p, n, "Host") ||
            header_is(p, n, "Connection") ||
            header_is(p, n, "Content-Length") ||
            header_is(p, n, "Transfer-Encoding") || header_is(p, n, "Expect"))
            goto out; /* the harness owns the framing */
        has_auth |= header_is(p, n, "Authorization");
        has_type |= header_is(p, n, "Content-Type");
        add_subst(&req, p, n);
        (void)buf_adds(&req, "\r\n");
        if (!nl) {
            body = end;
            break;
        }
    }
    if (!has_auth)
        (void)buf_printf(&req, "Authorization: Bearer %s\r\n", token);
    if (!has_type)
        (void)buf_adds(&req, form ? "Content-Type: "
                                    "application/x-www-form-urlencoded\r\n"
                                  : "Content-Type: application/json\r\n");
    {
        struct buf b;

        buf_init(&b, 0);
        add_subst(&b, body, (size_t)(end - body));
        (void)buf_printf(&req, "Content-Length: %zu\r\n\r\n", b.len);
        (void)buf_add(&req, b.data ? b.data : "", b.len);
        buf_cleanup(&b);
    }
    t0 = time_mono_ns();
    exchange(&req, &resp);
    /* libmicrohttpd answers what it refuses itself (a malformed target,
     * a method it does not know) with its own pages; every answer is
     * HTTP/1.x with a status. */
    if (resp.len < 12 || strncmp(buf_str(&resp), "HTTP/1.", 7) ||
        sscanf(buf_str(&resp) + 9, "%3u", &status) != 1) {
        fprintf(stderr, "fuzz_http: not an HTTP answer (%zu bytes) to:\n%s\n",
                resp.len, buf_str(&req));
        abort();
    }
    if (trace)
        fprintf(stderr, "fuzz_http: %u %.0f ms %.*s\n", status,
                (double)(time_mono_ns() - t0) / 1e6,
                (int)strcspn(buf_str(&req), "\r"), buf_str(&req));
    if (status == 500) {
        fprintf(stderr, "fuzz_http: 500 to:\n%s\n---\n%s\n", buf_str(&req),
                buf_str(&resp));
        abort();
    }
    if (check_utf8) {
        const char *hdr_end = strstr(buf_str(&resp), "\r\n\r\n");

        if (hdr_end && json_answer(buf_str(&resp), hdr_end) &&
            !utf8_valid((const unsigned char *)hdr_end + 4,
                        resp.len - (size_t)(hdr_end + 4 - resp.data))) {
            fprintf(stderr,
                    "fuzz_http: invalid UTF-8 in a JSON answer to:"
                    "\n%s\n---\n%s\n",
                    buf_str(&req), buf_str(&resp));
            abort();
        }
    }
out:
    buf_cleanup(&req);
    buf_cleanup(&resp);
    return 0;
}
