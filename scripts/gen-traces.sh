#!/usr/bin/env bash
# Regenerates the committed trace fixtures: builds every program in tests/programs with every
# installed Go toolchain, runs it, and writes tests/traces/<program>_<major>_<minor>.trace.
# Usage: scripts/gen-traces.sh [program...]   (default: all programs)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod
dir="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}"
toolchains=(/usr/lib/go-1.19/bin/go)
for v in 1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3; do
  toolchains+=("$dir/$v/go/bin/go")
done
programs=("$@")
if [ ${#programs[@]} -eq 0 ]; then
  programs=(pingpong patterns tasks many rangepong fanin)
fi
# Fixtures must stay small: they are committed and read by every test run.
max_bytes=$((200 * 1024))

out=tests/traces
mkdir -p "$out"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for go in "${toolchains[@]}"; do
  if [ ! -x "$go" ]; then
    echo "missing toolchain $go (run scripts/install-go-toolchains.sh)" >&2
    exit 1
  fi
  # "go1.21.13" -> "1_21"
  version=$("$go" env GOVERSION)
  tag=$(echo "${version#go}" | cut -d. -f1,2 | tr . _)
  for p in "${programs[@]}"; do
    (cd tests/programs && "$go" build -o "$bin/$p" "./$p")
    trace="$out/${p}_${tag}.trace"
    "$bin/$p" "$trace"
    size=$(stat -c %s "$trace")
    if [ "$size" -gt "$max_bytes" ]; then
      echo "$trace is $size bytes, more than $max_bytes" >&2
      exit 1
    fi
    echo "$trace  $size bytes  ($version)"
  done
done
