/*
 * The comparison chart: one row per benchmark, its relative change as a dot
 * on a horizontal 95% interval, coloured by verdict.  Rows are sorted by
 * |change| so the biggest movements come first; a reader scans down until
 * the grey rows start.  The zero line and the noise band (+-threshold) show
 * what "unchanged" means.  Rows that do not fit are counted, not squeezed:
 * labels never overlap.  Each row's change is also written as a number in
 * a column on the right, and the x axis sits right under the last row, so
 * a short comparison does not leave its rows far from their scale.
 * chart_comparison_height gives the height that fits every row at its full
 * height (ROW_MAX) from the same layout constants, so a caller without a
 * height of its own gets no blank space below a short comparison.
 */
#include "render/render_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define ROW_MIN 16.0
#define ROW_MAX 40.0
#define BAR_MAX 11.0     /* an interval's thickness, however tall its row */
#define PLOT_TOP 62.0    /* under the title and the legend */
#define PLOT_BOTTOM 40.0 /* below the rows: tick labels and axis title */
#define HEIGHT_MIN 160u
#define HEIGHT_MAX 4000u

static const struct rgb *verdict_colour(enum chart_verdict v)
{
    switch (v) {
    case CHART_REGRESSED:
        return &pal_vermillion;
    case CHART_IMPROVED:
        return &pal_blue;
    case CHART_INCONCLUSIVE:
        return &pal_orange;
    default:
        return &pal_grey;
    }
}

/* A verdict said by a sign as well as by colour (issue 17): it leads the
 * change's label and the legend's entry. */
static const char *verdict_sign(enum chart_verdict v)
{
    switch (v) {
    case CHART_REGRESSED:
        return "\xe2\x9c\x96"; /* U+2716 heavy multiplication x */
    case CHART_IMPROVED:
        return "\xe2\x9c\x94"; /* U+2714 heavy check mark */
    case CHART_INCONCLUSIVE:
        return "?";
    default:
        return "=";
    }
}

/* ... and by the shape of the plot's centre mark: a diamond for regressed,
 * a square for improved, a ring for inconclusive, a dot for unchanged.
 * Leaves the path for the caller to fill or stroke. */
static void verdict_shape(cairo_t *cr, enum chart_verdict v, double x, double y,
                          double r)
{
    cairo_new_sub_path(cr);
    switch (v) {
    case CHART_REGRESSED:
        cairo_move_to(cr, x, y - r * 1.3);
        cairo_line_to(cr, x + r * 1.3, y);
        cairo_line_to(cr, x, y + r * 1.3);
        cairo_line_to(cr, x - r * 1.3, y);
        cairo_close_path(cr);
        break;
    case CHART_IMPROVED:
        cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r);
        break;
    default:
        cairo_arc(cr, x, y, r, 0, 2 * 3.14159265358979323846);
        break;
    }
}

static int by_size(const void *a, const void *b)
{
    const struct chart_cmp_row *x = *(const struct chart_cmp_row *const *)a;
    const struct chart_cmp_row *y = *(const struct chart_cmp_row *const *)b;
    double ax = isfinite(x->change) ? fabs(x->change) : -1;
    double ay = isfinite(y->change) ? fabs(y->change) : -1;

    return (ax < ay) - (ax > ay);
}

static void legend(cairo_t *cr, double x, double y, double max_w,
                   double threshold)
{
    char band[64];
    struct legend_item items[] = {
        {MARK_BOX, verdict_colour(CHART_REGRESSED), 1,
         "\xe2\x9c\x96 regressed"},
        {MARK_BOX, verdict_colour(CHART_IMPROVED), 1, "\xe2\x9c\x94 improved"},
        {MARK_BOX, verdict_colour(CHART_UNCHANGED), 1, "= unchanged"},
        {MARK_BOX, verdict_colour(CHART_INCONCLUSIVE), 1, "? inconclusive"},
        {MARK_BAND, &pal_grey, 0.25, band},
    };

    snprintf(band, sizeof band, "noise band \xc2\xb1%.3g%%", threshold * 100);
    draw_legend(cr, x, y, 0, max_w, items,
                threshold > 0 && isfinite(threshold) ? 5 : 4);
}

/* The change as a reader wants it, after its verdict's sign:
 * "\u2716 +21.0%", "= -0.4%". */
