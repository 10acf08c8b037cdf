/*
 * `go test -bench` output (go1.19 as Debian ships it): the text, with or
 * without -benchmem, and the same text wrapped by `go test -json`
 * (test2json events, whose Output strings are joined per package first:
 * one result line can be split over two events).  FORMATS.md section 5.
 * Text, so it never goes through the JSON pre-scan.
 *
 * Mapping (docs/formats.md):
 *   BenchmarkName/sub-P      benchmark = the top-level name (BenchmarkSort);
 *                            params = the sub-benchmark path: "k=v"
 *                            segments as k (a number when v is one), other
 *                            segments as arg0, arg1 ...; -P (GOMAXPROCS)
 *                            as the param gomaxprocs only when the same
 *                            benchmark ran with several values (-cpu 1,4),
 *                            else in metadata
 *   ns/op                    measure latency (s)
 *   B/op                     measure bytes_per_op (B)
 *   allocs/op                measure allocs_per_op (count)
 *   MB/s                     measure bytes_per_second (B/s; Go's MB = 1e6),
 *                            derived (from ns/op and SetBytes)
 *   any other unit (x/op)    measure named after it ("hits/op" ->
 *                            hits_per_op), dimensionless, as written
 *   -count=N repeats         samples; value = their median; mean, min,
 *                            max, stddev derived; n = the repeats
 *   goos, goarch, cpu        testbed info (os, arch, cpu); pkg -> metadata
 *   --- FAIL / --- SKIP      a warning; the benchmark has no result line
 *
 * Design notes:
 *  1. A result line is "Benchmark<name> <N> (<value> <unit>)+" split on
 *     white space; anything else (logs, PASS, ok, test output) is skipped,
 *     so a line that only looks like a result is not guessed at.  go test
 *     prints the name before running and the numbers after, so output
 *     written by the benchmark can sit between them: a name alone on a
 *     line waits for a following "<N> <value> <unit>..." line.
 *  2. The same name in two packages would collide: only then does "pkg"
 *     become a param of those benchmarks.
 *  3. Pointers are /<line> (1-based) into the text, and /<package>/<line>
 *     into a package's joined output for -json input.
 */
#include "ingest/ingest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 256

static const struct {
    const char *unit, *measure, *canonical_as;
    bool derived; /* Go computes it from ns/op (SetBytes / ns per op) */
} known_units[] = {
    {"ns/op", "latency", "ns", false},
    {"B/op", "bytes_per_op", "B", false},
    {"allocs/op", "allocs_per_op", "", false},
    {"MB/s", "bytes_per_second", "MB/s", true},
};

/* ---- lines and tokens ---------------------------------------------------- */

struct tokens {
    const char *s[MAX_TOKENS];
    size_t n[MAX_TOKENS];
    size_t count;
};

static bool ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

static void tokenize(const char *p, size_t n, struct tokens *t)
{
    size_t i = 0;

    t->count = 0;
    while (i < n && t->count < MAX_TOKENS) {
        while (i < n && ws(p[i]))
            i++;
        if (i == n)
            break;
        t->s[t->count] = p + i;
        while (i < n && !ws(p[i]))
            i++;
        t->n[t->count] = (size_t)(p + i - t->s[t->count]);
        t->count++;
    }
}

static bool tok_is(const struct tokens *t, size_t i, const char *s)
{
    return i < t->count && t->n[i] == strlen(s) &&
           memcmp(t->s[i], s, t->n[i]) == 0;
}

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* "<N> (<value> <unit>)+" from token `from` on. */
static bool numbers_ok(const struct tokens *t, size_t from)
{
    double v;

    if (from >= t->count || !all_digits(t->s[from], t->n[from]) ||
        (t->count - from - 1) % 2 || t->count - from < 3)
        return false;
    for (size_t i = from + 1; i < t->count; i += 2) {
        enum ingest_textnum k = ingest_text_num(t->s[i], t->n[i], &v);

        if (k != INGEST_TN_OK && k != INGEST_TN_NONFINITE)
            return false;
    }
    return true;
}

static bool is_bench_name(const struct tokens *t)
{
    return t->count >= 1 && t->n[0] >= 9 &&
           memcmp(t->s[0], "Benchmark", 9) == 0;
}

/* A test2json stream starts with a one-line JSON object with "Action". */
static bool json_events(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    size_t ln = nl ? (size_t)(nl - p) : n;
    json_t *ev;
    bool yes;

    if (!ln || p[0] != '{')
        return false;
    ev = json_loadb(p, ln, 0, NULL);
    yes = json_is_string(json_object_get(ev, "Action")) &&
          (json_object_get(ev, "Package") || json_object_get(ev, "Time"));
    json_decref(ev);
    return yes;
}

