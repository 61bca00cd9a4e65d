#!/usr/bin/env bash
# samples/lab/run-lab.sh - record real path-MTU failures from real kernels
# and wireguard-go, for mtuscope's sample corpus.
#
# Run as root:   samples/lab/run-lab.sh        (or: make samples-lab)
# Only some:     LAB_ONLY='incident|tcp4' samples/lab/run-lab.sh
#
# For each scenario it builds three network namespaces joined by veth pairs,
#
#     client (eth0) ---- (c0) router (s0) ---- (eth0) server
#     10.61.1.2          10.61.1.1  10.61.2.1         10.61.2.2
#     2001:db8:1::2                                   2001:db8:2::2
#
# makes the router the bottleneck (it forwards at most PATH bytes per packet,
# in both directions), optionally drops ICMP frag-needed / ICMPv6
# packet-too-big at the router (nftables), brings up a tunnel between client
# and server (wireguard-go or the kernel's VXLAN) when the scenario has one,
# and captures with tcpdump where a user would: client eth0 and server eth0
# (outer), and the tunnel interface at each end, while a time-bounded HTTP
# download or upload (curl against samples/lab/labhttp.py) and a small
# SSH-like echo exchange (samples/lab/echo.py) run.  It writes
# samples/lab-<scenario>-<vantage>.pcap and samples/lab/manifest-lab.tsv
# (ground truth + tshark verification counts).
#
# Why the bottleneck is a route MTU on the router and not a smaller veth MTU:
# a veth drops, silently and before IP, every frame larger than the MTU of
# the receiving end.  A real bottleneck link sits between two routers, so the
# end hosts keep MTU 1500 and the router in front of the link answers with
# ICMP.  With three namespaces the router's routes towards both sides carry
# `mtu lock PATH`: the kernel then forwards at most PATH bytes, sends
# frag-needed / packet-too-big for larger DF (IPv6: all) packets and
# fragments larger non-DF IPv4 packets, exactly as at a PATH-byte link.
#
# Traffic never leaves the namespaces: only 10.61.0.0/16 and 2001:db8::/32
# (documentation) addresses, no default routes, proxies disabled for curl.
# The host's network is not touched: every command runs in `ip netns exec`.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLES=$(cd "$HERE/.." && pwd)
REPO=$(cd "$SAMPLES/.." && pwd)
MANIFEST=$HERE/manifest-lab.tsv
ONLY=${LAB_ONLY:-}
XFER_BYTES=${LAB_BYTES:-2097152}   # 2 MiB transfer
RATE=${LAB_RATE:-1M}               # curl --limit-rate: a WAN-like pace, keeps
                                   # wireguard-go's queues from overflowing
SNAP=${LAB_SNAPLEN:-200}           # IP length fields still carry real sizes
ECHO_COUNT=40 ECHO_GAP=0.25        # 10 s of small request/response
HTTP_PORT=8080 ECHO_PORT=2222 WG_PORT=51820 VXLAN_PORT=4789

LAB_NAME=run-lab
# shellcheck source=samples/lab/lab-lib.sh
. "$HERE/lab-lib.sh"

# --- one scenario ------------------------------------------------------------
HDR="file	scenario	vantage	linktype	tunnel	overhead_bytes	bottleneck_mtu	icmp_filtered	stalled_flows	largest_outer_crossing	right_tunnel_mtu	curl_exit	bytes_received	tcpdump_packets	transfer	echo	tshark_packets	tcp_retransmissions	icmp_frag_needed	icmpv6_packet_too_big	ip_mf_fragments	max_outer_ip_len	router_icmp_generated	router_icmp_dropped	router_frags_dropped	sender_pmtu_cache	offloads_off	story"
printf '%s\n' "$HDR" >"$TMP/manifest.tsv"
RAN=()
SKIPPED=()

