# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# SIGKILL a worker in the middle of its streams (issue 15). Two more mock workers serve a model of
# their own, "stream-model", with long answers (STREAM_TOKENS tokens at 50 ms each); they are added
# through one router's POST /workers (replicated to all). STREAM_RPS streamed chat completions per
# second go to random routers; after STEADY s worker 3 is SIGKILLed with its streams open. Every
# stream must end with [DONE], no error event, and the text the surviving worker gives the same
# request whole: failed = streams that broke, ended with an error, or differ. detection: the
# kill -> worker 3 not_ready on every node; convergence: not measured (the workers are removed).
SCENARIO_TITLE[stream]="SIGKILL a worker mid-stream (streamed load)"
STREAM_PORTS=(9003 9004) STREAM_RPS=${STREAM_RPS:-8} STREAM_TOKENS=${STREAM_TOKENS:-60}
stream_worker_answers() { hub curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; }
scenario_stream() {
  local k url t0 d migrations ids=()
  for k in 1 2; do
    # shellcheck disable=SC2046
    spawn "sworker$k" "$HUB" $(java_cmd) mock-worker --host "$HUB_IP" --port "${STREAM_PORTS[$((k - 1))]}" \
      --model stream-model --gen-ms $((50 * 80)) --stream-chunks 80
  done
  for k in 1 2; do
    url="http://$HUB_IP:${STREAM_PORTS[$((k - 1))]}"
    wait_for 60 stream_worker_answers "$url/health" || { res_fail "stream worker $k did not start"; return; }
    ids+=("$(hub curl -fsS --max-time 5 -H 'Content-Type: application/json' -d "{\"url\":\"$url\"}" \
      "http://$(node_ip 1):$HTTP_PORT/workers" | python3 -c 'import json, sys; print(json.load(sys.stdin)["location"])')") \
      || { res_fail "POST /workers refused $url"; return; }
    # shellcheck disable=SC2046
    pyw worker "$url" ready --nodes $(node_spec $(all_nodes)) --timeout 30 >/dev/null \
      || { res_fail "stream worker $k not ready on every node"; show_views; return; }
  done
  url="http://$HUB_IP:${STREAM_PORTS[0]}"
  rm -f "$RUN_DIR/streams.stop" "$RUN_DIR/streams.json"
  # shellcheck disable=SC2046
  spawn streams "$HUB" python3 "$HERE/chaos.py" streams --targets $(node_spec $(all_nodes)) --rps "$STREAM_RPS" \
    --model stream-model --max-tokens "$STREAM_TOKENS" --reference "http://$HUB_IP:${STREAM_PORTS[1]}" \
    --max-seconds 300 --stop-file "$RUN_DIR/streams.stop" --out "$RUN_DIR/streams.json"
  sleep $((STEADY + 2))
  t0=$(now); signal sworker1 KILL
  # shellcheck disable=SC2046
  if d=$(pyw worker "$url" not_ready --nodes $(node_spec $(all_nodes)) --timeout 30 --since "$t0"); then res_set detect "$d"
  else res_fail "stream worker 1 not marked not_ready on every node within 30 s"; show_views; fi
  sleep "$STEADY"
  touch "$RUN_DIR/streams.stop"
  wait_for 120 exited streams || { signal streams KILL; res_fail "stream load did not stop"; }
  if [[ -s $RUN_DIR/streams.json ]]; then
    cp "$RUN_DIR/streams.json" "$CUR/streams.json"
    log "streams: $(cat "$RUN_DIR/streams.json" | tr -d '\n')"
    res_set failed "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["failed"])' "$RUN_DIR/streams.json")"
    res_set sent "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$RUN_DIR/streams.json")"
    [[ $(res_get failed) == 0 ]] || res_fail "$(res_get failed) broken streams"
  else
    res_fail "no stream load summary"
  fi
  # shellcheck disable=SC2046
  migrations=$(py counter smg_stream_migrations_total --nodes $(metrics_spec $(all_nodes))) || migrations="?"
  res_note "streams continued on the other worker: $migrations"
  for d in "${ids[@]}"; do
    hub curl -fsS -o /dev/null --max-time 5 -X DELETE "http://$(node_ip 1):$HTTP_PORT$d" || log "DELETE $d refused"
  done
  signal sworker2 KILL || true
}
