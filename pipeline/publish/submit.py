"""Stages submit and poll (delivery: publish): `freepublish/submit` never repeated blindly, then
`freepublish/get` until final."""

from __future__ import annotations

from typing import Any

from ..errors import TransportError
from ..i18n import _
from ..ledger import Event
from .base import _backoff, _not_accepted
from .model import Job, StepFailed, _settled_after
from .reconcile import Reconcile


class Submit(Reconcile):
    def stage_submit(self, job: Job) -> None:
        def body() -> None:
            if job.record.result("submit", commit=job.commit) is not None:
                return
            media_id = str(job.record.result("draft", commit=job.commit)["media_id"])  # type: ignore[index]
            started = job.record.last("submit", "started", commit=job.commit)
            if (
                started is not None
                and not _settled_after(job.record, started)
                and self._reconcile_submit(job, media_id, started)
            ):
                return
            self._event(job, "submit", "started", media_id=media_id)
            attempt = 0
            while True:
                try:
                    publish_id = self._call_once(self.client.submit, media_id)
                    break
                except TransportError as exc:
                    attempt += 1
                    if not _not_accepted(exc):
                        # accepted or not? never submit blindly again: look for the article
                        found = None
                        if not self._still_in_box(media_id, self.reconcile_wait):
                            found = self.find_published(job)
                        if found is not None:
                            self._event(job, "submit", "done", reconciled=True, media_id=media_id, **found)
                            self._say(job, "submit", _("accepted (the answer was lost; found the article)"))
                            return
                        raise StepFailed(
                            "submit",
                            _(
                                "WeChat's answer to submitting draft {media_id} was lost ({problem}) and no article "
                                "has appeared yet",
                                media_id=media_id,
                                problem=exc.message,
                            ),
                            hint=_("run again later: the next run looks for the article before submitting again"),
                        ) from None
                    if attempt > self._retries():
                        raise
                    self.sleep(_backoff(attempt))
            self._crash("submit", "call")
            self._event(job, "submit", "done", media_id=media_id, publish_id=publish_id)
            self._say(job, "submit", _("accepted (publish_id {publish_id})", publish_id=publish_id))

        self._guard(job, "submit", body)

    def _reconcile_submit(self, job: Job, media_id: str, started: Event) -> bool:
        """A previous submit's answer may have been lost: True when it turns out to have published."""
        found = self._lost_submit(job, started, "this")
        if found is None:
            return False
        self._event(job, "submit", "done", reconciled=True, media_id=media_id, **found)
        self._say(job, "submit", _("found the article a previous run published"))
        return True

    def _lost_submit(self, job: Job, started: Event, kind: str) -> dict[str, Any] | None:
        """What became of the submit of `started`, whose answer was never recorded: its article
        ({article_id, article_url}), or None when it surely published nothing. Raises StepFailed while
        that cannot be known yet (the job may still be running).

        Cost: `draft/get` looks while the job may still run, and one listing pass of the published
        articles at most (when the draft has left the box, or before the draft is submitted again)."""
        media_id = str(started.data.get("media_id", ""))
        age = (self.clock() - started.at).total_seconds()
        # a job submitted long ago would have finished: no point waiting for it
        patience = self.reconcile_wait if age < self.resubmit_after else 0.0
        if not self._still_in_box(media_id, patience):
            found = self.find_published(job, kind)
            if found is not None:
                return found
            if self._deleted_by_us(job, media_id):
                return None  # the publisher deleted it after settling that version: not a publication
            raise StepFailed(
                "submit",
                _(
                    "draft {media_id} left the draft box but no published article carries this post's version",
                    media_id=media_id,
                ),
                hint=_("check the WeChat console (发表记录); nothing is resubmitted until this is resolved"),
            )
        if age < self.resubmit_after:
            raise StepFailed(
                "submit",
                _(
                    "the outcome of the submit {age} s ago is not known yet (its draft is still in the draft box "
                    "and no article has appeared)",
                    age=f"{age:.0f}",
                ),
                hint=_(
                    "run again later: after {window} minutes without an article the draft is submitted again",
                    window=f"{self.resubmit_after / 60:.0f}",
                ),
            )
        # the draft is still there, so no job succeeded; one look at the list before submitting again
        return self.find_published(job, kind)

    def stage_poll(self, job: Job) -> None:
        def body() -> None:
            if job.record.result("poll", commit=job.commit) is not None:
                return
            sub = job.record.result("submit", commit=job.commit) or {}
            if sub.get("article_id") or sub.get("confirmed_by"):
                found = {k: sub[k] for k in ("article_id", "article_url", "confirmed_by") if sub.get(k)}
                self._event(job, "poll", "done", **found)
                return
            publish_id = str(sub["publish_id"])
            self._say(job, "poll", _("waiting for publish job {publish_id}", publish_id=publish_id))
            result = self.client.wait_published(publish_id, timeout=self.poll_timeout)
            self._crash("poll", "call")
            items = (result.get("article_detail") or {}).get("item") or [{}]
            self._event(
                job,
                "poll",
                "done",
                publish_id=publish_id,
                article_id=str(result.get("article_id", "")),
                article_url=str(items[0].get("article_url", "")),
            )

        self._guard(job, "poll", body)
