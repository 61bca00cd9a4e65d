#!/bin/sh
# samples/gen/check.sh [DIR] - what Wireshark thinks of the generated traces:
# malformed packets (there must be none), and the TCP analysis flags, which
# must appear only where the story puts them.
dir=${1:-samples}
for f in "$dir"/gen-*.pcap "$dir"/gen-*.pcapng; do
    n=$(tshark -r "$f" 2>/dev/null | wc -l)
    mal=$(tshark -r "$f" -V 2>/dev/null | grep -ci malformed)
    rtx=$(tshark -r "$f" -Y tcp.analysis.retransmission 2>/dev/null | wc -l)
    dup=$(tshark -r "$f" -Y tcp.analysis.duplicate_ack 2>/dev/null | wc -l)
    other=$(tshark -r "$f" -Y 'tcp.analysis.flags && !tcp.analysis.retransmission && !tcp.analysis.duplicate_ack && !tcp.analysis.window_update' 2>/dev/null | wc -l)
    err=$(tshark -r "$f" 2>&1 >/dev/null | grep -v 'Running as user' | head -1)
    printf '%-32s frames=%-4s malformed=%-2s retrans=%-3s dupack=%-2s other-tcp-flags=%-2s %s\n' \
        "$(basename "$f")" "$n" "$mal" "$rtx" "$dup" "$other" "$err"
done
# pcapng with two views of one flow: Wireshark's TCP analysis sees every
# packet twice, so analyse each interface on its own (there must be no flag).
for f in "$dir"/gen-*.pcapng; do
    for i in 0 1; do
        tmp=$(mktemp)
        tshark -r "$f" -Y "frame.interface_id == $i" -w "$tmp" 2>/dev/null
        printf '%-32s interface %s: frames=%s tcp-analysis-flags=%s\n' "$(basename "$f")" "$i" \
            "$(tshark -r "$tmp" 2>/dev/null | wc -l)" \
            "$(tshark -r "$tmp" -Y tcp.analysis.flags 2>/dev/null | wc -l)"
        rm -f "$tmp"
    done
done
