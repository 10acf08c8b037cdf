/*
 * The HTML pages (server/route_pages.c, server/route_page_*.c) and their
 * small HTML writer (server/page_html.c).  Nothing outside server/ includes
 * this.  Pages write into rq->resp; every user string goes through one of
 * render/'s page_esc_* functions for its context.
 *
 * Static mode: a request with the header "X-Benchvault-Static: 1" (sent by
 * `benchvault report`'s crawler, cli/cmd_report.c) asks for the page as the
 * static report saves it: no <form>, since nothing answers a form from
 * file://.  Choices a form would make become plain links the crawler
 * follows (the benchmark page's branch and testbed); what needs the live
 * server (search, triage, compare) is left out with a short note.  The
 * header only ever removes things, so any client may send it.
 */
#ifndef BV_SERVER_PAGE_INT_H
#define BV_SERVER_PAGE_INT_H

#include "server/server_int.h"

/* Starts a page: doctype, head with title (escaped) and the stylesheet,
 * the header with links for project (NULL: none). */
void srv_page_begin(struct buf *b, const char *title, const char *project);
/* The request header that asks for static mode, and its one value. */
#define SRV_PAGE_STATIC_HEADER "X-Benchvault-Static"
/* True when rq asks for the static rendering (see above). */
bool srv_page_static(struct req *rq);
/* srv_page_begin into rq->resp for rq's mode: in static mode the header
 * leaves out the link to the compare page, which needs a live server. */
void srv_page_begin_for(struct req *rq, const char *title, const char *project);
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
/* A commit as tables show it: a full hex sha as its first 12 digits (git's
 * short form; the run page has the whole), into abbrev; anything else (and
 * NULL) as it is. */
const char *srv_page_short_sha(const char *sha, char abbrev[13]);
/* <a href="/p/{project}{suffix}">text</a>; suffix is trusted markup-free
 * path text we built ourselves, text is escaped. */
void srv_page_link(struct buf *b, const char *project, const char *suffix,
                   const char *text);

/* ---- comparisons and alerts on pages (page_advice.c) ------------------ */

/* A comparison: the verdict line, its sides, the chart, the rows (all, or
 * only the changed ones with a link to every row when live), budgets and
 * recommendations (without those from resource samples unless resources:
 * the run page shows them beside its resources chart). */
void srv_page_comparison(struct buf *b, const char *slug,
                         const struct svc_compare *c, bool all_rows,
                         bool live, bool resources);
/* Recommendations for the open and acknowledged alerts of a[0..n). */
void srv_page_alert_advice(struct buf *b, const char *slug,
                           const struct store_alert *a, size_t n);
/* A series' run-to-run noise (its last 20 runs) and, when it is too noisy
 * for the default threshold, the advice. */
void srv_page_series_noise(struct buf *b, const struct series *s);
/* When the benchmark (family name and params) belongs to a family whose
 * members carry the same one numeric parameter with at least 3 distinct
 * values: the scaling chart, the fit and any advice. */
void srv_page_scaling(struct buf *b, struct store *st,
                      const struct store_project *proj, const char *family,
                      const char *params, const char *measure);

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
void route_page_script(struct req *rq);

#endif /* BV_SERVER_PAGE_INT_H */
