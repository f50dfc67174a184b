"""An operator's verdict on a send whose outcome WeChat cannot confirm (`wxpub publish --resolve`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from ..errors import UsageError
from ..i18n import _
from ..ledger import Event, Ledger, Record, actor
from .base import _aware_now
from .model import _settled_after

RESOLUTIONS = ("sent", "not-sent")


def resolve(
    ledger: Ledger,
    post_id: str,
    outcome: str,
    reason: str,
    *,
    clock: Callable[[], dt.datetime] = _aware_now,
    who: str | None = None,
) -> Record:
    """Record what an operator found in the WeChat console about a send whose outcome WeChat cannot
    confirm (the run stopped with "no evidence"): `sent` records it as sent (the next run records the
    publication), `not-sent` as sending nothing (the next run sends the post; a clientmsgid still known
    to WeChat answers 45065 instead of a second message). Who, when and why are kept in the record."""
    if outcome not in RESOLUTIONS:
        raise UsageError(
            _("--resolve {post}={outcome}: expected sent or not-sent", post=post_id, outcome=outcome),
            hint=_('e.g. --resolve {post}=sent --reason "seen in 群发记录"', post=post_id),
        )
    if not reason.strip():
        raise UsageError(_("an operator's verdict needs a reason"), hint=_('pass --reason "…"'))
    record = ledger.get(post_id)
    if record.published:
        raise UsageError(_("{post} is already recorded as published", post=post_id), hint=_("nothing to resolve"))
    pending = [
        e
        for e in record.events
        if e.step in ("submit", "broadcast")
        and e.status == "started"
        and not _settled_after(record, e)
        and record.last(e.step, "done", commit=e.commit) is None
    ]
    if not pending:
        raise UsageError(
            _("{post} has no send whose outcome is unknown", post=post_id),
            hint=_("see wxpub status {post}", post=post_id),
        )
    started = pending[-1]
    who = who or actor()
    base = {k: started.data[k] for k in ("media_id", "clientmsgid") if started.data.get(k)}
    verdict = {"reason": reason.strip(), "resolved_by": who}
    if outcome == "sent":
        event = Event(clock(), started.step, "done", who, started.commit, base | verdict | {"confirmed_by": "operator"})
        return ledger.append(record, event)
    data = base | verdict | {"outcome": "not-sent", "evidence": "operator"}
    record = ledger.append(record, Event(clock(), started.step, "skipped", who, started.commit, data))
    media_id = str(started.data.get("media_id", ""))
    if media_id:  # its draft is gone or must not be used again: the next run makes a new one
        discard = {"media_id": media_id, "reason": "operator"} | verdict
        record = ledger.append(record, Event(clock(), "discard", "done", who, started.commit, discard))
    return record
