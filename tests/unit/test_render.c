/*
 * render/: axis arithmetic, and charts checked by their pixels (never by
 * PNG bytes: cairo versions differ).  The PNG is decoded here with zlib by
 * a small reader of the subset our encoder writes (8-bit RGB, filters None
 * and Sub), which also checks every chunk's CRC: an independent check of
 * the encoder.  Every chart kind is drawn at scale 1 and 2 and checked for
 * its size, blank margins and its data colour inside the plot area only;
 * as SVG it must be well-formed (a small checker below, itself tested),
 * sized in CSS pixels, and keep a corpus of hostile names out of its
 * markup.  Empty and one-point inputs must show a clear no-data state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "render/page.h"
#include "render/render.h"

struct image {
    unsigned w, h;
    unsigned char *rgb; /* w*h*3 */
};

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
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

static void make_series(struct series *s, size_t n, double step_at)
{
    memset(s, 0, sizeof *s);
    s->benchmark_key = "sort_ints[n=100000]";
    s->measure = "latency";
    s->unit = "s";
    s->branch = "main";
    s->testbed = "ci-linux-8c";
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
    dump(&b, "chart-trend.png");
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

/* A series made within the hour still gets a time axis: minute ticks
 * label both halves of the x axis, not one lone date. */
static void test_minute_ticks(void **state)
{
    struct chart_opts o;
    struct series s;
    struct buf b;
    struct image img;
    struct errbuf eb;

    (void)state;
    chart_opts_default(&o);
    make_series(&s, 40, 100);
    for (size_t i = 0; i < 40; i++)
        s.points[i].time = 1780000000000LL + (int64_t)i * 60 * 1000;
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    assert_int_equal(decode_png(&b, &img), 0);
    /* the tick labels' band, under the plot (bottom 40 px, above the
     * caption) */
    assert_true(inked(&img, 60, 366, 450, 378) > 40);
    assert_true(inked(&img, 450, 366, 880, 378) > 40);
    free(img.rgb);
    free(s.points);
    buf_cleanup(&b);
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

static void expect(enum err (*fn)(struct buf *, const char *), const char *in,
                   const char *want)
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
    expect(page_esc_href, "/p/x?a=1&b=`\"<'",
           "/p/x?a=1&amp;b=`&quot;&lt;&#39;");
    expect(page_esc_segment, "a/b?c d%", "a%2Fb%3Fc%20d%25");
    expect(page_esc_segment, "test_x[batch_size=100]",
           "test_x%5Bbatch_size%3D100%5D");
    expect(page_esc_query, "\xc3\xbc&=", "%C3%BC%26%3D");
    expect(page_esc_md, "**bold** [x](javascript:y)\n# h",
           "\\*\\*bold\\*\\* \\[x\\]\\(javascript:y\\) \\# h");
    expect(page_esc_md, "<img src=x>", "&lt;img src=x&gt;");
    expect(page_esc_md, "cc @org/team", "cc &#64;org/team");
    assert_true(page_url_safe("https://ci.example.com/job/1"));
    assert_false(page_url_safe("javascript:alert(1)"));
    assert_false(page_url_safe("JaVaScRiPt:alert(1)"));
    assert_false(page_url_safe("data:text/html,x"));
    assert_false(page_url_safe("https://x/\"onmouseover=1"));
    assert_false(page_url_safe(NULL));
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
    assert_int_equal(
        chart_comparison_draw(&o, "main vs pr-42", rows, 5, 0.02, &b, &eb),
        ERR_OK);
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
        assert_int_equal(
            chart_comparison_draw(&o, "many", many, 80, 0.05, &b, &eb), ERR_OK);
        check_frame(&b, &img, "comparison-many.png");
        assert_true(inked(&img, 10, 375, 300, 395) > 30); /* "+ N more" */
        free(img.rgb);
    }
    buf_reset(&b);
    assert_int_equal(chart_comparison_draw(&o, "empty", rows, 0, 0.02, &b, &eb),
                     ERR_OK);
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
                                             "s", base, 30, head, 25, &b, &eb),
                     ERR_OK);
    check_frame(&b, &img, "chart-distribution.png");
    /* A box in each half of the plot. */
    assert_true(inked(&img, 100, 62, 450, 360) > 500);
    assert_true(inked(&img, 480, 62, 880, 360) > 500);
    free(img.rgb);
    /* Deterministic jitter: the same samples give the same bytes. */
    assert_int_equal(chart_distribution_draw(&o, "sort_ints \xc2\xb7 latency",
                                             "s", base, 30, head, 25, &b2, &eb),
                     ERR_OK);
    assert_int_equal(b.len, b2.len);
    assert_memory_equal(b.data, b2.data, b.len);
    buf_reset(&b);
    assert_int_equal(
        chart_distribution_draw(&o, "none", "s", base, 0, head, 1, &b, &eb),
        ERR_OK);
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
    assert_int_equal(
        chart_resources_draw(&o, "run 7 resources", s, 120, &b, &eb), ERR_OK);
    check_frame(&b, &img, "chart-resources.png");
    /* Three panels of data: ink in each third of the plot height. */
    assert_true(inked(&img, 100, 60, 880, 140) > 200);
    assert_true(inked(&img, 100, 170, 880, 250) > 200);
    assert_true(inked(&img, 100, 270, 880, 355) > 200);
    free(img.rgb);
    buf_reset(&b);
    assert_int_equal(chart_resources_draw(&o, "run 8", s, 0, &b, &eb), ERR_OK);
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
    assert_int_equal(
        chart_scaling_draw(&o, "one", "s", n, t, 1, "O(n)", 1, &b, &eb),
        ERR_OK);
    check_frame(&b, &img, "scaling-empty.png");
    assert_true(inked(&img, 300, 180, 600, 240) > 50);
    free(img.rgb);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/* ---- every chart kind: sizes, margins, data in the plot, SVG ------------ */

/* Okabe-Ito colours as the PNG stores them. */
static const unsigned char ink_blue[3] = {0, 114, 178};
static const unsigned char ink_vermillion[3] = {213, 94, 0};
static const unsigned char ink_orange[3] = {230, 159, 0};
static const unsigned char ink_sky[3] = {86, 180, 233};
static const unsigned char ink_green[3] = {0, 158, 115};

/* Pixels of exactly colour c in [x0, x1) x [y0, y1), in CSS pixels times
 * the scale k. */
static size_t colour_in(const struct image *img, const unsigned char c[3],
                        double k, double x0, double y0, double x1, double y1)
{
    size_t n = 0;
    unsigned ya = (unsigned)(y0 * k), yb = (unsigned)(y1 * k);
    unsigned xa = (unsigned)(x0 * k), xb = (unsigned)(x1 * k);

    for (unsigned y = ya; y < yb && y < img->h; y++)
        for (unsigned x = xa; x < xb && x < img->w; x++) {
            const unsigned char *p = img->rgb + ((size_t)y * img->w + x) * 3;

            n += p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
        }
    return n;
}

static size_t colour_all(const struct image *img, const unsigned char c[3])
{
    return colour_in(img, c, 1, 0, 0, img->w, img->h);
}

/* Ink in a rectangle given in CSS pixels, at scale k. */
static size_t inked_k(const struct image *img, double k, double x0, double y0,
                      double x1, double y1)
{
    return inked(img, (unsigned)(x0 * k), (unsigned)(y0 * k),
                 (unsigned)(x1 * k), (unsigned)(y1 * k));
}

