/*
 * render/: axis arithmetic, and charts checked by their pixels (never by
 * PNG bytes: cairo versions differ).  The PNG is decoded here with zlib by
 * a small reader of the subset our encoder writes (8-bit RGB, filters None
 * and Sub), which also checks every chunk's CRC: an independent check of
 * the encoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "render/render.h"

struct image {
    unsigned w, h;
    unsigned char *rgb; /* w*h*3 */
};

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static int decode_png(const struct buf *b, struct image *img)
{
    const unsigned char *p = (const unsigned char *)b->data;
    size_t pos = 8, zlen = 0;
    unsigned char *z = NULL, *raw;
    uLongf rawlen;

    memset(img, 0, sizeof *img);
    if (b->len < 8 || memcmp(p, "\x89PNG\r\n\x1a\n", 8))
        return -1;
    while (pos + 12 <= b->len) {
        uint32_t len = get32(p + pos);
        const unsigned char *type = p + pos + 4, *data = p + pos + 8;

        if (pos + 12 + len > b->len)
            return -1;
        if (crc32(crc32(0, type, 4), data, len) != get32(data + len))
            return -2;
        if (!memcmp(type, "IHDR", 4)) {
            img->w = get32(data);
            img->h = get32(data + 4);
            if (data[8] != 8 || data[9] != 2)
                return -3;
        } else if (!memcmp(type, "IDAT", 4)) {
            z = realloc(z, zlen + len);
            memcpy(z + zlen, data, len);
            zlen += len;
        } else if (!memcmp(type, "IEND", 4)) {
            break;
        }
        pos += 12 + len;
    }
    rawlen = (uLongf)(img->w * 3 + 1) * img->h;
    raw = malloc(rawlen);
    if (uncompress(raw, &rawlen, z, zlen) != Z_OK ||
        rawlen != (uLongf)(img->w * 3 + 1) * img->h) {
        free(z);
        free(raw);
        return -4;
    }
    free(z);
    img->rgb = malloc((size_t)img->w * img->h * 3);
    for (unsigned y = 0; y < img->h; y++) {
        unsigned char *row = raw + (size_t)y * (img->w * 3 + 1);
        unsigned char *dst = img->rgb + (size_t)y * img->w * 3;

        if (row[0] > 1) {
            free(raw);
            return -5;
        }
        for (unsigned x = 0; x < img->w * 3; x++)
            dst[x] = (unsigned char)(row[1 + x] +
                                     (row[0] == 1 && x >= 3 ? dst[x - 3] : 0));
    }
    free(raw);
    return 0;
}

static bool white(const struct image *img, unsigned x, unsigned y)
{
    const unsigned char *p = img->rgb + ((size_t)y * img->w + x) * 3;

    return p[0] == 255 && p[1] == 255 && p[2] == 255;
}

/* Counts pixels that are not white in a rectangle. */
static size_t inked(const struct image *img, unsigned x0, unsigned y0,
                    unsigned x1, unsigned y1)
{
    size_t n = 0;

    for (unsigned y = y0; y < y1 && y < img->h; y++)
        for (unsigned x = x0; x < x1 && x < img->w; x++)
            n += !white(img, x, y);
    return n;
}

static void make_series(struct series *s, size_t n, double step_at)
{
    memset(s, 0, sizeof *s);
    s->benchmark_key = "sort_ints[n=100000]";
    s->measure = "latency";
    s->unit = "s";
    s->branch = "main";
    s->testbed = "ci";
    s->npoints = n;
    s->points = calloc(n ? n : 1, sizeof *s->points);
    for (size_t i = 0; i < n; i++) {
        double v = 6.2e-3 * (i >= step_at ? 1.15 : 1) *
                   (1 + 0.02 * ((double)(i * 7919 % 101) / 101 - 0.5));

        s->points[i].value = v;
        s->points[i].lower = v * 0.98;
        s->points[i].upper = v * 1.02;
        s->points[i].time = 1780000000000LL + (int64_t)i * 6 * 3600 * 1000;
        s->points[i].n = 15;
    }
}

