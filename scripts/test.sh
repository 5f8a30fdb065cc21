#!/usr/bin/env bash
# The one command that runs every test: installs what the tests need (Go toolchains as trace
# writers and oracles, Debian's Chromium for the viewer, Debian's Docker engine for --docker), then runs the whole suite.
# Tests that need a missing part fail loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-go-toolchains.sh >/dev/null
bash scripts/install-chromium.sh >/dev/null
bash scripts/install-docker.sh >/dev/null
export GOTOOLCHAIN=local GOPROXY=off
export GOTRACE_REQUIRE_TOOLCHAINS=1 GOTRACE_REQUIRE_DOCKER=1
# The real programs' traces that tests/real_traces.rs reads (target/corpus; kept between runs).
bash scripts/gen-corpus.sh >/dev/null
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
# The Go side: each runtime patch (Go 1.25, 1.26, 1.27) applied to a copy of its Go, proved by
# the probe and by Go's own channel, select and trace tests (under a minute a version with a
# warm build cache, a few minutes cold; GOTRACE_CHECK_PATCHES="1.27.3" narrows it).
# shellcheck disable=SC2086
bash scripts/check-patches.sh ${GOTRACE_CHECK_PATCHES:-}
patches=$?
cargo test --profile test-release --locked --no-fail-fast --tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ "$patches" -eq 0 ] || status=1
set -e
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;/) p += $i; if ($(i+1) ~ /^failed;/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
