#!/usr/bin/env bash
# How fast replicated state spreads through the mesh.
#
# Part 1, three routers as separate processes (`smg --enable-mesh` on loopback, every router a seed
# of the others, health checks off so that fake workers stay registered): UPDATES updates applied
# on node1, one every SPACING_MS, of each kind in KINDS:
#   workers     POST /workers of a new (fake, unreachable) worker URL
#   rate-limit  POST /ha/rate-limit with a new limit
# Reported: the routers' own router_mesh_convergence_ms histogram (origin-to-arrival, stamped with
# wall clocks, which agree on one host; buckets 1, 2, 5, 10, 25, 50, 100 ... ms, so percentiles are
# bucket ranges), the cross-check "visible at every node" measured by a client polling node2 and
# node3 as fast as it can after each update (scripts/bench/convergence-probe.py; includes the POST
# itself and, for rate-limit, the routers' 100 ms re-read of the limit), and bytes of replicated
# state per update from router_mesh_bytes_total minus anti-entropy digests and repairs
# (router_mesh_sync_bytes_total), protobuf payload without gRPC/HTTP/2 framing.
#
# Part 2, N nodes in one JVM (ConvergenceBench, in mesh's test sources: mesh/src/test/.../sim; run from
# mesh's test classpath, which the script compiles with the Maven wrapper, see bench_mesh_java in
# common.sh): real MeshNodes over gRPC on 127.0.0.1 at each size in JVM_NODES; JVM_UPDATES writes at one node,
# each timed until every other node's store published it (one clock, no wall-clock stamps); then
# the catch-up of a node joining a cluster whose store holds JOINER_ENTRIES worker-like entries.
#
# Usage:  scripts/bench/convergence.sh [--out FILE]
#         UPDATES=20 JVM_NODES=3,10 JVM_UPDATES=30 JOINER_ENTRIES=1000 scripts/bench/convergence.sh  # quick
# Prints the Markdown report on stdout and, with --out FILE, writes it to FILE too; progress on stderr.
#
# Settings (environment):
#   SMG_JAR         jar to benchmark [<repo>/smg.jar; built with `make build` only when missing]
#   UPDATES         updates per kind in part 1 [100]
#   SPACING_MS      time between two updates in part 1 [50]
#   KINDS           kinds of update in part 1 ["workers rate-limit"]
#   JVM_NODES       cluster sizes of part 2, comma-separated [3,10,50]
#   JVM_UPDATES     writes per size in part 2 [200]
#   JVM_SPACING_MS  time between two writes in part 2 [20]
#   JOINER_ENTRIES  entries in the store a joiner catches up with in part 2 (0: skip) [10000]
#   MEMBERSHIP      part 2's failure-detection timings: one-jvm (2 s period, 1.5 s probe timeout: the
#                   nodes share this machine's CPUs) or production (1 s, 400 ms) [one-jvm]
#   MVN             Maven command that compiles part 2's classes [<repo>/mvnw -B -ntp -q]
# Loopback only; ports are chosen free at run time; every process started is stopped on exit.
# About 2-3 minutes with the defaults.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
bench_parse_out "$@"

