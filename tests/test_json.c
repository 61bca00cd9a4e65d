/* test_json.c - the JSON writer: structure, escaping, and UTF-8 hygiene. */
#include <stdlib.h>

#include "testutil.h"

#include "json.h"

/* Runs fn on a writer over a memory stream and returns what it wrote. */
static char *render(void (*fn)(struct json *j, const void *arg), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    struct json j;
    json_init(&j, fp, false);
    fn(&j, arg);
    json_flush(&j);
    fclose(fp);
    return buf;
}

static void one_string(struct json *j, const void *arg)
{
    json_string(j, NULL, arg);
}

static void check_string(const char *in, const char *want)
{
    char *got = render(one_string, in);
    assert_string_equal(got, want);
    free(got);
}

static void test_escapes(void **state)
{
    (void)state;
    check_string("a\"b\\c", "\"a\\\"b\\\\c\"");
    check_string("tab\there\nnl\r", "\"tab\\there\\nnl\\r\"");
    check_string("\x01\x1f", "\"\\u0001\\u001f\"");
    check_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    check_string("\xff", "\"\\ufffd\"");                                  /* never a lead byte */
    check_string("\xc0\xaf", "\"\\ufffd\\ufffd\"");                       /* overlong '/' */
    check_string("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");            /* overlong 3-byte */
    check_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");            /* a UTF-16 surrogate */
    check_string("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
    check_string("\xe2\x82", "\"\\ufffd\\ufffd\"");                       /* cut short by the end */
}

static void nested(struct json *j, const void *arg)
{
    (void)arg;
    json_object_begin(j, NULL);
    json_uint(j, "a", 1);
    json_array_begin(j, "b");
    json_int(j, NULL, -2);
    json_null(j, NULL);
    json_bool(j, NULL, true);
    json_array_end(j);
    json_object_begin(j, "c");
    json_object_end(j);
    json_double(j, "d", 1.5, 2);
    json_double(j, "e", 0.0 / 0.0, 2); /* NaN has no JSON form */
    json_object_end(j);
}

static void test_structure(void **state)
{
    (void)state;
    char *got = render(nested, NULL);
    assert_string_equal(got, "{\"a\":1,\"b\":[-2,null,true],\"c\":{},\"d\":1.50,\"e\":null}");
    free(got);
}

static void times(struct json *j, const void *arg)
{
    (void)arg;
    json_object_begin(j, NULL);
    json_time(j, "start", 1700000000123456789ll);
    json_time(j, "zero", 0);
    json_time(j, "small", 5);
    json_time(j, "neg", -1500000000ll);
    json_time_null(j, "end");
    json_array_begin(j, "list");
    json_time(j, NULL, 2000000000ll);
    json_array_end(j);
    json_object_end(j);
}

/* Times come from the integers: all 19 digits of a nanosecond timestamp,
 * which a double (about 16 digits) would round, then the same instant as an
 * integer under KEY_ns. */
static void test_times(void **state)
{
    (void)state;
    char *got = render(times, NULL);
    assert_string_equal(got, "{\"start\":1700000000.123456789,\"start_ns\":1700000000123456789,"
                             "\"zero\":0.000000000,\"zero_ns\":0,"
                             "\"small\":0.000000005,\"small_ns\":5,"
                             "\"neg\":-1.500000000,\"neg_ns\":-1500000000,"
                             "\"end\":null,\"end_ns\":null,\"list\":[2.000000000]}");
    free(got);
}

/* The writer's buffer (JSON_BUF bytes) fills and is written out many times:
 * every value crossing its edge, strings longer than it, and numbers at the
 * extremes of int64 and uint64, must come out as they would unbuffered. */
static void many_values(struct json *j, const void *arg)
{
    const char *long_string = arg;
    json_array_begin(j, NULL);
    for (int i = 0; i < 3000; i++) {
        json_int(j, NULL, i % 2 ? INT64_MIN : INT64_MAX);
        json_uint(j, NULL, UINT64_MAX - (uint64_t)i);
        json_string(j, NULL, "a\"b");
        json_double(j, NULL, -1e300, 2); /* 304 characters */
    }
    json_string(j, NULL, long_string);
    json_array_end(j);
}

static void test_buffer_edges(void **state)
{
    (void)state;
    size_t n = 3 * JSON_BUF + 7;
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = i % 97 == 0 ? '\n' : (char)('a' + i % 26);
    s[n] = 0;
    char *got = render(many_values, s);
    /* the same document built with printf */
    char *want = NULL;
    size_t wlen = 0;
    FILE *fp = open_memstream(&want, &wlen);
    assert_non_null(fp);
    fputc('[', fp);
    for (int i = 0; i < 3000; i++)
        fprintf(fp, "%s%lld,%llu,\"a\\\"b\",%.2f", i ? "," : "",
                i % 2 ? (long long)INT64_MIN : (long long)INT64_MAX,
                (unsigned long long)(UINT64_MAX - (uint64_t)i), -1e300);
    fputs(",\"", fp);
    for (size_t i = 0; i < n; i++)
        fputs(s[i] == '\n' ? "\\n" : (char[]){s[i], 0}, fp);
    fputs("\"]", fp);
    fclose(fp);
    assert_int_equal(strlen(got), strlen(want));
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),      cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_structure),    cmocka_unit_test(test_times),
        cmocka_unit_test(test_buffer_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
