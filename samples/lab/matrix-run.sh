#!/usr/bin/env bash
# samples/lab/matrix-run.sh - run the lab scenario matrix drawn by
# matrix.py gen: one line of SCENARIOS.tsv is one scenario, run in network
# namespaces of our own (prefix mx-), captured at the vantage points the line
# names, each stopped at its own time.  Writes OUTDIR/<id>-<vantage>.pcap and
# OUTDIR/manifest.tsv: the scenario's configuration (the label is derived from
# it by matrix.py score) and what the kernels, curl and the apps observed.
#
#   samples/lab/matrix-run.sh SCENARIOS.tsv OUTDIR        (root; make lab-matrix)
#
# Shares the topology, tunnels and captures with run-lab.sh (lab-lib.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCEN=${1:?usage: matrix-run.sh SCENARIOS.tsv OUTDIR}
OUT=${2:?usage: matrix-run.sh SCENARIOS.tsv OUTDIR}
SNAP=200
HTTP_PORT=8080 ECHO_PORT=2222 WG_PORT=51820 VXLAN_PORT=4789 DNS_PORT=5353
RATE=${LAB_RATE:-256K}     # curl --limit-rate: small bursts for wireguard-go
MAXTIME=${LAB_MAXTIME:-8}  # curl --max-time: 0.2+0.4+0.8+1.6+3.2 s of RTO backoff fit
LAB_NAME=matrix-run
LAB_TAG=mx-$$
# shellcheck source=samples/lab/lab-lib.sh
. "$HERE/lab-lib.sh"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
MAN=$OUT/manifest.tsv
COLS="id	fam	tunnel	path_mtu	tunnel_mtu	icmp_filtered	fragdrop	df	app	bytes	clamp	snaplen	dns_sizes	vantage	stop	file	linktype	tcpdump_packets	curl_exit	bytes_received	echo	dns	router_icmp_generated	router_frags_dropped	sender_pmtu_cache	max_ip_len	seconds"
printf '%s\n' "$COLS" >"$MAN"

