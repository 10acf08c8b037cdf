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

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* Reads a small /proc file into b (NUL-terminated); false when it cannot.
 * /proc files report size 0, so it reads until the end. */
static bool proc_read(const char *path, char *b, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f)
        return false;
    n = fread(b, 1, cap - 1, f);
    b[n] = '\0';
    fclose(f);
    return n > 0;
}

/* The i-th (1-based, as proc(5) numbers them) field of /proc/self/stat. */
static bool stat_field(const char *stat, int i, unsigned long long *v)
{
    /* the command name (field 2) may hold spaces: count from its ')' */
    const char *p = strrchr(stat, ')');
    char *end;

    if (!p || i < 3)
        return false;
    p++;
    for (int f = 3; f <= i; f++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return false;
        if (f == i)
            break;
        while (*p && *p != ' ')
            p++;
    }
    errno = 0;
    *v = strtoull(p, &end, 10);
    return end != p && errno == 0;
}

static bool boot_time(unsigned long long *bt)
{
    char b[8192], *p, *end;

    if (!proc_read("/proc/stat", b, sizeof b) || !(p = strstr(b, "\nbtime ")))
        return false;
    errno = 0;
    *bt = strtoull(p + 7, &end, 10);
    return end != p + 7 && errno == 0;
}

static long long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    const struct dirent *e;
    long long n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/*
 * The standard process_* metrics of Prometheus' client libraries, from
 * proc(5): CPU time (utime + stime), resident and virtual memory, start
 * time (boot time + starttime), open and maximum file descriptors.  A
 * figure that cannot be read is left out.
 */
static void process_metrics(struct buf *out)
{
    char st[1024];
    unsigned long long utime, stime, start, vsize, rss, bt;
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    long long fds = open_fds();
    struct rlimit rl;

    if (proc_read("/proc/self/stat", st, sizeof st) && tck > 0 && page > 0) {
        if (stat_field(st, 14, &utime) && stat_field(st, 15, &stime))
            (void)buf_printf(out,
                             "# HELP process_cpu_seconds_total Total user "
                             "and system CPU time spent in seconds.\n"
                             "# TYPE process_cpu_seconds_total counter\n"
                             "process_cpu_seconds_total %.2f\n",
                             (double)(utime + stime) / (double)tck);
        if (stat_field(st, 23, &vsize))
            (void)buf_printf(out,
                             "# HELP process_virtual_memory_bytes Virtual "
                             "memory size in bytes.\n"
                             "# TYPE process_virtual_memory_bytes gauge\n"
                             "process_virtual_memory_bytes %llu\n",
                             vsize);
        if (stat_field(st, 24, &rss))
            (void)buf_printf(out,
                             "# HELP process_resident_memory_bytes Resident "
                             "memory size in bytes.\n"
                             "# TYPE process_resident_memory_bytes gauge\n"
                             "process_resident_memory_bytes %llu\n",
                             rss * (unsigned long long)page);
        if (stat_field(st, 22, &start) && boot_time(&bt))
            (void)buf_printf(out,
                             "# HELP process_start_time_seconds Start time "
                             "of the process since unix epoch in seconds.\n"
                             "# TYPE process_start_time_seconds gauge\n"
                             "process_start_time_seconds %.2f\n",
                             (double)bt + (double)start / (double)tck);
    }
    if (fds >= 0)
        (void)buf_printf(out,
                         "# HELP process_open_fds Number of open file "
                         "descriptors.\n"
                         "# TYPE process_open_fds gauge\n"
                         "process_open_fds %lld\n",
                         fds);
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY)
        (void)buf_printf(out,
                         "# HELP process_max_fds Maximum number of open "
                         "file descriptors.\n"
                         "# TYPE process_max_fds gauge\n"
                         "process_max_fds %llu\n",
                         (unsigned long long)rl.rlim_cur);
}

/* A label value as the exposition format quotes it: \\, \" and \n. */
static void metrics_label_escape(struct buf *b, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            (void)buf_addc(b, '\\');
        if (*p == '\n')
            (void)buf_adds(b, "\\n");
        else
            (void)buf_addc(b, *p);
    }
}

/* Alerts open and acknowledged per project, every project listed. */
static void alert_metrics(struct buf *out, const struct store_alert_tally *v,
                          size_t n)
{
    struct buf lab;

    (void)buf_adds(out, "# HELP benchvault_alerts_open Regression alerts "
                        "open, by project (docs/changepoints.md).\n"
                        "# TYPE benchvault_alerts_open gauge\n");
    buf_init(&lab, 0);
    for (size_t i = 0; i < n; i++) {
        buf_reset(&lab);
        metrics_label_escape(&lab, v[i].project);
        (void)buf_printf(out, "benchvault_alerts_open{project=\"%s\"} %lld\n",
                         buf_str(&lab), (long long)v[i].open);
    }
    (void)buf_adds(out, "# HELP benchvault_alerts_acknowledged Regression "
                        "alerts acknowledged but not resolved, by "
                        "project.\n"
                        "# TYPE benchvault_alerts_acknowledged gauge\n");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&lab);
        metrics_label_escape(&lab, v[i].project);
        (void)buf_printf(out,
                         "benchvault_alerts_acknowledged{project=\"%s\"} "
                         "%lld\n",
                         buf_str(&lab), (long long)v[i].acknowledged);
    }
    buf_cleanup(&lab);
}

