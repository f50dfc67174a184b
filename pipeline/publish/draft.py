"""Stage draft: `draft/add` once; after a lost answer the draft box is searched before creating another."""

from __future__ import annotations

import hashlib

from ..errors import TransportError, WeChatError
from ..i18n import _
from .base import _backoff, _not_accepted
from .identity import fingerprint
from .model import Job, _refused_after
from .reconcile import Reconcile
from .uploads import Uploads


class Draft(Reconcile, Uploads):
    def stage_draft(self, job: Job) -> None:
        def body() -> None:
            discarded = {
                str(e.data.get("media_id")) for e in job.record.events if e.step == "discard" and e.status == "done"
            }
            current = job.record.result("draft", commit=job.commit)
            if current is not None and str(current.get("media_id")) not in discarded:
                return
            earlier = {
                str(e.data["media_id"])
                for e in job.record.events
                if e.step == "draft" and e.status == "done" and e.commit != job.commit and e.data.get("media_id")
            } - discarded
            mine = job.record.last("draft", "started", commit=job.commit)
            maybe_created = mine is not None and not _refused_after(job.record, mine)
            other_versions = any(e.step == "draft" and e.commit != job.commit for e in job.record.events)
            if maybe_created or other_versions:
                this, older = self.find_drafts(job)
                for media_id in sorted(earlier | set(older)):
                    self._discard_draft(job, media_id, "earlier-version")
                    self._say(
                        job, "draft", _("deleted the draft of an earlier version ({media_id})", media_id=media_id)
                    )
                if this:
                    keep, *extra = this
                    for media_id in extra:
                        self._discard_draft(job, media_id, "duplicate")
                    self._event(job, "draft", "done", media_id=keep, marker=job.marker, reconciled=True)
                    self._say(job, "draft", _("found the draft a previous run created"))
                    return
            refreshed = False
            while True:
                try:
                    self._add_draft(job)
                    return
                except WeChatError as exc:
                    if exc.errcode != 40007 or refreshed:
                        raise
                    # the cached cover is unknown to WeChat (deleted in the console, another account):
                    # drop the cache entry, upload it again once, and record both
                    self._event(job, "draft", "failed", error=exc.message, errcode=exc.errcode)
                    self._upload_cover(job, stale=job.cover_media_id)
                    refreshed = True

        self._guard(job, "draft", body)

    def _add_draft(self, job: Job) -> None:
        article = self.article(job)
        content_hash = hashlib.sha256(article["content"].encode("utf-8")).hexdigest()
        self._event(
            job,
            "draft",
            "started",
            marker=job.marker,
            content_sha256=content_hash,
            fingerprint=fingerprint(article),
            text_fingerprint=fingerprint(article, with_cover=False),
        )
        attempt = 0
        while True:
            try:
                media_id = self._call_once(self.client.add_draft, [article])
                break
            except TransportError as exc:
                attempt += 1
                if not _not_accepted(exc):  # the draft may exist: look before creating another
                    this, _older = self.find_drafts(job)
                    if this:
                        for spare in this[1:]:
                            self._discard_draft(job, spare, "duplicate")
                        self._event(job, "draft", "done", media_id=this[0], marker=job.marker, reconciled=True)
                        self._say(job, "draft", _("created (the answer was lost; found it in the draft box)"))
                        return
                if attempt > self._retries():
                    raise
                self.sleep(_backoff(attempt))
        self._crash("draft", "call")
        self._event(job, "draft", "done", media_id=media_id, marker=job.marker, content_sha256=content_hash)
        self._say(job, "draft", _("created"))
