/*
 * The canvas: a cairo image surface (PNG) or an SVG surface streaming into
 * a buffer, the palette and text helpers.  cairo's status is checked once,
 * after drawing (STYLE.md), in canvas_end.
 */
#include "render/render_int.h"

#include <assert.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <string.h>

const struct rgb pal_black = {0, 0, 0};
/* Okabe-Ito's hues, the light ones darkened (the same hue, each channel
 * scaled) until they reach 3.1:1 against white, so every mark passes
 * WCAG's 3:1 for graphics: orange E69F00 was 2.25:1, sky blue 56B4E9
 * 2.31:1, yellow F0E442 1.32:1, reddish purple CC79A7 3.06:1.  The test
 * unit.render checks the ratios. */
const struct rgb pal_orange = {0xC2 / 255.0, 0x86 / 255.0, 0};
const struct rgb pal_sky = {0x4A / 255.0, 0x9A / 255.0, 0xC7 / 255.0};
const struct rgb pal_green = {0, 0x9E / 255.0, 0x73 / 255.0};
const struct rgb pal_yellow = {0x9C / 255.0, 0x94 / 255.0, 0x2B / 255.0};
const struct rgb pal_blue = {0, 0x72 / 255.0, 0xB2 / 255.0};
const struct rgb pal_vermillion = {0xD5 / 255.0, 0x5E / 255.0, 0};
const struct rgb pal_purple = {0xCA / 255.0, 0x78 / 255.0, 0xA5 / 255.0};
const struct rgb pal_grey = {0.45, 0.45, 0.45};
const struct rgb pal_light = {0.90, 0.90, 0.90};
const struct rgb pal_white = {1, 1, 1};

size_t chart_palette(const struct chart_colour **out)
{
#define C(n, m)                                                                \
    {                                                                          \
#n, pal_##n.r, pal_##n.g, pal_##n.b, m                                 \
    }
    static struct chart_colour v[11];
    static bool made;

    if (!made) { /* pal_* are not constant expressions in C */
        const struct chart_colour all[] = {
            C(black, true),      C(orange, true), C(sky, true),
            C(green, true),      C(yellow, true), C(blue, true),
            C(vermillion, true), C(purple, true), C(grey, true),
            C(light, false),     C(white, false)};

        memcpy(v, all, sizeof v);
        made = true;
    }
#undef C
    *out = v;
    return sizeof v / sizeof v[0];
}

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
        c->surface =
            cairo_svg_surface_create_for_stream(svg_write, out, c->w, c->h);
        /* Sizes in CSS pixels, as asked: cairo's default unit is the
         * point, which a browser shows a third larger than the PNG. */
        cairo_svg_surface_set_document_unit(c->surface, CAIRO_SVG_UNIT_PX);
    } else {
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
                                                (int)(o->width * o->scale),
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

/* One code point of s (valid UTF-8 that cairo accepts), or 0 with *len
 * the bytes to replace.  cairo refuses overlong forms, surrogates and the
 * noncharacters (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF) and then stays in an
 * error state, so those are replaced too. */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = s[0] < 0x80                    ? 1
               : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
               : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
               : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                              : 0;
    uint32_t c = n == 1 ? s[0] : s[0] & (0x7F >> n);

    *len = 1;
    if (n == 0)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the NUL */
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ||
        (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
        return 0;
    *len = n;
    return c ? c : 1;
}

/* s into out (size n >= 4), every invalid byte as U+FFFD, cut only at a
 * character boundary. */
static void utf8_clean(const char *s, char *out, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    while (*p) {
        size_t len;
        bool ok = utf8_next(p, &len) != 0;
        size_t need = ok ? len : 3;

        if (o + need >= n)
            break;
        if (ok)
            memcpy(out + o, p, len);
        else
            memcpy(out + o, "\xef\xbf\xbd", 3);
        o += need;
        p += len;
    }
    out[o] = '\0';
}

void fit_text(cairo_t *cr, const char *s, double max_w, char *out, size_t n)
{
    size_t len;

    assert(n >= 4);
    utf8_clean(s, out, n);
    if (text_width(cr, out) <= max_w)
        return;
    /* Shorten at character boundaries until "text..." fits; the ellipsis
     * overwrites only bytes already cut off. */
    len = strlen(out);
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)out[len] & 0xC0) == 0x80)
            len--;
        if (len + 4 > n)
            continue;
        memcpy(out + len, "\xe2\x80\xa6", 4); /* with its NUL */
        if (text_width(cr, out) <= max_w)
            return;
    }
    snprintf(out, n, "\xe2\x80\xa6");
}

