/*
 * Running the command: fork/exec, signal forwarding, the sampling loop.
 *
 * Design notes:
 *  1. The sampler's baseline is read before fork(), so the command is new
 *     to it and charged from its first instruction.  The agent makes itself
 *     a child subreaper (Linux prctl): a descendant whose parent exits is
 *     reparented to the agent instead of init, stays in the tree (the tree
 *     is "every descendant of the agent"), and is reaped here.
 *  2. An exec failure travels back through a close-on-exec pipe as errno,
 *     so "no such command" is the agent's input error, not a 127 exit.
 *  3. SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command with
 *     kill().  A signal the terminal sent to the whole foreground process
 *     group (si_code > 0: sent by the kernel) already reached the command,
 *     and is not sent twice (pytest reads a second Ctrl-C as "abort
 *     without a report").  The handler only calls kill() and write().
 *  4. The loop sleeps in poll() on a self-pipe written by the SIGCHLD
 *     handler and on the captured standard output, until the next tick.
 *     waitid(WNOWAIT) sees the command's exit without reaping it, so a last
 *     tick still reads the zombie's final CPU times; then it is reaped.
 *     Orphans adopted by the subreaper are reaped right after a tick, for
 *     the same reason.
 *  5. Ticks are on a fixed schedule from the start (no drift); a late tick
 *     uses its real elapsed time for CPU %.
 *  6. A command shorter than an interval is only seen as a zombie, whose RSS
 *     reads 0.  The command and the orphans are reaped with wait4(), whose
 *     ru_maxrss (the largest single process among them and what they reaped)
 *     is a floor for the peak RSS.
 *  7. Once the command is reaped (and the orphans that exited with it),
 *     the sampler settles: the summary's CPU time is then this process's
 *     getrusage(RUSAGE_CHILDREN) since the start (what /usr/bin/time
 *     reports) plus any descendant still running.
 *  8. --results - captures the command's standard output through a pipe;
 *     with tee_stdout every chunk is also written to the agent's own
 *     standard output as it arrives, so a CI log shows the command's
 *     output.  SIGPIPE is ignored meanwhile (a closed log must not kill
 *     the agent: the copy just stops), and the child gets the disposition
 *     back before exec.
 */
/* wait4() is not POSIX; glibc declares it under _DEFAULT_SOURCE (note 6). */
#define _DEFAULT_SOURCE
#include "agent/agent_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t g_child;     /* 0 outside agent_exec */
static volatile sig_atomic_t g_forwarded; /* last forwarded signal */
static volatile sig_atomic_t g_wake_fd = -1;

static const int forward_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NFORWARD (sizeof forward_signals / sizeof forward_signals[0])

static void on_forward(int sig, siginfo_t *si, void *ctx)
{
    int saved = errno;

    (void)ctx;
    /* Design note 3: kernel-sent (terminal) signals reached the child. */
    if (g_child > 0 && (!si || si->si_code <= 0)) {
        kill((pid_t)g_child, sig);
        g_forwarded = sig;
    }
    errno = saved;
}

static void on_child(int sig)
{
    int saved = errno;
    char c = 1;

    (void)sig;
    if (g_wake_fd >= 0)
        (void)!write(g_wake_fd, &c, 1);
    errno = saved;
}

static void set_flags(int fd, int fl, int fdfl)
{
    if (fl)
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | fl);
    if (fdfl)
        (void)fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | fdfl);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static struct resource_sample *sample_add(struct agent_exec_result *r,
                                          size_t *cap)
{
    if (r->nsamples == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        r->samples = xreallocarray(r->samples, *cap, sizeof *r->samples);
    }
    return &r->samples[r->nsamples++];
}

/* Writes all of p to fd (design note 8); false once it cannot. */
static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads what the command wrote so far; false at end of file.  *tee >= 0:
 * also copied there (set to -1 once that fails). */
