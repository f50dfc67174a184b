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
[ -n "$PY" ] || { echo "bootstrap：需要 Python 3.11 或更高版本" >&2; exit 2; }
LOCK=requirements/dev.lock
"$PY" scripts/lockhash.py --check "$LOCK" requirements/runtime.lock ||
  echo "bootstrap：警告：依赖锁文件已过期，仍按它安装（请运行 bash scripts/lock.sh 并提交结果）" >&2
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap：正在用 $($PY --version) 创建 .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.wxpub-installed
want=$(cat pyproject.toml "$LOCK" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap：正在把锁定的依赖和 wxpub 安装到 .venv"
  bash scripts/install.sh .venv/bin/python "$LOCK" -e .
  echo "$want" > "$stamp"
fi
# The compiled message catalogs follow the .po files (installs compile them too: setup.py's build hook).
.venv/bin/pybabel -q compile -d pipeline/locale -D wxpub
bash scripts/npm.sh