static void test_nice_ticks(void **state)
{
    double first, step;
    unsigned count;

    (void)state;
    chart_nice_ticks(0, 1, 6, &first, &step, &count);
    assert_true(step == 0.2 && first == 0 && count == 6);
    chart_nice_ticks(6.03, 7.38, 8, &first, &step, &count);
    assert_true(step == 0.2);
    assert_true(first > 6.19 && first < 6.21 && count == 6);
    chart_nice_ticks(5, 5, 5, &first, &step, &count); /* flat data */
    assert_true(step > 0 && count >= 2);
    chart_nice_ticks(-3, 97, 6, &first, &step, &count);
    assert_true(step == 20 && first == 0 && count == 5);
}

static void test_unit_scale(void **state)
{
    double div;
    const char *label;

    (void)state;
    chart_unit_scale("s", 0.0062, &div, &label);
    assert_string_equal(label, "ms");
    assert_true(div == 1e-3);
    chart_unit_scale("s", 4.5e-8, &div, &label);
    assert_string_equal(label, "ns");
    chart_unit_scale("s", 12, &div, &label);
    assert_string_equal(label, "s");
    chart_unit_scale("B", 48.0 * 1048576, &div, &label);
    assert_string_equal(label, "MiB");
    chart_unit_scale("1/s", 1.5e6, &div, &label);
    assert_string_equal(label, "M/s");
    chart_unit_scale("%", 93, &div, &label);
    assert_string_equal(label, "%");
    chart_unit_scale("", 2500, &div, &label);
    assert_string_equal(label, "k");
}

static void test_trend_pixels(void **state)
{
    struct chart_opts o;
    struct series s;
    struct chart_change ch = {42, true};
    struct buf b;
    struct image img;
    struct errbuf eb;

    (void)state;
    chart_opts_default(&o);
    make_series(&s, 60, 42);
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_trend_draw(&o, &s, &ch, 1, &b, &eb), ERR_OK);
    assert_int_equal(decode_png(&b, &img), 0);
    assert_int_equal(img.w, 900);
    assert_int_equal(img.h, 400);
    /* The corners and the right margin stay blank: nothing is drawn
     * outside the plot area and its labels. */
    assert_true(white(&img, 0, 0) && white(&img, 899, 399));
    assert_int_equal(inked(&img, 890, 0, 900, 400), 0);
    /* Data inside the plot area: the left and right halves both ink. */
    assert_true(inked(&img, 100, 70, 450, 350) > 200);
    assert_true(inked(&img, 450, 70, 880, 350) > 200);
    /* The title is drawn top left. */
    assert_true(inked(&img, 10, 5, 200, 25) > 50);
    free(img.rgb);

    /* HiDPI: twice the pixels. */
    o.scale = 2;
    buf_reset(&b);
    assert_int_equal(chart_trend_draw(&o, &s, &ch, 1, &b, &eb), ERR_OK);
    assert_int_equal(decode_png(&b, &img), 0);
    assert_int_equal(img.w, 1800);
    assert_int_equal(img.h, 800);
    free(img.rgb);
    free(s.points);

    /* Dense: 1,000 points draw a band and stay inside the plot. */
    o.scale = 1;
    make_series(&s, 1000, 700);
    buf_reset(&b);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    assert_int_equal(decode_png(&b, &img), 0);
    assert_int_equal(inked(&img, 890, 0, 900, 400), 0);
    assert_true(inked(&img, 100, 70, 880, 350) > 2000);
    free(img.rgb);
    free(s.points);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

