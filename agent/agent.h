/*
 * agent: the runner agent behind `benchvault run`.  It runs a command,
 * samples what the command's whole process tree costs (CPU, memory, disk,
 * threads, context switches, GPU through NVML loaded at run time), turns the
 * results file and the samples into a struct run, serialises it as
 * benchvault/v1, uploads it with bounded retries (or spools it when the
 * server is away), and asks the server's comparison for a CI gate, a
 * Markdown comment and a GitHub pull-request comment.
 *
 * Ownership: structs named *_result / *_facts own their strings and arrays
 * and have a _cleanup; handles (struct agent_sampler) come in
 * _create/_free pairs.  Inputs are borrowed.  Only agent/ includes
 * curl/curl.h; nothing below cli/ includes this header.
 */
#ifndef BV_AGENT_H
#define BV_AGENT_H

#include <sys/types.h>

#include "core/core.h"
#include "ingest/ingest.h"
#include "render/render.h"

/* Once at program start and end (libcurl's global state); not
 * thread-safe, like curl_global_init. */
void agent_init(void);
void agent_cleanup(void);

/* ---- results files (results.c) ------------------------------------------ */

/*
 * Whether path names locust's `--csv PREFIX` files: format "locust", or
 * "auto" (or NULL) and path is not a file, and PREFIX_stats.csv exists
 * (a path ending in "_stats.csv" is the same prefix).  *prefix (caller's
 * buffer, reset) gets PREFIX.
 */
bool agent_locust_prefix(const char *path, const char *format,
                         struct buf *prefix);
/* The file whose modification time says the command wrote its results:
 * PREFIX_stats.csv for a locust prefix (or format "locust"), else path.
 * xmalloc'd. */
char *agent_results_primary(const char *path, const char *format);
/*
 * Reads the results named by path into body (appended): a locust prefix's
 * files as one multipart/form-data body (its Content-Type into ctype),
 * else the file as it is (ctype ""), at most max bytes per file.
 * ERR_NOT_FOUND, ERR_TOO_LARGE or ERR_IO with eb.
 */
enum err agent_results_read(const char *path, const char *format, size_t max,
                            struct buf *body, char *ctype, size_t ctsz,
                            struct errbuf *eb);
/* True when PREFIX_exceptions.csv lists an exception (more than its
 * header): locust's exit 1 then means more than failed requests. */
bool agent_locust_exceptions(const char *prefix);

/* ---- sampling ----------------------------------------------------------- */

/* What a tree cost over the sampled window.  GPU fields NAN without a GPU. */
struct agent_summary {
    int64_t wall_ms;       /* first to last sample */
    double cpu_time_s;     /* user + system of every process in the tree */
    double cpu_mean_pct;   /* cpu_time / wall, in % of one core */
    double cpu_max_pct;    /* highest interval */
    double rss_peak_bytes; /* highest sum of RSS over the tree */
    double read_bytes, write_bytes; /* storage I/O (/proc/PID/io) */
    int64_t threads_max, procs_max;
    double ctx_switches; /* voluntary + involuntary, every thread */
    double gpu_util_mean_pct, gpu_util_max_pct, gpu_mem_peak_bytes;
    bool gpu_util_per_process, gpu_mem_per_process; /* else device-wide */
    size_t nsamples;
};

struct agent_sampler_opts {
    pid_t root;            /* the tree's top */
    bool include_root;     /* false: only root's descendants (the agent itself
                              is the root when it is a subreaper) */
    bool root_reaps;       /* root is a child subreaper: every member is
                              reaped by a member or by root, so CPU is
                              exact (sampler.c note 2) */
    bool gpu;              /* try NVML */
    const char *nvml_path; /* NULL: $BENCHVAULT_NVML_LIB or the driver's */
};

struct agent_sampler;

/*
 * Starts sampling: reads a baseline of the tree now (counters before this
 * call are not charged).  *out is freed with agent_sampler_free.  ERR_IO
 * when /proc cannot be read.
 */
