/*
 * Prometheus metrics: requests by route and status, a latency histogram per
 * route, ingest counters and the database size.  Counters are C11 atomics
 * indexed [route][slot]; the last route row counts unmatched requests.
 *
 * Under --private, /metrics needs a read token for every project (a token
 * without a project, of any scope): the figures cover all projects at once
 * (open alerts, runs, the database size), so a token limited to one project
 * is refused (403).  Prometheus sends it with `authorization: {credentials:
 * <token>}` in its scrape config.  Without --private it stays public.
 */
#include "server/server_int.h"

#include <stdio.h>

static const double bucket_le[METRICS_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,    1,     2.5,  5,     10};

static const unsigned status_slots[METRICS_STATUS_SLOTS - 1] = {
    200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
    413, 415, 422, 429, 499, 500, 503, 0,   0};

static size_t slot_of(unsigned status)
{
    for (size_t i = 0; i < METRICS_STATUS_SLOTS - 1; i++)
        if (status_slots[i] == status)
            return i;
    return METRICS_STATUS_SLOTS - 1; /* other */
}

void metrics_record(struct srv *s, int route_index, unsigned status,
                    uint64_t ns)
{
    size_t r = route_index >= 0 ? (size_t)route_index : s->nroutes;
    double secs = (double)ns / 1e9;

    atomic_fetch_add(
        &s->metrics.counts[r * METRICS_STATUS_SLOTS + slot_of(status)], 1);
    for (size_t b = 0; b < METRICS_BUCKETS; b++) {
        if (secs <= bucket_le[b]) {
            atomic_fetch_add(&s->metrics.buckets[r * METRICS_BUCKETS + b], 1);
            break;
        }
    }
    atomic_fetch_add(&s->metrics.sum_us[r], ns / 1000);
}

static const char *route_label(struct srv *s, size_t r)
{
    return r < s->nroutes ? s->routes[r].name : "unmatched";
}

