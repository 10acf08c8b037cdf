/*
 * Helpers the tool adapters share (fmt_pytest.c, fmt_gbench.c, ...): a
 * benchmark's identity, adding a measure in a unit as the tool writes it,
 * statistics derived from samples, numbers and names read from text.
 *
 * Design notes:
 *  1. Units are converted once, in ingest_result_add, with core's exact
 *     unit_convert (12.3 ms is the double nearest 0.0123).  Adapters pass
 *     the unit the tool wrote ("ns", "ms", "ops/s"); every such unit is a
 *     constant in an adapter's table, so an unknown one is our bug (an
 *     assert), never the input's.
 *  2. Non-finite numbers are never stored.  In a tool's optional statistic
 *     they become "absent" with a warning (the tool wrote NaN for "not
 *     defined"); the adapter decides whether a measure without its central
 *     value is skipped (with a warning) or is an error.
 *  3. Text numbers accept only decimal notation ([+-]digits[.digits][e..]):
 *     strtod alone would also take hex floats, "inf" and leading spaces.
 */
#include "ingest/ingest_int.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ingest_set_owned(char **field, const char *s)
{
    free(*field);
    *field = xstrdup(s);
}

void ingest_set_json(char **field, const json_t *obj)
{
    if (!obj)
        return;
    free(*field);
    *field = ingest_json_canon_str(obj);
}

/* ---- identity and measures ---------------------------------------------- */

void ingest_bench_set(struct ingest_bench *b, const char *name,
                      const json_t *params)
{
    ingest_bench_cleanup(b);
    b->name = xstrdup(name);
    ingest_params_key(name, params, &b->params, &b->key);
}

void ingest_bench_cleanup(struct ingest_bench *b)
{
    free(b->name);
    free(b->params);
    free(b->key);
    memset(b, 0, sizeof *b);
}

void ingest_measure_add(struct ingest_ctx *c, const struct ingest_bench *b,
                        const char *measure, const char *unit,
                        struct result *res)
{
    const char *canonical;
    double factor;
    enum err e = unit_canonical(unit, &canonical, &factor);

    assert(e == ERR_OK && "adapters name units core knows");
    (void)e;
    /* Adapters that build sample arrays from rows (gbench, gotest) meet
     * the limit here; JSON arrays meet it in ingest_num_array. */
    if (res->nsamples > c->lim->max_samples) {
        ingest_error_limit(c, "%s: %zu samples; the limit is %zu", measure,
                           res->nsamples, c->lim->max_samples);
        result_cleanup(res);
        return;
    }
    free(res->benchmark);
    free(res->params);
    free(res->key);
    free(res->measure);
    free(res->unit);
    res->benchmark = xstrdup(b->name);
    res->params = xstrdup(b->params);
    res->key = xstrdup(b->key);
    res->measure = xstrdup(measure);
    res->unit = xstrdup(canonical);
    ingest_result_add(c, res, factor);
}

void ingest_stats_from_samples(struct result *res)
{
    size_t n = res->nsamples;
    double sum = 0, lo, hi;

    if (n == 0)
        return;
    lo = hi = res->samples[0];
    for (size_t i = 0; i < n; i++) {
        sum += res->samples[i];
        lo = res->samples[i] < lo ? res->samples[i] : lo;
        hi = res->samples[i] > hi ? res->samples[i] : hi;
    }
    if (isnan(res->mean))
        res->mean = sum / (double)n;
    if (isnan(res->median))
        res->median = ingest_median(res->samples, n);
    if (isnan(res->min))
        res->min = lo;
    if (isnan(res->max))
        res->max = hi;
    if (isnan(res->stddev) && n >= 2) {
        double m = sum / (double)n, ss = 0;

        for (size_t i = 0; i < n; i++)
            ss += (res->samples[i] - m) * (res->samples[i] - m);
        res->stddev = sqrt(ss / (double)(n - 1));
    }
}

/* ---- JSON statistics ---------------------------------------------------- */

enum ingest_got ingest_get_stat(struct ingest_ctx *c, const json_t *obj,
                                const char *key, double *out)
{
    const json_t *v = obj ? json_object_get(obj, key) : NULL;
    enum ingest_nonfinite k = ingest_nonfinite_of(c, v);
    size_t mark;

    *out = NAN;
    if (k == INGEST_FINITE)
        return ingest_get_num(c, obj, key, out);
    mark = ingest_ptr_push(c, key);
    ingest_warn(c, "%s is not a number; not stored", ingest_nonfinite_name(k));
    ingest_ptr_pop(c, mark);
    return INGEST_ABSENT;
}

