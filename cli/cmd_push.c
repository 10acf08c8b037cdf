/*
 * benchvault push: upload result files.  Each file is parsed and validated
 * locally first (so a bad file fails fast, offline, with the same messages
 * the server would give), then either POSTed to a server (through the
 * agent's HTTP client) or written straight into a database through the
 * same store code.
 *
 * Retries (the agent's one policy): no answer, 5xx, 429 and 408 are retried
 * with exponential backoff and full jitter, a bounded number of times.
 *
 * The content key (content_key): SHA-256 streamed over the project, the
 * overrides and every byte of the body, each field length-prefixed.  Over
 * HTTP it is the Idempotency-Key of every attempt, so a retry after a lost
 * answer or a re-run CI job never stores a run twice; with --db the same
 * key goes through the store's idempotency check, so pushing a file twice
 * stores it once there too.  (It once came from a buffer capped at 8 KiB
 * whose failed append went unchecked: every file over 8 KiB had the key of
 * its project and URL alone, and the second one was refused with 409.)
 *
 * Output: a line a person reads per file, or with --json one JSON object
 * per line (JSON Lines), the ingest answer plus "file", for jq.
 */
#include "agent/agent.h"
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "server/server.h"
#include "service/service.h"
#include "store/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const struct cli_opt opts[] = {
    {"server", OPT_STR, 0, 0, NULL, "BENCHVAULT_SERVER", "URL",
     "server to upload to, e.g. http://127.0.0.1:8080"},
    {"db", OPT_STR, 0, 0, NULL, NULL, "PATH",
     "write into this database instead of a server"},
    {"create", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "with --db: make the database if it does not exist"},
    {"json", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "print one JSON object per file and line (the ingest answer plus "
     "\"file\") instead of a sentence"},
    {"token", OPT_STR, 0, 0, NULL, "BENCHVAULT_TOKEN", "TOKEN",
     "write token for the server"},
    {"project", OPT_STR, 0, 0, NULL, "BENCHVAULT_PROJECT", "SLUG",
     "project (default: the file's)"},
    {"branch", OPT_STR, 0, 0, NULL, NULL, "NAME",
     "branch (overrides the file)"},
    {"commit", OPT_STR, 0, 0, NULL, NULL, "SHA", "commit (overrides the file)"},
    {"testbed", OPT_STR, 0, 0, NULL, NULL, "NAME",
     "testbed (overrides the file)"},
    {"format", OPT_STR, 0, 0, "auto", NULL, "NAME",
     "input format (auto detects)"},
    {"retries", OPT_INT, 0, 20, "4", NULL, "N",
     "retries when the server is unreachable or failing"},
    {"max-body", OPT_SIZE, 0, 0, "16MiB", NULL, "BYTES", "largest file"},
    {"spool", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "first deliver the runs `benchvault run` spooled while the server "
     "was unreachable"},
    {"spool-dir", OPT_STR, 0, 0, NULL, "BENCHVAULT_SPOOL", "DIR",
     "spool folder (default $XDG_CACHE_HOME/benchvault/spool)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static enum err read_file(const char *path, size_t max, struct buf *out,
                          struct errbuf *eb)
{
    enum err e;

    buf_init(out, 0);
    e = file_read(path, max, out, eb);
    if (e == ERR_TOO_LARGE)
        err_set(eb, "%s: larger than --max-body (%zu bytes)", path, max);
    return e == ERR_NOT_FOUND ? ERR_IO : e;
}

static bool file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A JSON body is sent as JSON; anything else (locust's CSV, go test's
 * text) as text/plain, which the text formats read. */
