#!/bin/sh
# Patches the image's Go with the channel-operations patch of its version, if gotrace has one,
# and records in /gotrace/godebug the GODEBUG setting that switches the recording on (gotrace
# links it into the binaries it builds as their default GODEBUG).
set -eu
goroot=$(go env GOROOT)
version=$(go env GOVERSION)
minor=$(echo "$version" | sed -e 's/^go\([0-9]*\.[0-9]*\).*/\1/')
patch_file=/gotrace/patches/go$minor-chanops.patch
if [ -f "$patch_file" ]; then
    echo "gotrace: patching $version in $goroot with $(basename "$patch_file")"
    (cd "$goroot" && patch -p1 <"$patch_file")
    # Compile the patched runtime once, so that a broken patch fails here and not in a user's build.
    GOCACHE=/tmp/gotrace-check go build runtime && rm -rf /tmp/gotrace-check
    echo "tracechanops=1" >/gotrace/godebug
else
    echo "gotrace: no patches/go$minor-chanops.patch: the image keeps $version's stock tracer (no channel values)"
    : >/gotrace/godebug
fi

