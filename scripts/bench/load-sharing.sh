#!/usr/bin/env bash
# Load sharing (issue 14): do several routers balance load as well as one?
#
# ENGINES realistic mock engines (`smg mock-worker --engine realistic --max-running MAX_RUNNING`),
# kept for the whole run; an open-loop client (scripts/bench/load-sharing-load.py) sends Poisson
# arrivals (given their count: exactly the offered rate in the measured window) of streamed chat
# completions (random PROMPT_WORDS-word prompts, max_tokens MAX_TOKENS), each to a router picked at
# random, and samples every engine's /v1/loads every 100 ms.
#   capacity  first, in the same run: a closed loop of 2 x MAX_RUNNING streams per engine sent
#             straight to the engines (no router), CAP_DURATION s after CAP_WARMUP s; capacity =
#             the streams completed per second. Compared in the report with the engine model's
#             estimate. CAPACITY=R skips the measurement and uses R req/s.
#   matrix    policy (POLICIES) x routers (ROUTERS; 1 router: no mesh, the reference) x load
#             sharing on/off (SHARING; 3 and 5 routers, --enable-mesh, every router a seed) x load
#             (LOADS, fractions of the capacity), REPEATS times interleaved: per repeat and policy,
#             every router configuration is started fresh, runs every load in turn (WARMUP + DURATION
#             s each, engines drained in between), and is stopped. Each (repeat, load) has its own
#             seed, shared by every configuration: the same arrivals, prompts and fronts (for the
#             same number of routers).
#   slow      (SLOW=1) SLOW_ROUTERS routers, SLOW_POLICY, sharing on and off, in front of
#             ENGINES - 1 of the engines and one more engine started on its own with SLOW_FLAGS
#             (slower steps: it queues up where the others keep up); offered SLOW_LOAD x the
#             capacity of those engines (the slow one's measured in the capacity run too). Reported:
#             each engine's share of the requests from each router and overall, against its share
#             of the capacity.
# Reported (medians over the repeats): TTFT p50/p99 (scheduled arrival to the first content
# event), e2e p50/p99, throughput (streams completed per second in the window), errors, and the
# imbalance: mean over the 100 ms samples of max / mean across engines of running + waiting
# requests (samples with nothing queued anywhere skipped); then, run by run side by side, 3/1 and
# 5/1 routers of TTFT p99 and of the imbalance, and their medians. Goal (issue 14): at 95 % load,
# 3 and 5 routers with sharing within 1.1x of 1 router on both.
#
# Usage:  scripts/bench/load-sharing.sh [--out FILE]
#         WARMUP=3 DURATION=8 REPEATS=1 ROUTERS="1 3" POLICIES=power_of_two LOADS=0.8 SLOW=0 \
#           scripts/bench/load-sharing.sh                                          # quick check
#         SHARING_OFF_FLAGS="" SHARING_ON_FLAGS="" ...   # a build without the issue-14 flags
# Prints the Markdown report on stdout and, with --out FILE, writes it to FILE too; progress on stderr.
#
# Settings (environment):
#   SMG_JAR            jar to benchmark [<repo>/smg.jar; built with `make build` only when missing]
#   ENGINES            realistic mock engines [4]
#   MAX_RUNNING        each engine's --max-running [8]
#   ENGINE_FLAGS       more mock-worker flags for every engine [--prefix-cache false]: every
#                      configuration gets the same prompts, on the same engines; without a prefix
#                      cache a later run cannot hit on an earlier one's (random prompts share no
#                      prefix, so within a run nothing changes)
#   PROMPT_WORDS       words (= mock tokens) per prompt [300]
#   MAX_TOKENS         tokens per answer [64]
#   POLICIES           [power_of_two cache_aware]
#   ROUTERS            router counts [1 3 5]; 1 is the reference of the ratios
#   SHARING            arms for more than one router [on off]
#   SHARING_ON_FLAGS   router flags of the "on" arm [] (sharing is the default with --enable-mesh)
#   SHARING_OFF_FLAGS  router flags of the "off" arm [--disable-load-sync --load-monitor-interval 0]:
#                      each router balances on its own in-flight counts, as before issue 14
#   ONE_ROUTER_FLAGS   flags of the single router (no mesh) [] (its defaults: it polls the engines)
#   LOADS              offered load, fractions of the capacity [0.80 0.95]
#   CAPACITY           req/s of the ENGINES engines; set to skip the measurement [measured]
#   CAP_WARMUP, CAP_DURATION   capacity run, seconds [3, 10]
#   WARMUP, DURATION   each load run: seconds before the window, seconds measured [3, 12]
#   PREWARM            seconds fresh routers serve at 50% of the capacity, unmeasured, before a
#                      configuration's load runs (JIT warm-up out of the figures) [20]
#   REPEATS            interleaved repeats [3]
#   SLOW               1: run the slow-engine scenario [1]
#   SLOW_FLAGS         extra flags of the slow engine [--decode-base-ms 18] (about half the capacity
#                      of a normal engine by the model: 5.5 against 10.1 req/s at the defaults)
#   SLOW_ROUTERS, SLOW_POLICY, SLOW_LOAD   [3, power_of_two, 0.80]
#   SEED               arrivals, prompts and fronts [1]
# Loopback only; ports are chosen free at run time; every process started is stopped on exit.
# Time with the defaults, about 30 minutes (PREWARM adds 20 s per router configuration): per repeat 10 router configurations (start-up measured on
# 2 busy CPUs: 1 router 1 s, 3 routers ~7 s, 5 routers ~11 s; stop ~2 s) and 20 load runs of
# WARMUP + DURATION + ~1.5 s (client start, drain), about 7 minutes; then the slow scenario (2
# start-ups, 2 runs of WARMUP + SLOW_DURATION, ~1.5 minutes) and the capacity run (15 s).
# The quick check below: about 1 minute.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
bench_parse_out "$@"

