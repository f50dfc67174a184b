"""The hash-checked lock files (OpenSSF Scorecard Pinned-Dependencies): current against pyproject.toml,
complete, every entry pinned with hashes, and used by every install (workflows, bootstrap). No network."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"runtime": ROOT / "requirements" / "runtime.lock", "dev": ROOT / "requirements" / "dev.lock"}
sys.path.insert(0, str(ROOT / "scripts"))

import lockhash  # noqa: E402


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def _pins(lock: Path) -> dict[str, set[str]]:
    """name -> versions (one per environment marker) of every `name==version [; marker]` entry, each
    checked to carry at least one sha256."""
    text = lock.read_text(encoding="utf-8")
    entries = re.findall(
        r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?: ;[^\\\n]*)?((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", text, re.M
    )
    out: dict[str, set[str]] = {}
    for name, version, hashes in entries:
        assert hashes, f"{lock.name}: {name} has no --hash"
        out.setdefault(_name(name), set()).add(version)
    requirement_lines = [ln for ln in text.splitlines() if ln and not ln[0].isspace() and not ln.startswith("#")]
    assert len(requirement_lines) == len(entries), f"{lock.name}: an entry is not name==version with hashes"
    return out


def _pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", ["runtime", "dev"])
def test_the_lock_is_current_with_pyproject(kind: str) -> None:
    assert lockhash.recorded(LOCKS[kind]) == lockhash.fingerprint(), (
        f"requirements/{kind}.lock is stale against pyproject.toml: run bash scripts/lock.sh"
    )


def test_every_top_level_requirement_is_pinned_with_hashes() -> None:
    project = _pyproject()["project"]
    runtime, dev = _pins(LOCKS["runtime"]), _pins(LOCKS["dev"])
    for req in [*project["dependencies"], *_pyproject()["build-system"]["requires"]]:
        assert _name(req) in runtime, f"{req} is not in requirements/runtime.lock"
        assert _name(req) in dev, f"{req} is not in requirements/dev.lock"
    for req in project["optional-dependencies"]["dev"]:
        assert _name(req) in dev, f"{req} (dev extra) is not in requirements/dev.lock"
    shared = set(runtime) & set(dev)
    assert {n: runtime[n] for n in shared} == {n: dev[n] for n in shared}, "the two locks pin different versions"
    assert "uv" not in runtime, "uv is a dev tool only"


def test_a_changed_dependency_list_makes_the_lock_stale(tmp_path: Path) -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed = tmp_path / "pyproject.toml"
    changed.write_text(text.replace('"PyYAML>=6.0,<7",', '"PyYAML>=6.0,<7",\n  "jieba>=0.42",'), encoding="utf-8")
    assert lockhash.fingerprint(changed) != lockhash.fingerprint()
    reordered = tmp_path / "same.toml"  # order and formatting do not matter, only the lists
    reordered.write_text(text.replace("[project]", "# a comment\n[project]"), encoding="utf-8")
    assert lockhash.fingerprint(reordered) == lockhash.fingerprint()
    stale = tmp_path / "stale.lock"
    stale.write_text("# pyproject-dependencies-sha256: 0000\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lockhash.py"), "--check", str(stale)], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "run: bash scripts/lock.sh" in proc.stderr


def test_every_install_in_the_workflows_is_hash_checked() -> None:
    installs, scripted = [], []
    for wf in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for line in wf.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("#"):
                continue
            if "pip install" in line:
                installs.append((wf.name, line))
            if "scripts/install.sh" in line:
                scripted.append((wf.name, line))
    for name, line in installs:  # only zizmor's own entry is installed inline
        assert "--require-hashes" in line and "--no-deps" in line and "zizmor.txt" in line, (name, line)
    assert {n for n, _ in scripted} == {"archive.yml", "publish.yml", "review.yml"}
    for name, line in scripted:
        assert re.search(r"scripts/install\.sh \S+ \S*requirements/runtime\.lock \S+$", line), (name, line)
    script = (ROOT / "scripts" / "install.sh").read_text(encoding="utf-8")
    assert '--require-hashes --no-deps -r "$tmp/build.txt"' in script  # the build backend first
    assert '--require-hashes --no-deps --no-build-isolation -r "$lock"' in script
    assert '--no-deps --no-build-isolation "$@"' in script  # the project: nothing fetched to build it


def test_the_zizmor_entry_is_extracted_with_its_hashes() -> None:
    text = lockhash.entry(LOCKS["dev"], "zizmor")
    assert text.startswith("zizmor==") and "--hash=sha256:" in text and "\n\n" not in text


def test_bootstrap_installs_from_the_dev_lock_the_same_way() -> None:
    script = (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert 'bash scripts/install.sh .venv/bin/python "$LOCK" -e .' in script
    assert "LOCK=requirements/dev.lock" in script and "'.[dev]'" not in script
