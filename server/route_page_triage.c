/*
 * Alert triage from the HTML alerts page, without JavaScript.  Design
 * notes:
 *  1. The write token is entered once (POST /p/{p}/alerts/login) and kept
 *     in the cookie "bv_write": HttpOnly (scripts cannot read it),
 *     SameSite=Strict (other sites' forms do not send it), Path=/p/{p}/
 *     (only this project's pages get it).  The token is checked again on
 *     every action, so a revoked token stops working at once.
 *  2. CSRF: every form carries hex(HMAC-SHA256(key, cookie value)), key 32
 *     random bytes per process.  We chose an HMAC of the cookie over a
 *     stored per-cookie token because it needs no server state and no
 *     schema change; a restart only makes open pages' forms stale (the
 *     action answers 403 and the reloaded page has fresh ones).
 *     SameSite=Strict already stops cross-site posts in current browsers;
 *     the token covers older ones and same-site attackers.
 *  3. An action does what PATCH /api/v1/alerts/{id} does (route_alerts.c,
 *     its note 2): the alert must belong to the token's project, then one
 *     read-write transaction with store_alert_update; the store validates
 *     the status and the note rule (a dismissal needs a note).
 */
#include "server/page_int.h"

#include "render/render.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COOKIE_NAME "bv_write"
#define FORM_VALUE_MAX 4096

static unsigned char hmac_key[32];
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_key_init(void)
{
    if (rand_bytes(hmac_key, sizeof hmac_key) != ERR_OK)
        log_warn("pages: no random bytes for the CSRF key");
}

/* HMAC-SHA256 (RFC 2104) over core's SHA-256: the key is 32 bytes, under
 * the 64-byte block, so it is used padded, never hashed. */
static void hmac_sha256(const char *msg, unsigned char out[HASH_SHA256_LEN])
{
    unsigned char pad[64];
    unsigned char inner[HASH_SHA256_LEN];
    struct buf b;

    pthread_once(&hmac_once, hmac_key_init);
    buf_init(&b, 0);
    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < sizeof hmac_key; i++)
        pad[i] ^= hmac_key[i];
    buf_add(&b, pad, sizeof pad);
    buf_adds(&b, msg);
    hash_sha256(b.data, b.len, inner);
    buf_reset(&b);
    memset(pad, 0x5c, sizeof pad);
    for (size_t i = 0; i < sizeof hmac_key; i++)
        pad[i] ^= hmac_key[i];
    buf_add(&b, pad, sizeof pad);
    buf_add(&b, inner, sizeof inner);
    hash_sha256(b.data, b.len, out);
    buf_cleanup(&b);
}

void srv_page_csrf(const char *cookie, char out[SRV_PAGE_CSRF_LEN])
{
    unsigned char mac[HASH_SHA256_LEN];

    hmac_sha256(cookie, mac);
    hash_hex(mac, sizeof mac, out);
}

/* Whether the token is a live write token for project. */
static bool write_token_ok(struct store *st, const char *secret,
                           const char *project)
{
    struct store_token t;
    bool ok;

    memset(&t, 0, sizeof t);
    if (!secret || !*secret || strlen(secret) > 256 ||
        store_token_lookup(st, secret, &t) != ERR_OK)
        return false;
    ok = t.scope >= SCOPE_WRITE && (!t.project || !strcmp(t.project, project));
    store_token_cleanup(&t);
    return ok;
}

const char *srv_page_write_cookie(struct req *rq, struct store *st,
                                  const char *project)
{
    const char *c =
        MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, COOKIE_NAME);

    return write_token_ok(st, c, project) ? c : NULL;
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
            if (v.len >= FORM_VALUE_MAX - 1 ||
                (v.len && memchr(v.data, 0, v.len))) { /* "name=": NULL */
                buf_cleanup(&v);
                return NULL;
            }
            return buf_take(&v);
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* 303 to the project's alerts page (post/redirect/get). */
static void back_to_alerts(struct req *rq, const char *project)
{
    struct buf u;

    buf_init(&u, 0);
    buf_adds(&u, "/p/");
    page_esc_segment(&u, project);
    buf_adds(&u, "/alerts");
    rq->location = buf_take(&u);
    srv_page_begin(&rq->resp, "Alerts", project);
    buf_adds(&rq->resp, "<p><a href=\"");
    page_esc_attr(&rq->resp, rq->location);
    buf_adds(&rq->resp, "\">Back to the alerts</a></p>\n");
    srv_page_end(&rq->resp);
    srv_page_send(rq, 303);
}

void route_page_login(struct req *rq)
{
    struct store_project proj;
    struct store *st = srv_page_project_begin(rq, &proj);
    char *token = NULL;
    struct buf c;
    bool ok;

    if (!st)
        return;
    buf_init(&c, 0);
    token = form_get(&rq->body, "token");
    ok = write_token_ok(st, token, proj.slug);
    srv_store_release(rq->srv, st);
    if (!ok) {
        srv_page_error(rq, 403, "that is not a write token for this project");
        goto out;
    }
    /* Note 1.  A token is "bv_" and hex digits: nothing to quote. */
    for (const char *s = token; *s; s++)
        if (!(*s == '_' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z'))) {
            srv_page_error(rq, 403, "malformed token");
            goto out;
        }
    buf_printf(&c, COOKIE_NAME "=%s; Path=/p/", token);
    page_esc_segment(&c, proj.slug);
    buf_adds(&c, "/; HttpOnly; SameSite=Strict");
    rq->set_cookie = buf_take(&c);
    back_to_alerts(rq, proj.slug);
out:
    free(token);
    buf_cleanup(&c);
    store_project_cleanup(&proj);
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
    /* Note 3. */
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
