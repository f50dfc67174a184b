#!/usr/bin/env bash
# The main job end to end on the embedded default: the sample posts, the local WeChat stand-in, and the
# archive served on http://127.0.0.1:8000. Sets up .venv first. Extra arguments go to `wxpub demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/wxpub demo "$@"
