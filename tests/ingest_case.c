/*
 * ingest_case: runs one data-driven ingest case (tests/data/ingest/).
 *
 *   ingest_case CASE_DIR [--print]
 *
 * A case folder holds the body (input.json, or input.txt for a body that is
 * not JSON) and exactly one expectation:
 *   expected.json  the parse succeeds and the run, printed as JSON by
 *                  print_run() below, equals it structurally: same object
 *                  keys (any order), same array lengths, strings and
 *                  booleans equal, integers equal, other numbers within
 *                  1e-12 relative.  Stored JSON texts (params, metadata,
 *                  testbed_info) are printed as strings, so their canonical
 *                  bytes are compared exactly.
 *   error          line 1: the HTTP status the failure maps to (400, 413,
 *                  415, 422); then one line "pointer: message" per error
 *                  item in order ("?name: message" for an item about a
 *                  parameter given beside the body, e.g. ?format), or,
 *                  when there are no items, the one-line
 *                  errbuf message; then "(N more)" if items were dropped.
 *                  Compared exactly, line by line.
 * Optional files: format (the format argument), content_type (the body's
 * Content-Type, e.g. a multipart/form-data type with its boundary; the body
 * then goes through ingest_parse_body), project (the project of the
 * URL), overrides ("branch x", "commit y", "testbed z", "pr_number 5",
 * "base_branch b", one a line), limits ("max_samples 3", "max_text 16", one a
 * line; the rest default).
 *
 * --print writes what the case produced (the run JSON or the error text) to
 * stdout, for writing a new case; read it before saving it as expected.
 *
 * jansson is used here only to compare JSON; the run is printed with core's
 * JSON writer, so nothing of ingest's internals is involved.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ingest/ingest.h"

static bool read_file(const char *dir, const char *name, struct buf *out)
{
    char path[4096];
    char chunk[65536];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f)
        return false;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        (void)buf_add(out, chunk, n);
    (void)buf_add(out, "", 0); /* data is non-NULL even for an empty file */
    fclose(f);
    return true;
}

/* The first line of a small file, without its line end; NULL if absent. */
static char *first_line(const char *dir, const char *name)
{
    struct buf b;
    char *s;

    buf_init(&b, 0);
    if (!read_file(dir, name, &b)) {
        buf_cleanup(&b);
        return NULL;
    }
    s = buf_take(&b);
    s[strcspn(s, "\r\n")] = '\0';
    return s;
}

/* Calls fn(key, value) for each "key value" line of an optional file. */
static bool each_pair(const char *dir, const char *name,
                      bool (*fn)(const char *k, const char *v, void *arg),
                      void *arg)
{
    struct buf b;
    char *line, *next, *sp;
    bool ok = true;

    buf_init(&b, 0);
    if (!read_file(dir, name, &b))
        goto out;
    for (line = b.data; line && *line && ok; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        if (!*line)
            continue;
        sp = strchr(line, ' ');
        if (!sp) {
            fprintf(stderr, "%s: bad line \"%s\"\n", name, line);
            ok = false;
            break;
        }
        *sp = '\0';
        ok = fn(line, sp + 1, arg);
    }
out:
    buf_cleanup(&b);
    return ok;
}

static bool set_limit(const char *k, const char *v, void *arg)
{
    struct ingest_limits *lim = arg;
    int64_t x;

    if (parse_int64(v, 0, INT64_MAX, &x)) {
        fprintf(stderr, "limits: bad number \"%s\"\n", v);
        return false;
    }
    if (strcmp(k, "max_body") == 0)
        lim->max_body = (size_t)x;
    else if (strcmp(k, "max_depth") == 0)
        lim->max_depth = (unsigned)x;
    else if (strcmp(k, "max_name") == 0)
        lim->max_name = (size_t)x;
    else if (strcmp(k, "max_text") == 0)
        lim->max_text = (size_t)x;
    else if (strcmp(k, "max_samples") == 0)
        lim->max_samples = (size_t)x;
    else if (strcmp(k, "max_results") == 0)
        lim->max_results = (size_t)x;
    else {
        fprintf(stderr, "limits: unknown limit \"%s\"\n", k);
        return false;
    }
    return true;
}

