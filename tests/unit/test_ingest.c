/*
 * unit.ingest: ingest_parse through its public contract (ingest/ingest.h).
 * The data cases in tests/data/ingest/ pin every message; these tests cover
 * what a case folder cannot express: NULL arguments, reuse of the output
 * run, the pre-scan's corner cases, limits given as numbers, scale (100k
 * results, duplicate detection), and the speed of the 1,000 x 100 run.
 */
/* cmocka.h needs these first, in this order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ingest/ingest.h"

/* Parses s with default limits and the given URL project. */
static enum err parse(const char *s, const char *project, struct run *r,
                      struct errbuf *eb)
{
    struct ingest_overrides ov = {0};

    ov.project = project;
    run_cleanup(r);
    err_cleanup(eb);
    return ingest_parse(s, strlen(s), NULL, &ov, NULL, r, eb);
}

static bool run_is_empty(const struct run *r)
{
    return r->nresults == 0 && !r->results && !r->project && !r->branch &&
           !r->metadata && r->nwarnings == 0 && r->nresources == 0 &&
           r->commit_time == TIME_NONE;
}

#define ONE_RESULT                                                             \
    "\"results\": [{\"benchmark\": \"b\", \"measures\": {\"t\": 1}}]"

/* ---- the small API ------------------------------------------------------ */

static void test_limits_and_names(void **state)
{
    struct ingest_limits lim;
    const char *const *names = ingest_format_names();

    (void)state;
    ingest_limits_default(&lim);
    assert_int_equal(lim.max_body, 16u << 20);
    assert_int_equal(lim.max_depth, 64);
    assert_int_equal(lim.max_name, 256);
    assert_int_equal(lim.max_samples, 1000000);
    assert_int_equal(lim.max_results, 100000);
    assert_string_equal(names[0], "benchvault/v1");
    assert_string_equal(names[1], "pytest-benchmark");
    assert_string_equal(names[6], "bmf");
    assert_null(names[7]);
}

static void test_slug(void **state)
{
    char long_slug[300];

    (void)state;
    assert_true(ingest_slug_valid("alpha-q", 256));
    assert_true(ingest_slug_valid("A.b_c-9", 256));
    assert_true(ingest_slug_valid("9lives", 256));
    assert_false(ingest_slug_valid("", 256));
    assert_false(ingest_slug_valid(NULL, 256));
    assert_false(ingest_slug_valid("-a", 256));
    assert_false(ingest_slug_valid(".a", 256));
    assert_false(ingest_slug_valid("_a", 256));
    assert_false(ingest_slug_valid("a b", 256));
    assert_false(ingest_slug_valid("a/b", 256));
    assert_false(ingest_slug_valid("gr\xc3\xb6\xc3\x9f"
                                   "e",
                                   256));
    memset(long_slug, 'a', 256);
    long_slug[256] = '\0';
    assert_true(ingest_slug_valid(long_slug, 256));
    long_slug[256] = 'a';
    long_slug[257] = '\0';
    assert_false(ingest_slug_valid(long_slug, 256));
    assert_false(ingest_slug_valid("abc", 2));
}

/* ---- arguments ---------------------------------------------------------- */

static void test_null_arguments(void **state)
{
    const char *body = "{\"project\": \"p\", " ONE_RESULT "}";
    struct run r;

    (void)state;
    run_init(&r);
    /* No overrides, no limits, no errbuf. */
    assert_int_equal(
        ingest_parse(body, strlen(body), NULL, NULL, NULL, &r, NULL), ERR_OK);
    assert_string_equal(r.project, "p");
    assert_int_equal(ingest_parse("[]", 2, NULL, NULL, NULL, &r, NULL),
                     ERR_UNSUPPORTED);
    assert_true(run_is_empty(&r));
    assert_int_equal(ingest_parse("{\"results\": []}", 15, "benchvault/v1",
                                  NULL, NULL, &r, NULL),
                     ERR_INVALID);
    assert_int_equal(ingest_parse(NULL, 0, NULL, NULL, NULL, &r, NULL),
                     ERR_MALFORMED);
    run_cleanup(&r);
}

