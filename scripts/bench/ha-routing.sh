#!/usr/bin/env bash
# Cache-aware routing through an HA mesh of routers, with and without replicated trees.
#
# WORKERS realistic mock workers (`smg mock-worker --engine realistic`: continuous batching with a
# prefix cache, KV_TOKENS each) behind the gateway, under multi-turn chats
# (scripts/bench/ha-routing-load.py): SESSIONS conversations at once, TURNS turns each, every
# follow-up resending the conversation so far plus a new question, and every request sent to a
# router picked at random (its "front"). Configurations, each with fresh workers and routers (cold
# caches) and the same conversations:
#   (a) sync    three routers, --enable-mesh, cache_aware, every router a seed of the others
#   (b) single  one router, no mesh, cache_aware (the reference: one tree sees every request)
#   (c) nosync  as (a) with --disable-tree-sync (each router learns only from its own requests)
# run REPEATS times interleaved (a b c a b c ...). Reported per run and as medians: the cache-hit
# ratio from the engines' own per-request counts (usage.prompt_tokens_details.cached_tokens over
# prompt_tokens, all turns sent in the measured window, and follow-ups only), the share of
# follow-ups served by the same worker as the session's previous turn (X-Mock-Worker), turns/s
# and errors; then (a)/(b) and (c)/(b) of the hit ratio, computed run by run (side by side) and
# given as medians. Aim: (a) >= 0.95 x (b).
#   (d) kill    as (a), once per repeat after (c): halfway through the measured window the
#               client SIGKILLs router 3 and sends every later turn to routers 1 and 2 (a turn
#               that fails is retried once on another router). Reported: the share of follow-ups
#               after the kill that reach the same worker as the session's previous turn, split by
#               whether that previous turn went through the killed router (about SESSIONS / 3
#               sessions per kill), against the same share before the kill.
#
# Usage:  scripts/bench/ha-routing.sh [--out FILE]
#         WARMUP=3 DURATION=8 REPEATS=1 scripts/bench/ha-routing.sh          # quick check
# Prints the Markdown report on stdout and, with --out FILE, writes it to FILE too; progress on stderr.
#
# Settings (environment):
#   SMG_JAR        jar to benchmark [<repo>/smg.jar; built with `make build` only when missing]
#   WORKERS        realistic mock workers [4]
#   KV_TOKENS      KV cache of each worker, tokens [8192]: a session grows to about
#                  SYSTEM_WORDS + TURNS x (USER_WORDS + MAX_TOKENS) = 530 tokens, so a worker keeps
#                  its share of the SESSIONS (8 x 530) but not all of them (32 x 530): spraying
#                  sessions over workers evicts what keeping them in place would hit
#   SESSIONS       conversations at once [32]
#   TURNS          turns per conversation [5]
#   SYSTEM_WORDS   words of a conversation's first prompt (= mock tokens), unique per session [300]
#   USER_WORDS     words of each new question [30]
#   MAX_TOKENS     answer length [16]
#   THINK_MS       min,max wait between an answer and the next turn [100,300]
#   WARMUP         seconds before the measured window [10]
#   DURATION       seconds of the measured window [30]
#   REPEATS        runs of (a), (b), (c) and (d), interleaved [3]
#   KILL           1: also run (d) [1]
#   SEED           conversations and router choices [1]
# Loopback only; ports are chosen free at run time; every process started is stopped on exit.
# About 15 minutes with the defaults (twelve runs of start-up + WARMUP + DURATION).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
bench_parse_out "$@"

WORKERS=${WORKERS:-4}
KV_TOKENS=${KV_TOKENS:-8192}
SESSIONS=${SESSIONS:-32}
TURNS=${TURNS:-5}
SYSTEM_WORDS=${SYSTEM_WORDS:-300}
USER_WORDS=${USER_WORDS:-30}
MAX_TOKENS=${MAX_TOKENS:-16}
THINK_MS=${THINK_MS:-100,300}
WARMUP=${WARMUP:-10}
DURATION=${DURATION:-30}
REPEATS=${REPEATS:-3}
KILL=${KILL:-1}
SEED=${SEED:-1}
for v in WORKERS KV_TOKENS SESSIONS TURNS SYSTEM_WORDS USER_WORDS MAX_TOKENS WARMUP DURATION REPEATS KILL SEED; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
((WORKERS > 1 && SESSIONS > 0 && TURNS > 1 && DURATION > 0 && REPEATS > 0 && USER_WORDS > 2)) ||
  die "need WORKERS > 1, SESSIONS > 0, TURNS > 1, DURATION > 0, REPEATS > 0, USER_WORDS > 2"
