/*
 * A CSV reader (RFC 4180, as Python's csv module writes it: locust's
 * files).
 *
 * Design notes:
 *  1. One record at a time: the fields of the record just read live in
 *     the reader (one buffer, NUL-separated, plus offsets), so a file of a
 *     million rows costs one record of memory beyond the body.
 *  2. Records end at LF or CRLF outside quotes; a lone CR inside a field is
 *     kept.  A quoted field may hold ',', line ends and '""' (one quote).
 *  3. Strict where a lenient reader would guess: text after a closing
 *     quote, or a quote that never closes, is an error with its line, not
 *     a silently merged field.  A quote inside an unquoted field is kept
 *     as text (Python writes such fields quoted, so it only appears in
 *     hand-made files, and there it means itself).
 *  4. Bounded: at most INGEST_CSV_MAX_FIELDS fields a record; the bytes
 *     are bounded by the body limit already.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

void ingest_csv_init(struct ingest_csv *r, const char *p, size_t n)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->n = n;
    r->next_line = 1;
    buf_init(&r->text, 0);
}

void ingest_csv_cleanup(struct ingest_csv *r)
{
    buf_cleanup(&r->text);
    free(r->off);
    free(r->len);
    memset(r, 0, sizeof *r);
}

static bool field_begin(struct ingest_csv *r)
{
    if (r->nfields == INGEST_CSV_MAX_FIELDS)
        return false;
    if (r->nfields == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->off = xreallocarray(r->off, r->cap, sizeof *r->off);
        r->len = xreallocarray(r->len, r->cap, sizeof *r->len);
    }
    r->off[r->nfields] = r->text.len;
    r->len[r->nfields] = 0;
    r->nfields++;
    return true;
}

static void field_end(struct ingest_csv *r)
{
    r->len[r->nfields - 1] = r->text.len - r->off[r->nfields - 1];
    (void)buf_addc(&r->text, '\0');
}

int ingest_csv_next(struct ingest_csv *r, const char **why)
{
    const char *p = r->p;
    size_t i = r->pos, n = r->n;

    *why = NULL;
    buf_reset(&r->text);
    r->nfields = 0;
    if (i >= n)
        return 0;
    r->line = r->next_line;
    for (;;) {
        if (!field_begin(r)) {
            *why = "more than 4096 fields in one record";
            return -1;
        }
        if (i < n && p[i] == '"') {
            for (i++;; i++) {
                if (i >= n) {
                    *why = "a quoted field is never closed";
                    return -1;
                }
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        (void)buf_addc(&r->text, '"');
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                if (p[i] == '\n')
                    r->next_line++;
                (void)buf_addc(&r->text, p[i]);
            }
            if (i < n && p[i] != ',' && p[i] != '\n' &&
                !(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') &&
                !(p[i] == '\r' && i + 1 == n)) {
                *why = "text after the closing quote of a field";
                return -1;
            }
        } else {
            size_t start = i;

            while (i < n && p[i] != ',' && p[i] != '\n')
                i++;
            /* The CR of a CRLF belongs to the line end. */
            (void)buf_add(&r->text, p + start,
                          i - start -
                              (i > start && p[i - 1] == '\r' &&
                               (i == n || p[i] == '\n')));
        }
        field_end(r);
        if (i < n && p[i] == '\r')
            i++;
        if (i >= n || p[i] == '\n') {
            if (i < n)
                i++;
            r->next_line++;
            break;
        }
        i++; /* the ',' */
    }
    r->pos = i;
    return 1;
}

const char *ingest_csv_field(const struct ingest_csv *r, size_t i)
{
    return i < r->nfields ? r->text.data + r->off[i] : "";
}

size_t ingest_csv_field_len(const struct ingest_csv *r, size_t i)
{
    return i < r->nfields ? r->len[i] : 0;
}
