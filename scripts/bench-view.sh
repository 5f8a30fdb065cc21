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

MAX_SHARE=0.1   # gotrace's time as a share of Go's, at most
MAX_MB=1000

setup
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
GOTRACE_BENCH_HTML="$PWD/$OUT/view.html" cargo test --release --quiet --test it -- --ignored --nocapture \
  viewer_bench::the_big_trace_page 2>&1 | grep -E '^(big page|drawn)' | tee -a "$OUT/view-results.md"
[ "$verdict" = PASS ]