run_one() { # the scenario's columns, in order
    local id=$1 fam=$2 tun=$3 path=$4 tunmtu=$5 filter=$6 fragdrop=$7 df=$8 app=$9
    local bytes=${10} clamp=${11} snap=${12} vants=${13} dnssizes=${14}
    local t0=$SECONDS extra=- target v stop spec ifc
    [ "$fragdrop" = yes ] && extra+=",fragdrop"
    [ "$df" = off ] && extra+=",dfoff"
    [ "$clamp" = yes ] && extra+=",clamp"
    case $tun in
    wg) [ "$HAVE_WG" = yes ] || { log "SKIP $id: no wireguard-go"; return 0; } ;;
    vxlan) [[ " $KERNEL_TUNNELS " == *" vxlan "* ]] || { log "SKIP $id: no vxlan"; return 0; } ;;
    esac
    SNAP=$snap
    log "=== $id: $tun${tunmtu:+ mtu $tunmtu} path $path icmp-filtered $filter fragdrop $fragdrop df $df app $app vantages $vants"
    build_topo "$fam" "$path" "$filter" "$extra"
    local inner=
    case $tun in
    wg) wg_up "$fam" "$tunmtu"; target=10.61.100.2 inner=wg0 ;;
    vxlan) local vdf=set
        [ "$df" = off ] && vdf="unset"
        vxlan_up "$tunmtu" "$vdf"; target=10.61.200.2 inner=vxlan0 ;;
    *) target=10.61.2.2 ;;
    esac
    CAPS=()
    local -A STOPAT=()
    for spec in ${vants//,/ }; do
        v=${spec%@*} stop=${spec#*@}
        case $v in
        client-outer) CAPS+=("$v:$C:eth0") ;;
        server-outer) CAPS+=("$v:$S:eth0") ;;
        client-inner) CAPS+=("$v:$C:$inner") ;;
        server-inner) CAPS+=("$v:$S:$inner") ;;
        esac
        STOPAT[$v]=$stop
    done

    rm -f "$TMP/upload.bytes" "$TMP"/app-*.log
    head -c "$bytes" /dev/urandom >"$TMP/blob"
    case $app in download|upload|mixed)
        spawn "$TMP/http.log" "$S" "$PY" "$HERE/labhttp.py" --port $HTTP_PORT --bytes "$bytes" --progress "$TMP/upload.bytes"
        wait_for 200 grep -q listening "$TMP/http.log" || die "http server did not start" ;;
    esac
    case $app in ssh|mixed)
        spawn "$TMP/echo-srv.log" "$S" "$PY" "$HERE/echo.py" server $ECHO_PORT
        wait_for 200 grep -q listening "$TMP/echo-srv.log" || die "echo server did not start" ;;
    esac
    case $app in dns|mixed)
        spawn "$TMP/dns-srv.log" "$S" "$PY" "$HERE/dnslike.py" server $DNS_PORT
        wait_for 200 grep -q listening "$TMP/dns-srv.log" || die "dns server did not start" ;;
    esac

    cap_start
    sleep 0.3
    # captures stopped early: a timer per capture, counted from the apps' start
    for v in "${!STOPAT[@]}"; do
        [ "${STOPAT[$v]}" = full ] && continue
        ( sleep "${STOPAT[$v]}"; kill -TERM "${CAPPID[$v]}" 2>/dev/null ) &
        PIDS+=("$!")
    done
    local apppids=() curlpid=
    local cargs=(env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u all_proxy
        curl -sS --noproxy '*' --max-time "$MAXTIME" --limit-rate "$RATE" -o /dev/null)
    case $app in
    download|mixed)
        spawn "$TMP/app-curl.log" "$C" "${cargs[@]}" -w '%{size_download}\n' "http://$target:$HTTP_PORT/blob"
        curlpid=$BGPID ;;
    upload)
        spawn "$TMP/app-curl.log" "$C" "${cargs[@]}" -H 'Expect:' -T "$TMP/blob" -w '%{size_upload}\n' "http://$target:$HTTP_PORT/upload"
        curlpid=$BGPID ;;
    esac
    case $app in ssh|mixed)
        spawn "$TMP/app-echo.log" "$C" "$PY" "$HERE/echo.py" client "$target" $ECHO_PORT 20 0.2
        apppids+=("$BGPID") ;;
    esac
    case $app in dns|mixed)
        spawn "$TMP/app-dns.log" "$C" "$PY" "$HERE/dnslike.py" client "$target" $DNS_PORT "$dnssizes" 0.3
        apppids+=("$BGPID") ;;
    esac
    local rc=- nbytes=- p
    if [ -n "$curlpid" ]; then
        rc=0
        wait "$curlpid" || rc=$?
        nbytes=$(tail -1 "$TMP/app-curl.log" | tr -dc 0-9)
        [ "$app" = upload ] && nbytes=$(cat "$TMP/upload.bytes" 2>/dev/null || echo 0)
    fi
    for p in "${apppids[@]}"; do wait "$p" 2>/dev/null || true; done
    local echores=- dnsres=-
    [ -f "$TMP/app-echo.log" ] && echores=$(grep -o 'echo ok [0-9]*/[0-9]*' "$TMP/app-echo.log" || echo "echo failed")
    [ -f "$TMP/app-dns.log" ] && dnsres=$(grep -o 'dns ok [0-9]*/[0-9]*' "$TMP/app-dns.log" || echo "dns failed")

    local gen frags pmtu sender_ns=$S peer=10.61.1.2
    [ "$app" = upload ] && sender_ns=$C peer=10.61.2.2
    gen=$(( $(router_counter icmp4-fn) + $(router_counter icmp6-ptb) ))
    frags=$(router_counter frag-drop)
    pmtu=$(in_ns "$sender_ns" ip route get "$peer" 2>/dev/null | grep -o 'mtu [0-9]*' | head -1 | awk '{print $2}') || true
    cap_stop
    teardown
    local secs=$((SECONDS - t0)) f lt npk maxlen
    log "    curl $rc ($nbytes bytes), $echores, $dnsres; router ICMP $gen, fragments dropped $frags, sender PMTU ${pmtu:--} ($secs s)"
    for spec in "${CAPS[@]}"; do
        v=${spec%%:*}
        f=$OUT/$id-$v.pcap
        cp "$TMP/cap-$v.pcap" "$f"
        lt=$(grep -o 'link-type [A-Z0-9_]*' "$TMP/cap-$v.err" | head -1 | awk '{print $2}')
        npk=$(grep -o '^[0-9]* packets captured' "$TMP/cap-$v.err" | awk '{print $1}')
        maxlen=$(tshark -n -r "$f" -T fields -E occurrence=f -e ip.len 2>/dev/null | sort -n | tail -1)
        printf '%s\n' "$id	$fam	$tun	$path	${tunmtu:--}	$filter	$fragdrop	$df	$app	$bytes	$clamp	$snap	${dnssizes:--}	$v	${STOPAT[$v]}	$(basename "$f")	${lt:-?}	${npk:-?}	$rc	${nbytes:-0}	$echores	$dnsres	$gen	$frags	${pmtu:--}	${maxlen:-0}	$secs" >>"$MAN"
    done
}

T0=$SECONDS
while IFS=$'\t' read -r id fam tun path tunmtu filter fragdrop df app bytes clamp snap vants dnssizes; do
    case $id in ''|'#'*|id) continue ;; esac
    [ "$tunmtu" = - ] && tunmtu=
    [ "$dnssizes" = - ] && dnssizes=
    run_one "$id" "$fam" "$tun" "$path" "$tunmtu" "$filter" "$fragdrop" "$df" "$app" "$bytes" "$clamp" "$snap" "$vants" "$dnssizes"
done <"$SCEN"
log "matrix: ran the scenarios of $SCEN in $((SECONDS - T0)) s; manifest $MAN"
