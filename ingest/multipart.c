/*
 * multipart/form-data (RFC 7578 over RFC 2046): bytes -> parts, and the
 * reverse for `benchvault push`.
 *
 * Design notes:
 *  1. Decoding never copies part data: a part is a pointer and a length
 *     into the body, which the caller keeps alive.  Only the names from
 *     the headers are copied (they must be NUL-terminated).
 *  2. Bounded: at most INGEST_MAX_PARTS parts, headers of a part at most
 *     HEADERS_MAX bytes, a boundary of 1..70 characters (RFC 2046).  The
 *     body itself was bounded by max_body before it got here.
 *  3. Lenient where clients differ, strict where it matters: header lines
 *     may end in LF or CRLF, a delimiter may be followed by transport
 *     padding, the preamble and epilogue are ignored; but every part needs
 *     a Content-Disposition with a name, and the closing delimiter must be
 *     there (a truncated upload is refused, not half-read).
 *  4. A delimiter is recognised only at the start of a line ("--" boundary
 *     after LF or at offset 0); the line end before it belongs to the
 *     delimiter, not to the data.
 *  5. Encoding derives the boundary from a hash of the parts, so the same
 *     files give the same bytes (push's Idempotency-Key is a hash of the
 *     body), and checks that no part contains it.
 */
#include "ingest/ingest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADERS_MAX 8192
#define BOUNDARY_MAX 70

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/*
 * The value of parameter `name` in a header value such as
 * `form-data; name="stats"; filename="x.csv"`, copied into out (at most
 * outsz - 1 bytes).  False when absent or too long.
 */
static bool header_param(const char *v, size_t n, const char *name, char *out,
                         size_t outsz)
{
    size_t nl = strlen(name), i = 0;

    while (i < n) {
        size_t k = 0;

        /* Each parameter follows a ';'. */
        while (i < n && v[i] != ';') {
            if (v[i] == '"') /* skip quoted text: it may hold ';' */
                for (i++; i < n && v[i] != '"'; i++)
                    if (v[i] == '\\')
                        i++;
            i++;
        }
        if (i >= n)
            return false;
        for (i++; i < n && is_space(v[i]); i++)
            ;
        if (!(n - i > nl && strncasecmp(v + i, name, nl) == 0 &&
              v[i + nl] == '='))
            continue;
        i += nl + 1;
        if (i < n && v[i] == '"') {
            for (i++; i < n && v[i] != '"'; i++) {
                if (v[i] == '\\' && i + 1 < n)
                    i++;
                if (k + 1 >= outsz)
                    return false;
                out[k++] = v[i];
            }
        } else {
            for (; i < n && v[i] != ';' && !is_space(v[i]); i++) {
                if (k + 1 >= outsz)
                    return false;
                out[k++] = v[i];
            }
        }
        out[k] = '\0';
        return true;
    }
    return false;
}

bool ingest_is_multipart(const char *ct)
{
    static const char mt[] = "multipart/form-data";

    if (!ct)
        return false;
    while (is_space(*ct))
        ct++;
    return strncasecmp(ct, mt, sizeof mt - 1) == 0 &&
           (ct[sizeof mt - 1] == '\0' || ct[sizeof mt - 1] == ';' ||
            is_space(ct[sizeof mt - 1]));
}

/* The offset of the next "--boundary" at the start of a line, at or after
 * from; n when there is none. */
static size_t find_delim(const char *p, size_t n, size_t from, const char *d,
                         size_t dl)
{
    size_t i = from;

    if (i == 0 && n >= dl && memcmp(p, d, dl) == 0)
        return 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);

        if (!nl)
            return n;
        i = (size_t)(nl - p) + 1;
        if (n - i >= dl && memcmp(p + i, d, dl) == 0)
            return i;
    }
    return n;
}

