/*
 * tmpdb.h: the unit tests' temporary database, one per test: a mkdtemp
 * folder under /tmp holding test.db, opened STORE_RW through store.h (as
 * the rest of benchvault opens it), removed afterwards with its -wal and
 * -shm files.  Use tmpdb_setup / tmpdb_teardown as a cmocka fixture; the
 * state is a struct tmpdb, which owns path and st.
 */
#ifndef BV_TESTS_TMPDB_H
#define BV_TESTS_TMPDB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"
#include "store/store.h"

struct tmpdb {
    char dir[64];
    char *path;       /* owns: dir/test.db */
    struct store *st; /* owns; NULL once closed */
};

/* Removes path and its -wal, -shm and -journal files. */
static inline void tmpdb_remove(const char *path)
{
    static const char *const ext[] = {"", "-wal", "-shm", "-journal"};

    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        char *p = xasprintf("%s%s", path, ext[i]);

        unlink(p);
        free(p);
    }
}

/* A new folder under base ("/tmp" unless a test needs another) and a
 * database in it (not opened when open_it is false). */
static inline struct tmpdb *tmpdb_create_in(const char *base, bool open_it)
{
    struct tmpdb *f = xcalloc(1, sizeof *f);
    struct errbuf eb;

    snprintf(f->dir, sizeof f->dir, "%s/bv_unit_XXXXXX", base);
    if (!mkdtemp(f->dir)) {
        free(f);
        return NULL;
    }
    f->path = xasprintf("%s/test.db", f->dir);
    if (!open_it)
        return f;
    err_init(&eb);
    if (store_open(f->path, STORE_RW, &f->st, NULL, &eb) != ERR_OK) {
        fprintf(stderr, "store_open: %s\n", eb.msg);
        err_cleanup(&eb);
        rmdir(f->dir);
        free(f->path);
        free(f);
        return NULL;
    }
    err_cleanup(&eb);
    return f;
}

static inline struct tmpdb *tmpdb_create(bool open_it)
{
    return tmpdb_create_in("/tmp", open_it);
}

/* Closes the store, removes the files and the folder, frees f. */
static inline void tmpdb_free(struct tmpdb *f)
{
    if (!f)
        return;
    store_close(f->st);
    tmpdb_remove(f->path);
    rmdir(f->dir);
    free(f->path);
    free(f);
}

static inline int tmpdb_setup(void **state)
{
    struct tmpdb *f = tmpdb_create(true);

    *state = f;
    return f ? 0 : -1;
}

static inline int tmpdb_teardown(void **state)
{
    tmpdb_free(*state);
    *state = NULL;
    return 0;
}

#endif /* BV_TESTS_TMPDB_H */
