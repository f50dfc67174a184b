"""The fingerprint of pyproject.toml's dependency lists, stored in the lock files' headers.

    python scripts/lockhash.py                 print the fingerprint
    python scripts/lockhash.py --check F...    exit 1 (saying what to run) when a lock file is stale
    python scripts/lockhash.py --entry F NAME  print NAME's pinned, hash-checked entry of lock file F

No network: a lock is stale when pyproject.toml's dependencies, extras, Python version or build
requirements changed since scripts/lock.sh wrote it. Standard library only (runs before any install).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "# pyproject-dependencies-sha256: "


def fingerprint(pyproject: Path = ROOT / "pyproject.toml") -> str:
    doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = doc.get("project", {})
    lists = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(project.get("dependencies", [])),
        "optional-dependencies": {k: sorted(v) for k, v in project.get("optional-dependencies", {}).items()},
        "build-system": sorted(doc.get("build-system", {}).get("requires", [])),
    }
    return hashlib.sha256(json.dumps(lists, sort_keys=True).encode()).hexdigest()


def recorded(lock: Path) -> str:
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(MARK):
            return line[len(MARK) :].strip()
    return ""


def entry(lock: Path, name: str) -> str:
    """The lines of one package's entry (`name==version \\` and its `--hash` lines)."""
    out: list[str] = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        if out and (line.startswith(" ") or line.startswith("\t")):
            out.append(line)
        elif out:
            break
        elif line.lower().startswith(name.lower() + "=="):
            out.append(line)
    return "\n".join(line for line in out if not line.strip().startswith("#")) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--entry"] and len(argv) == 3:
        text = entry(Path(argv[1]), argv[2])
        if not text.strip():
            print(f"{argv[1]}: no entry for {argv[2]}", file=sys.stderr)
            return 1
        print(text, end="")
        return 0
    if argv[:1] != ["--check"]:
        print(fingerprint())
        return 0
    want = fingerprint()
    stale = [f for f in argv[1:] if recorded(Path(f)) != want]
    for f in stale:
        print(f"{f}: stale against pyproject.toml's dependencies; run: bash scripts/lock.sh", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
