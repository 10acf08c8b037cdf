/*
 * Axis arithmetic: nice ticks (1, 2, 5 x 10^k), SI-prefixed units chosen
 * from the data's magnitude, and a UTC time axis at round intervals.
 */
#include "render/render_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void chart_nice_ticks(double lo, double hi, unsigned max_ticks, double *first,
                      double *step, unsigned *count)
{
    static const double mult[] = {1, 2, 5, 10};
    double span, raw, mag;

    if (max_ticks < 2)
        max_ticks = 2;
    if (!(hi > lo)) {
        double pad = lo != 0 ? fabs(lo) * 0.01 : 1;

        lo -= pad;
        hi += pad;
    }
    span = hi - lo;
    raw = span / (max_ticks - 1);
    mag = pow(10, floor(log10(raw)));
    *step = mult[3] * mag;
    for (size_t i = 0; i < 4; i++) {
        if (mult[i] * mag >= raw) {
            *step = mult[i] * mag;
            break;
        }
    }
    *first = ceil(lo / *step - 1e-9) * *step;
    *count = (unsigned)floor((hi - *first) / *step + 1e-9) + 1;
    if (*count > max_ticks) /* rounding at the edges */
        *count = max_ticks;
}

void chart_unit_scale(const char *unit, double v, double *div,
                      const char **label)
{
    unit_scale(unit, v, div, label);
}

void format_tick(double v, double step, char *out, size_t n)
{
    int decimals = 0;

    if (step > 0 && step < 1)
        decimals = (int)ceil(-log10(step) - 1e-9);
    if (decimals > 6)
        decimals = 6;
    if (fabs(v) < step * 1e-6)
        v = 0; /* no "-0.00" */
    snprintf(out, n, "%.*f", decimals, v);
}

#define MINUTE_MS 60000LL
#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS (24 * HOUR_MS)

unsigned time_ticks(int64_t lo, int64_t hi, unsigned max_ticks, int64_t *ticks,
                    unsigned cap, bool *with_time)
{
    static const int64_t steps[] = {
        MINUTE_MS,      2 * MINUTE_MS,  5 * MINUTE_MS, 10 * MINUTE_MS,
        15 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS,       3 * HOUR_MS,
        6 * HOUR_MS,    12 * HOUR_MS,   DAY_MS,        2 * DAY_MS,
        7 * DAY_MS,     14 * DAY_MS,    30 * DAY_MS,   91 * DAY_MS,
        182 * DAY_MS,   365 * DAY_MS,   730 * DAY_MS,  1825 * DAY_MS,
        3650 * DAY_MS};
    int64_t step = steps[sizeof steps / sizeof steps[0] - 1], t;
    unsigned n = 0;

    if (max_ticks > cap)
        max_ticks = cap;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if ((hi - lo) / steps[i] + 1 <= (int64_t)max_ticks) {
            step = steps[i];
            break;
        }
    }
    *with_time = step < DAY_MS;
    t = lo >= 0 ? (lo + step - 1) / step * step : lo / step * step;
    for (; t <= hi && n < max_ticks; t += step)
        ticks[n++] = t;
    return n;
}

void format_time_tick(int64_t ms, bool with_time, char *out, size_t n)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    char iso[TIME_ISO_LEN];
    int mo;

    time_format_iso(ms, iso); /* YYYY-MM-DDTHH:MM:SS... */
    mo = (iso[5] - '0') * 10 + (iso[6] - '0');
    if (mo < 1 || mo > 12) {
        snprintf(out, n, "?");
        return;
    }
    if (with_time)
        snprintf(out, n, "%s %.2s %.5s", months[mo - 1], iso + 8, iso + 11);
    else
        snprintf(out, n, "%s %.2s", months[mo - 1], iso + 8);
}
