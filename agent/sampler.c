/*
 * The process-tree sampler: what a command and every descendant cost, read
 * from /proc at each tick.
 *
 * Design notes:
 *  1. Membership.  Each tick lists /proc and merges the listing with the
 *     table of processes seen before (both sorted by PID).  A process seen
 *     for the first time reads /proc/PID/stat for its parent; it is in the
 *     tree when its parent is the root or in the tree (new processes are
 *     resolved in passes, so a child born with its parent in one interval
 *     is found).  The decision is kept: a process outside the tree cannot
 *     enter it later (reparenting moves a process up, to init or to a
 *     subreaper), so outsiders are never read again; PID reuse shows as a
 *     changed start time, and an outsider's PID cannot be freed and reused
 *     between two listings without vanishing from one of them except when
 *     the whole PID space wraps within an interval.  This keeps a tick's
 *     cost proportional to the tree, plus one directory listing.
 *  2. Counters are cumulative and charged from the baseline: a process seen
 *     at agent_sampler_create starts from what it had then, a later one
 *     from zero.  CPU is counted so that a process that exits is counted
 *     exactly once, however it ends: the tree's CPU is the sum over live
 *     members of their own time plus the time of the children they
 *     reaped (cutime + cstime, cumulative: a reaped child's reaped
 *     children are in it), plus what the root reaped (the root's
 *     children's time: getrusage(RUSAGE_CHILDREN) when the root is this
 *     process).  A child that exits leaves the sum as its parent's
 *     cutime takes it in, at the same read, so nothing is lost at the
 *     last tick and nothing is added late.  This holds when every member
 *     is reaped by a member or by the root: the root is a child subreaper
 *     (opts.root_reaps).  Otherwise a member whose parent is outside the
 *     tree keeps its last-seen time, as other counters do.  Known limit:
 *     a parent that ignores SIGCHLD has its children reaped by the kernel,
 *     which adds them to no cutime: their CPU after the last tick is lost.
 *  2a. Reads race with exits.  Members are read in PID order, so a parent
 *     (older, lower PID, except after the PID space wraps) is read before
 *     its children: a child read after its parent is not in the parent's
 *     cutime yet.  A child whose read fails (reaped after the listing) may
 *     or may not be in the parent's cutime already, so its parent (or the
 *     root) is read again after the failure, when it certainly is, and
 *     the child counts zero.  Own time is the kernel's exact CPU clock of
 *     the process (clock_gettime on clock_getcpuclockid, nanoseconds, dead
 *     threads included), read before the stat file, so a reused PID is
 *     caught by the stat read; cutime comes from /proc/PID/stat in clock
 *     ticks, good to two ticks (20 ms) per reaping parent.
 *  3. I/O: when a parent reaps a child, the kernel adds the child's I/O to
 *     the parent's /proc/PID/io.  So a gone member whose parent is a live
 *     member is not added to the gone totals (the parent now carries it);
 *     its pre-baseline part is taken back.  Storage-layer bytes
 *     (read_bytes, write_bytes) are used: what reached the disk, not what
 *     went through read(2) from the page cache.
 *  4. Context switches are per thread in Linux (/proc/PID/status shows the
 *     thread-group leader's only), so a multi-threaded member's threads are
 *     read one by one under /proc/PID/task (at most SAMPLER_MAX_THREADS),
 *     and exited threads keep their counts like exited processes.  status
 *     is the dearest file to generate, and the switches are only a total,
 *     so a known member's are read every SAMPLER_CTX_EVERY_MS (a new
 *     member's at once): what a process switched in its last half second
 *     before exiting is not counted.  This halves the sampler's cost.
 *  5. RSS is summed over members; pages shared between forked workers are
 *     counted in each (PSS from smaps_rollup would be exact, but costs a
 *     page-table walk per process per tick).
 *  6. A member's stat and io files stay open (close-on-exec) and are re-read
 *     with pread() at offset 0, which regenerates them: open() and close()
 *     were half of a tick's cost.  An open /proc file keeps naming its
 *     process, so a reused PID cannot be misread through it (pread fails
 *     with ESRCH once the process is gone).  At most SAMPLER_MAX_FDS are
 *     kept; past that, files are opened per read.
 *  7. An interval shorter than SAMPLER_MIN_WINDOW_MS (the exit tick) is
 *     measured over the window from the tick before it: a reaping parent's
 *     cutime is good to 20 ms, which is large against a few milliseconds.
 *  8. A zombie (exited, not yet reaped) has no memory: its RSS reads 0.  A
 *     tick at which no member is alive records RSS as absent (NAN), not 0,
 *     so the series ends where the process ended.
 *  9. agent_sampler_settle, once the command and the orphans are reaped,
 *     sets the final CPU total from the root's reaped-children time (exact
 *     to the microsecond for this process) plus whatever still runs.
 */