ENGINES=${ENGINES:-4}
MAX_RUNNING=${MAX_RUNNING:-8}
ENGINE_FLAGS=${ENGINE_FLAGS---prefix-cache false}
PROMPT_WORDS=${PROMPT_WORDS:-300}
MAX_TOKENS=${MAX_TOKENS:-64}
POLICIES=${POLICIES:-power_of_two cache_aware}
ROUTERS=${ROUTERS:-1 3 5}
SHARING=${SHARING:-on off}
SHARING_ON_FLAGS=${SHARING_ON_FLAGS-}
SHARING_OFF_FLAGS=${SHARING_OFF_FLAGS---disable-load-sync --load-monitor-interval 0}
ONE_ROUTER_FLAGS=${ONE_ROUTER_FLAGS-}
LOADS=${LOADS:-0.80 0.95}
CAPACITY=${CAPACITY:-}
CAP_WARMUP=${CAP_WARMUP:-3}
CAP_DURATION=${CAP_DURATION:-10}
WARMUP=${WARMUP:-3}
PREWARM=${PREWARM:-20}
DURATION=${DURATION:-12}
REPEATS=${REPEATS:-3}
SLOW=${SLOW:-1}
SLOW_FLAGS=${SLOW_FLAGS---decode-base-ms 18}
SLOW_ROUTERS=${SLOW_ROUTERS:-3}
SLOW_POLICY=${SLOW_POLICY:-power_of_two}
SLOW_LOAD=${SLOW_LOAD:-0.80}
SLOW_DURATION=${SLOW_DURATION:-30}
SLOW_REPEATS=${SLOW_REPEATS:-1}
SEED=${SEED:-1}
for v in ENGINES MAX_RUNNING PROMPT_WORDS MAX_TOKENS CAP_WARMUP CAP_DURATION WARMUP PREWARM DURATION REPEATS SLOW \
  SLOW_ROUTERS SLOW_DURATION SLOW_REPEATS SEED; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
((ENGINES > 1 && MAX_RUNNING > 0 && DURATION > 0 && CAP_DURATION > 0 && REPEATS > 0 && SLOW_ROUTERS > 0 &&
  SLOW_DURATION > 0 && SLOW_REPEATS > 0)) ||
  die "need ENGINES > 1 and MAX_RUNNING, DURATION, CAP_DURATION, REPEATS, SLOW_ROUTERS, SLOW_DURATION, SLOW_REPEATS > 0"
for l in $LOADS $SLOW_LOAD ${CAPACITY:+$CAPACITY}; do
  [[ $l =~ ^[0-9]*[.]?[0-9]+$ ]] && awk -v x="$l" 'BEGIN { exit !(x > 0) }' || die "LOADS, SLOW_LOAD, CAPACITY: numbers > 0 (got '$l')"
