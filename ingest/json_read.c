/*
 * Typed reading of a json_t tree with JSON-pointer error reporting, shared
 * by every format adapter.
 *
 * Design notes:
 *  1. The context keeps one growing pointer buffer; readers push a key or
 *     index before checking a value and pop after, so an error knows where
 *     it is without any allocation on the good path.
 *  2. Errors go through ingest_error*(), which counts them even when the
 *     errbuf is NULL or full: the count, not the errbuf, decides the
 *     status.  Once the errbuf holds ERRBUF_MAX_ITEMS the message is not
 *     even formatted, so a million bad samples cost a million increments.
 *  3. Null means absent for every optional member: tools write null for
 *     "not measured" (hyperfine's stddev, pytest's commit time).
 *  4. Hot loops (samples) test the JSON type inline and build a pointer
 *     only for an element that is wrong.
 */
#include "ingest/ingest_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ingest_ctx_init(struct ingest_ctx *c, const struct ingest_limits *lim,
                     const struct ingest_overrides *ov, struct errbuf *eb,
                     struct run *run)
{
    static const struct ingest_overrides none;

    memset(c, 0, sizeof *c);
    c->lim = lim;
    c->ov = ov ? ov : &none;
    c->eb = eb;
    c->run = run;
    buf_init(&c->ptr, 0);
    buf_init(&c->scratch, 0);
    /* The pointer is "" at the root; make buf_str() valid from the start. */
    (void)buf_add(&c->ptr, "", 0);
}

void ingest_ctx_cleanup(struct ingest_ctx *c)
{
    buf_cleanup(&c->ptr);
    buf_cleanup(&c->scratch);
    free(c->dups.slots);
    memset(&c->dups, 0, sizeof c->dups);
}

/* ---- pointer ------------------------------------------------------------ */

size_t ingest_ptr_push(struct ingest_ctx *c, const char *key)
{
    size_t mark = c->ptr.len;
    const char *p = key, *q;

    (void)buf_addc(&c->ptr, '/');
    /* RFC 6901: '~' is written "~0" and '/' is written "~1". */
    while ((q = strpbrk(p, "~/")) != NULL) {
        (void)buf_add(&c->ptr, p, (size_t)(q - p));
        (void)buf_add(&c->ptr, *q == '~' ? "~0" : "~1", 2);
        p = q + 1;
    }
    (void)buf_adds(&c->ptr, p);
    return mark;
}

size_t ingest_ptr_push_index(struct ingest_ctx *c, size_t i)
{
    size_t mark = c->ptr.len;

    (void)buf_printf(&c->ptr, "/%zu", i);
    return mark;
}

void ingest_ptr_pop(struct ingest_ctx *c, size_t mark)
{
    c->ptr.len = mark;
    c->ptr.data[mark] = '\0';
}

const char *ingest_ptr(const struct ingest_ctx *c)
{
    return buf_str(&c->ptr);
}

/* ---- reporting ---------------------------------------------------------- */

static void verror(struct ingest_ctx *c, const char *fmt, va_list ap)
{
    struct buf msg;

    c->nerrors++;
    if (!c->eb)
        return;
    if (c->eb->nitems >= ERRBUF_MAX_ITEMS) {
        c->eb->dropped++;
        return;
    }
    buf_init(&msg, 4096);
    (void)buf_vprintf(&msg, fmt, ap);
    err_add(c->eb, ingest_ptr(c), "%s", buf_str(&msg));
    buf_cleanup(&msg);
}

void ingest_error(struct ingest_ctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    verror(c, fmt, ap);
    va_end(ap);
}

void ingest_error_key(struct ingest_ctx *c, const char *key, const char *fmt,
                      ...)
{
    va_list ap;
    size_t mark = ingest_ptr_push(c, key);

    va_start(ap, fmt);
    verror(c, fmt, ap);
    va_end(ap);
    ingest_ptr_pop(c, mark);
}

void ingest_error_limit(struct ingest_ctx *c, const char *fmt, ...)
{
    va_list ap;

    c->too_large = true;
    va_start(ap, fmt);
    verror(c, fmt, ap);
    va_end(ap);
}

