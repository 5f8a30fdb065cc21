#!/usr/bin/env bash
# The one command that runs every test: installs what the tests need (Go toolchains as trace
# writers and oracles, Debian's Chromium for the viewer), then runs the whole suite.
# Tests that need a missing part fail loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-go-toolchains.sh >/dev/null
bash scripts/install-chromium.sh >/dev/null
export GOTOOLCHAIN=local GOPROXY=off
export GOTRACE_REQUIRE_TOOLCHAINS=1
cargo test --release --locked "$@"
