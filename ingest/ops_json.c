/*
 * The bodies of the operations routes (issue 16): POST /api/v1/tokens
 * {"name", "scope", "project", "expires_at" | "expires_in_days"} and PUT
 * /api/v1/projects/{p}/retention {"samples_days", "default_runs_days",
 * "branch_runs_days", "default_branch"}.  Errors carry JSON pointers, as
 * for a run; unknown members are refused (a typo must not silently mean
 * "keep forever").
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY (86400LL * 1000LL)

/* Refuses members not in names[]. */
static void only_known(struct ingest_ctx *c, json_t *root,
                       const char *const *names, size_t n)
{
    const char *key;
    json_t *v;

    json_object_foreach (root, key, v) {
        bool known = false;

        (void)v;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(key, names[i]) == 0;
        if (!known)
            ingest_error_key(c, key, "unknown member");
    }
}

static enum err load_object(struct ingest_ctx *c, const char *body, size_t len,
                            json_t **root, const char *shape)
{
    enum err e = ingest_json_load(c, body ? body : "", body ? len : 0, root);

    if (e)
        return e;
    if (!json_is_object(*root))
        ingest_error(c, "expected an object %s, got %s", shape,
                     ingest_type_name(c, *root));
    return ERR_OK;
}

void ingest_token_req_cleanup(struct ingest_token_req *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->scope);
    free(t->project);
    memset(t, 0, sizeof *t);
}

enum err ingest_token_req_parse(const char *body, size_t len, int64_t now,
                                struct ingest_token_req *out, struct errbuf *eb)
{
    static const char *const names[] = {"name", "scope", "project",
                                        "expires_at", "expires_in_days"};
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL;
    const char *name = NULL, *scope = NULL, *project = NULL;
    int64_t at = TIME_NONE, days = 0;
    enum ingest_got ga, gd;
    enum err e;

    memset(out, 0, sizeof *out);
    out->expires_at = TIME_NONE;
    ingest_limits_default(&lim);
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = load_object(&c, body, len, &root,
                    "{\"name\", \"scope\", \"project\", \"expires_at\"}");
    if (e || c.nerrors)
        goto out;
    only_known(&c, root, names, sizeof names / sizeof names[0]);
    ingest_get_str(&c, root, "name", INGEST_STR_NAME | INGEST_STR_REQUIRED,
                   &name);
    if (ingest_get_str(&c, root, "scope", INGEST_STR_NAME, &scope) ==
            INGEST_OK &&
        strcmp(scope, "read") && strcmp(scope, "write") &&
        strcmp(scope, "admin"))
        ingest_error_key(&c, "scope", "expected read, write or admin, got %s",
                         ingest_quote(&c, scope, strlen(scope)));
    if (ingest_get_str(&c, root, "project", INGEST_STR_NAME, &project) ==
            INGEST_OK &&
        !ingest_slug_valid(project, lim.max_name))
        ingest_error_key(&c, "project",
                         "not a project's name: 1-%zu letters, digits, '.', "
                         "'_' or '-', starting with a letter or digit",
                         lim.max_name);
    ga = ingest_get_time(&c, root, "expires_at", &at);
    gd = ingest_get_int(&c, root, "expires_in_days", 1, 36500, &days);
    if (ga == INGEST_OK && gd == INGEST_OK)
        ingest_error_key(&c, "expires_in_days",
                         "give expires_at or expires_in_days, not both");
    else if (ga == INGEST_OK && at <= now)
        ingest_error_key(&c, "expires_at", "the expiry must lie in the future");
    if (!c.nerrors) {
        out->name = xstrdup(name);
        out->scope = xstrdup(scope ? scope : "read");
        out->project = project ? xstrdup(project) : NULL;
        out->expires_at = ga == INGEST_OK   ? at
                          : gd == INGEST_OK ? now + days * MS_PER_DAY
                                            : TIME_NONE;
    }
out:
    if (!e && c.nerrors)
        e = ERR_INVALID;
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}

void ingest_retention_cleanup(struct ingest_retention *r)
{
    if (!r)
        return;
    free(r->default_branch);
    memset(r, 0, sizeof *r);
}

enum err ingest_retention_parse(const char *body, size_t len,
                                struct ingest_retention *out, struct errbuf *eb)
{
    static const char *const names[] = {"samples_days", "default_runs_days",
                                        "branch_runs_days", "default_branch"};
    struct ingest_limits lim;
    struct ingest_ctx c;
    json_t *root = NULL;
    const char *def = NULL;
    enum err e;

    memset(out, 0, sizeof *out);
    ingest_limits_default(&lim);
    ingest_ctx_init(&c, &lim, NULL, eb, NULL);
    e = load_object(&c, body, len, &root,
                    "{\"samples_days\", \"default_runs_days\", "
                    "\"branch_runs_days\", \"default_branch\"}");
    if (e || c.nerrors)
        goto out;
    only_known(&c, root, names, sizeof names / sizeof names[0]);
    ingest_get_int(&c, root, "samples_days", 0, 36500, &out->samples_days);
    ingest_get_int(&c, root, "default_runs_days", 0, 36500,
                   &out->default_runs_days);
    ingest_get_int(&c, root, "branch_runs_days", 0, 36500,
                   &out->branch_runs_days);
    ingest_get_str(&c, root, "default_branch", INGEST_STR_NAME, &def);
    /* The default branch is kept at least as long as the others. */
    if (!c.nerrors && out->default_runs_days &&
        (!out->branch_runs_days ||
         out->default_runs_days < out->branch_runs_days))
        ingest_error_key(&c, "default_runs_days",
                         "must be 0 (keep forever) or at least "
                         "branch_runs_days: the default branch's runs are "
                         "kept at least as long as other branches'");
    if (!c.nerrors)
        out->default_branch = xstrdup(def ? def : "main");
out:
    if (!e && c.nerrors)
        e = ERR_INVALID;
    json_decref(root);
    ingest_ctx_cleanup(&c);
    return e;
}
