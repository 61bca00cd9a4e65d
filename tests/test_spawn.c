/* test_spawn.c - running a helper program (spawn.c): PATH's relative
 * entries never searched, exit codes, timeouts that kill the whole process
 * group, Ctrl-C, the working directory. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "spawn.h"

static char dir[] = "/tmp/mtuscope-test-spawn-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void make_prog(const char *path)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("#!/bin/sh\nexit 0\n", fp);
    fclose(fp);
    assert_int_equal(chmod(path, 0755), 0);
}

/* An empty PATH entry, "." and "bin" all name the current directory or one
 * below it, where someone else may have planted the program. */
static void test_find_skips_empty_dot_and_relative_path_entries(void **state)
{
    (void)state;
    char prog[256], sub[256], out[512], cwd[512];
    snprintf(prog, sizeof prog, "%s/mtuscope-probe", dir);
    snprintf(sub, sizeof sub, "%s/bin", dir);
    mkdir(sub, 0700);
    make_prog(prog);
    snprintf(prog, sizeof prog, "%s/bin/mtuscope-probe", dir);
    make_prog(prog);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", "::.:bin:/nonexistent", 1);
    bool found = spawn_find("mtuscope-probe", out, sizeof out);
    char abs[512];
    snprintf(abs, sizeof abs, "/nonexistent:%s/bin", dir);
    setenv("PATH", abs, 1);
    bool found_abs = spawn_find("mtuscope-probe", out, sizeof out);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
    assert_int_equal(chdir(cwd), 0);
    assert_false(found);
    assert_true(found_abs);
    assert_string_equal(out, prog);
    assert_false(spawn_find("../mtuscope-probe", out, sizeof out)); /* no '/' in a name */
}

static enum spawn_status sh(const char *script, const struct spawn_opts *o, int *code)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    return spawn_run("/bin/sh", argv, o, code);
}

