/*
 * store_cache.c: the write path's id cache, so that inserting a run does not
 * run a SELECT per result to find its benchmark and measure.
 *
 * Design notes:
 * 1. One open-addressing table (linear probing, power-of-two capacity, at
 *    most half full) holds every kind of entry; the key is (kind, parent
 *    project id, name).  There are no deletions, only store_cache_clear, so
 *    the table needs no tombstones.
 * 2. Invariant: every id in the cache names a row that is committed or that
 *    belongs to the current transaction's released savepoints.  The writer
 *    keeps it by clearing the whole cache whenever anything rolls back
 *    (ROLLBACK TO an item's savepoint, ROLLBACK, a failed COMMIT): rollbacks
 *    are rare, and re-reading a few ids afterwards is cheap.
 * 3. Rows are never deleted while a store is open (no API deletes them), so
 *    an entry committed by this or another connection stays valid.
 * 4. Bounded: the table is cleared when it would pass STORE_CACHE_MAX
 *    entries, which a pathological project with millions of distinct
 *    benchmark keys would otherwise turn into unbounded memory.
 */
#include "store/store_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MIN_CAP 64

/* FNV-1a over the kind, the parent id and the name. */
static uint64_t key_hash(int kind, int64_t parent, const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    uint64_t p = (uint64_t)parent;

    h = (h ^ (uint64_t)kind) * 1099511628211ULL;
    for (int i = 0; i < 8; i++) {
        h = (h ^ (p & 0xff)) * 1099511628211ULL;
        p >>= 8;
    }
    for (const unsigned char *s = (const unsigned char *)key; *s; s++)
        h = (h ^ *s) * 1099511628211ULL;
    return h;
}

void store_cache_init(struct store_cache *c)
{
    memset(c, 0, sizeof *c);
}

static void entry_free(struct store_cache_entry *en)
{
    free(en->key);
    free(en->text);
    memset(en, 0, sizeof *en);
}

void store_cache_clear(struct store_cache *c)
{
    for (size_t i = 0; i < c->cap && c->count; i++) {
        if (c->slot[i].key) {
            entry_free(&c->slot[i]);
            c->count--;
        }
    }
    assert(c->count == 0);
}

void store_cache_cleanup(struct store_cache *c)
{
    store_cache_clear(c);
    free(c->slot);
    memset(c, 0, sizeof *c);
}

static struct store_cache_entry *probe(struct store_cache *c, uint64_t h,
                                       int kind, int64_t parent,
                                       const char *key)
{
    size_t mask = c->cap - 1;

    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct store_cache_entry *en = &c->slot[i];

        if (!en->key)
            return en;
        if (en->hash == h && en->kind == kind && en->parent == parent &&
            strcmp(en->key, key) == 0)
            return en;
    }
}

struct store_cache_entry *store_cache_find(struct store_cache *c, int kind,
                                           int64_t parent, const char *key)
{
    struct store_cache_entry *en;

    if (c->count == 0)
        return NULL;
    en = probe(c, key_hash(kind, parent, key), kind, parent, key);
    return en->key ? en : NULL;
}

static void grow(struct store_cache *c)
{
    struct store_cache_entry *old = c->slot;
    size_t oldcap = c->cap;

    c->cap = oldcap ? oldcap * 2 : CACHE_MIN_CAP;
    c->slot = xcalloc(c->cap, sizeof *c->slot);
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].key) {
            struct store_cache_entry *en =
                probe(c, old[i].hash, old[i].kind, old[i].parent, old[i].key);
            *en = old[i]; /* moves the owned strings */
        }
    }
    free(old);
}

struct store_cache_entry *store_cache_put(struct store_cache *c, int kind,
                                          int64_t parent, const char *key,
                                          int64_t id, const char *text, int dir)
{
    uint64_t h = key_hash(kind, parent, key);
    struct store_cache_entry *en;

    if (c->count + 1 > STORE_CACHE_MAX)
        store_cache_clear(c);
    if ((c->count + 1) * 2 > c->cap)
        grow(c);
    en = probe(c, h, kind, parent, key);
    if (en->key) {
        free(en->text);
    } else {
        en->key = xstrdup(key);
        en->hash = h;
        en->kind = kind;
        en->parent = parent;
        c->count++;
    }
    en->id = id;
    en->text = xstrdup(text);
    en->dir = dir;
    return en;
}
