/*
 * The writer thread: every ingest goes through here, one transaction at a
 * time, so SQLite never sees two writers and never answers SQLITE_BUSY.
 *
 * Group commit: while one transaction is being written and synced, new jobs
 * queue up; the next transaction takes all of them (up to batch_max).  With
 * synchronous=FULL each transaction costs one fsync of the WAL, so under
 * load many acknowledged runs share one sync, and a run is answered 201 only
 * after the sync that made it durable.  Each run has its own savepoint
 * (store_runs_insert), so one bad run does not fail its batch-mates.
 *
 * Token use (last_used_at) is recorded here too, at most once a minute per
 * token, in the same transaction stream, so reads never write.
 *
 * Deletions (JOB_DELETE) run here as well, after the batch's runs, one at a
 * time: on this connection, whose id cache and tail cache they must keep
 * true (both are dropped after a delete), and ordered with the ingests.
 *
 * Retention (store_retention_step) runs here when the queue is empty: one
 * small batch (one short transaction) at a time, the queue checked between
 * batches, so a queued ingest waits for at most one batch.  A pass starts
 * every retention_interval_s and goes on while batches find work.
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOUCH_INTERVAL_MS 60000
#define TOUCH_SLOTS 64

struct writer {
    struct srv *srv;
    struct store *st;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct ingest_job *head, *tail; /* the queue */
    bool stopping;
    bool started;
    struct {
        int64_t id, at;
    } touched[TOUCH_SLOTS];
    struct svc_cpd_cache *cpd; /* owns; regression detection's tails */
    int64_t ret_next;          /* next retention pass (ms, monotonic) */
    bool ret_more;             /* the last batch found work */
};

static void finish(struct ingest_job *job, enum err status, const char *msg)
{
    job->status = status;
    err_set(&job->eb, "%s", msg);
    srv_job_done(job);
}

/* Regression detection over the batch's stored runs (service/alerts.c);
 * the alerts each opened go on its job, for its answer. */
static void examine(struct writer *w, struct ingest_job **jobs, size_t n)
{
    struct svc_alert_run *runs = xcalloc(n + 1, sizeof *runs);

    for (size_t i = 0; i < n; i++) {
        const struct ingest_job *j = jobs[i];

        runs[i].run_id = j->status == ERR_OK && !j->duplicate ? j->run_id : 0;
    }
    svc_alerts_examine(w->st, &w->cpd, runs, n);
    for (size_t i = 0; i < n; i++) {
        jobs[i]->nalerts = runs[i].nalerts;
        memcpy(jobs[i]->alert_ids, runs[i].alert_ids,
               runs[i].nalerts * sizeof runs[i].alert_ids[0]);
    }
    free(runs);
}

static void touch_tokens(struct writer *w, struct ingest_job **jobs, size_t n)
{
    int64_t now = time_now_ms(), ids[TOUCH_SLOTS];
    size_t nids = 0;

    for (size_t i = 0; i < n && nids < TOUCH_SLOTS; i++) {
        int64_t id = jobs[i]->token_id;
        size_t slot = (size_t)id % TOUCH_SLOTS;

        if (id <= 0)
            continue;
        if (w->touched[slot].id == id &&
            now - w->touched[slot].at < TOUCH_INTERVAL_MS)
            continue;
        w->touched[slot].id = id;
        w->touched[slot].at = now;
        ids[nids++] = id;
    }
    if (nids && store_tokens_touch(w->st, ids, nids, now))
        log_warn("could not record token use");
}

static void run_delete(struct writer *w, struct ingest_job *job)
{
    job->status = svc_delete(w->st, &job->del, &job->del_out, &job->eb);
    if (job->status == ERR_OK) {
        /* The tails may hold the deleted points. */
        svc_cpd_cache_free(w->cpd);
        w->cpd = NULL;
    }
    touch_tokens(w, &job, 1);
    srv_job_done(job);
}

static void run_batch(struct writer *w, struct ingest_job **jobs, size_t n)
{
    struct store_insert *items = xcalloc(n, sizeof *items);
    struct errbuf eb;
    enum err e;
    size_t nres = 0, nruns = 0;

    err_init(&eb);
    for (size_t i = 0; i < n; i++) {
        items[i].run = &jobs[i]->run;
        items[i].idempotency_key = jobs[i]->idem_key;
        items[i].body_hash = jobs[i]->body_hash;
        err_init(&items[i].eb);
    }
    e = store_runs_insert(w->st, items, n, &eb);
    if (e)
        log_error("ingest transaction failed: %s", eb.msg);
    for (size_t i = 0; i < n; i++) {
        struct ingest_job *job = jobs[i];

        job->status = e ? e : items[i].status;
        job->run_id = items[i].run_id;
        job->result_count = items[i].result_count;
        job->duplicate = items[i].duplicate;
        /* The item's errbuf moves into the job. */
        err_cleanup(&job->eb);
        job->eb = items[i].eb;
        if (!job->status && !job->duplicate) {
            nruns++;
            nres += (size_t)job->result_count;
        }
    }
    atomic_fetch_add(&w->srv->metrics.runs_ingested, nruns);
    atomic_fetch_add(&w->srv->metrics.results_ingested, nres);
    atomic_fetch_add(&w->srv->metrics.ingest_batches, 1);
    if (!e)
        touch_tokens(w, jobs, n);
    /* Regression detection, on this connection, before the answers. */
    if (!e)
        examine(w, jobs, n);
    for (size_t i = 0; i < n; i++)
        srv_job_done(jobs[i]);
    free(items);
    err_cleanup(&eb);
}

