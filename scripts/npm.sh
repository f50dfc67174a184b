#!/usr/bin/env bash
# Install the web editor's npm packages (decap-cms, decap-server) exactly as package-lock.json pins them,
# integrity hashes checked by `npm ci` (no install scripts run). Idempotent: skipped while node_modules matches the lockfile.
# Without npm, or when the install fails, it says so and leaves the rest of wxpub working (the editor needs
# Node.js 20 and npm); where the browser tests are required (WXPUB_REQUIRE_BROWSER, as .ci/run sets) it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm: not installed; the web editor (wxpub editor) needs Node.js 20 and npm" >&2
  [ -z "${WXPUB_REQUIRE_BROWSER:-}" ] || exit 1
  exit 0
fi
stamp=node_modules/.wxpub-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "npm: installing the web editor's packages (npm ci, from package-lock.json)"
if ! npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null; then
  echo "npm: npm ci failed; the web editor (wxpub editor) is not installed" >&2
  [ -z "${WXPUB_REQUIRE_BROWSER:-}" ] || exit 1
  exit 0
fi
echo "$want" > "$stamp"
