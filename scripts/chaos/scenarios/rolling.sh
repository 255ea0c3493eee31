# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# Rolling restart under load: each node in turn gets SIGTERM (graceful: LEAVING, readiness 503,
# settle, drain, exit 0), is started again, and the next one waits until every node sees all ALIVE
# and agrees and the restarted node's /readiness is 200. Zero failed requests required.
# detection: SIGTERM -> every other node sees it LEAVING (worst node); convergence: the restarted
# node's first HTTP answer -> every node agrees (worst node).
SCENARIO_TITLE[rolling]="rolling restart (SIGTERM) of every node"
scenario_rolling() {
  local i others t0 d status up c worst_d=0 worst_c=0 starts=""
  load_start; sleep "$STEADY"
  for i in $(all_nodes); do
    others=$(all_nodes | grep -vx "$i")
    t0=$(now); signal "node$i" TERM
    # shellcheck disable=SC2046,SC2086
    if d=$(pyw leaving "node$i" --nodes $(node_spec $others) --timeout 15 --since "$t0"); then
      gt "$d" "$worst_d" && worst_d=$d
    else res_fail "node$i not seen LEAVING by every other node within 15 s"; fi
    wait_for $((GRACE + 20)) exited "node$i" || { res_fail "node$i still running $((GRACE + 20)) s after SIGTERM"; signal "node$i" KILL; wait_for 5 exited "node$i"; }
    status=$(cat "$RUN_DIR/node$i.exit" 2>/dev/null || echo "?")
    [[ $status == 0 ]] || res_fail "node$i exited with status $status after SIGTERM"
    log "node$i left (seen LEAVING after ${d:-?} s) and exited $status after $(elapsed "$t0" "$(now)") s; starting it"
    measure_start 120 "$i"
    start_node "$i"; measure_go
    if measure_end && read -r up c <<<"$MEASURED" && [[ -n $c ]]; then
      c=$(elapsed "$up" "$c"); gt "$c" "$worst_c" && worst_c=$c
      starts+="node$i ${up}+${c} s, "
    else res_fail "not consistent within 120 s of restarting node$i"; show_views; fi
    wait_for 60 ready "$i" || res_fail "node$i not ready within 60 s of its start"
  done
  res_set detect "$worst_d"; res_set converge "$worst_c"
  res_note "per node, JVM start to first answer + answer to consistent: ${starts%, }"
  check_converge "$worst_c" "after a restarted node answered,"
  sleep "$STEADY"; load_stop
  [[ $(res_get failed 0) == 0 ]] || res_fail "$(res_get failed) requests failed during the rolling restart (zero required)"
}
