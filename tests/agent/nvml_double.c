/*
 * TEST DOUBLE for NVML (libnvidia-ml.so.1): a stand-in shared library with
 * canned answers, loaded by the agent through BENCHVAULT_NVML_LIB in
 * unit.agent and e2e.agent, because the test machines have no GPU.  It is
 * not NVIDIA's library and proves only that the agent's NVML code path
 * (dlopen, dlsym, the calls, the sizing protocol, PID matching, the
 * device-wide fallback) behaves as written; a real GPU run is the only
 * check of real numbers.
 *
 * Canned state: one device "benchvault NVML test double", utilisation 37 %,
 * 2 GiB of 80 GiB used.  Compute processes: the PIDs listed in
 * $BV_NVML_DOUBLE_PIDS (comma-separated), 256 MiB each, 40 % SM each.
 * $BV_NVML_DOUBLE_MODE=noproc makes the per-process calls answer
 * NVML_ERROR_NOT_SUPPORTED, so the agent must fall back to device totals.
 *
 * nvmlDeviceGetProcessUtilization behaves like the driver's: it answers
 * NVML_ERROR_INSUFFICIENT_SIZE (with the count needed) until it is given a
 * buffer large enough, and NVML_ERROR_NOT_FOUND when no sample is newer
 * than lastSeenTimeStamp.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OK 0
#define ERR_NOT_SUPPORTED 3
#define ERR_NOT_FOUND 6
#define ERR_INSUFFICIENT_SIZE 7
#define MAXP 64

struct util {
    unsigned int gpu, memory;
};
struct mem {
    unsigned long long total, free, used;
};
struct pinfo {
    unsigned int pid;
    unsigned long long used;
    unsigned int gi, ci;
};
struct psample {
    unsigned int pid;
    unsigned long long ts;
    unsigned int sm, mem, enc, dec;
};

/* Counters the tests read through dlsym. */
struct nvml_double_stats {
    int init, shutdown, putil_calls, putil_too_small;
};
struct nvml_double_stats nvml_double_stats;

static int device_token; /* the one device's handle points here */

static size_t pids(unsigned int *out)
{
    const char *s = getenv("BV_NVML_DOUBLE_PIDS");
    size_t n = 0;

    while (s && *s && n < MAXP) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);

        if (end == s)
            break;
        out[n++] = (unsigned int)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static int noproc(void)
{
    const char *m = getenv("BV_NVML_DOUBLE_MODE");

    return m && !strcmp(m, "noproc");
}

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetCount_v2(unsigned int *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev);
int nvmlDeviceGetName(void *dev, char *name, unsigned int len);
int nvmlDeviceGetUtilizationRates(void *dev, struct util *u);
int nvmlDeviceGetMemoryInfo(void *dev, struct mem *m);
int nvmlDeviceGetComputeRunningProcesses_v3(void *dev, unsigned int *count,
                                            struct pinfo *infos);
int nvmlDeviceGetProcessUtilization(void *dev, struct psample *s,
                                    unsigned int *count,
                                    unsigned long long last);

int nvmlInit_v2(void)
{
    nvml_double_stats.init++;
    return OK;
}

int nvmlShutdown(void)
{
    nvml_double_stats.shutdown++;
    return OK;
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
    *n = 1;
    return OK;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev)
{
    if (i != 0)
        return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *dev = &device_token;
    return OK;
}

int nvmlDeviceGetName(void *dev, char *name, unsigned int len)
{
    (void)dev;
    if (len)
        strncpy(name, "benchvault NVML test double", len - 1);
    if (len)
        name[len - 1] = '\0';
    return OK;
}

int nvmlDeviceGetUtilizationRates(void *dev, struct util *u)
{
    (void)dev;
    u->gpu = 37;
    u->memory = 12;
    return OK;
}

int nvmlDeviceGetMemoryInfo(void *dev, struct mem *m)
{
    (void)dev;
    m->total = 80ull << 30;
    m->used = 2ull << 30;
    m->free = m->total - m->used;
    return OK;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void *dev, unsigned int *count,
                                            struct pinfo *infos)
{
    unsigned int p[MAXP];
    size_t n;

    (void)dev;
    if (noproc())
        return ERR_NOT_SUPPORTED;
    n = pids(p);
    if (*count < n) {
        *count = (unsigned int)n;
        return ERR_INSUFFICIENT_SIZE;
    }
    for (size_t i = 0; i < n; i++) {
        infos[i].pid = p[i];
        infos[i].used = 256ull << 20;
        infos[i].gi = infos[i].ci = 0;
    }
    *count = (unsigned int)n;
    return OK;
}

int nvmlDeviceGetProcessUtilization(void *dev, struct psample *s,
                                    unsigned int *count,
                                    unsigned long long last)
{
    unsigned int p[MAXP];
    size_t n;
    struct timespec ts;
    unsigned long long now;

    (void)dev;
    nvml_double_stats.putil_calls++;
    if (noproc())
        return ERR_NOT_SUPPORTED;
    n = pids(p);
    if (!s || *count < n) {
        nvml_double_stats.putil_too_small++;
        *count = (unsigned int)n;
        return ERR_INSUFFICIENT_SIZE;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (unsigned long long)ts.tv_sec * 1000000ull +
          (unsigned long long)ts.tv_nsec / 1000ull;
    if (!n || now <= last) {
        *count = 0;
        return ERR_NOT_FOUND;
    }
    for (size_t i = 0; i < n; i++) {
        memset(&s[i], 0, sizeof s[i]);
        s[i].pid = p[i];
        s[i].ts = now;
        s[i].sm = 40;
        s[i].mem = 5;
    }
    *count = (unsigned int)n;
    return OK;
}
