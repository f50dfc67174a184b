"""Publication records as the publish job writes them, for tests, benchmarks and demos of the archive.

`published_record(...)` builds a `pipeline.ledger.Record` holding the events a real publication leaves
(verify with the approvers, record with the article URL; retract when retracted); `write_records(dir,
records)` stores them as the ledger's directory layout (`<dir>/records/<post-id>.json` + `.form.md`)
without fsync per file, so 10,000 records take a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..ledger import Event, Record, record_path


def published_record(
    post_id: str,
    *,
    title: str,
    unit: str,
    category: str,
    publish_at: dt.datetime,
    published_at: dt.datetime | None = None,
    delivery: str = "publish",
    article_url: str | None = "",
    msg_id: str = "",
    msg_data_id: str = "",
    commit: str = "0" * 40,
    approvers: list[dict[str, Any]] | None = None,
    retracted: dict[str, Any] | None = None,
    form_markdown: str = "",
    form_html: str = "",
) -> Record:
    """A record whose status is published (or retracted when `retracted` = {by, at, reason}). `article_url`
    "" makes one up; None records none (a broadcast whose link was not recorded: `msg_id` says what it was)."""
    done = published_at or publish_at
    published: dict[str, Any] = {"published_at": done.isoformat()}
    if article_url is not None:
        published["article_url"] = article_url or f"https://mp.weixin.qq.com/s/{abs(hash(post_id)) % 10**12:012d}"
    published.update({k: v for k, v in (("msg_id", msg_id), ("msg_data_id", msg_data_id)) if v})
    head = {
        "title": title,
        "unit": unit,
        "category": category,
        "delivery": delivery,
        "publish_at": publish_at.isoformat(),
        "path": f"posts/{post_id}/index.md",
    }
    events = [
        Event(done - dt.timedelta(minutes=5), "due", "done", "wxpub", commit, head),
        Event(done - dt.timedelta(minutes=4), "verify", "done", "wxpub", commit, {"approvers": approvers or []}),
        Event(done, "record", "done", "wxpub", commit, published),
    ]
    if retracted:
        events.append(
            Event(retracted["at"], "retract", "done", retracted["by"], commit, {"reason": retracted["reason"]})
        )
    return Record(post_id, events, form_markdown=form_markdown, form_html=form_html)


def write_records(directory: Path, records: Iterable[Record]) -> int:
    """Store records in the ledger's directory layout; return how many."""
    n = 0
    for rec in records:
        path = directory / record_path(rec.post_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rec.dumps(), encoding="utf-8")
        if rec.form_markdown:
            path.with_name(path.name.removesuffix(".json") + ".form.md").write_text(rec.form_markdown, encoding="utf-8")
        if rec.form_html:
            path.with_name(path.name.removesuffix(".json") + ".form.html").write_text(rec.form_html, encoding="utf-8")
        n += 1
    return n
