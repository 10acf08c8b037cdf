/*
 * locust's `--csv PREFIX` files (2.12.1 as Debian ships it; the column
 * names of 1.x and 2.x).  FORMATS.md section 4.  Text, so it never goes
 * through the JSON pre-scan.
 *
 * Input: the PREFIX_stats.csv bytes as the body (text/csv), or a
 * multipart/form-data body with the parts "stats" (required),
 * "stats_history" and "failures" (optional).
 *
 * Mapping (docs/formats.md), one benchmark per (Type, Name) row: the
 * benchmark is Name with params {"method": Type}; the final row (empty
 * Type, Name "Aggregated") is the benchmark "Aggregated" with no params.
 *   Average/Median/Min/Max Response Time  measure latency (ms -> s):
 *                             value = mean (note 2), median, min, max
 *   50%, 66%, ... 100%       measures latency_p50, latency_p66, ...,
 *                             latency_p99.9, latency_p100 (ms -> s)
 *   Requests/s               measure throughput (1/s)
 *   Failures/s               measure failures_per_second (1/s)
 *   Failure/Request Count    measure failure_rate (%) = 100 * failures /
 *                             requests
 *   Average Content Size     measure response_size (B)
 *   stats_history            metadata.locust_history: one object per
 *                             history row (t = Unix seconds, users,
 *                             type, name, requests_per_s, failures_per_s,
 *                             p50_s ..., requests, failures, median_s,
 *                             mean_s, min_s, max_s, content_size_b; N/A ->
 *                             null); its first timestamp -> started_at
 *   Request/Failure Count    metadata.locust_requests: {key: {requests,
 *                             failures}} (note 5)
 *   failures                 metadata.locust_failures (method, name,
 *                             error, occurrences)
 *
 * Design notes:
 *  1. Columns are found by header name (case-insensitive, with the 1.x
 *     spellings), never by position; percentile columns are any header
 *     "<number>%".  A missing required column is one error at the header.
 *  2. The latency value is the mean: the median and percentiles are
 *     integers read off a rounded histogram (exact only to 1 ms below
 *     100 ms), so a 20% change of a 2 ms median is invisible in them.
 *     They are stored too, as written.
 *  3. Why the history is metadata and not resource samples: its columns
 *     (users, current RPS, windowed percentiles) are load-test state, not
 *     the CPU/RSS/IO of a process that resource_sample holds, and locust
 *     flushes it only every 10 s and loses the tail at exit (FORMATS.md),
 *     so it is context for a person, not a series to alert on.
 *  4. Pointers for errors are /<part>/<line>/<column>, e.g.
 *     /stats/3/Median Response Time.
 *  5. Every measure here is one value per run (no per-request samples,
 *     no stddev), so its n is 1 (ingest/result.c note 4): a comparison
 *     must not read the request count as a sample size.  The counts are
 *     kept in metadata.locust_requests by benchmark key.
 */
#include "ingest/ingest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The stats file's columns (note 1). */
enum col {
    C_TYPE,
    C_NAME,
    C_REQUESTS,
    C_FAILURES,
    C_MEDIAN,
    C_MEAN,
    C_MIN,
    C_MAX,
    C_SIZE,
    C_RPS,
    C_FPS,
    C_COUNT
};

static const struct {
    const char *names[2]; /* 2.x spelling, 1.x spelling */
    bool required;
} cols[C_COUNT] = {
    [C_TYPE] = {{"Type", "Method"}, true},
    [C_NAME] = {{"Name", NULL}, true},
    [C_REQUESTS] = {{"Request Count", "# requests"}, true},
    [C_FAILURES] = {{"Failure Count", "# failures"}, true},
    [C_MEDIAN] = {{"Median Response Time", NULL}, false},
    [C_MEAN] = {{"Average Response Time", NULL}, true},
    [C_MIN] = {{"Min Response Time", NULL}, false},
    [C_MAX] = {{"Max Response Time", NULL}, false},
    [C_SIZE] = {{"Average Content Size", NULL}, false},
    [C_RPS] = {{"Requests/s", NULL}, true},
    [C_FPS] = {{"Failures/s", NULL}, false},
};

