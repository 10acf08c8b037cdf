/*
 * unit.text: core's one check for stored strings (text_valid), the UTF-8
 * decoder under it, the repair that replaces bad bytes with U+FFFD, and the
 * JSON writer and the HTML escaper, which must never write bytes that are
 * not UTF-8.  The hostile inputs are the ones issue 13 sent: 0xff, an
 * overlong NUL (C0 80), a surrogate (ED A0 80), NUL, control characters,
 * blank values, 1 MB values; right-to-left and zero-width text is valid
 * data.
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
#include "render/render.h"

static bool ok(const char *s, size_t max, unsigned flags)
{
    char why[TEXT_WHY_LEN];

    return text_valid(s, strlen(s), max, flags, why, sizeof why);
}

static const char *why_of(const char *s, size_t n, size_t max, unsigned flags)
{
    static char why[TEXT_WHY_LEN];

    why[0] = '\0';
    assert_false(text_valid(s, n, max, flags, why, sizeof why));
    return why;
}

static void test_refuses_bad_utf8(void **state)
{
    (void)state;
    assert_string_equal(why_of("\xff", 1, 256, 0),
                        "not valid UTF-8 (byte 0xff at offset 0)");
    /* Overlong NUL, overlong '/', a surrogate, past U+10FFFF, truncated. */
    assert_string_equal(why_of("a\xc0\x80", 3, 256, 0),
                        "not valid UTF-8 (byte 0xc0 at offset 1)");
    why_of("\xe0\x80\xaf", 3, 256, 0);
    why_of("\xed\xa0\x80", 3, 256, 0);
    why_of("\xf4\x90\x80\x80", 4, 256, 0);
    why_of("ab\xe2\x82", 4, 256, 0);
    why_of("\x80", 1, 256, TEXT_BLANK_OK | TEXT_MULTILINE);
    assert_false(text_utf8_valid("\xed\xa0\x80", 3));
    assert_true(text_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
}

static void test_refuses_nul_control_blank_long(void **state)
{
    char *big;

    (void)state;
    assert_string_equal(why_of("a\0b", 3, 256, 0), "contains a NUL character");
    assert_string_equal(why_of("a\0b", 3, 0, TEXT_MULTILINE | TEXT_BLANK_OK),
                        "contains a NUL character");
    assert_string_equal(why_of("a\x1b[31m", 6, 256, 0),
                        "contains a control character");
    assert_string_equal(why_of("a\x7f", 2, 256, 0),
                        "contains a control character");
    /* C1 controls are code points U+0080-U+009F, written C2 80-C2 9F. */
    assert_string_equal(why_of("a\xc2\x85", 3, 256, 0),
                        "contains a control character");
    assert_string_equal(why_of("a\nb", 3, 256, 0),
                        "contains a control character");
    assert_string_equal(why_of("", 0, 256, 0), "must not be empty");
    assert_string_equal(why_of("   ", 3, 256, 0),
                        "must not be blank (white space only)");
    /* NBSP and an ideographic space are white space too. */
    assert_string_equal(why_of("\xc2\xa0\xe3\x80\x80", 5, 256, 0),
                        "must not be blank (white space only)");
    big = malloc(1 << 20);
    memset(big, 'x', 1 << 20);
    assert_string_equal(why_of(big, 1 << 20, 256, 0), "longer than 256 bytes");
    assert_string_equal(why_of(big, 1 << 20, 4096, TEXT_MULTILINE),
                        "longer than 4096 bytes");
    free(big);
}

