/*
 * SHA-256, constant-time comparison and OS randomness.  The hash comes from
 * OpenSSL's libcrypto (a well-kept crypto library, not a hand-written one);
 * random bytes from getrandom(2), which blocks only until the kernel's pool
 * is first initialised.
 */
#define _DEFAULT_SOURCE
#include "core/core.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <sys/random.h>

void hash_sha256(const void *data, size_t n, unsigned char out[HASH_SHA256_LEN])
{
    unsigned int len = 0;

    if (!EVP_Digest(data, n, out, &len, EVP_sha256(), NULL)) {
        log_error("EVP_Digest(sha256) failed");
        abort();
    }
}

void hash_hmac_sha256(const void *key, size_t keylen, const void *data,
                      size_t n, unsigned char out[HASH_SHA256_LEN])
{
    unsigned int len = 0;

    if (keylen > INT_MAX ||
        !HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len) ||
        len != HASH_SHA256_LEN) {
        log_error("HMAC(sha256) failed");
        abort();
    }
}

/* An EVP digest context; OpenSSL allocates it, so it stays opaque. */
struct hash_stream {
    EVP_MD_CTX *ctx;
};

static void hash_fail(const char *what)
{
    log_error("%s(sha256) failed", what);
    abort();
}

struct hash_stream *hash_stream_create(void)
{
    struct hash_stream *h = xmalloc(sizeof *h);

    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx)
        hash_fail("EVP_MD_CTX_new");
    if (!EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
        hash_fail("EVP_DigestInit_ex");
    return h;
}

void hash_stream_add(struct hash_stream *h, const void *data, size_t n)
{
    if (n && !EVP_DigestUpdate(h->ctx, data, n))
        hash_fail("EVP_DigestUpdate");
}

void hash_stream_end(struct hash_stream *h, unsigned char out[HASH_SHA256_LEN])
{
    unsigned int len = 0;

    if (!EVP_DigestFinal_ex(h->ctx, out, &len) ||
        !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL))
        hash_fail("EVP_DigestFinal_ex");
}

void hash_stream_free(struct hash_stream *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void hash_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

bool hash_equal(const unsigned char *a, const unsigned char *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

enum err rand_bytes(void *out, size_t n)
{
    unsigned char *p = out;

    while (n) {
        ssize_t got = getrandom(p, n, 0);

        if (got < 0) {
            if (errno == EINTR)
                continue;
            return ERR_IO;
        }
        p += got;
        n -= (size_t)got;
    }
    return ERR_OK;
}