static void format_change(const struct chart_cmp_row *r, char *out, size_t n)
{
    double v = r->change;

    if (fabs(v) < 0.0005)
        v = 0; /* no "-0.0%" */
    snprintf(out, n, "%s %+.1f%%", verdict_sign(r->verdict), v * 100);
}

unsigned chart_comparison_height(const struct chart_cmp_row *rows, size_t n)
{
    size_t valid = 0;
    double h;

    for (size_t i = 0; i < n; i++)
        valid += isfinite(rows[i].change);
    h = PLOT_TOP + ROW_MAX * (double)valid + PLOT_BOTTOM;
    if (h < HEIGHT_MIN)
        return HEIGHT_MIN;
    return h > HEIGHT_MAX ? HEIGHT_MAX : (unsigned)h;
}

enum err chart_comparison_draw(const struct chart_opts *o, const char *title,
                               const struct chart_cmp_row *rows, size_t n,
                               double threshold, struct buf *out,
                               struct errbuf *eb)
{
    struct canvas c;
    const struct chart_cmp_row **sorted;
    double l, t, r, b, lo = 0, hi = 0, row_h, label_w = 0, first, step;
    double xmin, xmax, value_w;
    size_t shown, valid = 0;
    unsigned count;
    char label[256], fitted[600];
    cairo_t *cr;
    enum err e;

