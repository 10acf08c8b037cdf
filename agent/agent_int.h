/*
 * agent internals shared by the files of agent/: NVML behind dlopen
 * (gpu.c), one HTTP exchange over libcurl and the retry loop (http.c), a
 * child process whose output is captured (capture.c), and small file
 * helpers.  Nothing outside agent/ includes this header; curl/curl.h stays
 * in http.c.
 */
#ifndef BV_AGENT_INT_H
#define BV_AGENT_INT_H

#include "agent/agent.h"

/* ---- NVML (gpu.c) ------------------------------------------------------- */

struct agent_gpu;

/*
 * Loads NVML from path (NULL: $BENCHVAULT_NVML_LIB, else
 * "libnvidia-ml.so.1") and initialises it.  NULL when there is no library
 * or no device: the caller leaves GPU fields absent.
 */
struct agent_gpu *agent_gpu_open(const char *path);
void agent_gpu_close(struct agent_gpu *g);
unsigned agent_gpu_count(const struct agent_gpu *g);
/* The first device's name into out ("" if unknown). */
void agent_gpu_name(struct agent_gpu *g, char *out, size_t n);

struct agent_gpu_reading {
    double util_pct; /* % of one GPU, summed over devices */
    double mem_bytes;
    bool util_per_process, mem_per_process; /* else the devices' totals */
};

/*
 * One reading for the processes pids (sorted ascending): per-process
 * memory (nvmlDeviceGetComputeRunningProcesses_v3) and SM utilisation
 * (nvmlDeviceGetProcessUtilization, sized by a first call) where NVML
 * gives them, else the devices' utilisation and used memory.
 */
void agent_gpu_read(struct agent_gpu *g, const pid_t *pids, size_t n,
                    struct agent_gpu_reading *out);

/* ---- child processes (capture.c) ---------------------------------------- */

/*
 * Runs argv (PATH lookup) with standard input from /dev/null and standard
 * error discarded; keeps at most max bytes of standard output in out.
 * Killed after timeout_ms.  *exit_code gets the status (-1 if signalled or
 * killed).  ERR_NOT_FOUND when it cannot be started.
 */
enum err agent_capture(char *const argv[], long timeout_ms, size_t max,
                       struct buf *out, int *exit_code);

/* ---- files (files.c) ---------------------------------------------------- */

/* mkdir -p with mode 0700 for folders it creates. */
enum err agent_mkdirs(const char *path, struct errbuf *eb);
/* write-then-rename: path.tmp.PID, fsync, rename, fsync of the folder. */
enum err agent_file_write_atomic(const char *path, const char *data, size_t len,
                                 struct errbuf *eb);

#endif /* BV_AGENT_INT_H */
