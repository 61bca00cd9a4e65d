/*
 * outdir.h - the directory of `-o DIR`, written so that nobody else who can
 * reach it can redirect, swap or run what mtuscope writes there.
 *
 * The threat is the ordinary one: `mtuscope -o /tmp/report` when another user
 * made /tmp/report first.  Links planted there would make mtuscope (perhaps
 * root) overwrite their targets; a chart script swapped between its writing
 * and gnuplot's run would execute as mtuscope's user.  So:
 *
 *   - DIR is created with mode 0700 when it does not exist.  An existing DIR
 *     must be a directory that the effective user owns and that neither its
 *     group nor others can write: the rule OpenSSH's StrictModes applies to
 *     ~/.ssh.  DIR given as a symbolic link is followed only when the link
 *     itself is ours (the kernel's fs.protected_symlinks rule).
 *   - Every stage writes into a private staging directory (mkdtemp, 0700,
 *     in $TMPDIR or /tmp) and gnuplot runs there.  Nothing in DIR is ever
 *     executed or read back.
 *   - outdir_publish() copies each staged file into DIR through the
 *     directory's descriptor: a temporary name opened O_CREAT | O_EXCL |
 *     O_NOFOLLOW, renamed over the final name.  A reader never sees half a
 *     file; a link planted under a final name is replaced, never followed.
 *   - Files of an earlier run that this one did not write are removed, but
 *     only names the caller says mtuscope writes: DIR may hold other files.
 *   - Runs into one DIR are serialised by flock() on it, so two runs leave
 *     the complete set of one of them, never a mix.
 *
 * A DIR path is opened once and never concatenated with a file name, so a
 * path of any length the kernel accepts works.
 */
#ifndef MTUSCOPE_OUTDIR_H
#define MTUSCOPE_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

#define OUTDIR_ERRLEN 4608 /* PATH_MAX and a sentence */

struct outdir;

/* Checks or creates DIR and makes the staging directory.  NULL with the
 * reason in err (naming DIR) when DIR is unsafe or unusable. */
struct outdir *outdir_open(const char *path, char err[OUTDIR_ERRLEN]);

/* The staging directory: a short absolute path, private to this run, where
 * the stages write their files by name. */
const char *outdir_stage(const struct outdir *od);

/* Which names in DIR mtuscope writes (and so may replace or remove). */
typedef bool (*outdir_owns_fn)(const char *name);

struct outdir_result {
    char **written; /* names put into DIR, in the order written (heap) */
    size_t nwritten;
    char **removed; /* names of an earlier run removed from DIR (heap) */
    size_t nremoved;
};

/* Moves every staged file into DIR (the reports last, so a complete
 * report.html means a complete set), then removes what `owns` claims and
 * this run did not write.  False with the reason in err; what was written
 * before the failure is listed in res. */
bool outdir_publish(struct outdir *od, outdir_owns_fn owns, struct outdir_result *res,
                    char err[OUTDIR_ERRLEN]);

void outdir_result_free(struct outdir_result *res);

/* Removes the staging directory and what it still holds; closes DIR. */
void outdir_close(struct outdir *od);

#endif