bool ingest_gotest_sniff(const char *p, size_t n)
{
    struct tokens t;
    size_t i = 0, lines = 0;

    if (json_events(p, n))
        return true;
    /* A result line within the first few thousand lines. */
    while (i < n && lines++ < 5000) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t ln = nl ? (size_t)(nl - (p + i)) : n - i;

        tokenize(p + i, ln, &t);
        if (is_bench_name(&t) && numbers_ok(&t, 1))
            return true;
        i += ln + 1;
    }
    return false;
}

/* ---- grouping ------------------------------------------------------------ */

struct gseries {
    char *unit; /* owns */
    double *v;  /* owns */
    size_t n, cap;
};

struct group {
    size_t pkg;  /* index into the package list */
    char *name;  /* owns: without -P */
    long procs;  /* -1: no -P suffix */
    size_t line; /* first result line */
    char *ptr;   /* owns: its pointer */
    struct gseries *s;
    size_t ns, count;
    char *key; /* owns; NULL: unusable */
    json_t *params;
    bool procs_param;
};

struct gotest {
    struct ingest_ctx *c;
    json_t *map; /* "pkg\001name\001procs" -> group index */
    struct group *g;
    size_t ng;
    json_t *pkgs;   /* array of package paths ("" first: none) */
    json_t *info;   /* testbed info */
    size_t results; /* result lines read */
};

static size_t pkg_index(struct gotest *gt, const char *pkg, size_t n)
{
    json_t *v;
    size_t i;

    json_array_foreach (gt->pkgs, i, v)
        if (json_string_length(v) == n &&
            memcmp(json_string_value(v), pkg, n) == 0)
            return i;
    json_array_append_new(gt->pkgs, json_stringn_nocheck(pkg, n));
    return json_array_size(gt->pkgs) - 1;
}

static struct gseries *series_of(struct group *g, const char *unit, size_t n)
{
    for (size_t i = 0; i < g->ns; i++)
        if (strlen(g->s[i].unit) == n && memcmp(g->s[i].unit, unit, n) == 0)
            return &g->s[i];
    g->s = xreallocarray(g->s, g->ns + 1, sizeof *g->s);
    memset(&g->s[g->ns], 0, sizeof g->s[g->ns]);
    g->s[g->ns].unit = xstrndup(unit, n);
    return &g->s[g->ns++];
}

/* One result: name token and the "<N> <value> <unit>..." tokens. */
static void add_result(struct gotest *gt, size_t pkg, const char *name,
                       size_t nl, const struct tokens *t, size_t from,
                       size_t line)
{
    struct ingest_ctx *c = gt->c;
    long procs = -1;
    size_t base = nl, i;
    struct buf key;
    json_t *idx;
    struct group *g;

    /* -P: the last '-' followed only by digits (FORMATS.md). */
    for (i = nl; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
        ;
    if (i < nl && i > 1 && name[i - 1] == '-' && nl - i < 8) {
        base = i - 1;
        procs = 0;
        for (size_t k = i; k < nl; k++)
            procs = procs * 10 + (name[k] - '0');
    }
    if (!ingest_name_check(c, name, base))
        return;
    buf_init(&key, 0);
    (void)buf_printf(&key, "%zu\001%.*s\001%ld", pkg, (int)base, name, procs);
    idx = json_object_get(gt->map, buf_str(&key));
    if (!idx) {
        gt->g = xreallocarray(gt->g, gt->ng + 1, sizeof *gt->g);
        g = &gt->g[gt->ng];
        memset(g, 0, sizeof *g);
        g->pkg = pkg;
        g->name = xstrndup(name, base);
        g->procs = procs;
        g->line = line;
        g->ptr = xstrdup(ingest_ptr(c));
        json_object_set_new_nocheck(gt->map, buf_str(&key),
                                    json_integer((json_int_t)gt->ng));
        gt->ng++;
    } else {
        g = &gt->g[json_integer_value(idx)];
    }
    buf_cleanup(&key);
    g->count++;
    gt->results++;
    for (i = from + 1; i + 1 < t->count; i += 2) {
        struct gseries *s = series_of(g, t->s[i + 1], t->n[i + 1]);
        double v;

        if (ingest_text_num(t->s[i], t->n[i], &v) != INGEST_TN_OK) {
            ingest_warn(c, "%.*s %.*s is not a finite number; not stored",
                        (int)t->n[i], t->s[i], (int)t->n[i + 1], t->s[i + 1]);
            continue;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 4;
            s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
        }
        s->v[s->n++] = v;
    }
}

static void header_line(struct gotest *gt, const char *p, size_t n, size_t *pkg)
{
    static const struct {
        const char *prefix, *info;
    } headers[] = {{"goos: ", "os"}, {"goarch: ", "arch"}, {"cpu: ", "cpu"}};

    if (n > 5 && memcmp(p, "pkg: ", 5) == 0) {
        if (text_utf8_valid(p + 5, n - 5))
            *pkg = pkg_index(gt, p + 5, n - 5);
        return;
    }
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        size_t pl = strlen(headers[i].prefix);

        if (n > pl && memcmp(p, headers[i].prefix, pl) == 0 &&
            text_utf8_valid(p + pl, n - pl))
            json_object_set_new(gt->info, headers[i].info,
                                json_stringn(p + pl, n - pl));
    }
}

