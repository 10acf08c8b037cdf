/*
 * libFuzzer target for the ingest parser: any bytes in, never a crash, a
 * leak, or an ERR_OK run that breaks the model's invariants.
 * Build with clang -fsanitize=fuzzer,address (see tests/fuzz.cmake); under
 * gcc the same function is driven by standalone.c.
 */
#include "ingest/ingest.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_limits lim;
    struct ingest_overrides ov = {0};
    struct run r;
    struct errbuf eb;
    char ctype[128] = "";
    enum err e;

    ingest_limits_default(&lim);
    lim.max_samples = 1000;
    ov.project = "fuzz";
    run_init(&r);
    err_init(&eb);
    /* A body that starts like multipart ("--boundary" on its first line)
     * is also given as multipart/form-data with that boundary, so the
     * multipart decoder and locust's parts are driven too. */
    if (size > 2 && data[0] == '-' && data[1] == '-') {
        size_t n = 2;

        while (n < size && n < 72 && data[n] != '\r' && data[n] != '\n' &&
               data[n] != '"' && data[n] != ';')
            n++;
        snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%.*s",
                 (int)(n - 2), (const char *)data + 2);
    }
    e = ingest_parse_body((const char *)data, size, ctype[0] ? ctype : NULL,
                          NULL, &ov, &lim, &r, &eb);
    if (e == ERR_OK) {
        assert(r.nresults > 0);
        for (size_t i = 0; i < r.nresults; i++) {
            assert(r.results[i].key && r.results[i].measure);
            assert(r.results[i].unit);
            assert(isfinite(r.results[i].value));
            for (size_t k = 0; k < r.results[i].nsamples; k++)
                assert(isfinite(r.results[i].samples[k]));
        }
    } else {
        assert(eb.msg[0] || eb.nitems);
        assert(r.nresults == 0);
    }
    run_cleanup(&r);
    err_cleanup(&eb);
    return 0;
}
