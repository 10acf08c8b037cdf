/*
 * unit.core: the shared tools of core/ (buffers, the JSON writer, time and
 * unit parsing, checked number parsing, globbing, the error buffer, the run
 * model, hashing).  Expected values are written out by hand; times were
 * checked against Python's calendar.timegm.
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

/* ---- buf ---------------------------------------------------------------- */

static void test_buf_limit_keeps_contents(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_adds(&b, "hello"), ERR_OK);
    assert_int_equal(buf_adds(&b, "world"), ERR_TOO_LARGE);
    assert_string_equal(buf_str(&b), "hello");
    assert_int_equal(b.len, 5);
    assert_int_equal(buf_printf(&b, "%d", 12345), ERR_TOO_LARGE);
    assert_string_equal(buf_str(&b), "hello");
    assert_int_equal(buf_adds(&b, "abc"), ERR_OK); /* exactly max */
    assert_int_equal(buf_addc(&b, 'x'), ERR_TOO_LARGE);
    assert_string_equal(buf_str(&b), "helloabc");
    buf_cleanup(&b);
}

static void test_buf_basics(void **state)
{
    struct buf b;
    char *s;

    (void)state;
    buf_init(&b, 0);
    assert_string_equal(buf_str(&b), "");
    s = buf_take(&b);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), ERR_OK);
    assert_int_equal(buf_add(&b, "\0x", 2), ERR_OK); /* binary-safe */
    assert_int_equal(b.len, 6);
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_addc(&b, 'a'), ERR_OK);
    assert_int_equal(b.len, 1000);
    assert_int_equal(b.data[1000], '\0');
    s = buf_take(&b);
    assert_int_equal(strlen(s), 1000);
    assert_null(b.data);
    free(s);
    buf_cleanup(&b);
}

/* ---- jw ----------------------------------------------------------------- */

static void test_jw_escaping(void **state)
{
    struct buf b;
    struct jw w;

    (void)state;
    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_str(&w, "a\"b\\c\n\r\t\x01<>&\x7f"
               "\xe2\x80\xa8\xe2\x80\xa9\xc3\xbc");
    assert_int_equal(w.err, ERR_OK);
    assert_string_equal(buf_str(&b),
                        "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u003c\\u003e\\u0026"
                        "\\u007f\\u2028\\u2029\xc3\xbc\"");
    buf_reset(&b);
    jw_init(&w, &b);
    jw_strn(&w, "a\0b", 3);
    jw_str(&w, NULL);
    /* A second value gets a comma: commas follow the caller's sequence. */
    assert_string_equal(buf_str(&b), "\"a\\u0000b\",null");
    buf_cleanup(&b);
}

/* Writes v alone and returns what jw_num wrote (static buffer). */
static const char *num_text(double v)
{
    static char out[64];
    struct buf b;
    struct jw w;

    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_num(&w, v);
    snprintf(out, sizeof out, "%s", buf_str(&b));
    buf_cleanup(&b);
    return out;
}

static void test_jw_numbers(void **state)
{
    const double cases[] = {0.1,
                            1e300,
                            5e-324,
                            12.3 * 1e-3,
                            -2.5,
                            1.0 / 3,
                            123456789012345678.0,
                            0.012400000000000001};

    (void)state;
    assert_string_equal(num_text(0.1), "0.1");
    assert_string_equal(num_text(1e300), "1e+300");
    assert_string_equal(num_text(0), "0");
    assert_string_equal(num_text(-2.5), "-2.5");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_true(strtod(num_text(cases[i]), NULL) == cases[i]);
    assert_string_equal(num_text(NAN), "null");
    assert_string_equal(num_text(INFINITY), "null");
    assert_string_equal(num_text(-INFINITY), "null");
}

