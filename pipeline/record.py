"""The record model: a post's publication record as an append-only list of events, and the views derived
from it (status, title, article URL, approvers, retraction, ...). Pure data, no storage: `ledger` keeps
records on the `wxpub-records` branch (or in a folder) and re-exports these names.

Record file format (UTF-8, `ensure_ascii=False`, sorted keys, two-space indent, newline at the end):

    {"events": [{"actor", "at", "commit", "data", "status", "step"}, ...],
     "post_id": "2026/12-05-card-offer", "schema": 1,
     "summary": {...derived on write for people reading the branch; ignored when read...}}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RECORDS_DIR = "records"
IMAGES_FILE = "_images.json"
SCHEMA = 1

# Steps of the publisher, in order, then the later ones.
STEPS = (
    "due", "verify", "render", "images", "cover", "draft", "discard", "submit", "broadcast", "poll", "record", "retract"
)  # fmt: skip
REMOTE_STEPS = frozenset({"images", "cover", "draft", "submit", "broadcast", "poll", "record"})
EVENT_STATUSES = ("started", "done", "failed", "skipped")
STATUSES = ("pending", "in-progress", "published", "failed", "retracted")
HEADER_KEYS = ("title", "unit", "category", "delivery", "publish_at", "path")


# -- the vocabulary ------------------------------------------------------------------------------------


def _iso(t: dt.datetime) -> str:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"event times must be timezone-aware, got {t!r}")
    return t.isoformat()


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Event:
    """One thing that happened to a post: a step `started`, `done`, `failed` or `skipped`."""

    at: dt.datetime
    step: str
    status: str
    actor: str = ""
    commit: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "step": self.step,
            "status": self.status,
            "actor": self.actor,
            "commit": self.commit,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Event:
        at = _parse_time(obj.get("at"))
        if at is None:
            raise ValueError(f"event without a valid 'at': {obj!r}")
        data = obj.get("data") or {}
        return cls(
            at=at,
            step=str(obj.get("step", "")),
            status=str(obj.get("status", "")),
            actor=str(obj.get("actor", "")),
            commit=str(obj.get("commit", "")),
            data=dict(data) if isinstance(data, Mapping) else {},
        )

    def key(self) -> str:
        """Identity of an event, for merging two versions of a record without duplicates."""
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)


@dataclass
class Record:
    """The publication record of one post: its events, and views derived from them."""

    post_id: str
    events: list[Event] = field(default_factory=list)
    form_markdown: str = ""
    form_html: str = ""

    # -- queries over events -------------------------------------------------------------------------

    def last(self, step: str, status: str | None = "done", *, commit: str | None = None) -> Event | None:
        """The latest event of `step` (with `status`, and on `commit` when given)."""
        for ev in reversed(self.events):
            if ev.step != step or (status is not None and ev.status != status):
                continue
            if commit is not None and ev.commit != commit:
                continue
            return ev
        return None

    def result(self, step: str, *, commit: str | None = None) -> dict[str, Any] | None:
        """The data of the latest successful `step` (on `commit` when given), or None when missing."""
        ev = self.last(step, "done", commit=commit)
        return dict(ev.data) if ev else None

    def _latest(self, key: str) -> Any:
        for ev in reversed(self.events):
            if key in ev.data and ev.data[key] not in (None, ""):
                return ev.data[key]
        return None

    def _published_event(self) -> Event | None:
        return self.last("record", "done")

    # -- derived properties --------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """pending | in-progress | published | failed | retracted."""
        published = self._published_event()
        retract = self.last("retract", "done")
        if retract is not None and (published is None or self.events.index(retract) > self.events.index(published)):
            return "retracted"
        if published is not None:
            return "published"
        if not self.events:
            return "pending"
        if self.events[-1].status == "failed":
            return "failed"
        if any(ev.step in REMOTE_STEPS for ev in self.events):
            return "in-progress"
        return "pending"

    @property
    def published(self) -> bool:
        """True once an article exists (even if later retracted): never publish this post again."""
        return self._published_event() is not None

    @property
    def title(self) -> str:
        return str(self._latest("title") or "")

    @property
    def unit(self) -> str:
        return str(self._latest("unit") or "")

    @property
    def category(self) -> str:
        return str(self._latest("category") or "")

    @property
    def delivery(self) -> str:
        return str(self._latest("delivery") or "publish")

    @property
    def path(self) -> str:
        return str(self._latest("path") or "")

    @property
    def publish_at(self) -> dt.datetime | None:
        return _parse_time(self._latest("publish_at"))

    @property
    def published_at(self) -> dt.datetime | None:
        ev = self._published_event()
        if ev is None:
            return None
        return _parse_time(ev.data.get("published_at")) or ev.at

    @property
    def article_url(self) -> str:
        ev = self._published_event()
        return str(ev.data.get("article_url", "")) if ev else ""

    @property
    def article_id(self) -> str:
        ev = self._published_event()
        if ev and ev.data.get("article_id"):
            return str(ev.data["article_id"])
        return str(self._latest("article_id") or "")

    @property
    def draft_media_id(self) -> str:
        return str(self._latest("media_id") or "")

    @property
    def publish_id(self) -> str:
        return str(self._latest("publish_id") or "")

    @property
    def msg_id(self) -> str:
        """A broadcast's message id, as WeChat answered the mass send (empty when the answer was lost)."""
        return str(self._latest("msg_id") or "")

    @property
    def msg_data_id(self) -> str:
        """A broadcast's message data id (WeChat's id of the sent article, for its statistics)."""
        return str(self._latest("msg_data_id") or "")

    @property
    def commit(self) -> str:
        """The commit whose content was (or is being) published."""
        ev = self._published_event() or self.last("verify", "done")
        if ev and ev.commit:
            return ev.commit
        for ev in reversed(self.events):
            if ev.commit:
                return ev.commit
        return ""

    @property
    def approvers(self) -> list[dict[str, Any]]:
        """Who approved the published content, per tier, as the verification saw it."""
        commit = self.commit
        ev = self.last("verify", "done", commit=commit or None) or self.last("verify", "done")
        value = ev.data.get("approvers") if ev else None
        return [dict(a) for a in value] if isinstance(value, list) else []

    @property
    def pr(self) -> int | None:
        value = self._latest("pr")
        return int(value) if isinstance(value, int | str) and str(value).isdigit() else None

    @property
    def retraction(self) -> dict[str, Any] | None:
        """{by, at, reason} once the article was deleted on WeChat, else None."""
        if self.status != "retracted":
            return None
        ev = self.last("retract", "done")
        assert ev is not None
        return {"by": ev.actor, "at": ev.at, "reason": str(ev.data.get("reason", ""))}

    @property
    def error(self) -> str:
        """The message of the last failure, when the record ends in one."""
        if self.events and self.events[-1].status == "failed":
            return str(self.events[-1].data.get("error", ""))
        return ""

    @property
    def created_at(self) -> dt.datetime | None:
        return self.events[0].at if self.events else None

    @property
    def updated_at(self) -> dt.datetime | None:
        return self.events[-1].at if self.events else None

    # -- (de)serialisation ---------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Derived fields, written beside the events for people reading the branch; ignored on read."""
        retraction = self.retraction
        return {
            "status": self.status,
            "title": self.title,
            "unit": self.unit,
            "category": self.category,
            "delivery": self.delivery,
            "publish_at": self.publish_at.isoformat() if self.publish_at else None,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "article_url": self.article_url,
            "msg_id": self.msg_id or None,
            "msg_data_id": self.msg_data_id or None,
            "commit": self.commit,
            "approvers": self.approvers,
            "retraction": {**retraction, "at": retraction["at"].isoformat()} if retraction else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "post_id": self.post_id,
            "events": [ev.to_json() for ev in self.events],
            "summary": self.summary(),
        }

    def dumps(self) -> str:
        return dumps(self.to_json())

    @classmethod
    def loads(cls, text: str | bytes, *, post_id: str | None = None) -> Record:
        obj = json.loads(text)
        if not isinstance(obj, dict):
            raise ValueError("a record is a JSON object")
        events = [Event.from_json(e) for e in obj.get("events") or [] if isinstance(e, Mapping)]
        return cls(post_id=str(obj.get("post_id") or post_id or ""), events=events)

    def appended(self, event: Event) -> Record:
        """A copy with one more event (records are never edited in place)."""
        return Record(self.post_id, [*self.events, event], self.form_markdown, self.form_html)


