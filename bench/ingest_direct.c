/*
 * The limits of the ingest path without HTTP, measured on the same bytes the
 * HTTP phase sends (same generator, same seeds):
 *
 * - jansson: json_loadb of the large body with the flags ingest/ uses
 *   (JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES), then json_decref; the floor
 *   of any parse that goes through jansson.
 * - ingest_parse: jansson plus validation and unit conversion into a struct
 *   run; what a server worker thread spends per request.
 * - store_runs_insert: the parsed large run inserted alone (its own
 *   transaction, synchronous=FULL), and small runs inserted 32 at a time,
 *   as the server's writer batches them: the database's ceiling.  Parsing is
 *   outside the clock there; only the insert call is timed.
 *
 * jansson.h belongs to ingest/ (STYLE.md); this benchmark includes it only
 * to measure the library alone, and json_t stays in this file.
 *
 * Each loop is bounded by a count (o->posts, o->runs) and a time (o->seconds).
 */
#include "bench/ingest_bench.h"
#include "ingest/ingest.h"
#include "store/store.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JANSSON_ITERS 20
#define LARGE_VALUES ((double)BENCH_LARGE_RESULTS * BENCH_LARGE_SAMPLES)

static double ms_since(uint64_t t0)
{
    return (double)(time_mono_ns() - t0) / 1e6;
}

static void print_errbuf(const char *what, enum err e, const struct errbuf *eb)
{
    fprintf(stderr, "bench_ingest: %s: %s: %s\n", what, err_str(e), eb->msg);
    for (size_t i = 0; i < eb->nitems && i < 5; i++)
        fprintf(stderr, "  %s: %s\n", eb->items[i].pointer,
                eb->items[i].message);
}

static void large_body(struct buf *b, size_t *sha_off)
{
    buf_init(b, 0);
    bench_body_build(b, BENCH_LARGE_RESULTS, BENCH_LARGE_SAMPLES, 1000,
                     sha_off);
}

int bench_direct_jansson(const struct bench_opts *o)
{
    struct buf body;
    size_t sha_off, n = 0;
    double ms[JANSSON_ITERS], med;
    uint64_t start = time_mono_ns();
    int rc = 1;

    large_body(&body, &sha_off);
    for (int i = 0; i < JANSSON_ITERS; i++) {
        json_error_t je;
        json_t *root;
        uint64_t t0;

        if (n >= 3 && ms_since(start) > (double)o->seconds * 1e3)
            break;
        t0 = time_mono_ns();
        root = json_loadb(body.data, body.len,
                          JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
        if (!root) {
            fprintf(stderr, "bench_ingest: jansson: %s (line %d)\n", je.text,
                    je.line);
            goto out;
        }
        json_decref(root);
        ms[n++] = ms_since(t0);
    }
    med = bench_median(ms, n);
    bench_fig_set("jansson_ms", med);
    bench_fig_set("jansson_values_per_s", LARGE_VALUES / (med / 1e3));
    rc = 0;
out:
    buf_cleanup(&body);
    return rc;
}

/* Parses body as the server would for project. */
static enum err parse(const struct buf *body, const char *project,
                      struct run *r, struct errbuf *eb)
{
    struct ingest_limits lim;
    struct ingest_overrides ov = {.project = project};

    ingest_limits_default(&lim);
    return ingest_parse(body->data, body->len, NULL, &ov, &lim, r, eb);
}

int bench_direct_parse(const struct bench_opts *o)
{
    struct buf body;
    size_t sha_off, n = 0;
    double *ms = xcalloc((size_t)o->posts, sizeof *ms), med;
    uint64_t start = time_mono_ns();
    int rc = 1;

    large_body(&body, &sha_off);
    for (long i = 0; i < o->posts; i++) {
        struct run r;
        struct errbuf eb;
        enum err e;
        uint64_t t0;

        if (n >= 3 && ms_since(start) > (double)o->seconds * 1e3)
            break;
        run_init(&r);
        err_init(&eb);
        t0 = time_mono_ns();
        e = parse(&body, BENCH_PROJECT_LARGE, &r, &eb);
        ms[n] = ms_since(t0);
        if (e == ERR_OK && r.nresults != BENCH_LARGE_RESULTS) {
            err_set(&eb, "%zu results, expected %d", r.nresults,
                    BENCH_LARGE_RESULTS);
            e = ERR_INTERNAL;
        }
        run_cleanup(&r);
        if (e) {
            print_errbuf("ingest_parse (large run)", e, &eb);
            err_cleanup(&eb);
            goto out;
        }
        err_cleanup(&eb);
        n++;
    }
    med = bench_median(ms, n);
    bench_fig_set("parse_ms", med);
    bench_fig_set("parse_values_per_s", LARGE_VALUES / (med / 1e3));
    rc = 0;
out:
    free(ms);
    buf_cleanup(&body);
    return rc;
}

/* Removes a database and its WAL files from an earlier run, if any. */
static void db_remove(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];

    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

/* Inserts n parsed runs in one store_runs_insert; its duration in ms, or a
 * negative value after printing why it failed. */
static double insert(struct store *st, struct run *runs, size_t n,
                     const char *what)
{
    struct store_insert items[BENCH_SMALL_BATCH];
    struct errbuf eb;
    enum err e;
    uint64_t t0;
    double ms = -1;

    assert(n <= BENCH_SMALL_BATCH);
    memset(items, 0, sizeof items);
    err_init(&eb);
    for (size_t i = 0; i < n; i++) {
        items[i].run = &runs[i];
        err_init(&items[i].eb);
    }
    t0 = time_mono_ns();
    e = store_runs_insert(st, items, n, &eb);
    ms = ms_since(t0);
    if (e) {
        print_errbuf(what, e, &eb);
        ms = -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!e && items[i].status) {
            if (ms >= 0)
                print_errbuf(what, items[i].status, &items[i].eb);
            ms = -1;
        }
        err_cleanup(&items[i].eb);
    }
    err_cleanup(&eb);
    return ms;
}

