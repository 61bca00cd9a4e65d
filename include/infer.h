/*
 * infer.h - the rooms of the inference stage and what they share.
 *
 * inference.c runs the collectors in order; each reads what the earlier
 * stages kept (stats.h, results.h, correlate.h) and adds findings, black
 * holes and path bounds to struct inference, and counts to struct tally:
 *
 *   inf_icmp.c      ICMP frag-needed / packet-too-big, obeyed or not
 *   inf_measured.c  packets matched across two captures; ping sweeps
 *   inf_tcp.c       black holes seen by the TCP sender or receiver, a
 *                   sender fallen silent, MSS clamps
 *   inf_tunnel.c    per-tunnel overhead and MTU, WireGuard counters, opaque
 *                   tunnels re-sending with backoff, the MSS hint
 *   inf_link.c      links that state their MTU: PPP's LCP MRU, OSPF's DBD
 *   paths.c         bounds per path, folded into an exact MTU where they meet
 *   verdict.c       the table of rules (verdict.h) over the tally's counts
 *   wording.c       the verdict's sentences and the advice (advice.h) in words
 *   wording_findings.c  every evidence record (evidence.h) in words
 *   wording_fix.c   the fix as lines to paste, or the probe that measures it
 *   findings.c      text, findings, recommendations, black holes
 *   compare.c       the flows that work beside those that stall, last, after
 *                   the fix (compare.h: inference.cmp)
 *
 * Only these files include infer.h; the rest of mtuscope reads
 * inference.h.
 */
#ifndef MTUSCOPE_INFER_H
#define MTUSCOPE_INFER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "correlate.h"
#include "inference.h"

/* What the collectors counted, and the headline record of each kind (the
 * one the verdict's sentences quote). */
struct tally {
    int blackholes, suspected, healed, pmtud_ok, icmp_ignored, clamped, tcp_delivered;
    int df_clear_lost; /* of blackholes + resends: their packets went with DF clear (IPv4) */
    int tcp_tested;    /* TCP directions that delivered a full-size packet (inf_tcp.c) */
    /* host pairs whose fragmented datagrams arrived complete past a router
     * (inf_udp.c), and the one with the largest fragment */
    int frag_arrived;
    /* UDP conversations whose requests were repeated after each fragmented
     * reply only (udpx.h), and the one with the most repeats */
    int udp_resent;
    const struct udpx_conv *resent;
    int resent_input;
    uint64_t resent_flow;
    const struct defrag_arrived *arrived;
    int arrived_input;
    uint32_t probe_mtu; /* the MTU a router reported to a DF ping sweep (inf_icmp.c) */
    const struct flow_summary *untested_flow; /* the largest delivery below full size */
    uint32_t untested_largest, untested_full; /* its size; full size (0: MSS unknown) */
    uint32_t pmtud_mtu;                       /* an MTU a router reported and the sender obeyed */
    bool pmtud_guessed; /* ... reported as 0: the sender's RFC 1191 plateau guess */
    int sweep_cliffs;   /* ping sweeps with answered and unanswered sizes */
    int wg_suspected;   /* WireGuard flows with messages lost */
    const struct flow_summary *wg_flow;
    int silent; /* receiver side: senders that fell silent after small data */
    const struct flow_summary *silent_flow;
    int silent_dir;
    uint32_t silent_full;
    int measured; /* directions whose loss by size was measured across two captures */
    struct corr_verdict mv;
    const struct corr_dir *md;
    int mup, mdown;
    int tunnel_clean; /* WireGuard flows with every counter seen and nothing re-sent */
    const struct flow_summary *clean_flow;
    /* a WireGuard flow with no counter missing whose full-size messages were
     * never followed by a later counter: nothing proven either way */
    const struct flow_summary *wg_unproven;
    int resends; /* opaque tunnels re-sending their largest datagrams with backoff */
    const struct results_resend *resend;
    const struct flow_summary *resend_flow;
    int loopback_tcp;     /* TCP connections between loopback addresses (they test no path) */
    int capped;           /* a sender's data re-sent capped below its MSS: seen by the receiver, */
    uint32_t capped_size; /* or at the sender, at once, smaller than it first sent it */
    uint32_t capped_from; /* at the sender: the size it first sent (0: receiver side) */
    const struct flow_summary *capped_flow;
    const struct pmtud_sweep *sweep;
    const struct pmtud_sweep *sweep_small; /* one cut at a size every path carries: no cliff */
    int syn_floods; /* listeners with INF_SYN_FLOOD_MIN unanswered connection attempts or more */
    const struct results_listener *syn_listener; /* the one with the most */
    uint32_t worst_smallest_lost, worst_largest_delivered;
    const struct flow_summary *worst;
    int worst_dir;
    int link_mrus;     /* PPP links whose MRU was requested and acknowledged (inf_link.c) */
    uint32_t link_mru; /* ... the smallest */
    bool link_pppoe;   /* ... carried in PPPoE */
    int box_loss;      /* flow directions the capturing host dropped from a size up (box.h) */
    const struct box_dir *box;
    const struct flow_summary *box_flow;
    int ospf_mismatch; /* OSPF neighbours stating unequal interface MTUs */
    const struct ospf_dbd_msg *ospf, *ospf_peer; /* the first such pair */
};

