/*
 * The steps every format adapter ends with: a benchmark's canonical params
 * and display key, unit lookup, and finishing a result (unit conversion,
 * the central value, duplicate detection) into the run.
 *
 * Design notes:
 *  1. Identity is (key, measure).  key is derived from the canonical params
 *     text, so two spellings of the same params ({"b":1,"a":2} and
 *     {"a":2,"b":1}) are one benchmark.
 *  2. Duplicates are found with an open-addressing set of result indexes
 *     (not pointers: run->results moves when it grows), so a 100k-result
 *     run costs O(n), not O(n^2) string comparisons.
 *  3. Values arrive in the unit as written and leave in the canonical unit
 *     (canonical = written * factor, core's unit table, applied by
 *     unit_convert so that 12.3 ms is the double nearest 0.0123).  The
 *     central value is derived after conversion, so a median of samples is
 *     already in canonical units.
 *  4. n says how many values the stored statistics stand for, so that a
 *     comparison can tell a sampled row from a single value: the number
 *     of samples when there are samples (whatever count the tool wrote
 *     beside them); else the count the adapter read (pytest's rounds
 *     beside mean and stddev when data is absent: a summary Welch's test
 *     can use; the native format's "n"); else 1, one value per run.  A
 *     tool adapter leaves n unset for a value that is one per run, even
 *     when the tool averaged it over many (hyperfine's user and system,
 *     locust's latencies): no sample stands behind that count.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- params and key ----------------------------------------------------- */

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ingest_params_key(const char *name, const json_t *params,
                       char **params_json, char **key)
{
    struct buf k;
    size_t n = json_is_object(params) ? json_object_size(params) : 0, i = 0;
    const char **keys;
    const char *pk;
    json_t *pv;

    *params_json = n ? ingest_json_canon_str(params) : xstrdup("{}");
    if (!n) {
        *key = xstrdup(name);
        return;
    }
    keys = xmalloc(n * sizeof *keys);
    json_object_foreach ((json_t *)params, pk, pv)
        keys[i++] = pk;
    qsort(keys, n, sizeof *keys, cmp_keys);
    buf_init(&k, 0);
    (void)buf_adds(&k, name);
    (void)buf_addc(&k, '[');
    for (i = 0; i < n; i++) {
        pv = json_object_get(params, keys[i]);
        if (i)
            (void)buf_addc(&k, ',');
        (void)buf_adds(&k, keys[i]);
        (void)buf_addc(&k, '=');
        /* A string shows as itself (batch=large), anything else as JSON. */
        if (json_is_string(pv))
            (void)buf_add(&k, json_string_value(pv), json_string_length(pv));
        else
            (void)ingest_json_canon(pv, &k);
    }
    (void)buf_addc(&k, ']');
    free(keys);
    *key = buf_take(&k);
}

/* ---- units and values --------------------------------------------------- */

enum ingest_got ingest_unit(struct ingest_ctx *c, const char *unit,
                            const char **canonical, double *factor)
{
    if (unit_canonical(unit, canonical, factor) != ERR_OK) {
        ingest_error(c, "unknown unit %s", ingest_quote(c, unit, strlen(unit)));
        return INGEST_BAD;
    }
    return INGEST_OK;
}

double ingest_median(const double *v, size_t n)
{
    double *s, m;

    if (n == 0)
        return NAN;
    s = xmalloc(n * sizeof *s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, double_cmp);
    m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

/* ---- duplicate set ------------------------------------------------------ */

static uint64_t hash_pair(const char *key, const char *measure)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */

    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    /* A separator no name contains (names have no control characters). */
    h = (h ^ 0x01) * 1099511628211u;
    for (const unsigned char *p = (const unsigned char *)measure; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h;
}

/* Doubles the table (or sizes it for the run's expected results), moving
 * the slots by their stored hash: no key is hashed twice. */
static void dupset_grow(struct ingest_dupset *d, size_t expect)
{
    size_t cap = d->cap ? d->cap * 2 : 64;
    struct ingest_dupslot *slots;

    while (cap < expect * 2)
        cap *= 2;
    slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < d->cap; i++) {
        size_t j;

        if (!d->slots[i].idx)
            continue;
        j = d->slots[i].hash & (cap - 1);
        while (slots[j].idx)
            j = (j + 1) & (cap - 1);
        slots[j] = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
}

/*
 * Finds (key, measure) among the run's results, or claims its slot for
 * result index idx.  Returns the earlier result's index + 1, or 0.
 */
static size_t dupset_claim(struct ingest_dupset *d, const struct run *run,
                           const char *key, const char *measure, size_t idx)
{
    uint64_t h = hash_pair(key, measure);
    uint32_t h32 = (uint32_t)(h >> 32);
    size_t j;

    if ((d->n + 1) * 2 > d->cap)
        dupset_grow(d, run->capresults);
    j = (size_t)h & (d->cap - 1);
    while (d->slots[j].idx) {
        const struct result *r = &run->results[d->slots[j].idx - 1];

        if (d->slots[j].hash == (uint32_t)h && d->slots[j].hash_hi == h32 &&
            strcmp(r->key, key) == 0 && strcmp(r->measure, measure) == 0)
            return d->slots[j].idx;
        j = (j + 1) & (d->cap - 1);
    }
    d->slots[j].idx = (uint32_t)(idx + 1);
    d->slots[j].hash = (uint32_t)h;
    d->slots[j].hash_hi = h32;
    d->n++;
    return 0;
}

/* ---- finishing a result ------------------------------------------------- */

static bool scale(double *v, double factor)
{
    if (isnan(*v))
        return true;
    *v = unit_convert(*v, factor);
    return isfinite(*v);
}

void ingest_result_add(struct ingest_ctx *c, struct result *res, double factor)
{
    double *stats[] = {&res->value, &res->mean, &res->median, &res->stddev,
                       &res->min,   &res->max,  &res->lower,  &res->upper};
    bool ok = true;
    size_t dup;

    if (c->run->nresults >= c->lim->max_results) {
        /* Reported once, not once per result past the limit. */
        if (!c->results_capped)
            ingest_error_limit(c, "more than %zu results", c->lim->max_results);
        c->results_capped = true;
        goto drop;
    }
    if (factor != 1) {
        for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
            ok &= scale(stats[i], factor);
        for (size_t i = 0; i < res->nsamples; i++) {
            res->samples[i] = unit_convert(res->samples[i], factor);
            ok &= isfinite(res->samples[i]);
        }
        if (!ok) {
            ingest_error(c, "out of range after conversion to %s",
                         res->unit && res->unit[0] ? res->unit : "units");
            goto drop;
        }
    }
    if (isnan(res->value)) {
        if (res->nsamples)
            res->value = ingest_median(res->samples, res->nsamples);
        else if (!isnan(res->median))
            res->value = res->median;
        else
            res->value = res->mean;
    }
    if (isnan(res->value)) {
        ingest_error(c, "needs a value, samples, or a mean/median");
        goto drop;
    }
    /* Note 4: n counts what is stored. */
    if (res->nsamples)
        res->n = (int64_t)res->nsamples;
    else if (res->n < 0)
        res->n = 1;
    dup = dupset_claim(&c->dups, c->run, res->key, res->measure,
                       c->run->nresults);
    if (dup) {
        ingest_error(c, "duplicate of %s (same benchmark, params and measure)",
                     c->run->results[dup - 1].pointer);
        goto drop;
    }
    free(res->pointer);
    res->pointer = xstrdup(ingest_ptr(c));
    *run_result_add(c->run) = *res;
    result_init(res);
    return;
drop:
    result_cleanup(res);
}
