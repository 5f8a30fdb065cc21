#!/usr/bin/env bash
# Makes a corpus of real programs' traces: the standard library's own test suites run with
# `go test -short -trace` under each Go of CORPUS_VERSIONS, plus traces with what else real
# programs put in them: CPU samples (-cpuprofile), the alloc/free experiment
# (GODEBUG=traceallocfree=1, Go 1.23+) and the flight recorder's window (Go 1.25+,
# tests/programs/flight, with tasks, regions and logs).
#   scripts/gen-corpus.sh [OUT]        (default target/corpus)
# Writes OUT/<package>_<major>_<minor>.trace (package path with "/" as "_") and prints one line
# per trace. Each Go keeps one build cache under OUT/.cache, shared by its packages and kept
# between runs, so a second run only runs the tests. A suite with failing tests keeps its trace
# (said on its line); one that wrote no trace is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$(realpath -m "${1:-target/corpus}")
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=
dir="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}"
read -r -a versions <<<"${CORPUS_VERSIONS:-1.19 1.21.13 1.22.10 1.24.11 1.26.6 1.27.3}"
# Networking, TLS, child processes, timers, sync, RPC, JSON, contexts, spread over the
# versions so that each suite is read in both formats (old: 1.19, 1.21; new: 1.22+) and the
# whole corpus fits CI: four suites per Go, each run whole (no -run filter), plus the extras
# below. CORPUS_PACKAGES runs the same list under every Go instead.
suites_of() {
  if [ -n "${CORPUS_PACKAGES:-}" ]; then echo "$CORPUS_PACKAGES"; return; fi
  case "$1" in
    1_19) echo net/http os/exec sync time ;;
    1_21) echo net crypto/tls net/rpc context ;;
    1_22) echo net net/http os/exec encoding/json ;;
    1_24) echo crypto/tls sync net/rpc context ;;
    1_26) echo net os/exec time encoding/json ;;
    *) echo net/http crypto/tls sync context ;;
  esac
}

# Go 1.26's time suite writes 68 MB: the oracle run must fit CI.
max_bytes=$((24 * 1024 * 1024))
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go_of() {
  if [ "$1" = 1.19 ]; then echo /usr/lib/go-1.19/bin/go; else echo "$dir/$1/go/bin/go"; fi
}

# trace_of GO TAG NAME [ENV...] -- GO-TEST-ARGS...: one `go test -trace`, run in a scratch
# folder (-cpuprofile leaves the test binary in the working directory).
trace_of() {
  local go=$1 tag=$2 name=$3
  shift 3
  local env=()
  while [ "$1" != -- ]; do env+=("$1"); shift; done
  shift
  local trace="$out/${name}_${tag}.trace" log="$work/log"
  rm -f "$trace"
  # timetzdata: the time suite needs zones that a machine without tzdata lacks.
  if (cd "$work" && env "${env[@]}" "$go" test -short -tags=timetzdata -trace "$trace" "$@" >"$log" 2>&1); then
    echo "$trace  $(stat -c %s "$trace") bytes"
  elif [ -s "$trace" ]; then
    # Old suites have test certificates that have expired since: a failed test still ends
    # the run normally, and the runtime's trace of it is as real as any.
    echo "$trace  $(stat -c %s "$trace") bytes (some tests failed: $(grep -m1 -- '--- FAIL' "$log" || tail -n 1 "$log"))"
  else
    rm -f "$trace"
    echo "no trace of $name with $("$go" env GOVERSION): $(grep -m1 -E '^panic|FAIL' "$log" || tail -n 1 "$log")" >&2
  fi
  # Go's own tool reads a trace far slower than gotrace: the oracle run must fit CI.
  # (Go 1.26's time suite once wrote 68 MB.)
  if [ -f "$trace" ] && [ "$(stat -c %s "$trace")" -gt "$max_bytes" ]; then
    rm -f "$trace"
    echo "dropped ${name}_$tag.trace: more than $max_bytes bytes" >&2
  fi
}

start=$SECONDS
for v in "${versions[@]}"; do
  go=$(go_of "$v")
  if [ ! -x "$go" ]; then
    echo "missing toolchain $go (run scripts/install-go-toolchains.sh)" >&2
    exit 1
  fi
  version=$("$go" env GOVERSION)
  tag=$(echo "${version#go}" | cut -d. -f1,2 | tr . _)
  minor=$(echo "$tag" | cut -d_ -f2)
  export GOCACHE="$out/.cache/$tag"
  for p in $(suites_of "$tag"); do
    trace_of "$go" "$tag" "${p//\//_}" -- "$p"
  done
  trace_of "$go" "$tag" encoding_json_cpu -- -cpuprofile "$work/cpu.pprof" encoding/json
  if [ "$minor" -ge 23 ]; then
    trace_of "$go" "$tag" context_allocfree GODEBUG=traceallocfree=1 -- context
  fi
  if [ "$minor" -ge 25 ]; then
    (cd "$root/tests/programs" && "$go" build -o "$work/flight" ./flight)
    "$work/flight" "$out/flight_$tag.trace"
    echo "$out/flight_$tag.trace  $(stat -c %s "$out/flight_$tag.trace") bytes"
  fi
  echo "$version done at $((SECONDS - start)) s" >&2
done
