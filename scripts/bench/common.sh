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
