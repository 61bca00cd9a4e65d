# retrans-timeline.gp - TCP retransmissions per interval across the capture,
# with all packets per interval for scale and retransmission storms shaded.
# mtuscope copies this template after a header that sets: out, datafile,
# chart_title, has_data, bin_label (the interval, for the axis), nstorms and
# the storm rectangles (objects 10..).
#
# datafile columns: interval_start(s) retransmissions packets

set title chart_title font ',16'
set xlabel "time since the capture's first packet (s)" font ',13'
set ylabel 'TCP retransmissions per '.bin_label font ',13'
set y2label 'packets per '.bin_label font ',13'
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid xtics ytics lc rgb '#e0e0e0'
set key top right box opaque font ',12' spacing 1.2
set style fill solid 0.9 noborder
set offsets 0, 0, graph 0.1, 0

do for [pass = 1:2] {
    if (pass == 1) {
        set terminal pngcairo size 1200,700 enhanced font 'DejaVu Sans,12'
        set output out.'.png'
    } else {
        set terminal svg size 1200,700 dynamic enhanced font 'DejaVu Sans,12' background '#ffffff'
        set output out.'.svg'
    }
    if (has_data) {
        plot datafile using ($1 + binw / 2):3 axes x1y2 with steps lw 1.5 lc rgb '#7f7f7f' title 'all packets (right axis)', \
             '' using ($1 + binw / 2):2:(binw) with boxes fc rgb '#d62728' title 'TCP retransmissions', \
             NaN with boxes fs solid 0.6 fc rgb '#ffd0d0' title (nstorms ? 'retransmission storm' : '')
    } else {
        set label 1 'no packets with a timestamp' at graph 0.5, graph 0.5 center font ',16'
        set yrange [0:1]
        set xrange [0:1]
        plot NaN notitle
    }
}
set output
