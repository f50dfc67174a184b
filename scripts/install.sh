#!/usr/bin/env bash
# Install a hash-checked lock, then the project itself without its dependencies:
#   bash scripts/install.sh PYTHON LOCK [PIP-ARGS-FOR-THE-PROJECT...]   e.g. python requirements/runtime.lock .
# The build backend (setuptools) is installed first from the lock, so packages shipped only as source
# build without fetching anything (--no-build-isolation): every file installed is pinned and its sha256
# checked (--require-hashes). Used by scripts/bootstrap.sh and every workflow.
set -euo pipefail
py=$1
lock=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip=("$py" -m pip install --quiet --disable-pip-version-check)
"$py" "$here/lockhash.py" --entry "$lock" setuptools > "$tmp/build.txt"
"${pip[@]}" --require-hashes --no-deps -r "$tmp/build.txt"
"${pip[@]}" --require-hashes --no-deps --no-build-isolation -r "$lock"
if [ $# -gt 0 ]; then
  "${pip[@]}" --no-deps --no-build-isolation "$@"
fi
