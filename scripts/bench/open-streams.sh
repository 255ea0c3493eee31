#!/usr/bin/env bash
# Open streams (issue 19, goal 2): what one router pays in memory, threads and latency per open,
# nearly idle SSE stream.
#
# One smg router (the launcher's JVM settings unless SMG_JAVA_OPTS says otherwise) in front of one
# SSE worker whose streams stay open: each streamed chat completion gets its headers and a first
# content chunk at once, then one chunk every CHUNK_SECS, for longer than the run lasts. The worker
# is a python3 asyncio server in scripts/bench/open-streams.py, not `smg mock-worker`: the mock
# paces every chunk, the first one too, at gen-ms / stream-chunks and makes a non-streamed answer
# wait the whole gen-ms, so it cannot both hold idle streams and answer the latency probes at once.
# A python3 asyncio client (raw sockets, HTTP/1.1, one connection per stream) opens streamed chat
# completions through the router in STEPS; a stream counts as open once its first chunk has come
# through. At each step, after SETTLE seconds:
#   - router RSS and OS threads (/proc/PID/status VmRSS, Threads);
#   - live heap: `jcmd PID GC.run`, then `jcmd PID GC.heap_info` (used; committed too);
#   - `jcmd PID GC.class_histogram` (its total is a second live-heap figure; the count of
#     java.lang.VirtualThread instances is the router's virtual threads);
#   - the latency of a new request (after 1,000 such requests of JIT warm-up before the first step):
#     PROBES sequential non-streamed chat completions, each on a new
#     connection, p50 (and p90) against the same with no stream open (the first step).
# Reported: MB per 1,000 streams for RSS and live heap (least-squares slope over the steps), and the
# top 10 classes of the histogram at the largest step with their bytes per stream (growth from the
# first step / streams). With JFR_STREAMS > 0, JFR_STREAMS more streams are then opened under a JFR
# recording (settings=profile) and `jfr print --events jdk.ObjectAllocationSample` is summarised by
# class and allocating frame. At the end the client closes every stream, and the report says how many
# the worker still saw open after the router had had the chance to notice (up to 3 chunk intervals).
#
# Usage:  scripts/bench/open-streams.sh [--out FILE]
#         STEPS="0 500" SETTLE=3 JFR_STREAMS=0 scripts/bench/open-streams.sh --out /tmp/x.md   # quick check (~1 min)
# Prints the Markdown report on stdout and writes it to FILE (--out), else $OUT, else
# docs/bench/open-streams.md; progress on stderr.
#
# Settings (environment):
#   SMG_JAR        jar to benchmark [<repo>/smg.jar; built with `make build` only when missing]
#   SMG_JAVA_OPTS  JVM options for the router (read by scripts/smg) [none: the JVM's defaults]
#   SMG_FLAGS      more router flags [none: the defaults, e.g. --policy cache_aware]
#   STEPS          open streams at each step [0 1000 2000 5000]; the first should be 0 (the idle router)
#   SETTLE         seconds after a step's streams are open before measuring [10]
#   CHUNK_SECS     seconds between two chunks of a stream [20]: below the router's default stream stall
#                  timeout (--stream-stall-timeout-secs 30), so an idle stream is never taken for a
#                  stalled one and continued elsewhere
#   PROBES         new requests per step for the latency p50 [50]
#   OPEN_CONC      streams being opened at once [200]
#   PROMPT_BYTES   prompt size of each stream's request [64]
#   JFR_STREAMS    streams opened on top of the largest step under a JFR recording [1000; 0: no JFR]
#   TIME_LIMIT     seconds the measuring client may take in all [540]
#   OUT            report file [<repo>/docs/bench/open-streams.md]
# Raises the soft `ulimit -n` to the hard limit (each stream takes a socket in the client, two in the
# router and one in the worker) and refuses to run when that is too few for the largest step.
# Loopback only; ports are chosen free at run time; every process started is stopped on exit.
# Time with the defaults: about 3 minutes (mostly SETTLE, the histograms and the final wait of up to
# 3 x CHUNK_SECS + 15 s for the worker to see its streams closed).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
bench_parse_out "$@"
out=${out:-${OUT:-$repo/docs/bench/open-streams.md}}