/* ---- findings.c ---- */

/* Text allocated to its length (a 300-character file name is kept whole);
 * on an allocation failure an empty text that inf_text_free() ignores. */
void inf_text_free(char *s);
void inf_vfmt(char **dst, const char *f, va_list ap);
void inf_fmt(char **dst, const char *f, ...) __attribute__((format(printf, 2, 3)));
struct inf_finding *inf_add_finding(struct inference *inf, enum inf_severity sev, const char *kind,
                                    uint64_t flow, int input);
/* A recommendation's words, once (a repeat is dropped), at most
 * INF_MAX_RECS: false when not added.  Only wording.c's inf_advise() calls
 * it: advice is data first (advice.h). */
bool inf_add_rec(struct inference *inf, const char *text);
struct inf_blackhole *inf_add_blackhole(struct inference *inf, uint64_t flow, int dir,
                                        bool suspected);
/* Direction d's large packets went with DF clear from the start (IPv4):
 * a router fragments such packets instead of refusing them, so what is lost
 * of them is fragments.  Not a sender that set DF and cleared it later (the
 * black hole detection of Windows and macOS): its lost packets had DF, and
 * the DF-clear ones are its heal. */
static inline bool inf_df_clear_lost(const struct flow_summary *f, int d)
{
    return (f->df_clear_large >> d & 1) && !f->dir[d].df_cleared;
}
/* How the sender of direction d healed its black hole (enum inf_healer),
 * from the DF bit of what it sent (inf_tcp.c). */
uint8_t inf_healer_of(const struct flow_summary *f, int d);
/* IP + TCP header bytes: an MTU less this is the MSS (40, or 60 for IPv6). */
uint32_t inf_tcpip_hdr(const struct flow_summary *f);
/* The largest IP packet every path carries, whose loss says nothing of an
 * MTU: 576 bytes for IPv4 (the datagram every host accepts, RFC 791), 1280
 * for IPv6 (every link's minimum MTU, RFC 8200 5). */
static inline uint32_t inf_every_path_carries(int ip_version)
{
    return ip_version == 6 ? 1280 : 576;
}
/* The MSS that limits a flow's packets both ways: the smaller of the two
 * announced (each side's receiver limit, and its own link), 0 when no SYN
 * was seen. */
uint32_t inf_flow_mss(const struct flow_summary *f);
int inf_icmp_flat_index(struct input_stats *const *inputs, int input, int k);
enum inf_layer inf_flow_layer(const struct flow_summary *f);
void inf_direction_addrs(const struct flow_summary *f, int d, const struct addr **src,
                         const struct addr **dst);
uint64_t inf_anomaly_total(struct input_stats *const *inputs, int ninputs, enum anomaly a);

/* ---- paths.c ---- */

struct inf_path *inf_path_for(struct inference *inf, const struct addr *src, const struct addr *dst,
                              enum inf_layer layer, uint32_t tunnel);
void inf_evidence(struct inf_path *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
void inf_bound_lower(struct inf_path *p, uint32_t v, const char *why, ...)
    __attribute__((format(printf, 3, 4)));
void inf_bound_upper(struct inf_path *p, uint32_t v);
/* An upper bound that is the smallest size seen lost, less one: a bound,
 * never a value to configure unless the bounds meet (upper_loss). */
void inf_bound_upper_loss(struct inf_path *p, uint32_t v);
void inf_paths_fold(struct inference *inf);

/* ---- the collectors, in the order inference_run() calls them ---- */

/* inf_capture.c: the capture's own copies of packets, as findings. */
void inf_capture_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                       const struct results *res);

