/*
 * The spool: runs the server could not take, kept on disk until it can.
 *
 * Design notes:
 *  1. One file per run, named by its Idempotency-Key ("run-<sha256>.json"),
 *     holding exactly the document that was to be uploaded.  Delivery
 *     re-sends those bytes, so the key is the same as at the first try and
 *     the server stores the run once even if an earlier attempt reached it
 *     (its answer lost) before the agent gave up and spooled.
 *  2. Files are written whole or not at all (agent_file_write_atomic);
 *     leftovers of a crash are "*.tmp.PID" and are not delivered.
 *  3. Delivery holds an fcntl() write lock on "<dir>/.lock", so two agents
 *     on one machine do not send the same file at once (the key would make
 *     that harmless, but not quiet).  A busy lock skips delivery this time.
 *  4. Oldest first (mtime, then name), so a series is filled in the order it
 *     was measured.  A 200/201 deletes the file; a 4xx, or a file that no
 *     longer parses, moves it to rejected/ with the reason beside it (a
 *     person should look; resending cannot help); an unreachable server
 *     stops delivery and keeps the rest for next time.
 */
#include "agent/agent_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_SUFFIX ".json"
#define SPOOL_MAX_FILE ((size_t)64 << 20)

char *agent_spool_default_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

    /* The XDG base directory spec: a relative value is to be ignored. */
    if (xdg && xdg[0] == '/')
        return xasprintf("%s/benchvault/spool", xdg);
    if (home && *home)
        return xasprintf("%s/.cache/benchvault/spool", home);
    return NULL;
}

enum err agent_spool_write(const char *dir, const char *body, size_t len,
                           char **path_out, struct errbuf *eb)
{
    char key[AGENT_KEY_LEN], *path;
    enum err e;

    if (path_out)
        *path_out = NULL;
    e = agent_mkdirs(dir, eb);
    if (e)
        return e;
    agent_idempotency_key(body, len, key);
    path = xasprintf("%s/%s" SPOOL_SUFFIX, dir, key);
    e = agent_file_write_atomic(path, body, len, eb);
    if (!e && path_out)
        *path_out = path;
    else
        free(path);
    return e;
}

struct entry {
    char *name; /* owns */
    time_t mtime;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->mtime != y->mtime)
        return x->mtime < y->mtime ? -1 : 1;
    return strcmp(x->name, y->name);
}

static bool spool_name(const char *n)
{
    size_t len = strlen(n), sl = strlen(SPOOL_SUFFIX);

    return n[0] != '.' && len > sl && !strcmp(n + len - sl, SPOOL_SUFFIX);
}

/* Moves dir/name to dir/rejected/name with the reason in name.error. */
static void reject(const char *dir, const char *name, const char *why)
{
    char *rdir = xasprintf("%s/rejected", dir);
    char *from = xasprintf("%s/%s", dir, name);
    char *to = xasprintf("%s/%s", rdir, name);
    char *errpath = xasprintf("%s/%s.error", rdir, name);
    struct errbuf eb;

    err_init(&eb);
    if (agent_mkdirs(rdir, &eb) == ERR_OK) {
        (void)agent_file_write_atomic(errpath, why, strlen(why), &eb);
        if (rename(from, to) != 0)
            log_error("cannot move %s to %s: %s", from, to, strerror(errno));
    } else {
        log_error("%s", eb.msg);
    }
    log_error("spooled run %s was refused and moved to %s: %s", name, rdir,
              why);
    err_cleanup(&eb);
    free(rdir);
    free(from);
    free(to);
    free(errpath);
}

/* Sends one spooled file; false when the server is unreachable. */
static bool deliver_one(const char *dir, const char *name,
                        const struct agent_http *h,
                        struct agent_spool_report *rep)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct buf body;
    struct errbuf eb;
    struct run r;
    struct agent_upload_result up = {0};
    bool reachable = true;

    buf_init(&body, 0);
    err_init(&eb);
    run_init(&r);
    if (file_read(path, SPOOL_MAX_FILE, &body, &eb) ||
        ingest_parse(body.data, body.len, "benchvault/v1", NULL, NULL, &r,
                     &eb)) {
        reject(dir, name, eb.msg[0] ? eb.msg : "not a valid run");
        rep->rejected++;
        goto out;
    }
    if (agent_upload(h, r.project, body.data, body.len, &up, &eb)) {
        reachable = false;
        goto out;
    }
    switch (up.delivery) {
    case AGENT_DELIVERED:
        if (unlink(path) != 0)
            log_error("delivered %s but cannot delete it: %s", path,
                      strerror(errno));
        log_info("delivered spooled run %s: %s", name, up.answer);
        rep->delivered++;
        break;
    case AGENT_REJECTED: {
        char *why = xasprintf("HTTP %ld\n%s\n", up.status, up.answer);

        reject(dir, name, why);
        free(why);
        rep->rejected++;
        break;
    }
    case AGENT_UNREACHABLE:
        reachable = false;
        break;
    }
out:
    agent_upload_result_cleanup(&up);
    run_cleanup(&r);
    err_cleanup(&eb);
    buf_cleanup(&body);
    free(path);
    return reachable;
}

enum err agent_spool_deliver(const char *dir, const struct agent_http *h,
                             struct agent_spool_report *rep, struct errbuf *eb)
{
    DIR *d;
    struct dirent *de;
    struct entry *list = NULL;
    size_t n = 0, cap = 0, i;
    struct flock fl;
    char *lockpath = NULL;
    int lockfd = -1;
    enum err e = ERR_OK;

    memset(rep, 0, sizeof *rep);
    d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return ERR_OK;
        err_set(eb, "cannot read the spool %s: %s", dir, strerror(errno));
        return ERR_IO;
    }
    lockpath = xasprintf("%s/.lock", dir);
    lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (lockfd < 0 || fcntl(lockfd, F_SETLK, &fl) != 0) {
        err_set(eb,
                "the spool %s is being delivered by another process "
                "(or cannot be locked: %s)",
                dir, strerror(errno));
        e = ERR_IO;
        goto out;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        char *p;

        if (!spool_name(de->d_name))
            continue;
        p = xasprintf("%s/%s", dir, de->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                list = xreallocarray(list, cap, sizeof *list);
            }
            list[n].name = xstrdup(de->d_name);
            list[n].mtime = st.st_mtime;
            n++;
        }
        free(p);
    }
    if (n)
        qsort(list, n, sizeof *list, cmp_entry);
    for (i = 0; i < n; i++) {
        if (!deliver_one(dir, list[i].name, h, rep)) {
            rep->unreachable = true;
            break;
        }
    }
    rep->left = n - rep->delivered - rep->rejected;
out:
    for (i = 0; i < n; i++)
        free(list[i].name);
    free(list);
    if (lockfd >= 0)
        close(lockfd); /* releases the lock */
    free(lockpath);
    closedir(d);
    return e;
}
