"""Publication records for the archive, read through the ledger's format (`pipeline.ledger`).

Only records whose status is published or retracted appear in the archive.

From a folder (`--records-dir`) the ledger reads them (`read_records`). From the `wxpub-records` branch the
archive reads them itself, with the ledger's own rules (the newer of the local and `origin/` branch,
`records/<post-id>.json` with `.form.html` / `.form.md` beside it, `Record.loads`), so that it can keep
what it needs of each record (`RecordView`) in its build manifest, keyed by the record's blob ids: a
rebuild then reads and parses only the records that changed, and approval forms are read from git only
for the pages that are rendered again.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, GitError
from ..i18n import _
from ..ledger import BRANCH, RECORDS_DIR, REMOTE, Record
from .gitread import reader_for

SHOWN = ("published", "retracted")


@dataclass
class RecordView:
    """What the archive shows of one record (the derived fields of `pipeline.ledger.Record`)."""

    post_id: str
    status: str
    title: str = ""
    unit: str = ""
    category: str = ""
    delivery: str = "publish"
    path: str = ""
    commit: str = ""
    article_url: str = ""
    msg_id: str = ""  # a broadcast's message ids (recorded by the publisher; absent in older records)
    msg_data_id: str = ""
    publish_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    approvers: list[dict[str, Any]] = field(default_factory=list)
    retraction: dict[str, Any] | None = None
    form_blob: tuple[str, str] = ("", "")  # ("html" | "markdown", blob id): the form, left in git until needed
    key: str = ""  # the blob ids it was made from

    @classmethod
    def from_record(cls, rec: Record, *, key: str = "", form_blob: tuple[str, str] = ("", "")) -> RecordView:
        return cls(
            post_id=rec.post_id,
            status=rec.status,
            title=rec.title,
            unit=rec.unit,
            category=rec.category,
            delivery=rec.delivery,
            path=rec.path,
            commit=rec.commit,
            article_url=rec.article_url,
            msg_id=recorded(rec, "msg_id"),
            msg_data_id=recorded(rec, "msg_data_id"),
            publish_at=rec.publish_at,
            published_at=rec.published_at,
            approvers=rec.approvers,
            retraction=rec.retraction,
            form_blob=form_blob,
            key=key,
        )

    def to_json(self) -> dict[str, Any]:
        r = self.retraction
        return {
            **{k: getattr(self, k) for k in ("post_id", "status", "title", "unit", "category", "delivery", "path")},
            **{k: getattr(self, k) for k in ("commit", "article_url", "msg_id", "msg_data_id", "approvers", "key")},
            "publish_at": _iso(self.publish_at),
            "published_at": _iso(self.published_at),
            "retraction": {**r, "at": _iso(r.get("at"))} if r else None,
            "form_blob": list(self.form_blob),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> RecordView:
        r = obj.get("retraction")
        kind, blob = [*list(obj.get("form_blob") or []), "", ""][:2]
        return cls(
            **{k: obj[k] for k in ("post_id", "status", "title", "unit", "category", "delivery", "path")},
            **{k: obj[k] for k in ("commit", "article_url", "approvers", "key")},
            msg_id=str(obj.get("msg_id") or ""),
            msg_data_id=str(obj.get("msg_data_id") or ""),
            publish_at=_time(obj.get("publish_at")),
            published_at=_time(obj.get("published_at")),
            retraction={**r, "at": _time(r.get("at"))} if isinstance(r, dict) else None,
            form_blob=(str(kind), str(blob)),
        )


def recorded(rec: Any, name: str) -> str:
    """A field of a record read defensively: the ledger's property when it has one, else the newest event
    that carries it (fields the publisher added later are absent from older records: "")."""
    value = getattr(rec, name, None)
    if value is None and callable(getattr(rec, "_latest", None)):
        value = rec._latest(name)
    return str(value or "")


def _iso(t: object) -> str | None:
    return t.isoformat() if isinstance(t, dt.datetime) else None


def _time(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


def load_records(
    root: Path,
    *,
    records_dir: Path | None = None,
    ref: str | None = None,
    cache: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every record by post id, what to cache for the next build).

    From `records_dir` when given (through the ledger; nothing cached), else from the `wxpub-records`
    branch (or `ref`): records whose blobs are those of a view in `cache` are not read again.
    """
    from ..ledger import read_records

    where = f"--records-dir {records_dir}" if records_dir else _("the wxpub-records branch")
    try:
        if records_dir is not None:
            return dict(read_records(root, directory=records_dir)), {}
        return _from_branch(root, ref, cache or {})
    except (ValueError, OSError, KeyError, TypeError) as exc:  # a record that is not JSON, or unreadable
        raise ConfigError(
            _("{where}: a record cannot be read: {error}", where=where, error=exc), hint=_("check the records")
        ) from None


