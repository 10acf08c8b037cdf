/*
 * Table-driven option parsing (tmux's options-table.c): --name VALUE,
 * --name=VALUE, flags without a value, "--" ends options.  Every value is
 * validated against its type and range here, once, so commands read them
 * without checks.
 *
 * The config file (a service's settings, docs/operations.md): the path in
 * $BENCHVAULT_CONFIG (empty: none), else /etc/benchvault.conf when it
 * exists.  Lines "key = value" (a key is an option's long name), "#"
 * comments, and "[command]" sections: keys before any section apply to
 * every command that has that option; keys in a command's section must be
 * options of it (a typo is an error naming the line).  It sits below the
 * environment and the command line.
 */
#include "cli/cli.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *command_name;

void cli_set_command(const char *name)
{
    command_name = name;
}

static int find(const struct cli_opt *opts, size_t n, const char *name,
                size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
            return (int)i;
    return -1;
}

/*
 * Options that name the same thing two ways (where the results go): a flag
 * for one cancels an environment value of the other, so `push --db PATH`
 * works in a shell that exports BENCHVAULT_SERVER.
 */
static const char *const alternatives[][2] = {
    {"server", "db"},
};

static enum err check(const struct cli_opt *o, const char *v, const char *src,
                      struct errbuf *eb)
{
    int64_t iv;
    uint64_t sv;

    switch (o->type) {
    case OPT_INT:
        if (parse_int64(v, o->min, o->max, &iv)) {
            err_set(eb,
                    "%s --%s: expected an integer in [%lld, %lld], got "
                    "\"%s\"",
                    src, o->name, (long long)o->min, (long long)o->max, v);
            return ERR_INVALID;
        }
        break;
    case OPT_SIZE:
        if (parse_size(v, &sv)) {
            err_set(eb,
                    "%s --%s: expected a size such as 16MiB or "
                    "1048576, got \"%s\"",
                    src, o->name, v);
            return ERR_INVALID;
        }
        break;
    case OPT_STR:
    case OPT_FLAG:
    case OPT_LIST:
        break;
    }
    return ERR_OK;
}

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

/* Applies the config file to out (see the file's header). */
static enum err apply_file(const struct cli_opt *opts, size_t nopts,
                           struct cli_args *out, struct errbuf *eb)
{
    const char *path = getenv("BENCHVAULT_CONFIG");
    bool named = path != NULL;
    const char *section = NULL;
    struct buf b;
    char *line, *next;
    enum err e;
    int lineno = 0;

    if (!path)
        path = "/etc/benchvault.conf";
    if (!*path)
        return ERR_OK;
    buf_init(&b, 0);
    e = file_read(path, (size_t)1 << 20, &b, eb);
    if (e == ERR_NOT_FOUND && !named) {
        buf_cleanup(&b);
        return ERR_OK;
    }
    if (e) {
        buf_cleanup(&b);
        err_set(eb, "config file %s (BENCHVAULT_CONFIG): cannot be read", path);
        return ERR_INVALID;
    }
    out->conf = buf_take(&b);
    for (line = out->conf; line; line = next) {
        char *eq, *key, *val;
        int k;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        line = trim(line);
        if (!*line || *line == '#' || *line == ';')
            continue;
        if (*line == '[') {
            char *close = strchr(line, ']');

            if (!close || close[1]) {
                err_set(eb, "%s:%d: a section is \"[command]\"", path, lineno);
                return ERR_INVALID;
            }
            *close = '\0';
            section = trim(line + 1);
            continue;
        }
        eq = strchr(line, '=');
        if (!eq) {
            err_set(eb, "%s:%d: expected \"key = value\"", path, lineno);
            return ERR_INVALID;
        }
        *eq = '\0';
        key = trim(line);
        val = trim(eq + 1);
        if (section && (!command_name || strcmp(section, command_name)))
            continue;
        k = find(opts, nopts, key, strlen(key));
        if (k < 0) {
            if (!section)
                continue; /* another command's option */
            err_set(eb, "%s:%d: benchvault %s has no option --%s", path, lineno,
                    section, key);
            return ERR_INVALID;
        }
        if (opts[k].type == OPT_FLAG) {
            if (!strcmp(val, "true") || !strcmp(val, "yes"))
                val = "true";
            else if (!strcmp(val, "false") || !strcmp(val, "no"))
                val = NULL;
            else {
                err_set(eb, "%s:%d: %s is a flag: true or false", path, lineno,
                        key);
                return ERR_INVALID;
            }
        } else {
            char src[1024];

            snprintf(src, sizeof src, "%s:%d:", path, lineno);
            e = check(&opts[k], val, src, eb);
            if (e)
                return e;
        }
        out->vals[k] = val;
        out->src[k] = CLI_SRC_FILE;
    }
    return ERR_OK;
}

