# goodput.gp - per-flow goodput against the flow's largest packet: the flows
# whose packets stay under the path MTU (SSH, a smaller MSS) work, the others
# stall.  One point per TCP flow that sent data.  mtuscope copies this
# template after a header that sets: out, datafile, chart_title, has_data,
# xmin, xmax, floor_kbps (where flows that delivered nothing are drawn),
# labels (1: label each point) and the path-MTU lines (arrows 10..), nbounds.
#
# datafile columns: largest_packet goodput_kbps status(0 healthy,
# 1 retransmissions or a healed black hole, 2 stalled or a black hole)
# mss flow_id label

set title chart_title font ',16'
set xlabel "flow's largest IP packet (bytes)" font ',13'
set ylabel 'goodput (kbit/s, delivered bytes / flow duration)' font ',13'
set xrange [xmin:xmax]
set logscale y
set format y '%g'
set grid xtics ytics mytics lc rgb '#e0e0e0'
set key top left box opaque font ',12' spacing 1.2
set offsets 0, 0, graph 0.1, graph 0.05

do for [pass = 1:2] {
    if (pass == 1) {
        set terminal pngcairo size 1200,700 enhanced font 'DejaVu Sans,12'
        set output out.'.png'
    } else {
        set terminal svg size 1200,700 dynamic enhanced font 'DejaVu Sans,12' background '#ffffff'
        set output out.'.svg'
    }
    if (has_data) {
        plot datafile using 1:($3 == 0 ? $2 : NaN) with points pt 7 ps 2 lc rgb '#2ca02c' title 'healthy', \
             '' using 1:($3 == 1 ? $2 : NaN) with points pt 9 ps 2.2 lc rgb '#ff7f0e' title 'retransmissions, healed', \
             '' using 1:($3 == 2 ? $2 : NaN) with points pt 5 ps 2 lc rgb '#d62728' title 'stalled or black hole', \
             '' using 1:2:(labels ? stringcolumn(6) : '') with labels left offset 1.2,0.4 font ',11' notitle, \
             NaN with lines dt 2 lw 2 lc rgb '#9467bd' title (nbounds ? 'path MTU bounds' : '')
    } else {
        set label 1 'no TCP flow sent data' at graph 0.5, graph 0.5 center font ',16'
        unset logscale y
        set yrange [0:1]
        plot NaN notitle
    }
}
set output