void ingest_warn(struct ingest_ctx *c, const char *fmt, ...)
{
    va_list ap;
    struct buf msg;

    buf_init(&msg, 4096);
    va_start(ap, fmt);
    (void)buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    run_warn(c->run, "%s: %s", ingest_ptr(c), buf_str(&msg));
    buf_cleanup(&msg);
}

const char *ingest_quote(struct ingest_ctx *c, const char *s, size_t n)
{
    size_t cut = n;

    if (cut > 64) {
        cut = 64;
        /* Do not split a UTF-8 sequence: back up over continuation bytes. */
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    buf_reset(&c->scratch);
    (void)buf_addc(&c->scratch, '"');
    (void)ingest_json_escape(&c->scratch, s, cut);
    (void)buf_adds(&c->scratch, cut < n ? "...\"" : "\"");
    return buf_str(&c->scratch);
}

/* ---- value readers ------------------------------------------------------ */

const char *ingest_type_name(const struct ingest_ctx *c, const json_t *v)
{
    enum ingest_nonfinite k = ingest_nonfinite_of(c, v);

    if (k != INGEST_FINITE)
        return ingest_nonfinite_name(k);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

bool ingest_name_check(struct ingest_ctx *c, const char *s, size_t n)
{
    char why[TEXT_WHY_LEN];

    if (text_valid(s, n, c->lim->max_name, 0, why, sizeof why))
        return true;
    ingest_error(c, "%s", why);
    return false;
}

bool ingest_textfield_check(struct ingest_ctx *c, const char *s, size_t n)
{
    char why[TEXT_WHY_LEN];

    if (text_valid(s, n, c->lim->max_text, TEXT_MULTILINE | TEXT_BLANK_OK, why,
                   sizeof why))
        return true;
    ingest_error(c, "%s", why);
    return false;
}

enum ingest_got ingest_str(struct ingest_ctx *c, const json_t *v,
                           unsigned flags, const char **out)
{
    const char *s;
    size_t n;

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (flags & INGEST_STR_REQUIRED) {
            ingest_error(c, "is required");
            return INGEST_BAD;
        }
        return INGEST_ABSENT;
    }
    if (!json_is_string(v) || ingest_nonfinite_of(c, v) != INGEST_FINITE) {
        ingest_error(c, "expected a string, got %s", ingest_type_name(c, v));
        return INGEST_BAD;
    }
    s = json_string_value(v);
    n = json_string_length(v);
    if (flags & INGEST_STR_NAME) {
        if (!ingest_name_check(c, s, n))
            return INGEST_BAD;
    } else if (!ingest_textfield_check(c, s, n)) {
        return INGEST_BAD;
    }
    *out = s;
    return INGEST_OK;
}

enum ingest_got ingest_num(struct ingest_ctx *c, const json_t *v, double *out)
{
    enum ingest_nonfinite k;

    *out = NAN;
    if (json_is_real(v)) {
        *out = json_real_value(v);
        return INGEST_OK;
    }
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return INGEST_OK;
    }
    if (!v || json_is_null(v))
        return INGEST_ABSENT;
    k = ingest_nonfinite_of(c, v);
    if (k != INGEST_FINITE)
        ingest_error(c, "%s is not a finite number", ingest_nonfinite_name(k));
    else
        ingest_error(c, "expected a number, got %s", ingest_type_name(c, v));
    return INGEST_BAD;
}

enum ingest_got ingest_int(struct ingest_ctx *c, const json_t *v, int64_t min,
                           int64_t max, int64_t *out)
{
    int64_t x;

    *out = 0;
    if (!v || json_is_null(v))
        return INGEST_ABSENT;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) >= -9.2e18 &&
               json_real_value(v) <= 9.2e18 &&
               json_real_value(v) == (double)(int64_t)json_real_value(v)) {
        x = (int64_t)json_real_value(v);
    } else if (json_is_real(v)) {
        ingest_error(c, "expected an integer, got %.15g", json_real_value(v));
        return INGEST_BAD;
    } else {
        ingest_error(c, "expected an integer, got %s", ingest_type_name(c, v));
        return INGEST_BAD;
    }
    if (x < min || x > max) {
        if (max == INT64_MAX)
            ingest_error(c, "must be at least %" PRId64, min);
        else
            ingest_error(c, "must be between %" PRId64 " and %" PRId64, min,
                         max);
        return INGEST_BAD;
    }
    *out = x;
    return INGEST_OK;
}