STEPS=${STEPS:-0 1000 2000 5000}
SETTLE=${SETTLE:-10}
CHUNK_SECS=${CHUNK_SECS:-20}
PROBES=${PROBES:-50}
OPEN_CONC=${OPEN_CONC:-200}
PROMPT_BYTES=${PROMPT_BYTES:-64}
JFR_STREAMS=${JFR_STREAMS:-1000}
TIME_LIMIT=${TIME_LIMIT:-540}
SMG_FLAGS=${SMG_FLAGS:-}
for v in SETTLE CHUNK_SECS PROBES OPEN_CONC PROMPT_BYTES JFR_STREAMS TIME_LIMIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
read -r -a steps <<<"$STEPS"
((${#steps[@]} >= 2)) || die "STEPS needs at least two steps (got '$STEPS')"
max_step=0
for s in "${steps[@]}"; do
  [[ $s =~ ^[0-9]+$ ]] || die "STEPS: whole numbers only (got '$s')"
  ((s > max_step)) && max_step=$s
done
((CHUNK_SECS > 0 && PROBES > 0 && OPEN_CONC > 0 && TIME_LIMIT > 0)) ||
  die "CHUNK_SECS, PROBES, OPEN_CONC and TIME_LIMIT must be > 0"
read -r -a smg_flags <<<"$SMG_FLAGS"
bench_need python3:python3 curl:curl

# Sockets: the client and the worker each hold one per stream, the router two (client + upstream).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)
need=$((2 * (max_step + JFR_STREAMS) + 500))
[[ $fd_limit == unlimited ]] || ((fd_limit >= need)) ||
  die "ulimit -n is $fd_limit (hard limit $(ulimit -Hn)); $((max_step + JFR_STREAMS)) streams need about $need: raise it or lower STEPS/JFR_STREAMS"

work=$(mktemp -d /tmp/smg-open-streams-bench.XXXXXX)
bench_processes
load_at_start=$(bench_load)
bench_prepare_jar
jcmd=$java_home/bin/jcmd
jfr=$java_home/bin/jfr
[[ -x $jcmd ]] || die "no jcmd in $java_home (a JDK, not a JRE, is needed)"
[[ -x $jfr ]] || { log "no jfr in $java_home: no allocation profile"; JFR_STREAMS=0; }
helper=$here/open-streams.py

bench_free_port; worker_port=$port
bench_free_port; smg_port=$port
bench_free_port; prom_port=$port
log "starting the SSE worker on :$worker_port (a chunk every $CHUNK_SECS s)"
bench_spawn "$work/worker.log" python3 "$helper" worker --port "$worker_port" --chunk-secs "$CHUNK_SECS" --max-secs 3600
worker_pid=$spawned
bench_wait_http worker "http://127.0.0.1:$worker_port/health" "$worker_pid" "$work/worker.log"

smg_args=(--host 127.0.0.1 --port "$smg_port" --prometheus-host 127.0.0.1 --prometheus-port "$prom_port"
  --worker-urls "http://127.0.0.1:$worker_port" "${smg_flags[@]}")
log "starting smg on :$smg_port"
bench_spawn "$work/smg.log" "${smg[@]}" "${smg_args[@]}"
smg_pid=$spawned
bench_wait_http smg "http://127.0.0.1:$smg_port/readiness" "$smg_pid" "$work/smg.log"
# scripts/smg execs java, so the launcher's pid is the JVM's.
[[ $(cat "/proc/$smg_pid/comm" 2>/dev/null) == java ]] || die "pid $smg_pid is not the router's JVM"
vm_flags=$("$jcmd" "$smg_pid" VM.flags 2>/dev/null | tail -n +2 | tr -s ' ' | sed 's/^ //')
heap_flags=$(tr ' ' '\n' <<<"$vm_flags" | awk -F= '
  /^-XX:(MaxHeapSize|InitialHeapSize|SoftMaxHeapSize|MaxDirectMemorySize)=/ { printf "%s=%dM ", $1, $2 / 1048576; next }
  ' | sed 's/ $//')
gc=$("$jcmd" "$smg_pid" VM.flags -all 2>/dev/null |
  awk '$2 ~ /^Use(G1|Serial|Parallel|Z|Shenandoah|Epsilon)GC$/ && $4 == "true" { printf "-XX:+%s", $2 }')
heap_flags="${gc:+$gc }$heap_flags"
java_opts=${SMG_JAVA_OPTS:-}
[[ -n $java_opts ]] && java_opts="SMG_JAVA_OPTS=\`$java_opts\`" || java_opts="no SMG_JAVA_OPTS: the JVM's ergonomic defaults"

log "measuring: steps $STEPS, settle $SETTLE s, $PROBES probes per step, JFR on $JFR_STREAMS more streams"
timeout --kill-after=10 "$((TIME_LIMIT + 120))" python3 "$helper" run --port "$smg_port" --pid "$smg_pid" \
  --worker-port "$worker_port" --steps "${steps[@]}" --settle "$SETTLE" --probes "$PROBES" \
  --open-conc "$OPEN_CONC" --prompt-bytes "$PROMPT_BYTES" --chunk-secs "$CHUNK_SECS" --jcmd "$jcmd" --jfr "$jfr" \
  --jfr-streams "$JFR_STREAMS" --work "$work" --time-limit "$TIME_LIMIT" >"$work/result.json" ||
  die "the measuring client failed; see $work"
kill -0 "$smg_pid" 2>/dev/null || die "smg died during the run: $(tail -c 600 "$work/smg.log" | tr '\n' ' ')"
results=$(python3 "$helper" report "$work/result.json" --work "$work")

# --- report ------------------------------------------------------------------------------------
java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
smg_version=$("${smg[@]}" --version 2>&1 | head -1)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem_total=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
report=$(
  cat <<MD
# Open streams: memory per open stream

Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench/open-streams.sh\` (repo commit $(bench_commit)).

One smg router in front of one SSE worker whose streams stay open and nearly idle (a first content
chunk at once, then one chunk every $CHUNK_SECS s). A python3 asyncio client opens streamed chat
completions through the router in steps (${STEPS// /, } open streams) and holds them, reading
whatever comes. At each step, $SETTLE s after the step's streams are up: the router's RSS and OS
threads (\`/proc/PID/status\`), its live heap (\`jcmd PID GC.run\`, then \`GC.heap_info\` used; and the
total of \`GC.class_histogram\`), and the latency of a new request: p50 of $PROBES sequential
non-streamed chat completions, each on a new connection, against the same with no stream open.

## Results

$results

## Setup

| item | value |
| --- | --- |
| machine | $(nproc) CPUs${cpu_model:+ ($cpu_model)}, $mem_total RAM, Linux $(uname -r), loopback only; load average at start $load_at_start |
| java | $java_version (\`$java_home\`) |
| router JVM | the launcher's (\`scripts/smg\`: \`java \$SMG_JAVA_OPTS -jar smg.jar\`), $java_opts; in effect (\`jcmd PID VM.flags\`): \`$heap_flags\` |
| router | $smg_version: \`smg ${smg_args[*]}\` (default policy and settings otherwise; stream failover on, stall timeout 30 s) |
| worker | \`scripts/bench/open-streams.py worker --chunk-secs $CHUNK_SECS --max-secs 3600\` (python3 asyncio; headers and a first chunk at once, then a chunk every $CHUNK_SECS s) |
| client | \`scripts/bench/open-streams.py run\`: one python3 asyncio process, raw sockets, HTTP/1.1, one connection per stream, at most $OPEN_CONC opening at once; prompts of $PROMPT_BYTES bytes, all distinct |
| limits | \`ulimit -n\` raised to $fd_limit by the script (a stream takes a socket in the client, two in the router, one in the worker) |
| JFR | $( ((JFR_STREAMS > 0)) && echo "$JFR_STREAMS streams opened on top of the largest step under \`jcmd PID JFR.start settings=profile\`" || echo "off (JFR_STREAMS=0)") |
MD
)
mkdir -p "$(dirname "$out")"
printf '%s\n' "$report" >"$out"
log "report written to $out"
printf '%s\n' "$report"
ok=1
