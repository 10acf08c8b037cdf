/*
 * The resources chart: a run's samples over time in stacked panels that
 * share the x axis (seconds since the first sample), one per quantity that
 * has data, so an idle GPU or a missing sampler costs no space.  Disk read
 * and write (cumulative bytes) share a panel.  The RSS panel adds the
 * least-squares line through its points: a steady climb reads as growth at
 * a glance, and the slope (per second) is written beside it.  The trend is
 * drawn thin over the data, so it never hides the data line.  Time is in
 * seconds, minutes or hours, whichever keeps the tick labels short.
 */
#include "render/render_int.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPANELS 5

struct panel {
    const char *name, *unit;
    size_t off[2]; /* offsetof the quantity (second: 0 when none) */
    const struct rgb *col[2];
    const char *series[2];
};

static double field(const struct resource_sample *s, size_t off)
{
    return *(const double *)(const void *)((const char *)s + off);
}

static bool has_data(const struct resource_sample *s, size_t n,
                     const struct panel *p)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            if (p->off[k] && isfinite(field(&s[i], p->off[k])))
                return true;
    return false;
}

/* OLS of y on x over the finite pairs: false with fewer than two. */
static bool ols(const struct resource_sample *s, size_t n, double t0, double *a,
                double *b)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0, d;

    for (size_t i = 0; i < n; i++) {
        double x = (double)(s[i].t_ms - (int64_t)t0) / 1000, y;

        y = s[i].rss_bytes;
        if (!isfinite(y))
            continue;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        m++;
    }
    d = m * sxx - sx * sx;
    if (m < 2 || d <= 0)
        return false;
    *b = (m * sxy - sx * sy) / d;
    *a = (sy - *b * sx) / m;
    return true;
}

enum err chart_resources_draw(const struct chart_opts *o, const char *title,
                              const struct resource_sample *s, size_t n,
                              struct buf *out, struct errbuf *eb)
{
    const struct panel all[NPANELS] = {
        {"CPU",
         "%",
         {offsetof(struct resource_sample, cpu_pct), 0},
         {&pal_blue, NULL},
         {NULL, NULL}},
        {"RSS",
         "B",
         {offsetof(struct resource_sample, rss_bytes), 0},
         {&pal_green, NULL},
         {NULL, NULL}},
        {"disk I/O, cumulative",
         "B",
         {offsetof(struct resource_sample, read_bytes),
          offsetof(struct resource_sample, write_bytes)},
         {&pal_sky, &pal_vermillion},
         {"read", "written"}},
        {"GPU",
         "%",
         {offsetof(struct resource_sample, gpu_util_pct), 0},
         {&pal_purple, NULL},
         {NULL, NULL}},
        {"GPU memory",
         "B",
         {offsetof(struct resource_sample, gpu_mem_bytes), 0},
         {&pal_orange, NULL},
         {NULL, NULL}},
    };
    const struct panel *use[NPANELS];
    struct canvas c;
    size_t np = 0;
    double l = 92, r, t = 40, b, ph, t0, xmax, first, step, tdiv;
    const char *tunit;
    unsigned count;
    char label[64], fitted[600];
    cairo_t *cr;
    enum err e;

    e = canvas_begin(&c, o, out, eb);
    if (e)
        return e;
    cr = c.cr;
    if (!title)
        title = "resources";
    for (int k = 0; k < NPANELS; k++)
        if (n >= 2 && has_data(s, n, &all[k]))
            use[np++] = &all[k];
    if (np == 0) {
        draw_no_data(&c, title,
                     n == 1 ? "one resource sample: no trend yet"
                            : "no resource samples",
                     "benchvault run samples CPU, memory, disk and GPU "
                     "while the benchmark runs");
        return canvas_end(&c, eb);
    }
    r = c.w - 16;
    b = c.h - 40;
    ph = (b - t) / (double)np;
    if (ph < 36 || r - l < 60) {
        draw_no_data(&c, title, "chart too small", NULL);
        return canvas_end(&c, eb);
    }
    t0 = (double)s[0].t_ms;
    xmax = 0;
    for (size_t i = 0; i < n; i++)
        xmax = fmax(xmax, (double)(s[i].t_ms - s[0].t_ms) / 1000);
    if (xmax <= 0)
        xmax = 1;
    if (xmax >= 3 * 3600) {
        tdiv = 3600;
        tunit = "time since start (h)";
    } else if (xmax >= 5 * 60) {
        tdiv = 60;
        tunit = "time since start (min)";
    } else {
        tdiv = 1;
        tunit = "time since start (s)";
    }

    set_colour(cr, &pal_black, 1);
    set_font(cr, 13, true);
    fit_text(cr, title, c.w - 24, fitted, sizeof fitted);
    draw_text(cr, 12, 8, 0, 0, fitted);

#define PX(v) (l + (v) / xmax * (r - l))
    /* The shared x axis: grid through every panel, labels at the bottom. */
    set_font(cr, 11, false);
    chart_nice_ticks(0, xmax / tdiv, (unsigned)((r - l) / 60) + 2, &first,
                     &step, &count);
    cairo_set_line_width(cr, 1);
    for (unsigned i = 0; i < count; i++) {
        double v = first + i * step, x = floor(PX(v * tdiv)) + 0.5;

        if (v < -1e-9 || v * tdiv > xmax * 1.000001)
            continue;
        set_colour(cr, &pal_light, 1);
        cairo_move_to(cr, x, t);
        cairo_line_to(cr, x, b);
        cairo_stroke(cr);
        set_colour(cr, &pal_grey, 1);
        format_tick(v, step, label, sizeof label);
        if (x + text_width(cr, label) / 2 > r + 12)
            continue; /* would run into the canvas margin */
        draw_text(cr, x, b + 6, 0.5, 0, label);
    }
    draw_text(cr, r, b + 20, 1, 0, tunit);