/* ---- member readers ----------------------------------------------------- */

static json_t *member(const json_t *obj, const char *key)
{
    return obj ? json_object_get(obj, key) : NULL;
}

enum ingest_got ingest_get_str(struct ingest_ctx *c, const json_t *obj,
                               const char *key, unsigned flags,
                               const char **out)
{
    size_t mark = ingest_ptr_push(c, key);
    enum ingest_got g = ingest_str(c, member(obj, key), flags, out);

    ingest_ptr_pop(c, mark);
    return g;
}

enum ingest_got ingest_set_str(struct ingest_ctx *c, const json_t *obj,
                               const char *key, unsigned flags, char **field)
{
    const char *s;
    enum ingest_got g = ingest_get_str(c, obj, key, flags, &s);

    if (g == INGEST_OK) {
        free(*field);
        *field = xstrdup(s);
    }
    return g;
}

enum ingest_got ingest_get_num(struct ingest_ctx *c, const json_t *obj,
                               const char *key, double *out)
{
    json_t *v = member(obj, key);
    size_t mark;
    enum ingest_got g;

    /* The common cases without touching the pointer. */
    if (json_is_real(v)) {
        *out = json_real_value(v);
        return INGEST_OK;
    }
    if (json_is_integer(v)) {
        *out = (double)json_integer_value(v);
        return INGEST_OK;
    }
    mark = ingest_ptr_push(c, key);
    g = ingest_num(c, v, out);
    ingest_ptr_pop(c, mark);
    return g;
}

enum ingest_got ingest_get_nonneg(struct ingest_ctx *c, const json_t *obj,
                                  const char *key, double *out)
{
    enum ingest_got g = ingest_get_num(c, obj, key, out);

    if (g == INGEST_OK && *out < 0) {
        ingest_error_key(c, key, "must not be negative");
        *out = NAN;
        return INGEST_BAD;
    }
    return g;
}

enum ingest_got ingest_get_int(struct ingest_ctx *c, const json_t *obj,
                               const char *key, int64_t min, int64_t max,
                               int64_t *out)
{
    size_t mark = ingest_ptr_push(c, key);
    enum ingest_got g = ingest_int(c, member(obj, key), min, max, out);

    ingest_ptr_pop(c, mark);
    return g;
}

enum ingest_got ingest_time(struct ingest_ctx *c, const json_t *v, int64_t *out)
{
    const char *s;
    bool naive;
    enum ingest_got g = ingest_str(c, v, 0, &s);

    *out = TIME_NONE;
    if (g != INGEST_OK)
        return g;
    if (time_parse_iso(s, out, &naive) != ERR_OK) {
        ingest_error(c, "not an ISO 8601 time: %s",
                     ingest_quote(c, s, strlen(s)));
        return INGEST_BAD;
    }
    if (naive)
        ingest_warn(c, "no time zone; read as UTC");
    return INGEST_OK;
}

enum ingest_got ingest_get_time(struct ingest_ctx *c, const json_t *obj,
                                const char *key, int64_t *out)
{
    size_t mark = ingest_ptr_push(c, key);
    enum ingest_got g = ingest_time(c, member(obj, key), out);

    ingest_ptr_pop(c, mark);
    return g;
}

