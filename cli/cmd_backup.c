/*
 * benchvault backup | restore: a consistent copy of the SQLite database
 * while the server runs, and its way back (store/store_backup.c).  The
 * copy is checked (PRAGMA integrity_check, the schema version) before it
 * takes the name asked for; a restore checks the file before it writes
 * anything (docs/operations.md, docs/cli.md).
 */
#include "cli/cli.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static const struct cli_opt backup_opts[] = {
    {"db", OPT_STR, 0, 0, "./benchvault.db", "BENCHVAULT_DB", "PATH",
     "the database to copy (the server may be running)"},
    {"out", OPT_STR, 0, 0, NULL, NULL, "FILE",
     "where the backup goes (replaced only once the copy is checked)"},
};

static const struct cli_opt restore_opts[] = {
    {"from", OPT_STR, 0, 0, NULL, NULL, "FILE", "a backup file"},
    {"db", OPT_STR, 0, 0, "./benchvault.db", "BENCHVAULT_DB", "PATH",
     "the database to write (no server may be using it)"},
    {"force", OPT_FLAG, 0, 0, NULL, NULL, NULL, "replace an existing database"},
};

static void said(const char *verb, const char *path,
                 const struct store_backup_info *in)
{
    printf("%s %s: %lld runs, schema version %lld, %lld pages of %lld "
           "bytes, integrity ok\n",
           verb, path, (long long)in->runs, (long long)in->schema_version,
           (long long)in->pages, (long long)in->page_size);
}

int cmd_backup(int argc, char **argv)
{
    struct cli_args a;
    struct store_backup_info info;
    struct errbuf eb;
    int rc = EXIT_OK;

    err_init(&eb);
    if (cli_parse(backup_opts, sizeof backup_opts / sizeof backup_opts[0], argc,
                  argv, &a, &eb)) {
        fprintf(stderr, "benchvault backup: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        cli_usage(stdout, "benchvault backup --db PATH --out FILE",
                  "Copies the database, while the server runs, into FILE as "
                  "one consistent snapshot (SQLite's online backup), checked "
                  "with PRAGMA integrity_check.",
                  backup_opts, sizeof backup_opts / sizeof backup_opts[0]);
        goto out;
    }
    if (!cli_str(&a, "out") || a.npos) {
        fprintf(stderr, "benchvault backup: give --out FILE (see --help)\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (store_backup(cli_str(&a, "db"), cli_str(&a, "out"), &info, &eb)) {
        fprintf(stderr, "benchvault backup: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    said("backed up to", cli_str(&a, "out"), &info);
out:
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}

int cmd_restore(int argc, char **argv)
{
    struct cli_args a;
    struct store_backup_info info;
    struct errbuf eb;
    int rc = EXIT_OK;

    err_init(&eb);
    if (cli_parse(restore_opts, sizeof restore_opts / sizeof restore_opts[0],
                  argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault restore: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        cli_usage(stdout, "benchvault restore --from FILE --db PATH [--force]",
                  "Checks a backup (integrity_check, a schema this "
                  "benchvault knows), then writes it into the database. Stop "
                  "the server first.",
                  restore_opts, sizeof restore_opts / sizeof restore_opts[0]);
        goto out;
    }
    if (!cli_str(&a, "from") || a.npos) {
        fprintf(stderr, "benchvault restore: give --from FILE (see --help)\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (store_restore(cli_str(&a, "from"), cli_str(&a, "db"),
                      cli_flag(&a, "force"), &info, &eb)) {
        fprintf(stderr, "benchvault restore: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    said("restored", cli_str(&a, "db"), &info);
out:
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
