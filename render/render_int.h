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
extern const struct rgb pal_black, pal_orange, pal_sky, pal_green, pal_yellow,
    pal_blue, pal_vermillion, pal_purple, pal_grey, pal_light, pal_white;

struct canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    double w, h;     /* CSS pixels (the cairo user space) */
    struct buf *out; /* borrowed: SVG bytes stream here */
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
/* Ellipsises s to fit max_w; writes into out (size n, at least 4).  The
 * result is always text cairo accepts: cut at character boundaries, with
 * invalid UTF-8 (and code points cairo refuses) shown as U+FFFD.  Every
 * user string goes through it before it reaches cairo. */
void fit_text(cairo_t *cr, const char *s, double max_w, char *out, size_t n);

/* The state of a chart with nothing to plot: the title, a framed empty
 * plot and, centred in it, msg (what is missing) over hint (how to get it;
 * NULL for none). */
void draw_no_data(struct canvas *c, const char *title, const char *msg,
                  const char *hint);

/* A legend entry: a small sample of the mark, then its label. */
enum legend_mark {
    MARK_BOX,      /* a filled square: a category's colour */
    MARK_BAND,     /* a translucent square: a band or interval */
    MARK_LINE,     /* a short line */
    MARK_DOT_LINE, /* a short line through a dot: a series of points */
    MARK_DOT,      /* a dot alone */
    MARK_DASH,     /* a dashed line */
    MARK_VDASH,    /* a vertical dashed line: a marker across the plot */
    MARK_TRIANGLE  /* a downward triangle: a flag at the top */
};

struct legend_item {
    enum legend_mark mark;
    const struct rgb *col;
    double alpha;
    const char *label; /* borrowed */
};

/* Draws the legend in one row with its top at y, starting at x (halign 0)
 * or ending at x (halign 1), in 11 px text.  Items that would not fit in
 * max_w are dropped from the end, so a legend never runs into other text.
 * Returns the width drawn. */
double draw_legend(cairo_t *cr, double x, double y, double halign, double max_w,
                   const struct legend_item *items, size_t n);

/* Formats v (already divided) with few significant digits. */
void format_tick(double v, double step, char *out, size_t n);

/* Time axis: ticks at round hours, days, weeks or months. */
unsigned time_ticks(int64_t lo, int64_t hi, unsigned max_ticks, int64_t *ticks,
                    unsigned cap, bool *with_time);
void format_time_tick(int64_t ms, bool with_time, char *out, size_t n);

/* PNG of a cairo ARGB32/RGB24 image surface, fast zlib settings. */
enum err png_encode(cairo_surface_t *s, struct buf *out, struct errbuf *eb);

#endif
