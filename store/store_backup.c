/*
 * Backups of the SQLite database while the server runs, and their restore.
 *
 * Design notes:
 *  1. A backup is SQLite's online backup API run in one step
 *     (sqlite3_backup_step(-1)) from a read-only connection: one read
 *     transaction, so the copy is one consistent snapshot of everything
 *     committed before it began.  In WAL mode the server's writer is not
 *     blocked meanwhile (the WAL grows until the copy ends).  Stepping in
 *     chunks instead would restart the copy on every commit of the server,
 *     forever under a steady ingest.
 *  2. The copy goes to "<out>.tmp.<pid>", is checked (PRAGMA
 *     integrity_check, the schema version), fsynced, and renamed over
 *     <out>: a crash or a full disk leaves no half backup under the name.
 *     The copy is in rollback-journal mode (a single file); it becomes WAL
 *     again when a server opens it.
 *  3. A restore checks the file first (integrity_check "ok", a schema this
 *     binary knows, a benchvault database at all), then copies it into the
 *     target with the same backup API, through the target's own pager:
 *     nothing renames a database file from under its -wal file.  The
 *     target must not be in use by a server (its caches would be stale):
 *     restore refuses an existing target unless forced.  A restore that
 *     fails into a target it created removes it again (with its -journal
 *     and -wal): a half-made file would otherwise refuse the retry as an
 *     existing database.  A forced restore over an existing one leaves it
 *     as it was: the copy is one transaction of the target's pager.
 *  4. A read that fails because the disk, the file system or the memory
 *     failed (ERR_IO, ERR_FULL, ERR_NOMEM) says so: the file may be fine,
 *     and "not a database" would send its owner after the wrong problem.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/schema.h"

static enum err sql_err(sqlite3 *db, struct errbuf *eb, const char *what)
{
    err_set(eb, "%s: %s", what, db ? sqlite3_errmsg(db) : "no database");
    return db ? store_err_of(sqlite3_extended_errcode(db)) : ERR_DB;
}

/* One integer from sql (the first column of the first row). */
static enum err one_int(sqlite3 *db, const char *sql, int64_t *v,
                        struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

    *v = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_err(db, eb, sql);
    return ERR_OK;
}

/*
 * What a failed read of path says: the cause itself when the disk, the
 * memory or the file system failed (ERR_IO, ERR_FULL, ERR_NOMEM: the file
 * may be fine, try again), else that the file is not a database
 * (ERR_INVALID).  Note 4.
 */
static enum err read_failed(sqlite3 *db, const char *path, const char *what,
                            struct errbuf *eb)
{
    enum err e = store_err_of(sqlite3_extended_errcode(db));

    if (e == ERR_IO || e == ERR_FULL || e == ERR_NOMEM) {
        err_set(eb, "cannot read %s: %s", path, sqlite3_errmsg(db));
        return e;
    }
    err_set(eb, "%s %s: %s", path, what, sqlite3_errmsg(db));
    return ERR_INVALID;
}

/*
 * integrity_check reports a page it could not read as a line of its
 * answer ("unable to get the page. error code=266"), not as a failed step:
 * that code says whether the file is broken or its reading was (note 4).
 */
static enum err check_cause(const char *t)
{
    const char *p = t ? strstr(t, "error code=") : NULL;
    enum err e;
    char *end;
    long code;

    if (!p)
        return ERR_INVALID;
    errno = 0;
    code = strtol(p + strlen("error code="), &end, 10);
    if (errno || end == p + strlen("error code=") || code <= 0 ||
        code > INT32_MAX)
        return ERR_INVALID;
    e = store_err_of((int)code);
    return e == ERR_IO || e == ERR_FULL || e == ERR_NOMEM ? e : ERR_INVALID;
}

/* Checks an open database: integrity, schema, what it holds (note 3). */
static enum err check_db(sqlite3 *db, const char *path,
                         struct store_backup_info *info, struct errbuf *eb)
{
    sqlite3_stmt *s = NULL;
    enum err e;
    int rc;

    memset(info, 0, sizeof *info);
    e = one_int(db, "PRAGMA user_version", &info->schema_version, eb);
    if (e)
        return read_failed(db, path, "is not a database SQLite can read", eb);
    if (info->schema_version == 0) {
        err_set(eb, "%s is not a benchvault database (no benchvault schema)",
                path);
        return ERR_INVALID;
    }
    if (info->schema_version > store_schema_newest()) {
        err_set(eb,
                "%s has schema version %lld, newer than this benchvault "
                "(%d): restore it with a newer one",
                path, (long long)info->schema_version, store_schema_newest());
        return ERR_INVALID;
    }
    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return read_failed(db, path, "fails PRAGMA integrity_check", eb);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);

        if (!t || strcmp(t, "ok") != 0) {
            e = check_cause(t);
            if (e == ERR_INVALID)
                err_set(eb, "%s fails PRAGMA integrity_check: %s", path,
                        t ? t : "(no text)");
            else
                err_set(eb, "cannot read %s: PRAGMA integrity_check: %s", path,
                        t);
            sqlite3_finalize(s);
            return e;
        }
    }
    if (rc != SQLITE_DONE) {
        e = read_failed(db, path, "fails PRAGMA integrity_check", eb);
        sqlite3_finalize(s);
        return e;
    }
    sqlite3_finalize(s);
    e = one_int(db, "SELECT count(*) FROM run", &info->runs, eb);
    if (!e)
        e = one_int(db, "PRAGMA page_count", &info->pages, eb);
    if (!e)
        e = one_int(db, "PRAGMA page_size", &info->page_size, eb);
    return e;
}

