/* test_options.c - the command line: --fail-on and its statuses, tcpdump's
 * habits (-n, a file without -r or where the filter goes), --color and the
 * environment, -q with --json. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "options.h"

/* Parses a NULL-terminated argument list (argv[0] is added); the messages
 * go to a buffer returned in *msg (static, cleared each call). */
static int parse(struct options *o, const char **msg, ...)
{
    static char buf[4096];
    char *argv[32] = {"mtuscope"};
    int argc = 1;
    va_list ap;
    va_start(ap, msg);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;)
        argv[argc++] = (char *)a;
    va_end(ap);
    memset(buf, 0, sizeof buf);
    FILE *err = fmemopen(buf, sizeof buf - 1, "w");
    assert_non_null(err);
    int rc = options_parse(o, argc, argv, err);
    fclose(err);
    *msg = buf;
    return rc;
}

/* --help and --version stop the parse where they stand, successfully and
 * silently: they need no input, and what follows them is not read. */
static void test_help_and_version_need_no_input(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool help, version;
    } cases[] = {
        {"--help", NULL, true, false},    {"-h", "--bogus", true, false},
        {"--version", NULL, false, true}, {"-V", NULL, false, true},
        {"-n", "--help", true, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct options o;
        const char *msg;
        int rc = parse(&o, &msg, cases[i].a, cases[i].b, NULL);
        if (rc != EXIT_OK || o.help != cases[i].help || o.version != cases[i].version || *msg)
            fail_msg("%s %s: rc %d, help %d, version %d, \"%s\"", cases[i].a,
                     cases[i].b ? cases[i].b : "", rc, o.help, o.version, msg);
        options_free(&o);
    }
}

/* --ladder-flow: a flow number as the report prints it (#N), never 0 */
static void test_ladder_flow(void **state)
{
    (void)state;
    struct options o;
    const char *msg;
    assert_int_equal(parse(&o, &msg, "-r", "x", NULL), EXIT_OK);
    assert_int_equal(o.ladder_flow, 0); /* not asked: the headline's */
    options_free(&o);
    assert_int_equal(parse(&o, &msg, "--ladder-flow=12", "-o", "d", "-r", "x", NULL), EXIT_OK);
    assert_int_equal(o.ladder_flow, 12);
    options_free(&o);
    const char *bad[] = {"0", "-3", "x", "12x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char arg[32];
        snprintf(arg, sizeof arg, "--ladder-flow=%s", bad[i]);
        assert_int_equal(parse(&o, &msg, arg, "-r", "x", NULL), EXIT_USAGE);
        assert_non_null(strstr(msg, "--ladder-flow wants a flow number"));
        options_free(&o);
    }
}

/* The short report is the default (issue 16 item 5); --full, -v, --flows
 * and --stats each ask for the whole one (the last two add to sections
 * only the whole report has). */
