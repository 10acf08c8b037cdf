/*
 * The routes of the HTML pages (server/route_pages.c, route_page_*.c) and
 * their glue (server/page_html.c).  Nothing outside server/ includes this.
 * A route gathers its page's data through service/ (service/pages.c) and
 * has render/page.h's writer put the page into rq->resp; the markup and
 * its escaping are render/'s, the requests, sessions and cookies ours.
 *
 * Static mode: a request with the header "X-Benchvault-Static: 1" asks for
 * the page as the static report (`benchvault report`, cli/cmd_report.c,
 * which calls service/ and render/ itself, no server) writes it: no
 * <form>, since nothing answers a form from file://.  Choices a form would
 * make become plain links (the benchmark page's branch and testbed); what
 * needs the live server (search, triage, the compare form) is left out
 * with a short note.  The header only ever removes things, so any client
 * may send it; tests compare these pages with the report's files.  It
 * selects the link builder with live = false (srv_page_links).
 */
#ifndef BV_SERVER_PAGE_INT_H
#define BV_SERVER_PAGE_INT_H

#include "render/page.h"
#include "server/server_int.h"

/* The request header that asks for static mode, and its one value. */
#define SRV_PAGE_STATIC_HEADER "X-Benchvault-Static"
/* The link builder for rq's pages: the server's (page.h), or in static
 * mode the same paths without what needs a live server. */
const struct page_links *srv_page_links(struct req *rq);
/* Answers with the page a render/ writer left in rq->resp (200), or with a
 * 500 page when it returned e (a page too large for the buffer). */
void srv_page_answer(struct req *rq, enum err e);
/* Answers with the page in rq->resp: status, text/html; charset=utf-8
 * (a 500 page when it is not whole). */
void srv_page_send(struct req *rq, unsigned status);
/* Answers with a whole HTML error page (404, 500 ...); detail is text. */
void srv_page_error(struct req *rq, unsigned status, const char *detail);
/*
 * Like srv_project_begin, but an unknown project is a 404 HTML page.
 * Returns a read connection (release it) or NULL after answering.
 */
struct store *srv_page_project_begin(struct req *rq,
                                     struct store_project *proj);

void route_page_projects(struct req *rq);
void route_page_dashboard(struct req *rq);
void route_page_benchmark(struct req *rq);
void route_page_run(struct req *rq);
void route_page_alerts(struct req *rq);
void route_page_compare(struct req *rq);
void route_page_runs(struct req *rq);
/* what is worse now (route_regressions.c) */
void route_page_regressions(struct req *rq);
void route_page_regressions_atom(struct req *rq);
void route_page_login(struct req *rq);
void route_page_alert_action(struct req *rq);

/* ---- sign-in, sessions and triage (auth.c, route_page_triage.c) -------- */

/* The cookies: the session id, and the sign-in form's CSRF value. */
#define SRV_SESSION_COOKIE "bv_session"
#define SRV_SIGNIN_COOKIE "bv_signin"
#define SRV_PAGE_CSRF_LEN (2 * HASH_SHA256_LEN + 1)

/* The configured session limits in milliseconds (defaults for 0). */
int64_t srv_session_idle_ms(const struct srv *s);
int64_t srv_session_max_ms(const struct srv *s);
/* A request cookie (borrowed from MHD), or NULL. */
const char *srv_cookie(struct req *rq, const char *name);
/*
 * The request's live session: returns its id (the cookie, borrowed from
 * MHD) and fills *out (store_session_cleanup it, also when NULL is
 * returned), or NULL when there is none.  Moves the idle expiry.
 */
const char *srv_session_get(struct req *rq, struct store *st,
                            struct store_session *out);
/* True when the browser reached us over https (auth.c, note 4). */
bool srv_request_secure(struct req *rq);
/* True unless Origin (or, without it, Referer) names another host than
 * this server's: a form POST from another site. */
bool srv_origin_ok(struct req *rq);

/* The session id (borrowed from MHD) when the request's live session has a
 * write token for project, else NULL. */
const char *srv_page_write_cookie(struct req *rq, struct store *st,
                                  const char *project);
/* The CSRF token the forms of a page seen in this session carry. */
void srv_page_csrf(const char *session_id, char out[SRV_PAGE_CSRF_LEN]);
/* The sign-in form's CSRF value (double submit): the browser's
 * SRV_SIGNIN_COOKIE when well-formed, else a fresh one in fresh, set as
 * that cookie here; NULL when the OS gave no random bytes. */
#define SRV_SIGNIN_VALUE_LEN 65
const char *srv_page_signin_value(struct req *rq,
                                  char fresh[SRV_SIGNIN_VALUE_LEN]);
/* The whole sign-in page (status 401 for a refused page, 200 for
 * GET /signin), returning to the page asked for.  detail is text. */
void srv_page_signin(struct req *rq, unsigned status, const char *detail);
void route_page_signin_get(struct req *rq);
void route_page_signin(struct req *rq);
void route_page_signout(struct req *rq);
void route_page_style(struct req *rq);
void route_page_script(struct req *rq);

#endif /* BV_SERVER_PAGE_INT_H */
