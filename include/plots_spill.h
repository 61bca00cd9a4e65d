/*
 * plots_spill.h - what the time-sequence graphs and the retransmission
 * timeline draw, recorded during the first pass: one fixed record a packet
 * (its time, flow, direction, TCP sequence, acknowledgement, flags and
 * length, whether the flow stage called it a retransmission) written to an
 * unnamed temporary file ($TMPDIR or /tmp, unlinked as soon as it is made:
 * no name another user could swap), read back once the inference has chosen
 * the flows to draw.
 *
 * Why: those charts need every segment of flows that are known only at the
 * end, and the report keeps summaries.  Reading the capture a second time
 * through the whole pipeline cost as much as the first pass (1.5 GB of bulk
 * TCP: 0.40 s of a 0.42 s run); the records are 32 bytes a packet, 2-4% of
 * the capture's size on disk and a fixed buffer in memory, and reading them
 * back is a sequential read of that.  An input that cannot be read twice
 * (standard input, a pipe) gets these charts too.
 *
 * The ladder diagram needs more of each packet than a record holds (IP
 * identification, MSS, ICMP quotes, tunnel counters); it still reads the
 * inputs again, and stops once its connection has ended (plots_ladder.h).
 */
#ifndef MTUSCOPE_PLOTS_SPILL_H
#define MTUSCOPE_PLOTS_SPILL_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "packet.h"

#define CR_TCP 0x01  /* a TCP segment of the flow (not one quoted by ICMP) */
#define CR_RETX 0x02 /* the flow stage called it a retransmission (TA_ANY_RETRANS) */

/* One packet as the charts see it. */
struct chart_rec {
    int64_t t_ns;
    uint64_t flow; /* report-wide id, 0: none */
    uint32_t seq, ack, payload_len;
    uint8_t dir;       /* 0 client->server */
    uint8_t tcp_flags; /* TCPF_* */
    uint8_t bits;      /* CR_* */
    uint8_t pad;
};

/* The record of a packet after the flow stage; the one conversion, used
 * alike for the records spilled and for a packet of a second read. */
void chart_rec_from(const struct packet *pkt, const struct flow_pkt *fp, struct chart_rec *out);

struct plots_spill;

/* At most 8 Mi records (256 MiB): where /tmp is a tmpfs the file is
 * memory, which must stay bounded whatever the capture's length; a capture
 * of more packets reads its inputs again for the charts, as before the
 * records (8 Mi packets: 12.7 GB of 1514-byte frames, 1 GB of 100-byte
 * ones). */
#define PLOTS_SPILL_MAX (8u << 20)

/* A new, empty spill of at most max_records (PLOTS_SPILL_MAX; less in
 * tests); NULL when no temporary file can be made (the charts then read
 * the inputs again, as before).  Past max_records it is incomplete, and the
 * charts read the inputs again. */
struct plots_spill *plots_spill_new(uint64_t max_records);
/* The first pass's hook (pipeline.h's pipeline_packet_fn): one record. */
void plots_spill_packet(void *spill, const struct packet *pkt, const struct flow_pkt *fp);
/* Every record written, the file read from its start: true; false when a
 * write failed (a full disk): the charts read the inputs again. */
bool plots_spill_rewind(struct plots_spill *s);
/* The next record after plots_spill_rewind(); false at the end, or when
 * a read failed (*failed set). */
bool plots_spill_next(struct plots_spill *s, struct chart_rec *out, bool *failed);
/* Records written. */
uint64_t plots_spill_count(const struct plots_spill *s);
/* Why the records are incomplete (a failed write, more packets than they
 * may hold), for the report's note; NULL when they are whole. */
const char *plots_spill_why(struct plots_spill *s);
void plots_spill_free(struct plots_spill *s);

#endif
