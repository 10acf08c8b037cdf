/*
 * benchvault report --db PATH --project P --out DIR: a static HTML site with
 * PNG charts that works from file:// and any static host.
 *
 * Design: the report is the server's own pages, not a second renderer.  It
 * starts the server on an ephemeral loopback port over the database, walks
 * the project's pages from the dashboard (breadth first, bounded), saves
 * each page and every chart and stylesheet it references, and rewrites
 * every link into the project to a relative file path.  So the report and
 * the live pages cannot drift apart.
 *
 * Static mode: every request carries the header "X-Benchvault-Static: 1"
 * (REPORT_STATIC_HEADER; the server's name for it is SRV_PAGE_STATIC_HEADER
 * in server/page_int.h).  The pages then have no <form>, since nothing
 * answers a form from file://: the benchmark page's branch and testbed
 * choices are plain links, which this crawl follows like any other, so the
 * report holds every branch and testbed view; the dashboard leaves out its
 * search (its sort links stay), the alerts page is read-only, and the
 * header has no link to the compare page, which is not saved.
 *
 * Bounds: at most REPORT_MAX_FILES files; a link past the bound keeps its
 * server path, and the report says it stopped early.
 *
 * File names: /p/P → index.html, /p/P/benchmarks/3 → benchmarks/3.html,
 * /p/P/runs/7 → runs/7.html, /p/P/alerts → alerts.html, charts →
 * charts/KIND-HASH.png, a page with a query → NAME-HASH.html.
 */
#include "agent/agent.h"
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "render/render.h"
#include "server/server.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_MAX_FILES 20000
#define REPORT_STATIC_HEADER "X-Benchvault-Static: 1"

static const struct cli_opt opts[] = {
    {"db", OPT_STR, 0, 0, "./benchvault.db", "BENCHVAULT_DB", "PATH",
     "database to report on"},
    {"project", OPT_STR, 0, 0, NULL, "BENCHVAULT_PROJECT", "SLUG",
     "project (required)"},
    {"out", OPT_STR, 0, 0, NULL, NULL, "DIR", "output folder (created)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

struct item {
    char *url;  /* server path with query, decoded from the HTML */
    char *file; /* relative path in the report */
};

struct crawl {
    char base[64];    /* http://127.0.0.1:PORT */
    char prefix[300]; /* /p/SLUG */
    const char *out;
    struct item *items;
    size_t n, done;
    bool tty;
    bool truncated; /* a link was left out at REPORT_MAX_FILES */
};

/* Decodes the entities page_esc_attr writes. */
static char *attr_decode(const char *s, size_t n)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&lt;", '<'},
                {"&gt;", '>'},  {"&#61;", '='},  {"&#96;", '`'}};
    struct buf b;

    buf_init(&b, 0);
    for (size_t i = 0; i < n;) {
        size_t k;

        for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
            size_t l = strlen(ents[k].ent);

            if (i + l <= n && !memcmp(s + i, ents[k].ent, l)) {
                (void)buf_addc(&b, ents[k].c);
                i += l;
                break;
            }
        }
        if (k == sizeof ents / sizeof ents[0])
            (void)buf_addc(&b, s[i++]);
    }
    return buf_take(&b);
}

static void short_hash(const char *s, char out[13])
{
    unsigned char h[HASH_SHA256_LEN];

    hash_sha256(s, strlen(s), h);
    hash_hex(h, 6, out);
}

/* The report file for a server path, or NULL when it is not ours. */
static char *file_for(const struct crawl *c, const char *url)
{
    size_t pl = strlen(c->prefix);
    const char *q = strchr(url, '?');
    size_t pathlen = q ? (size_t)(q - url) : strlen(url);
    char h[13], *path, *file = NULL;

    if (!strcmp(url, "/static/style.css"))
        return xstrdup("static/style.css");
    if (strncmp(url, c->prefix, pl) ||
        (url[pl] && url[pl] != '/' && url[pl] != '?'))
        return NULL;
    path = xstrndup(url + pl, pathlen - pl); /* "", "/runs/7", ... */
    short_hash(url, h);
    if (!strncmp(path, "/charts/", 8)) {
        const char *kind = path + 8;

        file = xasprintf("charts/%.*s-%s%s", (int)strcspn(kind, "."), kind, h,
                         strstr(kind, ".svg") ? ".svg" : ".png");
    } else if (!strcmp(path, "") || !strcmp(path, "/")) {
        file = q ? xasprintf("index-%s.html", h) : xstrdup("index.html");
    } else if (!strchr(path + 1, '?')) {
        /* /benchmarks/3 → benchmarks/3.html; only safe characters. */
        bool ok = true;

        for (const char *p = path + 1; *p; p++)
            if (!(*p == '/' || *p == '-' || *p == '_' ||
                  (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
                ok = false;
        if (ok)
            file = q ? xasprintf("%s-%s.html", path + 1, h)
                     : xasprintf("%s.html", path + 1);
    }
    free(path);
    return file;
}

static int find_or_add(struct crawl *c, const char *url, const char *file)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->items[i].file, file))
            return (int)i;
    if (c->n >= REPORT_MAX_FILES) {
        c->truncated = true;
        return -1;
    }
    c->items = xreallocarray(c->items, c->n + 1, sizeof *c->items);
    c->items[c->n].url = xstrdup(url);
    c->items[c->n].file = xstrdup(file);
    return (int)c->n++;
}