/* The hostile corpus: benchmark, branch and project names are user input.
 * In SVG they must stay drawn text, never markup. */
static const char *const hostile[] = {
    "<script>alert(1)</script>",
    "\"onerror=alert(1) x=\"",
    "javascript:alert(1)",
    "[click](javascript:alert(1)) **bold** <!-- c -->",
    "<img src=x onerror=alert(1)>]]><svg onload=alert(1)>",
    "&lt;script&gt; &#x3C;script&#x3E; \xe2\x80\xae",
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

enum kind {
    K_TREND,
    K_COMPARISON,
    K_DISTRIBUTION,
    K_RESOURCES,
    K_SCALING,
    K_SPARKLINE,
    NKINDS
};

static const char *const kind_name[NKINDS] = {
    "trend", "comparison", "distribution", "resources", "scaling", "sparkline"};

/* Draws a chart of kind k with realistic data; name (NULL: a plain one)
 * goes everywhere the chart shows a user string. */
static enum err draw_kind(enum kind k, const struct chart_opts *o,
                          const char *name, struct buf *b, struct errbuf *eb)
{
    enum err e = ERR_INTERNAL;

    switch (k) {
    case K_TREND: {
        struct series s;
        struct chart_change ch[2] = {{20, false}, {42, true}};
        char own[1400]; /* series strings are owned, so not const */

        make_series(&s, 60, 42);
        if (name) {
            snprintf(own, sizeof own, "%s", name);
            s.benchmark_key = own;
            s.measure = own;
            s.branch = own;
            s.testbed = own;
        }
        e = chart_trend_draw(o, &s, ch, 2, b, eb);
        free(s.points);
        break;
    }
    case K_COMPARISON: {
        struct chart_cmp_row rows[] = {
            {"sort_ints[n=1000]", 0.004, -0.01, 0.018, CHART_UNCHANGED},
            {"parse_json[large]", 0.21, 0.15, 0.27, CHART_REGRESSED},
            {"hash_map_insert", -0.12, -0.16, -0.08, CHART_IMPROVED},
            {"alloc_small", 0.03, -0.05, 0.11, CHART_INCONCLUSIVE},
            {"no_ci", -0.01, NAN, NAN, CHART_UNCHANGED},
        };

        if (name)
            for (size_t i = 0; i < 5; i++)
                rows[i].key = name;
        e = chart_comparison_draw(o, name ? name : "run 42 vs run 41", rows, 5,
                                  0.02, b, eb);
        break;
    }
    case K_DISTRIBUTION: {
        double base[30], head[25];

        for (int i = 0; i < 30; i++)
            base[i] = 6.0e-3 * (1 + 0.03 * ((i * 37 % 30) / 30.0 - 0.5));
        for (int i = 0; i < 25; i++)
            head[i] = 6.9e-3 * (1 + 0.04 * ((i * 11 % 25) / 25.0 - 0.5));
        e = chart_distribution_draw(o,
                                    name ? name
                                         : "sort_ints \xc2\xb7 "
                                           "latency",
                                    "s", base, 30, head, 25, b, eb);
        break;
    }
    case K_RESOURCES: {
        struct resource_sample r[120];

        for (int i = 0; i < 120; i++) {
            r[i].t_ms = 1780000000000LL + i * 500;
            r[i].cpu_pct = 60 + 30 * ((i * 7 % 13) / 13.0);
            r[i].rss_bytes = 200e6 + i * 1.5e6 + (i % 5) * 2e6;
            r[i].read_bytes = i * 4e5;
            r[i].write_bytes = i * 9e5;
            r[i].gpu_util_pct = NAN;
            r[i].gpu_mem_bytes = NAN;
        }
        e = chart_resources_draw(o, name ? name : "run 7 \xc2\xb7 main", r, 120,
                                 b, eb);
        break;
    }
    case K_SCALING: {
        double n[8], t[8];

        for (int i = 0; i < 8; i++) {
            n[i] = 16.0 * (1 << (2 * i));
            t[i] = 2e-9 * n[i] * log2(n[i]) * (1 + 0.05 * (i % 3 - 1));
        }
        e = chart_scaling_draw(o, name ? name : "sort_ints \xc2\xb7 latency",
                               "s", n, t, 8, "O(n log n)", 2e-9, b, eb);
        break;
    }
    case K_SPARKLINE: {
        double v[30];

        for (int i = 0; i < 30; i++)
            v[i] = 6 + 0.3 * sin(i) + (i > 20);
        e = chart_sparkline_draw(o, v, 30, b, eb);
        break;
    }
    case NKINDS:
        break;
    }
    return e;
}

static void kind_opts(enum kind k, double scale, enum chart_format f,
                      struct chart_opts *o)
{
    chart_opts_default(o);
    if (k == K_SPARKLINE) {
        o->width = 120;
        o->height = 24;
    }
    o->scale = scale;
    o->format = f;
}

/*
 * Margins every chart keeps blank, in CSS pixels: a chart never draws
 * outside its canvas or into the frame around it.  Sparklines keep 1 px
 * (they have no labels); full charts keep 11 px left, 11 px right above
 * the x tick labels (3 px beside them), 5 px top and 4 px bottom.
 */
static void check_margins(const struct image *img, enum kind k, double sc,
                          const char *what)
{
    double w = img->w / sc, h = img->h / sc;

    if (k == K_SPARKLINE) {
        if (inked_k(img, sc, 0, 0, 1, h) || inked_k(img, sc, w - 1, 0, w, h))
            fail_msg("%s: sparkline touches its left or right edge", what);
        return;
    }
    if (inked_k(img, sc, 0, 0, 11, h))
        fail_msg("%s: ink in the left margin", what);
    if (inked_k(img, sc, w - 11, 0, w, h - 40) ||
        inked_k(img, sc, w - 3, 0, w, h))
        fail_msg("%s: ink in the right margin", what);
    if (inked_k(img, sc, 0, 0, w, 5))
        fail_msg("%s: ink in the top margin", what);
    if (inked_k(img, sc, 0, h - 4, w, h))
        fail_msg("%s: ink in the bottom margin", what);
}

/*
 * Data where it belongs: each chart's data colour is found in its plot
 * area and nowhere else but its legend.  Coordinates in CSS pixels of the
 * 900x400 layout (t = 62, b = h - 40, r = w - 16), scaled by sc.
 */
static void check_data(const struct image *img, enum kind k, double sc,
                       const char *what)
{
    size_t in, all;

    switch (k) {
    case K_TREND:
        /* The value line spans the plot, left to right; only the legend
         * (right of the axis title, above the plot) shares its colour. */
        in = colour_in(img, ink_blue, sc, 30, 62, 884, 360);
        all = colour_all(img, ink_blue);
        assert_true(in > 300);
        if (all != in + colour_in(img, ink_blue, sc, 300, 40, 884, 58))
            fail_msg("%s: value colour outside the plot and legend", what);
        assert_true(colour_in(img, ink_blue, sc, 30, 62, 130, 360) > 20);
        assert_true(colour_in(img, ink_blue, sc, 780, 62, 884, 360) > 20);
        break;
    case K_COMPARISON:
        /* The regression, +21% with CI 15..27%, is the first row, right
         * of zero; the improvement is the second, left of zero.  Five
         * rows of 40 px; the axis sits right under them, so the lower part
         * of the canvas stays blank. */
        assert_true(colour_in(img, ink_vermillion, sc, 500, 62, 880, 102) >
                    100);
        assert_true(colour_in(img, ink_blue, sc, 150, 102, 560, 142) > 100);
        all = colour_all(img, ink_vermillion);
        in = colour_in(img, ink_vermillion, sc, 0, 62, 900, 102) +
             colour_in(img, ink_vermillion, sc, 0, 25, 900, 45);
        if (all != in)
            fail_msg("%s: regression colour outside its row", what);
        if (inked_k(img, sc, 0, 310, 900, 400))
            fail_msg("%s: ink below the axis of five rows", what);
        break;
    case K_DISTRIBUTION:
        /* Base (sky) in the left half, head (orange) in the right. */
        assert_true(colour_in(img, ink_sky, sc, 40, 62, 450, 360) > 100);
        assert_true(colour_in(img, ink_orange, sc, 450, 62, 884, 360) > 100);
        if (colour_all(img, ink_sky) !=
            colour_in(img, ink_sky, sc, 40, 62, 450, 360))
            fail_msg("%s: base colour outside the left box", what);
        if (colour_all(img, ink_orange) !=
            colour_in(img, ink_orange, sc, 450, 62, 884, 360))
            fail_msg("%s: head colour outside the right box", what);
        break;
    case K_RESOURCES:
        /* Three panels stacked between y 40 and 360: CPU (blue) in the
         * first, RSS (green) in the second, disk in the third. */
        in = colour_in(img, ink_blue, sc, 92, 56, 884, 143);
        assert_true(in > 200);
        if (colour_all(img, ink_blue) != in)
            fail_msg("%s: CPU colour outside the CPU panel", what);
        in = colour_in(img, ink_green, sc, 92, 162, 884, 250);
        assert_true(in > 100);
        if (colour_all(img, ink_green) != in)
            fail_msg("%s: RSS colour outside the RSS panel", what);
        assert_true(colour_in(img, ink_vermillion, sc, 92, 269, 884, 357) >
                    100);
        break;
    case K_SCALING:
        /* Rising points: bottom left and top right of the plot. */
        in = colour_in(img, ink_blue, sc, 40, 62, 884, 360);
        if (colour_all(img, ink_blue) !=
            in + colour_in(img, ink_blue, sc, 300, 40, 884, 58))
            fail_msg("%s: point colour outside the plot and legend", what);
        assert_true(colour_in(img, ink_blue, sc, 40, 250, 300, 360) > 20);
        assert_true(colour_in(img, ink_blue, sc, 650, 62, 884, 170) > 20);
        break;
    case K_SPARKLINE:
        /* The line across (thin: antialiased, so ink rather than exact
         * colour), the last value marked at the right end. */
        assert_true(inked_k(img, sc, 0, 0, 40, 24) > 30 * sc);
        assert_true(inked_k(img, sc, 40, 0, 80, 24) > 30 * sc);
        assert_true(colour_in(img, ink_vermillion, sc, 110, 0, 120, 24) > 3);
        assert_int_equal(colour_in(img, ink_vermillion, sc, 0, 0, 110, 24), 0);
        break;
    case NKINDS:
        break;
    }
}

/* chart_trend_points says where each point is drawn: the point's own blue
 * (Okabe-Ito, 0 114 178) is at every position it gives, at any size. */
static void test_trend_points_match_drawing(void **state)
{
    static const unsigned char blue[3] = {0, 0x72, 0xB2};
    static const unsigned sizes[][2] = {{900, 400}, {640, 320}, {1200, 500}};
    struct chart_opts o;
    struct series s;
    struct buf b;
    struct image img;
    struct errbuf eb;
    double x[60], y[60];

    (void)state;
    err_init(&eb);
    buf_init(&b, 0);
    make_series(&s, 60, 42);
    s.points[7].value = NAN; /* a missing value has no position */
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        chart_opts_default(&o);
        o.width = sizes[k][0];
        o.height = sizes[k][1];
        buf_reset(&b);
        assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
        assert_int_equal(decode_png(&b, &img), 0);
        assert_int_equal(chart_trend_points(&o, &s, x, y, &eb), ERR_OK);
        for (size_t i = 0; i < 60; i++) {
            if (i == 7) {
                assert_true(isnan(x[i]) && isnan(y[i]));
                continue;
            }
            assert_true(x[i] > 0 && x[i] < o.width && y[i] > 0 &&
                        y[i] < o.height);
            /* the dot (radius 2.5) covers its centre's 3 x 3 pixels */
            assert_true(colour_in(&img, blue, 1, x[i] - 1, y[i] - 1, x[i] + 2,
                                  y[i] + 2) >= 4);
        }
        /* in commit order, left to right */
        assert_true(x[0] < x[1] && x[58] < x[59]);
        free(img.rgb);
    }
    /* bad options are refused, as when drawing */
    o.width = 1;
    assert_int_equal(chart_trend_points(&o, &s, x, y, &eb), ERR_INVALID);
    /* no data: no positions */
    s.npoints = 0;
    chart_opts_default(&o);
    assert_int_equal(chart_trend_points(&o, &s, x, y, &eb), ERR_OK);
    free(s.points);
    buf_cleanup(&b);
}

