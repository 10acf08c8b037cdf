/*
 * Google Benchmark's JSON (`--benchmark_format=json`, `--benchmark_out`),
 * 1.7.1 as Debian ships it, with 1.5-1.9 differences tolerated.  FORMATS.md
 * section 2.
 *
 * Mapping (docs/formats.md):
 *   run_name                 benchmark = the function name; params = its
 *                            args (positional ones as arg0, arg1 ...,
 *                            named ones by name) and threads:N; the other
 *                            options (min_time, iterations, repeats,
 *                            real_time, manual_time, process_time) are run
 *                            settings, added as the param "options" only
 *                            when two instances would otherwise collide
 *   iteration rows           samples of real_time and cpu_time (s, from
 *                            time_unit) and of each counter
 *   aggregate rows           mean, median, stddev (and min/max) of the
 *                            same measures; value = the median aggregate,
 *                            else the median of the samples, else the mean;
 *                            without repetitions (one row) that row is the
 *                            value; cv and other percentage aggregates are
 *                            not stored (stddev / mean gives them)
 *   counters                 one measure each, named as the counter;
 *                            bytes_per_second in B/s, items_per_second in
 *                            1/s (both marked derived: the library divides
 *                            by the time), any other counter dimensionless
 *   <family>_BigO, _RMS      benchmark = the family, params {"complexity":
 *                            big_o}: measures big_o_coefficient (from
 *                            real_coefficient) and big_o_cpu_coefficient
 *                            in s per complexity unit (the row's own
 *                            time_unit, FORMATS.md), and rms (a fraction)
 *   error_occurred, skipped  a warning; nothing stored for the row
 *   context                  testbed: name = host_name, info = cores,
 *                            mhz_per_cpu, caches, cpu_scaling_enabled;
 *                            commit and branch from --benchmark_context
 *                            keys (git_commit/commit/sha, branch); date ->
 *                            started_at; the whole context -> metadata
 *
 * Design notes:
 *  1. Rows are grouped by run_name (not name, which carries the aggregate
 *     suffix; not family_index, which is not stable across filters) in a
 *     jansson object used as a hash map, so a file of 100k rows is O(n).
 *  2. Units are converted per row (each row names its time_unit), before
 *     the result is assembled; ingest_result_add then gets factor 1.
 *     Percentage aggregates are fractions and are never converted.
 *  3. A non-finite counter value (NaN, Infinity) is dropped with a warning
 *     at its row; a counter left with no value is skipped entirely.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

bool ingest_gbench_detect(const json_t *root)
{
    const json_t *b = json_object_get(root, "benchmarks"), *first;

    if (!json_is_object(root) || !json_is_array(b))
        return false;
    if (json_is_object(json_object_get(root, "context")))
        return true;
    first = json_array_get(b, 0);
    return json_object_get(first, "run_type") ||
           json_object_get(first, "time_unit");
}

/* ---- rows -> instances --------------------------------------------------- */

struct inst {
    const char *run_name; /* borrows */
    size_t first;         /* index of its first row */
    json_t *iters;        /* owns: iteration rows */
    json_t *aggs;         /* owns: aggregate_name -> row */
    json_t *bigo, *rms;   /* borrows */
    char *family;         /* owns */
    json_t *params;       /* owns */
    char *options;        /* owns; "" when none */
    char *key;            /* owns; NULL: unusable */
};

/* Row members that are not counters. */
static bool known_key(const char *k)
{
    static const char *const keys[] = {"name",
                                       "family_index",
                                       "per_family_instance_index",
                                       "run_name",
                                       "run_type",
                                       "repetitions",
                                       "repetition_index",
                                       "threads",
                                       "iterations",
                                       "real_time",
                                       "cpu_time",
                                       "time_unit",
                                       "aggregate_name",
                                       "aggregate_unit",
                                       "error_occurred",
                                       "error_message",
                                       "skipped",
                                       "skip_message",
                                       "label",
                                       "big_o",
                                       "cpu_coefficient",
                                       "real_coefficient",
                                       "rms",
                                       "complexity_n"};

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i], k) == 0)
            return true;
    return false;
}