enum err cli_parse(const struct cli_opt *opts, size_t nopts, int argc,
                   char **argv, struct cli_args *out, struct errbuf *eb)
{
    enum err e;

    memset(out, 0, sizeof *out);
    out->opts = opts;
    out->nopts = nopts;
    out->vals = xcalloc(nopts ? nopts : 1, sizeof *out->vals);
    out->src = xcalloc(nopts ? nopts : 1, sizeof *out->src);
    out->pos = xcalloc((size_t)argc + 1, sizeof *out->pos);
    for (size_t i = 0; i < nopts; i++)
        out->vals[i] = opts[i].def;
    e = apply_file(opts, nopts, out, eb);
    if (e)
        return e;
    for (size_t i = 0; i < nopts; i++) {
        const char *env = opts[i].env ? getenv(opts[i].env) : NULL;

        if (env && *env) {
            char src[128];

            snprintf(src, sizeof src, "environment %s:", opts[i].env);
            e = check(&opts[i], env, src, eb);
            if (e)
                return e;
            out->vals[i] = env;
            out->src[i] = CLI_SRC_ENV;
        }
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq, *val;
        int k;

        if (strcmp(a, "--") == 0) {
            out->rest = argv + i + 1;
            out->nrest = (size_t)(argc - i - 1);
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            out->help = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            out->pos[out->npos++] = argv[i];
            continue;
        }
        eq = strchr(a + 2, '=');
        k = find(opts, nopts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
        if (k < 0) {
            err_set(eb, "unknown option %s (see --help)", a);
            return ERR_INVALID;
        }
        if (opts[k].type == OPT_FLAG) {
            if (eq && strcmp(eq + 1, "true") && strcmp(eq + 1, "false")) {
                err_set(eb, "--%s takes no value (or =true/=false)",
                        opts[k].name);
                return ERR_INVALID;
            }
            out->vals[k] = eq && !strcmp(eq + 1, "false") ? NULL : "true";
            out->src[k] = CLI_SRC_ARG;
            continue;
        }
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            err_set(eb, "--%s needs a value", opts[k].name);
            return ERR_INVALID;
        }
        e = check(&opts[k], val, "option", eb);
        if (e)
            return e;
        if (opts[k].type == OPT_LIST && out->src[k] == CLI_SRC_ARG &&
            out->vals[k]) {
            char *j = xasprintf("%s,%s", out->vals[k], val);

            out->joined = xreallocarray(out->joined, out->njoined + 1,
                                        sizeof *out->joined);
            out->joined[out->njoined++] = j;
            val = j;
        }
        out->vals[k] = val;
        out->src[k] = CLI_SRC_ARG;
    }
    for (size_t i = 0; i < sizeof alternatives / sizeof alternatives[0]; i++) {
        const char *x = alternatives[i][0], *y = alternatives[i][1];
        int kx = find(opts, nopts, x, strlen(x)),
            ky = find(opts, nopts, y, strlen(y));

        if (kx < 0 || ky < 0 || !out->vals[kx] || !out->vals[ky])
            continue;
        /* The one from the higher source wins (file < env < flag). */
        if (out->src[kx] > out->src[ky]) {
            out->vals[ky] = NULL;
            out->src[ky] = CLI_SRC_DEFAULT;
        } else if (out->src[ky] > out->src[kx]) {
            out->vals[kx] = NULL;
            out->src[kx] = CLI_SRC_DEFAULT;
        }
    }
    return ERR_OK;
}

void cli_args_cleanup(struct cli_args *a)
{
    free(a->vals);
    free(a->src);
    free(a->pos);
    free(a->conf);
    for (size_t i = 0; i < a->njoined; i++)
        free(a->joined[i]);
    free(a->joined);
    memset(a, 0, sizeof *a);
}

static int index_of(const struct cli_args *a, const char *name)
{
    int k = find(a->opts, a->nopts, name, strlen(name));

    assert(k >= 0 && "option name not in the command's table");
    return k;
}

const char *cli_str(const struct cli_args *a, const char *name)
{
    return a->vals[index_of(a, name)];
}

int64_t cli_int(const struct cli_args *a, const char *name)
{
    const char *v = cli_str(a, name);
    int64_t x = 0;

    if (v)
        (void)parse_int64(v, INT64_MIN, INT64_MAX, &x);
    return x;
}

uint64_t cli_size(const struct cli_args *a, const char *name)
{
    const char *v = cli_str(a, name);
    uint64_t x = 0;

    if (v)
        (void)parse_size(v, &x);
    return x;
}

bool cli_flag(const struct cli_args *a, const char *name)
{
    return cli_str(a, name) != NULL;
}

bool cli_has(const struct cli_args *a, const char *name)
{
    return find(a->opts, a->nopts, name, strlen(name)) >= 0;
}

void cli_usage(FILE *f, const char *synopsis, const char *about,
               const struct cli_opt *opts, size_t nopts)
{
    fprintf(f, "usage: %s\n\n%s\n", synopsis, about);
    if (nopts)
        fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < nopts; i++) {
        char left[64];

        if (opts[i].type == OPT_FLAG)
            snprintf(left, sizeof left, "--%s", opts[i].name);
        else
            snprintf(left, sizeof left, "--%s %s", opts[i].name,
                     opts[i].metavar ? opts[i].metavar : "VALUE");
        fprintf(f, "  %-26s %s", left, opts[i].help);
        if (opts[i].def && opts[i].type != OPT_FLAG)
            fprintf(f, " (default %s)", opts[i].def);
        if (opts[i].env)
            fprintf(f, " [env %s]", opts[i].env);
        fputc('\n', f);
    }
    fprintf(f, "  %-26s %s\n", "-h, --help", "show this help");
}
