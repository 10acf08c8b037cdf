/*
 * The native format, benchvault/v1 (DESIGN.md, "The native format").
 *
 * Design notes:
 *  1. Top-level members are dispatched through a table in document order,
 *     so errors come out in the order a person reads the file; a member
 *     not in the table goes to metadata.  null means absent everywhere.
 *  2. Metadata = the unknown top-level members, then the explicit
 *     "metadata" object on top (an explicit key wins), written as
 *     canonical JSON.  Free JSON (metadata, testbed, params) keeps going
 *     with NaN/Infinity turned into null and a warning; typed fields refuse
 *     them.
 *  3. A result entry with a bad benchmark name or params is still walked
 *     so that its measures report their own errors; nothing of it is added.
 *  4. One pass over each result's members; samples go straight into one
 *     array of their final size (ingest_num_array) and are converted in
 *     place by ingest_result_add.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#define NATIVE_NAME "benchvault/v1"

/* What the members leave for the end of the parse. */
struct native {
    json_t *extra;    /* owns: unknown top-level members */
    json_t *metadata; /* borrows: the "metadata" object */
    bool results_seen;
};

typedef void (*member_fn)(struct ingest_ctx *c, struct native *nv, json_t *v);

static const char *kind(const struct ingest_ctx *c, const json_t *v)
{
    return ingest_type_name(c, v);
}

static void set_owned(char **field, const char *s)
{
    free(*field);
    *field = xstrdup(s);
}

/* ---- top-level members (v is at the member's pointer) ------------------- */

static void m_format(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    const char *s;

    (void)nv;
    if (ingest_str(c, v, 0, &s) == INGEST_OK && strcmp(s, NATIVE_NAME) != 0)
        ingest_error(c, "unsupported format %s; expected \"" NATIVE_NAME "\"",
                     ingest_quote(c, s, strlen(s)));
}

static void m_project(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    const char *s;

    (void)nv;
    c->project_handled = true;
    if (ingest_str(c, v, 0, &s) != INGEST_OK)
        return;
    if (!ingest_slug_valid(s, c->lim->max_name)) {
        ingest_error(c,
                     "not a valid project slug: %s (1 to %zu of A-Z a-z 0-9 "
                     ". _ -, starting with a letter or digit)",
                     ingest_quote(c, s, strlen(s)), c->lim->max_name);
        return;
    }
    set_owned(&c->run->project, s);
}

static void m_branch(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    const char *s;

    (void)nv;
    if (ingest_str(c, v, INGEST_STR_NAME, &s) == INGEST_OK)
        set_owned(&c->run->branch, s);
}

static void m_commit(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    struct run *run = c->run;
    const char *s;

    (void)nv;
    if (json_is_string(v)) {
        if (ingest_str(c, v, INGEST_STR_NAME, &s) == INGEST_OK)
            set_owned(&run->commit_sha, s);
        return;
    }
    if (!json_is_object(v)) {
        ingest_error(c, "expected an object or a string, got %s", kind(c, v));
        return;
    }
    ingest_set_str(c, v, "sha", INGEST_STR_NAME, &run->commit_sha);
    ingest_get_time(c, v, "time", &run->commit_time);
    ingest_set_str(c, v, "message", 0, &run->commit_message);
    ingest_set_str(c, v, "author", 0, &run->commit_author);
}

static void m_pull_request(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    (void)nv;
    if (!json_is_object(v)) {
        ingest_error(c, "expected an object, got %s", kind(c, v));
        return;
    }
    if (ingest_get_int(c, v, "number", 1, INT64_MAX, &c->run->pr_number) ==
        INGEST_ABSENT)
        ingest_error_key(c, "number", "is required");
    ingest_set_str(c, v, "base_branch", INGEST_STR_NAME, &c->run->base_branch);
}

