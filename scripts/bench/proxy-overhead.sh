#!/usr/bin/env bash
# Whole-system proxy-overhead benchmark: one mock worker measured
#   (a) directly, (b) through smg, (c) through nginx as a reverse proxy,
# with the same load tool and settings in one run; prints a Markdown report on stdout
# and writes it to $OUT (default <repo>/docs/bench/proxy-overhead.md). Progress goes to stderr.
#
# Usage:  scripts/bench/proxy-overhead.sh
#         DURATION=3 REPEATS=1 SMG_JAR=/tmp/smg.jar scripts/bench/proxy-overhead.sh   # quick check
#
# Settings (environment):
#   SMG_JAR       jar to benchmark [<repo>/smg.jar; built with `make build` only when that is missing]
#   DURATION      seconds of each measured run [10]
#   REPEATS       measured runs per target and test, interleaved direct/smg/nginx [3]
#   WARMUP        seconds of throw-away load per target before measuring (the JVMs JIT) [5]
#   WRK_THREADS   wrk threads for the max-throughput test [2]
#   WRK_CONNS     wrk connections for the max-throughput test [64]
#   RATE          total request rate of the latency test, req/s [1000]
#   RATE_CONC     hey workers of the latency test; each is limited to RATE/RATE_CONC req/s [10]
#   GEN_MS        mock worker generation time per response, ms [0 = answer at once]
#   OUT           report file [<repo>/docs/bench/proxy-overhead.md]
#   SMG_JAVA_OPTS extra JVM options for smg and the mock worker (read by scripts/smg)
#   STREAM        1: also the streamed part below; 0 skips it [1]
#   STREAM_CHUNKS the streamed part's tokens per answer (worker --stream-chunks, max_tokens) [64]
#
# Streamed part (issue 15; after the part above, with its own processes): a second mock worker
# (`--stream-chunks STREAM_CHUNKS --gen-ms 0`: chunks as fast as it can write them) loaded directly
# and through three more smg instances: stream failover on (the event-aware relay, the default),
# "bare" (failover on, --disable-generation-metrics: what the issue-16 metrics cost) and off
# (`--disable-stream-failover`: bytes relayed as they come), with a streamed chat completion
# ("stream":true, max_tokens STREAM_CHUNKS). Per target, REPEATS interleaved wrk runs (same -t/-c/-d):
# streams/s; for the smg instances also the CPU their JVM used during the run (utime + stime
# from /proc/<pid>/stat) divided by the events relayed (streams completed x events per stream,
# counted once with curl: content chunks + final chunk + [DONE]) = CPU µs per relayed chunk.
# With the defaults a run takes about 4 minutes and keeps every CPU busy: run it on an
# otherwise idle machine (not next to a build), or the numbers measure the build too.
#
# Tools, and why:
#   wrk  - max throughput: an event-loop load generator that is cheap per request, so on a
#          small machine it leaves most CPU to the system under test. POSTs via a Lua script.
#   hey  - latency at a fixed rate: plain wrk has no fixed-rate mode and wrk2 is not packaged
#          by Debian/Ubuntu; hey (apt package `hey`) rate-limits each of its -c workers with -q
#          and prints p50/p99. Caveats: hey prints latencies in 0.1 ms steps, and its limiter
#          is closed-loop (a slow response delays that worker's next request), so tail
#          latency under stalls is understated the same way for all three targets.
#   nginx - the reference reverse proxy: a private instance (own config/prefix in a temp dir,
#          `daemon off`, killed at the end) with upstream keepalive, as a production setup has.
#   Missing tools are installed with apt-get when running as root; otherwise the script says
#   which `apt-get install` to run.
#
# Everything runs on 127.0.0.1 on one machine: load generator, proxy and worker share the
# CPUs, so the figures describe this whole system, not any one process alone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

