/*
 * gen.c - mtuscope-gen OUTDIR: writes every synthetic trace into OUTDIR.
 *
 * The traces are the regression corpus for stories a lab cannot replay on
 * demand; they must be byte-identical on every run so that a changed file in
 * `git status` always means a changed generator, never a changed clock.
 */
#include "gen.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

const char *gen_path(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "mtuscope-gen: path too long: %s/%s\n", dir, name);
        exit(2);
    }
    return buf;
}

uint64_t gen_time(unsigned trace_no)
{
    return (GEN_T0_SEC + 60ULL * trace_no) * NS_PER_SEC;
}

int gen_write_pcap(const char *dir, const char *name, struct trace *tr, int linktype, bool nano)
{
    char path[4096];

    trace_sort(tr);
    gen_path(path, sizeof path, dir, name);
    if (write_pcap(path, tr, linktype, nano) != 0) {
        fprintf(stderr, "mtuscope-gen: cannot write %s\n", path);
        return -1;
    }
    printf("%-34s %4zu frames\n", name, tr->nf);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(const char *dir, struct trace *tr);
} scenarios[] = {
    {"fragneeded-mtu0", gen_fragneeded_mtu0},
    {"ping-sweep", gen_ping_sweep},
    {"pppoe-blackhole", gen_pppoe_blackhole},
    {"mpls-qinq", gen_mpls_qinq},
    {"windows-fallback", gen_windows_fallback},
    {"geneve-options", gen_geneve_options},
    {"esp-gre-keys", gen_esp_gre_keys},
    {"two-interfaces", gen_two_interfaces},
    {"nanosecond", gen_nanosecond},
    {"truncated", gen_truncated},
    {"vxlan-toobig", gen_vxlan_toobig},
    {"wireguard-ipv6-outer", gen_wireguard_ipv6_outer},
    {"phone-vs-pc", gen_phone_vs_pc},
    {"ssh-http-smb", gen_ssh_http_smb},
    {"mtu-series", gen_mtu_series},
    {"windows-ping-sweep", gen_windows_ping_sweep},
    {"wireguard-ipv6-ptb", gen_wireguard_ipv6_ptb},
    {"esp-blackhole", gen_esp_blackhole},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mtuscope-gen OUTDIR\n");
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    /* ~1 MB: too big for the stack, reused by every scenario. */
    struct trace *tr = malloc(sizeof *tr);
    if (!tr) {
        perror("malloc");
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        trace_reset(tr);
        if (scenarios[i].fn(argv[1], tr) != 0) {
            fprintf(stderr, "mtuscope-gen: scenario %s failed\n", scenarios[i].name);
            rc = 1;
        }
    }
    free(tr);
    return rc;
}