/* History columns: header -> metadata key, and whether it is in ms. */
static const struct {
    const char *header, *key;
    bool ms;
} hist_cols[] = {
    {"Timestamp", "t", false},
    {"User Count", "users", false},
    {"Type", "type", false},
    {"Name", "name", false},
    {"Requests/s", "requests_per_s", false},
    {"Failures/s", "failures_per_s", false},
    {"Total Request Count", "requests", false},
    {"Total Failure Count", "failures", false},
    {"Total Median Response Time", "median_s", true},
    {"Total Average Response Time", "mean_s", true},
    {"Total Min Response Time", "min_s", true},
    {"Total Max Response Time", "max_s", true},
    {"Total Average Content Size", "content_size_b", false},
};

#define STATS_HEADER "Type,Name,"
#define STATS_HEADER_1X "Method,Name,"
#define HISTORY_HEADER "Timestamp,User Count,"

static bool starts(const char *p, size_t n, const char *s)
{
    size_t sl = strlen(s);

    return n >= sl && memcmp(p, s, sl) == 0;
}

/* Whether the first line of p holds needle. */
static bool first_line_has(const char *p, size_t n, const char *needle)
{
    const char *nl = memchr(p, '\n', n);
    size_t ln = nl ? (size_t)(nl - p) : n, sl = strlen(needle);

    for (size_t i = 0; ln >= sl && i <= ln - sl; i++)
        if (memcmp(p + i, needle, sl) == 0)
            return true;
    return false;
}

bool ingest_locust_sniff(const char *p, size_t n)
{
    if (starts(p, n, HISTORY_HEADER))
        return true;
    return (starts(p, n, STATS_HEADER) || starts(p, n, STATS_HEADER_1X)) &&
           first_line_has(p, n, "Requests/s");
}

/* ---- reading fields ----------------------------------------------------- */

struct header {
    int idx[C_COUNT];     /* column of each field, -1 when absent */
    size_t *pct_col;      /* owns: percentile columns */
    char (*pct_name)[40]; /* owns: their measure names */
    size_t npct;
};

/* Number in column col of the record, at /<part>/<line>/<header name>.
 * OK, ABSENT (empty, N/A, or non-finite with a warning), BAD (reported). */
static enum ingest_got cell_num(struct ingest_ctx *c,
                                const struct ingest_csv *r, const char *colname,
                                int col, double *out)
{
    enum ingest_textnum t;
    size_t mark;

    *out = NAN;
    if (col < 0)
        return INGEST_ABSENT;
    t = ingest_text_num(ingest_csv_field(r, (size_t)col),
                        ingest_csv_field_len(r, (size_t)col), out);
    if (t == INGEST_TN_OK)
        return INGEST_OK;
    if (t == INGEST_TN_ABSENT)
        return INGEST_ABSENT;
    mark = ingest_ptr_push(c, colname);
    if (t == INGEST_TN_NONFINITE) {
        ingest_warn(c, "%s is not a finite number; not stored",
                    ingest_quote(c, ingest_csv_field(r, (size_t)col),
                                 ingest_csv_field_len(r, (size_t)col)));
        ingest_ptr_pop(c, mark);
        return INGEST_ABSENT;
    }
    ingest_error(c, "expected a number, got %s",
                 ingest_quote(c, ingest_csv_field(r, (size_t)col),
                              ingest_csv_field_len(r, (size_t)col)));
    ingest_ptr_pop(c, mark);
    return INGEST_BAD;
}

static bool percent_header(const char *h, size_t n, char *name, size_t size)
{
    double v;

    if (n < 2 || h[n - 1] != '%' ||
        ingest_text_num(h, n - 1, &v) != INGEST_TN_OK || v < 0 || v > 100)
        return false;
    snprintf(name, size, "latency_p%.*s", (int)(n - 1), h);
    return true;
}

static void header_cleanup(struct header *h)
{
    free(h->pct_col);
    free(h->pct_name);
}

/* The stats header (note 1); false after reporting what is missing. */
static bool stats_header(struct ingest_ctx *c, const struct ingest_csv *r,
                         struct header *h)
{
    bool ok = true;

    memset(h, 0, sizeof *h);
    for (int k = 0; k < C_COUNT; k++)
        h->idx[k] = -1;
    h->pct_col = xcalloc(r->nfields, sizeof *h->pct_col);
    h->pct_name = xcalloc(r->nfields, sizeof *h->pct_name);
    for (size_t i = 0; i < r->nfields; i++) {
        const char *f = ingest_csv_field(r, i);
        size_t fl = ingest_csv_field_len(r, i);

        for (int k = 0; k < C_COUNT; k++)
            for (int a = 0; a < 2; a++)
                if (cols[k].names[a] && h->idx[k] < 0 &&
                    strcasecmp(f, cols[k].names[a]) == 0)
                    h->idx[k] = (int)i;
        if (percent_header(f, fl, h->pct_name[h->npct], sizeof h->pct_name[0]))
            h->pct_col[h->npct++] = i;
    }
    for (int k = 0; k < C_COUNT; k++) {
        if (cols[k].required && h->idx[k] < 0) {
            ingest_error(c, "no column \"%s\": not a locust _stats.csv file",
                         cols[k].names[0]);
            ok = false;
        }
    }
    return ok;
}