static void test_jw_nesting(void **state)
{
    struct buf b;
    struct jw w;

    (void)state;
    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_key(&w, "a");
    jw_arr_begin(&w);
    jw_int(&w, 1);
    jw_int(&w, INT64_MIN);
    jw_obj_begin(&w);
    jw_key(&w, "b");
    jw_null(&w);
    jw_obj_end(&w);
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_arr_end(&w);
    jw_kstr(&w, "c", "x");
    jw_key(&w, "d");
    jw_bool(&w, true);
    jw_key(&w, "e");
    jw_raw(&w, "{\"k\":[1,2]}");
    jw_kint(&w, "f", 7);
    jw_knum(&w, "g", 0.5);
    jw_key(&w, "h");
    jw_raw(&w, NULL);
    jw_obj_end(&w);
    assert_int_equal(w.err, ERR_OK);
    assert_string_equal(buf_str(&b),
                        "{\"a\":[1,-9223372036854775808,{\"b\":null},[]],"
                        "\"c\":\"x\",\"d\":true,\"e\":{\"k\":[1,2]},\"f\":7,"
                        "\"g\":0.5,\"h\":null}");
    buf_cleanup(&b);
}

static void test_jw_limits(void **state)
{
    struct buf b;
    struct jw w;

    (void)state;
    buf_init(&b, 0);
    jw_init(&w, &b);
    for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
        jw_arr_begin(&w);
    assert_int_not_equal(w.err, ERR_OK);
    buf_cleanup(&b);

    /* A buffer error sticks; later calls write nothing. */
    buf_init(&b, 4);
    jw_init(&w, &b);
    jw_str(&w, "too long for four bytes");
    assert_int_equal(w.err, ERR_TOO_LARGE);
    jw_int(&w, 1);
    assert_int_equal(w.err, ERR_TOO_LARGE);
    assert_true(b.len <= 4);
    buf_cleanup(&b);
}

/* ---- time --------------------------------------------------------------- */

#define T_2026_11_26_12 INT64_C(1795694400000) /* 2026-11-26T12:00:00Z */

static void test_time_parse(void **state)
{
    int64_t ms;
    bool naive;

    (void)state;
    assert_int_equal(time_parse_iso("2026-11-26T12:00:00Z", &ms, &naive),
                     ERR_OK);
    assert_true(ms == T_2026_11_26_12);
    assert_false(naive);
    assert_int_equal(time_parse_iso("2026-11-26T14:00:00+02:00", &ms, &naive),
                     ERR_OK);
    assert_true(ms == T_2026_11_26_12);
    assert_int_equal(time_parse_iso("2026-11-26T06:30:00-05:30", &ms, &naive),
                     ERR_OK);
    assert_true(ms == T_2026_11_26_12);
    assert_int_equal(time_parse_iso("2026-11-26t12:00:00.465195z", &ms, NULL),
                     ERR_OK);
    assert_true(ms == T_2026_11_26_12 + 465);
    assert_int_equal(time_parse_iso("2026-11-26 12:00:00.5", &ms, &naive),
                     ERR_OK);
    assert_true(ms == T_2026_11_26_12 + 500);
    assert_true(naive);
    assert_int_equal(time_parse_iso("2026-11-26T12:00", &ms, &naive), ERR_OK);
    assert_true(ms == T_2026_11_26_12);
    assert_true(naive);
    assert_int_equal(time_parse_iso("2026-11-26", &ms, &naive), ERR_OK);
    assert_true(ms == T_2026_11_26_12 - 12 * 3600 * 1000);
    assert_false(naive);
    assert_int_equal(time_parse_iso("2024-02-29", &ms, NULL), ERR_OK);
    assert_true(ms == INT64_C(1709164800000));
    assert_int_equal(time_parse_iso("1970-01-01T00:00:00Z", &ms, NULL), ERR_OK);
    assert_true(ms == 0);
}

