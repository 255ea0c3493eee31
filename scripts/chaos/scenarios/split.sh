# shellcheck shell=bash disable=SC2034,SC2154 # sourced by chaos.sh: its globals
# Split the cluster into a majority (nodes 1..N-2) and a minority (the last two) for SPLIT_SECS:
# mesh traffic between the sides dropped in every node's namespace. detection: until each side sees
# the whole other side DOWN.
SCENARIO_TITLE[split]="split $((NODES - 2))+2 ${SPLIT_SECS} s, heal"
scenario_split() {
  local a b i t0 d1 d2 c
  a=$(seq 1 $((NODES - 2))) b=$(seq $((NODES - 1)) "$NODES")
  load_start; sleep "$STEADY"
  t0=$(now)
  # shellcheck disable=SC2046
  for i in $a; do fault_block "$i" $(for j in $b; do node_ip "$j"; done); done
  # shellcheck disable=SC2046
  for i in $b; do fault_block "$i" $(for j in $a; do node_ip "$j"; done); done
  if d1=$(wait_down "$b" "$a" "$SPLIT_SECS" "$t0") && d2=$(wait_down "$a" "$b" "$SPLIT_SECS" "$t0"); then
    res_set detect "$(python3 -c "print(max($d1, $d2))")"
    res_note "majority saw the minority DOWN after $d1 s, minority the majority after $d2 s"
  else res_fail "the sides did not see each other DOWN during the split"; show_views; fi
  sleep_until "$t0" "$SPLIT_SECS"
  measure_start 60
  for i in $(all_nodes); do fault_clear "$i"; done
  measure_go
  if measure_end; then c=$MEASURED; res_set converge "$c"; check_converge "$c" "after the heal,"
  else res_fail "not consistent within 60 s of the heal"; show_views; fi
  sleep "$STEADY"; load_stop
}
