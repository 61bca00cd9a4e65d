/* test_escape.c - what reaches a terminal from a name (escape.c): control
 * bytes, C1 controls, bidi overrides and broken UTF-8 as \xNN; legible
 * UTF-8 unchanged; nothing cut. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "escape.h"

static void check(const char *in, const char *want)
{
    char *got = escape_dup(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* A newline in a file name would start a forged report line; ESC and BEL
 * drive the terminal (OSC title, CSI cursor moves). */
static void test_c0_controls_and_del_are_escaped(void **state)
{
    (void)state;
    check("a\nverdict: healthy", "a\\x0averdict: healthy");
    check("\x1b]0;owned\x07", "\\x1b]0;owned\\x07");
    check("tab\there\r", "tab\\x09here\\x0d");
    check("del\x7f", "del\\x7f");
}

/* U+009B (C2 9B) is CSI to terminals that honour 8-bit controls. */
static void test_c1_controls_are_escaped(void **state)
{
    (void)state;
    check("x\xc2\x9b"
          "31m",
          "x\\xc2\\x9b31m");
    check("\xc2\x85", "\\xc2\\x85");
}

/* U+202E makes "cod.exe" display as "exe.doc": the name is not what it
 * shows. */
static void test_bidi_overrides_are_escaped(void **state)
{
    (void)state;
    check("a\xe2\x80\xae"
          "b",
          "a\\xe2\\x80\\xaeb");
    check("\xe2\x81\xa6", "\\xe2\\x81\\xa6");
}

/* Names in other scripts stay legible. */
static void test_valid_utf8_passes_unchanged(void **state)
{
    (void)state;
    check("capture-\xc3\xa9t\xc3\xa9.pcap", "capture-\xc3\xa9t\xc3\xa9.pcap");
    check("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
    check("\xf0\x9f\x93\xa6", "\xf0\x9f\x93\xa6");
}

/* Overlong forms, surrogates, stray continuation bytes and a sequence cut
 * by the end are not UTF-8: each byte is escaped, the rest resynchronises. */
static void test_invalid_utf8_is_escaped_byte_by_byte(void **state)
{
    (void)state;
    check("\xc0\xaf", "\\xc0\\xaf");
    check("\xed\xa0\x80", "\\xed\\xa0\\x80");
    check("\x80x", "\\x80x");
    check("ok\xe2\x82", "ok\\xe2\\x82");
    check("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
}

/* The backslash is doubled, so an escaped name cannot pass for another. */
static void test_backslash_is_doubled(void **state)
{
    (void)state;
    check("a\\x1b", "a\\\\x1b");
}

/* Every byte of a long name, escaped or not, is kept: 4 output bytes per
 * input byte at worst. */
static void test_long_names_are_not_cut(void **state)
{
    (void)state;
    char in[4001], want[16001];
    for (int i = 0; i < 4000; i++)
        in[i] = '\x01';
    in[4000] = '\0';
    for (int i = 0; i < 4000; i++)
        memcpy(want + 4 * i, "\\x01", 4);
    want[16000] = '\0';
    check(in, want);
}

/* escape_line: one line, whatever the arguments hold. */
static void test_escape_line_is_one_line(void **state)
{
    (void)state;
    char buf[256] = {0};
    FILE *fp = fmemopen(buf, sizeof buf, "w");
    assert_non_null(fp);
    escape_line(fp, "mtuscope: %s: %d\n", "evil\nverdict: healthy", 7);
    fclose(fp);
    assert_string_equal(buf, "mtuscope: evil\\x0averdict: healthy: 7\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c0_controls_and_del_are_escaped),
        cmocka_unit_test(test_c1_controls_are_escaped),
        cmocka_unit_test(test_bidi_overrides_are_escaped),
        cmocka_unit_test(test_valid_utf8_passes_unchanged),
        cmocka_unit_test(test_invalid_utf8_is_escaped_byte_by_byte),
        cmocka_unit_test(test_backslash_is_doubled),
        cmocka_unit_test(test_long_names_are_not_cut),
        cmocka_unit_test(test_escape_line_is_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
