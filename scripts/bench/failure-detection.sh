#!/usr/bin/env bash
# Failure detection of the mesh membership protocol.
#
# Part 1 (simulated, deterministic): FailureDetectionBench (mesh's test sources, run from mesh's test
# classpath, which the script compiles with the Maven wrapper; see bench_mesh_java in common.sh) runs
# the real SWIM state machine on a simulated clock and network: time from a crash to the first
# SUSPECTED and to DOWN at every member (p50/p99) at 3, 10 and 50 members; false DOWNs during a long
# run with 10% message loss; idle membership payload per node per second. Simulated time, so the
# figures are the protocol's, not this machine's.
#
# Part 2 (real processes): three `smg --enable-mesh` JVMs on loopback; one is SIGKILLed REPEATS times
# (restarted in between) and the time until both survivors report it SUSPECTED and DOWN in
# /ha/status is measured by polling every 50 ms. Also the idle mesh traffic of one node from its
# mesh port's byte counters (ss), headers included.
#
# Usage: scripts/bench/failure-detection.sh     Settings: CRASHES (30), LOSS_MINUTES (60), REPEATS (5),
#        OUT (docs/bench/failure-detection.md), SMG_JAR (default <repo>/smg.jar, built if missing),
#        MVN (the Maven command for part 1, default <repo>/mvnw -B -ntp -q).
# Quick: CRASHES=3 LOSS_MINUTES=1 REPEATS=1 OUT=/tmp/fd.md scripts/bench/failure-detection.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/bench/common.sh
source "$here/common.sh"
CRASHES=${CRASHES:-30}
LOSS_MINUTES=${LOSS_MINUTES:-60}
REPEATS=${REPEATS:-5}
for v in CRASHES LOSS_MINUTES REPEATS; do
  [[ ${!v} =~ ^[1-9][0-9]{0,4}$ ]] || die "$v must be a whole number from 1 to 99999 (got '${!v}')"
done
OUT=${OUT:-$repo/docs/bench/failure-detection.md}
jar=${SMG_JAR:-$repo/smg.jar}
[[ -f "$jar" ]] || (cd "$repo" && make build >&2)
java_home=$("$repo/scripts/find-jdk")
java=("$java_home/bin/java" -jar "$jar")
command -v curl >/dev/null || { echo "needs curl (apt-get install -y curl)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }

run_dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$run_dir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

bench_mesh_java
log "simulated: $CRASHES crashes per size, $LOSS_MINUTES min at 10% loss"
simulated=$("${mesh_java[@]}" dev.smg.mesh.sim.FailureDetectionBench "$CRASHES" "$LOSS_MINUTES" 2>"$run_dir/simulated.log") ||
  die "the simulation failed: $(tail -c 800 "$run_dir/simulated.log")"

# ---- real processes
declare -A http mesh metrics
for n in 1 2 3; do http[$n]=$(free_port); mesh[$n]=$(free_port); metrics[$n]=$(free_port); done
start_node() { # n
  local n=$1 seeds=()
  [[ $n != 1 ]] && seeds=(--mesh-peer-urls "127.0.0.1:${mesh[1]}")
  "${java[@]}" --host 127.0.0.1 --port "${http[$n]}" --prometheus-host 127.0.0.1 --prometheus-port "${metrics[$n]}" \
    --enable-mesh --mesh-server-name "node$n" --mesh-host 127.0.0.1 --mesh-port "${mesh[$n]}" "${seeds[@]}" \
    >"$run_dir/node$n.log" 2>&1 &
  pids[$n]=$!
  disown "${pids[$n]}" # we kill it on purpose; bash need not report it
}
status_of() { # observer target -> status digit or ""
  curl -fsS --max-time 1 "http://127.0.0.1:${http[$1]}/ha/status" 2>/dev/null |
    python3 -c "import json,sys; d=json.load(sys.stdin); print(next((n['status'] for n in d['nodes'] if n['name']=='node$2'),''))" 2>/dev/null || true
}
wait_for() { # seconds command... ; true when the command succeeds within the time
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.05; done
}
all_alive() { for o in 1 2 3; do for t in 1 2 3; do [[ $(status_of $o $t) == 1 ]] || return 1; done; done; }
survivors_see() { [[ $(status_of 1 3) == "$1" || $(status_of 1 3) == "$2" ]] && [[ $(status_of 2 3) == "$1" || $(status_of 2 3) == "$2" ]]; }
now_ms() { date +%s%3N; }

for n in 1 2 3; do start_node $n; done
wait_for 120 all_alive || { log "cluster did not form; logs in $run_dir"; cat "$run_dir"/*.log >&2; exit 1; }
log "3-node cluster formed"

# Idle traffic: bytes sent on every mesh connection of the cluster over 30 s (each socket end's
# bytes_acked, so TCP payload with HTTP/2 + gRPC framing), divided by the 3 nodes.
mesh_filter="( sport = :${mesh[1]} or dport = :${mesh[1]} or sport = :${mesh[2]} or dport = :${mesh[2]} or sport = :${mesh[3]} or dport = :${mesh[3]} )"
bytes_now() { ss -tin "$mesh_filter" 2>/dev/null | grep -o 'bytes_acked:[0-9]*' | awk -F: '{s+=$2} END {print s+0}'; }
b0=$(bytes_now); sleep 30; b1=$(bytes_now)
idle_bps=$(( (b1 - b0) / 30 / 3 ))

suspect_ms=() down_ms=()
for r in $(seq 1 "$REPEATS"); do
  sleep "0.$((RANDOM % 10))"
  t0=$(now_ms)
  kill -9 "${pids[3]}"
  wait_for 30 survivors_see 2 3 && t1=$(now_ms) || t1=-1
  wait_for 30 survivors_see 3 3 && t2=$(now_ms) || t2=-1
  suspect_ms+=($((t1 - t0))) down_ms+=($((t2 - t0)))
  log "kill $r: suspected after $((t1 - t0)) ms, DOWN everywhere after $((t2 - t0)) ms"
  start_node 3
  wait_for 120 all_alive || { log "node3 did not rejoin"; exit 1; }
done

summary() { printf '%s\n' "$@" | sort -n | python3 -c "import sys; v=[int(x) for x in sys.stdin]; print(f'{v[len(v)//2]/1000:.2f} s | {max(v)/1000:.2f} s')"; }
report=$(cat <<MD
# Failure detection

Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench/failure-detection.sh\` on $(nproc) CPUs, $(uname -r),
$("$java_home/bin/java" -version 2>&1 | head -1). Protocol settings: the defaults of \`MembershipSettings\`
(1 s period, 400 ms probe timeout, k = 3 indirect probes, suspicion 1 s x max(1, log10 N) growing to 3x for a lone suspecter).

## Simulated ($CRASHES crashes per size; simulated time)

$simulated

## Real processes (3 JVMs on loopback, $REPEATS SIGKILLs)

| | median | max |
|---|---:|---:|
| SIGKILL to SUSPECTED (or DOWN) at both survivors | $(summary "${suspect_ms[@]}") |
| SIGKILL to DOWN at both survivors | $(summary "${down_ms[@]}") |

Idle mesh traffic in a 3-node cluster: **$idle_bps bytes/s sent per node**, HTTP/2 and gRPC framing
included (from \`ss\` byte counters of every mesh connection over 30 s). Polling /ha/status
every 50 ms adds up to 50 ms to the real-process figures.
MD
)
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "$report" > "$OUT"
printf '%s\n' "$report"
log "report written to $OUT"
