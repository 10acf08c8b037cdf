/*
 * answer_cache.c: answers computed from a project's runs, kept by content.
 *
 * A run page or a comparison of a 2,000-result run reads tens of thousands
 * of results and runs the statistics on each row: hundreds of
 * milliseconds, for an answer that stays the same until the project gets a
 * new run, budget or setting.  Such answers are kept here under a key that
 * says everything they depend on: the route, the path and every query
 * parameter, what the caller adds (the page mode, the link base), and the
 * project's data version read from the database (store_project_version).
 *
 * Design notes:
 * 1. Keyed by content, never invalidated by this process: a run written by
 *    another server changes the version in the database, so the next view
 *    on any server misses and computes afresh.  The version costs one
 *    indexed query per view.
 * 2. Bounded LRU (entries and bytes), shared by the worker threads under
 *    one mutex; an entry is copied in and out, so nothing borrowed
 *    outlives the lock.  Only 200 answers are kept.
 */
#include "server/server_int.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

struct answer_entry {
    char key[2 * HASH_SHA256_LEN + 1];
    char *data; /* owns */
    size_t len;
    const char *content_type; /* static */
    uint64_t used;
};

struct answer_cache {
    pthread_mutex_t lock;
    struct answer_entry *e; /* owns */
    size_t n, max, bytes, max_bytes;
    uint64_t clock;
};

struct answer_cache *answer_cache_create(size_t max_entries, size_t max_bytes)
{
    struct answer_cache *c = xcalloc(1, sizeof *c);

    pthread_mutex_init(&c->lock, NULL);
    c->max = max_entries;
    c->max_bytes = max_bytes;
    c->e = xcalloc(max_entries, sizeof *c->e);
    return c;
}

void answer_cache_free(struct answer_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].data);
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    struct buf *b = cls;

    (void)kind;
    /* lengths first: "a=b&c" and "a=b&c=" must not collide */
    (void)buf_printf(b, "%zu:%s=%zu:%s&", strlen(key), key,
                     value ? strlen(value) : (size_t)0, value ? value : "");
    return MHD_YES;
}

bool srv_answer_cached(struct req *rq, struct store *st, int64_t project_id,
                       const char *extra, char *key)
{
    struct answer_cache *c = rq->srv->answers;
    unsigned char h[HASH_SHA256_LEN];
    struct buf b;
    bool hit = false;

    key[0] = '\0';
    if (!c)
        return false;
    buf_init(&b, 0);
    (void)buf_printf(&b, "%s|%s|%s|%zu:%s|", BV_VERSION,
                     rq->route ? rq->route->name : "", rq->path,
                     extra ? strlen(extra) : (size_t)0, extra ? extra : "");
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, add_arg, &b);
    (void)buf_adds(&b, "|");
    {
        struct buf v;

        buf_init(&v, 0);
        if (store_project_version(st, project_id, &v, NULL) != ERR_OK ||
            buf_add(&b, v.data, v.len) != ERR_OK) {
            buf_cleanup(&v);
            buf_cleanup(&b);
            return false; /* no version, no caching */
        }
        buf_cleanup(&v);
    }
    hash_sha256(b.data, b.len, h);
    buf_cleanup(&b);
    hash_hex(h, HASH_SHA256_LEN, key);
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->e[i].key, key) == 0) {
            c->e[i].used = ++c->clock;
            buf_reset(&rq->resp);
            hit = buf_add(&rq->resp, c->e[i].data, c->e[i].len) == ERR_OK;
            if (hit) {
                rq->status = 200;
                rq->content_type = c->e[i].content_type;
            }
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void srv_answer_keep(struct req *rq, const char *key)
{
    struct answer_cache *c = rq->srv->answers;
    size_t slot;

    if (!c || !key[0] || rq->status != 200 || !rq->content_type ||
        rq->resp.len == 0 || rq->resp.len > c->max_bytes / 4)
        return;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0) { /* another thread was first */
            pthread_mutex_unlock(&c->lock);
            return;
        }
    while (c->n && (c->n == c->max || c->bytes + rq->resp.len > c->max_bytes)) {
        size_t old = 0;

        for (size_t i = 1; i < c->n; i++)
            if (c->e[i].used < c->e[old].used)
                old = i;
        c->bytes -= c->e[old].len;
        free(c->e[old].data);
        c->e[old] = c->e[--c->n];
    }
    slot = c->n++;
    memcpy(c->e[slot].key, key, strlen(key) + 1);
    c->e[slot].data = xmalloc(rq->resp.len);
    memcpy(c->e[slot].data, rq->resp.data, rq->resp.len);
    c->e[slot].len = rq->resp.len;
    c->e[slot].content_type = rq->content_type;
    c->e[slot].used = ++c->clock;
    c->bytes += rq->resp.len;
    pthread_mutex_unlock(&c->lock);
}
