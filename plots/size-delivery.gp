# size-delivery.gp - delivery of TCP data by IP packet size: the cliff at the
# path MTU.  mtuscope copies this template into its output directory after a
# header that sets: out (file stem), datafile, chart_title, has_data, xmin,
# xmax, bw (bar width, bytes), counts (1: print counts over bars), logy
# (1: logarithmic counts, when they span more than a factor 30), nbounds (path-MTU lines drawn) and the lines
# themselves (arrows and labels 10..).  Render again with: gnuplot NAME.gp
#
# datafile columns: size sent delivered lost ratio(%)
# (lost: never delivered though retransmitted; the rest were superseded by a
# later copy or not yet acknowledged when the capture ended)

set title chart_title font ',16'
set xlabel 'IP packet size (bytes)' font ',13'
set ylabel 'TCP data transmissions (packets)' font ',13'
set y2label 'delivered (% of transmissions)' font ',13'
set xrange [xmin:xmax]
if (logy) { set logscale y; set yrange [0.5:*] } else { set yrange [0:*] }
set y2range [0:140]
set ytics nomirror
set y2tics 0,20,100
set mxtics 2
set grid xtics ytics lc rgb '#e0e0e0'
set key inside top center horizontal maxrows 2 box opaque font ',12' spacing 1.2 width 1
set style fill solid 0.9 border lc rgb '#404040'
set offsets 0, 0, graph 0.25, 0

do for [pass = 1:2] {
    if (pass == 1) {
        set terminal pngcairo size 1200,700 enhanced font 'DejaVu Sans,12'
        set output out.'.png'
    } else {
        set terminal svg size 1200,700 dynamic enhanced font 'DejaVu Sans,12' background '#ffffff'
        set output out.'.svg'
    }
    if (has_data) {
        plot datafile using 1:2:(bw) with boxes fc rgb '#aec7e8' title 'sent', \
             '' using 1:3:(bw * 0.6) with boxes fc rgb '#2ca02c' title 'delivered', \
             '' using 1:4:(bw * 0.3) with boxes fc rgb '#d62728' title 'lost (retransmitted, never delivered)', \
             '' using 1:2:(counts ? sprintf('%d', $2) : '') with labels offset 0,0.8 font ',11' notitle, \
             '' using 1:5 axes x1y2 with points pt 7 ps 1.6 lc rgb '#000000' title 'delivered % (right axis)', \
             NaN with lines dt 2 lw 2 lc rgb '#9467bd' title (nbounds ? 'path MTU bounds' : '')
    } else {
        set label 1 'no TCP data segments in this capture' at graph 0.5, graph 0.5 center font ',16'
        set yrange [0:1]
        plot NaN notitle
    }
}
set output
