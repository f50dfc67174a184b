"""One publisher at a time: a lease on the records remote, taken before any WeChat call.

The lease is the branch `wxpub-lease` of the records remote (`origin`), or of the local repository when
there is no remote. Its tip is a commit whose message holds the lease as JSON:

    {"who": "publish-bot", "since": "...", "until": "...", "holder": "<random id of this run>",
     "state": "held" | "released" | "broken", "reason": "...", "took_over": {...the stale lease...}}

Every change is a new commit on top of the previous one, moved with a compare-and-swap: `git push
--force-with-lease=<ref>:<expected tip>` on the remote (the server checks the old value under its ref
lock), `git update-ref <ref> <new> <old>` locally. Two publishers that read the same tip cannot both
move it, so exactly one holds the lease. The branch's history is the lease's log: who took it, renewed,
released it, took over a stale one (after its expiry only) or broke it by hand, and why.

Times come from the caller's clock (the publisher's `--now` clock), so tests can pass time. A lease
lasts `term` seconds (15 minutes at most) unless renewed; a killed publisher's lease expires by itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import GitError, WxpubError
from .i18n import _

BRANCH = "wxpub-lease"
REF = f"refs/heads/{BRANCH}"
TERM = 15 * 60.0  # seconds; the bound: a dead publisher blocks the next run for 15 minutes at most
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class LeaseLost(WxpubError):
    """This run's lease was taken over or broken: it must stop before any further remote call."""

    exit_code = 1