#include "agent/agent_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SAMPLER_MAX_THREADS 256
#define SAMPLER_CTX_EVERY_MS 500
#define SAMPLER_MAX_FDS 512
#define SAMPLER_MIN_WINDOW_MS 50

struct thr {
    pid_t tid;
    double ctx;
};

struct proc {
    pid_t pid, ppid;
    unsigned long long start; /* clock ticks after boot: PID-reuse check */
    bool member;
    bool fresh;    /* first seen at this tick */
    bool resolved; /* membership decided */
    bool zombie;   /* exited, not reaped (note 8) */
    bool lost;     /* its read failed this tick (note 2a) */
    bool carried;  /* lost, and in a reaper's cutime by now */
    bool reread;   /* read again after a child was lost */
    bool has_clk;  /* clk is its CPU clock */
    clockid_t clk;
    double cpu, cpu0;        /* own user + system, seconds; 0 = baseline */
    double cut, cut0;        /* its reaped children's, seconds (note 2) */
    double rd, wr, rd0, wr0; /* storage bytes */
    double ctx, ctx0, ctx_gone;
    struct thr *thr; /* owns */
    size_t nthr;
    int stat_fd, io_fd; /* owns; -1 = not kept open (note 6) */
    double rss;         /* bytes */
    int64_t threads;
};

struct agent_sampler {
    struct agent_sampler_opts o;
    struct proc *procs, *next, *gone; /* owns each */
    size_t nprocs, cap, nnext, ngone;
    pid_t *list; /* owns; this tick's listing */
    size_t nlist, caplist;
    pid_t *members; /* owns; sorted, for NVML */
    size_t capmembers;
    double gone_cpu, gone_rd, gone_wr, gone_ctx;
    double root_cut, root_cut0; /* the root's reaped children, seconds */
    double hz, page;
    double last_cpu, prev_cpu; /* at the last two ticks */
    int64_t last_t, prev_t;
    bool baseline; /* the create-time read */
    bool settling; /* agent_sampler_settle's read */
    bool ctx_now;  /* this tick reads switches */
    int64_t ctx_last_t;
    size_t nmembers;
    /* summary */
    double cpu_max, rss_peak, gpu_util_sum, gpu_util_max, gpu_mem_peak;
    double rd_total, wr_total, ctx_total, cpu_total; /* cpu: seconds */
    int64_t threads_max, procs_max;
    size_t nsamples, ngpu;
    bool gpu_util_pp, gpu_mem_pp;
    size_t nfds; /* kept-open files */
    struct agent_gpu *gpu;
    char buf[4096];
};

static void fd_close(struct agent_sampler *s, int *fd)
{
    if (*fd < 0)
        return;
    close(*fd);
    *fd = -1;
    s->nfds--;
}

static void proc_release(struct agent_sampler *s, struct proc *p)
{
    fd_close(s, &p->stat_fd);
    fd_close(s, &p->io_fd);
    free(p->thr);
    p->thr = NULL;
    p->nthr = 0;
}