static const char *const options[] = {
    "min_time:",    "min_warmup_time:", "iterations:", "repeats:",
    "process_time", "manual_time",      "real_time"};

/* Splits run_name (note in the header): family, params, options. */
static void split_run_name(struct inst *in)
{
    const char *s = in->run_name, *slash = strchr(s, '/');
    struct buf opts;
    unsigned pos = 0;

    in->family = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
    in->params = json_object();
    buf_init(&opts, 0);
    while (slash) {
        const char *seg = slash + 1, *colon;
        size_t n;
        bool option = false;

        slash = strchr(seg, '/');
        n = slash ? (size_t)(slash - seg) : strlen(seg);
        colon = memchr(seg, ':', n);
        if (n > 8 && strncmp(seg, "threads:", 8) == 0) {
            json_t *v = ingest_text_json_num(seg + 8, n - 8);

            if (v) {
                json_object_set_new(in->params, "threads", v);
                continue;
            }
        }
        for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
            size_t ol = strlen(options[i]);

            if (options[i][ol - 1] == ':'
                    ? n > ol && !strncmp(seg, options[i], ol)
                    : n == ol && !strncmp(seg, options[i], ol))
                option = true;
        }
        if (option) {
            if (opts.len)
                (void)buf_addc(&opts, '/');
            (void)buf_add(&opts, seg, n);
            continue;
        }
        if (colon && colon != seg) {
            char *k = xstrndup(seg, (size_t)(colon - seg));
            const char *v = colon + 1;
            size_t vn = n - (size_t)(colon - seg) - 1;
            json_t *num = ingest_text_json_num(v, vn);

            json_object_set_new(in->params, k, num ? num : json_stringn(v, vn));
            free(k);
        } else {
            char k[32];
            json_t *num = ingest_text_json_num(seg, n);

            snprintf(k, sizeof k, "arg%u", pos++);
            json_object_set_new(in->params, k,
                                num ? num : json_stringn(seg, n));
        }
    }
    in->options = buf_take(&opts);
}

static void inst_key(struct inst *in)
{
    char *params = NULL;

    free(in->key);
    ingest_params_key(in->family, in->params, &params, &in->key);
    free(params);
}

/* Note 1 of the mapping: collisions get their options as a param. */
static void disambiguate(struct inst *v, size_t n)
{
    json_t *seen = json_object();
    bool any = false;

    for (size_t i = 0; i < n; i++) {
        json_t *first;

        if (!v[i].key ||
            json_array_size(v[i].iters) + json_object_size(v[i].aggs) == 0)
            continue;
        first = json_object_get(seen, v[i].key);
        if (!first) {
            json_object_set_new_nocheck(seen, v[i].key,
                                        json_integer((json_int_t)i));
            continue;
        }
        for (size_t k = 0; k < 2; k++) {
            struct inst *in = k ? &v[i] : &v[json_integer_value(first)];

            if (*in->options && !json_object_get(in->params, "options")) {
                json_object_set_new(in->params, "options",
                                    json_string(in->options));
                any = true;
            }
        }
    }
    for (size_t i = 0; any && i < n; i++)
        if (v[i].key && json_object_get(v[i].params, "options"))
            inst_key(&v[i]);
    json_decref(seen);
}

/* ---- values -------------------------------------------------------------- */

/* A row's factor to seconds from its time_unit (default ns), or false
 * after reporting an unknown unit. */
static bool row_factor(struct ingest_ctx *c, const json_t *row, double *f)
{
    const char *unit = "ns", *canonical;
    size_t mark;
    bool ok;

    if (ingest_get_str(c, row, "time_unit", 0, &unit) == INGEST_BAD)
        return false;
    if (!unit)
        unit = "ns";
    mark = ingest_ptr_push(c, "time_unit");
    ok = ingest_unit(c, unit, &canonical, f) == INGEST_OK;
    if (ok && strcmp(canonical, "s") != 0) {
        ingest_error(c, "not a time unit: %s",
                     ingest_quote(c, unit, strlen(unit)));
        ok = false;
    }
    ingest_ptr_pop(c, mark);
    return ok;
}

