/*
 * libFuzzer target for the ingest parser as the server calls it: any bytes
 * in, the format auto-detected, never a crash, a leak, or an ERR_OK run
 * that breaks the model's invariants (fuzz_check.h).  A body that starts
 * like multipart ("--boundary" on its first line) is also given as
 * multipart/form-data with that boundary, so the multipart decoder and
 * locust's parts are driven too.  The per-format targets are fuzz_format.c.
 */
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ctype[128];

    (void)fuzz_multipart_type(data, size, ctype, sizeof ctype);
    fuzz_ingest_check(data, size, ctype[0] ? ctype : NULL, NULL);
    return 0;
}