static void m_testbed(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    struct run *run = c->run;
    const char *s;
    int64_t i;
    double d;

    (void)nv;
    if (json_is_string(v)) {
        if (ingest_str(c, v, INGEST_STR_NAME, &s) == INGEST_OK)
            set_owned(&run->testbed, s);
        return;
    }
    if (!json_is_object(v)) {
        ingest_error(c, "expected an object or a string, got %s", kind(c, v));
        return;
    }
    ingest_json_clean(c, v);
    ingest_set_str(c, v, "name", INGEST_STR_NAME, &run->testbed);
    /* The machine facts that analysis and pages read; anything else is
     * kept as given. */
    ingest_get_str(c, v, "cpu", 0, &s);
    ingest_get_str(c, v, "os", 0, &s);
    ingest_get_str(c, v, "gpu", 0, &s);
    ingest_get_int(c, v, "cores", 1, INT64_MAX, &i);
    ingest_get_nonneg(c, v, "memory_bytes", &d);
    json_object_del(v, "name");
    free(run->testbed_info);
    run->testbed_info = ingest_json_canon_str(v);
}

static void m_started_at(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    (void)nv;
    ingest_time(c, v, &c->run->started_at);
}

static void m_finished_at(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    (void)nv;
    ingest_time(c, v, &c->run->finished_at);
}

static void m_ci(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    (void)nv;
    if (!json_is_object(v)) {
        ingest_error(c, "expected an object, got %s", kind(c, v));
        return;
    }
    ingest_set_str(c, v, "provider", INGEST_STR_NAME, &c->run->ci_provider);
    ingest_set_str(c, v, "url", 0, &c->run->ci_url);
    ingest_set_str(c, v, "job", INGEST_STR_NAME, &c->run->ci_job);
}

static void m_resources(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    static const char *const names[] = {"cpu_pct",      "rss_bytes",
                                        "read_bytes",   "write_bytes",
                                        "gpu_util_pct", "gpu_mem_bytes"};
    json_t *samples, *e;
    size_t i, mark, mark2;

    (void)nv;
    if (!json_is_object(v)) {
        ingest_error(c, "expected an object, got %s", kind(c, v));
        return;
    }
    if (ingest_get_arr(c, v, "samples", &samples) != INGEST_OK)
        return;
    mark = ingest_ptr_push(c, "samples");
    if (json_array_size(samples) > c->lim->max_samples) {
        ingest_error_limit(c, "%zu samples; the limit is %zu",
                           json_array_size(samples), c->lim->max_samples);
        goto out;
    }
    json_array_foreach (samples, i, e) {
        struct resource_sample *rs;

        mark2 = ingest_ptr_push_index(c, i);
        if (!json_is_object(e)) {
            ingest_error(c, "expected an object, got %s", kind(c, e));
            ingest_ptr_pop(c, mark2);
            continue;
        }
        rs = run_resource_add(c->run);
        if (ingest_get_int(c, e, "t_ms", 0, INT64_MAX, &rs->t_ms) ==
            INGEST_ABSENT)
            ingest_error_key(c, "t_ms", "is required");
        {
            double *fields[] = {&rs->cpu_pct,      &rs->rss_bytes,
                                &rs->read_bytes,   &rs->write_bytes,
                                &rs->gpu_util_pct, &rs->gpu_mem_bytes};

            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                ingest_get_nonneg(c, e, names[k], fields[k]);
        }
        ingest_ptr_pop(c, mark2);
    }
out:
    ingest_ptr_pop(c, mark);
}

static void m_metadata(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    if (!json_is_object(v)) {
        ingest_error(c, "expected an object, got %s", kind(c, v));
        return;
    }
    ingest_json_clean(c, v);
    nv->metadata = v;
}

/* ---- results ------------------------------------------------------------ */

/* The benchmark a measure belongs to; NULL members when it is invalid. */
struct bench {
    const char *name; /* borrows */
    char *params;     /* owns */
    char *key;        /* owns */
};

static bool present(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return v && !json_is_null(v);
}

