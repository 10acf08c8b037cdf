/*
 * benchvault run: the CI runner.  Runs the command under the agent's
 * sampler, builds the run (results file + resources + testbed + git/CI
 * facts), uploads it (or spools it), compares it with the base, confirms a
 * suspected regression with extra runs, writes the comment, and gates.
 *
 * Design notes:
 *  1. Precedence of run facts, lowest first: the results file, git, CI
 *     variables, flags.  The testbed is named by the machine's fingerprint
 *     unless --testbed names it.
 *  2. The results file is found from --results, else from the command's own
 *     flags (a table: pytest-benchmark's --benchmark-json, Google
 *     Benchmark's --benchmark_out, hyperfine's --export-json, locust's
 *     --csv PREFIX, whose files agent/results.c finds); without one
 *     the run holds the resource measures only.  A results file that the
 *     command did not rewrite (same mtime as before the run) is refused:
 *     uploading last week's numbers as today's is the worst failure here.
 *  3. The document is serialised once per run, validated by parsing it
 *     back with the server's parser, and those exact bytes are uploaded,
 *     spooled, and keyed (Idempotency-Key = SHA-256 of the bytes).
 *  4. Exit status, most severe first: 3 the server was unreachable (the run
 *     is spooled), 2 usage or input error (including a failed or
 *     interrupted command: what it produced is still reported and
 *     uploaded), 1 a confirmed regression or a broken budget with
 *     --fail-on-regression, 0 otherwise  With --spool-ok a spooled run
 *     is not a failure (3 becomes what the command's outcome says): a CI
 *     job then passes and its cache keeps the spool.
 *  5. Comparison base: --base, else the pull request's base branch
 *     ("branch:NAME").  The run carries the merge-base as metadata
 *     "base_commit" {sha, time}, from which the server picks the base
 *     branch's run at the branch point (or the latest before it) instead
 *     of the moving tip.  Without a pull request or --base there is
 *     nothing to compare with.
 *  6. A command that fails (non-zero exit, a signal) is reported, what it
 *     produced is uploaded, and run exits 2 without a comparison.  A tool
 *     may exit non-zero for an outcome that its results record: locust
 *     exits 1 when any request failed, and its failure_rate says how many.
 *     Such an exit (a table: format, status, a check on the parsed
 *     results) is said in one sentence and the run goes on as a success;
 *     locust's exit 1 with a user-code exception in PREFIX_exceptions.csv
 *     stays a failure.
 *  7. The run is written to the spool before its upload and removed when
 *     the server answered (stored, or refused for good), so a signal
 *     (SIGKILL, or the SIGTERM of a cancelled CI job) during a stalled
 *     upload leaves the run in the spool, not lost.  The next delivery
 *     sends the same bytes with the same Idempotency-Key, so a run the
 *     server did store before the agent died is stored once.  A refusal is
 *     reported now and its copy removed.
 */
#include "agent/agent.h"
#include "cli/cli.h"
#include "ingest/ingest.h"
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_MAX_CONFIRM 10

