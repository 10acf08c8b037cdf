/*
 * Bencher Metric Format (BMF): {"<benchmark>": {"<measure>": {"value": v,
 * "lower_value": l, "upper_value": u}}}.
 *
 * Mapping (docs/formats.md): each benchmark name as is (no params), each
 * measure by its slug with value, lower and upper.  Bencher's built-in
 * measures have fixed units, converted here: latency in ns (stored in s),
 * throughput in ops/s (1/s), build-time in s, file-size in B.  Any other
 * measure is stored dimensionless, as written.
 *
 * Design notes:
 *  1. Detection is structural (an object of objects of objects that have
 *     "value"), so it is tried after every format with a marker key, and a
 *     document with the other formats' top-level keys is never BMF.
 *  2. A NaN/Infinity value skips that measure with a warning (BMF allows
 *     only numbers, but the writers are hand-made scripts); bounds that are
 *     not finite are dropped with a warning.
 */
#include "ingest/ingest_int.h"

#include <string.h>

static const struct {
    const char *measure;
    const char *unit;
} builtin[] = {
    {"latency", "ns"},
    {"throughput", "ops/s"},
    {"build-time", "s"},
    {"file-size", "B"},
};

bool ingest_bmf_detect(const json_t *root)
{
    static const char *const foreign[] = {"format", "results", "benchmarks",
                                          "context"};
    const char *k, *mk;
    json_t *b, *m;
    size_t measures = 0;

    if (!json_is_object(root) || json_object_size(root) == 0)
        return false;
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
        if (json_object_get(root, foreign[i]))
            return false;
    json_object_foreach ((json_t *)root, k, b) {
        if (!json_is_object(b))
            return false;
        json_object_foreach (b, mk, m) {
            if (!json_is_object(m) || !json_object_get(m, "value"))
                return false;
            measures++;
        }
    }
    return measures > 0;
}

static const char *unit_of(const char *measure)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(builtin[i].measure, measure) == 0)
            return builtin[i].unit;
    return "";
}

static void measure(struct ingest_ctx *c, const struct ingest_bench *b,
                    const char *name, const json_t *m)
{
    struct result res;

    result_init(&res);
    if (!ingest_name_check(c, name, strlen(name)))
        return;
    if (!json_is_object(m)) {
        ingest_error(c, "expected an object, got %s", ingest_type_name(c, m));
        return;
    }
    switch (ingest_get_stat(c, m, "value", &res.value)) {
    case INGEST_ABSENT:
        if (!json_object_get(m, "value") ||
            json_is_null(json_object_get(m, "value")))
            ingest_error_key(c, "value", "is required");
        return;
    case INGEST_BAD:
        return;
    case INGEST_OK:
        break;
    }
    if (ingest_get_stat(c, m, "lower_value", &res.lower) == INGEST_BAD ||
        ingest_get_stat(c, m, "upper_value", &res.upper) == INGEST_BAD)
        return;
    if (b->key)
        ingest_measure_add(c, b, name, unit_of(name), &res);
    result_cleanup(&res);
}

void ingest_bmf_parse(struct ingest_ctx *c, json_t *root)
{
    const char *name, *mname;
    json_t *bv, *mv;

    if (!json_is_object(root)) {
        ingest_error(c, "expected an object, got %s",
                     ingest_type_name(c, root));
        return;
    }
    if (json_object_size(root) > c->lim->max_results) {
        ingest_error_limit(c, "%zu benchmarks; the limit is %zu results",
                           json_object_size(root), c->lim->max_results);
        return;
    }
    json_object_foreach (root, name, bv) {
        struct ingest_bench b = {NULL, NULL, NULL};
        size_t mark = ingest_ptr_push(c, name);

        if (!json_is_object(bv)) {
            ingest_error(c, "expected an object of measures, got %s",
                         ingest_type_name(c, bv));
        } else if (json_object_size(bv) == 0) {
            ingest_error(c, "must have at least one measure");
        } else {
            if (ingest_name_check(c, name, strlen(name)))
                ingest_bench_set(&b, name, NULL);
            json_object_foreach (bv, mname, mv) {
                size_t m2 = ingest_ptr_push(c, mname);

                measure(c, &b, mname, mv);
                ingest_ptr_pop(c, m2);
            }
        }
        ingest_bench_cleanup(&b);
        ingest_ptr_pop(c, mark);
    }
}
