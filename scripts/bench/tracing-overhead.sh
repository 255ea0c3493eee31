#!/usr/bin/env bash
# Tracing-overhead benchmark (issue 16, point 2: OpenTelemetry tracing must be "off by default at no
# measurable cost"). Three routers in front of one mock worker, measured side by side in one run:
#   baseline  smg built from the commit before tracing existed (BASELINE_REV), default flags
#   off       the current smg, default flags (tracing off: the default)
#   on        the current smg with --enable-trace, every request sampled (OTEL_TRACES_SAMPLER=always_on)
#             and its spans really exported, to a Zipkin server on loopback (OTEL_TRACES_EXPORTER=zipkin)
# Per run: wrk's max throughput (req/s) and the router JVM's CPU per request (utime + stime from
# /proc/<pid>/stat over the run / requests completed, µs). REPEATS interleaved runs per target, the
# order rotated each repeat; medians reported, with every run listed. Prints a Markdown report on
# stdout and writes it to --out FILE / $OUT (default <repo>/docs/bench/tracing-overhead.md).
# Progress goes to stderr. After the run it checks through Zipkin's API that the spans of "on" did
# arrive (and fails loudly otherwise), and counts them against the requests sent.
#
# Usage:  smg-locked scripts/bench/tracing-overhead.sh               (on the shared 2-core machine)
#         DURATION=3 REPEATS=1 WARMUP=2 scripts/bench/tracing-overhead.sh --out /tmp/t.md   # quick check
#
# Settings (environment):
#   SMG_JAR       the current jar ("off", "on" and the mock worker) [<repo>/smg.jar, built with
#                 `make build` only when that is missing]
#   BASELINE_REV  the commit before tracing, built into a temporary git worktree (removed at exit) with
#                 `./mvnw -q -o -B package -DskipTests -pl api -am` (offline: its dependencies must be in
#                 ~/.m2 already) [a1b85eb]
#   BASELINE_JAR  a jar of that commit already built: skips the build [unset]
#   ZIPKIN_JAR    Zipkin's exec jar [<repo>/api/target/trace-server/zipkin-server.jar, which api's pom
#                 fetches for test runs; fetched with `./mvnw -q -o -B -pl api process-test-resources`
#                 when missing]
#   DURATION      seconds of each measured run [10]
#   REPEATS       measured runs per target, interleaved [5]
#   WARMUP        seconds of throw-away load per target before measuring (the JVMs JIT; 10 s left
#                 "on" still settling in its first measured run) [20]
#   WRK_THREADS   wrk threads [2]
#   WRK_CONNS     wrk connections [64]
#   GEN_MS        mock worker generation time per response, ms [0 = answer at once]
#   OUT           report file, unless --out is given [<repo>/docs/bench/tracing-overhead.md]
#   SMG_JAVA_OPTS extra JVM options for the routers and the mock worker (read by scripts/smg)
#   OTEL_BSP_*    and other OTEL_* variables reach the routers as they are (only "on" reads them); the
#                 script sets OTEL_TRACES_EXPORTER, OTEL_EXPORTER_ZIPKIN_ENDPOINT, OTEL_TRACES_SAMPLER
#
# Why these measures: with the mock worker answering at once, the router is what the whole loopback
# system spends its CPU on, so a cost per request shows as CPU µs per request (the clean figure: only
# the router JVM's own CPU) and, less directly, as lower throughput (wrk, worker, Zipkin and the router
# share the CPUs). The three routers and Zipkin all run for the whole benchmark; only one router is
# loaded at a time. The request is a non-streamed chat completion: the most spans per byte relayed
# (a streamed answer makes the same spans once per stream, whatever its length).
#
# Tools, and why:
#   wrk    - max throughput: an event-loop load generator, cheap per request (POSTs via a Lua script).
#   zipkin - the span sink: Zipkin's own exec jar (in-memory storage, loopback only, as the api tests'
#            TraceServer runs it) in its own JVM. A real exporter, not a no-op one: serializing and
#            sending the spans is part of what tracing costs. Its own CPU is reported apart.
#   git, curl, python3 (to read Zipkin's JSON). Missing wrk, curl, git, python3 are installed with
#   apt-get when running as root; otherwise the script says which `apt-get install` to run.
# With the defaults a run takes about 5 minutes (plus the baseline build) and keeps both CPUs busy:
# run it on an otherwise idle machine (here: under smg-locked), or the numbers measure the rest too.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

