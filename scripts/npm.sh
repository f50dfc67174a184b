#!/usr/bin/env bash
# Install the web editor's npm packages (decap-cms, decap-server) exactly as package-lock.json pins them,
# integrity hashes checked by `npm ci`. Idempotent: skipped while node_modules matches the lockfile.
# Without npm it says so and leaves the rest of wxpub working (the editor needs Node.js 20 and npm).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm: not installed; the web editor (wxpub editor) needs Node.js 20 and npm" >&2
  exit 0
fi
stamp=node_modules/.wxpub-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "npm: installing the web editor's packages (npm ci, from package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
echo "$want" > "$stamp"
