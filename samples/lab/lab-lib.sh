# shellcheck shell=bash disable=SC2034  # sourced: the variables it sets are used by its callers
# samples/lab/lab-lib.sh - the lab's shared machinery, sourced by run-lab.sh
# (the named scenarios) and matrix-run.sh (the random scenario matrix).
#
# The caller sets HERE, SNAP, HTTP_PORT, ECHO_PORT, WG_PORT, VXLAN_PORT and
# LAB_NAME (its name in messages), and may set LAB_TAG (the prefix of every
# namespace this run creates; default mtl<pid>).  Sourcing it checks root,
# installs what is missing, sets the cleanup trap, makes TMP and probes the
# kernel's tunnel drivers.  Everything here runs inside namespaces of our
# own; the host's network is never touched.
TAG=${LAB_TAG:-mtl$$}
TMP=
NSLIST=()
PIDS=()

log() { printf '%s\n' "$*"; }
die() { printf '%s: %s\n' "${LAB_NAME:-run-lab}" "$*" >&2; exit 1; }

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
        echo "${LAB_NAME:-run-lab}: WARNING: namespaces left: $(ip netns list | grep "^$TAG-" | tr '\n' ' ')" >&2
    else
        echo "${LAB_NAME:-run-lab}: cleaned up; no $TAG-* namespaces left"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "${LAB_NAME:-run-lab}: interrupted" >&2; exit 130' INT
trap 'echo "${LAB_NAME:-run-lab}: terminated" >&2; exit 143' TERM

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
    case ,$extra, in *,dfoff,*)
        # DF clear on everything the end hosts send (a host with PMTU
        # discovery off): the router fragments instead of answering with ICMP
        in_ns "$C" sysctl -qw net.ipv4.ip_no_pmtu_disc=1
        in_ns "$S" sysctl -qw net.ipv4.ip_no_pmtu_disc=1 ;;
    esac
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
declare -gA CAPPID=()
cap_start() {
    local spec ns ifc v
    CAPPIDS=()
    CAPPID=()
    for spec in "${CAPS[@]}"; do
        IFS=: read -r v ns ifc <<<"$spec"
        # --immediate-mode: each packet reaches the file as it arrives, so
        # stopping tcpdump cannot lose the last ones still in a kernel buffer
        # "any" is tcpdump -i any (Linux cooked v1), "any2" the same in
        # cooked v2 (-y LINUX_SLL2): every interface, each packet's direction
        # (this tcpdump's default for -i any is v2: both are asked for by name)
        local iarg=(-i "$ifc")
        [ "$ifc" = any ] && iarg=(-i any -y LINUX_SLL)
        [ "$ifc" = any2 ] && iarg=(-i any -y LINUX_SLL2)
        spawn "$TMP/cap-$v.err" "$ns" tcpdump "${iarg[@]}" -s "$SNAP" --immediate-mode -U -n -w "$TMP/cap-$v.pcap"
        CAPPIDS+=("$BGPID")
        CAPPID[$v]=$BGPID
    done
    for spec in "${CAPS[@]}"; do
        v=${spec%%:*}
        wait_for 200 grep -q "listening on" "$TMP/cap-$v.err" || { cat "$TMP/cap-$v.err" >&2; die "tcpdump $v did not start"; }
    done
}
# the pause before stopping lets packets already on the wire (an ACK, a last
# retransmission, an ICMP in flight) reach the capture
CAP_PAUSE=${LAB_CAP_PAUSE:-0.5}
cap_stop_one() { # VANTAGE: stop one capture now (a capture stopped early)
    local pid=${CAPPID[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    CAPPID[$1]=
}
cap_stop() {
    local v
    sleep "$CAP_PAUSE"
    for v in "${!CAPPID[@]}"; do
        [ -n "${CAPPID[$v]}" ] && kill -TERM "${CAPPID[$v]}" 2>/dev/null || true
    done
    for v in "${!CAPPID[@]}"; do
        [ -n "${CAPPID[$v]}" ] && wait "${CAPPID[$v]}" 2>/dev/null || true
        CAPPID[$v]=
    done
}
