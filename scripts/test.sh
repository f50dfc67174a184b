#!/usr/bin/env bash
# The test command: lint, types, workflows audit and the whole test suite. Sets up what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test：正在安装 Debian 的 chromium，供浏览器测试使用"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test：没有安装 chromium，将跳过浏览器测试（安装 Debian 的 chromium 后即可运行）"
  fi
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "test：安装 Debian 的 fonts-noto-cjk（发布档案截图和打印所需的中文字体）"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
echo "test：代码规范检查（ruff）"
.venv/bin/ruff check pipeline tests benchmarks
.venv/bin/ruff format --check --quiet pipeline tests benchmarks
echo "test：类型检查（mypy）"
.venv/bin/mypy --no-error-summary pipeline
echo "test：工作流审计（zizmor）"
.venv/bin/zizmor --offline --quiet .github/workflows
echo "test：运行全部测试（pytest）"
exec .venv/bin/python -m pytest "$@"
