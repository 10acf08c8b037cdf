/*
 * The distribution chart: base and head samples side by side, each as a box
 * plot (median, quartiles, whiskers to the furthest sample within 1.5 IQR)
 * with the raw samples as dots beside the box.  The dots are jittered
 * sideways by a hash of their index, not a random generator, so the same
 * samples always draw the same PNG (and the same ETag).  The subtitle states
 * the two medians and their relative change, so the answer is in words as
 * well as in shapes.  A side with one sample shows the point alone (a box of
 * one is a line that looks like data), a side with none says so.
 */
#include "render/render_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct box {
    double q1, med, q3, wlo, whi;
};

/* Linear-interpolated quantile of sorted v (type 7, R's default). */
static double quantile(const double *v, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);

    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

/* Finite samples, sorted, into a new array; *m their count. */
static double *finite_sorted(const double *v, size_t n, size_t *m)
{
    double *s = xcalloc(n ? n : 1, sizeof *s);

    *m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            s[(*m)++] = v[i];
    qsort(s, *m, sizeof *s, double_cmp);
    return s;
}

static void box_of(const double *s, size_t n, struct box *bx)
{
    double iqr;

    bx->q1 = quantile(s, n, 0.25);
    bx->med = quantile(s, n, 0.5);
    bx->q3 = quantile(s, n, 0.75);
    iqr = bx->q3 - bx->q1;
    bx->wlo = bx->q1;
    bx->whi = bx->q3;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= bx->q1 - 1.5 * iqr && s[i] < bx->wlo)
            bx->wlo = s[i];
        if (s[i] <= bx->q3 + 1.5 * iqr && s[i] > bx->whi)
            bx->whi = s[i];
    }
}

/* A fraction in [0, 1) from i: splitmix64's finaliser. */
static double jitter(size_t i)
{
    uint64_t z = (uint64_t)i + 0x9E3779B97F4A7C15ull;

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* Three significant digits, trailing zeros kept ("6.00", "6.91") so two
 * medians read alike; no exponent for large values. */
static void format_median(double v, char *out, size_t n)
{
    snprintf(out, n, fabs(v) >= 100 ? "%.0f" : "%#.3g", v);
}

struct yframe {
    double t, b, ymin, ymax;
};

static double py(const struct yframe *f, double v)
{
    return f->b - (v - f->ymin) / (f->ymax - f->ymin) * (f->b - f->t);
}

static void draw_group(cairo_t *cr, const struct yframe *f, double cx,
                       double bw, const double *s, size_t n,
                       const struct rgb *col)
{
    struct box bx;
    double x0 = cx - bw, x1 = cx;

    if (n == 0) {
        set_colour(cr, &pal_grey, 1);
        set_font(cr, 12, false);
        draw_text(cr, cx - bw / 2, (f->t + f->b) / 2, 0.5, 0.5, "no samples");
        return;
    }
    if (n == 1) {
        set_colour(cr, col, 1);
        cairo_arc(cr, cx - bw / 2, py(f, s[0]), 4, 0,
                  2 * 3.14159265358979323846);
        cairo_fill(cr);
        set_colour(cr, &pal_grey, 1);
        set_font(cr, 11, false);
        draw_text(cr, cx, py(f, s[0]), 0, 0.5, "one sample: no spread");
        return;
    }
    box_of(s, n, &bx);
    cairo_set_line_width(cr, 1.5);
    set_colour(cr, col, 0.25);
    cairo_rectangle(cr, x0, py(f, bx.q3), bw, py(f, bx.q1) - py(f, bx.q3));
    cairo_fill_preserve(cr);
    set_colour(cr, col, 1);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 3);
    cairo_move_to(cr, x0, py(f, bx.med));
    cairo_line_to(cr, x1, py(f, bx.med));
    cairo_stroke(cr);
    cairo_set_line_width(cr, 1.5);
    cairo_move_to(cr, cx - bw / 2, py(f, bx.q3));
    cairo_line_to(cr, cx - bw / 2, py(f, bx.whi));
    cairo_move_to(cr, cx - bw / 2, py(f, bx.q1));
    cairo_line_to(cr, cx - bw / 2, py(f, bx.wlo));
    cairo_move_to(cr, cx - bw * 0.75, py(f, bx.whi));
    cairo_line_to(cr, cx - bw * 0.25, py(f, bx.whi));
    cairo_move_to(cr, cx - bw * 0.75, py(f, bx.wlo));
    cairo_line_to(cr, cx - bw * 0.25, py(f, bx.wlo));
    cairo_stroke(cr);
    /* The raw samples, right of the box. */
    set_colour(cr, col, 0.7);
    for (size_t i = 0; i < n; i++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, cx + 10 + jitter(i) * bw * 0.8, py(f, s[i]), 2.5, 0,
                  2 * 3.14159265358979323846);
    }
    cairo_fill(cr);
}

enum err chart_distribution_draw(const struct chart_opts *o, const char *title,
                                 const char *unit, const double *base,
                                 size_t nbase, const double *head, size_t nhead,
                                 struct buf *out, struct errbuf *eb)
{
    struct canvas c;
    struct yframe f;
    double *sb, *sh, lo = INFINITY, hi = -INFINITY, div, pad, l, r, first, step,
                     bw;
    size_t mb, mh;
    unsigned count;
    const char *ylabel;
    char label[64], fitted[600];
    cairo_t *cr;
    enum err e;

