/*
 * Chart rendering speed: a 900x400 trend PNG of 1,000 points with CI
 * bands and a change point (the target: under 8 ms), of 60 points,
 * a 120x24 sparkline, and one 900x400 chart of each other kind
 * (comparison of 60 benchmarks, distribution of 2 x 50 samples, resources
 * of 600 samples, scaling of 12 points).  Each figure is the median of many
 * repetitions;
 * the PNG bytes are produced in full, as the server sends them.
 */
#include "render/render.h"

#include <math.h>
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

/* Draws one of the other kinds, chosen by kind. */
static enum err draw_kind(int kind, const struct chart_opts *o, struct buf *b,
                          struct errbuf *eb)
{
    static struct chart_cmp_row rows[60];
    static char keys[60][32];
    static double base[50], head[50], n[12], t[12];
    static struct resource_sample rs[600];

    if (!rows[0].key) {
        for (int i = 0; i < 60; i++) {
            double c = 0.003 * (i - 30) + (i % 11 == 0 ? 0.15 : 0);

            snprintf(keys[i], sizeof keys[i], "bench_%02d[n=%d]", i, i * 100);
            rows[i].key = keys[i];
            rows[i].change = c;
            rows[i].ci_lo = c - 0.02;
            rows[i].ci_hi = c + 0.02;
            rows[i].verdict = c > 0.05    ? CHART_REGRESSED
                              : c < -0.05 ? CHART_IMPROVED
                                          : CHART_UNCHANGED;
        }
        for (int i = 0; i < 50; i++) {
            base[i] = 6e-3 * (1 + 0.01 * (i % 9));
            head[i] = 6.5e-3 * (1 + 0.01 * (i % 7));
        }
        for (int i = 0; i < 600; i++) {
            rs[i].t_ms = i * 100;
            rs[i].cpu_pct = 50 + i % 40;
            rs[i].rss_bytes = 1e8 + i * 1e5;
            rs[i].read_bytes = i * 1e4;
            rs[i].write_bytes = i * 2e4;
            rs[i].gpu_util_pct = 30 + i % 50;
            rs[i].gpu_mem_bytes = 2e9;
        }
        for (int i = 0; i < 12; i++) {
            n[i] = pow(2, 4 + i);
            t[i] = 1e-9 * n[i] * log2(n[i]);
        }
    }
    switch (kind) {
    case 0:
        return chart_comparison_draw(o, "main vs pr", rows, 60, 0.05, b, eb);
    case 1:
        return chart_distribution_draw(o, "latency", "s", base, 50, head, 50, b,
                                       eb);
    case 2:
        return chart_resources_draw(o, "resources", rs, 600, b, eb);
    default:
        return chart_scaling_draw(o, "scaling", "s", n, t, 12, "O(n log n)",
                                  1e-9, b, eb);
    }
}

static double time_kind(int kind, int reps, size_t *bytes)
{
    struct chart_opts o;
    struct buf b;
    struct errbuf eb;
    double *ms = xcalloc((size_t)reps, sizeof *ms), med;

    chart_opts_default(&o);
    buf_init(&b, 0);
    err_init(&eb);
    for (int r = 0; r < reps; r++) {
        uint64_t t0 = time_mono_ns();

        buf_reset(&b);
        if (draw_kind(kind, &o, &b, &eb)) {
            fprintf(stderr, "bench_render: %s\n", eb.msg);
            exit(1);
        }
        ms[r] = (double)(time_mono_ns() - t0) / 1e6;
    }
    qsort(ms, (size_t)reps, sizeof *ms, cmp);
    med = ms[reps / 2];
    *bytes = b.len;
    free(ms);
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
           "bytes)  [target < 8 ms]\n",
           t1000, bytes1000);
    printf("render: trend 900x400 PNG, 60 points:   %.2f ms median (%zu "
           "bytes)\n",
           t60, bytes60);
    printf("render: sparkline 120x24 PNG, 100 points: %.3f ms mean (%zu "
           "bytes)\n",
           ts, sbytes);
    {
        static const char *const names[] = {
            "comparison, 60 rows", "distribution, 2 x 50", "resources, 600",
            "scaling, 12 points"};

        for (int k = 0; k < 4; k++) {
            size_t kb;
            double tk = time_kind(k, 100, &kb);

            printf("render: %-22s 900x400 PNG: %.2f ms median (%zu bytes)\n",
                   names[k], tk, kb);
        }
    }
    buf_cleanup(&b);
    err_cleanup(&eb);
    render_shutdown();
    return 0;
}
