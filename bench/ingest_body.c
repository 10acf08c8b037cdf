/*
 * Request bodies for bench_ingest, and the small statistics it reports.
 *
 * A body is a benchvault/v1 run with only what the measured path needs:
 * branch, commit.sha and results, each result one benchmark with a latency
 * measure in ms.  Sample values are pseudo-random (xorshift64*, seeded), near
 * a per-benchmark base, written with 7 significant digits like a timer's
 * output ("12.34568"), so the number parser sees realistic text.  The same
 * seed gives the same bytes: the HTTP phase and the store-direct phase
 * measure identical input.
 */
#include "bench/ingest_bench.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(2685821657736338717);
}

/* Uniform in [0, 1). */
static double next_unit(uint64_t *s)
{
    return (double)(next_rand(s) >> 11) * (1.0 / 9007199254740992.0);
}

static void add(struct buf *b, const char *s)
{
    enum err e = buf_adds(b, s);

    assert(e == ERR_OK); /* the buffer is unbounded here */
    (void)e;
}

void bench_sha_put(char *dst, uint64_t tag, uint64_t seq)
{
    static const char hex[] = "0123456789abcdef";
    /* 16 digits of tag, 16 of seq, then a fixed tail: 40 in all. */
    static const char tail[] = "0be0c4a7";

    for (int i = 15; i >= 0; i--) {
        dst[i] = hex[tag & 15];
        tag >>= 4;
    }
    for (int i = 31; i >= 16; i--) {
        dst[i] = hex[seq & 15];
        seq >>= 4;
    }
    memcpy(dst + 32, tail, 8);
}

void bench_body_build(struct buf *b, size_t nresults, size_t nsamples,
                      uint64_t seed, size_t *sha_off)
{
    uint64_t s = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
    char sha[BENCH_SHA_LEN];

    buf_reset(b);
    add(b, "{\"branch\":\"main\",\"commit\":{\"sha\":\"");
    *sha_off = b->len;
    bench_sha_put(sha, seed, 0);
    if (buf_add(b, sha, sizeof sha))
        abort();
    add(b, "\"},\"results\":[");
    for (size_t r = 0; r < nresults; r++) {
        double base = 0.5 + (double)(r % 97) * 0.37;

        if (buf_printf(b,
                       "%s{\"benchmark\":\"b%04zu\",\"measures\":"
                       "{\"latency\":{\"unit\":\"ms\",\"samples\":[",
                       r ? "," : "", r))
            abort();
        for (size_t i = 0; i < nsamples; i++) {
            double v = base * (0.95 + 0.1 * next_unit(&s));

            if (buf_printf(b, "%s%.7g", i ? "," : "", v))
                abort();
        }
        add(b, "]}}}");
    }
    add(b, "]}");
}

/* ---- statistics ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

void bench_sort_u64(uint64_t *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_u64);
}

void bench_sort_double(double *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_double);
}

double bench_pct_u64(const uint64_t *v, size_t n, double p)
{
    size_t rank;

    if (n == 0)
        return NAN;
    rank = (size_t)ceil(p * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1];
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    bench_sort_double(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