enum ingest_got ingest_sample_array(struct ingest_ctx *c, const json_t *arr,
                                    double **out, size_t *n)
{
    size_t len = json_array_size(arr), skipped = 0;
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
            v[*n] = json_real_value(e);
        } else if (json_is_integer(e)) {
            v[*n] = (double)json_integer_value(e);
        } else if (ingest_nonfinite_of(c, e) != INGEST_FINITE) {
            skipped++;
            continue;
        } else {
            size_t mark = ingest_ptr_push_index(c, i);

            ingest_error(c, "expected a number, got %s",
                         ingest_type_name(c, e));
            ingest_ptr_pop(c, mark);
            bad = true;
            continue;
        }
        (*n)++;
    }
    if (skipped)
        ingest_warn(c, "%zu of %zu values are not finite numbers; left out",
                    skipped, len);
    if (bad || *n == 0) {
        free(v);
        *n = 0;
        return bad ? INGEST_BAD : INGEST_OK;
    }
    *out = v;
    return INGEST_OK;
}

void ingest_clean_members(struct ingest_ctx *c, json_t *obj, const char *except)
{
    const char *k;
    json_t *v;

    json_object_foreach (obj, k, v) {
        size_t mark;
        enum ingest_nonfinite nf;

        if (except && strcmp(k, except) == 0)
            continue;
        mark = ingest_ptr_push(c, k);
        ingest_free_key_check(c, k, false);
        nf = ingest_nonfinite_of(c, v);
        if (nf != INGEST_FINITE) {
            ingest_warn(c, "%s replaced by null", ingest_nonfinite_name(nf));
            /* Replacing an existing key keeps the iteration valid. */
            json_object_set_new(obj, k, json_null());
        } else if (strcmp(k, "params") == 0) {
            ingest_params_clean(c, v);
        } else {
            ingest_json_clean(c, v);
        }
        ingest_ptr_pop(c, mark);
    }
}

/* ---- text --------------------------------------------------------------- */

/* Length of a decimal number at s: [+-]d+[.d*][(e|E)[+-]d+] or
 * [+-].d+[...]; 0 when s does not start with one. */
static size_t decimal_len(const char *s, size_t n, bool json)
{
    size_t i = 0, digits = 0;

    if (i < n && (s[i] == '-' || (!json && s[i] == '+')))
        i++;
    if (json && i < n && s[i] == '0' && i + 1 < n && s[i + 1] >= '0' &&
        s[i + 1] <= '9')
        return 0; /* JSON has no leading zeros */
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (json && digits == 0)
        return 0;
    if (i < n && s[i] == '.') {
        size_t frac = 0;

        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            frac++;
        }
        if (json && frac == 0)
            return 0;
        digits += frac;
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1, ed = 0;

        if (j < n && (s[j] == '-' || s[j] == '+'))
            j++;
        while (j < n && s[j] >= '0' && s[j] <= '9') {
            j++;
            ed++;
        }
        if (ed == 0)
            return 0;
        i = j;
    }
    return i;
}

static bool nonfinite_word(const char *s, size_t n)
{
    static const char *const words[] = {"nan", "inf", "infinity"};

    if (n && (s[0] == '+' || s[0] == '-')) {
        s++;
        n--;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return true;
    return false;
}

enum ingest_textnum ingest_text_num(const char *s, size_t n, double *out)
{
    char tmp[64];

    *out = NAN;
    if (n == 0 || (n == 3 && memcmp(s, "N/A", 3) == 0))
        return INGEST_TN_ABSENT;
    if (nonfinite_word(s, n))
        return INGEST_TN_NONFINITE;
    if (n >= sizeof tmp || decimal_len(s, n, false) != n)
        return INGEST_TN_BAD;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *out = strtod(tmp, NULL);
    if (!isfinite(*out)) {
        *out = NAN;
        return INGEST_TN_NONFINITE; /* 1e999 overflowed */
    }
    return INGEST_TN_OK;
}

json_t *ingest_text_json_num(const char *s, size_t n)
{
    char tmp[64];
    bool integral = true;
    int64_t iv;
    double d;

    if (n == 0 || n >= sizeof tmp || decimal_len(s, n, true) != n)
        return NULL;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    for (size_t i = 0; i < n; i++)
        integral &= (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
    if (integral)
        return parse_int64(tmp, INT64_MIN, INT64_MAX, &iv) == ERR_OK
                   ? json_integer(iv)
                   : NULL;
    d = strtod(tmp, NULL);
    return isfinite(d) ? json_real(d) : NULL;
}
