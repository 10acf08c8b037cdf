/*
 * The trend chart: one series in commit order.
 *
 * Layout: title (benchmark and measure) and a subtitle (branch, testbed) on
 * top; under them the y axis title ("latency (ms)": the measure and its
 * unit with an SI prefix picked from the data) on the left and a legend of
 * the marks actually drawn on the right; the x axis is commit time (UTC,
 * its years in the caption) when the points have distinct times, else the
 * point's position.  Data are clipped to the plot area, so nothing is drawn
 * over the labels.  X labels are thinned until they no longer overlap, and
 * the legend drops entries rather than run into the axis title.
 *
 * Drawn, back to front: grid, CI whiskers (lower..upper), segment means
 * between change points, the value line and points, change-point lines,
 * alert markers.
 */
#include "render/render_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TICKS 64
#define DENSE_POINTS 150

struct frame {
    double l, t, r, b; /* plot area in user space */
    double xmin, xmax, ymin, ymax;
    double div; /* display division of y values */
    const char *ylabel;
};

static double px(const struct frame *f, double x)
{
    if (f->xmax <= f->xmin)
        return (f->l + f->r) / 2;
    return f->l + (x - f->xmin) / (f->xmax - f->xmin) * (f->r - f->l);
}

static double py(const struct frame *f, double y)
{
    return f->b - (y - f->ymin) / (f->ymax - f->ymin) * (f->b - f->t);
}

/* x of point i: its time when times are usable, else its index. */
static bool times_usable(const struct series *s)
{
    for (size_t i = 0; i < s->npoints; i++)
        if (s->points[i].time == TIME_NONE)
            return false;
    return s->npoints > 1 && s->points[s->npoints - 1].time > s->points[0].time;
}

static void y_range(const struct series *s, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < s->npoints; i++) {
        const struct series_point *p = &s->points[i];
        double v[3] = {p->value, p->lower, p->upper};

        for (int k = 0; k < 3; k++) {
            if (!isfinite(v[k]))
                continue;
            if (v[k] < *lo)
                *lo = v[k];
            if (v[k] > *hi)
                *hi = v[k];
        }
    }
}

static void draw_y_axis(cairo_t *cr, struct frame *f, const char *title)
{
    double first, step;
    unsigned count, max = (unsigned)((f->b - f->t) / 36) + 2;
    char label[64];

    chart_nice_ticks(f->ymin / f->div, f->ymax / f->div, max, &first, &step,
                     &count);
    set_font(cr, 11, false);
    cairo_set_line_width(cr, 1);
    for (unsigned i = 0; i < count; i++) {
        double v = (first + i * step) * f->div, y;

        if (v < f->ymin - 1e-12 * fabs(f->ymin) || v > f->ymax * 1.000001)
            continue;
        y = floor(py(f, v)) + 0.5;
        set_colour(cr, &pal_light, 1);
        cairo_move_to(cr, f->l, y);
        cairo_line_to(cr, f->r, y);
        cairo_stroke(cr);
        set_colour(cr, &pal_grey, 1);
        format_tick(first + i * step, step, label, sizeof label);
        draw_text(cr, f->l - 6, y, 1, 0.5, label);
    }
    /* The axis title above the tick labels. */
    set_colour(cr, &pal_black, 0.75);
    draw_text(cr, 12, f->t - 18, 0, 0, title);
}

static void draw_x_axis(cairo_t *cr, struct frame *f, bool use_time,
                        const char *caption)
{
    char label[64];
    double last_right = -1e9, w;
    int64_t ticks[MAX_TICKS];
    unsigned n, max;
    bool with_time = false;

    set_font(cr, 11, false);
    w = text_width(cr, use_time ? "Nov 26 12:00" : "0000") + 18;
    max = (unsigned)((f->r - f->l) / w) + 1;
    if (max > MAX_TICKS)
        max = MAX_TICKS;
    if (max < 2)
        max = 2;
    if (use_time) {
        n = time_ticks((int64_t)f->xmin, (int64_t)f->xmax, max, ticks,
                       MAX_TICKS, &with_time);
    } else {
        double first, step;
        unsigned count;

        chart_nice_ticks(f->xmin + 1, f->xmax + 1, max, &first, &step, &count);
        if (step < 1)
            step = 1;
        n = 0;
        for (double v = ceil(first); v <= f->xmax + 1 && n < MAX_TICKS;
             v += step)
            ticks[n++] = (int64_t)v;
    }
    set_colour(cr, &pal_grey, 1);
    for (unsigned i = 0; i < n; i++) {
        double x =
            use_time ? px(f, (double)ticks[i]) : px(f, (double)ticks[i] - 1);
        double tw;

        if (use_time)
            format_time_tick(ticks[i], with_time, label, sizeof label);
        else
            snprintf(label, sizeof label, "%lld", (long long)ticks[i]);
        tw = text_width(cr, label);
        if (x < f->l - 1 || x > f->r + 1 || x - tw / 2 < last_right + 8)
            continue; /* would overlap the previous label */
        if (x - tw / 2 < 12 || x + tw / 2 > f->r + 12)
            continue; /* would run into the canvas margin */
        cairo_move_to(cr, floor(x) + 0.5, f->b);
        cairo_line_to(cr, floor(x) + 0.5, f->b + 4);
        cairo_stroke(cr);
        draw_text(cr, x, f->b + 6, 0.5, 0, label);
        last_right = x + tw / 2;
    }
    draw_text(cr, f->r, f->b + 20, 1, 0, caption);
}

