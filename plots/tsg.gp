# tsg.gp - time-sequence graph of one TCP flow's data direction (the
# Stevens / tcptrace picture): every data segment is a vertical bar from its
# first to its last byte; retransmissions are red; the peer's cumulative ACK
# is the green step line; ICMP frag-needed / packet-too-big arrivals are
# purple vertical lines; a stall is shaded.  mtuscope copies this template
# after a header that sets: out, datafile, chart_title, has_data, and the
# frag-needed lines (arrows 10..), nicmp, and the stall (object 1), stalled.
#
# datafile index 0: time(s) kind(0 new, 1 retransmission) seq_first seq_end
#          index 1: time(s) acked (relative sequence)

set title chart_title font ',16'
set xlabel "time since the flow's first packet (s)" font ',13'
set ylabel 'relative sequence number (bytes)' font ',13'
set grid xtics ytics lc rgb '#e0e0e0'
set key top right box opaque font ',12' spacing 1.2
set format y '%.0f'
set autoscale xfix
set offsets graph 0.01, graph 0.03, graph 0.05, graph 0.02
set yrange [0:*]

do for [pass = 1:2] {
    if (pass == 1) {
        set terminal pngcairo size 1200,700 enhanced font 'DejaVu Sans,12'
        set output out.'.png'
    } else {
        set terminal svg size 1200,700 dynamic enhanced font 'DejaVu Sans,12' background '#ffffff'
        set output out.'.svg'
    }
    if (has_data) {
        plot datafile index 0 using 1:($2 == 0 ? $3 : NaN):(0):($4 - $3) with vectors nohead lw 2 lc rgb '#1f77b4' title 'data segment', \
             '' index 0 using 1:($2 == 1 ? $3 : NaN):(0):($4 - $3) with vectors nohead lw 3 lc rgb '#d62728' title 'retransmission', \
             '' index 0 using 1:($2 == 1 ? $4 : NaN) with points pt 7 ps 1.0 lc rgb '#d62728' notitle, \
             '' index 1 using 1:2 with steps lw 1.5 lc rgb '#2ca02c' title 'ACKed by the peer', \
             NaN with lines lw 2 lc rgb '#9467bd' title (nicmp ? 'ICMP frag-needed / packet-too-big arrives' : ''), \
             NaN with boxes fs solid 0.5 fc rgb '#ffbb78' title (stalled ? 'stalled: data outstanding, no progress' : '')
    } else {
        set label 1 'no TCP data to draw' at graph 0.5, graph 0.5 center font ',16'
        set yrange [0:1]
        set xrange [0:1]
        plot NaN notitle
    }
}
set output
