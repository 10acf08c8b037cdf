/*
 * gzip.c: an answer's bytes as a gzip member (RFC 1952), for
 * Content-Encoding: gzip.  zlib lives in render/ (png.c uses it too), so
 * the server asks here rather than including zlib.h itself.
 *
 * Design notes:
 * 1. One deflate call over the whole input into a buffer of deflateBound()
 *    bytes: answers are already in memory and bounded by the server's
 *    answer limits, so there is no streaming to do.
 * 2. Level 1 (fastest): JSON and HTML of repeated keys and markup shrink by
 *    about 8x at level 1 as at 6, for a third of the CPU.
 */
#include "render/render.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum err render_gzip(const void *in, size_t len, int level, struct buf *out,
                     struct errbuf *eb)
{
    z_stream zs;
    unsigned char *z = NULL;
    uLong bound;
    enum err e = ERR_OK;
    int zrc;

    buf_reset(out);
    if (len > UINT_MAX / 2) {
        err_set(eb, "gzip: %zu bytes is too much to compress at once", len);
        return ERR_TOO_LARGE;
    }
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16: a gzip header and trailer, not zlib's */
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        err_set(eb, "gzip: zlib init failed");
        return ERR_INTERNAL;
    }
    bound = deflateBound(&zs, (uLong)len) + 32; /* + the gzip wrapper */
    z = xmalloc(bound);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = z;
    zs.avail_out = (uInt)bound;
    zrc = deflate(&zs, Z_FINISH);
    if (zrc != Z_STREAM_END) {
        err_set(eb, "gzip: deflate failed (%d)", zrc);
        e = ERR_INTERNAL;
        goto out;
    }
    e = buf_add(out, z, zs.total_out);
    if (e != ERR_OK)
        err_set(eb, "gzip: the compressed answer is too large");
out:
    deflateEnd(&zs);
    free(z);
    return e;
}
