#!/usr/bin/env bash
# Draws the benchmark charts with gnuplot: each benchmark that has one keeps its raw series next
# to its report (docs/bench/data/NAME.csv) and links img/NAME.png after the table it illustrates;
# scripts/bench/charts/NAME.gp turns the one into the other (what each chart shows is said there).
# scripts/bench/all.sh (make bench) runs this after the benchmarks; run it alone to redraw from
# the last data:
#
#   scripts/bench/charts.sh [DIR]     DIR holds the reports, data/ and img/ [<repo>/docs/bench]
#
# gnuplot missing: installed with apt-get (gnuplot-nox) when running as root. When it cannot be
# had, this says why in one line and draws nothing, and exits 0: a benchmark run does not fail for
# want of pictures. A picture that is older than its data then (or whose drawing failed) is
# deleted and its link taken out of the reports, so that no report shows a chart of another run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:-$repo/docs/bench}
[[ -d $dir ]] || { echo "charts: no directory $dir" >&2; exit 1; }
charts=(rate-limit convergence proxy-overhead tree-jmh)

log() { printf '[charts] %s\n' "$*" >&2; }

# have_gnuplot: true when gnuplot is there or could be installed; else sets reason.
have_gnuplot() {
  command -v gnuplot >/dev/null 2>&1 && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    reason="gnuplot is not installed, and there is no apt-get to install it with"
    return 1
  elif [[ $(id -u) -ne 0 ]]; then
    reason="gnuplot is not installed (sudo apt-get install -y gnuplot-nox)"
    return 1
  fi
  log "installing gnuplot-nox with apt-get"
  local out
  if ! out=$({ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox; } 2>&1); then
    reason="gnuplot is not installed and apt-get could not install gnuplot-nox: $(tail -n 1 <<<"$out")"
    return 1
  fi
}

# drop_chart name: deletes img/NAME.png and takes its link (with the blank line before it) out of the
# reports in DIR, for a chart that could not be drawn from the current data.
drop_chart() {
  local name=$1
  rm -f "$dir/img/$name.png"
  python3 - "$name" "$dir"/*.md <<'PY'
import re, sys
name, reports = sys.argv[1], sys.argv[2:]
link = re.compile(r"\n\n!\[[^\]\n]*\]\(img/%s\.png\)\n" % re.escape(name))
for path in reports:
    text = open(path, encoding="utf-8").read()
    new = link.sub("\n", text)
    if new != text:
        open(path, "w", encoding="utf-8").write(new)
        print("[charts] link to img/%s.png taken out of %s" % (name, path), file=sys.stderr)
PY
}

# The charts whose data is here; a picture counts as stale when its data was written after it.
todo=()
for name in "${charts[@]}"; do [[ -f $dir/data/$name.csv ]] && todo+=("$name"); done
((${#todo[@]})) || { log "no chart data in $dir/data; nothing to draw"; exit 0; }
if ! have_gnuplot; then
  log "charts skipped: $reason"
  for name in "${todo[@]}"; do
    if [[ ! -f $dir/img/$name.png || $dir/data/$name.csv -nt $dir/img/$name.png ]]; then drop_chart "$name"; fi
  done
  exit 0
fi

mkdir -p "$dir/img"
failed=()
for name in "${todo[@]}"; do
  png=$dir/img/$name.png
  # Drawn to a temporary file first: gnuplot leaves a partial picture behind when it fails.
  if gnuplot -e "data='$dir/data/$name.csv'; out='$png.tmp'" "$here/charts/common.gp" "$here/charts/$name.gp" &&
    [[ -s $png.tmp ]]; then
    mv "$png.tmp" "$png"
    log "drew $png"
  else
    rm -f "$png.tmp"
    log "could not draw $png from $dir/data/$name.csv (gnuplot's message above)"
    if [[ ! -f $png || $dir/data/$name.csv -nt $png ]]; then drop_chart "$name"; fi
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  log "failed: ${failed[*]}"
  exit 1
fi
