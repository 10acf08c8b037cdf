/*
 * CI-side JSON readers for the runner agent (agent/ composes them; jansson
 * stays in ingest/): the CI event file, the server's ingest and compare
 * answers, GitHub's comment list, a budgets file, and one edit of a JSON
 * object text (adding a member to a run's metadata or testbed).
 *
 * Design notes:
 *  1. Everything loads through ingest_json_load, so the same depth limit,
 *     size limit and NaN handling apply as for results.
 *  2. Answers from other programs are read tolerantly: a member with an
 *     unexpected type counts as absent, never as an error, because the
 *     agent must keep working when the server adds fields.  The budgets
 *     file is a person's input and is checked strictly, with pointers.
 *  3. Numbers in the compare answer may be plain or objects with a
 *     "value" (a row's base/head may carry its spread); both are read.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

/* Loads body with the default limits.  ERR_OK with *root (decref it). */
static enum err load(const char *body, size_t len, json_t **root,
                     struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_ctx c;
    enum err e;

    ingest_limits_default(&lim);
    *root = NULL;
    if (len > lim.max_body) {
        err_set(eb, "document larger than %zu bytes", lim.max_body);
        return ERR_TOO_LARGE;
    }
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = ingest_json_load(&c, body ? body : "", body ? len : 0, root);
    ingest_ctx_cleanup(&c);
    return e;
}

static double num_of(const json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "value");
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static char *str_of(const json_t *v)
{
    return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

enum err ingest_ci_event_pr(const char *body, size_t len, int64_t *number,
                            struct errbuf *eb)
{
    json_t *root, *n;
    enum err e;

    *number = 0;
    e = load(body, len, &root, eb);
    if (e)
        return e;
    n = json_object_get(json_object_get(root, "pull_request"), "number");
    /* A merge-group or push event has no pull_request: not an error. */
    if (json_is_integer(n) && json_integer_value(n) > 0)
        *number = json_integer_value(n);
    json_decref(root);
    return ERR_OK;
}

enum err ingest_answer_run_id(const char *body, size_t len, int64_t *run_id)
{
    json_t *root, *v;
    enum err e;

    *run_id = 0;
    e = load(body, len, &root, NULL);
    if (e)
        return e;
    v = json_object_get(root, "run_id");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        *run_id = json_integer_value(v);
    else
        e = ERR_INVALID;
    json_decref(root);
    return e;
}

/* ---- compare answer ----------------------------------------------------- */

void ingest_compare_cleanup(struct ingest_compare *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nrows; i++) {
        free(c->rows[i].benchmark);
        free(c->rows[i].measure);
        free(c->rows[i].unit);
        free(c->rows[i].verdict);
    }
    free(c->rows);
    for (size_t i = 0; i < c->nbudgets; i++) {
        free(c->budgets[i].benchmark);
        free(c->budgets[i].measure);
        free(c->budgets[i].message);
    }
    free(c->budgets);
    for (size_t i = 0; i < c->nrecommendations; i++)
        free(c->recommendations[i]);
    free(c->recommendations);
    memset(c, 0, sizeof *c);
}

static bool truthy(const json_t *v)
{
    return json_is_true(v);
}

/* A row says "one run cannot decide" by its needs_confirmation field
 * (never by words of its reason, which are for people). */
static bool row_needs_confirmation(const json_t *row)
{
    return truthy(json_object_get(row, "needs_confirmation")) ||
           truthy(json_object_get(row, "confirm"));
}

static void read_row(const json_t *v, struct ingest_compare_row *row)
{
    const json_t *ci = json_object_get(v, "change_ci");
    const json_t *bench = json_object_get(v, "benchmark");

    memset(row, 0, sizeof *row);
    /* "benchmark" may be the key or an object {"key", "id", ...}. */
    if (json_is_object(bench))
        bench = json_object_get(bench, "key");
    row->benchmark = str_of(bench);
    row->measure = str_of(json_object_get(v, "measure"));
    row->unit = str_of(json_object_get(v, "unit"));
    row->verdict = str_of(json_object_get(v, "verdict"));
    if (!row->verdict)
        row->verdict = xstrdup("");
    row->base = num_of(json_object_get(v, "base"));
    row->head = num_of(json_object_get(v, "head"));
    row->change = num_of(json_object_get(v, "change"));
    row->change_lo = row->change_hi = NAN;
    if (json_is_array(ci) && json_array_size(ci) == 2) {
        row->change_lo = num_of(json_array_get(ci, 0));
        row->change_hi = num_of(json_array_get(ci, 1));
    }
    row->p_value = num_of(json_object_get(v, "p_value"));
    row->needs_confirmation = row_needs_confirmation(v);
}