/* One header block [h, h + hn): fills the part's name, filename, type. */
static enum err part_headers(const char *h, size_t hn, struct ingest_part *pt,
                             size_t index, struct errbuf *eb)
{
    char val[512];
    size_t i = 0;

    while (i < hn) {
        const char *line = h + i, *colon;
        const char *nl = memchr(line, '\n', hn - i);
        size_t ll = nl ? (size_t)(nl - line) : hn - i;

        i += ll + 1;
        if (ll && line[ll - 1] == '\r')
            ll--;
        colon = memchr(line, ':', ll);
        if (!colon)
            continue;
        if ((size_t)(colon - line) == 19 &&
            strncasecmp(line, "Content-Disposition", 19) == 0) {
            const char *v = colon + 1;
            size_t vn = ll - (size_t)(v - line);

            /* A repeated header: the last one counts. */
            if (header_param(v, vn, "name", val, sizeof val) && val[0]) {
                free((char *)pt->name);
                pt->name = xstrdup(val);
            }
            if (header_param(v, vn, "filename", val, sizeof val)) {
                free((char *)pt->filename);
                pt->filename = xstrdup(val);
            }
        } else if ((size_t)(colon - line) == 12 &&
                   strncasecmp(line, "Content-Type", 12) == 0) {
            const char *v = colon + 1;
            size_t vn = ll - (size_t)(v - line);

            while (vn && is_space(*v)) {
                v++;
                vn--;
            }
            free((char *)pt->content_type);
            pt->content_type = xstrndup(v, vn);
        }
    }
    if (!pt->name) {
        err_set(eb, "multipart part %zu has no Content-Disposition name",
                index + 1);
        return ERR_MALFORMED;
    }
    for (const char *q = pt->name; *q; q++) {
        if ((unsigned char)*q < 0x20 || *q == 0x7f) {
            err_set(eb,
                    "multipart part %zu: its name holds a control "
                    "character",
                    index + 1);
            return ERR_MALFORMED;
        }
    }
    return ERR_OK;
}

void ingest_parts_free(struct ingest_part *parts, size_t n)
{
    for (size_t i = 0; parts && i < n; i++) {
        free((char *)parts[i].name);
        free((char *)parts[i].filename);
        free((char *)parts[i].content_type);
    }
    free(parts);
}

enum err ingest_multipart_decode(const char *body, size_t len,
                                 const char *content_type,
                                 struct ingest_part **out, size_t *nout,
                                 struct errbuf *eb)
{
    char boundary[BOUNDARY_MAX + 3] = "--";
    struct ingest_part *parts = NULL;
    size_t n = 0, dl, pos;
    enum err e = ERR_MALFORMED;

    *out = NULL;
    *nout = 0;
    if (!header_param(content_type, strlen(content_type), "boundary",
                      boundary + 2, BOUNDARY_MAX + 1) ||
        !boundary[2]) {
        err_set(eb,
                "multipart/form-data without a boundary (1 to %d "
                "characters) in its Content-Type",
                BOUNDARY_MAX);
        return ERR_MALFORMED;
    }
    dl = strlen(boundary);
    pos = find_delim(body, len, 0, boundary, dl);
    if (pos == len) {
        err_set(eb, "multipart body without its boundary line");
        return ERR_MALFORMED;
    }
    for (;;) {
        size_t i = pos + dl, hstart, hend, dstart = 0, next, dend;
        struct ingest_part *pt;

        if (len - i >= 2 && body[i] == '-' && body[i + 1] == '-')
            break; /* the closing delimiter; the rest is epilogue */
        while (i < len && is_space(body[i]))
            i++;
        if (i < len && body[i] == '\r')
            i++;
        if (i >= len || body[i] != '\n') {
            err_set(eb, "multipart body: a boundary line is not followed by "
                        "a line end (truncated upload?)");
            goto fail;
        }
        hstart = i + 1;
        /* Headers end at an empty line (CRLF CRLF or LF LF). */
        for (hend = hstart; hend < len && hend - hstart <= HEADERS_MAX;
             hend++) {
            if (body[hend] != '\n')
                continue;
            if (hend + 1 < len && body[hend + 1] == '\n') {
                dstart = hend + 2;
                break;
            }
            if (hend + 2 < len && body[hend + 1] == '\r' &&
                body[hend + 2] == '\n') {
                dstart = hend + 3;
                break;
            }
        }
        /* A part without headers starts with the empty line itself. */
        if (hstart < len && body[hstart] == '\n') {
            hend = hstart;
            dstart = hstart + 1;
        } else if (hstart + 1 < len && body[hstart] == '\r' &&
                   body[hstart + 1] == '\n') {
            hend = hstart;
            dstart = hstart + 2;
        }
        if (hend >= len || hend - hstart > HEADERS_MAX) {
            err_set(eb,
                    "multipart part %zu: no end of its headers within "
                    "%d bytes",
                    n + 1, HEADERS_MAX);
            goto fail;
        }
        if (n == INGEST_MAX_PARTS) {
            err_set(eb, "multipart body with more than %d parts",
                    INGEST_MAX_PARTS);
            goto fail;
        }
        parts = xreallocarray(parts, n + 1, sizeof *parts);
        pt = &parts[n++];
        memset(pt, 0, sizeof *pt);
        e = part_headers(body + hstart, hend - hstart, pt, n - 1, eb);
        if (e)
            goto fail;
        e = ERR_MALFORMED;
        next = find_delim(body, len, dstart, boundary, dl);
        if (next == len) {
            err_set(eb,
                    "multipart body: part %s has no closing boundary "
                    "(truncated upload?)",
                    pt->name);
            goto fail;
        }
        /* The line end before the delimiter belongs to it (note 4). */
        dend = next;
        if (dend > dstart && body[dend - 1] == '\n')
            dend--;
        if (dend > dstart && body[dend - 1] == '\r')
            dend--;
        pt->data = body + dstart;
        pt->len = dend >= dstart ? dend - dstart : 0;
        pos = next;
    }
    if (n == 0) {
        err_set(eb, "multipart body without any part");
        goto fail;
    }
    *out = parts;
    *nout = n;
    return ERR_OK;
fail:
    ingest_parts_free(parts, n);
    return e;
}

