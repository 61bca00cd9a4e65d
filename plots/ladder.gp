# ladder.gp - the ladder (sequence) diagram of one TCP connection, as
# textbooks draw path-MTU discovery and black holes: the client's line on
# the left, the server's on the right, the path dashed between them; time
# runs down, not to scale (a long gap is stretched and its length written
# on the left).  Each packet is an arrow labelled with its IP size; a lost
# one ends on the path with a cross; frag-needed / packet-too-big comes back
# from there in purple.  mtuscope copies this template after a header that
# sets: out, datafile, chart_title, has_data, ymax (the last row), height
# (pixels), and the lane headings (labels 1-3).
#
# datafile index 0: x1 y1 x2 y2 style frame (arrows; style 1 data, 2 lost,
#                   3 control, 4 ICMP, 5 unanswered, 6 hole, 7 re-sent data
#                   that crossed)
#          index 1: x y style "label" align (0 centre, 1 right, 2 left)
#          index 2: x y (losses on the path)
#          index 3: x y kind "text" (0 time, 1 gap, 2 packets not drawn)

colors = '#1f77b4 #d62728 #7f7f7f #9467bd #ff7f0e #d62728 #2ca02c'
widths = '2.5 3 1.5 2.5 2.5 2.5 3'
dashes = '1 1 1 1 2 2 1'
dashed(s) = word(dashes, s) eq '2'

set title chart_title font ',16'
unset key
unset border
unset xtics
unset ytics
set xrange [-0.36:1.3]
set yrange [ymax + 0.8:-3.3]
set lmargin 2
set rmargin 2
set bmargin 4

# the lanes: the hosts solid, the path dashed
set arrow 1 from 0, -0.6 to 0, ymax + 0.6 nohead lw 4 lc rgb '#333333' back
set arrow 2 from 1, -0.6 to 1, ymax + 0.6 nohead lw 4 lc rgb '#333333' back
set arrow 3 from 0.5, -0.6 to 0.5, ymax + 0.6 nohead lw 2 dt 2 lc rgb '#999999' back
set label 4 'time' at -0.22, first -1.2 center font ',13' tc rgb '#555555'
set label 5 "blue: crossed   green: re-sent, crossed   red: lost (ends on the path)   purple: ICMP   grey: handshake, ACKs" \
    at screen 0.5, screen 0.025 center font ',13'

do for [pass = 1:2] {
    if (pass == 1) {
        set terminal pngcairo size 1200,height enhanced font 'DejaVu Sans,13'
        set output out.'.png'
    } else {
        set terminal svg size 1200,height dynamic enhanced font 'DejaVu Sans,13' background '#ffffff'
        set output out.'.svg'
    }
    if (has_data) {
        plot for [s = 1:7] datafile index 0 using 1:($5 == s && !dashed(s) ? $2 : NaN):($3 - $1):($4 - $2) \
                 with vectors head filled size screen 0.012,20 lw word(widths, s) + 0 \
                 dt 1 lc rgb word(colors, s) notitle, \
             for [s = 1:7] '' index 0 using 1:($5 == s && dashed(s) ? $2 : NaN):($3 - $1):($4 - $2) \
                 with vectors head filled size screen 0.012,20 lw word(widths, s) + 0 \
                 dt 2 lc rgb word(colors, s) notitle, \
             for [s = 1:7] '' index 1 using 1:($3 == s && $5 == 0 ? $2 : NaN):4 with labels \
                 center font ',17' tc rgb word(colors, s) noenhanced notitle, \
             for [s = 1:7] '' index 1 using 1:($3 == s && $5 == 1 ? $2 : NaN):4 with labels \
                 right font ',17' tc rgb word(colors, s) noenhanced notitle, \
             for [s = 1:7] '' index 1 using 1:($3 == s && $5 == 2 ? $2 : NaN):4 with labels \
                 left font ',17' tc rgb word(colors, s) noenhanced notitle, \
             '' index 2 using 1:2 with points pt 2 ps 3.5 lw 4 lc rgb '#d62728' notitle, \
             '' index 3 using 1:($3 == 0 ? $2 : NaN):4 with labels right font ',14' \
                 tc rgb '#555555' noenhanced notitle, \
             '' index 3 using 1:($3 == 1 ? $2 : NaN):4 with labels center font ',15' \
                 tc rgb '#d62728' noenhanced notitle, \
             '' index 3 using 1:($3 == 2 ? $2 : NaN):4 with labels center font ',13' \
                 tc rgb '#555555' noenhanced notitle
    } else {
        unset arrow
        unset label 4
        unset label 5
        set label 6 'no TCP connection or ping to draw' at 0.5, first ymax / 2 center font ',18'
        plot NaN notitle
    }
}
set output
