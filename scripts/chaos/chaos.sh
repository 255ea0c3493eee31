#!/usr/bin/env bash
# Chaos harness: an smg mesh with every node in its own network namespace, under a fixed-rate load,
# through crashes, stalls, partitions, packet loss, a rolling restart, a worker crash and a worker killed mid-stream.
#
# Usage: scripts/chaos/chaos.sh [--smoke] [--scenarios LIST] [--nodes N] [--out FILE] [--help]
#
#   --smoke           3 nodes; SIGKILL+restart and one partition-heal only (about 2-3 minutes)
#   --scenarios LIST  comma-separated subset of: kill,stop,partition,split,loss,rolling,worker,stream
#                     (default: all; split needs 5 nodes)
#   --nodes N         cluster size, 3 to 9 (default 5; --smoke: 3)
#   --out FILE        also write the result table as a markdown fragment to FILE
#   --help            this text
#
# Topology: namespace smgchaos-hub holds a bridge (10.77.0.254/24), two mock workers
# (10.77.0.254:9001, :9002), the load generator and every probe; node i runs in smgchaos-node<i>
# (10.77.0.i, veth to the bridge) as
#   smg --enable-mesh --mesh-server-name node<i> --mesh-host 10.77.0.i --mesh-peer-urls <all others>
#       --worker-urls <both workers> --shutdown-grace-period-secs 10 (health probes every 1 s)
# The root namespace's interfaces and routes are not touched. Faults are nftables rules inside a
# node's namespace on the mesh port (39527) only, and signals to a node's process.
#
# Load: RPS (50) chat completions per second, each to a random router; on a connection failure,
# timeout or 503 it is retried once on another router (what a front with retry does). A request
# failed = failed after that retry.
#
# Each scenario reports: failed requests; detection (fault -> the other nodes' /ha/status show the
# victim DOWN "3" or LEAVING "4"); convergence (heal -> every node sees all ALIVE and every node's
# /ha/status members+statuses and /ha/workers URL set agree; after a restart, counted from the
# restarted process's first HTTP answer, its JVM start reported as a note); and a final consistency
# check (converged, every node ready). It fails when a check fails, a request fails, or convergence
# takes more than CONVERGE_LIMIT (2 s).
#
# Requirements: root (network namespaces, nftables), ip (iproute2), nft (apt-get install nftables),
# curl, python3 (standard library only), a JDK 21+ (scripts/find-jdk) and smg.jar: SMG_JAR, else
# <repo>/smg.jar (make chaos builds it). Settings (environment): RPS 50, GRACE 10, KILL_DOWN_SECS 2
# (from DOWN to the restart of the killed node; the JVM start comes on top), STOP_SECS 10,
# PARTITION_SECS 30, SPLIT_SECS 30, LOSS_SECS 60, LOSS_PCT 10, CONVERGE_LIMIT 2, GEN_MS 20 (worker
# response time), STEADY 3 (seconds of load before and after each fault), WARMUP 20 (seconds of
# load after the cluster forms, before the first scenario), JAVA_OPTS
# (-Xmx256m -XX:+UseSerialGC), CHAOS_DIR (<repo>/.run/chaos: one folder of logs per run).
# Only one run at a time (a lock); namespaces left by a killed run (smgchaos-*) are removed first.
# Exit status: 0 when every scenario passed, 1 otherwise, 2 for bad usage or missing tools.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '/^set -euo/d; /shellcheck/d; s/^# \{0,1\}//'; }
SMOKE=0 NODES="" OUT="" ONLY=""
while (( $# )); do
  case $1 in
    --smoke) SMOKE=1 ;;
    --scenarios) ONLY=${2:?--scenarios needs a list}; shift ;;
    --nodes) NODES=${2:?--nodes needs a number}; shift ;;
    --out) OUT=${2:?--out needs a file}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "chaos.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

