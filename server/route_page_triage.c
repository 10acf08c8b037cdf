/*
 * Sign-in, sign-out and alert triage from the HTML pages, without
 * JavaScript.  Design notes:
 *  1. A token is entered once, in a form (POST /signin, or the alerts
 *     page's POST /p/{p}/alerts/login, which wants a write token for that
 *     project), and becomes a server-side session (store_session.c): the
 *     cookie "bv_session" carries a random id, never the token.  It is
 *     HttpOnly (scripts cannot read it), SameSite=Strict (other sites'
 *     requests do not carry it), Path=/, Max-Age the session's absolute
 *     limit, and Secure when the browser came over https (auth.c, note 4).
 *     Every sign-in makes a new id (no fixation) and ends the browser's old
 *     session.  The session acts with its token's scope and project as they
 *     are now; a revoked token ends it at once (auth.c, note 1).
 *  2. CSRF on the sign-in form, which has no session yet: double submit.
 *     The page that shows the form sets the cookie "bv_signin" (32 random
 *     bytes, HttpOnly, SameSite=Strict) and puts the same value in the
 *     form; the POST must bring both, equal.  A form on another site can
 *     send neither (SameSite), so it cannot sign a browser in, not even
 *     with the attacker's own token.  Origin (or Referer) naming another
 *     host is refused before anything else, on every form POST here.
 *  3. CSRF on the forms of a session (triage, sign-out): each carries
 *     hex(HMAC-SHA256(session id, "benchvault form")).  Only the holder of
 *     the id can make it; it needs no state and survives a restart; the
 *     database holds only SHA-256 of the id, from which it cannot be made.
 *  4. An action does what PATCH /api/v1/alerts/{id} does (route_alerts.c,
 *     its note 2): the alert must belong to the session's project (another
 *     project's alert is "no such alert", as a missing one), then one
 *     read-write transaction with store_alert_update; the store validates
 *     the status and the note rule (a dismissal needs a note).
 */
#include "server/page_int.h"

#include "render/render.h"

#include <assert.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FORM_VALUE_MAX 4096
#define SIGNIN_BYTES 32
_Static_assert(SRV_SIGNIN_VALUE_LEN == 2 * SIGNIN_BYTES + 1,
               "the sign-in value is SIGNIN_BYTES in hex");
#define NEXT_MAX 2048

/* HMAC-SHA256 (RFC 2104) over core's SHA-256, for a key of at most the
 * 64-byte block (used padded, never hashed). */
static void hmac_sha256(const char *key, const char *msg,
                        unsigned char out[HASH_SHA256_LEN])
{
    unsigned char pad[64];
    unsigned char inner[HASH_SHA256_LEN];
    size_t klen = strlen(key);
    struct buf b;

    assert(klen <= sizeof pad);
    buf_init(&b, 0);
    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < klen; i++)
        pad[i] ^= (unsigned char)key[i];
    buf_add(&b, pad, sizeof pad);
    buf_adds(&b, msg);
    hash_sha256(b.data, b.len, inner);
    buf_reset(&b);
    memset(pad, 0x5c, sizeof pad);
    for (size_t i = 0; i < klen; i++)
        pad[i] ^= (unsigned char)key[i];
    buf_add(&b, pad, sizeof pad);
    buf_add(&b, inner, sizeof inner);
    hash_sha256(b.data, b.len, out);
    buf_cleanup(&b);
}

void srv_page_csrf(const char *session_id, char out[SRV_PAGE_CSRF_LEN])
{
    unsigned char mac[HASH_SHA256_LEN];

    /* Note 3.  A session id is 64 hex digits: the block size at most. */
    hmac_sha256(session_id, "benchvault form", mac);
    hash_hex(mac, sizeof mac, out);
}

/* Whether a form's CSRF value equals want (both 64 hex digits), in
 * constant time. */