static void test_accepts_text_in_any_script(void **state)
{
    (void)state;
    assert_true(ok("main", 256, 0));
    assert_true(ok("feature/\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 256, 0));
    /* RLO, ZWSP, ZWJ and a BOM are format characters, not controls. */
    assert_true(ok("\xe2\x80\xae"
                   "evil",
                   256, 0));
    assert_true(ok("a\xe2\x80\x8b"
                   "b\xe2\x80\x8d"
                   "c",
                   256, 0));
    assert_true(ok("\xe2\x80\x8b", 256, 0)); /* not white space */
    assert_true(ok("\xef\xbb\xbf"
                   "x",
                   256, 0));
    assert_true(ok("\xf0\x9f\x9a\x80 rocket", 256, 0));
    assert_true(ok(" padded ", 256, 0));
    assert_true(ok("line 1\nline 2\r\n\tend", 4096, TEXT_MULTILINE));
    assert_true(ok("", 4096, TEXT_BLANK_OK));
    assert_true(ok("  ", 4096, TEXT_BLANK_OK));
    assert_true(ok("exactly8", 8, 0));
    assert_false(ok("exactly9!", 8, 0));
}

static void test_check_names_the_field(void **state)
{
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    assert_int_equal(text_check("testbed", "\xff", 1, 256, 0, &eb),
                     ERR_INVALID);
    assert_string_equal(eb.msg,
                        "testbed: not valid UTF-8 (byte 0xff at offset 0)");
    assert_int_equal(text_check("branch", "main", 4, 256, 0, &eb), ERR_OK);
    assert_int_equal(text_check("branch", "x", 1, 256, 0, NULL), ERR_OK);
    err_cleanup(&eb);
}

static void test_repair_replaces_each_bad_byte(void **state)
{
    struct buf b;
    size_t nbad = 99;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(text_utf8_repair(&b,
                                      "a\xff"
                                      "b\xc0\x80\xc3\xa9",
                                      7, &nbad),
                     ERR_OK);
    assert_string_equal(buf_str(&b), "a\xef\xbf\xbd"
                                     "b\xef\xbf\xbd"
                                     "\xef\xbf\xbd\xc3\xa9");
    assert_int_equal(nbad, 3);
    assert_true(text_utf8_valid(b.data, b.len));
    buf_reset(&b);
    assert_int_equal(text_utf8_repair(&b, "clean", 5, &nbad), ERR_OK);
    assert_string_equal(buf_str(&b), "clean");
    assert_int_equal(nbad, 0);
    buf_cleanup(&b);
}

static void test_json_writer_never_writes_bad_utf8(void **state)
{
    struct buf b;
    struct jw w;

    (void)state;
    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_arr_begin(&w);
    jw_str(&w, "t\xff"
               "b");
    jw_str(&w, "\xed\xa0\x80");
    jw_str(&w, "caf\xc3\xa9 \xe2\x80\xa8");
    jw_raw(&w, "{\"k\":\"v\xfe\"}");
    jw_arr_end(&w);
    assert_int_equal(w.err, ERR_OK);
    assert_string_equal(buf_str(&b),
                        "[\"t\\ufffdb\",\"\\ufffd\\ufffd\\ufffd\","
                        "\"caf\xc3\xa9 \\u2028\",{\"k\":\"v\xef\xbf\xbd\"}]");
    assert_true(text_utf8_valid(b.data, b.len));
    buf_cleanup(&b);
}

static void test_html_escape_never_writes_bad_utf8(void **state)
{
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(page_esc_attr(&b, "\xff<\xc3\xa9\xe2\x80\xae\xc0\x80"),
                     ERR_OK);
    assert_string_equal(buf_str(&b), "\xef\xbf\xbd&lt;\xc3\xa9\xe2\x80\xae"
                                     "\xef\xbf\xbd\xef\xbf\xbd");
    buf_reset(&b);
    assert_int_equal(page_esc_text(&b, "ab\xe2\x82"), ERR_OK); /* cut */
    assert_string_equal(buf_str(&b), "ab\xef\xbf\xbd\xef\xbf\xbd");
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_bad_utf8),
        cmocka_unit_test(test_refuses_nul_control_blank_long),
        cmocka_unit_test(test_accepts_text_in_any_script),
        cmocka_unit_test(test_check_names_the_field),
        cmocka_unit_test(test_repair_replaces_each_bad_byte),
        cmocka_unit_test(test_json_writer_never_writes_bad_utf8),
        cmocka_unit_test(test_html_escape_never_writes_bad_utf8),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