    e = canvas_begin(&c, o, out, eb);
    if (e)
        return e;
    cr = c.cr;
    if (!title)
        title = "distribution";
    sb = finite_sorted(base, nbase, &mb);
    sh = finite_sorted(head, nhead, &mh);
    if (mb + mh < 2) {
        free(sb);
        free(sh);
        draw_no_data(&c, title, "no samples to compare",
                     "a box plot needs the raw samples of each result");
        return canvas_end(&c, eb);
    }
    if (mb) {
        lo = sb[0];
        hi = sb[mb - 1];
    }
    if (mh) {
        lo = fmin(lo, sh[0]);
        hi = fmax(hi, sh[mh - 1]);
    }
    pad = hi > lo ? (hi - lo) * 0.08 : (lo != 0 ? fabs(lo) * 0.05 : 1);
    f.ymin = lo - pad;
    f.ymax = hi + pad;
    if (lo >= 0 && f.ymin < 0)
        f.ymin = 0;
    chart_unit_scale(unit, fmax(fabs(f.ymin), fabs(f.ymax)), &div, &ylabel);
    f.t = 62;
    f.b = c.h - 40;
    set_font(cr, 11, false);
    chart_nice_ticks(f.ymin / div, f.ymax / div,
                     (unsigned)((f.b - f.t) / 36) + 2, &first, &step, &count);
    l = 0;
    for (unsigned i = 0; i < count; i++) {
        format_tick(first + i * step, step, label, sizeof label);
        l = fmax(l, text_width(cr, label));
    }
    l = 16 + l + 8;
    r = c.w - 16;
    if (r - l < 80 || f.b - f.t < 30) {
        free(sb);
        free(sh);
        draw_no_data(&c, title, "chart too small", NULL);
        return canvas_end(&c, eb);
    }

    set_colour(cr, &pal_black, 1);
    set_font(cr, 13, true);
    fit_text(cr, title, c.w - 24, fitted, sizeof fitted);
    draw_text(cr, 12, 8, 0, 0, fitted);
    if (mb && mh) {
        double m0 = quantile(sb, mb, 0.5), m1 = quantile(sh, mh, 0.5);
        char sub[200], a[32], b[32];

        format_median(m0 / div, a, sizeof a);
        format_median(m1 / div, b, sizeof b);
        if (m0 != 0)
            snprintf(sub, sizeof sub,
                     "median: base %s %s \xe2\x86\x92 head %s %s (%+.1f%%)", a,
                     ylabel, b, ylabel, (m1 / m0 - 1) * 100);
        else
            snprintf(sub, sizeof sub,
                     "median: base %s %s \xe2\x86\x92 head %s %s", a, ylabel, b,
                     ylabel);
        set_colour(cr, &pal_grey, 1);
        set_font(cr, 11, false);
        fit_text(cr, sub, c.w - 24, fitted, sizeof fitted);
        draw_text(cr, 12, 27, 0, 0, fitted);
    }

    set_font(cr, 11, false);
    cairo_set_line_width(cr, 1);
    for (unsigned i = 0; i < count; i++) {
        double v = (first + i * step) * div, y;

        if (v < f.ymin - 1e-12 * fabs(f.ymin) || v > f.ymax * 1.000001)
            continue;
        y = floor(py(&f, v)) + 0.5;
        set_colour(cr, &pal_light, 1);
        cairo_move_to(cr, l, y);
        cairo_line_to(cr, r, y);
        cairo_stroke(cr);
        set_colour(cr, &pal_grey, 1);
        format_tick(first + i * step, step, label, sizeof label);
        draw_text(cr, l - 6, y, 1, 0.5, label);
    }
    /* The unit above the axis (a unit may be any name: fitted). */
    fit_text(cr, ylabel[0] ? ylabel : "value", (c.w - 24) * 0.4, fitted,
             sizeof fitted);
    set_colour(cr, &pal_black, 0.75);
    draw_text(cr, 12, f.t - 18, 0, 0, fitted);
    set_colour(cr, &pal_grey, 1);
    cairo_move_to(cr, l, floor(f.t) + 0.5);
    cairo_line_to(cr, l, floor(f.b) + 0.5);
    cairo_line_to(cr, r, floor(f.b) + 0.5);
    cairo_stroke(cr);

    /* Group labels under each box with the sample count. */
    bw = fmin((r - l) / 4 * 0.45, 90);
    {
        const char *names[2] = {"base", "head"};
        size_t counts[2] = {mb, mh};

        for (int g = 0; g < 2; g++) {
            double cx = l + (r - l) * (g ? 0.75 : 0.25);

            snprintf(label, sizeof label, "%s (n=%zu)", names[g], counts[g]);
            set_colour(cr, &pal_black, 1);
            draw_text(cr, cx, f.b + 8, 0.5, 0, label);
        }
    }

    cairo_save(cr);
    cairo_rectangle(cr, l, f.t, r - l, f.b - f.t);
    cairo_clip(cr);
    draw_group(cr, &f, l + (r - l) * 0.25, bw, sb, mb, &pal_sky);
    draw_group(cr, &f, l + (r - l) * 0.75, bw, sh, mh, &pal_orange);
    cairo_restore(cr);
    free(sb);
    free(sh);
    return canvas_end(&c, eb);
}
