/*
 * fault.c: the shim VFS and the counting allocator (fault.h).
 *
 * Design notes:
 * 1. The VFS is a copy of the default VFS's struct with its own name, a
 *    bigger szOsFile and its own xOpen; every other VFS method is the
 *    wrapped one (they read nothing of the struct but what the copy keeps).
 *    xOpen opens the real file in the second half of our file object and
 *    answers our io methods, each of which calls the real one unless it is
 *    the armed call.  The io methods are version 2 (shared memory for WAL,
 *    no memory-mapped I/O), so every page SQLite reads goes through xRead.
 * 2. The allocator wraps the one SQLite had (sqlite3_config
 *    SQLITE_CONFIG_GETMALLOC first): xMalloc and xRealloc fail when armed,
 *    everything else is the wrapped allocator's.
 * 3. One mutex guards the counters and the control file's state: the
 *    server calls SQLite from several threads.  The counters are also read
 *    by the tests between calls, under the same mutex.
 * 4. The control file (preload): each counted call stat()s it and, when
 *    its inode, size or modification time moved, reads the order in it
 *    (fault_order).  A test writes a new file and renames it into place, so
 *    an order is read whole.
 */
#include "tests/fault/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned armed; /* kinds; 0: disarmed */
static long fail_at;   /* 1-based call number that fails */
static long calls, fired;
static enum fault_effect effect;
static bool persist;
static char *ctl, *logpath;
static struct stat ctl_seen;

/* ---- arming ---------------------------------------------------------------
 */

static void arm_locked(unsigned kinds, long n, enum fault_effect eff,
                       unsigned flags)
{
    armed = kinds;
    fail_at = n < 1 ? 1 : n;
    effect = eff;
    persist = (flags & FAULT_PERSIST) != 0;
    calls = fired = 0;
}

void fault_arm(unsigned kinds, long n, enum fault_effect eff, unsigned flags)
{
    pthread_mutex_lock(&lock);
    arm_locked(kinds, n, eff, flags);
    pthread_mutex_unlock(&lock);
}

void fault_disarm(void)
{
    pthread_mutex_lock(&lock);
    armed = 0;
    pthread_mutex_unlock(&lock);
}

long fault_calls(void)
{
    long v;

    pthread_mutex_lock(&lock);
    v = calls;
    pthread_mutex_unlock(&lock);
    return v;
}

long fault_fired(void)
{
    long v;

    pthread_mutex_lock(&lock);
    v = fired;
    pthread_mutex_unlock(&lock);
    return v;
}

static const struct {
    const char *name;
    unsigned kind;
} kind_names[] = {
    {"read", FAULT_READ},     {"write", FAULT_WRITE},
    {"sync", FAULT_SYNC},     {"truncate", FAULT_TRUNCATE},
    {"malloc", FAULT_MALLOC}, {"open", FAULT_OPEN},
};

static bool order_locked(const char *text)
{
    char kinds[128], eff[16], extra[16];
    unsigned k = 0;
    long n;
    int got;

    while (*text == ' ' || *text == '\n')
        text++;
    if (strncmp(text, "off", 3) == 0) {
        armed = 0;
        return true;
    }
    extra[0] = '\0';
    got = sscanf(text, "%127s %ld %15s %15s", kinds, &n, eff, extra);
    if (got < 3 || n < 1)
        return false;
    for (char *p = kinds, *comma; p && *p; p = comma ? comma + 1 : NULL) {
        size_t i;

        comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        for (i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
            if (strcmp(p, kind_names[i].name) == 0)
                break;
        if (i == sizeof kind_names / sizeof kind_names[0])
            return false;
        k |= kind_names[i].kind;
    }
    if (strcmp(eff, "ioerr") != 0 && strcmp(eff, "full") != 0)
        return false;
    if (got == 4 && strcmp(extra, "persist") != 0)
        return false;
    arm_locked(k, n, strcmp(eff, "full") == 0 ? FAULT_FULL : FAULT_IOERR,
               got == 4 ? FAULT_PERSIST : 0);
    return true;
}

bool fault_order(const char *text)
{
    bool ok;

    pthread_mutex_lock(&lock);
    ok = order_locked(text);
    pthread_mutex_unlock(&lock);
    return ok;
}

void fault_control(const char *ctl_path, const char *log_path)
{
    pthread_mutex_lock(&lock);
    free(ctl);
    free(logpath);
    ctl = ctl_path ? strdup(ctl_path) : NULL;
    logpath = log_path ? strdup(log_path) : NULL;
    memset(&ctl_seen, 0, sizeof ctl_seen);
    pthread_mutex_unlock(&lock);
}

/* Re-reads the control file when it changed (note 4); under the lock. */
static void poll_locked(void)
{
    struct stat sb;
    char text[256];
    ssize_t got;
    int fd;

    if (!ctl || stat(ctl, &sb) != 0)
        return;
    if (sb.st_ino == ctl_seen.st_ino && sb.st_size == ctl_seen.st_size &&
        sb.st_mtim.tv_sec == ctl_seen.st_mtim.tv_sec &&
        sb.st_mtim.tv_nsec == ctl_seen.st_mtim.tv_nsec)
        return;
    ctl_seen = sb;
    fd = open(ctl, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    got = read(fd, text, sizeof text - 1);
    close(fd);
    if (got < 0)
        return;
    text[got] = '\0';
    if (!order_locked(text))
        fprintf(stderr, "fault: cannot read the order \"%s\"\n", text);
}

static void log_locked(const char *what, const char *file)
{
    char line[512];
    int fd, len;

    if (getenv("BV_FAULT_TRACE"))
        fprintf(stderr, "fault: fired %s %ld %s\n", what, calls,
                file ? file : "-");
    if (!logpath)
        return;
    len = snprintf(line, sizeof line, "fired %s %ld %s\n", what, calls,
                   file ? file : "-");
    if (len < 0 || (size_t)len >= sizeof line)
        len = (int)strlen(line);
    fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)len) != len)
        fprintf(stderr, "fault: cannot log to %s\n", logpath);
    close(fd);
}

