# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# Cut one node off the mesh (its mesh traffic dropped both ways in its namespace; HTTP and worker
# traffic still flow) for PARTITION_SECS, then heal.
SCENARIO_TITLE[partition]="partition one node ${PARTITION_SECS} s, heal"
scenario_partition() {
  local v=$(( NODES > 3 ? 3 : NODES )) others t0 d c
  others=$(all_nodes | grep -vx "$v")
  load_start; sleep "$STEADY"
  t0=$(now); fault_block "$v"
  if d=$(wait_down "$v" "$others" "$PARTITION_SECS" "$t0"); then res_set detect "$d"
  else res_fail "node$v not DOWN at every other node during the partition"; show_views; fi
  # shellcheck disable=SC2046
  wait_down "$others" "$v" 5 "$t0" >/dev/null || res_note "node$v did not see all others DOWN"
  sleep_until "$t0" "$PARTITION_SECS"
  measure_start 60
  fault_clear "$v"; measure_go
  if measure_end; then c=$MEASURED; res_set converge "$c"; check_converge "$c" "after the heal,"
  else res_fail "not consistent within 60 s of the heal"; show_views; fi
  sleep "$STEADY"; load_stop
}
