/*
 * truth.c - the ground-truth table of --truth (truth.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "truth.h"

void truth_free(struct truth_table *t)
{
    if (!t)
        return;
    free(t->path);
    free(t->text);
    free(t->cells);
    free(t);
}

/* Reads the whole file, refusing one larger than TRUTH_MAX_BYTES or holding
 * a NUL byte (not text: its cells would end early without a word). */
static char *read_text(const char *path, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        escape_line(err, "mtuscope: --truth %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(TRUTH_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, TRUTH_MAX_BYTES + 1, f) : 0;
    bool bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        escape_line(err, "mtuscope: --truth %s: %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    if (n > TRUTH_MAX_BYTES || memchr(buf, '\0', n)) {
        escape_line(err, "mtuscope: --truth %s: %s", path,
                    n > TRUTH_MAX_BYTES ? "larger than 1 MiB: not a ground-truth table"
                                        : "holds a NUL byte: not a tab-separated text table");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* The next line of *p, cut in place (its '\n' and a '\r' before it
 * removed); NULL at the end. */
static char *next_line(char **p)
{
    if (!**p)
        return NULL;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
        line[n - 1] = '\0';
    return line;
}

/* Splits line at its tabs into at most max cells; returns how many there
 * were (cells past max are counted, not kept). */
static int split(char *line, const char **cells, int max)
{
    int n = 0;
    for (char *c = line;; n++) {
        char *tab = strchr(c, '\t');
        if (tab)
            *tab = '\0';
        if (n < max)
            cells[n] = c;
        if (!tab)
            return n + 1;
        c = tab + 1;
    }
}

struct truth_table *truth_load(const char *path, FILE *err)
{
    struct truth_table *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path)) || !(t->text = read_text(path, err))) {
        if (!t || !t->path)
            escape_line(err, "mtuscope: --truth %s: out of memory", path);
        truth_free(t);
        return NULL;
    }
    const char *why = NULL;
    char *p = t->text, *line;
    size_t cap = 0;
    t->file_col = -1;
    while (!why && (line = next_line(&p))) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!t->ncols) { /* the header */
            t->ncols = split(line, t->cols, TRUTH_MAX_COLS);
            if (t->ncols > TRUTH_MAX_COLS)
                why = "more than 32 columns";
            for (int c = 0; !why && c < t->ncols; c++)
                if (strcmp(t->cols[c], "file") == 0 && t->file_col < 0)
                    t->file_col = c;
            if (!why && t->file_col < 0)
                why = "its first line names no column \"file\" (a tab-separated header)";
            continue;
        }
        if (t->nrows == TRUTH_MAX_ROWS) {
            why = "more than 4096 rows";
            break;
        }
        if ((size_t)(t->nrows + 1) * (size_t)t->ncols > cap) {
            size_t ncap = cap ? 2 * cap : 64 * (size_t)t->ncols;
            const char **nc = realloc(t->cells, ncap * sizeof *nc);
            if (!nc) {
                why = "out of memory";
                break;
            }
            t->cells = nc;
            cap = ncap;
        }
        const char **row = t->cells + (size_t)t->nrows * (size_t)t->ncols;
        int n = split(line, row, t->ncols);
        for (int c = n; c < t->ncols; c++)
            row[c] = ""; /* a short row: the cells it lacks are empty */
        t->nrows++;
    }
    if (!why && !t->ncols)
        why = "empty: no header line";
    if (why) {
        escape_line(err, "mtuscope: --truth %s: %s", path, why);
        truth_free(t);
        return NULL;
    }
    return t;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int truth_find(const struct truth_table *t, const char *input_path)
{
    /* the exact path first, then the file name */
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < t->nrows; r++) {
            const char *f = truth_cell(t, r, t->file_col);
            if (!f[0])
                continue;
            if (pass == 0 ? strcmp(f, input_path) == 0
                          : base_name(f)[0] && strcmp(base_name(f), base_name(input_path)) == 0)
                return r;
        }
    return -1;
}
