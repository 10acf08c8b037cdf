/*
 * NVML loaded at run time: no build-time dependency on the NVIDIA driver.
 *
 * Design notes:
 *  1. dlopen("libnvidia-ml.so.1") finds the driver's library where there is
 *     one; $BENCHVAULT_NVML_LIB (or the caller's path) overrides it, which is
 *     how the tests load a stand-in.  Any failure (no library, a missing
 *     symbol, nvmlInit failing, no device) means "no GPU": the agent leaves
 *     the GPU fields absent and says nothing louder than a debug line.
 *  2. We declare the few NVML types and prototypes we use ourselves, with
 *     the layouts of nvml.h (API 12) under our own names (gpu_*, GPU_*):
 *     nvmlProcessInfo_t for the _v3 call is {pid, usedGpuMemory,
 *     gpuInstanceId, computeInstanceId}; return codes are NVML's values.
 *     dlsym's object pointer is copied into a function pointer with memcpy
 *     (ISO C has no cast between the two).
 *  3. Per process where NVML gives it: memory from
 *     nvmlDeviceGetComputeRunningProcesses_v3 and SM utilisation from
 *     nvmlDeviceGetProcessUtilization, matched against the tree's PIDs.
 *     The latter answers NVML_ERROR_INSUFFICIENT_SIZE until its buffer is
 *     sized by a first call with none, and NVML_ERROR_NOT_FOUND when no
 *     sample is newer than lastSeenTimeStamp (the tree used no SM since).
 *     Where a per-process call is not supported, the device's utilisation
 *     and used memory stand in (the reading says which).
 *  4. Utilisation is in % of one GPU summed over devices, as CPU % is of
 *     one core: a tree that keeps two GPUs busy shows 200.
 */
#include "agent/agent_int.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GPU_OK 0
#define GPU_ERR_NOT_FOUND 6
#define GPU_ERR_INSUFFICIENT_SIZE 7
#define GPU_VALUE_NA 0xffffffffffffffffull
#define GPU_MAX_DEVICES 64
#define GPU_MAX_PROCS 4096

/* NVML's device handle: opaque, never dereferenced. */
struct gpu_dev;

struct gpu_util {
    unsigned int gpu, memory;
};

struct gpu_mem {
    unsigned long long total, free, used;
};

struct gpu_proc_info {
    unsigned int pid;
    unsigned long long used_gpu_memory;
    unsigned int gpu_instance_id, compute_instance_id;
};

struct gpu_proc_sample {
    unsigned int pid;
    unsigned long long time_stamp;
    unsigned int sm_util, mem_util, enc_util, dec_util;
};

typedef int (*gpu_init_fn)(void);
typedef int (*gpu_shutdown_fn)(void);
typedef int (*gpu_count_fn)(unsigned int *);
typedef int (*gpu_handle_fn)(unsigned int, struct gpu_dev **);
typedef int (*gpu_name_fn)(struct gpu_dev *, char *, unsigned int);
typedef int (*gpu_util_fn)(struct gpu_dev *, struct gpu_util *);
typedef int (*gpu_mem_fn)(struct gpu_dev *, struct gpu_mem *);
typedef int (*gpu_procs_fn)(struct gpu_dev *, unsigned int *,
                            struct gpu_proc_info *);
typedef int (*gpu_putil_fn)(struct gpu_dev *, struct gpu_proc_sample *,
                            unsigned int *, unsigned long long);

struct agent_gpu {
    void *lib;
    gpu_shutdown_fn shutdown;
    gpu_name_fn name;
    gpu_util_fn util;
    gpu_mem_fn mem;
    gpu_procs_fn procs; /* may be NULL */
    gpu_putil_fn putil; /* may be NULL */
    unsigned ndev;
    struct gpu_dev *dev[GPU_MAX_DEVICES];
    unsigned long long last_seen[GPU_MAX_DEVICES]; /* putil timestamps */
    struct gpu_proc_info *pinfo;                   /* owns; GPU_MAX_PROCS */
    struct gpu_proc_sample *usamples;              /* owns */
    unsigned nusamples;                            /* its capacity */
};