static const struct cli_opt opts[] = {
    {"server", OPT_STR, 0, 0, NULL, "BENCHVAULT_SERVER", "URL",
     "server to upload to, e.g. http://127.0.0.1:8080"},
    {"db", OPT_STR, 0, 0, NULL, NULL, "PATH",
     "write into this database instead of a server (no comparison)"},
    {"token", OPT_STR, 0, 0, NULL, "BENCHVAULT_TOKEN", "TOKEN",
     "write token for the server"},
    {"project", OPT_STR, 0, 0, NULL, "BENCHVAULT_PROJECT", "SLUG",
     "project (default: the results file's)"},
    {"branch", OPT_STR, 0, 0, NULL, NULL, "NAME",
     "branch (default: CI variables, else git)"},
    {"commit", OPT_STR, 0, 0, NULL, NULL, "SHA",
     "commit (default: CI variables, else git)"},
    {"testbed", OPT_STR, 0, 0, NULL, "BENCHVAULT_TESTBED", "NAME",
     "testbed name (default: from the machine's fingerprint; name it in CI, "
     "where one runner label is served by several CPU models)"},
    {"pr", OPT_INT, 1, INT64_MAX, NULL, NULL, "N",
     "pull request number (default: from CI variables)"},
    {"base-branch", OPT_STR, 0, 0, NULL, NULL, "NAME",
     "the pull request's base branch (default: from CI variables)"},
    {"format", OPT_STR, 0, 0, "auto", NULL, "NAME",
     "results format (auto detects)"},
    {"results", OPT_STR, 0, 0, NULL, NULL, "FILE|-",
     "results file (locust: the --csv PREFIX), or - for the command's "
     "standard output, which is still shown (default: found in the "
     "command's flags)"},
    {"interval-ms", OPT_INT, 10, 60000, "100", NULL, "MS", "sampling interval"},
    {"budgets", OPT_STR, 0, 0, NULL, NULL, "FILE",
     "budget rules (JSON) checked on the runs"},
    {"spool", OPT_STR, 0, 0, NULL, "BENCHVAULT_SPOOL", "DIR",
     "where runs wait when the server is unreachable (default: "
     "$XDG_CACHE_HOME/benchvault/spool)"},
    {"deliver-spool", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "only deliver spooled runs, then exit (no command)"},
    {"spool-ok", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "exit 0, not 3, when the server is unreachable and the run is spooled "
     "(CI: the job passes and keeps the spool for the next one)"},
    {"confirm", OPT_INT, 0, RUN_MAX_CONFIRM, NULL, NULL, "N",
     "extra runs to confirm a suspected regression (default: 1 in CI, "
     "else 0)"},
    {"base", OPT_STR, 0, 0, NULL, NULL, "REF",
     "compare with branch:NAME, commit:SHA or a run id (default: the pull "
     "request's base branch, at the merge-base)"},
    {"fail-on-regression", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "exit 1 on a confirmed regression or a broken budget"},
    {"comment-file", OPT_STR, 0, 0, NULL, NULL, "FILE",
     "write the Markdown comment here"},
    {"github-comment", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "create or update the pull request's comment (GITHUB_TOKEN)"},
    {"github-status", OPT_FLAG, 0, 0, NULL, NULL, NULL,
     "set the commit status \"benchvault\" of the head commit (GITHUB_TOKEN "
     "with statuses: write): failure on a confirmed regression or a broken "
     "budget"},
    {"output", OPT_STR, 0, 0, NULL, NULL, "FILE",
     "also write the run's benchvault/v1 document here"},
    {"retries", OPT_INT, 0, 20, "4", NULL, "N",
     "retries when the server is unreachable or failing"},
    {"http-timeout-ms", OPT_INT, 100, 600000, "30000", NULL, "MS",
     "time limit of one HTTP exchange"},
    {"max-body", OPT_SIZE, 0, 0, "16MiB", NULL, "BYTES",
     "largest results file"},
    {"no-gpu", OPT_FLAG, 0, 0, NULL, NULL, NULL, "do not load NVML"},
    {"nvml-lib", OPT_STR, 0, 0, NULL, "BENCHVAULT_NVML_LIB", "PATH",
     "NVML library to load (default: libnvidia-ml.so.1)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

/* Flags by which a tool names its results file (design note 2). */
static const struct {
    const char *flag; /* --flag=PATH, or --flag PATH */
    const char *tool;
    const char *format; /* how to find the files; NULL: the file itself */
} result_flags[] = {
    {"--benchmark-json", "pytest-benchmark", NULL},
    {"--benchmark_out", "Google Benchmark", NULL},
    {"--export-json", "hyperfine", NULL},
    {"--csv", "locust", "locust"}, /* a PREFIX (agent/results.c) */
};

struct session {
    const struct cli_args *a;
    struct agent_http http;
    struct agent_facts facts;
    char *testbed_name, *testbed_json;
    struct ingest_budget *rules;
    size_t nrules;
    const char *results;        /* borrowed from argv; NULL: none */
    const char *results_format; /* how results names its files: the tool's
                                   (locust's --csv PREFIX) or --format */
    char *spool_dir;
    struct run runs[RUN_MAX_CONFIRM + 1];
    int64_t ids[RUN_MAX_CONFIRM + 1];
    size_t nruns;
    struct agent_summary summary; /* the first run's */
    bool command_failed;
    bool spooled; /* a run went to the spool (not lost) */
};

static void say(const char *fmt, ...) CORE_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    va_list ap;

    fputs("benchvault run: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The results the command names in its own flags; *format gets how to
 * find them (NULL: the file itself). */
static const char *infer_results(char **argv, size_t n, const char **format)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof result_flags / sizeof result_flags[0];
             k++) {
            size_t fl = strlen(result_flags[k].flag);

            *format = result_flags[k].format;
            if (strncmp(argv[i], result_flags[k].flag, fl) != 0)
                continue;
            if (argv[i][fl] == '=' && argv[i][fl + 1])
                return argv[i] + fl + 1;
            if (argv[i][fl] == '\0' && i + 1 < n)
                return argv[i + 1];
        }
    }
    *format = NULL;
    return NULL;
}

static void set_str(char **field, const char *v)
{
    if (!v)
        return;
    free(*field);
    *field = xstrdup(v);
}

static void metadata_set(struct run *r, const char *key, const char *json)
{
    char *m = NULL;

    if (ingest_json_set(r->metadata, key, json, &m) == ERR_OK) {
        free(r->metadata);
        r->metadata = m;
    }
}

static char *json_string(const char *s)
{
    struct buf b;

    buf_init(&b, 0);
    (void)buf_addc(&b, '"');
    (void)jw_escape(&b, s, strlen(s));
    (void)buf_addc(&b, '"');
    return buf_take(&b);
}

/* The facts, the testbed, the resources and the agent's own metadata go
 * onto the parsed run (design note 1). */
static void decorate(struct session *s, struct run *r,
                     const struct agent_exec_result *x, int attempt,
                     char *const *cmd)
{
    const struct agent_facts *f = &s->facts;
    const struct cli_args *a = s->a;
    struct buf meta;
    struct jw w;
    const char *slash;

    set_str(&r->project, cli_str(a, "project"));
    set_str(&r->branch, f->branch);
    set_str(&r->commit_sha, f->commit_sha);
    if (f->commit_sha) {
        /* The file's message and time belong to its commit, not ours. */
        free(r->commit_message);
        r->commit_message = NULL;
        r->commit_time = TIME_NONE;
    }
    set_str(&r->commit_message, f->commit_message);
    set_str(&r->commit_author, f->commit_author);
    if (f->commit_time != TIME_NONE)
        r->commit_time = f->commit_time;
    if (f->pr_number > 0)
        r->pr_number = f->pr_number;
    set_str(&r->base_branch, f->base_branch);
    set_str(&r->ci_provider, f->ci_provider);
    set_str(&r->ci_url, f->ci_url);
    set_str(&r->ci_job, f->ci_job);
    set_str(&r->testbed, s->testbed_name);
    set_str(&r->testbed_info, s->testbed_json);
    r->started_at = x->started_at;
    r->finished_at = x->finished_at;
    free(r->resources);
    r->resources = NULL;
    r->nresources = r->capresources = 0;
    for (size_t i = 0; i < x->nsamples; i++)
        *run_resource_add(r) = x->samples[i];
    agent_summary_to_results(&x->summary, r);
    if (f->checkout_sha) {
        /* what was measured: the CI's merge commit (facts.c note 4) */
        char *j = json_string(f->checkout_sha);

        metadata_set(r, "checkout", j);
        free(j);
    }
    if (f->merge_base) {
        char *j = json_string(f->merge_base);

        metadata_set(r, "merge_base", j);
        free(j);
        /* What the server's comparison reads (design note 5). */
        buf_init(&meta, 0);
        jw_init(&w, &meta);
        jw_obj_begin(&w);
        jw_kstr(&w, "sha", f->merge_base);
        if (f->merge_base_time != TIME_NONE) {
            char iso[TIME_ISO_LEN];

            time_format_iso(f->merge_base_time, iso);
            jw_kstr(&w, "time", iso);
        }
        jw_obj_end(&w);
        metadata_set(r, "base_commit", buf_str(&meta));
        buf_cleanup(&meta);
    }
    buf_init(&meta, 0);
    jw_init(&w, &meta);
    jw_obj_begin(&w);
    jw_kstr(&w, "version", BV_VERSION);
    slash = strrchr(cmd[0], '/');
    jw_kstr(&w, "command", slash ? slash + 1 : cmd[0]);
    jw_kint(&w, "interval_ms", cli_int(a, "interval-ms"));
    jw_kint(&w, "exit_code", x->exit_code);
    if (x->term_signal)
        jw_kint(&w, "signal", x->term_signal);
    jw_kint(&w, "attempt", attempt + 1);
    /* The upload is benchvault/v1; say what the tool wrote. */
    if (r->format)
        jw_kstr(&w, "results_format", r->format);
    if (attempt > 0 && s->ids[0] > 0)
        jw_kint(&w, "confirms_run", s->ids[0]);
    if (!isnan(x->summary.gpu_util_mean_pct)) {
        jw_kstr(&w, "gpu_util_scope",
                x->summary.gpu_util_per_process ? "process" : "device");
        jw_kstr(&w, "gpu_mem_scope",
                x->summary.gpu_mem_per_process ? "process" : "device");
    }
    jw_obj_end(&w);
    metadata_set(r, "agent", buf_str(&meta));
    buf_cleanup(&meta);
}

