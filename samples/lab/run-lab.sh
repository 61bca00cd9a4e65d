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

TAG=mtl$$
TMP=
NSLIST=()
PIDS=()

log() { printf '%s\n' "$*"; }
die() { printf 'run-lab: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

# --- cleanup: processes first (by pid), then namespaces, then temp files ----
alive() { # running and not a zombie waiting to be reaped
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}
teardown() {
    local pid ns p
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do alive "$pid" || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    for ns in "${NSLIST[@]}"; do
        if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
            # anything still running inside one of *our* namespaces was started
            # by this script (a child of a process above)
            for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
            ip netns del "$ns" 2>/dev/null || true
        fi
    done
    NSLIST=()
}
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    teardown
    [ -n "$TMP" ] && rm -rf -- "$TMP"
    if ip netns list | grep -q "^$TAG-"; then
        echo "run-lab: WARNING: namespaces left: $(ip netns list | grep "^$TAG-" | tr '\n' ' ')" >&2
    else
        echo "run-lab: cleaned up; no $TAG-* namespaces left"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "run-lab: interrupted" >&2; exit 130' INT
trap 'echo "run-lab: terminated" >&2; exit 143' TERM

TMP=$(mktemp -d /tmp/mtuscope-lab.XXXXXX)

# --- dependencies ------------------------------------------------------------
need_pkgs=()
for pair in wireguard-go:wireguard-go wg:wireguard-tools tcpdump:tcpdump curl:curl \
            nft:nftables ip:iproute2 python3:python3 sysctl:procps ethtool:ethtool \
            tshark:tshark nsenter:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need_pkgs+=("${pair#*:}")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${need_pkgs[@]}" >"$TMP/apt.log" 2>&1 ||
        { apt-get update >>"$TMP/apt.log" 2>&1 &&
          apt-get install -y --no-install-recommends "${need_pkgs[@]}" >>"$TMP/apt.log" 2>&1; } ||
        { cat "$TMP/apt.log" >&2; die "apt-get install failed"; }
fi
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
HAVE_ETHTOOL=no
command -v ethtool >/dev/null 2>&1 && HAVE_ETHTOOL=yes

# --- helpers -----------------------------------------------------------------
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_create() {
    ip netns add "$1"
    NSLIST+=("$1")
    in_ns "$1" ip link set lo up
}
spawn() { # spawn LOGFILE NS cmd... : start in background, remember the pid in BGPID
    local logf=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" >"$logf" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}
wait_for() { # wait_for TRIES cmd... : poll every 0.05 s
    local n=$1; shift
    while [ "$n" -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; n=$((n - 1)); sleep 0.05; done
    return 1
}
offloads_off() { # NS IF
    [ "$HAVE_ETHTOOL" = yes ] || return 0
    in_ns "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 ||
        in_ns "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || true
}

# --- kernel capabilities (scratch namespace) ---------------------------------
KERNEL_TUNNELS=
probe_kernel() {
    local ns=$TAG-probe t
    ns_create "$ns"
    in_ns "$ns" ip link add lp0 type dummy 2>/dev/null || true
    for t in vxlan gre ipip; do
        case $t in
        vxlan) args=(id 9 local 10.61.250.1 remote 10.61.250.2 dstport "$VXLAN_PORT") ;;
        *) args=(local 10.61.250.1 remote 10.61.250.2) ;;
        esac
        if in_ns "$ns" ip link add "p$t" type "$t" "${args[@]}" 2>/dev/null; then
            KERNEL_TUNNELS+=" $t"
        else
            log "kernel: no $t support (ip link add type $t failed)"
        fi
    done
    teardown
    log "kernel tunnels available:${KERNEL_TUNNELS:- none}"
}
probe_kernel
HAVE_WG=yes
if ! command -v wireguard-go >/dev/null || [ ! -c /dev/net/tun ]; then HAVE_WG=no; fi

# --- topology ----------------------------------------------------------------
C="" R="" S=""
# build_topo FAM PATH FILTER EXTRA
build_topo() {
    local fam=$1 path=$2 filter=$3 extra=$4 ns drop
    C=$TAG-client R=$TAG-router S=$TAG-server
    for ns in "$C" "$R" "$S"; do
        ns_create "$ns"
        in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
        if [ "$fam" = 4 ]; then # keep v4 traces free of IPv6 chatter
            in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        fi
    done
    in_ns "$C" ip link add eth0 type veth peer name c0 netns "$R"
    in_ns "$S" ip link add eth0 type veth peer name s0 netns "$R"
    offloads_off "$C" eth0; offloads_off "$R" c0; offloads_off "$R" s0; offloads_off "$S" eth0
    in_ns "$R" sysctl -qw net.ipv4.ip_forward=1
    in_ns "$C" ip addr add 10.61.1.2/24 dev eth0
    in_ns "$R" ip addr add 10.61.1.1/24 dev c0
    in_ns "$R" ip addr add 10.61.2.1/24 dev s0
    in_ns "$S" ip addr add 10.61.2.2/24 dev eth0
    for ns in "$C:eth0" "$R:c0" "$R:s0" "$S:eth0"; do in_ns "${ns%%:*}" ip link set "${ns#*:}" up; done
    in_ns "$C" ip route add 10.61.2.0/24 via 10.61.1.1
    in_ns "$S" ip route add 10.61.1.0/24 via 10.61.2.1
    # the bottleneck: the router forwards at most $path bytes either way
    in_ns "$R" ip route replace 10.61.1.0/24 dev c0 proto kernel scope link src 10.61.1.1 mtu lock "$path"
    in_ns "$R" ip route replace 10.61.2.0/24 dev s0 proto kernel scope link src 10.61.2.1 mtu lock "$path"
    if [ "$fam" = 6 ]; then
        in_ns "$R" sysctl -qw net.ipv6.conf.all.forwarding=1
        in_ns "$C" ip -6 addr add 2001:db8:1::2/64 dev eth0 nodad
        in_ns "$R" ip -6 addr add 2001:db8:1::1/64 dev c0 nodad
        in_ns "$R" ip -6 addr add 2001:db8:2::1/64 dev s0 nodad
        in_ns "$S" ip -6 addr add 2001:db8:2::2/64 dev eth0 nodad
        in_ns "$C" ip -6 route add 2001:db8:2::/64 via 2001:db8:1::1
        in_ns "$S" ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1
        in_ns "$R" ip -6 route replace 2001:db8:1::/64 dev c0 proto kernel metric 256 mtu lock "$path"
        in_ns "$R" ip -6 route replace 2001:db8:2::/64 dev s0 proto kernel metric 256 mtu lock "$path"
    fi
    # router firewall: count (and in filtered scenarios drop) the router's
    # own frag-needed / packet-too-big (output) and any forwarded ones
    drop=
    [ "$filter" = yes ] && drop=drop
    {
        echo "table inet lab {"
        echo " chain c_out { type filter hook output priority 0; policy accept;"
        echo "  icmp type destination-unreachable icmp code frag-needed counter $drop comment \"icmp4-fn\""
        echo "  icmpv6 type packet-too-big counter $drop comment \"icmp6-ptb\""
        echo " }"
        echo " chain c_fwd { type filter hook forward priority 0; policy accept;"
        echo "  icmp type destination-unreachable icmp code frag-needed counter $drop comment \"icmp4-fn\""
        echo "  icmpv6 type packet-too-big counter $drop comment \"icmp6-ptb\""
        case ,$extra, in *,clamp,*)
            echo "  tcp flags syn tcp option maxseg size set rt mtu comment \"mss-clamp\"" ;;
        esac
        echo " }"
        echo "}"
        case ,$extra, in *,fragdrop,*)
            # a fragment-hostile filter on the router's links: non-first IPv4
            # fragments are dropped on the way out (the router's own
            # fragmentation happens after the inet hooks, so netdev egress)
            echo "table netdev labfrag_c0 {"
            echo " chain c_egress { type filter hook egress device \"c0\" priority 0; policy accept;"
            echo "  ip frag-off & 0x1fff != 0 counter drop comment \"frag-drop\""
            echo " }"
            echo "}"
            echo "table netdev labfrag_s0 {"
            echo " chain c_egress { type filter hook egress device \"s0\" priority 0; policy accept;"
            echo "  ip frag-off & 0x1fff != 0 counter drop comment \"frag-drop\""
            echo " }"
            echo "}" ;;
        esac
    } >"$TMP/router.nft"
    in_ns "$R" nft -f "$TMP/router.nft"
}
router_counter() { # sum of packets of the rules with this comment
    in_ns "$R" nft list ruleset 2>/dev/null |
        awk -v c="comment \"$1\"" 'index($0, c) { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# --- tunnels -------------------------------------------------------------------
# wg_side NS NAME ADDR/LEN MTU CONF : wireguard-go in its own mount namespace
# (a private /run, so the two ends' /run/wireguard/wg0.sock do not collide)
WGPIDS=()
wg_side() {
    local ns=$1 name=$2 addr=$3 mtu=$4 conf=$5 i
    rm -f "$TMP/$name.ready" "$TMP/$name.wgpid"
    spawn "$TMP/$name.wg.log" "$ns" env WG_PROCESS_FOREGROUND=1 CONF="$conf" ADDR="$addr" MTU="$mtu" \
        READY="$TMP/$name.ready" PIDFILE="$TMP/$name.wgpid" bash -c '
        set -e
        mount -t tmpfs -o size=1m,mode=0755 mtulab-run /run
        wireguard-go wg0 &
        echo $! >"$PIDFILE"
        for i in $(seq 200); do [ -S /run/wireguard/wg0.sock ] && break; sleep 0.05; done
        wg setconf wg0 "$CONF"
        ip addr add "$ADDR" dev wg0
        ip link set wg0 mtu "$MTU" up
        touch "$READY"
        wait'
    wait_for 200 test -e "$TMP/$name.ready" || { cat "$TMP/$name.wg.log" >&2; die "wireguard-go ($name) did not come up"; }
    i=$(cat "$TMP/$name.wgpid")
    PIDS+=("$i")
    WGPIDS+=("$i")
    offloads_off "$ns" wg0
}
wg_up() { # FAM TUNMTU
    local fam=$1 mtu=$2 ep ck cp sk sp
    ck=$(wg genkey) sk=$(wg genkey)
    cp=$(printf '%s' "$ck" | wg pubkey) sp=$(printf '%s' "$sk" | wg pubkey)
    if [ "$fam" = 6 ]; then ep="[2001:db8:2::2]:$WG_PORT"; else ep="10.61.2.2:$WG_PORT"; fi
    umask 077
    printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.61.100.0/24\nEndpoint = %s\n' \
        "$ck" "$WG_PORT" "$sp" "$ep" >"$TMP/client.conf"
    printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.61.100.0/24\n' \
        "$sk" "$WG_PORT" "$cp" >"$TMP/server.conf"
    umask 022
    WGPIDS=()
    wg_side "$S" server 10.61.100.2/24 "$mtu" "$TMP/server.conf"
    wg_side "$C" client 10.61.100.1/24 "$mtu" "$TMP/client.conf"
}
vxlan_up() { # TUNMTU DF(set|unset)
    local mtu=$1 df=$2
    in_ns "$C" ip link add vxlan0 type vxlan id 42 local 10.61.1.2 remote 10.61.2.2 dstport $VXLAN_PORT dev eth0 df "$df"
    in_ns "$S" ip link add vxlan0 type vxlan id 42 local 10.61.2.2 remote 10.61.1.2 dstport $VXLAN_PORT dev eth0 df "$df"
    in_ns "$C" ip link set vxlan0 mtu "$mtu" up
    in_ns "$S" ip link set vxlan0 mtu "$mtu" up
    in_ns "$C" ip addr add 10.61.200.1/24 dev vxlan0
    in_ns "$S" ip addr add 10.61.200.2/24 dev vxlan0
    offloads_off "$C" vxlan0; offloads_off "$S" vxlan0
}

# --- captures ----------------------------------------------------------------
CAPS=() # "vantage:ns:if"
CAPPIDS=()
cap_start() {
    local spec ns ifc v
    CAPPIDS=()
    for spec in "${CAPS[@]}"; do
        IFS=: read -r v ns ifc <<<"$spec"
        spawn "$TMP/cap-$v.err" "$ns" tcpdump -i "$ifc" -s "$SNAP" -U -n -w "$TMP/cap-$v.pcap"
        CAPPIDS+=("$BGPID")
    done
    for spec in "${CAPS[@]}"; do
        v=${spec%%:*}
        wait_for 200 grep -q "listening on" "$TMP/cap-$v.err" || { cat "$TMP/cap-$v.err" >&2; die "tcpdump $v did not start"; }
    done
}
cap_stop() {
    local pid
    for pid in "${CAPPIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${CAPPIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

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
    case $tun in
    wg) wg_up "$fam" "$tunmtu"; target=10.61.100.2
        CAPS+=("client-wg:$C:wg0" "server-wg:$S:wg0") ;;
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
        curl -sS --noproxy '*' --max-time "$secs" --limit-rate "$RATE" -o /dev/null)
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