/* The err of a failed sqlite3_open_v2: SQLite's memory, else the file. */
static enum err open_err(int rc)
{
    enum err e = store_err_of(rc);

    return e == ERR_NOMEM || e == ERR_FULL ? e : ERR_IO;
}

static enum err open_ro(const char *path, sqlite3 **db, struct errbuf *eb)
{
    struct stat st;
    int rc;

    *db = NULL;
    if (stat(path, &st) != 0) {
        err_set(eb, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        err_set(eb, "cannot open %s: %s", path,
                *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return open_err(rc);
    }
    (void)sqlite3_extended_result_codes(*db, 1);
    (void)sqlite3_busy_timeout(*db, 5000);
    return ERR_OK;
}

/* The whole of src into dst in one step (note 1); the paths name them in
 * the message. */
static enum err copy(sqlite3 *dst, sqlite3 *src, const char *from,
                     const char *to, struct errbuf *eb)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    int rc;

    if (!b)
        return sql_err(dst, eb, "backup");
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(20);
    } while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_OK);
    (void)sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        err_set(eb, "cannot copy %s into %s: %s", from, to, sqlite3_errstr(rc));
        return store_err_of(rc);
    }
    return ERR_OK;
}

static enum err fsync_path(const char *path, struct errbuf *eb)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) != 0) {
        err_set(eb, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return errno == ENOSPC ? ERR_FULL : ERR_IO;
    }
    close(fd);
    return ERR_OK;
}

enum err store_backup(const char *db_path, const char *out_path,
                      struct store_backup_info *info, struct errbuf *eb)
{
    sqlite3 *src = NULL, *dst = NULL;
    char *tmp = xasprintf("%s.tmp.%ld", out_path, (long)getpid());
    char *dir = xstrdup(out_path), *slash;
    enum err e;
    int rc;

    memset(info, 0, sizeof *info);
    e = open_ro(db_path, &src, eb);
    if (e)
        goto out;
    e = check_db(src, db_path, info, eb);
    if (e)
        goto out;
    (void)unlink(tmp);
    rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                         NULL);
    if (rc != SQLITE_OK) {
        err_set(eb, "cannot create %s: %s", tmp,
                dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        e = open_err(rc);
        goto out;
    }
    (void)sqlite3_extended_result_codes(dst, 1);
    e = copy(dst, src, db_path, out_path, eb);
    if (e)
        goto out;
    /* One file: the copy leaves WAL mode (a server turns it back on). */
    rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        e = sql_err(dst, eb, "journal_mode");
        goto out;
    }
    e = check_db(dst, out_path, info, eb);
    if (e)
        goto out;
    rc = sqlite3_close(dst);
    dst = NULL;
    if (rc != SQLITE_OK) {
        err_set(eb, "closing %s: %s", tmp, sqlite3_errstr(rc));
        e = ERR_IO;
        goto out;
    }
    e = fsync_path(tmp, eb);
    if (e)
        goto out;
    if (rename(tmp, out_path) != 0) {
        err_set(eb, "cannot rename %s to %s: %s", tmp, out_path,
                strerror(errno));
        e = ERR_IO;
        goto out;
    }
    slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    e = fsync_path(slash ? dir : ".", eb);
out:
    sqlite3_close(dst);
    sqlite3_close(src);
    if (e)
        (void)unlink(tmp);
    free(tmp);
    free(dir);
    return e;
}

enum err store_check_file(const char *path, struct store_backup_info *info,
                          struct errbuf *eb)
{
    sqlite3 *db = NULL;
    enum err e = open_ro(path, &db, eb);

    if (!e)
        e = check_db(db, path, info, eb);
    sqlite3_close(db);
    return e;
}

/* Removes the database file a failed restore made, and its journals. */
static void remove_made(const char *path)
{
    static const char *const ext[] = {"", "-journal", "-wal", "-shm"};

    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        char *p = xasprintf("%s%s", path, ext[i]);

        (void)unlink(p);
        free(p);
    }
}

enum err store_restore(const char *from, const char *db_path, bool force,
                       struct store_backup_info *info, struct errbuf *eb)
{
    sqlite3 *src = NULL, *dst = NULL;
    struct stat st;
    bool existed = false, dst_made = false;
    enum err e;
    int rc;

    e = open_ro(from, &src, eb);
    if (!e)
        e = check_db(src, from, info, eb);
    if (e)
        goto out;
    existed = stat(db_path, &st) == 0;
    if (existed && !force) {
        err_set(eb,
                "%s exists: stop its server and give --force to replace "
                "it with %s",
                db_path, from);
        e = ERR_CONFLICT;
        goto out;
    }
    dst_made = true;
    rc = sqlite3_open_v2(db_path, &dst,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        err_set(eb, "cannot open %s: %s", db_path,
                dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        e = open_err(rc);
        goto out;
    }
    (void)sqlite3_extended_result_codes(dst, 1);
    (void)sqlite3_busy_timeout(dst, 5000);
    e = copy(dst, src, from, db_path, eb);
    if (!e)
        e = check_db(dst, db_path, info, eb);
out:
    sqlite3_close(dst);
    sqlite3_close(src);
    if (e && dst_made && !existed)
        remove_made(db_path);
    return e;
}
