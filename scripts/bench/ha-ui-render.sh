#!/usr/bin/env bash
# How fast the cluster page /ha/ui renders with many workers and routers (issue 17: "stays fast with
# 50 workers and 7 routers"), in headless Chromium.
#
# No router runs: a small Python server on 127.0.0.1 (scripts/bench/ha-ui-overview-server.py) serves
# the page's three shipped files, unchanged, from api/src/main/resources/dev/smg/api/ui/, and a
# made-up GET /ha/overview for W workers x R routers in the shape ClusterOverview.java gives with the
# mesh on (every worker healthy, every router ALIVE, 50 events; each answer has new in-flight counts
# and ages, as on a live cluster). Headless Chromium (--headless=new) is driven through the DevTools
# protocol by scripts/bench/ha-ui-render-probe.py (stdlib Python, its own small websocket client),
# which adds a timing script to each new tab (Page.addScriptToEvaluateOnNewDocument), loads the page
# and reads back, for each render: when the overview body was parsed, when app.js's render script
# ended (a MutationObserver callback, the microtask right after it), when style and layout were
# done (forced there), and when the next frame's main-thread work (paint recording) was done.
# Reported per size: the time from navigation to the first full render (all W rows, laid out and
# framed), and one refresh's render (parsed JSON to laid out; and to the frame), as median and max;
# the JSON size; DOM elements and, after a forced GC, DOM nodes and JS heap (Performance.getMetrics).
#
# Usage:  scripts/bench/ha-ui-render.sh [--out FILE]
#         SIZES=50x7 RUNS=3 scripts/bench/ha-ui-render.sh   # quick
# Prints the Markdown report on stdout and writes it to FILE too (default: $OUT, else
# docs/bench/ha-ui-render.md); progress on stderr.
#
# Settings (environment):
#   SIZES       workers x routers to measure, space-separated [50x7 3x3] (3x3 is the reference)
#   RUNS        page loads per size, each in a new tab [5]
#   REFRESHES   refreshes timed per page load, after the first render (the page refreshes every second) [3]
#   WINDOW      the browser window, width,height [1440,900]
#   CHROMIUM    the browser [chromium]
# Loopback only (the server and DevTools bind 127.0.0.1, ports chosen by the kernel); every process
# started is stopped on exit. About 1 minute with the defaults.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
bench_parse_out "$@"
out=${out:-${OUT:-$repo/docs/bench/ha-ui-render.md}}