# scenario NAME FAM TUN PATH TUNMTU FILTER DIR EXTRA SECS STORY
scenario() {
    local name=$1 fam=$2 tun=$3 path=$4 tunmtu=$5 filter=$6 dir=$7 extra=$8 secs=$9 story=${10}
    if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then return 0; fi
    case $tun in
    wg) [ "$HAVE_WG" = yes ] || { log "SKIP $name: no wireguard-go or /dev/net/tun"; SKIPPED+=("$name"); return 0; } ;;
    vxlan) [[ " $KERNEL_TUNNELS " == *" vxlan "* ]] || { log "SKIP $name: kernel lacks vxlan"; SKIPPED+=("$name"); return 0; } ;;
    esac
    local t0=$SECONDS overhead=0 right=- target srvaddr cliaddr
    case $tun:$fam in
    wg:4) overhead=60 ;; wg:6) overhead=80 ;; vxlan:4) overhead=50 ;;
    none:4) overhead=0 ;; none:6) overhead=0 ;;
    esac
    [ "$tun" != none ] && right=$((path - overhead))
    local desc="tunnel $tun"
    [ "$tunmtu" != - ] && desc+=" (inner MTU $tunmtu)"
    [ "$extra" != - ] && desc+=", $extra"
    log "=== $name: outer IPv$fam, $desc, bottleneck $path, ICMP filtered: $filter, $dir"

    build_topo "$fam" "$path" "$filter" "$extra"
    CAPS=("client-outer:$C:eth0" "server-outer:$S:eth0")
    # clientonly: capture where the user of the download stands, nothing else
    local clientonly=no rate=$RATE
    [[ ,$extra, == *,clientonly,* ]] && clientonly=yes CAPS=("client-outer:$C:eth0")
    [[ ,$extra, =~ ,rate=([^,]*), ]] && rate=${BASH_REMATCH[1]}
    # routerany: tcpdump -i any on the router itself, in both cooked versions
    # (issue 15 item 2): each forwarded packet is captured coming in and going
    # out, and one that came in and never left was dropped there
    [[ ,$extra, == *,routerany,* ]] && CAPS=("router-any:$R:any" "router-any2:$R:any2")
    case $tun in
    wg) wg_up "$fam" "$tunmtu"; target=10.61.100.2
        if [ "$clientonly" = yes ]; then CAPS+=("client-wg:$C:wg0"); else CAPS+=("client-wg:$C:wg0" "server-wg:$S:wg0"); fi ;;
    vxlan) local df=unset
        [[ ,$extra, == *,dfset,* ]] && df="set"
        vxlan_up "$tunmtu" "$df"; target=10.61.200.2
        CAPS+=("client-vxlan:$C:vxlan0" "server-vxlan:$S:vxlan0") ;;
    none) if [ "$fam" = 6 ]; then target=2001:db8:2::2; else target=10.61.2.2; fi ;;
    esac
    if [ "$fam" = 6 ]; then srvaddr=2001:db8:2::2 cliaddr=2001:db8:1::2; else srvaddr=10.61.2.2 cliaddr=10.61.1.2; fi
    if [[ ,$extra, == *,probe,* ]]; then
        in_ns "$S" sysctl -qw net.ipv4.tcp_mtu_probing=1
        log "    tcp_mtu_probing is per netns: server=$(in_ns "$S" cat /proc/sys/net/ipv4/tcp_mtu_probing)" \
            "client=$(in_ns "$C" cat /proc/sys/net/ipv4/tcp_mtu_probing) host=$(cat /proc/sys/net/ipv4/tcp_mtu_probing)"
    fi

    # servers
    rm -f "$TMP/upload.bytes"
    spawn "$TMP/http.log" "$S" "$PY" "$HERE/labhttp.py" --port $HTTP_PORT --bytes "$XFER_BYTES" --progress "$TMP/upload.bytes"
    spawn "$TMP/echo-srv.log" "$S" "$PY" "$HERE/echo.py" server $ECHO_PORT
    wait_for 200 grep -q listening "$TMP/http.log" || die "http server did not start"
    wait_for 200 grep -q listening "$TMP/echo-srv.log" || die "echo server did not start"
    [ -f "$TMP/blob" ] || head -c "$XFER_BYTES" /dev/urandom >"$TMP/blob"

    cap_start
    sleep 0.5
    local url host=$target
    [[ $target == *:* ]] && host="[$target]"
    spawn "$TMP/echo-cli.log" "$C" "$PY" "$HERE/echo.py" client "$target" $ECHO_PORT $ECHO_COUNT $ECHO_GAP
    local echopid=$BGPID
    sleep 0.5
    local rc=0 out cargs=(env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u all_proxy
        curl -sS --noproxy '*' --max-time "$secs" --limit-rate "$rate" -o /dev/null)
    if [ "$dir" = up ]; then
        url="http://$host:$HTTP_PORT/upload"
        out=$(in_ns "$C" "${cargs[@]}" -H 'Expect:' -T "$TMP/blob" -w '%{local_ip} %{local_port} %{size_upload}' "$url" 2>"$TMP/curl.err") || rc=$?
    else
        url="http://$host:$HTTP_PORT/blob"
        out=$(in_ns "$C" "${cargs[@]}" -w '%{local_ip} %{local_port} %{size_download}' "$url" 2>"$TMP/curl.err") || rc=$?
    fi
    local lip lport nbytes
    read -r lip lport nbytes <<<"$out"
    [ "$dir" = up ] && nbytes=$(cat "$TMP/upload.bytes" 2>/dev/null || echo 0)
    wait "$echopid" 2>/dev/null || true
    local echores
    echores=$(grep -o 'echo ok [0-9]*/[0-9]*' "$TMP/echo-cli.log" || echo "echo failed")
    sleep 1

    # ground truth from the kernels, before the namespaces go
    local gen drop_icmp=0 frags pmtu sender_ns=$S peer=$cliaddr hs=
    [ "$dir" = up ] && sender_ns=$C peer=$srvaddr
    gen=$(( $(router_counter icmp4-fn) + $(router_counter icmp6-ptb) ))
    [ "$filter" = yes ] && drop_icmp=$gen
    frags=$(router_counter frag-drop)
    pmtu=$(in_ns "$sender_ns" ip route get "$peer" 2>/dev/null | grep -o 'mtu [0-9]*' | head -1 | awk '{print $2}') || true
    if [ "$tun" = wg ]; then
        hs=$(nsenter -t "${WGPIDS[1]}" -m -n wg show wg0 latest-handshakes 2>/dev/null | awk '{print $2}') || true
        [ -n "$hs" ] && [ "$hs" != 0 ] && hs="wg handshake ok" || hs="wg handshake MISSING"
    fi
    cap_stop
    teardown
    log "    curl exit $rc, $nbytes bytes ($dir); $echores${hs:+; $hs}; router ICMP generated $gen" \
        "(dropped $drop_icmp), fragments dropped $frags, sender PMTU cache ${pmtu:--}"
    [ -s "$TMP/curl.err" ] && log "    curl: $(head -1 "$TMP/curl.err")"

    # stalled flows (5-tuples, direction of the data)
    local stalled=- inner outer sport heal
    local fmt_s=$target fmt_c=${lip:-?}
    [[ $fmt_s == *:* ]] && fmt_s="[$fmt_s]"
    [[ $fmt_c == *:* ]] && fmt_c="[$fmt_c]"
    if [ "$dir" = up ]; then inner="tcp $fmt_c:$lport>$fmt_s:$HTTP_PORT"; else inner="tcp $fmt_s:$HTTP_PORT>$fmt_c:$lport"; fi
    if [ "$rc" = 0 ] && [[ ,$extra, == *,probe,* ]]; then
        # how long the black hole lasted before the sender's probing healed it
        heal=$(tshark -n -r "$TMP/cap-server-outer.pcap" -Y "tcp.srcport==$HTTP_PORT && tcp.len > 0" \
            -T fields -e frame.time_relative -e ip.len 2>/dev/null |
            awk -v p="$path" '$2 > p && !t0 { t0 = $1 } t0 && $2 <= p && $2 > 1000 { printf "%.1f", $1 - t0; exit }') || true
        stalled="$inner (stalled ${heal:-?} s, healed by tcp_mtu_probing)"
    fi
    if [ "$rc" != 0 ]; then
        stalled=$inner
        local os=$srvaddr oc=$cliaddr
        [[ $os == *:* ]] && os="[$os]" oc="[$oc]"
        case $tun in
        wg) if [ "$dir" = up ]; then outer="udp $oc:$WG_PORT>$os:$WG_PORT"; else outer="udp $os:$WG_PORT>$oc:$WG_PORT"; fi
            stalled="$inner;$outer" ;;
        vxlan)
            sport=$(tshark -n -r "$TMP/cap-server-outer.pcap" -Y "udp.dstport==$VXLAN_PORT && ip.len > $path" \
                -T fields -e udp.srcport 2>/dev/null | sort | uniq -c | sort -rn | awk 'NR==1{print $2}') || true
            stalled="$inner;udp $os:${sport:-?}>$oc:$VXLAN_PORT" ;;
        esac
    fi

    # keep the captures, verify each with tshark, write the manifest rows
    local spec v f dst lt npk tpk rt fn ptb mf maxlen tunname=$tun
    [ "$tun" = wg ] && tunname="wireguard-go"
    [ "$tun" = vxlan ] && tunname="vxlan (df $df)"
    for spec in "${CAPS[@]}"; do
        v=${spec%%:*}
        f=$TMP/cap-$v.pcap
        dst=samples/lab-$name-$v.pcap
        cp "$f" "$REPO/$dst"
        lt=$(grep -o 'link-type [A-Z0-9_]*' "$TMP/cap-$v.err" | head -1 | awk '{print $2}')
        npk=$(grep -o '^[0-9]* packets captured' "$TMP/cap-$v.err" | awk '{print $1}')
        # one tshark pass; same counts as the display filters
        # tcp.analysis.retransmission, icmp.type==3 && icmp.code==4,
        # icmpv6.type==2, ip.flags.mf==1 (first occurrence = outermost header)
        read -r tpk rt fn ptb mf maxlen < <(tshark -n -r "$f" -T fields -E occurrence=f \
            -e tcp.analysis.retransmission -e icmp.type -e icmp.code -e icmpv6.type \
            -e ip.flags.mf -e ip.len -e ipv6.plen 2>/dev/null | awk -F'\t' '
            { k++ }
            $1 != "" { r++ }
            $2 == 3 && $3 == 4 { fn++ }
            $4 == 2 { p++ }
            $5 == 1 { mf++ }
            { n = ($6 != "") ? $6 : (($7 != "") ? $7 + 40 : 0); if (n > m) m = n }
            END { print k + 0, r + 0, fn + 0, p + 0, mf + 0, m + 0 }')
        log "    $dst: $lt, $npk pkts, retrans $rt, frag-needed $fn, ptb $ptb, MF $mf, max ip len $maxlen"
        printf '%s\n' "$dst	$name	$v	$lt	$tunname	$overhead	$path	$filter	$stalled	$path	$right	$rc	${nbytes:-0}	${npk:-?}	$dir $XFER_BYTES	$echores${hs:+, $hs}	$tpk	$rt	$fn	$ptb	$mf	$maxlen	$gen	$drop_icmp	$frags	${pmtu:--}	$HAVE_ETHTOOL	$story" \
            >>"$TMP/manifest.tsv"
    done
    RAN+=("$name")
    log "    ($((SECONDS - t0)) s)"
}