static bool csrf_equal(const char *got, const char *want)
{
    return got && want && strlen(got) == SRV_PAGE_CSRF_LEN - 1 &&
           strlen(want) == SRV_PAGE_CSRF_LEN - 1 &&
           hash_equal((const unsigned char *)got, (const unsigned char *)want,
                      SRV_PAGE_CSRF_LEN - 1);
}

const char *srv_page_write_cookie(struct req *rq, struct store *st,
                                  const char *project)
{
    struct store_session s;
    const char *sid = srv_session_get(rq, st, &s);

    if (sid && !(s.token.scope >= SCOPE_WRITE &&
                 (!s.token.project || !strcmp(s.token.project, project))))
        sid = NULL;
    store_session_cleanup(&s);
    return sid;
}

/* "; Secure" for a browser that came over https (note 1). */
static const char *cookie_secure(struct req *rq)
{
    return srv_request_secure(rq) ? "; Secure" : "";
}

static void set_cookie(struct req *rq, struct buf *c)
{
    free(rq->set_cookie);
    rq->set_cookie = buf_take(c);
}

/* next when it is a path of this server ("/..." but not "//host" or
 * "/\host", which browsers read as another host), else "/".  Our own
 * targets are percent-encoded (request_target), so anything but visible
 * ASCII (a space, a control, a byte of another encoding) is not one. */
static const char *local_next(const char *next)
{
    if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
        strlen(next) > NEXT_MAX)
        return "/";
    for (const char *p = next; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
            *p == '\\')
            return "/";
    return next;
}

const char *srv_page_signin_value(struct req *rq,
                                  char fresh[SRV_SIGNIN_VALUE_LEN])
{
    const char *have = srv_cookie(rq, SRV_SIGNIN_COOKIE);
    unsigned char raw[SIGNIN_BYTES];
    struct buf c;

    /* Note 2: the browser's value when it has a well-formed one, so that
     * two open pages keep working; else a new one. */
    if (have && strlen(have) == 2 * SIGNIN_BYTES &&
        strspn(have, "0123456789abcdef") == 2 * SIGNIN_BYTES)
        return have;
    if (rand_bytes(raw, sizeof raw) != ERR_OK)
        return NULL;
    hash_hex(raw, sizeof raw, fresh);
    buf_init(&c, 0);
    (void)buf_printf(&c,
                     SRV_SIGNIN_COOKIE "=%s; Path=/; HttpOnly; "
                                       "SameSite=Strict%s",
                     fresh, cookie_secure(rq));
    set_cookie(rq, &c);
    return fresh;
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    struct buf *t = cls;

    /* request_target's buffer is unbounded: these appends cannot fail. */
    (void)kind;
    (void)buf_addc(t, t->len && memchr(t->data, '?', t->len) ? '&' : '?');
    (void)page_esc_query(t, key);
    if (value) {
        (void)buf_addc(t, '=');
        (void)page_esc_query(t, value);
    }
    return MHD_YES;
}

/* The page asked for, as a local URL (caller frees): the decoded path
 * encoded again segment by segment, and its query; NULL when longer than
 * NEXT_MAX (the form then returns to "/").  The buffer is unbounded here:
 * libmicrohttpd has already bounded the request line. */
static char *request_target(struct req *rq)
{
    struct buf t;
    const char *p = rq->path;

    buf_init(&t, 0);
    while (*p == '/') {
        size_t n = strcspn(p + 1, "/");
        char *seg = xstrndup(p + 1, n);

        (void)buf_addc(&t, '/');
        (void)page_esc_segment(&t, seg);
        free(seg);
        p += 1 + n;
    }
    if (!t.len)
        (void)buf_addc(&t, '/');
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, add_arg, &t);
    if (t.len > NEXT_MAX) {
        buf_cleanup(&t);
        return NULL;
    }
    return buf_take(&t);
}

