# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# SIGKILL one of the two mock workers under load, restart it. Requests keep succeeding through the
# other worker; every node marks the killed one not_ready (its own probes or a peer's replicated
# verdict), then ready again. detection: kill -> not_ready on every node; convergence: the restarted
# worker answering /health -> ready on every node and every node agrees.
SCENARIO_TITLE[worker]="SIGKILL a mock worker, restart it"
scenario_worker() {
  local url t0 d up c
  url=$(worker_url 2)
  load_start; sleep "$STEADY"
  t0=$(now); signal worker2 KILL
  # shellcheck disable=SC2046
  if d=$(pyw worker "$url" not_ready --nodes $(node_spec $(all_nodes)) --timeout 30 --since "$t0"); then res_set detect "$d"
  else res_fail "worker 2 not marked not_ready on every node within 30 s"; show_views; fi
  sleep "$STEADY"
  measure_start 60 "" --worker-status ready --answer-url "$url/health"
  start_worker 2; measure_go
  if measure_end && read -r up c <<<"$MEASURED" && [[ -n $c ]]; then
    res_set converge "$(elapsed "$up" "$c")"
    res_note "worker restart to ready everywhere $c s, of which its JVM start $up s"
    check_converge "$(res_get converge)" "after the worker answered,"
  else res_fail "worker 2 not ready on every node within 60 s"; show_views; fi
  sleep "$STEADY"; load_stop
}
