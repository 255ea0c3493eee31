#!/usr/bin/env bash
# Stream failover (issue 15): the stall a client sees when the worker of its stream dies mid-answer.
#
# smg (--policy round_robin, health checks every 1 s, one failed or good probe flips a worker) in
# front of two canned mock workers, each its own process, `--gen-ms 2000 --stream-chunks 40`
# (50 ms per token). Per trial (scripts/bench/stream-failover-load.py trial): CONC concurrent
# streamed chat completions (distinct prompts, max_tokens 40) through smg; once every stream has its
# first content event, the victim (always worker 1) is told `POST /_mock/die {"after_tokens": K,
# "mode": MODE}`, K = TOKENS_PER_STREAM x the number of its streams, so they die mid-answer; every
# stream is read to its end with a timestamp per event. A stream whose `worker` field changes was
# migrated; its stall is the time from the last event of the first worker to the first event of the
# next, as the client reads them. Each text is compared with the uninterrupted answer fetched
# straight from the surviving worker (they must be equal byte for byte).
#   crash  the victim cuts its streams and stops its server; after the trial it is restarted (a new
#          process on the same port) and the trial waits until smg's /workers shows it healthy.
#   stall  the victim stops sending but keeps its connections; smg runs with
#          --stream-stall-timeout-secs STALL_SECS, so the stall is about STALL_SECS + the start of the
#          continuation. After the trial the victim is reset with mode "none".
# Each mode has its own smg process (its metrics then count that mode only). Before the trials of a
# mode one batch of CONC streams is sent with nothing dying (JIT warm-up, not measured).
# Reported per mode: p50 / p99 / max of the client-observed stall over all migrations (linear
# interpolation between ranks), the migrations counted by the clients and by smg
# (smg_stream_migrations_total), and the mean of smg's own smg_stream_migration_stall_seconds
# (sum / count) side by side; streams whose text differs, that did not end with [DONE] or that
# carried more than one id are listed.
#
# Usage:  scripts/bench/stream-failover.sh [--out FILE]
#         TRIALS=1 MODES=crash scripts/bench/stream-failover.sh        # quick check (~20 s)
# Prints the Markdown report on stdout and, with --out FILE, writes it to FILE too; progress on stderr.
#
# Settings (environment):
#   SMG_JAR            jar to benchmark [<repo>/smg.jar; built with `make build` only when missing]
#   TRIALS             trials per mode [5]
#   MODES              [crash stall]
#   CONC               concurrent streams per trial [12]
#   MAX_TOKENS         tokens per answer [40]
#   GEN_MS, CHUNKS     the workers' --gen-ms and --stream-chunks [2000, 40]: 50 ms per token
#   TOKENS_PER_STREAM  K / the victim's streams [5]
#   STALL_SECS         smg's --stream-stall-timeout-secs in the stall mode [1]
#   SMG_FLAGS          more smg flags [--disable-circuit-breaker]: every stream the victim loses is a
#                      failure of its breaker (a stall too), 6 per trial at CONC 12, so with the
#                      default breaker (10 consecutive failures) it opens in the second trial and
#                      stays open for --cb-timeout-duration-secs (60) after the victim is back:
#                      round robin then gives it no streams and later trials measure nothing. The
#                      breaker does not choose where a continuation goes (an untried worker is
#                      preferred), so turning it off does not change the stall measured.
# Loopback only; ports are chosen free at run time; every process started is stopped on exit.
# Time with the defaults: about 1.5 minutes (a trial takes ~3 s of streams and reference answers,
# plus ~2-4 s in the crash mode to restart the victim and see it healthy again).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
bench_parse_out "$@"
out=${out:-${OUT:-}}

TRIALS=${TRIALS:-5}
MODES=${MODES:-crash stall}
CONC=${CONC:-12}
MAX_TOKENS=${MAX_TOKENS:-40}
GEN_MS=${GEN_MS:-2000}
CHUNKS=${CHUNKS:-40}
TOKENS_PER_STREAM=${TOKENS_PER_STREAM:-5}
STALL_SECS=${STALL_SECS:-1}
SMG_FLAGS=${SMG_FLAGS---disable-circuit-breaker}
MODEL=mock-model
for v in TRIALS CONC MAX_TOKENS GEN_MS CHUNKS TOKENS_PER_STREAM STALL_SECS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
((TRIALS > 0 && CONC > 1 && MAX_TOKENS > 0 && CHUNKS > 0 && TOKENS_PER_STREAM > 0 && STALL_SECS > 0)) ||
  die "need TRIALS, MAX_TOKENS, CHUNKS, TOKENS_PER_STREAM, STALL_SECS > 0 and CONC > 1"