static void test_full_report(void **state)
{
    (void)state;
    static const struct {
        const char *opt; /* NULL: none */
        bool full, flows, stats;
    } cases[] = {
        {NULL, false, false, false},    {"--full", true, false, false},
        {"-v", true, true, true},       {"--verbose", true, true, true},
        {"--flows", true, true, false}, {"--stats", true, false, true},
        {"-q", false, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct options o;
        const char *msg;
        int rc = cases[i].opt ? parse(&o, &msg, cases[i].opt, "-r", "x", NULL)
                              : parse(&o, &msg, "-r", "x", NULL);
        assert_int_equal(rc, EXIT_OK);
        if (o.full != cases[i].full || o.flows != cases[i].flows || o.stats != cases[i].stats)
            fail_msg("%s: full %d flows %d stats %d", cases[i].opt ? cases[i].opt : "(none)",
                     o.full, o.flows, o.stats);
        options_free(&o);
    }
}

static void test_fail_on(void **state)
{
    (void)state;
    struct options o;
    const char *msg;
    assert_int_equal(parse(&o, &msg, "--fail-on=problem", "-r", "x", NULL), EXIT_OK);
    assert_true(options_fail_on(&o, "blackhole"));
    assert_true(options_fail_on(&o, "fragmentation-loss"));
    assert_true(options_fail_on(&o, "retransmission-storm"));
    assert_false(options_fail_on(&o, "healthy"));
    assert_false(options_fail_on(&o, "pmtud-working"));
    assert_false(options_fail_on(&o, "mss-clamped"));
    assert_false(options_fail_on(&o, "inconclusive"));
    assert_false(options_fail_on(&o, NULL));
    assert_false(options_fail_on(&o, "problem")); /* a word of the option, not a status */
    options_free(&o);

    assert_int_equal(parse(&o, &msg, "--fail-on=healthy,inconclusive", "-r", "x", NULL), EXIT_OK);
    assert_true(options_fail_on(&o, "healthy"));
    assert_true(options_fail_on(&o, "inconclusive"));
    assert_false(options_fail_on(&o, "blackhole"));
    options_free(&o);

    assert_int_equal(parse(&o, &msg, "-r", "x", NULL), EXIT_OK);
    assert_false(options_fail_on(&o, "blackhole")); /* not asked: never */
    options_free(&o);

    assert_int_equal(parse(&o, &msg, "--fail-on=healthy,blakhole", "-r", "x", NULL), EXIT_USAGE);
    assert_non_null(strstr(msg, "\"blakhole\""));
    assert_non_null(strstr(msg, "retransmission-storm"));
    options_free(&o);
    assert_int_equal(parse(&o, &msg, "--fail-on=healthy,", "-r", "x", NULL), EXIT_USAGE);
    assert_non_null(strstr(msg, "\"\" is not a verdict status"));
    options_free(&o);
    assert_int_equal(parse(&o, &msg, "--fail-on=Healthy", "-r", "x", NULL), EXIT_USAGE);
    options_free(&o);
}

static void test_habits(void **state)
{
    (void)state;
    struct options o;
    const char *msg;
    assert_int_equal(parse(&o, &msg, "-n", "-r", "x", "udp", NULL), EXIT_OK);
    assert_string_equal(o.filter, "udp");
    options_free(&o);

    assert_int_equal(parse(&o, &msg, "trace.pcapng", NULL), EXIT_USAGE);
    assert_non_null(strstr(msg, "\"trace.pcapng\" looks like a capture file"));
    assert_non_null(strstr(msg, "'mtuscope -r trace.pcapng'"));
    options_free(&o);

    /* options after the file (getopt stopped there) stay options */
    assert_int_equal(parse(&o, &msg, "--json", "x.pcap", "-c", "5", "-r", "y.pcap", "udp", NULL),
                     EXIT_USAGE);
    assert_non_null(strstr(msg, "'mtuscope --json -r x.pcap -c 5 -r y.pcap -- udp'"));
    options_free(&o);

    assert_int_equal(parse(&o, &msg, "-r", "a.pcap", "b.pcap.gz", "c.cap", NULL), EXIT_USAGE);
    assert_non_null(strstr(msg, "\"b.pcap.gz\" looks like a file, not a filter"));
    assert_non_null(strstr(msg, "'mtuscope -r a.pcap -r b.pcap.gz -r c.cap'"));
    options_free(&o);

    /* an existing file as the first filter word: this very source file */
    assert_int_equal(parse(&o, &msg, "-r", "a.pcap", "tests/test_options.c", NULL), EXIT_USAGE);
    options_free(&o);
    /* but not as a later word, and never after "--" */
    assert_int_equal(parse(&o, &msg, "-r", "a.pcap", "host", "tests/test_options.c", NULL),
                     EXIT_OK);
    options_free(&o);
    assert_int_equal(parse(&o, &msg, "-r", "a.pcap", "--", "b.pcap", NULL), EXIT_OK);
    assert_string_equal(o.filter, "b.pcap");
    options_free(&o);

    assert_int_equal(parse(&o, &msg, "-q", "--json", "-r", "x", NULL), EXIT_USAGE);
    assert_non_null(strstr(msg, "-q and --json"));
    options_free(&o);
}

static void test_color(void **state)
{
    (void)state;
    struct options o;
    const char *msg;
    unsetenv("NO_COLOR");
    setenv("TERM", "xterm", 1);
    assert_int_equal(parse(&o, &msg, "--color=never", "--color", "-r", "x", NULL), EXIT_OK);
    assert_int_equal(o.color, COLOR_AUTO); /* a bare --color */
    options_free(&o);
    setenv("NO_COLOR", "", 1); /* empty: ignored (no-color.org) */
    assert_int_equal(parse(&o, &msg, "-r", "x", NULL), EXIT_OK);
    assert_int_equal(o.color, COLOR_AUTO);
    options_free(&o);
    setenv("NO_COLOR", "1", 1);
    assert_int_equal(parse(&o, &msg, "--color", "-r", "x", NULL), EXIT_OK);
    assert_int_equal(o.color, COLOR_NEVER);
    options_free(&o);
    assert_int_equal(parse(&o, &msg, "--color=always", "-r", "x", NULL), EXIT_OK);
    assert_int_equal(o.color, COLOR_ALWAYS);
    options_free(&o);
    unsetenv("NO_COLOR");
    setenv("TERM", "dumb", 1);
    assert_int_equal(parse(&o, &msg, "-r", "x", NULL), EXIT_OK);
    assert_int_equal(o.color, COLOR_NEVER);
    options_free(&o);
    assert_int_equal(parse(&o, &msg, "--color=sometimes", "-r", "x", NULL), EXIT_USAGE);
    options_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_version_need_no_input),
        cmocka_unit_test(test_ladder_flow),
        cmocka_unit_test(test_fail_on),
        cmocka_unit_test(test_full_report),
        cmocka_unit_test(test_habits),
        cmocka_unit_test(test_color),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
