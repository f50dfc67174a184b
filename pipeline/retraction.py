"""Retraction: delete a published post's article (or broadcast) on WeChat and record who, when and why.

A retraction is recorded as done only when WeChat confirms it; see `retract`. It takes no publishing
lease: it touches only a published post, which no publisher sends again, and the records of both merge
event by event.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from .errors import ApiError, TransportError, UsageError, WeChatError, WxpubError
from .i18n import _
from .ledger import Event, Ledger, Record, actor

CRASH_ENV = "WXPUB_CRASH_AFTER"
CRASH_EXIT = 70


def _aware_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RetractionFailed(WxpubError):
    """A retraction that did not happen, or cannot be confirmed: the record says so, the CLI exits 1."""

    exit_code = 1


def retract(
    ledger: Ledger,
    post_id: str,
    reason: str,
    client: Any,
    *,
    clock: Callable[[], dt.datetime] = _aware_now,
    who: str | None = None,
) -> Record:
    """Delete the post's article on WeChat and record who, when and why.

    A published article is deleted with `freepublish/delete`, a broadcast with `message/mass/delete` (its
    msg_id). A completed retraction is recorded only when WeChat confirms it: an answer 53600 ("invalid
    article_id") counts as "already deleted" only if `freepublish/getarticle` shows the article deleted on
    this account, or if it is unknown to the account, not listed by `freepublish/batchget` and a previous
    retraction call of ours may have deleted it (its answer was never recorded). Otherwise, as for a
    broadcast whose msg_id was never known, the attempt is recorded as failed and `RetractionFailed`
    (exit 1) says what to check. `client` is a WeChat client, or a function making one (called only once
    the record allows it).
    """
    if not reason.strip():
        raise UsageError(_("a retraction needs a reason"), hint=_('pass --reason "…"'))
    record = ledger.get(post_id)
    if record.status == "retracted":
        raise UsageError(_("{post} was already retracted", post=post_id), hint=_("nothing to do"))
    if not record.published:
        raise UsageError(
            _("{post} has no published article to retract", post=post_id),
            hint=_("see wxpub status {post}", post=post_id),
        )
    who = who or actor()
    article_id, msg_id = record.article_id, record.msg_id

    def event(status: str, **data: Any) -> Event:
        return Event(at=clock(), step="retract", status=status, actor=who or "", commit=record.commit, data=data)

    def fail(message: str, hint: str, **data: Any) -> RetractionFailed:
        ledger.append(record, event("failed", reason=reason, error=message, hint=hint, **data))
        return RetractionFailed(message, hint=hint)

    if not article_id and not msg_id:
        if record.delivery == "broadcast":
            raise fail(
                _(
                    "{post}: the broadcast's msg_id is unknown (WeChat's answer to the send was lost), so the API "
                    "cannot delete it; nothing was deleted and the post is not recorded as retracted",
                    post=post_id,
                ),
                _(
                    "delete the send in the WeChat console (内容与互动 > 发表记录 / 群发记录); a message already "
                    "delivered stays on followers' phones: publish a correction as a new post"
                ),
                unconfirmed=True,
            )
        raise WxpubError(
            _("{post}: the record holds no article_id", post=post_id),
            hint=_("delete it in the WeChat console; the post is not recorded as retracted"),
        )

    target = {"article_id": article_id} if article_id else {"msg_id": msg_id}
    earlier = [e for e in record.events if e.step == "retract" and e.status == "started"]
    lost = [e for e in earlier if _same_target(e, target) and _answer_lost(record, e)]
    the_client = client() if callable(client) else client  # a missing credential stops before any record
    record = ledger.append(record, event("started", reason=reason, **target))
    try:
        if article_id:
            the_client.delete_published(article_id, 0)
        else:
            the_client.delete_mass(msg_id, 0)
        if os.environ.get(CRASH_ENV, "").strip() in ("retract", "retract:call"):  # the testing seam
            os._exit(CRASH_EXIT)
    except WeChatError as exc:
        if not (article_id and exc.errcode == 53600):
            what = (
                _("article {article_id}", article_id=article_id)
                if article_id
                else _("broadcast msg_id {msg_id}", msg_id=msg_id)
            )
            ledger.append(
                record,
                event("failed", reason=reason, error=exc.message, errcode=exc.errcode, maybe_applied=False, **target),
            )
            if exc.errcode == 40059:
                raise RetractionFailed(
                    _(
                        "{post}: WeChat does not know {what} on this account (40059), so nothing was deleted",
                        post=post_id,
                        what=what,
                    ),
                    hint=_(
                        "check that WECHAT_APPID/WECHAT_SECRET are the account that sent it, and whether it was "
                        "already deleted in the WeChat console (群发记录); the post is not recorded as retracted"
                    ),
                ) from None
            raise
        unconfirmed = {"errcode": 53600, "unconfirmed": True, "maybe_applied": False, **target}
        try:
            gone = _confirm_deleted(the_client, article_id, lost)
        except WxpubError as looked:
            ledger.append(record, event("failed", reason=reason, error=looked.message, **unconfirmed))
            raise
        if gone is None:
            raise fail(
                _(
                    "{post}: WeChat answered 53600 (invalid article_id) for article {article_id} and this account "
                    "does not show it as deleted: the retraction is NOT confirmed and the article may still be live",
                    post=post_id,
                    article_id=article_id,
                ),
                _(
                    "check that WECHAT_APPID/WECHAT_SECRET belong to the account that published it, and in the "
                    "WeChat console (发表记录) whether it was already deleted; then run wxpub retract again"
                ),
                **unconfirmed,
            ) from None
        return ledger.append(record, event("done", reason=reason, already_deleted=True, confirmed_by=gone, **target))
    except ApiError as exc:
        maybe = bool(getattr(exc, "maybe_applied", isinstance(exc, TransportError)))
        ledger.append(record, event("failed", reason=reason, error=exc.message, maybe_applied=maybe, **target))
        raise
    return ledger.append(record, event("done", reason=reason, **target))


def _answer_lost(record: Record, started: Event) -> bool:
    """True when the call of `started` may have taken effect without its answer being recorded: the next
    event of its step is another start (a crash), or a failure whose call may have been applied."""
    after = [e for e in record.events[record.events.index(started) + 1 :] if e.step == started.step]
    if not after:
        return True
    nxt = after[0]
    if nxt.status == "started":
        return True
    return nxt.status == "failed" and bool(nxt.data.get("maybe_applied", "errcode" not in nxt.data))


def _same_target(ev: Event, target: dict[str, str]) -> bool:
    return all(str(ev.data.get(k, "")) == v for k, v in target.items())


def _confirm_deleted(client: Any, article_id: str, lost: list[Event]) -> str | None:
    """How this account confirms that `article_id` is gone ("getarticle", "earlier-attempt"), or None.

    `lost`: our earlier retraction calls of this article whose answer was never recorded."""
    try:
        answer = client.get_published_article(article_id)
    except WeChatError as exc:
        if exc.errcode != 53600:
            raise
        answer = None
    if answer is not None:
        items = answer.get("news_item") or []
        if items and all(bool(it.get("is_deleted")) for it in items):
            return "getarticle"
        return None  # the account knows the article and it is not (all) deleted: do not guess
    if not lost:
        return None  # unknown to this account and never deleted by us: another account's, or a typo
    offset = 0
    while True:
        page = client.batchget_published(offset=offset, count=20, no_content=True)
        items = page.get("item") or []
        if any(str(it.get("article_id", "")) == article_id for it in items):
            return None
        offset += len(items)
        if not items or offset >= int(page.get("total_count", 0)):
            return "earlier-attempt"