SIZES=${SIZES:-50x7 3x3}
RUNS=${RUNS:-5}
REFRESHES=${REFRESHES:-3}
WINDOW=${WINDOW:-1440,900}
CHROMIUM=${CHROMIUM:-chromium}
read -r -a sizes <<<"$SIZES"
((${#sizes[@]})) || die "SIZES is empty"
for s in "${sizes[@]}"; do
  [[ $s =~ ^([0-9]{1,4})x([0-9]{1,3})$ ]] || die "SIZES: '$s' is not WORKERSxROUTERS"
  ((BASH_REMATCH[1] <= 2000 && BASH_REMATCH[2] >= 1 && BASH_REMATCH[2] <= 100)) ||
    die "SIZES: '$s' is outside 0-2000 workers x 1-100 routers"
done
for v in RUNS REFRESHES; do
  [[ ${!v} =~ ^[0-9]+$ ]] && ((${!v} >= 1 && ${!v} <= 100)) || die "$v must be from 1 to 100 (got '${!v}')"
done
[[ $WINDOW =~ ^[0-9]{3,4},[0-9]{3,4}$ ]] || die "WINDOW must be width,height (got '$WINDOW')"
ui=$repo/api/src/main/resources/dev/smg/api/ui
for f in index.html app.js app.css; do [[ -f $ui/$f ]] || die "missing $ui/$f"; done
bench_need python3:python3 "$CHROMIUM:chromium"

work=$(mktemp -d /tmp/smg-ha-ui-render-bench.XXXXXX)
bench_processes
load_at_start=$(bench_load)

# Chromium refuses to run as root with its sandbox; the page is our own, served on loopback.
sandbox=()
[[ $(id -u) -ne 0 ]] || sandbox=(--no-sandbox)
log "starting headless $("$CHROMIUM" --version 2>/dev/null | head -1)"
bench_spawn "$work/chromium.log" "$CHROMIUM" --headless=new "${sandbox[@]}" --no-first-run --no-default-browser-check \
  --disable-extensions --disable-background-networking --user-data-dir="$work/profile" \
  --remote-debugging-address=127.0.0.1 --remote-debugging-port=0 --window-size="$WINDOW" about:blank
chromium_pid=$spawned
devtools_port=""
for _ in $(seq 1 300); do # up to 30 s; Chromium writes the port it chose here
  [[ -s $work/profile/DevToolsActivePort ]] && { devtools_port=$(head -1 "$work/profile/DevToolsActivePort"); break; }
  kill -0 "$chromium_pid" 2>/dev/null || die "chromium exited: $(tail -c 600 "$work/chromium.log" | tr '\n' ' ')"
  sleep 0.1
done
[[ $devtools_port =~ ^[0-9]+$ ]] || die "chromium did not open its DevTools port within 30 s; see $work/chromium.log"
browser=$("$CHROMIUM" --version 2>/dev/null | head -1)

for s in "${sizes[@]}"; do
  w=${s%x*} r=${s#*x}
  python3 "$here/ha-ui-overview-server.py" --json "$w" "$r" >"$work/overview-$s.json"
  bench_spawn "$work/server-$s.log" python3 "$here/ha-ui-overview-server.py" "$ui" "$w" "$r" "$work/port-$s"
  server_pid=$spawned
  for _ in $(seq 1 100); do
    [[ -s $work/port-$s ]] && break
    kill -0 "$server_pid" 2>/dev/null || die "the overview server exited: $(tail -c 600 "$work/server-$s.log")"
    sleep 0.1
  done
  [[ -s $work/port-$s ]] || die "the overview server did not start within 10 s"
  log "$w workers x $r routers: $RUNS page loads, $REFRESHES refreshes each"
  python3 "$here/ha-ui-render-probe.py" "$devtools_port" "http://127.0.0.1:$(cat "$work/port-$s")/ha/ui" \
    "$w" "$RUNS" "$REFRESHES" >"$work/runs-$s.jsonl" || die "measuring $s failed"
  bench_stop "$server_pid"
done
load_at_end=$(bench_load)

report=$(python3 - "$work" "$RUNS" "$REFRESHES" "$WINDOW" "$browser" "$(bench_commit)" "$load_at_start" \
  "$load_at_end" "${sizes[@]}" <<'PY'
import json, os, statistics, sys
work, runs, refreshes, window, browser, commit, load0, load1 = sys.argv[1:9]
sizes = sys.argv[9:]
def med(xs): return statistics.median(xs)
def ms(x): return f"{x:.1f}"
rows, raw = [], []
for s in sizes:
    w, r = s.split("x")
    size = os.path.getsize(f"{work}/overview-{s}.json")
    loads = [json.loads(line) for line in open(f"{work}/runs-{s}.jsonl")]
    first = [l["renders"][0]["frame"] for l in loads]
    first_layout = [l["renders"][0]["layout"] for l in loads]
    refresh = [x for l in loads for x in l["renders"][1:]]
    script = [x["script"] - x["parsed"] for x in refresh]
    layout = [x["layout"] - x["script"] for x in refresh]
    render = [x["layout"] - x["parsed"] for x in refresh]
    frame = [x["frame"] - x["parsed"] for x in refresh]
    fetch = [x["parsed"] - x["started"] for x in refresh]
    rows.append(f"| {w} x {r} | {size / 1024:.1f} | {ms(med(first))} / {ms(max(first))} "
                f"| {ms(med(render))} / {ms(max(render))} | {ms(med(script))} / {ms(max(script))} "
                f"| {ms(med(layout))} / {ms(max(layout))} | {ms(med(frame))} / {ms(max(frame))} "
                f"| {ms(med(fetch))} | {loads[-1]['elements']} | {int(med(l['nodes_after_gc'] for l in loads))} "
                f"| {med(l['js_heap_used_after_gc'] for l in loads) / 1048576:.2f} |")
    for i, l in enumerate(loads):
        rr = l["renders"]
        raw.append(f"| {w} x {r} | {i + 1} | {ms(rr[0]['layout'])} | {ms(rr[0]['frame'])} | "
                   + ", ".join(ms(x["layout"] - x["parsed"]) for x in rr[1:]) + " | "
                   + ", ".join(ms(x["frame"] - x["parsed"]) for x in rr[1:]) + " |")
print(f"""# /ha/ui render time (`scripts/bench/ha-ui-render.sh`)

The cluster page with many workers and routers, in headless Chromium: {runs} page loads per size (each in
a new tab), {refreshes} refreshes timed in each after the first render. Medians / max in milliseconds.

## Results

| workers x routers | /ha/overview (KiB) | first full render (ms) | refresh: render (ms) | of which script (ms) | of which style + layout (ms) | refresh: to next frame (ms) | fetch + parse (ms, median) | DOM elements | DOM nodes after GC | JS heap after GC (MiB) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
""" + "\n".join(rows) + f"""

- *First full render*: navigation start to the end of the first frame after the render that filled
  the workers table (every row), including loading index.html, app.js, app.css and the first
  /ha/overview from the loopback server.
- *Refresh: render*: from the overview's JSON parsed (`Response.json()` resolved) to the end of
  app.js's synchronous render (*script*: the whole page rebuilt with `replaceChildren`) plus the
  style and layout it causes (*style + layout*, forced right after it). *To next frame* adds the
  wait for the next animation frame and that frame's main-thread work (paint recording).
- *Fetch + parse*: the request to the made-up server (Python, built per request) and JSON parsing;
  a router answers from memory, so this part says little about production.
- Samples: first render {runs} per size; refresh {int(runs) * int(refreshes)} per size.

## Setup

- Browser: {browser}, `--headless=new`, window {window}, driven through the DevTools protocol
  (`scripts/bench/ha-ui-render-probe.py`); the page's files served unchanged from
  `api/src/main/resources/dev/smg/api/ui/`; timings from a script added to each tab with
  `Page.addScriptToEvaluateOnNewDocument` (wrappers of `fetch` and `Response.json`, a
  `MutationObserver`, `requestAnimationFrame`; `performance.now()`). DOM nodes and JS heap:
  `Performance.getMetrics` after `HeapProfiler.collectGarbage`.
- /ha/overview: `scripts/bench/ha-ui-overview-server.py`, the shape of `ClusterOverview.json()` with
  the mesh on; all routers ALIVE, all workers healthy, 50 events; new in-flight counts each answer.
- Machine: {os.cpu_count()} CPUs, load average {load0} at start, {load1} at end; commit {commit}.

## Raw runs

| workers x routers | page load | first render: laid out (ms) | first render: framed (ms) | refreshes: render (ms) | refreshes: to next frame (ms) |
| --- | ---: | ---: | ---: | --- | --- |
""" + "\n".join(raw))
PY
)
printf '%s\n' "$report"
mkdir -p "$(dirname "$out")"
printf '%s\n' "$report" >"$out"
log "report written to $out"
ok=1