done
for n in $ROUTERS; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "ROUTERS: whole numbers > 0 (got '$n')"; done
for s in $SHARING; do [[ $s == on || $s == off ]] || die "SHARING: on and/or off (got '$s')"; done
for p in $POLICIES $SLOW_POLICY; do
  [[ $p == power_of_two || $p == cache_aware ]] || die "POLICIES, SLOW_POLICY: power_of_two and/or cache_aware (got '$p')"
done
read -r -a engine_flags <<<"$ENGINE_FLAGS"
read -r -a slow_flags <<<"$SLOW_FLAGS"
read -r -a on_flags <<<"$SHARING_ON_FLAGS"
read -r -a off_flags <<<"$SHARING_OFF_FLAGS"
read -r -a one_flags <<<"$ONE_ROUTER_FLAGS"
bench_need python3:python3 curl:curl

work=$(mktemp -d /tmp/smg-load-sharing-bench.XXXXXX)
mkdir -p "$work/runs"
bench_processes
load_at_start=$(bench_load)
bench_prepare_jar
help_text=$("${smg[@]}" --help 2>&1 || true)
for f in "${on_flags[@]}" "${off_flags[@]}" "${one_flags[@]}"; do
  [[ $f != --* ]] || grep -q -- "$f " <<<"$help_text" ||
    die "this smg has no $f; build a newer jar, or set SHARING_ON_FLAGS / SHARING_OFF_FLAGS / ONE_ROUTER_FLAGS without it"
done

# --- engines -----------------------------------------------------------------------------------
bench_free_port "$ENGINES"
engine_base=$port
engine_ports=()
for ((i = 0; i < ENGINES; i++)); do engine_ports+=($((engine_base + i))); done
bench_spawn "$work/engines.log" "${smg[@]}" mock-worker --engine realistic --host 127.0.0.1 --port "$engine_base" \
  --count "$ENGINES" --max-running "$MAX_RUNNING" "${engine_flags[@]}"
engines_pid=$spawned
slow_port=""
if ((SLOW)); then
  bench_free_port
  slow_port=$port
  bench_spawn "$work/slow-engine.log" "${smg[@]}" mock-worker --engine realistic --host 127.0.0.1 --port "$slow_port" \
    --count 1 --max-running "$MAX_RUNNING" "${engine_flags[@]}" "${slow_flags[@]}"
  slow_pid=$spawned
  bench_wait_http "slow engine" "http://127.0.0.1:$slow_port/health" "$slow_pid" "$work/slow-engine.log"
fi
for p in "${engine_ports[@]}"; do
  bench_wait_http "engine :$p" "http://127.0.0.1:$p/health" "$engines_pid" "$work/engines.log"
done
csv() { local IFS=,; echo "$*"; }

# engines_drained ports...: waits (up to 60 s) until no listed engine runs or queues a request, so
# that every run starts from idle engines.
engines_drained() {
  python3 - "$@" <<'PY' || die "engines still busy 60 s after a run"
import json, sys, time, urllib.request
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        busy = 0
        for p in sys.argv[1:]:
            with urllib.request.urlopen(f"http://127.0.0.1:{p}/v1/loads", timeout=2) as r:
                busy += sum(x["num_running_reqs"] + x["num_waiting_reqs"] for x in json.load(r)["loads"])
        if busy == 0:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}

# load label json-file load-args...: one run of the load generator, bounded in time.
load() {
  local label=$1 file=$2
  shift 2
  timeout $((WARMUP + DURATION + SLOW_DURATION + CAP_WARMUP + CAP_DURATION + 120)) python3 "$here/load-sharing-load.py" \
    --prompt-words "$PROMPT_WORDS" --max-tokens "$MAX_TOKENS" "$@" >"$file" 2>"$work/runs/$label.log" ||
    die "$label: load generator failed: $(tail -c 600 "$work/runs/$label.log")"
}
# cpu_ticks pid...: CPU time used so far by the processes (user + system, clock ticks).
cpu_ticks() {
  local pid total=0 fields
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] || continue
    # Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
    read -r -a fields <<<"$(sed 's/^.*) //' "/proc/$pid/stat")"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}
