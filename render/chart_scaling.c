/*
 * The scaling chart: value against parameter on log-log axes, the points
 * and the fitted complexity curve c * f(n) that analysis chose.  On log-log
 * axes every power law is a straight line, so a curve that bends away from
 * the points, or points that steepen, read at a glance.  f uses log2 as
 * analysis/scaling.c does, so the coefficient means the same here.
 *
 * Log axes span decades, so no single SI prefix suits every tick: each tick
 * label carries its own ("100 ns", "1 \xc2\xb5s", "10 \xc2\xb5s"; "1k",
 * "10k" for the parameter), which also labels the axis with its unit.
 * Ticks are at 1, 2 and 5 times powers of ten when a decade is wide enough
 * for three labels, else at powers of ten only.
 */
#include "render/render_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG2E 1.44269504088896340736

struct lframe {
    double l, t, r, b;
    double x0, x1, y0, y1; /* log10 bounds */
};

static double lx(const struct lframe *f, double v)
{
    return f->l + (log10(v) - f->x0) / (f->x1 - f->x0) * (f->r - f->l);
}

static double ly(const struct lframe *f, double v)
{
    return f->b - (log10(v) - f->y0) / (f->y1 - f->y0) * (f->b - f->t);
}

/* f(n) for a class name; false for an unknown one. */
static bool complexity(const char *cls, double n, double *out)
{
    if (!cls)
        return false;
    if (!strcmp(cls, "O(1)"))
        *out = 1;
    else if (!strcmp(cls, "O(log n)"))
        *out = LOG2E * log(n);
    else if (!strcmp(cls, "O(n)"))
        *out = n;
    else if (!strcmp(cls, "O(n log n)"))
        *out = LOG2E * n * log(n);
    else if (!strcmp(cls, "O(n^2)"))
        *out = n * n;
    else if (!strcmp(cls, "O(n^3)"))
        *out = n * n * n;
    else
        return false;
    return true;
}

/* A tick's label with its own prefixed unit: "10 \xc2\xb5s", "2k". */
static void log_label(double v, const char *unit, char *out, size_t n)
{
    double div, x;
    const char *lab;
    bool glued; /* "2k", "50%": no space before a bare prefix or % */

    chart_unit_scale(unit, v, &div, &lab);
    x = v / div;
    if (fabs(x - round(x)) < 1e-6 * fabs(x))
        x = round(x);
    glued = !lab[0] || !strcmp(lab, "k") || !strcmp(lab, "M") ||
            !strcmp(lab, "G") || !strcmp(lab, "%");
    snprintf(out, n, x >= 1000 || x == floor(x) ? "%.0f%s%s" : "%.3g%s%s", x,
             glued ? "" : " ", lab);
}

/* 3 (ticks at 1, 2, 5) when a decade is at least min_px long, else 1. */
static int log_mults(double px, double decades, double min_px)
{
    return decades > 0 && px / decades >= min_px ? 3 : 1;
}

/* Grid lines and labels of one axis; labels thinned so they never
 * overlap.  Returns the widest label drawn (for the y axis margin) or
 * measures only, drawing nothing, when measure is set. */
static double log_ticks(cairo_t *cr, const struct lframe *f, bool xaxis,
                        const char *unit, bool measure)
{
    static const double mult[] = {1, 2, 5};
    double lo = xaxis ? f->x0 : f->y0, hi = xaxis ? f->x1 : f->y1;
    double last = -1e9, widest = 0;
    int nm = xaxis ? log_mults(f->r - f->l, hi - lo, 150)
                   : log_mults(f->b - f->t, hi - lo, 75);
    char label[64], fitted[64];

    set_font(cr, 11, false);
    cairo_set_line_width(cr, 1);
    for (int d = (int)floor(lo); d <= (int)ceil(hi); d++) {
        for (int m = 0; m < nm; m++) {
            double v = mult[m] * pow(10, d), lv = log10(v), pos, tw;

            if (lv < lo || lv > hi)
                continue;
            /* A unit may be any name: the label is fitted. */
            log_label(v, unit, fitted, sizeof fitted);
            fit_text(cr, fitted, 100, label, sizeof label);
            tw = text_width(cr, label);
            if (measure) {
                widest = fmax(widest, tw);
                continue;
            }
            pos = xaxis ? floor(lx(f, v)) + 0.5 : floor(ly(f, v)) + 0.5;
            set_colour(cr, &pal_light, 1);
            if (xaxis) {
                cairo_move_to(cr, pos, f->t);
                cairo_line_to(cr, pos, f->b);
            } else {
                cairo_move_to(cr, f->l, pos);
                cairo_line_to(cr, f->r, pos);
            }
            cairo_stroke(cr);
            set_colour(cr, &pal_grey, 1);
            if (xaxis) {
                if (pos - tw / 2 < last + 8 || pos - tw / 2 < 12 ||
                    pos + tw / 2 > f->r + 12)
                    continue;
                draw_text(cr, pos, f->b + 6, 0.5, 0, label);
                last = pos + tw / 2;
            } else {
                if (-pos < last + 14)
                    continue;
                draw_text(cr, f->l - 6, pos, 1, 0.5, label);
                last = -pos;
                widest = fmax(widest, tw);
            }
        }
    }
    return widest;
}

/* "O(n^2)" as a reader writes it: "O(n\xc2\xb2)". */
static void class_label(const char *cls, char *out, size_t n)
{
    if (!strcmp(cls, "O(n^2)"))
        snprintf(out, n, "O(n\xc2\xb2)");
    else if (!strcmp(cls, "O(n^3)"))
        snprintf(out, n, "O(n\xc2\xb3)");
    else
        snprintf(out, n, "%s", cls);
}