/* ---- the stats file ------------------------------------------------------ */

static void one(struct ingest_ctx *c, const struct ingest_bench *b,
                const char *measure, const char *unit, double v, int64_t n)
{
    struct result res;

    result_init(&res);
    res.value = v;
    res.n = n;
    ingest_measure_add(c, b, measure, unit, &res);
    result_cleanup(&res);
}

static void stats_row(struct ingest_ctx *c, const struct ingest_csv *r,
                      const struct header *h, json_t *counts)
{
    struct ingest_bench b = {NULL, NULL, NULL};
    const char *type = ingest_csv_field(r, (size_t)h->idx[C_TYPE]);
    const char *name = ingest_csv_field(r, (size_t)h->idx[C_NAME]);
    size_t tl = ingest_csv_field_len(r, (size_t)h->idx[C_TYPE]);
    size_t nl = ingest_csv_field_len(r, (size_t)h->idx[C_NAME]);
    double reqs, fails, v[C_COUNT];
    enum ingest_got g[C_COUNT];
    struct result res;
    json_t *params = NULL;
    bool ok = true;
    size_t mark;

    mark = ingest_ptr_push(c, "Name");
    ok &= ingest_name_check(c, name, nl);
    ingest_ptr_pop(c, mark);
    if (tl) {
        mark = ingest_ptr_push(c, cols[C_TYPE].names[0]);
        ok &= ingest_name_check(c, type, tl);
        ingest_ptr_pop(c, mark);
    }
    for (int k = C_REQUESTS; k < C_COUNT; k++) {
        g[k] = cell_num(c, r, cols[k].names[0], h->idx[k], &v[k]);
        ok &= g[k] != INGEST_BAD;
    }
    reqs = v[C_REQUESTS];
    fails = v[C_FAILURES];
    /* A count: whole, and small enough to convert (2^53). */
    if (ok && (g[C_REQUESTS] != INGEST_OK || reqs < 0 ||
               reqs > 9007199254740992.0 || reqs != floor(reqs))) {
        ingest_error_key(c, cols[C_REQUESTS].names[0],
                         "expected a count of requests");
        ok = false;
    }
    if (!ok)
        return;
    /* The Aggregated row has an empty Type: no params. */
    if (tl) {
        params = json_object();
        json_object_set_new(params, "method", json_stringn(type, tl));
    }
    ingest_bench_set(&b, name, params);
    json_decref(params);
    /* Note 5: the counts the single values stand for. */
    json_object_set_new(
        counts, b.key,
        json_pack("{s:I,s:I}", "requests", (json_int_t)reqs, "failures",
                  (json_int_t)(g[C_FAILURES] == INGEST_OK && fails >= 0 &&
                                       fails <= reqs
                                   ? fails
                                   : 0)));
    if (reqs <= 0) {
        ingest_warn(c, "%s had no requests: only its rates are stored", b.key);
    } else {
        result_init(&res);
        res.value = res.mean = v[C_MEAN];
        res.median = v[C_MEDIAN];
        res.min = v[C_MIN];
        res.max = v[C_MAX];
        if (g[C_MEAN] == INGEST_OK)
            ingest_measure_add(c, &b, "latency", "ms", &res);
        result_cleanup(&res);
        for (size_t i = 0; i < h->npct; i++) {
            char hdr[48];
            double pv;

            /* "latency_p99.9" came from the header "99.9%". */
            snprintf(hdr, sizeof hdr, "%s%%", h->pct_name[i] + 9);
            if (cell_num(c, r, hdr, (int)h->pct_col[i], &pv) == INGEST_OK)
                one(c, &b, h->pct_name[i], "ms", pv, -1);
        }
        if (g[C_FAILURES] == INGEST_OK && fails >= 0)
            one(c, &b, "failure_rate", "%", 100.0 * fails / reqs, -1);
        if (g[C_SIZE] == INGEST_OK)
            one(c, &b, "response_size", "B", v[C_SIZE], -1);
    }
    if (g[C_RPS] == INGEST_OK)
        one(c, &b, "throughput", "req/s", v[C_RPS], -1);
    if (g[C_FPS] == INGEST_OK)
        one(c, &b, "failures_per_second", "1/s", v[C_FPS], -1);
    ingest_bench_cleanup(&b);
}

