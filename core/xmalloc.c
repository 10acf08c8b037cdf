/*
 * Allocation that cannot fail (tmux's xmalloc.c): out-of-memory aborts with
 * a message.  Safe because every size that comes from the network is
 * bounded by a configured limit before anything is allocated for it.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "benchvault: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q)
        oom(n);
    return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        oom(SIZE_MAX);
    return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p;

    if (!s)
        return NULL;
    p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xvasprintf_cut(size_t max, const char *fmt, va_list ap)
{
    struct buf b;
    size_t keep;

    buf_init(&b, 0);
    (void)buf_vprintf(&b, fmt, ap); /* unbounded: only ERR_INTERNAL */
    if (b.len > max && max >= 4) {
        keep = max - 3;
        while (keep && ((unsigned char)b.data[keep] & 0xC0) == 0x80)
            keep--; /* never split a character */
        memcpy(b.data + keep, "...", 4);
        b.len = keep + 3;
    }
    return buf_take(&b);
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    struct buf b;

    buf_init(&b, 0);
    va_start(ap, fmt);
    (void)buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return buf_take(&b);
}