/*
 * Reads a small /proc file into s->buf; its length, or -1.  With keep, the
 * file is read through *keep (opened and kept if there is room; note 6).
 */
static ssize_t slurp_keep(struct agent_sampler *s, const char *path, int *keep)
{
    int fd = keep ? *keep : -1;
    bool cached = fd >= 0;
    ssize_t n;

    if (!cached) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
    }
    do
        n = pread(fd, s->buf, sizeof s->buf - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (cached)
            fd_close(s, keep);
        else
            close(fd);
        return -1;
    }
    if (!cached) {
        if (keep && s->nfds < SAMPLER_MAX_FDS) {
            *keep = fd;
            s->nfds++;
        } else {
            close(fd);
        }
    }
    s->buf[n] = '\0';
    return n;
}

static ssize_t slurp(struct agent_sampler *s, const char *path)
{
    return slurp_keep(s, path, NULL);
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

    return (x > y) - (x < y);
}

static bool all_digits(const char *p)
{
    if (!*p)
        return false;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* This tick's PIDs, sorted.  False when /proc cannot be listed. */
static bool list_pids(struct agent_sampler *s)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    bool sorted = true;

    s->nlist = 0;
    if (!d)
        return false;
    while ((de = readdir(d)) != NULL) {
        long v;

        if (!all_digits(de->d_name))
            continue;
        v = strtol(de->d_name, NULL, 10);
        if (s->nlist == s->caplist) {
            s->caplist = s->caplist ? s->caplist * 2 : 512;
            s->list = xreallocarray(s->list, s->caplist, sizeof *s->list);
        }
        if (s->nlist && s->list[s->nlist - 1] > (pid_t)v)
            sorted = false;
        s->list[s->nlist++] = (pid_t)v;
    }
    closedir(d);
    if (!sorted)
        qsort(s->list, s->nlist, sizeof *s->list, cmp_pid);
    return true;
}

/* Field k (0 = state) after the ")" that closes comm; NULL if short. */
static const char *stat_field(const char *after, int k)
{
    const char *p = after;

    for (int i = 0; i < k; i++) {
        p = strchr(p, ' ');
        if (!p)
            return NULL;
        p++;
    }
    return p;
}

/* The process's own CPU time in seconds from its CPU clock (note 2a);
 * -1 when there is none (then the stat file's ticks stand in). */
static double clock_cpu(struct proc *p)
{
    struct timespec ts;

    if (!p->has_clk) {
        if (clock_getcpuclockid(p->pid, &p->clk) != 0)
            return -1;
        p->has_clk = true;
    }
    if (clock_gettime(p->clk, &ts) != 0)
        return -1;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads /proc/PID/stat (and the CPU clock) into p.  False when the
 * process is gone. */
static bool read_stat(struct agent_sampler *s, struct proc *p)
{
    char path[64];
    const char *after, *f;
    double own = clock_cpu(p); /* first: the stat read then vouches */

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)p->pid);
    if (slurp_keep(s, path, &p->stat_fd) < 0)
        return false;
    /* comm may hold spaces and parentheses: the last ')' ends it. */
    after = strrchr(s->buf, ')');
    if (!after || after[1] != ' ')
        return false;
    after += 2;
    p->zombie = after[0] == 'Z' || after[0] == 'X';
    if (!(f = stat_field(after, 1)))
        return false;
    p->ppid = (pid_t)strtol(f, NULL, 10);
    if (!(f = stat_field(after, 11)))
        return false;
    {
        char *end;
        double ut = (double)strtoull(f, &end, 10);
        double st = (double)strtoull(end, &end, 10);
        double cut = (double)strtoull(end, &end, 10);
        double cst = (double)strtoull(end, NULL, 10);

        if (own < 0)
            own = (ut + st) / s->hz;
        /* The kernel keeps these monotonic; a tick-based fallback read
         * after a clock read must not go back (note 2). */
        if (own > p->cpu)
            p->cpu = own;
        if ((cut + cst) / s->hz > p->cut)
            p->cut = (cut + cst) / s->hz;
    }
    if (!(f = stat_field(after, 17)))
        return false;
    p->threads = strtoll(f, NULL, 10);
    if (!(f = stat_field(after, 19)))
        return false;
    p->start = strtoull(f, NULL, 10);
    if (!(f = stat_field(after, 21)))
        return false;
    p->rss = (double)strtoll(f, NULL, 10) * s->page;
    if (p->rss < 0)
        p->rss = 0;
    return true;
}