static void test_time_parse_invalid(void **state)
{
    static const char *const bad[] = {
        "2026-02-30",
        "2023-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-11-31T00:00:00Z",
        "2026-11-26T24:00:00Z",
        "2026-11-26T12:60:00Z",
        "2026-11-26T12:00:00.Z",
        "2026-11-26T12:00:00+05:",
        "2026-11-26T12:00:00+2",
        "2026-11-26T12:00:00Zjunk",
        "2026-11-26T12",
        "26-11-2026",
        "yesterday",
        "",
        "2026-11-26T12:00:00+24:00",
    };
    int64_t ms = 0;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(time_parse_iso(bad[i], &ms, NULL), ERR_INVALID);
        assert_true(ms == TIME_NONE);
    }
    assert_int_equal(time_parse_iso(NULL, &ms, NULL), ERR_INVALID);
}

static void test_time_format(void **state)
{
    static const char *const round[] = {
        "2026-11-26T12:00:00Z", "2026-11-26T12:00:00.123Z",
        "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z",
        "2024-02-29T23:59:59Z", "2000-01-01T00:00:00.001Z",
    };
    char out[TIME_ISO_LEN];
    int64_t ms;

    (void)state;
    time_format_iso(T_2026_11_26_12, out);
    assert_string_equal(out, "2026-11-26T12:00:00Z");
    time_format_iso(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    time_format_iso(TIME_NONE, out);
    assert_string_equal(out, "");
    for (size_t i = 0; i < sizeof round / sizeof round[0]; i++) {
        assert_int_equal(time_parse_iso(round[i], &ms, NULL), ERR_OK);
        time_format_iso(ms, out);
        assert_string_equal(out, round[i]);
    }
}

/* ---- units and directions ----------------------------------------------- */

static void test_units(void **state)
{
    static const struct {
        const char *unit, *canonical;
        double factor;
    } ok[] = {
        {"ms", "s", 1e-3},     {"us", "s", 1e-6},   {"\xc2\xb5s", "s", 1e-6},
        {"ns", "s", 1e-9},     {"s", "s", 1},       {"min", "s", 60},
        {"B", "B", 1},         {"kB", "B", 1e3},    {"KiB", "B", 1024},
        {"MiB", "B", 1048576}, {"GB", "B", 1e9},    {"GiB", "B", 1073741824.0},
        {"ops/s", "1/s", 1},   {"req/s", "1/s", 1}, {"ops/ms", "1/s", 1e3},
        {"MB/s", "B/s", 1e6},  {"%", "%", 1},       {"", "", 1},
        {"count", "", 1},
    };
    const char *canonical;
    double factor;

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(unit_canonical(ok[i].unit, &canonical, &factor),
                         ERR_OK);
        assert_string_equal(canonical, ok[i].canonical);
        assert_true(factor == ok[i].factor);
    }
    assert_int_equal(unit_canonical(NULL, &canonical, &factor), ERR_OK);
    assert_string_equal(canonical, "");
    assert_int_equal(unit_canonical("parsecs", &canonical, &factor),
                     ERR_INVALID);
    assert_null(canonical);
    assert_int_equal(unit_canonical("mb", &canonical, &factor), ERR_INVALID);
    assert_int_equal(unit_canonical("MS", &canonical, &factor), ERR_INVALID);
}