/* A budget entry is broken when it says so in any usual spelling. */
static bool budget_broken(const json_t *v)
{
    const json_t *st = json_object_get(v, "status");
    const json_t *ok = json_object_get(v, "ok");
    const json_t *passed = json_object_get(v, "passed");

    if (truthy(json_object_get(v, "broken")) ||
        truthy(json_object_get(v, "violated")))
        return true;
    if (json_is_false(ok) || json_is_false(passed))
        return true;
    if (json_is_string(st)) {
        const char *s = json_string_value(st);

        return !strcmp(s, "broken") || !strcmp(s, "violated") ||
               !strcmp(s, "failed") || !strcmp(s, "fail");
    }
    return false;
}

static void read_budget(const json_t *v, struct ingest_compare_budget *b)
{
    const json_t *bench = json_object_get(v, "benchmark");

    memset(b, 0, sizeof *b);
    if (!json_is_string(bench))
        bench = json_object_get(v, "benchmark_glob");
    b->benchmark = str_of(bench);
    b->measure = str_of(json_object_get(v, "measure"));
    b->message = str_of(json_object_get(v, "message"));
    if (!b->message)
        b->message = str_of(json_object_get(v, "detail"));
    b->value = num_of(json_object_get(v, "value"));
    b->threshold = num_of(json_object_get(v, "threshold"));
    b->broken = budget_broken(v);
}

static int64_t count_of(const json_t *summary, const char *key)
{
    const json_t *v = json_object_get(summary, key);

    return json_is_integer(v) ? json_integer_value(v) : 0;
}

enum err ingest_compare_parse(const char *body, size_t len,
                              struct ingest_compare *out, struct errbuf *eb)
{
    json_t *root, *rows, *budgets, *recs, *summary, *v;
    size_t i;
    enum err e;

    memset(out, 0, sizeof *out);
    e = load(body, len, &root, eb);
    if (e)
        return e;
    rows = json_object_get(root, "rows");
    if (!json_is_array(rows)) {
        err_set(eb, "the comparison answer has no \"rows\" array");
        json_decref(root);
        return ERR_INVALID;
    }
    out->nrows = json_array_size(rows);
    out->rows = xcalloc(out->nrows ? out->nrows : 1, sizeof *out->rows);
    json_array_foreach (rows, i, v)
        read_row(v, &out->rows[i]);
    summary = json_object_get(root, "summary");
    if (json_is_object(summary)) {
        out->regressed = count_of(summary, "regressed");
        out->improved = count_of(summary, "improved");
        out->unchanged = count_of(summary, "unchanged");
        out->inconclusive = count_of(summary, "inconclusive");
    } else {
        /* No summary: count the rows ourselves. */
        for (i = 0; i < out->nrows; i++) {
            const char *vd = out->rows[i].verdict;

            out->regressed += !strcmp(vd, "regressed");
            out->improved += !strcmp(vd, "improved");
            out->unchanged += !strcmp(vd, "unchanged");
            out->inconclusive += !strcmp(vd, "inconclusive");
        }
    }
    budgets = json_object_get(root, "budgets");
    if (json_is_array(budgets)) {
        out->budgets =
            xcalloc(json_array_size(budgets) + 1, sizeof *out->budgets);
        json_array_foreach (budgets, i, v)
            if (json_is_object(v))
                read_budget(v, &out->budgets[out->nbudgets++]);
    }
    recs = json_object_get(root, "recommendations");
    if (json_is_array(recs)) {
        out->recommendations =
            xcalloc(json_array_size(recs) + 1, sizeof *out->recommendations);
        json_array_foreach (recs, i, v) {
            char *s = str_of(v);

            /* An object recommendation: its text, message or title. */
            if (!s && json_is_object(v)) {
                s = str_of(json_object_get(v, "text"));
                if (!s)
                    s = str_of(json_object_get(v, "message"));
                if (!s)
                    s = str_of(json_object_get(v, "title"));
            }
            if (s)
                out->recommendations[out->nrecommendations++] = s;
        }
    }
    json_decref(root);
    return ERR_OK;
}

/* ---- GitHub comments ---------------------------------------------------- */

enum err ingest_gh_comment_find(const char *body, size_t len,
                                const char *marker, int64_t *id, size_t *count)
{
    json_t *root, *v;
    size_t i;
    enum err e;

    *id = 0;
    *count = 0;
    e = load(body, len, &root, NULL);
    if (e)
        return e;
    if (!json_is_array(root)) {
        json_decref(root);
        return ERR_INVALID;
    }
    *count = json_array_size(root);
    json_array_foreach (root, i, v) {
        const json_t *b = json_object_get(v, "body");
        const json_t *cid = json_object_get(v, "id");

        if (json_is_string(b) && json_is_integer(cid) &&
            strstr(json_string_value(b), marker)) {
            *id = json_integer_value(cid);
            break;
        }
    }
    json_decref(root);
    return ERR_OK;
}

/* ---- budgets file ------------------------------------------------------- */

void ingest_budgets_free(struct ingest_budget *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++) {
        free(b[i].benchmark_glob);
        free(b[i].measure);
        free(b[i].unit);
    }
    free(b);
}

