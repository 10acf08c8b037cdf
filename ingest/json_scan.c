/*
 * Loading a body: one pre-scan pass, then jansson.
 *
 * Why a pre-scan: jansson rejects the bare tokens NaN, Infinity and
 * -Infinity, which Python's json and Google Benchmark really write
 * (FORMATS.md), and it checks nesting only against its compiled-in 2048.
 * The pass tracks whether it is inside a string (skipping escapes), counts
 * nesting against lim->max_depth, and rewrites each bare token in a value
 * position into a marker string ("\u0000NaN", "\u0000Infinity",
 * "\u0000-Infinity"; JSON_ALLOW_NUL lets them through).  The readers then
 * refuse a marker in a numeric field at its pointer (422) and turn one in
 * free JSON into null with a warning.
 *
 * Invariants:
 *  1. The body is copied only when a token is rewritten; otherwise jansson
 *     reads the caller's bytes.
 *  2. Markers count only when this load rewrote something (c->markers), so
 *     a body that spells "\u0000NaN" itself but has no bare token keeps its
 *     string.
 *  3. A token is rewritten only in a value position (after ':', '[', or ','
 *     inside an array) and only as a whole token, so a NaN where a key or
 *     the root belongs still fails in jansson with jansson's message.
 *  4. jansson's error column is in the rewritten text; markers hold no
 *     newline, so only the column needs mapping back, by the growth of the
 *     markers earlier on the same line.
 */
#include "ingest/ingest_int.h"

#include <string.h>

static const struct {
    const char *token;
    const char *marker; /* JSON text of the marker string */
    size_t toklen, markerlen;
} rewrites[] = {
    [INGEST_NAN] = {"NaN", "\"\\u0000NaN\"", 3, 11},
    [INGEST_INF] = {"Infinity", "\"\\u0000Infinity\"", 8, 16},
    [INGEST_NEG_INF] = {"-Infinity", "\"\\u0000-Infinity\"", 9, 17},
};

/* The decoded marker strings, NUL first. */
static const struct {
    const char *s;
    size_t n;
} markers[] = {
    [INGEST_NAN] = {"\0NaN", 4},
    [INGEST_INF] = {"\0Infinity", 9},
    [INGEST_NEG_INF] = {"\0-Infinity", 10},
};

const char *ingest_nonfinite_name(enum ingest_nonfinite k)
{
    return k == INGEST_FINITE ? "a finite number" : rewrites[k].token;
}

enum ingest_nonfinite ingest_nonfinite_of(const struct ingest_ctx *c,
                                          const json_t *v)
{
    const char *s;
    size_t n;

    if (!c->markers || !json_is_string(v))
        return INGEST_FINITE;
    s = json_string_value(v);
    if (s[0] != '\0')
        return INGEST_FINITE;
    n = json_string_length(v);
    for (int k = INGEST_NAN; k <= INGEST_NEG_INF; k++)
        if (n == markers[k].n && memcmp(s, markers[k].s, n) == 0)
            return (enum ingest_nonfinite)k;
    return INGEST_FINITE;
}

