# mtu-goodput.gp - the goodput of the same transfer captured at several MTU
# settings, one capture per setting: it rises with the MTU (fewer headers per
# byte, fewer packets) until the setting no longer fits the path, where the
# transfer stalls.  mtuscope copies this template after a header that sets:
# out, datafile, chart_title, has_data, xmin, xmax, ymax, and the vertical
# lines (arrows and labels 10..12: the largest setting that worked, the fix).
#
# datafile columns: setting_bytes goodput_kbps stalled(0/1) input flow label

set title chart_title font ',16'
set xlabel 'MTU setting (bytes: the MSS announced + 40, + 60 over IPv6)' font ',13'
set ylabel 'goodput (kbit/s, data acknowledged / transfer duration)' font ',13'
set xrange [xmin:xmax]
set yrange [0:ymax]
set grid xtics ytics lc rgb '#e0e0e0'
set key top left box opaque font ',12' spacing 1.2

do for [pass = 1:2] {
    if (pass == 1) {
        set terminal pngcairo size 1200,700 enhanced font 'DejaVu Sans,12'
        set output out.'.png'
    } else {
        set terminal svg size 1200,700 dynamic enhanced font 'DejaVu Sans,12' background '#ffffff'
        set output out.'.svg'
    }
    plot datafile using 1:($3 == 0 ? $2 : NaN) with linespoints pt 7 ps 2 lw 2 lc rgb '#2ca02c' title 'worked', \
         '' using 1:($3 == 1 ? $2 : NaN) with points pt 2 ps 3 lw 3 lc rgb '#d62728' title 'stalled', \
         '' using 1:2:6 with labels left offset 1,0.8 font ',11' noenhanced notitle
}
set output
