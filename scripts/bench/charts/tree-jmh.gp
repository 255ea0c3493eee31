# Cache-aware radix tree, JMH (data/tree-jmh.csv from scripts/bench/tree-jmh.sh): the median time
# per operation against prompt length, one line per operation and tenant count. The report's
# table has 24 rows of three dimensions; here the growth with length (hashing), the 10-character
# insert outlier and the aim at 100 characters read at once.
# Columns: 1 benchmark, 2 chars, 3 tenants, 4 p50_ns, 5 p99_ns, 6 mean_ns.
ops = "insert match mixed"
of(op, tenants) = strcol(1) eq op && column(3) == tenants ? column(4) : NaN

stats data using 2 name "chars" nooutput
set title sprintf("Cache-aware tree: median time per operation (JMH sample mode)\n{/*0.85 %s}", meta("title"))
set xlabel "prompt length (characters, log scale)"
set ylabel "median time per operation (ns, log scale)"
set logscale xy
set xrange [chars_min / 1.5:chars_max * 1.5]
set xtics (10, 50, 100, 500, 1000, 4096)
set ytics ("100" 100, "200" 200, "500" 500, "1 µs" 1000, "2 µs" 2000, "5 µs" 5000, "10 µs" 10000, "20 µs" 20000, \
    "50 µs" 50000)
# Bottom right: time grows with length, so short prompts sit low on the left, long ones high on the right.
set key bottom right width -2
# The aim of the tree's issue: insert or match of a 100-character prompt at or under 1.5 µs median.
set arrow 1 from graph 0, first 1500 to graph 1, first 1500 nohead dashtype 3 linecolor rgb grey
set label 1 "aim at 100 characters: 1.5 µs " at graph 1, first 1500 right offset 0, 0.6 textcolor rgb grey

plot for [i = 1:3] data using 2:(of(word(ops, i), 10)) smooth unique with linespoints pointtype 7 pointsize 0.8 \
         linecolor rgb word(c1." ".c4." ".c3, i) title sprintf("%s, 10 tenants", word(ops, i)), \
     for [i = 1:3] data using 2:(of(word(ops, i), 64)) smooth unique with linespoints pointtype 6 pointsize 0.9 \
         dashtype 2 linecolor rgb word(c1." ".c4." ".c3, i) title sprintf("%s, 64 tenants", word(ops, i))
