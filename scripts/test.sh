#!/usr/bin/env bash
# The one command that runs every test: installs what the tests need (Go toolchains as trace
# writers and oracles, Debian's Chromium for the viewer, Debian's Docker engine for --docker), then runs the whole suite.
# Tests that need a missing part fail loudly. Whatever the user installed or configured for
# gotrace (a patched runtime from scripts/demo.sh, GOTRACE_GO, GOFLAGS, ...) is not seen by the
# tests: each command they run gets an environment of its own (tests/it/common/mod.rs).
# At the end: how long each stage took (also when a stage fails), and one closing line for the
# whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
# stage NAME COMMAND...: runs COMMAND and notes how long it took.
stage() {
  local name="$1" started=$SECONDS status=0
  shift
  "$@" || status=$?
  timings+=("$(printf '  %-28s %5d s' "$name" $((SECONDS - started)))")
  return "$status"
}
reported=0
report() {
  [ "$reported" = 1 ] && return
  reported=1
  echo "test.sh: time by stage"
  printf '%s\n' "${timings[@]}"
}
trap report EXIT

stage "Go toolchains" bash scripts/install-go-toolchains.sh >/dev/null
stage "Chromium" bash scripts/install-chromium.sh >/dev/null
stage "Docker engine" bash scripts/install-docker.sh >/dev/null
export GOTOOLCHAIN=local GOPROXY=off
export GOTRACE_REQUIRE_TOOLCHAINS=1 GOTRACE_REQUIRE_DOCKER=1
# The real programs' traces that tests/it/real_traces.rs reads (target/corpus; kept between runs).
stage "corpus (gen-corpus.sh)" bash scripts/gen-corpus.sh >/dev/null
log="$(mktemp)"
trap 'rm -f "$log"; report' EXIT
set +e
# The Go side: each runtime patch (Go 1.25, 1.26, 1.27) applied to a copy of its Go, proved by
# the probe and by Go's own channel, select and trace tests (under a minute a version with a
# warm build cache, a few minutes cold; GOTRACE_CHECK_PATCHES="1.27.3" narrows it).
# shellcheck disable=SC2086
stage "patches (check-patches.sh)" bash scripts/check-patches.sh ${GOTRACE_CHECK_PATCHES:-}
patches=$?
stage "build the tests" cargo test --profile test-release --locked --tests --no-run "$@"
started=$SECONDS
cargo test --profile test-release --locked --no-fail-fast --tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Each test binary's own time, as libtest reports it.
while IFS= read -r line; do timings+=("$line"); done < <(awk '
  /^ *Running / { name = ($2 == "unittests") ? $3 : $2 }
  /^test result:/ { for (i = 1; i < NF; i++) if ($i == "in") printf "  %-28s %5d s\n", name, $(i + 1) }' "$log")
timings+=("$(printf '  %-28s %5d s' "cargo test, in all" $((SECONDS - started)))")
[ "$patches" -eq 0 ] || status=1
set -e
report
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;/) p += $i; if ($(i+1) ~ /^failed;/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
