"""Stage broadcast (delivery: broadcast): `message/mass/sendall` with clientmsgid = the marker; counts as
sent on WeChat's msg_id or its 45065 for a repeated clientmsgid."""

from __future__ import annotations

from typing import Any

from ..errors import WeChatError
from ..i18n import _
from ..ledger import Event
from .base import PublisherBase
from .model import Job, StepFailed, _settled_after

CLIENTMSGID_TTL = 24 * 3600  # WeChat answers 45065 for a repeated clientmsgid within this many seconds


class Broadcast(PublisherBase):
    def stage_broadcast(self, job: Job) -> None:
        def body() -> None:
            if job.record.result("broadcast", commit=job.commit) is not None:
                return
            media_id = str(job.record.result("draft", commit=job.commit)["media_id"])  # type: ignore[index]
            started = job.record.last("broadcast", "started", commit=job.commit)
            if started is not None and not _settled_after(job.record, started) and not self._draft_exists(media_id):
                # the draft is gone: sent (a mass send removes it) or deleted by someone: WeChat must say which
                self._broadcast_evidence(job, started)
                self._say(job, "broadcast", _("a previous run already sent it (WeChat confirms: 45065)"))
                return
            self._event(job, "broadcast", "started", media_id=media_id, clientmsgid=job.marker)
            answer = self.client.sendall(media_id, job.marker)
            self._crash("broadcast", "call")
            data = _broadcast_fields(answer)
            if answer.get("already_sent"):
                data["evidence"] = "45065"
            self._event(job, "broadcast", "done", media_id=media_id, **data)
            self._say(job, "broadcast", _("already sent (45065)") if answer.get("already_sent") else _("sent"))

        self._guard(job, "broadcast", body)

    def _broadcast_evidence(self, job: Job, started: Event) -> dict[str, Any]:
        """The draft of a broadcast whose answer was lost is gone. Only WeChat can say whether it was sent:
        the same clientmsgid sent again within 24 hours answers 45065 when it was, and a draft that no longer
        exists cannot be sent now. Returns the evidence of "sent"; raises StepFailed without evidence."""
        media_id = str(started.data.get("media_id", ""))
        clientmsgid = str(started.data.get("clientmsgid", ""))
        first = next(
            (
                e
                for e in job.record.events
                if e.step == "broadcast" and e.status == "started" and e.commit == started.commit
            ),
            started,
        )
        no_evidence = StepFailed(
            "broadcast",
            _(
                "no evidence that the broadcast of commit {commit} (clientmsgid {clientmsgid}) was sent or not: "
                "WeChat's answer was lost, its draft {media_id} is no longer in the draft box, and WeChat does "
                "not confirm the send",
                commit=started.commit[:12],
                clientmsgid=clientmsgid,
                media_id=media_id,
            ),
            hint=_(
                "look in the WeChat console (群发记录) for this message, then record what you found: "
                'wxpub publish --resolve {post}=sent --reason "…" or --resolve {post}=not-sent --reason "…"; '
                "nothing is sent for this post until then",
                post=job.id,
            ),
        )
        if self._deleted_by_us(job, media_id):
            raise no_evidence  # its absence says nothing: the publisher deleted it
        if not clientmsgid or (self.clock() - first.at).total_seconds() >= CLIENTMSGID_TTL:
            raise no_evidence  # WeChat remembers a clientmsgid for 24 hours only
        assert self.ledger is not None
        probe = Event(
            at=self.clock(),
            step="broadcast",
            status="started",
            actor=self.who,
            commit=started.commit,
            data={"media_id": media_id, "clientmsgid": clientmsgid, "probe": True},
        )
        job.record = self.ledger.append(job.record, probe)
        try:
            answer = self.client.sendall(media_id, clientmsgid)  # the draft is gone: nothing can be sent now
        except WeChatError as exc:
            if exc.errcode != 40007:
                raise
            raise no_evidence from None
        evidence = _broadcast_fields(answer) | {"evidence": "45065" if answer.get("already_sent") else "msg_id"}
        event = Event(
            at=self.clock(),
            step="broadcast",
            status="done",
            actor=self.who,
            commit=started.commit,
            data={"media_id": media_id, "reconciled": True} | evidence,
        )
        job.record = self.ledger.append(job.record, event)
        return evidence


def _broadcast_fields(answer: dict[str, Any]) -> dict[str, Any]:
    """What a record keeps of WeChat's answer to a mass send: msg_id, msg_data_id, the clientmsgid, whether
    it was a 45065 ("already sent"), and the article link when the answer carries one."""
    out: dict[str, Any] = {}
    for key in ("clientmsgid", "msg_id", "msg_data_id", "already_sent", "evidence", "confirmed_by"):
        if answer.get(key) not in (None, "", False):
            out[key] = str(answer[key]) if key.startswith("msg_") else answer[key]
    url = answer.get("article_url") or answer.get("url") or answer.get("msg_url")
    if isinstance(url, str) and url:
        out["article_url"] = url
    return out