# --- the scenarios -----------------------------------------------------------
# name fam tunnel path tunmtu icmp-filtered dir extra max-seconds story
T0=$SECONDS
scenario incident-wg1420-path1434 4 wg 1434 1420 yes down - 15 \
    "WireGuard MTU 1420 over a 1434-byte path, frag-needed dropped at the router: handshake and echo fine, download stalls (outer 1480 > 1434)"
scenario wg1420-path1400 4 wg 1400 1420 yes down - 15 \
    "same tunnel over a 1400-byte path: outer 1480 > 1400, ICMP dropped, download stalls; right MTU 1340"
scenario wg1420-path1434-icmp-ok 4 wg 1434 1420 no down - 15 \
    "incident without the ICMP filter: frag-needed reaches the server, its kernel fragments the outer UDP from then on, download completes"
scenario fixed-wg1374-path1434 4 wg 1434 1374 yes down - 15 \
    "the incident fixed: tunnel MTU 1374 = 1434 - 60, outer packets 1434 fit, download completes despite the ICMP filter"
scenario upload-wg1420-path1434 4 wg 1434 1420 yes up - 15 \
    "upload through the incident tunnel: the client sends 1480-byte outer packets, dropped at the router, upload stalls"
scenario v6-wg1420-path1450 6 wg 1450 1420 yes down - 15 \
    "WireGuard over IPv6 (overhead 80): outer 1500 > 1450, packet-too-big dropped, download stalls; right MTU 1370"
