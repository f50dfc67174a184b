"""Benchmark the cost of reconciling a lost answer on a busy account, beside the previous approach.

    .venv/bin/python benchmarks/reconcile_bench.py [--articles 5000] [--drafts 200] [--baseline e3f6a2c]
                                                  [--no-baseline] [--publish-delay 1.0]

A sandbox account is filled with `--articles` published articles and `--drafts` drafts of other posts,
listed in a shuffled order (WeChat documents none). One post is then published twice over, each time in a
fresh repository and sandbox:

1. lost draft: `draft/add` takes effect but its answer is lost (the sandbox's `crash_after` fault); the
   publisher must find the draft it created before creating another;
2. lost submit: `freepublish/submit` takes effect, its answer is lost, and the job is still running for
   `--publish-delay` seconds; the publisher must find the article before submitting again.

For each, the calls the sandbox received are counted per endpoint, and the listing calls expressed as
passes over the listing (pages of 20). The same runs are made with the publisher of `--baseline` (a git
revision of this repository: the approach before listings were read without content; checked out in a
temporary worktree) and printed beside. Target (issue 15): at most one listing pass each.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from conftest import cover_bytes, post_text  # noqa: E402

from pipeline.wechat.sandbox import Fault, Sandbox, SandboxConfig  # noqa: E402

NOW = "2026-12-05T10:30:00+08:00"
POST = "2026/12-05-card"
LISTINGS = {"draft": "/cgi-bin/draft/batchget", "submit": "/cgi-bin/freepublish/batchget"}
LOOKUPS = ("/cgi-bin/draft/get", "/cgi-bin/freepublish/getarticle")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(workdir: Path, code: Path) -> Path:
    """One due post, merged on main; the policy of `code` trusting branch protection (no forge here)."""
    repo = workdir / "repo"
    shutil.copytree(code / "policy", repo / "policy")
    policy = repo / "policy" / "policy.yml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("trust_branch_protection: false", "trust_branch_protection: true"),
        encoding="utf-8",
    )
    folder = repo / "posts" / POST
    folder.mkdir(parents=True)
    (folder / "index.md").write_text(
        post_text(title="借记卡年费减免通知", sources=[{"file": "cover.jpg", "source": "original"}]), encoding="utf-8"
    )
    (folder / "cover.jpg").write_bytes(cover_bytes())
    env_git = ["-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    git(workdir, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, *env_git, "commit", "-q", "-m", "a post")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "user.email", "bench@localhost")
    return repo


def run_case(code: Path, case: str, args: argparse.Namespace) -> tuple[dict[str, int], int, str]:
    """Calls per endpoint for one lost answer (`case` "draft" or "submit"), the exit code, and stderr."""
    path = "/cgi-bin/draft/add" if case == "draft" else "/cgi-bin/freepublish/submit"
    config = SandboxConfig(
        listing_order="shuffled", publish_delay=args.publish_delay, publish_polls_until_done=0, seed=args.seed
    )
    with tempfile.TemporaryDirectory(prefix="wxpub-reconcile-") as tmp, Sandbox(config) as sb:
        sb.fill(articles=args.articles, drafts=args.drafts)
        sb.config.faults[:] = [Fault(path, "crash_after", first=1)]
        repo = make_repo(Path(tmp), code)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "WXPUB_", "GITHUB_", "GITEA_"))}
        env.pop("CI", None)
        env.update(
            WECHAT_APPID=config.appid,
            WECHAT_SECRET=config.secret,
            WECHAT_API_BASE=sb.base_url,
            WXPUB_STATE_DIR=str(Path(tmp) / "state"),
            PYTHONPATH=str(code),
            NO_COLOR="1",
        )
        extra = ["--no-push"] if "--no-push" in help_of(code, env) else []
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "publish", "--root", str(repo), "--now", NOW, *extra],
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        return sb.call_counts(), proc.returncode, proc.stderr


_HELP: dict[Path, str] = {}


def help_of(code: Path, env: dict[str, str]) -> str:
    if code not in _HELP:
        _HELP[code] = subprocess.run(
            [sys.executable, "-m", "pipeline", "publish", "--help"], cwd=code, env=env, capture_output=True, text=True
        ).stdout
    return _HELP[code]


def describe(case: str, counts: dict[str, int], code: int, args: argparse.Namespace) -> str:
    listing = counts.get(LISTINGS[case], 0)
    size = args.drafts + 1 if case == "draft" else args.articles + 1
    passes = listing / math.ceil(size / 20)
    lookups = sum(counts.get(p, 0) for p in LOOKUPS)
    other = LISTINGS["submit" if case == "draft" else "draft"]
    return (
        f"{listing:5d} listing calls ({passes:4.2f} passes of {math.ceil(size / 20)} pages)"
        f"  {lookups:3d} draft/get+getarticle  {counts.get(other, 0):4d} other listing"
        f"  exit {code}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=int, default=5000)
    p.add_argument("--drafts", type=int, default=200)
    p.add_argument("--publish-delay", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--baseline", default="e3f6a2c", help="git revision of the previous approach")
    p.add_argument("--no-baseline", action="store_true")
    args = p.parse_args(argv)
    print(
        f"account: {args.articles} published articles, {args.drafts} drafts, listings shuffled; "
        f"publish job running {args.publish_delay:.1f} s"
    )
    codes = [("this tree", PROJECT)]
    worktree: Path | None = None
    if not args.no_baseline:
        worktree = Path(tempfile.mkdtemp(prefix="wxpub-baseline-")) / "code"
        git(PROJECT, "worktree", "add", "-q", "--detach", str(worktree), args.baseline)
        codes.append((f"baseline {args.baseline}", worktree))
    try:
        for case, title in (("draft", "lost draft/add answer"), ("submit", "lost freepublish/submit answer")):
            print(f"\n{title}:")
            for label, code in codes:
                counts, exit_code, stderr = run_case(code, case, args)
                print(f"  {label:<18} {describe(case, counts, exit_code, args)}")
                if exit_code not in (0,):
                    print("    " + stderr.strip().splitlines()[-1] if stderr.strip() else "    (no output)")
    finally:
        if worktree is not None:
            git(PROJECT, "worktree", "remove", "--force", str(worktree))
    print("\ntarget: at most 1 listing pass to reconcile each lost answer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