static void parse_stats(struct ingest_ctx *c, const char *p, size_t n,
                        json_t *counts)
{
    struct ingest_csv r;
    struct header h;
    const char *why;
    int got;
    bool have_header = false;
    size_t mark = ingest_ptr_push(c, "stats");

    memset(&h, 0, sizeof h);
    ingest_csv_init(&r, p, n);
    while ((got = ingest_csv_next(&r, &why)) != 0) {
        size_t m2 = ingest_ptr_push_index(c, r.line);

        if (got < 0) {
            ingest_error(c, "%s", why);
            ingest_ptr_pop(c, m2);
            break;
        }
        if (r.nfields == 1 && ingest_csv_field_len(&r, 0) == 0) {
            ingest_ptr_pop(c, m2); /* a blank line */
            continue;
        }
        if (!have_header) {
            have_header = true;
            if (!stats_header(c, &r, &h)) {
                ingest_ptr_pop(c, m2);
                break;
            }
        } else {
            stats_row(c, &r, &h, counts);
        }
        ingest_ptr_pop(c, m2);
    }
    ingest_csv_cleanup(&r);
    header_cleanup(&h);
    ingest_ptr_pop(c, mark);
}

/* ---- history and failures (metadata) ------------------------------------- */

/* One cell as JSON: a number (ms columns converted to s), a string, or
 * null for "" and N/A.  NULL after reporting text that is not UTF-8. */
static json_t *cell_json(struct ingest_ctx *c, const char *f, size_t fl,
                         bool ms, const char *colname)
{
    json_t *num;
    double d;

    if (fl == 0 || (fl == 3 && memcmp(f, "N/A", 3) == 0))
        return json_null();
    if (ingest_text_num(f, fl, &d) == INGEST_TN_NONFINITE) {
        size_t mark = ingest_ptr_push(c, colname);

        ingest_warn(c, "%s replaced by null", ingest_quote(c, f, fl));
        ingest_ptr_pop(c, mark);
        return json_null();
    }
    num = ingest_text_json_num(f, fl);
    if (num && ms) {
        d = unit_convert(json_number_value(num), 1e-3);
        json_decref(num);
        return json_real(d);
    }
    if (num)
        return num;
    if (!text_utf8_valid(f, fl)) {
        ingest_error_key(c, colname, "not valid UTF-8");
        return NULL;
    }
    return json_stringn(f, fl);
}

/* The metadata key of a history column: the table's, "p50_s" for "50%",
 * else the header as written. */
static void hist_key(const char *hname, size_t hl, char *key, size_t size,
                     bool *ms)
{
    double v;

    *ms = false;
    for (size_t i = 0; i < sizeof hist_cols / sizeof hist_cols[0]; i++) {
        if (strcasecmp(hname, hist_cols[i].header) == 0) {
            snprintf(key, size, "%s", hist_cols[i].key);
            *ms = hist_cols[i].ms;
            return;
        }
    }
    if (hl >= 2 && hname[hl - 1] == '%' &&
        ingest_text_num(hname, hl - 1, &v) == INGEST_TN_OK) {
        snprintf(key, size, "p%.*s_s", (int)(hl - 1), hname);
        *ms = true;
        return;
    }
    snprintf(key, size, "%s", hname);
}

/*
 * A CSV part as an array of row objects keyed from its header: the
 * history's keys (hist_key), or the header lower-cased (failures).  part
 * names the pointer.
 */