/* The text of one package (or of the whole input): note 1. */
static void read_text(struct gotest *gt, const char *p, size_t n, size_t pkg)
{
    struct ingest_ctx *c = gt->c;
    struct tokens t;
    size_t i = 0, line = 0, pend_line = 0, pending_n = 0;
    const char *pending = NULL;

    while (i < n) {
        const char *s = p + i, *nl = memchr(s, '\n', n - i);
        size_t ln = nl ? (size_t)(nl - s) : n - i, mark;

        i += ln + 1;
        line++;
        while (ln && s[ln - 1] == '\r')
            ln--;
        if (!ln)
            continue;
        tokenize(s, ln, &t);
        if (is_bench_name(&t) && numbers_ok(&t, 1)) {
            mark = ingest_ptr_push_index(c, line);
            add_result(gt, pkg, t.s[0], t.n[0], &t, 1, line);
            ingest_ptr_pop(c, mark);
            pending = NULL;
        } else if (is_bench_name(&t) && t.count == 1) {
            pending = t.s[0];
            pending_n = t.n[0];
            pend_line = line;
        } else if (pending && numbers_ok(&t, 0)) {
            mark = ingest_ptr_push_index(c, pend_line);
            add_result(gt, pkg, pending, pending_n, &t, 0, pend_line);
            ingest_ptr_pop(c, mark);
            pending = NULL;
        } else if (t.count >= 3 && tok_is(&t, 0, "---") &&
                   (tok_is(&t, 1, "FAIL:") || tok_is(&t, 1, "SKIP:")) &&
                   t.n[2] >= 9 && memcmp(t.s[2], "Benchmark", 9) == 0) {
            mark = ingest_ptr_push_index(c, line);
            if (text_utf8_valid(t.s[2], t.n[2]))
                ingest_warn(c, "%.*s %s; no result", (int)t.n[2], t.s[2],
                            tok_is(&t, 1, "FAIL:") ? "failed" : "was skipped");
            ingest_ptr_pop(c, mark);
        } else {
            header_line(gt, s, ln, &pkg);
        }
    }
}

/* -json input: Output strings joined per package, then read as text. */
struct pkgtext {
    char *pkg; /* owns */
    struct buf b;
};

static void read_events(struct gotest *gt, const char *p, size_t n)
{
    struct ingest_ctx *c = gt->c;
    struct pkgtext *pt = NULL;
    size_t npt = 0, i = 0, line = 0, k;

    while (i < n) {
        const char *s = p + i, *nl = memchr(s, '\n', n - i);
        size_t ln = nl ? (size_t)(nl - s) : n - i;
        const char *pkg, *out;
        json_t *ev;

        i += ln + 1;
        line++;
        while (ln && (s[ln - 1] == '\r' || ws(s[ln - 1])))
            ln--;
        if (!ln)
            continue;
        ev = json_loadb(s, ln, 0, NULL);
        if (!json_is_object(ev)) {
            size_t mark = ingest_ptr_push_index(c, line);

            ingest_error(c, "not a go test -json event");
            ingest_ptr_pop(c, mark);
            json_decref(ev);
            break;
        }
        pkg = json_string_value(json_object_get(ev, "Package"));
        out = json_string_value(json_object_get(ev, "Output"));
        if (!pkg)
            pkg = "";
        for (k = 0; k < npt && strcmp(pt[k].pkg, pkg) != 0; k++)
            ;
        if (k == npt) {
            /* One buffer per package; all of them together hold at most
             * the body's bytes, so no limit beyond max_body is needed. */
            pt = xreallocarray(pt, npt + 1, sizeof *pt);
            pt[npt].pkg = xstrdup(pkg);
            buf_init(&pt[npt].b, 0);
            npt++;
        }
        if (out)
            (void)buf_add(&pt[k].b, out,
                          json_string_length(json_object_get(ev, "Output")));
        json_decref(ev);
    }
    for (k = 0; k < npt; k++) {
        size_t mark = ingest_ptr_push(c, pt[k].pkg);

        if (!memchr(buf_str(&pt[k].b), '\0', pt[k].b.len))
            read_text(gt, buf_str(&pt[k].b), pt[k].b.len,
                      pkg_index(gt, pt[k].pkg, strlen(pt[k].pkg)));
        ingest_ptr_pop(c, mark);
        buf_cleanup(&pt[k].b);
        free(pt[k].pkg);
    }
    free(pt);
}