/* dlsym into a function pointer (design note 2); false when missing. */
static bool sym(void *lib, const char *name, void *fnptr, size_t size)
{
    void *p = dlsym(lib, name);

    if (!p)
        return false;
    memcpy(fnptr, &p, size);
    return true;
}

struct agent_gpu *agent_gpu_open(const char *path)
{
    struct agent_gpu *g;
    gpu_init_fn init = NULL;
    gpu_count_fn count = NULL;
    gpu_handle_fn handle = NULL;
    unsigned n = 0;

    if (!path || !*path)
        path = getenv("BENCHVAULT_NVML_LIB");
    if (!path || !*path)
        path = "libnvidia-ml.so.1";
    g = xcalloc(1, sizeof *g);
    g->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!g->lib) {
        log_debug("no NVML: %s", dlerror());
        free(g);
        return NULL;
    }
    if (!sym(g->lib, "nvmlInit_v2", &init, sizeof init) ||
        !sym(g->lib, "nvmlShutdown", &g->shutdown, sizeof g->shutdown) ||
        !sym(g->lib, "nvmlDeviceGetCount_v2", &count, sizeof count) ||
        !sym(g->lib, "nvmlDeviceGetHandleByIndex_v2", &handle, sizeof handle) ||
        !sym(g->lib, "nvmlDeviceGetName", &g->name, sizeof g->name) ||
        !sym(g->lib, "nvmlDeviceGetUtilizationRates", &g->util,
             sizeof g->util) ||
        !sym(g->lib, "nvmlDeviceGetMemoryInfo", &g->mem, sizeof g->mem)) {
        log_debug("NVML at %s lacks a function the agent needs", path);
        goto fail;
    }
    (void)sym(g->lib, "nvmlDeviceGetComputeRunningProcesses_v3", &g->procs,
              sizeof g->procs);
    (void)sym(g->lib, "nvmlDeviceGetProcessUtilization", &g->putil,
              sizeof g->putil);
    if (init() != GPU_OK) {
        log_debug("nvmlInit_v2 failed");
        goto fail;
    }
    if (count(&n) != GPU_OK || n == 0) {
        g->shutdown();
        goto fail;
    }
    for (unsigned i = 0; i < n && g->ndev < GPU_MAX_DEVICES; i++)
        if (handle(i, &g->dev[g->ndev]) == GPU_OK)
            g->ndev++;
    if (!g->ndev) {
        g->shutdown();
        goto fail;
    }
    g->pinfo = xcalloc(GPU_MAX_PROCS, sizeof *g->pinfo);
    return g;
fail:
    dlclose(g->lib);
    free(g);
    return NULL;
}

void agent_gpu_close(struct agent_gpu *g)
{
    if (!g)
        return;
    g->shutdown();
    dlclose(g->lib);
    free(g->pinfo);
    free(g->usamples);
    free(g);
}

unsigned agent_gpu_count(const struct agent_gpu *g)
{
    return g ? g->ndev : 0;
}

void agent_gpu_name(struct agent_gpu *g, char *out, size_t n)
{
    char name[256] = "";

    if (!n)
        return;
    out[0] = '\0';
    if (!g || g->name(g->dev[0], name, sizeof name) != GPU_OK)
        return;
    name[sizeof name - 1] = '\0';
    snprintf(out, n, "%s", name);
}

