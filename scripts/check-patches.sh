#!/usr/bin/env bash
# Proves each patch in patches/ on the Go it is for: copies that GOROOT, applies the patch,
# builds and runs the probe (patches/probe) with GODEBUG=tracechanops=1, reads the trace with
# the patched GOROOT's own `go tool trace -d=parsed`, compares the probe's channel events with
# patches/probe/expected.txt, checks that without the GODEBUG there are none, and runs Go's own
# channel and select tests on the patched runtime.
#   scripts/check-patches.sh [VERSION...]   default: every version that has a patch
# A version whose toolchain is missing is skipped loudly, or fails when
# GOTRACE_REQUIRE_TOOLCHAINS=1 (as CI sets).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
toolchains="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.25.5 1.26.6 1.27.3)
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GOWORK=off
. "$root/scripts/patched-goroot.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A fresh build cache unless GOCACHE is given (the patched std is compiled once per version).
export GOCACHE="${GOCACHE:-$work/cache}"

# The channel events of the channels that the probe's operations() made, one line each,
# channels numbered in the order they were made; the parked flag (4) is masked, because
# which side of an unbuffered message parks depends on scheduling.
normalize() {
  awk '
    /Name=Chan/ {
      pending = 1; name = $0; sub(/.*Name=/, "", name); sub(/ .*/, "", name)
      args = $0; sub(/.*Args=\[/, "", args); sub(/\]$/, "", args)
      n = split(args, kv, ", "); delete a
      for (i = 1; i <= n; i++) {
        k = kv[i]; sub(/=.*/, "", k); v = kv[i]; sub(/^[^=]*=/, "", v)
        gsub(/Value\{Uint64\(|\)\}/, "", v); a[k] = v
      }
      next
    }
    pending && /^\t[^\t]/ {
      pending = 0; frame = $1
      if (name == "ChanMake") {
        if (frame != "main.operations") next
        id[a["chan"]] = ++made
        printf "ChanMake chan=%d cap=%s elemkind=%s elemsize=%s elemtype=%s\n", made, a["cap"], a["elemkind"], a["elemsize"], a["elemtype_string"]
      } else if (a["chan"] in id) {
        if (name == "ChanClose") printf "ChanClose chan=%d\n", id[a["chan"]]
        else {
          flags = a["flags"] + 0
          if (int(flags / 4) % 2) flags -= 4
          printf "%s chan=%d seq=%s value=%s flags=%d\n", name, id[a["chan"]], a["seq"], a["value"], flags
        }
      }
    }'
}

check() {
  local v=$1 minor=${1%.*} stock="$toolchains/$1/go" goroot="$work/go$1" patch="$root/patches/go${1%.*}-chanops.patch"
  local start=$SECONDS
  if [ ! -f "$patch" ]; then
    echo "check-patches: no patch for Go $minor ($patch)" >&2
    return 1
  fi
  if [ ! -x "$stock/bin/go" ]; then
    if [ "${GOTRACE_REQUIRE_TOOLCHAINS:-}" = 1 ]; then
      echo "check-patches: Go $v is not installed at $stock (run scripts/install-go-toolchains.sh)" >&2
      return 1
    fi
    echo "SKIP Go $v: not installed at $stock"
    return 0
  fi
  patched_goroot "$stock" "$goroot" "$patch"
  local go="$goroot/bin/go" out="$work/$v"
  mkdir -p "$out"
  (cd "$root/patches/probe" && "$go" build -o "$out/probe" .)

  GODEBUG=tracechanops=1 "$out/probe" "$out/on.trace"
  "$go" tool trace -d=parsed "$out/on.trace" >"$out/on.txt"
  normalize <"$out/on.txt" >"$out/got.txt"
  if ! diff <(sort "$root/patches/probe/expected.txt") <(sort "$out/got.txt") >"$out/diff.txt"; then
    echo "check-patches: Go $v: the probe's channel events differ from patches/probe/expected.txt (< expected, > got):" >&2
    cat "$out/diff.txt" >&2
    return 1
  fi

  "$out/probe" "$out/off.trace"
  if "$go" tool trace -d=parsed "$out/off.trace" | grep -q 'Name=Chan'; then
    echo "check-patches: Go $v: channel events in a trace without GODEBUG=tracechanops=1" >&2
    return 1
  fi

  # Go's own tests of what the patch touches: channels, select, the trace event tables, and
  # the parser on Go's own test traces (its other tests build and trace dozens of programs:
  # too slow for CI).
  (cd "$goroot/src" && "$go" test -short -count=1 -run 'Chan|Select' runtime \
    && "$go" test -short -count=1 internal/trace/tracev2 \
    && "$go" test -short -count=1 -run 'TestReaderGolden' internal/trace) >"$out/gotest.txt" 2>&1 || {
    echo "check-patches: Go $v: Go's own tests fail on the patched GOROOT:" >&2
    tail -30 "$out/gotest.txt" >&2
    return 1
  }
  echo "ok Go $v: $(wc -l <"$out/got.txt") probe events as expected, none when off; Go's runtime Chan|Select, tracev2 and TestReaderGolden pass ($((SECONDS - start)) s)"
}

status=0
for v in "${versions[@]}"; do
  check "$v" || status=1
done
exit "$status"