void srv_page_signin(struct req *rq, unsigned status, const char *detail)
{
    bool own = rq->route && strcmp(rq->route->pattern, "/signin") == 0;
    char *next = own ? NULL : request_target(rq);
    char fresh[SRV_SIGNIN_VALUE_LEN];
    const char *csrf = srv_page_signin_value(rq, fresh);
    enum err e;

    /* Back to the page asked for, or where GET /signin?next= says. */
    e = page_signin_write(&page_links_server, detail, csrf,
                          local_next(own ? req_arg(rq, "next") : next),
                          srv_session_idle_ms(rq->srv) / 60000, &rq->resp);
    if (e || !page_complete(&rq->resp))
        srv_page_error(rq, 500, "this page is too large to show");
    else
        srv_page_send(rq, status);
    free(next);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The decoded value of name in an application/x-www-form-urlencoded body
 * (caller frees), or NULL when absent or over FORM_VALUE_MAX. */
static char *form_get(const struct buf *body, const char *name)
{
    /* No body: data is NULL, and NULL + 0 is undefined (fuzz_http). */
    const char *p = body->data, *end = p ? p + body->len : NULL;
    size_t nlen = strlen(name);

    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;

        if ((size_t)(stop - p) > nlen && !memcmp(p, name, nlen) &&
            p[nlen] == '=') {
            struct buf v;

            buf_init(&v, FORM_VALUE_MAX);
            for (const char *s = p + nlen + 1; s < stop; s++) {
                int hi, lo;

                if (*s == '+') {
                    buf_addc(&v, ' ');
                } else if (*s == '%' && stop - s >= 3 &&
                           (hi = hexval(s[1])) >= 0 &&
                           (lo = hexval(s[2])) >= 0) {
                    buf_addc(&v, (char)(hi * 16 + lo));
                    s += 2;
                } else {
                    buf_addc(&v, *s);
                }
            }
            /* An empty value ("note=") leaves v.data NULL: no memchr. */
            if (v.len >= FORM_VALUE_MAX - 1 ||
                (v.len && memchr(v.data, 0, v.len))) {
                buf_cleanup(&v);
                return NULL;
            }
            return buf_take(&v);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* 303 to location, a local path we built or checked (post/redirect/get). */
static void redirect_to(struct req *rq, const char *location)
{
    free(rq->location);
    rq->location = xstrdup(location);
    (void)page_continue_write(&page_links_server, rq->location, &rq->resp);
    srv_page_send(rq, 303);
}

/* 303 to the project's alerts page. */
static void back_to_alerts(struct req *rq, const char *project)
{
    struct buf u;

    buf_init(&u, 0);
    buf_adds(&u, "/p/");
    page_esc_segment(&u, project);
    buf_adds(&u, "/alerts");
    redirect_to(rq, buf_str(&u));
    buf_cleanup(&u);
}

/* Refuses a form posted from another site (note 2); true when refused. */
static bool cross_origin(struct req *rq)
{
    if (srv_origin_ok(rq))
        return false;
    srv_page_error(rq, 403, "a form posted from another site is refused");
    return true;
}

/*
 * Signs the browser in with the form's token (note 1), for project (a
 * write token for it) or for the site (project NULL: any live token), and
 * sends it on to next.  Answers every outcome itself.
 */
static void sign_in(struct req *rq, const char *project, const char *next)
{
    struct store *st = NULL, *rw = NULL;
    struct store_token t;
    char *token = NULL, *csrf = NULL, *sid = NULL;
    const char *old;
    struct errbuf eb;
    struct buf c;
    int64_t now = time_now_ms(), gone = 0;
    enum err e;

    memset(&t, 0, sizeof t);
    err_init(&eb);
    buf_init(&c, 0);
    if (cross_origin(rq))
        goto out;
    /* Note 2. */
    csrf = form_get(&rq->body, "csrf");
    if (!csrf_equal(csrf, srv_cookie(rq, SRV_SIGNIN_COOKIE))) {
        srv_page_error(rq, 403,
                       "this sign-in form has expired or came from another "
                       "site: reload the page and sign in again");
        goto out;
    }
    token = form_get(&rq->body, "token");
    e = !token || !*token || strlen(token) > 256
            ? ERR_AUTH
            : srv_store_acquire(rq->srv, &st, &eb);
    if (e == ERR_OK) {
        e = store_token_lookup(st, token, &t);
        srv_store_release(rq->srv, st);
    }
    if (e == ERR_OK && project &&
        !(t.scope >= SCOPE_WRITE &&
          (!t.project || !strcmp(t.project, project))))
        e = ERR_AUTH;
    if (e) {
        srv_page_error(rq, e == ERR_AUTH ? 403 : srv_status_for(e),
                       e != ERR_AUTH ? "the database is unavailable"
                       : project     ? "that is not a write token for this "
                                       "project"
                                     : "unknown or revoked token");
        goto out;
    }
    e = store_open(rq->srv->db_path, STORE_RW_EXISTING, &rw, NULL, &eb);
    if (e == ERR_OK)
        e = store_sessions_expire(rw, now, srv_session_idle_ms(rq->srv),
                                  srv_session_max_ms(rq->srv), &gone, &eb);
    /* Note 1: the browser's old session ends with the new sign-in. */
    old = srv_cookie(rq, SRV_SESSION_COOKIE);
    if (e == ERR_OK && old)
        e = store_session_delete(rw, old, &eb);
    if (e == ERR_OK)
        e = store_session_create(rw, t.id, now, &sid, &eb);
    store_close(rw);
    if (e) {
        log_warn("sign-in: %s", eb.msg);
        srv_page_error(rq, srv_status_for(e), "could not start a session");
        goto out;
    }
    buf_printf(&c,
               SRV_SESSION_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; "
                                  "SameSite=Strict%s",
               sid, (long long)(srv_session_max_ms(rq->srv) / 1000),
               cookie_secure(rq));
    set_cookie(rq, &c);
    log_info("sign-in: a session for token %lld (%s)", (long long)t.id,
             token_scope_str(t.scope));
    if (project)
        back_to_alerts(rq, project);
    else
        redirect_to(rq, local_next(next));
out:
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    free(csrf);
    free(sid);
    buf_cleanup(&c);
    store_token_cleanup(&t);
    err_cleanup(&eb);
}

/* The project is not looked up before the token is checked: under
 * --private, whether a project exists is not for strangers to learn.  An
 * unknown one is the alerts page's 404 after the redirect. */
void route_page_login(struct req *rq)
{
    sign_in(rq, rq->params[0], NULL);
}

void route_page_signin(struct req *rq)
{
    char *next = form_get(&rq->body, "next");

    sign_in(rq, NULL, next);
    free(next);
}

void route_page_signin_get(struct req *rq)
{
    struct store *st = NULL;
    struct store_session s;
    const char *sid = NULL;
    char csrf[SRV_PAGE_CSRF_LEN];

    memset(&s, 0, sizeof s);
    if (srv_store_acquire(rq->srv, &st, NULL) == ERR_OK) {
        sid = srv_session_get(rq, st, &s);
        srv_store_release(rq->srv, st);
    }
    if (!sid) {
        srv_page_signin(rq, 200,
                        rq->srv->cfg.private_reads
                            ? "This server is private: sign in with a token."
                            : "Sign in with a token.");
        goto out;
    }
    srv_page_csrf(sid, csrf);
    srv_page_answer(rq, page_signed_in_write(
                            &page_links_server, token_scope_str(s.token.scope),
                            s.token.name, s.token.project, csrf, &rq->resp));
out:
    store_session_cleanup(&s);
}

void route_page_signout(struct req *rq)
{
    struct store *st = NULL, *rw = NULL;
    struct store_session s;
    char want[SRV_PAGE_CSRF_LEN];
    const char *sid = NULL;
    char *csrf = NULL;
    struct errbuf eb;
    struct buf c;
    enum err e;

    memset(&s, 0, sizeof s);
    err_init(&eb);
    buf_init(&c, 0);
    if (cross_origin(rq))
        goto out;
    if (srv_store_acquire(rq->srv, &st, NULL) == ERR_OK) {
        sid = srv_session_get(rq, st, &s);
        srv_store_release(rq->srv, st);
    }
    if (sid) {
        /* Note 3: another site cannot sign the browser out either. */
        csrf = form_get(&rq->body, "csrf");
        srv_page_csrf(sid, want);
        if (!csrf_equal(csrf, want)) {
            srv_page_error(rq, 403, "use the sign-out button of a page");
            goto out;
        }
        e = store_open(rq->srv->db_path, STORE_RW_EXISTING, &rw, NULL, &eb);
        if (e == ERR_OK)
            e = store_session_delete(rw, sid, &eb);
        store_close(rw);
        if (e) {
            log_warn("sign-out: %s", eb.msg);
            srv_page_error(rq, srv_status_for(e), "could not end the session");
            goto out;
        }
    }
    buf_printf(&c,
               SRV_SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
                                  "SameSite=Strict%s",
               cookie_secure(rq));
    set_cookie(rq, &c);
    redirect_to(rq, "/");
out:
    free(csrf);
    buf_cleanup(&c);
    store_session_cleanup(&s);
    err_cleanup(&eb);
}

void route_page_alert_action(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    struct store *rw = NULL;
    char *status = NULL, *note = NULL, *csrf = NULL;
    char want[SRV_PAGE_CSRF_LEN];
    const char *cookie;
    struct store_alert a;
    struct errbuf eb;
    int64_t id = 0;
    enum err e;

    memset(&a, 0, sizeof a);
    err_init(&eb);
    if (!st)
        goto out;
    if (cross_origin(rq)) {
        srv_store_release(rq->srv, st);
        goto out;
    }
    cookie = srv_page_write_cookie(rq, st, proj.slug);
    csrf = form_get(&rq->body, "csrf");
    if (cookie)
        srv_page_csrf(cookie, want);
    if (!cookie || !csrf || strlen(csrf) != SRV_PAGE_CSRF_LEN - 1 ||
        !hash_equal((const unsigned char *)csrf, (const unsigned char *)want,
                    SRV_PAGE_CSRF_LEN - 1)) {
        srv_store_release(rq->srv, st);
        srv_page_error(rq, 403,
                       "sign in with a write token on the alerts page, "
                       "then use its forms");
        goto out;
    }
    e = parse_int64(rq->params[1], 1, INT64_MAX, &id)
            ? ERR_NOT_FOUND
            : store_alert_get(st, id, &a, &eb);
    srv_store_release(rq->srv, st);
    if (e == ERR_OK && a.project_id != proj.id)
        e = ERR_NOT_FOUND;
    if (e) {
        srv_page_error(rq, srv_status_for(e),
                       e == ERR_NOT_FOUND ? "no such alert in this project"
                                          : "could not read the alert");
        goto out;
    }
    status = form_get(&rq->body, "status");
    note = form_get(&rq->body, "note");
    if (note && !*note) {
        free(note);
        note = NULL;
    }
    /* Note 4. */
    e = store_open(rq->srv->db_path, STORE_RW, &rw, NULL, &eb);
    if (e == ERR_OK)
        e = store_alert_update(rw, id, status, note, &eb);
    store_close(rw);
    if (e) {
        srv_page_error(rq, srv_status_for(e), eb.msg);
        goto out;
    }
    log_info("alert %lld: status %s from the page", (long long)id,
             status ? status : "(unchanged)");
    back_to_alerts(rq, proj.slug);
out:
    store_alert_cleanup(&a);
    free(status);
    free(note);
    free(csrf);
    store_project_cleanup(&proj);
    err_cleanup(&eb);
}
