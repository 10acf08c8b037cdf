/*
 * pytest-benchmark's JSON (`--benchmark-json`, `--benchmark-save`): 3.2.2
 * as Debian ships it, and the 3.4-5.x differences (a whole py-cpuinfo dict
 * with brand_raw and count, "+00:00" datetimes).  FORMATS.md section 1.
 *
 * Mapping (docs/formats.md):
 *   benchmarks[i]            benchmark = name without its "[...]" suffix,
 *                            params = the params dict
 *   stats                    measure latency (s): value = median, mean,
 *                            median, stddev, min, max, n = rounds
 *                            (len(data) when data is present), samples =
 *                            data (seconds per call) if present
 *   stats.ops                measure throughput (1/s), derived: value =
 *                            ops, samples = 1/data[i] (note 4)
 *   machine_info             testbed: name = node, info = cpu (brand_raw or
 *                            brand), cores (count, 4.x+), arch, os, python
 *   commit_info              commit sha, time, branch; "unversioned",
 *                            "(detached head)" and "(unknown)" are left to
 *                            the defaults (or the overrides), dirty: true
 *                            is noted; ingest.c's finish_run() warns
 *   datetime                 started_at (naive = UTC, with a warning)
 *   the rest                 metadata: version, machine_info, commit_info,
 *                            and per benchmark key its fullname, group,
 *                            param, options, extra_info and the remaining
 *                            stats (q1, q3, iqr, outliers, iterations ...)
 *
 * Design notes:
 *  1. Identity is family + params (FORMATS.md: fullname depends on the
 *     rootdir).  group is display only and goes to metadata.  Two tests
 *     with one name and params in different files collide; only then is
 *     the file (fullname before "::") added as the param "file", so keys
 *     stay short in the common case.
 *  2. stats values are int or float alike (stddev is the int 0 when rounds
 *     is 1).  A non-finite statistic or sample is dropped with a warning;
 *     a benchmark whose median is unusable is skipped with a warning
 *     rather than failing the whole run.
 *  3. Free JSON (extra_info, params, machine_info) keeps integers exact
 *     (jansson's int64) and turns NaN/Infinity into null with a warning.
 *  4. throughput is pytest's ops = 1/mean, one number per run that no
 *     test can decide on its own.  Where the per-round times (data) are
 *     present, its samples are the per-round rates 1/t_i, so it is as
 *     decidable as the latency; its value stays pytest's ops (1/mean, the
 *     harmonic mean of the rates: what pytest prints), and mean, median,
 *     min, max and stddev are those of the rates (the median is 1/median
 *     of the times for an odd number of rounds).  It is marked derived
 *     either way: it says nothing the latency does not, and a comparison
 *     can fold it into that row.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

bool ingest_pytest_detect(const json_t *root)
{
    const json_t *b = json_object_get(root, "benchmarks"), *first;

    if (!json_is_object(root) || !json_is_array(b) ||
        json_object_get(root, "context"))
        return false;
    if (json_is_object(json_object_get(root, "machine_info")) ||
        json_is_object(json_object_get(root, "commit_info")))
        return true;
    first = json_array_get(b, 0);
    return json_is_object(json_object_get(first, "stats"));
}

/* ---- run fields ---------------------------------------------------------- */

/* A string member that is neither absent nor one of pytest's placeholders. */
static const char *real_str(const json_t *obj, const char *key,
                            const char *const *placeholders)
{
    const json_t *v = json_object_get(obj, key);
    const char *s;

    if (!json_is_string(v))
        return NULL;
    s = json_string_value(v);
    if (!*s || strlen(s) != json_string_length(v))
        return NULL;
    for (size_t i = 0; placeholders && placeholders[i]; i++)
        if (strcmp(s, placeholders[i]) == 0)
            return NULL;
    return s;
}