static void test_every_kind_png(void **state)
{
    static const double scales[] = {1, 2};
    struct buf b;
    struct errbuf eb;

    (void)state;
    buf_init(&b, 0);
    err_init(&eb);
    for (int k = 0; k < NKINDS; k++) {
        for (size_t i = 0; i < 2; i++) {
            struct chart_opts o;
            struct image img;
            char what[64], file[64];

            kind_opts((enum kind)k, scales[i], CHART_PNG, &o);
            snprintf(what, sizeof what, "%s at scale %g", kind_name[k],
                     scales[i]);
            buf_reset(&b);
            assert_int_equal(draw_kind((enum kind)k, &o, NULL, &b, &eb),
                             ERR_OK);
            snprintf(file, sizeof file, "kind-%s-x%g.png", kind_name[k],
                     scales[i]);
            dump(&b, file);
            assert_int_equal(decode_png(&b, &img), 0);
            assert_int_equal(img.w, (unsigned)(o.width * scales[i]));
            assert_int_equal(img.h, (unsigned)(o.height * scales[i]));
            check_margins(&img, (enum kind)k, scales[i], what);
            check_data(&img, (enum kind)k, scales[i], what);
            free(img.rgb);
        }
    }
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/*
 * A small XML well-formedness check: elements nest and close in order,
 * one root, attribute values quoted, every '&' starts an entity, nothing
 * but comments, the declaration and white space outside the root.
 * Returns NULL, or what is wrong with *at its offset.
 */
static const char *xml_problem(const char *s, size_t len, size_t *at)
{
    const char *stack[64];
    size_t stack_len[64], depth = 0, roots = 0, i = 0;

#define BAD(msg)                                                               \
    do {                                                                       \
        *at = i;                                                               \
        return msg;                                                            \
    } while (0)
    while (i < len) {
        if (s[i] == '&') {
            size_t j = i + 1;

            while (j < len && j - i < 12 &&
                   (isalnum((unsigned char)s[j]) || s[j] == '#'))
                j++;
            if (j >= len || s[j] != ';' || j == i + 1)
                BAD("bare '&'");
            i = j + 1;
            continue;
        }
        if (s[i] != '<') {
            if (depth == 0 && !isspace((unsigned char)s[i]))
                BAD("text outside the root");
            i++;
            continue;
        }
        if (!strncmp(s + i, "<?", 2) || !strncmp(s + i, "<!--", 4)) {
            bool pi = s[i + 1] == '?';
            const char *end = strstr(s + i + 2, pi ? "?>" : "-->");

            if (!end)
                BAD("unterminated declaration or comment");
            i = (size_t)(end - s) + (pi ? 2 : 3);
            continue;
        }
        if (s[i + 1] == '/') {
            size_t n = strcspn(s + i + 2, " \t\r\n>");

            if (depth == 0 || n != stack_len[depth - 1] ||
                strncmp(s + i + 2, stack[depth - 1], n))
                BAD("end tag does not match");
            depth--;
            i += 2 + n;
            while (i < len && isspace((unsigned char)s[i]))
                i++;
            if (i >= len || s[i] != '>')
                BAD("bad end tag");
            i++;
            continue;
        }
        {
            const char *name = s + i + 1;
            size_t n = strcspn(name, " \t\r\n/><\"'=");
            bool empty = false;

            if (n == 0)
                BAD("'<' without a name");
            i += 1 + n;
            for (;;) { /* attributes: name="value" or name='value' */
                const char *end;

                while (i < len && isspace((unsigned char)s[i]))
                    i++;
                if (i >= len)
                    BAD("unterminated tag");
                if (s[i] == '>')
                    break;
                if (s[i] == '/' && i + 1 < len && s[i + 1] == '>') {
                    empty = true;
                    i++;
                    break;
                }
                while (i < len && s[i] != '=' && s[i] != '>' && s[i] != '<' &&
                       !isspace((unsigned char)s[i]))
                    i++;
                if (i + 1 >= len || s[i] != '=' ||
                    (s[i + 1] != '"' && s[i + 1] != '\''))
                    BAD("unquoted attribute");
                end = memchr(s + i + 2, s[i + 1], len - i - 2);
                if (!end || memchr(s + i + 2, '<', (size_t)(end - s) - i - 2))
                    BAD("bad attribute value");
                i = (size_t)(end - s) + 1;
            }
            i++; /* '>' */
            roots += depth == 0;
            if (!empty) {
                if (depth == 64)
                    BAD("nested too deep");
                stack[depth] = name;
                stack_len[depth++] = n;
            }
        }
    }
    if (depth != 0)
        BAD("elements left open");
    if (roots != 1)
        BAD("not exactly one root");
#undef BAD
    return NULL;
}

static void check_xml(const char *s, size_t len, const char *what)
{
    size_t at = 0;
    const char *p = xml_problem(s, len, &at);

    if (p)
        fail_msg("%s: not well-formed XML: %s at byte %zu", what, p, at);
}

/* The checker accepts what XML allows and rejects what it does not: the
 * SVG checks below mean something only if it can fail. */
static void test_xml_checker(void **state)
{
    static const char *const bad[] = {
        "<svg><g></svg>",   "<svg></svg><svg></svg>",  "<svg a=1></svg>",
        "<svg>a & b</svg>", "<svg><script>x</script>", "<svg a=\"<\"></svg>",
        "x<svg/>",          "<svg><!-- open</svg>",    "<svg><g></h></svg>",
    };
    static const char ok[] =
        "<?xml version=\"1.0\"?>\n<!-- c -->\n<svg a=\"1\" b='2'>"
        "<g><path d=\"M 0 0\"/></g>&amp;&#60;</svg>\n";
    size_t at;

    (void)state;
    assert_null(xml_problem(ok, strlen(ok), &at));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!xml_problem(bad[i], strlen(bad[i]), &at))
            fail_msg("accepted broken XML: %s", bad[i]);
}

