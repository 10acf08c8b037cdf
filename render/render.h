/*
 * render: charts (cairo; PNG or SVG) written into memory buffers.  Model and
 * analysis results in, bytes out; render/ never queries the store.
 *
 * Charts use DejaVu Sans through fontconfig and the Okabe-Ito colour-blind
 * safe palette; every label is fitted so that none overlap, axes carry their
 * unit with an SI prefix chosen for the data (ns, us, ms, s; KiB, MiB ...),
 * and an empty or one-point series draws a clear "no data" state.  Text in
 * SVG output is drawn as glyph outlines, so user strings cannot inject
 * markup.
 *
 * Ownership: inputs are borrowed; the caller owns the output buffer.
 */
#ifndef BV_RENDER_H
#define BV_RENDER_H

#include "core/core.h"

/* The drawing code's revision, part of every chart's ETag: bump it when a
 * change to render/ changes pixels, so browsers and the server's chart
 * cache stop answering 304 or old bytes for the same data. */
#define RENDER_REVISION 3

enum chart_format { CHART_PNG = 0, CHART_SVG = 1 };

struct chart_opts {
    unsigned width, height; /* CSS pixels */
    double scale;           /* device pixels per CSS pixel: 1 or 2 (HiDPI) */
    enum chart_format format;
};

/* 900 x 400, scale 1, PNG. */
void chart_opts_default(struct chart_opts *o);
/* Checks sizes (16..4096 px) and scale (1..4); ERR_INVALID with a message. */
enum err chart_opts_check(const struct chart_opts *o, struct errbuf *eb);

/* A change point: index of the first point of the new segment. */
struct chart_change {
    size_t index;
    bool alert; /* an open alert: drawn as a marker, not just a line */
};

/*
 * A trend: the series in commit order (x = point time, or the point's
 * position when times are missing or all equal), whiskers from lower/upper
 * when present, segment means between change points, markers on change
 * points and alerts.  Title: the benchmark key and measure.
 */
enum err chart_trend_draw(const struct chart_opts *o, const struct series *s,
                          const struct chart_change *changes, size_t nchanges,
                          struct buf *out, struct errbuf *eb);

/*
 * Where chart_trend_draw(o, s, ...) puts each point, in CSS pixels from the
 * chart's top left: x[i], y[i] for i < s->npoints (caller's arrays), NAN
 * for a missing value or a chart that shows a no-data state.  For the
 * pages' tooltips.  ERR_INVALID for bad options.
 */
enum err chart_trend_points(const struct chart_opts *o, const struct series *s,
                            double *x, double *y, struct errbuf *eb);

/* A sparkline for tables: the values as one line, the last one dotted. */
enum err chart_sparkline_draw(const struct chart_opts *o, const double *v,
                              size_t n, struct buf *out, struct errbuf *eb);

/* ---- comparison, distribution, resources, scaling ----------------------- */

enum chart_verdict {
    CHART_UNCHANGED = 0,
    CHART_REGRESSED,
    CHART_IMPROVED,
    CHART_INCONCLUSIVE
};

/* One benchmark of a comparison: relative change head/base - 1 (0.05 is
 * +5%) and its 95% CI; NAN bounds draw the change alone. */
struct chart_cmp_row {
    const char *key;
    double change, ci_lo, ci_hi;
    enum chart_verdict verdict;
};

/* Rows sorted by |change| (largest first), intervals coloured by verdict,
 * a zero line and the band +-threshold (relative; 0 draws none). */
enum err chart_comparison_draw(const struct chart_opts *o, const char *title,
                               const struct chart_cmp_row *rows, size_t n,
                               double threshold, struct buf *out,
                               struct errbuf *eb);

/* The height (CSS px) at which n rows each get their full height under the
 * title and legend, with the axis below: short comparisons need no blank
 * space.  Rows without a finite change are not drawn and not counted. */
unsigned chart_comparison_height(const struct chart_cmp_row *rows, size_t n);

/* Base and head samples: a box plot each (median, quartiles, whiskers to
 * 1.5 IQR) with the raw points jittered deterministically beside it. */
