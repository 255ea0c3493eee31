# Proxy overhead (data/proxy-overhead.csv from scripts/bench/proxy-overhead.sh, its raw runs):
# bars of the medians the report's table gives, each run as a dot, so the gap between smg and
# nginx, and how much the runs scatter, show at a glance. Left: max throughput (wrk); right:
# p50 and p99 latency at the fixed rate (hey).
# Columns: 1 repeat, 2 target, 3 test, 4 rate_rps, 5 p50_ms, 6 p99_ms, 7 errors.
targets = "direct smg nginx"
# A colour per target, by line type (boxes take a variable colour as a line type number).
set linetype 11 linecolor rgb grey
set linetype 12 linecolor rgb c1
set linetype 13 linecolor rgb c2
at(t) = t eq "direct" ? 1 : t eq "smg" ? 2 : t eq "nginx" ? 3 : NaN
of(test, col) = strcol(3) eq test ? column(col) : NaN
# The medians per target, in a datablock read with the same CSV settings as the data file.
set print $medians
print "at,target,throughput,p50,p99,throughput_top,p50_top,p99_top"
do for [i = 1:3] {
    stats data using (strcol(2) eq word(targets, i) ? of("throughput", 4) : NaN) name "t" nooutput
    stats data using (strcol(2) eq word(targets, i) ? of("latency", 5) : NaN) name "l50" nooutput
    stats data using (strcol(2) eq word(targets, i) ? of("latency", 6) : NaN) name "l99" nooutput
    # *_top: the highest run, where a bar's label goes so that it clears the dots.
    print sprintf("%d,%s,%g,%g,%g,%g,%g,%g", i, word(targets, i), t_median, l50_median, l99_median, \
        t_max, l50_max, l99_max)
    if (i == 1) { direct = t_median }
}
unset print
stats data using 1 name "repeats" nooutput

set style fill solid 0.85 noborder
set boxwidth 0.6
set xrange [0.4:3.6]
set xtics scale 0
set key off
set multiplot layout 1, 2 title sprintf("Proxy overhead: bars are medians of %d interleaved runs, dots the runs\n{/*0.85 %s}", \
    repeats_max, meta("title"))

set title "max throughput (wrk)"
set ylabel "requests per second (req/s)"
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0  # headroom for the labels above the highest bar
set format y "%.0f"
plot $medians using 1:3:($1 + 10):xticlabels(2) with boxes linecolor variable, \
     $medians using 1:6:($1 == 1 ? sprintf("%.0f", $3) : sprintf("%.0f\n%.2f × direct", $3, $3 / direct)) \
         with labels offset 0, 1.5, \
     data using (at(strcol(2))):(of("throughput", 4)) with points pointtype 7 pointsize 0.8 linecolor rgb "black"

set title sprintf("latency at %s req/s (hey)", meta("rate"))
set key top left Left reverse noopaque nobox
set ylabel "latency (ms)"
set format y "%.1f"
set boxwidth 0.3
plot $medians using ($1 - 0.17):4:($1 + 10):xticlabels(2) with boxes linecolor variable notitle, \
     $medians using ($1 + 0.17):5:($1 + 10) with boxes linecolor variable fillstyle solid 0.35 notitle, \
     $medians using ($1 - 0.17):7:(sprintf("%.1f", $4)) with labels offset 0, 0.8 notitle, \
     $medians using ($1 + 0.17):8:(sprintf("%.1f", $5)) with labels offset 0, 0.8 notitle, \
     keyentry with boxes fillstyle solid 0.85 linecolor rgb grey title "p50", \
     keyentry with boxes fillstyle solid 0.35 linecolor rgb grey title "p99", \
     data using (at(strcol(2)) - 0.17):(of("latency", 5)) with points pointtype 7 pointsize 0.8 linecolor rgb "black" notitle, \
     data using (at(strcol(2)) + 0.17):(of("latency", 6)) with points pointtype 7 pointsize 0.8 linecolor rgb "black" notitle
unset multiplot
