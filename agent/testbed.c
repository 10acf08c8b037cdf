/*
 * The testbed fingerprint: what machine the numbers came from.
 *
 * Design notes:
 *  1. Facts: CPU model (/proc/cpuinfo "model name", or "Hardware"/"cpu
 *     model" on other architectures), online cores, memory (MemTotal), the
 *     kernel (uname), the CPU frequency governor of cpu0 (cpufreq; absent in
 *     most VMs), and the first GPU's name with the GPU count (NVML).
 *  2. The name is built from what decides performance and does not change
 *     from job to job on one runner type: CPU model, cores, memory in GiB
 *     (rounded, since MemTotal shifts by a few MiB with kernel versions) and
 *     GPU model.  Hostname and kernel are left out of the name (CI runners
 *     are fresh machines with random host names) but kept in the facts.
 *  3. The name is a slug: lower-case letters, digits and '-', so it reads in
 *     a URL and in a chart legend.
 */
#include "agent/agent_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The value after "key<spaces>:" of the first line starting with key. */
static bool cpuinfo_value(const char *text, const char *key, char *out,
                          size_t n)
{
    size_t klen = strlen(key);

    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');

        if (!strncmp(line, key, klen)) {
            const char *p = line + klen, *v;
            size_t len;

            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == ':') {
                v = p + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                len = end ? (size_t)(end - v) : strlen(v);
                if (len >= n)
                    len = n - 1;
                memcpy(out, v, len);
                out[len] = '\0';
                return len > 0;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

static void read_first_line(const char *path, char *out, size_t n)
{
    struct buf b;
    char *nl;

    out[0] = '\0';
    buf_init(&b, 0);
    if (file_read(path, 4096, &b, NULL) == ERR_OK && b.data) {
        nl = strchr(b.data, '\n');
        if (nl)
            *nl = '\0';
        snprintf(out, n, "%s", b.data);
    }
    buf_cleanup(&b);
}

void agent_testbed_probe(struct agent_testbed *tb, bool gpu,
                         const char *nvml_path)
{
    struct buf b;
    struct utsname u;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *mt;

    memset(tb, 0, sizeof *tb);
    buf_init(&b, 0);
    if (file_read("/proc/cpuinfo", (size_t)4 << 20, &b, NULL) == ERR_OK &&
        b.data) {
        if (!cpuinfo_value(b.data, "model name", tb->cpu, sizeof tb->cpu) &&
            !cpuinfo_value(b.data, "Hardware", tb->cpu, sizeof tb->cpu))
            (void)cpuinfo_value(b.data, "cpu model", tb->cpu, sizeof tb->cpu);
    }
    buf_reset(&b);
    if (file_read("/proc/meminfo", 1 << 20, &b, NULL) == ERR_OK && b.data &&
        (mt = strstr(b.data, "MemTotal:")) != NULL)
        tb->memory_bytes = strtoll(mt + 9, NULL, 10) * 1024;
    buf_cleanup(&b);
    tb->cores = cores > 0 ? cores : 0;
    if (uname(&u) == 0) {
        snprintf(tb->os, sizeof tb->os, "%.60s %.60s", u.sysname, u.release);
        snprintf(tb->kernel, sizeof tb->kernel, "%.120s", u.version);
    }
    read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
                    tb->governor, sizeof tb->governor);
    if (gpu) {
        struct agent_gpu *g = agent_gpu_open(nvml_path);

        if (g) {
            tb->gpus = agent_gpu_count(g);
            agent_gpu_name(g, tb->gpu, sizeof tb->gpu);
            agent_gpu_close(g);
        }
    }
}

/* Appends s as slug words: runs of other characters become one '-'. */
static void slug(struct buf *out, const char *s)
{
    bool dash = out->len > 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p)) {
            if (dash && out->len)
                (void)buf_addc(out, '-');
            dash = false;
            (void)buf_addc(out, (char)tolower(*p));
        } else {
            dash = true;
        }
    }
}

char *agent_testbed_name(const struct agent_testbed *tb)
{
    struct buf b;
    char part[64];

    buf_init(&b, 256);
    slug(&b, tb->cpu[0] ? tb->cpu : "unknown-cpu");
    if (tb->cores > 0) {
        snprintf(part, sizeof part, "%lldc", (long long)tb->cores);
        slug(&b, part);
    }
    if (tb->memory_bytes > 0) {
        snprintf(part, sizeof part, "%lldgib",
                 (long long)((tb->memory_bytes + (1LL << 29)) >> 30));
        slug(&b, part);
    }
    if (tb->gpu[0]) {
        slug(&b, tb->gpu);
        if (tb->gpus > 1) {
            snprintf(part, sizeof part, "x%lld", (long long)tb->gpus);
            slug(&b, part);
        }
    }
    /* Names are at most 256 bytes (ingest's limit); 200 leaves room. */
    if (b.len > 200) {
        b.data[200] = '\0';
        b.len = 200;
    }
    return buf_take(&b);
}

char *agent_testbed_json(const struct agent_testbed *tb)
{
    struct buf b;
    struct jw w;

    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    if (tb->cpu[0])
        jw_kstr(&w, "cpu", tb->cpu);
    if (tb->cores > 0)
        jw_kint(&w, "cores", tb->cores);
    if (tb->memory_bytes > 0)
        jw_kint(&w, "memory_bytes", tb->memory_bytes);
    if (tb->os[0])
        jw_kstr(&w, "os", tb->os);
    if (tb->kernel[0])
        jw_kstr(&w, "kernel", tb->kernel);
    if (tb->governor[0])
        jw_kstr(&w, "governor", tb->governor);
    if (tb->gpu[0]) {
        jw_kstr(&w, "gpu", tb->gpu);
        jw_kint(&w, "gpus", tb->gpus);
    }
    jw_obj_end(&w);
    return buf_take(&b);
}
