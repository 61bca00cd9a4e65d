/* outdir.c - the -o DIR directory, checked, staged and published (outdir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outdir.h"

struct outdir {
    int dirfd;   /* DIR, opened once */
    int stagefd; /* the staging directory */
    char stage[PATH_MAX];
};

/* The staging parent: $TMPDIR when it is an absolute path short enough for
 * the charts' own names (plots.c builds paths from it), else /tmp. */
static const char *tmp_parent(void)
{
    const char *t = getenv("TMPDIR");
    return t && t[0] == '/' && strlen(t) < 256 ? t : "/tmp";
}

static void fail(char err[OUTDIR_ERRLEN], const char *path, const char *why)
{
    snprintf(err, OUTDIR_ERRLEN, "%s: %s", path, why);
}

/* Opens DIR (creating it 0700 when missing) and checks who may write it. */
static int open_dir(const char *path, char err[OUTDIR_ERRLEN])
{
    if (!*path) {
        fail(err, "-o", "an empty directory name");
        return -1;
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        fail(err, path, strerror(errno));
        return -1;
    }
    struct stat lst;
    if (lstat(path, &lst) != 0) {
        fail(err, path, strerror(errno));
        return -1;
    }
    uid_t me = geteuid();
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    if (S_ISLNK(lst.st_mode)) {
        if (lst.st_uid != me) {
            fail(err, path,
                 "is a symbolic link that another user owns: mtuscope does not follow it "
                 "(give the directory itself)");
            return -1;
        }
    } else {
        flags |= O_NOFOLLOW; /* what lstat saw must be what we open */
    }
    int fd = open(path, flags);
    if (fd < 0) {
        fail(err, path,
             errno == ENOTDIR ? "exists and is not a directory"
             : errno == ELOOP ? "was replaced by a symbolic link while it was being opened"
                              : strerror(errno));
        return -1;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (st.st_uid != me)
        why = "belongs to another user: mtuscope writes only into a directory it owns "
              "(choose another -o DIR, or remove this one)";
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        why = st.st_mode & S_IWOTH
                  ? "can be written by other users: they could plant links or swap files "
                    "in it (chmod go-w it, or choose another -o DIR)"
                  : "can be written by its group: they could plant links or swap files in "
                    "it (chmod g-w it, or choose another -o DIR)";
    if (why) {
        fail(err, path, why);
        close(fd);
        return -1;
    }
    return fd;
}

struct outdir *outdir_open(const char *path, char err[OUTDIR_ERRLEN])
{
    struct outdir *od = calloc(1, sizeof *od);
    if (!od) {
        fail(err, path, "out of memory");
        return NULL;
    }
    od->stagefd = -1;
    od->dirfd = open_dir(path, err);
    if (od->dirfd < 0) {
        free(od);
        return NULL;
    }
    snprintf(od->stage, sizeof od->stage, "%s/mtuscope-XXXXXX", tmp_parent());
    if (!mkdtemp(od->stage) ||
        (od->stagefd = open(od->stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        snprintf(err, OUTDIR_ERRLEN, "a private staging directory in %s: %s", tmp_parent(),
                 strerror(errno));
        if (od->stage[0] && !strstr(od->stage, "XXXXXX"))
            rmdir(od->stage);
        close(od->dirfd);
        free(od);
        return NULL;
    }
    return od;
}

const char *outdir_stage(const struct outdir *od)
{
    return od->stage;
}

/* ------------------------------------------------------------ publishing */

static bool write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

/* A temporary name for NAME in DIR: hidden, and recognisable as ours so a
 * run that died leaves nothing the next run cannot clean. */
#define TMP_MARK ".mtuscope-tmp-"

static bool is_tmp_name(const char *name)
{
    return name[0] == '.' && strstr(name, TMP_MARK) != NULL;
}

/* Copies the staged file NAME into DIR under a temporary name, then renames
 * it into place. */
static bool copy_in(struct outdir *od, const char *name, char err[OUTDIR_ERRLEN])
{
    int in = openat(od->stagefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, OUTDIR_ERRLEN, "%s (staged): %s", name, strerror(errno));
        return false;
    }
    char tmp[NAME_MAX + 1];
    int out = -1;
    for (int i = 0; i < 1000 && out < 0; i++) {
        snprintf(tmp, sizeof tmp, ".%.64s" TMP_MARK "%ld-%d", name, (long)getpid(), i);
        out = openat(od->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (out < 0 && errno != EEXIST)
            break;
    }
    if (out < 0) {
        snprintf(err, OUTDIR_ERRLEN, "%s: %s", name, strerror(errno));
        close(in);
        return false;
    }
    char buf[65536];
    ssize_t n;
    bool ok = true;
    while (ok && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ok = false;
        } else {
            ok = write_all(out, buf, (size_t)n);
        }
    }
    int e = errno;
    close(in);
    if (close(out) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && renameat(od->dirfd, tmp, od->dirfd, name) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        unlinkat(od->dirfd, tmp, 0);
        snprintf(err, OUTDIR_ERRLEN, "%s: %s", name, strerror(e));
    }
    return ok;
}

/* The staged names, the reports last and report.html the very last. */
static int rank(const char *name)
{
    return strcmp(name, "report.html") == 0 ? 2 : strncmp(name, "report.", 7) == 0 ? 1 : 0;
}

static int by_rank(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int d = rank(x) - rank(y);
    return d ? d : strcmp(x, y);
}

static bool push(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return false;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return false;
    (*n)++;
    return true;
}

/* The names in directory fd that pass keep() (NULL: regular files). */
static bool list_dir(int fd, bool (*keep)(const char *), char ***names, size_t *n)
{
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return false;
    }
    rewinddir(d);
    struct dirent *de;
    bool ok = true;
    while (ok && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (keep ? keep(de->d_name) : true)
            ok = push(names, n, de->d_name);
    }
    closedir(d);
    return ok;
}

static bool contains(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

bool outdir_publish(struct outdir *od, outdir_owns_fn owns, struct outdir_result *res,
                    char err[OUTDIR_ERRLEN])
{
    memset(res, 0, sizeof *res);
    char **staged = NULL;
    size_t nstaged = 0;
    if (!list_dir(od->stagefd, NULL, &staged, &nstaged)) {
        snprintf(err, OUTDIR_ERRLEN, "the staging directory %s: %s", od->stage, strerror(errno));
        return false;
    }
    qsort(staged, nstaged, sizeof *staged, by_rank);

    while (flock(od->dirfd, LOCK_EX) != 0 && errno == EINTR)
        ;
    bool ok = true;
    for (size_t i = 0; ok && i < nstaged; i++) {
        ok = copy_in(od, staged[i], err);
        if (ok && !push(&res->written, &res->nwritten, staged[i])) {
            snprintf(err, OUTDIR_ERRLEN, "out of memory");
            ok = false;
        }
    }
    /* what an earlier run wrote and this one did not: its charts of flows
     * that are not charted now, and temporary files of a run that died */
    char **present = NULL;
    size_t npresent = 0;
    if (ok && list_dir(od->dirfd, NULL, &present, &npresent)) {
        for (size_t i = 0; i < npresent; i++) {
            const char *name = present[i];
            if (!(is_tmp_name(name) || owns(name)) || contains(staged, nstaged, name))
                continue;
            struct stat st;
            if (fstatat(od->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
                continue;
            if (unlinkat(od->dirfd, name, 0) == 0 && !is_tmp_name(name))
                push(&res->removed, &res->nremoved, name);
        }
    }
    flock(od->dirfd, LOCK_UN);
    for (size_t i = 0; i < npresent; i++)
        free(present[i]);
    free(present);
    for (size_t i = 0; i < nstaged; i++)
        free(staged[i]);
    free(staged);
    return ok;
}

void outdir_result_free(struct outdir_result *res)
{
    for (size_t i = 0; i < res->nwritten; i++)
        free(res->written[i]);
    for (size_t i = 0; i < res->nremoved; i++)
        free(res->removed[i]);
    free(res->written);
    free(res->removed);
    memset(res, 0, sizeof *res);
}

void outdir_close(struct outdir *od)
{
    if (!od)
        return;
    char **names = NULL;
    size_t n = 0;
    list_dir(od->stagefd, NULL, &names, &n);
    for (size_t i = 0; i < n; i++) {
        unlinkat(od->stagefd, names[i], 0);
        free(names[i]);
    }
    free(names);
    close(od->stagefd);
    rmdir(od->stage);
    close(od->dirfd);
    free(od);
}