static void print_errors(const char *what, const struct errbuf *eb)
{
    if (!eb->nitems) {
        say("%s: %s", what, eb->msg);
        return;
    }
    for (size_t i = 0; i < eb->nitems; i++)
        say("%s: %s: %s", what,
            eb->items[i].pointer[0] ? eb->items[i].pointer : "(body)",
            eb->items[i].message);
}

/* Parses the results (file or captured output) into r.  EXIT_OK or
 * EXIT_USAGE after saying why. */
static int read_results(struct session *s, const struct agent_exec_result *x,
                        const struct timespec *before, bool existed,
                        struct run *r)
{
    const struct cli_args *a = s->a;
    struct ingest_overrides ov = {0};
    struct ingest_limits lim;
    struct errbuf eb;
    struct buf file;
    const char *body;
    char ctype[128] = "";
    size_t len;
    int rc = EXIT_OK;

    ingest_limits_default(&lim);
    lim.max_body = (size_t)cli_size(a, "max-body");
    ov.project = cli_str(a, "project");
    err_init(&eb);
    buf_init(&file, 0);
    if (!s->results) {
        /* No results: the resources are the run (design note 2). */
        run_init(r);
        r->metadata = xstrdup("{}");
        set_str(&r->project, ov.project);
        goto out;
    }
    if (!strcmp(s->results, "-")) {
        body = x->out.data ? x->out.data : "";
        len = x->out.len;
        if (x->out_truncated) {
            say("the command's output is larger than --max-body");
            rc = EXIT_USAGE;
            goto out;
        }
    } else {
        /* locust's PREFIX names PREFIX_stats.csv (agent/results.c) */
        char *primary = agent_results_primary(s->results, s->results_format);
        struct stat st;
        bool written = stat(primary, &st) == 0;
        bool stale = written && existed &&
                     st.st_mtim.tv_sec == before->tv_sec &&
                     st.st_mtim.tv_nsec == before->tv_nsec;

        if (!written)
            say("the results file %s was not written: %s", primary,
                strerror(errno));
        else if (stale)
            say("the results file %s was not rewritten by the command "
                "(it is older than this run); refusing to upload stale "
                "results",
                primary);
        free(primary);
        if (!written || stale) {
            rc = EXIT_USAGE;
            goto out;
        }
        if (agent_results_read(s->results, s->results_format, lim.max_body,
                               &file, ctype, sizeof ctype, &eb)) {
            say("%s", eb.msg);
            rc = EXIT_USAGE;
            goto out;
        }
        body = file.data;
        len = file.len;
    }
    if (ingest_parse_body(body, len, ctype, cli_str(a, "format"), &ov, &lim, r,
                          &eb)) {
        print_errors(s->results, &eb);
        rc = EXIT_USAGE;
    }
out:
    err_cleanup(&eb);
    buf_cleanup(&file);
    return rc;
}

/* locust exits 1 when a request failed or a user task raised (its
 * --exit-code-on-error): only failed requests, which its results record as
 * failure_rate, are explained (design note 6). */
static bool locust_failed_requests(const struct session *s, const struct run *r,
                                   struct buf *why)
{
    const struct result *fail = NULL, *lat = NULL;
    struct buf prefix;
    bool raised;

    for (size_t i = 0; i < r->nresults; i++) {
        const struct result *x = &r->results[i];

        if (strcmp(x->key, "Aggregated") != 0)
            continue;
        if (!strcmp(x->measure, "failure_rate"))
            fail = x;
        else if (!strcmp(x->measure, "latency"))
            lat = x;
    }
    if (!fail || !(fail->value > 0)) {
        (void)buf_printf(why,
                         "locust's results record no failed request "
                         "(Aggregated failure_rate %s, of %lld requests), "
                         "so its exit 1 is not explained by them (locust "
                         "rewrites its CSV files once a second and not at "
                         "exit: a run of a second or two leaves them stale)",
                         fail ? "0" : "absent", lat ? (long long)lat->n : 0LL);
        return false;
    }
    buf_init(&prefix, 0);
    raised = !agent_locust_prefix(s->results, s->results_format, &prefix) ||
             agent_locust_exceptions(buf_str(&prefix));
    if (raised)
        (void)buf_printf(why,
                         "%s_exceptions.csv lists exceptions raised by the "
                         "load script (or cannot be found): a bug, not only "
                         "failed requests",
                         buf_str(&prefix));
    buf_cleanup(&prefix);
    if (raised)
        return false;
    (void)buf_adds(why, "locust exited with status 1 because requests "
                        "failed");
    if (lat && lat->n > 0)
        (void)buf_printf(why, " (%.0f of %lld, %.1f%%)",
                         fail->value / 100.0 * (double)lat->n,
                         (long long)lat->n, fail->value);
    (void)buf_adds(why, " and nothing else went wrong: the run is uploaded "
                        "and compared as usual, with failed requests "
                        "recorded as the measure failure_rate (a budget on "
                        "failure_rate fails the job on them)");
    return true;
}

