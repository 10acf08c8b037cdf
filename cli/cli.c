/*
 * The subcommand table and the top-level --help / --version.  Standard
 * output is flushed and checked here, once, for every command: a result
 * written to a full disk (or a token's secret to /dev/full) is an error,
 * not exit 0 with the output silently lost at exit().
 */
#include "cli/cli.h"
#include "analysis/analysis.h"
#include "bv_commit.h" /* generated: packaging/commit.cmake */

#include <errno.h>
#include <string.h>

struct cmd_entry {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct cmd_entry commands[] = {
    {"serve", cmd_serve, "run the HTTP server (API, metrics)"},
    {"push", cmd_push, "upload result files to a server or a database"},
    {"token", cmd_token, "create, list or revoke API tokens"},
    {"run", cmd_run, "run a benchmark command, sample it, upload, gate"},
    {"report", cmd_report, "write a project's pages as a static site"},
    {"compare", cmd_compare, "compare runs (base against head) with verdicts"},
    {"analyze", cmd_analyze, "statistics on numbers from files or stdin"},
    {"alerts", cmd_alerts, "list, acknowledge or dismiss regression alerts"},
    {"backup", cmd_backup, "copy the database while the server runs"},
    {"restore", cmd_restore, "check a backup and write it back"},
    {"delete", cmd_delete, "delete a run, benchmark, branch or project"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: benchvault COMMAND [OPTIONS]\n\n"
               "benchvault keeps benchmark results and tells what got "
               "slower.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n`benchvault COMMAND --help` describes a command; "
               "`benchvault --version` prints the version.\n");
}

static int stdout_checked(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "benchvault: cannot write standard output: %s\n",
                strerror(errno));
        return rc ? rc : EXIT_USAGE;
    }
    return rc;
}

int cli_main(int argc, char **argv)
{
    an_init();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("benchvault %s (commit %s)\n", BV_VERSION, BV_COMMIT);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            cli_set_command(commands[i].name);
            return stdout_checked(commands[i].fn(argc - 2, argv + 2));
        }
    fprintf(stderr, "benchvault: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
