"""Stage earlier: an earlier version's submit or broadcast whose outcome was never recorded is settled on
WeChat's evidence before anything else is sent."""

from __future__ import annotations

from typing import Any

from ..i18n import _
from ..ledger import Event
from .broadcast import Broadcast, _broadcast_fields
from .model import Job, StepFailed, _settled_after
from .submit import Submit


class Earlier(Broadcast, Submit):
    def stage_earlier(self, job: Job) -> None:
        """An earlier version of the post, submitted or broadcast without a recorded outcome, may be live:
        if so, record it as the publication (WeChat cannot edit an article) instead of sending the new one.

        Each such attempt is settled on WeChat's evidence before anything else happens: "sent" needs an
        article carrying the version, a publish job's answer, a msg_id or a 45065 for its clientmsgid;
        "not sent" needs its draft still in the draft box (a mass send or a publication removes it) or,
        for a publication, no article `resubmit_after` seconds after the submit. The verdict "not sent"
        is recorded (`<step> skipped`, on the earlier commit) before the old draft may be deleted, so a
        later run never mistakes a draft the publisher deleted itself for a sent one. Without evidence the
        run stops and says what to check."""

        def body() -> None:
            for started in self._unsettled(job):
                found = self._earlier_outcome(job, started)
                if found is None:
                    continue
                event = Event(
                    at=self.clock(),
                    step="record",
                    status="done",
                    actor=self.who,
                    commit=started.commit,
                    data={"delivery": job.delivery, "earlier_version": True, "published_at": self.clock().isoformat()}
                    | {k: str(v) for k, v in found.items() if v not in ("", None)},
                )
                assert self.ledger is not None
                job.record = self.ledger.append(job.record, event)
                self._say(
                    job,
                    "record",
                    _(
                        "an earlier version (commit {commit}) is already live; not sent again",
                        commit=started.commit[:12],
                    ),
                )
                return

        self._guard(job, "submit" if job.delivery != "broadcast" else "broadcast", body)

    def _unsettled(self, job: Job) -> list[Event]:
        """The latest submit/broadcast start of each earlier commit whose outcome is not recorded."""
        latest: dict[tuple[str, str], Event] = {}
        for e in job.record.events:
            if e.step in ("submit", "broadcast") and e.status == "started" and e.commit != job.commit:
                latest[(e.step, e.commit)] = e
        return [
            e
            for e in latest.values()
            if not _settled_after(job.record, e)
            and job.record.result("poll", commit=e.commit) is None
            and job.record.last("record", "done", commit=e.commit) is None
        ]

    def _settle(self, job: Job, started: Event, evidence: str, **data: Any) -> None:
        """Record that the attempt of `started` (an earlier commit) sent nothing, and on what evidence."""
        assert self.ledger is not None
        event = Event(
            at=self.clock(),
            step=started.step,
            status="skipped",
            actor=self.who,
            commit=started.commit,
            data={"outcome": "not-sent", "evidence": evidence, "superseded_by": job.commit}
            | {"media_id": str(started.data.get("media_id", ""))}
            | data,
        )
        job.record = self.ledger.append(job.record, event)
        self._say(
            job,
            started.step,
            _(
                "the attempt of an earlier version (commit {commit}) sent nothing ({evidence})",
                commit=started.commit[:12],
                evidence=evidence,
            ),
        )

    def _earlier_outcome(self, job: Job, started: Event) -> dict[str, Any] | None:
        """What WeChat shows of an earlier commit's unsettled submit/broadcast: the publication's fields,
        or None after recording that nothing was sent. Raises StepFailed when there is no evidence yet."""
        media_id = str(started.data.get("media_id", ""))
        if started.step == "broadcast":
            done = job.record.result("broadcast", commit=started.commit)
            if done is not None:
                return _broadcast_fields(done)
            if self._draft_exists(media_id):
                self._settle(job, started, "draft-in-box")  # a mass send removes its draft
                return None
            return self._broadcast_evidence(job, started)
        submitted = job.record.result("submit", commit=started.commit)
        if submitted and (submitted.get("article_id") or submitted.get("confirmed_by")):
            return {k: submitted[k] for k in ("article_id", "article_url", "confirmed_by") if k in submitted}
        if submitted and submitted.get("publish_id"):
            status = self.client.publish_status(str(submitted["publish_id"]))
            code = status.get("publish_status")
            if code == 1:
                raise StepFailed(
                    "submit",
                    _(
                        "the publish job {publish_id} of an earlier version is still running",
                        publish_id=submitted["publish_id"],
                    ),
                    hint=_("run again later"),
                )
            if code == 0:
                items = (status.get("article_detail") or {}).get("item") or [{}]
                return {"article_id": status.get("article_id", ""), "article_url": items[0].get("article_url")}
            self._settle(job, started, f"publish_status {code}")
            return None
        found = self._lost_submit(job, started, "older")
        if found is None:
            self._settle(job, started, "no-article")
        return found