void draw_no_data(struct canvas *c, const char *title, const char *msg,
                  const char *hint)
{
    char t[512];
    double cy = c->h / 2 + 12;

    set_colour(c->cr, &pal_black, 1);
    set_font(c->cr, 13, true);
    fit_text(c->cr, title ? title : "", c->w - 24, t, sizeof t);
    draw_text(c->cr, 12, 10, 0, 0, t);
    if (c->w > 40 && c->h > 60) {
        set_colour(c->cr, &pal_light, 1);
        cairo_rectangle(c->cr, 12.5, 36.5, c->w - 25, c->h - 49);
        cairo_set_line_width(c->cr, 1);
        cairo_stroke(c->cr);
    }
    if (hint)
        cy -= 9;
    set_colour(c->cr, &pal_black, 0.7);
    set_font(c->cr, 15, true);
    fit_text(c->cr, msg, c->w - 40, t, sizeof t);
    draw_text(c->cr, c->w / 2, cy, 0.5, 0.5, t);
    if (hint) {
        set_colour(c->cr, &pal_grey, 1);
        set_font(c->cr, 12, false);
        fit_text(c->cr, hint, c->w - 40, t, sizeof t);
        draw_text(c->cr, c->w / 2, cy + 22, 0.5, 0.5, t);
    }
}

#define LEGEND_SAMPLE 18.0 /* width of a mark's sample */
#define LEGEND_GAP 16.0    /* between items */

static double item_width(cairo_t *cr, const struct legend_item *it)
{
    return LEGEND_SAMPLE + 5 + text_width(cr, it->label);
}

/* The sample of one mark in the box [x, x + LEGEND_SAMPLE] around cy. */
static void draw_mark(cairo_t *cr, const struct legend_item *it, double x,
                      double cy)
{
    const double dash[] = {4, 3};
    double mid = x + LEGEND_SAMPLE / 2;

    set_colour(cr, it->col, it->alpha);
    switch (it->mark) {
    case MARK_BOX:
    case MARK_BAND:
        cairo_rectangle(cr, mid - 5, cy - 5, 10, 10);
        cairo_fill(cr);
        break;
    case MARK_LINE:
    case MARK_DOT_LINE:
        cairo_set_line_width(cr, 2);
        cairo_move_to(cr, x, cy);
        cairo_line_to(cr, x + LEGEND_SAMPLE, cy);
        cairo_stroke(cr);
        if (it->mark == MARK_DOT_LINE) {
            cairo_arc(cr, mid, cy, 2.5, 0, 2 * 3.14159265358979323846);
            cairo_fill(cr);
        }
        break;
    case MARK_DOT:
        cairo_arc(cr, mid, cy, 3.5, 0, 2 * 3.14159265358979323846);
        cairo_fill(cr);
        break;
    case MARK_DASH:
        cairo_set_line_width(cr, 1.5);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, x, cy);
        cairo_line_to(cr, x + LEGEND_SAMPLE, cy);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        break;
    case MARK_VDASH:
        cairo_set_line_width(cr, 1.5);
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, mid, cy - 7);
        cairo_line_to(cr, mid, cy + 7);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        break;
    case MARK_TRIANGLE:
        cairo_move_to(cr, mid - 6, cy - 5);
        cairo_line_to(cr, mid + 6, cy - 5);
        cairo_line_to(cr, mid, cy + 5);
        cairo_close_path(cr);
        cairo_fill(cr);
        break;
    }
}

double draw_legend(cairo_t *cr, double x, double y, double halign, double max_w,
                   const struct legend_item *items, size_t n)
{
    cairo_font_extents_t fe;
    double w = 0, cy;
    size_t k = 0;

    set_font(cr, 11, false);
    for (; k < n; k++) {
        double iw = item_width(cr, &items[k]) + (k ? LEGEND_GAP : 0);

        if (w + iw > max_w)
            break;
        w += iw;
    }
    cairo_font_extents(cr, &fe);
    cy = y + (fe.ascent + fe.descent) / 2;
    x -= w * halign;
    for (size_t i = 0; i < k; i++) {
        draw_mark(cr, &items[i], x, cy);
        set_colour(cr, &pal_grey, 1);
        draw_text(cr, x + LEGEND_SAMPLE + 5, y, 0, 0, items[i].label);
        x += item_width(cr, &items[i]) + LEGEND_GAP;
    }
    return w;
}