static bool in_tree(const pid_t *pids, size_t n, unsigned int pid)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if ((unsigned int)pids[mid] == pid)
            return true;
        if ((unsigned int)pids[mid] < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The tree's memory on device d; false when NVML cannot say. */
static bool proc_mem(struct agent_gpu *g, unsigned d, const pid_t *pids,
                     size_t n, double *bytes)
{
    unsigned int count = GPU_MAX_PROCS;

    *bytes = 0;
    if (!g->procs || g->procs(g->dev[d], &count, g->pinfo) != GPU_OK)
        return false;
    for (unsigned i = 0; i < count && i < GPU_MAX_PROCS; i++) {
        if (!in_tree(pids, n, g->pinfo[i].pid))
            continue;
        /* Not available (no permission): this process cannot be told. */
        if (g->pinfo[i].used_gpu_memory == GPU_VALUE_NA)
            return false;
        *bytes += (double)g->pinfo[i].used_gpu_memory;
    }
    return true;
}

/* The tree's SM utilisation on device d; false when NVML cannot say. */
static bool proc_util(struct agent_gpu *g, unsigned d, const pid_t *pids,
                      size_t n, double *pct)
{
    unsigned int count = g->nusamples;
    int rc;
    double sum = 0;

    *pct = 0;
    if (!g->putil)
        return false;
    rc = g->putil(g->dev[d], g->usamples, &count, g->last_seen[d]);
    if (rc == GPU_ERR_INSUFFICIENT_SIZE) {
        /* Sized by the first call (design note 3); some room to grow. */
        if (count == 0 || count > GPU_MAX_PROCS)
            count = GPU_MAX_PROCS;
        g->nusamples = count + 16;
        free(g->usamples);
        g->usamples = xcalloc(g->nusamples, sizeof *g->usamples);
        count = g->nusamples;
        rc = g->putil(g->dev[d], g->usamples, &count, g->last_seen[d]);
    }
    if (rc == GPU_ERR_NOT_FOUND)
        return true; /* no sample since the last: nothing used the SMs */
    if (rc != GPU_OK)
        return false;
    {
        /* Several samples of one process may come back; keep its newest. */
        unsigned long long newest = g->last_seen[d];

        for (unsigned i = 0; i < count && i < g->nusamples; i++) {
            const struct gpu_proc_sample *s = &g->usamples[i];
            bool newer = true;

            if (s->time_stamp > newest)
                newest = s->time_stamp;
            if (!in_tree(pids, n, s->pid))
                continue;
            for (unsigned k = 0; k < count && k < g->nusamples; k++)
                if (k != i && g->usamples[k].pid == s->pid &&
                    (g->usamples[k].time_stamp > s->time_stamp ||
                     (g->usamples[k].time_stamp == s->time_stamp && k > i)))
                    newer = false;
            if (newer)
                sum += s->sm_util;
        }
        g->last_seen[d] = newest;
    }
    *pct = sum > 100 ? 100 : sum;
    return true;
}

void agent_gpu_read(struct agent_gpu *g, const pid_t *pids, size_t n,
                    struct agent_gpu_reading *out)
{
    out->util_pct = 0;
    out->mem_bytes = 0;
    out->util_per_process = out->mem_per_process = true;
    for (unsigned d = 0; d < g->ndev; d++) {
        double v;

        if (!out->mem_per_process || !proc_mem(g, d, pids, n, &v)) {
            out->mem_per_process = false;
        } else {
            out->mem_bytes += v;
        }
        if (!out->util_per_process || !proc_util(g, d, pids, n, &v)) {
            out->util_per_process = false;
        } else {
            out->util_pct += v;
        }
    }
    /* Where NVML cannot tell the tree's share, the devices' totals. */
    if (!out->mem_per_process) {
        out->mem_bytes = 0;
        for (unsigned d = 0; d < g->ndev; d++) {
            struct gpu_mem m;

            if (g->mem(g->dev[d], &m) == GPU_OK)
                out->mem_bytes += (double)m.used;
        }
    }
    if (!out->util_per_process) {
        out->util_pct = 0;
        for (unsigned d = 0; d < g->ndev; d++) {
            struct gpu_util u;

            if (g->util(g->dev[d], &u) == GPU_OK)
                out->util_pct += u.gpu;
        }
    }
}