/* "commit time (UTC), 2026" or "..., 2025-2026": tick labels carry no
 * year. */
static void time_caption(int64_t lo, int64_t hi, char *out, size_t n)
{
    char a[TIME_ISO_LEN], b[TIME_ISO_LEN];

    time_format_iso(lo, a);
    time_format_iso(hi, b);
    if (!strncmp(a, b, 4))
        snprintf(out, n, "commit time (UTC), %.4s", a);
    else
        snprintf(out, n, "commit time (UTC), %.4s\xe2\x80\x93%.4s", a, b);
}

/* The legend: only the marks this chart draws. */
static size_t legend_items(const struct series *s,
                           const struct chart_change *changes, size_t nchanges,
                           struct legend_item *it)
{
    bool ci = false, cp = false, alert = false;
    size_t n = 0;

    for (size_t i = 0; i < s->npoints && !ci; i++)
        ci = isfinite(s->points[i].lower) && isfinite(s->points[i].upper);
    for (size_t k = 0; k < nchanges; k++) {
        if (changes[k].index == 0 || changes[k].index >= s->npoints)
            continue;
        cp = true;
        alert = alert || changes[k].alert;
    }
    it[n++] = (struct legend_item){MARK_DOT_LINE, &pal_blue, 1, "value"};
    if (ci)
        it[n++] = (struct legend_item){MARK_BAND, &pal_sky, 0.6, "95% CI"};
    it[n++] = (struct legend_item){MARK_LINE, &pal_orange, 1,
                                   cp ? "segment mean" : "mean"};
    if (cp)
        it[n++] = (struct legend_item){MARK_VDASH, &pal_vermillion, 0.9,
                                       "change point"};
    if (alert)
        it[n++] =
            (struct legend_item){MARK_TRIANGLE, &pal_vermillion, 0.9, "alert"};
    return n;
}

/* CI whiskers, one per point, on whole pixels. */
static void draw_whiskers(cairo_t *cr, const struct frame *f,
                          const struct series *s, const double *xs)
{
    set_colour(cr, &pal_sky, 0.8);
    for (size_t i = 0; i < s->npoints; i++) {
        const struct series_point *p = &s->points[i];
        double x, y0, y1;

        if (!isfinite(p->lower) || !isfinite(p->upper))
            continue;
        x = floor(px(f, xs[i]));
        y0 = py(f, p->upper);
        y1 = py(f, p->lower);
        cairo_rectangle(cr, x, y0, 1, fmax(y1 - y0, 1));
    }
    cairo_fill(cr);
}

/* For dense series whiskers become noise: a band between lower and upper,
 * broken where a point has no interval. */
static void draw_band(cairo_t *cr, const struct frame *f,
                      const struct series *s, const double *xs)
{
    size_t i = 0;

    set_colour(cr, &pal_sky, 0.35);
    while (i < s->npoints) {
        size_t from, to;

        while (i < s->npoints &&
               (!isfinite(s->points[i].lower) || !isfinite(s->points[i].upper)))
            i++;
        from = i;
        while (i < s->npoints && isfinite(s->points[i].lower) &&
               isfinite(s->points[i].upper))
            i++;
        to = i;
        if (to - from < 2)
            continue;
        cairo_move_to(cr, px(f, xs[from]), py(f, s->points[from].upper));
        for (size_t k = from + 1; k < to; k++)
            cairo_line_to(cr, px(f, xs[k]), py(f, s->points[k].upper));
        for (size_t k = to; k-- > from;)
            cairo_line_to(cr, px(f, xs[k]), py(f, s->points[k].lower));
        cairo_close_path(cr);
    }
    cairo_fill(cr);
}

/*
 * The plot frame of series s on a w x h canvas and each point's x (its
 * time, or its index): what chart_trend_draw and chart_trend_points share,
 * so a tooltip lands where its point is drawn.  cr measures text (11 px).
 * Returns NULL, or the no-data message (and *hint) to draw instead.
 */
