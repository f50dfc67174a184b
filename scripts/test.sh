#!/usr/bin/env bash
# The test command: lint, types, workflows audit and the whole test suite. Sets up what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian's chromium for the browser tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test: chromium is not installed; browser tests will be skipped (install Debian's chromium to run them)"
  fi
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "test: installing Debian's fonts-noto-cjk (Chinese glyphs for the archive's screenshots and PDF print)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
echo "test: ruff"
.venv/bin/ruff check pipeline tests benchmarks
.venv/bin/ruff format --check --quiet pipeline tests benchmarks
echo "test: mypy"
.venv/bin/mypy --no-error-summary pipeline
echo "test: zizmor (workflow audit)"
.venv/bin/zizmor --offline --quiet .github/workflows
echo "test: pytest"
exec .venv/bin/python -m pytest "$@"
