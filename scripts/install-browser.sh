#!/usr/bin/env bash
# Installs what the console's browser tests need: Debian's Chromium (/usr/bin/chromium, driven by
# Playwright through executable_path; Playwright's own browser download is never used) and a CJK
# font so Chinese labels render in headless screenshots. Idempotent and quick when both are there.
# Without apt-get (or root) it only says so: the browser tests then skip themselves.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; }; then
  need+=(fonts-wqy-zenhei)
fi
if [ ${#need[@]} -eq 0 ]; then
  echo "install-browser: chromium and a CJK font are installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get here; install ${need[*]} yourself (browser tests skip without chromium)" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: not root and no sudo; install ${need[*]} yourself (browser tests skip without chromium)" >&2
    exit 0
  fi
fi
echo "install-browser: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
command -v chromium >/dev/null 2>&1 && chromium --version 2>/dev/null || true
