/*
 * The results a command left: one file, or locust's `--csv PREFIX` files.
 *
 * Design notes:
 *  1. locust writes PREFIX_stats.csv, PREFIX_stats_history.csv,
 *     PREFIX_failures.csv and PREFIX_exceptions.csv (FORMATS.md section 4),
 *     never PREFIX itself.  A results name is locust's prefix when the
 *     format is "locust", or when it is "auto" and the name is not a file
 *     but PREFIX_stats.csv is; a name that ends in "_stats.csv" is the
 *     same prefix.  `benchvault push` reads the same files the same way.
 *  2. The prefix's files travel as one multipart/form-data body with the
 *     parts stats, stats_history and failures (those that exist), the body
 *     the server's ingest takes, so the run parses exactly as a push of the
 *     same prefix.
 *  3. The file whose modification time says whether the command wrote its
 *     results (the stale check of cmd_run.c) is PREFIX_stats.csv for a
 *     prefix: locust rewrites it every second.
 */
#include "agent/agent_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STATS_SUFFIX "_stats.csv"

static const struct {
    const char *suffix, *part;
} locust_files[] = {{STATS_SUFFIX, "stats"},
                    {"_stats_history.csv", "stats_history"},
                    {"_failures.csv", "failures"}};

static bool is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* path less a "_stats.csv" ending, into out. */
static void prefix_of(const char *path, struct buf *out)
{
    size_t len = strlen(path), sl = strlen(STATS_SUFFIX);

    if (len > sl && !strcmp(path + len - sl, STATS_SUFFIX))
        len -= sl;
    buf_reset(out);
    (void)buf_add(out, path, len);
}

bool agent_locust_prefix(const char *path, const char *format,
                         struct buf *prefix)
{
    bool named = format && !strcmp(format, "locust");
    bool found;
    size_t len;

    if (!path || !strcmp(path, "-"))
        return false;
    if (!named && !((!format || !strcmp(format, "auto")) && !is_file(path)))
        return false;
    prefix_of(path, prefix);
    len = prefix->len;
    (void)buf_adds(prefix, STATS_SUFFIX);
    found = is_file(buf_str(prefix));
    prefix->len = len;
    prefix->data[len] = '\0';
    return found;
}

char *agent_results_primary(const char *path, const char *format)
{
    struct buf b;

    buf_init(&b, 0);
    if (agent_locust_prefix(path, format, &b) ||
        (format && !strcmp(format, "locust"))) {
        prefix_of(path, &b);
        (void)buf_adds(&b, STATS_SUFFIX);
        return buf_take(&b);
    }
    buf_cleanup(&b);
    return xstrdup(path);
}

enum err agent_results_read(const char *path, const char *format, size_t max,
                            struct buf *body, char *ctype, size_t ctsz,
                            struct errbuf *eb)
{
    struct ingest_part parts[3];
    struct buf data[3], prefix, name;
    size_t n = 0, plen;
    enum err e = ERR_OK;

    if (ctsz)
        ctype[0] = '\0';
    buf_init(&prefix, 0);
    if (!agent_locust_prefix(path, format, &prefix)) {
        buf_cleanup(&prefix);
        return file_read(path, max, body, eb);
    }
    buf_init(&name, 0);
    plen = prefix.len;
    for (size_t i = 0; i < sizeof locust_files / sizeof locust_files[0]; i++) {
        buf_reset(&name);
        (void)buf_add(&name, prefix.data, plen);
        (void)buf_adds(&name, locust_files[i].suffix);
        if (!is_file(buf_str(&name)))
            continue;
        buf_init(&data[n], 0);
        e = file_read(buf_str(&name), max, &data[n], eb);
        parts[n].name = locust_files[i].part;
        parts[n].filename = NULL;
        parts[n].content_type = "text/csv";
        parts[n].data = buf_str(&data[n]);
        parts[n].len = data[n].len;
        n++;
        if (e)
            break;
    }
    if (!e && ingest_multipart_encode(parts, n, body, ctype, ctsz) != ERR_OK) {
        err_set(eb, "%s: the locust files are larger than %zu bytes",
                buf_str(&prefix), max);
        e = ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++)
        buf_cleanup(&data[i]);
    buf_cleanup(&name);
    buf_cleanup(&prefix);
    return e;
}

bool agent_locust_exceptions(const char *prefix)
{
    struct buf path, text;
    struct errbuf eb;
    const char *nl;
    bool any = false;

    buf_init(&path, 0);
    buf_init(&text, 0);
    err_init(&eb);
    (void)buf_adds(&path, prefix);
    (void)buf_adds(&path, "_exceptions.csv");
    /* The header alone when nothing was raised (FORMATS.md section 4). */
    if (file_read(buf_str(&path), (size_t)1 << 20, &text, &eb) == ERR_OK &&
        (nl = strchr(buf_str(&text), '\n')) != NULL)
        any = nl[1 + strspn(nl + 1, "\r\n")] != '\0';
    err_cleanup(&eb);
    buf_cleanup(&text);
    buf_cleanup(&path);
    return any;
}
