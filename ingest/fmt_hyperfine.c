/*
 * hyperfine's `--export-json` (1.15.0 as Debian ships it; 1.20's
 * memory_usage_byte when present).  FORMATS.md section 3.
 *
 * Mapping (docs/formats.md):
 *   results[i].command       benchmark (see note 1 for parameter scans)
 *   parameters               params, numbers where the text is a JSON
 *                            number ("3" -> 3; "007" stays a string)
 *   times, mean, median,     measure wall_time (s): samples = times,
 *   stddev, min, max         value = median; stddev null (one run) = absent
 *   user, system             measures user and system (s): mean CPU time
 *                            per run
 *   memory_usage_byte        measure memory (B): per-run max RSS samples
 *   exit_codes               a warning when a run exited non-zero or was
 *                            killed (null), and kept in metadata
 *
 * Design notes:
 *  1. A parameter scan substitutes the values into the command, so each
 *     value would be its own benchmark and no scaling curve could form.
 *     The family is therefore the command with each parameter's value put
 *     back as {name} (longest value first; "gzip -3 -c f" with level=3 is
 *     "gzip -{level} -c f"), the params telling the results apart.
 *     Substitution is textual, so this is a best effort: a value that also
 *     occurs elsewhere in the command is replaced there too, which can only
 *     split a family, never merge two results.  The real command line is
 *     kept in metadata.commands.
 *  2. Command names are not unique (two -n with one name, or one command
 *     given twice): a repeat gets the param "occurrence" (2, 3, ...) and a
 *     warning, instead of a duplicate-result error.
 *  3. hyperfine writes nothing about the machine, the commit or the time:
 *     those come from the overrides (?testbed=, ?commit=, ?branch=).
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

static bool hyperfine_shaped(const json_t *r)
{
    return json_is_object(r) && json_is_string(json_object_get(r, "command")) &&
           (json_object_get(r, "times") || json_object_get(r, "mean")) &&
           !json_object_get(r, "measures");
}

bool ingest_hyperfine_detect(const json_t *root)
{
    const json_t *results = json_object_get(root, "results");

    return json_is_object(root) && !json_object_get(root, "format") &&
           json_is_array(results) &&
           hyperfine_shaped(json_array_get(results, 0));
}

/* ---- identity (notes 1 and 2) ------------------------------------------- */

static int by_value_length(const void *a, const void *b)
{
    size_t la = json_string_length(json_object_get(*(json_t *const *)a, "v"));
    size_t lb = json_string_length(json_object_get(*(json_t *const *)b, "v"));

    return (la < lb) - (la > lb);
}

/* command with each parameter value replaced by "{name}", longest value
 * first (so "10" is not read as "1" + "0"). */
static char *template_of(const char *command, const json_t *params)
{
    size_t n = json_object_size(params), i = 0;
    json_t **pairs = xcalloc(n ? n : 1, sizeof *pairs);
    const char *k;
    json_t *v;
    char *t = xstrdup(command);

    json_object_foreach ((json_t *)params, k, v)
        pairs[i++] = json_pack("{s:s,s:O}", "k", k, "v", v);
    qsort(pairs, n, sizeof *pairs, by_value_length);
    for (i = 0; i < n; i++) {
        const char *val = json_string_value(json_object_get(pairs[i], "v"));
        const char *name = json_string_value(json_object_get(pairs[i], "k"));
        struct buf out;
        const char *p = t, *q;
        size_t vl = val ? strlen(val) : 0;

        if (!vl)
            continue;
        buf_init(&out, 0);
        while ((q = strstr(p, val)) != NULL) {
            (void)buf_add(&out, p, (size_t)(q - p));
            (void)buf_printf(&out, "{%s}", name);
            p = q + vl;
        }
        (void)buf_adds(&out, p);
        free(t);
        t = buf_take(&out);
    }
    for (i = 0; i < n; i++)
        json_decref(pairs[i]);
    free(pairs);
    return t;
}

