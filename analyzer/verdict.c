/* verdict.c - the verdict table (verdict.h). */
#include <string.h>

#include "verdict.h"

const struct verdict_name verdict_names[VS__COUNT] = {
    [VS_BLACKHOLE] = {"blackhole", TONE_PROBLEM,
                      "packets above a size are lost and nothing tells the sender"},
    [VS_PMTUD_WORKING] = {"pmtud-working", TONE_OK,
                          "a smaller path MTU exists and the sender learned it"},
    [VS_FRAGMENTATION_LOSS] = {"fragmentation-loss", TONE_PROBLEM,
                               "fragments are lost, and with each one its whole datagram"},
    [VS_MSS_CLAMPED] = {"mss-clamped", TONE_OK,
                        "the MSS is lowered on the path: TCP fits, other protocols may not"},
    [VS_RETRANSMISSION_STORM] = {"retransmission-storm", TONE_PROBLEM,
                                 "heavy loss with no sign that packet size is the cause"},
    [VS_HEALTHY] = {"healthy", TONE_OK, "the sizes sent were delivered"},
    [VS_INCONCLUSIVE] = {"inconclusive", TONE_UNKNOWN,
                         "the capture holds no evidence about the path MTU either way"},
};

enum verdict_status verdict_status_from_name(const char *name)
{
    for (int i = 0; i < VS__COUNT; i++)
        if (strcmp(verdict_names[i].name, name) == 0)
            return (enum verdict_status)i;
    return VS__COUNT;
}

/* Fragments lost by size: every lost datagram lost exactly its largest
 * fragments (those cut to the link's MTU) while its small last one arrived
 * (defrag.h, lost_by_size).  A fragment filter drops the others and keeps
 * the first; losing the large and keeping the small is a link or tunnel
 * that drops packets above a size, a black hole, and letting fragments
 * through would not help.  Needed as for fragment loss: two such datagrams
 * and not one fragmented datagram completed, or flows suffering beside. */
static bool fragment_size_limit(const struct verdict_evidence *e)
{
    return e->frag_incomplete && e->frag_lost_by_size == e->frag_incomplete &&
           (e->blackholes || e->suspected || e->retransmissions ||
            (e->frag_incomplete >= 2 && e->frag_none_reassembled));
}

/* Lost fragments lose their datagram.  With TCP stalling or re-sending
 * beside them they are the cause; alone, two or more lost and not one
 * fragmented datagram completed is no random loss (that would spare some):
 * fragments are being dropped. */
static bool fragment_loss(const struct verdict_evidence *e)
{
    return e->frag_incomplete && (e->blackholes || e->suspected || e->retransmissions ||
                                  (e->frag_incomplete >= 2 && e->frag_none_reassembled));
}
/* Packets with DF clear are never refused with an ICMP frag-needed: a
 * router whose next link is too small cuts them into fragments (RFC 791),
 * and when the sender still re-sends them at doubling intervals, never
 * acknowledged, it is their fragments that are lost (a filter dropping
 * fragments, RFC 7872's IPv6 finding holds for IPv4 middleboxes too), and
 * with one fragment the whole packet.  Holds only when every such loss went
 * with DF clear: one with DF set beside it is the black hole of the next
 * rule, whose fix (let ICMP through) is then needed too. */