    e = canvas_begin(&c, o, out, eb);
    if (e)
        return e;
    cr = c.cr;
    if (!title)
        title = "comparison";
    for (size_t i = 0; i < n; i++)
        valid += isfinite(rows[i].change);
    if (valid == 0) {
        draw_no_data(&c, title, "no benchmarks to compare",
                     "the two sides share no benchmark and measure with a "
                     "value");
        return canvas_end(&c, eb);
    }
    sorted = xcalloc(n, sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = &rows[i];
    qsort(sorted, n, sizeof *sorted, by_size);

    t = PLOT_TOP;
    b = c.h - PLOT_BOTTOM;
    row_h = (b - t) / (double)valid;
    if (row_h > ROW_MAX)
        row_h = ROW_MAX;
    shown = row_h >= ROW_MIN ? valid : (size_t)((b - t - 16) / ROW_MIN);
    if (shown < valid)
        row_h = ROW_MIN;
    else
        b = fmin(b, t + row_h * (double)shown + 4); /* axis under rows */
    if (shown == 0 || c.w < 200) {
        free(sorted);
        draw_no_data(&c, title, "chart too small", NULL);
        return canvas_end(&c, eb);
    }

    /* The x range covers every shown interval, zero and the band. */
    if (threshold > 0 && isfinite(threshold)) {
        lo = -threshold;
        hi = threshold;
    }
    for (size_t i = 0; i < shown; i++) {
        const struct chart_cmp_row *p = sorted[i];
        double v[3] = {p->change, p->ci_lo, p->ci_hi};

        for (int k = 0; k < 3; k++) {
            if (isfinite(v[k])) {
                lo = fmin(lo, v[k]);
                hi = fmax(hi, v[k]);
            }
        }
    }
    if (hi - lo < 0.01) {
        lo -= 0.005;
        hi += 0.005;
    }
    xmin = lo - (hi - lo) * 0.06;
    xmax = hi + (hi - lo) * 0.06;

    /* Label column: the widest key, at most 40% of the width; the value
     * column: the widest change. */
    set_font(cr, 11, false);
    value_w = 0;
    for (size_t i = 0; i < shown; i++) {
        fit_text(cr, sorted[i]->key ? sorted[i]->key : "?", c.w * 0.4, fitted,
                 sizeof fitted);
        label_w = fmax(label_w, text_width(cr, fitted));
        format_change(sorted[i], label, sizeof label);
        value_w = fmax(value_w, text_width(cr, label));
    }
    label_w = fmin(label_w, c.w * 0.4);
    l = 12 + label_w + 10;
    r = c.w - 12 - value_w - 12;

    set_colour(cr, &pal_black, 1);
    set_font(cr, 13, true);
    fit_text(cr, title, c.w - 24, fitted, sizeof fitted);
    draw_text(cr, 12, 8, 0, 0, fitted);
    legend(cr, 12, 27, c.w - 24, threshold);

#define PX(v) (l + ((v)-xmin) / (xmax - xmin) * (r - l))
    /* Grid and x ticks in percent. */
    chart_nice_ticks(xmin * 100, xmax * 100, (unsigned)((r - l) / 70) + 2,
                     &first, &step, &count);
    set_font(cr, 11, false);
    cairo_set_line_width(cr, 1);
    {
        double last_right = -1e9;

        for (unsigned i = 0; i < count; i++) {
            double v = first + i * step, x = floor(PX(v / 100)) + 0.5, tw;

            if (x < l - 0.5 || x > r + 0.5)
                continue;
            set_colour(cr, &pal_light, 1);
            cairo_move_to(cr, x, t);
            cairo_line_to(cr, x, b);
            cairo_stroke(cr);
            format_tick(v, step, label, sizeof label);
            snprintf(fitted, sizeof fitted, "%s%s%%", v > 0 ? "+" : "", label);
            tw = text_width(cr, fitted);
            if (x - tw / 2 < last_right + 8 || x - tw / 2 < 12 ||
                x + tw / 2 > c.w - 12)
                continue;
            set_colour(cr, &pal_grey, 1);
            draw_text(cr, x, b + 6, 0.5, 0, fitted);
            last_right = x + tw / 2;
        }
    }
    set_colour(cr, &pal_grey, 1);
    if (shown < valid) {
        snprintf(fitted, sizeof fitted, "+ %zu more (smaller changes)",
                 valid - shown);
        draw_text(cr, 12, b + 20, 0, 0, fitted);
    }
    draw_text(cr, r, b + 20, 1, 0, "change head vs base (95% CI)");

    /* Row labels, ellipsised to the column, and the changes right. */
    for (size_t i = 0; i < shown; i++) {
        double y = t + row_h * ((double)i + 0.5);

        set_colour(cr, &pal_black, 1);
        fit_text(cr, sorted[i]->key ? sorted[i]->key : "?", label_w, fitted,
                 sizeof fitted);
        draw_text(cr, l - 10, y, 1, 0.5, fitted);
        format_change(sorted[i], label, sizeof label);
        /* Text in black (a mark colour reaches 3:1, not text's 4.5:1);
         * the sign says the verdict */
        set_colour(cr, &pal_black, 1);
        draw_text(cr, c.w - 12, y, 1, 0.5, label);
    }

    cairo_save(cr);
    cairo_rectangle(cr, l, t, r - l, b - t);
    cairo_clip(cr);
    if (threshold > 0 && isfinite(threshold)) {
        set_colour(cr, &pal_grey, 0.15);
        cairo_rectangle(cr, PX(-threshold), t, PX(threshold) - PX(-threshold),
                        b - t);
        cairo_fill(cr);
    }
    set_colour(cr, &pal_black, 0.8);
    cairo_move_to(cr, floor(PX(0)) + 0.5, t);
    cairo_line_to(cr, floor(PX(0)) + 0.5, b);
    cairo_stroke(cr);
    for (size_t i = 0; i < shown; i++) {
        const struct chart_cmp_row *p = sorted[i];
        double y = t + row_h * ((double)i + 0.5);

        bool bar = isfinite(p->ci_lo) && isfinite(p->ci_hi);

        set_colour(cr, verdict_colour(p->verdict), 1);
        if (bar) {
            double x0 = PX(p->ci_lo), x1 = PX(p->ci_hi);
            double th = fmin(row_h * 0.36, BAR_MAX);

            cairo_rectangle(cr, x0, y - th / 2, fmax(x1 - x0, 1), th);
            cairo_fill(cr);
        }
        /* The centre mark in the verdict's shape: black on its bar;
         * without a CI, larger, in the verdict's colour with a black
         * outline, saying the verdict alone. */
        verdict_shape(cr, p->verdict, PX(p->change), y, bar ? 3.5 : 5);
        if (bar) {
            set_colour(cr, &pal_black, 1);
            cairo_fill(cr);
        } else {
            cairo_fill_preserve(cr);
            set_colour(cr, &pal_black, 1);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
        }
    }
    cairo_restore(cr);
#undef PX
    set_colour(cr, &pal_grey, 1);
    cairo_move_to(cr, l, floor(b) + 0.5);
    cairo_line_to(cr, r, floor(b) + 0.5);
    cairo_stroke(cr);
    free(sorted);
    return canvas_end(&c, eb);
}
