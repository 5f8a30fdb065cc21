#!/usr/bin/env bash
# Regenerates the committed trace fixtures: builds every program in tests/programs with every
# installed Go toolchain, runs it, and writes tests/traces/<program>_<major>_<minor>.trace.
# The programs about channel operations (chanops) are built instead with a copy of Go 1.27
# patched to record them (patches/go1.27-chanops.patch), run with GODEBUG=tracechanops=1, and
# written to tests/traces/patched/: stock Go's tools cannot read those traces.
# Usage: scripts/gen-traces.sh [program...]   (default: all programs)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/patched-goroot.sh
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod
dir="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}"
toolchains=(/usr/lib/go-1.19/bin/go)
for v in 1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3; do
  toolchains+=("$dir/$v/go/bin/go")
done
asked=("$@")
if [ ${#asked[@]} -eq 0 ]; then
  asked=(pingpong patterns tasks many rangepong fanin chanops)
fi
stock=()
patched=()
for p in "${asked[@]}"; do
  case $p in
    chanops) patched+=("$p") ;;
    *) stock+=("$p") ;;
  esac
done
# Fixtures must stay small: they are committed and read by every test run.
max_bytes=$((200 * 1024))

out=tests/traces
mkdir -p "$out"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

# trace GO PROGRAM TRACE [ENV…]: builds PROGRAM with GO, runs it (with ENV) to write TRACE.
trace() {
  local go=$1 p=$2 trace=$3
  shift 3
  (cd tests/programs && "$go" build -o "$bin/$p" "./$p")
  env "$@" "$bin/$p" "$trace"
  local size
  size=$(stat -c %s "$trace")
  if [ "$size" -gt "$max_bytes" ]; then
    echo "$trace is $size bytes, more than $max_bytes" >&2
    exit 1
  fi
  echo "$trace  $size bytes  ($("$go" env GOVERSION))"
}

for go in "${toolchains[@]}"; do
  [ ${#stock[@]} -gt 0 ] || break
  if [ ! -x "$go" ]; then
    echo "missing toolchain $go (run scripts/install-go-toolchains.sh)" >&2
    exit 1
  fi
  # "go1.21.13" -> "1_21"
  version=$("$go" env GOVERSION)
  tag=$(echo "${version#go}" | cut -d. -f1,2 | tr . _)
  for p in "${stock[@]}"; do
    trace "$go" "$p" "$out/${p}_${tag}.trace"
  done
done

if [ ${#patched[@]} -gt 0 ]; then
  stock_go="$dir/1.27.3/go"
  if [ ! -x "$stock_go/bin/go" ]; then
    echo "missing toolchain $stock_go/bin/go (run scripts/install-go-toolchains.sh)" >&2
    exit 1
  fi
  patched_goroot "$stock_go" "$bin/go1.27.3-chanops" patches/go1.27-chanops.patch
  mkdir -p "$out/patched"
  for p in "${patched[@]}"; do
    trace "$bin/go1.27.3-chanops/bin/go" "$p" "$out/patched/${p}_1_27.trace" GODEBUG=tracechanops=1
  done
fi