static void test_directions(void **state)
{
    enum direction d;

    (void)state;
    assert_int_equal(unit_default_direction("latency", "s"), DIR_LOWER);
    assert_int_equal(unit_default_direction("throughput", "1/s"), DIR_HIGHER);
    assert_int_equal(unit_default_direction("Throughput", ""), DIR_HIGHER);
    assert_int_equal(unit_default_direction("error_rate", "1/s"), DIR_LOWER);
    assert_int_equal(unit_default_direction("memory", "B"), DIR_LOWER);
    assert_int_equal(unit_default_direction("requests", "1/s"), DIR_HIGHER);
    assert_int_equal(unit_default_direction("bandwidth", "B/s"), DIR_HIGHER);
    assert_int_equal(unit_default_direction("cpu", "%"), DIR_LOWER);
    assert_int_equal(unit_default_direction(NULL, NULL), DIR_LOWER);
    /* whole words decide, not substrings */
    assert_int_equal(unit_default_direction("loops", ""), DIR_LOWER);
    assert_int_equal(unit_default_direction("shops_latency", "s"), DIR_LOWER);
    assert_int_equal(unit_default_direction("items_per_second", ""),
                     DIR_HIGHER);
    assert_int_equal(unit_default_direction("failure_rate", "%"), DIR_LOWER);
    assert_int_equal(unit_default_direction("cache hits", ""), DIR_HIGHER);
    assert_int_equal(direction_parse("lower", &d), ERR_OK);
    assert_int_equal(d, DIR_LOWER);
    assert_int_equal(direction_parse("higher_is_better", &d), ERR_OK);
    assert_int_equal(d, DIR_HIGHER);
    assert_int_equal(direction_parse("up", &d), ERR_INVALID);
    assert_int_equal(d, DIR_UNSET);
    assert_string_equal(direction_str(DIR_HIGHER), "higher");
    assert_string_equal(direction_str(DIR_LOWER), "lower");
}

/* ---- parsing helpers ---------------------------------------------------- */