static double field_after(const char *text, const char *label)
{
    const char *p = strstr(text, label);

    return p ? (double)strtoull(p + strlen(label), NULL, 10) : -1;
}

static void read_io(struct agent_sampler *s, struct proc *p)
{
    char path[64];
    double r, w;

    snprintf(path, sizeof path, "/proc/%ld/io", (long)p->pid);
    if (slurp_keep(s, path, &p->io_fd) < 0)
        return; /* a zombie, or no permission: keep the last values */
    /* The newline keeps "cancelled_write_bytes" from matching. */
    r = field_after(s->buf, "\nread_bytes: ");
    w = field_after(s->buf, "\nwrite_bytes: ");
    if (r > p->rd)
        p->rd = r;
    if (w > p->wr)
        p->wr = w;
}

/* One thread's voluntary + involuntary switches; -1 if unreadable. */
static double thread_ctx(struct agent_sampler *s, const char *path)
{
    double v, nv;

    if (slurp(s, path) < 0)
        return -1;
    /* The newline keeps "nonvoluntary_..." from matching the first. */
    v = field_after(s->buf, "\nvoluntary_ctxt_switches:");
    nv = field_after(s->buf, "\nnonvoluntary_ctxt_switches:");
    if (v < 0 || nv < 0)
        return -1;
    return v + nv;
}

static const struct thr *thr_find(const struct thr *t, size_t n, pid_t tid)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].tid == tid)
            return &t[i];
    return NULL;
}

/* Context switches of every thread of p (design note 4). */
static void read_ctx(struct agent_sampler *s, struct proc *p)
{
    struct thr *now = NULL;
    size_t n = 0;
    char path[320];
    double total;

    if (p->threads <= 1) {
        double c;

        snprintf(path, sizeof path, "/proc/%ld/status", (long)p->pid);
        c = thread_ctx(s, path);
        if (c >= 0) {
            now = xmalloc(sizeof *now);
            now[0].tid = p->pid;
            now[0].ctx = c;
            n = 1;
        }
    } else {
        DIR *d;
        struct dirent *de;

        snprintf(path, sizeof path, "/proc/%ld/task", (long)p->pid);
        d = opendir(path);
        now = xcalloc(SAMPLER_MAX_THREADS, sizeof *now);
        while (d && (de = readdir(d)) != NULL && n < SAMPLER_MAX_THREADS) {
            double c;

            if (!all_digits(de->d_name))
                continue;
            snprintf(path, sizeof path, "/proc/%ld/task/%s/status",
                     (long)p->pid, de->d_name);
            c = thread_ctx(s, path);
            if (c < 0)
                continue;
            now[n].tid = (pid_t)strtol(de->d_name, NULL, 10);
            now[n].ctx = c;
            n++;
        }
        if (d)
            closedir(d);
    }
    if (!n) {
        free(now);
        return; /* unreadable now: keep what we had */
    }
    /* Threads that left keep their last count. */
    for (size_t i = 0; i < p->nthr; i++) {
        const struct thr *t = thr_find(now, n, p->thr[i].tid);

        if (!t)
            p->ctx_gone += p->thr[i].ctx;
        else if (t->ctx < p->thr[i].ctx) /* never backwards */
            ((struct thr *)t)->ctx = p->thr[i].ctx;
    }
    free(p->thr);
    p->thr = now;
    p->nthr = n;
    total = p->ctx_gone;
    for (size_t i = 0; i < n; i++)
        total += now[i].ctx;
    if (total > p->ctx)
        p->ctx = total;
}

