/*
 * Chart rendering speed: a 900x400 trend PNG of 1,000 points with CI
 * bands and a change point (the target: under 8 ms), of 60 points,
 * and a 120x24 sparkline.  Each figure is the median of many repetitions;
 * the PNG bytes are produced in full, as the server sends them.
 */
#include "render/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void series_make(struct series *s, size_t n)
{
    uint64_t x = 12345;

    memset(s, 0, sizeof *s);
    s->benchmark_key = "sort_ints[n=100000]";
    s->measure = "latency";
    s->unit = "s";
    s->branch = "main";
    s->testbed = "ci-linux-8c";
    s->npoints = n;
    s->points = xcalloc(n, sizeof *s->points);
    for (size_t i = 0; i < n; i++) {
        double u, v;

        x = x * 6364136223846793005ull + 1442695040888963407ull;
        u = (double)(x >> 11) / 9007199254740992.0;
        v = 6.2e-3 * (i >= n * 7 / 10 ? 1.15 : 1) * (1 + 0.04 * (u - 0.5));
        s->points[i].value = v;
        s->points[i].lower = v * 0.98;
        s->points[i].upper = v * 1.02;
        s->points[i].time = 1780000000000LL + (int64_t)i * 3600 * 1000;
        s->points[i].n = 10;
    }
}

static double time_trend(size_t n, int reps, size_t *bytes)
{
    struct series s;
    struct chart_opts o;
    struct chart_change ch;
    struct buf b;
    struct errbuf eb;
    double *ms = xcalloc((size_t)reps, sizeof *ms), med;

    series_make(&s, n);
    ch.index = n * 7 / 10;
    ch.alert = true;
    chart_opts_default(&o);
    buf_init(&b, 0);
    err_init(&eb);
    for (int r = 0; r < reps; r++) {
        uint64_t t0 = time_mono_ns();

        buf_reset(&b);
        if (chart_trend_draw(&o, &s, &ch, 1, &b, &eb)) {
            fprintf(stderr, "bench_render: %s\n", eb.msg);
            exit(1);
        }
        ms[r] = (double)(time_mono_ns() - t0) / 1e6;
    }
    qsort(ms, (size_t)reps, sizeof *ms, cmp);
    med = ms[reps / 2];
    *bytes = b.len;
    free(ms);
    free(s.points);
    buf_cleanup(&b);
    err_cleanup(&eb);
    return med;
}

int main(void)
{
    size_t bytes1000, bytes60, sbytes;
    double t1000 = time_trend(1000, 200, &bytes1000);
    double t60 = time_trend(60, 200, &bytes60);
    double v[100], ts;
    struct chart_opts o = {120, 24, 1, CHART_PNG};
    struct buf b;
    struct errbuf eb;
    uint64_t t0;

    for (int i = 0; i < 100; i++)
        v[i] = 1 + (i % 7) * 0.01;
    buf_init(&b, 0);
    err_init(&eb);
    t0 = time_mono_ns();
    for (int r = 0; r < 1000; r++) {
        buf_reset(&b);
        (void)chart_sparkline_draw(&o, v, 100, &b, &eb);
    }
    ts = (double)(time_mono_ns() - t0) / 1e6 / 1000;
    sbytes = b.len;
    printf("render: trend 900x400 PNG, 1000 points: %.2f ms median (%zu "
           "bytes)  [target < 8 ms]\n", t1000, bytes1000);
    printf("render: trend 900x400 PNG, 60 points:   %.2f ms median (%zu "
           "bytes)\n", t60, bytes60);
    printf("render: sparkline 120x24 PNG, 100 points: %.3f ms mean (%zu "
           "bytes)\n", ts, sbytes);
    buf_cleanup(&b);
    err_cleanup(&eb);
    render_shutdown();
    return 0;
}
