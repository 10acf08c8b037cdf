/*
 * Reading a whole file into a bounded buffer: the one implementation for
 * every command and the agent (results files, budgets files, spooled runs,
 * numbers for `analyze`).
 */
#include "core/core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum err file_read(const char *path, size_t max, struct buf *out,
                   struct errbuf *eb)
{
    bool in = !strcmp(path, "-");
    const char *name = in ? "standard input" : path;
    FILE *f = in ? stdin : fopen(path, "rb");
    char chunk[65536];
    size_t n;
    enum err e = ERR_OK;

    if (!f) {
        err_set(eb, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n > max || out->len > max - n || buf_add(out, chunk, n)) {
            err_set(eb, "%s: larger than %zu bytes", name, max);
            e = ERR_TOO_LARGE;
            break;
        }
    }
    if (!e && ferror(f)) {
        err_set(eb, "%s: read error", name);
        e = ERR_IO;
    }
    if (!in)
        fclose(f);
    if (!e && !out->data)
        e = buf_add(out, "", 0);
    return e;
}
