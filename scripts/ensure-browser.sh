#!/usr/bin/env bash
# Make sure the browser tests have what they need: Debian's chromium and the Noto CJK fonts.
# Idempotent: when both are present it does nothing and returns at once.
# Never downloads a browser of its own (no `playwright install`): Playwright drives /usr/bin/chromium.
set -euo pipefail

have_all() {
  [ -x /usr/bin/chromium ] && command -v fc-list >/dev/null 2>&1 && fc-list | grep -i "Noto Sans CJK" >/dev/null  # no -q: with pipefail, -q can SIGPIPE fc-list
}

if have_all; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-browser: chromium or fonts-noto-cjk is missing and I am neither root nor have sudo;" >&2
    echo "ensure-browser: install them with 'apt-get install chromium fonts-noto-cjk'. The browser tests will be skipped." >&2
    exit 0
  fi
fi

echo "ensure-browser: installing chromium and fonts-noto-cjk (Debian packages)..."
start=$(date +%s)
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
command -v fc-cache >/dev/null 2>&1 && fc-cache -f >/dev/null 2>&1 || true
echo "ensure-browser: installed in $(( $(date +%s) - start )) s"

if ! have_all; then
  echo "ensure-browser: chromium or Noto Sans CJK still missing after the install" >&2
  exit 1
fi
