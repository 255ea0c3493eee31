# Shared by every chart (scripts/bench/charts.sh runs it first): the PNG terminal, the look, and
# meta(key), which reads "# key: value" lines from the top of the data file. The caller sets
# data (the CSV) and out (the PNG).
# pngcairo (antialiased) where this gnuplot has it, else the plain libgd png terminal.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 900,500 enhanced font "sans,10" linewidth 1.5
} else {
    set terminal png size 900,500 enhanced font "sans,10" linewidth 1.5
}
set output out
set datafile separator ","
# The charts pick rows with expressions that give NaN for the others: NaN as "missing" lets a line
# run on past them instead of breaking there. (A row with an empty CSV field where a number is wanted is skipped.)
set datafile missing NaN
set datafile columnheaders
set grid back linecolor rgb "#dddddd" linetype 1 linewidth 0.8
set border 3 back
set tics nomirror out
set key opaque box linecolor rgb "#cccccc"
meta(key) = system(sprintf("sed -n 's/^# %s: //p' '%s' | head -n 1", key, data))
# Colours that stay apart for the colour-blind (Okabe-Ito), one per series.
c1 = "#0072B2"; c2 = "#E69F00"; c3 = "#009E73"; c4 = "#D55E00"; c5 = "#CC79A7"; c6 = "#56B4E9"; grey = "#777777"