/* "../" once per folder of from. */
static void relative(struct buf *out, const char *from, const char *to)
{
    for (const char *p = from; *p; p++)
        if (*p == '/')
            (void)buf_adds(out, "../");
    (void)page_esc_attr(out, to);
}

/* Rewrites href/src values into the project to relative files, queuing
 * them; the rest of the page is copied unchanged. */
static void rewrite(struct crawl *c, const char *page_file, const char *html,
                    size_t len, struct buf *out)
{
    size_t i = 0;

    while (i < len) {
        const char *hit = NULL;
        size_t skip = 0;

        for (size_t k = i; k + 6 < len; k++) {
            if (!memcmp(html + k, "href=\"", 6)) {
                hit = html + k;
                skip = 6;
                break;
            }
            if (!memcmp(html + k, "src=\"", 5)) {
                hit = html + k;
                skip = 5;
                break;
            }
        }
        if (!hit) {
            (void)buf_add(out, html + i, len - i);
            return;
        }
        {
            const char *v = hit + skip;
            const char *end = memchr(v, '"', len - (size_t)(v - html));
            char *url, *file = NULL;

            if (!end) {
                (void)buf_add(out, html + i, len - i);
                return;
            }
            (void)buf_add(out, html + i, (size_t)(v - (html + i)));
            url = attr_decode(v, (size_t)(end - v));
            if (!strcmp(url, "/"))
                file = xstrdup("index.html");
            else
                file = file_for(c, url);
            if (file && find_or_add(c, url, file) >= 0)
                relative(out, page_file, file);
            else
                (void)buf_add(out, v, (size_t)(end - v));
            free(url);
            free(file);
            i = (size_t)(end - html);
        }
    }
}

static enum err mkdirs(const char *dir, const char *file, struct errbuf *eb)
{
    char *path = xasprintf("%s/%s", dir, file);

    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) && errno != EEXIST) {
            err_set(eb, "%s: %s", path, strerror(errno));
            free(path);
            return ERR_IO;
        }
        *p = '/';
    }
    free(path);
    return ERR_OK;
}

static enum err save(const char *dir, const char *file, const char *data,
                     size_t len, struct errbuf *eb)
{
    char *path;
    FILE *f;
    enum err e = mkdirs(dir, file, eb);

    if (e)
        return e;
    path = xasprintf("%s/%s", dir, file);
    f = fopen(path, "wb");
    if (!f) {
        err_set(eb, "cannot write %s: %s", path, strerror(errno));
        e = ERR_IO;
        goto out;
    }
    if (fwrite(data, 1, len, f) != len) {
        err_set(eb, "cannot write %s: %s", path, strerror(errno));
        e = ERR_IO;
    }
    /* fclose releases the stream even when it fails (a full disk shows
     * here, when the buffered tail is written): never close it twice. */
    if (fclose(f) != 0 && !e) {
        err_set(eb, "cannot write %s: %s", path, strerror(errno));
        e = ERR_IO;
    }
out:
    free(path);
    return e;
}

static void progress(const struct crawl *c, bool last)
{
    int width = 30, fill;

    if (!c->tty)
        return;
    fill = c->n ? (int)((double)c->done / (double)c->n * width) : 0;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu files", fill,
            "##############################", width - fill, "", c->done, c->n);
    if (last)
        fputc('\n', stderr);
}

static enum err crawl(struct crawl *c, struct errbuf *eb)
{
    struct buf page, url;
    struct agent_response resp;
    const char *hdrs[] = {REPORT_STATIC_HEADER, NULL};
    enum err e = ERR_OK;