static int64_t mono_ms(void)
{
    return (int64_t)(time_mono_ns() / 1000000u);
}

static bool retention_due(const struct writer *w)
{
    if (!w->srv->cfg.retention_interval_s)
        return false;
    return w->ret_more || mono_ms() >= w->ret_next;
}

/* Waits (lock held) for a job, a stop, or the next retention pass. */
static void wait_for_work(struct writer *w)
{
    struct timespec ts;
    int64_t left;

    if (!w->srv->cfg.retention_interval_s) {
        pthread_cond_wait(&w->cond, &w->lock);
        return;
    }
    left = w->ret_next - mono_ms();
    if (left <= 0)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(left / 1000);
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w->cond, &w->lock, &ts);
}

/* One retention batch (the queue was empty). */
static void retention_batch(struct writer *w)
{
    struct errbuf eb;
    int64_t pruned = 0, deleted = 0;
    enum err e;

    err_init(&eb);
    e = store_retention_step(w->st, time_now_ms(),
                             w->srv->cfg.retention_batch
                                 ? w->srv->cfg.retention_batch
                                 : SRV_RETENTION_BATCH,
                             &pruned, &deleted, &eb);
    if (e != ERR_OK)
        log_error("retention: %s", eb.msg);
    if (deleted) {
        svc_cpd_cache_free(w->cpd);
        w->cpd = NULL;
        log_info("retention: deleted %lld runs past their branch's limit",
                 (long long)deleted);
    }
    atomic_fetch_add(&w->srv->metrics.retention_runs,
                     (uint64_t)(pruned + deleted));
    w->ret_more = e == ERR_OK && (pruned || deleted);
    if (!w->ret_more)
        w->ret_next =
            mono_ms() + (int64_t)w->srv->cfg.retention_interval_s * 1000;
    err_cleanup(&eb);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    size_t max = w->srv->cfg.batch_max ? w->srv->cfg.batch_max : 1;
    struct ingest_job **jobs = xcalloc(max, sizeof *jobs);
    struct ingest_job **ingest = xcalloc(max, sizeof *ingest);

    w->ret_next = (int64_t)(time_mono_ns() / 1000000u) + 1000;
    for (;;) {
        size_t n = 0, ni = 0, nd;

        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stopping && !retention_due(w))
            wait_for_work(w);
        if (!w->head && w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        if (!w->head) {
            pthread_mutex_unlock(&w->lock);
            retention_batch(w);
            continue;
        }
        while (w->head && n < max) {
            jobs[n++] = w->head;
            w->head = w->head->next;
        }
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        /* The runs first, as one group commit; then the deletions, in
         * the order they came.  A job is not touched once done: its
         * request (which owns it) may be freed at once. */
        nd = 0;
        for (size_t i = 0; i < n; i++) {
            if (jobs[i]->kind == JOB_INGEST)
                ingest[ni++] = jobs[i];
            else
                jobs[nd++] = jobs[i];
        }
        if (ni)
            run_batch(w, ingest, ni);
        for (size_t i = 0; i < nd; i++)
            run_delete(w, jobs[i]);
    }
    free(jobs);
    free(ingest);
    return NULL;
}

enum err writer_start(struct srv *s, struct writer **out, struct errbuf *eb)
{
    struct writer *w = xcalloc(1, sizeof *w);
    enum err e;

    *out = NULL;
    w->srv = s;
    e = store_open(s->db_path, STORE_RW, &w->st, NULL, eb);
    if (e) {
        free(w);
        return e;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        err_set(eb, "cannot start the writer thread");
        store_close(w->st);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
        return ERR_INTERNAL;
    }
    w->started = true;
    *out = w;
    return ERR_OK;
}

void writer_submit(struct writer *w, struct ingest_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        finish(job, ERR_IO, "the server is shutting down");
        return;
    }
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void writer_stop(struct writer *w)
{
    if (!w || !w->st)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
    svc_cpd_cache_free(w->cpd);
    w->cpd = NULL;
    store_close(w->st);
    w->st = NULL;
}

void writer_free(struct writer *w)
{
    if (!w)
        return;
    writer_stop(w);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
