/*
 * The HTML pages (server/route_pages.c, server/route_page_*.c) and their
 * small HTML writer (server/page_html.c).  Nothing outside server/ includes
 * this.  Pages write into rq->resp; every user string goes through one of
 * render/'s page_esc_* functions for its context.
 */
#ifndef BV_SERVER_PAGE_INT_H
#define BV_SERVER_PAGE_INT_H

#include "server/server_int.h"

/* Starts a page: doctype, head with title (escaped) and the stylesheet,
 * the header with links for project (NULL: none). */
void srv_page_begin(struct buf *b, const char *title, const char *project);
/* Closes main, body and html. */
void srv_page_end(struct buf *b);
/* Answers with the page in rq->resp: status, text/html; charset=utf-8. */
void srv_page_send(struct req *rq, unsigned status);
/* Answers with a whole HTML error page (404, 500 ...); detail is text. */
void srv_page_error(struct req *rq, unsigned status, const char *detail);
/*
 * Like srv_project_begin, but an unknown project is a 404 HTML page.
 * Returns a read connection (release it) or NULL after answering.
 */
struct store *srv_page_project_begin(struct req *rq,
                                     struct store_project *proj);
/* A value with its unit ("12.3 ms"); "–" when NAN. */
void srv_page_value(struct buf *b, double v, const char *unit);
/* An ISO time, or "–" for TIME_NONE. */
void srv_page_time(struct buf *b, int64_t ms);
/* <a href="/p/{project}{suffix}">text</a>; suffix is trusted markup-free
 * path text we built ourselves, text is escaped. */
void srv_page_link(struct buf *b, const char *project, const char *suffix,
                   const char *text);

void route_page_projects(struct req *rq);
void route_page_dashboard(struct req *rq);
void route_page_benchmark(struct req *rq);
void route_page_run(struct req *rq);
void route_page_alerts(struct req *rq);
void route_page_compare(struct req *rq);
void route_page_login(struct req *rq);
void route_page_alert_action(struct req *rq);

/* ---- triage from the alerts page (route_page_triage.c) ----------------- */

#define SRV_PAGE_CSRF_LEN (2 * HASH_SHA256_LEN + 1)
/* The request's write cookie (borrowed from MHD) when it holds a live
 * write token for project, else NULL. */
const char *srv_page_write_cookie(struct req *rq, struct store *st,
                                  const char *project);
/* The CSRF token the forms of a page seen with this cookie carry. */
void srv_page_csrf(const char *cookie, char out[SRV_PAGE_CSRF_LEN]);
void route_page_style(struct req *rq);

#endif /* BV_SERVER_PAGE_INT_H */