/* Every chart kind as SVG: well-formed, the root sized in CSS pixels, and
 * each hostile name (drawn as glyph outlines) leaves no markup behind. */
static void test_every_kind_svg(void **state)
{
    struct buf b;
    struct errbuf eb;

    (void)state;
    buf_init(&b, 0);
    err_init(&eb);
    for (int k = 0; k < NKINDS; k++) {
        for (size_t h = 0; h <= NHOSTILE; h++) {
            struct chart_opts o;
            char want[96];
            const char *svg, *root;

            kind_opts((enum kind)k, 1, CHART_SVG, &o);
            buf_reset(&b);
            assert_int_equal(draw_kind((enum kind)k, &o,
                                       h < NHOSTILE ? hostile[h] : NULL, &b,
                                       &eb),
                             ERR_OK);
            svg = buf_str(&b);
            check_xml(svg, b.len, kind_name[k]);
            root = strstr(svg, "<svg ");
            assert_non_null(root);
            snprintf(want, sizeof want,
                     "width=\"%upx\" height=\"%upx\" "
                     "viewBox=\"0 0 %u %u\"",
                     o.width, o.height, o.width, o.height);
            if (!strstr(root, want) || strstr(root, want) > strchr(root, '>'))
                fail_msg("%s: root <svg> is not %s", kind_name[k], want);
            /* Drawn: paths for the data, glyphs for the text. */
            assert_non_null(strstr(svg, "<path"));
            if (k != K_SPARKLINE)
                assert_non_null(strstr(svg, "xlink:href=\"#glyph"));
            /* Nothing of a name survives as markup or text. */
            assert_null(strstr(svg, "<script"));
            assert_null(strstr(svg, "<text"));
            assert_null(strstr(svg, "<foreignObject"));
            assert_null(strstr(svg, "onerror"));
            assert_null(strstr(svg, "onload"));
            assert_null(strstr(svg, "javascript:"));
            assert_null(strstr(svg, "alert("));
        }
    }
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/* A chart with nothing to plot: its title, a framed empty plot, the
 * message (and hint) in the middle, and no data colour anywhere. */
static void check_no_data(const struct buf *b, const char *what)
{
    struct image img;
    static const unsigned char *const data_colours[] = {
        ink_blue, ink_vermillion, ink_orange, ink_sky, ink_green};

    assert_int_equal(decode_png(b, &img), 0);
    assert_int_equal(img.w, 900);
    assert_int_equal(img.h, 400);
    check_margins(&img, K_TREND, 1, what);
    if (inked(&img, 10, 5, 200, 25) < 30)
        fail_msg("%s: no title", what);
    if (inked(&img, 250, 180, 650, 240) < 200)
        fail_msg("%s: no message in the middle", what);
    /* Blank between the frame and the message: no axes, no data. */
    if (inked(&img, 20, 45, 880, 170) || inked(&img, 20, 250, 880, 380))
        fail_msg("%s: something drawn besides the message", what);
    for (size_t i = 0; i < 5; i++)
        if (colour_all(&img, data_colours[i]))
            fail_msg("%s: a data colour in the no-data state", what);
    free(img.rgb);
}

static void test_no_data_states(void **state)
{
    struct chart_opts o;
    struct buf b;
    struct errbuf eb;
    struct series s;
    struct resource_sample r[3];
    struct chart_cmp_row nan_row = {"x", NAN, NAN, NAN, CHART_UNCHANGED};
    double one[1] = {5e-3}, none[1] = {NAN}, n2[2] = {10, 100},
           neg[2] = {-1, 0};

    (void)state;
    chart_opts_default(&o);
    buf_init(&b, 0);
    err_init(&eb);

    make_series(&s, 0, 0);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    dump(&b, "nodata-trend.png");
    check_no_data(&b, "trend, no points");
    free(s.points);
    make_series(&s, 3, 9);
    for (int i = 0; i < 3; i++)
        s.points[i].value = s.points[i].lower = s.points[i].upper = NAN;
    buf_reset(&b);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    check_no_data(&b, "trend, no finite point");
    free(s.points);

    buf_reset(&b);
    assert_int_equal(
        chart_comparison_draw(&o, "run 2 vs run 1", NULL, 0, 0.05, &b, &eb),
        ERR_OK);
    check_no_data(&b, "comparison, no rows");
    buf_reset(&b);
    assert_int_equal(
        chart_comparison_draw(&o, "run 2 vs run 1", &nan_row, 1, 0.05, &b, &eb),
        ERR_OK);
    check_no_data(&b, "comparison, no finite change");

    buf_reset(&b);
    assert_int_equal(chart_distribution_draw(&o, "sort \xc2\xb7 latency", "s",
                                             NULL, 0, NULL, 0, &b, &eb),
                     ERR_OK);
    check_no_data(&b, "distribution, no samples");
    buf_reset(&b);
    assert_int_equal(chart_distribution_draw(&o, "sort \xc2\xb7 latency", "s",
                                             one, 1, none, 1, &b, &eb),
                     ERR_OK);
    check_no_data(&b, "distribution, one finite sample");

    for (int i = 0; i < 3; i++) {
        r[i].t_ms = i * 1000;
        r[i].cpu_pct = r[i].rss_bytes = r[i].read_bytes = NAN;
        r[i].write_bytes = r[i].gpu_util_pct = r[i].gpu_mem_bytes = NAN;
    }
    buf_reset(&b);
    assert_int_equal(chart_resources_draw(&o, "run 8 resources", r, 3, &b, &eb),
                     ERR_OK);
    check_no_data(&b, "resources, every quantity absent");
    r[0].cpu_pct = 50;
    buf_reset(&b);
    assert_int_equal(chart_resources_draw(&o, "run 9 resources", r, 1, &b, &eb),
                     ERR_OK);
    dump(&b, "nodata-resources-one.png");
    check_no_data(&b, "resources, one sample");

    buf_reset(&b);
    assert_int_equal(chart_scaling_draw(&o, "sort \xc2\xb7 latency", "s", n2,
                                        one, 1, "O(n)", 1, &b, &eb),
                     ERR_OK);
    check_no_data(&b, "scaling, one point");
    buf_reset(&b);
    assert_int_equal(chart_scaling_draw(&o, "sort \xc2\xb7 latency", "s", n2,
                                        neg, 2, "O(n)", 1, &b, &eb),
                     ERR_OK);
    check_no_data(&b, "scaling, no positive value");
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/* One point, one row, one sample: drawn, with what is missing said. */
static void test_one_point_states(void **state)
{
    struct chart_opts o;
    struct buf b;
    struct image img;
    struct errbuf eb;
    struct series s;
    struct chart_cmp_row row = {"only", 0.08, 0.06, 0.10, CHART_REGRESSED};
    double base = 6e-3, head = 6.6e-3, v[1] = {3};

    (void)state;
    chart_opts_default(&o);
    buf_init(&b, 0);
    err_init(&eb);

    /* Trend: the point in the middle of the plot, the note above it. */
    make_series(&s, 1, 9);
    assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb), ERR_OK);
    dump(&b, "one-trend.png");
    assert_int_equal(decode_png(&b, &img), 0);
    check_margins(&img, K_TREND, 1, "trend, one point");
    assert_true(colour_in(&img, ink_blue, 1, 430, 150, 490, 280) > 5);
    assert_int_equal(colour_in(&img, ink_blue, 1, 30, 62, 420, 360), 0);
    assert_true(inked(&img, 330, 66, 570, 86) > 100); /* the note */
    free(img.rgb);
    free(s.points);

    /* Comparison: one row, the axis right under it. */
    buf_reset(&b);
    assert_int_equal(chart_comparison_draw(&o, "one", &row, 1, 0.05, &b, &eb),
                     ERR_OK);
    dump(&b, "one-comparison.png");
    assert_int_equal(decode_png(&b, &img), 0);
    check_margins(&img, K_COMPARISON, 1, "comparison, one row");
    assert_true(colour_in(&img, ink_vermillion, 1, 100, 62, 880, 92) > 100);
    assert_int_equal(inked(&img, 0, 150, 900, 400), 0);
    free(img.rgb);

    /* Distribution: one sample a side: dots, no boxes. */
    buf_reset(&b);
    assert_int_equal(
        chart_distribution_draw(&o, "one", "s", &base, 1, &head, 1, &b, &eb),
        ERR_OK);
    dump(&b, "one-distribution.png");
    assert_int_equal(decode_png(&b, &img), 0);
    check_margins(&img, K_DISTRIBUTION, 1, "distribution, one sample");
    assert_true(colour_all(&img, ink_sky) > 10 &&
                colour_all(&img, ink_sky) < 80);
    assert_true(colour_all(&img, ink_orange) > 10 &&
                colour_all(&img, ink_orange) < 80);
    free(img.rgb);

    /* Sparkline: no values, a faint line; one value, its dot alone. */
    {
        struct chart_opts so = {120, 24, 1, CHART_PNG};

        buf_reset(&b);
        assert_int_equal(chart_sparkline_draw(&so, v, 0, &b, &eb), ERR_OK);
        assert_int_equal(decode_png(&b, &img), 0);
        assert_true(inked(&img, 0, 0, 120, 24) > 50);
        assert_int_equal(colour_all(&img, ink_blue), 0);
        assert_int_equal(colour_all(&img, ink_vermillion), 0);
        free(img.rgb);
        buf_reset(&b);
        assert_int_equal(chart_sparkline_draw(&so, v, 1, &b, &eb), ERR_OK);
        assert_int_equal(decode_png(&b, &img), 0);
        assert_int_equal(colour_all(&img, ink_blue), 0);
        assert_true(colour_all(&img, ink_vermillion) > 3);
        free(img.rgb);
    }
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/* Labels stay inside the canvas at any size: the widest tick labels
 * (hours of a day on the trend, a percent scale, decades) at widths that
 * put a tick near either end. */
static void test_margins_at_any_size(void **state)
{
    struct buf b;
    struct errbuf eb;
    struct series s;

    (void)state;
    buf_init(&b, 0);
    err_init(&eb);
    make_series(&s, 30, 20);
    for (size_t i = 0; i < 30; i++) /* hourly: "Jun 01 12:00" labels */
        s.points[i].time = 1780000000000LL + (int64_t)i * 3600 * 1000;
    for (unsigned w = 300; w <= 1300; w += 23) {
        struct chart_opts o;
        struct image img;
        char what[64];

        chart_opts_default(&o);
        o.width = w;
        o.height = 300;
        for (int k = 0; k <= NKINDS; k++) {
            buf_reset(&b);
            if (k == NKINDS) {
                snprintf(what, sizeof what, "hourly trend at width %u", w);
                assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb),
                                 ERR_OK);
            } else if (k == K_SPARKLINE) {
                continue;
            } else {
                snprintf(what, sizeof what, "%s at width %u", kind_name[k], w);
                assert_int_equal(draw_kind((enum kind)k, &o, NULL, &b, &eb),
                                 ERR_OK);
            }
            assert_int_equal(decode_png(&b, &img), 0);
            check_margins(&img, k == NKINDS ? K_TREND : (enum kind)k, 1, what);
            free(img.rgb);
        }
    }
    free(s.points);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/* Long non-ASCII names are cut at character boundaries: a title cut in
 * the middle of a UTF-8 sequence would put cairo into an error state and
 * turn the chart into a server error. */
