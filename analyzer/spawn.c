/* spawn.c - running a helper program with a timeout (spawn.h). */
#define _GNU_SOURCE /* sched_getaffinity() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

bool spawn_find(const char *name, char *out, size_t size)
{
    if (!*name || strchr(name, '/'))
        return false;
    const char *path = getenv("PATH");
    char deflt[256];
    if (!path) {
        size_t n = confstr(_CS_PATH, deflt, sizeof deflt);
        path = n > 0 && n <= sizeof deflt ? deflt : "/usr/bin:/bin";
    }
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        /* absolute entries only: "", "." and "bin" name the current
         * directory or one below it */
        if (len > 0 && p[0] == '/') {
            int n = snprintf(out, size, "%.*s/%s", (int)len, p, name);
            struct stat st;
            if (n > 0 && (size_t)n < size && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
                access(out, X_OK) == 0)
                return true;
        }
        if (!end)
            break;
        p = end;
    }
    return false;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* In the child, before exec: only async-signal-safe calls. */
static void child(const char *prog, char *const argv[], const struct spawn_opts *o, int report)
{
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL); /* the parent may ignore it; gnuplot expects the default */
    signal(SIGINT, SIG_DFL);
    int nul = open("/dev/null", O_RDWR);
    int fds[3] = {o->in_fd, o->out_fd, o->err_fd};
    for (int i = 0; i < 3; i++) {
        int from = fds[i] >= 0 ? fds[i] : nul;
        if (from >= 0 && from != i)
            dup2(from, i);
    }
    if (o->dir && chdir(o->dir) != 0) {
        int e = errno;
        ssize_t w = write(report, &e, sizeof e);
        (void)w;
        _exit(126);
    }
    execv(prog, argv);
    int e = errno;
    ssize_t w = write(report, &e, sizeof e);
    (void)w;
    _exit(127);
}

static void stop_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

enum spawn_status spawn_start(const char *prog, char *const argv[], const struct spawn_opts *o,
                              struct spawn_child *c, int *code)
{
    *code = 0;
    memset(c, 0, sizeof *c);
    c->pidfd = -1;
    int report[2];
    if (pipe(report) != 0) {
        *code = errno;
        return SPAWN_FAILED;
    }
    /* close-on-exec: the pipe closes when the exec succeeds (pipe2 is not
     * C11 + POSIX; no other thread runs here to race the two calls) */
    fcntl(report[0], F_SETFD, FD_CLOEXEC);
    fcntl(report[1], F_SETFD, FD_CLOEXEC);
    fflush(NULL); /* the child must not inherit unwritten buffers */
    pid_t pid = fork();
    if (pid < 0) {
        *code = errno;
        close(report[0]);
        close(report[1]);
        return SPAWN_FAILED;
    }
    if (pid == 0)
        child(prog, argv, o, report[1]);
    setpgid(pid, pid); /* also here: no race with a kill before the child ran */
#ifdef SYS_pidfd_open
    /* close-on-exec by the kernel's rule; the child is ours and not yet
     * reaped, so the pid cannot name another process here */
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    close(report[1]);
    /* the pipe closes on a successful exec; an errno arrives when it failed */
    int e = 0;
    ssize_t got;
    while ((got = read(report[0], &e, sizeof e)) < 0 && errno == EINTR)
        if (o->stop && *o->stop)
            break;
    close(report[0]);
    c->pid = pid;
    c->exec_errno = got == (ssize_t)sizeof e ? e : 0;
    c->deadline = o->timeout_s > 0 ? now_s() + o->timeout_s : 0;
    c->stop = o->stop;
    c->st = SPAWN_EXITED;
    return SPAWN_STARTED;
}

static void close_pidfd(struct spawn_child *c)
{
    if (c->pidfd >= 0)
        close(c->pidfd);
    c->pidfd = -1;
}

bool spawn_poll(struct spawn_child *c, enum spawn_status *st, int *code)
{
    int status;
    pid_t w = waitpid((pid_t)c->pid, &status, WNOHANG);
    if (w != 0 && !(w < 0 && errno == EINTR))
        close_pidfd(c); /* reaped, or never to be */
    if (w == 0) {
        if (c->st == SPAWN_EXITED && c->stop && *c->stop) {
            c->st = SPAWN_INTERRUPTED;
            stop_group((pid_t)c->pid);
        } else if (c->st == SPAWN_EXITED && c->deadline && now_s() >= c->deadline) {
            c->st = SPAWN_TIMEOUT;
            stop_group((pid_t)c->pid);
        }
        return false;
    }
    if (w < 0) {
        if (errno == EINTR)
            return false;
        *code = errno;
        *st = SPAWN_FAILED;
        return true;
    }
    *code = 0;
    *st = c->st;
    if (c->st != SPAWN_EXITED)
        return true;
    if (c->exec_errno) {
        *code = c->exec_errno;
        *st = SPAWN_FAILED;
    } else if (WIFSIGNALED(status)) {
        *code = WTERMSIG(status);
        *st = SPAWN_KILLED;
    } else {
        *code = WEXITSTATUS(status);
    }
    return true;
}

void spawn_stop(struct spawn_child *c)
{
    stop_group((pid_t)c->pid);
}

void spawn_nap(long *nap_ns)
{
    struct timespec ts = {0, *nap_ns};
    nanosleep(&ts, NULL);
    if (*nap_ns < 50000000)
        *nap_ns *= 2;
}

void spawn_wait(const struct spawn_child *cs, int n, long max_ms, long *nap_ns)
{
    struct pollfd pfd[16];
    if (n > (int)(sizeof pfd / sizeof pfd[0]))
        n = (int)(sizeof pfd / sizeof pfd[0]); /* the rest are seen at the next wait */
    double now = now_s(), wait_s = (double)max_ms / 1e3;
    for (int i = 0; i < n; i++) {
        if (cs[i].pidfd < 0) {
            spawn_nap(nap_ns);
            return;
        }
        pfd[i].fd = cs[i].pidfd;
        pfd[i].events = POLLIN;
        if (cs[i].deadline && cs[i].st == SPAWN_EXITED && cs[i].deadline - now < wait_s)
            wait_s = cs[i].deadline - now;
    }
    int ms = wait_s <= 0 ? 0 : (int)(wait_s * 1e3) + 1; /* past the deadline, not before */
    if (n > 0)
        poll(pfd, (nfds_t)n, ms); /* EINTR: Ctrl-C, which spawn_poll() then sees */
}

enum spawn_status spawn_run(const char *prog, char *const argv[], const struct spawn_opts *o,
                            int *code)
{
    struct spawn_child c;
    enum spawn_status st = spawn_start(prog, argv, o, &c, code);
    if (st != SPAWN_STARTED)
        return st;
    long nap_ns = 1000000; /* 1 ms, growing to 50 ms: quick charts return quickly */
    while (!spawn_poll(&c, &st, code))
        spawn_wait(&c, 1, 100, &nap_ns);
    return st;
}

int spawn_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}