# shellcheck source=scripts/bench/common.sh
source "$here/common.sh" # log, die, bench_prepare_jar, bench_spawn, bench_free_port, bench_wait_http, ...
bench_parse_out "$@"

BASELINE_REV=${BASELINE_REV:-a1b85eb}
BASELINE_JAR=${BASELINE_JAR:-}
ZIPKIN_JAR=${ZIPKIN_JAR:-}
DURATION=${DURATION:-10}
REPEATS=${REPEATS:-5}
WARMUP=${WARMUP:-20}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-64}
GEN_MS=${GEN_MS:-0}
OUT=${out:-${OUT:-$repo/docs/bench/tracing-overhead.md}}
MODEL=mock-model
BODY='{"model":"mock-model","messages":[{"role":"user","content":"hello"}]}'
TARGETS=(baseline off on)
# Zipkin's in-memory store keeps at most this many spans (oldest dropped): bounded memory for a run
# that sends millions; the check at the end needs only the latest traces.
ZIPKIN_MAX_SPANS=50000

for v in DURATION REPEATS WARMUP WRK_THREADS WRK_CONNS GEN_MS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
((DURATION > 0 && REPEATS > 0 && WRK_THREADS > 0 && WRK_CONNS > 0)) ||
  die "DURATION, REPEATS, WRK_THREADS and WRK_CONNS must be > 0"

bench_need wrk:wrk curl:curl git:git python3:python3

# --- cleanup: every process we start is stopped on any exit; the baseline worktree is removed --
work=$(mktemp -d /tmp/smg-trace-bench.XXXXXX)
baseline_src=""
bench_processes # pids, ok, and the EXIT trap (bench_cleanup) ...
remove_baseline_src() {
  [[ -n $baseline_src ]] || return 0
  git -C "$repo" worktree remove --force --force "$baseline_src" >/dev/null 2>&1 || rm -rf "$baseline_src"
  baseline_src=""
}
tracing_cleanup() {
  local status=$?
  set +e
  remove_baseline_src
  (exit "$status") # bench_cleanup reads the exit status from $?
  bench_cleanup
}
trap tracing_cleanup EXIT

# --- jars ---------------------------------------------------------------------------------------
bench_prepare_jar # the current jar, copied to $work/smg.jar; java_home, smg
"${smg[@]}" --help 2>&1 | grep -q -- '--enable-trace' || die "$jar has no --enable-trace: not a jar with tracing"

baseline_commit=$(git -C "$repo" rev-parse --verify --quiet "${BASELINE_REV}^{commit}") ||
  die "BASELINE_REV=$BASELINE_REV is not a commit of $repo"
baseline_label="$(git -C "$repo" rev-parse --short "$baseline_commit")"
if [[ -n $BASELINE_JAR ]]; then
  [[ -f $BASELINE_JAR ]] || die "BASELINE_JAR=$BASELINE_JAR does not exist"
  cp "$BASELINE_JAR" "$work/baseline.jar"
  baseline_how="\`BASELINE_JAR=$BASELINE_JAR\` (said to be $baseline_label)"
else
  baseline_src=$work/baseline-src
  log "building the baseline ($baseline_label) in a temporary worktree $baseline_src"
  git -C "$repo" worktree add --detach --quiet "$baseline_src" "$baseline_commit" >&2 ||
    die "git worktree add $baseline_src $baseline_label failed"
  (cd "$baseline_src" && JAVA_HOME=$java_home ./mvnw -q -o -B package -DskipTests -pl api -am) >&2 ||
    die "building $baseline_label failed (offline: are its dependencies in ~/.m2? Or give BASELINE_JAR)"
  # api's shade plugin names the jar smg.jar (finalName) at that commit as now.
  [[ -f $baseline_src/api/target/smg.jar ]] || die "the baseline build left no api/target/smg.jar"
  cp "$baseline_src/api/target/smg.jar" "$work/baseline.jar"
  remove_baseline_src
  baseline_how="built by the script: \`./mvnw -q -o -B package -DskipTests -pl api -am\` in a worktree at $baseline_label"
