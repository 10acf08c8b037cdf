/*
 * benchvault delete run|benchmark|branch|project TARGET: deletes over the
 * API (--server, a write token; an admin token for a project) or straight
 * in a database (--db, through the same service call the server makes).
 *
 *   delete run ID          --project P
 *   delete benchmark KEY|ID --project P
 *   delete branch NAME     --project P
 *   delete project SLUG
 *
 * Prints the answer's JSON (runs, results, alerts resolved, the log row).
 * --db must not be used on a database a server is running on: the
 * server's writer keeps caches of ids that only its own deletes refresh
 * (docs/operations.md).  Exit status: 0 deleted, 2 refused, not found or
 * bad usage, 3 server unreachable.
 */
#include "agent/agent.h"
#include "cli/cli.h"
#include "service/service.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt opts[] = {
    {"server", OPT_STR, 0, 0, NULL, "BENCHVAULT_SERVER", "URL",
     "server, e.g. http://127.0.0.1:8080"},
    {"db", OPT_STR, 0, 0, NULL, NULL, "PATH",
     "delete in this database instead (no server may be running on it)"},
    {"token", OPT_STR, 0, 0, NULL, "BENCHVAULT_TOKEN", "TOKEN",
     "token (write scope; admin to delete a project)"},
    {"project", OPT_STR, 0, 0, NULL, "BENCHVAULT_PROJECT", "SLUG",
     "the project (run, benchmark, branch)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

#define PREFIX "benchvault delete: "

static const struct {
    const char *name;
    enum svc_delete_kind kind;
    const char *path; /* after /api/v1/projects/{p} */
} kinds[] = {
    {"run", SVC_DEL_RUN, "/runs/"},
    {"benchmark", SVC_DEL_BENCHMARK, "/benchmarks/"},
    {"branch", SVC_DEL_BRANCH, "/branches/"},
    {"project", SVC_DEL_PROJECT, NULL},
};

/* Appends s percent-encoded (all but RFC 3986's unreserved bytes). */
static enum err add_encoded(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        enum err e = plain ? buf_add(b, p, 1) : buf_add(b, esc, 3);

        if (e)
            return e;
    }
    return ERR_OK;
}

static int over_http(const struct cli_args *a, int k, const char *target)
{
    struct agent_request rq = {0};
    struct agent_response resp;
    struct buf url, hdr;
    const char *token = cli_str(a, "token");
    const char *headers[2] = {NULL, NULL};
    enum err e;
    int rc = EXIT_USAGE;

    buf_init(&url, 8192);
    buf_init(&hdr, 8192);
    agent_response_init(&resp);
    if (agent_url_base(&url, cli_str(a, "server")) ||
        buf_adds(&url, "/api/v1/projects/") ||
        add_encoded(&url, kinds[k].path ? cli_str(a, "project") : target) ||
        (kinds[k].path &&
         (buf_adds(&url, kinds[k].path) || add_encoded(&url, target)))) {
        fprintf(stderr, PREFIX "the request URL is longer than %zu bytes\n",
                url.max);
        goto out;
    }
    if (!token) {
        fprintf(stderr, PREFIX "--token (or BENCHVAULT_TOKEN) is needed "
                               "to delete on a server\n");
        goto out;
    }
    if (buf_printf(&hdr, "Authorization: Bearer %s", token)) {
        fprintf(stderr, PREFIX "--token is longer than a header may be\n");
        goto out;
    }
    headers[0] = buf_str(&hdr);
    rq.method = "DELETE";
    rq.url = buf_str(&url);
    rq.headers = headers;
    rq.timeout_ms = 120000;
    rq.max_answer = 1u << 20;
    /* A delete repeated after a lost answer finds nothing: 404, said. */
    e = agent_http_retry(&rq, 2, 250, buf_str(&url), &resp);
    if (e) {
        fprintf(stderr, PREFIX "%s: %s\n", buf_str(&url), resp.error);
        rc = e == ERR_INTERNAL ? EXIT_USAGE : EXIT_UNREACHABLE;
    } else if (resp.status == 200) {
        printf("%s\n", buf_str(&resp.body));
        rc = EXIT_OK;
    } else {
        fprintf(stderr, PREFIX "server answered %ld: %s\n", resp.status,
                buf_str(&resp.body));
        rc = resp.status >= 500 ? EXIT_UNREACHABLE : EXIT_USAGE;
    }
out:
    agent_response_cleanup(&resp);
    buf_cleanup(&url);
    buf_cleanup(&hdr);
    return rc;
}

static int in_db(const struct cli_args *a, int k, const char *target)
{
    struct svc_delete_req d = {0};
    struct svc_delete_result r;
    struct store *st = NULL;
    struct errbuf eb;
    struct buf out;
    struct jw w;
    int rc;

    rc = cli_db_open("delete", a, &st);
    if (rc)
        return rc;
    err_init(&eb);
    d.kind = kinds[k].kind;
    d.project = cli_str(a, "project");
    d.target = target;
    d.actor = "cli";
    if (svc_delete(st, &d, &r, &eb) != ERR_OK) {
        fprintf(stderr, PREFIX "%s\n", eb.msg[0] ? eb.msg : "failed");
        rc = EXIT_USAGE;
        goto out;
    }
    buf_init(&out, 0);
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_kstr(&w, "deleted", kinds[k].name);
    jw_kstr(&w, "project", kinds[k].path ? d.project : target);
    jw_kstr(&w, "target", target);
    jw_kint(&w, "runs", r.runs);
    jw_kint(&w, "results", r.results);
    jw_kint(&w, "alerts_resolved", r.alerts_resolved);
    jw_kint(&w, "log_id", r.log_id);
    jw_obj_end(&w);
    printf("%s\n", buf_str(&out));
    buf_cleanup(&out);
out:
    store_close(st);
    err_cleanup(&eb);
    return rc;
}

int cmd_delete(int argc, char **argv)
{
    struct cli_args a;
    struct errbuf eb;
    int k = -1, rc = EXIT_USAGE;

    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, PREFIX "%s\n", eb.msg);
        goto out;
    }
    if (a.help || a.npos != 2) {
        cli_usage(a.help ? stdout : stderr,
                  "benchvault delete run|benchmark|branch|project TARGET "
                  "[--project P] (--server URL --token T | --db PATH)",
                  "Deletes a run (by id), a benchmark (key or id), a branch "
                  "(name) or a whole project, with its results; alerts it "
                  "caused are resolved with a note and the deletion is "
                  "logged.",
                  opts, NOPTS);
        rc = a.help ? EXIT_OK : EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(a.pos[0], kinds[i].name))
            k = (int)i;
    if (k < 0) {
        fprintf(stderr,
                PREFIX "unknown kind \"%s\" (run, benchmark, branch, "
                       "project)\n",
                a.pos[0]);
        goto out;
    }
    if (kinds[k].path && !cli_str(&a, "project")) {
        fprintf(stderr, PREFIX "--project is needed to delete a %s\n",
                kinds[k].name);
        goto out;
    }
    if (!!cli_str(&a, "server") == !!cli_str(&a, "db")) {
        fprintf(stderr, PREFIX "give --server or --db (one of them)\n");
        goto out;
    }
    rc =
        cli_str(&a, "db") ? in_db(&a, k, a.pos[1]) : over_http(&a, k, a.pos[1]);
out:
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
