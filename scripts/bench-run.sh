#!/usr/bin/env bash
# What `gotrace run` adds to building and running a program by hand: times, side by side and
# alternating, `go build` + run of an example against `gotrace run --no-browser -o out.json`
# of the same example, on a warm build cache, and prints the medians and their ratio.
# Usage: scripts/bench-run.sh [EXAMPLE.go] [RUNS]   (target: ratio ≤ 1.3)
set -euo pipefail
cd "$(dirname "$0")/.."
example="${1:-examples/pingpong.go}"
runs="${2:-15}"
export GOTOOLCHAIN=local GOPROXY=off
go="${GOTRACE_GO:-$(command -v go || echo /opt/gotrace-go/1.27.3/go/bin/go)}"
cargo build --release --locked --quiet
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$go" version
python3 - "$go" "$example" "$runs" "$out" <<'PY'
import statistics, subprocess, sys, time
go, example, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
by_hand = f"{go} build -o {out}/prog {example} && {out}/prog"
gotrace = f"GOTRACE_GO={go} ./target/release/gotrace run --no-browser -o {out}/model.json {example}"
def seconds(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start
seconds(by_hand), seconds(gotrace)  # warm the build caches
a, b = [], []
for _ in range(runs):
    a.append(seconds(by_hand))
    b.append(seconds(gotrace))
ma, mb = statistics.median(a), statistics.median(b)
print(f"go build + run   median {ma * 1000:7.1f} ms")
print(f"gotrace run      median {mb * 1000:7.1f} ms")
print(f"ratio            {mb / ma:.2f}x (target <= 1.3x)")
PY