scenario v6-fixed-wg1370-path1450 6 wg 1450 1370 yes down - 15 \
    "IPv6-outer tunnel fixed with MTU 1370 = 1450 - 80: outer 1450 fits, download completes"
scenario tcp4-pmtud-ok-path1300 4 none 1300 - no down - 15 \
    "plain TCP through a 1300-byte bottleneck, ICMP allowed: frag-needed (mtu 1300) reaches the server, it shrinks to MSS 1260, download completes"
scenario tcp4-blackhole-path1300 4 none 1300 - yes down - 15 \
    "plain TCP through a 1300-byte bottleneck, frag-needed dropped: PMTUD black hole, download stalls after the first small segments"
scenario tcp6-pmtud-ok-path1280 6 none 1280 - no down - 15 \
    "IPv6 through a 1280-byte bottleneck, packet-too-big allowed: server shrinks to 1280, download completes"
scenario tcp6-blackhole-path1280 6 none 1280 - yes down - 15 \
    "IPv6 through a 1280-byte bottleneck, packet-too-big dropped: black hole, download stalls"
scenario tcp4-probing-heal-path1400 4 none 1400 - yes down probe 25 \
    "black hole healed by the sender: tcp_mtu_probing=1 on the server, after ~3 s of timeouts it falls back to MSS 1024 and probes up; download completes"