static void plain_type(const struct buf *body, char *ctype, size_t ctsz)
{
    const char *p = buf_str(body);

    if (body->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    p += strspn(p, " \t\r\n");
    snprintf(ctype, ctsz, "%s",
             *p == '{' || *p == '[' ? "application/json" : "text/plain");
}

/*
 * The body for one FILE argument and its Content-Type.  locust writes
 * several CSV files under one prefix (FORMATS.md): with --format locust,
 * or auto when FILE itself does not exist, a FILE that is a PREFIX
 * (PREFIX_stats.csv exists) or a PREFIX_stats.csv path becomes one
 * multipart/form-data body with the parts stats, stats_history and
 * failures that exist.  Otherwise the file as it is (plain_type).
 */
static enum err load_input(const char *path, const char *format, size_t max,
                           struct buf *out, char *ctype, size_t ctsz,
                           struct errbuf *eb)
{
    static const struct {
        const char *suffix, *part;
    } files[] = {{"_stats.csv", "stats"},
                 {"_stats_history.csv", "stats_history"},
                 {"_failures.csv", "failures"}};
    struct ingest_part parts[3];
    struct buf data[3], name;
    size_t n = 0, plen = strlen(path), sl = strlen(files[0].suffix);
    enum err e = ERR_OK;

    if (strcmp(path, "-") == 0 ||
        !(strcmp(format, "locust") == 0 ||
          (strcmp(format, "auto") == 0 && !file_exists(path))))
        goto plain;
    if (plen > sl && strcmp(path + plen - sl, files[0].suffix) == 0)
        plen -= sl;
    buf_init(&name, 0); /* unbounded: a path and a suffix always fit */
    if (buf_add(&name, path, plen) || buf_adds(&name, files[0].suffix) ||
        !file_exists(buf_str(&name))) {
        buf_cleanup(&name);
        goto plain;
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !e; i++) {
        buf_reset(&name);
        if (buf_add(&name, path, plen) || buf_adds(&name, files[i].suffix) ||
            !file_exists(buf_str(&name)))
            continue;
        e = read_file(buf_str(&name), max, &data[n], eb);
        parts[n].name = files[i].part;
        parts[n].filename = NULL;
        parts[n].content_type = "text/csv";
        parts[n].data = buf_str(&data[n]);
        parts[n].len = data[n].len;
        n++;
    }
    buf_init(out, max);
    if (!e && ingest_multipart_encode(parts, n, out, ctype, ctsz) != ERR_OK) {
        err_set(eb,
                "%.*s: the locust files are larger than --max-body "
                "(%zu bytes)",
                (int)plen, path, max);
        e = ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++)
        buf_cleanup(&data[i]);
    buf_cleanup(&name);
    return e;
plain:
    e = read_file(path, max, out, eb);
    if (!e)
        plain_type(out, ctype, ctsz);
    return e;
}

static void print_errors(const char *path, const struct errbuf *eb)
{
    if (eb->nitems == 0) {
        fprintf(stderr, "benchvault push: %s: %s\n", path, eb->msg);
        return;
    }
    for (size_t i = 0; i < eb->nitems; i++) {
        /* An item about a run field given beside the body is about the
         * flag that gave it (--branch, --commit, --testbed). */
        if (eb->items[i].parameter)
            fprintf(stderr, "benchvault push: --%s: %s\n",
                    eb->items[i].parameter, eb->items[i].message);
        else
            fprintf(stderr, "benchvault push: %s: %s: %s\n", path,
                    eb->items[i].pointer[0] ? eb->items[i].pointer : "(body)",
                    eb->items[i].message);
    }
}

#define PUSH_KEY_LEN (5 + 2 * HASH_SHA256_LEN + 1) /* "push-" hex NUL */

static void key_field(struct hash_stream *h, const char *v, size_t n)
{
    char len[32];
    int k = v ? snprintf(len, sizeof len, "%zu:", n)
              : snprintf(len, sizeof len, "-:");

    hash_stream_add(h, len, (size_t)k);
    if (v)
        hash_stream_add(h, v, n);
}

/*
 * The content key of one upload ("push-" + 64 hex digits): see the notes
 * at the top.  A NULL override hashes apart from an empty one.
 */
static void content_key(const struct cli_args *a, const char *project,
                        const struct buf *body, char key[PUSH_KEY_LEN])
{
    static const char *const overrides[] = {"branch", "commit", "testbed",
                                            "format"};
    struct hash_stream *h = hash_stream_create();
    unsigned char digest[HASH_SHA256_LEN];

    key_field(h, "benchvault push 1", strlen("benchvault push 1"));
    key_field(h, project, project ? strlen(project) : 0);
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++) {
        const char *v = cli_str(a, overrides[i]);

        key_field(h, v, v ? strlen(v) : 0);
    }
    key_field(h, buf_str(body), body->len);
    hash_stream_end(h, digest);
    hash_stream_free(h);
    memcpy(key, "push-", 5);
    hash_hex(digest, sizeof digest, key + 5);
}

