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
 *                            per run, one value (n = 1)
 *   memory_usage_byte        measure memory (B): per-run max RSS samples
 *   exit_codes               a warning when a run exited non-zero or was
 *                            killed (null), and kept in metadata
 *
 * Design notes:
 *  1. A parameter scan substitutes the values into the command, so each
 *     value would be its own benchmark and no scaling curve could form.
 *     The family is the scan's command template, {name} put back where
 *     hyperfine substituted each value, and params (the result's own
 *     "parameters") tell the members apart.  hyperfine does not write the
 *     template, and a value may also occur as literal text ("seq
 *     {n}000000 | gzip -1" with n=1 gives "seq 1000000 | gzip -1"), so no
 *     replace-every-occurrence guess is made: each subset of a command's
 *     value occurrences is a candidate template, and a candidate holds
 *     only where substituting a member's parameters into it gives that
 *     member's command exactly.  The candidate that holds for the most
 *     members with the same parameter names wins (ties: more
 *     placeholders), and names all of them.  A command with more than
 *     HF_MAX_OCC occurrences is stored under itself, with a warning.  The
 *     real command line is kept in metadata.commands.
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

/* A place where one parameter's value occurs in a command. */
struct occ {
    size_t pos, len;
    const char *name; /* borrows: the parameter's name */
};

/* Parameters a template may hold; more occurrences than this are not
 * searched (2^12 candidates at most). */
#define HF_MAX_OCC 12
/* Template checks for a whole file: a hostile file of 100,000 distinct
 * commands must not cost n^2 of them (a real scan needs a few hundred). */
#define HF_MAX_CHECKS 200000

/* Whether substituting params (hyperfine's textual "{name}" -> value) into
 * template t gives exactly command. */
static bool reproduces(const char *t, const json_t *params, const char *command)
{
    struct buf out;
    bool same;

    buf_init(&out, strlen(command) + 1);
    while (*t) {
        const char *close = *t == '{' ? strchr(t + 1, '}') : NULL;
        const json_t *v = NULL;

        if (close) {
            char *name = xstrndup(t + 1, (size_t)(close - t - 1));

            v = json_object_get(params, name);
            free(name);
        }
        if (json_is_string(v)) {
            if (buf_add(&out, json_string_value(v), json_string_length(v)))
                break;
            t = close + 1;
        } else if (buf_addc(&out, *t++)) {
            break;
        }
    }
    same = !*t && strcmp(buf_str(&out), command) == 0;
    buf_cleanup(&out);
    return same;
}

/* Every occurrence, overlapping ones included, of every string-valued
 * parameter in command; false when there are more than HF_MAX_OCC. */
static bool occurrences(const char *command, const json_t *params,
                        struct occ *o, size_t *n)
{
    const char *k;
    json_t *v;

    *n = 0;
    json_object_foreach ((json_t *)params, k, v) {
        size_t vl = json_string_length(v);
        const char *p = command, *q;

        if (!json_is_string(v) || !vl)
            continue;
        while ((q = strstr(p, json_string_value(v))) != NULL) {
            if (*n == HF_MAX_OCC)
                return false;
            o[(*n)++] = (struct occ){(size_t)(q - command), vl, k};
            p = q + 1;
        }
    }
    return true;
}

static int by_pos(const void *a, const void *b)
{
    const struct occ *x = a, *y = b;

    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The template with the occurrences in mask (sorted by position) put back
 * as {name}; NULL when two of them overlap. */
static char *template_of(const char *command, const struct occ *o, size_t n,
                         unsigned mask)
{
    struct buf t;
    size_t at = 0;

    buf_init(&t, 0);
    (void)buf_adds(&t, "");
    for (size_t i = 0; i < n; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (o[i].pos < at) {
            buf_cleanup(&t);
            return NULL;
        }
        if (buf_add(&t, command + at, o[i].pos - at) ||
            buf_printf(&t, "{%s}", o[i].name)) {
            buf_cleanup(&t);
            return NULL;
        }
        at = o[i].pos + o[i].len;
    }
    if (buf_adds(&t, command + at)) {
        buf_cleanup(&t);
        return NULL;
    }
    return buf_take(&t);
}

struct cmd {
    const json_t *r; /* borrows */
    const char *command;
    const json_t *raw; /* borrows: the "parameters" object as written */
    json_t *params;    /* owns; numbers converted */
    char *family;      /* owns */
};

/* Whether a and b name the same parameters (one scan, note 1). */
static bool same_names(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *v;

    if (json_object_size(a) != json_object_size(b))
        return false;
    json_object_foreach ((json_t *)a, k, v)
        if (!json_object_get(b, k))
            return false;
    return true;
}

/*
 * Note 1: the family of cs[i] and of every later member of its scan that
 * the same template reproduces.  Of the templates cs[i]'s command allows
 * (each subset of its values' occurrences put back as {name}), the one
 * that reproduces the most members wins; a tie goes to the one with more
 * placeholders.  False when the command has too many occurrences to search,
 * none holds, or the file's budget of checks is spent.
 */
static bool family_of(struct cmd *cs, size_t n, size_t i, size_t *checks)
{
    struct occ o[HF_MAX_OCC];
    size_t no, best_hits = 0;
    unsigned best_bits = 0;
    char *best = NULL;

    if (!occurrences(cs[i].command, cs[i].raw, o, &no))
        return false;
    qsort(o, no, sizeof *o, by_pos);
    for (unsigned mask = 0; mask < (1u << no); mask++) {
        char *t = template_of(cs[i].command, o, no, mask);
        size_t hits = 0;
        unsigned bits = 0;

        /* A candidate must hold for cs[i] itself. */
        if (t && !reproduces(t, cs[i].raw, cs[i].command)) {
            free(t);
            t = NULL;
        }
        if (!t)
            continue;
        for (unsigned m = mask; m; m &= m - 1)
            bits++;
        for (size_t j = i; j < n && *checks < HF_MAX_CHECKS; j++) {
            if (!cs[j].command || cs[j].family ||
                !same_names(cs[i].raw, cs[j].raw))
                continue;
            ++*checks;
            hits += reproduces(t, cs[j].raw, cs[j].command);
        }
        if (*checks >= HF_MAX_CHECKS) {
            free(t);
            free(best);
            return false;
        }
        if (hits > best_hits || (hits == best_hits && bits > best_bits)) {
            free(best);
            best = t;
            best_hits = hits;
            best_bits = bits;
        } else {
            free(t);
        }
    }
    /* The empty mask reproduces cs[i] itself, unless a value holds text
     * like "{name}" that substitution would change again. */
    if (!best)
        return false;
    for (size_t j = n; j-- > i;)
        if (cs[j].command && !cs[j].family &&
            same_names(cs[i].raw, cs[j].raw) &&
            reproduces(best, cs[j].raw, cs[j].command))
            cs[j].family = xstrdup(best);
    free(best);
    return true;
}

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
    cm->raw = params;
    json_object_foreach (params, k, v) {
        json_t *num = json_is_string(v)
                          ? ingest_text_json_num(json_string_value(v),
                                                 json_string_length(v))
                          : NULL;

        json_object_set_new(cm->params, k, num ? num : json_incref(v));
    }
    if (params) {
        size_t mark = ingest_ptr_push(c, "parameters");

        ingest_params_clean(c, cm->params);
        ingest_ptr_pop(c, mark);
    }
    return true;
}

static void families(struct ingest_ctx *c, struct cmd *cs, size_t n)
{
    size_t checks = 0, unnamed = 0, first = 0;

    for (size_t i = 0; i < n; i++) {
        if (!cs[i].command || cs[i].family)
            continue;
        if (json_object_size(cs[i].raw) && family_of(cs, n, i, &checks))
            continue;
        cs[i].family = xstrdup(cs[i].command);
        if (json_object_size(cs[i].raw) && !unnamed++)
            first = i;
    }
    if (unnamed) {
        size_t mark = ingest_ptr_push_index(c, first);

        /* Once per file: a hostile file must not make 100,000 warnings. */
        ingest_warn(c,
                    "the scan of %zu command(s), this the first, cannot be "
                    "named (a parameter value occurs more than %d times in "
                    "it, holds {...} text, or the file has too many "
                    "distinct scans): each is stored under its command",
                    unnamed, HF_MAX_OCC);
        ingest_ptr_pop(c, mark);
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
    size_t mark;
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
        /* One mean per run, no per-run values: n = 1 (result.c note 4). */
        if (ingest_get_stat(c, r, cpu[k], &v) == INGEST_OK) {
            res.value = res.mean = v;
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
    families(c, cs, n);
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
