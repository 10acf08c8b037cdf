/*
 * encoding.c: Content-Encoding: gzip for the answers that gain from it.
 *
 * Design notes:
 * 1. Only JSON (application/json, application/problem+json) and HTML are
 *    compressed, and only from SRV_GZIP_MIN bytes: PNGs are compressed
 *    already, and below a kilobyte the gzip header and the CPU buy nothing.
 * 2. Those answers always carry Vary: Accept-Encoding, compressed or not,
 *    so a cache between us and the client never hands a gzip body to a
 *    client that did not ask for one (or the reverse).
 * 3. Accept-Encoding is read as RFC 9110 12.5.3 says: a comma-separated
 *    list of codings with optional ";q=" weights; "gzip" (or "x-gzip")
 *    with a weight above 0 accepts it, as does "*" unless gzip itself is
 *    given weight 0.  Anything not understood is not gzip.
 * 4. A failure to compress sends the plain answer: compression is an
 *    optimisation, never a reason for a 5xx.
 */
#include "render/render.h"
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The weight of one list member "coding;q=0.5" (1 without q; 0 when the
 * q is malformed, which RFC 9110 lets us treat as not acceptable). */
static double weight(const char *p, const char *end)
{
    const char *q = memchr(p, ';', (size_t)(end - p));
    char num[8], *stop;
    size_t n = 0;
    double w;

    if (!q)
        return 1;
    for (q++; q < end && (*q == ' ' || *q == '\t'); q++)
        ;
    if (end - q < 3 || (q[0] != 'q' && q[0] != 'Q') || q[1] != '=')
        return 0;
    for (q += 2; q < end && n + 1 < sizeof num && *q != ' ' && *q != ';'; q++)
        num[n++] = *q;
    num[n] = '\0';
    w = strtod(num, &stop);
    return n && *stop == '\0' && w >= 0 && w <= 1 ? w : 0;
}

bool srv_accepts_gzip(const char *header)
{
    double gz = -1, star = -1;
    const char *p = header;

    if (!header)
        return false;
    while (*p) {
        const char *end = strchr(p, ',');
        const char *name_end;
        size_t n;

        if (!end)
            end = p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        name_end = p;
        while (name_end < end && *name_end != ';' && *name_end != ' ' &&
               *name_end != '\t')
            name_end++;
        n = (size_t)(name_end - p);
        if ((n == 4 && !strncasecmp(p, "gzip", 4)) ||
            (n == 6 && !strncasecmp(p, "x-gzip", 6)))
            gz = weight(p, end);
        else if (n == 1 && *p == '*')
            star = weight(p, end);
        p = *end ? end + 1 : end;
    }
    return gz > 0 || (gz < 0 && star > 0);
}

bool srv_compressible(const char *content_type)
{
    static const char *const types[] = {
        "application/json", "application/problem+json", "text/html"};

    if (!content_type)
        return false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t n = strlen(types[i]);

        if (!strncmp(content_type, types[i], n) &&
            (content_type[n] == '\0' || content_type[n] == ';'))
            return true;
    }
    return false;
}

bool srv_gzip_answer(struct req *rq)
{
    struct buf z;
    struct errbuf eb;
    bool done = false;

    if (rq->resp.len < SRV_GZIP_MIN || !srv_compressible(rq->content_type) ||
        !srv_accepts_gzip(req_header(rq, "Accept-Encoding")))
        return false;
    buf_init(&z, 0);
    err_init(&eb);
    if (render_gzip(rq->resp.data, rq->resp.len, 1, &z, &eb) == ERR_OK) {
        buf_cleanup(&rq->resp);
        rq->resp = z;
        done = true;
    } else {
        log_warn("%s %s: sent uncompressed: %s", rq->method, rq->path, eb.msg);
        buf_cleanup(&z);
    }
    err_cleanup(&eb);
    return done;
}
