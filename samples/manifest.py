#!/usr/bin/env python3
"""Builds samples/manifest.tsv, the ground truth of every shipped trace, from
the lab's and the generator's own manifests (written when each trace was made).

    samples/manifest.py          rewrite samples/manifest.tsv
    samples/manifest.py --check  fail when samples/manifest.tsv is out of date
"""
import csv
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COLS = ["file", "origin", "scenario", "vantage", "linktype", "tunnel", "overhead",
        "bottleneck_mtu", "icmp_filtered", "stalled_flows", "largest_crossing",
        "right_tunnel_mtu", "pinned_mtu", "verified_by", "story"]

# The traces whose own evidence fixes the path MTU exactly (an upper bound and a
# lower bound that meet), with why; every other trace can only bound it, and
# pinned_mtu is "-".  tests/e2e.py requires mtuscope to give exactly this value.
PINNED = {
    # 11 frag-needed reporting 1300 reach the server, whose re-segmented
    # 1300-byte packets are then acknowledged
    "samples/lab-tcp4-pmtud-ok-path1300-server-outer.pcap": 1300,
    # the same with ICMPv6 packet-too-big 1280
    "samples/lab-tcp6-pmtud-ok-path1280-server-outer.pcap": 1280,
    # DF echo requests: answered up to 1452 bytes, none from 1453 on
    "samples/gen-ping-sweep.pcap": 1452,
    # frag-needed reporting 1400 for every DF echo above 1400; 1400 answered
    "samples/gen-windows-ping-sweep.pcap": 1400,
}


def build():
    out = io.StringIO()
    w = csv.writer(out, delimiter="\t", lineterminator="\n")
    w.writerow(COLS)
    with open(os.path.join(HERE, "lab", "manifest-lab.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            verified = (f"curl exit {r['curl_exit']}, {r['bytes_received']} bytes received; "
                        f"tcpdump {r['tcpdump_packets']} packets; tshark: "
                        f"{r['tcp_retransmissions']} retransmissions, "
                        f"{r['icmp_frag_needed']} frag-needed, "
                        f"{r['icmpv6_packet_too_big']} packet-too-big, "
                        f"{r['ip_mf_fragments']} MF fragments")
            w.writerow([r["file"], "lab", r["scenario"], r["vantage"], r["linktype"],
                        r["tunnel"], r["overhead_bytes"], r["bottleneck_mtu"],
                        r["icmp_filtered"], r["stalled_flows"], r["largest_outer_crossing"],
                        r["right_tunnel_mtu"], PINNED.get(r["file"], "-"), verified,
                        r["story"]])
    with open(os.path.join(HERE, "gen", "manifest-gen.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            w.writerow(["samples/" + r["file"], "gen", r["scenario"], "synthetic",
                        r["link_type"], r["tunnel_type"], r["overhead"], r["bottleneck_mtu"],
                        r["icmp_filtered"], r["stalled_flows"], r["largest_crossing"],
                        r["right_tunnel_mtu"], PINNED.get("samples/" + r["file"], "-"),
                        "samples/gen/check.sh (tshark)", r["notes"]])
    return out.getvalue()


def main():
    path = os.path.join(HERE, "manifest.tsv")
    text = build()
    if "--check" in sys.argv:
        with open(path) as f:
            if f.read() != text:
                sys.exit("samples/manifest.tsv is out of date: run samples/manifest.py")
        print("samples/manifest.tsv is up to date")
        return
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
