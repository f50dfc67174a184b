"""The publisher: each due post to WeChat exactly once, every step recorded before and after its remote call.

Stages, in order, each a function of the post's record so far (a stage whose result is recorded for the
post's current commit is skipped, so a rerun resumes where the last run stopped):

    due      the post is merged on main, `publish_at <= now`, and has no successful record
    verify   its checks pass and the exact content was approved (`pipeline.approval.verify_commit`, or the
             policy trusts branch protection); stores approvers and the approval form
    render   Markdown -> WeChat HTML; lists the body images
    earlier  an earlier version of the post whose submit/broadcast outcome was never recorded may be live:
             then that is the publication, and the new version is not sent (WeChat cannot edit articles)
    images   body images uploaded once, ever (cache `body:<sha256>` -> URL on the records branch)
    cover    the cover uploaded once as permanent material (`cover:<sha256>` -> media_id)
    draft    `draft/add`
    submit   `freepublish/submit` (delivery: publish)  |  broadcast  `message/mass/sendall` (delivery: broadcast)
    poll     `freepublish/get` until final
    record   the article URL and the time: the post is published

Exactly once. The dangerous moment is a crash after WeChat accepted a call and before its answer was
recorded. Every remote step records `started` before the call, so a rerun knows when an answer may have
been lost, and reconciles before creating anything again. "Sent" is recorded only on WeChat's evidence,
never inferred from something the publisher did itself:

- one publisher at a time: the run holds a lease (`pipeline.lease`) before any WeChat call, renewed before
  every stage;
- what the publisher creates is recognised by its version's fingerprint (title, cover and the text of the
  content, which WeChat documents it keeps; recorded with `draft started`), the marker comment
  `<!--wxpub-<sha256(post id)[:12]>-<tree[:12]>-->` at the end of the content serving only as a hint;
- reconciliation reads listings without content (`no_content=1`), in no assumed order, fetches only the
  items whose title is one of the post's versions', stops at the first match, and spends at most
  `publish.reconcile_max_calls` calls a run (policy);
- a submit whose answer was lost: the draft is watched (`draft/get`: a successful publication removes it),
  then the published list is searched once; the draft is submitted again only if it is still in the draft
  box `publish.resubmit_after_minutes` (policy, 30) after the first submit; until then the run reports the
  post as not known yet. A recorded publish_id is polled, never resubmitted;
- a broadcast carries `clientmsgid` = the marker. It counts as sent on WeChat's `msg_id`, or a 45065 when
  the same clientmsgid is sent again within 24 hours (for a draft already gone nothing can be sent, so the
  repeat is a safe question). Without evidence the run stops and says how an operator records what the
  console shows (`wxpub publish --resolve POST=sent|not-sent`);
- an earlier commit's unsettled attempt is settled first: found live (then it is the publication: WeChat
  cannot edit articles), or "sent nothing" on evidence (its draft still in the box), recorded as
  `skipped` before its draft is deleted; every deletion is recorded (`discard`) before it is made;
- calls that create something (`draft/add`, `freepublish/submit`) run without the client's blind retries:
  after a lost answer (`RetriesExhausted.maybe_applied`) the publisher looks before repeating;
- images are content-addressed; a crash between an upload and its cache entry costs one extra upload of
  the same picture (invisible to readers), never an extra article. A cached cover WeChat no longer knows
  (40007) is dropped from the cache and uploaded once more.

Testing seam (documented, off unless set): `WXPUB_CRASH_AFTER=<step>[:<phase>]` makes the process exit
at once (`os._exit(70)`, no cleanup) at that point: `started` (recorded, before the remote call), `call`
(the call answered, nothing recorded yet: the lost-answer case; the default) or `done` (recorded).
`retract` (pipeline/retraction.py) honours `WXPUB_CRASH_AFTER=retract` after its delete call. The
fault-injection tests kill the publisher this way after each step and rerun it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..check import CheckContext, check_post
from ..errors import ApiError, ConfigError, GitError, TransportError, UsageError, WeChatError, WxpubError
from ..findings import Finding, Severity
from ..i18n import _
from ..ledger import Event, Ledger, Record, actor
from ..policy import Policy
from ..post import Post, cover_path, load_post, resolve_inside
from ..repo import POSTS_DIR, post_folders

CRASH_ENV = "WXPUB_CRASH_AFTER"
# Errors about the account or the runner, not the post: the run stops after the first one.
ACCOUNT_ERRORS = frozenset({40013, 40125, 40164, 40243, 45009, 48001, 48004})
CRASH_EXIT = 70
CLIENTMSGID_TTL = 24 * 3600  # WeChat answers 45065 for a repeated clientmsgid within this many seconds
MARKER_PREFIX = "wxpub-"
# Lead time is judged when the post is submitted (the review gate), not when it falls due.
PUBLISH_TIME_IGNORED_FAMILIES = ("leadtime/",)


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


def marker_prefix(post_id: str) -> str:
    return MARKER_PREFIX + hashlib.sha256(post_id.encode("utf-8")).hexdigest()[:12] + "-"


def marker_for(post_id: str, tree: str) -> str:
    """The token that identifies this post's content on WeChat (also the broadcast's clientmsgid)."""
    return marker_prefix(post_id) + tree[:12]


def marker_comment(marker: str) -> str:
    return f"<!--{marker}-->"


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLANK = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")


def content_text(content: str) -> str:
    """The text of an article's HTML as WeChat keeps it, whatever it does to markup: comments, scripts,
    styles and tags removed, entities decoded, every blank removed."""
    text = _HIDDEN.sub("", _COMMENT.sub("", content))
    return _BLANK.sub("", html.unescape(_TAG.sub(" ", text)))


def fingerprint(article: Mapping[str, Any], *, with_cover: bool = True) -> str:
    """A version's identity from fields WeChat documents it keeps: the title, the cover's media_id and the
    text of the content (after WeChat's normalisation). The digest is left out: WeChat fills an empty one
    from the body. Two versions that differ only in markup or images share a fingerprint (then a draft is
    replaced, never adopted, and an article counts for both). `with_cover=False`: without the cover, for
    a listing that does not show it."""
    parts = [str(article.get("title", "")).strip(), str(article.get("thumb_media_id", "")) if with_cover else "",
             content_text(str(article.get("content", "")))]  # fmt: skip
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def version_keys(article: Mapping[str, Any]) -> set[str]:
    """The keys under which a version is recognised: with and without its cover."""
    return {"f:" + fingerprint(article), "t:" + fingerprint(article, with_cover=False)}


def item_key(article: Mapping[str, Any]) -> str:
    """The key of a listed item: with its cover when WeChat shows it, else without."""
    if article.get("thumb_media_id"):
        return "f:" + fingerprint(article)
    return "t:" + fingerprint(article, with_cover=False)


# -- git at the edge ----------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]} failed: {exc}") from None
    if out.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} failed: {out.stderr.strip()}")
    return out.stdout


def ensure_on_branch(root: Path, branch: str = "main") -> str:
    """HEAD's commit, when HEAD is `branch` (or a detached checkout of its tip). Raises GitError otherwise."""
    try:
        head = _git(root, "rev-parse", "--verify", "HEAD").strip()
    except GitError:
        raise GitError(
            _("{root} has no commit to publish from", root=str(root)), hint=_("publish runs in a checkout of main")
        ) from None
    try:
        current = _git(root, "symbolic-ref", "-q", "--short", "HEAD").strip()
    except GitError:
        current = ""
    if current == branch:
        return head
    for ref in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        try:
            if _git(root, "rev-parse", "--verify", "-q", ref).strip() == head:
                return head
        except GitError:
            continue
    raise GitError(
        _("HEAD is {head}, not {branch}: only merged posts are published", head=current or head[:12], branch=branch),
        hint=_("run wxpub publish in a checkout of {branch}", branch=branch),
    )


def committed_trees(root: Path) -> dict[str, str]:
    """Post folder path (posts/yyyy/mm-dd-slug) -> tree id at HEAD."""
    out = _git(root, "ls-tree", "-r", "-d", "HEAD", "--", POSTS_DIR + "/")
    trees: dict[str, str] = {}
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "tree" and path.count("/") == 2:
            trees[path] = parts[2]
    return trees


def dirty_paths(root: Path) -> set[str]:
    out = _git(root, "status", "--porcelain", "--untracked-files=all", "--", POSTS_DIR + "/")
    return {line[3:].strip().strip('"') for line in out.splitlines() if line.strip()}


def last_commit(root: Path, folder: str) -> str:
    return _git(root, "log", "-1", "--format=%H", "HEAD", "--", folder + "/").strip()


# -- the publisher ------------------------------------------------------------------------------------


def _aware_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Publisher:
    """Publishes due posts. Everything from outside (WeChat, the forge, the clock, git) is passed in.

    `client` is created on first use by `client_factory` (so a dry run or a run with nothing due needs
    no credentials). `verifier(post, commit)` returns a Verdict; None means the policy trusts branch
    protection. `clock` gives event times; `progress` receives one line per step.
    """

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

    # -- plumbing ------------------------------------------------------------------------------------

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
        self.progress(f"{job.id}: {step} {what}")

    # -- which posts -----------------------------------------------------------------------------------

    def due(self) -> tuple[list[Job], RunSummary]:
        """The due posts as jobs, plus a summary holding the posts that cannot be published."""
        ensure_on_branch(self.root, self.branch)
        summary = RunSummary()
        trees = committed_trees(self.root)
        dirty = dirty_paths(self.root)
        records = self.ledger.records() if self.ledger is not None else {}
        jobs: list[Job] = []
        for folder in post_folders(self.root):
            rel = folder.relative_to(self.root).as_posix()
            tree = trees.get(rel)
            if tree is None:
                continue  # not merged: nothing to do with it
            post, findings = load_post(folder, self.root, self.policy)
            record = records.get(post.id) or Record(post.id)
            if record.published:
                summary.done_before.append(post.id)
                continue
            if post.meta is None:
                errors = [f for f in findings if f.severity is Severity.ERROR]
                summary.outcomes.append(
                    Outcome(
                        post.id, "blocked", message=_findings_text(errors), step="due", hint=_("fix the front matter")
                    )
                )
                continue
            if post.meta.publish_at > self.now:
                summary.scheduled.append(post.id)
                continue
            if any(p == rel or p.startswith(rel + "/") for p in dirty):
                summary.outcomes.append(
                    Outcome(
                        post.id,
                        "dirty",
                        post.meta.title,
                        _("the post folder has uncommitted changes"),
                        hint=_("publish only what was merged: run in a clean checkout of main"),
                        step="due",
                    )
                )
                continue
            jobs.append(Job(post=post, commit=last_commit(self.root, rel), tree=tree, record=record))
        jobs.sort(key=lambda j: (j.post.meta.publish_at if j.post.meta else self.now, j.id))
        return jobs, summary

    # -- the run ---------------------------------------------------------------------------------------

    def run(self) -> RunSummary:
        jobs, summary = self.due()
        stop: Outcome | None = None
        for n, job in enumerate(jobs, 1):
            title = job.post.meta.title if job.post.meta else ""
            if stop is not None:  # an account-level error: the next posts would fail the same way
                summary.outcomes.append(
                    Outcome(
                        job.id,
                        "failed",
                        title,
                        _("not attempted: {reason}", reason=stop.message),
                        stop.hint,
                        step="due",
                    )
                )
                continue
            self.progress(f"[{n}/{len(jobs)}] {job.id} {title}")
            outcome = self.publish(job)
            summary.outcomes.append(outcome)
            if outcome.errcode in ACCOUNT_ERRORS:
                stop = outcome
        return summary

    def publish(self, job: Job) -> Outcome:
        """Every stage for one job; failures are recorded and become the outcome (never raised)."""
        title = job.post.meta.title if job.post.meta else ""
        try:
            for stage in self.stages(job):
                if self.lease is not None:
                    self.lease.renew()  # LeaseLost stops the run before any further remote call
                stage(job)
                if job.record.published and not self.dry_run:
                    break  # an earlier version turned out to be published: never a second article
        except StepFailed as exc:
            return Outcome(
                job.id,
                "blocked" if exc.blocked else "failed",
                title,
                exc.message,
                exc.hint or "",
                step=exc.step,
                errcode=exc.errcode,
            )
        if self.dry_run:
            return Outcome(job.id, "would-publish", title, self._dry_run_text(job))
        url = job.record.article_url
        return Outcome(job.id, "broadcast" if job.delivery == "broadcast" else "published", title, article_url=url)

    def stages(self, job: Job) -> Iterator[Callable[[Job], None]]:
        yield self.stage_due
        yield self.stage_verify
        yield self.stage_render
        if self.dry_run:
            return
        yield self.stage_earlier
        yield self.stage_images
        yield self.stage_cover
        yield self.stage_draft
        if job.delivery == "broadcast":
            yield self.stage_broadcast
        else:
            yield self.stage_submit
            yield self.stage_poll
        yield self.stage_record

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

    # -- stages ----------------------------------------------------------------------------------------

    def stage_due(self, job: Job) -> None:
        meta = job.post.meta
        assert meta is not None
        header = {
            "title": meta.title,
            "unit": meta.unit,
            "category": meta.category,
            "delivery": meta.delivery,
            "publish_at": meta.publish_at.isoformat(),
            "path": job.post.path,
            "tree": job.tree,
        }
        current = job.record.last("due", "done", commit=job.commit)
        if self.dry_run or (current is not None and current.data == header):
            return
        self._event(job, "due", "done", **header)

    def stage_verify(self, job: Job) -> None:
        def body() -> None:
            ctx = CheckContext(root=self.root, policy=self.policy, now=self.now, options={"stage": "publish"})
            errors = [
                f
                for f in check_post(job.post, ctx)
                if f.severity is Severity.ERROR and not f.rule.startswith(PUBLISH_TIME_IGNORED_FAMILIES)
            ]
            if errors:
                raise StepFailed("verify", _("checks fail: {findings}", findings=_findings_text(errors)), blocked=True)
            if job.record.result("verify", commit=job.commit) is not None:
                return
            verdict: Any = None
            if self.verifier is None:
                data: dict[str, Any] = {"method": "branch-protection", "approvers": []}
                self._say(job, "verify", _("skipped: the policy trusts branch protection"))
            else:
                verdict = self.verifier(job.post, job.commit)
                if isinstance(verdict, ApprovalNotVerified):
                    if not self.dry_run:  # never send what was not verified
                        raise ConfigError(_("approval cannot be verified: {reason}", reason=verdict.reason))
                    job.notes.append(
                        _("approval not verified ({reason}; the real run re-verifies)", reason=verdict.reason)
                    )
                    self._say(job, "verify", job.notes[-1])
                    return
                if not getattr(verdict, "ok", False):
                    reasons = "; ".join(str(r) for r in getattr(verdict, "reasons", []) or []) or "not approved"
                    raise StepFailed(
                        "verify",
                        _("commit {commit} was not approved: {reasons}", commit=job.commit[:12], reasons=reasons),
                        hint=_("the merged content must be approved by every tier; open a PR with the approvals"),
                        blocked=True,
                    )
                data = {"method": "forge", "approvers": approvers_of(verdict)}
                if getattr(verdict, "policy_commit", ""):  # the policy the approval was judged by (its base)
                    data["policy_commit"] = verdict.policy_commit
                pr = _pr_number(verdict)
                if pr is not None:
                    data["pr"] = pr
                self._say(job, "verify", _("approved ({n} approvals)", n=len(data["approvers"])))
            if self.dry_run:
                return
            form = self.form_maker(job.post, job.commit, verdict) if self.form_maker else None
            self._event(job, "verify", "done", _form=form, **data)

        self._guard(job, "verify", body, blocked=True)

    def _render(self, job: Job, images: dict[str, str] | None) -> Any:
        from ..render import render_post

        rendered = render_post(job.post, self.root, self.policy, images=images)
        errors = [f for f in rendered.findings if f.severity is Severity.ERROR]
        if errors:
            raise StepFailed(
                "render", _("the post does not render: {findings}", findings=_findings_text(errors)), blocked=True
            )
        return rendered

    def stage_render(self, job: Job) -> None:
        def body() -> None:
            rendered = self._render(job, None)
            job.images = list(rendered.images)
            job.html = rendered.html
            if not self.dry_run and job.record.result("render", commit=job.commit) is None:
                self._event(job, "render", "done", images=job.images, characters=len(rendered.html))

        self._guard(job, "render", body)

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

    def stage_images(self, job: Job) -> None:
        def body() -> None:
            assert self.ledger is not None
            cache = self.ledger.images()
            todo: list[tuple[str, str, bytes]] = []
            for rel in job.images:
                path, problem = resolve_inside(job.post.folder, rel, self.root)
                if path is None:
                    raise StepFailed(
                        "images", _("{path}: image {problem}", path=job.post.path, problem=problem), blocked=True
                    )
                data = path.read_bytes()
                key = "body:" + hashlib.sha256(data).hexdigest()
                if key in cache:
                    job.image_urls[rel] = str(cache[key]["url"])
                else:
                    todo.append((rel, key, data))
            if todo:
                self._event(job, "images", "started", uploads=[rel for rel, _, _ in todo])
                for rel, key, data in todo:
                    url = self.client.upload_body_image(data, Path(rel).name)
                    self._crash("images", "call")
                    self.ledger.add_images({key: {"url": url, "post": job.id}}, f"{job.id}: image {rel}")
                    job.image_urls[rel] = url
                    self._say(job, "images", _("uploaded {file}", file=rel))
            if job.images and job.record.result("images", commit=job.commit) != {"urls": job.image_urls}:
                self._event(job, "images", "done", urls=job.image_urls)
            job.html = self._render(job, job.image_urls).html

        self._guard(job, "images", body)

    def _cover_file(self, job: Job) -> tuple[Path, bytes, str]:
        path = cover_path(job.post, self.root)
        if path is None:
            raise StepFailed("cover", _("{path}: the cover cannot be read", path=job.post.path), blocked=True)
        data = path.read_bytes()
        return path, data, "cover:" + hashlib.sha256(data).hexdigest()

    def stage_cover(self, job: Job) -> None:
        def body() -> None:
            assert self.ledger is not None
            _path, _data, key = self._cover_file(job)
            cached = self.ledger.images().get(key)
            if cached and cached.get("media_id"):
                job.cover_media_id = str(cached["media_id"])
                done = job.record.result("cover", commit=job.commit)
                if done is None or done.get("media_id") != job.cover_media_id:
                    self._event(job, "cover", "done", media_id=job.cover_media_id, cached=True)
                return
            self._upload_cover(job)

        self._guard(job, "cover", body)

    def _upload_cover(self, job: Job, *, stale: str = "") -> None:
        """Upload the cover as permanent material and cache it. `stale`: a cached media_id WeChat no longer
        knows (40007): its cache entry is dropped in the same record write."""
        path, data, key = self._cover_file(job)
        if stale:
            self._event(
                job,
                "cover",
                "failed",
                error=_("WeChat no longer knows the cached cover {media_id} (40007)", media_id=stale),
                errcode=40007,
                media_id=stale,
                dropped_from_cache=True,
                _images={key: {"media_id": "", "dropped_media_id": stale, "post": job.id}},
            )
            self._say(job, "cover", _("the cached cover is unknown to WeChat (40007): uploading it again"))
        self._event(job, "cover", "started", file=path.name)
        media_id, url = self.client.add_cover(data, path.name)
        self._crash("cover", "call")
        job.cover_media_id = media_id
        self._event(
            job,
            "cover",
            "done",
            media_id=media_id,
            url=url,
            **({"replaces": stale} if stale else {}),
            _images={key: {"media_id": media_id, "url": url, "post": job.id}},
        )
        self._say(job, "cover", _("uploaded"))

    def article(self, job: Job) -> dict[str, Any]:
        meta = job.post.meta
        assert meta is not None
        return {
            "title": meta.title,
            "author": meta.author,
            "digest": meta.digest,
            "content": job.html + marker_comment(job.marker),
            "content_source_url": str(meta.source_url) if meta.source_url else "",
            "thumb_media_id": job.cover_media_id,
            "need_open_comment": 0 if meta.comments == "closed" else 1,
            "only_fans_can_comment": 1 if meta.comments == "fans" else 0,
        }

    def _versions(self, job: Job) -> tuple[set[str], set[str], set[str]]:
        """(fingerprints of this commit's content, of earlier commits' content, titles of every version).

        Fingerprints are recorded with every `draft started` event; this commit's is also computed from
        the article about to be sent, once its cover is known."""
        this: set[str] = set()
        older: set[str] = set()
        titles = {job.post.meta.title.strip()} if job.post.meta else set()
        for e in job.record.events:
            if e.step == "due" and e.data.get("title"):
                titles.add(str(e.data["title"]).strip())
            if e.step == "draft" and e.status == "started" and e.data.get("fingerprint"):
                keys = {"f:" + str(e.data["fingerprint"])}
                if e.data.get("text_fingerprint"):
                    keys.add("t:" + str(e.data["text_fingerprint"]))
                (this if e.commit == job.commit else older).update(keys)
        if job.cover_media_id and job.html:
            this.update(version_keys(self.article(job)))
        return this, older, titles

    def _mine(self, job: Job, item: dict[str, Any], versions: tuple[set[str], set[str], set[str]]) -> str:
        """'this' when a draft/published item (with content) is this post's current version, 'older' for
        an earlier commit of the same post, 'either' when the two cannot be told apart, '' otherwise.

        The marker comment decides when WeChat kept it (a hint: nothing promises that comments survive);
        otherwise the version's fingerprint does (title, cover and the text of the content, which WeChat
        documents it keeps)."""
        this, older, _titles = versions
        news = (item.get("content") or {}).get("news_item") or []
        for article in news:
            text = f"{article.get('content', '')} {article.get('content_source_url', '')}"
            if job.marker in text:
                return "this"
            if marker_prefix(job.id) in text:
                return "older"
            fp = item_key(article)
            if fp in this and fp in older:
                return "either"
            if fp in this:
                return "this"
            if fp in older:
                return "older"
        return ""

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

    def _scan(self, job: Job, kind: str, *, stop_first: bool) -> Iterator[tuple[str, dict[str, Any]]]:
        """(classification, item with content) for the items of one listing pass that belong to this
        post: drafts (`kind` "drafts") or published articles ("published"). The listing is read without
        content (`no_content=1`) in any order; only items whose title is one of the post's versions'
        are fetched in full (`draft/get`, `freepublish/getarticle`). Stops at the first match when asked."""
        versions = self._versions(job)
        titles = versions[2]
        fetch = self.client.batchget_drafts if kind == "drafts" else self.client.batchget_published
        offset = 0
        while True:
            self._spend()
            page = fetch(offset=offset, count=20, no_content=True)
            items = page.get("item") or []
            for item in items:
                news = (item.get("content") or {}).get("news_item") or []
                shown = [n for n in news if "title" in n]
                if news and len(shown) == len(news) and not any(str(n["title"]).strip() in titles for n in shown):
                    continue  # another post's (a listing that hides titles is looked at in full)
                if not all("content" in n for n in news):
                    self._spend()
                    try:
                        if kind == "drafts":
                            full = self.client.get_draft(str(item.get("media_id", "")))
                        else:
                            full = self.client.get_published_article(str(item.get("article_id", "")))
                    except WeChatError as exc:
                        if exc.errcode in (40007, 53600):  # gone since it was listed
                            continue
                        raise
                    item = {**item, "content": {"news_item": full.get("news_item") or []}}
                mine = self._mine(job, item, versions)
                if mine:
                    yield mine, item
                    if stop_first:
                        return
            offset += len(items)
            if not items or offset >= int(page.get("total_count", 0)):
                return

    def find_drafts(self, job: Job) -> tuple[list[str], list[str]]:
        """(media_ids of drafts of this content, media_ids of drafts of earlier commits of this post).
        A draft that cannot be told apart from an earlier version's counts as earlier (it is replaced)."""
        this: list[str] = []
        older: list[str] = []
        for mine, item in self._scan(job, "drafts", stop_first=False):
            (this if mine == "this" else older).append(str(item.get("media_id")))
        return this, older

    def find_published(self, job: Job, kind: str = "this") -> dict[str, Any] | None:
        """{article_id, article_url} of this content's published article (`kind` "older": of an earlier
        version of the post), if WeChat lists one. One listing pass at most, stopping at the first match;
        an article that cannot be told apart from either version counts for both (never a second one)."""
        for mine, item in self._scan(job, "published", stop_first=False):
            if mine in (kind, "either"):
                news = (item.get("content") or {}).get("news_item") or [{}]
                return {"article_id": str(item.get("article_id", "")), "article_url": str(news[0].get("url", ""))}
        return None

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

    def stage_record(self, job: Job) -> None:
        def body() -> None:
            if job.record.published:
                return
            final = job.record.result("poll", commit=job.commit) or job.record.result("broadcast", commit=job.commit)
            draft = job.record.result("draft", commit=job.commit) or {}
            submit = job.record.result("submit", commit=job.commit) or {}
            data = {
                "delivery": job.delivery,
                "media_id": draft.get("media_id", ""),
                "publish_id": submit.get("publish_id", ""),
                "article_id": (final or {}).get("article_id", ""),
                "article_url": (final or {}).get("article_url", ""),
                "msg_id": (final or {}).get("msg_id", ""),
                "msg_data_id": (final or {}).get("msg_data_id", ""),
                "confirmed_by": (final or {}).get("confirmed_by", ""),
                "evidence": (final or {}).get("evidence", ""),
                "published_at": self.clock().isoformat(),
                "marker": job.marker,
                "tree": job.tree,
            }
            kept = {k: str(v) if k.startswith("msg_") else v for k, v in data.items() if v not in ("", None)}
            self._event(job, "record", "done", **kept)
            self._say(job, "record", job.record.article_url or _("done"))

        self._guard(job, "record", body)

    # -- dry run -------------------------------------------------------------------------------------

    def _dry_run_text(self, job: Job) -> str:
        meta = job.post.meta
        assert meta is not None
        what = _("broadcast to every follower (群发)") if meta.delivery == "broadcast" else _("publish (发表)")
        text = _(
            "would {what}: {title}, {chars} characters of HTML, {images} body image(s), cover {cover}, commit {commit}",
            what=what,
            title=repr(meta.title),
            chars=len(job.html),
            images=len(job.images),
            cover=str(meta.cover),
            commit=job.commit[:12],
        )
        return text + "".join(f"; {note}" for note in job.notes)


# (retraction lives in pipeline/retraction.py)


# -- an operator's verdict -------------------------------------------------------------------------------

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


# -- helpers --------------------------------------------------------------------------------------------


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


def _findings_text(findings: list[Finding]) -> str:
    parts = [f"{f.path}:{f.line}: {f.message} [{f.rule}]" for f in findings[:5]]
    if len(findings) > 5:
        parts.append(_("… and {n} more (run wxpub check)", n=len(findings) - 5))
    return "; ".join(parts) or "invalid"


def _pr_number(verdict: Any) -> int | None:
    for attr in ("pr", "pull", "pull_request"):
        value = getattr(verdict, attr, None)
        if isinstance(value, int):
            return value
        number = getattr(value, "number", None)
        if isinstance(number, int):
            return number
    return None


def approvers_of(verdict: Any) -> list[dict[str, Any]]:
    """[{tier, login, at}] from a `pipeline.approval.Verdict`'s tier results, in tier order."""
    out: list[dict[str, Any]] = []
    for tier in getattr(verdict, "tiers", []) or []:
        name = str(getattr(tier, "name", "") or getattr(tier, "key", ""))
        for person in getattr(tier, "approved_by", []) or []:
            entry: dict[str, Any] = {"tier": name, "login": str(getattr(person, "login", person))}
            at = getattr(person, "at", None)
            if isinstance(at, dt.datetime):
                entry["at"] = at.isoformat()
            out.append(entry)
    return out