/* Exit statuses with which a tool reports an outcome that its results
 * record, not a failure to run (design note 6). */
static const struct {
    const char *format; /* the results' format */
    int exit_code;
    bool (*explains)(const struct session *s, const struct run *r,
                     struct buf *why);
} explained_exits[] = {
    {"locust", 1, locust_failed_requests},
};

/* True (with the sentence in why) when the command's non-zero exit is one
 * its parsed results explain; false, with why saying why not where the
 * explainer can tell. */
static bool exit_explained(const struct session *s,
                           const struct agent_exec_result *x,
                           const struct run *r, struct buf *why)
{
    for (size_t i = 0; i < sizeof explained_exits / sizeof explained_exits[0];
         i++)
        if (r->format && !strcmp(r->format, explained_exits[i].format) &&
            x->exit_code == explained_exits[i].exit_code &&
            explained_exits[i].explains(s, r, why))
            return true;
    return false;
}

/* Exit statuses by severity (design note 4). */
static int worse(int a, int b)
{
    /* The codes are ordered by severity: UNREACHABLE > USAGE > GATE > OK. */
    return b > a ? b : a;
}

/* A value as a person reads it, in the core's SI/binary units ("1.94 µs",
 * "4.801 MiB"); never a bare %g. */
static void human(struct buf *b, double v, const char *unit)
{
    char s[48];

    if (isnan(v)) {
        (void)buf_adds(b, "n/a");
        return;
    }
    unit_format(s, sizeof s, v, unit ? unit : "");
    (void)buf_adds(b, s);
}

static void print_resources(const struct agent_summary *m)
{
    struct buf b;

    buf_init(&b, 0);
    (void)buf_adds(&b, "CPU ");
    human(&b, m->cpu_mean_pct, "%");
    (void)buf_adds(&b, " mean, ");
    human(&b, m->cpu_max_pct, "%");
    (void)buf_adds(&b, " max (");
    human(&b, m->cpu_time_s, "s");
    (void)buf_adds(&b, "); peak RSS ");
    human(&b, m->rss_peak_bytes, "B");
    (void)buf_adds(&b, "; disk read ");
    human(&b, m->read_bytes, "B");
    (void)buf_adds(&b, ", written ");
    human(&b, m->write_bytes, "B");
    (void)buf_printf(&b, "; %lld processes, %lld threads at most",
                     (long long)m->procs_max, (long long)m->threads_max);
    if (!isnan(m->gpu_util_mean_pct)) {
        (void)buf_adds(&b, "; GPU ");
        human(&b, m->gpu_util_mean_pct, "%");
        (void)buf_adds(&b, " mean, ");
        human(&b, m->gpu_util_max_pct, "%");
        (void)buf_adds(&b, " max, memory ");
        human(&b, m->gpu_mem_peak_bytes, "B");
    }
    printf("resources: %s (%zu samples over %.2f s)\n", buf_str(&b),
           m->nsamples, (double)m->wall_ms / 1000.0);
    buf_cleanup(&b);
}

static int store_db(const char *db, struct run *r, int64_t *id)
{
    struct store *st = NULL;
    struct store_insert item;
    struct errbuf eb;
    int rc = EXIT_OK;

    memset(&item, 0, sizeof item);
    err_init(&eb);
    err_init(&item.eb);
    item.run = r;
    if (store_open(db, STORE_RW, &st, NULL, &eb) ||
        store_runs_insert(st, &item, 1, &eb)) {
        say("%s", eb.msg);
        rc = EXIT_USAGE;
    } else if (item.status) {
        print_errors(db, &item.eb);
        rc = EXIT_USAGE;
    } else {
        *id = item.run_id;
        printf("stored run %lld (%lld results) in %s\n", (long long)item.run_id,
               (long long)item.result_count, db);
    }
    store_close(st);
    err_cleanup(&item.eb);
    err_cleanup(&eb);
    return rc;
}

