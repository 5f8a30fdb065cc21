#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/it/viewer_browser.rs).
# The tests never let a tool download a browser of its own: they use /usr/bin/chromium.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
