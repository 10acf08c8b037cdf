/*
 * A project's alerts page, and the sign-in and sign-out forms it and the
 * sign-in page show.  Design notes:
 *  1. Triage forms (acknowledge, dismiss with a note, reopen) appear once
 *     the browser's session holds a write token; each carries the
 *     session's CSRF token.  The session and cookie design is the
 *     server's (server/route_page_triage.c): this file gets the values.
 *  2. Without a live server (links->live false) the page is read-only,
 *     with a note that triage needs the server.
 *  3. The page ends with a recommendation per open or acknowledged alert,
 *     worded by analysis/ (service/ hands it in), with a link to the
 *     series' history.
 */
#include "render/html_int.h"

#include <stdio.h>
#include <string.h>

enum err page_signin_form(const struct page_links *l, struct buf *b,
                          const char *project, const char *csrf,
                          const char *next)
{
    struct page_w w = {b, ERR_OK};
    struct buf path;

    if (!csrf)
        return buf_adds(b, "<p class=\"bad\">Signing in is unavailable: no "
                           "random bytes from the OS.</p>\n");
    buf_init(&path, 0);
    if (project) {
        struct page_w p = {&path, ERR_OK};

        page_wadds(&p, "/p/");
        page_wseg(&p, project);
        page_wadds(&p, "/alerts/login");
        w.e = p.e;
    } else {
        w.e = buf_adds(&path, "/signin");
    }
    page_wadds(&w, "<form method=\"post\" class=\"signin\" action=\"");
    page_whref(&w, l, buf_str(&path));
    page_wadds(&w, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
    page_wattr(&w, csrf);
    page_wadds(&w, "\">");
    if (!project) {
        page_wadds(&w, "<input type=\"hidden\" name=\"next\" value=\"");
        page_wattr(&w, next ? next : "/");
        page_wadds(&w, "\">");
    }
    page_wadds(&w, project ? "<label>Write token " : "<label>Token ");
    page_wadds(&w, "<input type=\"password\" name=\"token\" "
                   "autocomplete=\"off\" required></label> <button "
                   "type=\"submit\">");
    page_wadds(&w, project ? "Sign in to triage" : "Sign in");
    page_wadds(&w, "</button></form>\n");
    buf_cleanup(&path);
    return w.e;
}

enum err page_signout_form(const struct page_links *l, struct buf *b,
                           const char *csrf)
{
    struct page_w w = {b, ERR_OK};

    page_wadds(&w, "<form method=\"post\" class=\"signout\" action=\"");
    page_whref(&w, l, "/signout");
    page_wadds(&w, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
    page_wattr(&w, csrf);
    page_wadds(&w, "\"><button type=\"submit\">Sign out</button></form>\n");
    return w.e;
}

/* One form per action on alert a; each carries the CSRF token. */
static void triage_forms(struct page_w *w, const struct page_links *l,
                         const char *slug, const struct page_alert *a,
                         const char *csrf)
{
    static const struct {
        const char *status, *label;
        bool note;
    } acts[] = {
        {"acknowledged", "Acknowledge", false},
        {"dismissed", "Dismiss", true},
        {"open", "Reopen", false},
    };
    struct buf path;
    struct page_w p = {&path, ERR_OK};

    buf_init(&path, 0);
    page_wadds(&p, "/p/");
    page_wseg(&p, slug);
    page_wprintf(&p, "/alerts/%lld", (long long)a->id);
    if (!w->e)
        w->e = p.e;
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
        if (a->status && strcmp(a->status, acts[k].status) == 0)
            continue;
        page_wadds(w, "<form class=\"inline\" method=\"post\" action=\"");
        page_whref(w, l, buf_str(&path));
        page_wadds(w, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
        page_wattr(w, csrf);
        page_wadds(w, "\"><input type=\"hidden\" name=\"status\" value=\"");
        page_wattr(w, acts[k].status);
        page_wadds(w, "\">");
        if (acts[k].note)
            page_wadds(w, "<input type=\"text\" name=\"note\" required "
                          "placeholder=\"why\" aria-label=\"note\">");
        page_wadds(w, "<button type=\"submit\">");
        page_wtext(w, acts[k].label);
        page_wadds(w, "</button></form> ");
    }
    buf_cleanup(&path);
}

/* A link to a run named by its commit (short form), or "run". */
static void run_link(struct page_w *w, const struct page_links *l,
                     const char *slug, int64_t run_id, const char *commit)
{
    char sfx[48], abbrev[13];
    const char *text = page_short_sha(commit, abbrev);

    snprintf(sfx, sizeof sfx, "/runs/%lld", (long long)run_id);
    page_wlink(w, l, slug, sfx, text ? text : "run");
}

/* The benchmark page of an alert's series (note 3). */
static void series_link(struct page_w *w, const struct page_links *l,
                        const char *slug, const struct page_alert *a)
{
    struct buf path;
    struct page_w p = {&path, ERR_OK};

    buf_init(&path, 0);
    page_wadds(&p, "/p/");
    page_wseg(&p, slug);
    page_wprintf(&p, "/benchmarks/%lld?branch=", (long long)a->benchmark_id);
    page_wquery(&p, a->branch);
    page_wadds(&p, "&testbed=");
    page_wquery(&p, a->testbed);
    if (!w->e)
        w->e = p.e;
    page_wadds(w, " <a href=\"");
    page_whref_url(w, l, buf_str(&path));
    page_wadds(w, "\">history</a>");
    buf_cleanup(&path);
}

static void advice(struct page_w *w, const struct page_links *l,
                   const struct page_alerts *p)
{
    size_t shown = 0;

    for (size_t i = 0; i < p->n; i++) {
        const struct page_alert *a = &p->alerts[i];

        if (!a->advice)
            continue;
        if (!shown++)
            page_wadds(w, "<h2>Recommendations</h2>\n<ul class=\"advice\">\n");
        page_wprintf(w, "<li>Alert %lld: ", (long long)a->id);
        page_wtext(w, a->advice);
        series_link(w, l, p->slug, a);
        page_wadds(w, "</li>\n");
    }
    if (shown)
        page_wadds(w, "</ul>\n");
}

enum err page_alerts_write(const struct page_links *l,
                           const struct page_alerts *p, struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    bool triage = l->live && p->csrf;

    w.e = page_begin(l, out, "Alerts", p->slug);
    page_wadds(&w, "<h1>Alerts</h1>\n");
    if (!l->live) {
        page_wadds(&w, "<p class=\"muted\">A read-only copy: triage "
                       "(acknowledge, dismiss, reopen) needs the live server "
                       "(<code>benchvault serve</code>).</p>\n");
    } else if (!p->csrf) {
        if (!w.e)
            w.e = page_signin_form(l, out, p->slug, p->signin_csrf, NULL);
    } else if (!w.e) {
        w.e = page_signout_form(l, out, p->csrf);
    }
    if (p->n == 0) {
        page_wadds(&w, "<p class=\"muted\">No alerts.</p>\n");
    } else {
        page_wadds(&w, "<table>\n<thead><tr><th class=\"num\">Id</th><th>"
                       "Status</th><th>Benchmark</th><th>Measure</th><th>"
                       "Branch</th><th>Testbed</th><th class=\"num\">Before"
                       "</th><th class=\"num\">After</th><th class=\"num\">"
                       "Change</th><th>Commits</th><th>Since</th><th>Opened"
                       "</th><th>Note</th><th>Triage</th></tr></thead>\n"
                       "<tbody>\n");
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct page_alert *a = &p->alerts[i];
        char sfx[48];

        snprintf(sfx, sizeof sfx, "/benchmarks/%lld",
                 (long long)a->benchmark_id);
        page_wprintf(&w, "<tr><td class=\"num\">%lld</td><td>",
                     (long long)a->id);
        page_wtext(&w, a->status);
        page_wadds(&w, "</td><td>");
        page_wlink(&w, l, p->slug, sfx, a->benchmark);
        page_wadds(&w, "</td><td>");
        page_wtext(&w, a->measure);
        page_wadds(&w, "</td><td>");
        page_wtext(&w, a->branch);
        page_wadds(&w, "</td><td>");
        page_wtext(&w, a->testbed);
        page_wadds(&w, "</td><td class=\"num\">");
        page_wvalue(&w, a->before, a->unit);
        page_wadds(&w, "</td><td class=\"num\">");
        page_wvalue(&w, a->after, a->unit);
        page_wadds(&w, "</td><td class=\"num\">");
        page_wpercent(&w, a->change);
        page_wadds(&w, "</td><td><code>");
        if (a->last_good_run_id > 0) {
            run_link(&w, l, p->slug, a->last_good_run_id, a->last_good_commit);
            page_wadds(&w, "</code> … <code>");
        }
        if (a->first_bad_run_id > 0)
            run_link(&w, l, p->slug, a->first_bad_run_id, a->first_bad_commit);
        page_wadds(&w, "</code>");
        if (p->repo_url && a->last_good_commit && a->first_bad_commit) {
            page_wadds(&w, "<br><span class=\"small\">diff ");
            page_wcommit_range(&w, p->repo_url, a->last_good_commit,
                               a->first_bad_commit);
            page_wadds(&w, "</span>");
        }
        if (a->first_bad_message) { /* the first bad commit's subject */
            page_wadds(&w, " <span class=\"small\">");
            page_wtext(&w, a->first_bad_message);
            page_wadds(&w, "</span>");
        }
        page_wadds(&w, "</td><td>");
        page_wtime(&w, a->first_bad_at);
        page_wadds(&w, "</td><td>");
        page_wtime(&w, a->created_at);
        page_wadds(&w, "</td><td>");
        page_wtext(&w, a->note ? a->note : "");
        page_wadds(&w, "</td><td>");
        if (triage)
            triage_forms(&w, l, p->slug, a, p->csrf);
        page_wadds(&w, "</td></tr>\n");
    }
    if (p->n > 0)
        page_wadds(&w, "</tbody>\n</table>\n");
    advice(&w, l, p);
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}

/* ---- the sign-in pages -------------------------------------------------- */

enum err page_signin_write(const struct page_links *l, const char *detail,
                           const char *csrf, const char *next,
                           int64_t idle_minutes, struct buf *out)
{
    struct page_w w = {out, ERR_OK};
    int64_t idle = idle_minutes;

    w.e = page_begin(l, out, "Sign in", NULL);
    page_wadds(&w, "<h1>Sign in</h1>\n<p>");
    page_wtext(&w, detail);
    page_wadds(&w, "</p>\n");
    if (!w.e)
        w.e = page_signin_form(l, out, NULL, csrf, next);
    page_wprintf(&w,
                 "<p class=\"muted\">A read token lets you browse; a "
                 "write token also lets you triage alerts.  The token is "
                 "not kept in the browser: it holds a session, which ends "
                 "when you sign out, after %lld %s unused, or when the "
                 "token is revoked.</p>\n",
                 (long long)(idle % 60 ? idle : idle / 60),
                 idle % 60 ? "minutes" : "hours");
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}

enum err page_signed_in_write(const struct page_links *l, const char *scope,
                              const char *token_name, const char *project,
                              const char *csrf, struct buf *out)
{
    struct page_w w = {out, ERR_OK};

    w.e = page_begin(l, out, "Signed in", NULL);
    page_wadds(&w, "<h1>Signed in</h1>\n<p>With the ");
    page_wtext(&w, scope);
    page_wadds(&w, " token <code>");
    page_wtext(&w, token_name ? token_name : "");
    page_wadds(&w, "</code>, for ");
    if (project)
        page_wtext(&w, project);
    else
        page_wadds(&w, "every project");
    page_wadds(&w, ".</p>\n");
    if (!w.e)
        w.e = page_signout_form(l, out, csrf);
    page_wadds(&w, "<p><a href=\"");
    page_whref(&w, l, "/");
    page_wadds(&w, "\">All projects</a></p>\n");
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}

enum err page_continue_write(const struct page_links *l, const char *location,
                             struct buf *out)
{
    struct page_w w = {out, ERR_OK};

    w.e = page_begin(l, out, "Continue", NULL);
    page_wadds(&w, "<p><a href=\"");
    page_whref(&w, l, location);
    page_wadds(&w, "\">Continue</a></p>\n");
    if (!w.e)
        w.e = page_end(out);
    return w.e;
}