/* Values of the overrides file; they live until main returns. */
struct ov_store {
    struct ingest_overrides ov;
    char *s[5];
};

static bool set_override(const char *k, const char *v, void *arg)
{
    static const char *const names[] = {"project", "branch", "commit",
                                        "testbed", "base_branch"};
    struct ov_store *st = arg;
    const char **fields[] = {&st->ov.project, &st->ov.branch, &st->ov.commit,
                             &st->ov.testbed, &st->ov.base_branch};

    if (strcmp(k, "pr_number") == 0) {
        if (parse_int64(v, INT64_MIN, INT64_MAX, &st->ov.pr_number)) {
            fprintf(stderr, "overrides: bad pr_number \"%s\"\n", v);
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < 5; i++) {
        if (strcmp(k, names[i]) == 0) {
            free(st->s[i]);
            st->s[i] = xstrdup(v);
            *fields[i] = st->s[i];
            return true;
        }
    }
    fprintf(stderr, "overrides: unknown field \"%s\"\n", k);
    return false;
}

/* ---- printing the run --------------------------------------------------- */

static void ktime(struct jw *w, const char *key, int64_t ms)
{
    char iso[TIME_ISO_LEN];

    jw_key(w, key);
    if (ms == TIME_NONE) {
        jw_null(w);
        return;
    }
    time_format_iso(ms, iso);
    jw_str(w, iso);
}

static void print_run(const struct run *r, struct buf *out)
{
    struct jw w;

    jw_init(&w, out);
    jw_obj_begin(&w);
    jw_kint(&w, "id", r->id);
    jw_kstr(&w, "project", r->project);
    jw_kstr(&w, "branch", r->branch);
    jw_kstr(&w, "commit_sha", r->commit_sha);
    jw_kstr(&w, "commit_message", r->commit_message);
    jw_kstr(&w, "commit_author", r->commit_author);
    ktime(&w, "commit_time", r->commit_time);
    jw_kint(&w, "pr_number", r->pr_number);
    jw_kstr(&w, "base_branch", r->base_branch);
    jw_kstr(&w, "testbed", r->testbed);
    jw_kstr(&w, "testbed_info", r->testbed_info);
    ktime(&w, "started_at", r->started_at);
    ktime(&w, "finished_at", r->finished_at);
    ktime(&w, "created_at", r->created_at);
    jw_kstr(&w, "format", r->format);
    jw_kstr(&w, "ci_provider", r->ci_provider);
    jw_kstr(&w, "ci_url", r->ci_url);
    jw_kstr(&w, "ci_job", r->ci_job);
    jw_kstr(&w, "metadata", r->metadata);
    jw_kint(&w, "result_count", r->result_count);
    jw_key(&w, "results");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->nresults; i++) {
        const struct result *res = &r->results[i];

        jw_obj_begin(&w);
        jw_kint(&w, "id", res->id);
        jw_kstr(&w, "benchmark", res->benchmark);
        jw_kstr(&w, "params", res->params);
        jw_kstr(&w, "key", res->key);
        jw_kstr(&w, "measure", res->measure);
        jw_kstr(&w, "unit", res->unit);
        jw_kstr(&w, "direction",
                res->direction == DIR_UNSET ? NULL
                                            : direction_str(res->direction));
        jw_knum(&w, "value", res->value);
        jw_knum(&w, "mean", res->mean);
        jw_knum(&w, "median", res->median);
        jw_knum(&w, "stddev", res->stddev);
        jw_knum(&w, "min", res->min);
        jw_knum(&w, "max", res->max);
        jw_knum(&w, "lower", res->lower);
        jw_knum(&w, "upper", res->upper);
        jw_kint(&w, "n", res->n);
        jw_key(&w, "derived");
        jw_bool(&w, res->derived);
        jw_key(&w, "samples");
        jw_arr_begin(&w);
        for (size_t k = 0; k < res->nsamples; k++)
            jw_num(&w, res->samples[k]);
        jw_arr_end(&w);
        jw_kstr(&w, "pointer", res->pointer);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "resources");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->nresources; i++) {
        const struct resource_sample *s = &r->resources[i];

        jw_obj_begin(&w);
        jw_kint(&w, "t_ms", s->t_ms);
        jw_knum(&w, "cpu_pct", s->cpu_pct);
        jw_knum(&w, "rss_bytes", s->rss_bytes);
        jw_knum(&w, "read_bytes", s->read_bytes);
        jw_knum(&w, "write_bytes", s->write_bytes);
        jw_knum(&w, "gpu_util_pct", s->gpu_util_pct);
        jw_knum(&w, "gpu_mem_bytes", s->gpu_mem_bytes);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_key(&w, "warnings");
    jw_arr_begin(&w);
    for (size_t i = 0; i < r->nwarnings; i++)
        jw_str(&w, r->warnings[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    (void)buf_addc(out, '\n');
}

/* ---- comparing ---------------------------------------------------------- */

static bool num_close(double a, double b)
{
    double scale = fmax(fabs(a), fabs(b));

    return a == b || fabs(a - b) <= 1e-12 * scale;
}

/* Structural equality (see the top comment); path grows as it descends. */
static bool json_same(const json_t *want, const json_t *got, struct buf *path)
{
    size_t mark = path->len;
    bool same = true;

    if (json_is_number(want) && json_is_number(got)) {
        if (json_is_integer(want) && json_is_integer(got))
            return json_integer_value(want) == json_integer_value(got);
        return num_close(json_number_value(want), json_number_value(got));
    }
    if (json_typeof(want) != json_typeof(got))
        return false;
    switch (json_typeof(want)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *v;

        if (json_object_size(want) != json_object_size(got)) {
            json_object_foreach ((json_t *)want, key, v) {
                if (!json_object_get(got, key)) {
                    (void)buf_printf(path, "/%s (missing)", key);
                    return false;
                }
            }
            json_object_foreach ((json_t *)got, key, v) {
                if (!json_object_get(want, key)) {
                    (void)buf_printf(path, "/%s (unexpected)", key);
                    return false;
                }
            }
        }
        json_object_foreach ((json_t *)want, key, v) {
            json_t *g = json_object_get(got, key);

            (void)buf_printf(path, "/%s", key);
            if (!g || !json_same(v, g, path))
                return false;
            path->len = mark;
            path->data[mark] = '\0';
        }
        break;
    }
    case JSON_ARRAY:
        if (json_array_size(want) != json_array_size(got)) {
            (void)buf_printf(path, " (length %zu, want %zu)",
                             json_array_size(got), json_array_size(want));
            return false;
        }
        for (size_t i = 0; i < json_array_size(want) && same; i++) {
            (void)buf_printf(path, "/%zu", i);
            same = json_same(json_array_get(want, i), json_array_get(got, i),
                             path);
            if (same) {
                path->len = mark;
                path->data[mark] = '\0';
            }
        }
        break;
    case JSON_STRING:
        same = json_string_length(want) == json_string_length(got) &&
               memcmp(json_string_value(want), json_string_value(got),
                      json_string_length(want)) == 0;
        break;
    default:
        same = json_equal((json_t *)want, (json_t *)got);
        break;
    }
    return same;
}

static int status_of(enum err e)
{
    static const struct {
        enum err e;
        int status;
    } map[] = {
        {ERR_OK, 200},          {ERR_MALFORMED, 400}, {ERR_TOO_LARGE, 413},
        {ERR_UNSUPPORTED, 415}, {ERR_INVALID, 422},
    };

    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].e == e)
            return map[i].status;
    return 500;
}

