# ping-sweep.gp - a DF ping sweep (Linux ping -M do -s, Windows ping -f -l):
# echo requests of several sizes, answered ones up in green, unanswered ones
# down in red, the path MTU (or the largest answered and the smallest
# unanswered size) marked.  mtuscope copies this template after a header that
# sets: out, datafile, chart_title, has_data, xmin, xmax, ymax, and the lines
# (arrows and labels 10..11).
#
# datafile columns: size_bytes answered unanswered

set title chart_title font ',16'
set xlabel 'echo request size (IP bytes)' font ',13'
set ylabel 'requests: answered (up), unanswered (down)' font ',13'
set xrange [xmin:xmax]
set yrange [-ymax * 1.3:ymax * 1.3]
set grid xtics ytics lc rgb '#e0e0e0'
set key top left box opaque font ',12' spacing 1.2
set xzeroaxis lt -1
set style fill solid 0.8
set boxwidth 0.8 absolute

do for [pass = 1:2] {
    if (pass == 1) {
        set terminal pngcairo size 1200,700 enhanced font 'DejaVu Sans,12'
        set output out.'.png'
    } else {
        set terminal svg size 1200,700 dynamic enhanced font 'DejaVu Sans,12' background '#ffffff'
        set output out.'.svg'
    }
    plot datafile using 1:2 with impulses lw 6 lc rgb '#2ca02c' title 'answered', \
         '' using 1:(-$3) with impulses lw 6 lc rgb '#d62728' title 'unanswered'
}
set output