static void test_long_utf8_names(void **state)
{
    static const size_t lens[] = {255, 256, 299, 300, 301, 599, 600, 601};
    struct buf b;
    struct errbuf eb;
    char name[1400];

    (void)state;
    buf_init(&b, 0);
    err_init(&eb);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (size_t odd = 0; odd < 2; odd++) {
            size_t n = 0;

            if (odd)
                name[n++] = 'x'; /* shifts every cut by one byte */
            for (size_t k = 0; k < lens[i]; k++) {
                memcpy(name + n, "\xc3\xa9", 2); /* e-acute */
                n += 2;
            }
            name[n] = '\0';
            for (int k = 0; k < NKINDS; k++) {
                struct chart_opts o;

                kind_opts((enum kind)k, 1, k % 2 ? CHART_SVG : CHART_PNG, &o);
                buf_reset(&b);
                if (draw_kind((enum kind)k, &o, name, &b, &eb) != ERR_OK)
                    fail_msg("%s with a %zu-byte name: %s", kind_name[k], n,
                             eb.msg);
            }
        }
    }
    /* Units are shown as they are when they have no prefixes of their
     * own; names may hold code points cairo refuses (U+FFFF). */
    {
        const char *const odd[] = {"\xef\xbf\xbf nonchar", "frames\xef\xb7\x90",
                                   name};
        double base[3] = {1, 2, 3}, head[3] = {2, 3, 4};
        struct chart_opts o;
        struct series s;

        chart_opts_default(&o);
        for (size_t i = 0; i < 3; i++) {
            char own[1400];

            snprintf(own, sizeof own, "%s", odd[i]);
            buf_reset(&b);
            assert_int_equal(chart_distribution_draw(&o, odd[i], odd[i], base,
                                                     3, head, 3, &b, &eb),
                             ERR_OK);
            buf_reset(&b);
            assert_int_equal(chart_scaling_draw(&o, odd[i], odd[i], base, head,
                                                3, "O(n)", 1, &b, &eb),
                             ERR_OK);
            make_series(&s, 10, 5);
            s.unit = own;
            s.benchmark_key = own;
            buf_reset(&b);
            assert_int_equal(chart_trend_draw(&o, &s, NULL, 0, &b, &eb),
                             ERR_OK);
            free(s.points);
        }
    }
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/* The height a comparison needs: every row at its full 40 px under the
 * title and legend (62 px), the axis and its labels below (40 px); rows
 * without a change are not counted; clamped to [160, 4000]. */
