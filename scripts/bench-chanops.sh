#!/usr/bin/env bash
# What the channel-operations patch costs per channel operation: bench/chanops's benchmarks
# (buffered send+receive pair, unbuffered ping-pong round trip, select pair), built with the
# stock and the patched runtime of the same Go, tracer off and on, run alternately ROUNDS
# times; prints the medians (ns/op) and the ratios against the targets.
#   scripts/bench-chanops.sh [VERSION...]   default 1.27.3; ROUNDS (7), BENCHTIME (200ms)
# Targets: tracer off, patched ≤1.05× stock; tracer on with the channel events, ≤1.5× the
# stock tracer. One P (-test.cpu=1), so a ping-pong is a goroutine switch, not a wake-up of
# another thread: less noise on a shared machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
toolchains="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.27.3)
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GOWORK=off
. "$root/scripts/patched-goroot.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A build cache of its own, kept between runs (the patched std takes minutes to compile).
export GOCACHE="${GOCACHE:-$root/bench/out/gocache}"
mkdir -p "$root/bench/out"
results="$root/bench/out/chanops.md"
: >"$results"

for v in "${versions[@]}"; do
  stock="$toolchains/$v/go"
  if [ ! -x "$stock/bin/go" ]; then
    echo "bench-chanops: Go $v is not installed at $stock (run scripts/install-go-toolchains.sh)" >&2
    exit 1
  fi
  echo "bench-chanops: Go $v: patching a copy, building the benchmarks" >&2
  patched_goroot "$stock" "$work/go$v" "$root/patches/go${v%.*}-chanops.patch"
  (cd "$root/bench/chanops" && "$stock/bin/go" test -c -o "$work/stock-$v" . \
    && "$work/go$v/bin/go" test -c -o "$work/patched-$v" .)
  echo "bench-chanops: Go $v: ${ROUNDS:-7} rounds" >&2
  python3 - "$work" "$v" "${ROUNDS:-7}" "${BENCHTIME:-200ms}" <<'PY' | tee -a "$results"
import os, re, statistics, subprocess, sys
work, version, rounds, benchtime = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
configs = [  # name, binary, environment
    ("stock, tracer off", "stock", {}),
    ("patched, tracer off", "patched", {}),
    ("stock, tracer on", "stock", {"CHANOPS_TRACE": "1"}),
    ("patched, tracer on, no channel events", "patched", {"CHANOPS_TRACE": "1"}),
    ("patched, tracer on + channel events", "patched", {"CHANOPS_TRACE": "1", "GODEBUG": "tracechanops=1"}),
]
times = {}  # (config, benchmark) -> [ns/op]
for _ in range(rounds):
    for name, binary, env in configs:
        out = subprocess.run(
            [f"{work}/{binary}-{version}", "-test.run=^$", "-test.bench=.", "-test.cpu=1",
             f"-test.benchtime={benchtime}", "-test.count=1"],
            env={**os.environ, "GODEBUG": "", **env}, capture_output=True, text=True, check=True).stdout
        for bench, ns in re.findall(r"^Benchmark(\w+)\s+\d+\s+([\d.]+) ns/op", out, re.M):
            times.setdefault((name, bench), []).append(float(ns))
benches = sorted({b for _, b in times})
med = {k: statistics.median(v) for k, v in times.items()}
print(f"\nGo {version}: median ns/op of {rounds} alternating rounds, -test.benchtime={benchtime}, one P\n")
print("| configuration | " + " | ".join(benches) + " |")
print("|---|" + "---:|" * len(benches))
for name, _, _ in configs:
    print(f"| {name} | " + " | ".join(f"{med[(name, b)]:.1f}" for b in benches) + " |")
def ratio(a, b, label, target):
    cells = [f"{med[(a, x)] / med[(b, x)]:.2f}×" for x in benches]
    print(f"| {label} (target ≤{target}×) | " + " | ".join(cells) + " |")
ratio("patched, tracer off", "stock, tracer off", "patched / stock, tracer off", "1.05")
ratio("patched, tracer on, no channel events", "stock, tracer on", "patched / stock, tracer on, no channel events", "1.05")
ratio("patched, tracer on + channel events", "stock, tracer on", "channel events / stock tracer", "1.5")
PY
done
echo "bench-chanops: results in bench/out/chanops.md" >&2