/* The labels of one series: project, benchmark, measure, branch, testbed. */
static void series_labels(struct buf *out, const char *project,
                          const struct svc_dash_row *r)
{
    (void)buf_adds(out, "{project=\"");
    metrics_label_escape(out, project);
    (void)buf_adds(out, "\",benchmark=\"");
    metrics_label_escape(out, r->key);
    (void)buf_adds(out, "\",measure=\"");
    metrics_label_escape(out, r->measure);
    (void)buf_adds(out, "\",branch=\"");
    metrics_label_escape(out, r->branch);
    (void)buf_adds(out, "\",testbed=\"");
    metrics_label_escape(out, r->testbed);
    (void)buf_adds(out, "\"}");
}

/*
 * The opt-in exposition of series (--metrics-series N): each series'
 * latest value, its change now and whether it is worse now, at most N
 * series, those worse now first (the dashboard's order, project by
 * project), so the bound keeps what matters.  The families are written
 * one after another, as the exposition format wants.
 */
static void series_metrics(struct srv *s, struct store *st, struct buf *out)
{
    struct store_project *p = NULL;
    struct svc_dash_row **rows;
    size_t np = 0, *nrows, left = s->cfg.metrics_series, dropped = 0;
    static const char *const fam[3][3] = {
        {"benchvault_benchmark_value", "gauge",
         "The newest value of each series (its measure's unit)."},
        {"benchvault_benchmark_change", "gauge",
         "Each series' latest level against its history (ratio - 1)."},
        {"benchvault_benchmark_worse", "gauge",
         "1 when a series is worse now (suspected, alert open or known)."}};

    if (!left || store_projects_list(st, &p, &np, NULL))
        return;
    rows = xcalloc(np + 1, sizeof *rows);
    nrows = xcalloc(np + 1, sizeof *nrows);
    for (size_t i = 0; i < np; i++) {
        if (svc_dashboard(st, p[i].id, NULL, SVC_DASH_WORSE, &rows[i],
                          &nrows[i], NULL)) {
            rows[i] = NULL;
            nrows[i] = 0;
        }
        dropped += nrows[i] > left ? nrows[i] - left : 0;
        left -= nrows[i] < left ? nrows[i] : left;
    }
    for (size_t f = 0; f < 3; f++) {
        size_t budget = s->cfg.metrics_series;

        (void)buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", fam[f][0],
                         fam[f][2], fam[f][0], fam[f][1]);
        for (size_t i = 0; i < np; i++) {
            for (size_t k = 0; k < nrows[i] && budget; k++, budget--) {
                const struct svc_dash_row *r = &rows[i][k];
                double v = f == 0   ? r->last
                           : f == 1 ? r->change
                                    : (r->state == SVC_DASH_SUSPECTED ||
                                       r->state == SVC_DASH_ALERT ||
                                       r->state == SVC_DASH_KNOWN);

                if (isnan(v))
                    continue;
                (void)buf_adds(out, fam[f][0]);
                series_labels(out, p[i].slug, r);
                (void)buf_printf(out, " %.17g\n", v);
            }
        }
    }
    if (dropped)
        (void)buf_printf(out,
                         "# benchvault: %zu series left out "
                         "(--metrics-series %u)\n",
                         dropped, s->cfg.metrics_series);
    for (size_t i = 0; i < np; i++)
        svc_dash_rows_free(rows[i], nrows[i]);
    free(rows);
    free(nrows);
    store_projects_free(p, np);
}

void metrics_write(struct srv *s, struct buf *out)
{
    struct store *st = NULL;
    int64_t db_bytes = -1;
    struct store_alert_tally *tally = NULL;
    size_t ntally = 0;
    bool have_tally = false;

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
        have_tally = !store_alerts_by_project(st, &tally, &ntally);
        if (have_tally)
            alert_metrics(out, tally, ntally);
        series_metrics(s, st, out);
        srv_store_release(s, st);
    }
    store_alert_tally_free(tally, ntally);
    if (db_bytes >= 0)
        (void)buf_printf(out,
                         "# HELP benchvault_db_size_bytes Database size "
                         "(main file and WAL).\n"
                         "# TYPE benchvault_db_size_bytes gauge\n"
                         "benchvault_db_size_bytes %lld\n",
                         (long long)db_bytes);
    process_metrics(out);
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
