/*
 * libFuzzer target for the statistics engine's inputs: the number reader
 * of `benchvault analyze` and the comparison settings of PUT .../budgets,
 * then the statistics on whatever numbers came out (huge, tiny, repeated,
 * few).  Never a crash, a leak, undefined behaviour, or a non-finite number
 * let through.  Under gcc standalone.c drives it (ctest fuzz.stats).
 */
#include "analysis/analysis.h"
#include "ingest/ingest.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_compare_settings cs;
    struct an_options opt;
    struct an_describe d;
    struct an_trend t;
    struct an_scaling sc;
    struct errbuf eb;
    double *v = NULL;
    size_t n = 0;
    int cols = 0;

    an_init();
    err_init(&eb);
    if (ingest_compare_settings_parse((const char *)data, size, &cs, &eb) ==
        ERR_OK) {
        for (size_t i = 0; i < cs.nrules; i++)
            assert(cs.rules[i].benchmark_glob &&
                   isfinite(cs.rules[i].threshold));
    }
    ingest_compare_settings_cleanup(&cs);
    err_cleanup(&eb);
    err_init(&eb);
    if (ingest_numbers_parse((const char *)data, size, 4096, &v, &n, &cols,
                             &eb) == ERR_OK &&
        n > 0) {
        for (size_t i = 0; i < n; i++)
            assert(isfinite(v[i]));
        an_options_default(&opt);
        opt.bootstrap = 50;
        if (an_describe(v, n, &opt, &d, NULL) == ERR_OK)
            assert(d.n == n && d.min <= d.max);
        an_describe_cleanup(&d);
        if (cols == 2) {
            double *x = malloc(n / 2 * sizeof *x),
                   *y = malloc(n / 2 * sizeof *y);

            assert(x && y);
            for (size_t i = 0; i < n / 2; i++) {
                x[i] = v[2 * i];
                y[i] = v[2 * i + 1];
            }
            (void)an_trend(x, y, n / 2, &t, NULL);
            (void)an_scaling_fit(x, y, n / 2, &sc, NULL);
            free(x);
            free(y);
        } else {
            (void)an_trend(NULL, v, n, &t, NULL);
        }
        if (n >= 2) {
            struct an_side b = {v, n / 2, NAN, NAN, NAN, -1};
            struct an_side h = {v + n / 2, n - n / 2, NAN, NAN, NAN, -1};
            struct an_compare c;

            (void)an_compare(&b, &h, &opt, true, &c, NULL);
            an_compare_cleanup(&c);
        }
    }
    free(v);
    err_cleanup(&eb);
    return 0;
}