/* ---- encoding ----------------------------------------------------------- */

static bool contains(const char *p, size_t n, const char *s, size_t sl)
{
    for (size_t i = 0; n >= sl && i <= n - sl; i++) {
        const char *q = memchr(p + i, s[0], n - sl - i + 1);

        if (!q)
            return false;
        i = (size_t)(q - p);
        if (memcmp(q, s, sl) == 0)
            return true;
    }
    return false;
}

static bool header_safe(const char *s)
{
    return !s || !strpbrk(s, "\"\r\n");
}

enum err ingest_multipart_encode(const struct ingest_part *parts, size_t n,
                                 struct buf *out, char *ctype,
                                 size_t ctype_size)
{
    unsigned char h[HASH_SHA256_LEN];
    char hex[2 * HASH_SHA256_LEN + 1], boundary[96];
    struct buf seed;
    enum err e = ERR_OK;
    bool clash = true;

    for (size_t i = 0; i < n; i++)
        if (!header_safe(parts[i].name) || !header_safe(parts[i].filename) ||
            !header_safe(parts[i].content_type))
            return ERR_INVALID;
    buf_init(&seed, 0);
    for (unsigned salt = 0; clash; salt++) {
        buf_reset(&seed);
        (void)buf_printf(&seed, "%u", salt);
        for (size_t i = 0; i < n; i++) {
            (void)buf_adds(&seed, parts[i].name);
            (void)buf_add(&seed, parts[i].data, parts[i].len);
        }
        hash_sha256(seed.data, seed.len, h);
        hash_hex(h, 16, hex);
        snprintf(boundary, sizeof boundary, "--benchvault-%s", hex);
        clash = false;
        for (size_t i = 0; i < n && !clash; i++)
            clash = contains(parts[i].data, parts[i].len, boundary,
                             strlen(boundary));
    }
    buf_cleanup(&seed);
    for (size_t i = 0; i < n && !e; i++) {
        e = buf_printf(out, "%s\r\nContent-Disposition: form-data; name=\"%s\"",
                       boundary, parts[i].name);
        if (!e && parts[i].filename)
            e = buf_printf(out, "; filename=\"%s\"", parts[i].filename);
        if (!e && parts[i].content_type)
            e = buf_printf(out, "\r\nContent-Type: %s", parts[i].content_type);
        if (!e)
            e = buf_add(out, "\r\n\r\n", 4);
        if (!e)
            e = buf_add(out, parts[i].data, parts[i].len);
        if (!e)
            e = buf_add(out, "\r\n", 2);
    }
    if (!e)
        e = buf_printf(out, "%s--\r\n", boundary);
    if (!e)
        snprintf(ctype, ctype_size, "multipart/form-data; boundary=%s",
                 boundary + 2);
    return e;
}
