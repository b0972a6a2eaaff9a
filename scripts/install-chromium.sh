#!/usr/bin/env bash
# Debian's Chromium and a font, for the picture tests (test/pictures.test.ts) and `npm run screenshot`.
# playwright-core drives it and downloads no browser of its own. Skipped when a Chromium is already there.
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
