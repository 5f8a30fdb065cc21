#!/usr/bin/env bash
# The big-trace viewer benchmark: `gotrace view --html` against `go tool trace` (Go 1.27) on
# the same 50 MB, 9 M-event trace of bench/stress, side by side: for gotrace, the time until
# the one-file page is written; for Go, the time until its web UI answers its main page (it
# parses the whole trace first). Peak memory of both. Prints a table, writes it to
# bench/out/view-results.md, exits 1 if gotrace misses ≤1/10 of Go's time or ≤1 GB. Then
# opens the page in headless Chromium and prints how long that took and a frame's time.
# Not part of `cargo test`: it wants a quiet machine. See bench/README.md.
#
# Environment: PAIRS (1000) and ROUNDS (1500) size the trace, RUNS (3) the best-of count.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
GO127="$GO127_ROOT/bin/go"

MAX_SHARE=0.1   # gotrace's time as a share of Go's, at most
MAX_MB=1000

# go_tool_trace TRACE: sets SECS to the best time until `go tool trace`'s main page answered
# and PEAK_KB to its highest peak RSS.
go_tool_trace() {
  local trace="$1" port=47123 tool i t0 t1 secs pid kb
  SECS="" PEAK_KB=0
  # The tool's own binary, run directly (`go tool` would run it as a child): asking for its
  # path builds it on first use, which is not part of what is measured.
  tool="$("$GO127" tool -n trace)"
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s%N)
    BROWSER=true "$TIME" -f '%M' -o "$OUT/go-time.txt" "$tool" -http="127.0.0.1:$port" "$trace" \
      >/dev/null 2>"$OUT/go-stderr.txt" &
    pid=$!
    until curl -sf -o /dev/null --max-time 600 "http://127.0.0.1:$port/"; do
      kill -0 "$pid" 2>/dev/null || { log "go tool trace exited: $(head -n 3 "$OUT/go-stderr.txt")"; exit 1; }
      sleep 0.05
    done
    t1=$(date +%s%N)
    pkill -TERM -P "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    kb=$(tail -n 1 "$OUT/go-time.txt")
    if [ -z "$SECS" ] || awk -v a="$secs" -v b="$SECS" 'BEGIN { exit !(a < b) }'; then SECS=$secs; fi
    if [ "$kb" -gt "$PEAK_KB" ] 2>/dev/null; then PEAK_KB=$kb; fi
  done
}

setup
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
build_gotrace
name="stress-1.27-${PAIRS}x${ROUNDS}.trace"
gen_trace "$GO127" "$name"
trace="$OUT/$name"

log "timing gotrace view --html on $name"
measure /dev/null "$GOTRACE" view --html "$OUT/view.html" "$trace"
[ "$SECS" = error ] && { log "gotrace failed: $ERR"; exit 1; }
g_secs=$SECS g_mb=$(mb "$PEAK_KB")
html_mb=$(awk -v b="$(stat -c %s "$OUT/view.html")" 'BEGIN { printf "%.1f", b / 1e6 }')

log "timing go tool trace (Go 1.27) on $name"
go_tool_trace "$trace"
go_secs=$SECS go_mb=$(mb "$PEAK_KB")

share=$(awk -v g="$g_secs" -v o="$go_secs" 'BEGIN { printf "%.3f", g / o }')
verdict=PASS
awk -v s="$share" -v m="$MAX_SHARE" 'BEGIN { exit !(s > m) }' && verdict="FAIL (> ${MAX_SHARE} of Go's time)"
[ "$g_mb" -gt "$MAX_MB" ] && verdict="FAIL (> $MAX_MB MB)"
{
  echo "# gotrace view --html vs go tool trace (Go 1.27)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS runs (wall time), highest peak RSS; MB = 10^6 bytes."
  echo
  echo "| trace | gotrace --html | go tool trace, page ready | gotrace / Go | gotrace peak MB | Go peak MB | page size | target: result |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| $name | $g_secs s | $go_secs s | $share (1/$(awk -v s="$share" 'BEGIN { printf "%.1f", 1 / s }')) | $g_mb | $go_mb | $html_mb MB | ≤${MAX_SHARE}, ≤$MAX_MB MB: $verdict |"
} | tee "$OUT/view-results.md"

log "opening the page in headless Chromium (software WebGL)"
bash scripts/install-chromium.sh >/dev/null
GOTRACE_BENCH_HTML="$PWD/$OUT/view.html" cargo test --release --quiet --test viewer_bench -- --ignored --nocapture \
  the_big_trace_page 2>&1 | grep -E '^(big page|drawn)' | tee -a "$OUT/view-results.md"
[ "$verdict" = PASS ]
