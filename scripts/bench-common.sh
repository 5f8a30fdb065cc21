# Shared by the benchmark scripts (bench.sh, bench-view.sh, bench-scale.sh): sourced, not run, from the
# repository root. Environment: PAIRS (1000) and ROUNDS (1500) size the stress traces, RUNS (3)
# is how many runs each measurement takes the best of.

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=
PAIRS="${PAIRS:-1000}"
ROUNDS="${ROUNDS:-1500}"
RUNS="${RUNS:-3}"
GO127_ROOT="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}/1.27.3/go"
GO127="$GO127_ROOT/bin/go"
OUT=bench/out
TIME=/usr/bin/time

log() { echo "bench: $*" >&2; }

setup() {
  bash scripts/install-go-toolchains.sh >/dev/null
  if [ ! -x "$TIME" ]; then
    log "installing Debian's time (for peak memory)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  fi
  command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
  mkdir -p "$OUT"
}

build_gotrace() {
  log "building gotrace (release)"
  cargo build --release --locked -q
  GOTRACE="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/gotrace"
}

# gen_trace GO NAME: builds bench/stress with GO and writes OUT/NAME unless it is there.
# The trace is written under a temporary name first, so that an interrupted run never
# leaves a partial trace that a later run would take for a finished one.
gen_trace() {
  local go="$1" trace="$OUT/$2"
  if [ -s "$trace" ]; then
    log "reusing $trace"
    return
  fi
  log "writing $trace (-pairs $PAIRS -rounds $ROUNDS)"
  local bin="$OUT/stress-$($go env GOVERSION)"
  (cd bench/stress && "$go" build -o "../../$bin" .)
  "$bin" -pairs "$PAIRS" -rounds "$ROUNDS" "$trace.tmp"
  mv "$trace.tmp" "$trace"
}

# measure OUTFILE CMD...: runs CMD RUNS times with stdout to OUTFILE and sets SECS to the
# best wall time and PEAK_KB to the highest peak RSS seen (memory targets are upper bounds).
# On failure sets SECS=error and ERR to the command's first line of stderr.
measure() {
  local outfile="$1"; shift
  SECS="" PEAK_KB=0 ERR=""
  local i t0 t1 secs kb
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s%N)
    if ! "$TIME" -f '%M' -o "$OUT/time.txt" "$@" >"$outfile" 2>"$OUT/stderr.txt"; then
      SECS=error
      ERR="$(grep -v '^Command exited' "$OUT/stderr.txt" | head -n 1)"
      return
    fi
    t1=$(date +%s%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    kb=$(tail -n 1 "$OUT/time.txt")
    if [ -z "$SECS" ] || awk -v a="$secs" -v b="$SECS" 'BEGIN { exit !(a < b) }'; then SECS=$secs; fi
    if [ "$kb" -gt "$PEAK_KB" ]; then PEAK_KB=$kb; fi
  done
}

secs() { if [ "$1" = error ]; then echo error; else echo "$1 s"; fi; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k * 1024 / 1e6 }'; }

# The reference parser imports internal/trace, so it is built as a command inside a copy
# of Go 1.27's GOROOT. Hard links make the copy instant and cost no disk; only new files
# are written into it (go build writes its objects to the build cache, not to GOROOT).
build_go_harness() {
  local root="$OUT/goroot-1.27.3"
  if [ ! -d "$root" ]; then
    log "linking a GOROOT copy into $root"
    cp -al "$GO127_ROOT" "$root.tmp" 2>/dev/null || { rm -rf "$root.tmp"; cp -a "$GO127_ROOT" "$root.tmp"; }
    mv "$root.tmp" "$root"
  fi
  mkdir -p "$root/src/cmd/gotracebench"
  rm -f "$root/src/cmd/gotracebench/main.go"
  cp bench/goparser/main.go "$root/src/cmd/gotracebench/main.go"
  log "building the Go 1.27 reference parser"
  GOHARNESS="$PWD/$OUT/gotracebench"
  (cd "$root/src" && GOROOT="$PWD/.." ../bin/go build -o "$GOHARNESS" cmd/gotracebench)
}

# serve_start URL CMD...: starts the server CMD in the background under $TIME (SERVER_PID)
# and sets SECS to the time until URL answered (a server that parses first answers late).
serve_start() {
  local url="$1" t0 t1; shift
  t0=$(date +%s%N)
  "$TIME" -f '%M' -o "$OUT/serve-time.txt" "$@" >/dev/null 2>"$OUT/serve-stderr.txt" &
  SERVER_PID=$!
  until curl -sf -o /dev/null --max-time 600 "$url"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { log "$1 exited: $(head -n 3 "$OUT/serve-stderr.txt")"; exit 1; }
    sleep 0.05
  done
  t1=$(date +%s%N)
  SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

# serve_stop: stops the server that serve_start started and sets PEAK_KB to its peak RSS.
serve_stop() {
  pkill -TERM -P "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  PEAK_KB=$(tail -n 1 "$OUT/serve-time.txt")
}

# go_tool_trace TRACE: sets SECS to the best time until `go tool trace`'s main page answered
# and PEAK_KB to its highest peak RSS.
go_tool_trace() {
  local trace="$1" port=47123 tool i best="" peak=0
  # The tool's own binary, run directly (`go tool` would run it as a child): asking for its
  # path builds it on first use, which is not part of what is measured.
  tool="$("$GO127" tool -n trace)"
  for ((i = 0; i < RUNS; i++)); do
    BROWSER=true serve_start "http://127.0.0.1:$port/" "$tool" -http="127.0.0.1:$port" "$trace"
    serve_stop
    if [ -z "$best" ] || awk -v a="$SECS" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$SECS; fi
    if [ "$PEAK_KB" -gt "$peak" ] 2>/dev/null; then peak=$PEAK_KB; fi
  done
  SECS=$best PEAK_KB=$peak
}