/* Prints what one file became: a sentence, or with --json one line of
 * JSON (answer, an ingest answer object, with "file" added). */
static void print_stored(const struct cli_args *a, const char *path,
                         const char *answer, int64_t run_id, int64_t results,
                         bool replay, const char *where)
{
    if (cli_flag(a, "json")) {
        struct buf name;
        struct jw w;
        char *line = NULL;

        buf_init(&name, 0);
        jw_init(&w, &name);
        jw_str(&w, path);
        if (w.err || ingest_json_set(answer, "file", buf_str(&name), &line))
            printf("%s\n", answer); /* cannot happen: both are ours */
        else
            printf("%s\n", line);
        free(line);
        buf_cleanup(&name);
        return;
    }
    if (replay)
        printf("%s: already stored as run %lld, %s (nothing new stored)\n",
               path, (long long)run_id, where);
    else
        printf("%s: stored run %lld (%lld results), %s\n", path,
               (long long)run_id, (long long)results, where);
}

static int push_db(const struct cli_args *a, const char *path,
                   const struct buf *body, struct run *r)
{
    struct store *st = NULL;
    struct store_insert item = {0};
    struct errbuf eb;
    unsigned char hash[HASH_SHA256_LEN];
    char key[PUSH_KEY_LEN];
    int rc;

    err_init(&eb);
    err_init(&item.eb);
    content_key(a, r->project, body, key);
    hash_sha256(buf_str(body), body->len, hash);
    item.run = r;
    item.idempotency_key = key;
    item.body_hash = hash;
    rc = cli_db_open("push", a, &st);
    if (rc)
        goto out;
    if (store_runs_insert(st, &item, 1, &eb)) {
        fprintf(stderr, "benchvault push: %s\n", eb.msg);
        rc = EXIT_USAGE;
    } else if (item.status) {
        print_errors(path, &item.eb);
        rc = EXIT_USAGE;
    } else {
        struct buf ans;
        struct jw w;
        char *url =
            xasprintf("/p/%s/runs/%lld", r->project, (long long)item.run_id);
        char *where = xasprintf("in %s", cli_str(a, "db"));

        /* The server's answer, less the alerts (the examination below
         * opens them in the database; `alerts list --db` shows them). */
        buf_init(&ans, 0);
        jw_init(&w, &ans);
        jw_obj_begin(&w);
        jw_kint(&w, "run_id", item.run_id);
        jw_kstr(&w, "url", url);
        jw_kint(&w, "results", item.result_count);
        jw_key(&w, "warnings");
        jw_arr_begin(&w);
        for (size_t i = 0; i < r->nwarnings; i++)
            jw_str(&w, r->warnings[i]);
        jw_arr_end(&w);
        if (item.duplicate)
            jw_kstr(&w, "idempotent_replay",
                    "this file was pushed before: "
                    "nothing new was stored");
        jw_obj_end(&w);
        print_stored(a, path, buf_str(&ans), item.run_id, item.result_count,
                     item.duplicate, where);
        buf_cleanup(&ans);
        free(url);
        free(where);
        /* The same change-point examination a server ingest gets. */
        if (!item.duplicate)
            svc_alerts_backfill(st, &item.run_id, 1);
    }
out:
    store_close(st);
    err_cleanup(&item.eb);
    err_cleanup(&eb);
    return rc;
}

/* Appends "?name=v" or "&name=v" (v escaped; nothing for a NULL v). */
static enum err add_query(struct buf *url, const char *name, const char *v,
                          bool *first)
{
    enum err e;

    if (!v)
        return ERR_OK;
    e = buf_printf(url, "%c%s=", *first ? '?' : '&', name);
    *first = false;
    return e ? e : agent_url_escape(url, v);
}

/* POSTs the file through the agent's client: one retry policy for every
 * command (no answer, 5xx, 429, 408 are retried with full-jitter
 * backoff; any other answer is final). */
