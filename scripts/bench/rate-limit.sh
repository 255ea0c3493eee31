#!/usr/bin/env bash
# Cluster rate limit: three routers (`--enable-mesh --cluster-rate-limit
# --rate-limit-tokens-per-second LIMIT`) in front of two canned mock workers that answer at once.
# An open-loop client (scripts/bench/rate-limit-load.py) offers RATE_FACTOR x LIMIT requests per
# second split SPLIT (percent per router, e.g. 70/20/10), evenly spaced per router:
#   warm-up   WARMUP s at SPLIT (not counted)
#   steady    DURATION s at SPLIT: cluster admitted rate vs LIMIT, busiest one-second window vs
#             LIMIT (sliding in 50 ms steps), each router's share of what was admitted
#   switched  SWITCH_DURATION s at SWITCH_SPLIT (e.g. 10/20/70): how long until every router's own
#             share (GET /ha/rate-limit/stats, polled every 50 ms) is within 0.05 of the new
#             split, how often it stays there, and the admitted shares the client saw in the first
#             second after the switch and after it
# "Admitted" is a 200, "limited" a 429, both counted by the client per second of sending; the routers'
# own smg_http_rate_limit_total{result="allowed"} is shown as a cross-check.
# Reference, with SOLO=1: one router without the mesh and the plain local limit
# (`--rate-limit-tokens-per-second LIMIT`, a token bucket holding one second of tokens) takes the
# same total load, steady phase only, right after each cluster run (interleaved).
# REPEATS runs on the same processes, IDLE s apart (each starts from idle routers), medians reported.
#
# Usage:  scripts/bench/rate-limit.sh [--out FILE]
#         WARMUP=1 DURATION=4 SWITCH_DURATION=3 REPEATS=1 scripts/bench/rate-limit.sh     # quick check
# Prints the Markdown report on stdout and, with --out FILE, writes it to FILE too; progress on stderr.
#
# Settings (environment):
#   SMG_JAR          jar to benchmark [<repo>/smg.jar; built with `make build` only when missing]
#   LIMIT            cluster limit, requests per second [100]. At 200 (400 offered) this 2-CPU machine,
#                    shared with other work, was saturated: three router JVMs, the mock and the Python
#                    client could not keep up (p99 latency in seconds, client connection cap reached),
#                    and the figures measured the CPUs rather than the limiter.
#   RATE_FACTOR      offered load as a multiple of LIMIT [2]
#   SPLIT            percent of the load per router, steady phase [70,20,10]
#   SWITCH_SPLIT     percent per router after the switch [10,20,70]
#   WARMUP, DURATION, SWITCH_DURATION   phase lengths in seconds [3, 20, 10]
#   REPEATS          runs [3]
#   IDLE             seconds without load between runs [5]
#   SOLO             1: also run the single-router reference [1]
# Loopback only; ports are chosen free at run time; every process started is stopped on exit.
# About 4 minutes with the defaults.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
bench_parse_out "$@"