static void test_format_argument(void **state)
{
    const char *body = "{\"project\": \"p\", " ONE_RESULT "}";
    const char *const good[] = {"auto", "benchvault/v1", ""};
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(
            ingest_parse(body, strlen(body), good[i], NULL, NULL, &r, &eb),
            ERR_OK);
        assert_string_equal(r.format, "benchvault/v1");
    }
    assert_int_equal(
        ingest_parse(body, strlen(body), "criterion", NULL, NULL, &r, &eb),
        ERR_UNSUPPORTED);
    assert_string_equal(eb.msg, "unknown format \"criterion\"; known: "
                                "benchvault/v1, pytest-benchmark, gbench, "
                                "hyperfine, locust, gotest, bmf");
    assert_int_equal(eb.nitems, 1);
    assert_string_equal(eb.items[0].parameter, "format");
    assert_true(run_is_empty(&r));
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_output_reused(void **state)
{
    const char *a =
        "{\"project\": \"p\", \"branch\": \"x\", \"commit\": {\"sha\": "
        "\"c1\"}, \"m\": NaN, " ONE_RESULT "}";
    const char *b = "{\"project\": \"q\", " ONE_RESULT "}";
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(a, NULL, &r, &eb), ERR_OK);
    assert_int_equal(r.nwarnings, 1);
    /* A second parse into the same run replaces, never appends. */
    assert_int_equal(ingest_parse(b, strlen(b), NULL, NULL, NULL, &r, &eb),
                     ERR_OK);
    assert_string_equal(r.project, "q");
    assert_string_equal(r.branch, "unknown");
    assert_int_equal(r.nresults, 1);
    /* its own warnings only: no branch, no commit */
    assert_int_equal(r.nwarnings, 2);
    /* A failure empties it. */
    assert_int_equal(
        parse("{\"project\": \"p\", \"results\": 1}", NULL, &r, &eb),
        ERR_INVALID);
    assert_true(run_is_empty(&r));
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_overrides(void **state)
{
    const char *body = "{\"project\": \"p\", \"branch\": \"(detached head)\", "
                       "\"pull_request\": {\"number\": 3}, " ONE_RESULT "}";
    struct ingest_overrides ov = {0};
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    ov.project = "p";
    ov.branch = "main";
    ov.pr_number = 9;
    assert_int_equal(ingest_parse(body, strlen(body), NULL, &ov, NULL, &r, &eb),
                     ERR_OK);
    assert_string_equal(r.branch, "main");
    assert_true(r.pr_number == 9);

    /* Overrides are checked like the fields they replace, before the
     * body: a bad query parameter is the caller's 400 (issue 13.3). */
    ov.branch = "a\nb";
    ov.testbed = "";
    ov.pr_number = -1;
    assert_int_equal(ingest_parse(body, strlen(body), NULL, &ov, NULL, &r, &eb),
                     ERR_MALFORMED);
    assert_int_equal(eb.nitems, 3);
    /* They name the parameter, not a place in the body (issue 12.14). */
    assert_string_equal(eb.items[0].pointer, "");
    assert_string_equal(eb.items[0].parameter, "branch");
    assert_string_equal(eb.items[1].parameter, "testbed");
    assert_string_equal(eb.items[2].parameter, "pr");
    err_cleanup(&eb);

    /* The URL project alone is enough; a bad one is reported. */
    ov = (struct ingest_overrides){0};
    ov.project = "from-url";
    assert_int_equal(ingest_parse("{" ONE_RESULT "}",
                                  strlen("{" ONE_RESULT "}"), NULL, &ov, NULL,
                                  &r, &eb),
                     ERR_OK);
    assert_string_equal(r.project, "from-url");
    ov.project = "bad slug";
    assert_int_equal(ingest_parse("{" ONE_RESULT "}",
                                  strlen("{" ONE_RESULT "}"), NULL, &ov, NULL,
                                  &r, &eb),
                     ERR_INVALID);
    assert_string_equal(eb.items[0].pointer, "/project");
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* ---- pre-scan ----------------------------------------------------------- */

static void test_prescan_strings(void **state)
{
    /* Tokens inside strings (with escaped quotes and backslashes before
     * them) are text; only the bare one is rewritten. */
    const char *body =
        "{\"project\": \"p\", \"branch\": \"main\", \"commit\": {\"sha\": "
        "\"c1\"}, \"metadata\": {\"a\": \"x\\\\\\\" NaN\", "
        "\"b\": \"[{Infinity\", \"c\": NaN, \"d\": "
        "[1,NaN,-Infinity]}, " ONE_RESULT "}";
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(body, NULL, &r, &eb), ERR_OK);
    assert_string_equal(r.metadata,
                        "{\"a\":\"x\\\\\\\" NaN\",\"b\":\"[{Infinity\","
                        "\"c\":null,\"d\":[1,null,null]}");
    assert_int_equal(r.nwarnings, 3);
    assert_string_equal(r.warnings[0], "/metadata/c: NaN replaced by null");
    assert_string_equal(r.warnings[2],
                        "/metadata/d/2: -Infinity replaced by null");
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_prescan_marker_text_kept(void **state)
{
    /* Without a bare token, a string that spells a marker is just text. */
    const char *body = "{\"project\": \"p\", \"branch\": \"main\", "
                       "\"commit\": {\"sha\": \"c1\"}, \"metadata\": "
                       "{\"s\": \"\\u0000NaN\"}, " ONE_RESULT "}";
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    /* It is not turned into null; as text it holds a NUL, which no stored
     * string may (issue 13.3). */
    assert_int_equal(parse(body, NULL, &r, &eb), ERR_INVALID);
    assert_int_equal(eb.nitems, 1);
    assert_string_equal(eb.items[0].pointer, "/metadata/s");
    assert_string_equal(eb.items[0].message, "contains a NUL character");
    assert_int_equal(r.nwarnings, 0);
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_prescan_tokens_not_values(void **state)
{
    static const char *const bad[] = {
        "{\"project\": \"p\", \"m\": NaNa, " ONE_RESULT "}",
        "{\"project\": \"p\", \"m\": -Infinityy, " ONE_RESULT "}",
        "{\"project\": \"p\", \"m\": nan, " ONE_RESULT "}",
        "{\"project\": \"p\", NaN: 1, " ONE_RESULT "}",
        "NaN",
        "[NaN NaN]",
    };
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], NULL, &r, &eb), ERR_MALFORMED);
        assert_true(strncmp(eb.msg, "line 1, column ", 15) == 0);
        assert_true(run_is_empty(&r));
    }
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* "{"project":"p","metadata":{"x":" + depth arrays + "}," + results + "}" */
static char *nested(unsigned arrays)
{
    struct buf b;

    buf_init(&b, 0);
    (void)buf_adds(&b, "{\"project\": \"p\", \"metadata\": {\"x\": ");
    for (unsigned i = 0; i < arrays; i++)
        (void)buf_addc(&b, '[');
    for (unsigned i = 0; i < arrays; i++)
        (void)buf_addc(&b, ']');
    (void)buf_adds(&b, "}, " ONE_RESULT "}");
    return buf_take(&b);
}

