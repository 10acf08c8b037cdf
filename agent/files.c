/*
 * Files: whole-file reads with a bound, mkdir -p, and writes that a crash
 * leaves whole or absent (the spool).
 *
 * Design notes:
 *  1. Atomic write: the data goes to "path.tmp.PID", is fsync()ed, renamed
 *     over path, and the folder is fsync()ed so the rename itself survives
 *     a power cut.  Readers never see a half-written file, and a temporary
 *     file left by a crash does not end in ".json", so the spool ignores it.
 */
#include "agent/agent_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum err agent_mkdirs(const char *path, struct errbuf *eb)
{
    char *p = xstrdup(path);
    enum err e = ERR_OK;

    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';

        if (*s != '/' && !end)
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            err_set(eb, "cannot create %s: %s", p, strerror(errno));
            e = ERR_IO;
            break;
        }
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return e;
}

static void fsync_dir_of(const char *path)
{
    char *dir = xstrdup(path), *slash = strrchr(dir, '/');
    int fd;

    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else {
        free(dir);
        dir = xstrdup(".");
    }
    fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

enum err agent_file_write_atomic(const char *path, const char *data, size_t len,
                                 struct errbuf *eb)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;
    enum err e = ERR_OK;

    if (fd < 0) {
        err_set(eb, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return ERR_IO;
    }
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err_set(eb, "cannot write %s: %s", tmp, strerror(errno));
            e = ERR_IO;
            break;
        }
        done += (size_t)n;
    }
    if (!e && fsync(fd) != 0) {
        err_set(eb, "cannot fsync %s: %s", tmp, strerror(errno));
        e = ERR_IO;
    }
    if (close(fd) != 0 && !e) {
        err_set(eb, "cannot close %s: %s", tmp, strerror(errno));
        e = ERR_IO;
    }
    if (!e && rename(tmp, path) != 0) {
        err_set(eb, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        e = ERR_IO;
    }
    if (e)
        (void)unlink(tmp);
    else
        fsync_dir_of(path);
    free(tmp);
    return e;
}
