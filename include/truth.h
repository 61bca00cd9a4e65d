/*
 * truth.h - a ground-truth table for the HTML report as a handout.
 *
 * A teacher hands mtuscope the table that says what each shipped sample
 * really is (samples/manifest.tsv, or one of their own in the same shape):
 * `mtuscope -o DIR --truth samples/manifest.tsv -r samples/X.pcap`.  The
 * page then shows the row of each input beside mtuscope's claims.  Nothing
 * else reads the table: the text and JSON reports never change with it, and
 * without --truth no report shows any ground truth (a capture's name alone
 * proves nothing about it).
 *
 * The table is tab-separated text: lines starting with '#' and blank lines
 * are skipped, the first other line names the columns, one of which must be
 * `file`.  A row belongs to an input whose path is its `file`, or whose
 * file name (the part after the last '/') is that of its `file`: the
 * manifest says samples/X.pcap, the teacher may have copied X.pcap anywhere.
 * Bounded: at most TRUTH_MAX_BYTES of text, TRUTH_MAX_COLS columns,
 * TRUTH_MAX_ROWS rows; a larger table is refused, never cut.
 */
#ifndef MTUSCOPE_TRUTH_H
#define MTUSCOPE_TRUTH_H

#include <stdio.h>

#define TRUTH_MAX_BYTES (1u << 20) /* samples/manifest.tsv is about 40 kB */
#define TRUTH_MAX_COLS 32
#define TRUTH_MAX_ROWS 4096

struct truth_table {
    char *path; /* the table's path, as given (heap) */
    char *text; /* its text, cut in place into the cells (heap) */
    int ncols, file_col;
    const char *cols[TRUTH_MAX_COLS];
    int nrows;
    const char **cells; /* nrows * ncols, "" where a row is short (heap) */
};

/* Reads the table at path; NULL after saying why on err (escaped). */
struct truth_table *truth_load(const char *path, FILE *err);
void truth_free(struct truth_table *t);
/* The row of the input at input_path, or -1 when the table has none. */
int truth_find(const struct truth_table *t, const char *input_path);
static inline const char *truth_cell(const struct truth_table *t, int row, int col)
{
    return t->cells[(size_t)row * (size_t)t->ncols + (size_t)col];
}

#endif
