/*
 * inputs.c - rotated capture files grouped into one capture (inputs.h).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "inputs.h"
#include "spawn.h"

bool inputs_may_continue(const char *pa, const struct capscan *a, const char *pb,
                         const struct capscan *b, char *why, size_t size)
{
    struct stat sa, sb;
    if (!a->scanned || !b->scanned) {
        snprintf(why, size, "not scanned (%s): a separate input", !b->scanned ? b->why : a->why);
        return false;
    }
    if (stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev &&
        sa.st_ino == sb.st_ino) {
        snprintf(why, size, "the same file given twice: a separate input");
        return false;
    }
    if (a->mixed || b->mixed || a->linktype != b->linktype) {
        snprintf(why, size, "another link type (%s, not %s): a separate capture point",
                 capture_linktype_name(capture_linktype_dlt(b->linktype)),
                 capture_linktype_name(capture_linktype_dlt(a->linktype)));
        return false;
    }
    if (a->snaplen != b->snaplen) {
        snprintf(why, size, "another snap length (%u, not %u): a separate capture", b->snaplen,
                 a->snaplen);
        return false;
    }
    if (a->ifname[0] && b->ifname[0] && strcmp(a->ifname, b->ifname) != 0) {
        snprintf(why, size, "another interface: a separate capture point");
        return false;
    }
    return true;
}

/* Whether file b continues file a (a rotated capture's next file).  `why`
 * says so, or why not.  What the headers tell comes first: the records'
 * times (and whether a record is broken) are known only for files that
 * inputs_scan() walked, those that pass it. */
static bool continues(const char *pa, const struct capscan *a, const char *pb,
                      const struct capscan *b, char *why, size_t size)
{
    if (!inputs_may_continue(pa, a, pb, b, why, size))
        return false;
    if (a->broken || b->broken) {
        snprintf(why, size, "a file ends in a broken record: a separate input");
        return false;
    }
    /* A file without packets (tcpdump -G and editcap -i write one for an
     * interval without traffic) is part of the capture, and says nothing
     * about time: `a` is then the group's last file that has packets. */
    if (!a->has_time || !b->has_time) {
        snprintf(why, size, "same link type %s, snap length %u; a file holds no packet",
                 capture_linktype_name(capture_linktype_dlt(a->linktype)), a->snaplen);
        return true;
    }
    /* Two files of one capture cannot overlap in time: the second begins
     * when the first is closed.  Overlap means two captures running at
     * once, e.g. both ends of a path. */
    if (b->first_ns < a->last_ns) {
        snprintf(why, size,
                 "its packets (from %.6f s) overlap the time of the input before it (to %.6f "
                 "s): captured at the same time, a separate capture point",
                 (double)b->first_ns / 1e9, (double)a->last_ns / 1e9);
        return false;
    }
    snprintf(why, size,
             "same link type %s, snap length %u%s%s, and its first packet %.6f s after the "
             "last of the file before it: time ranges that follow each other without overlap",
             capture_linktype_name(capture_linktype_dlt(a->linktype)), a->snaplen,
             a->ifname[0] ? ", interface " : "", a->ifname,
             (double)(b->first_ns - a->last_ns) / 1e9);
    return true;
}

/* Whether two paths name files of one ring buffer or rotation: the same
 * directory and the same name once digits are left out (tcpdump -C's cap,
 * cap1, cap2; -G's strftime names; dumpcap -b's prefix_00001_DATE).  A
 * writer numbers its files by one pattern; two captures made apart (both
 * ends of a path, one shifted by its clock) are named apart, and only the
 * order given then says which is which. */
static bool one_pattern(const char *pa, const char *pb)
{
    const char *sa = strrchr(pa, '/'), *sb = strrchr(pb, '/');
    size_t da = sa ? (size_t)(sa - pa) : 0, db = sb ? (size_t)(sb - pb) : 0;
    if (da != db || strncmp(pa, pb, da) != 0)
        return false;
    const char *x = pa + da, *y = pb + db;
    for (;;) {
        while (*x >= '0' && *x <= '9')
            x++;
        while (*y >= '0' && *y <= '9')
            y++;
        if (*x != *y)
            return false;
        if (!*x)
            return true;
        x++;
        y++;
    }
}

/* Whether b may be a file of the same capture as a, time aside. */
static bool same_point(const char *pa, const struct capscan *a, const char *pb,
                       const struct capscan *b)
{
    char why[INPUTS_WHYLEN];
    return one_pattern(pa, pb) && inputs_may_continue(pa, a, pb, b, why, sizeof why) &&
           !a->broken && !b->broken && a->has_time && b->has_time;
}

/* The walks of inputs_scan(), shared by its threads: each takes the next
 * file to walk. */
struct walks {
    const char *const *files;
    struct capscan *scans;
    const int *todo; /* indices into files */
    int n;
    _Atomic int next;
};

static void *walk_files(void *arg)
{
    struct walks *w = arg;
    for (int k; (k = w->next++) < w->n;)
        capscan_file(w->files[w->todo[k]], true, &w->scans[w->todo[k]]);
    return NULL;
}

