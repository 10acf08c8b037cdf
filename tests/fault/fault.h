/*
 * fault: SQLite fault injection for the tests (issue 14), through SQLite's
 * own plumbing: a VFS that wraps the default one and is registered as the
 * new default, and an allocator installed with
 * sqlite3_config(SQLITE_CONFIG_MALLOC).  Nothing of store/ is mocked: the
 * real SQLite runs over the real file system, and the armed call of the
 * shim answers the error a failing disk or a failing malloc() would.
 *
 * It lives in tests/ only.  The unit tests link it and arm it by calling
 * fault_arm(); the end-to-end tests LD_PRELOAD it (tests/fault/preload.c)
 * into the real binary, where it reads its orders from the file that
 * BV_FAULT_CTL names.  The benchvault binary itself holds no fault code in
 * any build, so no environment variable can make a release fail on purpose.
 *
 * Counting: once armed, every call of the armed kinds (in every thread and
 * every connection) is counted; call number n (1-based) fails, and with
 * FAULT_PERSIST every later one too (a disk that stays full), else the
 * fault fires once (a transient I/O error) and the shim disarms itself.
 */
#ifndef BV_TESTS_FAULT_H
#define BV_TESTS_FAULT_H

#include <stdbool.h>

enum fault_kind {
    FAULT_READ = 1 << 0,     /* xRead */
    FAULT_WRITE = 1 << 1,    /* xWrite */
    FAULT_SYNC = 1 << 2,     /* xSync */
    FAULT_TRUNCATE = 1 << 3, /* xTruncate */
    FAULT_MALLOC = 1 << 4,   /* xMalloc and xRealloc (SQLITE_NOMEM) */
    FAULT_OPEN = 1 << 5      /* xOpen of any file (main, -wal, journal) */
};

enum fault_effect {
    FAULT_IOERR = 0, /* SQLITE_IOERR_READ / _WRITE / _FSYNC / ... */
    FAULT_FULL = 1   /* SQLITE_FULL, as a file system with no space left */
};

#define FAULT_PERSIST 1

/*
 * Registers the shim VFS as SQLite's default (wrapping the default before
 * it) and installs the counting allocator.  Must run before SQLite is
 * initialised (before the first sqlite3_open), because SQLITE_CONFIG_MALLOC
 * is refused after that.  0 on success; idempotent.
 */
int fault_install(void);

/* Arms: call n (>= 1) of kinds from now fails with effect; flags 0 or
 * FAULT_PERSIST.  Resets the counters. */
void fault_arm(unsigned kinds, long n, enum fault_effect effect,
               unsigned flags);
/* No more faults; the counters keep their values. */
void fault_disarm(void);
/* Calls of the armed kinds since fault_arm(), and faults answered. */
long fault_calls(void);
long fault_fired(void);

/*
 * Parses an order of the control file: "off", or
 * "KINDS N EFFECT [persist]" with KINDS a comma list of read, write, sync,
 * truncate, malloc, open, EFFECT ioerr or full ("write,sync 3 full
 * persist").  Arms or disarms; false for text it cannot read.
 */
bool fault_order(const char *text);

/* The preload's control (tests/fault/preload.c): when ctl_path is set,
 * every counted call first re-reads that file if it changed, and each
 * fault answered appends a line to log_path (may be NULL). */
void fault_control(const char *ctl_path, const char *log_path);

#endif /* BV_TESTS_FAULT_H */
