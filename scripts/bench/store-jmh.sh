#!/usr/bin/env bash
# JMH benchmark of the replicated store's publish path (mesh module): apply a one-key delta (a
# peer's, or a local write) to a namespace of 1,000 / 10,000 / 100,000 keys and publish the new
# snapshot, through ReplicatedStore's real merge + publish on a loop the benchmark thread drives.
# Writes docs/bench/store-jmh.md (and docs/bench/data/store-jmh.csv).
# Settings: FORKS (2), WARMUP (3 iterations of 2 s), ITERATIONS (3 of 2 s), BENCH (a JMH regex).
# Run it as `smg-locked scripts/bench/store-jmh.sh` where builds share a lock; it builds with the
# Maven wrapper (test-compile only: nothing is installed into ~/.m2).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
export JAVA_HOME=${JAVA_HOME_OVERRIDE:-$(scripts/find-jdk)}
FORKS=${FORKS:-2} WARMUP=${WARMUP:-3} ITERATIONS=${ITERATIONS:-3}
BENCH=${BENCH:-dev.smg.mesh.store.bench.StorePublishBench}
OUT=${OUT:-$repo/docs/bench/store-jmh.md}
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--out FILE]" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The reactor resolves proto from its target/classes: no install needed. Each module writes its own
# classpath file (relative to the module); mesh's is the one used.
./mvnw -q -B -ntp -pl mesh -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/jmh-classpath.txt >&2
cp="mesh/target/test-classes:mesh/target/classes:$(cat mesh/target/jmh-classpath.txt)"

"$JAVA_HOME/bin/java" -cp "$cp" org.openjdk.jmh.Main "$BENCH" \
  -f "$FORKS" -wi "$WARMUP" -w 2s -i "$ITERATIONS" -r 2s -rf json -rff "$work/jmh.json" >&2

mkdir -p "$(dirname "$OUT")/data"
table=$(python3 - "$work/jmh.json" "$(dirname "$OUT")/data/store-jmh.csv" "$FORKS" "$WARMUP" "$ITERATIONS" "$(nproc)" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
csv = open(sys.argv[2], "w")
csv.write("# JMH sample mode, ns per operation, by scripts/bench/store-jmh.sh.\n"
          "# title: one-key delta into a namespace, merged and published; JMH %s fork(s), %s x 2 s warm-up, %s x 2 s; %s CPUs\n"
          "benchmark,keys,p50_ns,p99_ns,mean_ns\n" % tuple(sys.argv[3:7]))
print("| benchmark | keys | p50 (ns/op) | p99 (ns/op) | mean (ns/op) |")
print("|---|---:|---:|---:|---:|")
for r in rows:
    name = r["benchmark"].split(".")[-1]
    keys = r["params"]["keys"]
    m = r["primaryMetric"]
    pct = m.get("scorePercentiles", {})
    p50, p99 = pct.get("50.0", float("nan")), pct.get("99.0", float("nan"))
    print(f"| {name} | {int(keys):,} | {p50:,.0f} | {p99:,.0f} | {m['score']:,.0f} |")
    csv.write(f"{name},{keys},{p50:.0f},{p99:.0f},{m['score']:.0f}\n")
csv.close()
PY
)
report=$(cat <<MD
# Replicated store: publish cost (JMH)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench/store-jmh.sh\` on $(nproc) CPUs, $(uname -r),
$("$JAVA_HOME/bin/java" -version 2>&1 | head -1), commit $(git describe --always --dirty). JMH sample mode,
$FORKS fork(s), $WARMUP x 2 s warm-up, $ITERATIONS x 2 s measurement. One operation: offer a one-key delta
to the store, run the mesh loop's batch (merge, then publish a new immutable snapshot with one
volatile write), read the snapshot. "remoteDelta" is a peer's delta (a fresh dot replacing the key's
previous one); "localWrite" is a local G-Counter increment.

## Results

$table
MD
)
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "$report" > "$OUT"
printf '%s\n' "$report"