/* Serialises, checks, and delivers one run (design note 3). */
static int deliver(struct session *s, struct run *r, int attempt, int64_t *id)
{
    const struct cli_args *a = s->a;
    struct buf body;
    struct run check;
    struct errbuf eb;
    struct agent_upload_result up = {0};
    char *spooled = NULL;
    int rc = EXIT_OK;

    *id = 0;
    buf_init(&body, (size_t)cli_size(a, "max-body") * 2 + (1u << 20));
    err_init(&eb);
    run_init(&check);
    if (agent_run_json(r, &body)) {
        say("the run document is larger than its limit");
        rc = EXIT_USAGE;
        goto out;
    }
    if (ingest_parse(body.data, body.len, "benchvault/v1", NULL, NULL, &check,
                     &eb)) {
        print_errors("the run document", &eb);
        rc = EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < check.nwarnings; i++)
        say("warning: %s", check.warnings[i]);
    if (cli_str(a, "output")) {
        char *path = attempt
                         ? xasprintf("%s.%d", cli_str(a, "output"), attempt + 1)
                         : xstrdup(cli_str(a, "output"));
        FILE *f = fopen(path, "wb");

        if (!f || fwrite(body.data, 1, body.len, f) != body.len) {
            say("cannot write %s: %s", path, strerror(errno));
            rc = EXIT_USAGE;
        }
        if (f && fclose(f) != 0)
            rc = EXIT_USAGE;
        free(path);
        if (rc)
            goto out;
    }
    if (cli_str(a, "db")) {
        rc = store_db(cli_str(a, "db"), r, id);
        goto out;
    }
    if (!s->http.server)
        goto out;
    /* Spooled before the upload (design note 7). */
    if (s->spool_dir &&
        agent_spool_write(s->spool_dir, body.data, body.len, &spooled, &eb)) {
        say("warning: cannot spool the run before its upload (%s): if this "
            "process is killed during the upload, the run is lost",
            eb.msg);
        err_cleanup(&eb);
        err_init(&eb);
    }
    if (agent_upload(&s->http, r->project, body.data, body.len, &up, &eb)) {
        say("%s", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    /* Delivered or refused: the spooled copy has done its job (a refusal
     * is reported here and now; resending the same bytes cannot help). */
    if (spooled && up.delivery != AGENT_UNREACHABLE && unlink(spooled) != 0 &&
        errno != ENOENT)
        say("warning: cannot remove the spooled copy %s: %s (the next "
            "delivery will find it stored already)",
            spooled, strerror(errno));
    switch (up.delivery) {
    case AGENT_DELIVERED:
        *id = up.run_id;
        printf("stored run %lld in project %s: %s/p/%s/runs/%lld\n",
               (long long)up.run_id, r->project, s->http.server, r->project,
               (long long)up.run_id);
        break;
    case AGENT_REJECTED:
        say("the server refused the run (%ld): %s", up.status, up.answer);
        if (up.status == 401 && !(s->http.token && *s->http.token))
            say("no token was given (--token or BENCHVAULT_TOKEN)%s",
                s->facts.fork ? ": a pull request from a fork gets no "
                                "secrets (docs/ci.md: the fork guard)"
                              : "");
        rc = EXIT_USAGE;
        break;
    case AGENT_UNREACHABLE:
        rc = EXIT_UNREACHABLE;
        if (!s->spool_dir) {
            say("the server is unreachable (%s) and there is no spool "
                "folder (set --spool, XDG_CACHE_HOME or HOME): the run is "
                "lost",
                up.answer);
            break;
        }
        if (!spooled) {
            say("the server is unreachable (%s) and the spool failed: the "
                "run is lost",
                up.answer);
            break;
        }
        say("the server is unreachable (%s); the run is spooled as %s and "
            "will be delivered by the next `benchvault run` or "
            "`benchvault run --deliver-spool`",
            up.answer, spooled);
        s->spooled = true;
        break;
    }
out:
    free(spooled);
    agent_upload_result_cleanup(&up);
    run_cleanup(&check);
    err_cleanup(&eb);
    buf_cleanup(&body);
    return rc;
}

/*
 * The comparison of the heads with the base (design note 5).  ERR_OK with
 * *cmp and *base_used; otherwise *note says why there is none.
 */
static enum err compare(struct session *s, const char *project,
                        struct ingest_compare *cmp, char **base_used,
                        char **note)
{
    const char *given = cli_str(s->a, "base");
    char *base;
    long status = 0;
    enum err e;
    struct errbuf eb;

    *base_used = NULL;
    *note = NULL;
    if (given) {
        base = xstrdup(given);
    } else if (s->facts.base_branch) {
        base = xasprintf("branch:%s", s->facts.base_branch);
    } else {
        *note = xstrdup("not a pull request and no --base: nothing to "
                        "compare with");
        return ERR_NOT_FOUND;
    }
    err_init(&eb);
    e = agent_compare_fetch(&s->http, project, base, s->ids, s->nruns, cmp,
                            &status, &eb);
    if (e) {
        ingest_compare_cleanup(cmp);
        *note = xstrdup(eb.msg[0] ? eb.msg : "no comparison");
        free(base);
    } else {
        *base_used = base;
    }
    err_cleanup(&eb);
    return e;
}

static void print_compare(const char *base, const struct ingest_compare *c)
{
    struct buf line;

    buf_init(&line, 0);
    agent_verdict_line(c, &line);
    printf("compared with %s: %s\n", base, buf_str(&line));
    for (size_t i = 0; i < c->nrows; i++) {
        const struct ingest_compare_row *r = &c->rows[i];
        struct buf v;

        if (strcmp(r->verdict, "regressed") && strcmp(r->verdict, "improved"))
            continue;
        buf_init(&v, 0);
        human(&v, r->base, r->unit);
        (void)buf_adds(&v, " -> ");
        human(&v, r->head, r->unit);
        printf("  %s: %s %s: %s (%+.1f%%", r->verdict,
               r->benchmark ? r->benchmark : "?", r->measure ? r->measure : "?",
               buf_str(&v), r->change * 100.0);
        buf_cleanup(&v);
        if (!isnan(r->change_lo))
            printf(", 95%% CI %+.1f%% .. %+.1f%%", r->change_lo * 100.0,
                   r->change_hi * 100.0);
        if (!isnan(r->p_value))
            printf(", p = %.2g", r->p_value);
        printf(")\n");
    }
    buf_cleanup(&line);
}

static int deliver_spool(struct session *s, bool only)
{
    struct agent_spool_report rep;
    struct errbuf eb;
    int rc = EXIT_OK;

    if (!s->spool_dir)
        return EXIT_OK;
    err_init(&eb);
    if (agent_spool_deliver(s->spool_dir, &s->http, &rep, &eb)) {
        say("%s", eb.msg);
        rc = only ? EXIT_UNREACHABLE : EXIT_OK;
    } else {
        if (rep.delivered || rep.rejected || rep.left || only)
            say("spool %s: %zu delivered, %zu rejected, %zu left%s",
                s->spool_dir, rep.delivered, rep.rejected, rep.left,
                rep.unreachable ? " (the server is unreachable)" : "");
        if (rep.rejected)
            rc = EXIT_USAGE;
        if (rep.unreachable)
            rc = EXIT_UNREACHABLE;
    }
    err_cleanup(&eb);
    return only ? rc : EXIT_OK;
}

static bool in_ci(void)
{
    const char *vars[] = {"CI", "GITHUB_ACTIONS", "GITLAB_CI"};

    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);

        if (v && *v && strcmp(v, "false") && strcmp(v, "0"))
            return true;
    }
    return false;
}