void inf_icmp_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                    const struct results *res, struct tally *t);
void inf_correlation_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                           const struct results *res, struct tally *t);
void inf_sender_side(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                     const struct results *res, const struct flow_summary *f, int d,
                     struct tally *t);
void inf_receiver_side(struct inference *inf, const struct flow_summary *f, int d, struct tally *t);
void inf_outage(struct inference *inf, const struct flow_summary *f, int d);
/* An ICMP MTU message about the outer packets of the tunnel that carries
 * flow f (quoted addresses of the tunnel's outer pair, either way): the
 * tunnel endpoint was told, the inner sender was not.  NULL when none. */
const struct icmp_mtu_msg *inf_tunnel_icmp(struct input_stats *const *inputs, int ninputs,
                                           const struct results *res, const struct flow_summary *f);
void inf_silent_sender(struct inference *inf, const struct results *res,
                       const struct flow_summary *f, int d, struct tally *t);
/* MSS clamps, proven by a SYN seen at two points with different MSS values;
 * in one capture, different MSS values are only noted. */
void inf_mss_stage(struct inference *inf, const struct results *res, int ninputs, struct tally *t);
void inf_wireguard_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                         const struct results *res, struct tally *t);
void inf_resend_stage(struct inference *inf, const struct results *res, struct tally *t);
void inf_sweep_stage(struct inference *inf, const struct results *res, struct tally *t);
void inf_fragment_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs);
/* inf_measured.c: -i any on a router, what entered it and never left (box.h). */
void inf_box_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                   const struct results *res, struct tally *t);
/* inf_udp.c: fragmented datagrams (UDP, mostly) that arrived complete
 * after crossing a router: full-size packets delivered, the path tested. */
void inf_arrived_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                       struct tally *t);
/* inf_udp.c: UDP requests repeated after each fragmented reply (udpx.h),
 * a suspicion of fragment loss, as findings. */
void inf_udp_resent_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                          const struct results *res, struct tally *t);
/* inf_tcp.c: each retransmission storm (results.h, counted once) as a finding. */
void inf_storm_stage(struct inference *inf, const struct results *res);
void inf_tunnel_stage(struct inference *inf, const struct results *res);
/* inf_link.c: PPP's LCP MRU and OSPF's interface MTUs. */
void inf_link_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                    struct tally *t);
/* inf_syn.c: connection attempts no listener answered (results.h), a SYN
 * flood from INF_SYN_FLOOD_MIN attempts to one listener. */
void inf_syn_stage(struct inference *inf, const struct results *res, struct tally *t);

/* inf_tunnel.c, for the wording: advice naming the tunnel whose default
 * MTU an MSS implies; the display name of an opaque tunnel. */
void inf_tunnel_hint(struct inference *inf, const struct flow_summary *f, int d);
const char *inf_opaque_name(uint8_t type);
/* The WireGuard MTU a flow's largest datagram shows (its size less the
 * overhead); *exact when the padding proves it is the MTU itself. */
/* WireGuard direction d was captured past a router (its TTL below the usual
 * initial values): only then do later counters say its datagrams arrived. */
bool inf_wg_crossed(const struct flow_summary *f, int d);
uint32_t inf_wg_mtu_in_use(const struct flow_summary *f, bool *exact);
/* What a flow's re-sent datagrams are: its opaque tunnel's name, else "UDP". */
const char *inf_resend_name(const struct flow_summary *f);
/* A run of re-sent datagrams says the path drops their size (inf_tunnel.c). */
bool inf_resend_says_size(const struct flow_summary *f, const struct resend_run *r);

/* ---- wording.c ---- */

/* A piece of advice (advice.h): stored beside its words in recs[]. */
void inf_advise(struct inference *inf, const struct advice *a);
/* Its words alone (a tunnel's config line). */
void inf_advice_text(const struct advice *a, char **out);

/* ---- wording_fix.c ---- */

/* The fix as lines to paste (inference.h's struct inf_fix), from the paths,
 * the tunnels and the verdict's advice: after inf_verdict(). */
void inf_fix(struct inference *inf, const struct results *res);
void inf_fix_free(struct inf_fix *fx);

/* ---- wording_findings.c ---- */

/* A finding from an evidence record: stored, and put in words. */
struct inf_finding *inf_record(struct inference *inf, const struct ev_record *r);

/* The verdict: verdict.c's first rule that holds, in words. */
void inf_verdict(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                 const struct results *res, const struct tally *t);

#endif