struct cmd {
    const json_t *r; /* borrows */
    const char *command;
    json_t *params; /* owns; numbers converted */
    char *family;   /* owns */
};

/* Reads commands and parameters; false for an entry left out. */
static bool cmd_read(struct ingest_ctx *c, struct cmd *cm, const json_t *r)
{
    json_t *params, *v;
    const char *k;

    cm->r = r;
    if (!json_is_object(r)) {
        ingest_error(c, "expected an object, got %s", ingest_type_name(c, r));
        return false;
    }
    if (ingest_get_str(c, r, "command", INGEST_STR_NAME | INGEST_STR_REQUIRED,
                       &cm->command) != INGEST_OK)
        return false;
    cm->params = json_object();
    if (ingest_get_obj(c, r, "parameters", &params) == INGEST_BAD)
        return false;
    json_object_foreach (params, k, v) {
        json_t *num = json_is_string(v)
                          ? ingest_text_json_num(json_string_value(v),
                                                 json_string_length(v))
                          : NULL;

        json_object_set_new(cm->params, k, num ? num : json_incref(v));
    }
    if (params) {
        size_t mark = ingest_ptr_push(c, "parameters");

        ingest_json_clean(c, cm->params);
        ingest_ptr_pop(c, mark);
    }
    return true;
}

static void families(struct cmd *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *raw;

        if (!cs[i].command)
            continue;
        raw = json_object_get(cs[i].r, "parameters");
        cs[i].family = json_object_size(raw) ? template_of(cs[i].command, raw)
                                             : xstrdup(cs[i].command);
    }
}

/* ---- values -------------------------------------------------------------- */

static void exit_codes(struct ingest_ctx *c, const json_t *r, const char *key,
                       json_t *meta)
{
    json_t *codes = json_object_get(r, "exit_codes"), *v;
    size_t i, bad = 0, killed = 0;

    if (!json_is_array(codes))
        return;
    json_array_foreach (codes, i, v) {
        if (json_is_null(v))
            killed++;
        else if (!json_is_integer(v) || json_integer_value(v) != 0)
            bad++;
    }
    if (!bad && !killed)
        return;
    json_object_set(meta, key, codes);
    {
        size_t mark = ingest_ptr_push(c, "exit_codes");

        ingest_warn(c,
                    "%zu of %zu runs exited non-zero and %zu were killed "
                    "by a signal (hyperfine -i); their times are stored",
                    bad, json_array_size(codes), killed);
        ingest_ptr_pop(c, mark);
    }
}

