/*
 * Bounded growable buffer (curl's dynbuf).  Invariant: when data != NULL,
 * data[len] == '\0' and len < cap; len never exceeds max.
 */
#include "core/core.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : SIZE_MAX / 2;
}

void buf_cleanup(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* The invariant of the file's header. */
static void check(const struct buf *b)
{
    assert(b->len <= b->max);
    assert(!b->data ? b->len == 0 && b->cap == 0
                    : b->len < b->cap && b->data[b->len] == '\0');
    (void)b;
}

static enum err grow(struct buf *b, size_t extra)
{
    size_t need, cap;

    check(b);
    if (extra > b->max - b->len)
        return ERR_TOO_LARGE;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return ERR_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return ERR_OK;
}

enum err buf_add(struct buf *b, const void *p, size_t n)
{
    enum err e = grow(b, n);

    if (e)
        return e;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    check(b);
    return ERR_OK;
}

enum err buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

enum err buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

enum err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    enum err e;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ERR_INTERNAL;
    e = grow(b, (size_t)n);
    if (e)
        return e;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return ERR_OK;
}

enum err buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    enum err e;

    va_start(ap, fmt);
    e = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return e;
}

char *buf_take(struct buf *b)
{
    char *p = b->data;

    if (!p)
        p = xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}
