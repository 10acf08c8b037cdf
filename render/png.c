/*
 * A small PNG encoder for cairo image surfaces.  cairo's own
 * cairo_surface_write_to_png uses libpng at zlib's default level, which
 * dominates a chart's cost (about 12 of 16 ms for a 900x400 chart here).
 * Charts are mostly flat colour, so the "Sub" row filter turns runs into
 * zeros and zlib's fastest level with the RLE strategy compresses them
 * well at a fraction of the time.  8-bit RGB, no alpha (charts are drawn
 * on an opaque background).
 *
 * The compressed stream goes out in IDAT chunks of ZCHUNK bytes (PNG allows
 * any number) rather than through one buffer sized for the whole image:
 * a megabyte allocated and freed per chart lands on glibc's mmap or
 * heap-trim path, and the page faults of the fresh memory cost more than
 * drawing the text of a chart (up to 0.8 ms of a 6 ms trend).
 */
#include "render/render_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define ZCHUNK 65536 /* bytes of compressed data per IDAT chunk */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static enum err chunk(struct buf *out, const char *type,
                      const unsigned char *data, size_t len)
{
    unsigned char hdr[8], crc[4];
    uLong c;

    put32(hdr, (uint32_t)len);
    memcpy(hdr + 4, type, 4);
    c = crc32(0L, (const Bytef *)type, 4);
    if (len)
        c = crc32(c, data, (uInt)len);
    put32(crc, (uint32_t)c);
    if (buf_add(out, hdr, 8) || (len && buf_add(out, data, len)) ||
        buf_add(out, crc, 4))
        return ERR_TOO_LARGE;
    return ERR_OK;
}

enum err png_encode(cairo_surface_t *s, struct buf *out, struct errbuf *eb)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    int w = cairo_image_surface_get_width(s);
    int h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    size_t rowlen = (size_t)w * 3 + 1;
    unsigned char ihdr[13], *row = NULL, *z = NULL;
    z_stream zs;
    enum err e = ERR_OK;
    int zrc;

    if (!px || w <= 0 || h <= 0) {
        err_set(eb, "png: empty surface");
        return ERR_INTERNAL;
    }
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* truecolour */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    if (buf_add(out, sig, sizeof sig) || chunk(out, "IHDR", ihdr, 13)) {
        err_set(eb, "png: output too large");
        return ERR_TOO_LARGE;
    }
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
        err_set(eb, "png: zlib init failed");
        return ERR_INTERNAL;
    }
    z = xmalloc(ZCHUNK);
    row = xmalloc(rowlen);
    zs.next_out = z;
    zs.avail_out = ZCHUNK;
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)(px + (size_t)y * stride);
        unsigned pr = 0, pg = 0, pb = 0;
        int flush = y == h - 1 ? Z_FINISH : Z_NO_FLUSH;

        row[0] = 1; /* Sub: each byte minus the one 3 bytes left */
        for (int x = 0; x < w; x++) {
            uint32_t v = src[x];
            unsigned r = (v >> 16) & 255, g = (v >> 8) & 255, b = v & 255;

            row[1 + 3 * x] = (unsigned char)(r - pr);
            row[2 + 3 * x] = (unsigned char)(g - pg);
            row[3 + 3 * x] = (unsigned char)(b - pb);
            pr = r;
            pg = g;
            pb = b;
        }
        zs.next_in = row;
        zs.avail_in = (uInt)rowlen;
        do {
            zrc = deflate(&zs, flush);
            if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
                err_set(eb, "png: deflate failed");
                e = ERR_INTERNAL;
                goto out;
            }
            if (zs.avail_out == 0) { /* a full chunk: out it goes */
                e = chunk(out, "IDAT", z, ZCHUNK);
                if (e)
                    goto out;
                zs.next_out = z;
                zs.avail_out = ZCHUNK;
            }
        } while (zs.avail_in > 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
    }
    if (zs.avail_out < ZCHUNK)
        e = chunk(out, "IDAT", z, ZCHUNK - zs.avail_out);
    if (!e)
        e = chunk(out, "IEND", NULL, 0);
out:
    if (e == ERR_TOO_LARGE)
        err_set(eb, "png: output too large");
    deflateEnd(&zs);
    free(row);
    free(z);
    return e;
}