void inputs_scan(const char *const *files, int nfiles, struct capscan *scans)
{
    char why[INPUTS_WHYLEN];
    for (int i = 0; i < nfiles; i++)
        capscan_file(files[i], false, &scans[i]);
    if (nfiles < 2)
        return;
    int todo[INPUTS_MAX_FILES], n = 0;
    for (int i = 0; i < nfiles && n < INPUTS_MAX_FILES; i++) {
        bool walk = false;
        for (int j = 0; j < nfiles && !walk; j++)
            walk = j != i &&
                   inputs_may_continue(files[i], &scans[i], files[j], &scans[j], why, sizeof why);
        if (walk && !scans[i].pcapng)
            todo[n++] = i;
    }
    /* Each walk reads its whole file and depends on no other: two vantage
     * points of 1.3 GB are walked side by side, one a core (this thread is
     * one of them); a thread that cannot be started leaves its share to
     * the others. */
    struct walks w = {files, scans, todo, n, 0};
    int cores = spawn_cores(); /* this process's processors (taskset, a cpuset) */
    int nthreads = n < INPUTS_SCAN_THREADS ? n : INPUTS_SCAN_THREADS;
    if (nthreads > cores)
        nthreads = cores;
    pthread_t t[INPUTS_SCAN_THREADS];
    int started = 0;
    for (int k = 1; k < nthreads; k++)
        if (pthread_create(&t[started], NULL, walk_files, &w) == 0)
            started++;
    walk_files(&w);
    for (int k = 0; k < started; k++)
        pthread_join(t[k], NULL);
}

int inputs_sort_rotated(const char **files, struct capscan *scans, int nfiles, bool *moved)
{
    int sorted = 0;
    if (nfiles > INPUTS_MAX_FILES)
        nfiles = INPUTS_MAX_FILES;
    for (int i = 0; i < nfiles; i++)
        moved[i] = false;
    for (int lo = 0; lo < nfiles;) {
        int hi = lo + 1; /* the run lo..hi-1 */
        while (hi < nfiles && same_point(files[lo], &scans[lo], files[hi], &scans[hi]))
            hi++;
        bool in_order = true;
        for (int k = lo + 1; k < hi; k++)
            in_order &= scans[k].first_ns >= scans[k - 1].first_ns;
        if (hi - lo > 1 && !in_order) {
            /* insertion sort by first timestamp (a few dozen files at most) */
            const char *f[INPUTS_MAX_FILES];
            struct capscan s[INPUTS_MAX_FILES];
            int n = 0;
            for (int k = lo; k < hi; k++) {
                int at = n;
                while (at > 0 && s[at - 1].first_ns > scans[k].first_ns) {
                    f[at] = f[at - 1];
                    s[at] = s[at - 1];
                    at--;
                }
                f[at] = files[k];
                s[at] = scans[k];
                n++;
            }
            /* one capture's files never overlap in time: sorted, each
             * begins after the one before ends, or they are two captures */
            bool follow = true;
            for (int k = 1; k < n; k++)
                follow &= s[k].first_ns >= s[k - 1].last_ns;
            if (follow) {
                for (int k = 0; k < n; k++) {
                    files[lo + k] = f[k];
                    scans[lo + k] = s[k];
                    moved[lo + k] = true;
                }
                sorted++;
            }
        }
        lo = hi;
    }
    return sorted;
}

void inputs_group(struct input_groups *gs, const char *const *files, const struct capscan *scans,
                  int nfiles)
{
    memset(gs, 0, sizeof *gs);
    char why[INPUTS_WHYLEN];
    for (int i = 0; i < nfiles && i < INPUTS_MAX_FILES; i++) {
        struct input_group *g = gs->n ? &gs->g[gs->n - 1] : NULL;
        bool cont = false;
        if (g) {
            /* the group's last file with packets (its time range), else its last */
            int last = i - 1;
            for (int k = i - 1; k >= i - g->nfiles; k--)
                if (scans[k].has_time) {
                    last = k;
                    break;
                }
            cont = continues(files[last], &scans[last], files[i], &scans[i], why, sizeof why);
        }
        if (cont) {
            uint64_t prev = g->first_frame[g->nfiles - 1] + scans[i - 1].records;
            if (g->nfiles == 1 || !strstr(g->why, "follow each other"))
                snprintf(g->why, sizeof g->why, "%s", why);
            g->first_frame[g->nfiles] = prev;
            g->files[g->nfiles++] = files[i];
            continue;
        }
        g = &gs->g[gs->n++];
        g->nfiles = 1;
        g->files[0] = files[i];
        g->first_frame[0] = 1;
        if (i > 0)
            snprintf(g->why, sizeof g->why, "%s", why);
    }
}

const struct input_group *inputs_group_of(const struct input_groups *gs, const char *path)
{
    if (!gs)
        return NULL;
    for (int i = 0; i < gs->n; i++)
        if (gs->g[i].files[0] == path)
            return &gs->g[i];
    return NULL;
}

void inputs_group_scan(const struct capscan *scans, int nfiles, struct capscan *out)
{
    *out = scans[0];
    for (int i = 1; i < nfiles; i++) {
        const struct capscan *s = &scans[i];
        out->records += s->records;
        if (s->has_time && (!out->has_time || s->last_ns > out->last_ns))
            out->last_ns = s->last_ns;
        out->isbs += s->isbs;
        out->isb_malformed += s->isb_malformed;
        if (!out->isb_error[0])
            snprintf(out->isb_error, sizeof out->isb_error, "%s", s->isb_error);
#define KEEP_MAX(has, v)                                                                           \
    if (s->has && (!out->has || s->v > out->v)) {                                                  \
        out->has = true;                                                                           \
        out->v = s->v;                                                                             \
    }
        KEEP_MAX(has_end, end_ns)
        KEEP_MAX(has_end_us, end_us_ns)
        KEEP_MAX(has_ifrecv, ifrecv)
        KEEP_MAX(has_ifdrop, ifdrop)
        KEEP_MAX(has_osdrop, osdrop)
#undef KEEP_MAX
    }
}

int inputs_frame_file(const struct input_group *g, uint64_t frame, uint64_t *in_file)
{
    int k = 0;
    while (k + 1 < g->nfiles && frame >= g->first_frame[k + 1])
        k++;
    *in_file = frame - g->first_frame[k] + 1;
    return k;
}