fi
if SMG_JAR=$work/baseline.jar "${smg[@]}" --help 2>&1 | grep -q -- '--enable-trace'; then
  log "warning: the baseline jar knows --enable-trace: BASELINE_REV=$BASELINE_REV is not from before tracing"
fi

zipkin_jar=${ZIPKIN_JAR:-$repo/api/target/trace-server/zipkin-server.jar}
if [[ ! -f $zipkin_jar ]]; then
  [[ -z $ZIPKIN_JAR ]] || die "ZIPKIN_JAR=$ZIPKIN_JAR does not exist"
  log "no $zipkin_jar; fetching it with ./mvnw -q -o -B -pl api process-test-resources"
  (cd "$repo" && JAVA_HOME=$java_home ./mvnw -q -o -B -pl api process-test-resources) >&2 || true
  [[ -f $zipkin_jar ]] || die "no Zipkin exec jar at $zipkin_jar: run \`./mvnw -pl api process-test-resources\` (online once: it comes from Maven Central), or set ZIPKIN_JAR"
fi

# --- start the system under test -------------------------------------------------------------
load_before=$(bench_load)
bench_free_port; worker_port=$port
log "starting the mock worker on :$worker_port (--gen-ms $GEN_MS)"
bench_spawn "$work/worker.log" "${smg[@]}" mock-worker --host 127.0.0.1 --port "$worker_port" --model "$MODEL" \
  --gen-ms "$GEN_MS"
bench_wait_http worker "http://127.0.0.1:$worker_port/health" "$spawned" "$work/worker.log"

# Zipkin as api's TraceServer runs it: loopback only, HTTP only, quiet. QUERY_PORT is its port.
bench_free_port; zipkin_port=$port
zipkin_url=http://127.0.0.1:$zipkin_port
log "starting Zipkin on :$zipkin_port ($zipkin_jar)"
bench_spawn "$work/zipkin.log" env QUERY_PORT="$zipkin_port" MEM_MAX_SPANS="$ZIPKIN_MAX_SPANS" \
  "$java_home/bin/java" -Xmx512m -XX:TieredStopAtLevel=1 -Xshare:auto --enable-native-access=ALL-UNNAMED \
  -jar "$zipkin_jar" "--armeria.ports[0].ip=127.0.0.1" "--armeria.ports[0].port=$zipkin_port" \
  "--armeria.ports[0].protocols=http" --logging.level.root=WARN
zipkin_pid=$spawned
bench_wait_http zipkin "$zipkin_url/health" "$zipkin_pid" "$work/zipkin.log" 120
zipkin_version=$(curl -fsS --max-time 5 "$zipkin_url/info" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["zipkin"]["version"])' 2>/dev/null || true)

declare -A url=() rpid=() rargs=() renv=()
renv[baseline]="SMG_JAR=$work/baseline.jar"
renv[off]="SMG_JAR=$work/smg.jar"
renv[on]="SMG_JAR=$work/smg.jar OTEL_TRACES_EXPORTER=zipkin OTEL_EXPORTER_ZIPKIN_ENDPOINT=$zipkin_url/api/v2/spans OTEL_TRACES_SAMPLER=always_on"
for t in "${TARGETS[@]}"; do
  bench_free_port; http=$port
  bench_free_port; prom=$port
  args=(--host 127.0.0.1 --port "$http" --worker-urls "http://127.0.0.1:$worker_port"
    --prometheus-host 127.0.0.1 --prometheus-port "$prom")
  [[ $t == on ]] && args+=(--enable-trace)
  log "starting router '$t' on :$http (${renv[$t]} smg ${args[*]})"
  # shellcheck disable=SC2086 # renv holds NAME=value words for env
  bench_spawn "$work/router-$t.log" env ${renv[$t]} "${smg[@]}" "${args[@]}"
  rpid[$t]=$spawned
  rargs[$t]="${args[*]}"
  url[$t]="http://127.0.0.1:$http/v1/chat/completions"
  bench_wait_http "router $t" "http://127.0.0.1:$http/readiness" "$spawned" "$work/router-$t.log" 90
