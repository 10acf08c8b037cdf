/*
 * benchvault token create|list|revoke: tokens live in the database.  The
 * database must exist (a mistyped --db once made a new empty one and a
 * token no server knew) unless --create asks for a new one, and a token's
 * project must be a name a project can have (the ingest's slug rule).
 */
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt opts[] = {
    {"db", OPT_STR, 0, 0, "./benchvault.db", "BENCHVAULT_DB", "PATH",
     "SQLite database file"},
    {"scope", OPT_STR, 0, 0, "write", NULL, "read|write|admin",
     "what the token may do"},
    {"project", OPT_STR, 0, 0, NULL, NULL, "SLUG",
     "limit the token to one project (default: all)"},
    {"name", OPT_STR, 0, 0, "cli", NULL, "NAME", "a label for the token"},
    {"expires-in-days", OPT_INT, 1, 36500, NULL, NULL, "DAYS",
     "create: the token is refused (401, expired) after this many days "
     "(default: never)"},
    {"create", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "make the database if it does not exist (otherwise a missing --db "
     "is an error)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static int token_create(struct store *st, const struct cli_args *a,
                        struct errbuf *eb)
{
    enum token_scope scope;
    char *secret = NULL;
    int64_t id, expires = TIME_NONE;

    if (token_scope_parse(cli_str(a, "scope"), &scope)) {
        fprintf(stderr, "benchvault token: --scope must be read, write or "
                        "admin\n");
        return EXIT_USAGE;
    }
    if (cli_str(a, "expires-in-days"))
        expires = time_now_ms() + cli_int(a, "expires-in-days") * 86400000LL;
    if (store_token_create_until(st, cli_str(a, "name"), scope,
                                 cli_str(a, "project"), expires, &secret, &id,
                                 eb)) {
        fprintf(stderr, "benchvault token: %s\n", eb->msg);
        return EXIT_USAGE;
    }
    /* The secret alone on the first line, for scripts. */
    printf("%s\n", secret);
    fprintf(stderr,
            "token %lld (%s, %s, %s) created; the secret is shown "
            "only now\n",
            (long long)id, cli_str(a, "name"), token_scope_str(scope),
            cli_str(a, "project") ? cli_str(a, "project") : "all projects");
    free(secret);
    return EXIT_OK;
}

static int token_list(struct store *st, struct errbuf *eb)
{
    struct store_token *t = NULL;
    size_t n = 0;

    if (store_tokens_list(st, &t, &n, eb)) {
        fprintf(stderr, "benchvault token: %s\n", eb->msg);
        return EXIT_USAGE;
    }
    printf("%-6s %-20s %-6s %-20s %-24s %-24s %-24s %s\n", "ID", "NAME",
           "SCOPE", "PROJECT", "CREATED", "LAST USED", "REVOKED", "EXPIRES");
    for (size_t i = 0; i < n; i++) {
        char c[TIME_ISO_LEN], u[TIME_ISO_LEN], r[TIME_ISO_LEN], x[TIME_ISO_LEN];

        time_format_iso(t[i].created_at, c);
        time_format_iso(t[i].last_used_at, u);
        time_format_iso(t[i].revoked_at, r);
        time_format_iso(t[i].expires_at, x);
        printf("%-6lld %-20s %-6s %-20s %-24s %-24s %-24s %s\n",
               (long long)t[i].id, t[i].name, token_scope_str(t[i].scope),
               t[i].project ? t[i].project : "*", c, u[0] ? u : "-",
               r[0] ? r : "-", x[0] ? x : "-");
    }
    store_tokens_free(t, n);
    return EXIT_OK;
}

int cmd_token(int argc, char **argv)
{
    struct cli_args a;
    struct store *st = NULL;
    struct errbuf eb;
    const char *verb;
    int rc = EXIT_OK;

    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault token: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help || a.npos == 0) {
        cli_usage(a.help ? stdout : stderr,
                  "benchvault token create|list|revoke [ID|NAME] [OPTIONS]",
                  "Manages API tokens. Secrets are shown once and stored "
                  "only as SHA-256 hashes. The database must exist (made "
                  "by `benchvault serve`) unless --create is given.",
                  opts, NOPTS);
        rc = a.help ? EXIT_OK : EXIT_USAGE;
        goto out;
    }
    verb = a.pos[0];
    if (strcmp(verb, "create") && strcmp(verb, "list") &&
        strcmp(verb, "revoke")) {
        fprintf(stderr,
                "benchvault token: unknown action \"%s\" (create, "
                "list, revoke)\n",
                verb);
        rc = EXIT_USAGE;
        goto out;
    }
    if (!strcmp(verb, "create") && cli_str(&a, "project")) {
        struct ingest_limits lim;

        ingest_limits_default(&lim);
        if (!ingest_slug_valid(cli_str(&a, "project"), lim.max_name)) {
            fprintf(stderr,
                    "benchvault token: --project \"%s\" is no "
                    "project's name: a project is 1-%zu letters, digits, "
                    "'.', '_' or '-', starting with a letter or digit\n",
                    cli_str(&a, "project"), lim.max_name);
            rc = EXIT_USAGE;
            goto out;
        }
    }
    if (!strcmp(verb, "create") && cli_str(&a, "name")) {
        const char *name = cli_str(&a, "name");
        struct ingest_limits lim;

        /* Stored and listed like any name: one text rule (core/text.c). */
        ingest_limits_default(&lim);
        if (text_check("--name", name, strlen(name), lim.max_name, 0, &eb)) {
            fprintf(stderr, "benchvault token: %s\n", eb.msg);
            rc = EXIT_USAGE;
            goto out;
        }
    }
    rc = cli_db_open("token", &a, &st);
    if (rc)
        goto out;
    if (!strcmp(verb, "create")) {
        rc = token_create(st, &a, &eb);
    } else if (!strcmp(verb, "list")) {
        rc = token_list(st, &eb);
    } else if (a.npos != 2) {
        fprintf(stderr, "benchvault token revoke: give one token id or "
                        "name\n");
        rc = EXIT_USAGE;
    } else if (store_token_revoke(st, a.pos[1], &eb)) {
        fprintf(stderr, "benchvault token revoke: %s\n",
                eb.msg[0] ? eb.msg : "no such token");
        rc = EXIT_USAGE;
    } else {
        printf("revoked %s\n", a.pos[1]);
    }
out:
    store_close(st);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