static size_t row_index(const json_t *row)
{
    /* Set by the grouping pass: where the row sits in "benchmarks". */
    return (size_t)json_integer_value(json_object_get(row, "\001index"));
}

/* row_factor at the row's own pointer (called from "/benchmarks"). */
static bool row_factor_at(struct ingest_ctx *c, const json_t *row, double *f)
{
    size_t mark = ingest_ptr_push_index(c, row_index(row));
    bool ok = row_factor(c, row, f);

    ingest_ptr_pop(c, mark);
    return ok;
}

/* A field of a row, at the row's pointer, converted to canonical units
 * (note 2).  NAN when absent or non-finite. */
static double row_value(struct ingest_ctx *c, const json_t *row, size_t index,
                        const char *field, double factor)
{
    size_t mark = ingest_ptr_push_index(c, index);
    double v;

    if (ingest_get_stat(c, row, field, &v) != INGEST_OK)
        v = NAN;
    else if (factor != 1)
        v = unit_convert(v, factor);
    ingest_ptr_pop(c, mark);
    return v;
}

/*
 * One measure (a time field or a counter) of an instance.  time: convert
 * by each row's time_unit; otherwise the counter's own unit.
 */
static void add_measure(struct ingest_ctx *c, const struct inst *in,
                        const struct ingest_bench *b, const char *field,
                        bool time)
{
    static const struct {
        const char *agg;
        size_t off;
    } aggs[] = {
        {"mean", offsetof(struct result, mean)},
        {"median", offsetof(struct result, median)},
        {"stddev", offsetof(struct result, stddev)},
        {"min", offsetof(struct result, min)},
        {"max", offsetof(struct result, max)},
    };
    const char *unit = "";
    struct result res;
    size_t n = json_array_size(in->iters), k, mark;
    const json_t *row;
    double f = 1;

    if (!time)
        unit = strcmp(field, "bytes_per_second") == 0   ? "B/s"
               : strcmp(field, "items_per_second") == 0 ? "1/s"
                                                        : "";
    result_init(&res);
    res.samples = xmalloc((n ? n : 1) * sizeof *res.samples);
    for (k = 0; k < n; k++) {
        double v;

        row = json_array_get(in->iters, k);
        if (!json_object_get(row, field))
            continue;
        if (time && !row_factor_at(c, row, &f))
            continue;
        v = row_value(c, row, row_index(row), field, time ? f : 1);
        if (!isnan(v))
            res.samples[res.nsamples++] = v;
    }
    for (k = 0; k < sizeof aggs / sizeof aggs[0]; k++) {
        const json_t *agg = json_object_get(in->aggs, aggs[k].agg);
        const char *au =
            json_string_value(json_object_get(agg, "aggregate_unit"));
        int64_t reps;

        if (!agg || !json_object_get(agg, field) || (au && strcmp(au, "time")))
            continue;
        if (time && !row_factor_at(c, agg, &f))
            continue;
        *(double *)((char *)&res + aggs[k].off) =
            row_value(c, agg, row_index(agg), field, time ? f : 1);
        /* An aggregate's iterations is its number of repetitions. */
        reps = json_integer_value(json_object_get(agg, "iterations"));
        if (res.n < 0 && reps > 0)
            res.n = reps;
    }
    if (res.nsamples) {
        res.n = (int64_t)res.nsamples;
        if (isnan(res.mean) && isnan(res.median))
            ingest_stats_from_samples(&res);
    } else {
        free(res.samples);
        res.samples = NULL;
    }
    res.value = !isnan(res.median) ? res.median
                : res.nsamples     ? ingest_median(res.samples, res.nsamples)
                                   : res.mean;
    mark = ingest_ptr_push_index(c, in->first);
    /* The library's own rates are items or bytes over the iteration time:
     * derived from the time measures (user counters may be anything). */
    res.derived = !time && (strcmp(field, "bytes_per_second") == 0 ||
                            strcmp(field, "items_per_second") == 0);
    if (isnan(res.value))
        ingest_warn(c, "%s of %s has no finite value; not stored", field,
                    in->run_name);
    else
        ingest_measure_add(c, b, field, time ? "s" : unit, &res);
    ingest_ptr_pop(c, mark);
    result_cleanup(&res);
}

