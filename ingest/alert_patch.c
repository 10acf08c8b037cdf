/*
 * The body of PATCH /api/v1/alerts/{id}: {"status": "...", "note": "..."},
 * both optional, at least one given.  The status is checked against the
 * names here (store refuses others too); the note is free text up to
 * INGEST_ALERT_NOTE_MAX bytes without control characters other than
 * newlines and tabs.  Errors carry JSON pointers, as for a run.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const statuses[] = {"open", "acknowledged", "dismissed",
                                       "resolved"};

static bool note_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            return false;
    return strlen(s) <= INGEST_ALERT_NOTE_MAX;
}

enum err ingest_alert_patch_parse(const char *body, size_t len, char **status,
                                  char **note, struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL;
    const char *s = NULL, *n = NULL;
    enum ingest_got gs, gn;
    enum err e;

    *status = *note = NULL;
    ingest_limits_default(&lim);
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = ingest_json_load(&c, body ? body : "", body ? len : 0, &root);
    if (e)
        goto out;
    if (!json_is_object(root)) {
        ingest_error(&c, "expected an object {\"status\", \"note\"}, got %s",
                     ingest_type_name(&c, root));
        goto out;
    }
    gs = ingest_get_str(&c, root, "status", INGEST_STR_NAME, &s);
    if (gs == INGEST_OK) {
        bool known = false;

        for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
            known = known || strcmp(s, statuses[i]) == 0;
        if (!known)
            ingest_error_key(&c, "status",
                             "expected open, acknowledged, "
                             "dismissed or resolved, got %s",
                             ingest_quote(&c, s, strlen(s)));
    }
    gn = ingest_get_str(&c, root, "note", 0, &n);
    if (gn == INGEST_OK && !note_ok(n))
        ingest_error_key(&c, "note",
                         "at most %d bytes of text without "
                         "control characters",
                         INGEST_ALERT_NOTE_MAX);
    if (gs == INGEST_ABSENT && gn == INGEST_ABSENT && !c.nerrors)
        ingest_error(&c, "give \"status\", \"note\" or both");
    if (!c.nerrors) {
        *status = gs == INGEST_OK ? xstrdup(s) : NULL;
        *note = gn == INGEST_OK ? xstrdup(n) : NULL;
    }
out:
    if (!e && c.nerrors)
        e = ERR_INVALID;
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}