enum err chart_scaling_draw(const struct chart_opts *o, const char *title,
                            const char *unit, const double *param,
                            const double *value, size_t n, const char *cls,
                            double coef, struct buf *out, struct errbuf *eb)
{
    struct canvas c;
    struct lframe f;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    double g;
    size_t m = 0;
    bool curve;
    char sub[600], fitted[600], cls_s[32], coef_s[64], fit_s[64];
    struct legend_item legend[2] = {{MARK_DOT, &pal_blue, 1, "measured"},
                                    {MARK_LINE, &pal_vermillion, 0.9, fit_s}};
    cairo_t *cr;
    enum err e;

    e = canvas_begin(&c, o, out, eb);
    if (e)
        return e;
    cr = c.cr;
    if (!title)
        title = "scaling";
    for (size_t i = 0; i < n; i++) {
        if (!(param[i] > 0) || !(value[i] > 0) || !isfinite(param[i]) ||
            !isfinite(value[i]))
            continue;
        xlo = fmin(xlo, param[i]);
        xhi = fmax(xhi, param[i]);
        ylo = fmin(ylo, value[i]);
        yhi = fmax(yhi, value[i]);
        m++;
    }
    if (m < 2 || xhi <= xlo) {
        draw_no_data(&c, title, "need two or more parameter values",
                     "a family needs members that differ in one numeric "
                     "parameter, e.g. n=1000 and n=10000");
        return canvas_end(&c, eb);
    }
    curve = isfinite(coef) && coef > 0 && complexity(cls, xlo, &g);
    if (curve) {
        /* The curve's ends widen the y range so it is not cut short. */
        double gl, gh;

        complexity(cls, xlo, &gl);
        complexity(cls, xhi, &gh);
        if (coef * gl > 0 && coef * gh > 0) {
            ylo = fmin(ylo, fmin(coef * gl, coef * gh));
            yhi = fmax(yhi, fmax(coef * gl, coef * gh));
        }
    }
    f.x0 = log10(xlo);
    f.x1 = log10(xhi);
    f.y0 = log10(ylo);
    f.y1 = log10(yhi);
    {
        double px_ = (f.x1 - f.x0) * 0.05,
               py_ = f.y1 > f.y0 ? (f.y1 - f.y0) * 0.08 : 0.5;

        f.x0 -= px_;
        f.x1 += px_;
        f.y0 -= py_;
        f.y1 += py_;
    }
    f.t = 62;
    f.r = c.w - 16;
    f.b = c.h - 40;
    f.l = 16 + log_ticks(cr, &f, false, unit, true) + 8;
    if (f.r - f.l < 60 || f.b - f.t < 40) {
        draw_no_data(&c, title, "chart too small", NULL);
        return canvas_end(&c, eb);
    }

    set_colour(cr, &pal_black, 1);
    set_font(cr, 13, true);
    fit_text(cr, title, c.w - 24, fitted, sizeof fitted);
    draw_text(cr, 12, 8, 0, 0, fitted);
    set_font(cr, 11, false);
    if (curve) {
        class_label(cls, cls_s, sizeof cls_s);
        log_label(coef, unit, coef_s, sizeof coef_s);
        snprintf(sub, sizeof sub,
                 "%zu parameter values \xc2\xb7 best fit %s with c = %s "
                 "\xc2\xb7 log-log axes",
                 m, cls_s, coef_s);
        snprintf(fit_s, sizeof fit_s, "fitted %s", cls_s);
    } else {
        snprintf(sub, sizeof sub,
                 "%zu parameter values \xc2\xb7 no fitted curve \xc2\xb7 "
                 "log-log axes",
                 m);
    }
    set_colour(cr, &pal_grey, 1);
    fit_text(cr, sub, c.w - 24, fitted, sizeof fitted);
    draw_text(cr, 12, 27, 0, 0, fitted);
    draw_legend(cr, f.r, f.t - 18, 1, f.r - 12, legend, curve ? 2 : 1);

    log_ticks(cr, &f, true, "", false);
    log_ticks(cr, &f, false, unit, false);
    set_colour(cr, &pal_grey, 1);
    draw_text(cr, f.r, f.b + 20, 1, 0, "parameter n");
    cairo_move_to(cr, f.l + 0.5, f.t);
    cairo_line_to(cr, f.l + 0.5, floor(f.b) + 0.5);
    cairo_line_to(cr, f.r, floor(f.b) + 0.5);
    cairo_stroke(cr);

    cairo_save(cr);
    cairo_rectangle(cr, f.l, f.t, f.r - f.l, f.b - f.t);
    cairo_clip(cr);
    if (curve) {
        bool pen = false;

        set_colour(cr, &pal_vermillion, 0.9);
        cairo_set_line_width(cr, 2);
        for (int k = 0; k <= 100; k++) {
            double nn =
                pow(10, log10(xlo) + (log10(xhi) - log10(xlo)) * k / 100.0);

            if (!complexity(cls, nn, &g) || !(coef * g > 0)) {
                pen = false;
                continue;
            }
            if (pen)
                cairo_line_to(cr, lx(&f, nn), ly(&f, coef * g));
            else
                cairo_move_to(cr, lx(&f, nn), ly(&f, coef * g));
            pen = true;
        }
        cairo_stroke(cr);
    }
    set_colour(cr, &pal_blue, 1);
    for (size_t i = 0; i < n; i++) {
        if (!(param[i] > 0) || !(value[i] > 0) || !isfinite(param[i]) ||
            !isfinite(value[i]))
            continue;
        cairo_new_sub_path(cr);
        cairo_arc(cr, lx(&f, param[i]), ly(&f, value[i]), 3.5, 0,
                  2 * 3.14159265358979323846);
    }
    cairo_fill(cr);
    cairo_restore(cr);
    return canvas_end(&c, eb);
}