static enum err load_budgets(struct session *s, const char *path)
{
    struct buf b;
    struct errbuf eb;
    enum err e;

    buf_init(&b, 0);
    err_init(&eb);
    e = file_read(path, (size_t)1 << 20, &b, &eb);
    if (!e)
        e = ingest_budgets_parse(b.data, b.len, &s->rules, &s->nrules, &eb);
    if (e)
        print_errors(path, &eb);
    err_cleanup(&eb);
    buf_cleanup(&b);
    return e;
}

/* Facts from git, CI and flags; the testbed (design note 1). */
static void gather_facts(struct session *s)
{
    const struct cli_args *a = s->a;
    struct agent_testbed tb;
    struct errbuf eb;
    char *head;

    err_init(&eb);
    (void)agent_facts_git(&s->facts, &eb);
    if (eb.msg[0])
        log_debug("%s", eb.msg);
    err_cleanup(&eb);
    head = s->facts.commit_sha ? xstrdup(s->facts.commit_sha) : NULL;
    err_init(&eb);
    agent_facts_ci(&s->facts, NULL, NULL, &eb);
    if (eb.msg[0])
        say("warning: %s", eb.msg);
    err_cleanup(&eb);
    set_str(&s->facts.branch, cli_str(a, "branch"));
    set_str(&s->facts.commit_sha, cli_str(a, "commit"));
    /* a pull request's head, not the CI's merge commit (facts.c note 4) */
    agent_facts_commit_settle(&s->facts, head);
    free(head);
    set_str(&s->facts.base_branch, cli_str(a, "base-branch"));
    if (cli_str(a, "pr"))
        s->facts.pr_number = cli_int(a, "pr");
    if (s->facts.base_branch && agent_facts_merge_base(&s->facts))
        log_info("no merge-base with %s in this checkout (fetch its "
                 "history to compare with the branch point)",
                 s->facts.base_branch);
    agent_testbed_probe(&tb, !cli_flag(a, "no-gpu"), cli_str(a, "nvml-lib"));
    s->testbed_name = cli_str(a, "testbed") ? xstrdup(cli_str(a, "testbed"))
                                            : agent_testbed_name(&tb);
    s->testbed_json = agent_testbed_json(&tb);
}

/* The report: stdout, comment file, GitHub comment, step summary. */

/*
 * The commit status of the pull request's head (--github-status): failure
 * on what fails the gate (a confirmed regression, a broken budget), else
 * success; the description is the verdict in one line, the target the
 * comparison's page.
 */
static void github_status(const struct cli_args *a, const struct session *s,
                          const char *base, const struct ingest_compare *cmp,
                          const char *note, size_t broken)
{
    struct agent_github gh = {0};
    struct buf desc, target;
    struct errbuf eb;
    bool fail = (cmp && cmp->regressed) || broken;

    buf_init(&desc, 4096);
    buf_init(&target, 0);
    err_init(&eb);
    if (cmp)
        (void)buf_printf(&desc,
                         "%lld regressed, %lld improved, %lld unchanged, "
                         "%lld inconclusive",
                         (long long)cmp->regressed, (long long)cmp->improved,
                         (long long)cmp->unchanged,
                         (long long)cmp->inconclusive);
    else
        (void)buf_printf(&desc, "no comparison: %s", note ? note : "no base");
    if (broken)
        (void)buf_printf(&desc, "; %zu broken budget%s", broken,
                         broken == 1 ? "" : "s");
    if (cmp && base && s->nruns) {
        agent_url_public(&target, s->http.server);
        (void)buf_adds(&target, "/p/");
        (void)agent_url_escape(&target, s->runs[0].project);
        (void)buf_adds(&target, "/compare?base=");
        (void)agent_url_escape(&target, base);
        (void)buf_adds(&target, "&head=");
        for (size_t i = 0; i < s->nruns; i++)
            (void)buf_printf(&target, "%s%lld", i ? "%2C" : "",
                             (long long)s->ids[i]);
    }
    gh.api_url = getenv("GITHUB_API_URL");
    gh.token = getenv("GITHUB_TOKEN");
    gh.repository = s->facts.repository;
    gh.timeout_ms = (long)cli_int(a, "http-timeout-ms");
    if (agent_github_status(&gh, s->facts.commit_sha,
                            fail ? "failure" : "success", buf_str(&desc),
                            target.len ? buf_str(&target) : NULL, &eb))
        say("warning: no commit status: %s", eb.msg);
    else
        printf("commit status benchvault: %s\n", fail ? "failure" : "success");
    buf_cleanup(&desc);
    buf_cleanup(&target);
    err_cleanup(&eb);
}