static void test_exit_code_and_working_directory(void **state)
{
    (void)state;
    struct spawn_opts o = {dir, -1, -1, -1, 10, NULL};
    int code;
    assert_int_equal(sh("pwd > where; exit 3", &o, &code), SPAWN_EXITED);
    assert_int_equal(code, 3);
    char path[256], buf[256] = {0};
    snprintf(path, sizeof path, "%s/where", dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    buf[strcspn(buf, "\n")] = '\0';
    assert_string_equal(buf, dir);
}

static void test_exec_failure_is_reported_with_errno(void **state)
{
    (void)state;
    struct spawn_opts o = {NULL, -1, -1, -1, 10, NULL};
    int code;
    char *argv[] = {"nope", NULL};
    assert_int_equal(spawn_run("/nonexistent/nope", argv, &o, &code), SPAWN_FAILED);
    assert_int_equal(code, ENOENT);
}

/* Running, not a zombie: an orphan killed here is reaped by whoever is
 * pid 1, which in a container may never do it. */
static bool alive(pid_t pid)
{
    char path[64], buf[256] = {0};
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    const char *close_paren = strrchr(buf, ')');
    return n > 0 && close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z';
}

/* A program that hangs would hang mtuscope: after the timeout it is killed,
 * with what it started (its process group). */
static void test_timeout_kills_the_whole_group(void **state)
{
    (void)state;
    struct spawn_opts o = {dir, -1, -1, -1, 0.3, NULL};
    int code;
    assert_int_equal(sh("sleep 30 & echo $! > child.pid; wait", &o, &code), SPAWN_TIMEOUT);
    char path[256];
    snprintf(path, sizeof path, "%s/child.pid", dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    int pid = 0;
    assert_int_equal(fscanf(fp, "%d", &pid), 1);
    fclose(fp);
    for (int i = 0; i < 100 && alive(pid); i++)
        usleep(10000); /* until SIGKILL is delivered */
    assert_false(alive(pid));
}

/* Ctrl-C reaches mtuscope only (the helper has its own process group):
 * mtuscope stops it. */
static void test_stop_flag_interrupts(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 1;
    struct spawn_opts o = {NULL, -1, -1, -1, 0, &stop};
    int code;
    assert_int_equal(sh("sleep 30", &o, &code), SPAWN_INTERRUPTED);
}

/* Charts render side by side: children started one after the other run at
 * once, each is reaped with its own exit status whatever order they end
 * in, and one stopped (a sibling timed out) ends as killed. */
static void test_children_run_side_by_side(void **state)
{
    (void)state;
    struct spawn_opts o = {dir, -1, -1, -1, 10, NULL};
    char *slow[] = {"sh", "-c", "while [ ! -e go ]; do sleep 0.01; done; exit 5", NULL};
    char *fast[] = {"sh", "-c", "touch go; exit 3", NULL};
    char *hang[] = {"sh", "-c", "exec sleep 30", NULL};
    char go[256];
    snprintf(go, sizeof go, "%s/go", dir);
    unlink(go);
    struct spawn_child a, b, c;
    int code;
    /* the slow one waits for a file only the fast one makes: it can end
     * only if both run at once */
    assert_int_equal(spawn_start("/bin/sh", slow, &o, &a, &code), SPAWN_STARTED);
    assert_int_equal(spawn_start("/bin/sh", fast, &o, &b, &code), SPAWN_STARTED);
    assert_int_equal(spawn_start("/bin/sh", hang, &o, &c, &code), SPAWN_STARTED);
    bool done_a = false, done_b = false, done_c = false;
    long nap = 1000000;
    for (int i = 0; i < 2000 && !(done_a && done_b && done_c); i++) {
        enum spawn_status st;
        if (!done_a && spawn_poll(&a, &st, &code)) {
            done_a = true;
            assert_int_equal(st, SPAWN_EXITED);
            assert_int_equal(code, 5);
        }
        if (!done_b && spawn_poll(&b, &st, &code)) {
            done_b = true;
            assert_int_equal(st, SPAWN_EXITED);
            assert_int_equal(code, 3);
        }
        if (done_a && done_b && !done_c) {
            spawn_stop(&c);
            if (spawn_poll(&c, &st, &code)) {
                done_c = true;
                assert_int_equal(st, SPAWN_KILLED);
                assert_int_equal(code, SIGKILL);
            }
        }
        struct spawn_child left[3];
        int nleft = 0;
        if (!done_a)
            left[nleft++] = a;
        if (!done_b)
            left[nleft++] = b;
        if (!done_c)
            left[nleft++] = c;
        spawn_wait(left, nleft, 100, &nap);
    }
    assert_true(done_a && done_b && done_c);
    unlink(go);
}

/* The lowest descriptor number free now. */
static int lowest_free_fd(void)
{
    int fd = dup(0);
    assert_true(fd >= 0);
    close(fd);
    return fd;
}

/* A chart that ends is seen when it ends, not at the next nap: the wait
 * sleeps on the child's pidfd, and returns once it has ended although it
 * was allowed a minute; and each pidfd is closed when its child is
 * reaped, so that a run of charts leaks no descriptor. */
static void test_wait_wakes_when_a_child_ends_and_leaks_no_fd(void **state)
{
    (void)state;
    struct spawn_opts o = {dir, -1, -1, -1, 10, NULL};
    char *quick[] = {"sh", "-c", "exit 4", NULL};
    int before = lowest_free_fd();
    for (int i = 0; i < 20; i++) {
        struct spawn_child c;
        int code;
        assert_int_equal(spawn_start("/bin/sh", quick, &o, &c, &code), SPAWN_STARTED);
        enum spawn_status st;
        long nap = 1000000;
        if (c.pidfd >= 0) { /* Linux 5.3 and later */
            spawn_wait(&c, 1, 60000, &nap);
            assert_true(spawn_poll(&c, &st, &code)); /* it had ended */
        } else {
            while (!spawn_poll(&c, &st, &code))
                spawn_wait(&c, 1, 100, &nap);
        }
        assert_int_equal(st, SPAWN_EXITED);
        assert_int_equal(code, 4);
        assert_int_equal(c.pidfd, -1);
    }
    assert_int_equal(lowest_free_fd(), before);
    assert_int_equal(spawn_run("/bin/sh", quick, &o, &(int){0}), SPAWN_EXITED);
    assert_int_equal(lowest_free_fd(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_skips_empty_dot_and_relative_path_entries),
        cmocka_unit_test(test_exit_code_and_working_directory),
        cmocka_unit_test(test_exec_failure_is_reported_with_errno),
        cmocka_unit_test(test_timeout_kills_the_whole_group),
        cmocka_unit_test(test_stop_flag_interrupts),
        cmocka_unit_test(test_children_run_side_by_side),
        cmocka_unit_test(test_wait_wakes_when_a_child_ends_and_leaks_no_fd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