static void testbed_from(struct ingest_ctx *c, json_t *mi)
{
    static const char *const none[] = {"unknown", NULL};
    struct run *run = c->run;
    json_t *info = json_object(), *cpu = json_object_get(mi, "cpu");
    const char *s, *sys, *rel;
    size_t mark = ingest_ptr_push(c, "machine_info");

    ingest_json_clean(c, mi);
    s = real_str(mi, "node", NULL);
    if (s) {
        size_t m2 = ingest_ptr_push(c, "node");

        if (ingest_name_check(c, s, strlen(s)))
            ingest_set_owned(&run->testbed, s);
        ingest_ptr_pop(c, m2);
    }
    s = real_str(cpu, "brand_raw", none);
    if (!s)
        s = real_str(cpu, "brand", none);
    if (s)
        json_object_set_new(info, "cpu", json_string(s));
    if (json_is_integer(json_object_get(cpu, "count")) &&
        json_integer_value(json_object_get(cpu, "count")) > 0)
        json_object_set(info, "cores", json_object_get(cpu, "count"));
    s = real_str(mi, "machine", NULL);
    if (s)
        json_object_set_new(info, "arch", json_string(s));
    sys = real_str(mi, "system", NULL);
    rel = real_str(mi, "release", NULL);
    if (sys)
        json_object_set_new(info, "os",
                            rel ? json_sprintf("%s %s", sys, rel)
                                : json_string(sys));
    s = real_str(mi, "python_version", NULL);
    if (s) {
        const char *impl = real_str(mi, "python_implementation", NULL);

        json_object_set_new(info, "python",
                            impl ? json_sprintf("%s %s", impl, s)
                                 : json_string(s));
    }
    if (real_str(mi, "node", NULL))
        json_object_set(info, "host", json_object_get(mi, "node"));
    ingest_set_json(&run->testbed_info, info);
    json_decref(info);
    ingest_ptr_pop(c, mark);
}

static void commit_from(struct ingest_ctx *c, json_t *ci)
{
    static const char *const no_sha[] = {"unversioned", "unknown", NULL};
    static const char *const no_branch[] = {"(detached head)", "(unknown)",
                                            NULL};
    struct run *run = c->run;
    const char *s;
    size_t mark = ingest_ptr_push(c, "commit_info");

    ingest_json_clean(c, ci);
    s = real_str(ci, "id", no_sha);
    if (s) {
        size_t m2 = ingest_ptr_push(c, "id");

        if (ingest_name_check(c, s, strlen(s)))
            ingest_set_owned(&run->commit_sha, s);
        ingest_ptr_pop(c, m2);
    } else if (json_is_string(json_object_get(ci, "id"))) {
        c->commit_said = json_string_value(json_object_get(ci, "id"));
    }
    if (json_is_string(json_object_get(ci, "time")))
        ingest_get_time(c, ci, "time", &run->commit_time);
    s = real_str(ci, "branch", no_branch);
    if (s) {
        size_t m2 = ingest_ptr_push(c, "branch");

        if (ingest_name_check(c, s, strlen(s)))
            ingest_set_owned(&run->branch, s);
        ingest_ptr_pop(c, m2);
    } else if (json_is_string(json_object_get(ci, "branch"))) {
        c->branch_said = json_string_value(json_object_get(ci, "branch"));
    }
    /* finish_run() says it, for every format alike. */
    c->dirty = json_is_true(json_object_get(ci, "dirty"));
    if (json_is_string(json_object_get(ci, "error"))) {
        size_t m2 = ingest_ptr_push(c, "error");

        ingest_warn(c, "pytest-benchmark could not read the commit: %s",
                    json_string_value(json_object_get(ci, "error")));
        ingest_ptr_pop(c, m2);
    }
    ingest_ptr_pop(c, mark);
}

/* ---- benchmarks ---------------------------------------------------------- */

/* One benchmark's identity, computed before any result is added (note 1). */
struct entry {
    json_t *b;      /* borrows */
    char *family;   /* owns; NULL when the entry is unusable */
    json_t *params; /* owns; an object */
    char *key;      /* owns */
};

/* The family: name without a trailing "[...]" when params exist. */
static char *family_of(const char *name, bool has_params)
{
    size_t n = strlen(name);
    const char *br = strchr(name, '[');

    if (has_params && br && br != name && n && name[n - 1] == ']')
        return xstrndup(name, (size_t)(br - name));
    return xstrdup(name);
}

static void entry_key(struct entry *e)
{
    char *params = NULL;

    free(e->key);
    ingest_params_key(e->family, e->params, &params, &e->key);
    free(params);
}

