/*
 * Opening a command's --db.  Only `serve` makes a database by itself; every
 * other command refuses a path with no benchvault database behind it
 * (a typo once became a new empty database and a token no server knew),
 * unless the command has a --create flag and the user gave it.
 */
#include "cli/cli.h"
#include "store/store.h"

int cli_db_open(const char *cmd, const struct cli_args *a, struct store **st)
{
    const char *path = cli_str(a, "db");
    bool offers = cli_has(a, "create");
    struct errbuf eb;
    enum err e;

    err_init(&eb);
    e = store_open(
        path, offers && cli_flag(a, "create") ? STORE_RW : STORE_RW_EXISTING,
        st, NULL, &eb);
    if (e == ERR_NOT_FOUND)
        fprintf(stderr,
                "benchvault %s: --db: %s (check the path; "
                "`benchvault serve --db %s`%s makes a new database)\n",
                cmd, eb.msg, path, offers ? " or --create" : "");
    else if (e)
        fprintf(stderr, "benchvault %s: --db: %s\n", cmd, eb.msg);
    err_cleanup(&eb);
    return e ? EXIT_USAGE : EXIT_OK;
}
