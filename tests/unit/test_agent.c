/*
 * unit.agent: the runner agent.  The sampler runs real commands (kept
 * short and bounded): a CPU burner, a memory grower, a file writer, a
 * forker of workers, and a command whose worker is orphaned (the
 * subreaper keeps it in the tree).  Child roles are this test binary run
 * again with "--child ROLE ..." (so the suite needs nothing else), except
 * the memory grower, which is /usr/bin/python3: an ASan-built grower would
 * grow ASan's shadow memory too, and the slope would be off by 1/8.
 *
 * The NVML path is checked against a TEST DOUBLE: tests/agent/
 * nvml_double.c, a stand-in shared library with canned answers (there is
 * no GPU here).  It proves the agent's calls and fallbacks, not NVIDIA's
 * numbers.
 *
 * NOTE: the machine these tests run on is shared with parallel builds, so
 * "about 100% of one core" is asserted loosely (> 60%); the measured figure
 * is printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "ingest/ingest.h"

#ifndef NVML_DOUBLE_PATH
#define NVML_DOUBLE_PATH "libnvml_double.so"
#endif

static const char *self_exe = "/proc/self/exe";

/* ---- child roles (run by re-executing this binary) ---------------------- */

/* Burns for seconds of wall time (cpu false) or of CPU time (cpu true:
 * the same work whatever else the shared machine is doing). */
static void burn_clock(double seconds, bool cpu)
{
    volatile unsigned long x = 0;
    clockid_t clk = cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
    struct timespec ts;
    double end;

    clock_gettime(clk, &ts);
    end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + seconds;
    for (;;) {
        clock_gettime(clk, &ts);
        if ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 >= end)
            break;
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i;
    }
}

static void burn(double seconds)
{
    burn_clock(seconds, false);
}

