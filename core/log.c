/*
 * Logging: one line per call to stderr, written with a single write(2) so
 * that lines from different threads never interleave.
 */
#include "core/core.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int level = LOG_INFO;

void log_set_level(enum log_level lvl)
{
    atomic_store(&level, (int)lvl);
}
enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load(&level);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char line[2048], ts[TIME_ISO_LEN];
    va_list ap;
    int n, m;

    if ((int)lvl < atomic_load(&level) || lvl >= LOG_OFF)
        return;
    time_format_iso(time_now_ms(), ts);
    n = snprintf(line, sizeof line, "%s %s ", ts, names[lvl]);
    if (n < 0)
        return;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    n += m;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}
