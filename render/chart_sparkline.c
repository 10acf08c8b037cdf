/*
 * Sparklines for tables: the values as one line scaled to the box, the last
 * value marked.  No axes; the table beside it carries the numbers.
 */
#include "render/render_int.h"

#include <math.h>

enum err chart_sparkline_draw(const struct chart_opts *o, const double *v,
                              size_t n, struct buf *out, struct errbuf *eb)
{
    struct canvas c;
    double lo = INFINITY, hi = -INFINITY, pad = 3; /* the last dot fits */
    size_t last = n;
    bool pen = false;
    enum err e = canvas_begin(&c, o, out, eb);

    if (e)
        return e;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
        last = i;
    }
    if (last == n) {
        set_colour(c.cr, &pal_light, 1);
        cairo_set_line_width(c.cr, 1);
        cairo_move_to(c.cr, pad, c.h / 2);
        cairo_line_to(c.cr, c.w - pad, c.h / 2);
        cairo_stroke(c.cr);
        return canvas_end(&c, eb);
    }
    if (hi <= lo) {
        lo -= 1;
        hi += 1;
    }
    set_colour(c.cr, &pal_blue, 1);
    cairo_set_line_width(c.cr, 1.2);
    for (size_t i = 0; i < n; i++) {
        double x, y;

        if (!isfinite(v[i])) {
            pen = false;
            continue;
        }
        x = n > 1 ? pad + (c.w - 2 * pad) * (double)i / (double)(n - 1)
                  : c.w / 2;
        y = c.h - pad - (v[i] - lo) / (hi - lo) * (c.h - 2 * pad);
        if (pen)
            cairo_line_to(c.cr, x, y);
        else
            cairo_move_to(c.cr, x, y);
        pen = true;
    }
    cairo_stroke(c.cr);
    set_colour(c.cr, &pal_vermillion, 1);
    cairo_arc(c.cr,
              n > 1 ? pad + (c.w - 2 * pad) * (double)last / (double)(n - 1)
                    : c.w / 2,
              c.h - pad - (v[last] - lo) / (hi - lo) * (c.h - 2 * pad), 2, 0,
              2 * 3.14159265358979323846);
    cairo_fill(c.cr);
    return canvas_end(&c, eb);
}
