/*
 * SHA-256, constant-time comparison and OS randomness.  The hash comes from
 * OpenSSL's libcrypto (a well-kept crypto library, not a hand-written one);
 * random bytes from getrandom(2), which blocks only until the kernel's pool
 * is first initialised.
 */
#define _DEFAULT_SOURCE
#include "core/core.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
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
