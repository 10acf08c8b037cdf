/*
 * Drives LLVMFuzzerTestOneInput without libFuzzer (gcc builds): replays
 * every file under the given corpus folders, then runs a fixed number of
 * deterministic mutations of them (byte flips, insertions, deletions,
 * splices of tricky tokens).  Not coverage-guided, but it runs in every
 * `make test` under ASan and UBSan.
 *   usage: fuzz_ingest_standalone ITERATIONS DIR...
 */
#include "core/core.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct corpus {
    struct buf *files;
    size_t n;
};

static void load_dir(struct corpus *c, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d || depth > 4) {
        if (d)
            closedir(d);
        return;
    }
    while ((de = readdir(d))) {
        char path[4096];
        struct stat st;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            load_dir(c, path, depth + 1);
        } else if (S_ISREG(st.st_mode) && st.st_size < (1 << 20)) {
            FILE *f = fopen(path, "rb");
            char tmp[65536];
            size_t got;
            struct buf b;

            if (!f)
                continue;
            buf_init(&b, 0);
            while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
                (void)buf_add(&b, tmp, got);
            fclose(f);
            c->files = xreallocarray(c->files, c->n + 1, sizeof *c->files);
            c->files[c->n++] = b;
        }
    }
    closedir(d);
}

static uint64_t rng = 0x5eed;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const tokens[] = {
    "NaN", "-Infinity", "Infinity", "\"\\u0000\"", "[[[[[[[[", "]]]]",
    "{\"a\":", "1e309", "-0", "18446744073709551616", "\"ms\"", "\"\"",
    "null", "true", "\"\\ud800\"", ",", ":", "\"samples\":[1,2,3]",
    "\"results\":[]", "\xff\xfe", "\"unit\":\"parsecs\"",
    /* the text formats: CSV quoting, locust's N/A, go test's units,
     * multipart delimiters */
    "\"", "\"\"", "\r\n", "N/A", ",,", "-2 ", " ns/op", "\tBenchmarkX",
    "\r\n--", "Content-Disposition: form-data; name=\"stats\"\r\n\r\n"};

static void mutate(struct buf *b)
{
    size_t pos = b->len ? (size_t)(next() % b->len) : 0;

    switch (next() % 4) {
    case 0: /* flip a byte */
        if (b->len)
            b->data[pos] = (char)(b->data[pos] ^ (1u << (next() % 8)));
        break;
    case 1: { /* delete a span */
        size_t n = b->len ? (size_t)(next() % 16) : 0;

        if (pos + n > b->len)
            n = b->len - pos;
        memmove(b->data + pos, b->data + pos + n, b->len - pos - n);
        b->len -= n;
        if (b->data)
            b->data[b->len] = '\0';
        break;
    }
    default: { /* insert a token */
        const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
        size_t n = strlen(t);
        struct buf out;

        buf_init(&out, 0);
        (void)buf_add(&out, b->data ? b->data : "", pos);
        (void)buf_add(&out, t, n);
        (void)buf_add(&out, b->data ? b->data + pos : "", b->len - pos);
        buf_cleanup(b);
        *b = out;
        break;
    }
    }
}

int main(int argc, char **argv)
{
    struct corpus c = {0};
    long iterations;

    if (argc < 3) {
        fprintf(stderr, "usage: %s ITERATIONS DIR...\n", argv[0]);
        return 2;
    }
    iterations = strtol(argv[1], NULL, 10);
    for (int i = 2; i < argc; i++)
        load_dir(&c, argv[i], 0);
    if (!c.n) {
        fprintf(stderr, "no corpus files found\n");
        return 2;
    }
    for (size_t i = 0; i < c.n; i++)
        LLVMFuzzerTestOneInput((const uint8_t *)buf_str(&c.files[i]),
                               c.files[i].len);
    for (long it = 0; it < iterations; it++) {
        struct buf b;
        const struct buf *src = &c.files[next() % c.n];
        int rounds = 1 + (int)(next() % 8);

        buf_init(&b, 0);
        (void)buf_add(&b, buf_str(src), src->len);
        for (int k = 0; k < rounds; k++)
            mutate(&b);
        LLVMFuzzerTestOneInput((const uint8_t *)buf_str(&b), b.len);
        buf_cleanup(&b);
    }
    printf("fuzz: %zu corpus files, %ld mutations, no failure\n", c.n,
           iterations);
    for (size_t i = 0; i < c.n; i++)
        buf_cleanup(&c.files[i]);
    free(c.files);
    return 0;
}