static void nap(double seconds)
{
    struct timespec ts;

    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int child_main(int argc, char **argv)
{
    const char *role = argc > 0 ? argv[0] : "";

    if (!strcmp(role, "burn")) {
        /* burn SECONDS REPORT: burns SECONDS of wall time, then writes its
         * own CPU seconds into REPORT (what the agent must agree with). */
        struct timespec ts;
        FILE *f;

        burn(strtod(argv[1], NULL));
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        f = fopen(argv[2], "w");
        if (!f)
            return 1;
        fprintf(f, "%.6f\n", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
        fclose(f);
    } else if (!strcmp(role, "write")) {
        /* write MIB PATH: MIB MiB, fsync()ed, so it reaches the disk. */
        static char block[1 << 20];
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        long n = strtol(argv[1], NULL, 10);

        memset(block, 'w', sizeof block);
        for (long i = 0; fd >= 0 && i < n; i++)
            if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
                return 1;
        if (fd < 0 || fsync(fd) != 0 || close(fd) != 0)
            return 1;
        nap(0.3);
    } else if (!strcmp(role, "fork")) {
        /* fork N SECONDS: N workers burn SECONDS each; then reap them. */
        long n = strtol(argv[1], NULL, 10);
        double s = strtod(argv[2], NULL);

        for (long i = 0; i < n; i++) {
            if (fork() == 0) {
                burn_clock(s, true);
                _exit(0);
            }
        }
        while (wait(NULL) > 0)
            ;
        nap(0.2);
    } else if (!strcmp(role, "orphan")) {
        /* A middle process starts a worker and exits at once: the worker
         * is orphaned and must stay in the tree (the subreaper).  The
         * worker holds a pipe's write end; its end of file says it is
         * done, whatever the machine's load. */
        int fds[2];
        char c;
        pid_t mid;

        if (pipe(fds) != 0)
            return 1;
        mid = fork();
        if (mid == 0) {
            if (fork() == 0) {
                close(fds[0]);
                nap(0.3); /* let the middle one exit first */
                burn_clock(0.8, true);
                _exit(0);
            }
            _exit(0);
        }
        close(fds[1]);
        waitpid(mid, NULL, 0);
        while (read(fds[0], &c, 1) > 0)
            ;
        nap(0.3); /* a tick sees the worker's final time */
    } else if (!strcmp(role, "chain")) {
        /* chain N SECONDS: N children one after another, each burning
         * SECONDS of CPU; each is reaped as it ends, and the last one's end
         * is this process's end (no pause for a tick to see it). */
        long n = strtol(argv[1], NULL, 10);
        double s = strtod(argv[2], NULL);

        for (long i = 0; i < n; i++) {
            pid_t c = fork();

            if (c == 0) {
                burn_clock(s, true);
                _exit(0);
            }
            waitpid(c, NULL, 0);
        }
    } else if (!strcmp(role, "exit")) {
        return (int)strtol(argv[1], NULL, 10);
    } else if (!strcmp(role, "sleep")) {
        nap(strtod(argv[1], NULL));
    } else {
        return 99;
    }
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static void run_cmd(char **argv, int interval_ms, struct agent_exec_result *x)
{
    struct agent_exec_opts o = {0};
    struct errbuf eb;

    err_init(&eb);
    o.argv = argv;
    o.interval_ms = interval_ms;
    o.gpu = false;
    if (agent_exec(&o, x, &eb) != ERR_OK)
        fail_msg("agent_exec: %s", eb.msg);
    err_cleanup(&eb);
}

/* Ordinary least squares slope of y over x. */
static double ols_slope(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0;

    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxy / sxx;
}

static void assert_monotonic(const struct agent_exec_result *x)
{
    for (size_t i = 1; i < x->nsamples; i++) {
        assert_true(x->samples[i].t_ms > x->samples[i - 1].t_ms);
        assert_true(x->samples[i].read_bytes >= x->samples[i - 1].read_bytes);
        assert_true(x->samples[i].write_bytes >= x->samples[i - 1].write_bytes);
        assert_true(isnan(x->samples[i].cpu_pct) || x->samples[i].cpu_pct >= 0);
    }
}

/* ---- sampling real commands --------------------------------------------- */

static void test_cpu_burner(void **state)
{
    char report[] = "/tmp/bv-agent-burn-XXXXXX";
    int fd = mkstemp(report);
    char *argv[] = {(char *)self_exe, "--child", "burn", "2", report, NULL};
    struct agent_exec_result x;
    double own = 0;
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    run_cmd(argv, 100, &x);
    f = fopen(report, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%lf", &own), 1);
    fclose(f);
    unlink(report);
    print_message("cpu burner: mean %.1f%%, max %.1f%%, cpu %.2f s over "
                  "%.2f s (its own clock: %.2f s), %zu samples\n",
                  x.summary.cpu_mean_pct, x.summary.cpu_max_pct,
                  x.summary.cpu_time_s, (double)x.summary.wall_ms / 1000, own,
                  x.nsamples);
    assert_int_equal(x.exit_code, 0);
    assert_true(x.nsamples >= 15 && x.nsamples <= 30);
    /* The sampler agrees with the burner's own CPU clock within 10%, and
     * so with the share of a core it got (it ran 2 s of wall time). */
    assert_true(fabs(x.summary.cpu_time_s - own) < 0.10 * own + 0.03);
    assert_true(fabs(x.summary.cpu_mean_pct - own / 2.0 * 100) <
                0.10 * own / 2.0 * 100 + 3);
    /* "About one core" can only hold when the shared machine (parallel
     * builds and tests, see the top) let the burner have one: then it must
     * read so; on an idle machine it reads 99%. */
    if (own > 1.8)
        assert_true(x.summary.cpu_mean_pct > 85);
    assert_true(x.summary.cpu_mean_pct < 115);
    assert_true(isnan(x.summary.gpu_util_mean_pct));
    assert_true(isnan(x.samples[0].gpu_util_pct));
    /* One process; a sanitizer build's leak check at exit briefly runs a
     * tracer process (LeakSanitizer's StopTheWorld), which a tick may see. */
    assert_true(x.summary.procs_max >= 1 && x.summary.procs_max <= 2);
    assert_monotonic(&x);
    agent_exec_result_cleanup(&x);
}

static void test_memory_grower(void **state)
{
    /* 1 MiB per 100 ms = 10 MiB/s for 4 s (the e2e test keeps the issue's
     * 1 MiB/s); bytes objects are written, so the pages are resident. */
    char *argv[] = {"/usr/bin/python3", "-c",
                    "import time\n"
                    "keep = []\n"
                    "t0 = time.monotonic()\n"
                    "for i in range(40):\n"
                    "    keep.append(b'x' * (1 << 20))\n"
                    "    d = t0 + (i + 1) * 0.1 - time.monotonic()\n"
                    "    if d > 0: time.sleep(d)\n",
                    NULL};
    struct agent_exec_result x;
    double t[128], y[128];
    size_t n = 0;
    double slope;

    (void)state;
    run_cmd(argv, 100, &x);
    assert_int_equal(x.exit_code, 0);
    /* Fit the growth: from the first sample 2 MiB above the interpreter's
     * start (however long a loaded machine made the start) to the peak
     * (the exit sample has no RSS: nothing is alive). */
    {
        size_t peak = 0;
        double start = x.samples[0].rss_bytes;

        for (size_t i = 0; i < x.nsamples; i++)
            if (x.samples[i].rss_bytes > x.samples[peak].rss_bytes)
                peak = i;
        for (size_t i = 0; i <= peak && n < 128; i++) {
            if (x.samples[i].rss_bytes < start + 2.0 * 1048576)
                continue;
            t[n] = (double)x.samples[i].t_ms / 1000.0;
            y[n] = x.samples[i].rss_bytes / 1048576.0;
            n++;
        }
    }
    slope = ols_slope(t, y, n);
    print_message("memory grower: RSS slope %.3f MiB/s over %zu samples "
                  "(expected 10), peak %.1f MiB\n",
                  slope, n, x.summary.rss_peak_bytes / 1048576.0);
    assert_true(n >= 25);
    assert_true(fabs(slope - 10.0) / 10.0 < 0.10);
    assert_true(x.summary.rss_peak_bytes > 40.0 * 1048576);
    agent_exec_result_cleanup(&x);
}

static void test_file_writer(void **state)
{
    char path[] = "/tmp/bv-agent-write-XXXXXX";
    int fd = mkstemp(path);
    char *argv[] = {(char *)self_exe, "--child", "write", "8", path, NULL};
    struct agent_exec_result x;
    double last;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    run_cmd(argv, 50, &x);
    assert_int_equal(x.exit_code, 0);
    last = x.samples[x.nsamples - 1].write_bytes;
    print_message("file writer: %.1f MiB written\n", last / 1048576.0);
    /* Storage-layer bytes: at least the 8 MiB that were fsync()ed. */
    assert_true(last >= 8.0 * 1048576);
    assert_true(x.summary.write_bytes == last);
    assert_monotonic(&x);
    agent_exec_result_cleanup(&x);
    unlink(path);
}

static void test_forker(void **state)
{
    char *argv[] = {(char *)self_exe, "--child", "fork", "4", "0.5", NULL};
    struct agent_exec_result x;

    (void)state;
    run_cmd(argv, 100, &x);
    assert_int_equal(x.exit_code, 0);
    print_message("forker: %lld processes at most, cpu %.2f s\n",
                  (long long)x.summary.procs_max, x.summary.cpu_time_s);
    assert_true(x.summary.procs_max >= 5);
    assert_true(x.summary.threads_max >= 5);
    /* Four workers burned 0.5 s of CPU each; an exited worker is counted
     * once, through its parent's cutime (test_exiting_children_counted_once
     * holds it to the kernel's account). */
    assert_true(x.summary.cpu_time_s > 1.9 && x.summary.cpu_time_s < 2.6);
    assert_true(x.summary.ctx_switches > 0);
    assert_monotonic(&x);
    agent_exec_result_cleanup(&x);
}

/* What this process's reaped children used so far, seconds. */
static double children_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double max_cpu_pct(const struct agent_exec_result *x)
{
    double m = 0;

    for (size_t i = 0; i < x->nsamples; i++)
        if (x->samples[i].cpu_pct > m)
            m = x->samples[i].cpu_pct;
    return m;
}

static void test_exiting_children_counted_once(void **state)
{
    /* Issue 12 item 2: a child's CPU was added a tick late (a spike) or
     * never (at the last tick).  Now: the same total as the kernel's
     * account of what was reaped (what /usr/bin/time reports), and no
     * interval above 100% per core. */
    char *chain[] = {(char *)self_exe, "--child", "chain", "3", "0.4", NULL};
    char *forker[] = {(char *)self_exe, "--child", "fork", "4", "0.3", NULL};
    char **cmds[] = {chain, forker};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    (void)state;
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        struct agent_exec_result x;
        double before = children_cpu(), truth;

        run_cmd(cmds[k], 100, &x);
        truth = children_cpu() - before;
        print_message("%s: cpu %.3f s, the kernel's %.3f s; max %.0f%% on "
                      "%ld cores\n",
                      cmds[k][2], x.summary.cpu_time_s, truth, max_cpu_pct(&x),
                      cores);
        assert_int_equal(x.exit_code, 0);
        assert_true(fabs(x.summary.cpu_time_s - truth) <= 0.01 * truth);
        /* an interval's share may be off by the 20 ms a reaper's cutime
         * lands late (docs: one clock tick of a 100 ms interval each way);
         * the old accounting put whole children in one interval (446%) */
        assert_true(max_cpu_pct(&x) <= 100.0 * (double)cores + 25.0);
        /* The last sample is the exit: nothing alive, no RSS reading. */
        assert_true(isnan(x.samples[x.nsamples - 1].rss_bytes));
        agent_exec_result_cleanup(&x);
    }
    /* A command shorter than an interval: its one sample (the exit) holds
     * all of its CPU, whatever this process reaped before the baseline
     * (seconds, from the tests above: the old baseline read them as CPU of
     * the first interval, which then read 0).  The slack is a reaper's
     * cutime ticks: the sanitizer's leak check at the child's exit runs a
     * tracer process that the child reaps. */
    {
        char *quick[] = {(char *)self_exe, "--child", "chain", "1",
                         "0.15",           NULL};
        struct agent_exec_result x;
        const struct resource_sample *r;

        run_cmd(quick, 30000, &x);
        assert_int_equal(x.nsamples, 1);
        r = &x.samples[0];
        print_message("quick: %.2f%% over %lld ms, cpu %.4f s\n", r->cpu_pct,
                      (long long)r->t_ms, x.summary.cpu_time_s);
        assert_true(x.summary.cpu_time_s > 0.14);
        assert_true(fabs(r->cpu_pct / 100.0 * (double)r->t_ms / 1000.0 -
                         x.summary.cpu_time_s) < 0.03);
        agent_exec_result_cleanup(&x);
    }
}

static void test_orphan_stays_in_tree(void **state)
{
    char *argv[] = {(char *)self_exe, "--child", "orphan", NULL};
    struct agent_exec_result x;

    (void)state;
    run_cmd(argv, 100, &x);
    assert_int_equal(x.exit_code, 0);
    print_message("orphaned worker: cpu %.2f s\n", x.summary.cpu_time_s);
    /* 0.8 s of CPU; without the subreaper the worker would leave the tree
     * with its parent. */
    assert_true(x.summary.cpu_time_s > 0.6);
    agent_exec_result_cleanup(&x);
}

static void test_exec_failures(void **state)
{
    char *missing[] = {"/nonexistent/benchvault-no-such-command", NULL};
    char *exits[] = {(char *)self_exe, "--child", "exit", "7", NULL};
    struct agent_exec_opts o = {0};
    struct agent_exec_result x;
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    o.argv = missing;
    o.interval_ms = 50;
    assert_int_equal(agent_exec(&o, &x, &eb), ERR_NOT_FOUND);
    assert_non_null(strstr(eb.msg, "No such file"));
    agent_exec_result_cleanup(&x);
    run_cmd(exits, 50, &x);
    assert_int_equal(x.exit_code, 7);
    assert_int_equal(x.term_signal, 0);
    /* A command shorter than one interval still gets its exit sample. */
    assert_true(x.nsamples >= 1);
    agent_exec_result_cleanup(&x);
    err_cleanup(&eb);
}

static void test_capture_stdout(void **state)
{
    char *argv[] = {"/bin/sh", "-c", "printf '{\"a\":'; printf '1}'", NULL};
    struct agent_exec_opts o = {0};
    struct agent_exec_result x;
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    o.argv = argv;
    o.interval_ms = 50;
    o.capture_stdout = true;
    o.max_stdout = 4;
    assert_int_equal(agent_exec(&o, &x, &eb), ERR_OK);
    assert_string_equal(buf_str(&x.out), "{\"a\"");
    assert_true(x.out_truncated);
    agent_exec_result_cleanup(&x);
    o.max_stdout = 1 << 20;
    assert_int_equal(agent_exec(&o, &x, &eb), ERR_OK);
    assert_string_equal(buf_str(&x.out), "{\"a\":1}");
    assert_false(x.out_truncated);
    agent_exec_result_cleanup(&x);
    err_cleanup(&eb);
}

/* ---- NVML through the test double --------------------------------------- */

struct double_stats {
    int init, shutdown, putil_calls, putil_too_small;
};

static void test_nvml_double(void **state)
{
    struct agent_sampler_opts so = {0};
    struct agent_sampler *s = NULL;
    struct resource_sample rs;
    struct agent_summary sum;
    struct errbuf eb;
    char pids[32];
    pid_t child;
    void *lib;
    struct double_stats *st;

    (void)state;
    err_init(&eb);
    child = fork();
    if (child == 0) {
        nap(5);
        _exit(0);
    }
    snprintf(pids, sizeof pids, "%ld,1", (long)child); /* 1: not ours */
    setenv("BV_NVML_DOUBLE_PIDS", pids, 1);
    unsetenv("BV_NVML_DOUBLE_MODE");
    so.root = child;
    so.include_root = true;
    so.gpu = true;
    so.nvml_path = NVML_DOUBLE_PATH;
    assert_int_equal(agent_sampler_create(&so, &s, &eb), ERR_OK);
    lib = dlopen(NVML_DOUBLE_PATH, RTLD_NOW);
    assert_non_null(lib);
    st = dlsym(lib, "nvml_double_stats");
    assert_non_null(st);
    nap(0.01);
    agent_sampler_tick(s, 10, &rs);
    /* Per process: the child's 256 MiB and 40 % SM; PID 1 is not in the
     * tree and is not counted. */
    assert_true(rs.gpu_mem_bytes == 256.0 * 1048576);
    assert_true(rs.gpu_util_pct == 40);
    /* The utilisation buffer was sized by a first, refused call. */
    assert_true(st->putil_too_small >= 1);
    assert_true(st->putil_calls >= 2);
    nap(0.01);
    agent_sampler_tick(s, 20, &rs);
    assert_true(rs.gpu_util_pct == 40);
    agent_sampler_summary(s, &sum);
    assert_true(sum.gpu_util_per_process && sum.gpu_mem_per_process);
    assert_true(sum.gpu_util_mean_pct == 40 && sum.gpu_util_max_pct == 40);
    assert_true(sum.gpu_mem_peak_bytes == 256.0 * 1048576);
    agent_sampler_free(s);

    /* Per-process calls not supported: the device's totals stand in. */
    setenv("BV_NVML_DOUBLE_MODE", "noproc", 1);
    assert_int_equal(agent_sampler_create(&so, &s, &eb), ERR_OK);
    agent_sampler_tick(s, 10, &rs);
    assert_true(rs.gpu_util_pct == 37);
    assert_true(rs.gpu_mem_bytes == 2.0 * 1073741824);
    agent_sampler_summary(s, &sum);
    assert_false(sum.gpu_util_per_process || sum.gpu_mem_per_process);
    agent_sampler_free(s);
    assert_true(st->shutdown >= 2);
    dlclose(lib);

    /* No library: no GPU fields at all. */
    so.nvml_path = "/nonexistent/libnvidia-ml.so.1";
    assert_int_equal(agent_sampler_create(&so, &s, &eb), ERR_OK);
    agent_sampler_tick(s, 10, &rs);
    assert_true(isnan(rs.gpu_util_pct) && isnan(rs.gpu_mem_bytes));
    assert_true(rs.rss_bytes > 0);
    agent_sampler_free(s);
    unsetenv("BV_NVML_DOUBLE_MODE");
    unsetenv("BV_NVML_DOUBLE_PIDS");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    err_cleanup(&eb);
}

static void test_testbed(void **state)
{
    struct agent_testbed tb;
    char *name, *json;

    (void)state;
    setenv("BV_NVML_DOUBLE_PIDS", "", 1);
    agent_testbed_probe(&tb, true, NVML_DOUBLE_PATH);
    assert_true(tb.cores >= 1 && tb.memory_bytes > 0);
    assert_string_equal(tb.gpu, "benchvault NVML test double");
    name = agent_testbed_name(&tb);
    json = agent_testbed_json(&tb);
    print_message("testbed: %s %s\n", name, json);
    assert_non_null(strstr(name, "-benchvault-nvml-test-double"));
    for (const char *p = name; *p; p++)
        assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    *p == '-');
    assert_non_null(strstr(json, "\"gpu\":\"benchvault NVML test double\""));
    free(name);
    free(json);
    memset(&tb, 0, sizeof tb);
    snprintf(tb.cpu, sizeof tb.cpu, "AMD EPYC 7763 64-Core Processor");
    tb.cores = 8;
    tb.memory_bytes = 33498816512; /* 31.2 GiB */
    snprintf(tb.gpu, sizeof tb.gpu, "NVIDIA H100 80GB HBM3");
    tb.gpus = 2;
    name = agent_testbed_name(&tb);
    assert_string_equal(name, "amd-epyc-7763-64-core-processor-8c-31gib-"
                              "nvidia-h100-80gb-hbm3-x2");
    free(name);
    unsetenv("BV_NVML_DOUBLE_PIDS");
}

/* ---- the document ------------------------------------------------------- */

static void load_run(const char *path, struct run *r)
{
    struct buf b;
    struct errbuf eb;

    buf_init(&b, 0);
    err_init(&eb);
    assert_int_equal(file_read(path, 1 << 20, &b, &eb), ERR_OK);
    if (ingest_parse(b.data, b.len, "auto", NULL, NULL, r, &eb))
        fail_msg("%s: %s", path, eb.msg);
    buf_cleanup(&b);
    err_cleanup(&eb);
}

static bool same_num(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void test_run_json_round_trip(void **state)
{
    struct run a, b;
    struct buf out;
    struct errbuf eb;

    (void)state;
    run_init(&a);
    run_init(&b);
    buf_init(&out, 0);
    err_init(&eb);
    load_run(TESTS_DIR "/data/ingest/valid/full/input.json", &a);
    assert_int_equal(agent_run_json(&a, &out), ERR_OK);
    if (ingest_parse(out.data, out.len, "benchvault/v1", NULL, NULL, &b, &eb))
        fail_msg("re-parse: %s\n%s", eb.msg, buf_str(&out));
    assert_true(same_str(a.project, b.project));
    assert_true(same_str(a.branch, b.branch));
    assert_true(same_str(a.commit_sha, b.commit_sha));
    assert_true(same_str(a.commit_message, b.commit_message));
    assert_true(same_str(a.commit_author, b.commit_author));
    assert_true(a.commit_time == b.commit_time);
    assert_true(a.pr_number == b.pr_number);
    assert_true(same_str(a.base_branch, b.base_branch));
    assert_true(same_str(a.testbed, b.testbed));
    assert_true(same_str(a.testbed_info, b.testbed_info));
    assert_true(a.started_at == b.started_at);
    assert_true(a.finished_at == b.finished_at);
    assert_true(same_str(a.ci_url, b.ci_url));
    assert_true(same_str(a.metadata, b.metadata));
    assert_int_equal(a.nresults, b.nresults);
    for (size_t i = 0; i < a.nresults; i++) {
        const struct result *x = &a.results[i], *y = &b.results[i];

        assert_string_equal(x->key, y->key);
        assert_string_equal(x->params, y->params);
        assert_string_equal(x->measure, y->measure);
        assert_string_equal(x->unit, y->unit);
        assert_true(same_num(x->value, y->value));
        assert_true(same_num(x->stddev, y->stddev));
        assert_true(same_num(x->median, y->median));
        assert_int_equal(x->nsamples, y->nsamples);
        for (size_t k = 0; k < x->nsamples; k++)
            assert_true(x->samples[k] == y->samples[k]);
    }
    assert_int_equal(a.nresources, b.nresources);
    for (size_t i = 0; i < a.nresources; i++) {
        assert_true(a.resources[i].t_ms == b.resources[i].t_ms);
        assert_true(same_num(a.resources[i].cpu_pct, b.resources[i].cpu_pct));
        assert_true(same_num(a.resources[i].gpu_mem_bytes,
                             b.resources[i].gpu_mem_bytes));
    }
    run_cleanup(&a);
    run_cleanup(&b);
    buf_cleanup(&out);
    err_cleanup(&eb);
}

static void test_summary_results_and_key(void **state)
{
    struct agent_summary s;
    struct run r;
    struct buf a, b;
    char k1[AGENT_KEY_LEN], k2[AGENT_KEY_LEN];

    (void)state;
    memset(&s, 0, sizeof s);
    s.wall_ms = 1500;
    s.cpu_time_s = 1.2;
    s.cpu_mean_pct = 80;
    s.cpu_max_pct = 100;
    s.rss_peak_bytes = 1 << 20;
    s.gpu_util_mean_pct = s.gpu_util_max_pct = s.gpu_mem_peak_bytes = NAN;
    run_init(&r);
    r.project = xstrdup("p");
    agent_summary_to_results(&s, &r);
    assert_int_equal(r.nresults, 10); /* no GPU measures */
    for (size_t i = 0; i < r.nresults; i++) {
        assert_string_equal(r.results[i].key, "resources");
        assert_int_equal(r.results[i].direction, DIR_LOWER);
    }
    assert_string_equal(r.results[4].measure, "peak_rss");
    assert_string_equal(r.results[4].unit, "B");
    /* A second time: the name is taken, so a warning and nothing added. */
    agent_summary_to_results(&s, &r);
    assert_int_equal(r.nresults, 10);
    assert_int_equal(r.nwarnings, 1);
    buf_init(&a, 0);
    buf_init(&b, 0);
    assert_int_equal(agent_run_json(&r, &a), ERR_OK);
    assert_int_equal(agent_run_json(&r, &b), ERR_OK);
    agent_idempotency_key(a.data, a.len, k1);
    agent_idempotency_key(b.data, b.len, k2);
    assert_string_equal(k1, k2);
    assert_int_equal(strlen(k1), AGENT_KEY_LEN - 1);
    assert_int_equal(strncmp(k1, "run-", 4), 0);
    r.results[0].value = 1.5001;
    buf_reset(&b);
    assert_int_equal(agent_run_json(&r, &b), ERR_OK);
    agent_idempotency_key(b.data, b.len, k2);
    assert_string_not_equal(k1, k2);
    buf_cleanup(&a);
    buf_cleanup(&b);
    run_cleanup(&r);
}

/* ---- facts -------------------------------------------------------------- */

struct env_table {
    const char *const *kv; /* name, value, name, value, ..., NULL */
};

static const char *table_get(const char *name, void *ud)
{
    const struct env_table *t = ud;

    for (size_t i = 0; t->kv[i]; i += 2)
        if (!strcmp(t->kv[i], name))
            return t->kv[i + 1];
    return NULL;
}

static void test_facts_github(void **state)
{
    char event[] = "/tmp/bv-agent-event-XXXXXX";
    int fd = mkstemp(event);
    const char *json =
        "{\"action\":\"synchronize\",\"number\":42,"
        "\"pull_request\":{\"number\":42,\"head\":{\"sha\":\"abc\","
        "\"repo\":{\"full_name\":\"someone/alpha-q\"}},\"base\":{\"sha\":"
        "\"def\",\"repo\":{\"full_name\":\"acme/alpha-q\"}}}}";
    const char *kv[] = {"GITHUB_ACTIONS",
                        "true",
                        "GITHUB_SHA",
                        "0123456789abcdef",
                        "GITHUB_REF_NAME",
                        "42/merge",
                        "GITHUB_HEAD_REF",
                        "feature-x",
                        "GITHUB_BASE_REF",
                        "main",
                        "GITHUB_SERVER_URL",
                        "https://github.com",
                        "GITHUB_REPOSITORY",
                        "acme/alpha-q",
                        "GITHUB_RUN_ID",
                        "777",
                        "GITHUB_JOB",
                        "bench",
                        "GITHUB_EVENT_PATH",
                        event,
                        NULL};
    struct env_table t = {kv};
    struct agent_facts f;
    struct errbuf eb;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    agent_facts_init(&f);
    err_init(&eb);
    f.branch = xstrdup("from-git");
    agent_facts_ci(&f, table_get, &t, &eb);
    assert_string_equal(eb.msg, "");
    assert_string_equal(f.ci_provider, "github");
    /* Issue 12 item 12: the pull request's head commit, not GITHUB_SHA
     * (GitHub's synthetic merge commit, which the job checked out). */
    assert_string_equal(f.commit_sha, "abc");
    assert_true(f.fork); /* someone/alpha-q into acme/alpha-q */
    assert_string_equal(f.branch, "feature-x");
    assert_string_equal(f.base_branch, "main");
    assert_int_equal(f.pr_number, 42);
    assert_string_equal(f.ci_url,
                        "https://github.com/acme/alpha-q/actions/runs/777");
    assert_string_equal(f.repository, "acme/alpha-q");
    assert_string_equal(f.ci_job, "bench");
    /* git's HEAD was the merge commit: kept as the checkout; its time and
     * message are not the head's ("abc" is no commit here: cleared). */
    f.commit_message = xstrdup("Merge abc into def");
    f.commit_time = 5;
    agent_facts_commit_settle(&f, "0123456789abcdef");
    assert_string_equal(f.checkout_sha, "0123456789abcdef");
    assert_null(f.commit_message);
    assert_true(f.commit_time == TIME_NONE);
    agent_facts_cleanup(&f);
    unlink(event);
    err_cleanup(&eb);
}

static void test_facts_gitlab(void **state)
{
    const char *kv[] = {"GITLAB_CI",
                        "true",
                        "CI_COMMIT_SHA",
                        "feedface",
                        "CI_COMMIT_REF_NAME",
                        "topic",
                        "CI_MERGE_REQUEST_IID",
                        "17",
                        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                        "develop",
                        "CI_JOB_URL",
                        "https://gitlab.example/j/9",
                        "CI_COMMIT_TIMESTAMP",
                        "2026-11-26T12:00:00+01:00",
                        NULL,
                        NULL,
                        NULL};
    struct env_table t = {kv};
    struct agent_facts f;
    struct errbuf eb;

    (void)state;
    agent_facts_init(&f);
    err_init(&eb);
    agent_facts_ci(&f, table_get, &t, &eb);
    assert_string_equal(f.ci_provider, "gitlab");
    assert_string_equal(f.commit_sha, "feedface");
    assert_false(f.fork);
    agent_facts_cleanup(&f);
    /* A merged results pipeline: CI_COMMIT_SHA is the merge; the merge
     * request's own head is CI_MERGE_REQUEST_SOURCE_BRANCH_SHA. */
    kv[14] = "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA";
    kv[15] = "c0ffee";
    agent_facts_init(&f);
    agent_facts_ci(&f, table_get, &t, &eb);
    assert_string_equal(f.commit_sha, "c0ffee");
    assert_string_equal(f.branch, "topic");
    assert_string_equal(f.base_branch, "develop");
    assert_int_equal(f.pr_number, 17);
    assert_string_equal(f.ci_url, "https://gitlab.example/j/9");
    assert_true(f.commit_time == 1795694400000LL - 3600000LL);
    agent_facts_cleanup(&f);
    err_cleanup(&eb);
}

static void test_facts_git(void **state)
{
    struct agent_facts f;
    struct errbuf eb;

    (void)state;
    agent_facts_init(&f);
    err_init(&eb);
    /* The tests run inside the repository's checkout. */
    if (chdir(TESTS_DIR) != 0)
        fail();
    assert_int_equal(agent_facts_git(&f, &eb), ERR_OK);
    if (!f.commit_sha) {
        print_message("no git checkout here: %s\n", eb.msg);
    } else {
        assert_int_equal(strlen(f.commit_sha), 40);
        assert_true(f.commit_time != TIME_NONE);
        assert_non_null(f.commit_author);
    }
    agent_facts_cleanup(&f);
    err_cleanup(&eb);
}

/* ---- comparison, budgets, comment --------------------------------------- */

static const char compare_answer[] =
    "{\"base\":\"branch:main\",\"head\":\"7\","
    "\"summary\":{\"regressed\":2,\"improved\":1,\"unchanged\":57,"
    "\"inconclusive\":3},"
    "\"rows\":["
    "{\"benchmark\":\"test_sort_list\",\"measure\":\"latency\",\"unit\":\"s\","
    "\"base\":0.0012,\"head\":0.00145,\"change\":0.208,"
    "\"change_ci\":[0.15,0.26],\"p_value\":0.0004,\"verdict\":\"regressed\"},"
    "{\"benchmark\":\"a|b_<i>\",\"measure\":\"peak_rss\",\"unit\":\"B\","
    "\"base\":{\"value\":1048576},\"head\":{\"value\":2097152},"
    "\"change\":1.0,\"p_value\":0.01,\"verdict\":\"regressed\"},"
    "{\"benchmark\":\"x\",\"measure\":\"throughput\",\"verdict\":"
    "\"improved\",\"change\":0.1},"
    "{\"benchmark\":\"y\",\"measure\":\"latency\",\"verdict\":"
    "\"inconclusive\",\"reason\":\"+9% against the median of 6 runs\","
    "\"needs_confirmation\":true},"
    "{\"benchmark\":\"z\",\"measure\":\"latency\",\"verdict\":"
    "\"inconclusive\",\"reason\":\"more runs would confirm nothing\"}],"
    "\"budgets\":[{\"benchmark\":\"resources\",\"measure\":\"peak_rss\","
    "\"status\":\"broken\",\"value\":3,\"threshold\":2},"
    "{\"benchmark\":\"*\",\"measure\":\"latency\",\"ok\":true}],"
    "\"recommendations\":[\"Confirm test_sort_list\",{\"text\":\"noisy\"}]}";

static void test_compare_and_comment(void **state)
{
    struct ingest_compare c;
    struct errbuf eb;
    struct buf line, md;
    struct agent_report rep = {0};
    int64_t heads[] = {7, 8};

    (void)state;
    err_init(&eb);
    assert_int_equal(ingest_compare_parse(compare_answer,
                                          sizeof compare_answer - 1, &c, &eb),
                     ERR_OK);
    assert_int_equal(c.nrows, 5);
    assert_int_equal(c.regressed, 2);
    assert_true(c.rows[1].base == 1048576 && c.rows[1].head == 2097152);
    assert_true(c.rows[0].change_lo == 0.15);
    assert_true(isnan(c.rows[2].p_value));
    assert_true(c.rows[3].needs_confirmation);
    assert_false(c.rows[0].needs_confirmation);
    /* the field says it, never the words of a reason */
    assert_false(c.rows[4].needs_confirmation);
    assert_int_equal(c.nbudgets, 2);
    assert_true(c.budgets[0].broken);
    assert_false(c.budgets[1].broken);
    assert_int_equal(c.nrecommendations, 2);
    assert_true(agent_compare_wants_confirmation(&c));
    buf_init(&line, 0);
    agent_verdict_line(&c, &line);
    assert_string_equal(buf_str(&line), "2 regressions, 1 improvement, 57 "
                                        "unchanged, 3 inconclusive");
    buf_init(&md, 0);
    rep.project = "alpha-q";
    rep.base = "branch:main";
    rep.server = "http://bv.example/";
    rep.heads = heads;
    rep.nheads = 2;
    rep.cmp = &c;
    rep.confirmed = true;
    /* Without the server's Markdown: the verdict line of its own, this
     * job's runs, the marker last. */
    agent_comment_markdown(&rep, &md);
    print_message("%s", buf_str(&md));
    assert_int_equal(strncmp(buf_str(&md),
                             "### benchvault: 2 regressions, 1 improvement, 57 "
                             "unchanged, 3 inconclusive\n",
                             70),
                     0);
    assert_non_null(
        strstr(buf_str(&md), "(http://bv.example/p/alpha-q/runs/8)"));
    assert_non_null(strstr(buf_str(&md), "pooled to confirm (2 runs)"));
    assert_true(strlen(buf_str(&md)) > strlen(AGENT_COMMENT_MARKER "\n"));
    assert_string_equal(buf_str(&md) + md.len -
                            strlen(AGENT_COMMENT_MARKER "\n"),
                        AGENT_COMMENT_MARKER "\n");
    /* With it: the server's comment first, its marker moved to the end,
     * once; a hostile project name stays text. */
    buf_reset(&md);
    rep.project = "a|b_<i>";
#define SERVER_PART                                                            \
    "### benchvault: 1 regression, 0 improvements, 3 unchanged, 0 "            \
    "inconclusive\n\n| row |\n"
    rep.server_md = SERVER_PART "\n" AGENT_COMMENT_MARKER "\n";
    agent_comment_markdown(&rep, &md);
    print_message("%s", buf_str(&md));
    assert_int_equal(strncmp(buf_str(&md), SERVER_PART, strlen(SERVER_PART)),
                     0);
    assert_non_null(strstr(buf_str(&md), "| row |\n\n#### This job"));
    assert_non_null(strstr(buf_str(&md), "Project a\\|b\\_&lt;i&gt;"));
    assert_null(strstr(buf_str(&md), "<i>"));
    assert_ptr_equal(strstr(buf_str(&md), AGENT_COMMENT_MARKER),
                     buf_str(&md) + md.len - strlen(AGENT_COMMENT_MARKER "\n"));
    ingest_compare_cleanup(&c);
    /* Not a compare answer. */
    assert_int_equal(ingest_compare_parse("[]", 2, &c, &eb), ERR_INVALID);
    ingest_compare_cleanup(&c);
    assert_int_equal(ingest_compare_parse("{", 1, &c, &eb), ERR_MALFORMED);
    ingest_compare_cleanup(&c);
    buf_cleanup(&line);
    buf_cleanup(&md);
    err_cleanup(&eb);
}

static void add_value(struct run *r, const char *key, const char *measure,
                      const char *unit, double v)
{
    struct result *res = run_result_add(r);

    res->benchmark = xstrdup(key);
    res->key = xstrdup(key);
    res->params = xstrdup("{}");
    res->measure = xstrdup(measure);
    res->unit = xstrdup(unit);
    res->value = v;
}

static void test_budgets(void **state)
{
    static const char rules[] =
        "{\"budgets\":["
        "{\"benchmark\":\"test_*\",\"measure\":\"latency\",\"max\":10,"
        "\"unit\":\"ms\"},"
        "{\"benchmark\":\"resources\",\"measure\":\"peak_rss\",\"max\":1,"
        "\"unit\":\"MiB\"},"
        "{\"measure\":\"throughput\",\"min\":100}]}";
    static const char bad[] =
        "[{\"measure\":\"x\",\"max\":1,\"min\":0,\"unit\":\"parsec\"}]";
    struct ingest_budget *b = NULL;
    size_t nb = 0, nc = 0;
    struct agent_budget_check *c = NULL;
    struct errbuf eb;
    struct run runs[3];

    (void)state;
    err_init(&eb);
    assert_int_equal(
        ingest_budgets_parse(rules, sizeof rules - 1, &b, &nb, &eb), ERR_OK);
    assert_int_equal(nb, 3);
    assert_true(b[0].threshold == 0.01 && b[0].is_max);
    assert_string_equal(b[0].unit, "s");
    assert_string_equal(b[2].benchmark_glob, "*");
    for (int i = 0; i < 3; i++) {
        run_init(&runs[i]);
        /* One noisy run out of three: the median stays under budget. */
        add_value(&runs[i], "test_sort", "latency", "s", i == 0 ? 0.02 : 0.005);
        add_value(&runs[i], "resources", "peak_rss", "B", 2.0 * 1048576);
        add_value(&runs[i], "other", "throughput", "1/s", 50);
    }
    agent_budgets_check(b, nb, runs, 3, &c, &nc);
    assert_int_equal(nc, 3);
    assert_false(c[0].broken);
    assert_true(c[0].value == 0.005);
    assert_true(c[1].broken);
    assert_true(c[2].broken);
    agent_budget_checks_free(c, nc);
    agent_budgets_check(b, nb, runs, 1, &c, &nc);
    assert_true(c[0].broken); /* the noisy run alone breaks it */
    agent_budget_checks_free(c, nc);
    for (int i = 0; i < 3; i++)
        run_cleanup(&runs[i]);
    ingest_budgets_free(b, nb);
    /* A person's file is checked strictly, with pointers. */
    assert_int_equal(ingest_budgets_parse(bad, sizeof bad - 1, &b, &nb, &eb),
                     ERR_INVALID);
    assert_null(b);
    assert_true(eb.nitems >= 2);
    assert_string_equal(eb.items[0].pointer, "/0/unit");
    err_cleanup(&eb);
}

static void test_github_list_and_escape(void **state)
{
    static const char list[] =
        "[{\"id\":11,\"body\":\"LGTM\"},"
        "{\"id\":12,\"body\":\"### benchvault: ...\\n<!-- benchvault-comment "
        "-->\\n\"},{\"id\":13,\"body\":null}]";
    int64_t id;
    size_t count;

    (void)state;
    assert_int_equal(ingest_gh_comment_find(list, sizeof list - 1,
                                            AGENT_COMMENT_MARKER, &id, &count),
                     ERR_OK);
    assert_int_equal(id, 12);
    assert_int_equal(count, 3);
    assert_int_equal(
        ingest_gh_comment_find("[]", 2, AGENT_COMMENT_MARKER, &id, &count),
        ERR_OK);
    assert_int_equal(id, 0);
    assert_int_equal(
        ingest_gh_comment_find("{}", 2, AGENT_COMMENT_MARKER, &id, &count),
        ERR_INVALID);
}

static void test_json_set_and_event(void **state)
{
    const char *push = "{\"ref\":\"refs/heads/main\"}";
    const char *answer = "{\"run_id\":5,\"results\":1}";
    char *out = NULL;
    int64_t pr;
    struct errbuf eb;

    (void)state;
    err_init(&eb);
    assert_int_equal(ingest_json_set("{\"b\":1}", "a", "\"x\"", &out), ERR_OK);
    assert_string_equal(out, "{\"a\":\"x\",\"b\":1}");
    free(out);
    assert_int_equal(ingest_json_set(NULL, "k", "{\"z\":[1,2]}", &out), ERR_OK);
    assert_string_equal(out, "{\"k\":{\"z\":[1,2]}}");
    free(out);
    assert_int_equal(ingest_json_set("[]", "k", "1", &out), ERR_INVALID);
    assert_null(out);
    assert_int_equal(ingest_ci_event_pr(push, strlen(push), &pr, &eb), ERR_OK);
    assert_int_equal(pr, 0);
    assert_int_equal(ingest_answer_run_id(answer, strlen(answer), &pr), ERR_OK);
    assert_int_equal(pr, 5);
    err_cleanup(&eb);
}

/* ---- spool -------------------------------------------------------------- */

static void test_spool_unreachable_keeps_runs(void **state)
{
    char dir[] = "/tmp/bv-agent-spool-XXXXXX";
    const char *body = "{\"format\":\"benchvault/v1\",\"project\":\"p\","
                       "\"results\":[{\"benchmark\":\"b\",\"measures\":"
                       "{\"latency\":1}}]}";
    struct agent_http h = {0};
    struct agent_spool_report rep;
    struct errbuf eb;
    char *path = NULL, *spool, key[AGENT_KEY_LEN], *want;
    struct stat st;

    (void)state;
    err_init(&eb);
    assert_non_null(mkdtemp(dir));
    spool = xasprintf("%s/nested/spool", dir);
    assert_int_equal(agent_spool_write(spool, body, strlen(body), &path, &eb),
                     ERR_OK);
    agent_idempotency_key(body, strlen(body), key);
    want = xasprintf("%s/%s.json", spool, key);
    assert_string_equal(path, want);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, (off_t)strlen(body));
    /* Port 9 on loopback: nothing listens (connection refused). */
    h.server = "http://127.0.0.1:9";
    h.retries = 1;
    h.backoff_ms = 10;
    h.timeout_ms = 2000;
    assert_int_equal(agent_spool_deliver(spool, &h, &rep, &eb), ERR_OK);
    assert_true(rep.unreachable);
    assert_int_equal(rep.delivered, 0);
    assert_int_equal(rep.left, 1);
    assert_int_equal(stat(path, &st), 0);
    /* A missing spool is an empty one. */
    assert_int_equal(
        agent_spool_deliver("/nonexistent/bv-spool", &h, &rep, &eb), ERR_OK);
    assert_int_equal(rep.left, 0);
    unlink(path);
    free(path);
    free(want);
    path = xasprintf("%s/.lock", spool);
    unlink(path);
    free(path);
    rmdir(spool);
    free(spool);
    spool = xasprintf("%s/nested", dir);
    rmdir(spool);
    free(spool);
    rmdir(dir);
    err_cleanup(&eb);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_burner),
        cmocka_unit_test(test_memory_grower),
        cmocka_unit_test(test_file_writer),
        cmocka_unit_test(test_forker),
        cmocka_unit_test(test_orphan_stays_in_tree),
        cmocka_unit_test(test_exiting_children_counted_once),
        cmocka_unit_test(test_exec_failures),
        cmocka_unit_test(test_capture_stdout),
        cmocka_unit_test(test_nvml_double),
        cmocka_unit_test(test_testbed),
        cmocka_unit_test(test_run_json_round_trip),
        cmocka_unit_test(test_summary_results_and_key),
        cmocka_unit_test(test_facts_github),
        cmocka_unit_test(test_facts_gitlab),
        cmocka_unit_test(test_facts_git),
        cmocka_unit_test(test_compare_and_comment),
        cmocka_unit_test(test_budgets),
        cmocka_unit_test(test_github_list_and_escape),
        cmocka_unit_test(test_json_set_and_event),
        cmocka_unit_test(test_spool_unreachable_keeps_runs),
    };
    int rc;

    if (argc > 1 && !strcmp(argv[1], "--child"))
        return child_main(argc - 2, argv + 2);
    agent_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    agent_cleanup();
    return rc;
}