/* Every counter name of an instance's rows, in first-seen order. */
static json_t *counters_of(const struct inst *in)
{
    json_t *names = json_array(), *seen = json_object(), *row;
    const char *k;
    json_t *v;
    size_t i;

    json_array_foreach (in->iters, i, row) {
        json_object_foreach (row, k, v) {
            if (k[0] == '\001' || known_key(k) || json_object_get(seen, k) ||
                !(json_is_number(v) || json_is_string(v)))
                continue;
            json_object_set_new(seen, k, json_true());
            json_array_append_new(names, json_string(k));
        }
    }
    json_object_foreach (in->aggs, k, row) {
        const char *kk;

        json_object_foreach (row, kk, v) {
            if (kk[0] == '\001' || known_key(kk) || json_object_get(seen, kk) ||
                !(json_is_number(v) || json_is_string(v)))
                continue;
            json_object_set_new(seen, kk, json_true());
            json_array_append_new(names, json_string(kk));
        }
    }
    json_decref(seen);
    return names;
}

static void inst_results(struct ingest_ctx *c, struct inst *in)
{
    struct ingest_bench b = {NULL, NULL, NULL};
    json_t *names, *v;
    size_t i;

    if (!json_array_size(in->iters) && !json_object_size(in->aggs))
        return;
    ingest_bench_set(&b, in->family, in->params);
    add_measure(c, in, &b, "real_time", true);
    add_measure(c, in, &b, "cpu_time", true);
    names = counters_of(in);
    json_array_foreach (names, i, v) {
        const char *name = json_string_value(v);
        const json_t *row =
            json_array_size(in->iters) ? json_array_get(in->iters, 0) : NULL;
        size_t mark =
            ingest_ptr_push_index(c, row ? row_index(row) : in->first);
        bool ok = true;
        json_t *r;
        size_t k;

        /* A counter is a number; a string there is not a counter unless it
         * is a NaN/Infinity marker. */
        json_array_foreach (in->iters, k, r) {
            json_t *cv = json_object_get(r, name);

            ok &= !cv || json_is_number(cv) ||
                  ingest_nonfinite_of(c, cv) != INGEST_FINITE;
        }
        if (ok) {
            size_t m2 = ingest_ptr_push(c, name);

            ok = ingest_name_check(c, name, strlen(name));
            ingest_ptr_pop(c, m2);
        }
        ingest_ptr_pop(c, mark);
        if (ok)
            add_measure(c, in, &b, name, false);
    }
    json_decref(names);
    ingest_bench_cleanup(&b);
}

/* BigO and RMS of a family (the mapping in the header). */
static void complexity_results(struct ingest_ctx *c, struct inst *in)
{
    struct ingest_bench b = {NULL, NULL, NULL};
    struct result res;
    const char *big_o = NULL;
    double f = 1;
    json_t *params = json_deep_copy(in->params);

    if (in->bigo)
        big_o = json_string_value(json_object_get(in->bigo, "big_o"));
    if (big_o)
        json_object_set_new(params, "complexity", json_string(big_o));
    ingest_bench_set(&b, in->family, params);
    json_decref(params);
    if (in->bigo && row_factor_at(c, in->bigo, &f)) {
        static const char *const fields[][2] = {
            {"real_coefficient", "big_o_coefficient"},
            {"cpu_coefficient", "big_o_cpu_coefficient"}};

        for (size_t k = 0; k < 2; k++) {
            size_t mark;

            result_init(&res);
            res.value =
                row_value(c, in->bigo, row_index(in->bigo), fields[k][0], f);
            mark = ingest_ptr_push_index(c, row_index(in->bigo));
            if (!isnan(res.value))
                ingest_measure_add(c, &b, fields[k][1], "s", &res);
            result_cleanup(&res);
            ingest_ptr_pop(c, mark);
        }
    }
    if (in->rms) {
        size_t mark;

        result_init(&res);
        res.value = row_value(c, in->rms, row_index(in->rms), "rms", 1);
        mark = ingest_ptr_push_index(c, row_index(in->rms));
        if (!isnan(res.value))
            ingest_measure_add(c, &b, "rms", "", &res);
        result_cleanup(&res);
        ingest_ptr_pop(c, mark);
    }
    ingest_bench_cleanup(&b);
}