def dumps(obj: object) -> str:
    """The one stable JSON format of the records branch."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def merge_record_text(ours: str | bytes, theirs: str | bytes) -> str:
    """Two versions of one record file -> one holding every event of both.

    Their events come first, in their order, then ours that they lack, in our order: when ours is
    theirs plus new events (the usual case) the result is exactly ours.
    """
    a, b = Record.loads(ours), Record.loads(theirs)
    seen: dict[str, Event] = {}
    for ev in [*b.events, *a.events]:
        seen.setdefault(ev.key(), ev)
    return Record(a.post_id or b.post_id, list(seen.values())).dumps()


def merge_images_text(ours: str | bytes, theirs: str | bytes) -> str:
    a, b = json.loads(ours or "{}"), json.loads(theirs or "{}")
    return dumps({**b, **a})


def merge_file(path: str, ours: bytes, theirs: bytes) -> bytes:
    """Merge two versions of a file of the records branch."""
    if ours == theirs:
        return ours
    name = path.rsplit("/", 1)[-1]
    if name == IMAGES_FILE:
        return merge_images_text(ours, theirs).encode()
    if path.endswith(".json"):
        return merge_record_text(ours, theirs).encode()
    return ours  # forms: ours is the newer rendering of the same approval


def record_path(post_id: str) -> str:
    """`records/<post-id>.json`, refusing ids that could escape the folder."""
    parts = post_id.split("/")
    if not post_id or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise ValueError(f"not a post id: {post_id!r}")
    return f"{RECORDS_DIR}/{post_id}.json"


def _post_id_of(path: str) -> str | None:
    """The post id of `records/<id>.json`, None for the image cache and forms."""
    if not path.startswith(RECORDS_DIR + "/") or not path.endswith(".json"):
        return None
    rel = path[len(RECORDS_DIR) + 1 : -len(".json")]
    if rel.rsplit("/", 1)[-1].startswith("_") or rel.endswith(".form"):
        return None
    return rel
