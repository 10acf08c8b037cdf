/*
 * The pages' common parts: head and foot, error pages, links through the
 * link builder, value formatting, and the sticky writer (html_int.h).
 * Design notes:
 *  1. Only literal markup of ours is added raw; every user string goes
 *     through page_esc_text/attr/segment/query (escape.c).
 *  2. A link is the server path of its target, handed to the link builder
 *     (page.h): the server's writes it as it is, the static report's maps
 *     it to a relative file.  Paths are built from percent-encoded parts,
 *     so escaping the whole for the attribute changes only "&" and "=".
 *  3. Nothing here draws, and the pages link no cairo (the render_text
 *     library): values use core's unit_scale, the charts' SI scaling, so
 *     a table and its chart say "12.3 ms" alike.
 *  4. Links out of benchvault are few: a run's CI job and, when the
 *     project set its repository (schema 0007), commits and commit ranges
 *     on the repository's own pages.  Both are http(s) URLs checked by
 *     page_url_safe, and a sha goes into the path only when it is hex.
 */
#include "render/html_int.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

static enum err href_server(const struct page_links *l, struct buf *b,
                            const char *path, enum page_href_esc esc)
{
    (void)l;
    return esc == PAGE_HREF_URL ? page_esc_href(b, path)
                                : page_esc_attr(b, path);
}

const struct page_links page_links_server = {href_server, NULL, true};

/* ---- the sticky writer -------------------------------------------------- */

void page_wadds(struct page_w *w, const char *s)
{
    if (!w->e)
        w->e = buf_adds(w->b, s);
}

void page_wprintf(struct page_w *w, const char *fmt, ...)
{
    va_list ap;

    if (w->e)
        return;
    va_start(ap, fmt);
    w->e = buf_vprintf(w->b, fmt, ap);
    va_end(ap);
}

void page_wtext(struct page_w *w, const char *s)
{
    if (!w->e)
        w->e = page_esc_text(w->b, s);
}

void page_wattr(struct page_w *w, const char *s)
{
    if (!w->e)
        w->e = page_esc_attr(w->b, s);
}

void page_wseg(struct page_w *w, const char *s)
{
    if (!w->e)
        w->e = page_esc_segment(w->b, s);
}

void page_wquery(struct page_w *w, const char *s)
{
    if (!w->e)
        w->e = page_esc_query(w->b, s);
}

void page_whref(struct page_w *w, const struct page_links *l, const char *path)
{
    if (!w->e)
        w->e = page_href(l, w->b, path);
}

void page_whref_url(struct page_w *w, const struct page_links *l,
                    const char *path)
{
    if (!w->e)
        w->e = page_href_url(l, w->b, path);
}

void page_wlink(struct page_w *w, const struct page_links *l,
                const char *project, const char *suffix, const char *text)
{
    if (!w->e)
        w->e = page_link(l, w->b, project, suffix, text);
}

void page_wvalue(struct page_w *w, double v, const char *unit)
{
    if (!w->e)
        w->e = page_value(w->b, v, unit);
}

void page_wtime(struct page_w *w, int64_t ms)
{
    if (!w->e)
        w->e = page_time(w->b, ms);
}

void page_wpercent(struct page_w *w, double change)
{
    if (!w->e)
        w->e = page_percent(w->b, change);
}

void page_wcommit(struct page_w *w, const char *repo, const char *sha)
{
    if (!w->e)
        w->e = page_commit(w->b, repo, sha);
}

void page_wcommit_range(struct page_w *w, const char *repo, const char *a,
                        const char *b)
{
    if (!w->e)
        w->e = page_commit_range(w->b, repo, a, b);
}

/* ---- links -------------------------------------------------------------- */

/* Note 4: a commit links into the repository only when both are usable:
 * the URL the project set (checked again here) and a sha of git's form. */
static bool repo_link_ok(const char *repo, const char *sha)
{
    size_t n = sha ? strlen(sha) : 0;

    return repo && page_url_safe(repo) && n >= 4 && n <= 64 &&
           strspn(sha, "0123456789abcdefABCDEF") == n;
}

static void commit_text(struct page_w *w, const char *sha)
{
    char abbrev[13];
    const char *s = page_short_sha(sha, abbrev);

    page_wadds(w, "<code>");
    page_wtext(w, s ? s : "?");
    page_wadds(w, "</code>");
}

enum err page_commit(struct buf *b, const char *repo, const char *sha)
{
    struct page_w w = {b, ERR_OK};

    if (!repo_link_ok(repo, sha)) {
        commit_text(&w, sha);
        return w.e;
    }
    page_wadds(&w, "<a rel=\"nofollow noopener\" href=\"");
    page_wattr(&w, repo);
    page_wadds(&w, "/commit/");
    page_wseg(&w, sha);
    page_wadds(&w, "\">");
    commit_text(&w, sha);
    page_wadds(&w, "</a>");
    return w.e;
}