DURATION=${DURATION:-10}
REPEATS=${REPEATS:-3}
WARMUP=${WARMUP:-5}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-64}
RATE=${RATE:-1000}
RATE_CONC=${RATE_CONC:-10}
GEN_MS=${GEN_MS:-0}
STREAM=${STREAM:-1}
STREAM_CHUNKS=${STREAM_CHUNKS:-64}
OUT=${OUT:-$repo/docs/bench/proxy-overhead.md}
MODEL=mock-model
BODY='{"model":"mock-model","messages":[{"role":"user","content":"hello"}]}'
TARGETS=(direct smg nginx)

# shellcheck source=scripts/bench/common.sh
source "$here/common.sh" # log, die, bench_prepare_jar

for v in DURATION REPEATS WARMUP WRK_THREADS WRK_CONNS RATE RATE_CONC GEN_MS STREAM STREAM_CHUNKS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
((DURATION > 0 && REPEATS > 0 && RATE > 0 && RATE_CONC > 0)) || die "DURATION, REPEATS, RATE and RATE_CONC must be > 0"
((STREAM_CHUNKS > 0)) || die "STREAM_CHUNKS must be > 0"

# --- cleanup: every process we start is recorded here and stopped on any exit ----------------
work=$(mktemp -d /tmp/smg-proxy-bench.XXXXXX)
chmod 755 "$work" # nginx started as root runs its workers as an unprivileged user
pids=()
ok=0
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # Give the JVMs and nginx a moment to stop, then make sure nothing is left behind.
    for _ in $(seq 1 50); do
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if ((ok)); then
    rm -rf "$work"
  else
    log "failed (status $status); logs kept in $work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools ---------------------------------------------------------------------------------
ensure_tools() {
  # command -> Debian/Ubuntu package
  local -A pkg=([wrk]=wrk [hey]=hey [nginx]=nginx [curl]=curl)
  local missing=()
  for cmd in "${!pkg[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || [[ $cmd == nginx && -x /usr/sbin/nginx ]] || missing+=("${pkg[$cmd]}")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]} with apt-get"
    # Installing nginx may try to start the system service; that is the distro's business,
    # the benchmark only uses its own private instance below.
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    die "missing tools; install them with: sudo apt-get install -y ${missing[*]}"
  fi
}
ensure_tools
PATH=$PATH:/usr/sbin # nginx lives in /usr/sbin, which a non-root PATH may lack

# --- jar and JDK ---------------------------------------------------------------------------
bench_prepare_jar

# --- ports ---------------------------------------------------------------------------------
used_ports=" "
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# take_port VAR: sets VAR to a port nothing listens on, distinct from those already handed out (it
# runs in this shell, not in $(...), so it can remember them). Ports come from 20000-31999, below
# Linux's ephemeral range, where outgoing connections could take them between check and bind.
take_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    [[ $used_ports == *" $p "* ]] && continue
    if port_free "$p"; then used_ports+="$p "; printf -v "$1" '%s' "$p"; return; fi
  done
  die "no free port found"
}
take_port worker_port
take_port smg_port
take_port nginx_port
declare -A url=(
  [direct]="http://127.0.0.1:$worker_port/v1/chat/completions"
  [smg]="http://127.0.0.1:$smg_port/v1/chat/completions"
  [nginx]="http://127.0.0.1:$nginx_port/v1/chat/completions"
)

wait_http() { # name url pid: wait up to 60 s for a 200 from url while pid lives
  local name=$1 u=$2 pid=$3
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null --max-time 1 "$u" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || die "$name exited early; see $work/$name.log"
    sleep 0.1
  done
  die "$name not ready after 60 s; see $work/$name.log"
}

# --- start the system under test ------------------------------------------------------------
log "starting mock worker on :$worker_port"
"${smg[@]}" mock-worker --host 127.0.0.1 --port "$worker_port" --model "$MODEL" --gen-ms "$GEN_MS" \
  >"$work/worker.log" 2>&1 &
pids+=($!)
wait_http worker "http://127.0.0.1:$worker_port/health" "${pids[-1]}"