for m in $MODES; do [[ $m == crash || $m == stall ]] || die "MODES: crash and/or stall (got '$m')"; done
read -r -a smg_flags <<<"$SMG_FLAGS"
bench_need python3:python3 curl:curl

work=$(mktemp -d /tmp/smg-stream-failover-bench.XXXXXX)
bench_processes
load_at_start=$(bench_load)
bench_prepare_jar
"${smg[@]}" --help 2>&1 | grep -q -- '--stream-stall-timeout-secs' ||
  die "this smg has no stream failover (--stream-stall-timeout-secs); build a newer jar"
helper=$here/stream-failover-load.py

# --- workers: two processes, so one can crash and be restarted alone ---------------------------
bench_free_port; w1_port=$port
bench_free_port; w2_port=$port
worker_flags=(--host 127.0.0.1 --model "$MODEL" --gen-ms "$GEN_MS" --stream-chunks "$CHUNKS")
start_worker() { # n port: sets worker_pid[n]
  bench_spawn "$work/worker$1.log" "${smg[@]}" mock-worker --port "$2" "${worker_flags[@]}"
  worker_pid[$1]=$spawned
  bench_wait_http "worker $1" "http://127.0.0.1:$2/health" "$spawned" "$work/worker$1.log"
}
declare -a worker_pid
log "starting mock workers on :$w1_port (the victim) and :$w2_port"
start_worker 1 "$w1_port"
start_worker 2 "$w2_port"
victim=http://127.0.0.1:$w1_port
survivor=http://127.0.0.1:$w2_port

# victim_state: the victim's "is_healthy circuit_breaker" in smg's /workers, e.g. "True closed".
victim_state() {
  curl -fsS --max-time 1 "http://127.0.0.1:$smg_port/workers" 2>/dev/null | python3 -c '
import json, sys
ws = [w for w in json.load(sys.stdin).get("workers", []) if w.get("url") == sys.argv[1]]
print(ws[0].get("is_healthy"), ws[0].get("circuit_breaker") if ws else "missing")' "$victim" 2>/dev/null || echo unknown
}
# wait_victim_healthy seconds: until smg lists the victim healthy with its breaker not open (so round
# robin gives it its share of the next trial's streams).
wait_victim_healthy() {
  local state=unknown
  for _ in $(seq 1 $(($1 * 10))); do
    state=$(victim_state)
    [[ $state == "True "* && $state != *open ]] && return 0
    sleep 0.1
  done
  die "smg did not list the victim healthy with its breaker not open within $1 s (last: $state)"
}

: >"$work/trials.jsonl"
smg_cmds=()
for mode in $MODES; do
  bench_free_port; smg_port=$port
  bench_free_port; prom=$port
  smg_args=(--host 127.0.0.1 --port "$smg_port" --prometheus-host 127.0.0.1 --prometheus-port "$prom"
    --worker-urls "$victim" "$survivor" --policy round_robin
    --health-check-interval-secs 1 --health-success-threshold 1 --health-failure-threshold 1 "${smg_flags[@]}")
  [[ $mode == stall ]] && smg_args+=(--stream-stall-timeout-secs "$STALL_SECS")
  smg_cmds+=("$mode: \`smg ${smg_args[*]}\`")
  log "$mode: starting smg on :$smg_port"
  bench_spawn "$work/smg-$mode.log" "${smg[@]}" "${smg_args[@]}"
  smg_pid=$spawned
  bench_wait_http smg "http://127.0.0.1:$smg_port/readiness" "$smg_pid" "$work/smg-$mode.log"
  wait_victim_healthy 30
  trial_args=(--smg "http://127.0.0.1:$smg_port" --metrics "http://127.0.0.1:$prom/metrics"
    --victim "$victim" --survivor "$survivor" --conc "$CONC" --max-tokens "$MAX_TOKENS"
    --tokens-per-stream "$TOKENS_PER_STREAM" --model "$MODEL")
  log "$mode: warm-up batch of $CONC streams (nothing dies)"
  timeout 120 python3 "$helper" trial "${trial_args[@]}" --mode none --trial 0 >"$work/warmup-$mode.json" ||
    die "warm-up failed; see $work"
  for t in $(seq 1 "$TRIALS"); do
    log "$mode: trial $t/$TRIALS ($CONC streams, victim :$w1_port)"
    timeout 180 python3 "$helper" trial "${trial_args[@]}" --mode "$mode" --trial "$t" >>"$work/trials.jsonl" ||
      die "trial $t failed; see $work"
    tail -1 "$work/trials.jsonl" | python3 -c '