static const char *trend_layout(cairo_t *cr, double w, double h,
                                const struct series *s, struct frame *f,
                                double *xs, bool *use_time, const char **hint)
{
    double lo, hi, pad;

    *hint = NULL;
    if (s->npoints == 0) {
        *hint = "results pushed for this benchmark and measure will appear "
                "here";
        return "no data yet";
    }
    y_range(s, &lo, &hi);
    if (!isfinite(lo)) {
        *hint = "every point of this series is missing or not a number";
        return "no finite values";
    }
    pad = hi > lo ? (hi - lo) * 0.08 : (lo != 0 ? fabs(lo) * 0.05 : 1);
    f->ymin = lo - pad;
    f->ymax = hi + pad;
    if (lo >= 0 && f->ymin < 0)
        f->ymin = 0; /* never show negative room for positive data */
    chart_unit_scale(s->unit, fmax(fabs(f->ymin), fabs(f->ymax)), &f->div,
                     &f->ylabel);

    /* Margins: room for the widest y label. */
    set_font(cr, 11, false);
    {
        char a[64], b[64];

        format_tick(f->ymax / f->div, (f->ymax - f->ymin) / f->div / 8, a,
                    sizeof a);
        format_tick(f->ymin / f->div, (f->ymax - f->ymin) / f->div / 8, b,
                    sizeof b);
        f->l = 16 + fmax(text_width(cr, a), text_width(cr, b)) + 8;
    }
    f->t = 62;
    f->r = w - 16;
    f->b = h - 40;
    if (f->r - f->l < 40 || f->b - f->t < 30)
        return "chart too small";

    *use_time = times_usable(s);
    for (size_t i = 0; i < s->npoints; i++)
        xs[i] = *use_time ? (double)s->points[i].time : (double)i;
    f->xmin = xs[0];
    f->xmax = xs[s->npoints - 1];
    if (f->xmax > f->xmin) {
        double xp = (f->xmax - f->xmin) * 0.02;

        f->xmin -= xp;
        f->xmax += xp;
    }
    return NULL;
}

enum err chart_trend_draw(const struct chart_opts *o, const struct series *s,
                          const struct chart_change *changes, size_t nchanges,
                          struct buf *out, struct errbuf *eb)
{
    struct canvas c;
    struct frame f;
    char title[600], sub[600], fitted[600], axis[300], caption[80];
    struct legend_item legend[5];
    size_t nlegend;
    double *xs = NULL;
    const char *nodata, *hint;
    bool use_time = false;
    cairo_t *cr;
    enum err e;

    e = canvas_begin(&c, o, out, eb);
    if (e)
        return e;
    cr = c.cr;
    snprintf(title, sizeof title, "%s \xc2\xb7 %s",
             s->benchmark_key ? s->benchmark_key : "?",
             s->measure ? s->measure : "?");
    xs = xcalloc(s->npoints ? s->npoints : 1, sizeof *xs);
    nodata = trend_layout(cr, c.w, c.h, s, &f, xs, &use_time, &hint);
    if (nodata) {
        draw_no_data(&c, title, nodata, hint);
        free(xs);
        return canvas_end(&c, eb);
    }

    /* Title and subtitle. */
    set_colour(cr, &pal_black, 1);
    set_font(cr, 13, true);
    fit_text(cr, title, c.w - 24, fitted, sizeof fitted);
    draw_text(cr, 12, 8, 0, 0, fitted);
    snprintf(sub, sizeof sub,
             "branch %s \xc2\xb7 testbed %s \xc2\xb7 %zu "
             "point%s",
             s->branch ? s->branch : "?", s->testbed ? s->testbed : "?",
             s->npoints, s->npoints == 1 ? "" : "s");
    set_colour(cr, &pal_grey, 1);
    set_font(cr, 11, false);
    fit_text(cr, sub, c.w - 24, fitted, sizeof fitted);
    draw_text(cr, 12, 27, 0, 0, fitted);