RPS=${RPS:-50} GRACE=${GRACE:-10} KILL_DOWN_SECS=${KILL_DOWN_SECS:-2} STOP_SECS=${STOP_SECS:-10} PARTITION_SECS=${PARTITION_SECS:-30}
SPLIT_SECS=${SPLIT_SECS:-30} LOSS_SECS=${LOSS_SECS:-60} LOSS_PCT=${LOSS_PCT:-10}
CONVERGE_LIMIT=${CONVERGE_LIMIT:-2} GEN_MS=${GEN_MS:-20} STEADY=${STEADY:-3} WARMUP=${WARMUP:-20}
LOAD_MAX_SECONDS=600
JAVA_OPTS=${JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}
if (( SMOKE )); then
  NODES=${NODES:-3} ONLY=${ONLY:-kill,partition}
else
  NODES=${NODES:-5} ONLY=${ONLY:-kill,stop,partition,split,loss,rolling,worker,stream}
fi
[[ $NODES =~ ^[3-9]$ ]] || { echo "chaos.sh: --nodes must be 3 to 9" >&2; exit 2; }

# shellcheck source=lib.sh
source "$HERE/lib.sh"
declare -A SCENARIO_TITLE
for f in "$HERE"/scenarios/*.sh; do
  # shellcheck disable=SC1090
  source "$f"
done
IFS=, read -r -a SCENARIOS <<<"$ONLY"
for s in "${SCENARIOS[@]}"; do
  [[ -n ${SCENARIO_TITLE[$s]:-} ]] || { echo "chaos.sh: unknown scenario '$s'" >&2; exit 2; }
  [[ $s != split || $NODES -ge 5 ]] || { echo "chaos.sh: split needs --nodes 5 or more" >&2; exit 2; }
done

# ------------------------------------------------------------------ requirements
(( EUID == 0 )) || { echo "chaos.sh: needs root (network namespaces, nftables)" >&2; exit 2; }
for tool in ip nft curl python3 flock; do
  command -v "$tool" >/dev/null || { echo "chaos.sh: needs $tool (nft: apt-get install -y nftables)" >&2; exit 2; }
done
JAR=${SMG_JAR:-$REPO/smg.jar}
[[ -f $JAR ]] || { echo "chaos.sh: no $JAR: build it (make smg.jar, or make chaos) or set SMG_JAR" >&2; exit 2; }
JAVA="$("$REPO/scripts/find-jdk")/bin/java" || exit 2

lock_dir=/run/lock; [[ -d $lock_dir && -w $lock_dir ]] || lock_dir=/tmp
exec 9>"$lock_dir/$PREFIX.lock" # long-lived children get 9>&-, so that none keeps the lock after us
flock -n 9 || { echo "chaos.sh: another chaos run holds the lock" >&2; exit 2; }
if [[ -n $(our_namespaces) ]]; then
  log "removing namespaces left by an earlier run: $(our_namespaces | tr '\n' ' ')"
  ns_teardown
fi

RUN_DIR=${CHAOS_DIR:-$REPO/.run/chaos}/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN_DIR/results"
cp "$JAR" "$RUN_DIR/smg.jar" # a private copy: a rebuild during the run changes nothing here
CUR=$RUN_DIR/results/setup; mkdir -p "$CUR"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [[ -z ${SCENARIO_PID:-} ]] || kill -TERM "$SCENARIO_PID" 2>/dev/null || true
  touch "$RUN_DIR/load.stop" "$RUN_DIR/watch.stop" 2>/dev/null || true
  for f in "$RUN_DIR"/*.pid; do
    [[ -f $f ]] || continue
    kill -CONT "$(cat "$f")" 2>/dev/null || true
    kill -KILL "$(cat "$f")" 2>/dev/null || true
  done
  ns_teardown
  [[ -z $(our_namespaces) ]] || log "namespaces still present: $(our_namespaces | tr '\n' ' ')"
  log "logs in $RUN_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ cluster

# bg_wait COMMAND...: runs COMMAND in the background and waits for it, so that a SIGTERM or SIGINT
# is acted on at once (bash runs traps only between foreground commands, or during a wait).
bg_wait() { "$@" 9>&- & wait $!; }

# heal_all: no fault rules, every process running and not stopped (after a scenario, or one that died).
heal_all() {
  local i k
  for i in $(all_nodes); do fault_clear "$i"; signal "node$i" CONT || true; done
  for k in 1 2; do running "worker$k" || { log "starting worker$k"; start_worker "$k"; }; done
  for i in $(all_nodes); do running "node$i" || { log "starting node$i"; start_node "$i"; }; done
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
started_at=$(date '+%Y-%m-%d %H:%M') load_start_avg=$(load_avg) t_start=$SECONDS
log "run $RUN_DIR: $NODES nodes, scenarios ${SCENARIOS[*]}, $RPS req/s; load average $load_start_avg"
ns_setup "$NODES"
for k in 1 2; do start_worker "$k"; done
for k in 1 2; do wait_for 60 worker_answers "$k" || die "mock worker $k did not start"; done
for i in $(all_nodes); do start_node "$i"; done
bg_wait wait_converged 180 >"$RUN_DIR/formed" || { show_views; die "the cluster did not form within 180 s"; }
formed=$(cat "$RUN_DIR/formed")
log "cluster of $NODES formed in $formed s"
wait_for 60 all_ready || die "not every node became ready"
# Warm-up: fresh JVMs under their first requests compile and load classes at once (on 2 cores this
# alone made routers miss probes); a fault injected then would measure the warm-up, not the mesh.
CUR=$RUN_DIR/results/warmup; mkdir -p "$CUR"
log "warm-up: $WARMUP s of load"
load_start; bg_wait sleep "$WARMUP"; load_stop

# ------------------------------------------------------------------ scenarios

ROWS=()
run_scenario() {
  local name=$1 title=${SCENARIO_TITLE[$1]} t=$SECONDS result i
  CUR=$RUN_DIR/results/$name; mkdir -p "$CUR"
  log "=== $title"
  heal_all
  if ! bg_wait wait_converged 120 >/dev/null; then
    show_views; res_fail "cluster not consistent before the scenario; not run"
  else
    # In the background so that a SIGTERM or SIGINT interrupts the wait at once (cleanup stops it).
    ( set +e; "scenario_$name" ) 9>&- &
    SCENARIO_PID=$!
    local rc=0
    wait "$SCENARIO_PID" || rc=$?
    SCENARIO_PID=""
    (( rc == 0 )) || res_fail "scenario stopped early (status $rc)"
    load_stop
    heal_all
    if bg_wait wait_converged 60 >/dev/null; then
      for i in $(all_nodes); do wait_for 30 ready "$i" || res_fail "final check: node$i not ready"; done
    else
      show_views; res_fail "final check: not consistent within 60 s"
    fi
  fi
  show_views
  result=PASS; [[ ! -s $CUR/fail ]] || result=FAIL
  local notes; notes="$(res_get fail "")$(res_get notes "")"; notes=${notes%; }
  ROWS+=("| $title | $result | $(res_get failed) of $(res_get sent) | $(res_get detect) | $(res_get converge) | ${notes:-} |")
  log "=== $title: $result ($((SECONDS - t)) s)"
}

for s in "${SCENARIOS[@]}"; do run_scenario "$s"; done

# ------------------------------------------------------------------ report
failed_rows=$(printf '%s\n' "${ROWS[@]}" | grep -c '| FAIL |' || true)
table=$(
  echo "| scenario | result | failed requests | detection (s) | convergence (s) | notes |"
  echo "|---|---|---:|---:|---:|---|"
  printf '%s\n' "${ROWS[@]}"
)
summary="Run of $started_at: $NODES nodes, $RPS req/s, $((SECONDS - t_start)) s in all; $((${#ROWS[@]} - failed_rows)) of ${#ROWS[@]} scenarios passed. Load average at start $load_start_avg, at end $(load_avg) (2 cores)."
echo
echo "$table"
echo
echo "$summary"
if [[ -n $OUT ]]; then
  mkdir -p "$(dirname "$OUT")"
  printf '%s\n\n%s\n' "$table" "$summary" >"$OUT"
  log "table written to $OUT"
fi
(( failed_rows == 0 ))