static struct proc *find(struct proc *a, size_t n, pid_t pid)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (a[mid].pid == pid)
            return &a[mid];
        if (a[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void grow(struct agent_sampler *s, size_t need)
{
    if (need <= s->cap)
        return;
    while (s->cap < need)
        s->cap = s->cap ? s->cap * 2 : 256;
    s->procs = xreallocarray(s->procs, s->cap, sizeof *s->procs);
    s->next = xreallocarray(s->next, s->cap, sizeof *s->next);
    s->gone = xreallocarray(s->gone, s->cap, sizeof *s->gone);
}

static void fresh_entry(struct proc *p, pid_t pid)
{
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->fresh = true;
    p->stat_fd = p->io_fd = -1;
}

/* Merges the listing with the table into s->next; the vanished go to
 * s->gone (design note 1). */
static void merge(struct agent_sampler *s)
{
    size_t i = 0, j = 0;

    grow(s, s->nprocs + s->nlist + 1);
    s->nnext = s->ngone = 0;
    while (i < s->nprocs || j < s->nlist) {
        if (j == s->nlist || (i < s->nprocs && s->procs[i].pid < s->list[j])) {
            s->gone[s->ngone++] = s->procs[i++];
        } else if (i == s->nprocs || s->list[j] < s->procs[i].pid) {
            fresh_entry(&s->next[s->nnext++], s->list[j++]);
        } else {
            s->next[s->nnext] = s->procs[i++];
            s->next[s->nnext++].fresh = false;
            j++;
        }
    }
}

/* Decides membership of this tick's new processes, parents first. */
static void resolve(struct agent_sampler *s)
{
    bool progress = true;

    while (progress) {
        progress = false;
        for (size_t i = 0; i < s->nnext; i++) {
            struct proc *p = &s->next[i], *parent;

            if (p->resolved)
                continue;
            if (p->pid == s->o.root) {
                p->member = s->o.include_root;
            } else if (p->ppid == s->o.root) {
                p->member = true;
            } else {
                parent = p->ppid > 0 ? find(s->next, s->nnext, p->ppid) : NULL;
                if (parent && !parent->resolved)
                    continue; /* a later pass, once the parent is known */
                p->member = parent && parent->member;
            }
            p->resolved = true;
            progress = true;
        }
    }
}

/* Reads the new and the known members in PID order (note 2a); drops new
 * processes that vanished between the listing and the read. */
static void read_members(struct agent_sampler *s)
{
    size_t k = 0;

    for (size_t i = 0; i < s->nnext; i++) {
        struct proc *p = &s->next[i];

        p->lost = p->carried = p->reread = false;
        if (p->fresh) {
            if (!read_stat(s, p)) {
                proc_release(s, p);
                continue;
            }
        } else if (p->member) {
            struct proc probe = *p;

            if (!read_stat(s, &probe)) {
                /* Gone since the listing: next tick retires it.  The
                 * failed read may have closed the kept file. */
                p->stat_fd = probe.stat_fd;
                p->lost = true;
            } else if (probe.start != p->start) {
                /* PID reused (only possible when the file was not kept
                 * open): the old one is gone, this one is new. */
                fd_close(s, &probe.stat_fd);
                s->gone[s->ngone++] = *p;
                fresh_entry(p, probe.pid);
                if (!read_stat(s, p))
                    continue;
            } else {
                *p = probe;
            }
        }
        s->next[k++] = *p;
    }
    s->nnext = k;
    resolve(s);
    for (size_t i = 0; i < s->nnext; i++) {
        struct proc *p = &s->next[i];

        if (!p->member) {
            if (p->fresh)
                proc_release(s, p); /* outsiders are never read again */
            continue;
        }
        if (p->lost)
            continue;
        read_io(s, p);
        if (s->ctx_now || p->fresh)
            read_ctx(s, p);
        if (p->fresh && s->baseline) {
            p->cpu0 = p->cpu;
            p->cut0 = p->cut;
            p->rd0 = p->rd;
            p->wr0 = p->wr;
            p->ctx0 = p->ctx;
        }
    }
}

/* The root's reaped children's CPU, seconds (note 2): this process's own
 * getrusage, else the root's stat file.  Kept when unreadable. */
static void read_root(struct agent_sampler *s)
{
    if (s->o.include_root)
        return;
    if (s->o.root == getpid()) {
        struct rusage ru;

        if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
            s->root_cut =
                (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    } else {
        struct proc r;

        memset(&r, 0, sizeof r);
        r.pid = s->o.root;
        r.stat_fd = r.io_fd = -1;
        if (read_stat(s, &r))
            s->root_cut = r.cut;
        proc_release(s, &r); /* the kept file, if it was kept */
    }
}

/*
 * Whether a member that is gone (or whose read failed) is in a reaper's
 * cutime: its parent is the root or a member, or the root reaps every
 * orphan (note 2).  pid is its parent; members of s->gone count too (a
 * parent gone in the same interval took it along into its own parent).
 */
static bool reaped_in_tree(const struct agent_sampler *s, pid_t ppid)
{
    if (s->o.root_reaps)
        return true;
    for (int depth = 0; depth < 4096; depth++) {
        const struct proc *p;

        if (ppid == s->o.root)
            return true;
        p = find(s->next, s->nnext, ppid);
        if (p)
            return p->member;
        p = NULL;
        for (size_t i = 0; i < s->ngone; i++)
            if (s->gone[i].pid == ppid)
                p = &s->gone[i];
        if (!p || !p->member)
            return false;
        ppid = p->ppid;
    }
    return false;
}

/*
 * Members whose read failed this tick were reaped after the listing, by a
 * parent read before or after that: their nearest readable ancestor (or
 * the root) is read again now, when it certainly carries them, and they
 * count zero (note 2a).
 */
static void carry_lost(struct agent_sampler *s)
{
    bool root_again = false;

    for (size_t i = 0; i < s->nnext; i++) {
        struct proc *p = &s->next[i];
        pid_t ppid;

        if (!p->member || !p->lost || !reaped_in_tree(s, p->ppid))
            continue;
        p->carried = true;
        for (ppid = p->ppid;;) {
            struct proc *a = find(s->next, s->nnext, ppid);

            if (!a || !a->member) {
                root_again = true; /* the root or a subreaper root */
                break;
            }
            if (!a->lost) {
                struct proc probe = *a;

                if (a->reread)
                    break;
                if (read_stat(s, &probe) && probe.start == a->start) {
                    *a = probe;
                    a->reread = true;
                    break;
                }
                a->stat_fd = probe.stat_fd;
                a->lost = a->carried = true;
            }
            ppid = a->ppid;
        }
    }
    if (root_again)
        read_root(s);
}

/* Moves the vanished members' counters into the gone totals (notes 2, 3). */
static void retire(struct agent_sampler *s)
{
    for (size_t i = 0; i < s->ngone; i++) {
        struct proc *g = &s->gone[i];
        struct proc *parent;

        if (g->member) {
            /* A reaper's cutime holds all of its time, the part before
             * the baseline too: that part is taken back. */
            if (reaped_in_tree(s, g->ppid))
                s->gone_cpu -= g->cpu0 + g->cut0;
            else
                s->gone_cpu += g->cpu - g->cpu0 + g->cut - g->cut0;
            s->gone_ctx += g->ctx - g->ctx0;
            parent = find(s->next, s->nnext, g->ppid);
            if (parent && parent->member) {
                s->gone_rd -= g->rd0;
                s->gone_wr -= g->wr0;
            } else {
                s->gone_rd += g->rd - g->rd0;
                s->gone_wr += g->wr - g->wr0;
            }
        }
        proc_release(s, g);
    }
    s->ngone = 0;
}

/* One read of the tree; fills the totals.  t_ms < 0: the baseline (or,
 * with s->settling, the final read of note 9): no sample. */
static void scan(struct agent_sampler *s, struct resource_sample *out,
                 int64_t t_ms)
{
    struct proc *tmp;
    double cpu, rd, wr, ctx, rss = 0;
    int64_t threads = 0;
    size_t nm = 0, live = 0;

    if (!list_pids(s))
        return;
    s->ctx_now = t_ms < 0 || t_ms - s->ctx_last_t >= SAMPLER_CTX_EVERY_MS;
    if (s->ctx_now && t_ms >= 0)
        s->ctx_last_t = t_ms;
    merge(s);
    read_root(s); /* before its children (note 2a) */
    read_members(s);
    carry_lost(s);
    retire(s);
    if (s->baseline)
        s->root_cut0 = s->root_cut;
    cpu = s->gone_cpu + s->root_cut - s->root_cut0;
    rd = s->gone_rd;
    wr = s->gone_wr;
    ctx = s->gone_ctx;
    tmp = s->procs;
    s->procs = s->next;
    s->next = tmp;
    s->nprocs = s->nnext;
    if (s->capmembers < s->nprocs + 1) {
        s->capmembers = s->nprocs + 1;
        s->members =
            xreallocarray(s->members, s->capmembers, sizeof *s->members);
    }
    for (size_t i = 0; i < s->nprocs; i++) {
        const struct proc *p = &s->procs[i];

        if (!p->member)
            continue;
        if (p->carried)
            cpu -= p->cpu0 + p->cut0; /* as retire() will (note 2) */
        else
            cpu += p->cpu - p->cpu0 + p->cut - p->cut0;
        rd += p->rd - p->rd0;
        wr += p->wr - p->wr0;
        ctx += p->ctx - p->ctx0;
        if (p->lost)
            continue;
        rss += p->rss;
        threads += p->threads;
        live += !p->zombie;
        s->members[nm++] = p->pid;
    }
    s->nmembers = nm;
    s->cpu_total = cpu;
    s->rd_total = rd > 0 ? rd : 0;
    s->wr_total = wr > 0 ? wr : 0;
    s->ctx_total = ctx;
    if (s->settling)
        return;
    if (t_ms < 0) {
        s->last_cpu = s->prev_cpu = cpu;
        s->last_t = s->prev_t = 0;
        s->procs_max = (int64_t)nm;
        return;
    }
    out->t_ms = t_ms;
    /* Nothing alive: no memory reading, not a reading of 0 (note 8). */
    out->rss_bytes = live ? rss : NAN;
    out->read_bytes = s->rd_total;
    out->write_bytes = s->wr_total;
    out->cpu_pct = NAN;
    if (t_ms > s->last_t) {
        /* A reaper's cutime comes in clock ticks (10 ms): over a short
         * interval (the command's exit tick) that is a large error, so
         * such an interval is measured from the tick before (note 7). */
        bool short_iv =
            t_ms - s->last_t < SAMPLER_MIN_WINDOW_MS && s->last_t > s->prev_t;
        int64_t from_t = short_iv ? s->prev_t : s->last_t;
        double from_cpu = short_iv ? s->prev_cpu : s->last_cpu;
        double dt = (double)(t_ms - from_t) / 1000.0;

        out->cpu_pct = (cpu - from_cpu) / dt * 100.0;
        if (out->cpu_pct < 0)
            out->cpu_pct = 0;
    }
    s->prev_cpu = s->last_cpu;
    s->prev_t = s->last_t;
    s->last_cpu = cpu;
    s->last_t = t_ms;
    if (s->gpu) {
        struct agent_gpu_reading g;

        agent_gpu_read(s->gpu, s->members, nm, &g);
        out->gpu_util_pct = g.util_pct;
        out->gpu_mem_bytes = g.mem_bytes;
        s->gpu_util_pp = g.util_per_process;
        s->gpu_mem_pp = g.mem_per_process;
        s->gpu_util_sum += g.util_pct;
        s->ngpu++;
        if (g.util_pct > s->gpu_util_max)
            s->gpu_util_max = g.util_pct;
        if (g.mem_bytes > s->gpu_mem_peak)
            s->gpu_mem_peak = g.mem_bytes;
    }
    if (!isnan(out->cpu_pct) && out->cpu_pct > s->cpu_max)
        s->cpu_max = out->cpu_pct;
    if (rss > s->rss_peak)
        s->rss_peak = rss;
    if (threads > s->threads_max)
        s->threads_max = threads;
    if ((int64_t)nm > s->procs_max)
        s->procs_max = (int64_t)nm;
    s->nsamples++;
}

enum err agent_sampler_create(const struct agent_sampler_opts *o,
                              struct agent_sampler **out, struct errbuf *eb)
{
    struct agent_sampler *s;
    long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

    *out = NULL;
    if (access("/proc/self/stat", R_OK) != 0) {
        err_set(eb, "cannot read /proc: %s", strerror(errno));
        return ERR_IO;
    }
    s = xcalloc(1, sizeof *s);
    s->o = *o;
    s->hz = hz > 0 ? (double)hz : 100.0;
    s->page = page > 0 ? (double)page : 4096.0;
    s->gpu = o->gpu ? agent_gpu_open(o->nvml_path) : NULL;
    s->baseline = true;
    scan(s, NULL, -1);
    s->baseline = false;
    *out = s;
    return ERR_OK;
}

void agent_sampler_free(struct agent_sampler *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nprocs; i++)
        proc_release(s, &s->procs[i]);
    free(s->procs);
    free(s->next);
    free(s->gone);
    free(s->list);
    free(s->members);
    agent_gpu_close(s->gpu);
    free(s);
}

void agent_sampler_tick(struct agent_sampler *s, int64_t t_ms,
                        struct resource_sample *out)
{
    memset(out, 0, sizeof *out);
    out->t_ms = t_ms;
    out->cpu_pct = out->rss_bytes = out->read_bytes = out->write_bytes = NAN;
    out->gpu_util_pct = out->gpu_mem_bytes = NAN;
    scan(s, out, t_ms < 0 ? 0 : t_ms);
}

void agent_sampler_settle(struct agent_sampler *s)
{
    s->settling = true;
    scan(s, NULL, -1);
    s->settling = false;
}

size_t agent_sampler_nprocs(const struct agent_sampler *s)
{
    return s->nmembers;
}

void agent_sampler_summary(const struct agent_sampler *s,
                           struct agent_summary *out)
{
    memset(out, 0, sizeof *out);
    out->wall_ms = s->last_t;
    out->cpu_time_s = s->cpu_total;
    out->cpu_mean_pct =
        s->last_t > 0 ? out->cpu_time_s / ((double)s->last_t / 1000.0) * 100.0
                      : NAN;
    out->cpu_max_pct = s->nsamples ? s->cpu_max : NAN;
    out->rss_peak_bytes = s->nsamples ? s->rss_peak : NAN;
    out->read_bytes = s->rd_total;
    out->write_bytes = s->wr_total;
    out->threads_max = s->threads_max;
    out->procs_max = s->procs_max;
    out->ctx_switches = s->ctx_total;
    out->nsamples = s->nsamples;
    out->gpu_util_mean_pct = out->gpu_util_max_pct = NAN;
    out->gpu_mem_peak_bytes = NAN;
    if (s->gpu && s->ngpu) {
        out->gpu_util_mean_pct = s->gpu_util_sum / (double)s->ngpu;
        out->gpu_util_max_pct = s->gpu_util_max;
        out->gpu_mem_peak_bytes = s->gpu_mem_peak;
        out->gpu_util_per_process = s->gpu_util_pp;
        out->gpu_mem_per_process = s->gpu_mem_pp;
    }
}
