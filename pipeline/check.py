"""`wxpub check`: load posts, run every registered check, return findings.

Per-post checks register with `@post_check` and take `(post, ctx)`; checks across all posts of a run
(lead time across posts, the broadcast quota) register with `@run_check` and take `(posts, ctx)`.
In a run spread over worker processes, the posts that come back (to the run checks and in
`CheckResult.posts`) carry no `text` and `body`: copying them costs more than the checks in the
parent. A run check that reads them calls `full_post`.
Modules listed in `CHECK_MODULES` are imported on first use. Checks are pure: they return findings
and never print.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .findings import Finding, Severity
from .policy import Policy
from .post import Post, load_post

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

CHECK_MODULES: tuple[str, ...] = ("pipeline.checks", "pipeline.leadtime", "pipeline.render.checks")

PostCheck = Callable[[Post, "CheckContext"], Iterable[Finding]]
RunCheck = Callable[[list[Post], "CheckContext"], Iterable[Finding]]
PostFilter = Callable[[Post, list[Finding], "CheckContext"], list[Finding]]

POST_CHECKS: list[PostCheck] = []
RUN_CHECKS: list[RunCheck] = []
# Applied to each post's findings after its checks (e.g. documented exceptions, `allow:`).
POST_FILTERS: list[PostFilter] = []

PARALLEL_THRESHOLD = 200


def post_check(fn: PostCheck) -> PostCheck:
    POST_CHECKS.append(fn)
    return fn


def run_check(fn: RunCheck) -> RunCheck:
    RUN_CHECKS.append(fn)
    return fn


def post_filter(fn: PostFilter) -> PostFilter:
    POST_FILTERS.append(fn)
    return fn


def load_checks() -> None:
    for name in CHECK_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a module not built yet registers nothing
            if exc.name != name:
                raise


@dataclass
class CheckContext:
    """What every check may read. Passed in, never global, so tests can freeze the clock."""

    root: Path
    policy: Policy
    now: dt.datetime
    options: dict[str, object] = field(default_factory=dict)
    cache: dict[str, object] = field(default_factory=dict)


@dataclass
class CheckResult:
    posts: list[Post]
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def check_post(post: Post, ctx: CheckContext) -> list[Finding]:
    """Every per-post check on one loaded post (whose front matter validated)."""
    load_checks()
    findings: list[Finding] = []
    for check in POST_CHECKS:
        findings.extend(check(post, ctx))
    for flt in POST_FILTERS:
        findings = flt(post, findings, ctx)
    return findings


def _load_and_check(folder: Path, ctx: CheckContext) -> tuple[Post, list[Finding]]:
    post, findings = load_post(folder, ctx.root, ctx.policy)
    if post.ok:
        findings += check_post(post, ctx)
    return post, findings


# -- parallel runs: one context per worker process, built once, then chunks of folders ------------------

_WORKER_CTX: CheckContext | None = None
CHUNK = 250  # posts per task: small enough to balance the workers, large enough to keep the queues quiet


# _GC_NOTE: while the results of the workers arrive, the parent's cyclic garbage collector is off. Unpickling
# 10,000 posts and their findings creates millions of objects, none of them garbage, and the collections that
# allocation set off (hundreds, a few over the whole heap) took ~0.9 s of the parent's CPU, on cores the
# workers need. Any cycle made meanwhile is collected once the collector is back on (reference counting
# frees everything else as usual). A worker starts with the collector on (it forks while it is off).
# Turned on again over those millions of young objects, the collector would scan them all at once (~0.6 s in
# the run checks): they are frozen instead (`gc.freeze`, left out of collections) until the run's end, when
# `gc.unfreeze` returns them (and whatever else it froze) to the oldest generation, collectable as before.


def _start_worker(root: Path, policy: Policy, now: dt.datetime, options: dict[str, object]) -> None:
    """Worker initializer: the run's context (policy included) arrives once, not with every chunk."""
    global _WORKER_CTX
    gc.freeze()  # what the worker inherits (modules, policy) stays out of its collections (_GC_NOTE)
    gc.enable()  # forked while the parent's collector was off (_GC_NOTE)
    load_checks()
    _WORKER_CTX = CheckContext(root=root, policy=policy, now=now, options=options)


def _check_chunk(folders: list[Path]) -> list[tuple[Post, list[Finding]]]:
    ctx = _WORKER_CTX
    if ctx is None:  # pragma: no cover - the pool always runs the initializer first
        raise RuntimeError("check worker started without its context")
    out = []
    for folder in folders:
        post, findings = _load_and_check(folder, ctx)
        if not ctx.cache.get("check.frozen"):
            # after the first post the worker holds its lexicons (tens of thousands of terms) and the segmenter:
            # frozen too, its collections scan only what the posts make (_GC_NOTE)
            ctx.cache["check.frozen"] = True
            gc.collect()
            gc.freeze()
        post.text = post.body = ""  # not sent back: ~9 KB a post (see the module doc, `full_post`)
        out.append((post, findings))
    return out


def full_post(post: Post, ctx: CheckContext) -> Post:
    """`post` with its text and body: as given, or read again when it came back from a worker without them."""
    if post.text or post.meta is None:
        return post
    return load_post(post.folder, ctx.root, ctx.policy)[0]


def _pool_context() -> BaseContext:
    """fork on Linux: workers start with the modules (and the parent's policy) already in memory."""
    import multiprocessing

    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def check_folders(folders: list[Path], ctx: CheckContext, *, jobs: int | None = None) -> CheckResult:
    """Check post folders; large runs are spread over worker processes (`jobs`, default: all cores)."""
    load_checks()
    jobs = jobs or os.cpu_count() or 1
    pairs: list[tuple[Post, list[Finding]]] = []
    frozen = False
    if jobs > 1 and len(folders) >= PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor  # imported here: a run of a few posts never needs it

        chunks = [folders[i : i + CHUNK] for i in range(0, len(folders), CHUNK)]
        collecting = gc.isenabled()
        gc.disable()  # see _GC_NOTE
        try:
            with ProcessPoolExecutor(
                max_workers=jobs,
                mp_context=_pool_context(),
                initializer=_start_worker,
                initargs=(ctx.root, ctx.policy, ctx.now, ctx.options),
            ) as pool:
                for part in pool.map(_check_chunk, chunks):
                    pairs.extend(part)
            gc.freeze()  # the results, to the end of the run (_GC_NOTE)
            frozen = True
        finally:
            if collecting:
                gc.enable()
    else:
        pairs = [_load_and_check(f, ctx) for f in folders]
    try:
        posts = [p for p, _ in pairs]
        findings = [f for _, fs in pairs for f in fs]
        good = [p for p in posts if p.ok]
        for check in RUN_CHECKS:
            findings.extend(check(good, ctx))
        return CheckResult(posts=posts, findings=sorted(findings, key=_order))
    finally:
        if frozen:
            gc.unfreeze()


def _order(f: Finding) -> tuple[object, ...]:
    """The order of `Finding` (a dataclass with order=True: its fields in turn), as a key: 30,000 findings
    sort in a tenth of the time the generated comparison method takes."""
    return (f.path, f.line, f.column, f.end_column, f.rule, f.article, f.severity, f.message, f.match, f.hint)