static void entry_read(struct ingest_ctx *c, struct entry *e)
{
    const char *name;
    json_t *params;

    if (!json_is_object(e->b)) {
        ingest_error(c, "expected an object, got %s",
                     ingest_type_name(c, e->b));
        return;
    }
    if (ingest_get_str(c, e->b, "name", INGEST_STR_NAME | INGEST_STR_REQUIRED,
                       &name) != INGEST_OK)
        return;
    params = json_object_get(e->b, "params");
    if (params && !json_is_null(params) && !json_is_object(params)) {
        ingest_error_key(c, "params", "expected an object or null, got %s",
                         ingest_type_name(c, params));
        return;
    }
    /* Markers in the free JSON (extra_info, params, options) become null
     * with a warning at their pointer; stats are read by the typed readers
     * (note 2). */
    ingest_clean_members(c, e->b, "stats");
    e->params = json_is_object(params) ? json_deep_copy(params) : json_object();
    e->family = family_of(name, json_object_size(e->params) > 0);
    entry_key(e);
}

/* Note 1: entries whose keys collide get the file they come from. */
static void disambiguate(struct entry *es, size_t n)
{
    json_t *seen = json_object();
    bool any = false;

    for (size_t i = 0; i < n; i++) {
        json_t *first;

        if (!es[i].key)
            continue;
        first = json_object_get(seen, es[i].key);
        if (!first) {
            json_object_set_new_nocheck(seen, es[i].key,
                                        json_integer((json_int_t)i));
            continue;
        }
        for (size_t k = 0; k < 2; k++) {
            struct entry *e = k ? &es[i] : &es[json_integer_value(first)];
            const char *full =
                json_string_value(json_object_get(e->b, "fullname"));
            const char *sep = full ? strstr(full, "::") : NULL;

            if (!sep || json_object_get(e->params, "file"))
                continue;
            json_object_set_new(e->params, "file",
                                json_stringn(full, (size_t)(sep - full)));
            any = true;
        }
    }
    for (size_t i = 0; any && i < n; i++)
        if (es[i].key && json_object_get(es[i].params, "file"))
            entry_key(&es[i]);
    json_decref(seen);
}

/* The per-benchmark metadata: everything that is not a stored value. */
static json_t *entry_meta(struct ingest_ctx *c, json_t *b, json_t *stats)
{
    static const char *const keep[] = {"fullname", "group", "param", "options",
                                       "extra_info"};
    static const char *const stored[] = {"min",    "max", "mean", "stddev",
                                         "median", "ops", "data", "rounds"};
    json_t *m = json_object(), *s = json_object(), *v;
    const char *k;

    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if ((v = json_object_get(b, keep[i])))
            json_object_set(m, keep[i], v);
    json_object_foreach (stats, k, v) {
        size_t i;

        for (i = 0; i < sizeof stored / sizeof stored[0]; i++)
            if (strcmp(k, stored[i]) == 0)
                break;
        if (i == sizeof stored / sizeof stored[0])
            json_object_set(s, k, v);
    }
    ingest_clean_members(c, s, NULL); /* at the stats' pointer */
    json_object_set_new(m, "stats", s);
    return m;
}

/* Per-round rates 1/t of the times t (note 4); none unless every time is
 * positive. */
struct rates {
    double *v; /* owns */
    size_t n;
};

static struct rates rates_of(const double *t, size_t n)
{
    struct rates r = {NULL, 0};

    for (size_t i = 0; i < n; i++)
        if (!(t[i] > 0))
            return r;
    if (!n)
        return r;
    r.v = xmalloc(n * sizeof *r.v);
    for (size_t i = 0; i < n; i++)
        r.v[i] = 1.0 / t[i];
    r.n = n;
    return r;
}

