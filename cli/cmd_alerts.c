/*
 * benchvault alerts list|ack|dismiss|settings: triage from a terminal.
 *
 *   alerts list    --project P [--status S] [--limit N]
 *   alerts ack     ID [--note TEXT]
 *   alerts dismiss ID --note TEXT
 *   alerts settings --db PATH --project P [--window N] [--p P]
 *                   [--magnitude M] [--min-size N]
 *
 * Against a server (--server, with a token for ack and dismiss) the answer
 * is the API's JSON as it came; against a database (--db) the same JSON is
 * written here (srv_write_alert).  Exit status: 0 ok, 2 refused or bad
 * usage, 3 server unreachable.
 */
#include "agent/agent.h"
#include "cli/cli.h"
#include "server/server.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt opts[] = {
    {"server", OPT_STR, 0, 0, NULL, "BENCHVAULT_SERVER", "URL",
     "server, e.g. http://127.0.0.1:8080"},
    {"db", OPT_STR, 0, 0, NULL, NULL, "PATH",
     "use this database instead of a server"},
    {"token", OPT_STR, 0, 0, NULL, "BENCHVAULT_TOKEN", "TOKEN",
     "token (write scope for ack and dismiss)"},
    {"project", OPT_STR, 0, 0, NULL, "BENCHVAULT_PROJECT", "SLUG",
     "project (list, settings)"},
    {"status", OPT_STR, 0, 0, NULL, NULL, "STATUS",
     "list: open, acknowledged, dismissed or resolved (default: all)"},
    {"limit", OPT_INT, 1, 1000, "100", NULL, "N", "list: at most N alerts"},
    {"note", OPT_STR, 0, 0, NULL, NULL, "TEXT",
     "ack, dismiss: a note (dismiss needs one)"},
    {"window", OPT_INT, 2, 1000, NULL, NULL, "N", "settings: window length"},
    {"p", OPT_STR, 0, 0, NULL, NULL, "P", "settings: significance level"},
    {"magnitude", OPT_STR, 0, 0, NULL, NULL, "M",
     "settings: least relative change"},
    {"min-size", OPT_INT, 1, 500, NULL, NULL, "N",
     "settings: least points in a segment"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

#define PREFIX "benchvault alerts: "

/* ---- against a server ---------------------------------------------------- */

/* GET (body NULL) or PATCH path on the server, through the agent's client
 * (one retry policy for every command); prints the answer. */
static int http(const struct cli_args *a, const char *path, const char *body)
{
    struct agent_request rq = {0};
    struct agent_response resp;
    struct buf url, hdr;
    const char *server = cli_str(a, "server"), *token = cli_str(a, "token");
    const char *headers[3];
    size_t nh = 0;
    enum err e;
    int rc = EXIT_UNREACHABLE;

    buf_init(&url, 8192);
    buf_init(&hdr, 8192);
    agent_response_init(&resp);
    resp.body.max = 16u << 20;
    /* A failed append would send a cut URL or an empty header: refuse. */
    if (agent_url_base(&url, server) || buf_adds(&url, path)) {
        fprintf(stderr,
                PREFIX "the request URL (--server, --project) is "
                       "longer than %zu bytes\n",
                url.max);
        rc = EXIT_USAGE;
        goto out;
    }
    if (token) {
        if (buf_printf(&hdr, "Authorization: Bearer %s", token)) {
            fprintf(stderr,
                    PREFIX "--token is longer than a header may be "
                           "(%zu bytes)\n",
                    hdr.max);
            rc = EXIT_USAGE;
            goto out;
        }
        headers[nh++] = buf_str(&hdr);
    }
    if (body)
        headers[nh++] = "Content-Type: application/json";
    headers[nh] = NULL;
    rq.method = body ? "PATCH" : "GET";
    rq.url = buf_str(&url);
    rq.headers = headers;
    rq.body = body;
    rq.len = body ? strlen(body) : 0;
    rq.timeout_ms = 60000;
    rq.max_answer = 16u << 20;
    /* PATCH sets a status: doing it twice is doing it once. */
    e = agent_http_retry(&rq, 2, 250, buf_str(&url), &resp);
    if (e) {
        fprintf(stderr, PREFIX "%s: %s\n", buf_str(&url), resp.error);
        rc = e == ERR_INTERNAL ? EXIT_USAGE : EXIT_UNREACHABLE;
    } else if (resp.truncated) {
        fprintf(stderr, PREFIX "the answer is larger than %zu bytes\n",
                resp.body.max);
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

/* ---- against a database -------------------------------------------------- */

static int print_json(struct buf *out)
{
    printf("%s\n", buf_str(out));
    return EXIT_OK;
}

static int db_list(struct store *st, const struct cli_args *a,
                   struct errbuf *eb)
{
    struct store_project proj;
    struct store_alert *al = NULL;
    size_t n = 0;
    struct buf out;
    struct jw w;
    int rc = EXIT_USAGE;

    buf_init(&out, 0);
    if (store_project_get(st, cli_str(a, "project"), &proj) != ERR_OK) {
        fprintf(stderr, PREFIX "no project \"%s\"\n", cli_str(a, "project"));
        return EXIT_USAGE;
    }
    if (store_alerts_list(st, proj.id, cli_str(a, "status"), 0,
                          (int)cli_int(a, "limit"), &al, &n, eb)) {
        fprintf(stderr, PREFIX "%s\n", eb->msg);
        goto out;
    }
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_key(&w, "alerts");
    jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        srv_write_alert(&w, &al[i]);
    jw_arr_end(&w);
    jw_obj_end(&w);
    rc = print_json(&out);
out:
    store_alerts_free(al, n);
    store_project_cleanup(&proj);
    buf_cleanup(&out);
    return rc;
}

static int db_update(struct store *st, int64_t id, const char *status,
                     const char *note, struct errbuf *eb)
{
    struct store_alert al;
    struct buf out;
    struct jw w;
    int rc;

    if (store_alert_update(st, id, status, note, eb) ||
        store_alert_get(st, id, &al, eb)) {
        fprintf(stderr, PREFIX "%s\n", eb->msg);
        return EXIT_USAGE;
    }
    buf_init(&out, 0);
    jw_init(&w, &out);
    srv_write_alert(&w, &al);
    rc = print_json(&out);
    buf_cleanup(&out);
    store_alert_cleanup(&al);
    return rc;
}

/* A decimal option into *out (NAN when absent); false after a message. */
static bool decimal(const struct cli_args *a, const char *name, double *out)
{
    const char *v = cli_str(a, name);
    char *end;

    *out = NAN;
    if (!v)
        return true;
    errno = 0;
    *out = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(*out) || *out < 0) {
        fprintf(stderr, PREFIX "--%s: expected a number >= 0, got \"%s\"\n",
                name, v);
        return false;
    }
    return true;
}

static int db_settings(struct store *st, const struct cli_args *a,
                       struct errbuf *eb)
{
    struct store_cpd_settings cs = {0, 0, NAN, NAN};
    struct store_project proj;
    int rc = EXIT_OK;

    cs.window = cli_int(a, "window");
    cs.min_size = cli_int(a, "min-size");
    if (!decimal(a, "p", &cs.p) || !decimal(a, "magnitude", &cs.magnitude))
        return EXIT_USAGE;
    if (!isnan(cs.p) && !(cs.p > 0 && cs.p <= 1)) {
        fprintf(stderr, PREFIX "--p must be in (0, 1]\n");
        return EXIT_USAGE;
    }
    if (store_cpd_settings_set(st, cli_str(a, "project"), &cs, eb)) {
        fprintf(stderr, PREFIX "%s\n", eb->msg);
        return EXIT_USAGE;
    }
    if (store_project_get(st, cli_str(a, "project"), &proj) != ERR_OK ||
        store_cpd_settings_get(st, proj.id, &cs, eb) != ERR_OK) {
        fprintf(stderr, PREFIX "cannot read the settings back\n");
        rc = EXIT_USAGE;
    } else {
        /* Unset fields print as 0 / null: the server's defaults apply. */
        printf("{\"window\":%lld,\"min_size\":%lld,", (long long)cs.window,
               (long long)cs.min_size);
        if (isnan(cs.p))
            printf("\"p\":null,");
        else
            printf("\"p\":%.17g,", cs.p);
        if (isnan(cs.magnitude))
            printf("\"magnitude\":null}\n");
        else
            printf("\"magnitude\":%.17g}\n", cs.magnitude);
    }
    store_project_cleanup(&proj);
    return rc;
}

/* ---- the command --------------------------------------------------------- */

/* The PATCH body {"status", "note"} with JSON escaping. */
static char *patch_body(const char *status, const char *note)
{
    struct buf b;
    struct jw w;

    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_kstr(&w, "status", status);
    if (note)
        jw_kstr(&w, "note", note);
    jw_obj_end(&w);
    return buf_take(&b);
}

int cmd_alerts(int argc, char **argv)
{
    struct cli_args a;
    struct store *st = NULL;
    struct errbuf eb;
    const char *verb, *status = NULL;
    int64_t id = 0;
    int rc = EXIT_USAGE;

    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, PREFIX "%s\n", eb.msg);
        goto out;
    }
    if (a.help || a.npos == 0) {
        cli_usage(a.help ? stdout : stderr,
                  "benchvault alerts list|ack ID|dismiss ID|settings "
                  "[OPTIONS]",
                  "Lists and triages regression alerts, on a server "
                  "(--server) or in a database (--db). dismiss needs "
                  "--note. settings (--db) sets a project's change-point "
                  "parameters.",
                  opts, NOPTS);
        rc = a.help ? EXIT_OK : EXIT_USAGE;
        goto out;
    }
    verb = a.pos[0];
    if (strcmp(verb, "list") && strcmp(verb, "ack") &&
        strcmp(verb, "dismiss") && strcmp(verb, "settings")) {
        fprintf(stderr,
                PREFIX "unknown action \"%s\" (list, ack, dismiss, "
                       "settings)\n",
                verb);
        goto out;
    }
    if (!cli_str(&a, "server") == !cli_str(&a, "db")) {
        fprintf(stderr, PREFIX "give exactly one of --server URL or --db "
                               "PATH\n");
        goto out;
    }
    if ((!strcmp(verb, "list") || !strcmp(verb, "settings")) &&
        !cli_str(&a, "project")) {
        fprintf(stderr, PREFIX "%s needs --project\n", verb);
        goto out;
    }
    if (!strcmp(verb, "settings") && !cli_str(&a, "db")) {
        fprintf(stderr, PREFIX "settings works on a database (--db)\n");
        goto out;
    }
    if (!strcmp(verb, "ack") || !strcmp(verb, "dismiss")) {
        if (a.npos != 2 || parse_int64(a.pos[1], 1, INT64_MAX, &id)) {
            fprintf(stderr, PREFIX "%s needs one alert id\n", verb);
            goto out;
        }
        status = !strcmp(verb, "ack") ? "acknowledged" : "dismissed";
        if (!strcmp(verb, "dismiss") &&
            (!cli_str(&a, "note") || !*cli_str(&a, "note"))) {
            fprintf(stderr, PREFIX "dismiss needs --note saying why\n");
            goto out;
        }
    }
    if (cli_str(&a, "status") &&
        !store_alert_status_valid(cli_str(&a, "status"))) {
        fprintf(stderr, PREFIX "--status must be open, acknowledged, "
                               "dismissed or resolved\n");
        goto out;
    }
    if (cli_str(&a, "server")) {
        char *path = NULL, *body = NULL;

        agent_init();
        if (!strcmp(verb, "list")) {
            struct buf esc;

            buf_init(&esc, 0);
            agent_url_escape(&esc, cli_str(&a, "project"));
            path = xasprintf("/api/v1/projects/%s/alerts?limit=%lld%s",
                             buf_str(&esc), (long long)cli_int(&a, "limit"),
                             cli_str(&a, "status") ? "&status=" : "");
            buf_cleanup(&esc);
            if (cli_str(&a, "status")) {
                char *p2 = xasprintf("%s%s", path, cli_str(&a, "status"));

                free(path);
                path = p2;
            }
        } else {
            path = xasprintf("/api/v1/alerts/%lld", (long long)id);
            body = patch_body(status, cli_str(&a, "note"));
        }
        rc = http(&a, path, body);
        free(path);
        free(body);
        agent_cleanup();
        goto out;
    }
    if (cli_db_open("alerts", &a, &st))
        goto out;
    if (!strcmp(verb, "list"))
        rc = db_list(st, &a, &eb);
    else if (!strcmp(verb, "settings"))
        rc = db_settings(st, &a, &eb);
    else
        rc = db_update(st, id, status, cli_str(&a, "note"), &eb);
out:
    store_close(st);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
