/* test_truth.c - the ground-truth table of --truth (truth.c): its rows found
 * by path or file name, its bounds and malformed tables refused whole (a
 * table cut short would show a teacher a wrong truth without a word). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "truth.h"

/* Writes text (n bytes) to a temporary file; its path in path. */
static void put(char *path, const char *text, size_t n)
{
    strcpy(path, "/tmp/test_truth-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static struct truth_table *load(const char *text, size_t n, char *errbuf, size_t errsize)
{
    char path[64];
    put(path, text, n);
    FILE *err = fmemopen(errbuf, errsize, "w");
    assert_non_null(err);
    struct truth_table *t = truth_load(path, err);
    fclose(err);
    unlink(path);
    return t;
}

static const char manifest[] = "# comment\n"
                               "file\torigin\tbottleneck_mtu\r\n"
                               "\n"
                               "samples/a.pcap\tgen\t1400\n"
                               "samples/b.pcap\tlab\n"
                               "/elsewhere/a.pcap\tcopy\t9000\n";

/* The manifest names samples/X.pcap; a copy of X.pcap elsewhere is the same
 * sample, and the exact path wins over a name match. */
static void test_rows_found_by_path_then_by_file_name(void **state)
{
    (void)state;
    char err[256] = {0};
    struct truth_table *t = load(manifest, strlen(manifest), err, sizeof err);
    assert_non_null(t);
    assert_int_equal(t->ncols, 3);
    assert_int_equal(t->nrows, 3);
    assert_string_equal(t->cols[2], "bottleneck_mtu"); /* the CR of a CRLF line gone */
    assert_int_equal(truth_find(t, "samples/a.pcap"), 0);
    assert_int_equal(truth_find(t, "/tmp/class/a.pcap"), 0);
    assert_int_equal(truth_find(t, "/elsewhere/a.pcap"), 2);
    assert_int_equal(truth_find(t, "b.pcap"), 1);
    assert_int_equal(truth_find(t, "c.pcap"), -1);
    assert_int_equal(truth_find(t, "samples/"), -1); /* no file name: never a match */
    assert_string_equal(truth_cell(t, 1, 2), "");    /* a short row: empty cells */
    assert_string_equal(truth_cell(t, 0, 2), "1400");
    truth_free(t);
}

/* Each malformed table is refused with its reason, never read in part. */
static void test_malformed_tables_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t n;
        const char *why;
    } cases[] = {
        {"name\tmtu\nx\t1\n", 13, "no column \"file\""},
        {"# only comments\n\n", 17, "empty"},
        {"file\tmtu\nx\0y\t1\n", 15, "NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = {0};
        assert_null(load(cases[i].text, cases[i].n, err, sizeof err));
        assert_non_null(strstr(err, cases[i].why));
    }
    char wide[512] = "file";
    for (int c = 1; c <= TRUTH_MAX_COLS; c++)
        strcat(wide, "\tc");
    strcat(wide, "\n");
    char err[256] = {0};
    assert_null(load(wide, strlen(wide), err, sizeof err));
    assert_non_null(strstr(err, "more than 32 columns"));
}

/* 1 MiB bounds what a mistaken --truth (a capture, a log) costs. */
static void test_a_table_over_the_bound_is_refused(void **state)
{
    (void)state;
    size_t n = TRUTH_MAX_BYTES + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    memcpy(big, "file\n", 5);
    char err[256] = {0};
    assert_null(load(big, n, err, sizeof err));
    assert_non_null(strstr(err, "larger than 1 MiB"));
    free(big);
}

/* The error names the path escaped: a file name is hostile text too. */
static void test_a_missing_table_is_named_escaped(void **state)
{
    (void)state;
    char err[256] = {0};
    FILE *fp = fmemopen(err, sizeof err, "w");
    assert_null(truth_load("/nonexistent/x\nverdict: healthy", fp));
    fclose(fp);
    assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1); /* one line */
    assert_non_null(strstr(err, "x\\x0averdict"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_found_by_path_then_by_file_name),
        cmocka_unit_test(test_malformed_tables_are_refused),
        cmocka_unit_test(test_a_table_over_the_bound_is_refused),
        cmocka_unit_test(test_a_missing_table_is_named_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
