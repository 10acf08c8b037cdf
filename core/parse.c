/* Checked number parsing and glob matching. */
#include "core/core.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum err parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    *out = 0;
    if (!s || !*s || isspace((unsigned char)*s))
        return ERR_INVALID;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return ERR_INVALID;
    *out = v;
    return ERR_OK;
}

enum err parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } suffixes[] = {
        {"", 1},          {"B", 1},        {"k", 1024},
        {"K", 1024},      {"KiB", 1024},   {"M", 1 << 20},
        {"MiB", 1 << 20}, {"G", 1u << 30}, {"GiB", 1u << 30},
    };
    char *end;
    unsigned long long v;

    *out = 0;
    if (!s || !isdigit((unsigned char)*s))
        return ERR_INVALID;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return ERR_INVALID;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (strcmp(end, suffixes[i].suffix) == 0) {
            if (v > UINT64_MAX / suffixes[i].mult)
                return ERR_INVALID;
            *out = v * suffixes[i].mult;
            return ERR_OK;
        }
    }
    return ERR_INVALID;
}

bool glob_match(const char *pattern, const char *s)
{
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*pattern == '*') {
            star = pattern++;
            resume = s;
        } else if (*pattern == '?' || *pattern == *s) {
            pattern++;
            s++;
        } else if (star) {
            pattern = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}
