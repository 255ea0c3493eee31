#!/usr/bin/env bash
# A local three-node smg mesh on loopback, with two mock workers.
#
#   scripts/cluster.sh run           `make run`: up, print URLs to try, stay in the foreground; Ctrl-C stops all
#   scripts/cluster.sh up            start mock workers and node1..node3; wait until all see 3 ALIVE
#   scripts/cluster.sh status        each node's view of the cluster and its readiness
#   scripts/cluster.sh restart NODE  graceful restart of node1|node2|node3; waits until it is ALIVE again
#   scripts/cluster.sh rolling       restart every node in turn under a bounded load loop; prints failures
#   scripts/cluster.sh down          stop everything (SIGTERM, then SIGKILL after 30 s)
#
# Ports (override with the environment): HTTP_BASE 8001 (node i: HTTP_BASE+i-1), METRICS_BASE 29001,
# MESH_BASE 39601, WORKER_BASE 9001 (two workers). Logs and pids: $SMG_CLUSTER_DIR (.run/cluster).
# Rolling load: LOAD_RPS (20 requests/s) spread over the nodes, for as long as the rolling restart takes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
dir=${SMG_CLUSTER_DIR:-$repo/.run/cluster}
HTTP_BASE=${HTTP_BASE:-8001} METRICS_BASE=${METRICS_BASE:-29001} MESH_BASE=${MESH_BASE:-39601}
WORKER_BASE=${WORKER_BASE:-9001} LOAD_RPS=${LOAD_RPS:-20} GRACE=${GRACE:-10}
NODES=(node1 node2 node3)
smg="$here/smg"
mkdir -p "$dir"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
index_of() { case $1 in node1) echo 0 ;; node2) echo 1 ;; node3) echo 2 ;; *) die "unknown node '$1' (node1, node2, node3)" ;; esac; }
http_port() { echo $((HTTP_BASE + $(index_of "$1"))); }
alive_pid() { [[ -f "$dir/$1.pid" ]] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

ensure_jar() {
  if [[ -z "${SMG_JAR:-}" && ! -f "$repo/smg.jar" && ! -f "$repo/api/target/smg.jar" ]]; then
    log "building smg.jar"; (cd "$repo" && make build >&2)
  fi
}

start_workers() {
  alive_pid workers && return
  nohup "$smg" mock-worker --port "$WORKER_BASE" --count 2 --gen-ms 200 --stream-chunks 4 \
    >"$dir/workers.log" 2>&1 &
  echo $! >"$dir/workers.pid"
}

start_node() { # name
  local name=$1 i peers=()
  i=$(index_of "$name")
  for other in "${NODES[@]}"; do
    [[ $other == "$name" ]] || peers+=("127.0.0.1:$((MESH_BASE + $(index_of "$other")))")
  done
  nohup "$smg" --host 127.0.0.1 --port $((HTTP_BASE + i)) --prometheus-host 127.0.0.1 \
    --prometheus-port $((METRICS_BASE + i)) --worker-urls "http://127.0.0.1:$WORKER_BASE" \
    "http://127.0.0.1:$((WORKER_BASE + 1))" --enable-mesh --mesh-server-name "$name" --mesh-host 127.0.0.1 \
    --mesh-port $((MESH_BASE + i)) --mesh-peer-urls "${peers[@]}" --shutdown-grace-period-secs "$GRACE" \
    >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

# statuses NODE: "node1=1 node2=1 node3=1" as NODE sees them ("" when it does not answer)
statuses() {
  curl -fsS --max-time 2 "http://127.0.0.1:$(http_port "$1")/ha/status" 2>/dev/null | python3 -c "
import json, sys
d = json.load(sys.stdin)
print(' '.join(n['name'] + '=' + n['status'] for n in sorted(d['nodes'], key=lambda n: n['name'])))" 2>/dev/null || true
}
all_alive() {
  local want="node1=1 node2=1 node3=1"
  for n in "${NODES[@]}"; do [[ $(statuses "$n") == "$want" ]] || return 1; done
}
wait_until() { # seconds command...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.2; done
}

stop_pid() { # name [signal]
  local name=$1 pid
  alive_pid "$name" || { rm -f "$dir/$name.pid"; return 0; }
  pid=$(cat "$dir/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + GRACE + 20))
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS > deadline )); then log "$name did not stop; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.2
  done
  rm -f "$dir/$name.pid"
}

cmd_up() {
  ensure_jar
  start_workers
  for n in "${NODES[@]}"; do alive_pid "$n" || start_node "$n"; done
  log "waiting for the mesh to form"
  wait_until 120 all_alive || die "the cluster did not form; logs in $dir"
  cmd_status
}

cmd_status() {
  for n in "${NODES[@]}"; do
    local ready
    ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(http_port "$n")/readiness" || true)
    printf '%s  http://127.0.0.1:%s  readiness %s  sees: %s\n' "$n" "$(http_port "$n")" "${ready:-down}" \
      "$(statuses "$n" | sed 's/=1/=ALIVE/g; s/=2/=SUSPECTED/g; s/=3/=DOWN/g; s/=4/=LEAVING/g; s/=0/=INIT/g')"
  done
}

cmd_restart() { # node
  local name=$1
  index_of "$name" >/dev/null
  log "restarting $name (graceful)"
  stop_pid "$name"
  start_node "$name"
  wait_until 120 all_alive || die "$name did not come back ALIVE; logs in $dir"
  log "$name is back: every node sees 3 ALIVE"
}

# A bounded load loop: LOAD_RPS chat completions per second, each to the next node in turn; a
# failed request is retried once on the following node (as a front with retry would). Runs until
# $dir/load.stop exists or 10 minutes pass. Writes "sent failed failed_after_retry" to $dir/load.result.
load_loop() {
  local sent=0 failed=0 lost=0 i=0 deadline=$((SECONDS + 600)) pause
  pause=$(python3 -c "print(1/$LOAD_RPS)")
  local body='{"model":"mock-model","messages":[{"role":"user","content":"hello"}]}'
  while [[ ! -f $dir/load.stop ]] && (( SECONDS < deadline )); do
    local a=${NODES[$((i % 3))]} b=${NODES[$(((i + 1) % 3))]}
    i=$((i + 1)) sent=$((sent + 1))
    if ! curl -fsS -o /dev/null --max-time 10 -H 'Content-Type: application/json' -d "$body" \
        "http://127.0.0.1:$(http_port "$a")/v1/chat/completions" 2>/dev/null; then
      failed=$((failed + 1))
      curl -fsS -o /dev/null --max-time 10 -H 'Content-Type: application/json' -d "$body" \
        "http://127.0.0.1:$(http_port "$b")/v1/chat/completions" 2>/dev/null || lost=$((lost + 1))
    fi
    sleep "$pause"
  done
  echo "$sent $failed $lost" >"$dir/load.result"
}

cmd_rolling() {
  all_alive || die "the cluster is not up with 3 ALIVE nodes (scripts/cluster.sh up)"
  rm -f "$dir/load.stop" "$dir/load.result"
  load_loop & local load=$!
  for n in "${NODES[@]}"; do cmd_restart "$n"; done
  touch "$dir/load.stop"
  wait "$load" || true
  read -r sent failed lost <"$dir/load.result"
  printf 'rolling restart done: %s requests sent, %s failed at the first node, %s failed after one retry on another node\n' \
    "$sent" "$failed" "$lost"
}

cmd_run() {
  for n in "${NODES[@]}"; do alive_pid "$n" && die "a cluster is already running in $dir (scripts/cluster.sh down)"; done
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  for p in $HTTP_BASE $((HTTP_BASE + 1)) $((HTTP_BASE + 2)) $((MESH_BASE)) $((MESH_BASE + 1)) $((MESH_BASE + 2)) \
      $((METRICS_BASE)) $((METRICS_BASE + 1)) $((METRICS_BASE + 2)) "$WORKER_BASE" $((WORKER_BASE + 1)); do
    port_free "$p" || die "port $p is in use; set HTTP_BASE / MESH_BASE / METRICS_BASE / WORKER_BASE"
  done
  trap 'trap - INT TERM EXIT; echo; cmd_down' EXIT
  trap 'exit 130' INT TERM
  cmd_up
  cat <<MSG

Three smg routers form one mesh on loopback, in front of two mock workers (ports $WORKER_BASE, $((WORKER_BASE + 1))):
  node1 http://127.0.0.1:$HTTP_BASE   node2 http://127.0.0.1:$((HTTP_BASE + 1))   node3 http://127.0.0.1:$((HTTP_BASE + 2))
Try:
  curl -s http://127.0.0.1:$HTTP_BASE/ha/status | python3 -m json.tool        # members and store counts
  curl -s http://127.0.0.1:$((HTTP_BASE + 2))/ha/workers | python3 -m json.tool       # the workers, replicated
  curl -N http://127.0.0.1:$((HTTP_BASE + 1))/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{"model":"mock-model","stream":true,"messages":[{"role":"user","content":"hi"}]}'
  scripts/cluster.sh status | restart node2 | rolling          (from another terminal)
Metrics: http://127.0.0.1:$METRICS_BASE/metrics ... Logs: $dir
Ctrl-C stops everything.
MSG
  while :; do sleep 3600 & wait $! || true; done # until Ctrl-C; the EXIT trap stops the cluster
}

cmd_down() {
  for n in "${NODES[@]}"; do stop_pid "$n" & done
  wait
  stop_pid workers
  log "stopped"
}

case ${1:-} in
  run) cmd_run ;;
  up) cmd_up ;;
  status) cmd_status ;;
  restart) [[ -n ${2:-} ]] || die "usage: cluster.sh restart node1|node2|node3"; cmd_restart "$2" ;;
  rolling) cmd_rolling ;;
  down) cmd_down ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