[[ $THINK_MS =~ ^[0-9]+,[0-9]+$ ]] || die "THINK_MS must be min,max in ms (got '$THINK_MS')"
bench_need python3:python3 curl:curl

work=$(mktemp -d /tmp/smg-ha-routing-bench.XXXXXX)
bench_processes
load_at_start=$(bench_load)
bench_prepare_jar
"${smg[@]}" --help 2>&1 | grep -q -- '--disable-tree-sync' || die "this smg has no --disable-tree-sync; build a newer jar"

load_args=(--sessions "$SESSIONS" --turns "$TURNS" --warmup "$WARMUP" --duration "$DURATION"
  --system-words "$SYSTEM_WORDS" --user-words "$USER_WORDS" --max-tokens "$MAX_TOKENS" --think-ms "$THINK_MS"
  --seed "$SEED")
router_flags=(--policy cache_aware --log-level warn --shutdown-grace-period-secs 1)

# run_config label config: fresh workers and routers, one load run, everything stopped again.
# config: sync | single | nosync | kill. Writes $work/<label>.json.
run_config() {
  local label=$1 config=$2 i p workers_pid ports=() kill_args=()
  bench_free_port "$WORKERS"
  local wbase=$port urls=()
  for ((i = 0; i < WORKERS; i++)); do urls+=("http://127.0.0.1:$((wbase + i))"); done
  bench_spawn "$work/$label-workers.log" "${smg[@]}" mock-worker --engine realistic --host 127.0.0.1 \
    --port "$wbase" --count "$WORKERS" --kv-tokens "$KV_TOKENS"
  workers_pid=$spawned
  for ((i = 0; i < WORKERS; i++)); do
    bench_wait_http "mock worker" "http://127.0.0.1:$((wbase + i))/health" "$workers_pid" "$work/$label-workers.log"
  done
  local routers=3 extra=()
  [[ $config == single ]] && routers=1
  [[ $config == nosync ]] && extra=(--disable-tree-sync)
  bench_router_ports "$routers"
  local rpids=()
  for ((i = 1; i <= routers; i++)); do
    if [[ $config == single ]]; then
      bench_spawn "$work/$label-node$i.log" "${smg[@]}" --host 127.0.0.1 --port "${http_port[i]}" \
        --prometheus-host 127.0.0.1 --prometheus-port "${prom_port[i]}" --worker-urls "${urls[@]}" "${router_flags[@]}"
    else
      bench_start_router "$i" "$work/$label-node$i.log" --worker-urls "${urls[@]}" "${router_flags[@]}" "${extra[@]}"
    fi
    rpids[i]=$spawned
    ports+=("${http_port[i]}")
  done
  for ((i = 1; i <= routers; i++)); do
    bench_wait_http "router $i ($label)" "http://127.0.0.1:${http_port[i]}/readiness" "${rpids[i]}" "$work/$label-node$i.log" 120
  done
  if ((routers > 1)); then bench_wait_mesh 120 1 2 3; fi
  if [[ $config == kill ]]; then
    kill_args=(--kill-pid "${rpids[3]}" --kill-index 2 --kill-at "$(awk -v w="$WARMUP" -v d="$DURATION" 'BEGIN { print w + d / 2 }')")
  fi
  log "$label: $config, $routers router(s), ${WARMUP}s warm-up + ${DURATION}s measured"
  timeout $((WARMUP + DURATION + 120)) python3 "$here/ha-routing-load.py" --ports "$(IFS=,; echo "${ports[*]}")" \
    "${load_args[@]}" "${kill_args[@]}" >"$work/$label.json" 2>"$work/$label-load.log" ||
    die "$label: load generator failed: $(tail -c 600 "$work/$label-load.log")"
  for ((i = 1; i <= routers; i++)); do
    if [[ $config == kill && $i == 3 ]]; then
      kill -KILL "${rpids[i]}" 2>/dev/null || true # the client killed it; make sure, then reap it
      wait "${rpids[i]}" 2>/dev/null || true
    else
      kill -0 "${rpids[i]}" 2>/dev/null || die "$label: router $i exited during the run; see $work/$label-node$i.log"
    fi
    bench_stop "${rpids[i]}"
  done
  bench_stop "$workers_pid"
  log "$label: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("hit %.3f (follow-ups %.3f), sticky %.3f, %.1f turns/s, %d errors" % (d["hit_ratio"] or 0, d["followup_hit_ratio"] or 0, d["sticky"] or 0, d["turns_per_s"], d["errors"]))' "$work/$label.json")"
}

for r in $(seq 1 "$REPEATS"); do
  run_config "sync-$r" sync
  run_config "single-$r" single
  run_config "nosync-$r" nosync
  if ((KILL)); then run_config "kill-$r" kill; fi
done