# --prometheus-port arrives in a later smg; pass it only when this jar knows it, so the
# metrics endpoint cannot clash with another run's default port.
smg_args=(--host 127.0.0.1 --port "$smg_port" --worker-urls "http://127.0.0.1:$worker_port")
if "${smg[@]}" --help 2>&1 | grep -q -- '--prometheus-port'; then
  take_port metrics_port
  smg_args+=(--prometheus-port "$metrics_port")
fi
if "${smg[@]}" --help 2>&1 | grep -q -- '--prometheus-host'; then
  smg_args+=(--prometheus-host 127.0.0.1) # stay on loopback
fi
log "starting smg on :$smg_port (${smg_args[*]})"
"${smg[@]}" "${smg_args[@]}" >"$work/smg.log" 2>&1 &
pids+=($!)
wait_http smg "http://127.0.0.1:$smg_port/readiness" "${pids[-1]}"

# nginx: a private instance; everything it writes stays under $work/nginx.
ngx=$work/nginx
mkdir -p "$ngx"
cat >"$ngx/nginx.conf" <<CONF
worker_processes auto;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ngx/client_body;
  proxy_temp_path $ngx/proxy;
  fastcgi_temp_path $ngx/fastcgi;
  uwsgi_temp_path $ngx/uwsgi;
  scgi_temp_path $ngx/scgi;
  upstream worker {
    server 127.0.0.1:$worker_port;
    keepalive 64;             # reuse upstream connections, as smg does
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://worker;
      proxy_http_version 1.1; # keepalive upstream needs HTTP/1.1 ...
      proxy_set_header Connection "";  # ... and no "Connection: close"
    }
  }
}
CONF
log "starting nginx on :$nginx_port"
# -e (nginx 1.19.5+): nginx opens its compiled-in error log before reading the config; keep
# that private too where this nginx allows it (older ones just warn when it is not writable).
nginx_args=(-p "$ngx" -c "$ngx/nginx.conf" -g 'daemon off;')
if nginx -h 2>&1 | grep -q -- '^ *-e '; then nginx_args=(-e "$ngx/error.log" "${nginx_args[@]}"); fi
nginx "${nginx_args[@]}" >"$work/nginx.log" 2>&1 &
pids+=($!)
wait_http nginx "http://127.0.0.1:$nginx_port/health" "${pids[-1]}"

# Each target must answer the benchmark request with a chat completion before we time it.
for t in "${TARGETS[@]}"; do
  resp=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' -d "$BODY" "${url[$t]}") ||
    die "$t: POST ${url[$t]} failed"
  [[ $resp == *'"chat.completion"'* ]] || die "$t: unexpected response: $resp"
