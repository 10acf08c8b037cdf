/*
 * The body of POST /api/v1/projects/{p}/webhooks:
 * {"url": "https://...", "secret": "...", "format": "json" | "slack"}.
 * url is required: http or https, a host, at most INGEST_WEBHOOK_URL_MAX
 * bytes of printable ASCII.  secret is optional (the server makes one when
 * it is absent): 16 to 256 bytes of printable ASCII without spaces.
 * format defaults to json.  Errors carry JSON pointers, as for a run.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

static bool printable(const char *s, bool space)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < (space ? 0x20 : 0x21) || *p > 0x7e)
            return false;
    return true;
}

static bool url_ok(const char *u)
{
    size_t skip;

    if (!strncmp(u, "http://", 7))
        skip = 7;
    else if (!strncmp(u, "https://", 8))
        skip = 8;
    else
        return false;
    /* a host before any path, query or fragment */
    return u[skip] && !strchr("/?#:@", u[skip]) && printable(u, false) &&
           strlen(u) <= INGEST_WEBHOOK_URL_MAX;
}

enum err ingest_webhook_parse(const char *body, size_t len, char **url,
                              char **secret, char **format, struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL;
    const char *u = NULL, *s = NULL, *f = NULL;
    enum ingest_got gu, gs, gf;
    enum err e;

    *url = *secret = *format = NULL;
    ingest_limits_default(&lim);
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = ingest_json_load(&c, body ? body : "", body ? len : 0, &root);
    if (e)
        goto out;
    if (!json_is_object(root)) {
        ingest_error(&c,
                     "expected an object {\"url\", \"secret\", \"format\"}, "
                     "got %s",
                     ingest_type_name(&c, root));
        goto out;
    }
    gu = ingest_get_str(&c, root, "url", 0, &u);
    if (gu == INGEST_ABSENT)
        ingest_error_key(&c, "url", "required: where to POST alert events");
    else if (gu == INGEST_OK && !url_ok(u))
        ingest_error_key(&c, "url",
                         "expected an http:// or https:// URL with a host, "
                         "at most %d bytes of printable ASCII",
                         INGEST_WEBHOOK_URL_MAX);
    gs = ingest_get_str(&c, root, "secret", 0, &s);
    if (gs == INGEST_OK &&
        (strlen(s) < 16 || strlen(s) > 256 || !printable(s, false)))
        ingest_error_key(&c, "secret",
                         "16 to 256 bytes of printable ASCII without spaces "
                         "(leave it out and the server makes one)");
    gf = ingest_get_str(&c, root, "format", INGEST_STR_NAME, &f);
    if (gf == INGEST_OK && strcmp(f, "json") && strcmp(f, "slack"))
        ingest_error_key(&c, "format", "expected json or slack, got %s",
                         ingest_quote(&c, f, strlen(f)));
    if (!c.nerrors) {
        *url = xstrdup(u);
        *secret = gs == INGEST_OK ? xstrdup(s) : NULL;
        *format = xstrdup(gf == INGEST_OK ? f : "json");
    }
out:
    if (!e && c.nerrors)
        e = ERR_INVALID;
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}