static int report(struct session *s, const struct ingest_compare *cmp,
                  const char *base, const char *note, bool confirmed)
{
    const struct cli_args *a = s->a;
    struct agent_budget_check *checks = NULL;
    size_t nchecks = 0, broken = 0;
    struct agent_report rep = {0};
    struct buf md, server_md;
    struct errbuf eb;
    const char *summary_path = getenv("GITHUB_STEP_SUMMARY");
    int rc = EXIT_OK;

    buf_init(&md, 0);
    buf_init(&server_md, 0);
    err_init(&eb);
    agent_budgets_check(s->rules, s->nrules, s->runs, s->nruns, &checks,
                        &nchecks);
    if (cmp)
        print_compare(base, cmp);
    else if (note)
        printf("no comparison: %s\n", note);
    for (size_t i = 0; i < nchecks; i++) {
        struct buf v;

        if (!checks[i].broken)
            continue;
        broken++;
        buf_init(&v, 0);
        human(&v, checks[i].value, checks[i].unit);
        (void)buf_adds(&v, checks[i].rule->is_max ? ", max " : ", min ");
        human(&v, checks[i].rule->threshold, checks[i].unit);
        printf("budget broken: %s %s = %s\n", checks[i].key, checks[i].measure,
               buf_str(&v));
        buf_cleanup(&v);
    }
    for (size_t i = 0; cmp && i < cmp->nbudgets; i++) {
        if (!cmp->budgets[i].broken)
            continue;
        broken++;
        printf("budget broken (server): %s %s%s%s\n",
               cmp->budgets[i].benchmark ? cmp->budgets[i].benchmark : "*",
               cmp->budgets[i].measure ? cmp->budgets[i].measure : "?",
               cmp->budgets[i].message ? ": " : "",
               cmp->budgets[i].message ? cmp->budgets[i].message : "");
    }
    rep.project = s->nruns ? s->runs[0].project : cli_str(a, "project");
    rep.base = base;
    rep.server = s->http.server;
    rep.heads = s->ids;
    rep.nheads = s->nruns;
    rep.cmp = cmp;
    rep.cmp_note = note;
    rep.budgets = checks;
    rep.nbudgets = nchecks;
    rep.resources = s->nruns ? &s->summary : NULL;
    rep.confirmed = confirmed;
    /* The comment is the server's (agent/comment.c note 1), fetched only
     * when a comment is wanted. */
    if (cmp && base &&
        (cli_str(a, "comment-file") || (summary_path && *summary_path) ||
         cli_flag(a, "github-comment"))) {
        if (agent_compare_markdown(&s->http, rep.project, base, s->ids,
                                   s->nruns, &server_md, &eb) == ERR_OK)
            rep.server_md = buf_str(&server_md);
        else
            say("warning: the comparison's comment: %s", eb.msg);
        err_cleanup(&eb);
        err_init(&eb);
    }
    agent_comment_markdown(&rep, &md);
    if (cli_str(a, "comment-file")) {
        FILE *f = fopen(cli_str(a, "comment-file"), "wb");

        if (!f || fwrite(md.data, 1, md.len, f) != md.len) {
            say("cannot write %s: %s", cli_str(a, "comment-file"),
                strerror(errno));
            rc = EXIT_USAGE;
        }
        if (f)
            fclose(f);
    }
    if (summary_path && *summary_path &&
        agent_step_summary(summary_path, buf_str(&md), &eb))
        say("warning: %s", eb.msg);
    if (cli_flag(a, "github-comment")) {
        struct agent_github gh = {0};
        int64_t id = 0;

        gh.api_url = getenv("GITHUB_API_URL");
        gh.token = getenv("GITHUB_TOKEN");
        gh.repository = s->facts.repository;
        gh.pr_number = s->facts.pr_number;
        gh.timeout_ms = (long)cli_int(a, "http-timeout-ms");
        err_cleanup(&eb);
        err_init(&eb);
        if (agent_github_comment(&gh, buf_str(&md), &id, &eb))
            say("warning: no pull request comment: %s", eb.msg);
        else
            printf("pull request comment %lld updated\n", (long long)id);
    }
    if (cli_flag(a, "github-status"))
        github_status(a, s, base, cmp, note, broken);
    if (cli_flag(a, "fail-on-regression")) {
        int64_t reg = cmp ? cmp->regressed : 0;

        if (reg || broken) {
            say("failing: %lld confirmed regression%s, %zu broken budget%s",
                (long long)reg, reg == 1 ? "" : "s", broken,
                broken == 1 ? "" : "s");
            rc = worse(rc, EXIT_GATE);
        }
    }
    agent_budget_checks_free(checks, nchecks);
    err_cleanup(&eb);
    buf_cleanup(&md);
    buf_cleanup(&server_md);
    return rc;
}

static void usage(FILE *f)
{
    cli_usage(f, "benchvault run [OPTIONS] -- CMD [ARGS...]",
              "Runs CMD, samples its process tree (CPU, memory, disk, "
              "threads, GPU) every --interval-ms, reads its results file, "
              "uploads the run (spooling it when the server is "
              "unreachable), compares it with the base, and gates. Exit "
              "status: 0 ok, 1 regression or broken budget (with "
              "--fail-on-regression), 2 usage or input error or a failed "
              "command, 3 server unreachable (run spooled).",
              opts, NOPTS);
}

