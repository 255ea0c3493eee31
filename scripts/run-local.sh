#!/usr/bin/env bash
# `make run`: two mock workers and one gateway on loopback, in the foreground.
# Ctrl-C (or SIGTERM) stops every child process; none is left behind.
# Ports: SMG_PORT (default 8000) for the gateway, WORKER_PORT (9000) for the first mock worker.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
smg="$here/smg"
gateway_port=${SMG_PORT:-8000}
worker_port=${WORKER_PORT:-9000}
run_dir=${SMG_RUN_DIR:-$here/../.run/local}
mkdir -p "$run_dir"

pids=()
cleanup() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  echo "stopped."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$gateway_port" "$worker_port" "$((worker_port + 1))"; do
  port_free "$p" || { echo "port $p is in use; set SMG_PORT / WORKER_PORT to free ports" >&2; exit 1; }
done

"$smg" mock-worker --port "$worker_port" --count 2 --gen-ms 1000 --stream-chunks 10 \
  >"$run_dir/mock-workers.log" 2>&1 &
pids+=($!)
"$smg" --host 127.0.0.1 --port "$gateway_port" --policy round_robin \
  --worker-urls "http://127.0.0.1:$worker_port" "http://127.0.0.1:$((worker_port + 1))" \
  2> >(tee "$run_dir/gateway.log" >&2) &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$gateway_port/readiness" >/dev/null 2>&1; then break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a process exited early; logs in $run_dir" >&2; exit 1; }
  done
  sleep 0.1
done

cat <<MSG

smg is up on http://127.0.0.1:$gateway_port with mock workers on ports $worker_port and $((worker_port + 1)).
Try a streaming chat completion (run it twice: the worker alternates):

  curl -N http://127.0.0.1:$gateway_port/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{"model":"mock-model","stream":true,"messages":[{"role":"user","content":"Hello"}]}'

Logs: $run_dir. Press Ctrl-C to stop everything.
MSG
wait -n "${pids[@]}" || true
echo "a process exited; stopping the rest" >&2