/* One rule at the current pointer; false after reporting. */
static bool budget_rule(struct ingest_ctx *c, json_t *v,
                        struct ingest_budget *b)
{
    const char *glob = "*", *measure = NULL, *unit = "", *canonical = "";
    double factor = 1, maxv = NAN, minv = NAN;
    size_t errors = c->nerrors, mark;

    memset(b, 0, sizeof *b);
    if (!json_is_object(v)) {
        ingest_error(c, "expected an object, got %s", ingest_type_name(c, v));
        return false;
    }
    if (ingest_get_str(c, v, "benchmark", INGEST_STR_NAME, &glob) != INGEST_OK)
        glob = "*";
    ingest_get_str(c, v, "measure", INGEST_STR_NAME | INGEST_STR_REQUIRED,
                   &measure);
    if (ingest_get_str(c, v, "unit", 0, &unit) == INGEST_OK && unit) {
        mark = ingest_ptr_push(c, "unit");
        ingest_unit(c, unit, &canonical, &factor);
        ingest_ptr_pop(c, mark);
    }
    ingest_get_num(c, v, "max", &maxv);
    ingest_get_num(c, v, "min", &minv);
    if (isnan(maxv) == isnan(minv))
        ingest_error(c, "give exactly one of \"max\" or \"min\"");
    if (c->nerrors != errors)
        return false;
    b->benchmark_glob = xstrdup(glob);
    b->measure = xstrdup(measure);
    b->unit = xstrdup(canonical);
    b->is_max = !isnan(maxv);
    b->threshold = unit_convert(b->is_max ? maxv : minv, factor);
    return true;
}

enum err ingest_budgets_parse(const char *body, size_t len,
                              struct ingest_budget **out, size_t *n,
                              struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL, *arr;
    size_t i, mark, k = 0;
    bool wrapped;
    enum err e;

    *out = NULL;
    *n = 0;
    ingest_limits_default(&lim);
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = ingest_json_load(&c, body ? body : "", body ? len : 0, &root);
    if (e)
        goto out;
    arr = json_is_array(root) ? root : json_object_get(root, "budgets");
    if (!json_is_array(arr)) {
        ingest_error(&c, "expected {\"budgets\": [...]} or an array of "
                         "rules");
        goto done;
    }
    wrapped = !json_is_array(root);
    mark = wrapped ? ingest_ptr_push(&c, "budgets") : 0;
    *out = xcalloc(json_array_size(arr) + 1, sizeof **out);
    for (i = 0; i < json_array_size(arr); i++) {
        size_t m2 = ingest_ptr_push_index(&c, i);

        if (budget_rule(&c, json_array_get(arr, i), &(*out)[k]))
            k++;
        ingest_ptr_pop(&c, m2);
    }
    if (wrapped)
        ingest_ptr_pop(&c, mark);
    *n = k;
done:
    if (c.nerrors) {
        e = ERR_INVALID;
        ingest_budgets_free(*out, k);
        *out = NULL;
        *n = 0;
    }
out:
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}

/* ---- one member of a JSON object text ----------------------------------- */

enum err ingest_json_set(const char *obj, const char *key, const char *value,
                         char **out)
{
    json_t *root = NULL, *v = NULL;
    enum err e = ERR_OK;

    *out = NULL;
    if (obj && *obj) {
        if (load(obj, strlen(obj), &root, NULL) || !json_is_object(root)) {
            e = ERR_INVALID;
            goto out;
        }
    } else {
        root = json_object();
    }
    /* A scalar is fine here: JSON_DECODE_ANY. */
    v = json_loads(value, JSON_DECODE_ANY, NULL);
    if (!v) {
        e = ERR_INVALID;
        goto out;
    }
    json_object_set_new(root, key, v);
    *out = ingest_json_canon_str(root);
out:
    json_decref(root);
    return e;
}

/* ---- the CI event, in full ---------------------------------------------- */

void ingest_ci_event_cleanup(struct ingest_ci_event *ev)
{
    if (!ev)
        return;
    free(ev->head_sha);
    free(ev->head_repo);
    free(ev->base_repo);
    memset(ev, 0, sizeof *ev);
}

enum err ingest_ci_event_read(const char *body, size_t len,
                              struct ingest_ci_event *out, struct errbuf *eb)
{
    json_t *root, *pr, *head, *base, *n;
    enum err e;

    memset(out, 0, sizeof *out);
    e = load(body, len, &root, eb);
    if (e)
        return e;
    /* A push or merge-group event has no pull_request: not an error. */
    pr = json_object_get(root, "pull_request");
    n = json_object_get(pr, "number");
    if (json_is_integer(n) && json_integer_value(n) > 0)
        out->pr_number = json_integer_value(n);
    head = json_object_get(pr, "head");
    base = json_object_get(pr, "base");
    out->head_sha = str_of(json_object_get(head, "sha"));
    out->head_repo =
        str_of(json_object_get(json_object_get(head, "repo"), "full_name"));
    out->base_repo =
        str_of(json_object_get(json_object_get(base, "repo"), "full_name"));
    json_decref(root);
    return ERR_OK;
}
