#!/usr/bin/env bash
# Set up .venv with wxpub and its development tools from the hash-checked lock (requirements/dev.lock).
# Idempotent: reinstalls only when the lock or pyproject.toml changed. Every package is pinned and
# checked against its sha256 (--require-hashes); wxpub itself is installed with --no-deps, so nothing
# outside the lock is fetched. To change a dependency: edit pyproject.toml, then bash scripts/lock.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$candidate; break
    fi
  done
fi
[ -n "$PY" ] || { echo "bootstrap: Python 3.11 or newer is needed" >&2; exit 2; }
LOCK=requirements/dev.lock
"$PY" scripts/lockhash.py --check "$LOCK" requirements/runtime.lock ||
  echo "bootstrap: warning: the lock is stale; installing it anyway (run bash scripts/lock.sh and commit the result)" >&2
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.wxpub-installed
want=$(cat pyproject.toml "$LOCK" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing the locked dependencies and wxpub into .venv"
  bash scripts/install.sh .venv/bin/python "$LOCK" -e .
  echo "$want" > "$stamp"
fi
