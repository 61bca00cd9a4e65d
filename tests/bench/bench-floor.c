/*
 * bench-floor.c - the floor of `make bench`: libpcap's offline reader and
 * nothing else.  No analyser can read a capture faster than this loop, so
 * mtuscope's speed is reported as a ratio to it.
 *
 *   bench-floor [-d] [-b BYTES] FILE
 *
 * -d reads with pcap_dispatch instead of pcap_next_ex, -b gives the FILE a
 * stdio buffer of BYTES: the two knobs issue 7 asks us to measure.  It prints
 * the packets and the captured bytes, so a run that read nothing shows.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct count {
    uint64_t packets, bytes;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct count *n = (struct count *)user;
    (void)data;
    n->packets++;
    n->bytes += h->caplen;
}

int main(int argc, char **argv)
{
    int dispatch = 0;
    long bufsize = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-d") == 0)
            dispatch = 1;
        else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
            bufsize = atol(argv[++i]);
        else
            break;
    }
    if (i != argc - 1) {
        fprintf(stderr, "usage: bench-floor [-d] [-b BYTES] FILE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    FILE *fp = fopen(argv[i], "rb");
    if (!fp) {
        perror(argv[i]);
        return 1;
    }
    if (bufsize > 0 && setvbuf(fp, NULL, _IOFBF, (size_t)bufsize) != 0) {
        perror("setvbuf");
        return 1;
    }
    /* the same call and precision as mtuscope's capture.c */
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) {
        fprintf(stderr, "bench-floor: %s: %s\n", argv[i], err);
        return 1;
    }
    struct count n = {0, 0};
    int rc;
    if (dispatch) {
        while ((rc = pcap_dispatch(p, 4096, on_packet, (u_char *)&n)) > 0)
            ;
    } else {
        struct pcap_pkthdr *h;
        const u_char *data;
        while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
            n.packets++;
            n.bytes += h->caplen;
        }
        if (rc == PCAP_ERROR_BREAK)
            rc = 0;
    }
    if (rc < 0) {
        fprintf(stderr, "bench-floor: %s: %s\n", argv[i], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("%llu packets %llu bytes\n", (unsigned long long)n.packets, (unsigned long long)n.bytes);
    return 0;
}