done
# env and scripts/smg exec: each pid must be the JVM itself, whose CPU we read.
for p in "${rpid[@]}" "$zipkin_pid"; do
  [[ $(readlink "/proc/$p/exe") == */java ]] || die "pid $p is not a JVM: $(readlink "/proc/$p/exe")"
done
grep -q 'tracing on' "$work/router-on.log" || die "router 'on' did not log 'tracing on'; see $work/router-on.log"

# Each router must answer the benchmark request with a chat completion before we time it. The probe
# to "on" carries a traceparent of our own: its trace, read back from Zipkin at the end, says how
# many spans one request makes.
probe_trace=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
declare -A sent=() # requests sent to each router, warm-up included: what Zipkin should have got spans of
for t in "${TARGETS[@]}"; do
  hdr=()
  [[ $t == on ]] && hdr=(-H "traceparent: 00-$probe_trace-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')-01")
  resp=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' "${hdr[@]}" -d "$BODY" "${url[$t]}") ||
    die "$t: POST ${url[$t]} failed"
  [[ $resp == *'"chat.completion"'* ]] || die "$t: unexpected response: $resp"
  sent[$t]=1
done

# The probe's spans, read now: Zipkin keeps only the latest $ZIPKIN_MAX_SPANS spans, and the batch
# processor sends within 5 s. All spans of one request end within microseconds of each other, so they
# travel in one batch.
log "waiting for the probe's trace $probe_trace in Zipkin"
probe=""
for _ in $(seq 1 60); do
  probe=$(curl -fsS --max-time 5 "$zipkin_url/api/v2/trace/$probe_trace" 2>/dev/null) && break
  probe=""
  sleep 0.5
