/*
 * What every ingest fuzz target checks (header-only, one copy per target):
 * ingest_parse_body on the bytes, then the model's invariants on an ERR_OK
 * run (a key, a measure and a unit per result, finite values and samples)
 * and an explained, empty run on an error.  assert() is the finding: the
 * fuzz build keeps asserts on (CMakeLists.txt strips -DNDEBUG).
 */
#ifndef BV_FUZZ_CHECK_H
#define BV_FUZZ_CHECK_H

#include "ingest/ingest.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>

/* When data's first line is "--boundary", writes the multipart/form-data
 * Content-Type with that boundary into ctype and returns true; else
 * ctype is "" and false. */
static inline bool fuzz_multipart_type(const uint8_t *data, size_t size,
                                       char *ctype, size_t n)
{
    size_t end = 2;

    ctype[0] = '\0';
    if (size <= 2 || data[0] != '-' || data[1] != '-')
        return false;
    while (end < size && end < 72 && data[end] != '\r' && data[end] != '\n' &&
           data[end] != '"' && data[end] != ';')
        end++;
    snprintf(ctype, n, "multipart/form-data; boundary=%.*s", (int)(end - 2),
             (const char *)data + 2);
    return true;
}

static inline void fuzz_ingest_check(const uint8_t *data, size_t size,
                                     const char *ctype, const char *format)
{
    struct ingest_limits lim;
    struct ingest_overrides ov = {0};
    struct run r;
    struct errbuf eb;
    enum err e;

    ingest_limits_default(&lim);
    lim.max_samples = 1000;
    ov.project = "fuzz";
    run_init(&r);
    err_init(&eb);
    e = ingest_parse_body((const char *)data, size, ctype, format, &ov, &lim,
                          &r, &eb);
    if (e == ERR_OK) {
        assert(r.nresults > 0);
        for (size_t i = 0; i < r.nresults; i++) {
            assert(r.results[i].key && r.results[i].measure);
            assert(r.results[i].unit);
            assert(isfinite(r.results[i].value));
            assert(r.results[i].nsamples <= lim.max_samples);
            for (size_t k = 0; k < r.results[i].nsamples; k++)
                assert(isfinite(r.results[i].samples[k]));
        }
    } else {
        assert(eb.msg[0] || eb.nitems);
        assert(r.nresults == 0);
    }
    run_cleanup(&r);
    err_cleanup(&eb);
}

#endif /* BV_FUZZ_CHECK_H */
