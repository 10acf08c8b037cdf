/*
 * bench_ingest internals, shared by bench/bench_ingest.c (options, figures,
 * report) and its parts: ingest_body.c (the request bodies), ingest_http.c
 * (the HTTP load generator) and ingest_direct.c (the limits measured without
 * HTTP: jansson, ingest_parse, store_runs_insert).  Nothing outside bench/
 * includes it.
 *
 * Figures are named doubles in one table (bench_ingest.c); a phase sets the
 * ones it measures with bench_fig_set() and leaves the others NAN, which the
 * report shows as "-" and the JSON as null.
 *
 * Ownership: a struct buf filled here belongs to the caller, who
 * buf_cleanup()s it.
 */
#ifndef BV_BENCH_INGEST_H
#define BV_BENCH_INGEST_H

#include "core/core.h"

/* ---- the shape of the measured runs -------------------------------------- */

#define BENCH_SMALL_RESULTS 10
#define BENCH_SMALL_SAMPLES 5
#define BENCH_LARGE_RESULTS 1000
#define BENCH_LARGE_SAMPLES 100
#define BENCH_SMALL_BATCH 32 /* runs per store_runs_insert, store-direct */
#define BENCH_SHA_LEN 40     /* hex digits of a commit sha */

#define BENCH_PROJECT_SMALL "bench-small"
#define BENCH_PROJECT_LARGE "bench-large"

/* What the command line asked for; defaults in bench_ingest.c. */
struct bench_opts {
    unsigned port;     /* the server's loopback port (http) */
    const char *token; /* write token (http), read from --token-file */
    long server_pid;   /* for the server's CPU time; 0: unknown */
    long conns;        /* concurrent keep-alive connections */
    long runs;         /* small runs to send at most */
    long seconds;      /* time bound of the small-run phase */
    long posts;        /* large-run posts (and store-direct inserts) */
    const char *dir;   /* scratch folder for the store-direct database */
};

/* ---- figures ------------------------------------------------------------- */

/* Sets the figure called name (it must be in the table: asserted). */
void bench_fig_set(const char *name, double value);
/* Keeps the first bad answer (one line, truncated) for the report. */
void bench_note_bad_answer(const char *text, size_t len);

/* ---- bodies -------------------------------------------------------------- */

/*
 * A native-format run: nresults results ("<prefix>0000", ...), each with a
 * latency measure in ms of nsamples samples drawn from seed.  Deterministic:
 * the same arguments give the same bytes.  *sha_off is where the 40 hex
 * digits of commit.sha sit in b (patch them with bench_sha_put()).
 */
void bench_body_build(struct buf *b, size_t nresults, size_t nsamples,
                      uint64_t seed, size_t *sha_off);
/* Writes 40 lower-case hex digits naming (tag, seq) at dst; no NUL. */
void bench_sha_put(char *dst, uint64_t tag, uint64_t seq);

/* ---- statistics ---------------------------------------------------------- */

/* Sorts v (n values) in place. */
void bench_sort_u64(uint64_t *v, size_t n);
void bench_sort_double(double *v, size_t n);
/* Nearest-rank percentile (p in 0..1) of sorted v; NAN when n == 0. */
double bench_pct_u64(const uint64_t *v, size_t n, double p);
double bench_median(double *v, size_t n); /* sorts v */

/* ---- phases: 0 when they ran, 1 when they could not ---------------------- */

int bench_http_small(const struct bench_opts *o);
int bench_http_large(const struct bench_opts *o);
int bench_direct_jansson(const struct bench_opts *o);
int bench_direct_parse(const struct bench_opts *o);
int bench_direct_store(const struct bench_opts *o);

#endif /* BV_BENCH_INGEST_H */
