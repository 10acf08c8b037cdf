/*
 * render/page.h: the HTML pages as pure writers.  Data in, bytes out: each
 * page_* writer takes plain structs (filled by service/ or by the caller
 * from the store), a link builder and a struct buf, and never queries the
 * store or sees a request.  The server answers with these bytes; the static
 * report (`benchvault report`) writes them into files.
 *
 * Links: a page names every other page and chart by its server path
 * ("/p/alpha-q/benchmarks/3", "/static/style.css"), built with
 * page_esc_segment/page_esc_query for its parts, and hands it to the link
 * builder, which writes the href.  The server's builder writes the path as
 * it is; the report's maps it to a relative file.  So the report and the
 * live pages are the same bytes apart from links.
 *
 * Every user string goes through one of render.h's page_esc_* functions
 * for its context.  Appends are bounded: a writer stops at the first failed
 * append and returns its error (ERR_TOO_LARGE), and a caller that gets one
 * must not send the partial page.
 *
 * Ownership: everything passed in is borrowed; the caller owns out.
 */
#ifndef BV_RENDER_PAGE_H
#define BV_RENDER_PAGE_H

#include "core/core.h"

struct page_links;

/* Appends to b the href of path, escaped for a double-quoted attribute. */
typedef enum err (*page_href_fn)(const struct page_links *l, struct buf *b,
                                 const char *path);

/* How pages link: href (NULL: the path as it is, page_esc_attr'd) and its
 * context; live is false for the static report, whose pages leave out what
 * needs a live server (forms, search, triage, the compare page). */
struct page_links {
    page_href_fn href;
    void *ctx;
    bool live;
};

/* The server's links: absolute paths, live. */
extern const struct page_links page_links_server;

/* Appends the href of path through l (see struct page_links). */
enum err page_href(const struct page_links *l, struct buf *b, const char *path);
/* <a href="/p/{project}{suffix}">text</a>: suffix is markup-free path text
 * we built ourselves ("", "/alerts", "/runs/7"); text is escaped. */
enum err page_link(const struct page_links *l, struct buf *b,
                   const char *project, const char *suffix, const char *text);

/* Starts a page: resets b, then doctype, head with the title (escaped) and
 * the stylesheet, the header with the project's links (project NULL:
 * none; the compare link only when l->live). */
enum err page_begin(const struct page_links *l, struct buf *b,
                    const char *title, const char *project);
/* Closes main, body and html. */
enum err page_end(struct buf *b);
/* True when b holds a whole page (it ends as page_end ends it). */
bool page_complete(const struct buf *b);
/* A whole error page into b: "<status> <reason>" and detail as text. */
enum err page_error(const struct page_links *l, struct buf *b, unsigned status,
                    const char *reason, const char *detail);

/* A value with its unit as the charts scale it ("12.3 ms"); "–" for NAN. */
enum err page_value(struct buf *b, double v, const char *unit);
/* An ISO time, or "–" for TIME_NONE. */
enum err page_time(struct buf *b, int64_t ms);
/* A relative change as tables show it ("+5.0%"); "–" for NAN. */
enum err page_percent(struct buf *b, double change);
/* A commit as tables show it: a full hex sha as its first 12 digits (git's
 * short form), in abbrev; anything else (and NULL) as it is. */
const char *page_short_sha(const char *sha, char abbrev[13]);

/* ---- the projects index ------------------------------------------------- */

struct page_project {
    const char *slug, *description; /* description may be NULL */
    int64_t run_count;
    int64_t last_run_at; /* ms, or TIME_NONE */
};

/* "/": every project of p[0..n) with its runs and last run. */
enum err page_projects_write(const struct page_links *l,
                             const struct page_project *p, size_t n,
                             struct buf *out);

/* ---- a project's dashboard ---------------------------------------------- */

/* An open or acknowledged alert as the dashboard lists it. */
struct page_dash_alert {
    int64_t benchmark_id;
    const char *benchmark, *measure, *branch;
    double change;                /* NAN: unknown */
    const char *first_bad_commit; /* may be NULL */
};

/* The states of a dashboard row (service's enum svc_dash_state, as text
 * and class). */
enum page_dash_state {
    PAGE_DASH_NONE = 0, /* nothing to say */
    PAGE_DASH_BETTER,   /* shown in the "good" class */
    PAGE_DASH_BAD       /* suspected, alert, known ...: the "bad" class */
};

struct page_dash_row {
    int64_t bench_id;
    const char *key, *measure, *unit;
    double last, change, cv;      /* NAN: unknown */
    size_t tail;                  /* runs in the latest level */
    bool since_alert;             /* change is since first_bad_commit */
    const char *first_bad_commit; /* may be NULL */
    enum page_dash_state state;
    const char *state_text;
};

struct page_dash_branch {
    const char *name;
    int64_t run_count;
    int64_t latest_run_id; /* 0: none */
    const char *latest_commit;
    int64_t latest_at;
};

/* One sort of the dashboard: its name in the URL and its label. */
struct page_dash_sort {
    const char *name, *label;
};

struct page_dashboard {
    const char *slug, *description;
    /* Open alerts (alerts_ok false: they could not be read). */
    const struct page_dash_alert *open;
    size_t nopen;
    bool open_ok;
    /* Acknowledged, unresolved alerts (shown only when there are some). */
    const struct page_dash_alert *known;
    size_t nknown;
    bool known_ok;
    const struct page_dash_branch *branches;
    size_t nbranches;
    /* Every ranked row, sorted; the page shows rows_per_page of them. */
    const struct page_dash_row *rows;
    size_t nrows;
    size_t rows_per_page;
    size_t page;   /* 0-based, < the number of pages */
    const char *q; /* the search (may be NULL) */
    const struct page_dash_sort *sorts;
    size_t nsorts, sort; /* the current sort: sorts[sort] */
};

/* "/p/{slug}": alerts, branches and the ranked benchmarks. */
enum err page_dashboard_write(const struct page_links *l,
                              const struct page_dashboard *d, struct buf *out);

#endif /* BV_RENDER_PAGE_H */
