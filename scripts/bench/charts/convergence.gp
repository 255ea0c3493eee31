# Replication convergence, three router processes (data/convergence.csv and
# data/convergence-histogram.csv from scripts/bench/convergence.sh): the cumulative distribution of
# the time until an update is visible at both other routers, as a client polled it, per kind of
# update, next to the routers' own router_mesh_convergence_ms histogram. The report has p50, p99
# and max; the curves show the whole spread, and the rate limit's 100 ms re-read as a step.
# convergence.csv: 1 kind, 2 update, 3 ms (empty: never seen everywhere; left out of the curve).
# convergence-histogram.csv: 1 kind, 2 le_ms, 3 arrivals within le_ms, 4 that as a fraction.
hist = data[1:strlen(data) - 4]."-histogram.csv"
kinds = "workers rate-limit"
what(k) = k eq "workers" ? "POST /workers" : "POST /ha/rate-limit"
of(kind, col) = strcol(1) eq kind ? column(col) : NaN

stats data using 3 name "ms" nooutput
set title sprintf("Replication convergence: time until an update is visible\n{/*0.85 %s}", meta("title"))
set xlabel "time since the update was made at node1 (ms, log scale)"
set ylabel "cumulative fraction"
set logscale x
set xtics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
set xrange [1:(ms_max > 250 ? ms_max * 1.2 : 300)]
set yrange [0:1.02]
set ytics 0.1
# The key under the x label, as in the other charts: the curves may run through any corner.
set key at screen 0.5, screen 0.01 center bottom horizontal width 1
set bmargin 9  # room for the key's four rows under the x label
set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dashtype 3 linecolor rgb grey
set arrow 2 from graph 0, first 0.99 to graph 1, first 0.99 nohead dashtype 3 linecolor rgb grey
set label 1 "p50 " at graph 1, first 0.5 right offset 0, 0.6 textcolor rgb grey
set label 2 "p99 " at graph 1, first 0.99 right offset 0, -0.7 textcolor rgb grey

# smooth cnormal sorts the updates by time and accumulates them to 1: the empirical distribution.
# The histogram only knows its buckets (1, 2, 5, 10, 25, 50, 100, 250 ms ...): points at their bounds.
plot for [i = 1:2] data using (of(word(kinds, i), 3)):(1.0) smooth cnormal with lines linewidth 2 \
         linecolor rgb word(c1." ".c4, i) title sprintf("%s: polled, both others have it", what(word(kinds, i))), \
     for [i = 1:2] hist using (of(word(kinds, i), 2)):4 with linespoints dashtype 2 pointtype 6 pointsize 1 \
         linecolor rgb word(c1." ".c4, i) title sprintf("%s: arrivals (histogram)", what(word(kinds, i)))
