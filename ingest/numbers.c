/*
 * Numbers for `benchvault analyze` (ministat-style input): a JSON array of
 * numbers or of [x, y] pairs, or plain text.
 *
 * Design notes:
 * 1. The first non-blank byte decides: '[' is JSON (through
 *    ingest_json_load, so the depth limit and the NaN/Infinity pre-scan
 *    apply, and a non-finite value is reported at its pointer), anything
 *    else is text.
 * 2. Text: numbers separated by white space or commas; '#' starts a
 *    comment that runs to the end of the line.  A token strtod does not
 *    take whole is an error naming its line.  When every non-empty line
 *    holds exactly two numbers and there are at least two such lines, the
 *    numbers are pairs (cols = 2: "x y" per line, as trend and scaling
 *    read them); otherwise they are a flat list (cols = 1).
 * 3. A JSON array of arrays must hold only 2-element arrays (cols = 2).
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = xreallocarray(*v, *cap, sizeof **v);
    }
    (*v)[(*n)++] = x;
}

static enum err parse_text(const char *body, size_t len, size_t max,
                           double **out, size_t *n, int *cols,
                           struct errbuf *eb)
{
    char *text = xstrndup(body, len), *line = text;
    size_t cap = 0, lines = 0, line_no = 0;
    bool all_two = true;
    enum err e = ERR_OK;

    while (line && *line) {
        char *end = strchr(line, '\n'), *p = line, *hash;
        size_t here = 0;

        line_no++;
        if (end)
            *end = '\0';
        hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        for (;;) {
            char *q;
            double x;

            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == ',' ||
                   *p == '\f' || *p == '\v')
                p++;
            if (!*p)
                break;
            errno = 0;
            x = strtod(p, &q);
            if (q == p || (*q && !strchr(" \t\r,\f\v", *q))) {
                size_t tok = strcspn(p, " \t\r,\f\v");

                err_set(eb, "line %zu: \"%.*s\" is not a number", line_no,
                        (int)(tok > 40 ? 40 : tok), p);
                e = ERR_MALFORMED;
                goto out;
            }
            if (!isfinite(x)) {
                err_set(eb, "line %zu: %.*s is not a finite number", line_no,
                        (int)(q - p > 40 ? 40 : q - p), p);
                e = ERR_INVALID;
                goto out;
            }
            if (*n >= max) {
                err_set(eb, "more than %zu numbers", max);
                e = ERR_TOO_LARGE;
                goto out;
            }
            push(out, n, &cap, x);
            here++;
            p = q;
        }
        if (here) {
            lines++;
            all_two = all_two && here == 2;
        }
        line = end ? end + 1 : NULL;
    }
    *cols = all_two && lines >= 2 ? 2 : 1;
out:
    free(text);
    return e;
}

/* One number at the current pointer; errors are reported there. */
static void number(struct ingest_ctx *c, const json_t *v, double **out,
                   size_t *n, size_t *cap)
{
    double x;
    enum ingest_got g = ingest_num(c, v, &x);

    if (g == INGEST_OK)
        push(out, n, cap, x);
    else if (g == INGEST_ABSENT)
        ingest_error(c, "expected a number, got null");
}

static enum err parse_json(const char *body, size_t len, size_t max,
                           double **out, size_t *n, int *cols,
                           struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL, *v;
    size_t i, cap = 0;
    enum err e;

    ingest_limits_default(&lim);
    lim.max_body = len;
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = ingest_json_load(&c, body, len, &root);
    if (e)
        goto out;
    if (!json_is_array(root)) {
        ingest_error(&c, "expected an array of numbers or of [x, y] pairs");
        goto out;
    }
    *cols =
        json_array_size(root) && json_is_array(json_array_get(root, 0)) ? 2 : 1;
    if (json_array_size(root) * (size_t)*cols > max) {
        ingest_error(&c, "more than %zu numbers", max);
        e = ERR_TOO_LARGE;
        goto out;
    }
    json_array_foreach (root, i, v) {
        size_t mark = ingest_ptr_push_index(&c, i);

        if (*cols == 2) {
            if (!json_is_array(v) || json_array_size(v) != 2) {
                ingest_error(&c, "expected an [x, y] pair like the first "
                                 "element");
            } else {
                for (size_t k = 0; k < 2; k++) {
                    size_t m2 = ingest_ptr_push_index(&c, k);

                    number(&c, json_array_get(v, k), out, n, &cap);
                    ingest_ptr_pop(&c, m2);
                }
            }
        } else {
            number(&c, v, out, n, &cap);
        }
        ingest_ptr_pop(&c, mark);
    }
out:
    if (!e && c.nerrors)
        e = ERR_INVALID;
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}

enum err ingest_numbers_parse(const char *body, size_t len, size_t max,
                              double **out, size_t *n, int *cols,
                              struct errbuf *eb)
{
    size_t i = 0;
    enum err e;

    *out = NULL;
    *n = 0;
    *cols = 1;
    while (i < len && strchr(" \t\r\n\f\v", body[i]) && body[i])
        i++;
    if (i < len && body[i] == '[')
        e = parse_json(body, len, max, out, n, cols, eb);
    else
        e = parse_text(body, len, max, out, n, cols, eb);
    if (e) {
        free(*out);
        *out = NULL;
        *n = 0;
        *cols = 1;
    }
    return e;
}
