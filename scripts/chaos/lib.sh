# shellcheck shell=bash
# Helpers of the chaos harness (sourced by scripts/chaos/chaos.sh, not run).
#
# Layout: a hub namespace ($HUB) holds a bridge (br0, $NET.254) and the mock workers, the load
# generator and every probe the harness makes; node i lives in namespace $PREFIX-node$i with one veth
# (eth0, $NET.i) whose other end is a port of br0. Nothing is added to the root namespace.
# State lives in files under $RUN_DIR (pids, exit codes, logs, scenario results) so that scenario
# functions can run in subshells.

PREFIX=${CHAOS_PREFIX:-smgchaos}
HUB=$PREFIX-hub
NET=${CHAOS_NET:-10.77.0}            # a /24 used only inside the namespaces made here
HUB_IP=$NET.254
HTTP_PORT=8000 METRICS_PORT=29000 MESH_PORT=39527
WORKER_PORTS=(9001 9002)
NFT_TABLE=smgchaos

log() { printf '[chaos %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
gt() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$1" "$2"; }

# sleep_until EPOCH SECONDS: sleeps until SECONDS after EPOCH (at once if that has passed).
sleep_until() {
  sleep "$(python3 -c "import sys, time; print(max(0, float(sys.argv[1]) + float(sys.argv[2]) - time.time()))" "$1" "$2")"
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; false after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.2; done
}

# ------------------------------------------------------------------ namespaces

hub() { ip netns exec "$HUB" "$@"; }
node_ns() { echo "$PREFIX-node$1"; }
in_node() { local i=$1; shift; ip netns exec "$(node_ns "$i")" "$@"; }
node_ip() { echo "$NET.$1"; }
our_namespaces() { ip netns list | awk '{print $1}' | grep -E "^$PREFIX-" || true; }

# ns_setup N: the hub with its bridge, and N node namespaces wired to it.
ns_setup() {
  local n=$1 i ns
  ip netns add "$HUB"
  hub ip link set lo up
  hub ip link add br0 type bridge
  hub ip addr add "$HUB_IP/24" dev br0
  hub ip link set br0 up
  for ((i = 1; i <= n; i++)); do
    ns=$(node_ns "$i")
    ip netns add "$ns"
    hub ip link add "v$i" type veth peer name eth0 netns "$ns"   # made inside the hub, one end moved
    hub ip link set "v$i" master br0 up
    in_node "$i" ip link set lo up
    in_node "$i" ip addr add "$(node_ip "$i")/24" dev eth0
    in_node "$i" ip link set eth0 up
  done
}

# ns_teardown: kills every process left in our namespaces (all started here), then deletes them.
ns_teardown() {
  local ns pids
  for ns in $(our_namespaces); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    # shellcheck disable=SC2086 # one pid per word
    [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  done
  sleep 0.3
  for ns in $(our_namespaces); do ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"; done
}

# ------------------------------------------------------------------ processes

# spawn NAME NAMESPACE COMMAND...: starts COMMAND in NAMESPACE in the background, its pid in
# $RUN_DIR/NAME.pid and, once it exits, its exit status in $RUN_DIR/NAME.exit; output to NAME.log.
spawn() {
  local name=$1 ns=$2; shift 2
  rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.exit"
  (
    ip netns exec "$ns" "$@" >>"$RUN_DIR/$name.log" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
    rc=0; wait $! || rc=$?
    echo "$rc" >"$RUN_DIR/$name.exit"
  ) </dev/null >/dev/null 2>&1 9>&- &
  wait_for 5 test -s "$RUN_DIR/$name.pid" || die "could not start $name"
}
pid_of() { cat "$RUN_DIR/$1.pid" 2>/dev/null; }
running() { local p; p=$(pid_of "$1") && [[ -n $p ]] && kill -0 "$p" 2>/dev/null && [[ ! -f $RUN_DIR/$1.exit ]]; }
signal() { local p; p=$(pid_of "$1") && kill -"$2" "$p" 2>/dev/null; }
exited() { [[ -f $RUN_DIR/$1.exit ]]; }

# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
java_cmd() { echo "$JAVA" $JAVA_OPTS -jar "$RUN_DIR/smg.jar"; }

start_worker() { # k (1-based)
  local k=$1
  # shellcheck disable=SC2046
  spawn "worker$k" "$HUB" $(java_cmd) mock-worker --host "$HUB_IP" --port "${WORKER_PORTS[$((k - 1))]}" \
    --count 1 --gen-ms "$GEN_MS"
}
worker_url() { echo "http://$HUB_IP:${WORKER_PORTS[$(($1 - 1))]}"; }
worker_urls() { local k; for k in "${!WORKER_PORTS[@]}"; do worker_url $((k + 1)); done; }
worker_answers() { hub curl -fsS -o /dev/null --max-time 1 "$(worker_url "$1")/health" 2>/dev/null; }

start_node() { # i
  local i=$1 j peers=()
  for ((j = 1; j <= NODES; j++)); do [[ $j == "$i" ]] || peers+=("$(node_ip "$j"):$MESH_PORT"); done
  # shellcheck disable=SC2046
  spawn "node$i" "$(node_ns "$i")" $(java_cmd) --host "$(node_ip "$i")" --port "$HTTP_PORT" \
    --prometheus-host "$(node_ip "$i")" --prometheus-port "$METRICS_PORT" \
    --worker-urls $(worker_urls) \
    --enable-mesh --mesh-server-name "node$i" --mesh-host "$(node_ip "$i")" --mesh-port "$MESH_PORT" \
    --mesh-peer-urls "${peers[@]}" --shutdown-grace-period-secs "$GRACE" \
    --health-check-interval-secs 1 --health-check-timeout-secs 1 \
    --health-failure-threshold 2 --health-success-threshold 1
}

# stop_gracefully NAME: SIGTERM, then waits for the exit (SIGKILL after GRACE + 20 s); echoes the exit status.
stop_gracefully() {
  local name=$1
  signal "$name" TERM || { echo "not-running"; return; }
  if ! wait_for $((GRACE + 20)) exited "$name"; then
    log "$name did not exit within $((GRACE + 20)) s of SIGTERM; SIGKILL"
    signal "$name" KILL; wait_for 5 exited "$name" || true
  fi
  cat "$RUN_DIR/$name.exit"
}

readiness() { hub curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$(node_ip "$1"):$HTTP_PORT/readiness" || true; }
ready() { [[ $(readiness "$1") == 200 ]]; }
all_ready() { local i; for i in $(all_nodes); do ready "$i" || return 1; done; }

# ------------------------------------------------------------------ faults (nftables in a node's namespace)

# fault_block i [IP...]: drops mesh traffic (TCP port $MESH_PORT, either direction) between node i
# and the given addresses, or all of its mesh traffic when none are given.
fault_block() {
  local i=$1; shift
  local in="" out=""
  if (( $# )); then
    local set; set=$(IFS=,; echo "$*")
    in="ip saddr { $set } " out="ip daddr { $set } "
  fi
  in_node "$i" nft -f - <<EOF
table inet $NFT_TABLE {
  chain input { type filter hook input priority 0; policy accept;
    ${in}tcp dport $MESH_PORT drop; ${in}tcp sport $MESH_PORT drop; }
  chain output { type filter hook output priority 0; policy accept;
    ${out}tcp dport $MESH_PORT drop; ${out}tcp sport $MESH_PORT drop; }
}
EOF
}

# fault_loss i PERCENT: drops PERCENT % of the mesh packets entering node i, at random. Applied on
# every node, every packet of every mesh link crosses exactly one such rule.
fault_loss() {
  in_node "$1" nft -f - <<EOF
table inet $NFT_TABLE {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport $MESH_PORT numgen random mod 100 < $2 counter drop;
    tcp sport $MESH_PORT numgen random mod 100 < $2 counter drop;
    tcp dport $MESH_PORT counter accept; tcp sport $MESH_PORT counter accept; }
}
EOF
}
# loss_counts i: "dropped passed" mesh packets at node i's loss rules so far.
loss_counts() {
  in_node "$1" nft list table inet "$NFT_TABLE" 2>/dev/null |
    awk '/counter packets/ { for (f = 1; f < NF; f++) if ($f == "packets") n = $(f + 1);
                             if (/drop/) d += n; else a += n }
         END { print d + 0, a + 0 }'
}

fault_clear() { in_node "$1" nft delete table inet "$NFT_TABLE" 2>/dev/null || true; }

# ------------------------------------------------------------------ cluster views (chaos.py, run in the hub)

py() { hub python3 "$HERE/chaos.py" "$@"; }
# pyw ARGS...: chaos.py wait, its view changes traced to the scenario's trace file
pyw() { py wait --trace "$CUR/trace.txt" "$@"; }
node_spec() { local i; for i in "$@"; do echo "node$i=$(node_ip "$i"):$HTTP_PORT"; done; }
metrics_spec() { local i; for i in "$@"; do echo "node$i=$(node_ip "$i"):$METRICS_PORT"; done; }
all_nodes() { seq 1 "$NODES"; }

# wait_converged TIMEOUT [SINCE [NODE]]: echoes the seconds from SINCE (default now) until every node
# sees every node ALIVE and all agree on members and the worker URL set; false after TIMEOUT. With
# NODE (a restarted one), echoes first the seconds until NODE first answered, then those.
wait_converged() {
  # shellcheck disable=SC2046
  pyw converged --nodes $(node_spec $(all_nodes)) --workers $(worker_urls) \
    --timeout "$1" ${2:+--since "$2"} ${3:+--answer-node "node$3"}
}
# Timing a heal without counting the poller's own start: measure_start TIMEOUT [NODE [ARGS...]]
# starts the convergence poller (NODE: a restarted node, whose first answer is timed too; ARGS: more
# chaos.py wait flags) and waits until it is ready; the scenario heals the fault, calls measure_go
# (the time of the heal), then measure_end, which sets MEASURED to what wait_converged would echo.
measure_start() {
  local timeout=$1 node=${2:-}
  shift; if (( $# )); then shift; fi
  MEASURE_GO=$CUR/go MEASURE_OUT=$CUR/measure.out
  rm -f "$MEASURE_GO" "$MEASURE_GO.ready" "$MEASURE_OUT"
  # shellcheck disable=SC2046
  pyw converged --nodes $(node_spec $(all_nodes)) --workers $(worker_urls) --timeout "$timeout" \
    --go-file "$MEASURE_GO" ${node:+--answer-node "node$node"} "$@" >"$MEASURE_OUT" &
  MEASURE_PID=$!
  wait_for 30 test -f "$MEASURE_GO.ready" || log "the poller did not start"
}
measure_go() { now >"$MEASURE_GO.tmp"; mv "$MEASURE_GO.tmp" "$MEASURE_GO"; }
measure_end() {
  local rc=0
  wait "$MEASURE_PID" || rc=$?
  # shellcheck disable=SC2034 # read by the scenarios
  MEASURED=$(cat "$MEASURE_OUT" 2>/dev/null)
  return "$rc"
}

# wait_down "VICTIM..." "OBSERVER..." TIMEOUT SINCE: until every observer sees every victim DOWN or LEAVING.
wait_down() {
  local victims
  # shellcheck disable=SC2086 # $1 and $2 are lists of node numbers
  victims=$(printf 'node%s,' $1); victims=${victims%,}
  # shellcheck disable=SC2046,SC2086
  pyw down "$victims" --nodes $(node_spec $2) --timeout "$3" --since "$4"
}
show_views() { # shellcheck disable=SC2046
  py view --nodes $(node_spec $(all_nodes)) >&2 || true; }
down_changes() { # shellcheck disable=SC2046
  py counter router_mesh_status_changes_total --label 'status="down"' --nodes $(metrics_spec $(all_nodes)); }
probe_failures() { # shellcheck disable=SC2046
  py counter router_mesh_probes_total --label 'result="failed"' --nodes $(metrics_spec $(all_nodes)); }

# ------------------------------------------------------------------ load generator

load_start() {
  rm -f "$RUN_DIR/load.stop" "$RUN_DIR/load.json"
  # shellcheck disable=SC2046
  spawn load "$HUB" python3 "$HERE/chaos.py" load --targets $(node_spec $(all_nodes)) --rps "$RPS" \
    --max-seconds "$LOAD_MAX_SECONDS" --stop-file "$RUN_DIR/load.stop" --out "$RUN_DIR/load.json"
}
# load_stop: stops the generator, sets the scenario's failed count, logs the summary.
load_stop() {
  running load || [[ -f $RUN_DIR/load.pid ]] || return 0
  touch "$RUN_DIR/load.stop"
  wait_for 30 exited load || { signal load KILL; log "load generator did not stop"; }
  rm -f "$RUN_DIR/load.pid"
  if [[ -s $RUN_DIR/load.json ]]; then
    log "load: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("sent %(sent)d ok %(ok)d failed %(failed)d retried %(retried)d p50 %(p50_s)ss p99 %(p99_s)ss max %(max_s)ss; first-attempt failures %(first_attempt_failures)s; failures %(failures)s" % d)' "$RUN_DIR/load.json")"
    res_set failed "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed"])' "$RUN_DIR/load.json")"
    res_set sent "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$RUN_DIR/load.json")"
    cp "$RUN_DIR/load.json" "$CUR/load.json"
  else
    res_fail "no load generator summary"
  fi
}

# ------------------------------------------------------------------ results of the current scenario ($CUR)

res_set() { printf '%s' "$2" >"$CUR/$1"; }
res_get() { if [[ -s $CUR/$1 ]]; then cat "$CUR/$1"; else echo "${2-–}"; fi; }
res_note() { printf '%s; ' "$*" >>"$CUR/notes"; log "note: $*"; }
res_fail() { printf '%s; ' "$*" >>"$CUR/fail"; log "FAIL: $*"; }

# check_converge SECONDS WHAT: records a failure when the time is over the acceptance limit.
check_converge() {
  gt "$1" "$CONVERGE_LIMIT" && res_fail "$2 consistent after $1 s (> $CONVERGE_LIMIT s)"
  return 0
}
