/*
 * The demo project that `make run` loads into a new database, so a first
 * visitor sees data: five benchmarks over 60 commits of main with
 * log-normal noise, run-to-run drift, and one injected regression (+15% in
 * sort_ints[n=100000] from the 43rd commit on).  Clearly labelled: the
 * project's description and every run's metadata say it is synthetic.
 * Deterministic: a fixed-seed generator, so every demo is the same.
 */
#include "cli/cli.h"
#include "server/server.h"
#include "service/service.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_COMMITS 60
#define DEMO_SAMPLES 15
#define DEMO_REGRESSION_AT 42

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return ((double)(next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(uint64_t *s)
{
    return sqrt(-2 * log(uniform(s))) *
           cos(2 * 3.14159265358979323846 * uniform(s));
}

struct demo_bench {
    const char *name, *params, *key;
    double latency_s, cv;
    bool throughput, memory;
};

static const struct demo_bench benches[] = {
    {"json_parse", "{\"size\":\"1KiB\"}", "json_parse[size=1KiB]", 12e-6, 0.03,
     false, false},
    {"json_parse", "{\"size\":\"1MiB\"}", "json_parse[size=1MiB]", 9.5e-3, 0.02,
     true, false},
    {"sort_ints", "{\"n\":1000}", "sort_ints[n=1000]", 45e-6, 0.04, false,
     false},
    {"sort_ints", "{\"n\":100000}", "sort_ints[n=100000]", 6.2e-3, 0.02, true,
     false},
    {"http_roundtrip", "{}", "http_roundtrip", 1.8e-3, 0.08, false, true},
};

static void add_latency(struct run *r, const struct demo_bench *b, double mean,
                        uint64_t *rng)
{
    struct result *res = run_result_add(r);
    double sum = 0, sq = 0, *sorted;

    res->benchmark = xstrdup(b->name);
    res->params = xstrdup(b->params);
    res->key = xstrdup(b->key);
    res->measure = xstrdup("latency");
    res->unit = xstrdup("s");
    res->samples = xcalloc(DEMO_SAMPLES, sizeof *res->samples);
    res->nsamples = DEMO_SAMPLES;
    for (size_t k = 0; k < DEMO_SAMPLES; k++) {
        res->samples[k] = mean * exp(b->cv * normal(rng));
        sum += res->samples[k];
    }
    res->mean = sum / DEMO_SAMPLES;
    for (size_t k = 0; k < DEMO_SAMPLES; k++)
        sq += (res->samples[k] - res->mean) * (res->samples[k] - res->mean);
    res->stddev = sqrt(sq / (DEMO_SAMPLES - 1));
    sorted = xcalloc(DEMO_SAMPLES, sizeof *sorted);
    memcpy(sorted, res->samples, DEMO_SAMPLES * sizeof *sorted);
    qsort(sorted, DEMO_SAMPLES, sizeof *sorted, double_cmp);
    res->median = sorted[DEMO_SAMPLES / 2];
    res->min = sorted[0];
    res->max = sorted[DEMO_SAMPLES - 1];
    res->value = res->median;
    res->n = DEMO_SAMPLES;
    res->pointer = xasprintf("/results/%zu", r->nresults - 1);
    free(sorted);
    if (b->throughput) {
        struct result *t = run_result_add(r);

        t->benchmark = xstrdup(b->name);
        t->params = xstrdup(b->params);
        t->key = xstrdup(b->key);
        t->measure = xstrdup("throughput");
        t->unit = xstrdup("1/s");
        t->value = 1.0 / r->results[r->nresults - 2].median;
        t->pointer = xasprintf("/results/%zu", r->nresults - 1);
    }
    if (b->memory) {
        struct result *m = run_result_add(r);

        m->benchmark = xstrdup(b->name);
        m->params = xstrdup(b->params);
        m->key = xstrdup(b->key);
        m->measure = xstrdup("memory");
        m->unit = xstrdup("B");
        m->value = floor(48.0 * 1048576 * exp(0.01 * normal(rng)));
        m->pointer = xasprintf("/results/%zu", r->nresults - 1);
    }
}

enum err cli_demo_load(struct store *st, struct errbuf *eb)
{
    struct run runs[DEMO_COMMITS];
    struct store_insert items[DEMO_COMMITS];
    int64_t ids[DEMO_COMMITS];
    uint64_t rng = 20261126;
    int64_t start = time_now_ms() - (int64_t)DEMO_COMMITS * 6 * 3600 * 1000;
    enum err e;

    memset(items, 0, sizeof items);
    for (int i = 0; i < DEMO_COMMITS; i++) {
        struct run *r = &runs[i];
        unsigned char h[HASH_SHA256_LEN];
        char hex[2 * HASH_SHA256_LEN + 1], seed[32];
        double drift = exp(0.01 * normal(&rng)); /* run-to-run noise */

        run_init(r);
        snprintf(seed, sizeof seed, "demo-commit-%d", i);
        hash_sha256(seed, strlen(seed), h);
        hash_hex(h, sizeof h, hex);
        hex[40] = '\0';
        r->project = xstrdup("demo");
        r->branch = xstrdup("main");
        r->commit_sha = xstrdup(hex);
        r->commit_message =
            xasprintf("demo commit %d%s", i + 1,
                      i == DEMO_REGRESSION_AT ? ": switch sort to a "
                                                "stable merge sort"
                                              : "");
        r->commit_author = xstrdup("Demo Author <demo@example.invalid>");
        r->commit_time = start + (int64_t)i * 6 * 3600 * 1000;
        r->started_at = r->commit_time + 5 * 60 * 1000;
        r->finished_at = r->started_at + 3 * 60 * 1000;
        r->testbed = xstrdup("demo-linux-4c");
        r->testbed_info = xstrdup("{\"cores\":4,\"cpu\":\"Demo CPU\","
                                  "\"memory_bytes\":17179869184,"
                                  "\"os\":\"Linux 6.1\"}");
        r->format = xstrdup("benchvault/v1");
        r->metadata = xstrdup("{\"demo\":true,\"note\":\"synthetic data "
                              "generated by benchvault\"}");
        for (size_t b = 0; b < sizeof benches / sizeof benches[0]; b++) {
            double mean = benches[b].latency_s * drift;

            if (b == 3 && i >= DEMO_REGRESSION_AT)
                mean *= 1.15;
            add_latency(r, &benches[b], mean, &rng);
        }
        items[i].run = r;
        err_init(&items[i].eb);
    }
    e = store_runs_insert(st, items, DEMO_COMMITS, eb);
    for (int i = 0; i < DEMO_COMMITS; i++) {
        if (!e && items[i].status) {
            e = items[i].status;
            err_set(eb, "%s", items[i].eb.msg);
        }
        ids[i] = items[i].run_id;
        err_cleanup(&items[i].eb);
        run_cleanup(&runs[i]);
    }
    /* As if each run had been posted in turn: the regression opens its
     * alert, so a first visitor sees one. */
    if (!e)
        svc_alerts_backfill(st, ids, DEMO_COMMITS);
    if (!e)
        e = store_project_describe(st, "demo",
                                   "Demo data generated by "
                                   "benchvault on first start: synthetic "
                                   "measurements, not a real project.");
    return e;
}