static void test_parse_int64(void **state)
{
    int64_t v;

    (void)state;
    assert_int_equal(parse_int64("42", 0, 100, &v), ERR_OK);
    assert_true(v == 42);
    assert_int_equal(parse_int64("-5", -10, 10, &v), ERR_OK);
    assert_true(v == -5);
    assert_int_equal(parse_int64("9223372036854775807", 0, INT64_MAX, &v),
                     ERR_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(parse_int64("9223372036854775808", 0, INT64_MAX, &v),
                     ERR_INVALID);
    assert_int_equal(parse_int64("101", 0, 100, &v), ERR_INVALID);
    assert_true(v == 0);
    assert_int_equal(parse_int64("-1", 0, 100, &v), ERR_INVALID);
    assert_int_equal(parse_int64(" 42", 0, 100, &v), ERR_INVALID);
    assert_int_equal(parse_int64("42x", 0, 100, &v), ERR_INVALID);
    assert_int_equal(parse_int64("", 0, 100, &v), ERR_INVALID);
    assert_int_equal(parse_int64(NULL, 0, 100, &v), ERR_INVALID);
}

static void test_parse_size(void **state)
{
    uint64_t v;

    (void)state;
    assert_int_equal(parse_size("16MiB", &v), ERR_OK);
    assert_true(v == 16u << 20);
    assert_int_equal(parse_size("1048576", &v), ERR_OK);
    assert_true(v == 1048576);
    assert_int_equal(parse_size("64k", &v), ERR_OK);
    assert_true(v == 65536);
    assert_int_equal(parse_size("2G", &v), ERR_OK);
    assert_true(v == UINT64_C(2) << 30);
    assert_int_equal(parse_size("10B", &v), ERR_OK);
    assert_true(v == 10);
    assert_int_equal(parse_size("12X", &v), ERR_INVALID);
    assert_true(v == 0);
    assert_int_equal(parse_size("1.5M", &v), ERR_INVALID);
    assert_int_equal(parse_size("-1", &v), ERR_INVALID);
    assert_int_equal(parse_size("", &v), ERR_INVALID);
    assert_int_equal(parse_size("99999999999999999999", &v), ERR_INVALID);
    assert_int_equal(parse_size("18446744073709551615G", &v), ERR_INVALID);
}

static void test_glob(void **state)
{
    (void)state;
    assert_true(glob_match("*", ""));
    assert_true(glob_match("*", "anything"));
    assert_true(glob_match("", ""));
    assert_false(glob_match("", "a"));
    assert_true(glob_match("a*c", "abc"));
    assert_true(glob_match("a*c", "ac"));
    assert_true(glob_match("a?c", "abc"));
    assert_false(glob_match("a?c", "ac"));
    assert_true(glob_match("test_*[*]", "test_batch[size=1]"));
    assert_false(glob_match("test_*[*]", "test_batch"));
    assert_true(glob_match("a*b*c", "aXbYbZc"));
    assert_false(glob_match("a*b*c", "aXbYbZ"));
    assert_true(glob_match("*.json", "x.json"));
    assert_false(glob_match("*.json", "x.jso"));
    assert_true(glob_match("**", "a"));
}

/* ---- errors ------------------------------------------------------------- */

static void test_err_bounding(void **state)
{
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    for (int i = 0; i < ERRBUF_MAX_ITEMS + 10; i++)
        err_add(&eb, "/p", "m%d", i);
    assert_int_equal(eb.nitems, ERRBUF_MAX_ITEMS);
    assert_int_equal(eb.dropped, 10);
    assert_string_equal(eb.items[0].message, "m0");
    assert_string_equal(eb.items[ERRBUF_MAX_ITEMS - 1].pointer, "/p");
    assert_string_equal(eb.msg, "/p: m0");
    err_cleanup(&eb);
    assert_int_equal(eb.nitems, 0);

    err_add(&eb, NULL, "whole");
    assert_string_equal(eb.items[0].pointer, "");
    assert_string_equal(eb.msg, "(body): whole");
    err_set(&eb, "replaced %d", 2);
    assert_string_equal(eb.msg, "replaced 2");
    err_cleanup(&eb);

    err_add(NULL, "/x", "ignored");
    err_set(NULL, "ignored");
    err_cleanup(NULL);
    assert_string_equal(err_str(ERR_OK), "ok");
    assert_string_equal(err_str(ERR_UNSUPPORTED), "unsupported");
    assert_string_equal(err_str((enum err)999), "unknown error");
}

/* ---- model and helpers -------------------------------------------------- */

static void test_run_model(void **state)
{
    struct run r;
    struct result *res;

    (void)state;
    run_init(&r);
    assert_true(r.commit_time == TIME_NONE);
    assert_true(r.started_at == TIME_NONE);
    for (int i = 0; i < 20; i++) {
        res = run_result_add(&r);
        assert_true(isnan(res->value) && isnan(res->stddev));
        assert_true(res->n == -1);
        assert_int_equal(res->direction, DIR_UNSET);
        res->benchmark = xasprintf("b%d", i);
    }
    assert_int_equal(r.nresults, 20);
    assert_string_equal(r.results[19].benchmark, "b19");
    for (int i = 0; i < 1005; i++)
        run_warn(&r, "w%d", i);
    assert_int_equal(r.nwarnings, 1000);
    assert_string_equal(r.warnings[999], "w999");
    assert_true(isnan(run_resource_add(&r)->cpu_pct));
    run_cleanup(&r);
    assert_int_equal(r.nresults, 0);
    assert_null(r.results);
    run_cleanup(&r); /* twice is fine */
}

static void test_alloc_and_hash(void **state)
{
    unsigned char h[HASH_SHA256_LEN], h2[HASH_SHA256_LEN];
    char hex[2 * HASH_SHA256_LEN + 1];
    char *s;

    (void)state;
    s = xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    assert_null(xstrdup(NULL));
    s = xasprintf("%s-%d", "x", 5);
    assert_string_equal(s, "x-5");
    free(s);
    hash_sha256("abc", 3, h);
    hash_hex(h, sizeof h, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    memcpy(h2, h, sizeof h);
    assert_true(hash_equal(h, h2, sizeof h));
    h2[31] ^= 1;
    assert_false(hash_equal(h, h2, sizeof h));
    assert_int_equal(rand_bytes(h, sizeof h), ERR_OK);
    /* HMAC-SHA-256: RFC 4231 test cases 2 and 6 (a key longer than the
     * block is hashed first) */
    hash_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, h);
    hash_hex(h, sizeof h, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
                             "5a003f089d2739839dec58b964ec3843");
    {
        unsigned char key[131];
        const char *msg = "Test Using Larger Than Block-Size Key - Hash "
                          "Key First";

        memset(key, 0xaa, sizeof key);
        hash_hmac_sha256(key, sizeof key, msg, strlen(msg), h);
        hash_hex(h, sizeof h, hex);
        assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
                                 "8e0bc6213728c5140546040f0ee37f54");
    }
}