    /* The y axis title and, right of it, the legend. */
    if (f.ylabel[0])
        snprintf(sub, sizeof sub, "%s (%s)", s->measure ? s->measure : "value",
                 f.ylabel);
    else
        snprintf(sub, sizeof sub, "%s", s->measure ? s->measure : "value");
    set_font(cr, 11, false);
    fit_text(cr, sub, (c.w - 24) * 0.4, axis, sizeof axis);
    nlegend = legend_items(s, changes, nchanges, legend);
    draw_legend(cr, f.r, f.t - 18, 1, f.r - 12 - text_width(cr, axis) - 24,
                legend, nlegend);
    if (use_time)
        time_caption(s->points[0].time, s->points[s->npoints - 1].time, caption,
                     sizeof caption);
    else
        snprintf(caption, sizeof caption, "run (commit order)");
    draw_y_axis(cr, &f, axis);
    draw_x_axis(cr, &f, use_time, caption);
    set_colour(cr, &pal_grey, 1);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, f.l, floor(f.t) + 0.5);
    cairo_line_to(cr, f.l, floor(f.b) + 0.5);
    cairo_line_to(cr, f.r, floor(f.b) + 0.5);
    cairo_stroke(cr);

    /* Everything below stays inside the plot area. */
    cairo_save(cr);
    cairo_rectangle(cr, f.l, f.t, f.r - f.l, f.b - f.t);
    cairo_clip(cr);

    /* Dense series use cairo's faster 4x4 antialiasing: at 1,000 points
     * the default one costs twice the time for no visible gain. */
    if (s->npoints > DENSE_POINTS)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
    if (s->npoints > DENSE_POINTS)
        draw_band(cr, &f, s, xs);
    else
        draw_whiskers(cr, &f, s, xs);

    /* The values. */
    set_colour(cr, &pal_blue, 1);
    cairo_set_line_width(cr, 1.5);
    {
        bool pen = false;

        for (size_t i = 0; i < s->npoints; i++) {
            double v = s->points[i].value;

            if (!isfinite(v)) {
                pen = false;
                continue;
            }
            if (pen)
                cairo_line_to(cr, px(&f, xs[i]), py(&f, v));
            else
                cairo_move_to(cr, px(&f, xs[i]), py(&f, v));
            pen = true;
        }
        cairo_stroke(cr);
    }
    if (s->npoints <= DENSE_POINTS) {
        double r = s->npoints <= 60 ? 2.5 : 1.6;

        for (size_t i = 0; i < s->npoints; i++) {
            if (!isfinite(s->points[i].value))
                continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, px(&f, xs[i]), py(&f, s->points[i].value), r, 0,
                      2 * 3.14159265358979323846);
        }
        cairo_fill(cr);
    }

    /* Segment means between change points, over the values. */
    set_colour(cr, &pal_orange, 1);
    cairo_set_line_width(cr, 2);
    for (size_t k = 0; k <= nchanges; k++) {
        size_t from = k ? changes[k - 1].index : 0;
        size_t to = k < nchanges ? changes[k].index : s->npoints;
        double sum = 0;
        size_t n = 0;

        if (to > s->npoints || from >= to)
            continue;
        for (size_t i = from; i < to; i++) {
            if (isfinite(s->points[i].value)) {
                sum += s->points[i].value;
                n++;
            }
        }
        if (!n)
            continue;
        cairo_move_to(cr, px(&f, xs[from]), py(&f, sum / n));
        cairo_line_to(cr, px(&f, xs[to - 1]), py(&f, sum / n));
        cairo_stroke(cr);
    }

    /* Change points: a dashed line between the last old and first new
     * point; an open alert adds a marker at the top. */
    for (size_t k = 0; k < nchanges; k++) {
        size_t i = changes[k].index;
        double x;
        const double dash[] = {4, 3};

        if (i == 0 || i >= s->npoints)
            continue;
        x = (px(&f, xs[i - 1]) + px(&f, xs[i])) / 2;
        set_colour(cr, &pal_vermillion, 0.9);
        cairo_set_line_width(cr, 1.5);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, x, f.t);
        cairo_line_to(cr, x, f.b);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        if (changes[k].alert) {
            cairo_move_to(cr, x - 6, f.t);
            cairo_line_to(cr, x + 6, f.t);
            cairo_line_to(cr, x, f.t + 10);
            cairo_close_path(cr);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);

    if (s->npoints == 1) {
        set_colour(cr, &pal_grey, 1);
        set_font(cr, 12, false);
        draw_text(cr, (f.l + f.r) / 2, f.t + 8, 0.5, 0,
                  "one point so far: no trend yet");
    }
    free(xs);
    return canvas_end(&c, eb);
}

enum err chart_trend_points(const struct chart_opts *o, const struct series *s,
                            double *x, double *y, struct errbuf *eb)
{
    cairo_surface_t *surface;
    cairo_t *cr;
    struct frame f;
    double *xs;
    const char *hint;
    bool use_time = false, drawn;
    enum err e = chart_opts_check(o, eb);

    if (e)
        return e;
    /* Text is measured as on the chart: a 1 x 1 surface is enough. */
    surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cr = cairo_create(surface);
    xs = xcalloc(s->npoints ? s->npoints : 1, sizeof *xs);
    drawn = trend_layout(cr, o->width, o->height, s, &f, xs, &use_time,
                         &hint) == NULL;
    for (size_t i = 0; i < s->npoints; i++) {
        bool ok = drawn && isfinite(s->points[i].value);

        x[i] = ok ? px(&f, xs[i]) : NAN;
        y[i] = ok ? py(&f, s->points[i].value) : NAN;
    }
    free(xs);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        err_set(eb, "cairo: %s", cairo_status_to_string(cairo_status(cr)));
        e = ERR_INTERNAL;
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return e;
}