static void print_error(enum err e, const struct errbuf *eb, struct buf *out)
{
    (void)buf_printf(out, "%d\n", status_of(e));
    /* An error about a parameter given beside the body: "?name: ...". */
    for (size_t i = 0; i < eb->nitems; i++)
        (void)buf_printf(out, "%s%s: %s\n", eb->items[i].parameter ? "?" : "",
                         eb->items[i].parameter ? eb->items[i].parameter
                                                : eb->items[i].pointer,
                         eb->items[i].message);
    if (eb->nitems == 0)
        (void)buf_printf(out, "%s\n", eb->msg);
    if (eb->dropped)
        (void)buf_printf(out, "(%zu more)\n", eb->dropped);
}

/* Drops trailing white space so a final newline in a file is optional. */
static void rtrim(struct buf *b)
{
    while (b->len &&
           (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r' ||
            b->data[b->len - 1] == ' '))
        b->data[--b->len] = '\0';
}

int main(int argc, char **argv)
{
    const char *dir;
    bool print;
    struct buf body, want, got, path;
    struct ingest_limits lim;
    struct ov_store ovs;
    struct run run;
    struct errbuf eb;
    char *format = NULL, *project = NULL, *ctype = NULL;
    bool has_expected, has_error;
    enum err e;
    int rc = 1;

    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--print"))) {
        fprintf(stderr, "usage: ingest_case CASE_DIR [--print]\n");
        return 2;
    }
    dir = argv[1];
    print = argc == 3;
    buf_init(&body, 0);
    buf_init(&want, 0);
    buf_init(&got, 0);
    buf_init(&path, 0);
    memset(&ovs, 0, sizeof ovs);
    run_init(&run);
    err_init(&eb);
    ingest_limits_default(&lim);

    if (!read_file(dir, "input.json", &body) &&
        !read_file(dir, "input.txt", &body)) {
        fprintf(stderr, "%s: no input.json or input.txt\n", dir);
        goto out;
    }
    has_expected = read_file(dir, "expected.json", &want);
    has_error = !has_expected && read_file(dir, "error", &want);
    if (!print && !has_expected && !has_error) {
        fprintf(stderr, "%s: needs expected.json or error\n", dir);
        goto out;
    }
    format = first_line(dir, "format");
    project = first_line(dir, "project");
    ctype = first_line(dir, "content_type");
    if (!each_pair(dir, "limits", set_limit, &lim) ||
        !each_pair(dir, "overrides", set_override, &ovs))
        goto out;
    if (project)
        ovs.ov.project = project;

    e = ingest_parse_body(body.data, body.len, ctype, format, &ovs.ov, &lim,
                          &run, &eb);
    if (e == ERR_OK) {
        print_run(&run, &got);
    } else {
        print_error(e, &eb, &got);
        if (run.nresults || run.project || run.nwarnings || run.metadata)
            fprintf(stderr, "%s: the run is not empty after a failure\n", dir);
    }
    if (print) {
        fputs(buf_str(&got), stdout);
        rc = 0;
        goto out;
    }
    if (has_error) {
        rtrim(&want);
        rtrim(&got);
        if (strcmp(buf_str(&want), buf_str(&got)) != 0) {
            fprintf(stderr, "%s: error differs\n--- want\n%s\n--- got\n%s\n",
                    dir, buf_str(&want), buf_str(&got));
            goto out;
        }
        if (run.nresults || run.project || run.nwarnings || run.metadata)
            goto out;
    } else {
        json_error_t je;
        json_t *w = json_loads(buf_str(&want), 0, &je), *g;

        if (!w) {
            fprintf(stderr, "%s/expected.json: line %d: %s\n", dir, je.line,
                    je.text);
            goto out;
        }
        if (e != ERR_OK) {
            fprintf(stderr, "%s: expected success, got\n%s", dir,
                    buf_str(&got));
            json_decref(w);
            goto out;
        }
        g = json_loads(buf_str(&got), 0, &je);
        if (!g || !json_same(w, g, &path)) {
            fprintf(stderr, "%s: the run differs at %s\n--- got\n%s", dir,
                    g ? buf_str(&path) : "(unparseable output)", buf_str(&got));
            json_decref(w);
            json_decref(g);
            goto out;
        }
        json_decref(w);
        json_decref(g);
    }
    rc = 0;
out:
    buf_cleanup(&body);
    buf_cleanup(&want);
    buf_cleanup(&got);
    buf_cleanup(&path);
    run_cleanup(&run);
    err_cleanup(&eb);
    for (size_t i = 0; i < 5; i++)
        free(ovs.s[i]);
    free(format);
    free(project);
    free(ctype);
    return rc;
}