/* The streaming hash equals the one-shot hash of the concatenation, over
 * pieces far beyond any fixed buffer (push's key once stopped at 8 KiB). */
static void test_hash_stream(void **state)
{
    unsigned char one[HASH_SHA256_LEN], streamed[HASH_SHA256_LEN];
    size_t n = 3u << 20;
    char *big = xmalloc(n);
    struct hash_stream *h = hash_stream_create();

    (void)state;
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i * 131u % 251u);
    hash_sha256(big, n, one);
    hash_stream_add(h, big, 1);
    hash_stream_add(h, big + 1, 0);
    hash_stream_add(h, big + 1, 9000);
    hash_stream_add(h, big + 9001, n - 9001);
    hash_stream_end(h, streamed);
    assert_memory_equal(one, streamed, sizeof one);
    /* the last byte counts */
    big[n - 1] ^= 1;
    hash_stream_add(h, big, n);
    hash_stream_end(h, streamed);
    assert_memory_not_equal(one, streamed, sizeof one);
    /* end leaves the stream reset: "abc" again is the known digest */
    hash_stream_add(h, "abc", 3);
    hash_stream_end(h, streamed);
    hash_sha256("abc", 3, one);
    assert_memory_equal(one, streamed, sizeof one);
    hash_stream_free(h);
    hash_stream_free(NULL);
    free(big);
}

/* A field error or warning longer than its 4 KiB bound is cut with "...",
 * on a character boundary; it was lost whole (an empty message) when the
 * bounded append failed unchecked. */
static void test_long_messages_are_cut_not_lost(void **state)
{
    struct errbuf eb;
    struct run r;
    size_t n = 3000;
    char *long_e = xmalloc(2 * n + 1); /* 3000 x "\xc3\xa9" (e-acute) */
    const char *m;
    size_t len;

    (void)state;
    for (size_t i = 0; i < n; i++)
        memcpy(long_e + 2 * i, "\xc3\xa9", 2);
    long_e[2 * n] = '\0';
    err_init(&eb);
    err_add(&eb, "/name", "bad name \"%s\"", long_e);
    m = eb.items[0].message;
    len = strlen(m);
    assert_true(len <= 4096 && len > 4000);
    assert_memory_equal(m, "bad name \"\xc3\xa9", 12);
    assert_string_equal(m + len - 3, "...");
    assert_true(((unsigned char)m[len - 4] & 0xC0) != 0xC0); /* not split */
    assert_true(len % 2 == 1);
    err_cleanup(&eb);
    run_init(&r);
    run_warn(&r, "%s", long_e);
    assert_int_equal(r.nwarnings, 1);
    assert_true(strlen(r.warnings[0]) > 4000);
    run_warn(&r, "short %d", 1);
    assert_string_equal(r.warnings[1], "short 1");
    run_cleanup(&r);
    free(long_e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_limit_keeps_contents),
        cmocka_unit_test(test_buf_basics),
        cmocka_unit_test(test_jw_escaping),
        cmocka_unit_test(test_jw_numbers),
        cmocka_unit_test(test_jw_nesting),
        cmocka_unit_test(test_jw_limits),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_parse_invalid),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_directions),
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_err_bounding),
        cmocka_unit_test(test_run_model),
        cmocka_unit_test(test_alloc_and_hash),
        cmocka_unit_test(test_hash_stream),
        cmocka_unit_test(test_long_messages_are_cut_not_lost),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