/* One measure (v) at /results/i/measures/<name>. */
static void parse_measure(struct ingest_ctx *c, const struct bench *b,
                          const char *name, json_t *v)
{
    static const char *const stats[] = {"value", "mean",  "median", "min",
                                        "max",   "lower", "upper"};
    struct result res;
    double *fields[] = {&res.value, &res.mean,  &res.median, &res.min,
                        &res.max,   &res.lower, &res.upper};
    size_t errors = c->nerrors, mark;
    const char *unit = "", *canonical = "", *dir;
    double factor = 1;
    int64_t n;
    json_t *samples;

    result_init(&res);
    ingest_name_check(c, name, strlen(name));
    if (json_is_number(v) || ingest_nonfinite_of(c, v) != INGEST_FINITE) {
        /* "latency": 12.3 is a value without a unit. */
        ingest_num(c, v, &res.value);
    } else if (json_is_object(v)) {
        if (ingest_get_str(c, v, "unit", 0, &unit) == INGEST_OK) {
            mark = ingest_ptr_push(c, "unit");
            ingest_unit(c, unit, &canonical, &factor);
            ingest_ptr_pop(c, mark);
        }
        for (size_t k = 0; k < sizeof stats / sizeof stats[0]; k++)
            ingest_get_num(c, v, stats[k], fields[k]);
        ingest_get_nonneg(c, v, "stddev", &res.stddev);
        if (ingest_get_arr(c, v, "samples", &samples) == INGEST_OK) {
            mark = ingest_ptr_push(c, "samples");
            ingest_num_array(c, samples, &res.samples, &res.nsamples);
            ingest_ptr_pop(c, mark);
        }
        if (ingest_get_int(c, v, "n", 0, INT64_MAX, &n) == INGEST_OK)
            res.n = n;
        if (ingest_get_str(c, v, "direction", 0, &dir) == INGEST_OK &&
            direction_parse(dir, &res.direction) != ERR_OK)
            ingest_error_key(c, "direction",
                             "unknown direction %s; expected \"lower\" or "
                             "\"higher\"",
                             ingest_quote(c, dir, strlen(dir)));
        /* Report a missing value only when nothing was there at all, not
         * when a value was there and wrong. */
        samples = json_object_get(v, "samples");
        if (!present(v, "value") && !present(v, "median") &&
            !present(v, "mean") &&
            !(present(v, "samples") &&
              (!json_is_array(samples) || json_array_size(samples) > 0)))
            ingest_error(c, "needs a value, samples, or a mean/median");
    } else {
        ingest_error(c, "expected an object or a number, got %s", kind(c, v));
    }
    if (c->nerrors != errors || !b->key) {
        result_cleanup(&res);
        return;
    }
    res.benchmark = xstrdup(b->name);
    res.params = xstrdup(b->params);
    res.key = xstrdup(b->key);
    res.measure = xstrdup(name);
    res.unit = xstrdup(canonical);
    ingest_result_add(c, &res, factor);
}

/* One entry of "results" (r) at /results/i. */
static void parse_result(struct ingest_ctx *c, json_t *r)
{
    struct bench b = {NULL, NULL, NULL};
    json_t *params, *measures, *mv;
    const char *name;
    bool ok;
    size_t mark, mark2;

    if (!json_is_object(r)) {
        ingest_error(c, "expected an object, got %s", kind(c, r));
        return;
    }
    ok =
        ingest_get_str(c, r, "benchmark", INGEST_STR_NAME | INGEST_STR_REQUIRED,
                       &b.name) == INGEST_OK;
    params = json_object_get(r, "params");
    if (params && !json_is_null(params) && !json_is_object(params)) {
        ingest_error_key(c, "params", "expected an object or null, got %s",
                         kind(c, params));
        ok = false;
    } else if (json_is_object(params)) {
        mark = ingest_ptr_push(c, "params");
        ingest_params_clean(c, params);
        ingest_ptr_pop(c, mark);
    }
    switch (ingest_get_obj(c, r, "measures", &measures)) {
    case INGEST_ABSENT:
        ingest_error_key(c, "measures", "is required");
        return;
    case INGEST_BAD:
        return;
    case INGEST_OK:
        break;
    }
    if (json_object_size(measures) == 0) {
        ingest_error_key(c, "measures", "must have at least one measure");
        return;
    }
    if (ok)
        ingest_params_key(b.name, params, &b.params, &b.key);
    mark = ingest_ptr_push(c, "measures");
    json_object_foreach (measures, name, mv) {
        mark2 = ingest_ptr_push(c, name);
        parse_measure(c, &b, name, mv);
        ingest_ptr_pop(c, mark2);
    }
    ingest_ptr_pop(c, mark);
    free(b.params);
    free(b.key);
}

