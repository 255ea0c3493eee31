# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# SIGKILL one node under load, wait until the others see it DOWN, restart it under the same name
# KILL_DOWN_SECS later.
# detection: kill -> every survivor sees it DOWN; convergence: from the moment the restarted process
# answers HTTP until every node agrees (the JVM start before it is reported as a note).
SCENARIO_TITLE[kill]="SIGKILL one node, restart it"
scenario_kill() {
  local v=2 survivors t0 d up c
  survivors=$(all_nodes | grep -vx "$v")
  load_start; sleep "$STEADY"
  t0=$(now); signal "node$v" KILL
  if d=$(wait_down "$v" "$survivors" 30 "$t0"); then res_set detect "$d"
  else res_fail "node$v not DOWN at every survivor within 30 s"; show_views; fi
  sleep "$KILL_DOWN_SECS"
  measure_start 120 "$v"
  start_node "$v"; measure_go
  if measure_end && read -r up c <<<"$MEASURED" && [[ -n $c ]]; then
    res_set converge "$(elapsed "$up" "$c")"
    res_note "restart to consistent $c s, of which JVM start to first HTTP answer $up s"
    check_converge "$(res_get converge)" "after the restarted node answered,"
  else res_fail "not consistent within 120 s of the restart"; show_views; fi
  wait_for 60 ready "$v" || res_fail "node$v not ready within 60 s"
  sleep "$STEADY"; load_stop
}
