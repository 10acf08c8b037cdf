/*
 * Canonical JSON text for what is stored as JSON (params, metadata,
 * testbed info).  params is part of a benchmark's identity, so the same
 * value must always give the same bytes.
 *
 * Why not json_dumps(JSON_COMPACT | JSON_SORT_KEYS): jansson writes reals
 * with %.17g, so 0.1 becomes 0.10000000000000001 in every stored params
 * text and display key.  Here a real takes the shortest %.<p>g (p = 1..17)
 * that reads back to the same double, and an integral real
 * is written like the integer (100.0 and 100 are one parameter value).
 * Integers are int64 (json_int_t is long long) and never pass through a
 * double, so 2^53 + 1 survives.  Recursion is bounded by the pre-scan's
 * depth limit.
 */
#include "ingest/ingest_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum err ingest_json_escape(struct buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = 0;
    enum err e = ERR_OK;

    for (size_t i = 0; i < n && !e; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[6];
        size_t elen = 2;

        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        esc[0] = '\\';
        switch (ch) {
        case '"':
        case '\\':
            esc[1] = (char)ch;
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            elen = 6;
            break;
        }
        e = buf_add(out, s + start, i - start);
        if (!e)
            e = buf_add(out, esc, elen);
        start = i + 1;
    }
    if (!e)
        e = buf_add(out, s + start, n - start);
    return e;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum err canon_real(double v, struct buf *out)
{
    char tmp[40];
    int n = 0;

    /* Reals from jansson are finite; a marker is a string, not a real.  An
     * integral real is written as the integer ("%g" would shorten 100.0 to
     * 1e+02); below 1e15 "%.0f" is exact. */
    if (fabs(v) < 1e15 && v == (double)(long long)v)
        return buf_printf(out, "%.0f", v);
    for (int prec = 1; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    return buf_add(out, tmp, (size_t)n);
}

enum err ingest_json_canon(const json_t *v, struct buf *out)
{
    enum err e = ERR_OK;

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
        const char *key;
        json_t *child;

        json_object_foreach ((json_t *)v, key, child)
            keys[i++] = key;
        qsort(keys, n, sizeof *keys, cmp_keys);
        e = buf_addc(out, '{');
        for (i = 0; i < n && !e; i++) {
            if (i)
                e = buf_addc(out, ',');
            if (!e)
                e = buf_addc(out, '"');
            if (!e)
                e = ingest_json_escape(out, keys[i], strlen(keys[i]));
            if (!e)
                e = buf_add(out, "\":", 2);
            if (!e)
                e = ingest_json_canon(json_object_get(v, keys[i]), out);
        }
        if (!e)
            e = buf_addc(out, '}');
        free(keys);
        break;
    }
    case JSON_ARRAY:
        e = buf_addc(out, '[');
        for (size_t i = 0; i < json_array_size(v) && !e; i++) {
            if (i)
                e = buf_addc(out, ',');
            if (!e)
                e = ingest_json_canon(json_array_get(v, i), out);
        }
        if (!e)
            e = buf_addc(out, ']');
        break;
    case JSON_STRING:
        e = buf_addc(out, '"');
        if (!e)
            e = ingest_json_escape(out, json_string_value(v),
                                   json_string_length(v));
        if (!e)
            e = buf_addc(out, '"');
        break;
    case JSON_INTEGER:
        e = buf_printf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        e = canon_real(json_real_value(v), out);
        break;
    case JSON_TRUE:
        e = buf_adds(out, "true");
        break;
    case JSON_FALSE:
        e = buf_adds(out, "false");
        break;
    case JSON_NULL:
        e = buf_adds(out, "null");
        break;
    }
    return e;
}

char *ingest_json_canon_str(const json_t *v)
{
    struct buf b;

    buf_init(&b, 0);
    if (!v)
        (void)buf_adds(&b, "null");
    else
        (void)ingest_json_canon(v, &b);
    return buf_take(&b);
}