static int push_http(const struct cli_args *a, const char *path,
                     const struct buf *body, const char *ctype,
                     const struct run *r)
{
    struct agent_request rq = {0};
    struct agent_response resp;
    struct buf url, hkey, htype, hauth, where;
    const char *headers[4];
    char key[PUSH_KEY_LEN];
    const char *server = cli_str(a, "server"), *token = cli_str(a, "token");
    bool first = true;
    int rc = EXIT_UNREACHABLE, retries = (int)cli_int(a, "retries");
    size_t nh = 0;
    enum err e;

    buf_init(&url, 8192);
    buf_init(&hkey, 8192);
    buf_init(&htype, 8192);
    buf_init(&hauth, 8192);
    buf_init(&where, 0);
    agent_response_init(&resp);
    e = agent_url_base(&url, server);
    if (!e)
        e = buf_adds(&url, "/api/v1/projects/");
    if (!e)
        e = agent_url_escape(&url, r->project);
    if (!e)
        e = buf_adds(&url, "/runs");
    if (!e)
        e = add_query(&url, "branch", cli_str(a, "branch"), &first);
    if (!e)
        e = add_query(&url, "commit", cli_str(a, "commit"), &first);
    if (!e)
        e = add_query(&url, "testbed", cli_str(a, "testbed"), &first);
    if (!e && strcmp(cli_str(a, "format"), "auto"))
        e = add_query(&url, "format", cli_str(a, "format"), &first);
    if (e) {
        fprintf(stderr,
                "benchvault push: the upload URL (--server, "
                "--project, --branch, --commit, --testbed) is longer than "
                "%zu bytes\n",
                url.max);
        rc = EXIT_USAGE;
        goto out;
    }
    content_key(a, r->project, body, key);
    e = buf_printf(&hkey, "Idempotency-Key: %s", key);
    if (!e)
        e = buf_printf(&htype, "Content-Type: %s", ctype);
    if (!e && token)
        e = buf_printf(&hauth, "Authorization: Bearer %s", token);
    if (e) {
        fprintf(stderr, "benchvault push: --token is longer than a header "
                        "may be (8 KiB)\n");
        rc = EXIT_USAGE;
        goto out;
    }
    headers[nh++] = buf_str(&hkey);
    headers[nh++] = buf_str(&htype);
    if (token)
        headers[nh++] = buf_str(&hauth);
    headers[nh] = NULL;
    rq.method = "POST";
    rq.url = buf_str(&url);
    rq.headers = headers;
    rq.body = body->data;
    rq.len = body->len;
    rq.timeout_ms = 120000;
    rq.max_answer = 1 << 20;
    e = agent_http_retry(&rq, retries, 250, buf_str(&url), &resp);
    if (e) {
        fprintf(stderr, "benchvault push: %s: %s (%d attempts)\n",
                buf_str(&url), resp.error, retries + 1);
        rc = e == ERR_INTERNAL ? EXIT_USAGE : EXIT_UNREACHABLE;
    } else if (resp.status == 200 || resp.status == 201) {
        int64_t run_id = 0;

        (void)ingest_answer_run_id(buf_str(&resp.body), resp.body.len, &run_id);
        agent_url_base(&where, server);
        (void)buf_adds(&where, "/p/");
        agent_url_escape(&where, r->project);
        (void)buf_printf(&where, "/runs/%lld", (long long)run_id);
        print_stored(a, path, buf_str(&resp.body), run_id, (int64_t)r->nresults,
                     resp.status == 200, buf_str(&where));
        rc = EXIT_OK;
    } else if (agent_http_retryable(ERR_OK, resp.status)) {
        fprintf(stderr,
                "benchvault push: %s: server answered %ld after %d "
                "attempts: %s\n",
                path, resp.status, retries + 1, buf_str(&resp.body));
    } else {
        fprintf(stderr, "benchvault push: %s: server answered %ld: %s\n", path,
                resp.status, buf_str(&resp.body));
        rc = EXIT_USAGE;
    }
out:
    agent_response_cleanup(&resp);
    buf_cleanup(&url);
    buf_cleanup(&hkey);
    buf_cleanup(&htype);
    buf_cleanup(&hauth);
    buf_cleanup(&where);
    return rc;
}

/* Delivers the agent's spool: each run once (its Idempotency-Key is its
 * content's), a refused one moved aside to rejected/. */