static bool df_clear_loss(const struct verdict_evidence *e)
{
    int lost = e->blackholes + e->resends;
    return lost > 0 && e->df_clear_lost == lost;
}
static bool sender_blackhole(const struct verdict_evidence *e)
{
    return e->blackholes > 0;
}
static bool measured_loss(const struct verdict_evidence *e)
{
    return e->measured > 0;
}
static bool receiver_suspected(const struct verdict_evidence *e)
{
    return e->suspected > 0;
}
static bool healed_by_sender(const struct verdict_evidence *e)
{
    return e->healed > 0;
}
static bool wg_counter_gap(const struct verdict_evidence *e)
{
    return e->wg_suspected > 0;
}
static bool tunnel_resend(const struct verdict_evidence *e)
{
    return e->resends > 0;
}
static bool silent_sender(const struct verdict_evidence *e)
{
    return e->silent && !e->pmtud_ok && !e->capped && !e->clamped;
}
static bool sweep_cliff(const struct verdict_evidence *e)
{
    return e->sweep_cliffs && !e->pmtud_ok;
}
static bool icmp_ignored(const struct verdict_evidence *e)
{
    return e->icmp_ignored > 0;
}
static bool storm(const struct verdict_evidence *e)
{
    return e->storms && !e->pmtud_ok && !e->capped;
}
static bool capped_below_mss(const struct verdict_evidence *e)
{
    return e->capped && !e->pmtud_ok;
}
static bool pmtud_working(const struct verdict_evidence *e)
{
    return e->pmtud_ok > 0;
}
static bool mss_clamped(const struct verdict_evidence *e)
{
    return e->clamped > 0;
}
static bool udp_resent(const struct verdict_evidence *e)
{
    return e->udp_resent > 0;
}
static bool tcp_delivered(const struct verdict_evidence *e)
{
    return e->tcp_tested > 0;
}
static bool untested(const struct verdict_evidence *e)
{
    return e->tcp_delivered > 0;
}
static bool tunnel_clean(const struct verdict_evidence *e)
{
    return e->tunnel_clean > 0;
}
/* A datagram lost beside them (fragments that never all came) says the
 * path does not carry everything: never healthy then. */
static bool fragments_arrived(const struct verdict_evidence *e)
{
    return e->frag_arrived > 0 && !e->frag_incomplete;
}
static bool syn_flood(const struct verdict_evidence *e)
{
    return e->syn_floods > 0;
}
static bool always(const struct verdict_evidence *e)
{
    (void)e;
    return true;
}

