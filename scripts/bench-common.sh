# Shared by the benchmark scripts (bench.sh, bench-view.sh): sourced, not run, from the
# repository root. Environment: PAIRS (1000) and ROUNDS (1500) size the stress traces, RUNS (3)
# is how many runs each measurement takes the best of.

export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=
PAIRS="${PAIRS:-1000}"
ROUNDS="${ROUNDS:-1500}"
RUNS="${RUNS:-3}"
GO127_ROOT="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}/1.27.3/go"
OUT=bench/out
TIME=/usr/bin/time

log() { echo "bench: $*" >&2; }

setup() {
  bash scripts/install-go-toolchains.sh >/dev/null
  if [ ! -x "$TIME" ]; then
    log "installing Debian's time (for peak memory)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  fi
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