clock_tick=$(getconf CLK_TCK)
summary() { # json-file
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); f=lambda v: "-" if v is None else "%.3f" % v
print("%.1f req/s done, TTFT p50 %s p99 %s s, imbalance %s, %d errors" % (d["throughput"], f(d["ttft_p50"]),
      f(d["ttft_p99"]), f(d["imbalance"]), d["errors"]))' "$1"
}

# --- capacity ----------------------------------------------------------------------------------
cap_targets=("${engine_ports[@]}" ${slow_port:+"$slow_port"})
if [[ -z $CAPACITY ]] || ((SLOW)); then
  log "capacity: closed loop, $((2 * MAX_RUNNING)) streams per engine straight to ${#cap_targets[@]} engine(s), ${CAP_WARMUP}s + ${CAP_DURATION}s"
  load capacity "$work/capacity.json" --targets "$(csv "${cap_targets[@]}")" --engines "$(csv "${cap_targets[@]}")" \
    --concurrency $((2 * MAX_RUNNING * ${#cap_targets[@]})) --warmup "$CAP_WARMUP" --duration "$CAP_DURATION" --seed $((SEED + 999))
  engines_drained "${cap_targets[@]}"
fi
read -r measured per_engine slow_capacity < <(python3 - "$work/capacity.json" "$CAP_DURATION" "$slow_port" <<'PY'
import json, os, sys
path, duration, slow = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if not os.path.exists(path):
    print("- - -"); sys.exit()
d = json.load(open(path))
done = d["completed_per_worker"]
normal = [n for w, n in done.items() if w != f"mock-{slow}"]
total = sum(normal) / duration
print("%.3f %.3f %s" % (total, total / len(normal), "%.3f" % (done.get(f"mock-{slow}", 0) / duration) if slow else "-"))
PY
)
capacity=${CAPACITY:-$measured}
[[ $capacity != - ]] && awk -v c="$capacity" 'BEGIN { exit !(c > 0) }' || die "no capacity measured; see $work/runs/capacity.log"
log "capacity of the $ENGINES engines: $capacity req/s${CAPACITY:+ (given; measured $measured)}"
rate_of() { awk -v c="$capacity" -v l="$1" 'BEGIN { printf "%.2f", c * l }'; }

# --- routers -----------------------------------------------------------------------------------
# start_routers label n policy arm worker-url...: n routers (1: no mesh) with arm's flags (on, off or
# one); sets rpids and front_ports, and waits until they are ready (and, with a mesh, see each other).
start_routers() {
  local label=$1 n=$2 policy=$3 arm=$4 i t
  shift 4
  t=$(date +%s)
  local flags=(--worker-urls "$@" --policy "$policy" --log-level warn --shutdown-grace-period-secs 1)
  case $arm in
    on) flags+=("${on_flags[@]}") ;;
    off) flags+=("${off_flags[@]}") ;;
    one) flags+=("${one_flags[@]}") ;;
  esac
  bench_router_ports "$n"
  rpids=() front_ports=()
  for ((i = 1; i <= n; i++)); do
    if ((n == 1)); then
      bench_spawn "$work/$label-node$i.log" "${smg[@]}" --host 127.0.0.1 --port "${http_port[i]}" \
        --prometheus-host 127.0.0.1 --prometheus-port "${prom_port[i]}" "${flags[@]}"
    else
      bench_start_router "$i" "$work/$label-node$i.log" "${flags[@]}"
    fi
    rpids[i]=$spawned
    front_ports+=("${http_port[i]}")
  done
  for ((i = 1; i <= n; i++)); do
    bench_wait_http "router $i ($label)" "http://127.0.0.1:${http_port[i]}/readiness" "${rpids[i]}" "$work/$label-node$i.log" 120
  done
  if ((n > 1)); then bench_wait_mesh 120 $(seq 1 "$n"); fi
  log "$label: $n router(s) ready after $(($(date +%s) - t)) s"
}
stop_routers() { # label: checks they all lived through the run, then stops them all at once
  local i
  for i in "${!rpids[@]}"; do
    kill -0 "${rpids[i]}" 2>/dev/null || die "$1: router $i exited during the run; see $work/$1-node$i.log"
  done
  for i in "${!rpids[@]}"; do kill -TERM "${rpids[i]}" 2>/dev/null || true; done
  for i in "${!rpids[@]}"; do bench_stop "${rpids[i]}"; done
}

