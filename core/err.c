/*
 * Error codes and the error buffer.  err_add keeps at most ERRBUF_MAX_ITEMS
 * items so that a hostile payload with a million bad fields cannot make the
 * answer a million lines long.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const err_names[] = {
    [ERR_OK] = "ok",
    [ERR_NOMEM] = "out of memory",
    [ERR_INVALID] = "invalid input",
    [ERR_TOO_LARGE] = "too large",
    [ERR_NOT_FOUND] = "not found",
    [ERR_CONFLICT] = "conflict",
    [ERR_AUTH] = "authentication required",
    [ERR_IO] = "input/output error",
    [ERR_DB] = "database error",
    [ERR_INTERNAL] = "internal error",
    [ERR_FORBIDDEN] = "forbidden",
    [ERR_MALFORMED] = "malformed input",
    [ERR_UNSUPPORTED] = "unsupported",
    [ERR_FULL] = "storage full",
};

const char *err_str(enum err e)
{
    if ((unsigned)e < sizeof err_names / sizeof err_names[0] && err_names[e])
        return err_names[e];
    return "unknown error";
}

void err_init(struct errbuf *eb)
{
    if (!eb)
        return;
    memset(eb, 0, sizeof *eb);
}

void err_cleanup(struct errbuf *eb)
{
    if (!eb)
        return;
    for (size_t i = 0; i < eb->nitems; i++) {
        free(eb->items[i].pointer);
        free(eb->items[i].message);
        free(eb->items[i].parameter);
    }
    free(eb->items);
    memset(eb, 0, sizeof *eb);
}

void err_set(struct errbuf *eb, const char *fmt, ...)
{
    va_list ap;

    if (!eb)
        return;
    va_start(ap, fmt);
    vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
    va_end(ap);
}

/* Appends an item; false when the buffer is full (counted in dropped). */
static struct err_item *item_add(struct errbuf *eb)
{
    if (eb->nitems >= ERRBUF_MAX_ITEMS) {
        eb->dropped++;
        return NULL;
    }
    if (eb->nitems == 0)
        eb->items = xcalloc(ERRBUF_MAX_ITEMS, sizeof *eb->items);
    return &eb->items[eb->nitems++];
}

/* An item of pointer (NULL: "") or query parameter name (NULL: none) with
 * a message from fmt; the first item also fills eb->msg. */
static void item_vadd(struct errbuf *eb, const char *pointer, const char *name,
                      const char *fmt, va_list ap)
{
    struct err_item *it;

    if (!eb || !(it = item_add(eb)))
        return;
    it->message = xvasprintf_cut(4096, fmt, ap);
    it->pointer = xstrdup(pointer ? pointer : "");
    it->parameter = name ? xstrdup(name) : NULL;
    if (eb->msg[0])
        return;
    if (name)
        snprintf(eb->msg, sizeof eb->msg, "query parameter \"%s\": %s", name,
                 it->message);
    else
        snprintf(eb->msg, sizeof eb->msg, "%s: %s",
                 it->pointer[0] ? it->pointer : "(body)", it->message);
}

void err_add(struct errbuf *eb, const char *pointer, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    item_vadd(eb, pointer, NULL, fmt, ap);
    va_end(ap);
}

void err_add_param(struct errbuf *eb, const char *name, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    item_vadd(eb, NULL, name, fmt, ap);
    va_end(ap);
}
