/*
 * bench_agent: what the agent's sampler itself costs.
 *
 * Starts a process tree (by default 20 processes: 2 of them with 4 threads
 * each, all mostly asleep and waking every 50 ms to do a little work, as
 * benchmark workers between iterations do), samples it every --interval-ms
 * for --seconds with agent_sampler_tick, and reports the sampler's own CPU
 * time (getrusage(RUSAGE_SELF): this process does nothing else; the tree's
 * processes are separate) as a percentage of one core, with the cost of
 * one tick.  The target: under 1% of one core at 100 ms.
 *
 * The cost depends on the tree (what is read per member) and on the number
 * of processes on the machine (the /proc listing), so both are printed.
 *
 * Usage: bench_agent [--seconds 10] [--procs 20] [--interval-ms 100]
 *                    [--json FILE]
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void *thread_work(void *arg)
{
    volatile unsigned long x = 0;

    (void)arg;
    for (;;) {
        for (int i = 0; i < 20000; i++)
            x += (unsigned long)i;
        nap_ms(50);
    }
    return NULL;
}

/* A tree member: optionally threads, then a little work every 50 ms. */
static void member(int threads)
{
    pthread_t t;

    for (int i = 1; i < threads; i++)
        pthread_create(&t, NULL, thread_work, NULL);
    thread_work(NULL);
}

static double cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static size_t count_procs(void)
{
    struct agent_sampler_opts o = {0};
    struct agent_sampler *s = NULL;
    struct resource_sample rs;
    size_t n;

    /* The whole machine: the tree under init (PID 1). */
    o.root = 1;
    o.include_root = true;
    if (agent_sampler_create(&o, &s, NULL))
        return 0;
    agent_sampler_tick(s, 1, &rs);
    n = agent_sampler_nprocs(s);
    agent_sampler_free(s);
    return n;
}

int main(int argc, char **argv)
{
    long seconds = 10, procs = 20, interval = 100;
    const char *json = NULL;
    pid_t root;
    struct agent_sampler_opts o = {0};
    struct agent_sampler *s = NULL;
    struct resource_sample rs;
    struct agent_summary sum;
    uint64_t t0, next;
    double c0, c1, wall, pct;
    long ticks = 0;
    int rc = 0;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--procs"))
            procs = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--interval-ms"))
            interval = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--json"))
            json = argv[i + 1];
    }
    if (seconds < 1 || procs < 1 || interval < 10) {
        fprintf(stderr, "usage: bench_agent [--seconds N] [--procs N] "
                        "[--interval-ms MS] [--json FILE]\n");
        return 2;
    }
    /* The tree: one root with procs - 1 children, in its own process
     * group so that one kill() ends it. */
    root = fork();
    if (root == 0) {
        setpgid(0, 0);
        for (long i = 1; i < procs; i++)
            if (fork() == 0)
                member(i <= 2 ? 4 : 1);
        member(1);
    }
    nap_ms(300); /* let the tree start */
    o.root = root;
    o.include_root = true;
    o.gpu = false;
    if (agent_sampler_create(&o, &s, NULL)) {
        fprintf(stderr, "bench_agent: cannot read /proc\n");
        kill(root, SIGKILL);
        return 1;
    }
    t0 = time_mono_ns();
    c0 = cpu_s();
    next = t0;
    while (time_mono_ns() - t0 < (uint64_t)seconds * 1000000000u) {
        uint64_t now;

        next += (uint64_t)interval * 1000000u;
        now = time_mono_ns();
        if (next > now)
            nap_ms((long)((next - now) / 1000000u));
        agent_sampler_tick(s, (int64_t)((time_mono_ns() - t0) / 1000000u), &rs);
        ticks++;
    }
    c1 = cpu_s();
    wall = (double)(time_mono_ns() - t0) / 1e9;
    agent_sampler_summary(s, &sum);
    pct = (c1 - c0) / wall * 100.0;
    printf("bench_agent: sampled a tree of %lld processes (%lld threads) "
           "every %ld ms for %.1f s among %zu processes on the machine: "
           "%ld ticks, sampler CPU %.3f s = %.3f%% of one core "
           "(%.0f us per tick); target < 1%%: %s\n",
           (long long)sum.procs_max, (long long)sum.threads_max, interval, wall,
           count_procs(), ticks, c1 - c0, pct, (c1 - c0) / (double)ticks * 1e6,
           pct < 1.0 ? "met" : "MISSED");
    if (json) {
        FILE *f = fopen(json, "w");
        bool bad = !f;

        if (f) {
            bad = fprintf(f,
                          "{\"tree_processes\":%lld,\"tree_threads\":%lld,"
                          "\"interval_ms\":%ld,\"seconds\":%.3f,\"ticks\":%ld,"
                          "\"sampler_cpu_s\":%.6f,\"pct_of_one_core\":%.4f,"
                          "\"us_per_tick\":%.1f}\n",
                          (long long)sum.procs_max, (long long)sum.threads_max,
                          interval, wall, ticks, c1 - c0, pct,
                          (c1 - c0) / (double)ticks * 1e6) < 0;
            bad = fclose(f) != 0 || bad; /* closed once, even if it fails */
        }
        if (bad) {
            fprintf(stderr, "bench_agent: cannot write %s\n", json);
            rc = 1;
        }
    }
    if (sum.procs_max != procs) {
        fprintf(stderr,
                "bench_agent: expected %ld processes in the tree, "
                "saw %lld\n",
                procs, (long long)sum.procs_max);
        rc = 1;
    }
    agent_sampler_free(s);
    kill(-root, SIGKILL);
    kill(root, SIGKILL);
    waitpid(root, NULL, 0);
    return rc;
}
