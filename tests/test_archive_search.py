"""The sharded search index: which pages go in which shard, and only changed shards are indexed again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from test_archive import CARD, FRAUD, LOAN, WEALTH, make_archive_repo, records

from pipeline.archive import build_archive
from pipeline.archive.samples import write_records
from pipeline.archive.search import glob_for, plan

POSTS = [("2026/12-05-a", "k1"), ("2026/11-20-b", "k2"), ("2026/01-02-c", "k3"), ("2025/12-31-d", "k4")]


def test_recent_months_apart_from_older_posts() -> None:
    older = [("2025/12-31-d", "k4"), ("2026/01-02-c", "k3"), ("2026/11-20-b", "k2")]
    assert plan(POSTS) == ("2026-12", {"recent": [("2026/12-05-a", "k1")], "older": older})
    # recent keeps its months while it is small, so a new month re-indexes only it
    assert plan(POSTS, "2026-11", recent_max=2) == (
        "2026-11",
        {"recent": [("2026/11-20-b", "k2"), ("2026/12-05-a", "k1")], "older": older[:2]},
    )
    # grown past recent_max: it starts again at the newest month (older absorbs the rest)
    assert plan(POSTS, "2026-01", recent_max=2) == plan(POSTS)
    assert plan(POSTS, "2027-03")[0] == "2026-12"  # the newest posts went: recent holds the newest month
    assert plan([]) == ("", {})
    assert glob_for(["2026-12"]) == "p/2026/12-*/index.html"
    assert glob_for(["2026-11", "2025-01", "2026-11"]) == "p/{2025/01,2026/11}-*/index.html"


def fragments(site: Path, shard: str) -> int:
    return len(list((site / "pagefind" / shard / "fragment").iterdir()))


def test_only_changed_shards_are_indexed_again(tmp_path: Path) -> None:
    root = make_archive_repo(tmp_path / "repo")
    recs = tmp_path / "records"
    write_records(recs, records())
    site = tmp_path / "site"
    first = build_archive(root, site, recs).search
    assert first is not None and first.shards == ["recent", "older"] and first.rebuilt == ["recent", "older"]
    again = build_archive(root, site, recs).search
    assert again is not None and again.rebuilt == []
    index = root / "posts" / FRAUD / "index.md"  # November: older
    index.write_text(index.read_text(encoding="utf-8").replace("96110", "96110（全天）"), encoding="utf-8")
    changed = build_archive(root, site, recs).search
    assert changed is not None and changed.rebuilt == ["older"]
    (recs / "records" / f"{LOAN}.json").unlink()  # December: recent
    gone = build_archive(root, site, recs).search
    assert gone is not None and gone.rebuilt == ["recent"] and fragments(site, "recent") == 2
    # a shard deleted from the site is indexed again even though its signature is unchanged
    shutil.rmtree(site / "pagefind" / "older")
    assert (build_archive(root, site, recs).search or first).rebuilt == ["older"]
    # the newest month left: November becomes recent, and older goes
    for post_id in (CARD, WEALTH):
        (recs / "records" / f"{post_id}.json").unlink()
    moved = build_archive(root, site, recs).search
    assert moved is not None and moved.shards == moved.rebuilt == ["recent"]
    assert sorted(p.name for p in (site / "pagefind").iterdir() if p.is_dir()) == ["recent"]
    assert json.loads((site / "pagefind" / "shards.json").read_text(encoding="utf-8")) == {"shards": ["recent"]}
    assert fragments(site, "recent") == 1
    # search off, then on again: the stale shard is noticed
    index.write_text(index.read_text(encoding="utf-8").replace("（全天）", ""), encoding="utf-8")
    assert build_archive(root, site, recs, search=False).search is None
    assert (build_archive(root, site, recs).search or first).rebuilt == ["recent"]