/* True when this call of kind must fail (counts it when armed). */
static bool hit(unsigned kind, const char *what, const char *file)
{
    bool fail = false;

    pthread_mutex_lock(&lock);
    poll_locked();
    if (armed & kind) {
        calls++;
        if (calls == fail_at || (persist && calls > fail_at)) {
            fail = true;
            fired++;
            log_locked(what, file);
            if (!persist)
                armed = 0;
        }
    }
    pthread_mutex_unlock(&lock);
    return fail;
}

static int io_rc(int ioerr)
{
    enum fault_effect e;

    pthread_mutex_lock(&lock);
    e = effect;
    pthread_mutex_unlock(&lock);
    return e == FAULT_FULL ? SQLITE_FULL : ioerr;
}

/* ---- the VFS (note 1) -----------------------------------------------------
 */

struct ffile {
    sqlite3_file base;
    sqlite3_file *real; /* right after this struct, szOsFile of the real VFS */
    const char *name;   /* borrows SQLite's, valid until xClose; NULL */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;

#define REAL(f) (((struct ffile *)(f))->real)

static int f_close(sqlite3_file *f)
{
    return REAL(f)->pMethods->xClose(REAL(f));
}

static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    if (hit(FAULT_READ, "read", ((struct ffile *)f)->name))
        return SQLITE_IOERR_READ;
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    if (hit(FAULT_WRITE, "write", ((struct ffile *)f)->name))
        return io_rc(SQLITE_IOERR_WRITE);
    return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    if (hit(FAULT_TRUNCATE, "truncate", ((struct ffile *)f)->name))
        return io_rc(SQLITE_IOERR_TRUNCATE);
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    if (hit(FAULT_SYNC, "sync", ((struct ffile *)f)->name))
        return io_rc(SQLITE_IOERR_FSYNC);
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int f_unlock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int f_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int region, int size, int extend,
                     void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static const sqlite3_io_methods shim_io = {
    .iVersion = 2,
    .xClose = f_close,
    .xRead = f_read,
    .xWrite = f_write,
    .xTruncate = f_truncate,
    .xSync = f_sync,
    .xFileSize = f_size,
    .xLock = f_lock,
    .xUnlock = f_unlock,
    .xCheckReservedLock = f_reserved,
    .xFileControl = f_control,
    .xSectorSize = f_sector,
    .xDeviceCharacteristics = f_device,
    .xShmMap = f_shm_map,
    .xShmLock = f_shm_lock,
    .xShmBarrier = f_shm_barrier,
    .xShmUnmap = f_shm_unmap,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                  int flags, int *out_flags)
{
    struct ffile *ff = (struct ffile *)f;
    int rc;

    (void)vfs;
    ff->base.pMethods = NULL;
    ff->real = (sqlite3_file *)(ff + 1);
    ff->name = name;
    if (hit(FAULT_OPEN, "open", name))
        return SQLITE_CANTOPEN;
    rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
    /* A real file with methods is closed through ours, even on failure. */
    if (ff->real->pMethods)
        ff->base.pMethods = &shim_io;
    return rc;
}

/* ---- the allocator (note 2) ---------------------------------------------- */

static sqlite3_mem_methods real_mem;

static void *m_malloc(int n)
{
    if (hit(FAULT_MALLOC, "malloc", NULL))
        return NULL;
    return real_mem.xMalloc(n);
}

static void *m_realloc(void *p, int n)
{
    if (hit(FAULT_MALLOC, "malloc", NULL))
        return NULL;
    return real_mem.xRealloc(p, n);
}

static void m_free(void *p)
{
    real_mem.xFree(p);
}

static int m_size(void *p)
{
    return real_mem.xSize(p);
}

static int m_roundup(int n)
{
    return real_mem.xRoundup(n);
}

static int m_init(void *app)
{
    return real_mem.xInit(app);
}

static void m_shutdown(void *app)
{
    real_mem.xShutdown(app);
}

int fault_install(void)
{
    sqlite3_mem_methods mem;
    int rc;

    if (real_vfs)
        return 0;
    rc = sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem);
    if (rc != SQLITE_OK)
        return rc;
    mem = real_mem;
    mem.xMalloc = m_malloc;
    mem.xRealloc = m_realloc;
    mem.xFree = m_free;
    mem.xSize = m_size;
    mem.xRoundup = m_roundup;
    mem.xInit = m_init;
    mem.xShutdown = m_shutdown;
    rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &mem);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_initialize();
    if (rc != SQLITE_OK)
        return rc;
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs)
        return SQLITE_ERROR;
    shim_vfs = *real_vfs;
    shim_vfs.zName = "bv_fault";
    shim_vfs.pNext = NULL;
    shim_vfs.szOsFile = (int)sizeof(struct ffile) + real_vfs->szOsFile;
    shim_vfs.xOpen = v_open;
    return sqlite3_vfs_register(&shim_vfs, 1);
}
