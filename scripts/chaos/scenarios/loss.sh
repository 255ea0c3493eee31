# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# LOSS_PCT % random loss on every mesh link for LOSS_SECS. No live node may be declared DOWN: every
# node's /ha/status is watched every 0.25 s throughout, and router_mesh_status_changes_total{status="down"}
# is compared before and after. Loss on the mesh port only (requests are not touched).
SCENARIO_TITLE[loss]="${LOSS_PCT}% mesh packet loss ${LOSS_SECS} s"
scenario_loss() {
  local i before after failed_before failed_after t0 c down suspected polls
  before=$(down_changes) failed_before=$(probe_failures)
  load_start; sleep "$STEADY"
  for i in $(all_nodes); do fault_loss "$i" "$LOSS_PCT"; done
  t0=$(now)
  rm -f "$RUN_DIR/watch.stop"
  # shellcheck disable=SC2046
  spawn watch "$HUB" python3 "$HERE/chaos.py" watch --nodes $(node_spec $(all_nodes)) \
    --max-seconds "$LOSS_SECS" --stop-file "$RUN_DIR/watch.stop" --out "$CUR/watch.json"
  wait_for $((LOSS_SECS + 30)) exited watch || { touch "$RUN_DIR/watch.stop"; wait_for 10 exited watch; }
  local dropped=0 passed=0 d p
  for i in $(all_nodes); do read -r d p < <(loss_counts "$i"); dropped=$((dropped + d)) passed=$((passed + p)); done
  measure_start 60
  for i in $(all_nodes); do fault_clear "$i"; done
  measure_go
  if measure_end; then c=$MEASURED; res_set converge "$c"; check_converge "$c" "after the loss stopped,"
  else res_fail "not consistent within 60 s after the loss stopped"; show_views; fi
  res_note "$dropped of $((dropped + passed)) mesh packets dropped"
  after=$(down_changes) failed_after=$(probe_failures)
  if [[ -s $CUR/watch.json ]]; then
    local seen; seen=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["down_observations"], d["suspected_observations"], d["polls"])' "$CUR/watch.json")
    read -r down suspected polls <<<"$seen"
    res_note "$polls polls of every node: DOWN seen $down times, SUSPECTED $suspected times; down transitions counted $((after - before)); failed probes $((failed_after - failed_before))"
    (( down == 0 )) || res_fail "a live node was seen DOWN ($down observations): $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["first_down"][:3])' "$CUR/watch.json")"
  else res_fail "no watch summary"; fi
  (( after == before )) || res_fail "router_mesh_status_changes_total{status=\"down\"} rose by $((after - before))"
  sleep "$STEADY"; load_stop
}