void metrics_write(struct srv *s, struct buf *out)
{
    struct store *st = NULL;
    int64_t db_bytes = -1, open_alerts = -1;

    (void)buf_printf(out,
                     "# HELP benchvault_build_info Build version.\n"
                     "# TYPE benchvault_build_info gauge\n"
                     "benchvault_build_info{version=\"%s\"} 1\n",
                     BV_VERSION);
    (void)buf_adds(out, "# HELP benchvault_http_requests_total HTTP requests "
                        "by route and status.\n"
                        "# TYPE benchvault_http_requests_total counter\n");
    for (size_t r = 0; r <= s->nroutes; r++) {
        for (size_t k = 0; k < METRICS_STATUS_SLOTS; k++) {
            uint64_t v =
                atomic_load(&s->metrics.counts[r * METRICS_STATUS_SLOTS + k]);
            char status[16];

            if (!v)
                continue;
            if (k == METRICS_STATUS_SLOTS - 1 || !status_slots[k])
                snprintf(status, sizeof status, "other");
            else
                snprintf(status, sizeof status, "%u", status_slots[k]);
            (void)buf_printf(out,
                             "benchvault_http_requests_total{route=\"%s\","
                             "status=\"%s\"} %llu\n",
                             route_label(s, r), status, (unsigned long long)v);
        }
    }
    (void)buf_adds(out, "# HELP benchvault_http_request_duration_seconds "
                        "Time from request to answer.\n"
                        "# TYPE benchvault_http_request_duration_seconds "
                        "histogram\n");
    for (size_t r = 0; r <= s->nroutes; r++) {
        uint64_t cum = 0;

        for (size_t b = 0; b < METRICS_BUCKETS; b++)
            cum += atomic_load(&s->metrics.buckets[r * METRICS_BUCKETS + b]);
        if (!cum) {
            uint64_t total = 0;

            for (size_t k = 0; k < METRICS_STATUS_SLOTS; k++)
                total += atomic_load(
                    &s->metrics.counts[r * METRICS_STATUS_SLOTS + k]);
            if (!total)
                continue;
        }
        cum = 0;
        for (size_t b = 0; b < METRICS_BUCKETS; b++) {
            cum += atomic_load(&s->metrics.buckets[r * METRICS_BUCKETS + b]);
            (void)buf_printf(out,
                             "benchvault_http_request_duration_seconds_"
                             "bucket{route=\"%s\",le=\"%g\"} %llu\n",
                             route_label(s, r), bucket_le[b],
                             (unsigned long long)cum);
        }
        {
            uint64_t total = 0;

            for (size_t k = 0; k < METRICS_STATUS_SLOTS; k++)
                total += atomic_load(
                    &s->metrics.counts[r * METRICS_STATUS_SLOTS + k]);
            (void)buf_printf(out,
                             "benchvault_http_request_duration_seconds_"
                             "bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                             "benchvault_http_request_duration_seconds_sum"
                             "{route=\"%s\"} %.6f\n"
                             "benchvault_http_request_duration_seconds_count"
                             "{route=\"%s\"} %llu\n",
                             route_label(s, r), (unsigned long long)total,
                             route_label(s, r),
                             (double)atomic_load(&s->metrics.sum_us[r]) / 1e6,
                             route_label(s, r), (unsigned long long)total);
        }
    }
    (void)buf_printf(
        out,
        "# HELP benchvault_runs_ingested_total Runs stored.\n"
        "# TYPE benchvault_runs_ingested_total counter\n"
        "benchvault_runs_ingested_total %llu\n"
        "# HELP benchvault_results_ingested_total Results "
        "stored.\n"
        "# TYPE benchvault_results_ingested_total counter\n"
        "benchvault_results_ingested_total %llu\n"
        "# HELP benchvault_ingest_transactions_total Group "
        "commits.\n"
        "# TYPE benchvault_ingest_transactions_total counter\n"
        "benchvault_ingest_transactions_total %llu\n"
        "# HELP benchvault_retention_runs_total Runs whose raw samples "
        "retention dropped, or that it deleted.\n"
        "# TYPE benchvault_retention_runs_total counter\n"
        "benchvault_retention_runs_total %llu\n",
        (unsigned long long)atomic_load(&s->metrics.runs_ingested),
        (unsigned long long)atomic_load(&s->metrics.results_ingested),
        (unsigned long long)atomic_load(&s->metrics.ingest_batches),
        (unsigned long long)atomic_load(&s->metrics.retention_runs));
    if (!srv_store_acquire(s, &st, NULL)) {
        if (store_db_size(st, &db_bytes))
            db_bytes = -1;
        if (store_alerts_open_count(st, &open_alerts))
            open_alerts = -1;
        srv_store_release(s, st);
    }
    if (open_alerts >= 0)
        (void)buf_printf(out,
                         "# HELP benchvault_alerts_open Regression "
                         "alerts open (docs/changepoints.md).\n"
                         "# TYPE benchvault_alerts_open gauge\n"
                         "benchvault_alerts_open %lld\n",
                         (long long)open_alerts);
    if (db_bytes >= 0)
        (void)buf_printf(out,
                         "# HELP benchvault_db_size_bytes Database size "
                         "(main file and WAL).\n"
                         "# TYPE benchvault_db_size_bytes gauge\n"
                         "benchvault_db_size_bytes %lld\n",
                         (long long)db_bytes);
}

void route_metrics(struct req *rq)
{
    if (!auth_check(rq, ACCESS_READ, NULL))
        return;
    if (rq->has_token && rq->token.project) {
        req_problem_status(rq, 403,
                           "/metrics covers every project: use a token "
                           "that is not limited to one project");
        return;
    }
    buf_reset(&rq->resp);
    metrics_write(rq->srv, &rq->resp);
    rq->status = 200;
    rq->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