static enum ingest_got get_typed(struct ingest_ctx *c, const json_t *obj,
                                 const char *key, json_type type,
                                 const char *what, json_t **out)
{
    json_t *v = member(obj, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return INGEST_ABSENT;
    if (json_typeof(v) != type) {
        ingest_error_key(c, key, "expected %s, got %s", what,
                         ingest_type_name(c, v));
        return INGEST_BAD;
    }
    *out = v;
    return INGEST_OK;
}

enum ingest_got ingest_get_obj(struct ingest_ctx *c, const json_t *obj,
                               const char *key, json_t **out)
{
    return get_typed(c, obj, key, JSON_OBJECT, "an object", out);
}

enum ingest_got ingest_get_arr(struct ingest_ctx *c, const json_t *obj,
                               const char *key, json_t **out)
{
    return get_typed(c, obj, key, JSON_ARRAY, "an array", out);
}

enum ingest_got ingest_num_array(struct ingest_ctx *c, const json_t *arr,
                                 double **out, size_t *n)
{
    size_t len = json_array_size(arr);
    double *v;
    bool bad = false;

    *out = NULL;
    *n = 0;
    if (len > c->lim->max_samples) {
        ingest_error_limit(c, "%zu values; the limit is %zu", len,
                           c->lim->max_samples);
        return INGEST_BAD;
    }
    if (len == 0)
        return INGEST_OK;
    v = xmalloc(len * sizeof *v);
    for (size_t i = 0; i < len; i++) {
        const json_t *e = json_array_get(arr, i);

        if (json_is_real(e)) {
            v[i] = json_real_value(e);
        } else if (json_is_integer(e)) {
            v[i] = (double)json_integer_value(e);
        } else {
            size_t mark = ingest_ptr_push_index(c, i);

            if (ingest_num(c, e, &v[i]) == INGEST_ABSENT)
                ingest_error(c, "expected a number, got null");
            ingest_ptr_pop(c, mark);
            bad = true;
        }
    }
    if (bad) {
        free(v);
        return INGEST_BAD;
    }
    *out = v;
    *n = len;
    return INGEST_OK;
}

/* ---- free JSON ---------------------------------------------------------- */

/*
 * A key or string of free JSON: params hold names (a key, a string value:
 * at most max_name bytes, one line; a value may be empty, a key may not be
 * blank), metadata and machine facts hold text (at most max_text bytes;
 * TAB, LF, CR allowed; keys one line of at most max_name bytes).  jansson
 * has checked the UTF-8 of a JSON body, but JSON_ALLOW_NUL lets "\u0000"
 * in; free JSON that a text format builds is checked by ingest.c's
 * stored_json_check().
 */
static void free_text(struct ingest_ctx *c, const char *s, size_t n, bool names,
                      bool key)
{
    char why[TEXT_WHY_LEN];
    size_t max = names || key ? c->lim->max_name : c->lim->max_text;
    unsigned flags = names && key   ? 0 /* a param name is a name */
                     : names || key ? TEXT_BLANK_OK
                                    : TEXT_BLANK_OK | TEXT_MULTILINE;

    if (!text_valid(s, n, max, flags, why, sizeof why))
        ingest_error(c, "%s%s", key ? "key: " : "", why);
}

void ingest_free_key_check(struct ingest_ctx *c, const char *key, bool names)
{
    /* jansson refuses a NUL in a key ("NUL byte in object key not
     * supported"), so the C string is the whole key. */
    free_text(c, key, strlen(key), names, true);
}

static void clean(struct ingest_ctx *c, json_t *v, bool names)
{
    const char *key;
    json_t *child;
    size_t i, mark;

    if (json_is_string(v)) {
        if (ingest_nonfinite_of(c, v) == INGEST_FINITE)
            free_text(c, json_string_value(v), json_string_length(v), names,
                      false);
    } else if (json_is_object(v)) {
        void *it = json_object_iter(v);

        for (; it; it = json_object_iter_next(v, it)) {
            key = json_object_iter_key(it);
            child = json_object_iter_value(it);
            mark = ingest_ptr_push(c, key);
            ingest_free_key_check(c, key, names);
            if (c->markers && ingest_nonfinite_of(c, child) != INGEST_FINITE) {
                ingest_warn(
                    c, "%s replaced by null",
                    ingest_nonfinite_name(ingest_nonfinite_of(c, child)));
                /* Replacing an existing key keeps the iteration valid. */
                json_object_iter_set_new(v, it, json_null());
            } else {
                clean(c, child, names);
            }
            ingest_ptr_pop(c, mark);
        }
    } else if (json_is_array(v)) {
        json_array_foreach (v, i, child) {
            mark = ingest_ptr_push_index(c, i);
            if (c->markers && ingest_nonfinite_of(c, child) != INGEST_FINITE) {
                ingest_warn(
                    c, "%s replaced by null",
                    ingest_nonfinite_name(ingest_nonfinite_of(c, child)));
                json_array_set_new(v, i, json_null());
            } else {
                clean(c, child, names);
            }
            ingest_ptr_pop(c, mark);
        }
    }
}

void ingest_json_clean(struct ingest_ctx *c, json_t *v)
{
    clean(c, v, false);
}

void ingest_params_clean(struct ingest_ctx *c, json_t *v)
{
    clean(c, v, true);
}