done
resp_bytes=${#resp}

# --- load tools ----------------------------------------------------------------------------
bench_wrk_script "$work/post.lua" "$BODY"
printf '%s' "$BODY" >"$work/body.json"

run_wrk() { # url seconds [lua] -> "rps errors requests" (errors = socket errors + non-2xx)
  local out
  out=$(timeout $(($2 + 30)) wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$2s" --timeout 5s \
    -s "${3:-$work/post.lua}" "$1" 2>&1) || die "wrk failed: $out"
  awk '/^BENCH/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                  print v["rps"], v["non2xx"] + v["errors"], v["requests"]; found = 1 }
       END { if (!found) exit 1 }' <<<"$out" || die "no result from wrk: $out"
}

per_worker_qps=$(awk -v r="$RATE" -v c="$RATE_CONC" 'BEGIN { printf "%g", r / c }')
run_hey() { # url seconds -> "p50_ms p99_ms achieved_rps errors"
  local out
  out=$(timeout $(($2 + 30)) hey -z "$2s" -c "$RATE_CONC" -q "$per_worker_qps" -t 5 \
    -m POST -T application/json -D "$work/body.json" "$1" 2>&1) || die "hey failed: $out"
  # Errors: non-200 status lines plus the "Error distribution" section, if any.
  awk '$1 == "50%" { p50 = $3 * 1000 }
       $1 == "99%" { p99 = $3 * 1000 }
       $1 == "Requests/sec:" { rps = $2 }
       /^Error distribution/ { in_err = 1 }
       in_err && match($0, /^ *\[[0-9]+\]/) { split($0, a, /[][]/); errs += a[2] }
       /^ *\[[0-9]+\]\t[0-9]+ responses/ && !in_err { split($0, a, /[][\t ]+/); if (a[2] != 200) errs += a[3] }
       END { if (p50 == "") exit 1; printf "%.2f %.2f %.0f %d\n", p50, p99, rps, errs }' <<<"$out" ||
    die "no latency distribution from hey: $out"
}

median() { # numbers... -> their median
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
    END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }

# --- measure -------------------------------------------------------------------------------
# Warm-up: the mock worker and smg are JVMs and need load before the JIT settles. Warming
# "direct" warms the worker that all three targets share.
for t in "${TARGETS[@]}"; do
  if ((WARMUP > 0)); then
    log "warm-up $t (${WARMUP}s)"
    run_wrk "${url[$t]}" "$WARMUP" >/dev/null
  fi
done

declare -A tput=() p50=() p99=() hey_rps=() errs=()
raw_rows=""
raw_csv="" # the same runs for scripts/bench/charts.sh (data/proxy-overhead.csv next to the report)
for rep in $(seq 1 "$REPEATS"); do
  # Interleave targets within each repeat so slow drifts (thermal, GC, noise) hit all alike.
  for t in "${TARGETS[@]}"; do
    log "repeat $rep/$REPEATS: max throughput, $t (wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s)"
    res=$(run_wrk "${url[$t]}" "$DURATION") # separate assignment so a failure stops the script
    read -r rps e _ <<<"$res"
    tput[$t]+="$rps "
    errs[$t]=$((${errs[$t]:-0} + e))
    raw_rows+="| $rep | $t | throughput | $rps req/s | | | $e |"$'\n'
    raw_csv+="$rep,$t,throughput,$rps,,,$e"$'\n'
    sleep 1
  done
  for t in "${TARGETS[@]}"; do
    log "repeat $rep/$REPEATS: latency at $RATE req/s, $t (hey -c $RATE_CONC -q $per_worker_qps -z ${DURATION}s)"
    res=$(run_hey "${url[$t]}" "$DURATION")
    read -r l50 l99 achieved e <<<"$res"
    p50[$t]+="$l50 "
    p99[$t]+="$l99 "
    hey_rps[$t]+="$achieved "
    errs[$t]=$((${errs[$t]:-0} + e))
    raw_rows+="| $rep | $t | latency | $achieved req/s | $l50 | $l99 | $e |"$'\n'
    raw_csv+="$rep,$t,latency,$achieved,$l50,$l99,$e"$'\n'
    sleep 1
  done
done

# --- streamed part (issue 15): the event-aware relay (failover on) vs the byte relay (off) -------
# Its own worker and two more smg instances, started only now so that they cannot take CPU from
# the part above. The smg JVMs' CPU is read from /proc: scripts/smg execs java, so the pid of the
# background job is the JVM's own (checked below).
STREAM_TARGETS=(direct on bare off)
STREAM_BODY="{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"stream\":true,\"max_tokens\":$STREAM_CHUNKS}"
stream_md=""
stream_raw_md=""
stream_setup_md=""
if ((STREAM)); then
  "${smg[@]}" --help 2>&1 | grep -q -- '--disable-stream-failover' ||
    die "this smg has no --disable-stream-failover (streamed part); build a newer jar, or set STREAM=0"
  clk_tck=$(getconf CLK_TCK)
  take_port sworker_port
  take_port son_port
  take_port sbare_port
  take_port soff_port
  log "streamed part: starting mock worker on :$sworker_port (--stream-chunks $STREAM_CHUNKS --gen-ms 0)"
  "${smg[@]}" mock-worker --host 127.0.0.1 --port "$sworker_port" --model "$MODEL" --gen-ms 0 \
    --stream-chunks "$STREAM_CHUNKS" >"$work/stream-worker.log" 2>&1 &
  pids+=($!)
  wait_http stream-worker "http://127.0.0.1:$sworker_port/health" "${pids[-1]}"
  declare -A surl=([direct]="http://127.0.0.1:$sworker_port/v1/chat/completions") spid=() sargs=()
  bare_flag=(--disable-generation-metrics)
  "${smg[@]}" --help 2>&1 | grep -q -- '--disable-generation-metrics' || bare_flag=()
  for t in on bare off; do
    port_var=s${t}_port
    args=(--host 127.0.0.1 --port "${!port_var}" --worker-urls "http://127.0.0.1:$sworker_port")
    if "${smg[@]}" --help 2>&1 | grep -q -- '--prometheus-port'; then
      take_port "metrics_$t"
      mvar=metrics_$t
      args+=(--prometheus-host 127.0.0.1 --prometheus-port "${!mvar}")
    fi
    [[ $t == off ]] && args+=(--disable-stream-failover)
    [[ $t == bare ]] && args+=("${bare_flag[@]}")
    log "streamed part: starting smg (failover $t) on :${!port_var}"
    "${smg[@]}" "${args[@]}" >"$work/smg-stream-$t.log" 2>&1 &
    pids+=($!)
    spid[$t]=$!
    sargs[$t]="${args[*]}"
    surl[$t]="http://127.0.0.1:${!port_var}/v1/chat/completions"
    wait_http "smg-stream-$t" "http://127.0.0.1:${!port_var}/readiness" "${pids[-1]}"
    [[ $(readlink "/proc/${spid[$t]}/exe") == */java ]] ||
      die "pid ${spid[$t]} (smg, failover $t) is not the JVM: $(readlink "/proc/${spid[$t]}/exe")"
  done

  # Events per stream, counted once per target: they must agree, or the CPU per chunk means nothing.
  events_per_stream=""
  for t in "${STREAM_TARGETS[@]}"; do
    n=$(curl -fsSN --max-time 10 -H 'Content-Type: application/json' -d "$STREAM_BODY" "${surl[$t]}" |
      grep -c '^data:') || die "streamed part: $t: POST ${surl[$t]} failed"
    log "streamed part: $t sends $n events per stream"
    [[ -z $events_per_stream || $n == "$events_per_stream" ]] ||
      die "streamed part: $t sends $n events per stream, direct sent $events_per_stream"
    events_per_stream=$n
  done
  ((events_per_stream > STREAM_CHUNKS)) || die "streamed part: only $events_per_stream events per stream"

  bench_wrk_script "$work/stream.lua" "$STREAM_BODY"
  for t in "${STREAM_TARGETS[@]}"; do
    if ((WARMUP > 0)); then
      log "streamed part: warm-up $t (${WARMUP}s)"
      run_wrk "${surl[$t]}" "$WARMUP" "$work/stream.lua" >/dev/null
    fi
  done
  declare -A s_tput=() s_us=() s_cpu=() s_errs=()
  s_ratio="" s_diff="" s_mratio="" s_mdiff=""
  stream_csv=""
  for rep in $(seq 1 "$REPEATS"); do
    declare -A us_rep=()
    for t in "${STREAM_TARGETS[@]}"; do
      log "repeat $rep/$REPEATS: streamed max throughput, $t (wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s)"
      c0=0
      [[ $t == direct ]] || c0=$(bench_cpu_ticks "${spid[$t]}")
      res=$(run_wrk "${surl[$t]}" "$DURATION" "$work/stream.lua")
      read -r rps e n <<<"$res"
      us=""
      cpu_s=""
      if [[ $t != direct ]]; then
        c1=$(bench_cpu_ticks "${spid[$t]}")
        cpu_s=$(awk -v d=$((c1 - c0)) -v hz="$clk_tck" 'BEGIN { printf "%.2f", d / hz }')
        us=$(awk -v c="$cpu_s" -v n="$n" -v ev="$events_per_stream" 'BEGIN { printf "%.3f", (n > 0 ? c * 1e6 / (n * ev) : 0) }')
        s_us[$t]+="$us "
        s_cpu[$t]+="$cpu_s "
        us_rep[$t]=$us
      fi
      s_tput[$t]+="$rps "
      s_errs[$t]=$((${s_errs[$t]:-0} + e))
      stream_raw_md+="| $rep | $t | $rps | $n | ${cpu_s:--} | ${us:--} | $e |"$'\n'
      stream_csv+="$rep,$t,$rps,$n,$cpu_s,$us,$e"$'\n'
      sleep 1
    done
    # Side by side within the repeat: on vs off, and on vs bare (what the generation metrics add).
    s_ratio+="$(awk -v a="${us_rep[on]}" -v b="${us_rep[off]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }') "
    s_diff+="$(awk -v a="${us_rep[on]}" -v b="${us_rep[off]}" 'BEGIN { printf "%.3f", a - b }') "
    s_mratio+="$(awk -v a="${us_rep[on]}" -v b="${us_rep[bare]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }') "
    s_mdiff+="$(awk -v a="${us_rep[on]}" -v b="${us_rep[bare]}" 'BEGIN { printf "%.3f", a - b }') "
  done
fi

# --- report --------------------------------------------------------------------------------
declare -A m_tput=() m_p50=() m_p99=() m_rps=()
for t in "${TARGETS[@]}"; do
  # shellcheck disable=SC2086 # the values are space-separated numbers
  {
    m_tput[$t]=$(median ${tput[$t]})
    m_p50[$t]=$(median ${p50[$t]})
    m_p99[$t]=$(median ${p99[$t]})
    m_rps[$t]=$(median ${hey_rps[$t]})
  }
done
added() { fmt "$(awk -v a="$1" -v b="$2" 'BEGIN { print a - b }')" '%+.2f'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

java_version=$("$java_home/bin/java" -version 2>&1 | head -1)
smg_version=$("${smg[@]}" --version 2>&1 | head -1)
nginx_version=$(nginx -v 2>&1 | sed 's/^nginx version: //')
wrk_version=$(wrk -v 2>&1 | head -1 | awk '{ print $2 }' || true)
hey_version=$(dpkg-query -W -f='${Version}' hey 2>/dev/null || echo unknown)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo" status --porcelain 2>/dev/null | grep -v '^??' || true) ]]; then commit+=" (with uncommitted changes)"; fi

if ((STREAM)); then
  declare -A ms_tput=() ms_us=() ms_cpu=()
  # shellcheck disable=SC2086 # the values are space-separated numbers
  for t in "${STREAM_TARGETS[@]}"; do
    ms_tput[$t]=$(median ${s_tput[$t]})
    [[ $t == direct ]] && continue
    ms_us[$t]=$(median ${s_us[$t]})
    ms_cpu[$t]=$(median ${s_cpu[$t]})
  done
  # shellcheck disable=SC2086
  {
    m_ratio=$(median $s_ratio)
    m_diff=$(median $s_diff)
    m_mratio=$(median $s_mratio)
    m_mdiff=$(median $s_mdiff)
  }
  stream_md=$(
    cat <<MD
### Streamed answers: stream failover on vs off (issue 15), generation metrics on vs off (issue 16)

A second mock worker (\`--stream-chunks $STREAM_CHUNKS --gen-ms 0\`: it writes its chunks as fast as it can)
loaded directly and through two more smg instances: stream failover **on** (the default: the
event-aware relay, which parses each event to be able to continue the stream elsewhere) and **off**
(\`--disable-stream-failover\`: bytes relayed as they come), and **bare**: failover on, generation metrics
off (\`--disable-generation-metrics\`: no TTFT, token gaps or tokens, no usage asked for). Request: \`$STREAM_BODY\`;
$events_per_stream events per stream ($STREAM_CHUNKS content chunks, the final chunk, \`[DONE]\`). wrk as above
(-t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s), medians of $REPEATS interleaved runs. *CPU per relayed chunk* = the smg
JVM's utime + stime during the run / (streams completed x $events_per_stream events).

| target | streams/s | events/s | vs direct | smg CPU per run (s of ${DURATION}s) | CPU µs per relayed chunk | errors |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
MD
    for t in "${STREAM_TARGETS[@]}"; do
      label=$t
      [[ $t == on ]] && label="smg, failover on"
      [[ $t == off ]] && label="smg, failover off"
      [[ $t == bare ]] && label="smg, failover on, generation metrics off"
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(fmt "${ms_tput[$t]}" '%.0f')" \
        "$(awk -v r="${ms_tput[$t]}" -v e="$events_per_stream" 'BEGIN { printf "%.0f", r * e }')" \
        "$(ratio "${ms_tput[$t]}" "${ms_tput[direct]}")" "${ms_cpu[$t]:--}" \
        "$( [[ $t == direct ]] && echo - || fmt "${ms_us[$t]}" '%.2f')" "${s_errs[$t]}"
    done
    cat <<MD

CPU per relayed chunk, **failover on / off = $(fmt "$m_ratio" '%.2f')**, on − off = **$(fmt "$m_diff" '%+.2f') µs**; what the
generation metrics add: **on / bare = $(fmt "$m_mratio" '%.2f')**, on − bare = **$(fmt "$m_mdiff" '%+.2f') µs** (medians of the
per-repeat ratios and differences; each repeat runs every target side by side). Streams/s, on / off =
$(ratio "${ms_tput[on]}" "${ms_tput[off]}"), on / direct = $(ratio "${ms_tput[on]}" "${ms_tput[direct]}").

- The CPU per chunk is all of the JVM's CPU over the run (request parsing, routing, the upstream
  call, the relay, GC, JIT) divided by the events relayed, so it includes each stream's fixed cost
  spread over its $events_per_stream events; the on − off difference is what the event-aware relay adds.
- CPU time comes in clock ticks ($clk_tck per second): steps of $((1000 / clk_tck)) ms in a run's CPU seconds.

MD
  )
  stream_md+=$'\n\n'
  stream_setup_md=$'\n'"| streamed part | \`smg mock-worker --gen-ms 0 --stream-chunks $STREAM_CHUNKS\`; on: \`smg ${sargs[on]}\`; bare: \`smg ${sargs[bare]}\`; off: \`smg ${sargs[off]}\`; wrk with the streamed body; CPU from \`/proc/<jvm pid>/stat\` |"
  stream_raw_md=$'\n'"Streamed part:"$'\n\n'"| repeat | target | streams/s | streams completed | smg CPU (s) | CPU µs per chunk | errors |"$'\n'"| --- | --- | ---: | ---: | ---: | ---: | ---: |"$'\n'"$stream_raw_md"
fi

short_note=""
if ((DURATION < 10 || REPEATS < 3)); then
  short_note=$'\n\n'"**Short run (DURATION=${DURATION}s, REPEATS=$REPEATS): a quick check, not figures to quote.**"
fi

report=$(
  cat <<MD
# Proxy overhead: smg vs nginx vs direct

Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench/proxy-overhead.sh\` (repo commit $commit).

One mock worker (\`smg mock-worker --gen-ms $GEN_MS\`$( ((GEN_MS == 0)) && echo ', which answers at once')) is loaded
directly, through smg, and through nginx, with the same tools and settings in one run.
The request is a non-streaming chat completion (\`$BODY\`, ${resp_bytes}-byte response).

## Results

Medians of $REPEATS interleaved runs per target.$short_note

| target | max throughput (req/s) | vs direct | p50 at $RATE req/s (ms) | p99 at $RATE req/s (ms) | added p50 (ms) | added p99 (ms) | achieved rate (req/s) | errors |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
MD
  for t in "${TARGETS[@]}"; do
    add50=- add99=-
    if [[ $t != direct ]]; then
      add50=$(added "${m_p50[$t]}" "${m_p50[direct]}")
      add99=$(added "${m_p99[$t]}" "${m_p99[direct]}")
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" \
      "$(fmt "${m_tput[$t]}" '%.0f')" "$(ratio "${m_tput[$t]}" "${m_tput[direct]}")" \
      "$(fmt "${m_p50[$t]}" '%.2f')" "$(fmt "${m_p99[$t]}" '%.2f')" "$add50" "$add99" \
      "$(fmt "${m_rps[$t]}" '%.0f')" "${errs[$t]}"
  done
  printf '\n![Max throughput and latency at %s req/s: direct, through smg, through nginx](img/proxy-overhead.png)\n' "$RATE"
  cat <<MD

Throughput ratios: **smg/nginx = $(ratio "${m_tput[smg]}" "${m_tput[nginx]}")**, **smg/direct = $(ratio "${m_tput[smg]}" "${m_tput[direct]}")** (nginx/direct = $(ratio "${m_tput[nginx]}" "${m_tput[direct]}")).

- *Added latency* is the target's median latency minus the direct median latency at the same
  fixed rate. hey reports latencies in 0.1 ms steps, so differences below ~0.1 ms are noise.
- *Max throughput* is the whole system's: wrk, the proxy and the worker share the same
  $(nproc) CPUs, so a proxy that uses CPU lowers it even when the proxy itself is not the limit.
- *Errors* count socket errors, timeouts and non-2xx answers over all runs of the target.

${stream_md}## Setup

| item | value |
| --- | --- |
| machine | $(nproc) CPUs${cpu_model:+ ($cpu_model)}, Linux $(uname -r), loopback only |
| java | $java_version (\`$java_home\`)${SMG_JAVA_OPTS:+, SMG_JAVA_OPTS=\`$SMG_JAVA_OPTS\`} |
| smg | $smg_version: \`smg ${smg_args[*]}\` |
| nginx | $nginx_version: worker_processes auto, upstream keepalive 64, proxy_http_version 1.1, access_log off |
| mock worker | \`smg mock-worker --gen-ms $GEN_MS --model $MODEL\` |
| max throughput | wrk $wrk_version: \`wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s -s post.lua\` (POST via Lua) |
| latency | hey $hey_version: \`hey -c $RATE_CONC -q $per_worker_qps -z ${DURATION}s -m POST\` ($RATE_CONC workers x $per_worker_qps req/s = $RATE req/s) |
| repeats | $REPEATS per test and target, interleaved direct, smg, nginx; medians reported |
| warm-up | ${WARMUP}s of wrk load per target before measuring |${stream_setup_md}

## Raw runs

| repeat | target | test | rate | p50 (ms) | p99 (ms) | errors |
| --- | --- | --- | ---: | ---: | ---: | ---: |
MD
  printf '%s' "$raw_rows"
  printf '%s' "$stream_raw_md"
)

mkdir -p "$(dirname "$OUT")/data"
{
  echo "# Raw runs of scripts/bench/proxy-overhead.sh: rate_rps is wrk's max throughput or hey's achieved rate."
  echo "# title: one mock worker (gen-ms $GEN_MS): direct, through smg, through nginx; wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s, hey at $RATE req/s; $(nproc) CPUs"
  echo "# rate: $RATE"
  echo "repeat,target,test,rate_rps,p50_ms,p99_ms,errors"
  printf '%s' "$raw_csv"
} >"$(dirname "$OUT")/data/proxy-overhead.csv"
if ((STREAM)); then
  {
    echo "# Streamed part of scripts/bench/proxy-overhead.sh: wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s, $events_per_stream events per stream; cpu_s and us_per_chunk are the smg JVM's (empty for direct)."
    echo "repeat,target,streams_per_s,streams,cpu_s,us_per_chunk,errors"
    printf '%s' "$stream_csv"
  } >"$(dirname "$OUT")/data/proxy-overhead-stream.csv"
fi
printf '%s\n' "$report" >"$OUT"
printf '%s\n' "$report"
log "report written to $OUT"
ok=1