static void test_comparison_height(void **state)
{
    struct chart_cmp_row rows[300];
    struct chart_opts o;
    struct image img;
    struct errbuf eb;
    struct buf b;

    (void)state;
    for (int i = 0; i < 300; i++)
        rows[i] = (struct chart_cmp_row){"bench", 0.01 * (i % 7), -0.02, 0.03,
                                         CHART_UNCHANGED};
    rows[0].verdict = CHART_REGRESSED;
    rows[0].change = 0.2;
    rows[0].ci_lo = 0.15;
    rows[0].ci_hi = 0.25;
    assert_int_equal(chart_comparison_height(rows, 0), 160);
    assert_int_equal(chart_comparison_height(rows, 1), 160);
    assert_int_equal(chart_comparison_height(rows, 3), 62 + 3 * 40 + 40);
    rows[4].change = NAN;
    assert_int_equal(chart_comparison_height(rows, 5), 62 + 4 * 40 + 40);
    assert_int_equal(chart_comparison_height(rows, 300), 4000);
    /* At that height three rows fill the chart: each row band has its
     * label, the axis labels end just above the bottom margin. */
    chart_opts_default(&o);
    o.height = chart_comparison_height(rows, 3);
    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(chart_comparison_draw(&o, "three", rows, 3, 0.05, &b, &eb),
                     ERR_OK);
    dump(&b, "comparison-three.png");
    assert_int_equal(decode_png(&b, &img), 0);
    assert_int_equal(img.h, 222);
    for (unsigned r = 0; r < 3; r++)
        assert_true(inked(&img, 12, 62 + 40 * r + 12, 100, 62 + 40 * r + 28) >
                    20);
    assert_true(inked(&img, 600, 182, 890, 218) > 50); /* ticks, title */
    assert_int_equal(inked(&img, 0, 218, 900, 222), 0);
    free(img.rgb);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

/* ---- the HTML pages as pure writers (render/page.h) --------------------- */

/* A report-like link builder: "rel:" + the path, to show that every link
 * of a page goes through the builder. */
static int rel_ctx;

static enum err href_rel(const struct page_links *l, struct buf *b,
                         const char *path, enum page_href_esc esc)
{
    (void)esc;
    assert_ptr_equal(l->ctx, &rel_ctx);
    assert_true(path[0] == '/');
    if (buf_adds(b, "rel:"))
        return ERR_TOO_LARGE;
    return page_esc_attr(b, path);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_page_skeleton_and_links(void **state)
{
    struct page_links rel = {href_rel, &rel_ctx, false};
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(page_begin(&page_links_server, &b, "<b>t</b>", "a b"),
                     ERR_OK);
    assert_int_equal(page_end(&b), ERR_OK);
    assert_true(page_complete(&b));
    assert_non_null(strstr(buf_str(&b), "<title>&lt;b&gt;t&lt;/b&gt; – "));
    assert_non_null(strstr(buf_str(&b), "href=\"/static/style.css\""));
    assert_non_null(strstr(buf_str(&b), "<a href=\"/p/a%20b\">a b</a>"));
    assert_non_null(strstr(buf_str(&b), "<a href=\"/p/a%20b/compare\">"));

    /* Static: no compare link; every link through the builder. */
    assert_int_equal(page_begin(&rel, &b, "t", "p\"<"), ERR_OK);
    assert_null(strstr(buf_str(&b), "compare"));
    assert_int_equal(count(buf_str(&b), "href=\"rel:/"), 6);
    assert_non_null(strstr(buf_str(&b), "href=\"rel:/p/p%22%3C/alerts\""));
    /* what is worse now and the runs list, in the report too */
    assert_non_null(strstr(buf_str(&b), "href=\"rel:/p/p%22%3C/regressions\""));
    assert_non_null(strstr(buf_str(&b), "href=\"rel:/p/p%22%3C/runs\""));
    assert_false(page_complete(&b));

    /* A path's "&" and "=" are escaped for the attribute. */
    buf_reset(&b);
    assert_int_equal(page_href(&page_links_server, &b, "/p/x?a=1&b=2"), ERR_OK);
    assert_string_equal(buf_str(&b), "/p/x?a&#61;1&amp;b&#61;2");
    buf_cleanup(&b);
}

/* Commits link into the project's repository only when both are sound. */
static void test_page_commit_links(void **state)
{
    const char *repo = "https://git.example.com/o/r";
    struct buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(page_commit(&b, repo, "0123456789abcdef0123"), ERR_OK);
    assert_string_equal(buf_str(&b),
                        "<a rel=\"nofollow noopener\" href=\"https://"
                        "git.example.com/o/r/commit/0123456789abcdef0123\">"
                        "<code>0123456789ab</code></a>");
    buf_reset(&b);
    /* no repository, a sha that is not hex, a URL that is not http(s) */
    assert_int_equal(page_commit(&b, NULL, "abcdef1"), ERR_OK);
    assert_int_equal(page_commit(&b, repo, "v1.0\"><b>"), ERR_OK);
    assert_int_equal(page_commit(&b, "javascript:alert(1)", "abcdef1"), ERR_OK);
    assert_null(strstr(buf_str(&b), "href"));
    assert_null(strstr(buf_str(&b), "<b>"));
    buf_reset(&b);
    assert_int_equal(page_commit_range(&b, repo, "aaaa1", "bbbb2"), ERR_OK);
    assert_string_equal(buf_str(&b),
                        "<a rel=\"nofollow noopener\" href=\"https://"
                        "git.example.com/o/r/compare/aaaa1...bbbb2\"><code>"
                        "aaaa1</code>..<code>bbbb2</code></a>");
    buf_reset(&b);
    assert_int_equal(page_commit_range(&b, repo, NULL, "bbbb2"), ERR_OK);
    assert_string_equal(buf_str(&b), "<code>?</code>..<code>bbbb2</code>");
    buf_cleanup(&b);
}

static void test_page_values(void **state)
{
    struct buf b;
    char abbrev[13];

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(page_value(&b, 0.0123, "s"), ERR_OK);
    assert_string_equal(buf_str(&b), "12.3 ms");
    buf_reset(&b);
    assert_int_equal(page_value(&b, NAN, "s"), ERR_OK);
    assert_int_equal(page_percent(&b, 0.05), ERR_OK);
    assert_int_equal(page_time(&b, TIME_NONE), ERR_OK);
    assert_string_equal(buf_str(&b), "–+5.0%–");
    assert_string_equal(page_short_sha("0123456789abcdef0123", abbrev),
                        "0123456789ab");
    assert_string_equal(page_short_sha("v1.2.3-not-a-sha", abbrev),
                        "v1.2.3-not-a-sha");
    assert_null(page_short_sha(NULL, abbrev));
    buf_cleanup(&b);
}

static const struct page_dash_sort sorts[] = {{"change", "worse now"},
                                              {"name", "name"}};

static void dash_fixture(struct page_dashboard *d,
                         const struct page_dash_row *rows, size_t n)
{
    memset(d, 0, sizeof *d);
    d->slug = "alpha q";
    d->description = "<i>desc</i>";
    d->open_ok = d->known_ok = true;
    d->rows = rows;
    d->nrows = n;
    d->rows_per_page = 2;
    d->sorts = sorts;
    d->nsorts = 2;
    d->q = "a&b";
}

static void test_page_dashboard(void **state)
{
    struct page_dash_row rows[3] = {
        {1, "<script>x</script>", "latency", "s", 0.5, 0.1, 0.02, 3, false,
         NULL, PAGE_DASH_BAD, "suspected"},
        {2, "b", "latency", "s", 0.4, -0.1, NAN, 1, false, NULL,
         PAGE_DASH_BETTER, "improved"},
        {3, "c", "latency", "s", 0.4, NAN, NAN, 1, false, NULL, PAGE_DASH_NONE,
         ""},
    };
    struct page_links rel = {href_rel, &rel_ctx, false};
    struct page_dashboard d;
    struct buf b;
    const char *s;

    (void)state;
    buf_init(&b, 0);
    dash_fixture(&d, rows, 3);
    assert_int_equal(page_dashboard_write(&page_links_server, &d, &b), ERR_OK);
    s = buf_str(&b);
    assert_true(page_complete(&b));
    assert_null(strstr(s, "<script>"));
    assert_non_null(strstr(s, "&lt;script&gt;x&lt;/script&gt;"));
    assert_non_null(strstr(s, "<p>&lt;i&gt;desc&lt;/i&gt;</p>"));
    /* Live: the search form keeps the query, escaped for its attribute. */
    assert_non_null(strstr(s, "name=\"q\" value=\"a&amp;b\""));
    /* Two rows of three, links to page 2 with the query percent-encoded
     * and the whole escaped for the attribute. */
    assert_non_null(strstr(s, "Rows 1 to 2 of 3"));
    assert_non_null(strstr(s, "href=\"/p/alpha%20q?sort&#61;change&amp;q"
                              "&#61;a%26b&amp;page&#61;2\""));
    assert_null(strstr(s, "/benchmarks/3\""));
    assert_non_null(strstr(s, "<td class=\"bad\">suspected</td>"));
    assert_non_null(strstr(s, "<td class=\"good\">improved</td>"));

    /* Static, page 2: no form; every href and src through the builder. */
    d.page = 1;
    assert_int_equal(page_dashboard_write(&rel, &d, &b), ERR_OK);
    s = buf_str(&b);
    assert_null(strstr(s, "<form"));
    assert_non_null(strstr(s, "Search needs the live server"));
    assert_non_null(strstr(s, "href=\"rel:/p/alpha%20q/benchmarks/3\""));
    assert_non_null(strstr(s, "src=\"rel:/p/alpha%20q/charts/sparkline.png"));
    assert_int_equal(count(s, "href=\"") + count(s, "src=\""),
                     count(s, "href=\"rel:/") + count(s, "src=\"rel:/") + 1);
    buf_cleanup(&b);
}

/* A page that outgrows its buffer fails as a whole: a failed append in the
 * middle is never followed by later ones that would end the page as if it
 * were whole. */
static void test_page_too_large(void **state)
{
    struct page_dashboard d;
    struct page_project p[2] = {{"a", NULL, 1, TIME_NONE},
                                {"b", NULL, 2, TIME_NONE}};
    char *big = xcalloc(4097, 1);
    struct buf b;

    (void)state;
    memset(big, 'x', 4096);
    dash_fixture(&d, NULL, 0);
    d.description = big;
    buf_init(&b, 3000);
    assert_int_equal(page_dashboard_write(&page_links_server, &d, &b),
                     ERR_TOO_LARGE);
    assert_false(page_complete(&b));
    p[1].description = big;
    assert_int_equal(page_projects_write(&page_links_server, p, 2, &b),
                     ERR_TOO_LARGE);
    assert_false(page_complete(&b));
    assert_int_equal(page_projects_write(&page_links_server, p, 1, &b), ERR_OK);
    assert_true(page_complete(&b));
    buf_cleanup(&b);
    free(big);
}

static void test_page_alerts(void **state)
{
    struct page_alert a[2] = {
        {.id = 7,
         .benchmark_id = 3,
         .status = "open",
         .benchmark = "<b>x</b>",
         .measure = "latency",
         .branch = "a&b",
         .testbed = "t b",
         .unit = "s",
         .before = 0.01,
         .after = 0.012,
         .change = 0.2,
         .last_good_run_id = 4,
         .first_bad_run_id = 5,
         .last_good_commit = "0123456789abcdef0123",
         .first_bad_commit = NULL,
         .advice = "bisect <it>",
         .created_at = 1764158400000, /* 2025-11-26T12:00:00Z */
         .first_bad_at = 1764154800000,
         .first_bad_message = "Use <the> fast path"},
        {.id = 8,
         .benchmark_id = 3,
         .status = "dismissed",
         .benchmark = "y",
         .measure = "m",
         .branch = "main",
         .testbed = "t",
         .unit = "",
         .note = "\"noise\"",
         .before = NAN,
         .after = NAN,
         .change = NAN},
    };
    struct page_alerts p = {"proj", a, 2, NULL, "c0ffee", NULL};
    struct page_links rel = {href_rel, &rel_ctx, false};
    struct buf b;
    const char *s;

    (void)state;
    buf_init(&b, 0);
    /* Live, not signed in: the sign-in form, no triage. */
    assert_int_equal(page_alerts_write(&page_links_server, &p, &b), ERR_OK);
    s = buf_str(&b);
    assert_non_null(strstr(s, "action=\"/p/proj/alerts/login\""));
    assert_non_null(strstr(s, "name=\"csrf\" value=\"c0ffee\""));
    assert_null(strstr(s, "Acknowledge"));
    assert_null(strstr(s, "<b>x</b>"));
    assert_non_null(strstr(s, "<a href=\"/p/proj/runs/4\">0123456789ab</a>"));
    assert_non_null(strstr(s, "<a href=\"/p/proj/runs/5\">run</a>"));
    assert_non_null(strstr(s, "&quot;noise&quot;"));
    /* Its dates and the first bad commit's subject (issue 17). */
    assert_non_null(strstr(s, "<th>Since</th><th>Opened</th>"));
    assert_non_null(strstr(s, "<td>2025-11-26T11:00:00Z</td>"
                              "<td>2025-11-26T12:00:00Z</td>"));
    assert_non_null(strstr(s, "Use &lt;the&gt; fast path"));
    /* One recommendation (the open alert), linked to its series. */
    assert_int_equal(count(s, "<li>Alert "), 1);
    assert_non_null(strstr(s, "bisect &lt;it&gt; <a href=\"/p/proj/"
                              "benchmarks/3?branch=a%26b&amp;testbed"
                              "=t%20b\">history</a>"));
    /* Signed in: triage forms with the session's token, and sign-out. */
    p.csrf = "5e55";
    assert_int_equal(page_alerts_write(&page_links_server, &p, &b), ERR_OK);
    s = buf_str(&b);
    assert_int_equal(count(s, "name=\"csrf\" value=\"5e55\""), 1 + 2 + 2);
    assert_non_null(strstr(s, "action=\"/signout\""));
    /* Static: read-only, every link through the builder. */
    assert_int_equal(page_alerts_write(&rel, &p, &b), ERR_OK);
    s = buf_str(&b);
    assert_null(strstr(s, "<form"));
    assert_non_null(strstr(s, "A read-only copy"));
    assert_int_equal(count(s, "href=\""), count(s, "href=\"rel:/") + 1);
    /* No random bytes: signing in is unavailable, said so. */
    buf_reset(&b);
    assert_int_equal(page_signin_form(&page_links_server, &b, NULL, NULL, "/"),
                     ERR_OK);
    assert_non_null(strstr(buf_str(&b), "Signing in is unavailable"));
    buf_cleanup(&b);
}

static void test_page_benchmark(void **state)
{
    struct series_point pts[3] = {
        {.run_id = 11,
         .commit_sha = "aaaaaaaaaaaaaaaaaaaa",
         .value = 0.010,
         .n = 3,
         .time = TIME_NONE},
        {.run_id = 12,
         .commit_sha = "<c>",
         .value = 0.010,
         .n = -1,
         .time = TIME_NONE},
        {.run_id = 13,
         .commit_sha = NULL,
         .value = 0.013,
         .n = 3,
         .time = TIME_NONE},
    };
    struct series s = {.benchmark_key = "k",
                       .measure = "lat ency",
                       .unit = "s",
                       .branch = "main",
                       .testbed = "t&b",
                       .direction = DIR_LOWER,
                       .points = pts,
                       .npoints = 3};
    struct series empty = {.measure = "x"};
    struct page_cp cp = {2, 0.010, 0.013, 0.3};
    struct page_scaling sc = {"fam",    "n", 4,          "O(n)",
                              "linear", 1.0, {0.9, 1.1}, NULL};
    struct page_measure m[2] = {
        {.series = &s,
         .cps = &cp,
         .ncps = 1,
         .noise = 0.02,
         .noise_runs = 3,
         .noise_advice = "too <noisy>",
         .scaling = &sc},
        {.series = &empty, .noise = NAN},
    };
    char *names[3] = {"main", "feat/x", "t&b"};
    struct page_benchmark v = {"p", "k<1>",    5, NULL, "t&b", names,
                               2,   names + 2, 1, m,    2};
    struct page_links rel = {href_rel, &rel_ctx, false};
    struct buf b;
    const char *h;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(page_benchmark_write(&page_links_server, &v, &b), ERR_OK);
    h = buf_str(&b);
    assert_true(page_complete(&b));
    assert_non_null(strstr(h, "<h1>k&lt;1&gt;</h1>"));
    assert_non_null(strstr(h, "<option value=\"t&amp;b\" selected>"));
    assert_int_equal(count(h, "<section>"), 1);
    assert_non_null(strstr(h, "src=\"/p/p/charts/trend.png?benchmark&#61;5"
                              "&amp;measure&#61;lat%20ency&amp;branch&#61;"
                              "main&amp;testbed&#61;t%26b\" data-points=\""));
    assert_non_null(strstr(h, "<td class=\"bad\">regression</td>"));
    assert_non_null(strstr(h, "Run-to-run noise: 2.0%"));
    assert_non_null(strstr(h, "too &lt;noisy&gt;"));
    assert_non_null(strstr(h, "4 members; best fit O(n)"));
    assert_non_null(strstr(h, "<a href=\"/p/p/runs/12\">#12</a></td><td>"
                              "<code>&lt;c&gt;</code>"));
    assert_non_null(strstr(h, "tooltips.js"));
    /* Static: links for the choices, no form, no script, no sidecar. */
    assert_int_equal(page_benchmark_write(&rel, &v, &b), ERR_OK);
    h = buf_str(&b);
    assert_null(strstr(h, "<form"));
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "data-points"));
    assert_non_null(strstr(h, "<a href=\"rel:/p/p/benchmarks/5?branch&#61;"
                              "feat%2Fx&amp;testbed&#61;t%26b\">feat/x</a>"));
    assert_non_null(strstr(h, "<strong>t&amp;b</strong>"));
    assert_int_equal(count(h, "href=\"") + count(h, "src=\""),
                     count(h, "href=\"rel:/") + count(h, "src=\"rel:/") + 1);
    /* No measure with data. */
    v.nmeasures = 0;
    assert_int_equal(page_benchmark_write(&page_links_server, &v, &b), ERR_OK);
    assert_non_null(strstr(buf_str(&b), "No data for this branch"));
    assert_null(strstr(buf_str(&b), "<script"));
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nice_ticks),
        cmocka_unit_test(test_unit_scale),
        cmocka_unit_test(test_trend_pixels),
        cmocka_unit_test(test_minute_ticks),
        cmocka_unit_test(test_trend_points_match_drawing),
        cmocka_unit_test(test_empty_and_one_point),
        cmocka_unit_test(test_svg_escapes_names),
        cmocka_unit_test(test_sparkline_and_limits),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_comparison_pixels),
        cmocka_unit_test(test_distribution_pixels),
        cmocka_unit_test(test_resources_pixels),
        cmocka_unit_test(test_scaling_pixels),
        cmocka_unit_test(test_every_kind_png),
        cmocka_unit_test(test_xml_checker),
        cmocka_unit_test(test_every_kind_svg),
        cmocka_unit_test(test_no_data_states),
        cmocka_unit_test(test_one_point_states),
        cmocka_unit_test(test_margins_at_any_size),
        cmocka_unit_test(test_long_utf8_names),
        cmocka_unit_test(test_comparison_height),
        cmocka_unit_test(test_page_skeleton_and_links),
        cmocka_unit_test(test_page_commit_links),
        cmocka_unit_test(test_page_values),
        cmocka_unit_test(test_page_dashboard),
        cmocka_unit_test(test_page_too_large),
        cmocka_unit_test(test_page_alerts),
        cmocka_unit_test(test_page_benchmark),
    };

    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    render_shutdown();
    return failed;
}
