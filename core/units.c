/*
 * Units and directions as data.  Every unit a tool writes maps to one of the
 * canonical units of DESIGN.md (s, B, 1/s, B/s, %, or dimensionless "") and
 * a multiplicative factor.  Decimal prefixes (kB, MB, GB) are powers of
 * 1000, binary ones (KiB, MiB, GiB) powers of 1024; "KB" follows the SI
 * reading (1000), as the kB it abbreviates.
 */
#include "core/core.h"

#include <ctype.h>
#include <string.h>

struct unit_entry {
    const char *name;
    const char *canonical;
    double factor;
};

static const struct unit_entry units[] = {
    /* time */
    {"s", "s", 1},
    {"sec", "s", 1},
    {"secs", "s", 1},
    {"second", "s", 1},
    {"seconds", "s", 1},
    {"ms", "s", 1e-3},
    {"msec", "s", 1e-3},
    {"millisecond", "s", 1e-3},
    {"milliseconds", "s", 1e-3},
    {"us", "s", 1e-6},
    {"\xc2\xb5s", "s", 1e-6}, /* U+00B5 micro sign */
    {"\xce\xbcs", "s", 1e-6}, /* U+03BC greek mu */
    {"usec", "s", 1e-6},
    {"microsecond", "s", 1e-6},
    {"microseconds", "s", 1e-6},
    {"ns", "s", 1e-9},
    {"nsec", "s", 1e-9},
    {"nanosecond", "s", 1e-9},
    {"nanoseconds", "s", 1e-9},
    {"min", "s", 60},
    {"minutes", "s", 60},
    {"h", "s", 3600},
    {"hours", "s", 3600},
    /* bytes */
    {"B", "B", 1},
    {"byte", "B", 1},
    {"bytes", "B", 1},
    {"kB", "B", 1e3},
    {"KB", "B", 1e3},
    {"MB", "B", 1e6},
    {"GB", "B", 1e9},
    {"TB", "B", 1e12},
    {"KiB", "B", 1024.0},
    {"MiB", "B", 1048576.0},
    {"GiB", "B", 1073741824.0},
    {"TiB", "B", 1099511627776.0},
    /* rates */
    {"1/s", "1/s", 1},
    {"/s", "1/s", 1},
    {"Hz", "1/s", 1},
    {"ops/s", "1/s", 1},
    {"op/s", "1/s", 1},
    {"ops/sec", "1/s", 1},
    {"req/s", "1/s", 1},
    {"reqs/s", "1/s", 1},
    {"requests/s", "1/s", 1},
    {"items/s", "1/s", 1},
    {"it/s", "1/s", 1},
    {"rps", "1/s", 1},
    {"qps", "1/s", 1},
    {"ops/ms", "1/s", 1e3},
    {"ops/us", "1/s", 1e6},
    {"ops/min", "1/s", 1.0 / 60},
    {"1/min", "1/s", 1.0 / 60},
    /* bandwidth */
    {"B/s", "B/s", 1},
    {"kB/s", "B/s", 1e3},
    {"KB/s", "B/s", 1e3},
    {"MB/s", "B/s", 1e6},
    {"GB/s", "B/s", 1e9},
    {"KiB/s", "B/s", 1024.0},
    {"MiB/s", "B/s", 1048576.0},
    {"GiB/s", "B/s", 1073741824.0},
    /* percent */
    {"%", "%", 1},
    {"percent", "%", 1},
    {"pct", "%", 1},
    /* dimensionless counts */
    {"", "", 1},
    {"1", "", 1},
    {"count", "", 1},
    {"x", "", 1},
    {"ratio", "", 1},
    {"items", "", 1},
    {"ops", "", 1},
    {"allocs", "", 1},
    {"iterations", "", 1},
};

enum err unit_canonical(const char *unit, const char **canonical,
                        double *factor)
{
    *canonical = NULL;
    *factor = 1;
    if (!unit)
        unit = "";
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(units[i].name, unit) == 0) {
            *canonical = units[i].canonical;
            *factor = units[i].factor;
            return ERR_OK;
        }
    }
    return ERR_INVALID;
}

const char *direction_str(enum direction d)
{
    return d == DIR_HIGHER ? "higher" : "lower";
}

enum err direction_parse(const char *s, enum direction *d)
{
    static const struct {
        const char *name;
        enum direction dir;
    } names[] = {
        {"lower", DIR_LOWER},   {"lower_is_better", DIR_LOWER},
        {"higher", DIR_HIGHER}, {"higher_is_better", DIR_HIGHER},
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, s) == 0) {
            *d = names[i].dir;
            return ERR_OK;
        }
    }
    *d = DIR_UNSET;
    return ERR_INVALID;
}

/* Case-insensitive substring search over ASCII. */
static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++) {
        size_t i = 0;

        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == needle[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

enum direction unit_default_direction(const char *measure,
                                      const char *canonical_unit)
{
    /* Checked in order: an error *rate* is still lower-is-better. */
    static const char *const lower_first[] = {"error", "fail", "miss",
                                              "drop", "timeout"};
    static const char *const higher[] = {
        "throughput", "per_second", "per_sec", "ops", "rps", "qps",
        "bandwidth", "speed", "score", "hit", "iops"};

    if (!measure)
        measure = "";
    for (size_t i = 0; i < sizeof lower_first / sizeof lower_first[0]; i++)
        if (contains(measure, lower_first[i]))
            return DIR_LOWER;
    for (size_t i = 0; i < sizeof higher / sizeof higher[0]; i++)
        if (contains(measure, higher[i]))
            return DIR_HIGHER;
    if (canonical_unit && (strcmp(canonical_unit, "1/s") == 0 ||
                           strcmp(canonical_unit, "B/s") == 0))
        return DIR_HIGHER;
    return DIR_LOWER;
}