const struct verdict_rule verdict_rules[VR__COUNT] = {
    {VR_FRAGMENT_SIZE_LIMIT, VS_BLACKHOLE, "blackhole", fragment_size_limit,
     "datagrams lost whose small last fragment arrived and whose full-size fragments never "
     "did: the path drops packets above a size (a fragment filter would keep the first "
     "fragment and drop the rest), so the fix is a smaller MTU, not letting fragments through"},
    {VR_FRAGMENT_LOSS, VS_FRAGMENTATION_LOSS, "fragment-loss", fragment_loss,
     "datagrams whose fragments never all arrived while flows retransmit or stall, or every "
     "fragmented datagram lost: one lost fragment loses the whole datagram, so only the large "
     "datagrams are lost"},
    {VR_DF_CLEAR_LOSS, VS_FRAGMENTATION_LOSS, "fragment-loss", df_clear_loss,
     "full-size packets with DF clear re-sent again and again, never acknowledged, while smaller "
     "ones cross: no router refuses a DF-clear packet, it fragments it, so the fragments are "
     "dropped; letting ICMP through cannot help, a smaller MTU or letting fragments pass does"},
    {VR_SENDER_BLACKHOLE, VS_BLACKHOLE, "blackhole", sender_blackhole,
     "the sender re-sent the same large range again and again, never acknowledged, while "
     "smaller segments were: the path drops packets above a size and no ICMP says so"},
    {VR_MEASURED_LOSS, VS_BLACKHOLE, "measured-loss", measured_loss,
     "the same packets seen at one capture point and missing at the other, every one from a "
     "size up: loss by size measured, not inferred"},
    {VR_RECEIVER_SUSPECTED, VS_BLACKHOLE, "blackhole", receiver_suspected,
     "the receiver saw a hole in the data and nothing near the size the MSS allows ever "
     "arrived: large packets are lost before it (the sender's side has the proof)"},
    {VR_HEALED_BY_SENDER, VS_BLACKHOLE, "blackhole", healed_by_sender,
     "large packets were lost and the sender got the data through in smaller ones after "
     "timeouts: a black hole the sender worked around, at the cost of the timeouts"},
    {VR_WG_COUNTER_GAP, VS_BLACKHOLE, "wireguard-loss", wg_counter_gap,
     "WireGuard counters are consecutive per peer: counters skipped at the receiver are "
     "messages that never arrived, and only large ones were skipped"},
    {VR_TUNNEL_RESEND, VS_BLACKHOLE, "blackhole", tunnel_resend,
     "an opaque tunnel's largest datagram re-sent at doubling intervals is the inner TCP's "
     "retransmission timeout backing off: that size does not cross"},
    {VR_SILENT_SENDER, VS_BLACKHOLE, "blackhole", silent_sender,
     "a connection left open and silent after small data while the same hosts keep talking: "
     "the full-size segments never arrive; unless PMTUD seen at work, a sender capping its "
     "packets or an MSS clamp explains the pause without loss"},
    {VR_SWEEP_CLIFF, VS_BLACKHOLE, "ping-sweep", sweep_cliff,
     "echo requests answered up to a size and never above, with no ICMP MTU message: larger "
     "packets are dropped silently; unless a router's message was obeyed here (the limit was "
     "told)"},
    {VR_ICMP_IGNORED, VS_BLACKHOLE, "icmp-ignored", icmp_ignored,
     "a router reported the path MTU and the sender kept sending larger packets: they are "
     "lost until the sender accepts the message"},
    {VR_STORM, VS_RETRANSMISSION_STORM, "storm", storm,
     "retransmission storms with no sign that size matters: congestion or a lossy link; "
     "unless PMTUD was seen at work, whose first losses are expected"},
    {VR_CAPPED_BELOW_MSS, VS_PMTUD_WORKING, "pmtud-capped", capped_below_mss,
     "data re-sent in packets capped below what the MSS allows: the sender learned a smaller "
     "path MTU; an obeyed ICMP message, when seen, says it more precisely (next rule)"},
    {VR_PMTUD_WORKING, VS_PMTUD_WORKING, "pmtud-working", pmtud_working,
     "a router reported the path MTU and the sender shrank its packets to fit"},
    {VR_MSS_CLAMPED, VS_MSS_CLAMPED, "mss-clamped", mss_clamped,
     "the MSS was lowered in the SYN on its way: TCP never sends packets too big; other "
     "protocols are not protected"},
    {VR_UDP_RESENT, VS_INCONCLUSIVE, "udp-resent-after-fragments", udp_resent,
     "the same UDP request sent again a timeout after each fragmented reply and never after a "
     "small one: the requester acts as if the fragmented replies never came, a strong "
     "suspicion of fragment loss that this side of the path cannot prove (UDP carries no "
     "acknowledgement); lost fragments seen, when they are, say it (first rule)"},
    {VR_TCP_DELIVERED, VS_HEALTHY, "healthy", tcp_delivered,
     "TCP data was delivered up to full size (within the 40 bytes of options of the MSS the "
     "receiver announced), nothing lost above: the path carries what TCP sends"},
    {VR_TUNNEL_CLEAN, VS_HEALTHY, "healthy", tunnel_clean,
     "every WireGuard counter arrived and nothing was re-sent with backoff"},
    {VR_FRAGMENTS_ARRIVED, VS_HEALTHY, "healthy", fragments_arrived,
     "fragmented datagrams (UDP, mostly) arrived complete past a router: their fragments were "
     "cut to the MTU of a link on the way, the largest packets the sender puts on it, and "
     "crossed, and no datagram's fragments went missing; seen at the sender they prove nothing"},
    {VR_SYN_FLOOD, VS_INCONCLUSIVE, "syn-flood", syn_flood,
     "many connection attempts to one listener never answered within the 1 s initial SYN "
     "timeout (RFC 6298): a SYN flood, or a listener or filter that drops them; a SYN carries "
     "no data, so it is no MTU effect and the path MTU was not tested"},
    {VR_UNTESTED, VS_INCONCLUSIVE, "untested", untested,
     "TCP data was delivered, but no packet near full size was sent: small packets cross a "
     "black hole unharmed, so the path was not tested"},
    {VR_NO_EVIDENCE, VS_INCONCLUSIVE, "inconclusive", always,
     "no TCP data whose delivery can be judged, no datagram seen arriving, no ICMP MTU message, "
     "no ping sweep"},
};

_Static_assert(sizeof verdict_rules / sizeof verdict_rules[0] == VR__COUNT, "one row per rule");

const struct verdict_rule *verdict_decide(const struct verdict_evidence *e)
{
    for (int i = 0; i < VR__COUNT; i++)
        if (verdict_rules[i].holds(e))
            return &verdict_rules[i];
    return &verdict_rules[VR_NO_EVIDENCE];
}
