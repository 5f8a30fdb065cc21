#!/usr/bin/env bash
# The speed benchmark: `gotrace inspect --json` against Go 1.27's own streaming trace parser
# on two big traces of the same program (bench/stress), one written by Go 1.27 (new format)
# and one by Go 1.19 (old format). Prints a table with pass/fail against the targets and
# writes it to bench/out/results.md. Exits 1 if a target is missed or a parser fails.
# Not part of `cargo test`: it takes minutes and wants a quiet machine. See bench/README.md.
#
# Environment: PAIRS (1000) and ROUNDS (1500) size the traces, RUNS (3) is how many runs
# each measurement takes the best of.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
GO119="/usr/lib/go-1.19/bin/go"

# Targets: gotrace at least this many times faster than Go, and at most this peak memory.
MIN_RATIO=3
MAX_MB_NEW=100
MAX_MB_OLD=300

ROWS=()
NOTES=()
FAILED=0

# bench_one NAME MAX_MB: measures both parsers on OUT/NAME and appends a table row.
bench_one() {
  local name="$1" max_mb="$2" trace="$OUT/$1"
  local size_mb g_secs g_mb g_events go_secs go_mb go_events ratio rate verdict
  size_mb=$(awk -v b="$(stat -c %s "$trace")" 'BEGIN { printf "%.1f", b / 1e6 }')

  log "timing gotrace on $name"
  measure "$OUT/gotrace.json" "$GOTRACE" inspect "$trace" --json
  g_secs=$SECS g_mb=$(mb "$PEAK_KB")
  g_events=$(sed -n 's/^  "events": \([0-9]*\),$/\1/p' "$OUT/gotrace.json")
  [ "$g_secs" = error ] && NOTES+=("gotrace on $name: $ERR")

  log "timing Go 1.27 on $name"
  measure "$OUT/go.txt" "$GOHARNESS" "$trace"
  go_secs=$SECS go_mb=$(mb "$PEAK_KB")
  go_events=$(head -n 1 "$OUT/go.txt")
  [ "$go_secs" = error ] && NOTES+=("Go on $name: $ERR")

  if [ "$g_secs" = error ] || [ "$go_secs" = error ]; then
    ratio="-" rate="-" verdict="FAIL (parse error)"
    [ "$g_secs" = error ] && g_mb="-"
    [ "$go_secs" = error ] && go_mb="-"
  else
    ratio=$(awk -v g="$g_secs" -v o="$go_secs" 'BEGIN { printf "%.2f", o / g }')
    rate=$(awk -v n="$g_events" -v s="$g_secs" 'BEGIN { printf "%.1f M", n / s / 1e6 }')
    verdict=PASS
    awk -v r="$ratio" -v m="$MIN_RATIO" 'BEGIN { exit !(r < m) }' && verdict="FAIL (< ${MIN_RATIO}x)"
    if [ "$g_mb" -gt "$max_mb" ]; then
      [ "$verdict" = PASS ] && verdict="FAIL" || verdict="$verdict,"
      verdict="$verdict (> $max_mb MB)"
    fi
  fi
  [ "$verdict" = PASS ] || FAILED=1
  ROWS+=("| $name | $size_mb MB | ${g_events:--} | ${go_events:--} | $(secs "$g_secs") | $(secs "$go_secs") | $ratio | $g_mb | $go_mb | $rate | ≥${MIN_RATIO}×, ≤$max_mb MB: $verdict |")
}

report() {
  {
    echo "# gotrace vs Go 1.27 internal/trace"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS runs (wall time), highest peak RSS; MB = 10^6 bytes."
    echo
    echo "| trace | size | events (gotrace) | events (Go) | gotrace time | Go time | speed ratio (Go/gotrace) | gotrace peak MB | Go peak MB | gotrace events/s | target: result |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    if [ ${#NOTES[@]} -gt 0 ]; then
      echo
      printf -- '- %s\n' "${NOTES[@]}"
    fi
  } | tee "$OUT/results.md"
}

setup
build_gotrace
new="stress-1.27-${PAIRS}x${ROUNDS}.trace"
old="stress-1.19-${PAIRS}x${ROUNDS}.trace"
gen_trace "$GO127_ROOT/bin/go" "$new"
gen_trace "$GO119" "$old"
build_go_harness
bench_one "$new" "$MAX_MB_NEW"
bench_one "$old" "$MAX_MB_OLD"
report
exit "$FAILED"