static void entry_results(struct ingest_ctx *c, const struct entry *e,
                          json_t *meta)
{
    struct ingest_bench b = {NULL, NULL, NULL};
    struct result res;
    json_t *stats, *data;
    int64_t rounds = -1;
    double ops;
    size_t mark;
    struct rates rates = {NULL, 0};

    if (ingest_get_obj(c, e->b, "stats", &stats) != INGEST_OK) {
        if (!json_object_get(e->b, "stats"))
            ingest_error_key(c, "stats", "is required");
        return;
    }
    mark = ingest_ptr_push(c, "stats");
    json_object_set_new(meta, e->key, entry_meta(c, e->b, stats));
    ingest_bench_set(&b, e->family, e->params);
    result_init(&res);
    ingest_get_stat(c, stats, "median", &res.median);
    ingest_get_stat(c, stats, "mean", &res.mean);
    ingest_get_stat(c, stats, "min", &res.min);
    ingest_get_stat(c, stats, "max", &res.max);
    if (ingest_get_stat(c, stats, "stddev", &res.stddev) == INGEST_OK &&
        res.stddev < 0) {
        ingest_error_key(c, "stddev", "must not be negative");
        goto out;
    }
    if (ingest_get_int(c, stats, "rounds", 0, INT64_MAX, &rounds) == INGEST_OK)
        res.n = rounds;
    if (ingest_get_arr(c, stats, "data", &data) == INGEST_OK) {
        size_t m2 = ingest_ptr_push(c, "data");

        ingest_sample_array(c, data, &res.samples, &res.nsamples);
        ingest_ptr_pop(c, m2);
    }
    res.value = !isnan(res.median) ? res.median : res.mean;
    rates = rates_of(res.samples, res.nsamples);
    if (isnan(res.value)) {
        ingest_warn(c, "no finite median or mean: %s not stored", e->key);
    } else {
        ingest_measure_add(c, &b, "latency", "s", &res);
    }
    result_cleanup(&res);
    result_init(&res);
    /* Note 4: throughput is derived from the latency. */
    if (ingest_get_stat(c, stats, "ops", &ops) == INGEST_OK) {
        res.derived = true;
        res.value = ops;
        if (rates.n) {
            res.samples = rates.v;
            res.nsamples = rates.n;
            rates.v = NULL;
            ingest_stats_from_samples(&res);
        }
        ingest_measure_add(c, &b, "throughput", "ops/s", &res);
    }
out:
    free(rates.v);
    result_cleanup(&res);
    ingest_bench_cleanup(&b);
    ingest_ptr_pop(c, mark);
}

static void parse_benchmarks(struct ingest_ctx *c, json_t *arr, json_t *meta)
{
    size_t n = json_array_size(arr), mark, i;
    struct entry *es;

    if (n > c->lim->max_results) {
        ingest_error_limit(c, "%zu benchmarks; the limit is %zu results", n,
                           c->lim->max_results);
        return;
    }
    es = xcalloc(n ? n : 1, sizeof *es);
    for (i = 0; i < n; i++) {
        es[i].b = json_array_get(arr, i);
        mark = ingest_ptr_push_index(c, i);
        entry_read(c, &es[i]);
        ingest_ptr_pop(c, mark);
    }
    disambiguate(es, n);
    for (i = 0; i < n; i++) {
        if (!es[i].key)
            continue;
        mark = ingest_ptr_push_index(c, i);
        entry_results(c, &es[i], meta);
        ingest_ptr_pop(c, mark);
    }
    for (i = 0; i < n; i++) {
        free(es[i].family);
        free(es[i].key);
        json_decref(es[i].params);
    }
    free(es);
}

void ingest_pytest_parse(struct ingest_ctx *c, json_t *root)
{
    json_t *meta = json_object(), *benches = json_object(), *v, *arr;
    struct run *run = c->run;
    size_t mark;

    if (!json_is_object(root)) {
        ingest_error(c, "expected an object, got %s",
                     ingest_type_name(c, root));
        goto out;
    }
    if ((v = json_object_get(root, "machine_info")) && json_is_object(v)) {
        testbed_from(c, v);
        json_object_set(meta, "machine_info", v);
    }
    if ((v = json_object_get(root, "commit_info")) && json_is_object(v)) {
        commit_from(c, v);
        json_object_set(meta, "commit_info", v);
    }
    if (json_is_string(json_object_get(root, "datetime")))
        ingest_get_time(c, root, "datetime", &run->started_at);
    if ((v = json_object_get(root, "version")) && json_is_string(v))
        json_object_set(meta, "pytest_benchmark_version", v);
    switch (ingest_get_arr(c, root, "benchmarks", &arr)) {
    case INGEST_ABSENT:
        ingest_error_key(c, "benchmarks", "is required");
        break;
    case INGEST_BAD:
        break;
    case INGEST_OK:
        mark = ingest_ptr_push(c, "benchmarks");
        if (json_array_size(arr) == 0)
            ingest_error(c, "no benchmarks: pytest-benchmark ran none (a "
                            "benchmark that raises is left out)");
        else
            parse_benchmarks(c, arr, benches);
        ingest_ptr_pop(c, mark);
        break;
    }
    json_object_set(meta, "benchmarks", benches);
    ingest_set_json(&run->metadata, meta);
out:
    json_decref(benches);
    json_decref(meta);
}
