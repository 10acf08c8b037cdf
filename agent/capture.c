/*
 * A child process whose output we keep (git).
 *
 * Design notes:
 *  1. git runs as a child process (posix_spawnp), never through a library:
 *     the agent needs four facts, not libgit2.  Its standard error is
 *     discarded (a missing repository is normal), standard input is
 *     /dev/null (no prompt can hang CI), and it is killed after a timeout.
 */
#include "agent/agent_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum err agent_capture(char *const argv[], long timeout_ms, size_t max,
                       struct buf *out, int *exit_code)
{
    posix_spawn_file_actions_t fa;
    int fds[2] = {-1, -1}, status = 0, rc;
    pid_t pid = -1;
    uint64_t deadline = time_mono_ns() + (uint64_t)timeout_ms * 1000000u;
    bool eof = false;
    enum err e = ERR_OK;

    *exit_code = -1;
    if (pipe(fds) != 0)
        return ERR_IO;
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                     0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY,
                                     0);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return ERR_NOT_FOUND;
    }
    while (!eof) {
        struct pollfd pf = {fds[0], POLLIN, 0};
        uint64_t now = time_mono_ns();
        char chunk[4096];
        ssize_t n;

        if (now >= deadline) {
            kill(pid, SIGKILL);
            e = ERR_IO;
            break;
        }
        if (poll(&pf, 1, (int)((deadline - now) / 1000000u) + 1) < 0 &&
            errno != EINTR)
            break;
        n = read(fds[0], chunk, sizeof chunk);
        if (n > 0) {
            size_t room = max > out->len ? max - out->len : 0;

            (void)buf_add(out, chunk, (size_t)n < room ? (size_t)n : room);
        } else if (n == 0 || errno != EINTR) {
            eof = true;
        }
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!e && WIFEXITED(status))
        *exit_code = WEXITSTATUS(status);
    if (!out->data)
        (void)buf_add(out, "", 0);
    return e;
}
