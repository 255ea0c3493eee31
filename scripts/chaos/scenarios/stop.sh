# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# SIGSTOP one node for STOP_SECS (a stalled JVM or VM), then SIGCONT.
# detection: SIGSTOP -> every other node sees it DOWN; convergence: SIGCONT -> every node agrees.
SCENARIO_TITLE[stop]="SIGSTOP one node ${STOP_SECS} s, SIGCONT"
scenario_stop() {
  local v=$NODES others t0 d c
  others=$(all_nodes | grep -vx "$v")
  load_start; sleep "$STEADY"
  t0=$(now); signal "node$v" STOP
  if d=$(wait_down "$v" "$others" "$STOP_SECS" "$t0"); then res_set detect "$d"
  else res_fail "node$v not DOWN at every other node during the ${STOP_SECS} s stop"; show_views; fi
  sleep_until "$t0" "$STOP_SECS"
  measure_start 60
  signal "node$v" CONT; measure_go
  if measure_end; then c=$MEASURED; res_set converge "$c"; check_converge "$c" "after SIGCONT,"
  else res_fail "not consistent within 60 s of SIGCONT"; show_views; fi
  sleep "$STEADY"; load_stop
}
