/*
 * A small streaming JSON writer.  The caller calls begin/key/value/end in
 * order; the writer places commas and colons.  Strings are escaped per RFC
 * 8259 and additionally '<', '>', '&' and U+2028/2029 are written as \u
 * escapes so the output is safe to embed in a <script> block.  Bytes that
 * are not UTF-8 are written as \ufffd: the output is valid JSON whatever
 * the input was.
 */
#include "core/core.h"

#include <assert.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(struct jw *w, struct buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->first[0] = true;
}

static void put(struct jw *w, const char *s, size_t n)
{
    if (w->err)
        return;
    w->err = buf_add(w->out, s, n);
}

/* Before any value: a comma unless first in its container or after a key. */
static void sep(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = false;
}

static void open(struct jw *w, char c)
{
    sep(w);
    put(w, &c, 1);
    if (w->depth + 1 >= JW_MAX_DEPTH) {
        if (!w->err)
            w->err = ERR_TOO_LARGE;
        return;
    }
    w->depth++;
    w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
    /* Every close has its open (an open past JW_MAX_DEPTH set err). */
    assert(w->depth > 0 || w->err);
    assert(!w->after_key);
    if (w->depth > 0)
        w->depth--;
    put(w, &c, 1);
}

void jw_obj_begin(struct jw *w)
{
    open(w, '{');
}
void jw_obj_end(struct jw *w)
{
    close_(w, '}');
}
void jw_arr_begin(struct jw *w)
{
    open(w, '[');
}
void jw_arr_end(struct jw *w)
{
    close_(w, ']');
}

enum err jw_escape(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i, start = 0;
    enum err e = ERR_OK;

    for (i = 0; i < n && !e; i++) {
        unsigned char c = p[i];
        char esc[8];
        size_t elen = 0;

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            elen = 2;
        } else if (c == '\r') {
            memcpy(esc, "\\r", 2);
            elen = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2);
            elen = 2;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        } else if (c >= 0x80) {
            uint32_t cp = 0;
            size_t k = text_utf8_seq(s + i, n - i, &cp);

            /* A byte that starts no valid sequence becomes U+FFFD, so
             * nothing stored before the checks existed can make an answer
             * that is not UTF-8 (RFC 8259 section 8.1). */
            if (k == 0) {
                memcpy(esc, "\\ufffd", 6);
                elen = 6;
            } else if (cp == 0x2028 || cp == 0x2029) {
                memcpy(esc, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
                elen = 6;
            }
            if (elen) {
                e = buf_add(b, s + start, i - start);
                if (!e)
                    e = buf_add(b, esc, elen);
                i += k ? k - 1 : 0;
                start = i + 1;
                continue;
            }
            i += k - 1;
            continue;
        }
        if (elen) {
            e = buf_add(b, s + start, i - start);
            if (!e)
                e = buf_add(b, esc, elen);
            start = i + 1;
        }
    }
    if (!e && start < n)
        e = buf_add(b, s + start, n - start);
    return e;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
    sep(w);
    put(w, "\"", 1);
    if (!w->err)
        w->err = jw_escape(w->out, s, n);
    put(w, "\"", 1);
}

void jw_str(struct jw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    jw_strn(w, s, strlen(s));
}

void jw_key(struct jw *w, const char *key)
{
    jw_str(w, key);
    put(w, ":", 1);
    w->after_key = true;
}

void jw_int(struct jw *w, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);

    sep(w);
    put(w, tmp, (size_t)n);
}

void jw_num(struct jw *w, double v)
{
    char tmp[40];
    int n = 0;

    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    sep(w);
    put(w, tmp, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *json)
{
    size_t n;

    if (!json || !*json) {
        jw_null(w);
        return;
    }
    sep(w);
    n = strlen(json);
    if (text_utf8_valid(json, n)) {
        put(w, json, n);
    } else if (!w->err) {
        /* Stored by a version that did not check: U+FFFD keeps it JSON. */
        w->err = text_utf8_repair(w->out, json, n, NULL);
    }
}

void jw_kstr(struct jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

void jw_kint(struct jw *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

void jw_knum(struct jw *w, const char *key, double v)
{
    jw_key(w, key);
    jw_num(w, v);
}

void jw_ktime(struct jw *w, const char *key, int64_t ms)
{
    char iso[TIME_ISO_LEN];

    jw_key(w, key);
    if (ms == TIME_NONE) {
        jw_null(w);
        return;
    }
    time_format_iso(ms, iso);
    jw_str(w, iso);
}
