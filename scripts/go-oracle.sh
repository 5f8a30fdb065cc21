#!/usr/bin/env bash
# Go 1.21's own old-format parser as a command, for traces its `go tool trace -d` will not
# read (go 1.5/1.6 traces without the program binary) and for the start functions of new
# goroutines, which `-d` does not print.
#   scripts/go-oracle.sh build   builds it once (target/go-oracle/traceoracle) and prints its path
#   scripts/go-oracle.sh TRACE   prints TRACE's events (see tests/go-oracle/cmd/traceoracle)
# The program is built inside a hard-link copy of the Go 1.21 tree, because it needs the
# unexported parser entry that Go's own tests use; only new files are added to the copy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
go121="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}/1.21.13/go"
out="$root/target/go-oracle"
bin="$out/traceoracle"
src="$root/tests/go-oracle"
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=

build() {
  if [ -x "$bin" ] && [ -z "$(find "$src" "$0" -newer "$bin" -print -quit)" ]; then
    return
  fi
  if [ ! -x "$go121/bin/go" ]; then
    echo "go-oracle: Go 1.21 is not installed at $go121 (run scripts/install-go-toolchains.sh)" >&2
    exit 1
  fi
  mkdir -p "$out"
  local tmp
  tmp=$(mktemp -d "$out/build.XXXXXX")
  # Hard links: cheap, and safe because nothing in the copy is ever written to, only added.
  # A plain copy where hard links cannot cross file systems.
  cp -al "$go121" "$tmp/goroot" 2>/dev/null || { rm -rf "$tmp/goroot"; cp -a "$go121" "$tmp/goroot"; }
  cp "$src/internal/trace/oracle_export.go" "$tmp/goroot/src/internal/trace/"
  mkdir -p "$tmp/goroot/src/cmd/traceoracle"
  cp "$src/cmd/traceoracle/main.go" "$tmp/goroot/src/cmd/traceoracle/"
  (cd "$tmp/goroot/src" && "$tmp/goroot/bin/go" build -o "$tmp/traceoracle" ./cmd/traceoracle)
  # Renamed into place so that a concurrent or interrupted build never leaves half a binary.
  mv "$tmp/traceoracle" "$bin"
  rm -rf "$tmp"
}

case "${1:-}" in
  "") echo "usage: scripts/go-oracle.sh build | TRACE" >&2; exit 2 ;;
  build) build; echo "$bin" ;;
  *) build; exec "$bin" "$1" ;;
esac