static void test_depth(void **state)
{
    struct ingest_limits lim;
    struct run r;
    struct errbuf eb;
    char *ok = nested(62), *deep = nested(63), *wide;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(ok, NULL, &r, &eb), ERR_OK); /* 64 levels */
    assert_int_equal(parse(deep, NULL, &r, &eb), ERR_MALFORMED);
    assert_string_equal(eb.msg, "JSON nesting deeper than 64 levels");
    err_cleanup(&eb);
    /* A configured limit, and brackets inside strings do not count. */
    ingest_limits_default(&lim);
    lim.max_depth = 4;
    wide = xasprintf("{\"project\": \"p\", \"metadata\": {\"s\": "
                     "\"[[[[[[[[{{{{\", \"t\": [[1], {\"u\": 1}]}, %s}",
                     ONE_RESULT);
    assert_int_equal(
        ingest_parse(wide, strlen(wide), NULL, NULL, &lim, &r, &eb), ERR_OK);
    lim.max_depth = 3;
    assert_int_equal(
        ingest_parse(wide, strlen(wide), NULL, NULL, &lim, &r, &eb),
        ERR_MALFORMED);
    assert_string_equal(eb.msg, "JSON nesting deeper than 3 levels");
    free(ok);
    free(deep);
    free(wide);
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_bom_and_empty(void **state)
{
    const char *bom = "\xEF\xBB\xBF{\"project\": \"p\", " ONE_RESULT "}";
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(bom, NULL, &r, &eb), ERR_OK);
    assert_int_equal(parse("\xEF\xBB\xBF", NULL, &r, &eb), ERR_MALFORMED);
    assert_string_equal(eb.msg, "empty body");
    assert_int_equal(parse(" \r\n\t", NULL, &r, &eb), ERR_MALFORMED);
    assert_string_equal(eb.msg, "empty body");
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* ---- values ------------------------------------------------------------- */

