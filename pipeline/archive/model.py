"""What the archive shows: one `Entry` per published (or retracted) post, newest first.

An entry joins the publication record (what was published, when, where, who approved it) with the
post as it was published: its folder at the commit the record names (body, author, tags, images), read
with git (`gitread`). Only when the record names no commit, or the commit (or the post in it) is not in
the repository, is the post read from the working tree instead, and the page says so. Only records whose
status is published or retracted appear; a record whose post is found nowhere still appears, without
its body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..policy import CATEGORY_NAMES
from ..post import split_front_matter
from .gitread import blob_id, reader_for
from .records import SHOWN, form_of, recorded

DELIVERY_NAMES = {"publish": "发布（不推送）", "broadcast": "群发（推送给关注者）"}
STATUS_NAMES = {"published": "已发布", "retracted": "已撤回"}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNSAFE_SLUG = re.compile(r"[\s/\\?#%&'\"<>.:;|*]+")


def slug(text: str) -> str:
    """A path segment for a unit or tag: the name itself (Chinese is fine in a URL) with unsafe signs dashed."""
    s = _UNSAFE_SLUG.sub("-", text.strip()).strip("-").lower()
    return s or "x-" + hashlib.sha1(text.encode()).hexdigest()[:8]


@dataclass
class Entry:
    """One publication as the archive shows it."""

    id: str
    title: str
    unit: str
    category: str
    status: str
    delivery: str
    published_at: dt.datetime
    article_url: str = ""
    msg_id: str = ""  # a broadcast's message id (and its data id), when the record has them
    msg_data_id: str = ""
    author: str = ""
    digest: str = ""
    tags: tuple[str, ...] = ()
    cover: str = ""
    body: str | None = None  # None: not read yet (see `load_body`) or the post is gone (`origin` is "")
    folder: Path | None = None  # the post's folder in the working tree, when the page shows that copy
    origin: str = ""  # "commit": as published; "worktree": the repository's current copy; "": found nowhere
    fallback: str = ""  # why not as published: "no-commit" | "missing-commit" | "not-at-commit"
    differs: str = ""  # for a post read from its commit: "edited" / "removed" when the working tree differs
    files: dict[str, str] = field(default_factory=dict)  # files of the folder at the commit -> blob id
    blob: str = ""  # blob id of index.md at the commit
    source: dict[str, Any] = field(default_factory=dict)  # what was read from the folder, for the next build
    commit: str = ""
    approvers: list[dict[str, Any]] = field(default_factory=list)
    retraction: dict[str, Any] | None = None
    form: tuple[str, str] = ("", "")  # ("markdown" | "html" | "", text); text "" while in git (`form_blob`)
    form_blob: str = ""  # blob id of the form on the records branch, when its text is not read yet
    key: str = ""  # changes whenever anything shown on the post's page changes

    @property
    def url(self) -> str:
        """The permalink, relative to the site root: from the post id, never the title."""
        return f"p/{self.id}/"

    def load_body(self, root: Path | None = None) -> str:
        """The post's Markdown body, read now if the entry came from the cache (`root`: the repository)."""
        if self.body is None and self.origin == "commit" and root is not None:
            data = reader_for(root).blob(self.blob)
            parsed = parse_post(data.decode("utf-8", "replace")) if data is not None else None
            self.body = parsed[1] if parsed else ""
        elif self.body is None and self.folder is not None:
            loaded = read_front_matter(self.folder / "index.md")
            self.body = loaded[1] if loaded else ""
        return self.body or ""

    def load_form(self, root: Path) -> tuple[str, str]:
        """("markdown" | "html" | "", text) of the approval form, read from git now if it was left there."""
        if self.form_blob and not self.form[1]:
            data = reader_for(root).blob(self.form_blob)
            self.form = (self.form[0], data.decode("utf-8", "replace") if data is not None else "")
        return self.form

    def file_bytes(self, name: str, root: Path) -> bytes | None:
        """A file of the post as shown (at the commit, or in the working tree), or None when absent."""
        if self.origin == "commit":
            return reader_for(root).blob(self.files[name]) if name in self.files else None
        try:
            return (self.folder / name).read_bytes() if self.folder is not None else None
        except OSError:
            return None

    @property
    def category_name(self) -> str:
        return CATEGORY_NAMES.get(self.category, self.category)

    @property
    def category_url(self) -> str:
        """`category/<kind>/` (site-relative); a kind outside the six of Art. 13 gets a safe slug."""
        return f"category/{self.category if self.category in CATEGORY_NAMES else slug(self.category)}/"


def read_front_matter(index: Path) -> tuple[dict[str, Any], str] | None:
    """(front matter, body) of a post's index.md, or None when it cannot be read."""
    try:
        text = index.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return parse_post(text)