/* ---- the document -------------------------------------------------------- */

static bool is_true(const json_t *v)
{
    return json_is_true(v);
}

/* Sorts one row into its instance; an errored or skipped row is only a
 * warning. */
static void group_row(struct ingest_ctx *c, json_t *row, size_t i, json_t *map,
                      struct inst **v, size_t *n)
{
    const char *run_name = NULL, *agg = NULL, *msg;
    json_t *idx;
    struct inst *in;

    if (!json_is_object(row)) {
        ingest_error(c, "expected an object, got %s", ingest_type_name(c, row));
        return;
    }
    if (ingest_get_str(c, row, "run_name", INGEST_STR_NAME, &run_name) ==
            INGEST_BAD ||
        (!run_name &&
         ingest_get_str(c, row, "name", INGEST_STR_NAME | INGEST_STR_REQUIRED,
                        &run_name) != INGEST_OK))
        return;
    if (is_true(json_object_get(row, "error_occurred")) ||
        is_true(json_object_get(row, "skipped"))) {
        bool err = is_true(json_object_get(row, "error_occurred"));

        msg = json_string_value(
            json_object_get(row, err ? "error_message" : "skip_message"));
        ingest_warn(c, "%s %s: %s; not stored", run_name,
                    err ? "reported an error" : "was skipped",
                    msg ? msg : "no message");
        return;
    }
    if (ingest_get_str(c, row, "aggregate_name", INGEST_STR_NAME, &agg) ==
        INGEST_BAD)
        return;
    idx = json_object_get(map, run_name);
    if (!idx) {
        *v = xreallocarray(*v, *n + 1, sizeof **v);
        in = &(*v)[*n];
        memset(in, 0, sizeof *in);
        in->run_name = run_name;
        in->first = i;
        in->iters = json_array();
        in->aggs = json_object();
        json_object_set_new_nocheck(map, run_name,
                                    json_integer((json_int_t)*n));
        (*n)++;
    } else {
        in = &(*v)[json_integer_value(idx)];
    }
    json_object_set_new_nocheck(row, "\001index", json_integer((json_int_t)i));
    if (!agg)
        json_array_append(in->iters, row);
    else if (strcmp(agg, "BigO") == 0)
        in->bigo = row;
    else if (strcmp(agg, "RMS") == 0)
        in->rms = row;
    else
        json_object_set(in->aggs, agg, row);
}

