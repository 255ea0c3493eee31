#!/usr/bin/env bash
# JMH benchmarks of the cache-aware radix tree (router module): hash + insert, hash + match, at
# 10/50/100/4096-character prompts with 10 and 64 tenants, plus a mixed run (one routing thread
# matching while another feeds the single writer); then heap bytes per stored character.
# Writes docs/bench/tree-jmh.md. Settings: FORKS (1), WARMUP (3 iterations of 1 s), ITERATIONS (5 of 1 s).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
export JAVA_HOME=${JAVA_HOME_OVERRIDE:-$(scripts/find-jdk)}
FORKS=${FORKS:-1} WARMUP=${WARMUP:-3} ITERATIONS=${ITERATIONS:-5}
OUT=${OUT:-$repo/docs/bench/tree-jmh.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

./mvnw -q -B -ntp install -DskipTests -pl proto,mesh,router >&2
./mvnw -q -B -ntp -pl router test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$work/cp.txt" >&2
cp="router/target/test-classes:router/target/classes:$(cat "$work/cp.txt")"

"$JAVA_HOME/bin/java" -cp "$cp" org.openjdk.jmh.Main 'dev.smg.router.tree.bench.RadixTreeBench' \
  -f "$FORKS" -wi "$WARMUP" -w 1s -i "$ITERATIONS" -r 1s -rf json -rff "$work/jmh.json" >&2
footprint=$("$JAVA_HOME/bin/java" -Xmx4g -cp "$cp" dev.smg.router.tree.bench.TreeFootprint)

# The table also goes to data/tree-jmh.csv next to the report, for scripts/bench/charts.sh.
mkdir -p "$(dirname "$OUT")/data"
table=$(python3 - "$work/jmh.json" "$(dirname "$OUT")/data/tree-jmh.csv" "$FORKS" "$WARMUP" "$ITERATIONS" "$(nproc)" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
csv = open(sys.argv[2], "w")
csv.write("# JMH sample mode, ns per operation, by scripts/bench/tree-jmh.sh.\n"
          "# title: radix tree of 2,000 prompts, hash + operation; JMH %s fork(s), %s x 1 s warm-up, %s x 1 s; %s CPUs\n"
          "benchmark,chars,tenants,p50_ns,p99_ns,mean_ns\n" % tuple(sys.argv[3:7]))
print("| benchmark | prompt chars | tenants | p50 (ns/op) | p99 (ns/op) | mean (ns/op) |")
print("|---|---:|---:|---:|---:|---:|")
for r in rows:
    name = r["benchmark"].split(".")[-1]
    p = r["params"]
    m = r["primaryMetric"]
    pct = m.get("scorePercentiles", {})
    print(f"| {name} | {p['chars']} | {p['tenants']} | {pct.get('50.0', float('nan')):.0f} | {pct.get('99.0', float('nan')):.0f} | {m['score']:.0f} |")
    csv.write(f"{name},{p['chars']},{p['tenants']},{pct.get('50.0', float('nan')):.0f},{pct.get('99.0', float('nan')):.0f},{m['score']:.0f}\n")
csv.close()
PY
)
report=$(cat <<MD
# Cache-aware tree (JMH)

Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench/tree-jmh.sh\` on $(nproc) CPUs, $(uname -r),
$("$JAVA_HOME/bin/java" -version 2>&1 | head -1). JMH sample mode, $FORKS fork(s), $WARMUP x 1 s warm-up,
$ITERATIONS x 1 s measurement. Each op includes hashing the prompt into 16-character blocks. The tree holds
2,000 prompts of the given length (20 shared system prompts + unique tails) spread over the tenants.
"mixed" runs one thread matching on the published tree while another offers inserts to the single writer
(its figures are per thread: mixed:mixedMatch and mixed:mixedInsert).

$table

![Median ns per operation against prompt length, insert, match and mixed, 10 and 64 tenants](img/tree-jmh.png)

## Heap per stored character

$footprint
MD
)
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "$report" > "$OUT"
printf '%s\n' "$report"
