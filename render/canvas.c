/*
 * The canvas: a cairo image surface (PNG) or an SVG surface streaming into
 * a buffer, the palette and text helpers.  cairo's status is checked once,
 * after drawing (STYLE.md), in canvas_end.
 */
#include "render/render_int.h"

#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <string.h>

const struct rgb pal_black = {0, 0, 0};
const struct rgb pal_orange = {0xE6 / 255.0, 0x9F / 255.0, 0};
const struct rgb pal_sky = {0x56 / 255.0, 0xB4 / 255.0, 0xE9 / 255.0};
const struct rgb pal_green = {0, 0x9E / 255.0, 0x73 / 255.0};
const struct rgb pal_yellow = {0xF0 / 255.0, 0xE4 / 255.0, 0x42 / 255.0};
const struct rgb pal_blue = {0, 0x72 / 255.0, 0xB2 / 255.0};
const struct rgb pal_vermillion = {0xD5 / 255.0, 0x5E / 255.0, 0};
const struct rgb pal_purple = {0xCC / 255.0, 0x79 / 255.0, 0xA7 / 255.0};
const struct rgb pal_grey = {0.45, 0.45, 0.45};
const struct rgb pal_light = {0.90, 0.90, 0.90};
const struct rgb pal_white = {1, 1, 1};

void chart_opts_default(struct chart_opts *o)
{
    o->width = 900;
    o->height = 400;
    o->scale = 1;
    o->format = CHART_PNG;
}

enum err chart_opts_check(const struct chart_opts *o, struct errbuf *eb)
{
    if (o->width < 16 || o->width > 4096 || o->height < 16 ||
        o->height > 4096) {
        err_set(eb, "chart size must be 16..4096 pixels each way");
        return ERR_INVALID;
    }
    if (!(o->scale >= 1 && o->scale <= 4)) {
        err_set(eb, "chart scale must be 1..4");
        return ERR_INVALID;
    }
    if ((double)o->width * o->scale * (double)o->height * o->scale >
        4096.0 * 4096.0) {
        err_set(eb, "chart too large: width x height x scale^2 over "
                "16 megapixels");
        return ERR_INVALID;
    }
    return ERR_OK;
}

static cairo_status_t svg_write(void *closure, const unsigned char *data,
                                unsigned int len)
{
    return buf_add(closure, data, len) ? CAIRO_STATUS_WRITE_ERROR
                                       : CAIRO_STATUS_SUCCESS;
}

enum err canvas_begin(struct canvas *c, const struct chart_opts *o,
                      struct buf *out, struct errbuf *eb)
{
    enum err e = chart_opts_check(o, eb);

    memset(c, 0, sizeof *c);
    if (e)
        return e;
    c->w = o->width;
    c->h = o->height;
    c->out = out;
    c->format = o->format;
    if (o->format == CHART_SVG) {
        c->surface = cairo_svg_surface_create_for_stream(svg_write, out,
                                                         c->w, c->h);
    } else {
        c->surface = cairo_image_surface_create(
            CAIRO_FORMAT_RGB24, (int)(o->width * o->scale),
            (int)(o->height * o->scale));
    }
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
        err_set(eb, "cairo: %s",
                cairo_status_to_string(cairo_surface_status(c->surface)));
        cairo_surface_destroy(c->surface);
        c->surface = NULL;
        return ERR_INTERNAL;
    }
    c->cr = cairo_create(c->surface);
    if (o->format == CHART_PNG)
        cairo_scale(c->cr, o->scale, o->scale);
    set_colour(c->cr, &pal_white, 1);
    cairo_paint(c->cr);
    /* Bevel joins and butt caps: round ones multiply the edges cairo's
     * rasteriser must scan on long polylines (3x slower at 1,000 points). */
    cairo_set_line_join(c->cr, CAIRO_LINE_JOIN_BEVEL);
    cairo_set_line_cap(c->cr, CAIRO_LINE_CAP_BUTT);
    return ERR_OK;
}

void canvas_abort(struct canvas *c)
{
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surface)
        cairo_surface_destroy(c->surface);
    c->cr = NULL;
    c->surface = NULL;
}

enum err canvas_end(struct canvas *c, struct errbuf *eb)
{
    cairo_status_t st = cairo_status(c->cr);
    enum err e = ERR_OK;

    if (st != CAIRO_STATUS_SUCCESS) {
        err_set(eb, "cairo: %s", cairo_status_to_string(st));
        canvas_abort(c);
        return ERR_INTERNAL;
    }
    cairo_destroy(c->cr);
    c->cr = NULL;
    if (c->format == CHART_SVG) {
        cairo_surface_finish(c->surface);
        st = cairo_surface_status(c->surface);
        if (st != CAIRO_STATUS_SUCCESS) {
            err_set(eb, "cairo svg: %s", cairo_status_to_string(st));
            e = ERR_INTERNAL;
        }
    } else {
        cairo_surface_flush(c->surface);
        e = png_encode(c->surface, c->out, eb);
    }
    cairo_surface_destroy(c->surface);
    c->surface = NULL;
    return e;
}

void render_shutdown(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}

void set_colour(cairo_t *cr, const struct rgb *c, double alpha)
{
    cairo_set_source_rgba(cr, c->r, c->g, c->b, alpha);
}

void set_font(cairo_t *cr, double size, bool bold)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;

    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

void draw_text(cairo_t *cr, double x, double y, double halign, double valign,
               const char *s)
{
    cairo_font_extents_t fe;
    double w = text_width(cr, s);

    cairo_font_extents(cr, &fe);
    cairo_move_to(cr, x - w * halign,
                  y - (fe.ascent + fe.descent) * valign + fe.ascent);
    cairo_show_text(cr, s);
}

void fit_text(cairo_t *cr, const char *s, double max_w, char *out, size_t n)
{
    size_t len = strlen(s);

    snprintf(out, n, "%s", s);
    if (text_width(cr, out) <= max_w)
        return;
    /* Shorten at UTF-8 boundaries until "text..." fits. */
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
        snprintf(out, n, "%.*s\xe2\x80\xa6", (int)len, s);
        if (text_width(cr, out) <= max_w)
            return;
    }
    snprintf(out, n, "\xe2\x80\xa6");
}

void draw_no_data(struct canvas *c, const char *title, const char *msg)
{
    char t[512];

    set_colour(c->cr, &pal_black, 1);
    set_font(c->cr, 13, true);
    fit_text(c->cr, title ? title : "", c->w - 24, t, sizeof t);
    draw_text(c->cr, 12, 10, 0, 0, t);
    set_colour(c->cr, &pal_light, 1);
    cairo_rectangle(c->cr, 12.5, 36.5, c->w - 25, c->h - 49);
    cairo_set_line_width(c->cr, 1);
    cairo_stroke(c->cr);
    set_colour(c->cr, &pal_grey, 1);
    set_font(c->cr, 14, false);
    draw_text(c->cr, c->w / 2, c->h / 2 + 12, 0.5, 0.5, msg);
}