    agent_response_init(&resp);
    buf_init(&page, 0);
    buf_init(&url, 0);
    for (; c->done < c->n && !e; c->done++) {
        struct item *it = &c->items[c->done];
        struct agent_request rq = {0};
        long status;
        size_t fl = strlen(it->file);

        buf_reset(&url);
        (void)buf_printf(&url, "%s%s", c->base, it->url);
        rq.method = "GET";
        rq.url = buf_str(&url);
        rq.headers = hdrs;
        rq.timeout_ms = 120000;
        rq.max_answer = 64u << 20;
        if (agent_http_once(&rq, &resp) != ERR_OK || resp.truncated) {
            err_set(eb, "could not read %s from the report's server%s%s",
                    it->url, resp.error[0] ? ": " : "", resp.error);
            e = ERR_IO;
            break;
        }
        status = resp.status;
        if (status != 200 && c->done == 0) {
            err_set(eb, "no project %s here (its dashboard answered %ld)",
                    c->prefix + 3, status);
            e = ERR_NOT_FOUND;
            break;
        }
        if (status != 200) {
            /* A page that fails live (a bad link) is reported, not
             * fatal: the rest of the site is still worth having. */
            fprintf(stderr, "benchvault report: %s answered %ld\n", it->url,
                    status);
            continue;
        }
        if (fl > 5 && !strcmp(it->file + fl - 5, ".html")) {
            /* rewrite() may grow c->items: keep the name, not it. */
            char *file = xstrdup(it->file);

            buf_reset(&page);
            rewrite(c, file, buf_str(&resp.body), resp.body.len, &page);
            e = save(c->out, file, buf_str(&page), page.len, eb);
            free(file);
        } else {
            e = save(c->out, it->file, buf_str(&resp.body), resp.body.len, eb);
        }
        progress(c, false);
    }
    progress(c, true);
    agent_response_cleanup(&resp);
    buf_cleanup(&page);
    buf_cleanup(&url);
    return e;
}

int cmd_report(int argc, char **argv)
{
    struct cli_args a;
    struct srv_config cfg;
    struct srv *s = NULL;
    struct crawl c;
    struct store *st = NULL;
    struct errbuf eb;
    char *start;
    int rc = EXIT_OK;

    memset(&c, 0, sizeof c);
    err_init(&eb);
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        fprintf(stderr, "benchvault report: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        cli_usage(stdout, "benchvault report --db PATH --project P --out DIR",
                  "Writes a project's pages and charts as a static site "
                  "(relative links; works from file:// and any static "
                  "host).",
                  opts, NOPTS);
        goto out;
    }
    if (!cli_str(&a, "project") || !cli_str(&a, "out")) {
        fprintf(stderr, "benchvault report: give --project P, --out DIR and "
                        "an existing --db PATH\n");
        rc = EXIT_USAGE;
        goto out;
    }
    /* The report's server would make (or adopt) a database at any path:
     * check first that a benchvault database is there. */
    rc = cli_db_open("report", &a, &st);
    store_close(st);
    if (rc)
        goto out;
    srv_config_default(&cfg);
    cfg.db_path = cli_str(&a, "db");
    cfg.listen = "127.0.0.1:0";
    cfg.log_requests = false;
    if (srv_start(&cfg, &s, &eb)) {
        fprintf(stderr, "benchvault report: %s\n", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    agent_init();
    c.out = cli_str(&a, "out");
    c.tty = isatty(STDERR_FILENO);
    snprintf(c.base, sizeof c.base, "http://127.0.0.1:%u", srv_port(s));
    snprintf(c.prefix, sizeof c.prefix, "/p/%s", cli_str(&a, "project"));
    if (!ingest_slug_valid(cli_str(&a, "project"), 256)) {
        fprintf(stderr, "benchvault report: invalid project name\n");
        rc = EXIT_USAGE;
        goto stop;
    }
    start = xasprintf("%s", c.prefix);
    find_or_add(&c, start, "index.html");
    free(start);
    start = xasprintf("%s/alerts", c.prefix);
    find_or_add(&c, start, "alerts.html");
    free(start);
    if (crawl(&c, &eb)) {
        fprintf(stderr, "benchvault report: %s\n", eb.msg);
        rc = EXIT_USAGE;
    } else {
        printf("report: %zu files in %s (open %s/index.html)\n", c.n, c.out,
               c.out);
        if (c.truncated)
            fprintf(stderr,
                    "benchvault report: stopped at %d files; some "
                    "links still point to the server\n",
                    REPORT_MAX_FILES);
    }
stop:
    agent_cleanup();
    srv_stop(s, 1000);
    render_shutdown();
out:
    for (size_t i = 0; i < c.n; i++) {
        free(c.items[i].url);
        free(c.items[i].file);
    }
    free(c.items);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    return rc;
}
