/*
 * Drives LLVMFuzzerTestOneInput without libFuzzer (gcc builds): replays
 * every file under the given corpus folders, then runs a fixed number of
 * deterministic mutations of them (byte flips, insertions, deletions,
 * splices of tricky tokens).  Not coverage-guided, but it runs in every
 * `make test` under ASan and UBSan.  A target's LLVMFuzzerInitialize,
 * when it has one, runs first, as libFuzzer does.
 *   usage: fuzz_<target>_standalone ITERATIONS[/SECONDS] DIR|FILE...
 * With /SECONDS the mutations stop early once that much time has passed
 * (the replay of the corpus always runs whole), so `make test` stays a
 * few seconds per target on a loaded machine.
 */
#include "core/core.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target: weak, so NULL when the target has none. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct corpus {
    struct buf *files;
    size_t n;
};

static void load_file(struct corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    char tmp[65536];
    size_t got;
    struct buf b;

    if (!f)
        return;
    buf_init(&b, 0);
    while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
        (void)buf_add(&b, tmp, got);
    fclose(f);
    c->files = xreallocarray(c->files, c->n + 1, sizeof *c->files);
    c->files[c->n++] = b;
}

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
            load_file(c, path);
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
    "{\"a\":", "1e309", "-0", "18446744073709551616", "\"ms\"", "\"\"", "null",
    "true", "\"\\ud800\"", ",", ":", "\"samples\":[1,2,3]", "\"results\":[]",
    "\xff\xfe", "\"unit\":\"parsecs\"",
    /* the text formats: CSV quoting, locust's N/A, go test's units,
     * multipart delimiters */
    "\"", "\"\"", "\r\n", "N/A", ",,", "-2 ", " ns/op", "\tBenchmarkX",
    "\r\n--", "Content-Disposition: form-data; name=\"stats\"\r\n\r\n",
    /* requests (fuzz_http): query strings, forms, percent-escapes */
    "?", "&", "=", "%ff", "%00", "%c0%80", "+", "limit=-1",
    "before=", "base=branch:", "head=latest", "benchmark=", "token=@TOKEN@",
    "\n"};

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
    long iterations, seconds = 0, it;
    char *end;
    struct timespec t0, t1, now;
    double ms, slowest = 0;
    const char *slow_path = getenv("FUZZ_SLOW_INPUT");

    if (argc < 3) {
        fprintf(stderr, "usage: %s ITERATIONS DIR...\n", argv[0]);
        return 2;
    }
    iterations = strtol(argv[1], &end, 10);
    if (*end == '/')
        seconds = strtol(end + 1, &end, 10);
    if (*end || iterations < 0 || seconds < 0) {
        fprintf(stderr, "bad ITERATIONS[/SECONDS]: %s\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            load_dir(&c, argv[i], 0);
        else
            load_file(&c, argv[i]);
    }
    if (!c.n) {
        fprintf(stderr, "no corpus files found\n");
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (size_t i = 0; i < c.n; i++)
        LLVMFuzzerTestOneInput((const uint8_t *)buf_str(&c.files[i]),
                               c.files[i].len);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (it = 0; it < iterations; it++) {
        struct buf b;
        const struct buf *src = &c.files[next() % c.n];
        int rounds = 1 + (int)(next() % 8);

        buf_init(&b, 0);
        (void)buf_add(&b, buf_str(src), src->len);
        for (int k = 0; k < rounds; k++)
            mutate(&b);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        LLVMFuzzerTestOneInput((const uint8_t *)buf_str(&b), b.len);
        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = (double)(now.tv_sec - t1.tv_sec) * 1e3 +
             (double)(now.tv_nsec - t1.tv_nsec) / 1e6;
        if (ms > slowest) {
            slowest = ms;
            if (slow_path) { /* FUZZ_SLOW_INPUT=FILE keeps the slowest */
                FILE *f = fopen(slow_path, "wb");

                if (f) {
                    fwrite(buf_str(&b), 1, b.len, f);
                    fclose(f);
                }
            }
        }
        buf_cleanup(&b);
        if (seconds && it % 16 == 15) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - t0.tv_sec >= seconds) {
                it++;
                break;
            }
        }
    }
    printf("fuzz: %zu corpus files, %ld mutations (slowest %.0f ms), no "
           "failure\n",
           c.n, it, slowest);
    for (size_t i = 0; i < c.n; i++)
        buf_cleanup(&c.files[i]);
    free(c.files);
    return 0;
}