static json_t *csv_rows(struct ingest_ctx *c, const char *part, const char *p,
                        size_t n, bool history)
{
    struct ingest_csv r;
    const char *why;
    json_t *rows = json_array(), *header = json_array();
    int got;
    size_t mark = ingest_ptr_push(c, part);

    ingest_csv_init(&r, p, n);
    while ((got = ingest_csv_next(&r, &why)) != 0) {
        size_t m2 = ingest_ptr_push_index(c, r.line);
        json_t *row;

        if (got < 0) {
            ingest_error(c, "%s", why);
            ingest_ptr_pop(c, m2);
            break;
        }
        if (r.nfields == 1 && ingest_csv_field_len(&r, 0) == 0) {
            ingest_ptr_pop(c, m2);
            continue;
        }
        if (!json_array_size(header)) {
            for (size_t i = 0; i < r.nfields; i++) {
                char key[128];
                bool ms = false;
                const char *f = ingest_csv_field(&r, i);
                size_t fl = ingest_csv_field_len(&r, i);

                if (!text_utf8_valid(f, fl) || memchr(f, '\0', fl)) {
                    ingest_error(c, "header %zu is not valid UTF-8", i + 1);
                    break;
                }
                if (history) {
                    hist_key(f, fl, key, sizeof key, &ms);
                } else {
                    /* failures: Method,Name,Error,Occurrences */
                    size_t k;

                    for (k = 0; k < fl && k + 1 < sizeof key; k++)
                        key[k] =
                            (char)(f[k] >= 'A' && f[k] <= 'Z' ? f[k] - 'A' + 'a'
                                                              : f[k]);
                    key[k] = '\0';
                }
                json_array_append_new(header,
                                      json_pack("{s:s,s:b,s:s}", "key", key,
                                                "ms", ms, "name", f));
            }
            ingest_ptr_pop(c, m2);
            if (json_array_size(header) != r.nfields)
                break;
            continue;
        }
        row = json_object();
        for (size_t i = 0; i < r.nfields && i < json_array_size(header); i++) {
            json_t *hd = json_array_get(header, i);
            json_t *cell = cell_json(
                c, ingest_csv_field(&r, i), ingest_csv_field_len(&r, i),
                json_is_true(json_object_get(hd, "ms")),
                json_string_value(json_object_get(hd, "name")));

            if (cell)
                json_object_set_new(
                    row, json_string_value(json_object_get(hd, "key")), cell);
        }
        json_array_append_new(rows, row);
        ingest_ptr_pop(c, m2);
    }
    ingest_csv_cleanup(&r);
    json_decref(header);
    ingest_ptr_pop(c, mark);
    return rows;
}

static const struct ingest_part *part_named(const struct ingest_input *in,
                                            const char *name)
{
    for (size_t i = 0; i < in->nparts; i++)
        if (strcmp(in->parts[i].name, name) == 0)
            return &in->parts[i];
    return NULL;
}

void ingest_locust_parse(struct ingest_ctx *c, const struct ingest_input *in)
{
    static const char *const known[] = {"stats", "stats_history", "failures"};
    const struct ingest_part *hist = part_named(in, "stats_history");
    const struct ingest_part *fails = part_named(in, "failures");
    json_t *meta = json_object(), *counts = json_object();

    for (size_t i = 0; i < in->nparts; i++) {
        size_t k;

        for (k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strcmp(in->parts[i].name, known[k]) == 0)
                break;
        if (k == sizeof known / sizeof known[0])
            ingest_warn(
                c,
                "multipart part %s ignored (locust reads stats, "
                "stats_history and failures)",
                ingest_quote(c, in->parts[i].name, strlen(in->parts[i].name)));
    }
    if (in->nparts && !part_named(in, "stats") &&
        !(in->nparts == 1 && !hist && !fails)) {
        ingest_error_key(c, "stats",
                         "the multipart body has no part "
                         "\"stats\" (PREFIX_stats.csv)");
        goto out;
    }
    if (starts(in->data, in->len, HISTORY_HEADER)) {
        ingest_error(c, "this is locust's _stats_history.csv: send "
                        "PREFIX_stats.csv, or both as the multipart parts "
                        "\"stats\" and \"stats_history\"");
        goto out;
    }
    parse_stats(c, in->data, in->len, counts);
    if (json_object_size(counts))
        json_object_set(meta, "locust_requests", counts);
    if (hist && hist->len) {
        json_t *rows =
            csv_rows(c, "stats_history", hist->data, hist->len, true);
        json_t *t = json_object_get(json_array_get(rows, 0), "t");

        if (json_is_integer(t) && json_integer_value(t) > 0 &&
            json_integer_value(t) < INT64_MAX / 1000)
            c->run->started_at = json_integer_value(t) * 1000;
        json_object_set_new(meta, "locust_history", rows);
    }
    if (fails && fails->len)
        json_object_set_new(
            meta, "locust_failures",
            csv_rows(c, "failures", fails->data, fails->len, false));
    ingest_set_json(&c->run->metadata, meta);
out:
    json_decref(counts);
    json_decref(meta);
}