describe() { if [[ $2 == one ]]; then echo "1 router"; else echo "$1 routers, sharing $2"; fi; }

# --- matrix ------------------------------------------------------------------------------------
configs=()
for n in $ROUTERS; do
  if ((n == 1)); then configs+=("1:one"); else for s in $SHARING; do configs+=("$n:$s"); done; fi
done
engine_urls=()
for p in "${engine_ports[@]}"; do engine_urls+=("http://127.0.0.1:$p"); done
read -r -a loads <<<"$LOADS"
started=$(date +%s)
for r in $(seq 1 "$REPEATS"); do
  for policy in $POLICIES; do
    for c in "${configs[@]}"; do
      n=${c%%:*} arm=${c#*:}
      label="$policy-$n-$arm-r$r"
      start_routers "$label" "$n" "$policy" "$arm" "${engine_urls[@]}"
      if ((PREWARM > 0)); then
        # Steady state, not JIT warm-up: fresh routers first serve PREWARM s at half the capacity,
        # unmeasured (every router JVM compiles the same hot paths; with 3 or 5 of them on 2 CPUs
        # that alone raised the first runs' tail).
        log "$label: pre-warm ${PREWARM}s at 50%"
        load "$label-prewarm" "$work/runs/prewarm~$label.json" --targets "$(csv "${front_ports[@]}")" \
          --engines "$(csv "${engine_ports[@]}")" --rate "$(rate_of 0.5)" --warmup 0 --duration "$PREWARM" \
          --seed $((SEED * 1000 + r * 10 + 7))
        engines_drained "${engine_ports[@]}"
      fi
      for li in "${!loads[@]}"; do
        l=${loads[li]} rate=$(rate_of "${loads[li]}")
        log "repeat $r/$REPEATS, $policy, $(describe "$n" "$arm"), load $l ($rate req/s): ${WARMUP}s + ${DURATION}s"
        f="$work/runs/$policy~$n~$arm~$l~$r.json"
        t0=$(date +%s.%N) c0=$(cpu_ticks "${rpids[@]}")
        load "$label-$l" "$f" --targets "$(csv "${front_ports[@]}")" --engines "$(csv "${engine_ports[@]}")" \
          --rate "$rate" --warmup "$WARMUP" --duration "$DURATION" --seed $((SEED * 1000 + r * 10 + li))
        # The routers' CPU over the whole load run, in cores (all routers together).
        awk -v c="$(($(cpu_ticks "${rpids[@]}") - c0))" -v hz="$clock_tick" -v t0="$t0" -v t1="$(date +%s.%N)" \
          'BEGIN { printf "%.3f\n", c / hz / (t1 - t0) }' >"$f.cpu"
        log "  $(summary "$f"), routers' CPU $(cat "$f.cpu") cores"
        engines_drained "${engine_ports[@]}"
      done
      stop_routers "$label"
    done
  done
  log "repeat $r done after $(($(date +%s) - started)) s"
done

# --- slow engine -------------------------------------------------------------------------------
if ((SLOW)); then
  slow_urls=("${engine_urls[@]:0:ENGINES-1}" "http://127.0.0.1:$slow_port")
  slow_ports=("${engine_ports[@]:0:ENGINES-1}" "$slow_port")
  slow_rate=$(awk -v p="$per_engine" -v s="$slow_capacity" -v n="$ENGINES" -v l="$SLOW_LOAD" 'BEGIN { printf "%.2f", l * (p * (n - 1) + s) }')
  for r in $(seq 1 "$SLOW_REPEATS"); do
    for arm in on off; do
      label="slow-$arm-r$r"
      start_routers "$label" "$SLOW_ROUTERS" "$SLOW_POLICY" "$arm" "${slow_urls[@]}"
      log "slow engine, repeat $r/$SLOW_REPEATS, $SLOW_ROUTERS routers, $SLOW_POLICY, sharing $arm ($slow_rate req/s): ${WARMUP}s + ${SLOW_DURATION}s"
      f="$work/runs/slow~$arm~$r.json"
      load "$label" "$f" --targets "$(csv "${front_ports[@]}")" --engines "$(csv "${slow_ports[@]}")" \
        --rate "$slow_rate" --warmup "$WARMUP" --duration "$SLOW_DURATION" --seed $((SEED * 1000 + r * 10 + 9))
      log "  $(summary "$f")"
      engines_drained "${slow_ports[@]}"
      stop_routers "$label"
    done
  done
fi
log "all runs done after $(($(date +%s) - started)) s"

# --- report ------------------------------------------------------------------------------------
export ENGINE_FLAGS SLOW_FLAGS MAX_RUNNING PROMPT_WORDS MAX_TOKENS ENGINES
export SLOW_SETUP="$SLOW_ROUTERS routers, $SLOW_POLICY, ${WARMUP} s + ${SLOW_DURATION} s each"
tables=$(python3 - "$work" "$REPEATS" "$capacity" "$measured" "${CAPACITY:-}" "$per_engine" "$slow_capacity" \
  "$slow_port" "$SLOW" "$SLOW_LOAD" "$LOADS" "$(printf '%s\n' "${configs[@]}" | paste -sd' ')" "$POLICIES" \
  "$SLOW_REPEATS" <<'PY'
import json, os, statistics, sys
(work, repeats, capacity, measured, given, per_engine, slow_cap, slow_port, slow, slow_load, loads, configs,
 policies, slow_repeats) = sys.argv[1:15]
repeats, capacity, slow, slow_repeats = int(repeats), float(capacity), slow == "1", int(slow_repeats)
loads, configs, policies = loads.split(), [c.split(":") for c in configs.split()], policies.split()
E = int(os.environ["ENGINES"])

def load_run(*key):
    path = f"{work}/runs/{'~'.join(str(k) for k in key)}.json"
    if not os.path.exists(path):
        return None
    d = json.load(open(path))
    d["router_cpu"] = float(open(path + ".cpu").read()) if os.path.exists(path + ".cpu") else None
    return d

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def fmt(v, f="%.3f"):
    return "-" if v is None else f % v

def ms(v):
    return fmt(v if v is None else v * 1000, "%.0f")

def flag(flags, name, default):
    words = flags.split()
    return float(words[words.index(name) + 1]) if name in words[:-1] else default

def model_rate(flags):
    """Requests per second of one engine by the scheduler model (docs/mock-engine.md), full batches:
    per request one prefill step (prompt / prefill-tps, it also decodes the batch) and
    max_tokens / max_running - 1 decode steps of base + per-request x batch ms."""
    m = flag(flags, "--max-running", float(os.environ["MAX_RUNNING"]))
    tps, base, per = flag(flags, "--prefill-tps", 8000), flag(flags, "--decode-base-ms", 6.0), flag(flags, "--decode-per-req-ms", 0.35)
    p, t = float(os.environ["PROMPT_WORDS"]), float(os.environ["MAX_TOKENS"])
    step = (base + per * m) / 1000
    return 1 / (max(p / tps, step) + max(t / m - 1, 0) * step)

model = E * model_rate(os.environ["ENGINE_FLAGS"])
if given:
    print("Capacity: **%.1f req/s** (CAPACITY, given)%s; the engine model gives %.1f req/s." % (
        capacity, "" if measured == "-" else ", measured %.1f" % float(measured), model))
else:
    print("Capacity of the %d engines, measured at the start of this run: **%.1f req/s**, with %d streams per engine sent "
          "straight to the engines (closed loop, no router) and counting the streams completed per second; the engine "
          "model (full batches, one prefill step per request) gives %.1f req/s (measured / model %.2f)." % (
              E, capacity, 2 * int(os.environ["MAX_RUNNING"]), model, capacity / model))
print()
name = {"one": "1 router", "on": "%s routers, sharing on", "off": "%s routers, sharing off"}

def label(n, arm):
    return name[arm] if arm == "one" else name[arm] % n

print("Medians over %d run(s); TTFT and e2e in ms:" % repeats)
print()
print("| policy | load | configuration | offered req/s | done req/s | TTFT p50 | TTFT p99 | e2e p50 | e2e p99 | imbalance | routers' CPU | errors |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for policy in policies:
    for l in loads:
        for n, arm in configs:
            runs = [d for d in (load_run(policy, n, arm, l, r) for r in range(1, repeats + 1)) if d]
            if not runs:
                continue
            print("| %s | %.0f%% | %s | %.1f | %.1f | %s | **%s** | %s | %s | **%s** | %s | %d |" % (
                policy, float(l) * 100, label(n, arm), runs[0]["offered_rate"], med([d["throughput"] for d in runs]),
                ms(med([d["ttft_p50"] for d in runs])), ms(med([d["ttft_p99"] for d in runs])),
                ms(med([d["e2e_p50"] for d in runs])), ms(med([d["e2e_p99"] for d in runs])),
                fmt(med([d["imbalance"] for d in runs])), fmt(med([d["router_cpu"] for d in runs]), "%.2f"),
                sum(d["errors"] for d in runs)))
print()
multi = [(n, arm) for n, arm in configs if arm != "one"]
if multi and any(arm == "one" for _, arm in configs):
    print("Against 1 router, run by run (the same arrivals, prompts and load; median, then each run). "
          "Goal at 95%: sharing on within 1.1x on both.")
    print()
    print("| policy | load | configuration | TTFT p99 ÷ 1 router | runs | imbalance ÷ 1 router | runs | within 1.1x |")
    print("|---|---:|---|---:|---|---:|---|---|")
    for policy in policies:
        for l in loads:
            for n, arm in multi:
                pairs = [(load_run(policy, n, arm, l, r), load_run(policy, "1", "one", l, r)) for r in range(1, repeats + 1)]
                pairs = [(a, b) for a, b in pairs if a and b]
                if not pairs:
                    continue
                def ratios(key):
                    return [a[key] / b[key] if a[key] and b[key] else None for a, b in pairs]
                t, i = ratios("ttft_p99"), ratios("imbalance")
                mt, mi = med(t), med(i)
                within = "-" if mt is None or mi is None else ("yes" if mt <= 1.1 and mi <= 1.1 else "no")
                print("| %s | %.0f%% | %s | **%s** | %s | **%s** | %s | %s |" % (
                    policy, float(l) * 100, label(n, arm), fmt(mt, "%.2f"), ", ".join(fmt(x, "%.2f") for x in t),
                    fmt(mi, "%.2f"), ", ".join(fmt(x, "%.2f") for x in i), within))
    print()

if slow:
    per_engine, slow_cap = float(per_engine), float(slow_cap)
    runs = {arm: [d for d in (load_run("slow", arm, r) for r in range(1, slow_repeats + 1)) if d] for arm in ("on", "off")}
    any_run = next((d for arm in runs for d in runs[arm]), None)
    if any_run:
        slow_name = f"mock-{slow_port}"
        caps = [per_engine] * (E - 1) + [slow_cap]
        total_cap = sum(caps)
        workers = sorted({w for arm in runs for d in runs[arm] for w in d["per_worker"]}, key=lambda w: (w == slow_name, w))
        print("Slow engine: %d engines behind the routers, one of them started with `%s`: it served %.1f req/s in the "
              "capacity run against %.1f for each of the others, so %.0f%% of these engines' capacity. %s req/s offered "
              "(%.0f%% of their capacity). Share of each router's requests that each engine served, pooled over %d run(s) "
              "(%s):" % (E, os.environ["SLOW_FLAGS"], slow_cap, per_engine, 100 * slow_cap / total_cap,
                         fmt(any_run["offered_rate"], "%.1f"), float(slow_load) * 100, slow_repeats,
                         os.environ["SLOW_SETUP"]))
        print()
        print("| sharing | front | requests | %s | slow share ÷ capacity share |" % " | ".join(
            ("**slow** " if w == slow_name else "") + w for w in workers))
        print("|---|---|---:|%s---:|" % ("---:|" * len(workers)))
        print("| | capacity share | | %s | |" % " | ".join("%.3f" % (c / total_cap) for c in caps))
        for arm in ("on", "off"):
            if not runs[arm]:
                continue
            fronts = sorted({f for d in runs[arm] for f in d["per_front_worker"]}, key=int)
            rows = [("router %d" % (int(f) + 1), [d["per_front_worker"].get(f, {}) for d in runs[arm]]) for f in fronts]
            rows.append(("**all**", [d["per_worker"] for d in runs[arm]]))
            for front, counts in rows:
                pooled = {w: sum(c.get(w, 0) for c in counts) for w in workers}
                n = sum(pooled.values())
                share = {w: pooled[w] / n if n else None for w in workers}
                rel = share[slow_name] / (slow_cap / total_cap) if n and slow_name in share else None
                print("| %s | %s | %d | %s | %s |" % (arm, front, n, " | ".join(fmt(share[w]) for w in workers), fmt(rel, "%.2f")))
        print()
        print("| sharing | TTFT p50 | TTFT p99 | e2e p99 | done req/s | errors |")
        print("|---|---:|---:|---:|---:|---:|")
        for arm in ("on", "off"):
            if runs[arm]:
                rs = runs[arm]
                print("| %s | %s | %s | %s | %.1f | %d |" % (arm, ms(med([d["ttft_p50"] for d in rs])), ms(med([d["ttft_p99"] for d in rs])),
                      ms(med([d["e2e_p99"] for d in rs])), med([d["throughput"] for d in rs]), sum(d["errors"] for d in rs)))
        print()

# Every run, for the record (not copied into docs/benchmarks.md).
print("@@RUNS@@")
print("| policy | load | configuration | run | offered | sent | done req/s | TTFT p50 | TTFT p99 | e2e p99 | imbalance | samples | routers' CPU | client lag p99 | errors |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for policy in policies:
    for l in loads:
        for n, arm in configs:
            for r in range(1, repeats + 1):
                d = load_run(policy, n, arm, l, r)
                if d:
                    kinds = ", ".join("%s: %d" % kv for kv in sorted(d["error_kinds"].items()))
                    print("| %s | %.0f%% | %s | %d | %.1f | %.1f | %.1f | %s | %s | %s | %s | %d | %s | %s | %d%s |" % (
                        policy, float(l) * 100, label(n, arm), r, d["offered_rate"], d["sent_rate"], d["throughput"], ms(d["ttft_p50"]),
                        ms(d["ttft_p99"]), ms(d["e2e_p99"]), fmt(d["imbalance"]), d["samples_used"],
                        fmt(d["router_cpu"], "%.2f"), ms(d["client_lag_p99"]), d["errors"], " (%s)" % kinds if kinds else ""))
PY
)
results=${tables%%@@RUNS@@*}
per_run=${tables#*@@RUNS@@}
java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
commit=$(bench_commit)
report=$(
  cat <<MD
# Load sharing across routers (\`scripts/bench/load-sharing.sh\`)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs (load average over 1, 5, 15 min: $load_at_start at the start, $(bench_load) at the end), $java_version, commit $commit.
$ENGINES realistic mock engines (\`--max-running $MAX_RUNNING $ENGINE_FLAGS\`); Poisson arrivals of streamed chat completions,
random $PROMPT_WORDS-word prompts, \`max_tokens\` $MAX_TOKENS, each request sent to a router picked at random; ${WARMUP} s warm-up, ${DURATION} s measured
per run; $REPEATS interleaved repeat(s). Router flags: sharing on \`--enable-mesh ${SHARING_ON_FLAGS}\`, sharing off
\`--enable-mesh ${SHARING_OFF_FLAGS}\`, 1 router (no mesh) \`${ONE_ROUTER_FLAGS:-defaults}\`.

## Results

$results
- *Offered*: Poisson arrivals given their count, so exactly that many per second are sent in the
  measured window (*sent*, in the runs below); *done* can differ by what was queued at its edges.
- *TTFT*: from the request's scheduled (Poisson) arrival to the first SSE event with content; *e2e* to
  \`[DONE]\`. *done req/s*: streams completed within the measured window per second.
- *Imbalance*: every 100 ms the client reads each engine's \`/v1/loads\` (running + waiting requests);
  per sample max / mean across the engines (samples with nothing anywhere skipped), averaged over the window.
- *Routers' CPU*: CPU time of all the routers during the load run over its wall time, in cores (the
  machine has $(nproc)): the routers, the engines and the client share these CPUs, so latency can grow
  with it whatever the routing.
- Each configuration runs its loads in the order listed on freshly started routers: the first
  load's warm-up also warms the routers' JIT (their CPU figure includes it).
- Ratios are taken run by run against the 1-router run of the same repeat, load and seed, then the median.

## Runs
$per_run
MD
)
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$report" >"$out"
  log "report written to $out"
fi
printf '%s\n' "$report"
ok=1
