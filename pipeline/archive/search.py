"""The search index, sharded so that a new publication re-indexes only a few hundred pages.

Pagefind has no incremental mode: it indexes every page it is given. So the post pages are split into two
shards, each a Pagefind index of its own under `<site>/pagefind/<shard>/`, and the search page
(`docs/javascripts/search.js`) loads the first and merges the other with Pagefind's `mergeIndex` (it shares
the first one's wasm; filters and their counts are merged):

- `recent`: the posts of the months from `since` on (months from the post id, so from the page's URL
  `p/<yyyy>/<mm-dd-slug>/`), where new publications land: at most `RECENT_MAX` pages, ~1 s to index;
- `older`: every post before `since`.

`since` starts at the newest month and is kept in the cache; when `recent` outgrows `RECENT_MAX` pages,
`since` moves to the newest month and `older` is indexed again (~20 s at 10,000 posts, once every few
hundred publications). A change to an older post (a retraction) re-indexes `older` too.

Why not a shard per year or month: every shard costs each search its own index chunk per search term
(~23 KB even for a small shard), metadata and filter files. Measured at 10,000 posts, `反诈宣传` (three
terms) transferred 617 KB uncompressed with five shards (a month and four years), against 367 KB with one;
the target is 500 KB. Two shards stay under it.

A shard is indexed again only when its signature (the ids and content keys of its pages, and the page
skeleton) differs from the one recorded in the cache after its last successful indexing, or when its
folder is missing. `pagefind/shards.json` lists the shards, the first one primary; `pagefind/pagefind.js`
is a copy of the primary's, so the page imports one stable path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..i18n import _

SEARCH_DIR = "pagefind"
SHARDS_FILE = "shards.json"
STATE_FILE = "search.json"
RECENT_MAX = 500  # pages in the `recent` shard before it is folded into `older`
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


def plan(
    posts: Iterable[tuple[str, str]], since: str | None = None, recent_max: int = RECENT_MAX
) -> tuple[str, dict[str, list[tuple[str, str]]]]:
    """Group `(post id, content key)` pairs into the shards `recent` (months from `since` on) and `older`;
    return the month `recent` starts from (moved to the newest month when `recent` grew past `recent_max`)."""
    items = sorted(posts)
    if not items:
        return "", {}
    newest = max(month_of(pid) for pid, _ in items)
    if since is None or since > newest:
        since = newest
    if since != newest and sum(month_of(pid) >= since for pid, _ in items) > recent_max:
        since = newest
    shards: dict[str, list[tuple[str, str]]] = {}
    for pid, key in items:
        shards.setdefault("recent" if month_of(pid) >= since else "older", []).append((pid, key))
    return since, shards


def glob_for(months: Iterable[str]) -> str:
    """The Pagefind glob (relative to the site) of the post pages of `months` (`yyyy-mm`)."""
    parts = sorted({m.replace("-", "/") for m in months})
    return f"p/{parts[0]}-*/index.html" if len(parts) == 1 else f"p/{{{','.join(parts)}}}-*/index.html"


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
        why = (proc.stderr or proc.stdout).strip()[:500]
        raise ConfigError(_("pagefind failed ({code}): {output}", code=proc.returncode, output=why))
    for name in UNUSED_SEARCH_FILES:  # the search page uses pagefind.js through its own small UI
        (out / name).unlink(missing_ok=True)


def index_search(
    site: Path, posts: Iterable[tuple[str, str]], cache: Path, *, salt: str = "", jobs: int = 0
) -> SearchResult:
    """Bring `<site>/pagefind/` up to date for `posts` (`(post id, content key)` pairs), indexing only the
    shards that changed; `cache` keeps the signatures of the shards indexed. No posts: no index."""
    top = site / SEARCH_DIR
    state_file = cache / STATE_FILE
    state: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(state_file.read_text(encoding="utf-8"))
        state = loaded if isinstance(loaded, dict) else {}
    since, shards = plan(posts, state.get("since") if isinstance(state.get("since"), str) else None)
    if not shards:
        shutil.rmtree(top, ignore_errors=True)
        state_file.unlink(missing_ok=True)
        return SearchResult()
    done: dict[str, str] = state["shards"] if isinstance(state.get("shards"), dict) else {}
    if top.is_dir() and not (top / SHARDS_FILE).is_file():  # an unsharded index from an older build
        shutil.rmtree(top)
    sigs = {name: signature(salt, items) for name, items in shards.items()}
    todo = [n for n in sigs if done.get(n) != sigs[n] or not (top / n / "pagefind-entry.json").is_file()]
    for n in todo:
        done.pop(n, None)
    cache.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps({"since": since, "shards": done}), encoding="utf-8")  # those to change: void

    def one(name: str) -> None:
        run_pagefind(site, glob_for(month_of(pid) for pid, _ in shards[name]), f"{SEARCH_DIR}/{name}")

    workers = max(1, min(jobs or 2, len(todo)))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each shard is a pagefind process of its own
        list(pool.map(one, sorted(todo, key=lambda n: -len(shards[n]))))  # the largest first
    for name in todo:
        done[name] = sigs[name]
    order = sorted(shards, reverse=True)  # `recent` first (the primary index), then `older`
    if top.is_dir():
        for old in top.iterdir():
            if old.is_dir() and old.name not in shards:
                shutil.rmtree(old)
    shutil.copyfile(top / order[0] / "pagefind.js", top / "pagefind.js")
    (top / SHARDS_FILE).write_text(json.dumps({"shards": order}), encoding="utf-8")
    state_file.write_text(json.dumps({"since": since, "shards": {n: done[n] for n in shards}}), encoding="utf-8")
    return SearchResult(shards=order, rebuilt=sorted(todo, reverse=True))
