# Cluster rate limit over time (data/rate-limit.csv from scripts/bench/rate-limit.sh): admitted
# requests per second of sending, in total and per router, against L. The report gives the steady
# phase's rate and busiest window as numbers; the picture adds what happens second by second,
# above all around the switch of the split, where the routers' shares have to follow the traffic.
# Columns: 1 setup, 2 run, 3 second, 4 phase, 5 admitted, 6 limited, 7 other, 8-10 admitted per router.
L = real(meta("limit"))
split = meta("split")
switched = meta("switch_split")
split_words = system(sprintf("echo '%s' | tr / ' '", split))  # "70/20/10" -> "70 20 10", for word()
switched_words = system(sprintf("echo '%s' | tr / ' '", switched))
cluster(col) = strcol(1) eq "cluster" ? column(col) : NaN

# Where the phases begin, and how many runs there are (the lines are their mean).
stats data using (strcol(1) eq "cluster" && strcol(4) eq "steady" ? $3 : NaN) name "steady" nooutput
stats data using (strcol(1) eq "cluster" && strcol(4) eq "switched" ? $3 : NaN) name "switch" nooutput
stats data using (cluster(2)) name "runs" nooutput
stats data using (cluster(3)) name "seconds" nooutput
stats data using (cluster(5)) name "admitted" nooutput
has_switch = exists("switch_min")

set title sprintf("Cluster rate limit: admitted requests per second, mean of %d runs\n{/*0.85 %s}", \
    runs_max, meta("title"))
set xlabel "second of sending (s)"
set ylabel "admitted requests per second (req/s)"
set xrange [0:seconds_max + 1]
set yrange [0:(admitted_max > 1.15 * L ? admitted_max * 1.05 : 1.15 * L)]
set ytics 10
# The key under the x label: inside, it would cover whichever lines the split puts at its height.
set key at screen 0.5, screen 0.01 center bottom horizontal width 1
set bmargin 7  # room for the key's three rows under the x label

# The aim: within 5% of L; then where the measured phase and the switched split begin.
set object 1 rectangle from graph 0, first 0.95 * L to graph 1, first 1.05 * L behind \
    fillcolor rgb "#eeeeee" fillstyle solid noborder
set arrow 1 from steady_min, graph 0 to steady_min, graph 1 nohead dashtype 3 linecolor rgb grey
set label 1 sprintf(" measured: split %s", split) at steady_min, graph 0.97 left textcolor rgb grey
if (has_switch) {
    set arrow 2 from switch_min, graph 0 to switch_min, graph 1 nohead dashtype 3 linecolor rgb grey
    set label 2 sprintf(" split %s", switched) at switch_min, graph 0.97 left textcolor rgb grey
}
share(i) = !has_switch || word(split_words, i) eq word(switched_words, i) ? sprintf("%s%%", word(split_words, i)) \
    : sprintf("%s%% then %s%%", word(split_words, i), word(switched_words, i))

# Each second is drawn at its middle (s + 0.5); smooth unique averages the runs at each second.
plot L with lines dashtype 2 linecolor rgb "black" linewidth 1 title sprintf("L = %g req/s, ±5%% shaded", L), \
     data using ($3 + 0.5):(cluster(5)) smooth unique with linespoints pointtype 7 pointsize 0.6 \
         linecolor rgb "black" linewidth 2 title "all routers", \
     for [r = 1:3] data using ($3 + 0.5):(cluster(7 + r)) smooth unique with linespoints pointtype 7 \
         pointsize 0.5 linecolor rgb word(c1." ".c2." ".c3, r) title sprintf("router %d: %s of the load", r, share(r))