static void m_results(struct ingest_ctx *c, struct native *nv, json_t *v)
{
    size_t i, mark;
    json_t *r;

    nv->results_seen = true;
    if (!json_is_array(v)) {
        ingest_error(c, "expected an array, got %s", kind(c, v));
        return;
    }
    if (json_array_size(v) == 0) {
        ingest_error(c, "must not be empty");
        return;
    }
    if (json_array_size(v) > c->lim->max_results) {
        ingest_error_limit(c, "%zu results; the limit is %zu",
                           json_array_size(v), c->lim->max_results);
        return;
    }
    /* The run's results array: at least one result per entry. */
    if (c->run->capresults < json_array_size(v)) {
        c->run->capresults = json_array_size(v);
        c->run->results = xreallocarray(c->run->results, c->run->capresults,
                                        sizeof *c->run->results);
    }
    json_array_foreach (v, i, r) {
        mark = ingest_ptr_push_index(c, i);
        parse_result(c, r);
        ingest_ptr_pop(c, mark);
    }
}

/* ---- the document ------------------------------------------------------- */

static const struct {
    const char *name;
    member_fn fn;
} members[] = {
    {"format", m_format},
    {"project", m_project},
    {"branch", m_branch},
    {"commit", m_commit},
    {"pull_request", m_pull_request},
    {"testbed", m_testbed},
    {"started_at", m_started_at},
    {"finished_at", m_finished_at},
    {"ci", m_ci},
    {"results", m_results},
    {"resources", m_resources},
    {"metadata", m_metadata},
};

/*
 * The format key says so ("benchvault/v2" too, so that it is refused with
 * a message, not passed on to other formats), or there are "results" that
 * are not hyperfine's (whose entries have "command" and no "measures").
 */
bool ingest_native_detect(const json_t *root)
{
    const json_t *f = json_object_get(root, "format"), *r, *first;

    if (!json_is_object(root))
        return false;
    if (json_is_string(f))
        return strncmp(json_string_value(f), "benchvault/", 11) == 0;
    r = json_object_get(root, "results");
    if (!r)
        return false;
    first = json_array_get(r, 0);
    return !(json_is_object(first) && json_object_get(first, "command") &&
             !json_object_get(first, "measures"));
}

/* An unknown top-level member goes to metadata (design note 2). */
static void keep_extra(struct ingest_ctx *c, struct native *nv, const char *key,
                       json_t *v)
{
    enum ingest_nonfinite k = ingest_nonfinite_of(c, v);

    ingest_free_key_check(c, key, false);
    if (k != INGEST_FINITE) {
        ingest_warn(c, "%s replaced by null", ingest_nonfinite_name(k));
        json_object_set_new(nv->extra, key, json_null());
        return;
    }
    ingest_json_clean(c, v);
    json_object_set(nv->extra, key, v);
}

void ingest_native_parse(struct ingest_ctx *c, json_t *root)
{
    struct native nv = {json_object(), NULL, false};
    const char *key;
    json_t *v;
    size_t mark, k;

    if (!json_is_object(root)) {
        ingest_error(c, "expected an object, got %s", kind(c, root));
        c->project_handled = true; /* "project is required" would be noise */
        goto out;
    }
    json_object_foreach (root, key, v) {
        mark = ingest_ptr_push(c, key);
        for (k = 0; k < sizeof members / sizeof members[0]; k++)
            if (strcmp(members[k].name, key) == 0)
                break;
        if (k == sizeof members / sizeof members[0])
            keep_extra(c, &nv, key, v);
        else if (!json_is_null(v))
            members[k].fn(c, &nv, v);
        ingest_ptr_pop(c, mark);
    }
    if (!nv.results_seen)
        ingest_error_key(c, "results", "is required");
    if (nv.metadata)
        json_object_update(nv.extra, nv.metadata);
    free(c->run->metadata);
    c->run->metadata = ingest_json_canon_str(nv.extra);
out:
    json_decref(nv.extra);
}