UPDATES=${UPDATES:-100}
SPACING_MS=${SPACING_MS:-50}
KINDS=${KINDS:-workers rate-limit}
JVM_NODES=${JVM_NODES:-3,10,50}
JVM_UPDATES=${JVM_UPDATES:-200}
JVM_SPACING_MS=${JVM_SPACING_MS:-20}
JOINER_ENTRIES=${JOINER_ENTRIES:-10000}
MEMBERSHIP=${MEMBERSHIP:-one-jvm}
for v in UPDATES SPACING_MS JVM_UPDATES JVM_SPACING_MS JOINER_ENTRIES; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
((UPDATES > 0 && JVM_UPDATES > 0)) || die "UPDATES and JVM_UPDATES must be > 0"
[[ $JVM_NODES =~ ^[0-9]{1,3}(,[0-9]{1,3})*$ ]] || die "JVM_NODES must be comma-separated numbers (got '$JVM_NODES')"
for n in ${JVM_NODES//,/ }; do ((n >= 2 && n <= 200)) || die "JVM_NODES: $n is not from 2 to 200"; done
[[ $MEMBERSHIP == one-jvm || $MEMBERSHIP == production ]] || die "MEMBERSHIP must be one-jvm or production (got '$MEMBERSHIP')"
read -r -a kinds <<<"$KINDS"
for k in "${kinds[@]}"; do [[ $k == workers || $k == rate-limit ]] || die "KINDS: '$k' is not workers or rate-limit"; done
bench_need python3:python3 curl:curl

work=$(mktemp -d /tmp/smg-convergence-bench.XXXXXX)
bench_processes
load_at_start=$(bench_load)
bench_prepare_jar
bench_mesh_java # before part 1, so that a compile error shows before minutes of measuring

# --- part 1: three router processes ------------------------------------------------------------
bench_router_ports 3
router_pids=()
for i in 1 2 3; do
  bench_start_router "$i" "$work/node$i.log" --disable-health-check --log-level warn
  router_pids[i]=$spawned
done
for i in 1 2 3; do
  bench_wait_http "node$i" "http://127.0.0.1:${http_port[i]}/liveness" "${router_pids[i]}" "$work/node$i.log" 120
done
bench_wait_mesh 120 1 2 3
log "3 routers up and ready, each sees 3 ALIVE"

for kind in "${kinds[@]}"; do
  log "part 1: $UPDATES $kind updates on node1, one every $SPACING_MS ms"
  timeout $((UPDATES * (SPACING_MS + 5000) / 1000 + 60)) python3 "$here/convergence-probe.py" \
    --origin "${http_port[1]}" --others "${http_port[2]},${http_port[3]}" \
    --metrics "${prom_port[1]},${prom_port[2]},${prom_port[3]}" \
    --kind "$kind" --updates "$UPDATES" --spacing-ms "$SPACING_MS" >"$work/$kind.json" 2>"$work/$kind.log" ||
    die "the $kind probe failed: $(tail -c 600 "$work/$kind.log")"
done
for i in 1 2 3; do bench_stop "${router_pids[i]}"; done # part 2 gets the CPUs to itself

# --- part 2: N nodes in one JVM ----------------------------------------------------------------
log "part 2: ConvergenceBench, nodes $JVM_NODES (each size a fresh cluster, then a joiner)"
# Args: node counts, updates, spacing ms, joiner entries, size of the cluster the joiner joins, timings.
timeout 1200 "${mesh_java[@]}" dev.smg.mesh.sim.ConvergenceBench "$JVM_NODES" "$JVM_UPDATES" \
  "$JVM_SPACING_MS" "$JOINER_ENTRIES" 3 "$MEMBERSHIP" \
  >"$work/jvm.md" 2>"$work/jvm.log" || die "ConvergenceBench failed: $(tail -c 800 "$work/jvm.log")"
grep -q 'did not form' "$work/jvm.md" && log "some cluster size did not form: $(grep 'did not all' "$work/jvm.log" | cut -c1-400)"

# --- report --------------------------------------------------------------------------------------
part1=$(python3 - "$work" "${kinds[@]}" <<'PY'
import json, sys
work, kinds = sys.argv[1], sys.argv[2:]

def bucket_range(hist, q):
    """The histogram bucket holding the q-quantile, as 'lower-upper ms'."""
    bounds = sorted(((float(le), c) for le, c in hist.items()), key=lambda x: x[0])
    total = bounds[-1][1] if bounds else 0
    if total <= 0:
        return "-", 0
    lower = 0.0
    for upper, count in bounds:
        if count >= q * total:
            up = "inf" if upper == float("inf") else "%g" % upper
            return "%g-%s ms" % (lower, up), int(total)
        lower = upper
    return "-", int(total)

def ms(v):
    return "-" if v is None else "%.1f ms" % v

print("| update kind | updates | arrivals in the routers' histogram | histogram p50 | histogram p99 "
      "| polled: visible at every node p50 | p99 | max | replicated bytes per update (all peers) | per peer |")
print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|")
for kind in kinds:
    d = json.load(open(f"{work}/{kind}.json"))
    p50, total = bucket_range(d["histogram"], 0.50)
    p99, _ = bucket_range(d["histogram"], 0.99)
    pushed = (d["bytes_sent"] - d["sync_bytes_sent"]) / d["updates"]
    missed = " (%d never seen everywhere within 5 s)" % d["missed"] if d["missed"] else ""
    print("| %s | %d%s | %d | %s | %s | %s | %s | %s | %.0f | %.0f |" % (
        kind, d["updates"], missed, total, p50, p99, ms(d["every_p50_ms"]), ms(d["every_p99_ms"]),
        ms(d["every_max_ms"]), pushed, pushed / 2))
PY
)
# With --out, part 1's raw figures also go next to the report, for scripts/bench/charts.sh: every
# update's polled time (the table has only p50/p99/max) and the routers' histogram as cumulative
# fractions at its bucket bounds.
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")/data"
  python3 - "$work" "$(dirname "$out")/data" "$UPDATES" "$SPACING_MS" "${kinds[@]}" <<'PY'
import json, sys
work, data, updates, spacing, kinds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
title = "# title: 3 router processes on loopback, %s updates of each kind at node1, one every %s ms\n" % (updates, spacing)
with open(f"{data}/convergence.csv", "w") as polled, open(f"{data}/convergence-histogram.csv", "w") as hist:
    polled.write("# Per update: ms from the POST at node1 until node2 and node3 both showed it, as\n"
                 "# scripts/bench/convergence-probe.py polled them (empty: not within 5 s).\n"
                 + title + "kind,update,visible_at_every_node_ms\n")
    hist.write("# router_mesh_convergence_ms summed over the routers: arrivals within le_ms, cumulative.\n"
               + title + "kind,le_ms,arrivals,fraction\n")
    for kind in kinds:
        d = json.load(open(f"{work}/{kind}.json"))
        for i, ms in enumerate(d["every_ms"]):
            polled.write("%s,%d,%s\n" % (kind, i, "" if ms is None else "%.2f" % ms))
        buckets = sorted((float(le), c) for le, c in d["histogram"].items())
        total = buckets[-1][1] if buckets else 0
        for le, count in buckets:
            if le != float("inf") and total > 0:
                hist.write("%s,%g,%d,%.4f\n" % (kind, le, count, count / total))
PY
  part1+=$'\n\n''![Cumulative distribution of the time until an update is visible at every router, polled, and of the arrival histogram kept by the routers](img/convergence.png)'
fi
java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
commit=$(bench_commit)
report=$(
  cat <<MD
# Replication convergence (\`scripts/bench/convergence.sh\`)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs (load average over 1, 5, 15 min: $load_at_start at the start, $(bench_load) at the end), $java_version, commit $commit.

## Results

**Three router processes** on loopback; $UPDATES updates of each kind on node1, one every $SPACING_MS ms:

$part1

- *Histogram*: \`router_mesh_convergence_ms\` summed over the three routers (every replicated batch
  that arrived during the run; a batch's origin stamp is the sender's wall clock, ms resolution).
- *Polled*: time from sending the update to node1 until both node2 and node3 answer with it, one
  client polling them in turn (each poll costs about a millisecond, so this is an upper bound).
  For rate-limit it includes the routers' re-read of the limit every 100 ms.
- *Bytes*: \`router_mesh_bytes_total{direction="sent"}\` minus \`router_mesh_sync_bytes_total\`
  (anti-entropy digests and repairs) over all routers, per update; protobuf payload only.

**N mesh nodes in one JVM** (\`ConvergenceBench\`, from mesh's test classes), real gRPC over 127.0.0.1:

$(cat "$work/jvm.md")
MD
)
if [[ -n $out ]]; then
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$report" >"$out"
  log "report written to $out"
fi
printf '%s\n' "$report"
ok=1