def parse_post(text: str) -> tuple[dict[str, Any], str] | None:
    """(front matter, body) of a post's index.md text, or None when it has no readable front matter."""
    parts = split_front_matter(text.lstrip("\ufeff").replace("\r\n", "\n"))
    if parts is None:
        return None
    try:
        meta = yaml.load(parts[0], Loader=_Loader)
    except yaml.YAMLError:
        return None
    return (meta if isinstance(meta, dict) else {}), parts[1]


def _str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value if str(v).strip())
    return ()


def _signature(folder: Path, cover: str) -> str | None:
    """Cheap change detector of a post folder: index.md, the folder (files added/removed), the cover."""
    base = str(folder)
    try:
        st, sd = os.stat(base + "/index.md"), os.stat(base)
    except OSError:
        return None
    sig = f"{st.st_mtime_ns}:{st.st_size}:{sd.st_mtime_ns}"
    if cover and "/" not in cover and ".." not in cover:
        try:
            sc = os.stat(f"{base}/{cover}")
            sig += f":{sc.st_mtime_ns}:{sc.st_size}"
        except OSError:
            sig += ":-"
    return sig


def _source(folder: Path, cached: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the archive needs from a post folder, from `cached` when the folder did not change."""
    if cached and cached.get("sig") and cached["sig"] == _signature(folder, cached.get("cover", "")):
        return cached
    loaded = read_front_matter(folder / "index.md")
    if loaded is None:
        return None
    meta, body = loaded
    h = hashlib.sha1(body.encode())
    for name in sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != "index.md"):
        st = (folder / name).stat()
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    fields = _meta_fields(meta)
    return {
        "sig": _signature(folder, fields["cover"]),
        **fields,
        "content": h.hexdigest(),
        "body": body,  # dropped before caching
    }


def _meta_fields(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "author": str(meta.get("author") or ""),
        "digest": str(meta.get("digest") or ""),
        "tags": list(_str_tuple(meta.get("tags"))),
        "cover": str(meta.get("cover") or ""),
        "title": str(meta.get("title") or ""),
    }


def _published_source(root: Path, commit: str, post_dir: str, cached: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the archive needs from the post folder `post_dir` at `commit`, or None when it is not there.

    A commit never changes, so a cached source for the same `commit:path` is used as it is (no git call).
    """
    spec = f"{commit}:{post_dir}"
    if cached and cached.get("spec") == spec:
        return cached
    reader = reader_for(root)
    got = reader.folder(commit, post_dir) if reader.has_commit(commit) else None
    if got is None:
        return None
    tree, files = got
    blob = files.pop("index.md", "")
    data = reader.blob(blob) if blob else None
    parsed = parse_post(data.decode("utf-8", "replace")) if data is not None else None
    if parsed is None:
        return None
    meta, body = parsed
    return {"spec": spec, "content": tree, "blob": blob, "files": files, **_meta_fields(meta), "body": body}


def _worktree_change(folder: Path, blob: str, cached: dict[str, Any] | None) -> tuple[str, dict[str, str]]:
    """("edited" | "removed" | "", what to cache) comparing the working tree's index.md with the published blob."""
    index = str(folder / "index.md")
    try:
        st = os.stat(index)
    except OSError:
        return "removed", {}
    sig = f"{st.st_mtime_ns}:{st.st_size}"
    if cached and cached.get("wt_sig") == sig and cached.get("wt_blob"):
        now = str(cached["wt_blob"])
    else:
        try:
            with open(index, "rb") as fh:
                now = blob_id(fh.read())
        except OSError:
            return "removed", {}
    return ("edited" if now != blob else ""), {"wt_sig": sig, "wt_blob": now}


def _post_dir(record: Any, post_id: str) -> str:
    """The post's folder in the repository as the record names it (`posts/<id>` by default)."""
    path = str(getattr(record, "path", "") or "")
    if path.startswith("posts/") and path.endswith("/index.md") and ".." not in path.split("/"):
        return path.removesuffix("/index.md")
    return f"posts/{post_id}"


def entry_for(root: Path, record: Any, tz: dt.tzinfo, cached: dict[str, Any] | None = None) -> Entry:
    """Join one record with its post as published: the post folder at the record's commit, else (said so
    on the page) the working tree's copy. Nothing is read again that `cached` (the last build's) still holds."""
    post_id = record.post_id
    when = record.published_at or record.publish_at or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    entry = Entry(
        id=post_id,
        title=record.title or post_id,
        unit=record.unit or "",
        category=record.category or "other",
        status=record.status,
        delivery=record.delivery or "publish",
        published_at=when.astimezone(tz),
        article_url=record.article_url or "",
        msg_id=recorded(record, "msg_id"),
        msg_data_id=recorded(record, "msg_data_id"),
        commit=record.commit or "",
        approvers=[local_times(a, tz) for a in record.approvers or [] if isinstance(a, dict)],
        retraction=_retraction(record.retraction, tz),
        form=form_of(record),
    )
    if not entry.form[0]:  # the form left in git (see `records.RecordView`): read when the page is rendered
        kind, blob = getattr(record, "form_blob", ("", ""))
        entry.form, entry.form_blob = ((kind, ""), blob) if kind and blob else (("", ""), "")
    safe = "/" in post_id and ".." not in post_id.split("/")
    post_dir = _post_dir(record, post_id)
    folder = root / post_dir
    src: dict[str, Any] | None = None
    if not entry.commit:
        entry.fallback = "no-commit"
    elif safe:
        src = _published_source(root, entry.commit, post_dir, cached)
        if src is not None:
            entry.origin, entry.blob, entry.files = "commit", src["blob"], dict(src["files"])
            entry.differs, seen = _worktree_change(folder, entry.blob, cached)
            src = {**src, **seen}
        else:
            entry.fallback = "not-at-commit" if reader_for(root).has_commit(entry.commit) else "missing-commit"
    if src is None and safe:
        src = _source(folder, cached)
        if src is not None:
            entry.origin, entry.folder = "worktree", folder
    content = ""
    if src is not None:
        entry.body = src.get("body")  # None when cached: read when the page is rendered
        entry.author, entry.digest, entry.cover = src["author"], src["digest"], src["cover"]
        entry.tags = tuple(src["tags"])
        entry.title = entry.title or src["title"] or post_id
        content = src["content"]
        entry.source = {k: v for k, v in src.items() if k != "body"}
    fields = (
        content,
        entry.origin,
        entry.fallback,
        entry.differs,
        entry.title,
        entry.unit,
        entry.category,
        entry.status,
        entry.delivery,
        entry.published_at.isoformat(),
        entry.article_url,
        entry.msg_id,
        entry.msg_data_id,
        entry.author,
        entry.digest,
        entry.tags,
        entry.cover,
        entry.commit,
        entry.approvers,
        entry.retraction,
        (entry.form[0], entry.form_blob or hashlib.sha1(entry.form[1].encode()).hexdigest()),
    )
    entry.key = hashlib.sha1(repr(fields).encode()).hexdigest()
    return entry


def local_times(approver: dict[str, Any], tz: dt.tzinfo) -> dict[str, Any]:
    """An approver as shown: any time in it (ISO 8601 with an offset, as the ledger keeps it in UTC) in the
    bank's timezone, `YYYY-MM-DD HH:MM`."""
    out: dict[str, Any] = {}
    for k, v in approver.items():
        t = v if isinstance(v, dt.datetime) else _iso_time(v) if isinstance(v, str) else None
        out[k] = t.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t is not None and t.tzinfo is not None else v
    return out


def _iso_time(value: str) -> dt.datetime | None:
    if len(value) < 16 or not value[:4].isdigit() or value[4] != "-":
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _retraction(value: Any, tz: dt.tzinfo) -> dict[str, str] | None:
    """{by, at, reason} as text, the time in the bank's timezone."""
    if not value:
        return None
    at = value.get("at")
    shown = at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if isinstance(at, dt.datetime) else str(at or "")
    return {"by": str(value.get("by") or ""), "at": shown, "reason": str(value.get("reason") or "")}


def prefetch(root: Path, records: list[tuple[str, Any]], cache: dict[str, dict[str, Any]]) -> None:
    """Ask git at once for every post folder (and its index.md) that `entry_for` will read at a commit."""
    wanted = []
    for pid, rec in records:
        commit = str(getattr(rec, "commit", "") or "")
        post_dir = _post_dir(rec, pid)
        if commit and (cache.get(pid) or {}).get("spec") != f"{commit}:{post_dir}":
            wanted.append((commit, post_dir))
    if wanted:
        reader_for(root).prefetch_folders(wanted)


def collect(
    root: Path, records: dict[str, Any], tz: dt.tzinfo, cache: dict[str, dict[str, Any]] | None = None
) -> list[Entry]:
    """The entries of every published or retracted record, newest first. `cache`: `Entry.source` by id."""
    cache = cache or {}
    prefetch(root, [(pid, rec) for pid, rec in records.items() if getattr(rec, "status", "") in SHOWN], cache)
    entries = [
        entry_for(root, rec, tz, cache.get(pid)) for pid, rec in records.items() if getattr(rec, "status", "") in SHOWN
    ]
    entries.sort(key=lambda e: (e.published_at, e.id), reverse=True)
    return entries