static int store_large(struct store *st, const struct bench_opts *o)
{
    struct buf body;
    size_t sha_off, n = 0;
    double *ms = xcalloc((size_t)o->posts, sizeof *ms), med;
    uint64_t start = time_mono_ns();
    int rc = 1;

    large_body(&body, &sha_off);
    for (long i = 0; i < o->posts; i++) {
        struct run r;
        struct errbuf eb;
        enum err e;

        if (n >= 3 && ms_since(start) > (double)o->seconds * 1e3)
            break;
        bench_sha_put(body.data + sha_off, UINT64_C(0x1d00000000000000),
                      (uint64_t)i);
        run_init(&r);
        err_init(&eb);
        e = parse(&body, BENCH_PROJECT_LARGE, &r, &eb);
        if (e) {
            print_errbuf("ingest_parse (large run)", e, &eb);
            run_cleanup(&r);
            err_cleanup(&eb);
            goto out;
        }
        err_cleanup(&eb);
        ms[n] = insert(st, &r, 1, "store_runs_insert (large run)");
        run_cleanup(&r);
        if (ms[n] < 0)
            goto out;
        if (n == 0)
            bench_fig_set("store_large_first_ms", ms[0]);
        n++;
    }
    med = bench_median(ms, n);
    bench_fig_set("store_large_ms_per_run", med);
    bench_fig_set("store_large_values_per_s", LARGE_VALUES / (med / 1e3));
    rc = 0;
out:
    free(ms);
    buf_cleanup(&body);
    return rc;
}

static int store_small(struct store *st, const struct bench_opts *o)
{
    struct buf body[BENCH_SMALL_BATCH];
    size_t sha_off[BENCH_SMALL_BATCH];
    struct run runs[BENCH_SMALL_BATCH];
    double insert_ms = 0, parse_ms = 0;
    size_t done = 0, total = (size_t)o->runs;
    uint64_t start = time_mono_ns(), seq = 0;
    int rc = 1;

    for (size_t k = 0; k < BENCH_SMALL_BATCH; k++) {
        buf_init(&body[k], 0);
        bench_body_build(&body[k], BENCH_SMALL_RESULTS, BENCH_SMALL_SAMPLES,
                         k + 1, &sha_off[k]);
        run_init(&runs[k]);
    }
    /* One batch per turn: bounded by total and by the clock. */
    while (done < total && ms_since(start) < (double)o->seconds * 1e3) {
        size_t n =
            total - done < BENCH_SMALL_BATCH ? total - done : BENCH_SMALL_BATCH;
        uint64_t t0 = time_mono_ns();
        double ms;

        for (size_t k = 0; k < n; k++) {
            struct errbuf eb;
            enum err e;

            bench_sha_put(body[k].data + sha_off[k],
                          UINT64_C(0x5d00000000000000) | k, seq++);
            err_init(&eb);
            e = parse(&body[k], BENCH_PROJECT_SMALL, &runs[k], &eb);
            if (e)
                print_errbuf("ingest_parse (small run)", e, &eb);
            err_cleanup(&eb);
            if (e)
                goto out;
        }
        parse_ms += ms_since(t0);
        ms = insert(st, runs, n, "store_runs_insert (small runs)");
        for (size_t k = 0; k < n; k++) {
            run_cleanup(&runs[k]);
            run_init(&runs[k]);
        }
        if (ms < 0)
            goto out;
        insert_ms += ms;
        done += n;
    }
    if (done && insert_ms > 0) {
        bench_fig_set("store_small_runs_per_s",
                      (double)done / (insert_ms / 1e3));
        bench_fig_set("store_small_runs", (double)done);
        bench_fig_set("small_parse_us_per_run", parse_ms * 1e3 / (double)done);
        rc = 0;
    }
out:
    for (size_t k = 0; k < BENCH_SMALL_BATCH; k++) {
        run_cleanup(&runs[k]);
        buf_cleanup(&body[k]);
    }
    return rc;
}

int bench_direct_store(const struct bench_opts *o)
{
    struct store *st = NULL;
    struct errbuf eb;
    char path[4096];
    enum err e;
    int rc = 1;

    err_init(&eb);
    snprintf(path, sizeof path, "%s/direct.db", o->dir);
    db_remove(path);
    e = store_open(path, STORE_RW, &st, NULL, &eb);
    if (e) {
        print_errbuf("store_open", e, &eb);
        goto out;
    }
    rc = store_large(st, o);
    rc |= store_small(st, o);
out:
    if (st)
        store_close(st);
    db_remove(path);
    err_cleanup(&eb);
    return rc;
}