enum err agent_sampler_create(const struct agent_sampler_opts *o,
                              struct agent_sampler **out, struct errbuf *eb);
void agent_sampler_free(struct agent_sampler *s);

/*
 * Reads the tree at t_ms (milliseconds since the baseline, increasing) and
 * fills *out: CPU % of one core over the interval since the last tick (a
 * process that exited is counted through its reaper's children's time,
 * so its CPU is neither lost nor late), RSS summed over live processes
 * (NAN when none is alive: only zombies are left), cumulative read/write
 * bytes since the baseline, GPU utilisation (% of one GPU, summed over
 * GPUs) and memory.  Processes that exited keep their last-seen I/O
 * counters, so the cumulative values never go backwards.
 */
void agent_sampler_tick(struct agent_sampler *s, int64_t t_ms,
                        struct resource_sample *out);
/*
 * Once the command (and the orphans) are reaped: reads the tree once more
 * without a sample, so the summary's CPU time is the root's reaped
 * children's (getrusage RUSAGE_CHILDREN when root is this process) plus
 * what still runs.
 */
void agent_sampler_settle(struct agent_sampler *s);
/* The summary so far (out is overwritten). */
void agent_sampler_summary(const struct agent_sampler *s,
                           struct agent_summary *out);
/* Processes counted at the last tick. */
size_t agent_sampler_nprocs(const struct agent_sampler *s);

/* ---- running a command -------------------------------------------------- */

struct agent_exec_opts {
    char *const *argv;   /* borrows; argv[0] is looked up in PATH */
    int interval_ms;     /* 10 .. 60000 */
    bool capture_stdout; /* keep the command's standard output (--results -) */
    bool tee_stdout;     /* and copy it to ours as it comes (the CI log) */
    size_t max_stdout;   /* bytes kept at most */
    bool gpu;
    const char *nvml_path;
};

struct agent_exec_result {
    int exit_code;   /* the command's exit status, -1 if signalled */
    int term_signal; /* the signal that ended it, else 0 */
    int forwarded;   /* the last signal the agent forwarded, else 0 */
    int64_t started_at, finished_at; /* ms since the epoch */
    struct resource_sample *samples; /* owns */
    size_t nsamples;
    struct agent_summary summary;
    struct buf out; /* captured standard output */
    bool out_truncated;
};

/*
 * Runs argv to completion, sampling its tree every interval; SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT sent to the agent are forwarded to the
 * command.  The agent becomes a child subreaper, so descendants whose
 * parent exits stay in the tree.  Not reentrant (signal handlers).  Returns
 * ERR_NOT_FOUND when argv[0] cannot be executed (eb says why), ERR_IO on a
 * system failure; the command's own failure is ERR_OK with exit_code set.
 * agent_exec_result_cleanup on every path.
 */
enum err agent_exec(const struct agent_exec_opts *o,
                    struct agent_exec_result *out, struct errbuf *eb);
void agent_exec_result_cleanup(struct agent_exec_result *r);

/*
 * The summary as results of benchmark "resources" (params {}): peak_rss,
 * cpu_mean, cpu_max, cpu_time, wall_time, read_bytes, write_bytes,
 * threads_max, ctx_switches, and gpu_util_mean, gpu_util_max, gpu_mem_peak
 * when a GPU was seen; all lower-is-better.  Skipped (with a warning in
 * r->warnings) when the run already has a benchmark of that name.
 */
void agent_summary_to_results(const struct agent_summary *s, struct run *r);

/* ---- the run document --------------------------------------------------- */

/*
 * Appends r as a benchvault/v1 document to out.  Values are written in
 * canonical units, so ingest_parse of the text gives back the same run.
 * ERR_TOO_LARGE when out's maximum is reached.
 */
enum err agent_run_json(const struct run *r, struct buf *out);

/* "run-" + SHA-256 hex of the document: the upload's Idempotency-Key and
 * the spool file's name.  out holds AGENT_KEY_LEN bytes. */