# --- report --------------------------------------------------------------------------------------
tables=$(python3 - "$work" "$REPEATS" "$KILL" <<'PY'
import json, statistics, sys
work, repeats, kill = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
names = {"sync": "(a) 3 routers, tree sync", "single": "(b) 1 router", "nosync": "(c) 3 routers, no tree sync"}
runs = {c: [json.load(open(f"{work}/{c}-{r}.json")) for r in range(1, repeats + 1)] for c in names}

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def fmt(v, f="%.3f"):
    return "-" if v is None else f % v

def errors(d):
    kinds = ", ".join("%s: %d" % kv for kv in sorted(d["error_kinds"].items()))
    return str(d["errors"]) + (" (%s)" % kinds if kinds else "")

print("| configuration | run | hit ratio | follow-up hit ratio | same worker as previous turn | turns/s | errors |")
print("|---|---:|---:|---:|---:|---:|---|")
for c, label in names.items():
    for i, d in enumerate(runs[c], 1):
        print("| %s | %d | %s | %s | %s | %.1f | %s |" % (label, i, fmt(d["hit_ratio"]), fmt(d["followup_hit_ratio"]),
              fmt(d["sticky"]), d["turns_per_s"], errors(d)))
    print("| **%s** | median | **%s** | %s | %s | %.1f | |" % (label, fmt(med([d["hit_ratio"] for d in runs[c]])),
          fmt(med([d["followup_hit_ratio"] for d in runs[c]])), fmt(med([d["sticky"] for d in runs[c]])),
          med([d["turns_per_s"] for d in runs[c]])))
print()

def ratio(x, y, key):
    per_run = [a[key] / b[key] if a[key] and b[key] else None for a, b in zip(runs[x], runs[y])]
    return med(per_run), ", ".join(fmt(v) for v in per_run)

for key, what in (("hit_ratio", "hit ratio"), ("followup_hit_ratio", "follow-up hit ratio")):
    a_b, a_runs = ratio("sync", "single", key)
    c_b, c_runs = ratio("nosync", "single", key)
    print("- %s: **(a)/(b) = %s** (runs: %s); **(c)/(b) = %s** (runs: %s)" % (what, fmt(a_b), a_runs, fmt(c_b), c_runs))
print()
if kill:
    kills = [json.load(open(f"{work}/kill-{r}.json")) for r in range(1, repeats + 1)]
    print("(d) Router 3 SIGKILLed halfway through the measured window (3 routers, tree sync on), %d run(s); "
          "counts pooled over the runs, then the per-run shares:" % len(kills))
    print()
    print("| follow-ups | count | same worker as previous turn | per run | follow-up hit ratio | failed turns | turns retried on another router |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for key, label in (("before_kill", "before the kill (all 3 routers)"),
                       ("after_kill", "after the kill, sent to the 2 survivors"),
                       ("after_kill_prev_via_killed", "... whose previous turn went through the killed router"),
                       ("after_kill_prev_via_survivor", "... whose previous turn went through a survivor")):
        fs = [d[key] for d in kills]
        n = sum(f["followups"] for f in fs)
        same = sum(round((f["sticky"] or 0) * f["followups"]) for f in fs)
        print("| %s | %d | **%s** | %s | %s | %d | %d |" % (label, n, fmt(same / n if n else None),
              ", ".join(fmt(f["sticky"]) for f in fs), fmt(med([f["followup_hit_ratio"] for f in fs])),
              sum(f["errors"] for f in fs), sum(f["retried_ok"] for f in fs)))
    print()
PY
)
java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
commit=$(bench_commit)
report=$(
  cat <<MD
# Cache-aware routing through three routers (\`scripts/bench/ha-routing.sh\`)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs (load average over 1, 5, 15 min: $load_at_start at the start, $(bench_load) at the end), $java_version, commit $commit.
$WORKERS realistic mock workers (KV $KV_TOKENS tokens each); $SESSIONS conversations at once, $TURNS turns each
(first prompt $SYSTEM_WORDS words, then +$USER_WORDS-word questions, $MAX_TOKENS-token answers, ${THINK_MS} ms think time);
each request to a router picked at random; ${WARMUP} s warm-up, ${DURATION} s measured; $REPEATS interleaved runs per configuration.

## Results

$tables

- *Hit ratio*: sum of the engines' \`cached_tokens\` over sum of \`prompt_tokens\`, turns sent in the
  measured window (first turns, always misses, included; *follow-up* leaves them out).
- *Same worker as previous turn*: follow-ups whose \`X-Mock-Worker\` is the worker that answered
  the session's previous turn.
MD
)
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$report" >"$out"
  log "report written to $out"
fi
printf '%s\n' "$report"
ok=1