scenario tcp4-mss-clamp-path1360 4 none 1360 - yes down clamp 15 \
    "black hole avoided by MSS clamping at the router (nft maxseg set rt mtu: 1320): download completes though ICMP is dropped"
scenario vxlan-fragloss-path1380 4 vxlan 1380 1450 no down fragdrop 15 \
    "VXLAN with DF clear over a 1380-byte path: the router fragments the 1500-byte outer packets and a filter drops non-first fragments; download stalls"
scenario vxlan-blackhole-path1400 4 vxlan 1400 1450 yes down dfset 15 \
    "VXLAN with DF set, inner MTU 1450 too big for a 1400-byte path, frag-needed dropped: black hole inside the tunnel; right MTU 1350"
scenario router-blackhole-path1300 4 none 1300 - yes down routerany 15 \
    "tcpdump -i any on the router of the tcp4-blackhole scenario (cooked v1 and v2): the 1500-byte segments come in from the server and never go out to the client, frag-needed dropped"
# the same download through WireGuard at five tunnel MTUs over the incident's
# 1434-byte path (ICMP filtered, as there), for a throughput-vs-MTU chart:
# curl is not rate-limited (rate=100M), so each run goes as fast as
# wireguard-go and the shared CPU let it; only the client's two captures
for m in 1280 1340 1374 1380 1420; do
    if [ $((m + 60)) -le 1434 ]; then how="outer $((m + 60)) <= 1434 fits"; else how="outer $((m + 60)) > 1434, frag-needed dropped: stalls"; fi
    scenario wgseries-mtu$m-path1434 4 wg 1434 $m yes down clientonly,rate=100M 15 \
        "throughput series: WireGuard MTU $m over the 1434-byte path, ICMP filtered, no rate limit: $how"
done

# --- manifest: replace the rows of the scenarios that ran ----------------------
if [ ${#RAN[@]} -gt 0 ]; then
    ran_re="^($(IFS='|'; echo "${RAN[*]}"))\$"
    {
        printf '%s\n' "$HDR"
        if [ -n "$ONLY" ] && [ -f "$MANIFEST" ]; then
            awk -F'\t' -v re="$ran_re" 'NR > 1 && $2 !~ re' "$MANIFEST"
        fi
        tail -n +2 "$TMP/manifest.tsv"
    } >"$TMP/manifest.new"
    mv "$TMP/manifest.new" "$MANIFEST"
    chmod 644 "$MANIFEST"
fi
log "ran ${#RAN[@]} scenario(s) in $((SECONDS - T0)) s; skipped: ${SKIPPED[*]:-none}"
log "manifest: $MANIFEST"
du -ch "$SAMPLES"/lab-*.pcap 2>/dev/null | tail -1 | awk '{print "captures: " $1 " total"}'
