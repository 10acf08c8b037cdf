/*
 * benchvault compare: base against head, as a table (text), a PR comment
 * (markdown) or the API's JSON.  With --db the comparison is built here
 * from the database file by the same code the server runs
 * (svc_compare_create); with --server it is the server's
 * GET /api/v1/projects/{p}/compare answer, printed as it comes.
 *
 * --fail-on-regression gates: exit 1 when a row is regressed or a budget
 * is broken.  Against a server the counts come from the JSON answer
 * (ingest_compare_parse), fetched beside the text or Markdown one.
 */
#include "agent/agent.h"
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "service/service.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt opts[] = {
    {"server", OPT_STR, 0, 0, NULL, "BENCHVAULT_SERVER", "URL",
     "server to ask, e.g. http://127.0.0.1:8080"},
    {"db", OPT_STR, 0, 0, NULL, NULL, "PATH",
     "compare from this database file instead of a server"},
    {"token", OPT_STR, 0, 0, NULL, "BENCHVAULT_TOKEN", "TOKEN",
     "read token (for a --private server)"},
    {"project", OPT_STR, 0, 0, NULL, "BENCHVAULT_PROJECT", "SLUG", "project"},
    {"base", OPT_STR, 0, 0, NULL, NULL, "REF",
     "run id, ids (12,13), branch:NAME or commit:SHA (default: the head's "
     "base branch, else main)"},
    {"head", OPT_STR, 0, 0, NULL, NULL, "REF", "run id(s), branch or commit"},
    {"format", OPT_STR, 0, 0, "text", NULL, "text|markdown|json",
     "output format"},
    {"threshold", OPT_STR, 0, 0, NULL, NULL, "F",
     "noise threshold, a fraction (default: the project's, else 0.05)"},
    {"bootstrap", OPT_INT, 0, 100000, "0", NULL, "N",
     "bootstrap resamples (0: the default 2000)"},
    {"seed", OPT_INT, 0, INT64_MAX, "0", NULL, "S", "bootstrap seed"},
    {"link", OPT_STR, 0, 0, NULL, "BENCHVAULT_LINK", "URL",
     "the server's URL as readers reach it, for the links and chart of "
     "--format markdown (default: --server)"},
    {"fail-on-regression", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "exit 1 when a benchmark regressed or a budget is broken"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static bool threshold_of(const struct cli_args *a, double *out)
{
    const char *s = cli_str(a, "threshold");
    char *end;

    *out = NAN;
    if (!s)
        return true;
    errno = 0;
    *out = strtod(s, &end);
    if (end == s || *end || errno || !(*out >= 0 && *out <= 10)) {
        fprintf(stderr,
                "benchvault compare: --threshold: expected a "
                "fraction such as 0.05, got \"%s\"\n",
                s);
        return false;
    }
    return true;
}

static int compare_db(const struct cli_args *a, double threshold, bool gate)
{
    struct svc_compare_query q = {0};
    struct svc_compare *c = NULL;
    struct store *st = NULL;
    struct errbuf eb;
    struct buf out;
    size_t regressed = 0, broken = 0;
    int rc = EXIT_OK;

    err_init(&eb);
    buf_init(&out, 0);
    q.project = cli_str(a, "project");
    q.base = cli_str(a, "base");
    q.head = cli_str(a, "head");
    q.threshold = threshold;
    q.bootstrap = (unsigned)cli_int(a, "bootstrap");
    q.seed = (uint64_t)cli_int(a, "seed");
    q.link_base = cli_str(a, "link");
    if (store_open(cli_str(a, "db"), STORE_READONLY, &st, NULL, &eb) ||
        svc_compare_create(st, &q, &c, &eb)) {
        fprintf(stderr, "benchvault compare: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    (void)svc_compare_write(c, cli_str(a, "format"), &out);
    fputs(buf_str(&out), stdout);
    if (out.len && out.data[out.len - 1] != '\n')
        fputc('\n', stdout);
    svc_compare_counts(c, &regressed, &broken);
    if (gate && (regressed || broken))
        rc = EXIT_GATE;
out:
    svc_compare_free(c);
    store_close(st);
    buf_cleanup(&out);
    err_cleanup(&eb);
    return rc;
}

/* GETs the comparison in format into body through the agent's client
 * (one retry policy for every command); an exit status. */
static int fetch(const struct cli_args *a, double threshold, const char *format,
                 struct buf *body)
{
    struct agent_request rq = {0};
    struct agent_response resp;
    struct buf url, hdr;
    const char *server = cli_str(a, "server"), *token = cli_str(a, "token");
    const char *names[] = {"base", "head"};
    const char *headers[2] = {NULL, NULL};
    int rc = EXIT_OK;
    enum err e;

    /* unbounded: a long --link or token must not be cut silently (the
     * command line bounds them) */
    buf_init(&url, 0);
    buf_init(&hdr, 0);
    agent_response_init(&resp);
    agent_url_base(&url, server);
    (void)buf_adds(&url, "/api/v1/projects/");
    agent_url_escape(&url, cli_str(a, "project"));
    (void)buf_printf(&url, "/compare?format=%s", format);
    for (int i = 0; i < 2; i++) {
        if (!cli_str(a, names[i]))
            continue;
        (void)buf_printf(&url, "&%s=", names[i]);
        agent_url_escape(&url, cli_str(a, names[i]));
    }
    if (isfinite(threshold))
        (void)buf_printf(&url, "&threshold=%.17g", threshold);
    if (cli_int(a, "bootstrap"))
        (void)buf_printf(&url, "&bootstrap=%lld",
                         (long long)cli_int(a, "bootstrap"));
    if (cli_int(a, "seed"))
        (void)buf_printf(&url, "&seed=%lld", (long long)cli_int(a, "seed"));
    if (!strcmp(format, "markdown")) {
        (void)buf_adds(&url, "&link=");
        agent_url_escape(&url,
                         cli_str(a, "link") ? cli_str(a, "link") : server);
    }
    if (token) {
        (void)buf_printf(&hdr, "Authorization: Bearer %s", token);
        headers[0] = buf_str(&hdr);
    }
    rq.method = "GET";
    rq.url = buf_str(&url);
    rq.headers = headers;
    rq.timeout_ms = 300000;
    rq.max_answer = body->max;
    e = agent_http_retry(&rq, 2, 250, buf_str(&url), &resp);
    if (e) {
        fprintf(stderr, "benchvault compare: %s: %s\n", buf_str(&url),
                resp.error);
        rc = e == ERR_INTERNAL ? EXIT_USAGE : EXIT_UNREACHABLE;
        goto out;
    }
    buf_reset(body);
    if (resp.truncated || buf_add(body, resp.body.data, resp.body.len)) {
        fprintf(stderr,
                "benchvault compare: the answer is larger than "
                "%zu bytes\n",
                body->max);
        rc = EXIT_USAGE;
        goto out;
    }
    if (resp.status != 200) {
        fprintf(stderr, "benchvault compare: the server answered %ld: %s\n",
                resp.status, buf_str(body));
        rc = resp.status >= 500 ? EXIT_UNREACHABLE : EXIT_USAGE;
    }
out:
    agent_response_cleanup(&resp);
    buf_cleanup(&url);
    buf_cleanup(&hdr);
    return rc;
}

static int compare_server(const struct cli_args *a, double threshold, bool gate)
{
    const char *format = cli_str(a, "format");
    struct buf body, json;
    int rc;

    buf_init(&body, 64u << 20);
    buf_init(&json, 64u << 20);
    agent_init();
    rc = fetch(a, threshold, format, &body);
    if (rc == EXIT_OK) {
        fputs(buf_str(&body), stdout);
        if (body.len && body.data[body.len - 1] != '\n')
            fputc('\n', stdout);
    }
    if (rc == EXIT_OK && gate) {
        struct ingest_compare cmp;
        const struct buf *src = &body;
        bool broken = false;

        if (strcmp(format, "json")) {
            rc = fetch(a, threshold, "json", &json);
            src = &json;
        }
        memset(&cmp, 0, sizeof cmp);
        if (rc == EXIT_OK &&
            ingest_compare_parse(buf_str(src), src->len, &cmp, NULL)) {
            fprintf(stderr, "benchvault compare: the server's answer is not "
                            "a comparison\n");
            rc = EXIT_USAGE;
        } else if (rc == EXIT_OK) {
            for (size_t i = 0; i < cmp.nbudgets; i++)
                broken = broken || cmp.budgets[i].broken;
            if (cmp.regressed > 0 || broken)
                rc = EXIT_GATE;
        }
        ingest_compare_cleanup(&cmp);
    }
    agent_cleanup();
    buf_cleanup(&body);
    buf_cleanup(&json);
    return rc;
}

int cmd_compare(int argc, char **argv)
{
    static const char *const formats[] = {"text", "markdown", "json"};
    struct cli_args a;
    struct errbuf eb;
    double threshold;
    bool format_ok = false;
    int rc = EXIT_OK;

    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault compare: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        cli_usage(stdout,
                  "benchvault compare (--server URL | --db PATH) "
                  "--project P [--base REF] --head REF [OPTIONS]",
                  "Compares the head run(s) against the base: per benchmark "
                  "and measure the change of the medians with a 95% "
                  "bootstrap CI, Mann-Whitney (or Welch) p-values corrected "
                  "with Benjamini-Hochberg, and a verdict that must also "
                  "beat the series' run-to-run noise; budgets and "
                  "recommendations. docs/statistics.md explains the rules. "
                  "Exit status: 0 ok, 1 a regression or a broken budget "
                  "(with --fail-on-regression), 2 usage or input error, 3 "
                  "server unreachable.",
                  opts, NOPTS);
        goto out;
    }
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        format_ok = format_ok || !strcmp(cli_str(&a, "format"), formats[i]);
    if (!cli_str(&a, "project") || !cli_str(&a, "head") || a.npos ||
        (!cli_str(&a, "server") == !cli_str(&a, "db")) || !format_ok) {
        fprintf(stderr,
                "benchvault compare: give --project, --head (and "
                "--base), exactly one of --server URL or --db PATH, and "
                "--format text, markdown or json (see --help)\n");
        rc = EXIT_USAGE;
        goto out;
    }
    if (!threshold_of(&a, &threshold)) {
        rc = EXIT_USAGE;
        goto out;
    }
    if (cli_str(&a, "db"))
        rc = compare_db(&a, threshold, cli_flag(&a, "fail-on-regression"));
    else
        rc = compare_server(&a, threshold, cli_flag(&a, "fail-on-regression"));
out:
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
