# bench/cost-curves.gp: the cost-curves plot (gnuplot 5), run by bench/plot
# with datafile, outfile, title, subtitle and fl / ft / wl (1 when the data
# file has followers-livelog / followers-tail / writers-livelog lines) set.
# Six panels: server CPU, server memory and p99 write-to-read latency
# against followers (livelog and the tail -f peer) and against writers
# (livelog).
set terminal pngcairo size 1800,1000 font "DejaVu Sans,11" noenhanced
set output outfile
set multiplot layout 2,3 title title."\n".subtitle font ",12"
set logscale x 10
set grid xtics ytics mxtics
set key top left box opaque
set pointsize 1.2

# lines: kind peer n rate_bps_each cpu_cores cpu_total_s pss_mib
# peak_rss_mib p50_ms p99_ms p999_ms lost_bytes procs (columns 1-13)
sel(kind, peer) = sprintf("< awk '$1 == \"%s\" && $2 == \"%s\"' '%s'", kind, peer, datafile)
FL = sel("followers", "livelog")
FT = sel("followers", "tail")
WL = sel("writers", "livelog")
nodata(what) = sprintf("%s: not measured in this run", what)

set title "server CPU vs followers (200 MB/s delivered at every point, CPU s of the run)"
set xlabel "followers of one stream"
set ylabel "server CPU seconds, whole run"
set offsets 0, 0, graph 0.3, 0 # headroom for the key
set yrange [0:*]
if (fl && ft) {
    plot FL using 3:6 with linespoints lw 2 pt 7 title "livelog serve", \
         FT using 3:6 with linespoints lw 2 pt 5 dt 2 title "tail -f per follower (socat)"
} else { if (fl) {
    plot FL using 3:6 with linespoints lw 2 pt 7 title "livelog serve"
} else {
    set label 1 nodata("followers") at graph 0.5, 0.5 center
    set xrange [1:10000]; set yrange [0:1]; unset key
    plot -1 notitle
    unset label 1; set xrange [*:*]; set key
} }

set title "server memory vs followers"
set ylabel "MiB (log scale)"
set offsets 0, 0, 0, 0
set logscale y 10
set yrange [*:*]
if (fl && ft) {
    plot FL using 3:7 with linespoints lw 2 pt 7 title "livelog serve: Pss", \
         FL using 3:8 with linespoints lw 1 pt 6 dt 3 title "livelog serve: peak RSS", \
         FT using 3:7 with linespoints lw 2 pt 5 dt 2 title "tail -f peer: Pss summed"
} else { if (fl) {
    plot FL using 3:7 with linespoints lw 2 pt 7 title "livelog serve: Pss", \
         FL using 3:8 with linespoints lw 1 pt 6 dt 3 title "livelog serve: peak RSS"
} else {
    unset logscale y
    set label 1 nodata("followers") at graph 0.5, 0.5 center
    set xrange [1:10000]; set yrange [0:1]; unset key
    plot -1 notitle
    unset label 1; set xrange [*:*]; set key
} }
unset logscale y

set title "p99 write-to-read latency vs followers"
set ylabel "ms (log scale)"
set offsets 0, 0, 0, 0
set logscale y 10
set yrange [*:*]
if (fl && ft) {
    plot FL using 3:10 with linespoints lw 2 pt 7 title "livelog serve", \
         FT using 3:10 with linespoints lw 2 pt 5 dt 2 title "tail -f per follower (socat)"
} else { if (fl) {
    plot FL using 3:10 with linespoints lw 2 pt 7 title "livelog serve"
} else {
    unset logscale y
    set label 1 nodata("followers") at graph 0.5, 0.5 center
    set xrange [1:10000]; set yrange [0:1]; unset key
    plot -1 notitle
    unset label 1; set xrange [*:*]; set key
} }
unset logscale y

set title "server CPU vs writers (100 KB/s each, one follower each, CPU s of the run)"
set xlabel "writers (one stream each)"
set ylabel "server CPU seconds, whole run"
set offsets 0, 0, graph 0.3, 0 # headroom for the key
set yrange [0:*]
if (wl) {
    plot WL using 3:6 with linespoints lw 2 pt 7 title "livelog serve"
} else {
    set label 1 nodata("writers") at graph 0.5, 0.5 center
    set xrange [1:1000]; set yrange [0:1]; unset key
    plot -1 notitle
    unset label 1; set xrange [*:*]; set key
}

set title "server memory vs writers"
set ylabel "MiB (log scale)"
set offsets 0, 0, 0, 0
set yrange [*:*]
if (wl) {
    set logscale y 10
    plot WL using 3:7 with linespoints lw 2 pt 7 title "livelog serve: Pss", \
         WL using 3:8 with linespoints lw 1 pt 6 dt 3 title "livelog serve: peak RSS"
} else {
    set label 1 nodata("writers") at graph 0.5, 0.5 center
    set xrange [1:1000]; set yrange [0:1]; unset key
    plot -1 notitle
    unset label 1; set xrange [*:*]; set key
}
unset logscale y

set title "p99 write-to-read latency vs writers"
set ylabel "ms (log scale)"
set offsets 0, 0, 0, 0
set yrange [*:*]
if (wl) {
    set logscale y 10
    plot WL using 3:10 with linespoints lw 2 pt 7 title "livelog serve"
} else {
    set label 1 nodata("writers") at graph 0.5, 0.5 center
    set xrange [1:1000]; set yrange [0:1]; unset key
    plot -1 notitle
    unset label 1; set xrange [*:*]; set key
}
unset logscale y
unset multiplot
