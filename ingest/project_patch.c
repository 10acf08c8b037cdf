/*
 * The body of PATCH /api/v1/projects/{project}: {"repository_url": URL}
 * sets the project's repository (null or "" clears it).  The URL is an
 * http or https address of at most INGEST_REPO_URL_MAX bytes without
 * spaces, control characters, quotes, angle brackets, a query or a
 * fragment: the pages append "/commit/{sha}" to it inside an href.  Errors
 * carry JSON pointers, as for a run.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool repo_url_ok(const char *s)
{
    size_t n = strlen(s), host;

    if (n > INGEST_REPO_URL_MAX)
        return false;
    if (strncasecmp(s, "https://", 8) == 0)
        host = 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        host = 7;
    else
        return false;
    if (n == host || s[host] == '/' || strchr(s + host, '@'))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("\"'<>`\\?#{}|^", *p))
            return false;
    return true;
}

enum err ingest_project_patch_parse(const char *body, size_t len, char **url,
                                    struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL;
    const char *u = NULL;
    enum ingest_got got;
    enum err e;

    *url = NULL;
    ingest_limits_default(&lim);
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = ingest_json_load(&c, body ? body : "", body ? len : 0, &root);
    if (e)
        goto out;
    if (!json_is_object(root)) {
        ingest_error(&c, "expected an object {\"repository_url\"}, got %s",
                     ingest_type_name(&c, root));
        goto out;
    }
    if (!json_object_get(root, "repository_url")) {
        ingest_error(&c, "give \"repository_url\" (a URL, or null to "
                         "clear it)");
        goto out;
    }
    got = ingest_get_str(&c, root, "repository_url", 0, &u);
    if (got == INGEST_OK && *u && !repo_url_ok(u))
        ingest_error_key(&c, "repository_url",
                         "expected an http:// or https:// URL of at most %d "
                         "bytes without spaces, quotes, user, query or "
                         "fragment, got %s",
                         INGEST_REPO_URL_MAX, ingest_quote(&c, u, strlen(u)));
    if (!c.nerrors && got == INGEST_OK && *u) {
        /* "https://github.com/o/r/" and ".../r" name the same place */
        size_t n = strlen(u);

        while (n > 0 && u[n - 1] == '/')
            n--;
        *url = xstrndup(u, n);
    }
out:
    if (!e && c.nerrors)
        e = ERR_INVALID;
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}