static void test_integral_reals_are_one_param(void **state)
{
    /* 100 and 100.0 are the same parameter value, so the same benchmark. */
    const char *body =
        "{\"project\": \"p\", \"results\": ["
        "{\"benchmark\": \"b\", \"params\": {\"n\": 100}, \"measures\": "
        "{\"t\": 1}},"
        "{\"benchmark\": \"b\", \"params\": {\"n\": 100.0}, \"measures\": "
        "{\"t\": 2}}]}";
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(body, NULL, &r, &eb), ERR_INVALID);
    assert_int_equal(eb.nitems, 1);
    assert_string_equal(eb.items[0].pointer, "/results/1/measures/t");
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_errors_collected(void **state)
{
    const char *body =
        "{\"project\": \"p\", \"branch\": 1, \"results\": ["
        "{\"benchmark\": \"b\", \"measures\": {\"t\": \"x\", \"u\": {}}},"
        "{\"benchmark\": \"\", \"measures\": {\"t\": 1}}]}";
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(body, NULL, &r, &eb), ERR_INVALID);
    assert_int_equal(eb.nitems, 4);
    assert_string_equal(eb.items[0].pointer, "/branch");
    assert_string_equal(eb.items[1].pointer, "/results/0/measures/t");
    assert_string_equal(eb.items[2].pointer, "/results/0/measures/u");
    assert_string_equal(eb.items[3].pointer, "/results/1/benchmark");
    assert_string_equal(eb.msg, "/branch: expected a string, got an integer");
    assert_true(run_is_empty(&r));
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* ---- scale -------------------------------------------------------------- */

/* nres results of one benchmark each, with nsamples latency samples in ms.
 * dup_last repeats result 0's benchmark as the last one. */
static char *big_body(size_t nres, size_t nsamples, bool dup_last)
{
    struct buf b;
    uint64_t x = 88172645463325252u;

    buf_init(&b, 0);
    (void)buf_adds(&b, "{\"format\": \"benchvault/v1\", \"project\": \"p\", "
                       "\"commit\": {\"sha\": \"abc\"}, \"results\": [");
    for (size_t i = 0; i < nres; i++) {
        (void)buf_printf(&b,
                         "%s{\"benchmark\": \"bench_%zu\", \"params\": "
                         "{\"n\": %zu}, \"measures\": {\"latency\": "
                         "{\"unit\": \"ms\", \"samples\": [",
                         i ? "," : "",
                         dup_last && i == nres - 1 ? (size_t)0 : i,
                         dup_last && i == nres - 1 ? (size_t)0 : i);
        for (size_t k = 0; k < nsamples; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (void)buf_printf(&b, "%s%.7g", k ? "," : "",
                             10 + (double)(x % 100000) / 1e4);
        }
        (void)buf_adds(&b, "]}}}");
    }
    (void)buf_adds(&b, "]}");
    return buf_take(&b);
}

static void test_many_results_and_duplicate(void **state)
{
    char *body = big_body(100000, 1, false);
    char *dup = big_body(100000, 1, true);
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(body, NULL, &r, &eb), ERR_OK);
    assert_int_equal(r.nresults, 100000);
    assert_string_equal(r.results[99999].key, "bench_99999[n=99999]");
    assert_string_equal(r.results[99999].pointer,
                        "/results/99999/measures/latency");
    assert_int_equal(parse(dup, NULL, &r, &eb), ERR_INVALID);
    assert_int_equal(eb.nitems, 1);
    assert_string_equal(eb.items[0].pointer, "/results/99999/measures/latency");
    assert_string_equal(eb.items[0].message,
                        "duplicate of /results/0/measures/latency (same "
                        "benchmark, params and measure)");
    free(body);
    free(dup);
    run_cleanup(&r);
    err_cleanup(&eb);
}

/*
 * The 1,000 x 100 run of the brief.  The rate is printed; the assertion is
 * loose (sanitizers slow this build several times) and only catches a
 * quadratic slip.  bench/ measures the real figure.
 */