static bool is_ws(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* True when the token ends at p[i] (the end, white space or a closer). */
static bool token_ends(const char *p, size_t len, size_t i)
{
    return i == len || is_ws((unsigned char)p[i]) || p[i] == ',' ||
           p[i] == ']' || p[i] == '}';
}

static enum ingest_nonfinite token_at(const char *p, size_t len, size_t i)
{
    for (int k = INGEST_NAN; k <= INGEST_NEG_INF; k++) {
        size_t n = rewrites[k].toklen;

        if (len - i >= n && memcmp(p + i, rewrites[k].token, n) == 0 &&
            token_ends(p, len, i + n))
            return (enum ingest_nonfinite)k;
    }
    return INGEST_FINITE;
}

struct scan {
    struct buf out;         /* the rewritten text, once a token is rewritten */
    size_t copied;          /* body bytes [0, copied) are in out */
    size_t *rw_off;         /* owns; body offset of each rewrite */
    unsigned char *rw_kind; /* owns */
    size_t nrw, caprw;
};

static void rewrite(struct scan *s, const char *p, size_t i,
                    enum ingest_nonfinite k)
{
    if (s->nrw == s->caprw) {
        s->caprw = s->caprw ? s->caprw * 2 : 16;
        s->rw_off = xreallocarray(s->rw_off, s->caprw, sizeof *s->rw_off);
        s->rw_kind = xreallocarray(s->rw_kind, s->caprw, 1);
    }
    s->rw_off[s->nrw] = i;
    s->rw_kind[s->nrw++] = (unsigned char)k;
    /* out has no maximum: it grows by at most 8 bytes per token of a body
     * already bounded by max_body. */
    (void)buf_add(&s->out, p + s->copied, i - s->copied);
    (void)buf_add(&s->out, rewrites[k].marker, rewrites[k].markerlen);
    s->copied = i + rewrites[k].toklen;
}

/*
 * The pass itself.  arrays is a bit stack (bit d set: the container at
 * depth d is an array) telling whether a ',' is followed by a value or by
 * a key.
 */
static enum err scan(struct ingest_ctx *c, const char *p, size_t len,
                     struct scan *s)
{
    unsigned max = c->lim->max_depth;
    unsigned depth = 0;
    unsigned char *arrays = xcalloc((size_t)max / 8 + 2, 1);
    char prev = 0; /* the last significant byte outside strings */
    enum err e = ERR_OK;

    for (size_t i = 0; i < len; i++) {
        char ch = p[i];

        switch (ch) {
        case '"':
            /* Only '"' ends a string; '\\' escapes the next byte. */
            for (i++; i < len && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
            prev = '"';
            break;
        case '{':
        case '[':
            if (depth >= max) {
                err_set(c->eb, "JSON nesting deeper than %u levels", max);
                e = ERR_MALFORMED;
                goto out;
            }
            depth++;
            if (ch == '[')
                arrays[depth / 8] |= (unsigned char)(1u << (depth % 8));
            else
                arrays[depth / 8] &= (unsigned char)~(1u << (depth % 8));
            prev = ch;
            break;
        case '}':
        case ']':
            if (depth > 0)
                depth--;
            prev = ch;
            break;
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        case 'N':
        case 'I':
        case '-': {
            bool value_pos =
                prev == ':' || prev == '[' ||
                (prev == ',' && ((arrays[depth / 8] >> (depth % 8)) & 1));
            enum ingest_nonfinite k =
                value_pos ? token_at(p, len, i) : INGEST_FINITE;

            if (k == INGEST_FINITE) {
                prev = ch;
                break;
            }
            rewrite(s, p, i, k);
            i += rewrites[k].toklen - 1;
            prev = '"';
            break;
        }
        default:
            prev = ch;
            break;
        }
    }
out:
    free(arrays);
    return e;
}

/*
 * The bytes that markers before rewritten position pos added, counting only
 * rewrites at body offsets >= from.  A marker that pos falls inside counts
 * the part read so far.
 */
static size_t growth(const struct scan *s, size_t pos, size_t from)
{
    size_t grown = 0, counted = 0;

    for (size_t k = 0; k < s->nrw; k++) {
        size_t start = s->rw_off[k] + grown;
        size_t mlen = rewrites[s->rw_kind[k]].markerlen;
        size_t tlen = rewrites[s->rw_kind[k]].toklen;
        size_t used, body_used;

        if (start >= pos)
            break;
        used = pos - start < mlen ? pos - start : mlen;
        body_used = used < tlen ? used : tlen;
        grown += used - body_used;
        if (s->rw_off[k] >= from)
            counted += used - body_used;
    }
    return counted;
}

/* jansson's column, counted in the rewritten text, in the body's terms
 * (invariant 4). */
static int body_column(const struct scan *s, const char *p,
                       const json_error_t *je)
{
    size_t pos = je->position > 0 ? (size_t)je->position : 0;
    size_t orig = pos - growth(s, pos, 0), line_start = 0;

    for (size_t i = orig; i > 0; i--) {
        if (p[i - 1] == '\n') {
            line_start = i;
            break;
        }
    }
    return je->column - (int)growth(s, pos, line_start);
}

enum err ingest_json_load(struct ingest_ctx *c, const char *body, size_t len,
                          json_t **root)
{
    struct scan s;
    json_error_t je;
    const char *text;
    size_t i, n;
    enum err e;

    *root = NULL;
    memset(&s, 0, sizeof s);
    buf_init(&s.out, 0);
    /* Some Windows tools start with a UTF-8 byte order mark; jansson
     * refuses it. */
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        body += 3;
        len -= 3;
    }
    for (i = 0; i < len && is_ws((unsigned char)body[i]); i++)
        ;
    if (i == len) {
        err_set(c->eb, "empty body");
        e = ERR_MALFORMED;
        goto out;
    }
    e = scan(c, body, len, &s);
    if (e)
        goto out;
    text = body;
    n = len;
    if (s.nrw) {
        (void)buf_add(&s.out, body + s.copied, len - s.copied);
        text = s.out.data;
        n = s.out.len;
        c->markers = true;
    }
    *root = json_loadb(text, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    if (!*root) {
        err_set(c->eb, "line %d, column %d: %s", je.line,
                s.nrw ? body_column(&s, body, &je) : je.column, je.text);
        e = ERR_MALFORMED;
    }
out:
    buf_cleanup(&s.out);
    free(s.rw_off);
    free(s.rw_kind);
    return e;
}