static bool drain_stdout(int fd, struct agent_exec_result *r, size_t max,
                         int *tee)
{
    char chunk[65536];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);

        if (n > 0) {
            size_t room = max > r->out.len ? max - r->out.len : 0;
            size_t take = (size_t)n < room ? (size_t)n : room;

            if (*tee >= 0 && !write_all(*tee, chunk, (size_t)n))
                *tee = -1;
            if (take)
                (void)buf_add(&r->out, chunk, take);
            if (take < (size_t)n)
                r->out_truncated = true;
            continue;
        }
        if (n == 0)
            return false;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

/* Reaps zombies other than the command (orphans adopted by us); keeps
 * the largest ru_maxrss (KiB) in *maxrss. */
static void reap_orphans(pid_t main_child, long *maxrss)
{
    for (int k = 0; k < 64; k++) {
        siginfo_t si;
        struct rusage ru;

        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
            si.si_pid == 0 || si.si_pid == main_child)
            return;
        if (wait4(si.si_pid, NULL, WNOHANG, &ru) > 0 && ru.ru_maxrss > *maxrss)
            *maxrss = ru.ru_maxrss;
    }
}

static int64_t mono_ms(uint64_t t0)
{
    return (int64_t)((time_mono_ns() - t0) / 1000000u);
}

void agent_exec_result_cleanup(struct agent_exec_result *r)
{
    if (!r)
        return;
    free(r->samples);
    buf_cleanup(&r->out);
    memset(r, 0, sizeof *r);
    buf_init(&r->out, 0);
}

enum err agent_exec(const struct agent_exec_opts *o,
                    struct agent_exec_result *out, struct errbuf *eb)
{
    struct agent_sampler_opts so = {0};
    struct agent_sampler *smp = NULL;
    struct sigaction sa, old[NFORWARD], old_chld, old_pipe;
    int errpipe[2] = {-1, -1}, outpipe[2] = {-1, -1}, wake[2] = {-1, -1};
    int interval = o->interval_ms < 10 ? 10 : o->interval_ms, status = 0,
        child_errno = 0;
    size_t cap = 0, max_out = o->max_stdout ? o->max_stdout : (16u << 20);
    bool handlers = false, out_open;
    uint64_t t0;
    int64_t next;
    long maxrss = 0;
    pid_t pid = -1;
    int tee = o->capture_stdout && o->tee_stdout ? STDOUT_FILENO : -1;
    enum err e = ERR_OK;

    memset(out, 0, sizeof *out);
    buf_init(&out->out, 0);
    out->exit_code = -1;
    if (!o->argv || !o->argv[0]) {
        err_set(eb, "no command to run");
        return ERR_INVALID;
    }
    /* Design note 1: orphans come to us and stay in the tree. */
    so.root_reaps = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
    so.root = getpid();
    so.include_root = false;
    so.gpu = o->gpu;
    so.nvml_path = o->nvml_path;
    e = agent_sampler_create(&so, &smp, eb);
    if (e)
        return e;
    if (pipe(errpipe) || pipe(wake) || (o->capture_stdout && pipe(outpipe))) {
        err_set(eb, "pipe: %s", strerror(errno));
        e = ERR_IO;
        goto out;
    }
    set_flags(errpipe[0], 0, FD_CLOEXEC);
    set_flags(errpipe[1], 0, FD_CLOEXEC);
    set_flags(wake[0], O_NONBLOCK, FD_CLOEXEC);
    set_flags(wake[1], O_NONBLOCK, FD_CLOEXEC);
    if (outpipe[0] >= 0) {
        set_flags(outpipe[0], O_NONBLOCK, FD_CLOEXEC);
        set_flags(outpipe[1], 0, FD_CLOEXEC); /* dup2 clears it on 1 */
    }