import json, sys
t = json.loads(sys.stdin.read())
st = sorted(c["stall_s"] for s in t["streams"] for c in s["changes"])
bad = sum(1 for s in t["streams"] if not s["matches"] or not s["done"] or s["error"])
print("[bench]   victim streams %d, K %s: %d migrations, stall %s ms, %d streams with problems, smg %s" % (
    t["victim_streams"], t["die_after"], len(st), " ".join("%.0f" % (x * 1000) for x in st), bad,
    t["server"]["migrations"]), file=sys.stderr)'
    if [[ $mode == crash ]]; then
      # A crash is final: a new process on the same port, and smg must see it healthy before the next trial.
      bench_stop "${worker_pid[1]}"
      start_worker 1 "$w1_port"
      wait_victim_healthy 30
    else
      curl -fsS --max-time 5 -H 'Content-Type: application/json' -d '{"mode":"none"}' "$victim/_mock/die" >/dev/null ||
        die "could not reset the victim"
      wait_victim_healthy 30
    fi
  done
  bench_stop "$smg_pid"
done

# --- report ------------------------------------------------------------------------------------
results=$(python3 "$helper" report "$work/trials.jsonl")
java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
smg_version=$("${smg[@]}" --version 2>&1 | head -1)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
plural=s
((TRIALS > 1)) || plural=""
short_note=""
((TRIALS >= 5)) || short_note=$'\n\n'"**Short run (TRIALS=$TRIALS): a quick check, not figures to quote.**"
report=$(
  cat <<MD
# Stream failover: the stall a client sees when its worker dies

Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench/stream-failover.sh\` (repo commit $(bench_commit)).

smg (round robin) in front of two canned mock workers (each its own process, ${GEN_MS} ms per
answer of $CHUNKS tokens: $((GEN_MS / CHUNKS)) ms per token). Per trial, $CONC concurrent streamed chat
completions (max_tokens $MAX_TOKENS, distinct prompts); once each has its first token, worker 1 is told
to die after $TOKENS_PER_STREAM tokens per stream it serves (\`/_mock/die\`, counted over all its streams),
so its streams die mid-answer. **Stall** = the time, as the client reads the events, from the last
event of the dead worker to the first event of the worker that continues the stream (the mock's
\`worker\` field, which smg does not rewrite, tells them apart).

## Results

$TRIALS trial$plural per mode.$short_note

$results

- *crash*: the worker cuts its streams mid-body and stops; smg reads the break at once and sends a
  continuation to the other worker. The stall includes the gap between the dead worker's last token
  and the moment it died (up to one token time, $((GEN_MS / CHUNKS)) ms: the death comes at the K-th token over
  all its streams, so the other streams were between tokens), the continuation request, and the new
  worker's first token ($((GEN_MS / CHUNKS)) ms pacing).
- *stall*: the worker goes silent holding its connections; smg notices after
  \`--stream-stall-timeout-secs $STALL_SECS\`, so the stall is about $STALL_SECS s + the same continuation start.
- *smg histogram mean*: \`smg_stream_migration_stall_seconds\` sum / count over the mode's trials,
  smg's own measure of the same gap (from its relay's point of view, without the client's read).

## Setup

| item | value |
| --- | --- |
| machine | $(nproc) CPUs${cpu_model:+ ($cpu_model)}, Linux $(uname -r), loopback only; load average at start $load_at_start |
| java | $java_version (\`$java_home\`)${SMG_JAVA_OPTS:+, SMG_JAVA_OPTS=\`$SMG_JAVA_OPTS\`} |
| smg | $smg_version, one process per mode: $(printf '%s; ' "${smg_cmds[@]}" | sed 's/; $//') |
| workers | 2 processes: \`smg mock-worker ${worker_flags[*]} --port P\`; worker 1 is the victim of every trial |
| client | \`scripts/bench/stream-failover-load.py\` (python3 http.client, one thread per stream, a monotonic timestamp per SSE line) |
| trials | $TRIALS per mode ($MODES), each after a warm-up batch of $CONC streams through a fresh smg |
| restart | crash: the victim's process is stopped and started again on its port; the next trial waits for smg's \`/workers\` to show it healthy. stall: the victim is reset with \`{"mode":"none"}\` |
MD
)
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$report" >"$out"
  log "report written to $out"
fi
printf '%s\n' "$report"
ok=1
