/*
 * libFuzzer target for one ingest format, named at build time
 * (-DFUZZ_FORMAT="pytest-benchmark", tests/fuzz.cmake): the bytes go to
 * that format's adapter only, so the fuzzer spends its time inside one
 * parser instead of in auto-detection.  FUZZ_FORMAT NULL (fuzz_multipart)
 * gives every input as a multipart/form-data body and lets the parts name
 * or detect their format.  Never a crash, a leak, undefined behaviour, or
 * an ERR_OK run that breaks the model's invariants (fuzz_check.h).
 */
#include "tests/fuzz/fuzz_check.h"

#include <stdio.h>

#ifndef FUZZ_FORMAT
#error "FUZZ_FORMAT must name the format (or be NULL for multipart)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *format = FUZZ_FORMAT;
    char ctype[128];

    /* locust and multipart: a body whose first line is "--boundary" is
     * given as multipart/form-data with that boundary (the seeds are real
     * multipart bodies); otherwise a multipart target still says
     * multipart, with a boundary the fuzzer can find in its dictionary. */
    if (!fuzz_multipart_type(data, size, ctype, sizeof ctype) && !format)
        snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=bvfuzz");
    fuzz_ingest_check(data, size, ctype[0] ? ctype : NULL, format);
    return 0;
}
