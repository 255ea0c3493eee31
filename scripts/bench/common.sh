# Helpers shared by the benchmark scripts (sourced, not run). Expects $repo and $work to be set.

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# bench_prepare_jar: picks the jar (SMG_JAR, else <repo>/smg.jar, built with `make build` only when
# that is missing), runs a private copy from $work (so a rebuild of the original during the run
# cannot change what is measured), and sets java_home and smg (the launcher, as an array).
bench_prepare_jar() {
  jar=${SMG_JAR:-$repo/smg.jar}
  if [[ ! -f $jar ]]; then
    [[ -z ${SMG_JAR:-} ]] || die "SMG_JAR=$SMG_JAR does not exist"
    log "no $jar; building it with make build"
    make -C "$repo" build >&2
  fi
  cp "$jar" "$work/smg.jar"
  export SMG_JAR=$work/smg.jar
  java_home=$("$repo/scripts/find-jdk")
  smg=("$repo/scripts/smg")
}

# bench_mesh_java: sets mesh_java, a java command line whose classpath is the mesh module's test
# classpath: the membership simulator and the mesh benchmarks (dev.smg.mesh.sim.FailureDetectionBench,
# ConvergenceBench) live in mesh's test sources, not in smg.jar. It compiles mesh and its tests and
# asks Maven for their dependencies (dependency:build-classpath) through the wrapper, or through MVN
# when set (e.g. MVN="./mvnw -o -q" to insist on working offline). The first run may download the
# dependency plugin; later ones need no network. Maven is skipped while mesh/target/bench-classpath.txt
# is newer than every source and pom the classes come from.
bench_mesh_java() {
  local cp_file=$repo/mesh/target/bench-classpath.txt mvn stale
  java_home=${java_home:-$("$repo/scripts/find-jdk")}
  stale=$(find "$repo/pom.xml" "$repo/proto/pom.xml" "$repo/proto/src" "$repo/mesh/pom.xml" "$repo/mesh/src" \
    -newer "$cp_file" -type f -print -quit 2>/dev/null || echo missing)
  if [[ ! -s $cp_file || -n $stale ]]; then
    read -r -a mvn <<<"${MVN:-$repo/mvnw -B -ntp -q}"
    log "compiling mesh with its test classes (the simulator and the mesh benchmarks): ${mvn[*]}"
    (cd "$repo" && JAVA_HOME=$java_home "${mvn[@]}" -pl mesh -am test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt) >&2 ||
      die "could not compile mesh's test classes or resolve their classpath"
    touch "$cp_file" # the plugin leaves an unchanged file alone, which would look stale next time
  fi
  # Native access: gRPC's shaded netty (smg.jar's manifest grants it the same way).
  mesh_java=("$java_home/bin/java" --enable-native-access=ALL-UNNAMED
    -cp "$repo/mesh/target/test-classes:$repo/mesh/target/classes:$(cat "$cp_file")")
}

# --- processes, ports and routers, for the mesh benchmarks (ha-routing, rate-limit, convergence) ---

