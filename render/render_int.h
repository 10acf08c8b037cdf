/*
 * Internals shared inside render/: the canvas (a cairo surface drawing
 * into memory), the palette, text helpers and the PNG encoder.
 */
#ifndef BV_RENDER_INT_H
#define BV_RENDER_INT_H

#include <cairo.h>

#include "render/render.h"

/* Okabe-Ito, as 0..1 RGB. */
struct rgb {
    double r, g, b;
};
extern const struct rgb pal_black, pal_orange, pal_sky, pal_green,
    pal_yellow, pal_blue, pal_vermillion, pal_purple, pal_grey, pal_light,
    pal_white;

struct canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    double w, h;       /* CSS pixels (the cairo user space) */
    struct buf *out;   /* borrowed: SVG bytes stream here */
    enum chart_format format;
};

enum err canvas_begin(struct canvas *c, const struct chart_opts *o,
                      struct buf *out, struct errbuf *eb);
/* Finishes: checks cairo's status, encodes PNG (or flushes SVG) into out. */
enum err canvas_end(struct canvas *c, struct errbuf *eb);
/* Releases without output (error paths). */
void canvas_abort(struct canvas *c);

void set_colour(cairo_t *cr, const struct rgb *c, double alpha);
void set_font(cairo_t *cr, double size, bool bold);
double text_width(cairo_t *cr, const char *s);
/* Draws s with its anchor: halign 0 left, 0.5 centre, 1 right; valign
 * likewise from top (0) to bottom (1), using the font's extents. */
void draw_text(cairo_t *cr, double x, double y, double halign, double valign,
               const char *s);
/* Ellipsises s to fit max_w; writes into out (size n). */
void fit_text(cairo_t *cr, const char *s, double max_w, char *out, size_t n);

/* The centred message of an empty chart. */
void draw_no_data(struct canvas *c, const char *title, const char *msg);

/* Formats v (already divided) with few significant digits. */
void format_tick(double v, double step, char *out, size_t n);

/* Time axis: ticks at round hours, days, weeks or months. */
unsigned time_ticks(int64_t lo, int64_t hi, unsigned max_ticks,
                    int64_t *ticks, unsigned cap, bool *with_time);
void format_time_tick(int64_t ms, bool with_time, char *out, size_t n);

/* PNG of a cairo ARGB32/RGB24 image surface, fast zlib settings. */
enum err png_encode(cairo_surface_t *s, struct buf *out, struct errbuf *eb);

#endif
