/*
 * byte_cache.c: a bounded LRU of answers by key, shared by the worker
 * threads: the charts' cache (keyed by ETag) and the answer cache of run
 * pages and comparisons (keyed by the project's data version,
 * answer_cache.c).
 *
 * Design notes:
 * 1. Bounded in entries and in bytes; an answer over a quarter of the byte
 *    bound is not kept.  The least recently used go first.
 * 2. One mutex; entries are copied in and out, so nothing borrowed outlives
 *    the lock.  A linear scan: a few hundred entries, each a memcmp of a
 *    hex key, cost far less than the answer they save.
 * 3. Keys are content hashes (never invalidated here): a key already kept
 *    is left as it is, since two threads that computed it computed the
 *    same bytes.
 */
#include "server/server_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct byte_entry {
    char key[BYTE_CACHE_KEY_MAX];
    char *data; /* owns */
    size_t len;
    const char *content_type; /* static */
    uint64_t used;            /* LRU clock */
};

struct byte_cache {
    pthread_mutex_t lock;
    struct byte_entry *e; /* owns */
    size_t n, max, bytes, max_bytes;
    uint64_t clock;
};

struct byte_cache *byte_cache_create(size_t max_entries, size_t max_bytes)
{
    struct byte_cache *c = xcalloc(1, sizeof *c);

    pthread_mutex_init(&c->lock, NULL);
    c->max = max_entries;
    c->max_bytes = max_bytes;
    c->e = xcalloc(max_entries, sizeof *c->e);
    return c;
}

void byte_cache_free(struct byte_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].data);
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The index of key, or c->n.  Under the lock. */
static size_t find(const struct byte_cache *c, const char *key)
{
    size_t i = 0;

    while (i < c->n && strcmp(c->e[i].key, key) != 0)
        i++;
    return i;
}

bool byte_cache_get(struct byte_cache *c, const char *key, struct buf *out,
                    const char **ctype)
{
    bool hit = false;
    size_t i;

    if (!c)
        return false;
    pthread_mutex_lock(&c->lock);
    i = find(c, key);
    if (i < c->n) {
        c->e[i].used = ++c->clock;
        hit = buf_add(out, c->e[i].data, c->e[i].len) == ERR_OK;
        *ctype = c->e[i].content_type;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void byte_cache_put(struct byte_cache *c, const char *key, const void *data,
                    size_t len, const char *ctype)
{
    size_t slot;

    assert(strlen(key) < BYTE_CACHE_KEY_MAX);
    if (!c || len > c->max_bytes / 4)
        return;
    pthread_mutex_lock(&c->lock);
    if (find(c, key) < c->n) { /* note 3: another thread was first */
        pthread_mutex_unlock(&c->lock);
        return;
    }
    while (c->n && (c->n == c->max || c->bytes + len > c->max_bytes)) {
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
    c->e[slot].data = xmalloc(len ? len : 1);
    memcpy(c->e[slot].data, data, len);
    c->e[slot].len = len;
    c->e[slot].content_type = ctype;
    c->e[slot].used = ++c->clock;
    c->bytes += len;
    pthread_mutex_unlock(&c->lock);
}