#define AGENT_KEY_LEN (4 + 2 * HASH_SHA256_LEN + 1)
void agent_idempotency_key(const char *body, size_t len, char *out);

/* ---- facts: testbed, git, CI -------------------------------------------- */

struct agent_testbed {
    char cpu[256], os[128], kernel[128], governor[64], gpu[256];
    int64_t cores, gpus;
    int64_t memory_bytes;
};

/* Reads /proc, /sys, uname and NVML (when gpu).  Unknown facts stay empty. */
void agent_testbed_probe(struct agent_testbed *tb, bool gpu,
                         const char *nvml_path);
/* A stable name such as "amd-epyc-7763-8c-31gib" (+ "-nvidia-h100").
 * xmalloc'd. */
char *agent_testbed_name(const struct agent_testbed *tb);
/* The facts as a JSON object text for run->testbed_info.  xmalloc'd. */
char *agent_testbed_json(const struct agent_testbed *tb);

/* What the repository and the CI say about the run; NULL/0 = unknown. */
struct agent_facts {
    char *branch, *commit_sha, *commit_message, *commit_author; /* owns */
    int64_t commit_time; /* TIME_NONE if unknown */
    int64_t pr_number;
    char *base_branch, *merge_base; /* owns */
    int64_t merge_base_time; /* its committer time; TIME_NONE if unknown */
    char *ci_provider, *ci_url, *ci_job; /* owns */
    char *repository;                    /* owns; "owner/name" on GitHub */
    char *checkout_sha; /* owns; the commit checked out and measured when
                           it is not commit_sha: the CI's merge of the pull
                           request into its base (facts.c note 4) */
    bool fork;          /* a pull request from another repository */
};

void agent_facts_init(struct agent_facts *f);
void agent_facts_cleanup(struct agent_facts *f);

/* Environment lookup, replaceable in tests. */
typedef const char *(*agent_getenv_fn)(const char *name, void *ud);

/*
 * Fills f from `git` run as a child process in the current directory
 * (commit, branch, commit time, author, message).  Not a repository or no
 * git: nothing is set, ERR_OK; the reason goes to eb.
 */
enum err agent_facts_git(struct agent_facts *f, struct errbuf *eb);
/*
 * Overrides f from GitHub Actions or GitLab CI variables read through get
 * (NULL = getenv).  The pull-request number comes from GITHUB_EVENT_PATH's
 * JSON.  Problems (an unreadable event file) go to eb; never fails.
 */
void agent_facts_ci(struct agent_facts *f, agent_getenv_fn get, void *ud,
                    struct errbuf *eb);
/*
 * When CI named another commit than git's HEAD (a pull request's head
 * instead of the CI's merge commit): keeps HEAD as f->checkout_sha and
 * reads the named commit's time, author and message from git, or clears
 * git's (they were HEAD's).  git_head: what agent_facts_git found (may be
 * NULL).
 */
void agent_facts_commit_settle(struct agent_facts *f, const char *git_head);
/* Sets f->merge_base from `git merge-base HEAD origin/BASE` (or BASE)
 * when f->base_branch is known; ERR_NOT_FOUND when it cannot be found. */
enum err agent_facts_merge_base(struct agent_facts *f);

/* ---- HTTP (http.c): the one client of every command that talks to a
 *      server (push, compare, alerts, report, run) ------------------------- */

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
    bool truncated;  /* the body was longer than max_answer: cut */
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
 * unreserved characters pass).  Appends to out; ERR_TOO_LARGE (or
 * ERR_NOMEM) when out's bound cut it. */
enum err agent_url_escape(struct buf *out, const char *s);

/* The server's base URL without a trailing slash into out. */
enum err agent_url_base(struct buf *out, const char *server);
/* The same without any "user:password@": a URL to publish (links in a
 * pull-request comment). */
void agent_url_public(struct buf *out, const char *server);