/* ---- results ------------------------------------------------------------- */

/* The params of a sub-benchmark path (the mapping in the header). */
static json_t *path_params(const char *name, const char **slash_out)
{
    json_t *params = json_object();
    const char *slash = strchr(name, '/');
    unsigned pos = 0;

    *slash_out = slash;
    while (slash) {
        const char *seg = slash + 1, *eq;
        size_t sn;

        slash = strchr(seg, '/');
        sn = slash ? (size_t)(slash - seg) : strlen(seg);
        eq = memchr(seg, '=', sn);
        if (eq && eq != seg) {
            char *k = xstrndup(seg, (size_t)(eq - seg));
            size_t vn = sn - (size_t)(eq - seg) - 1;
            json_t *num = ingest_text_json_num(eq + 1, vn);

            json_object_set_new(params, k,
                                num ? num : json_stringn(eq + 1, vn));
            free(k);
        } else {
            char k[32];
            json_t *num = ingest_text_json_num(seg, sn);

            snprintf(k, sizeof k, "arg%u", pos++);
            json_object_set_new(params, k, num ? num : json_stringn(seg, sn));
        }
    }
    return params;
}

static void group_key(struct group *g)
{
    const char *slash;
    char *family, *params_json = NULL;

    json_decref(g->params);
    g->params = path_params(g->name, &slash);
    /* go test leaves out -P when it is 1. */
    if (g->procs_param)
        json_object_set_new(g->params, "gomaxprocs",
                            json_integer(g->procs < 0 ? 1 : g->procs));
    family =
        slash ? xstrndup(g->name, (size_t)(slash - g->name)) : xstrdup(g->name);
    free(g->key);
    ingest_params_key(family, g->params, &params_json, &g->key);
    free(params_json);
    free(family);
}

static void keys(struct gotest *gt)
{
    json_t *seen = json_object();

    json_t *procs = json_object();
    struct buf k;

    /* gomaxprocs is a param only when one benchmark has several values:
     * "pkg\001name" -> its first -P, or true once a second one shows. */
    buf_init(&k, 0);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < gt->ng; i++) {
            json_t *seen_p;

            buf_reset(&k);
            (void)buf_printf(&k, "%zu\001%s", gt->g[i].pkg, gt->g[i].name);
            seen_p = json_object_get(procs, buf_str(&k));
            if (pass == 1)
                gt->g[i].procs_param = json_is_true(seen_p);
            else if (!seen_p)
                json_object_set_new_nocheck(procs, buf_str(&k),
                                            json_integer(gt->g[i].procs));
            else if (json_is_integer(seen_p) &&
                     json_integer_value(seen_p) != gt->g[i].procs)
                json_object_set_new_nocheck(procs, buf_str(&k), json_true());
        }
    }
    buf_cleanup(&k);
    json_decref(procs);
    for (size_t i = 0; i < gt->ng; i++)
        group_key(&gt->g[i]);
    /* Note 2: a key in two packages gets its package. */
    for (size_t i = 0; i < gt->ng; i++) {
        json_t *first = json_object_get(seen, gt->g[i].key);

        if (!first) {
            json_object_set_new_nocheck(seen, gt->g[i].key,
                                        json_integer((json_int_t)i));
            continue;
        }
        for (size_t side = 0; side < 2; side++) {
            struct group *g =
                side ? &gt->g[i] : &gt->g[json_integer_value(first)];
            const char *pkg =
                json_string_value(json_array_get(gt->pkgs, g->pkg));

            if (pkg && *pkg && !json_object_get(g->params, "pkg")) {
                char *params_json = NULL, *family;
                const char *slash = strchr(g->name, '/');

                json_object_set_new(g->params, "pkg", json_string(pkg));
                family = slash ? xstrndup(g->name, (size_t)(slash - g->name))
                               : xstrdup(g->name);
                free(g->key);
                ingest_params_key(family, g->params, &params_json, &g->key);
                free(params_json);
                free(family);
            }
        }
    }
    json_decref(seen);
}

