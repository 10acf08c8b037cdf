/*
 * A project's comparison settings: the noise threshold, per benchmark
 * pattern, and the run-to-run allowance.  They come in the body of
 * PUT /api/v1/projects/{project}/budgets beside the budget rules (which
 * ingest_budgets_parse reads from the same body), and back out of the
 * project's stored settings.
 *
 *   {"noise_threshold": 0.05,
 *    "thresholds": [{"benchmark": "test_sleep*", "measure": "latency",
 *                    "threshold": 0.10}],
 *    "run_to_run_allowance": 0.5}
 *
 * Every member is optional; other members (such as "budgets") are not
 * read here.  Relative values are fractions: 0.05 is 5%.  Errors carry
 * JSON pointers, as for a run.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

void ingest_compare_settings_cleanup(struct ingest_compare_settings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nrules; i++) {
        free(s->rules[i].benchmark_glob);
        free(s->rules[i].measure);
    }
    free(s->rules);
    memset(s, 0, sizeof *s);
    s->threshold = s->allowance = NAN;
}

/* A fraction in [0, max] at obj[key]; false after reporting. */
static bool fraction(struct ingest_ctx *c, const json_t *obj, const char *key,
                     double max, double *out)
{
    double v;
    enum ingest_got g = ingest_get_num(c, obj, key, &v);

    if (g != INGEST_OK)
        return g == INGEST_ABSENT;
    if (!(v >= 0 && v <= max)) {
        ingest_error_key(c, key,
                         "expected a fraction between 0 and %g (0.05 "
                         "is 5%%), got %g",
                         max, v);
        return false;
    }
    *out = v;
    return true;
}

static void rule(struct ingest_ctx *c, const json_t *v,
                 struct ingest_compare_settings *out)
{
    struct ingest_threshold *t;
    const char *glob = "*", *measure = NULL;
    double th = NAN;
    size_t errors = c->nerrors;

    if (!json_is_object(v)) {
        ingest_error(c, "expected an object, got %s", ingest_type_name(c, v));
        return;
    }
    if (ingest_get_str(c, v, "benchmark", INGEST_STR_NAME, &glob) != INGEST_OK)
        glob = "*";
    if (ingest_get_str(c, v, "measure", INGEST_STR_NAME, &measure) != INGEST_OK)
        measure = NULL;
    if (fraction(c, v, "threshold", 10, &th) && isnan(th))
        ingest_error_key(c, "threshold", "is required");
    if (c->nerrors != errors)
        return;
    t = &out->rules[out->nrules++];
    t->benchmark_glob = xstrdup(glob);
    t->measure = xstrdup(measure);
    t->threshold = th;
}

enum err ingest_compare_settings_parse(const char *body, size_t len,
                                       struct ingest_compare_settings *out,
                                       struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL, *arr = NULL;
    enum err e;

    memset(out, 0, sizeof *out);
    out->threshold = out->allowance = NAN;
    ingest_limits_default(&lim);
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = ingest_json_load(&c, body ? body : "", body ? len : 0, &root);
    if (e)
        goto out;
    if (!json_is_object(root)) {
        ingest_error(&c, "expected an object, got %s",
                     ingest_type_name(&c, root));
        goto out;
    }
    /* "threshold" is how the settings are stored; "noise_threshold" how a
     * person writes them. */
    if (!fraction(&c, root, "noise_threshold", 10, &out->threshold))
        goto out;
    if (isnan(out->threshold) &&
        !fraction(&c, root, "threshold", 10, &out->threshold))
        goto out;
    if (!fraction(&c, root, "run_to_run_allowance", 100, &out->allowance))
        goto out;
    if (ingest_get_arr(&c, root, "thresholds", &arr) == INGEST_OK) {
        size_t mark = ingest_ptr_push(&c, "thresholds"), i;
        json_t *v;

        out->rules = xcalloc(json_array_size(arr) + 1, sizeof *out->rules);
        json_array_foreach (arr, i, v) {
            size_t m2 = ingest_ptr_push_index(&c, i);

            rule(&c, v, out);
            ingest_ptr_pop(&c, m2);
        }
        ingest_ptr_pop(&c, mark);
    }
out:
    if (!e && c.nerrors)
        e = ERR_INVALID;
    if (e)
        ingest_compare_settings_cleanup(out);
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}