/* ---- HTTP: upload, spool, compare --------------------------------------- */

struct agent_http {
    const char *server; /* base URL, e.g. http://127.0.0.1:8080 */
    const char *token;  /* may be NULL */
    long connect_timeout_ms, timeout_ms; /* bounded; 0 = defaults 5 s, 30 s */
    int retries;                         /* extra attempts after the first */
    int backoff_ms; /* base of the exponential backoff; 0 = 250 */
};

enum agent_delivery {
    AGENT_DELIVERED = 0,  /* 200 or 201 */
    AGENT_REJECTED = 1,   /* a 4xx: retrying cannot help */
    AGENT_UNREACHABLE = 2 /* connection failures, timeouts, 5xx, 429 */
};

struct agent_upload_result {
    enum agent_delivery delivery;
    long status;    /* last HTTP status, 0 if none */
    int64_t run_id; /* when delivered */
    char *answer;   /* owns; the last answer's body (or curl's error) */
};

/*
 * POSTs body to {server}/api/v1/projects/{project}/runs with an
 * Idempotency-Key from agent_idempotency_key, retrying unreachable
 * outcomes with exponential backoff and full jitter.  Returns ERR_OK with
 * out filled whatever the delivery; ERR_INTERNAL if libcurl cannot start.
 * agent_upload_result_cleanup on every path.
 */
enum err agent_upload(const struct agent_http *h, const char *project,
                      const char *body, size_t len,
                      struct agent_upload_result *out, struct errbuf *eb);
void agent_upload_result_cleanup(struct agent_upload_result *r);

/* $XDG_CACHE_HOME/benchvault/spool, else $HOME/.cache/benchvault/spool;
 * NULL when neither is set.  xmalloc'd. */
char *agent_spool_default_dir(void);

/*
 * Writes body into dir (created if missing) as <key>.json by
 * write-then-rename (temporary file, fsync, rename, fsync of the folder),
 * so a crash leaves either the whole run or nothing.  *path_out (may be
 * NULL) gets the file's path, xmalloc'd.  ERR_IO with eb.
 */
enum err agent_spool_write(const char *dir, const char *body, size_t len,
                           char **path_out, struct errbuf *eb);

struct agent_spool_report {
    size_t delivered, rejected, left;
    bool unreachable; /* delivery stopped: the server is away */
};

/*
 * Delivers every spooled run in dir, oldest first, under a lock on the
 * folder: a 200/201 deletes the file, a 4xx (or a file that no longer
 * parses) moves it to dir/rejected/ with a .error file beside it, an
 * unreachable server stops the delivery and leaves the rest.  Each run's
 * Idempotency-Key is its content's, so a run is stored once even if a
 * delivery is interrupted after the server stored it.  A missing dir is
 * empty.  ERR_IO with eb when the folder cannot be read or locked.
 */
enum err agent_spool_deliver(const char *dir, const struct agent_http *h,
                             struct agent_spool_report *rep, struct errbuf *eb);

/*
 * GET {server}/api/v1/projects/{project}/compare?base=BASE&head=ID[,ID...]
 * into out (ingest_compare_cleanup it).  *status gets the HTTP status
 * (0 when unreachable).  ERR_NOT_FOUND for a 404 (no such base or no
 * comparison endpoint), ERR_IO when unreachable after the retries,
 * ERR_INVALID for another answer or one that does not parse.
 */
enum err agent_compare_fetch(const struct agent_http *h, const char *project,
                             const char *base, const int64_t *heads,
                             size_t nheads, struct ingest_compare *out,
                             long *status, struct errbuf *eb);

/*
 * The same comparison as the pull-request comment the server writes
 * (format=markdown, links to h->server), appended to out.  Errors as
 * agent_compare_fetch; ERR_INVALID also for an answer without the
 * comment marker.
 */
enum err agent_compare_markdown(const struct agent_http *h, const char *project,
                                const char *base, const int64_t *heads,
                                size_t nheads, struct buf *out,
                                struct errbuf *eb);

