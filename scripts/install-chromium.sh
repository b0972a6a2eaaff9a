#!/usr/bin/env bash
# Optional. Debian's Chromium and a font, for where the npm one cannot run: the picture tests
# (test/pictures.test.ts) and `npm run screenshot` use the Chromium inside the @sparticuz/chromium devDependency on
# Linux x64 (nothing to install; see scripts/chromium.ts), and a system Chromium elsewhere (Linux arm64 here; or
# point CHROMIUM_PATH=/usr/bin/chromium at this one on x64). playwright-core drives it and downloads no browser of
# its own. Skipped when a Chromium is already there.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(command -v chromium || echo "$CHROMIUM_PATH")"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(command -v chromium)"
