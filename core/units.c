/*
 * Units and directions as data.  Every unit a tool writes maps to one of the
 * canonical units of DESIGN.md (s, B, 1/s, B/s, %, or dimensionless "") and
 * a multiplicative factor.  Decimal prefixes (kB, MB, GB) are powers of
 * 1000, binary ones (KiB, MiB, GiB) powers of 1024; "KB" follows the SI
 * reading (1000), as the kB it abbreviates.
 */
#include "core/core.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
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

double unit_convert(double v, double factor)
{
    if (factor == 1)
        return v;
    if (factor < 1) {
        /* The reciprocal of 1e-3, 1e-9 or 1/60 rounds to an exact
         * integer; dividing by it is correctly rounded. */
        double d = nearbyint(1.0 / factor);

        if (d > 0 && fabs(d * factor - 1) < 1e-12)
            return v / d;
    }
    return v * factor;
}

const char *direction_str(enum direction d)
{
    return d == DIR_HIGHER ? "higher" : "lower";
}

bool direction_worse(enum direction d, double before, double after)
{
    return d == DIR_HIGHER ? after < before : after > before;
}

int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

enum err direction_parse(const char *s, enum direction *d)
{
    static const struct {
        const char *name;
        enum direction dir;
    } names[] = {
        {"lower", DIR_LOWER},
        {"lower_is_better", DIR_LOWER},
        {"higher", DIR_HIGHER},
        {"higher_is_better", DIR_HIGHER},
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

/*
 * Splits a measure name into lower-case ASCII words at anything that is not
 * a letter or digit ("items_per_second" -> items, per, second), so that
 * whole words decide, not substrings ("loops" is not "ops").
 */
static size_t split_words(const char *name, char words[][32], size_t max)
{
    size_t n = 0, len = 0;

    for (const char *p = name;; p++) {
        if (*p && isalnum((unsigned char)*p)) {
            if (len < 31 && n < max)
                words[n][len++] = (char)tolower((unsigned char)*p);
            continue;
        }
        if (len && n < max) {
            words[n][len] = '\0';
            n++;
        }
        len = 0;
        if (!*p)
            break;
    }
    return n;
}

static bool word_in(const char *w, const char *const *set, size_t nset,
                    bool prefix)
{
    for (size_t i = 0; i < nset; i++) {
        size_t l = strlen(set[i]);

        if (prefix ? strncmp(w, set[i], l) == 0 : strcmp(w, set[i]) == 0)
            return true;
    }
    return false;
}

enum direction unit_default_direction(const char *measure,
                                      const char *canonical_unit)
{
    /* Checked first: an error *rate* is still lower-is-better. */
    static const char *const lower_stems[] = {"error", "fail",    "miss",
                                              "drop",  "timeout", "reject"};
    static const char *const higher_words[] = {
        "throughput", "ops",   "rps",   "qps", "tps",  "iops",
        "bandwidth",  "speed", "score", "hit", "hits", "goodput"};
    char words[16][32];
    size_t n = split_words(measure ? measure : "", words, 16);

    for (size_t i = 0; i < n; i++)
        if (word_in(words[i], lower_stems,
                    sizeof lower_stems / sizeof lower_stems[0], true))
            return DIR_LOWER;
    for (size_t i = 0; i < n; i++) {
        if (word_in(words[i], higher_words,
                    sizeof higher_words / sizeof higher_words[0], false))
            return DIR_HIGHER;
        /* "..._per_second", "per_sec", "per_s" */
        if (i + 1 < n && strcmp(words[i], "per") == 0 &&
            (strcmp(words[i + 1], "second") == 0 ||
             strcmp(words[i + 1], "sec") == 0 ||
             strcmp(words[i + 1], "s") == 0))
            return DIR_HIGHER;
    }
    if (canonical_unit && (strcmp(canonical_unit, "1/s") == 0 ||
                           strcmp(canonical_unit, "B/s") == 0))
        return DIR_HIGHER;
    return DIR_LOWER;
}

/* ---- display scale ------------------------------------------------------ */

struct prefix {
    double div;
    const char *label;
};

void unit_scale(const char *unit, double v, double *div, const char **label)
{
    static const struct prefix secs[] = {
        {1e-9, "ns"}, {1e-6, "\xc2\xb5s"}, {1e-3, "ms"}, {1, "s"}};
    static const struct prefix bytes[] = {{1, "B"},
                                          {1024.0, "KiB"},
                                          {1048576.0, "MiB"},
                                          {1073741824.0, "GiB"},
                                          {1099511627776.0, "TiB"}};
    static const struct prefix bps[] = {{1, "B/s"},
                                        {1024.0, "KiB/s"},
                                        {1048576.0, "MiB/s"},
                                        {1073741824.0, "GiB/s"}};
    static const struct prefix rate[] = {
        {1, "/s"}, {1e3, "k/s"}, {1e6, "M/s"}, {1e9, "G/s"}};
    static const struct prefix plain[] = {
        {1, ""}, {1e3, "k"}, {1e6, "M"}, {1e9, "G"}};
    const struct prefix *p = plain;
    size_t n = 4;

    v = fabs(v);
    if (!unit)
        unit = "";
    if (!strcmp(unit, "%")) {
        *div = 1;
        *label = "%";
        return;
    }
    if (!strcmp(unit, "s")) {
        p = secs;
    } else if (!strcmp(unit, "B")) {
        p = bytes;
        n = 5;
    } else if (!strcmp(unit, "B/s")) {
        p = bps;
    } else if (!strcmp(unit, "1/s")) {
        p = rate;
    } else if (*unit) {
        /* a unit with no prefixes of its own: shown as it is */
        *div = 1;
        *label = unit;
        return;
    }
    /* The largest prefix that keeps v at 1 or more; the smallest if none. */
    *div = p[0].div;
    *label = p[0].label;
    for (size_t i = 0; i < n; i++) {
        if (v >= p[i].div * 0.999999) {
            *div = p[i].div;
            *label = p[i].label;
        }
    }
}

void unit_format(char *out, size_t n, double v, const char *unit)
{
    double div;
    const char *label;

    if (!isfinite(v)) {
        snprintf(out, n, "-");
        return;
    }
    unit_scale(unit, v, &div, &label);
    snprintf(out, n, *label ? "%.4g %s" : "%.4g", v / div, label);
}