# bench_load: the load averages over 1, 5 and 15 minutes, e.g. "3.10 2.50 2.00".
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_processes: every process started with bench_spawn is stopped on any exit (TERM, then KILL
# after 5 s); $work is removed after a run that set ok=1, kept (with the logs) otherwise.
bench_processes() {
  pids=()
  ok=0
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((ok)); then rm -rf "$work"; else log "failed (status $status); logs kept in $work"; fi
  exit "$status"
}
# bench_spawn log cmd...: starts cmd in the background with output to log; sets spawned to its pid.
# (Not run in $(...): the process must be a child of this shell, and its pid remembered here.)
bench_spawn() {
  local logfile=$1
  shift
  "$@" >"$logfile" 2>&1 &
  spawned=$!
  pids+=("$spawned")
}
# bench_stop pid [signal]: stops one process we started (default TERM, up to 10 s, then KILL).
bench_stop() {
  local pid=$1 signal=${2:-TERM} keep=() p
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
  kill "-$signal" "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# bench_free_port [count]: sets port to the first of count (default 1) consecutive ports nothing
# listens on, below the kernel's ephemeral range (ports there come and go with every outgoing
# connection), never handed out twice in one run.
bench_used_ports=" "
bench_free_port() {
  local count=${1:-1} high base p all
  read -r high _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || high=32768
  ((high > 11000)) || high=42768
  for _ in $(seq 1 500); do
    base=$((10000 + RANDOM % (high - 10000 - count)))
    all=1
    for ((p = base; p < base + count; p++)); do
      if [[ $bench_used_ports == *" $p "* ]] || (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then all=0; break; fi
    done
    if ((all)); then
      for ((p = base; p < base + count; p++)); do bench_used_ports+="$p "; done
      port=$base
      return
    fi
  done
  die "no $count free consecutive ports found"
}

# bench_wait_http name url pid log [seconds]: waits (default 60 s) for a 200 from url while pid lives.
bench_wait_http() {
  local name=$1 url=$2 pid=$3 logfile=$4 limit=${5:-60}
  for _ in $(seq 1 $((limit * 10))); do
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || die "$name exited before it was ready: $(tail -c 600 "$logfile" | tr '\n' ' ')"
    sleep 0.1
  done
  die "$name not ready after $limit s; see $logfile"
}

# bench_router_ports n: picks HTTP, metrics and mesh ports for routers 1..n (arrays http_port,
# prom_port, mesh_port, indexed from 1) and sets mesh_peers (every router's mesh address).
bench_router_ports() {
  local i
  http_port=() prom_port=() mesh_port=() mesh_peers=()
  for ((i = 1; i <= $1; i++)); do
    bench_free_port; http_port[i]=$port
    bench_free_port; prom_port[i]=$port
    bench_free_port; mesh_port[i]=$port
    mesh_peers+=("127.0.0.1:$port")
  done
}
# bench_start_router i log extra-flags...: router i on loopback with the mesh on and every router
# as a seed; sets spawned. Its name is node<i>.
bench_start_router() {
  local i=$1 logfile=$2
  shift 2
  bench_spawn "$logfile" "${smg[@]}" --host 127.0.0.1 --port "${http_port[i]}" --prometheus-host 127.0.0.1 \
    --prometheus-port "${prom_port[i]}" --enable-mesh --mesh-server-name "node$i" --mesh-host 127.0.0.1 \
    --mesh-port "${mesh_port[i]}" --mesh-peer-urls "${mesh_peers[@]}" "$@"
}
# bench_wait_mesh seconds i...: waits until each listed router reports /ha/health "healthy" (ALIVE,
# quorum, caught up with the cluster) and sees all the listed routers ALIVE. (/readiness also needs
# a healthy worker: scripts with workers wait for it separately.)
bench_wait_mesh() {
  local limit=$1 i
  shift
  local want=$#
  for _ in $(seq 1 $((limit * 5))); do
    local all=1
    for i in "$@"; do
      [[ $(curl -fsS --max-time 1 "http://127.0.0.1:${http_port[i]}/ha/health" 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("status"), d.get("alive_members"))' \
          2>/dev/null) == "healthy $want" ]] || { all=0; break; }
    done
    ((all)) && return 0
    sleep 0.2
  done
  die "routers $* did not all report healthy and see each other ALIVE within $limit s"
}

# bench_need cmd:package...: installs missing tools with apt-get when running as root, else says
# which apt-get install to run.
bench_need() {
  local pair missing=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]} with apt-get"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    die "missing tools; install them with: sudo apt-get install -y ${missing[*]}"
  fi
}

# bench_commit: the repository's commit, marked when the working tree has uncommitted changes
# outside docs/ (reports written by an earlier benchmark of the same run do not count).
bench_commit() {
  local c
  c=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -z $(git -C "$repo" status --porcelain 2>/dev/null | grep -v -e '^??' -e ' docs/' || true) ]] ||
    c+=" (with uncommitted changes)"
  printf '%s\n' "$c"
}

# bench_parse_out args...: handles --out FILE (sets out) and --help (prints the script's header).
bench_parse_out() {
  out=""
  while (($#)); do
    case $1 in
      --out) [[ $# -ge 2 ]] || die "--out needs a file"; out=$2; shift 2 ;;
      --out=*) out=${1#--out=}; shift ;;
      -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown argument '$1' (only --out FILE; settings come from the environment, see --help)" ;;
    esac
  done
}

# bench_wrk_script FILE BODY: a wrk Lua script that POSTs BODY as JSON and ends with one machine-readable
# line (BENCH rps= requests= non2xx= errors= p50_us= p99_us=), so no script parses wrk's human output.
bench_wrk_script() {
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.body = '$2'
wrk.headers["Content-Type"] = "application/json"
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH rps=%.1f requests=%d non2xx=%d errors=%d p50_us=%d p99_us=%d\n",
    summary.requests / (summary.duration / 1e6), summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
LUA
}

# bench_cpu_ticks PID...: CPU time the processes used so far (utime + stime, clock ticks: getconf CLK_TCK
# per second); fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
# A process that is gone counts 0.
bench_cpu_ticks() {
  local pid stat total=0 f
  for pid in "$@"; do
    stat=$(<"/proc/$pid/stat") 2>/dev/null || continue
    read -r -a f <<<"${stat##*) }"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
