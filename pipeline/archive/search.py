"""The search index, sharded so that a new publication re-indexes only a few hundred pages.

Pagefind has no incremental mode: it indexes every page it is given. So the post pages are split into
shards, each a Pagefind index of its own under `<site>/pagefind/<shard>/`, and the search page
(`docs/javascripts/search.js`) loads the newest shard and merges the others with Pagefind's `mergeIndex`
(they share the first one's wasm; filters and counts are merged). Shards (from the post id, so from the
URL `p/<yyyy>/<mm-dd-slug>/`):

- `<yyyy>-<mm>`: the newest month of the archive (where new publications land): ~200 pages, < 1 s;
- `<yyyy>`: every other month of that year. When a publication opens a new month, the former newest month
  joins its year and that year is indexed again once (~6 s at 2,500 posts a year).

Fewer, larger shards keep a search small (each shard costs its metadata, filter files and the index
chunk of the word, ~20-30 KB even when small; month shards throughout would cost ~1 MB a search), while
the one small current shard keeps the rebuild after a publication short.

A shard is indexed again only when its signature (the ids and content keys of its pages, and the page
skeleton) differs from the one recorded in the cache after its last successful indexing, or when its
folder is missing. `pagefind/shards.json` lists the shards, newest first; `pagefind/pagefind.js` is a copy
of the newest shard's, so the page imports one stable path.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

SEARCH_DIR = "pagefind"
SHARDS_FILE = "shards.json"
STATE_FILE = "search.json"
UNUSED_SEARCH_FILES = tuple(
    f"pagefind-{kind}.{ext}" for kind in ("ui", "component-ui", "modular-ui", "highlight") for ext in ("js", "css")
)


@dataclass
class SearchResult:
    """What one indexing did: every shard, and those indexed again."""

    shards: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)


def month_of(post_id: str) -> str:
    """`2026/12-05-card-offer` -> `2026-12`."""
    return f"{post_id[:4]}-{post_id[5:7]}"


def plan(posts: Iterable[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Group `(post id, content key)` pairs into shards: the newest month alone, every other month in its year."""
    items = sorted(posts)
    if not items:
        return {}
    newest = max(month_of(pid) for pid, _ in items)
    shards: dict[str, list[tuple[str, str]]] = {}
    for pid, key in items:
        month = month_of(pid)
        shards.setdefault(month if month == newest else month[:4], []).append((pid, key))
    return shards


def glob_for(shard: str, months: Sequence[str]) -> str:
    """The Pagefind glob (relative to the site) of a shard's post pages, given the months it holds."""
    if len(shard) == 7:  # yyyy-mm
        return f"p/{shard[:4]}/{shard[5:]}-*/index.html"
    mm = sorted(m[5:] for m in months)
    return f"p/{shard}/{mm[0]}-*/index.html" if len(mm) == 1 else f"p/{shard}/{{{','.join(mm)}}}-*/index.html"


def signature(salt: str, posts: Sequence[tuple[str, str]]) -> str:
    h = hashlib.sha1(salt.encode())
    for pid, key in posts:
        h.update(f"\n{pid}\t{key}".encode())
    return h.hexdigest()


def run_pagefind(site: Path, glob: str = "p/**/index.html", subdir: str = SEARCH_DIR) -> None:
    """Index the pages matching `glob` (Pagefind extended: Chinese segmentation) into `<site>/<subdir>/`."""
    out = site / subdir
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-subdir", subdir]
    cmd += ["--glob", glob, "--silent"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ConfigError(f"pagefind failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[:500]}")
    for name in UNUSED_SEARCH_FILES:  # the search page uses pagefind.js through its own small UI
        (out / name).unlink(missing_ok=True)


def index_search(
    site: Path, posts: Iterable[tuple[str, str]], cache: Path, *, salt: str = "", jobs: int = 0
) -> SearchResult:
    """Bring `<site>/pagefind/` up to date for `posts` (`(post id, content key)` pairs), indexing only the
    shards that changed; `cache` keeps the signatures of the shards indexed. No posts: no index."""
    top = site / SEARCH_DIR
    shards = plan(posts)
    if not shards:
        shutil.rmtree(top, ignore_errors=True)
        return SearchResult()
    state_file = cache / STATE_FILE
    try:
        done = json.loads(state_file.read_text(encoding="utf-8"))
        done = done if isinstance(done, dict) else {}
    except (OSError, ValueError):
        done = {}
    if top.is_dir() and not (top / SHARDS_FILE).is_file():  # an unsharded index from an older build
        shutil.rmtree(top)
    sigs = {name: signature(salt, items) for name, items in shards.items()}
    todo = [n for n in sigs if done.get(n) != sigs[n] or not (top / n / "pagefind-entry.json").is_file()]
    for n in todo:
        done.pop(n, None)
    cache.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(done), encoding="utf-8")  # the shards about to change are no longer valid

    def one(name: str) -> None:
        run_pagefind(site, glob_for(name, sorted({month_of(pid) for pid, _ in shards[name]})), f"{SEARCH_DIR}/{name}")

    workers = max(1, min(jobs or 2, len(todo)))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each shard is a pagefind process of its own
        list(pool.map(one, sorted(todo, key=lambda n: -len(shards[n]))))  # the largest first
    for name in todo:
        done[name] = sigs[name]
    order = sorted(shards, reverse=True)  # newest first: `2026-12` > `2026` > `2025`
    if top.is_dir():
        for old in top.iterdir():
            if old.is_dir() and old.name not in shards:
                shutil.rmtree(old)
    shutil.copyfile(top / order[0] / "pagefind.js", top / "pagefind.js")
    (top / SHARDS_FILE).write_text(json.dumps({"shards": order}), encoding="utf-8")
    state_file.write_text(json.dumps({n: done[n] for n in shards}), encoding="utf-8")
    return SearchResult(shards=order, rebuilt=sorted(todo, reverse=True))
