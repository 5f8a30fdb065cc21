#!/usr/bin/env bash
# Installs what tests/it/docker.rs needs: Debian's Docker engine (docker.io) and a static busybox
# (the shell of the base image the tests make), starts dockerd unless one answers, and waits for
# its socket. Idempotent. Without root it only checks, so that the tests can say what is missing.
set -euo pipefail
need=()
command -v dockerd >/dev/null || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-docker: not root; cannot install ${need[*]}" >&2
        exit 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
socket=/var/run/docker.sock
ping() { timeout 10 docker version >/dev/null 2>&1; }
if ! ping; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-docker: no Docker engine answers at $socket and not root to start one" >&2
        exit 0
    fi
    log="${TMPDIR:-/tmp}/gotrace-dockerd.log"
    nohup dockerd >"$log" 2>&1 &
    for _ in $(seq 1 60); do
        ping && break
        sleep 1
    done
    ping || { echo "install-docker: dockerd did not answer within 60 s; see $log" >&2; tail -5 "$log" >&2; exit 1; }
fi
echo "install-docker: the Docker engine answers at $socket"
