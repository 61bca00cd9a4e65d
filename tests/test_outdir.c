/* test_outdir.c - the -o DIR directory (outdir.c): created private, refused
 * when others can write it, published through renames that replace planted
 * links, earlier runs' files removed only when they are ours. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "outdir.h"

static char base[] = "/tmp/mtuscope-test-outdir-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t n, const char *a, const char *b)
{
    snprintf(out, n, "%s/%s%s%s", base, a, b ? "/" : "", b ? b : "");
}

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static bool ours(const char *name)
{
    return strncmp(name, "chart", 5) == 0 || strncmp(name, "report.", 7) == 0;
}

static void test_missing_dir_is_created_private(void **state)
{
    (void)state;
    char d[256], err[OUTDIR_ERRLEN];
    path_of(d, sizeof d, "new", NULL);
    struct outdir *od = outdir_open(d, err);
    assert_non_null(od);
    struct stat st;
    assert_int_equal(stat(d, &st), 0);
    assert_int_equal(st.st_mode & 077, 0);
    outdir_close(od);
}

/* Whoever can write DIR can plant links and swap files in it between our
 * writes: the group and others must not. */
static void test_dir_writable_by_group_or_others_is_refused(void **state)
{
    (void)state;
    static const mode_t modes[] = {0777, 0770, 01777};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char d[256], err[OUTDIR_ERRLEN];
        snprintf(d, sizeof d, "%s/mode%o", base, (unsigned)modes[i]);
        assert_int_equal(mkdir(d, 0700), 0);
        assert_int_equal(chmod(d, modes[i]), 0);
        assert_null(outdir_open(d, err));
        assert_non_null(strstr(err, "can be written by"));
        assert_non_null(strstr(err, d));
    }
}

static void test_a_file_is_not_a_dir(void **state)
{
    (void)state;
    char d[256], err[OUTDIR_ERRLEN];
    path_of(d, sizeof d, "plain", NULL);
    put(base, "plain", "x");
    assert_null(outdir_open(d, err));
    assert_non_null(strstr(err, "not a directory"));
}

/* Publishing: every staged file lands in DIR whole, a link planted under a
 * final name is replaced (its target untouched), an earlier run's file of
 * ours is removed, a file that is not ours stays, a temporary file of a run
 * that died is cleaned; the staging directory goes with outdir_close(). */
static void test_publish_replaces_links_and_removes_only_our_stale_files(void **state)
{
    (void)state;
    char d[256], err[OUTDIR_ERRLEN], p[512], victim[512];
    path_of(d, sizeof d, "pub", NULL);
    assert_int_equal(mkdir(d, 0700), 0);
    path_of(victim, sizeof victim, "victim", NULL);
    put(base, "victim", "precious");
    snprintf(p, sizeof p, "%s/report.txt", d);
    assert_int_equal(symlink(victim, p), 0);
    put(d, "chart-old.png", "old");
    put(d, "notes.md", "mine");
    put(d, ".report.txt.mtuscope-tmp-1-0", "died");

    struct outdir *od = outdir_open(d, err);
    assert_non_null(od);
    const char *stage = outdir_stage(od);
    put(stage, "report.html", "<html>");
    put(stage, "report.txt", "verdict: healthy\n");
    put(stage, "chart-new.png", "png");
    struct outdir_result res;
    assert_true(outdir_publish(od, ours, &res, err));
    assert_int_equal(res.nwritten, 3);
    assert_string_equal(res.written[0], "chart-new.png");
    assert_string_equal(res.written[2], "report.html"); /* the page last */
    assert_int_equal(res.nremoved, 1);
    assert_string_equal(res.removed[0], "chart-old.png");
    outdir_result_free(&res);
    char staged[512];
    snprintf(staged, sizeof staged, "%s", stage);
    outdir_close(od);

    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    FILE *fp = fopen(victim, "r");
    char buf[32] = {0};
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "precious");
    snprintf(p, sizeof p, "%s/notes.md", d);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/.report.txt.mtuscope-tmp-1-0", d);
    assert_int_equal(access(p, F_OK), -1);
    assert_int_equal(access(staged, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_dir_is_created_private),
        cmocka_unit_test(test_dir_writable_by_group_or_others_is_refused),
        cmocka_unit_test(test_a_file_is_not_a_dir),
        cmocka_unit_test(test_publish_replaces_links_and_removes_only_our_stale_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