enum err page_commit_range(struct buf *b, const char *repo, const char *a,
                           const char *b_sha)
{
    struct page_w w = {b, ERR_OK};
    bool link = repo_link_ok(repo, a) && repo_link_ok(repo, b_sha);

    if (link) {
        page_wadds(&w, "<a rel=\"nofollow noopener\" href=\"");
        page_wattr(&w, repo);
        page_wadds(&w, "/compare/");
        page_wseg(&w, a);
        page_wadds(&w, "...");
        page_wseg(&w, b_sha);
        page_wadds(&w, "\">");
    }
    commit_text(&w, a);
    page_wadds(&w, "..");
    commit_text(&w, b_sha);
    if (link)
        page_wadds(&w, "</a>");
    return w.e;
}

enum err page_href(const struct page_links *l, struct buf *b, const char *path)
{
    assert(l && path && path[0] == '/');
    return (l->href ? l->href : href_server)(l, b, path, PAGE_HREF_ATTR);
}

enum err page_href_url(const struct page_links *l, struct buf *b,
                       const char *path)
{
    assert(l && path && path[0] == '/');
    return (l->href ? l->href : href_server)(l, b, path, PAGE_HREF_URL);
}

enum err page_link(const struct page_links *l, struct buf *b,
                   const char *project, const char *suffix, const char *text)
{
    struct buf path;
    struct page_w w = {b, ERR_OK};
    enum err e;

    buf_init(&path, 0);
    e = buf_adds(&path, "/p/");
    if (!e)
        e = page_esc_segment(&path, project);
    if (!e)
        e = buf_adds(&path, suffix);
    if (e) {
        buf_cleanup(&path);
        return e;
    }
    page_wadds(&w, "<a href=\"");
    page_whref(&w, l, buf_str(&path));
    page_wadds(&w, "\">");
    page_wtext(&w, text);
    page_wadds(&w, "</a>");
    buf_cleanup(&path);
    return w.e;
}

/* ---- head, foot, error page --------------------------------------------- */

enum err page_begin(const struct page_links *l, struct buf *b,
                    const char *title, const char *project)
{
    struct page_w w = {b, ERR_OK};

    buf_reset(b);
    page_wadds(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                   "<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\">\n<title>");
    page_wtext(&w, title);
    page_wadds(&w, " – benchvault</title>\n<link rel=\"stylesheet\" href=\"");
    page_whref(&w, l, "/static/style.css");
    /* An empty icon: browsers ask for /favicon.ico otherwise. */
    page_wadds(&w, "\">\n<link rel=\"icon\" href=\"data:,\">\n"
                   "</head>\n<body>\n<header><a href=\"");
    page_whref(&w, l, "/");
    page_wadds(&w, "\">benchvault</a>");
    if (project) {
        page_wadds(&w, "<nav>");
        page_wlink(&w, l, project, "", project);
        page_wlink(&w, l, project, "/regressions", "worse now");
        page_wlink(&w, l, project, "/runs", "runs");
        page_wlink(&w, l, project, "/alerts", "alerts");
        if (l->live)
            page_wlink(&w, l, project, "/compare", "compare");
        page_wadds(&w, "</nav>");
    }
    page_wadds(&w, "</header>\n<main>\n");
    return w.e;
}

static const char page_tail[] =
    "</main>\n<footer>benchvault</footer>\n</body>\n</html>\n";

enum err page_end(struct buf *b)
{
    return buf_adds(b, page_tail);
}

bool page_complete(const struct buf *b)
{
    size_t n = sizeof page_tail - 1;

    return b->len >= n && memcmp(b->data + b->len - n, page_tail, n) == 0;
}

enum err page_error(const struct page_links *l, struct buf *b, unsigned status,
                    const char *reason, const char *detail)
{
    struct page_w w = {b, ERR_OK};

    w.e = page_begin(l, b, reason, NULL);
    page_wprintf(&w, "<h1>%u ", status);
    page_wtext(&w, reason);
    page_wadds(&w, "</h1>\n<p>");
    page_wtext(&w, detail);
    page_wadds(&w, "</p>\n<p><a href=\"");
    page_whref(&w, l, "/");
    page_wadds(&w, "\">All projects</a></p>\n");
    if (!w.e)
        w.e = page_end(b);
    return w.e;
}

/* ---- values ------------------------------------------------------------- */

enum err page_value(struct buf *b, double v, const char *unit)
{
    double div = 1;
    const char *label = NULL;
    enum err e;

    if (isnan(v))
        return buf_adds(b, "–");
    if (!unit || !*unit)
        return buf_printf(b, "%.4g", v);
    unit_scale(unit, v, &div, &label);
    e = buf_printf(b, "%.4g ", div != 0 ? v / div : v);
    if (!e)
        e = page_esc_text(b, label ? label : unit);
    return e;
}

enum err page_time(struct buf *b, int64_t ms)
{
    char t[TIME_ISO_LEN];

    if (ms == TIME_NONE)
        return buf_adds(b, "–");
    time_format_iso(ms, t);
    return page_esc_text(b, t);
}

enum err page_percent(struct buf *b, double change)
{
    if (isnan(change))
        return buf_adds(b, "–");
    return buf_printf(b, "%+.1f%%", change * 100);
}

const char *page_short_sha(const char *sha, char abbrev[13])
{
    size_t n = sha ? strlen(sha) : 0;

    if (n <= 12 || strspn(sha, "0123456789abcdefABCDEF") != n)
        return sha;
    memcpy(abbrev, sha, 12);
    abbrev[12] = '\0';
    return abbrev;
}
