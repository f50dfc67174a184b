"""What the stages pass around: a job (one due post), its outcome, the run's summary, a stage's failure."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import WxpubError
from ..findings import Finding
from ..i18n import _
from ..ledger import Event, Record
from ..post import Post
from .identity import marker_for

CRASH_ENV = "WXPUB_CRASH_AFTER"
# Errors about the account or the runner, not the post: the run stops after the first one.
ACCOUNT_ERRORS = frozenset({40013, 40125, 40164, 40243, 45009, 48001, 48004})
CRASH_EXIT = 70


class StepFailed(WxpubError):
    """A stage could not complete; `step` names it. The record already holds the failure."""

    exit_code = 1

    def __init__(
        self, step: str, message: str, *, hint: str | None = None, blocked: bool = False, errcode: int | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.step = step
        self.blocked = blocked
        self.errcode = errcode


@dataclass(frozen=True)
class ApprovalNotVerified:
    """What a verifier answers in a dry run that has no forge credentials: nothing was verified. A real run
    never accepts it (it stops with a ConfigError); a dry run reports it beside the post and goes on."""

    reason: str  # e.g. "no forge token: GITHUB_TOKEN is not set"


@dataclass
class Job:
    """One due post on its way to WeChat."""

    post: Post
    commit: str  # the commit that last changed the post folder
    tree: str  # git tree id of the post folder at HEAD: the content's identity
    record: Record
    html: str = ""
    images: list[str] = field(default_factory=list)
    image_urls: dict[str, str] = field(default_factory=dict)
    cover_media_id: str = ""
    notes: list[str] = field(default_factory=list)  # said beside a dry run's outcome

    @property
    def id(self) -> str:
        return self.post.id

    @property
    def marker(self) -> str:
        return marker_for(self.post.id, self.tree)

    @property
    def delivery(self) -> str:
        assert self.post.meta is not None
        return self.post.meta.delivery


@dataclass
class Outcome:
    """What happened to one post in this run."""

    post_id: str
    result: str  # published | broadcast | failed | blocked | would-publish | dirty
    title: str = ""
    message: str = ""
    hint: str = ""
    article_url: str = ""
    step: str = ""
    errcode: int | None = None

    @property
    def ok(self) -> bool:
        return self.result in ("published", "broadcast", "would-publish")


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    scheduled: list[str] = field(default_factory=list)  # not yet due
    done_before: list[str] = field(default_factory=list)  # already published (or retracted)

    @property
    def exit_code(self) -> int:
        return 0 if all(o.ok for o in self.outcomes) else 1


def _settled_after(record: Record, started: Event) -> bool:
    """True when the attempt of `started` has a recorded outcome: refused by WeChat, or settled as sending
    nothing (`skipped`)."""
    after = record.events[record.events.index(started) + 1 :]
    return _refused_after(record, started) or any(
        e.step == started.step and e.commit == started.commit and e.status == "skipped" for e in after
    )


def _refused_after(record: Record, started: Event) -> bool:
    """True when WeChat answered the call of `started` with an error: it had no effect, nothing was lost."""
    after = record.events[record.events.index(started) + 1 :]
    return any(e.step == started.step and e.status == "failed" and "errcode" in e.data for e in after)


def _findings_text(findings: list[Finding]) -> str:
    parts = [f"{f.path}:{f.line}: {f.message} [{f.rule}]" for f in findings[:5]]
    if len(findings) > 5:
        parts.append(_("… and {n} more (run wxpub check)", n=len(findings) - 5))
    return "; ".join(parts) or "invalid"
