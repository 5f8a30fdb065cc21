#!/usr/bin/env bash
# Scale benchmark of the viewer (not part of `cargo test`): a SYNTHETIC model of 10,000
# goroutines and 100,000 messages (viewer/dev/synthetic-model.mjs) drawn in Debian's headless
# Chromium with software WebGL, merged buffers vs one object per line (and vs one draw call per line), in one page run.
# Usage: scripts/viewer-bench.sh [GOROUTINES] [MESSAGES] [SECONDS_PER_MODE]
set -euo pipefail
cd "$(dirname "$0")/.."
goroutines=${1:-10000}
messages=${2:-100000}
seconds=${3:-10}
bash scripts/install-chromium.sh
out=target/viewer-bench
mkdir -p "$out"
node viewer/dev/synthetic-model.mjs "$goroutines" "$messages" > "$out/model.json"
echo "synthetic model: $goroutines goroutines, $messages messages, $(du -h "$out/model.json" | cut -f1)"
GOTRACE_BENCH_MODEL="$PWD/$out/model.json" GOTRACE_BENCH_SECONDS="$seconds" \
    cargo test --quiet --test it -- --ignored --nocapture viewer_bench::merged_buffers 2>&1 | grep -v '^$'
echo "screenshot: target/test-artifacts/viewer_bench.png"