    g_wake_fd = wake[1];
    g_forwarded = 0;
    g_child = 0;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    for (size_t i = 0; i < NFORWARD; i++)
        sigaction(forward_signals[i], &sa, &old[i]);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, &old_chld);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe); /* design note 8 */
    handlers = true;
    fflush(stdout); /* our lines before the command's (note 8) */

    t0 = time_mono_ns();
    out->started_at = time_now_ms();
    pid = fork();
    if (pid < 0) {
        err_set(eb, "fork: %s", strerror(errno));
        e = ERR_IO;
        goto out;
    }
    if (pid == 0) {
        int err;

        /* Only async-signal-safe calls until exec; _exit() (not exit()):
         * a child that could not exec must not return into the agent. */
        if (outpipe[1] >= 0 && dup2(outpipe[1], STDOUT_FILENO) < 0)
            _exit(127);
        sigaction(SIGPIPE, &old_pipe, NULL);
        execvp(o->argv[0], o->argv);
        err = errno;
        (void)!write(errpipe[1], &err, sizeof err);
        _exit(127);
    }
    g_child = pid;
    close_fd(&errpipe[1]);
    close_fd(&outpipe[1]);
    /* Design note 2: EOF means exec succeeded. */
    {
        ssize_t n;

        do
            n = read(errpipe[0], &child_errno, sizeof child_errno);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof child_errno) {
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            err_set(eb, "cannot run %s: %s", o->argv[0], strerror(child_errno));
            e = ERR_NOT_FOUND;
            pid = -1;
            goto out;
        }
    }
    out_open = outpipe[0] >= 0;
    next = interval;
    for (;;) {
        struct pollfd pf[2];
        nfds_t npf = 1;
        int64_t now = mono_ms(t0);
        int timeout = next > now ? (int)(next - now) : 0;
        siginfo_t si;
        bool exited;
        char drain[64];

        pf[0].fd = wake[0];
        pf[0].events = POLLIN;
        if (out_open) {
            pf[1].fd = outpipe[0];
            pf[1].events = POLLIN;
            npf = 2;
        }
        (void)poll(pf, npf, timeout);
        while (read(wake[0], drain, sizeof drain) > 0)
            ;
        if (out_open && !drain_stdout(outpipe[0], out, max_out, &tee)) {
            out_open = false;
        }
        memset(&si, 0, sizeof si);
        exited =
            waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid == pid;
        now = mono_ms(t0);
        if (exited || now >= next) {
            agent_sampler_tick(smp, now, sample_add(out, &cap));
            next += interval;
            if (next <= now)
                next = now + interval;
            reap_orphans(pid, &maxrss);
        }
        if (exited)
            break;
    }
    out->finished_at = time_now_ms();
    g_child = 0;
    {
        struct rusage ru;

        memset(&ru, 0, sizeof ru);
        while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
            ;
        if (ru.ru_maxrss > maxrss)
            maxrss = ru.ru_maxrss;
    }
    pid = -1;
    /* Design note 7: the final CPU time from what we reaped. */
    reap_orphans(-1, &maxrss);
    if (WIFEXITED(status)) {
        out->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        out->term_signal = WTERMSIG(status);
    }
    if (outpipe[0] >= 0)
        (void)drain_stdout(outpipe[0], out, max_out, &tee);
    out->forwarded = g_forwarded;
    agent_sampler_settle(smp);
    agent_sampler_summary(smp, &out->summary);
    /* Design note 6: Linux reports ru_maxrss in KiB. */
    if (isnan(out->summary.rss_peak_bytes) ||
        (double)maxrss * 1024.0 > out->summary.rss_peak_bytes)
        out->summary.rss_peak_bytes = (double)maxrss * 1024.0;
out:
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    g_child = 0;
    if (handlers) {
        for (size_t i = 0; i < NFORWARD; i++)
            sigaction(forward_signals[i], &old[i], NULL);
        sigaction(SIGCHLD, &old_chld, NULL);
        sigaction(SIGPIPE, &old_pipe, NULL);
    }
    g_wake_fd = -1;
    close_fd(&errpipe[0]);
    close_fd(&errpipe[1]);
    close_fd(&outpipe[0]);
    close_fd(&outpipe[1]);
    close_fd(&wake[0]);
    close_fd(&wake[1]);
    agent_sampler_free(smp);
    return e;
}
