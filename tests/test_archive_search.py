"""The sharded search index: which pages go in which shard, and only changed shards are indexed again."""

from __future__ import annotations

import json
from pathlib import Path

from test_archive import CARD, FRAUD, LOAN, WEALTH, make_archive_repo, records

from pipeline.archive import build_archive
from pipeline.archive.samples import write_records
from pipeline.archive.search import glob_for, plan


def test_newest_month_alone_other_months_by_year() -> None:
    posts = [("2026/12-05-a", "k1"), ("2026/11-20-b", "k2"), ("2026/01-02-c", "k3"), ("2025/12-31-d", "k4")]
    assert plan(posts) == {
        "2026-12": [("2026/12-05-a", "k1")],
        "2026": [("2026/01-02-c", "k3"), ("2026/11-20-b", "k2")],
        "2025": [("2025/12-31-d", "k4")],
    }
    assert plan([]) == {}
    assert glob_for("2026-12", ["2026-12"]) == "p/2026/12-*/index.html"
    assert glob_for("2026", ["2026-11", "2026-01"]) == "p/2026/{01,11}-*/index.html"
    assert glob_for("2025", ["2025-12"]) == "p/2025/12-*/index.html"


def fragments(site: Path, shard: str) -> int:
    return len(list((site / "pagefind" / shard / "fragment").iterdir()))


def test_only_changed_shards_are_indexed_again(tmp_path: Path) -> None:
    root = make_archive_repo(tmp_path / "repo")
    recs = tmp_path / "records"
    write_records(recs, records())
    site = tmp_path / "site"
    first = build_archive(root, site, recs).search
    assert first is not None and first.shards == ["2026-12", "2026"] and first.rebuilt == ["2026-12", "2026"]
    again = build_archive(root, site, recs).search
    assert again is not None and again.rebuilt == []
    index = root / "posts" / FRAUD / "index.md"  # November: the year's shard
    index.write_text(index.read_text(encoding="utf-8").replace("96110", "96110（全天）"), encoding="utf-8")
    changed = build_archive(root, site, recs).search
    assert changed is not None and changed.rebuilt == ["2026"]
    (recs / "records" / f"{LOAN}.json").unlink()  # December: the newest month's shard
    gone = build_archive(root, site, recs).search
    assert gone is not None and gone.rebuilt == ["2026-12"] and fragments(site, "2026-12") == 2
    # a shard deleted from the site is indexed again even though its signature is unchanged
    import shutil

    shutil.rmtree(site / "pagefind" / "2026")
    assert (build_archive(root, site, recs).search or first).rebuilt == ["2026"]
    # the newest month left: November becomes the newest month, the December and year shards go
    for post_id in (CARD, WEALTH):
        (recs / "records" / f"{post_id}.json").unlink()
    moved = build_archive(root, site, recs).search
    assert moved is not None and moved.shards == moved.rebuilt == ["2026-11"]
    assert sorted(p.name for p in (site / "pagefind").iterdir() if p.is_dir()) == ["2026-11"]
    assert json.loads((site / "pagefind" / "shards.json").read_text(encoding="utf-8")) == {"shards": ["2026-11"]}
    assert fragments(site, "2026-11") == 1
    # search off, then on again: the stale shard is noticed
    index.write_text(index.read_text(encoding="utf-8").replace("（全天）", ""), encoding="utf-8")
    assert build_archive(root, site, recs, search=False).search is None
    assert (build_archive(root, site, recs).search or first).rebuilt == ["2026-11"]