static void test_empty_and_one_point(void **state)
{
    struct chart_opts o;
    struct series s;
    struct buf b;
    struct image img;
    struct errbuf eb;

    (void)state;
    chart_opts_default(&o);
    make_series(&s, 0, 0);
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    assert_int_equal(decode_png(&b, &img), 0);
    /* "no data yet" in the middle */
    assert_true(inked(&img, 350, 180, 550, 230) > 50);
    free(img.rgb);
    free(s.points);
    make_series(&s, 1, 0);
    buf_reset(&b);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    assert_int_equal(decode_png(&b, &img), 0);
    assert_true(inked(&img, 100, 60, 880, 350) > 50);
    free(img.rgb);
    free(s.points);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

static void test_svg_escapes_names(void **state)
{
    struct chart_opts o;
    struct series s;
    struct buf b;
    struct errbuf eb;

    (void)state;
    chart_opts_default(&o);
    o.format = CHART_SVG;
    make_series(&s, 20, 10);
    s.benchmark_key = "<script>alert(1)</script>\"onerror=x";
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    assert_non_null(strstr(buf_str(&b), "<svg"));
    assert_null(strstr(buf_str(&b), "<script"));
    assert_null(strstr(buf_str(&b), "onerror"));
    free(s.points);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

static void test_sparkline_and_limits(void **state)
{
    struct chart_opts o = {120, 24, 1, CHART_PNG};
    double v[] = {1, 2, 3, NAN, 2, 5};
    struct buf b;
    struct image img;
    struct errbuf eb;

    (void)state;
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_sparkline_draw(&o, v, 6, &b, &eb), ERR_OK);
    assert_int_equal(decode_png(&b, &img), 0);
    assert_int_equal(img.w, 120);
    assert_true(inked(&img, 0, 0, 120, 24) > 20);
    free(img.rgb);
    o.width = 100000;
    buf_reset(&b);
    assert_int_equal(chart_sparkline_draw(&o, v, 6, &b, &eb), ERR_INVALID);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

static void expect(enum err (*fn)(struct buf *, const char *),
                   const char *in, const char *want)
{
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(fn(&b, in), ERR_OK);
    assert_string_equal(buf_str(&b), want);
    buf_cleanup(&b);
}

static void test_escaping(void **state)
{
    (void)state;
    expect(page_esc_text, "<script>alert('x')</script>&\"",
           "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
    expect(page_esc_text, "plain text", "plain text");
    expect(page_esc_attr, "\" onerror=`x`", "&quot; onerror&#61;&#96;x&#96;");
    expect(page_esc_segment, "a/b?c d%", "a%2Fb%3Fc%20d%25");
    expect(page_esc_segment, "test_x[batch_size=100]",
           "test_x%5Bbatch_size%3D100%5D");
    expect(page_esc_query, "\xc3\xbc&=", "%C3%BC%26%3D");
    expect(page_esc_md, "**bold** [x](javascript:y)\n# h",
           "\\*\\*bold\\*\\* \\[x\\]\\(javascript:y\\) \\# h");
    expect(page_esc_md, "<img src=x>", "&lt;img src=x&gt;");
    assert_true(page_url_safe("https://ci.example.com/job/1"));
    assert_false(page_url_safe("javascript:alert(1)"));
    assert_false(page_url_safe("JaVaScRiPt:alert(1)"));
    assert_false(page_url_safe("data:text/html,x"));
    assert_false(page_url_safe("https://x/\"onmouseover=1"));
    assert_false(page_url_safe(NULL));
}

/* Writes the PNG to $BV_CHART_DUMP/name when set: for looking at them. */
static void dump(const struct buf *b, const char *name)
{
    const char *dir = getenv("BV_CHART_DUMP");
    char path[512];
    FILE *f;

    if (!dir)
        return;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f) {
        fwrite(b->data, 1, b->len, f);
        fclose(f);
    }
}

/* Draws with fn into b, decodes into img and checks the 900x400 frame and
 * the blank right margin. */
static void check_frame(const struct buf *b, struct image *img,
                        const char *name)
{
    dump(b, name);
    assert_int_equal(decode_png(b, img), 0);
    assert_int_equal(img->w, 900);
    assert_int_equal(img->h, 400);
    assert_true(white(img, 0, 399) && white(img, 899, 399));
    assert_int_equal(inked(img, 892, 0, 900, 400), 0);
    /* The title, top left. */
    assert_true(inked(img, 10, 5, 200, 25) > 30);
}

static void test_comparison_pixels(void **state)
{
    struct chart_cmp_row rows[] = {
        {"sort_ints[n=1000]", 0.004, -0.01, 0.018, CHART_UNCHANGED},
        {"parse_json[large_document_with_a_very_long_name_indeed_that_"
         "goes_on_and_on_and_on_and_on_and_on_and_on]",
         0.21, 0.15, 0.27, CHART_REGRESSED},
        {"hash_map_insert", -0.12, -0.16, -0.08, CHART_IMPROVED},
        {"alloc_small", 0.03, -0.05, 0.11, CHART_INCONCLUSIVE},
        {"no_ci", -0.01, NAN, NAN, CHART_UNCHANGED},
    };
    struct chart_opts o;
    struct buf b;
    struct image img;
    struct errbuf eb;

    (void)state;
    chart_opts_default(&o);
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_comparison_draw(&o, "main vs pr-42", rows, 5,
                                           0.02, &b, &eb), ERR_OK);
    check_frame(&b, &img, "chart-comparison.png");
    /* Sorted by size: the regression (+21%) is the first row, drawn in
     * vermillion (213, 94, 0) right of zero. */
    {
        size_t red = 0;

        for (unsigned y = 62; y < 95; y++)
            for (unsigned x = 500; x < 890; x++) {
                const unsigned char *p = img.rgb + ((size_t)y * 900 + x) * 3;

                red += p[0] == 213 && p[1] == 94 && p[2] == 0;
            }
        assert_true(red > 50);
    }
    /* Labels on the left. */
    assert_true(inked(&img, 12, 62, 300, 200) > 200);
    free(img.rgb);
    /* More rows than fit: the largest are shown, the rest counted, and
     * rows never shrink below a readable height. */
    {
        struct chart_cmp_row many[80];
        char keys[80][32];

        for (int i = 0; i < 80; i++) {
            snprintf(keys[i], sizeof keys[i], "bench_%02d", i);
            many[i].key = keys[i];
            many[i].change = 0.002 * (i - 40);
            many[i].ci_lo = many[i].change - 0.01;
            many[i].ci_hi = many[i].change + 0.01;
            many[i].verdict = CHART_UNCHANGED;
        }
        buf_reset(&b);
        assert_int_equal(chart_comparison_draw(&o, "many", many, 80, 0.05,
                                               &b, &eb), ERR_OK);
        check_frame(&b, &img, "comparison-many.png");
        assert_true(inked(&img, 10, 375, 300, 395) > 30); /* "+ N more" */
        free(img.rgb);
    }
    buf_reset(&b);
    assert_int_equal(chart_comparison_draw(&o, "empty", rows, 0, 0.02, &b,
                                           &eb), ERR_OK);
    check_frame(&b, &img, "comparison-empty.png");
    assert_true(inked(&img, 300, 180, 600, 240) > 50); /* the message */
    free(img.rgb);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

static void test_distribution_pixels(void **state)
{
    double base[30], head[25];
    struct chart_opts o;
    struct buf b, b2;
    struct image img;
    struct errbuf eb;

    (void)state;
    for (int i = 0; i < 30; i++)
        base[i] = 6.0e-3 * (1 + 0.03 * ((i * 37 % 30) / 30.0 - 0.5));
    for (int i = 0; i < 25; i++)
        head[i] = 6.9e-3 * (1 + 0.04 * ((i * 11 % 25) / 25.0 - 0.5));
    head[3] = 9e-3; /* an outlier beyond the whisker */
    chart_opts_default(&o);
    buf_init(&b, 0);
    buf_init(&b2, 0);
    err_init(&eb);
    assert_int_equal(chart_distribution_draw(&o, "sort_ints \xc2\xb7 latency",
                                             "s", base, 30, head, 25, &b,
                                             &eb), ERR_OK);
    check_frame(&b, &img, "chart-distribution.png");
    /* A box in each half of the plot. */
    assert_true(inked(&img, 100, 62, 450, 360) > 500);
    assert_true(inked(&img, 480, 62, 880, 360) > 500);
    free(img.rgb);
    /* Deterministic jitter: the same samples give the same bytes. */
    assert_int_equal(chart_distribution_draw(&o, "sort_ints \xc2\xb7 latency",
                                             "s", base, 30, head, 25, &b2,
                                             &eb), ERR_OK);
    assert_int_equal(b.len, b2.len);
    assert_memory_equal(b.data, b2.data, b.len);
    buf_reset(&b);
    assert_int_equal(chart_distribution_draw(&o, "none", "s", base, 0, head,
                                             1, &b, &eb), ERR_OK);
    check_frame(&b, &img, "distribution-empty.png");
    assert_true(inked(&img, 300, 180, 600, 240) > 50);
    free(img.rgb);
    buf_cleanup(&b);
    buf_cleanup(&b2);
    err_cleanup(&eb);
}

static void test_resources_pixels(void **state)
{
    struct resource_sample s[120];
    struct chart_opts o;
    struct buf b;
    struct image img;
    struct errbuf eb;

    (void)state;
    for (int i = 0; i < 120; i++) {
        s[i].t_ms = 1780000000000LL + i * 500;
        s[i].cpu_pct = 60 + 30 * ((i * 7 % 13) / 13.0);
        s[i].rss_bytes = 200e6 + i * 1.5e6 + (i % 5) * 2e6;
        s[i].read_bytes = i * 4e5;
        s[i].write_bytes = i * 9e5;
        s[i].gpu_util_pct = NAN; /* no GPU: no panel */
        s[i].gpu_mem_bytes = NAN;
    }
    chart_opts_default(&o);
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_resources_draw(&o, "run 7 resources", s, 120, &b,
                                          &eb), ERR_OK);
    check_frame(&b, &img, "chart-resources.png");
    /* Three panels of data: ink in each third of the plot height. */
    assert_true(inked(&img, 100, 60, 880, 140) > 200);
    assert_true(inked(&img, 100, 170, 880, 250) > 200);
    assert_true(inked(&img, 100, 270, 880, 355) > 200);
    free(img.rgb);
    buf_reset(&b);
    assert_int_equal(chart_resources_draw(&o, "run 8", s, 0, &b, &eb),
                     ERR_OK);
    check_frame(&b, &img, "resources-empty.png");
    assert_true(inked(&img, 300, 180, 600, 240) > 50);
    free(img.rgb);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

static void test_scaling_pixels(void **state)
{
    double n[8], t[8];
    struct chart_opts o;
    struct buf b;
    struct image img;
    struct errbuf eb;

    (void)state;
    for (int i = 0; i < 8; i++) {
        n[i] = 16.0 * (1 << (2 * i));
        t[i] = 2e-9 * n[i] * log2(n[i]) * (1 + 0.05 * (i % 3 - 1));
    }
    chart_opts_default(&o);
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_scaling_draw(&o, "sort_ints \xc2\xb7 latency", "s",
                                        n, t, 8, "O(n log n)", 2e-9, &b, &eb),
                     ERR_OK);
    check_frame(&b, &img, "chart-scaling.png");
    /* Log-log, rising: points bottom left and top right. */
    assert_true(inked(&img, 80, 250, 300, 360) > 100);
    assert_true(inked(&img, 650, 62, 885, 170) > 100);
    free(img.rgb);
    buf_reset(&b);
    assert_int_equal(chart_scaling_draw(&o, "one", "s", n, t, 1, "O(n)", 1,
                                        &b, &eb), ERR_OK);
    check_frame(&b, &img, "scaling-empty.png");
    assert_true(inked(&img, 300, 180, 600, 240) > 50);
    free(img.rgb);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_unit_scale),
        cmocka_unit_test(test_trend_pixels),
        cmocka_unit_test(test_empty_and_one_point),
        cmocka_unit_test(test_svg_escapes_names),
        cmocka_unit_test(test_sparkline_and_limits),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_comparison_pixels),
        cmocka_unit_test(test_distribution_pixels),
        cmocka_unit_test(test_resources_pixels),
        cmocka_unit_test(test_scaling_pixels),
    };

    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    render_shutdown();
    return failed;
}
