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

/* ---- HTTP (http.c) ------------------------------------------------------ */

struct agent_request {
    const char *method; /* "GET", "POST", "PATCH" */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines */
    const char *body;           /* may be NULL */
    size_t len;
    long connect_timeout_ms, timeout_ms;
    size_t max_answer; /* bytes kept of the answer; 0 = 4 MiB */
};

struct agent_response {
    long status;     /* 0 when no answer came */
    struct buf body; /* the answer's body */
    struct buf link; /* the Link header (GitHub paging) */
    char error[256]; /* the transport error, when status is 0 */
};

void agent_response_init(struct agent_response *r);
void agent_response_cleanup(struct agent_response *r);

/*
 * One exchange.  ERR_OK when an answer came (any status), ERR_IO on a
 * transport failure (refused, timeout, reset; resp->error says which),
 * ERR_INTERNAL when libcurl cannot start.
 */
enum err agent_http_once(const struct agent_request *rq,
                         struct agent_response *resp);

/* An outcome worth retrying: no answer, 5xx, 429, 408. */
bool agent_http_retryable(enum err e, long status);

/*
 * agent_http_once, retried up to retries more times while
 * agent_http_retryable, sleeping with exponential backoff and full jitter
 * (uniform in [0, min(8 s, base_ms * 2^attempt)]).  label names the
 * request in the log lines of failed attempts.
 */
enum err agent_http_retry(const struct agent_request *rq, int retries,
                          int base_ms, const char *label,
                          struct agent_response *resp);

/* The full-jitter sleep of attempt (0-based). */
void agent_backoff_sleep(int attempt, int base_ms);

/* Percent-encodes s for a URL path segment or query value (RFC 3986
 * unreserved characters pass).  Appends to out. */
void agent_url_escape(struct buf *out, const char *s);

/* The server's base URL without a trailing slash into out. */
void agent_url_base(struct buf *out, const char *server);
/* The same without any "user:password@": a URL to publish (links in a
 * pull-request comment). */
void agent_url_public(struct buf *out, const char *server);

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