/* True when some row is regressed, or says one run cannot decide: the
 * case in which --confirm re-runs the command. */
bool agent_compare_wants_confirmation(const struct ingest_compare *c);

/* ---- budgets and the gate ----------------------------------------------- */

struct agent_budget_check {
    const struct ingest_budget *rule; /* borrows */
    char *key;                        /* owns; the benchmark key */
    const char *measure;              /* borrows the rule's */
    const char *unit; /* borrows: the canonical unit of value and of the
                         rule's threshold (the rule's, else the result's) */
    double value;     /* the median of the runs' values, canonical unit */
    bool broken;
};

/*
 * Checks each rule against every matching (benchmark key, measure) of the
 * runs: the value is the median over runs (one noisy run does not break a
 * budget when there are confirmation runs).  *out (free with
 * agent_budget_checks_free) holds one entry per match.
 */
void agent_budgets_check(const struct ingest_budget *rules, size_t nrules,
                         const struct run *runs, size_t nruns,
                         struct agent_budget_check **out, size_t *n);
void agent_budget_checks_free(struct agent_budget_check *c, size_t n);

/* What the comment and the gate are built from; every member borrowed. */
struct agent_report {
    const char *project, *base, *server;
    const int64_t *heads;
    size_t nheads;
    const struct ingest_compare *cmp; /* NULL: no comparison */
    const char *server_md;            /* the server's comment, or NULL */
    const char *cmp_note;             /* why there is none */
    const struct agent_budget_check *budgets;
    size_t nbudgets;
    const struct agent_summary *resources; /* the first run's, or NULL */
    bool confirmed;                        /* extra runs were pooled */
};

/* "2 regressions, 1 improvement, 57 unchanged, 3 inconclusive" into out. */
void agent_verdict_line(const struct ingest_compare *c, struct buf *out);

/*
 * The pull-request comment in Markdown: the server's comment (server_md:
 * verdict line, changed rows, chart, budgets, recommendations, all rows),
 * else a verdict line of its own; then this job's runs, the budgets of its
 * --budgets file, the resources it sampled, and last the hidden marker
 * AGENT_COMMENT_MARKER, once.  Names are escaped for Markdown.
 */
#define AGENT_COMMENT_MARKER COMMENT_MARKER
void agent_comment_markdown(const struct agent_report *rep, struct buf *out);

struct agent_github {
    const char *api_url;    /* GITHUB_API_URL, e.g. https://api.github.com */
    const char *token;      /* GITHUB_TOKEN */
    const char *repository; /* owner/name */
    int64_t pr_number;
    long timeout_ms;
};

/*
 * Creates the pull request's comment, or updates the one that carries
 * AGENT_COMMENT_MARKER: GET /repos/{r}/issues/{n}/comments (pages of 100),
 * then PATCH /repos/{r}/issues/comments/{id} or POST
 * /repos/{r}/issues/{n}/comments.  *comment_id gets the comment's id (may
 * be NULL).  ERR_IO / ERR_AUTH / ERR_INVALID with eb.
 */
enum err agent_github_comment(const struct agent_github *gh,
                              const char *markdown, int64_t *comment_id,
                              struct errbuf *eb);

/*
 * Sets the commit status "benchvault" of sha (the pull request's head):
 * POST /repos/{r}/statuses/{sha} with state ("success", "failure" or
 * "error"), description (cut to GitHub's 140 characters) and target_url
 * (may be NULL), so branch protection can require it.  ERR_IO / ERR_AUTH /
 * ERR_INVALID with eb.
 */
enum err agent_github_status(const struct agent_github *gh, const char *sha,
                             const char *state, const char *description,
                             const char *target_url, struct errbuf *eb);

/* Appends markdown to the file named by GITHUB_STEP_SUMMARY (path). */
enum err agent_step_summary(const char *path, const char *markdown,
                            struct errbuf *eb);

#endif /* BV_AGENT_H */