def _git(root: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def _rev(root: Path, ref: str) -> str | None:
    out = _git(root, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}")
    return out.strip() or None if out else None


def records_commit(root: Path, ref: str | None = None) -> str | None:
    """The commit to read records from: `ref`, else the newer of the local and `origin/` records branch."""
    if ref is not None:
        commit = _rev(root, ref)
        if commit is None:
            raise GitError(
                _("no such records ref: {ref}", ref=ref),
                hint=_("fetch it first: git fetch {remote} {branch}", remote=REMOTE, branch=BRANCH),
            )
        return commit
    local, remote = _rev(root, f"refs/heads/{BRANCH}"), _rev(root, f"refs/remotes/{REMOTE}/{BRANCH}")
    if local and remote and local != remote and _git(root, "merge-base", "--is-ancestor", local, remote) is not None:
        return remote
    return local or remote


def _from_branch(root: Path, ref: str | None, cache: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    commit = records_commit(root, ref)
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", RECORDS_DIR) if commit else None
    files: dict[str, str] = {}
    for item in (listing or "").split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            if meta.split()[1] == "blob":
                files[path] = meta.split()[2]
    views: dict[str, Any] = {}
    todo: list[tuple[str, str, str, tuple[str, str]]] = []
    for path, sha in files.items():
        pid = _post_id_of(path)
        if pid is None:
            continue
        stem = path.removesuffix(".json")
        html, md = files.get(stem + ".form.html", ""), files.get(stem + ".form.md", "")
        form = ("html", html) if html else ("markdown", md) if md else ("", "")
        key = f"{sha}:{form[0]}:{form[1]}"
        cached = cache.get(pid)
        if isinstance(cached, dict) and cached.get("key") == key:
            views[pid] = RecordView.from_json(cached)
        else:
            todo.append((pid, sha, key, form))
    reader = reader_for(root)
    reader.prefetch([item[1] for item in todo])
    for pid, sha, key, form in todo:
        data = reader.blob(sha)
        if data is None:
            where = RECORDS_DIR + "/" + pid + ".json"
            raise OSError(_("{path}: blob {sha} not found", path=where, sha=sha))
        rec = Record.loads(data, post_id=pid)
        rec.post_id = pid
        views[pid] = RecordView.from_record(rec, key=key, form_blob=form)
    return views, {pid: v.to_json() for pid, v in views.items()}


def _post_id_of(path: str) -> str | None:
    """The post id of `records/<id>.json` (as the ledger reads it); None for the image cache and forms."""
    if not path.startswith(RECORDS_DIR + "/") or not path.endswith(".json"):
        return None
    rel = path[len(RECORDS_DIR) + 1 : -len(".json")]
    if rel.rsplit("/", 1)[-1].startswith("_") or rel.endswith(".form"):
        return None
    return rel


def form_of(record: Any) -> tuple[str, str]:
    """The approval form as ("html", text) or ("markdown", text), or ("", "") when the record has none.

    The HTML rendering (`records/<id>.form.html`) is preferred: it is what the approval form looked like,
    and sanitising it costs a tenth of converting the Markdown.
    """
    html = str(getattr(record, "form_html", "") or "")
    if html.strip():
        return "html", html
    md = str(getattr(record, "form_markdown", "") or "")
    if md.strip():
        return "markdown", md
    return "", ""