static void test_speed(void **state)
{
    char *body = big_body(1000, 100, false);
    struct run r;
    struct errbuf eb;
    double best = 1e9;

    (void)state;
    run_init(&r);
    err_init(&eb);
    for (int rep = 0; rep < 3; rep++) {
        uint64_t t0 = time_mono_ns();
        enum err e = parse(body, NULL, &r, &eb);
        double s = (double)(time_mono_ns() - t0) / 1e9;

        assert_int_equal(e, ERR_OK);
        if (s < best)
            best = s;
    }
    assert_int_equal(r.nresults, 1000);
    assert_int_equal(r.results[0].nsamples, 100);
    /* ms -> s, and value = the median of the samples. */
    assert_true(r.results[0].value > 0.010 && r.results[0].value < 0.020);
    printf("    1,000 x 100 samples: %.1f ms, %.2f M sample values/s\n",
           best * 1e3, 100000 / best / 1e6);
    /* reported, not asserted: `make bench` checks the target */
    free(body);
    run_cleanup(&r);
    err_cleanup(&eb);
}

static void test_limits_as_numbers(void **state)
{
    char *body = big_body(5, 4, false);
    struct ingest_limits lim;
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    ingest_limits_default(&lim);
    lim.max_samples = 3;
    assert_int_equal(
        ingest_parse(body, strlen(body), NULL, NULL, &lim, &r, &eb),
        ERR_TOO_LARGE);
    assert_int_equal(eb.nitems, 5); /* each result reports its samples */
    err_cleanup(&eb);
    ingest_limits_default(&lim);
    lim.max_body = strlen(body) - 1;
    assert_int_equal(
        ingest_parse(body, strlen(body), NULL, NULL, &lim, &r, &eb),
        ERR_TOO_LARGE);
    lim.max_body = strlen(body);
    assert_int_equal(
        ingest_parse(body, strlen(body), NULL, NULL, &lim, &r, &eb), ERR_OK);
    free(body);
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* ---- tool formats: what a case folder cannot express ------------------- */

#define LOCUST_STATS                                                           \
    "Type,Name,Request Count,Failure Count,Median Response Time,Average "      \
    "Response Time,Min Response Time,Max Response Time,Average Content "       \
    "Size,Requests/s,Failures/s,50%,100%\r\n"                                  \
    "GET,/a,4,1,2,2.5,1.0,4.0,6.0,1.5,0.5,2,4\r\n"                             \
    ",Aggregated,4,1,2,2.5,1.0,4.0,6.0,1.5,0.5,2,4\r\n"

/* Encoding is deterministic (push's Idempotency-Key hashes the body) and
 * decodes to the same parts; a part holding the boundary is impossible. */
static void test_multipart_round_trip(void **state)
{
    struct ingest_part parts[2] = {
        {"stats", "lr_stats.csv", "text/csv", LOCUST_STATS,
         sizeof LOCUST_STATS - 1},
        {"stats_history", NULL, NULL, "", 0},
    };
    char ct1[128], ct2[128];
    struct buf a, b;
    struct run r;
    struct errbuf eb;

    (void)state;
    buf_init(&a, 0);
    buf_init(&b, 0);
    run_init(&r);
    err_init(&eb);
    assert_int_equal(ingest_multipart_encode(parts, 2, &a, ct1, sizeof ct1),
                     ERR_OK);
    assert_int_equal(ingest_multipart_encode(parts, 2, &b, ct2, sizeof ct2),
                     ERR_OK);
    assert_string_equal(ct1, ct2);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_true(strncmp(ct1, "multipart/form-data; boundary=", 30) == 0);
    assert_int_equal(
        ingest_parse_body(a.data, a.len, ct1, NULL, NULL, NULL, &r, &eb),
        ERR_INVALID); /* no project */
    assert_int_equal(eb.nitems, 1);
    assert_string_equal(eb.items[0].pointer, "/project");
    {
        struct ingest_overrides ov = {0};

        ov.project = "p";
        assert_int_equal(
            ingest_parse_body(a.data, a.len, ct1, NULL, &ov, NULL, &r, &eb),
            ERR_OK);
        assert_string_equal(r.format, "locust");
        assert_int_equal(r.nresults, 2 * 7);
        assert_true(r.results[0].mean == 0.0025);
        assert_true(r.results[0].median == 0.002);
    }
    /* a name that cannot be a header value */
    parts[1].name = "a\"b";
    buf_reset(&a);
    assert_int_equal(ingest_multipart_encode(parts, 2, &a, ct1, sizeof ct1),
                     ERR_INVALID);
    /* a body cut short is malformed, not half-read */
    parts[1].name = "stats_history";
    buf_reset(&a);
    assert_int_equal(ingest_multipart_encode(parts, 2, &a, ct1, sizeof ct1),
                     ERR_OK);
    assert_int_equal(
        ingest_parse_body(a.data, a.len - 10, ct1, NULL, NULL, NULL, &r, &eb),
        ERR_MALFORMED);
    assert_true(run_is_empty(&r));
    buf_cleanup(&a);
    buf_cleanup(&b);
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* JSON sent as text is refused; text sent as anything is read. */
static void test_content_types(void **state)
{
    const char *json = "{\"project\": \"p\", " ONE_RESULT "}";
    const char *text = "BenchmarkX-2 \t 100\t 5.5 ns/op\n";
    struct run r;
    struct errbuf eb;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(ingest_parse_body(json, strlen(json), "text/plain", NULL,
                                       NULL, NULL, &r, &eb),
                     ERR_UNSUPPORTED);
    assert_int_equal(ingest_parse_body(json, strlen(json),
                                       "application/vnd.x+json", NULL, NULL,
                                       NULL, &r, &eb),
                     ERR_OK);
    for (size_t i = 0; i < 3; i++) {
        static const char *const cts[] = {"text/plain", "application/json",
                                          NULL};
        struct ingest_overrides ov = {0};

        ov.project = "p";
        assert_int_equal(ingest_parse_body(text, strlen(text), cts[i], NULL,
                                           &ov, NULL, &r, &eb),
                         ERR_OK);
        assert_string_equal(r.format, "gotest");
        assert_string_equal(r.results[0].key, "BenchmarkX");
        assert_true(r.results[0].value == 5.5e-9);
    }
    run_cleanup(&r);
    err_cleanup(&eb);
}

/* ---- hyperfine scans (issue 12 item 4) ----------------------------------- */

/* A hyperfine file of n results "A<i> x<i>" with parameter n = "A<i>":
 * every command its own scan, each needing a template search. */
static char *distinct_scans(size_t n)
{
    struct buf b;

    buf_init(&b, 0);
    (void)buf_adds(&b, "{\"results\": [");
    for (size_t i = 0; i < n; i++)
        (void)buf_printf(&b,
                         "%s{\"command\": \"A%zu x%zu\", \"times\": [1], "
                         "\"parameters\": {\"n\": \"A%zu\"}}",
                         i ? "," : "", i, i, i);
    (void)buf_adds(&b, "]}");
    return buf_take(&b);
}

static void test_hyperfine_scan_limits(void **state)
{
    /* A value that occurs 13 times: not searched, said once. */
    const char *many = "{\"results\": [{\"command\": \"1 1 1 1 1 1 1 1 1 1 1 1 "
                       "1\", \"times\": [1], \"parameters\": {\"n\": \"1\"}}]}";
    char *body = distinct_scans(5000);
    struct run r;
    struct errbuf eb;
    uint64_t t0;
    double s;

    (void)state;
    run_init(&r);
    err_init(&eb);
    assert_int_equal(parse(many, "p", &r, &eb), ERR_OK);
    assert_string_equal(r.results[0].benchmark, "1 1 1 1 1 1 1 1 1 1 1 1 1");
    assert_non_null(strstr(r.warnings[0], "cannot be named"));
    /* 5,000 distinct scans: each is named by its template "{n} x<i>" and
     * the search stays linear-ish (a budget, then each under itself). */
    t0 = time_mono_ns();
    assert_int_equal(parse(body, "p", &r, &eb), ERR_OK);
    s = (double)(time_mono_ns() - t0) / 1e9;
    assert_int_equal(r.nresults, 5000);
    assert_string_equal(r.results[0].benchmark, "{n} x0");
    assert_true(s < 20); /* n^2 checks would take minutes under ASan */
    print_message("    5,000 distinct hyperfine scans: %.2f s\n", s);
    free(body);
    run_cleanup(&r);
    err_cleanup(&eb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_and_names),
        cmocka_unit_test(test_slug),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_format_argument),
        cmocka_unit_test(test_output_reused),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_prescan_strings),
        cmocka_unit_test(test_prescan_marker_text_kept),
        cmocka_unit_test(test_prescan_tokens_not_values),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_bom_and_empty),
        cmocka_unit_test(test_integral_reals_are_one_param),
        cmocka_unit_test(test_errors_collected),
        cmocka_unit_test(test_many_results_and_duplicate),
        cmocka_unit_test(test_speed),
        cmocka_unit_test(test_limits_as_numbers),
        cmocka_unit_test(test_multipart_round_trip),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_hyperfine_scan_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
