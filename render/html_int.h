/*
 * Inside render/: a sticky writer for the HTML pages.  The first failed
 * append is kept and every later one is skipped, so a page is either whole
 * or reported as failed (a bounded struct buf never holds a page with a
 * piece missing in the middle).  Nothing outside render/ includes this.
 */
#ifndef BV_RENDER_HTML_INT_H
#define BV_RENDER_HTML_INT_H

#include "render/page.h"
#include "render/render.h"

struct page_w {
    struct buf *b; /* borrows */
    enum err e;    /* the first error, or ERR_OK */
};

/* Markup of ours, as it is. */
void page_wadds(struct page_w *w, const char *s);
void page_wprintf(struct page_w *w, const char *fmt, ...) CORE_PRINTF(2, 3);
/* A user string escaped for element text, an attribute value, a URL path
 * segment or a query value (render.h's page_esc_*). */
void page_wtext(struct page_w *w, const char *s);
void page_wattr(struct page_w *w, const char *s);
void page_wseg(struct page_w *w, const char *s);
void page_wquery(struct page_w *w, const char *s);
/* page_href, page_link, page_value, page_time, page_percent through w. */
void page_whref(struct page_w *w, const struct page_links *l, const char *path);
void page_whref_url(struct page_w *w, const struct page_links *l,
                    const char *path);
void page_wlink(struct page_w *w, const struct page_links *l,
                const char *project, const char *suffix, const char *text);
void page_wvalue(struct page_w *w, double v, const char *unit);
void page_wtime(struct page_w *w, int64_t ms);
void page_wpercent(struct page_w *w, double change);
void page_wcommit(struct page_w *w, const char *repo, const char *sha);
void page_wcommit_range(struct page_w *w, const char *repo, const char *a,
                        const char *b);

/* The table of what is worse now (page_regressions.c): every row of p, or
 * brief (the dashboard's head) without the commit columns. */
void page_regressions_table(struct page_w *w, const struct page_links *l,
                            const struct page_regressions *p, bool brief);

#endif /* BV_RENDER_HTML_INT_H */
