/*
 * cli: main() and the subcommands.  Options are data: each subcommand has a
 * table of {name, type, range, default, environment variable, help} that
 * drives parsing, validation and --help.  Precedence: defaults < the
 * config file (/etc/benchvault.conf, or $BENCHVAULT_CONFIG) < environment
 * < command line.  Status codes are chosen here, in one table
 * (cli_exit_for): 0 ok, 1 regression or budget broken, 2 usage or input
 * error, 3 server unreachable.
 */
#ifndef BV_CLI_H
#define BV_CLI_H

#include <stdio.h>

#include "core/core.h"

enum cli_exit {
    EXIT_OK = 0,
    EXIT_GATE = 1,
    EXIT_USAGE = 2,
    EXIT_UNREACHABLE = 3
};

/* OPT_LIST: a string that may be given several times on the command line
 * (each adds an item); the value is the items joined with ",", as the
 * config file and the environment give it. */
enum opt_type { OPT_STR, OPT_INT, OPT_SIZE, OPT_FLAG, OPT_LIST };

struct cli_opt {
    const char *name; /* long name without "--" */
    enum opt_type type;
    int64_t min, max; /* OPT_INT range */
    const char *def;  /* default as text, NULL = unset */
    const char *env;  /* environment variable, NULL = none */
    const char *metavar;
    const char *help;
};

/* Where an option's value came from (precedence order). */
enum cli_src {
    CLI_SRC_DEFAULT = 0,
    CLI_SRC_FILE = 1,
    CLI_SRC_ENV = 2,
    CLI_SRC_ARG = 3
};

struct cli_args {
    const struct cli_opt *opts; /* borrowed */
    size_t nopts;
    const char **vals;  /* owns the array; strings borrowed */
    unsigned char *src; /* owns; an enum cli_src per option */
    char **pos;         /* borrowed from argv */
    char *conf;         /* owns: the config file's text, which
                           vals from the file point into */
    size_t npos;
    char **rest; /* after "--", borrowed */
    size_t nrest;
    bool help;
    char **joined; /* owns: OPT_LIST values made of several flags */
    size_t njoined;
};

/*
 * Parses argv (after the subcommand name).  ERR_INVALID with a message
 * naming the option on a bad flag or value.  Alternatives that exclude each
 * other (--server and --db) follow "the command line beats the
 * environment": one given as a flag cancels the other's environment value;
 * both as flags stay both set, for the command to refuse.
 */
enum err cli_parse(const struct cli_opt *opts, size_t nopts, int argc,
                   char **argv, struct cli_args *out, struct errbuf *eb);
/* The subcommand whose [section] of the config file applies (cli_main
 * sets it before calling the command). */
void cli_set_command(const char *name);
void cli_args_cleanup(struct cli_args *a);
const char *cli_str(const struct cli_args *a, const char *name);
int64_t cli_int(const struct cli_args *a, const char *name);
uint64_t cli_size(const struct cli_args *a, const char *name);
bool cli_flag(const struct cli_args *a, const char *name);
/* Whether the command's table has an option called name. */
bool cli_has(const struct cli_args *a, const char *name);
void cli_usage(FILE *f, const char *synopsis, const char *about,
               const struct cli_opt *opts, size_t nopts);

int cli_main(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_delete(int argc, char **argv);
/* analyze changepoints (cmd_analyze_cp.c), an action of cmd_analyze. */
int cli_analyze_changepoints(int argc, char **argv);

/*
 * benchvault analyze: an action gets the arguments after its name, parses
 * its own options and prints one JSON object; it returns the exit status.
 * The actions table is in cmd_analyze.c (add a line there for a new one).
 */
typedef int (*cli_analyze_fn)(int argc, char **argv);
/*
 * Reads the numbers of path (NULL or "-": standard input) for an action:
 * white space/commas or a JSON array (ingest_numbers_parse).  *v (caller
 * frees), *n > 0, *cols 2 for "x y" pairs.  ERR_IO, ERR_TOO_LARGE,
 * ERR_MALFORMED, ERR_INVALID with the file named in eb->msg.
 */
enum err cli_analyze_read(const char *path, double **v, size_t *n, int *cols,
                          struct errbuf *eb);

struct store;
/*
 * Opens the database of a's --db for cmd ("token", "push" ...), read-write.
 * A missing path or a file with no benchvault schema is refused and left
 * as it was, unless a's table has a "create" flag and it is set.  EXIT_OK
 * with *st (the caller store_close()s it), else EXIT_USAGE after a message
 * on stderr naming --db.
 */
int cli_db_open(const char *cmd, const struct cli_args *a, struct store **st);
/* Loads the synthetic demo project into a fresh database. */
enum err cli_demo_load(struct store *st, struct errbuf *eb);

/* ---- the webhook sender of serve (webhooks.c) ------------------------- */

struct cli_webhooks_opts {
    int64_t retry_base_ms; /* first retry after this, doubling */
    int max_attempts;      /* then a delivery is failed */
    long timeout_ms;       /* per request */
    long poll_ms;          /* how often the outbox is looked at */
    const char *link_base; /* the pages' public URL, or NULL */
};
struct cli_webhooks;
/* Starts the sender thread over db; NULL (logged) when it cannot. */
struct cli_webhooks *cli_webhooks_start(const char *db,
                                        const struct cli_webhooks_opts *o);
/* Stops it after the request in flight; NULL-safe. */
void cli_webhooks_stop(struct cli_webhooks *w);

#endif
