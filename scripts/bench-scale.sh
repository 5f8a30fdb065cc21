#!/usr/bin/env bash
# The scale benchmark (issue 12): two traces of bench/stress written by Go 1.27, ~50 MB
# (ROUNDS) and ~500 MB (10 × ROUNDS), and on each, side by side in one run: `gotrace view
# --html`, `gotrace inspect --json`, the served viewer (time until its first page answers,
# then zoomed windows of ZOOM_MS at a tenth, the middle and nine tenths of the trace), and
# Go's own streaming parser reading the same file; `go tool trace` until its page answers on
# the 50 MB one only (it needs ~65 bytes of memory per byte of trace). Peak RSS of each by /usr/bin/time. Prints a table and
# the targets' verdicts, writes them to bench/out/scale-results.md, exits 1 if a target is
# missed. Not part of `cargo test`: it takes minutes and wants a quiet machine.
#
# Environment: PAIRS (1000) and ROUNDS (1500) size the traces, RUNS (1) the best-of count,
# ZOOM_MS (10) the zoomed window. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-1}"
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
ZOOM_MS="${ZOOM_MS:-10}"
PORT=47124

setup
build_gotrace
build_go_harness
small="stress-1.27-${PAIRS}x${ROUNDS}.trace"
big="stress-1.27-${PAIRS}x$((ROUNDS * 10)).trace"
gen_trace "$GO127" "$small"
ROUNDS=$((ROUNDS * 10)) gen_trace "$GO127" "$big"

ROWS=()
VERDICTS=()
FAILED=0

# verdict WHAT OK: records a target's result.
verdict() {
  if [ "$2" = 1 ]; then VERDICTS+=("- $1: PASS"); else VERDICTS+=("- $1: FAIL"); FAILED=1; fi
}
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo 1 || echo 0; }

# served TRACE: the served viewer's first page (SECS, PEAK_KB at the end) and zoomed windows
# of ZOOM_MS at a tenth, the middle and nine tenths of the trace, each timed until its whole
# answer is in (ZOOM_SECS: the slowest).
served() {
  local trace="$1" duration from t0 t1 secs at
  duration=$("$GOTRACE" inspect "$trace" --json | sed -n 's/^  "duration_ns": \([0-9]*\),$/\1/p')
  serve_start "http://127.0.0.1:$PORT/" "$GOTRACE" view --no-browser --port "$PORT" "$trace"
  local page_secs=$SECS
  ZOOM_SECS=0
  for at in 1 5 9; do
    from=$((duration / 10 * at))
    t0=$(date +%s%N)
    curl -sf -o "$OUT/zoom.json" "http://127.0.0.1:$PORT/picture.json?from=$from&to=$((from + ZOOM_MS * 1000000))"
    t1=$(date +%s%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    ZOOM_SECS=$(awk -v a="$secs" -v b="$ZOOM_SECS" 'BEGIN { print (a > b) ? a : b }')
  done
  serve_stop
  SECS=$page_secs
}

# bench_one NAME: measures everything on OUT/NAME and appends a row; sets the *_secs and
# *_mb variables of that trace for the verdicts.
bench_one() {
  local name="$1" trace="$OUT/$1" size_mb
  size_mb=$(awk -v b="$(stat -L -c %s "$trace")" 'BEGIN { printf "%.0f", b / 1e6 }')
  log "$name: gotrace view --html"
  measure /dev/null "$GOTRACE" view --html "$OUT/scale.html" "$trace"
  [ "$SECS" = error ] && { log "gotrace view --html failed: $ERR"; exit 1; }
  html_secs=$SECS html_mb=$(mb "$PEAK_KB")
  log "$name: gotrace inspect --json"
  measure /dev/null "$GOTRACE" inspect "$trace" --json
  [ "$SECS" = error ] && { log "gotrace inspect failed: $ERR"; exit 1; }
  inspect_secs=$SECS inspect_mb=$(mb "$PEAK_KB")
  log "$name: the served viewer"
  served "$trace"
  serve_secs=$SECS serve_mb=$(mb "$PEAK_KB") zoom_secs=$ZOOM_SECS
  log "$name: Go's parser"
  measure /dev/null "$GOHARNESS" "$trace"
  [ "$SECS" = error ] && { log "Go's parser failed: $ERR"; exit 1; }
  go_secs=$SECS go_mb=$(mb "$PEAK_KB")
  tool="-"
  if [ "$name" = "$small" ]; then
    log "$name: go tool trace"
    go_tool_trace "$trace"
    tool_secs=$SECS tool_mb=$(mb "$PEAK_KB")
    tool="$tool_secs s, $tool_mb MB"
  fi
  ROWS+=("| $name | $size_mb MB | $html_secs s, $html_mb MB | $inspect_secs s, $inspect_mb MB | $serve_secs s, $serve_mb MB | $zoom_secs s | $go_secs s, $go_mb MB | $tool |")
  # Each trace's row as soon as it is measured: the 500 MB one takes minutes more.
  log "${ROWS[-1]}"
}

bench_one "$small"
verdict "50 MB: view --html ≥25× sooner than go tool trace's page ($(awk -v a="$tool_secs" -v b="$html_secs" 'BEGIN { printf "%.1f", a / b }')×)" \
  "$(at_most "$(awk -v a="$html_secs" -v b="$tool_secs" 'BEGIN { print a * 25 / b }')" 1)"
verdict "50 MB: view --html peak ≤300 MB ($html_mb MB)" "$(at_most "$html_mb" 300)"
bench_one "$big"
verdict "500 MB: view --html within 1.5× of Go's parser ($(awk -v a="$html_secs" -v b="$go_secs" 'BEGIN { printf "%.2f", a / b }')×)" \
  "$(at_most "$html_secs" "$(awk -v g="$go_secs" 'BEGIN { print g * 1.5 }')")"
verdict "500 MB: view --html peak ≤2000 MB ($html_mb MB)" "$(at_most "$html_mb" 2000)"
verdict "500 MB: inspect peak ≤150 MB ($inspect_mb MB)" "$(at_most "$inspect_mb" 150)"
verdict "500 MB: served viewer peak ≤2000 MB ($serve_mb MB)" "$(at_most "$serve_mb" 2000)"
verdict "500 MB: ${ZOOM_MS} ms windows back in ≤1 s (slowest of three: $zoom_secs s)" "$(at_most "$zoom_secs" 1)"

{
  echo "# Scale: gotrace against Go's parser and go tool trace (Go 1.27 traces of bench/stress)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS run(s) (wall time), peak RSS; MB = 10^6 bytes."
  echo
  echo "| trace | size | gotrace view --html | gotrace inspect --json | served viewer, first page | zoomed ${ZOOM_MS} ms windows (slowest of 3) | Go's parser, reading | go tool trace, page |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  printf '%s\n' "${VERDICTS[@]}"
} | tee "$OUT/scale-results.md"
[ "$FAILED" = 0 ]
