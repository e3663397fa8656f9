#!/usr/bin/env bash
# Headless Chromium for test/integration/ui.test.ts: Debian's `chromium` package (browser builds
# downloaded by Playwright cannot be fetched here) plus `playwright-core` to drive it.
# Idempotent: does nothing that is already done. Run as root (CI is root on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-chromium: /usr/bin/chromium is missing and this is not root; run: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
# (stderr dropped: Debian's launcher script prints a harmless shell warning about /dev/shm on some machines)
/usr/bin/chromium --version 2>/dev/null

# playwright-core has no browser download step; it is a devDependency so `npm ci` normally brings it.
if [ ! -d node_modules/playwright-core ]; then
  flock /tmp/hookflow-npm.lock npm install --no-audit --no-fund --save-dev playwright-core
fi
node -e "console.log('playwright-core ' + require('playwright-core/package.json').version)"