static void context(struct ingest_ctx *c, json_t *ctx, json_t *meta)
{
    static const char *const commit_keys[] = {"git_commit", "commit",
                                              "commit_sha", "git_sha", "sha"};
    static const char *const branch_keys[] = {"branch", "git_branch"};
    static const char *const info_keys[] = {"mhz_per_cpu",
                                            "cpu_scaling_enabled", "caches"};
    struct run *run = c->run;
    json_t *info = json_object(), *v;
    const char *s;
    size_t mark = ingest_ptr_push(c, "context");
    int64_t ms;
    bool naive;

    ingest_json_clean(c, ctx);
    json_object_set(meta, "context", ctx);
    if (ingest_get_str(c, ctx, "host_name", INGEST_STR_NAME, &s) == INGEST_OK &&
        s) {
        ingest_set_owned(&run->testbed, s);
        json_object_set_new(info, "host", json_string(s));
    }
    v = json_object_get(ctx, "num_cpus");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        json_object_set(info, "cores", v);
    for (size_t i = 0; i < sizeof info_keys / sizeof info_keys[0]; i++)
        if ((v = json_object_get(ctx, info_keys[i])) && !json_is_null(v))
            json_object_set(info, info_keys[i], v);
    ingest_set_json(&run->testbed_info, info);
    json_decref(info);
    for (size_t i = 0; i < sizeof commit_keys / sizeof commit_keys[0]; i++)
        if (ingest_get_str(c, ctx, commit_keys[i], INGEST_STR_NAME, &s) ==
                INGEST_OK &&
            s) {
            ingest_set_owned(&run->commit_sha, s);
            break;
        }
    for (size_t i = 0; i < sizeof branch_keys / sizeof branch_keys[0]; i++)
        if (ingest_get_str(c, ctx, branch_keys[i], INGEST_STR_NAME, &s) ==
                INGEST_OK &&
            s) {
            ingest_set_owned(&run->branch, s);
            break;
        }
    s = json_string_value(json_object_get(ctx, "date"));
    if (s) {
        size_t m2 = ingest_ptr_push(c, "date");

        /* gbench's date format changed between versions; a date we cannot
         * read costs started_at, not the run. */
        if (time_parse_iso(s, &ms, &naive) == ERR_OK) {
            run->started_at = ms;
            if (naive)
                ingest_warn(c, "no time zone; read as UTC");
        } else {
            ingest_warn(c, "not an ISO 8601 time: %s; started_at left empty",
                        ingest_quote(c, s, strlen(s)));
        }
        ingest_ptr_pop(c, m2);
    }
    s = json_string_value(json_object_get(ctx, "library_build_type"));
    if (s && strcmp(s, "debug") == 0) {
        size_t m2 = ingest_ptr_push(c, "library_build_type");

        ingest_warn(c, "the benchmark library is a debug build: timings may "
                       "be affected");
        ingest_ptr_pop(c, m2);
    }
    ingest_ptr_pop(c, mark);
}

void ingest_gbench_parse(struct ingest_ctx *c, json_t *root)
{
    json_t *meta = json_object(), *map = json_object(), *rows, *row, *labels;
    struct inst *v = NULL;
    size_t n = 0, i, mark;

    labels = json_object();
    if (!json_is_object(root)) {
        ingest_error(c, "expected an object, got %s",
                     ingest_type_name(c, root));
        goto out;
    }
    if ((row = json_object_get(root, "context")) && json_is_object(row))
        context(c, row, meta);
    switch (ingest_get_arr(c, root, "benchmarks", &rows)) {
    case INGEST_ABSENT:
        ingest_error_key(c, "benchmarks", "is required");
        goto out;
    case INGEST_BAD:
        goto out;
    case INGEST_OK:
        break;
    }
    mark = ingest_ptr_push(c, "benchmarks");
    if (json_array_size(rows) == 0)
        ingest_error(c, "no benchmarks (did --benchmark_filter match "
                        "nothing?)");
    json_array_foreach (rows, i, row) {
        size_t m2 = ingest_ptr_push_index(c, i);

        group_row(c, row, i, map, &v, &n);
        ingest_ptr_pop(c, m2);
    }
    for (i = 0; i < n; i++) {
        size_t m2 = ingest_ptr_push_index(c, v[i].first);

        split_run_name(&v[i]);
        if (ingest_name_check(c, v[i].family, strlen(v[i].family)))
            inst_key(&v[i]);
        ingest_ptr_pop(c, m2);
    }
    disambiguate(v, n);
    for (i = 0; i < n; i++) {
        json_t *label;

        if (!v[i].key)
            continue;
        inst_results(c, &v[i]);
        if (v[i].bigo || v[i].rms)
            complexity_results(c, &v[i]);
        label = json_object_get(json_array_get(v[i].iters, 0), "label");
        if (json_is_string(label))
            json_object_set(labels, v[i].key, label);
    }
    ingest_ptr_pop(c, mark);
    if (json_object_size(labels))
        json_object_set(meta, "labels", labels);
    ingest_set_json(&c->run->metadata, meta);
out:
    for (i = 0; i < n; i++) {
        json_decref(v[i].iters);
        json_decref(v[i].aggs);
        free(v[i].family);
        json_decref(v[i].params);
        free(v[i].options);
        free(v[i].key);
    }
    free(v);
    json_decref(labels);
    json_decref(map);
    json_decref(meta);
}
