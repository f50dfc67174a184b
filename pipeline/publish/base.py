"""The publisher's plumbing shared by every stage: recording events, the crash seam, failures, progress,
calls that must not be repeated blindly, and the cheap look-ups reconciliation is built on."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ApiError, ConfigError, GitError, TransportError, WeChatError, WxpubError
from ..i18n import N_, _
from ..ledger import Event, Ledger, actor
from ..policy import Policy
from ..post import Post
from .model import CRASH_ENV, CRASH_EXIT, Job, StepFailed


def _aware_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PublisherBase:
    """What every stage builds on; `Publisher` (publisher.py) puts the stages together."""

    def __init__(
        self,
        root: Path,
        policy: Policy,
        ledger: Ledger | None,
        *,
        now: dt.datetime,
        client_factory: Callable[[], Any] | None = None,
        verifier: Callable[[Post, str], Any] | None = None,
        form_maker: Callable[[Post, str, Any], tuple[str, str] | None] | None = None,
        clock: Callable[[], dt.datetime] = _aware_now,
        who: str | None = None,
        progress: Callable[[str], None] | None = None,
        dry_run: bool = False,
        branch: str = "main",
        poll_timeout: float = 600.0,
        reconcile_wait: float = 30.0,
        resubmit_after: float = 1800.0,
        reconcile_max_calls: int = 1000,
        sleep: Callable[[float], None] = time.sleep,
        secrets: tuple[str, ...] = (),
        lease: Any = None,
    ) -> None:
        self.root = Path(root)
        self.policy = policy
        self.ledger = ledger
        self.now = now
        self._client_factory = client_factory
        self._client: Any = None
        self.verifier = verifier
        self.form_maker = form_maker
        self.clock = clock
        self.who = who or actor()
        self.progress = progress or (lambda line: None)
        self.dry_run = dry_run
        self.branch = branch
        self.poll_timeout = poll_timeout
        self.reconcile_wait = reconcile_wait
        self.resubmit_after = resubmit_after
        self.reconcile_max_calls = reconcile_max_calls  # listing and lookup calls per run, at most
        self.reconcile_calls = 0
        self.sleep = sleep
        self.secrets = tuple(s for s in (*secrets, os.environ.get("WECHAT_SECRET", "")) if s)
        self.lease = lease  # `pipeline.lease.Lease` held by this run: renewed before every stage
        crash = os.environ.get(CRASH_ENV, "").strip()
        step, _, phase = crash.partition(":")
        self.crash_at = (step, phase or "call") if step else None

    @property
    def client(self) -> Any:
        if self._client is None:
            if self._client_factory is None:
                raise WxpubError(_("no WeChat client configured"))
            self._client = self._client_factory()
        return self._client

    def _redact(self, text: str) -> str:
        from ..wechat.client import redact

        return redact(text, *self.secrets)

    def _crash(self, step: str, phase: str) -> None:
        if self.crash_at == (step, phase):
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(CRASH_EXIT)

    def _event(self, job: Job, step: str, status: str, **data: Any) -> None:
        """Persist one event of `job` (durable when this returns), then honour the crash seam."""
        assert self.ledger is not None
        extra: dict[str, Any] = {}
        if "_form" in data:
            form = data.pop("_form")
            if form:
                extra = {"form_markdown": form[0], "form_html": form[1]}
        if "_images" in data:
            extra["images"] = data.pop("_images")
        event = Event(at=self.clock(), step=step, status=status, actor=self.who, commit=job.commit, data=data)
        job.record = self.ledger.append(job.record, event, **extra)
        self._crash(step, status)

    def _fail(self, job: Job, step: str, exc: Exception, *, blocked: bool = False) -> StepFailed:
        message = self._redact(getattr(exc, "message", None) or str(exc))
        hint = self._redact(getattr(exc, "hint", None) or "")
        data: dict[str, Any] = {"error": message}
        if hint:
            data["hint"] = hint
        if isinstance(exc, WeChatError):
            data["errcode"] = exc.errcode
        last = job.record.events[-1] if job.record.events else None
        repeated = (
            last is not None
            and last.status == "failed"
            and last.step == step
            and last.commit == job.commit
            and last.data.get("error") == message
        )
        if not self.dry_run and not repeated:
            self._event(job, step, "failed", **data)
        errcode = getattr(exc, "errcode", None)
        return StepFailed(step, message, hint=hint or None, blocked=blocked, errcode=errcode)

    def _say(self, job: Job, step: str, what: str) -> None:
        self.progress(f"{job.id}: {step_label(step)} {what}")

    def _guard(self, job: Job, step: str, fn: Callable[[], None], *, blocked: bool = False) -> None:
        """Run one stage body; any wxpub error is recorded as the stage's failure."""
        try:
            fn()
        except (ConfigError, GitError):
            # the run cannot go on at all (missing credentials, records that cannot be kept or pushed):
            # stop before any further remote call; the CLI reports it
            raise
        except StepFailed as exc:
            self._say(job, step, _blocked_or_failed(exc.blocked, exc.message))
            raise self._fail(job, step, exc, blocked=exc.blocked) from None
        except WxpubError as exc:
            # a remote that cannot be reached is a failure to retry, not a verdict on the post
            blocked = blocked and not isinstance(exc, ApiError)
            self._say(job, step, _blocked_or_failed(blocked, self._redact(exc.message)))
            raise self._fail(job, step, exc, blocked=blocked) from None

    # -- calls and look-ups ------------------------------------------------------------------------

    def _spend(self, calls: int = 1) -> None:
        """Count reconciliation calls against the run's budget (`publish.reconcile_max_calls`)."""
        self.reconcile_calls += calls
        if self.reconcile_calls > self.reconcile_max_calls:
            raise StepFailed(
                "reconcile",
                _(
                    "reconciliation stopped after {n} listing calls, this run's budget (the daily API quota "
                    "is shared with every other tool of the account)",
                    n=self.reconcile_max_calls,
                ),
                hint=_(
                    "run again later; if the account lists more than that many pages of drafts or articles, "
                    "raise publish.reconcile_max_calls in policy/policy.yml"
                ),
            )

    def _call_once(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A call that must not be repeated blindly (draft/add, freepublish/submit): the client's own
        retries are switched off, because a retry after a lost answer would create a second draft or a
        second publish job; the caller reconciles instead."""
        client = self.client
        saved = getattr(client, "max_retries", None)
        if saved is not None:
            client.max_retries = 0
        try:
            return fn(*args)
        finally:
            if saved is not None:
                client.max_retries = saved

    def _retries(self) -> int:
        return int(getattr(self.client, "max_retries", 4) or 0)

    def _draft_exists(self, media_id: str) -> bool:
        try:
            self.client.get_draft(media_id)
            return True
        except WeChatError as exc:
            if exc.errcode == 40007:
                return False
            raise

    def _still_in_box(self, media_id: str, patience: float) -> bool:
        """Whether the draft is still in the draft box after up to `patience` seconds. A publication that
        succeeds removes its draft, so one cheap `draft/get` per look replaces listing every article."""
        deadline = time.monotonic() + patience
        delay = 1.0
        while True:
            self._spend()
            if not self._draft_exists(media_id):
                return False
            if time.monotonic() >= deadline:
                return True
            self.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 10.0)

    def _deleted_by_us(self, job: Job, media_id: str) -> bool:
        return any(e.step == "discard" and str(e.data.get("media_id", "")) == media_id for e in job.record.events)

    def _discard_draft(self, job: Job, media_id: str, why: str) -> None:
        """Delete a draft, recording the deletion before making it (a draft the publisher deleted is never
        taken as evidence that it was sent)."""
        self._event(job, "discard", "started", media_id=media_id, reason=why)
        try:
            self.client.delete_draft(media_id)
        except WeChatError as exc:
            if exc.errcode != 40007:  # already gone
                raise
        self._event(job, "discard", "done", media_id=media_id, reason=why)


def _not_accepted(exc: TransportError) -> bool:
    """The call cannot have taken effect (WeChat answered "system busy" -1, or the connection was refused),
    so it may simply be repeated. The client's `RetriesExhausted.maybe_applied` says so."""
    maybe_applied = getattr(exc, "maybe_applied", None)
    if maybe_applied is not None:
        return not maybe_applied
    return "errcode -1" in exc.message


def _backoff(attempt: int) -> float:
    import random

    base = min(0.5 * 2 ** (attempt - 1), 10.0)
    return base / 2 + random.uniform(0, base / 2)


def _blocked_or_failed(blocked: bool, message: str) -> str:
    return _("blocked: {message}", message=message) if blocked else _("failed: {message}", message=message)


# The stages as progress lines name them (a stage's id stays the record's `step`).
STEP_LABELS = {
    "due": N_("due"),
    "verify": N_("verify"),
    "render": N_("render"),
    "images": N_("images"),
    "cover": N_("cover"),
    "draft": N_("draft"),
    "submit": N_("submit"),
    "poll": N_("poll"),
    "broadcast": N_("broadcast"),
    "record": N_("record"),
}


def step_label(step: str) -> str:
    return _(STEP_LABELS[step]) if step in STEP_LABELS else step
