/*
 * benchvault serve: open the database, start the server, wait for SIGINT or
 * SIGTERM, stop gracefully.  The signals are blocked before any thread
 * starts, so every thread inherits the mask and only sigwait() here sees
 * them.  With --demo, a database created by this start gets the demo
 * project and a write token, printed once.
 */
#include "cli/cli.h"
#include "render/render.h"
#include "server/server.h"
#include "store/store.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_opt opts[] = {
    {"db", OPT_STR, 0, 0, "./benchvault.db", "BENCHVAULT_DB", "PATH",
     "SQLite database file (created if missing)"},
    {"listen", OPT_STR, 0, 0, "127.0.0.1:8080", "BENCHVAULT_LISTEN",
     "HOST:PORT", "address to listen on (port 0: any free port)"},
    {"threads", OPT_INT, 1, 256, "4", NULL, "N", "worker threads"},
    {"private", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "reads need a read token too"},
    {"max-body", OPT_SIZE, 0, 0, "16MiB", NULL, "BYTES",
     "largest request body"},
    {"max-depth", OPT_INT, 2, 1024, "64", NULL, "N", "deepest JSON nesting"},
    {"max-name", OPT_INT, 16, 65536, "256", NULL, "BYTES",
     "longest name (benchmark, branch, measure, param value)"},
    {"max-text", OPT_INT, 256, 16777216, "65536", NULL, "BYTES",
     "longest free text stored with a run (commit message, metadata "
     "string)"},
    {"max-samples", OPT_INT, 1, 100000000, "1000000", NULL, "N",
     "samples per result"},
    {"timeout", OPT_INT, 1, 3600, "30", NULL, "SECONDS",
     "idle connection timeout"},
    {"header-timeout", OPT_INT, 1, 3600, "15", NULL, "SECONDS",
     "a request's headers must arrive within this (slow clients)"},
    {"body-timeout", OPT_INT, 1, 86400, "60", NULL, "SECONDS",
     "a request's body must arrive within this, +1 s per 64 KiB"},
    {"max-connections", OPT_INT, 16, 1000000, "1024", NULL, "N",
     "connections held at once; more are closed at once"},
    {"per-ip-limit", OPT_INT, 0, 100000, "64", NULL, "N",
     "concurrent connections per client IP (0: no limit; behind a proxy, "
     "raise it)"},
    {"max-url", OPT_SIZE, 0, 0, "8KiB", NULL, "BYTES",
     "longest request target, path and query (414 past it)"},
    {"max-headers", OPT_SIZE, 0, 0, "32KiB", NULL, "BYTES",
     "largest request header block (431 past it)"},
    {"batch-max", OPT_INT, 1, 100000, "256", NULL, "N",
     "most runs per group commit"},
    {"trust-proxy", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "believe the proxy in front: X-Forwarded-Proto (Secure cookies), "
     "X-Forwarded-Host"},
    {"session-idle", OPT_INT, 60, 31 * 24 * 3600, "43200", NULL, "SECONDS",
     "a browser session ends unused this long"},
    {"session-max", OPT_INT, 60, 366 * 24 * 3600, "604800", NULL, "SECONDS",
     "a browser session ends this long after sign-in"},
    {"cors-origin", OPT_LIST, 0, 0, NULL, "BENCHVAULT_CORS_ORIGIN", "ORIGIN",
     "an origin whose pages may read the API (GET) from a browser, e.g. "
     "https://grafana.example.com; repeat it or separate with commas; * "
     "for any (default: none)"},
    {"retention-interval", OPT_INT, 0, 7 * 24 * 3600, "3600", NULL, "SECONDS",
     "start a retention pass this often (0: never)"},
    {"retention-batch", OPT_INT, 1, 100000, "200", NULL, "N",
     "runs per retention batch (one short transaction each)"},
    {"webhook-retry", OPT_INT, 1, 86400, "30", NULL, "SECONDS",
     "a failed webhook delivery is tried again after this, doubling"},
    {"webhook-attempts", OPT_INT, 1, 100, "12", NULL, "N",
     "attempts before a webhook delivery is given up"},
    {"webhook-timeout", OPT_INT, 1, 300, "10", NULL, "SECONDS",
     "how long one webhook request may take"},
    {"public-url", OPT_STR, 0, 0, NULL, "BENCHVAULT_PUBLIC_URL", "URL",
     "this server's address as people reach it, for links in webhooks"},
    {"metrics-series", OPT_INT, 0, 100000, "0", NULL, "N",
     "expose up to N series' latest value and state on /metrics, worse "
     "now first (0: none; they name projects and benchmarks)"},
    {"quiet", OPT_FLAG, 0, 0, NULL, NULL, NULL, "no per-request log lines"},
    {"demo", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "on a new database, load the demo project and print a write token"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

/* Creates the demo data and a token if the database is new. */
static int demo_setup(const char *db)
{
    struct store *st = NULL;
    struct errbuf eb;
    bool created = false;
    char *secret = NULL;
    int64_t id = 0;
    int rc = EXIT_OK;

    err_init(&eb);
    if (store_open(db, STORE_RW, &st, &created, &eb)) {
        fprintf(stderr, "benchvault: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (!created) {
        printf("Using the existing database %s. A new write token: "
               "benchvault token create --db %s --scope write\n",
               db, db);
        goto out;
    }
    if (cli_demo_load(st, &eb) ||
        store_token_create(st, "make-run", SCOPE_WRITE, NULL, &secret, &id,
                           &eb)) {
        fprintf(stderr, "benchvault: demo setup failed: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    printf("New database %s with a demo project \"demo\" (synthetic data).\n"
           "Write token (shown once): %s\n",
           db, secret);
out:
    free(secret);
    store_close(st);
    err_cleanup(&eb);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    struct cli_args a;
    struct srv_config cfg;
    struct srv *s = NULL;
    struct cli_webhooks *hooks = NULL;
    struct errbuf eb;
    sigset_t set;
    int sig = 0, rc = EXIT_OK;

    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault serve: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        cli_usage(stdout, "benchvault serve [OPTIONS]",
                  "Serves the JSON API, /metrics and pages over HTTP.", opts,
                  NOPTS);
        goto out;
    }
    if (a.npos) {
        fprintf(stderr, "benchvault serve: unexpected argument \"%s\"\n",
                a.pos[0]);
        rc = EXIT_USAGE;
        goto out;
    }
    srv_config_default(&cfg);
    cfg.db_path = cli_str(&a, "db");
    cfg.listen = cli_str(&a, "listen");
    cfg.threads = (unsigned)cli_int(&a, "threads");
    cfg.private_reads = cli_flag(&a, "private");
    cfg.limits.max_body = (size_t)cli_size(&a, "max-body");
    cfg.limits.max_depth = (unsigned)cli_int(&a, "max-depth");
    cfg.limits.max_name = (size_t)cli_int(&a, "max-name");
    cfg.limits.max_text = (size_t)cli_int(&a, "max-text");
    cfg.limits.max_samples = (size_t)cli_int(&a, "max-samples");
    cfg.conn_timeout_s = (unsigned)cli_int(&a, "timeout");
    cfg.per_ip_limit = (unsigned)cli_int(&a, "per-ip-limit");
    cfg.header_timeout_s = (unsigned)cli_int(&a, "header-timeout");
    cfg.body_timeout_s = (unsigned)cli_int(&a, "body-timeout");
    cfg.max_connections = (unsigned)cli_int(&a, "max-connections");
    cfg.max_url = (size_t)cli_size(&a, "max-url");
    cfg.max_headers = (size_t)cli_size(&a, "max-headers");
    if (cfg.max_url < 256 || cfg.max_url > (1u << 20) ||
        cfg.max_headers < 1024 || cfg.max_headers > (1u << 20)) {
        fprintf(stderr, "benchvault serve: --max-url must be 256 B to 1 MiB "
                        "and --max-headers 1 KiB to 1 MiB\n");
        rc = EXIT_USAGE;
        goto out;
    }
    cfg.batch_max = (unsigned)cli_int(&a, "batch-max");
    cfg.metrics_series = (unsigned)cli_int(&a, "metrics-series");
    cfg.log_requests = !cli_flag(&a, "quiet");
    cfg.trust_proxy = cli_flag(&a, "trust-proxy");
    cfg.session_idle_s = (unsigned)cli_int(&a, "session-idle");
    cfg.session_max_s = (unsigned)cli_int(&a, "session-max");
    cfg.cors_origins = cli_str(&a, "cors-origin");
    cfg.retention_interval_s = (unsigned)cli_int(&a, "retention-interval");
    cfg.retention_batch = (unsigned)cli_int(&a, "retention-batch");

    if (cli_flag(&a, "demo")) {
        rc = demo_setup(cfg.db_path);
        if (rc)
            goto out;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (srv_start(&cfg, &s, &eb)) {
        fprintf(stderr, "benchvault serve: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    printf("benchvault %s listening on http://%.*s:%u (database %s)\n",
           BV_VERSION, (int)strcspn(cfg.listen, ":"), cfg.listen, srv_port(s),
           cfg.db_path);
    fflush(stdout);
    log_info("listening on port %u", srv_port(s));
    {
        struct cli_webhooks_opts wo = {
            (int64_t)cli_int(&a, "webhook-retry") * 1000,
            (int)cli_int(&a, "webhook-attempts"),
            (long)cli_int(&a, "webhook-timeout") * 1000, 1000,
            cli_str(&a, "public-url")};

        hooks = cli_webhooks_start(cfg.db_path, &wo);
    }
    sigwait(&set, &sig);
    log_info("signal %d: stopping (finishing requests in flight)", sig);
    cli_webhooks_stop(hooks);
    srv_stop(s, 10000);
    render_shutdown(); /* release cairo's and fontconfig's caches */
    log_info("stopped");
out:
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