static void cmd_results(struct ingest_ctx *c, const struct cmd *cm,
                        json_t *seen, json_t *meta)
{
    struct ingest_bench b = {NULL, NULL, NULL};
    struct result res;
    json_t *times, *mem, *params = json_deep_copy(cm->params), *dup;
    const json_t *r = cm->r;
    size_t runs = 0, mark;
    double v;

    ingest_bench_set(&b, cm->family, params);
    /* Note 2: a repeated key gets its occurrence. */
    dup = json_object_get(seen, b.key);
    if (dup) {
        json_int_t k = json_integer_value(dup) + 1;

        json_integer_set(dup, k);
        json_object_set_new(params, "occurrence", json_integer(k));
        ingest_warn(c,
                    "the command %s appears more than once; this one is "
                    "stored with occurrence=%lld",
                    ingest_quote(c, cm->command, strlen(cm->command)),
                    (long long)k);
        ingest_bench_set(&b, cm->family, params);
    } else {
        json_object_set_new(seen, b.key, json_integer(1));
    }
    json_object_set_new(json_object_get(meta, "commands"), b.key,
                        json_string(cm->command));
    exit_codes(c, r, b.key, json_object_get(meta, "exit_codes"));

    result_init(&res);
    if (ingest_get_arr(c, r, "times", &times) == INGEST_OK) {
        mark = ingest_ptr_push(c, "times");
        ingest_sample_array(c, times, &res.samples, &res.nsamples);
        ingest_ptr_pop(c, mark);
        runs = res.nsamples;
    }
    ingest_get_stat(c, r, "mean", &res.mean);
    ingest_get_stat(c, r, "median", &res.median);
    ingest_get_stat(c, r, "min", &res.min);
    ingest_get_stat(c, r, "max", &res.max);
    if (ingest_get_stat(c, r, "stddev", &res.stddev) == INGEST_OK &&
        res.stddev < 0) {
        ingest_error_key(c, "stddev", "must not be negative");
        goto out;
    }
    res.value = res.median;
    if (res.nsamples)
        res.n = (int64_t)res.nsamples;
    if (isnan(res.value) && !res.nsamples && isnan(res.mean))
        ingest_warn(c, "no times, median or mean: wall_time not stored");
    else
        ingest_measure_add(c, &b, "wall_time", "s", &res);
    result_cleanup(&res);

    static const char *const cpu[] = {"user", "system"};
    for (size_t k = 0; k < 2; k++) {
        result_init(&res);
        if (ingest_get_stat(c, r, cpu[k], &v) == INGEST_OK) {
            res.value = res.mean = v;
            if (runs)
                res.n = (int64_t)runs;
            ingest_measure_add(c, &b, cpu[k], "s", &res);
        }
        result_cleanup(&res);
    }
    result_init(&res);
    if (ingest_get_arr(c, r, "memory_usage_byte", &mem) == INGEST_OK &&
        json_array_size(mem)) {
        mark = ingest_ptr_push(c, "memory_usage_byte");
        ingest_sample_array(c, mem, &res.samples, &res.nsamples);
        ingest_ptr_pop(c, mark);
        ingest_stats_from_samples(&res);
        if (res.nsamples)
            ingest_measure_add(c, &b, "memory", "B", &res);
    }
out:
    result_cleanup(&res);
    json_decref(params);
    ingest_bench_cleanup(&b);
}

void ingest_hyperfine_parse(struct ingest_ctx *c, json_t *root)
{
    json_t *results, *seen = json_object();
    json_t *meta = json_pack("{s:o,s:o}", "commands", json_object(),
                             "exit_codes", json_object());
    struct cmd *cs = NULL;
    size_t n = 0, i, mark;

    if (!json_is_object(root)) {
        ingest_error(c, "expected an object, got %s",
                     ingest_type_name(c, root));
        goto out;
    }
    switch (ingest_get_arr(c, root, "results", &results)) {
    case INGEST_ABSENT:
        ingest_error_key(c, "results", "is required");
        goto out;
    case INGEST_BAD:
        goto out;
    case INGEST_OK:
        break;
    }
    n = json_array_size(results);
    mark = ingest_ptr_push(c, "results");
    if (n == 0)
        ingest_error(c, "no results");
    if (n > c->lim->max_results) {
        ingest_error_limit(c, "%zu results; the limit is %zu", n,
                           c->lim->max_results);
        n = 0;
    }
    cs = xcalloc(n ? n : 1, sizeof *cs);
    for (i = 0; i < n; i++) {
        size_t m2 = ingest_ptr_push_index(c, i);

        if (!cmd_read(c, &cs[i], json_array_get(results, i)))
            cs[i].command = NULL;
        ingest_ptr_pop(c, m2);
    }
    families(cs, n);
    for (i = 0; i < n; i++) {
        size_t m2 = ingest_ptr_push_index(c, i);

        if (cs[i].command)
            cmd_results(c, &cs[i], seen, meta);
        ingest_ptr_pop(c, m2);
    }
    ingest_ptr_pop(c, mark);
    if (!json_object_size(json_object_get(meta, "exit_codes")))
        json_object_del(meta, "exit_codes");
    ingest_set_json(&c->run->metadata, meta);
out:
    for (i = 0; i < n; i++) {
        json_decref(cs[i].params);
        free(cs[i].family);
    }
    free(cs);
    json_decref(seen);
    json_decref(meta);
}
