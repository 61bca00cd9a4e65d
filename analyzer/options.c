/* options.c - command-line parsing (see options.h and docs/mtuscope.1). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "escape.h"
#include "options.h"
#include "verdict.h"

/* Bit i of options.fail_on stands for verdict status i (verdict.h: the one
 * table of names every output uses). */
#define NSTATUSES VS__COUNT

/* --fail-on=problem: the statuses whose tone is a problem to fix */
static uint32_t problem_bits(void)
{
    uint32_t b = 0;
    for (int i = 0; i < VS__COUNT; i++)
        if (verdict_names[i].tone == TONE_PROBLEM)
            b |= 1u << i;
    return b;
}

/* " WORD" on err, escaped: arguments reach the terminal as text only. */
static void put_word(FILE *err, const char *word)
{
    fputc(' ', err);
    escape_fputs(word, err);
}

/* -V FILE: every non-empty line of FILE is a capture to read, as with -r,
 * in order (tcpdump -V); a line's trailing CR (a list written on Windows)
 * is not part of the name. */
static int read_list(struct options *o, const char *path, FILE *err)
{
    if (o->nlists == OPT_MAX_LISTS) {
        fprintf(err, "mtuscope: at most %d lists (-V FILE)\n", OPT_MAX_LISTS);
        return EXIT_USAGE;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        escape_line(err, "mtuscope: -V %s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *nb = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(fp);
    if (!buf) {
        escape_line(err, "mtuscope: -V %s: out of memory, or a list over 16 MiB", path);
        return EXIT_USAGE;
    }
    buf[len] = '\0';
    o->lists[o->nlists++] = buf;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (l) {
            if (o->ninputs == OPT_MAX_INPUTS) {
                fprintf(err, "mtuscope: at most %d inputs\n", OPT_MAX_INPUTS);
                return EXIT_USAGE;
            }
            o->inputs[o->ninputs++] = line;
        }
        line = nl ? nl + 1 : NULL;
    }
    return EXIT_OK;
}

void options_usage(FILE *out)
{
    fputs("Usage: mtuscope [options] -r FILE [-r FILE ...] [expression]\n"
          "Decodes captures down through tunnels and finds path-MTU problems.\n"
          "\n"
          "  -r FILE          read packets from FILE (pcap or pcapng, gzip-compressed or\n"
          "                   not; - = standard input);\n"
          "                   repeat for several files; consecutive files of one\n"
          "                   capture (rotated: same link type, snap length and\n"
          "                   interface, time ranges that follow each other) are\n"
          "                   read as one, frames numbered on across them\n"
          "  -V FILE          read the captures listed in FILE, one a line (tcpdump -V)\n"
          "  -c COUNT         stop reading each input after COUNT packets\n"
          "  -o DIR           also write into DIR: report.txt, report.json, report.html\n"
          "                   and the charts (NAME.dat, NAME.gp, NAME.png, NAME.svg)\n"
          "      --no-plots   with -o: no charts (report.html without them)\n"
          "      --plot-timeout=SECONDS  with -o: stop gnuplot after SECONDS a\n"
          "                   chart (default 60) and write the page without the rest\n"
          "      --ladder-flow=N  with -o: draw flow #N (a TCP flow, or pings) in the\n"
          "                   ladder diagram instead of the headline finding's\n"
          "      --truth=FILE  with -o: show each input's ground truth from FILE (a\n"
          "                   tab-separated table with a \"file\" column, such as\n"
          "                   samples/manifest.tsv) beside the claims in report.html;\n"
          "                   for teaching with the shipped samples\n"
          "      --json       print the JSON report instead of the text report\n"
          "      --full       the whole text report: every section in full (the default\n"
          "                   is the short report: verdict, fix, the strongest evidence,\n"
          "                   one line per further section)\n"
          "      --stats      add per-layer and per-anomaly counts (implies --full)\n"
          "      --flows      list every flow (like tshark -z conv; implies --full)\n"
          "      --max-flows=N  keep at most N flows live per input (default 8192);\n"
          "                   the least recently active is parked, and resumes as itself\n"
          "      --color[=WHEN]  colour the text report: auto (the default and a bare\n"
          "                   --color: on a terminal, unless NO_COLOR is set or\n"
          "                   TERM=dumb), always, never\n"
          "      --fail-on=STATUS[,STATUS...]  exit 3 when the verdict's status is one\n"
          "                   of these: blackhole, pmtud-working, fragmentation-loss,\n"
          "                   mss-clamped, retransmission-storm, healthy, inconclusive,\n"
          "                   or problem (= blackhole, fragmentation-loss,\n"
          "                   retransmission-storm); for scripts and CI\n"
          "  -n               accepted and ignored, as in tcpdump: mtuscope never\n"
          "                   resolves addresses or ports to names\n"
          "  -q, --quiet      print only the verdict line (not with --json)\n"
          "  -v, --verbose    the whole report, every flow and every layer count\n"
          "                   (--full --flows --stats)\n"
          "  -h, --help       show this help\n"
          "  -V, --version    show the version (-V alone or before an option)\n"
          "\n"
          "  expression       a BPF filter, as in tcpdump (e.g. \"host 10.0.0.1 and udp\"),\n"
          "                   compiled for each input's link type\n"
          "\n"
          "Exit status: 0 every input read; 1 an input could not be read or broke\n"
          "mid-way (the report covers what was read; when none could be read there is\n"
          "no report), -o DIR could not be written, or standard output failed; 2 usage\n"
          "error (bad option, bad filter, no input); 3 the verdict is one --fail-on\n"
          "listed (and every input was read: 1 wins over 3); 130 interrupted by Ctrl-C\n"
          "(the report covers what was read).\n",
          out);
}

/* Does a command-line word look like a capture file rather than a filter
 * word?  A name with a capture file's extension, or (when `exists` is
 * asked) an existing file that is not a directory. */
static bool looks_like_file(const char *w, bool exists)
{
    static const char *const exts[] = {".pcap", ".pcapng", ".cap", ".gz"};
    size_t n = strlen(w);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcasecmp(w + n - e, exts[i]) == 0)
            return true;
    }
    struct stat st;
    return exists && stat(w, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* An option word whose argument is the next word. */
static bool takes_arg(const char *w)
{
    static const char *const opts[] = {"-r", "-c", "-o", "--fail-on", "--max-flows", "--truth"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strcmp(w, opts[i]) == 0)
            return true;
    return false;
}

/* tcpdump's and tshark's habits: `mtuscope x.pcap` (no -r) and
 * `mtuscope -r a.pcap b.pcap` (b.pcap would be the filter).  Says what was
 * meant and returns EXIT_USAGE, or EXIT_OK.  Words after "--" are always
 * the filter. */
static int check_file_words(const struct options *o, int argc, char **argv, FILE *err)
{
    if (optind >= argc || strcmp(argv[optind - 1], "--") == 0)
        return EXIT_OK;
    /* the first word may be any existing file; later ones need the
     * extension, so that "port 80" with a file named 80 nearby is left alone */
    bool any = false;
    for (int i = optind; i < argc && !any; i++)
        any = looks_like_file(argv[i], i == optind);
    if (!any)
        return EXIT_OK;
    if (o->ninputs == 0)
        escape_line(err, "mtuscope: \"%s\" looks like a capture file: read it with -r",
                    argv[optind]);
    else
        for (int i = optind; i < argc; i++)
            if (looks_like_file(argv[i], i == optind))
                escape_line(err,
                            "mtuscope: \"%s\" looks like a file, not a filter: give -r before "
                            "each file",
                            argv[i]);
    /* the line meant: the options as given, each file with its -r, the
     * options that came after the file (getopt stopped there), then the
     * filter words after "--" */
    fprintf(err, "Try 'mtuscope");
    for (int i = 1; i < optind; i++)
        put_word(err, argv[i]);
    bool filter = false;
    for (int i = optind; i < argc; i++) {
        if (looks_like_file(argv[i], i == optind)) {
            fputs(" -r", err);
            put_word(err, argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            put_word(err, argv[i]);
            if (takes_arg(argv[i]) && i + 1 < argc)
                put_word(err, argv[++i]);
        } else
            filter = true;
    }
    if (filter) {
        fprintf(err, " --");
        for (int i = optind; i < argc; i++) {
            if (argv[i][0] == '-' && argv[i][1])
                i += takes_arg(argv[i]) ? 1 : 0;
            else if (!looks_like_file(argv[i], i == optind))
                put_word(err, argv[i]);
        }
    }
    fprintf(err, "'%s.\n",
            o->ninputs ? " (or put a filter after --: mtuscope -r FILE -- EXPRESSION)" : "");
    return EXIT_USAGE;
}

/* Parses --fail-on's comma-separated list into o->fail_on. */
static int parse_fail_on(struct options *o, const char *arg, FILE *err)
{
    const char *p = arg;
    for (;;) {
        size_t n = strcspn(p, ",");
        int i = 0;
        while (i < NSTATUSES &&
               !(strlen(verdict_names[i].name) == n && strncmp(p, verdict_names[i].name, n) == 0))
            i++;
        if (i < NSTATUSES)
            o->fail_on |= 1u << i;
        else if (n == strlen("problem") && strncmp(p, "problem", n) == 0)
            o->fail_on |= problem_bits();
        else {
            char word[64];
            snprintf(word, sizeof word, "%.*s", n < 60 ? (int)n : 60, p);
            fputs("mtuscope: --fail-on: \"", err);
            escape_fputs(word, err);
            fputs("\" is not a verdict status; valid: ", err);
            for (i = 0; i < NSTATUSES; i++)
                fprintf(err, "%s, ", verdict_names[i].name);
            fprintf(err, "problem (= blackhole, fragmentation-loss, retransmission-storm)\n");
            return EXIT_USAGE;
        }
        if (p[n] == '\0')
            return EXIT_OK;
        p += n + 1;
    }
}

bool options_fail_on(const struct options *o, const char *status)
{
    for (int i = 0; i < NSTATUSES && status; i++)
        if (strcmp(status, verdict_names[i].name) == 0)
            return (o->fail_on >> i & 1u) != 0;
    return false;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* A whole decimal number from 1 to max (no sign, no trailing text). */
static bool positive(const char *arg, uint64_t max, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(arg, &end, 10);
    if (errno || *end || end == arg || x == 0 || x > max || arg[0] == '-')
        return false;
    *v = x;
    return true;
}

/* --plot-timeout: seconds, more than 0, at most a day. */
static int parse_seconds(const char *arg, double *out, FILE *err)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || *end || end == arg || !(v > 0 && v <= 86400)) {
        escape_line(err, "mtuscope: --plot-timeout wants seconds from 0 to 86400, not \"%s\"", arg);
        return EXIT_USAGE;
    }
    *out = v;
    return EXIT_OK;
}

/* --color[=WHEN]: a bare --color is auto. */
static int parse_color(const char *arg, enum color_mode *out, FILE *err)
{
    if (!arg || strcmp(arg, "auto") == 0)
        *out = COLOR_AUTO;
    else if (strcmp(arg, "always") == 0)
        *out = COLOR_ALWAYS;
    else if (strcmp(arg, "never") == 0)
        *out = COLOR_NEVER;
    else {
        escape_line(err, "mtuscope: --color wants auto, always or never, not \"%s\"", arg);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int unknown_option(char **argv, FILE *err)
{
    if (optopt && optopt < 256 && strchr("rco", optopt))
        fprintf(err, "mtuscope: option -%c needs an argument\n", optopt);
    else if (optopt && optopt < 256)
        fprintf(err, "mtuscope: unknown option -%c\n", optopt);
    else
        escape_line(err, "mtuscope: unknown or incomplete option \"%s\"", argv[optind - 1]);
    fprintf(err, "Try 'mtuscope --help'.\n");
    return EXIT_USAGE;
}

static int after_options(struct options *o, int argc, char **argv, FILE *err);

enum {
    OPT_JSON = 256,
    OPT_STATS,
    OPT_COLOR,
    OPT_FLOWS,
    OPT_MAX_FLOWS,
    OPT_NO_PLOTS,
    OPT_PLOT_TIMEOUT_S,
    OPT_LADDER_FLOW,
    OPT_FAIL_ON,
    OPT_FULL,
    OPT_TRUTH
};
static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"stats", no_argument, NULL, OPT_STATS},
    {"color", optional_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"flows", no_argument, NULL, OPT_FLOWS},
    {"full", no_argument, NULL, OPT_FULL},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
    {"plot-timeout", required_argument, NULL, OPT_PLOT_TIMEOUT_S},
    {"ladder-flow", required_argument, NULL, OPT_LADDER_FLOW},
    {"truth", required_argument, NULL, OPT_TRUTH},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

#define OPT_DONE (-1) /* one_option(): parsing stops, successfully */

/* What getopt_long returned, c, applied to o: EXIT_OK to go on, OPT_DONE
 * when parsing stops here (--help, --version), else the exit code. */
static int one_option(struct options *o, int c, int argc, char **argv, FILE *err)
{
    switch (c) {
    case 'r':
        if (o->ninputs == OPT_MAX_INPUTS) {
            fprintf(err, "mtuscope: at most %d inputs\n", OPT_MAX_INPUTS);
            return EXIT_USAGE;
        }
        o->inputs[o->ninputs++] = optarg;
        break;
    case 'c':
        if (!positive(optarg, UINT64_MAX, &o->count)) {
            escape_line(err, "mtuscope: -c wants a positive packet count, not \"%s\"", optarg);
            return EXIT_USAGE;
        }
        break;
    case 'o':
        o->outdir = optarg;
        break;
    case OPT_JSON:
        o->json = true;
        break;
    case OPT_STATS:
        o->stats = o->full = true;
        break;
    case OPT_FLOWS:
        o->flows = o->full = true;
        break;
    case OPT_FULL:
        o->full = true;
        break;
    case OPT_TRUTH:
        o->truth_path = optarg;
        break;
    case OPT_NO_PLOTS:
        o->no_plots = true;
        break;
    case OPT_PLOT_TIMEOUT_S:
        if (parse_seconds(optarg, &o->plot_timeout, err) != EXIT_OK)
            return EXIT_USAGE;
        break;
    case OPT_LADDER_FLOW:
        if (!positive(optarg, UINT64_MAX, &o->ladder_flow)) {
            escape_line(err,
                        "mtuscope: --ladder-flow wants a flow number (#N in the report), "
                        "not \"%s\"",
                        optarg);
            return EXIT_USAGE;
        }
        break;
    case 'n':
        break; /* tcpdump's "no names": mtuscope never resolves any */
    case 'q':
        o->quiet = true;
        break;
    case 'v':
        o->verbose = true;
        o->flows = o->stats = o->full = true;
        break;
    case OPT_MAX_FLOWS: {
        uint64_t v;
        if (!positive(optarg, 16777216, &v)) {
            escape_line(err, "mtuscope: --max-flows wants a count from 1 to 16777216, not \"%s\"",
                        optarg);
            return EXIT_USAGE;
        }
        o->max_flows = (uint32_t)v;
        break;
    }
    case OPT_COLOR:
        if (parse_color(optarg, &o->color, err) != EXIT_OK)
            return EXIT_USAGE;
        break;
    case OPT_FAIL_ON:
        if (parse_fail_on(o, optarg, err) != EXIT_OK)
            return EXIT_USAGE;
        break;
    case 'h':
        o->help = true;
        return OPT_DONE;
    case 'V':
        /* tcpdump's -V FILE (a file listing captures, one a line);
         * alone, or before another option, it is --version */
        if (optind < argc && argv[optind][0] && argv[optind][0] != '-' &&
            strcmp(argv[optind - 1], "--version") != 0) {
            if (read_list(o, argv[optind++], err) != EXIT_OK)
                return EXIT_USAGE;
            break;
        }
        o->version = true;
        return OPT_DONE;
    default:
        return unknown_option(argv, err);
    }
    return EXIT_OK;
}

int options_parse(struct options *o, int argc, char **argv, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->plot_timeout = OPT_PLOT_TIMEOUT;
    optind = 1;
    opterr = 0;
    int c;
    /* "+": stop at the first non-option, so a filter like "not port 22"
     * is never taken for options (tcpdump's rule) */
    while ((c = getopt_long(argc, argv, "+r:c:o:hnVqv", longopts, NULL)) != -1) {
        int rc = one_option(o, c, argc, argv, err);
        if (rc == OPT_DONE)
            return EXIT_OK;
        if (rc != EXIT_OK)
            return rc;
    }
    return after_options(o, argc, argv, err);
}

/* What getopt left: the file words, the filter, the checks across options. */
static int after_options(struct options *o, int argc, char **argv, FILE *err)
{
    if (check_file_words(o, argc, argv, err) != EXIT_OK)
        return EXIT_USAGE;
    if (o->quiet && o->json) {
        fprintf(err, "mtuscope: -q and --json do not go together: -q prints the text report's "
                     "verdict line, --json the whole JSON report\n"
                     "Try 'mtuscope --json ... | jq -r .verdict.status' for the status alone.\n");
        return EXIT_USAGE;
    }
    /* https://no-color.org: NO_COLOR set and not empty turns automatic colour
     * off, as does a terminal that says it is dumb; --color=always wins */
    /* the ground truth goes on the page a teacher hands out, and only there */
    if (o->truth_path && !o->outdir) {
        fprintf(err, "mtuscope: --truth shows a sample's ground truth in DIR/report.html: it "
                     "needs -o DIR (the text and JSON reports never show it)\n");
        return EXIT_USAGE;
    }
    if (o->truth_path && !(o->truth = truth_load(o->truth_path, err)))
        return EXIT_USAGE;
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    if (o->color == COLOR_AUTO && ((nc && *nc) || (term && strcmp(term, "dumb") == 0)))
        o->color = COLOR_NEVER;
    if (optind < argc) {
        o->filter = join_args(argc - optind, argv + optind);
        if (!o->filter) {
            fprintf(err, "mtuscope: out of memory\n");
            return EXIT_USAGE;
        }
    }
    if (o->ninputs == 0) {
        fprintf(err, "mtuscope: no input: give a capture with -r FILE (or -r - for stdin)\n"
                     "Try 'mtuscope --help'.\n");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

void options_free(struct options *o)
{
    for (int i = 0; i < o->nlists; i++)
        free(o->lists[i]);
    o->nlists = 0;
    free(o->filter);
    o->filter = NULL;
    truth_free(o->truth);
    o->truth = NULL;
}