static void group_results(struct gotest *gt, struct group *g)
{
    struct ingest_ctx *c = gt->c;
    struct ingest_bench b = {NULL, NULL, NULL};
    const char *slash = strchr(g->name, '/');
    char *family =
        slash ? xstrndup(g->name, (size_t)(slash - g->name)) : xstrdup(g->name);

    /* Errors and the result's pointer: the group's first line (the
     * caller's pointer is the root). */
    buf_reset(&c->ptr);
    (void)buf_adds(&c->ptr, g->ptr);
    ingest_bench_set(&b, family, g->params);
    for (size_t i = 0; i < g->ns; i++) {
        struct gseries *s = &g->s[i];
        const char *measure = NULL, *unit = "";
        struct result res;
        struct buf name;
        bool derived = false;
        size_t k;

        if (!s->n)
            continue;
        buf_init(&name, 0);
        for (k = 0; k < sizeof known_units / sizeof known_units[0]; k++) {
            if (strcmp(known_units[k].unit, s->unit) == 0) {
                measure = known_units[k].measure;
                unit = known_units[k].canonical_as;
                derived = known_units[k].derived;
                break;
            }
        }
        if (!measure) {
            /* "hits/op" -> hits_per_op */
            for (const char *q = s->unit; *q; q++) {
                if (*q == '/')
                    (void)buf_adds(&name, "_per_");
                else
                    (void)buf_addc(&name, *q);
            }
            measure = buf_str(&name);
            if (!ingest_name_check(c, measure, strlen(measure))) {
                buf_cleanup(&name);
                continue;
            }
        }
        result_init(&res);
        res.samples = s->v;
        res.nsamples = s->n;
        s->v = NULL;
        s->n = 0;
        res.n = (int64_t)res.nsamples;
        res.derived = derived;
        ingest_stats_from_samples(&res);
        ingest_measure_add(c, &b, measure, unit, &res);
        result_cleanup(&res);
        buf_cleanup(&name);
    }
    ingest_bench_cleanup(&b);
    free(family);
    buf_reset(&c->ptr);
    (void)buf_add(&c->ptr, "", 0);
}

void ingest_gotest_parse(struct ingest_ctx *c, const struct ingest_input *in)
{
    struct gotest gt;
    json_t *meta = json_object();
    long procs = -2;
    size_t i;

    memset(&gt, 0, sizeof gt);
    gt.c = c;
    gt.map = json_object();
    gt.pkgs = json_array();
    gt.info = json_object();
    json_array_append_new(gt.pkgs, json_string(""));
    if (json_events(in->data, in->len))
        read_events(&gt, in->data, in->len);
    else
        read_text(&gt, in->data, in->len, 0);
    if (!gt.results && !c->nerrors)
        ingest_error(c, "no benchmark result lines (\"BenchmarkName N value "
                        "unit ...\"): was go test run with -bench?");
    keys(&gt);
    for (i = 0; i < gt.ng; i++) {
        group_results(&gt, &gt.g[i]);
        if (!gt.g[i].procs_param)
            procs = procs == -2 || procs == gt.g[i].procs ? gt.g[i].procs : -3;
    }
    if (json_object_size(gt.info))
        ingest_set_json(&c->run->testbed_info, gt.info);
    if (json_array_size(gt.pkgs) > 1) {
        json_array_remove(gt.pkgs, 0);
        json_object_set(meta, "pkg",
                        json_array_size(gt.pkgs) == 1
                            ? json_array_get(gt.pkgs, 0)
                            : gt.pkgs);
    }
    if (procs >= -1) /* -1: no -P suffix, which go test means as 1 */
        json_object_set_new(meta, "gomaxprocs",
                            json_integer(procs < 0 ? 1 : procs));
    if (json_object_get(gt.info, "os"))
        json_object_set(meta, "goos", json_object_get(gt.info, "os"));
    if (json_object_get(gt.info, "arch"))
        json_object_set(meta, "goarch", json_object_get(gt.info, "arch"));
    ingest_set_json(&c->run->metadata, meta);
    for (i = 0; i < gt.ng; i++) {
        for (size_t k = 0; k < gt.g[i].ns; k++) {
            free(gt.g[i].s[k].unit);
            free(gt.g[i].s[k].v);
        }
        free(gt.g[i].s);
        free(gt.g[i].name);
        free(gt.g[i].ptr);
        free(gt.g[i].key);
        json_decref(gt.g[i].params);
    }
    free(gt.g);
    json_decref(gt.map);
    json_decref(gt.pkgs);
    json_decref(gt.info);
    json_decref(meta);
}