@dataclass(frozen=True)
class LeaseInfo:
    who: str
    since: dt.datetime
    until: dt.datetime
    holder: str
    state: str = "held"  # held | released | broken
    reason: str = ""

    def to_json(self, **extra: Any) -> str:
        obj = {
            "who": self.who,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "holder": self.holder,
            "state": self.state,
        }
        if self.reason:
            obj["reason"] = self.reason
        return json.dumps(obj | extra, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_message(cls, message: str) -> LeaseInfo | None:
        start = message.find("{")
        if start < 0:
            return None
        try:
            obj = json.loads(message[start:])
            return cls(
                who=str(obj.get("who", "")),
                since=dt.datetime.fromisoformat(str(obj["since"])),
                until=dt.datetime.fromisoformat(str(obj["until"])),
                holder=str(obj.get("holder", "")),
                state=str(obj.get("state", "held")),
                reason=str(obj.get("reason", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def live(self, now: dt.datetime) -> bool:
        return self.state == "held" and now < self.until


class Lease:
    """The lease of the repository at `root`, on `remote` (None: the local repository only)."""

    def __init__(
        self,
        root: Path,
        *,
        remote: str | None,
        clock: Callable[[], dt.datetime],
        who: str,
        term: float = TERM,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        if not 0 < term <= TERM:
            raise ValueError(f"a lease term is between 0 and {TERM:.0f} seconds")
        self.root = Path(root)
        self.remote = remote
        self.clock = clock
        self.who = who
        self.term = term
        self.holder = secrets.token_hex(8)
        self.progress = progress or (lambda line: None)
        self._tip: str | None = None  # our last lease commit while we hold it
        self.held: LeaseInfo | None = None
        self.blocker: LeaseInfo | None = None  # the other publisher's lease, when acquire() gave up

    # -- git at the edge -------------------------------------------------------------------------------

    def _git(self, *args: str, env: dict[str, str] | None = None) -> str:
        try:
            out = subprocess.run(
                ["git", *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, **(env or {})},
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise GitError(f"git {args[0]} failed: {exc}") from None
        if out.returncode != 0:
            raise GitError(f"git {' '.join(args[:2])} failed: {out.stderr.strip()}", hint="check the records remote")
        return out.stdout

    def _ident(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for key, default in (("NAME", "wxpub publish job"), ("EMAIL", "wxpub-publish@localhost")):
            try:
                configured = self._git("config", f"user.{key.lower()}").strip()
            except GitError:
                configured = ""
            for role in ("AUTHOR", "COMMITTER"):
                name = f"GIT_{role}_{key}"
                env[name] = os.environ.get(name) or configured or default
        return env

    def read(self) -> tuple[str | None, LeaseInfo | None]:
        """(tip commit, lease) as the remote (or the local repository) has it now."""
        if self.remote:
            local = f"refs/wxpub/remote-lease/{self.remote}"
            try:
                self._git("fetch", "--quiet", "--no-tags", self.remote, f"+{REF}:{local}")
            except GitError as exc:
                if "couldn't find remote ref" in exc.message.lower():
                    return None, None
                raise
            ref = local
        else:
            ref = REF
        try:
            tip = self._git("rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip() or None
        except GitError:
            return None, None
        if tip is None:
            return None, None
        message = self._git("log", "-1", "--format=%B", tip)
        return tip, LeaseInfo.from_message(message)

    def _cas(self, old: str | None, info: LeaseInfo, summary: str, **extra: Any) -> str | None:
        """Move the lease from `old` to a new commit holding `info`; the new tip, or None when someone
        moved it first."""
        message = f"{summary}\n\n{info.to_json(**extra)}\n"
        self._ensure_empty_tree()
        args = ["commit-tree", _EMPTY_TREE, "-m", message]
        if old:
            args += ["-p", old]
        new = self._git(*args, env=self._ident()).strip()
        try:
            if self.remote:
                self._git(
                    "push",
                    "--quiet",
                    "--no-verify",
                    f"--force-with-lease={REF}:{old or ''}",
                    self.remote,
                    f"{new}:{REF}",
                )
            else:
                self._git("update-ref", REF, new, old or "0" * 40)
        except GitError as exc:
            text = exc.message.lower()
            if any(word in text for word in ("stale info", "rejected", "cannot lock", "but expected", "fetch first")):
                return None
            raise
        return new

    def _ensure_empty_tree(self) -> None:
        try:
            self._git("cat-file", "-e", _EMPTY_TREE)
        except GitError:
            subprocess.run(["git", "mktree"], cwd=self.root, input="", capture_output=True, text=True, timeout=60)

    # -- the lease -------------------------------------------------------------------------------------

    def acquire(self, *, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> LeaseInfo | None:
        """Take the lease: None when another publisher holds a live one (after waiting up to `wait`
        seconds of real time for it), else this run's lease. A stale lease (past its `until` by the
        caller's clock) is taken over, and the takeover is recorded in the lease's history."""
        deadline = time.monotonic() + wait
        for _attempt in range(50):
            tip, current = self.read()
            now = self.clock()
            if current is not None and current.live(now) and current.holder != self.holder:
                if time.monotonic() >= deadline:
                    self.held = None
                    self.blocker = current
                    return None
                sleep(min(2.0, max(0.1, deadline - time.monotonic())))
                continue
            mine = LeaseInfo(self.who, now, now + dt.timedelta(seconds=self.term), self.holder)
            extra: dict[str, Any] = {}
            if current is not None and current.state == "held" and tip is not None:
                extra["took_over"] = json.loads(current.to_json())
                summary = _(
                    "{who} takes over the expired lease of {other} (since {since}, until {until})",
                    who=self.who,
                    other=current.who,
                    since=current.since.isoformat(),
                    until=current.until.isoformat(),
                )
            else:
                summary = _("{who} takes the lease", who=self.who)
            new = self._cas(tip, mine, summary, **extra)
            if new is None:
                continue  # someone moved it meanwhile: look again
            if extra:
                self.progress(summary)
            self._tip, self.held = new, mine
            return mine
        raise GitError(
            _(
                "cannot take the publishing lease: the {branch} branch keeps moving or refuses the update",
                branch=BRANCH,
            ),
            hint=_("check that the job may push the {branch} branch of the records remote", branch=BRANCH),
        )

    def renew(self, *, force: bool = False) -> None:
        """Extend the lease when a third of its term has passed (or `force`). Raises LeaseLost when it
        was taken over or broken meanwhile."""
        if self.held is None:
            return
        now = self.clock()
        if not force and (self.held.until - now).total_seconds() > self.term * 2 / 3:
            return
        renewed = LeaseInfo(self.who, self.held.since, now + dt.timedelta(seconds=self.term), self.holder)
        new = self._cas(self._tip, renewed, _("{who} renews the lease", who=self.who))
        if new is None:
            _old, current = self.read()
            self.held = None
            who = current.who if current else "?"
            raise LeaseLost(
                _("this run lost the publishing lease to {who}: it stops before any further WeChat call", who=who),
                hint=_("see the history of the wxpub-lease branch; run again when the other publisher is done"),
            )
        self._tip, self.held = new, renewed

    def release(self) -> None:
        """Give the lease back (a no-op when this run does not hold it any more)."""
        if self.held is None:
            return
        now = self.clock()
        done = LeaseInfo(self.who, self.held.since, now, self.holder, state="released")
        self._cas(self._tip, done, _("{who} releases the lease", who=self.who))
        self.held = None

    def break_(self, reason: str) -> LeaseInfo | None:
        """An operator ends whatever lease there is, with a recorded reason; the lease that was broken."""
        if not reason.strip():
            from .errors import UsageError

            raise UsageError(_("breaking the lease needs a reason"), hint=_('pass --reason "…"'))
        for _attempt in range(5):
            tip, current = self.read()
            now = self.clock()
            broken = LeaseInfo(self.who, now, now, self.holder, state="broken", reason=reason.strip())
            extra = {"broke": json.loads(current.to_json())} if current is not None else {}
            summary = _("{who} breaks the lease by hand: {reason}", who=self.who, reason=reason.strip())
            if self._cas(tip, broken, summary, **extra) is not None:
                return current
        raise GitError(_("cannot break the lease: it keeps moving"), hint=_("run again"))