static int deliver_spool(const struct cli_args *a)
{
    struct agent_http h = {0};
    struct agent_spool_report rep;
    struct errbuf eb;
    char *dir = cli_str(a, "spool-dir") ? xstrdup(cli_str(a, "spool-dir"))
                                        : agent_spool_default_dir();
    int rc = EXIT_OK;

    if (!dir) {
        fprintf(stderr,
                "benchvault push: no spool folder: give "
                "--spool-dir DIR (neither XDG_CACHE_HOME nor HOME is set)\n");
        return EXIT_USAGE;
    }
    h.server = cli_str(a, "server");
    h.token = cli_str(a, "token");
    h.retries = (int)cli_int(a, "retries");
    err_init(&eb);
    agent_init();
    if (agent_spool_deliver(dir, &h, &rep, &eb)) {
        fprintf(stderr, "benchvault push: %s\n", eb.msg);
        rc = EXIT_USAGE;
    } else {
        /* stderr under --json: stdout holds JSON lines only */
        fprintf(cli_flag(a, "json") ? stderr : stdout,
                "spool %s: %zu delivered, %zu rejected, %zu left%s\n", dir,
                rep.delivered, rep.rejected, rep.left,
                rep.unreachable ? " (the server is unreachable)" : "");
        if (rep.rejected)
            rc = EXIT_USAGE;
        if (rep.unreachable)
            rc = EXIT_UNREACHABLE;
    }
    agent_cleanup();
    err_cleanup(&eb);
    free(dir);
    return rc;
}

int cmd_push(int argc, char **argv)
{
    struct cli_args a;
    struct ingest_limits lim;
    struct errbuf eb;
    int rc = EXIT_OK;

    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault push: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        cli_usage(stdout, "benchvault push [OPTIONS] FILE...",
                  "Uploads result files (benchvault/v1, pytest-benchmark, "
                  "gbench, hyperfine, locust, gotest or bmf; detected "
                  "unless --format names one; `-` reads standard input) "
                  "to a server, or with --db into a database file. For "
                  "locust give the --csv PREFIX: PREFIX_stats.csv and "
                  "PREFIX_stats_history.csv go up together. Exit status: "
                  "0 ok, 2 bad input or refused, 3 server unreachable.",
                  opts, NOPTS);
        goto out;
    }
    if (cli_flag(&a, "spool")) {
        if (!cli_str(&a, "server")) {
            fprintf(stderr, "benchvault push: --spool needs --server URL\n");
            rc = EXIT_USAGE;
            goto out;
        }
        rc = deliver_spool(&a);
        if (rc || !a.npos)
            goto out;
    }
    if (!a.npos || (!cli_str(&a, "server") == !cli_str(&a, "db"))) {
        fprintf(stderr,
                "benchvault push: give FILE... and exactly one of "
                "--server URL or --db PATH (see --help; a flag overrides "
                "BENCHVAULT_SERVER)\n");
        rc = EXIT_USAGE;
        goto out;
    }
    ingest_limits_default(&lim);
    lim.max_body = (size_t)cli_size(&a, "max-body");
    agent_init();
    for (size_t i = 0; i < a.npos && rc == EXIT_OK; i++) {
        struct ingest_overrides ov = {0};
        struct buf body;
        struct run r;
        const char *format = cli_str(&a, "format");
        char ctype[128];

        run_init(&r);
        err_cleanup(&eb);
        err_init(&eb);
        ov.project = cli_str(&a, "project");
        ov.branch = cli_str(&a, "branch");
        ov.commit = cli_str(&a, "commit");
        ov.testbed = cli_str(&a, "testbed");
        /* The local parse sees the Content-Type the server will see. */
        if (load_input(a.pos[i], format, lim.max_body, &body, ctype,
                       sizeof ctype, &eb)) {
            fprintf(stderr, "benchvault push: %s\n", eb.msg);
            rc = EXIT_USAGE;
        } else if (ingest_parse_body(buf_str(&body), body.len, ctype, format,
                                     &ov, &lim, &r, &eb)) {
            print_errors(a.pos[i], &eb);
            rc = EXIT_USAGE;
        } else if (cli_str(&a, "db")) {
            rc = push_db(&a, a.pos[i], &body, &r);
        } else {
            rc = push_http(&a, a.pos[i], &body, ctype, &r);
        }
        for (size_t k = 0; k < r.nwarnings; k++)
            fprintf(stderr, "benchvault push: %s: warning: %s\n", a.pos[i],
                    r.warnings[k]);
        run_cleanup(&r);
        buf_cleanup(&body);
    }
    agent_cleanup();
out:
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