enum err chart_distribution_draw(const struct chart_opts *o, const char *title,
                                 const char *unit, const double *base,
                                 size_t nbase, const double *head, size_t nhead,
                                 struct buf *out, struct errbuf *eb);

/* A run's resource samples over time: one panel per quantity that has
 * data (CPU %, RSS, disk read/write, GPU %, GPU memory) sharing the x axis;
 * the RSS panel adds its least-squares trend line. */
enum err chart_resources_draw(const struct chart_opts *o, const char *title,
                              const struct resource_sample *s, size_t n,
                              struct buf *out, struct errbuf *eb);

/* Log-log value against parameter with the fitted curve coef * f(n), f
 * named by cls as analysis writes it ("O(n log n)"; NULL or unknown: no
 * curve).  Points with param or value <= 0 are skipped. */
enum err chart_scaling_draw(const struct chart_opts *o, const char *title,
                            const char *unit, const double *param,
                            const double *value, size_t n, const char *cls,
                            double coef, struct buf *out, struct errbuf *eb);

/* ---- escaping, one function per output context (cgit's html.h) ---------- */

/* The hidden line that marks benchvault's pull-request comment, so a bot
 * finds and updates it instead of adding another (the server's Markdown
 * ends with it; the agent looks for it). */
#define COMMENT_MARKER "<!-- benchvault-comment -->"

/*
 * Each appends s, escaped for its context, to b (ERR_TOO_LARGE when b is
 * full).  Benchmark, branch and project names are user input: page code
 * never pastes a raw string into markup.
 *   text:    element content: & < > " ' as entities
 *   attr:    a double-quoted attribute value: as text, plus ` and =
 *   href:    a URL of ours (built from segment and query parts) in a
 *            double-quoted attribute: as text, but "=" and "`" stay
 *   segment: one URL path segment: everything but unreserved characters
 *            percent-encoded (so '/' and '?' cannot change the route)
 *   query:   a URL query value: likewise
 *   md:      Markdown inline text: punctuation that Markdown or HTML would
 *            interpret is backslash-escaped or entity-encoded (and "@", so a
 *            name cannot mention anyone); newlines become spaces, so a name
 *            cannot start a new block
 */
enum err page_esc_text(struct buf *b, const char *s);
enum err page_esc_attr(struct buf *b, const char *s);
enum err page_esc_href(struct buf *b, const char *s);
enum err page_esc_segment(struct buf *b, const char *s);
enum err page_esc_query(struct buf *b, const char *s);
enum err page_esc_md(struct buf *b, const char *s);
/* True for an absolute http(s) URL safe to put in href (no javascript:,
 * data:, or control characters). */
bool page_url_safe(const char *url);

/*
 * Releases cairo's and fontconfig's process-wide caches.  Call once at exit,
 * after the last chart (it lets leak checkers see a clean heap); charts may
 * not be drawn afterwards.
 */
void render_shutdown(void);

/*
 * Compresses in[0..len) (borrowed) into out (reset first) as one gzip
 * member (RFC 1952) at zlib level 1..9, for Content-Encoding: gzip.
 * ERR_TOO_LARGE past 2 GiB or out's bound; ERR_INTERNAL from zlib.
 */
enum err render_gzip(const void *in, size_t len, int level, struct buf *out,
                     struct errbuf *eb);

/* ---- helpers exposed for tests ------------------------------------------ */

/* "Nice" axis ticks covering [lo, hi] with at most max_ticks ticks:
 * step is 1, 2 or 5 times a power of ten; *first is the first tick. */
void chart_nice_ticks(double lo, double hi, unsigned max_ticks, double *first,
                      double *step, unsigned *count);

/* The display scale for values of a canonical unit whose magnitude is about
 * |v|: *div divides values, *label is the unit shown ("ms", "MiB", "k/s"). */
void chart_unit_scale(const char *unit, double v, double *div,
                      const char **label);

/* The charts' palette (render_int.h's), for the contrast test: each
 * colour's name, sRGB channels (0..1) and whether marks are drawn in it
 * (false: grid lines, bands and the background). */
struct chart_colour {
    const char *name;
    double r, g, b;
    bool mark;
};
size_t chart_palette(const struct chart_colour **out);

#endif /* BV_RENDER_H */