done
[[ -n $probe ]] || die "the probe request's trace $probe_trace did not arrive at Zipkin within 30 s; see $work/router-on.log"
read -r spans_per_request span_names < <(python3 -c '
import json, sys
spans = json.load(sys.stdin)
print(len(spans), ",".join(sorted(s.get("name", "?") for s in spans)))' <<<"$probe") ||
  die "unreadable trace from Zipkin: ${probe:0:300}"
((spans_per_request > 0)) || die "the probe's trace has no spans"
log "one request to 'on' makes $spans_per_request spans: $span_names"

# --- load tool ----------------------------------------------------------------------------------
# The wrk script POSTs BODY and ends with one machine-readable line (common.sh).
bench_wrk_script "$work/post.lua" "$BODY"
run_wrk() { # url seconds -> "rps errors requests" (errors = socket errors + non-2xx)
  local out
  out=$(timeout $(($2 + 30)) wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$2s" --timeout 5s -s "$work/post.lua" "$1" 2>&1) ||
    die "wrk failed: $out"
  awk '/^BENCH/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                  print v["rps"], v["non2xx"] + v["errors"], v["requests"]; found = 1 }
       END { if (!found) exit 1 }' <<<"$out" || die "no result from wrk: $out"
}
clk_tck=$(getconf CLK_TCK)
median() { # numbers... -> their median
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
    END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
minof() { printf '%s\n' "$@" | sort -g | head -1; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# zipkin_spans: spans Zipkin's HTTP collector has received (its Prometheus counter).
zipkin_spans() {
  curl -fsS --max-time 5 "$zipkin_url/prometheus" |
    awk '/^zipkin_collector_spans_total\{transport="http",?\}/ { printf "%.0f\n", $2; found = 1 } END { if (!found) exit 1 }'
}

# --- measure ------------------------------------------------------------------------------------
if ((WARMUP > 0)); then
  for t in "${TARGETS[@]}"; do
    log "warm-up $t (${WARMUP}s)"
    res=$(run_wrk "${url[$t]}" "$WARMUP")
    read -r _ _ n <<<"$res"
    sent[$t]=$((sent[$t] + n))
    sleep 2
  done
fi

declare -A tput=() us=() errs=()
raw_rows=""
ratio_off_rps="" ratio_off_us="" ratio_on_rps="" ratio_on_us=""
zipkin_cpu_s="" zipkin_us=""
for rep in $(seq 1 "$REPEATS"); do
  # Interleaved, the order rotated each repeat, so that drifts and whatever runs after "on" (Zipkin
  # finishing its last batch) fall on every target alike.
  order=()
  for i in 0 1 2; do order+=("${TARGETS[(i + rep - 1) % 3]}"); done
  declare -A rep_rps=() rep_us=()
  pos=0
  for t in "${order[@]}"; do
    pos=$((pos + 1))
    log "repeat $rep/$REPEATS: $t (wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s)"
    c0=$(bench_cpu_ticks "${rpid[$t]}")
    z0=$(bench_cpu_ticks "$zipkin_pid")
    res=$(run_wrk "${url[$t]}" "$DURATION")
    c1=$(bench_cpu_ticks "${rpid[$t]}")
    z1=$(bench_cpu_ticks "$zipkin_pid")
    read -r rps e n <<<"$res"
    ((n > 0)) || die "$t: wrk completed no request"
    sent[$t]=$((sent[$t] + n))
    cpu_s=$(awk -v d=$((c1 - c0)) -v hz="$clk_tck" 'BEGIN { printf "%.2f", d / hz }')
    u=$(awk -v c="$cpu_s" -v n="$n" 'BEGIN { printf "%.2f", c * 1e6 / n }')
    zc=$(awk -v d=$((z1 - z0)) -v hz="$clk_tck" 'BEGIN { printf "%.2f", d / hz }')
    if [[ $t == on ]]; then
      zipkin_cpu_s+="$zc "
      zipkin_us+="$(awk -v c="$zc" -v n="$n" 'BEGIN { printf "%.2f", c * 1e6 / n }') "
    fi
    tput[$t]+="$rps "
    us[$t]+="$u "
    errs[$t]=$((${errs[$t]:-0} + e))
    rep_rps[$t]=$rps
    rep_us[$t]=$u
    raw_rows+="| $rep | $pos | $t | $rps | $n | $cpu_s | $u | $zc | $e |"$'\n'
    sleep 2
  done
  # Paired within the repeat (the runs were minutes apart at most).
  ratio_off_rps+="$(ratio "${rep_rps[off]}" "${rep_rps[baseline]}") "
  ratio_off_us+="$(ratio "${rep_us[off]}" "${rep_us[baseline]}") "
  ratio_on_rps+="$(ratio "${rep_rps[on]}" "${rep_rps[off]}") "
  ratio_on_us+="$(ratio "${rep_us[on]}" "${rep_us[off]}") "
done
load_after=$(bench_load)

# --- did the spans arrive? -------------------------------------------------------------------------
# The SDK's batch processor sends every 5 s (or per 512 spans): wait until Zipkin's count stops moving.
log "waiting for Zipkin to receive the last spans"
spans_received=$(zipkin_spans) || die "cannot read Zipkin's span counter at $zipkin_url/prometheus"
for _ in $(seq 1 30); do
  sleep 2
  now=$(zipkin_spans) || die "cannot read Zipkin's span counter"
  [[ $now == "$spans_received" ]] && break
  spans_received=$now
done
services=$(curl -fsS --max-time 10 "$zipkin_url/api/v2/services") || die "Zipkin's /api/v2/services failed"
[[ $services == *'"smg"'* ]] || die "no spans of service smg arrived at Zipkin: /api/v2/services = $services; see $work/router-on.log"
latest=$(curl -fsS --max-time 10 "$zipkin_url/api/v2/traces?serviceName=smg&limit=1&lookback=3600000") ||
  die "Zipkin's /api/v2/traces failed"
latest_spans=$(python3 -c 'import json,sys; t=json.load(sys.stdin); print(sum(len(x) for x in t))' <<<"$latest") ||
  die "unreadable answer from Zipkin's /api/v2/traces: ${latest:0:300}"
((latest_spans > 0)) || die "Zipkin has no trace of service smg: $latest"
expected=$((spans_per_request * sent[on]))
received_pct=$(awk -v r="$spans_received" -v e="$expected" 'BEGIN { printf "%.1f", (e > 0 ? 100 * r / e : 0) }')
log "Zipkin received $spans_received spans of $expected expected ($received_pct%); $spans_per_request per request ($span_names)"

# --- report ---------------------------------------------------------------------------------------
declare -A m_rps=() m_us=()
for t in "${TARGETS[@]}"; do
  # shellcheck disable=SC2086 # space-separated numbers
  { m_rps[$t]=$(median ${tput[$t]}); m_us[$t]=$(median ${us[$t]}); }
done
# shellcheck disable=SC2086
{
  mr_off_rps=$(median $ratio_off_rps) mr_off_us=$(median $ratio_off_us)
  mr_on_rps=$(median $ratio_on_rps) mr_on_us=$(median $ratio_on_us)
  # Baseline's run-to-run spread, as min/median .. max/median of its runs.
  b_rps_lo=$(ratio "$(minof ${tput[baseline]})" "${m_rps[baseline]}") b_rps_hi=$(ratio "$(maxof ${tput[baseline]})" "${m_rps[baseline]}")
  b_us_lo=$(ratio "$(minof ${us[baseline]})" "${m_us[baseline]}") b_us_hi=$(ratio "$(maxof ${us[baseline]})" "${m_us[baseline]}")
  o_rps_lo=$(ratio "$(minof ${tput[off]})" "${m_rps[off]}") o_rps_hi=$(ratio "$(maxof ${tput[off]})" "${m_rps[off]}")
  o_us_lo=$(ratio "$(minof ${us[off]})" "${m_us[off]}") o_us_hi=$(ratio "$(maxof ${us[off]})" "${m_us[off]}")
  p_off_rps="$(minof $ratio_off_rps)..$(maxof $ratio_off_rps)" p_off_us="$(minof $ratio_off_us)..$(maxof $ratio_off_us)"
  p_on_rps="$(minof $ratio_on_rps)..$(maxof $ratio_on_rps)" p_on_us="$(minof $ratio_on_us)..$(maxof $ratio_on_us)"
  m_zipkin_us=$(median $zipkin_us) m_zipkin_cpu=$(median $zipkin_cpu_s)
}
r_off_rps=$(ratio "${m_rps[off]}" "${m_rps[baseline]}")
r_off_us=$(ratio "${m_us[off]}" "${m_us[baseline]}")
r_on_rps=$(ratio "${m_rps[on]}" "${m_rps[off]}")
r_on_us=$(ratio "${m_us[on]}" "${m_us[off]}")
# within r lo hi: 1 when the ratio lies inside baseline's spread.
within() { awk -v r="$1" -v lo="$2" -v hi="$3" 'BEGIN { print (r >= lo && r <= hi) ? 1 : 0 }'; }
verdict_part() { # metric ratio lo hi paired_range better(high|low)
  local name=$1 r=$2 lo=$3 hi=$4 pr=$5 better=$6 side
  if (($(within "$r" "$lo" "$hi"))); then
    printf '%s: off/baseline %.3f lies inside baseline'"'"'s own spread (%.3f..%.3f of its median)' "$name" "$r" "$lo" "$hi"
  else
    printf '%s: off/baseline %.3f lies outside baseline'"'"'s own spread (%.3f..%.3f of its median)' "$name" "$r" "$lo" "$hi"
  fi
  # Which way the paired (same-repeat) ratios point: all for off, all for baseline, or both ways.
  side=$(awk -v lo="${pr%..*}" -v hi="${pr#*..}" -v b="$better" 'BEGIN {
    if (lo <= 1 && hi >= 1) print "both"; else if ((lo > 1) == (b == "high")) print "off"; else print "baseline" }')
  case $side in
    both) printf '; the per-repeat ratios (%s) fall on both sides of 1' "$pr" ;;
    off) printf '; off did as well or better than baseline in every repeat (per-repeat ratios %s)' "$pr" ;;
    baseline) printf '; off did worse than baseline in every repeat (per-repeat ratios %s)' "$pr" ;;
  esac
}
indist=0
if (($(within "$r_off_rps" "$b_rps_lo" "$b_rps_hi") && $(within "$r_off_us" "$b_us_lo" "$b_us_hi"))); then indist=1; fi
if ((indist)); then
  verdict="**Off is not distinguishable from baseline in this run**"
else
  verdict="**Off is distinguishable from baseline in this run** (at least one figure lies outside baseline's spread)"
fi

otel_env=$(env | grep '^OTEL_' | sort | tr '\n' ' ' | sed 's/ $//' || true)
drop_note=""
if awk -v p="$received_pct" 'BEGIN { exit !(p < 95) }'; then
  drop_note=" **Here it dropped $(awk -v p="$received_pct" 'BEGIN { printf "%.0f", 100 - p }')% of them**: at this rate its export thread could not
  keep up, so \"on\" did only part of the export work full tracing does, and its figures are a lower bound
  of that cost (span creation and ending are in for every request; serializing and sending only for
  the spans received)."
fi
java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
smg_version=$("${smg[@]}" --version 2>&1 | head -1)
wrk_version=$(wrk -v 2>&1 | head -1 | awk '{ print $2 }' || true)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
commit=$(bench_commit)
short_note=""
if ((DURATION < 10 || REPEATS < 3 || WARMUP < 5)); then
  short_note=$'\n\n'"**Short run (DURATION=${DURATION}s, REPEATS=$REPEATS, WARMUP=${WARMUP}s): a quick check, not figures to quote.**"
fi

report=$(
  cat <<MD
# Tracing overhead: tracing off and on vs the build before tracing

Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench/tracing-overhead.sh\` (repo commit $commit).

Three routers in front of one mock worker (\`smg mock-worker --gen-ms $GEN_MS\`), loaded one at a time
with the same wrk settings: **baseline** = smg at $baseline_label, the commit before tracing existed;
**off** = the current smg with default flags (tracing off, the default); **on** = the current smg
with \`--enable-trace\`, every request sampled (\`OTEL_TRACES_SAMPLER=always_on\`) and its spans exported
to a Zipkin server on loopback (\`OTEL_TRACES_EXPORTER=zipkin\`). The request is a non-streamed chat
completion (\`$BODY\`).

## Results

Medians of $REPEATS runs per target, interleaved (order rotated each repeat). *CPU µs/request* = the
router JVM's utime + stime over the run / requests completed.$short_note

| target | max throughput (req/s) | CPU µs/request | req/s, all runs | CPU µs/request, all runs | errors |
| --- | ---: | ---: | --- | --- | ---: |
MD
  for t in "${TARGETS[@]}"; do
    printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$(fmt "${m_rps[$t]}" '%.0f')" "$(fmt "${m_us[$t]}" '%.2f')" \
      "$(for x in ${tput[$t]}; do printf '%.0f ' "$x"; done | sed 's/ $//')" "$(echo ${us[$t]})" "${errs[$t]}"
  done
  cat <<MD

| ratio | of the medians | median of per-repeat ratios (min..max) |
| --- | ---: | ---: |
| req/s, off / baseline | **$(fmt "$r_off_rps" '%.3f')** | $(fmt "$mr_off_rps" '%.3f') ($p_off_rps) |
| CPU µs/request, off / baseline | **$(fmt "$r_off_us" '%.3f')** | $(fmt "$mr_off_us" '%.3f') ($p_off_us) |
| req/s, on / off | **$(fmt "$r_on_rps" '%.3f')** | $(fmt "$mr_on_rps" '%.3f') ($p_on_rps) |
| CPU µs/request, on / off | **$(fmt "$r_on_us" '%.3f')** | $(fmt "$mr_on_us" '%.3f') ($p_on_us) |

Run-to-run spread (each run / the target's median, min..max): baseline req/s $b_rps_lo..$b_rps_hi,
CPU µs/request $b_us_lo..$b_us_hi; off req/s $o_rps_lo..$o_rps_hi, CPU µs/request $o_us_lo..$o_us_hi.

$verdict:

- $(verdict_part 'throughput' "$r_off_rps" "$b_rps_lo" "$b_rps_hi" "$p_off_rps" high);
- $(verdict_part 'CPU per request' "$r_off_us" "$b_us_lo" "$b_us_hi" "$p_off_us" low).

Tracing on, every request exported: CPU per request $(fmt "$r_on_us" '%.2f')× off's ($(awk -v a="${m_us[on]}" -v b="${m_us[off]}" 'BEGIN { printf "%+.1f", a - b }') µs),
throughput $(fmt "$r_on_rps" '%.2f')× off's. Zipkin received **$spans_received spans of the $expected** the "on" router
made ($received_pct%: $spans_per_request spans per request, \`$span_names\`, × ${sent[on]} requests, warm-up
included); its own JVM used $(fmt "$m_zipkin_cpu" '%.2f') s of CPU per ${DURATION}s "on" run (median), $(fmt "$m_zipkin_us" '%.2f') µs per request, on the same two CPUs.

- Throughput is the whole system's (wrk, worker, router and, during "on", Zipkin share $(nproc) CPUs);
  CPU µs/request is the router JVM's alone, the figure that isolates what tracing costs the router.
- The SDK's batch processor (one export thread; queue 2048 spans, batches of 512 by default, \`OTEL_BSP_*\`)
  drops the spans it cannot queue.$drop_note
- CPU time comes in clock ticks ($clk_tck per second): steps of $((1000 / clk_tck)) ms in a run's CPU seconds.

## Setup

| item | value |
| --- | --- |
| machine | $(nproc) CPUs${cpu_model:+ ($cpu_model)}, Linux $(uname -r), loopback only; load average $load_before before, $load_after after |
| java | $java_version (\`$java_home\`)${SMG_JAVA_OPTS:+, SMG_JAVA_OPTS=\`$SMG_JAVA_OPTS\`} |
| smg (off, on) | $smg_version, \`$(basename "$jar")\` from \`$jar\` |
| baseline | $baseline_label ($(git -C "$repo" log -1 --format=%cs "$baseline_commit")), $baseline_how |
| routers | \`smg --host 127.0.0.1 --port P --worker-urls http://127.0.0.1:W --prometheus-host 127.0.0.1 --prometheus-port M\`; on: also \`--enable-trace\` with \`OTEL_TRACES_EXPORTER=zipkin OTEL_EXPORTER_ZIPKIN_ENDPOINT=http://127.0.0.1:Z/api/v2/spans OTEL_TRACES_SAMPLER=always_on\`${otel_env:+; from the environment (all routers): \`$otel_env\`} |
| trace server | Zipkin ${zipkin_version:-(version unknown)} exec jar, in-memory storage (MEM_MAX_SPANS=$ZIPKIN_MAX_SPANS), \`-Xmx512m -XX:TieredStopAtLevel=1\`, loopback |
| mock worker | \`smg mock-worker --gen-ms $GEN_MS --model $MODEL\` |
| load | wrk $wrk_version: \`wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s -s post.lua\` |
| repeats | $REPEATS per target, interleaved, order rotated each repeat; medians reported |
| warm-up | ${WARMUP}s of wrk load per target before measuring |

## Raw runs

| repeat | position | target | req/s | requests | router CPU (s) | CPU µs/request | Zipkin CPU (s) | errors |
| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |
MD
  printf '%s' "$raw_rows"
)

mkdir -p "$(dirname "$OUT")"
printf '%s\n' "$report" >"$OUT"
printf '%s\n' "$report"
log "report written to $OUT"
ok=1