LIMIT=${LIMIT:-100}
RATE_FACTOR=${RATE_FACTOR:-2}
SPLIT=${SPLIT:-70,20,10}
SWITCH_SPLIT=${SWITCH_SPLIT:-10,20,70}
WARMUP=${WARMUP:-3}
DURATION=${DURATION:-20}
SWITCH_DURATION=${SWITCH_DURATION:-10}
REPEATS=${REPEATS:-3}
IDLE=${IDLE:-5}
SOLO=${SOLO:-1}
for v in LIMIT WARMUP DURATION SWITCH_DURATION REPEATS IDLE SOLO; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
[[ $RATE_FACTOR =~ ^[0-9]+([.][0-9]+)?$ ]] || die "RATE_FACTOR must be a number (got '$RATE_FACTOR')"
((LIMIT > 0 && DURATION > 0 && REPEATS > 0)) || die "LIMIT, DURATION and REPEATS must be > 0"
for v in SPLIT SWITCH_SPLIT; do
  [[ ${!v} =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] || die "$v must be three percentages, e.g. 70,20,10 (got '${!v}')"
  (($(tr ',' '+' <<<"${!v}") == 100)) || die "$v must add up to 100 (got '${!v}')"
done
bench_need python3:python3 curl:curl
rate=$(awk -v l="$LIMIT" -v f="$RATE_FACTOR" 'BEGIN { printf "%g", l * f }')

work=$(mktemp -d /tmp/smg-rate-limit-bench.XXXXXX)
bench_processes
load_at_start=$(bench_load)
bench_prepare_jar

# --- mock workers and three routers ------------------------------------------------------------
bench_free_port 2
worker_base=$port
bench_spawn "$work/workers.log" "${smg[@]}" mock-worker --host 127.0.0.1 --port "$worker_base" --count 2 --gen-ms 0
workers_pid=$spawned
for p in "$worker_base" $((worker_base + 1)); do
  bench_wait_http "mock worker :$p" "http://127.0.0.1:$p/health" "$workers_pid" "$work/workers.log"
done
bench_router_ports 3
router_pids=()
for i in 1 2 3; do
  bench_start_router "$i" "$work/node$i.log" --worker-urls "http://127.0.0.1:$worker_base" \
    "http://127.0.0.1:$((worker_base + 1))" --policy round_robin --cluster-rate-limit \
    --rate-limit-tokens-per-second "$LIMIT" --log-level warn
  router_pids[i]=$spawned
done
for i in 1 2 3; do
  bench_wait_http "node$i" "http://127.0.0.1:${http_port[i]}/readiness" "${router_pids[i]}" "$work/node$i.log" 120
done
bench_wait_mesh 120 1 2 3
for i in 1 2 3; do
  limit_seen=$(curl -fsS --max-time 2 "http://127.0.0.1:${http_port[i]}/ha/rate-limit" || true)
  [[ $limit_seen == *'"limit_per_second"'* ]] || die "node$i has no cluster rate limit: $limit_seen"
done
log "3 routers ready with a cluster limit of $LIMIT req/s; offering $rate req/s"
if ((SOLO)); then
  bench_free_port; solo_port=$port
  bench_free_port; solo_prom=$port
  bench_spawn "$work/solo.log" "${smg[@]}" --host 127.0.0.1 --port "$solo_port" --prometheus-host 127.0.0.1 \
    --prometheus-port "$solo_prom" --worker-urls "http://127.0.0.1:$worker_base" "http://127.0.0.1:$((worker_base + 1))" \
    --policy round_robin --rate-limit-tokens-per-second "$LIMIT" --log-level warn
  solo_pid=$spawned
  bench_wait_http "solo router" "http://127.0.0.1:$solo_port/readiness" "$solo_pid" "$work/solo.log" 120
fi

# --- runs --------------------------------------------------------------------------------------
for r in $(seq 1 "$REPEATS"); do
  ((r == 1)) || sleep "$IDLE"
  log "run $r/$REPEATS: ${WARMUP}s warm-up + ${DURATION}s at $SPLIT + ${SWITCH_DURATION}s at $SWITCH_SPLIT"
  timeout $((WARMUP + DURATION + SWITCH_DURATION + 90)) python3 "$here/rate-limit-load.py" \
    --ports "${http_port[1]},${http_port[2]},${http_port[3]}" \
    --metrics "${prom_port[1]},${prom_port[2]},${prom_port[3]}" --rate "$rate" --split "$SPLIT" \
    --switch-split "$SWITCH_SPLIT" --warmup "$WARMUP" --duration "$DURATION" \
    --switch-duration "$SWITCH_DURATION" >"$work/run$r.json" 2>"$work/run$r.log" ||
    die "load generator failed in run $r: $(tail -c 600 "$work/run$r.log")"
  for i in 1 2 3; do kill -0 "${router_pids[i]}" 2>/dev/null || die "node$i exited during run $r; see $work/node$i.log"; done
  ((SOLO)) || continue
  sleep "$IDLE"
  log "run $r/$REPEATS, reference: one router with a local limit, ${WARMUP}s warm-up + ${DURATION}s"
  timeout $((WARMUP + DURATION + 90)) python3 "$here/rate-limit-load.py" --ports "$solo_port" --metrics "$solo_prom" \
    --rate "$rate" --split 100 --switch-split 100 --warmup "$WARMUP" --duration "$DURATION" --switch-duration 0 \
    >"$work/solo$r.json" 2>"$work/solo$r.log" || die "load generator failed in reference run $r: $(tail -c 600 "$work/solo$r.log")"
done

# --- report ------------------------------------------------------------------------------------
tables=$(python3 - "$work" "$REPEATS" "$LIMIT" <<'PY'
import json, os, statistics, sys
work, repeats, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
runs = [json.load(open(f"{work}/run{r}.json")) for r in range(1, repeats + 1)]

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def fmt(v, f="%.1f"):
    return "-" if v is None else f % v

def shares_text(values):
    return "-" if values is None or None in values else " / ".join("%.3f" % x for x in values)

def errors(phase):
    other = phase["other"]
    return ", ".join("%s: %d" % kv for kv in sorted(other.items())) or "0"

print("| run | offered req/s | admitted req/s | admitted / L | busiest 1 s window | busiest / L "
      "| admitted shares (target %s) | routers' own count / client's | shares on target after the switch "
      "| rounds on target from then on | admitted shares in the 1st s after the switch | then | errors |" % (
          "/".join("%.0f" % (s * 100) for s in runs[0]["split"])))
print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|---|")
rows = []
for i, d in enumerate(runs, 1):
    s = d["phases"]["steady"]
    own = sum(d["router_admitted_total"]) / d["client_admitted_total"] if d["client_admitted_total"] else None
    row = {
        "offered": s["offered"] / s["seconds"], "admitted": s["admitted_rate"], "ratio": s["admitted_rate"] / limit,
        "busiest": s["max_1s_window"], "busiest_ratio": s["max_1s_window"] / limit,
        "shares": s["per_router_share"], "own": own,
        "settle": d.get("share_settle_s"), "on": d.get("share_on_target_after"),
        "first": d.get("shares_first_second"), "after": d.get("shares_after"),
    }
    rows.append(row)
    print("| %d | %.1f | %.1f | %.3f | %d | %.3f | %s | %s | %s | %s | %s | %s | %s |" % (
        i, row["offered"], row["admitted"], row["ratio"], row["busiest"], row["busiest_ratio"],
        shares_text(row["shares"]), fmt(row["own"], "%.3f"), fmt(row["settle"], "%.2f s"),
        fmt(row["on"] and row["on"] * 100, "%.0f%%"), shares_text(row["first"]), shares_text(row["after"]), errors(s)))
def med_shares(key):
    if any(r[key] is None or None in r[key] for r in rows):
        return None
    return [med([r[key][k] for r in rows]) for k in range(len(rows[0][key]))]
print("| **median** | %.1f | **%.1f** | **%.3f** | %d | **%.3f** | %s | %s | **%s** | %s | %s | %s | |" % (
    med([r["offered"] for r in rows]), med([r["admitted"] for r in rows]), med([r["ratio"] for r in rows]),
    med([r["busiest"] for r in rows]), med([r["busiest_ratio"] for r in rows]),
    shares_text(med_shares("shares")), fmt(med([r["own"] for r in rows]), "%.3f"),
    fmt(med([r["settle"] for r in rows]), "%.2f s"), fmt(med([r["on"] and r["on"] * 100 for r in rows]), "%.0f%%"),
    shares_text(med_shares("first")), shares_text(med_shares("after"))))
print()
sw = [d["phases"].get("switched") for d in runs]
if all(sw):
    print("After the switch to %s: admitted %s req/s (median; per run %s), busiest 1 s window %s, shares %s." % (
        "/".join("%.0f" % (x * 100) for x in runs[0]["switch_split"]),
        fmt(med([p["admitted_rate"] for p in sw])), ", ".join("%.1f" % p["admitted_rate"] for p in sw),
        fmt(med([p["max_1s_window"] for p in sw]), "%d"),
        " / ".join("%.3f" % med([p["per_router_share"][k] for p in sw]) for k in range(len(sw[0]["per_router_share"])))))
    print()
solos = [json.load(open(f"{work}/solo{r}.json")) for r in range(1, repeats + 1) if os.path.exists(f"{work}/solo{r}.json")]
if solos:
    print("Reference, same load on **one router with the local limit** (token bucket holding 1 s of tokens), steady phase:")
    print()
    print("| run | admitted req/s | admitted / L | busiest 1 s window | busiest / L | cluster admitted / reference admitted | errors |")
    print("|---|---:|---:|---:|---:|---:|---|")
    ratios = []
    for i, (d, row) in enumerate(zip(solos, rows), 1):
        s = d["phases"]["steady"]
        ratios.append(row["admitted"] / s["admitted_rate"] if s["admitted_rate"] else None)
        print("| %d | %.1f | %.3f | %d | %.3f | %s | %s |" % (i, s["admitted_rate"], s["admitted_rate"] / limit,
              s["max_1s_window"], s["max_1s_window"] / limit, fmt(ratios[-1], "%.3f"), errors(s)))
    st = [d["phases"]["steady"] for d in solos]
    print("| **median** | %.1f | %.3f | %d | %.3f | **%s** | |" % (med([x["admitted_rate"] for x in st]),
          med([x["admitted_rate"] / limit for x in st]), med([x["max_1s_window"] for x in st]),
          med([x["max_1s_window"] / limit for x in st]), fmt(med(ratios), "%.3f")))
    print()
print("Admitted per second of sending, whole run (warm-up, steady, switched), run by run:")
print()
for i, d in enumerate(runs, 1):
    lat = d["latency_ms"]
    print("- run %d: %s (client: arrival lag p99 %.1f ms; latency p50/p99 of 200s %s/%s ms, of 429s %s/%s ms; "
          "at most %d connections to one router)" % (
        i, " ".join(str(x["admitted"]) for x in d["per_second"]), d["arrival_lag_p99_ms"],
        fmt(lat.get("200", {}).get("p50")), fmt(lat.get("200", {}).get("p99")),
        fmt(lat.get("429", {}).get("p50")), fmt(lat.get("429", {}).get("p99")), d["max_open_connections"]))
PY
)
# With --out, the per-second counts also go to data/rate-limit.csv next to the report, for
# scripts/bench/charts.sh (the report lists them run by run; the chart shows them over time).
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")/data"
  python3 - "$work" "$REPEATS" "$LIMIT" "$rate" "$SPLIT" "$SWITCH_SPLIT" "$WARMUP" "$DURATION" "$SWITCH_DURATION" \
    >"$(dirname "$out")/data/rate-limit.csv" <<'PY'
import json, os, sys
work, repeats, limit, rate, split, switch_split = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
warmup, duration, switch_duration = (int(x) for x in sys.argv[7:10])
print("# Answers per second of sending, by scripts/bench/rate-limit.sh; the reference is one router, local limit.")
split, switch_split = split.replace(",", "/"), switch_split.replace(",", "/")
print("# title: 3 routers, cluster limit L = %s req/s, %s req/s offered open loop split %s for %d s%s" % (
    limit, rate, split, duration, ", then %s for %d s" % (switch_split, switch_duration) if switch_duration else ""))
print("# limit: %s\n# split: %s\n# switch_split: %s" % (limit, split, switch_split))
print("setup,run,second,phase,admitted,limited,other,admitted_router1,admitted_router2,admitted_router3")
for setup, name in (("cluster", "run"), ("reference", "solo")):
    for r in range(1, repeats + 1):
        path = f"{work}/{name}{r}.json"
        if not os.path.exists(path):
            continue
        for x in json.load(open(path))["per_second"]:
            phase = "warmup" if x["second"] < warmup else "steady" if x["second"] < warmup + duration else "switched"
            by_router = (x["admitted_by_router"] + ["", "", ""])[:3]  # the reference has one router
            print(",".join(str(v) for v in (setup, r, x["second"], phase, x["admitted"], x["limited"], x["other"],
                                            *by_router)))
PY
  tables+=$'\n\n''![Admitted requests per second, in total and per router, against the cluster limit L](img/rate-limit.png)'
fi
java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
commit=$(bench_commit)
report=$(
  cat <<MD
# Cluster rate limit (\`scripts/bench/rate-limit.sh\`)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs (load average over 1, 5, 15 min: $load_at_start at the start, $(bench_load) at the end), $java_version, commit $commit.
Three routers, cluster limit L = $LIMIT req/s, offered $rate req/s open loop split $SPLIT for ${DURATION} s
(after ${WARMUP} s of warm-up), then $SWITCH_SPLIT for ${SWITCH_DURATION} s; $REPEATS runs, medians.

## Results

$tables

- *Admitted*: answered 200 (the limiter's 429s are *limited*); counted by the client per second of
  sending. *Routers' own count*: sum of \`smg_http_rate_limit_total{result="allowed"}\` over the
  whole run divided by the client's count of 200s (1.000: they agree).
- *Busiest 1 s window*: most requests admitted in any one-second window of the steady phase,
  sliding in 50 ms steps.
- *Shares on target after the switch*: time from the switch to the first round of polls (each
  router's \`node_share\` from \`GET /ha/rate-limit/stats\`, every 50 ms) in which every router's
  share is within 0.05 of the new split; then the percentage of later rounds that were too.
  *Admitted shares* after the switch are the client's count of 200s per router, first second and rest.
MD
)
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$report" >"$out"
  log "report written to $out"
fi
printf '%s\n' "$report"
ok=1