int cmd_run(int argc, char **argv)
{
    struct cli_args a;
    struct session s;
    struct errbuf eb;
    struct ingest_compare cmp;
    bool have_cmp = false, confirmed = false;
    char *base_used = NULL, *note = NULL;
    int rc = EXIT_OK, confirm;

    memset(&s, 0, sizeof s);
    memset(&cmp, 0, sizeof cmp);
    agent_facts_init(&s.facts);
    for (size_t i = 0; i <= RUN_MAX_CONFIRM; i++)
        run_init(&s.runs[i]);
    err_init(&eb);
    agent_init();
    if (cli_parse(opts, NOPTS, argc, argv, &a, &eb)) {
        say("%s", eb.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (a.help) {
        usage(stdout);
        goto out;
    }
    s.a = &a;
    s.http.server = cli_str(&a, "server");
    s.http.token = cli_str(&a, "token");
    s.http.timeout_ms = (long)cli_int(&a, "http-timeout-ms");
    s.http.connect_timeout_ms =
        s.http.timeout_ms < 5000 ? s.http.timeout_ms : 5000;
    s.http.retries = (int)cli_int(&a, "retries");
    s.spool_dir = cli_str(&a, "spool") ? xstrdup(cli_str(&a, "spool"))
                                       : agent_spool_default_dir();
    if (a.npos) {
        say("unexpected argument \"%s\"; put the command after -- (see "
            "--help)",
            a.pos[0]);
        rc = EXIT_USAGE;
        goto out;
    }
    if (cli_flag(&a, "deliver-spool")) {
        if (!s.http.server) {
            say("--deliver-spool needs --server URL");
            rc = EXIT_USAGE;
        } else {
            rc = deliver_spool(&s, true);
        }
        goto out;
    }
    if (!a.nrest) {
        say("give the command to run after -- (see --help)");
        rc = EXIT_USAGE;
        goto out;
    }
    if (s.http.server && cli_str(&a, "db")) {
        say("give --server URL or --db PATH, not both");
        rc = EXIT_USAGE;
        goto out;
    }
    if (!s.http.server && !cli_str(&a, "db") && !cli_str(&a, "output")) {
        say("give --server URL, --db PATH or --output FILE (see --help)");
        rc = EXIT_USAGE;
        goto out;
    }
    if (cli_str(&a, "budgets") && load_budgets(&s, cli_str(&a, "budgets"))) {
        rc = EXIT_USAGE;
        goto out;
    }
    s.results = cli_str(&a, "results");
    s.results_format = cli_str(&a, "format");
    if (!s.results)
        s.results = infer_results(a.rest, a.nrest, &s.results_format);
    if (!s.results_format || !strcmp(s.results_format, "auto"))
        s.results_format = cli_str(&a, "format");
    if (s.http.server)
        (void)deliver_spool(&s, false);
    gather_facts(&s);
    confirm = cli_str(&a, "confirm") ? (int)cli_int(&a, "confirm")
                                     : (in_ci() ? 1 : 0);
    for (int attempt = 0; attempt <= confirm; attempt++) {
        struct agent_exec_opts xo = {0};
        struct agent_exec_result x;
        struct timespec before = {0, 0};
        struct stat st;
        bool existed = false;
        struct run *r = &s.runs[s.nruns];
        int64_t id = 0;
        int d;

        if (s.results && strcmp(s.results, "-")) {
            char *primary = agent_results_primary(s.results, s.results_format);

            if (stat(primary, &st) == 0) {
                existed = true;
                before = st.st_mtim;
            }
            free(primary);
        }
        xo.argv = a.rest;
        xo.interval_ms = (int)cli_int(&a, "interval-ms");
        xo.capture_stdout = s.results && !strcmp(s.results, "-");
        xo.tee_stdout = true; /* the CI log keeps the command's output */
        xo.max_stdout = (size_t)cli_size(&a, "max-body");
        xo.gpu = !cli_flag(&a, "no-gpu");
        xo.nvml_path = cli_str(&a, "nvml-lib");
        err_cleanup(&eb);
        err_init(&eb);
        if (agent_exec(&xo, &x, &eb)) {
            say("%s", eb.msg);
            agent_exec_result_cleanup(&x);
            rc = worse(rc, EXIT_USAGE);
            break;
        }
        if (x.term_signal) {
            say("the command was stopped by signal %d%s", x.term_signal,
                x.forwarded ? " (forwarded by the agent)" : "");
            s.command_failed = true;
        }
        print_resources(&x.summary);
        if (!attempt)
            s.summary = x.summary;
        d = read_results(&s, &x, &before, existed, r);
        if (!x.term_signal && x.exit_code != 0) {
            struct buf why;

            buf_init(&why, 0);
            if (d == EXIT_OK && exit_explained(&s, &x, r, &why)) {
                say("%s", buf_str(&why));
            } else {
                say("the command exited with status %d: a failed command "
                    "(what it produced is still uploaded; exit 2)%s%s",
                    x.exit_code, why.len ? ": " : "", buf_str(&why));
                s.command_failed = true;
            }
            buf_cleanup(&why);
        }
        if (d == EXIT_OK) {
            decorate(&s, r, &x, attempt, a.rest);
            if (!r->project) {
                say("no project: give --project or BENCHVAULT_PROJECT");
                d = EXIT_USAGE;
            }
        }
        agent_exec_result_cleanup(&x);
        if (d != EXIT_OK) {
            run_cleanup(r);
            rc = worse(rc, d);
            break;
        }
        d = deliver(&s, r, attempt, &id);
        s.ids[s.nruns++] = id;
        rc = worse(rc, d);
        if (d != EXIT_OK || s.command_failed || !s.http.server)
            break;
        if (have_cmp) {
            ingest_compare_cleanup(&cmp);
            free(base_used);
            free(note);
            base_used = note = NULL;
        }
        have_cmp = compare(&s, r->project, &cmp, &base_used, &note) == ERR_OK;
        confirmed = attempt > 0;
        if (!have_cmp || attempt == confirm ||
            !agent_compare_wants_confirmation(&cmp))
            break;
        say("a regression is suspected; running the command again to "
            "confirm (%d of %d)",
            attempt + 1, confirm);
    }
    if (s.command_failed)
        rc = worse(rc, EXIT_USAGE);
    /* A spooled run has no comparison: exit 3 says it all. */
    if (rc != EXIT_UNREACHABLE && s.nruns)
        rc = worse(
            rc, report(&s, have_cmp ? &cmp : NULL, base_used, note, confirmed));
    /* ... unless asked to pass: then what the command did decides. */
    if (rc == EXIT_UNREACHABLE && s.spooled && cli_flag(&a, "spool-ok")) {
        say("--spool-ok: the server is away and the run is spooled, which "
            "does not fail the job; keep the spool folder for the next job");
        rc = s.command_failed ? EXIT_USAGE : EXIT_OK;
    }
out:
    ingest_compare_cleanup(&cmp);
    free(base_used);
    free(note);
    for (size_t i = 0; i <= RUN_MAX_CONFIRM; i++)
        run_cleanup(&s.runs[i]);
    ingest_budgets_free(s.rules, s.nrules);
    agent_facts_cleanup(&s.facts);
    free(s.testbed_name);
    free(s.testbed_json);
    free(s.spool_dir);
    cli_args_cleanup(&a);
    err_cleanup(&eb);
    agent_cleanup();
    return rc;
}