    for (size_t k = 0; k < np; k++) {
        const struct panel *p = use[k];
        double pt = t + ph * (double)k + 16, pb = t + ph * (double)(k + 1) - 4;
        double lo = INFINITY, hi = -INFINITY, div, a, sl;
        const char *ul;
        unsigned cnt, stride;

        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < 2; j++) {
                double v = p->off[j] ? field(&s[i], p->off[j]) : NAN;

                if (isfinite(v)) {
                    lo = fmin(lo, v);
                    hi = fmax(hi, v);
                }
            }
        lo = fmin(lo, 0); /* resources start from zero */
        if (!strcmp(p->unit, "%"))
            hi = fmax(hi, 100);
        if (hi <= lo)
            hi = lo + 1;
        chart_unit_scale(p->unit, hi, &div, &ul);
        /* Four ticks at least: with fewer, the step grows so coarse that
         * rounding up to it leaves half a panel empty. */
        chart_nice_ticks(lo / div, hi / div,
                         (unsigned)fmax((pb - pt) / 22 + 1, 4), &first, &step,
                         &cnt);
        /* Up to the next labelled tick, so the top line of data is
         * labelled and never runs along the panel's edge.  In a short
         * panel only every stride-th tick has room for a label. */
        hi *= strcmp(p->unit, "%") || hi > 100 ? 1.02 : 1;
        stride = 1;
        for (;;) {
            double top =
                ceil(hi / div / (step * stride) - 1e-9) * (step * stride) * div;

            if ((pb - pt) * step * div / (top - lo) >= 16 / (double)stride ||
                stride >= 8) {
                hi = top;
                break;
            }
            stride++;
        }
        cnt = (unsigned)floor((hi / div - first) / step + 1e-9) + 1;
#define PY(v) (pb - ((v)-lo) / (hi - lo) * (pb - pt))
        /* Panel name and unit, top left above the panel. */
        set_colour(cr, &pal_black, 1);
        set_font(cr, 11, true);
        snprintf(label, sizeof label, "%s (%s)", p->name, ul);
        draw_text(cr, l, pt - 14, 0, 0, label);
        if (p->series[0]) {
            const struct legend_item it[2] = {
                {MARK_LINE, p->col[0], 1, p->series[0]},
                {MARK_LINE, p->col[1], 1, p->series[1]}};
            double x = l + text_width(cr, label) + 16;

            draw_legend(cr, x, pt - 14, 0, r - x, it, 2);
        }
        set_font(cr, 10, false);
        cairo_set_line_width(cr, 1);
        {
            double last_y = 1e9;

            for (unsigned i = 0; i < cnt; i++) {
                double v = (first + i * step) * div, y;

                if (v < lo - 1e-9 || v > hi * 1.000001)
                    continue;
                y = floor(PY(v)) + 0.5;
                set_colour(cr, &pal_light, 1);
                cairo_move_to(cr, l, y);
                cairo_line_to(cr, r, y);
                cairo_stroke(cr);
                if (i % stride || last_y - y < 13)
                    continue; /* would overlap the label below */
                set_colour(cr, &pal_grey, 1);
                format_tick(first + i * step, step, label, sizeof label);
                draw_text(cr, l - 6, y, 1, 0.5, label);
                last_y = y;
            }
        }
        set_colour(cr, &pal_grey, 1);
        cairo_move_to(cr, l + 0.5, pt);
        cairo_line_to(cr, l + 0.5, floor(pb) + 0.5);
        cairo_line_to(cr, r, floor(pb) + 0.5);
        cairo_stroke(cr);

        cairo_save(cr);
        cairo_rectangle(cr, l, pt, r - l, pb - pt);
        cairo_clip(cr);
        cairo_set_line_width(cr, 1.5);
        for (int j = 0; j < 2; j++) {
            bool pen = false;

            if (!p->off[j])
                continue;
            set_colour(cr, p->col[j], 1);
            for (size_t i = 0; i < n; i++) {
                double v = field(&s[i], p->off[j]);
                double x = PX((double)(s[i].t_ms - s[0].t_ms) / 1000);

                if (!isfinite(v)) {
                    pen = false;
                    continue;
                }
                if (pen)
                    cairo_line_to(cr, x, PY(v));
                else
                    cairo_move_to(cr, x, PY(v));
                pen = true;
            }
            cairo_stroke(cr);
        }
        if (p->off[0] == offsetof(struct resource_sample, rss_bytes) &&
            ols(s, n, t0, &a, &sl)) {
            const double dash[] = {6, 4};
            double bps_div;
            const char *bps;

            struct legend_item it = {MARK_DASH, &pal_black, 0.8, label};

            set_colour(cr, &pal_black, 0.8);
            cairo_set_line_width(cr, 1);
            cairo_set_dash(cr, dash, 2, 0);
            cairo_move_to(cr, PX(0), PY(a));
            cairo_line_to(cr, PX(xmax), PY(a + sl * xmax));
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            chart_unit_scale("B/s", sl, &bps_div, &bps);
            snprintf(label, sizeof label, "least-squares trend %+.3g %s",
                     sl / bps_div, bps);
            cairo_restore(cr);
            /* In the panel's header line, where no data can hide it. */
            draw_legend(cr, r, pt - 14, 1, r - l - 120, &it, 1);
            continue;
        }
        cairo_restore(cr);
#undef PY
    }
#undef PX
    return canvas_end(&c, eb);
}
