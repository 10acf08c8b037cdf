/*
 * Time parsing and formatting without the C library's time zone state
 * (no timegm/localtime): civil dates convert to days with Howard Hinnant's
 * days_from_civil algorithm, valid for the proleptic Gregorian calendar.
 */
#include "core/core.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

enum err time_parse_iso(const char *s, int64_t *ms, bool *naive)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0;
    int64_t off_min = 0, t;
    bool is_naive = true;

    *ms = TIME_NONE;
    if (naive)
        *naive = false;
    if (!s)
        return ERR_INVALID;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
        *p++ != '-' || !digits(&p, 2, &d))
        return ERR_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return ERR_INVALID;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return ERR_INVALID;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return ERR_INVALID;
            if (*p == '.' || *p == ',') {
                int scale = 100, nd = 0;

                p++;
                while (isdigit((unsigned char)*p)) {
                    if (scale >= 1)
                        frac_ms += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                    nd++;
                }
                if (!nd)
                    return ERR_INVALID;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return ERR_INVALID;
        if (*p == 'Z' || *p == 'z') {
            is_naive = false;
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om = 0, sign = *p == '-' ? -1 : 1;

            p++;
            if (!digits(&p, 2, &oh))
                return ERR_INVALID;
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &om)) /* "+05:" alone is not an offset */
                    return ERR_INVALID;
            } else if (*p && !digits(&p, 2, &om)) {
                return ERR_INVALID;
            }
            if (oh > 23 || om > 59)
                return ERR_INVALID;
            off_min = sign * (oh * 60 + om);
            is_naive = false;
        }
    } else {
        is_naive = false; /* a date alone is a day, not a local time */
    }
    if (*p)
        return ERR_INVALID;
    t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
        mi * 60 + sec - off_min * 60;
    *ms = t * 1000 + frac_ms;
    if (naive)
        *naive = is_naive;
    return ERR_OK;
}

void time_format_iso(int64_t ms, char *out)
{
    int64_t secs, days, y;
    unsigned m, d;
    int rem, msec, n;
    char tmp[96];

    if (ms == TIME_NONE) {
        out[0] = '\0';
        return;
    }
    secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    msec = (int)(ms - secs * 1000);
    days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    rem = (int)(secs - days * 86400);
    civil_from_days(days, &y, &m, &d);
    /* Formatted into room for any int64 year, then copied: gcc -O2 cannot
     * bound y and warns (-Wformat-truncation) when out is the target. */
    if (msec)
        n = snprintf(tmp, sizeof tmp, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                     (long long)y, m, d, rem / 3600, rem / 60 % 60, rem % 60,
                     msec);
    else
        n = snprintf(tmp, sizeof tmp, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
                     (long long)y, m, d, rem / 3600, rem / 60 % 60, rem % 60);
    if (n < 0)
        n = 0;
    if (n > TIME_ISO_LEN - 1)
        n = TIME_ISO_LEN - 1;
    memcpy(out, tmp, (size_t)n);
    out[n] = '\0';
}

int64_t time_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t time_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
