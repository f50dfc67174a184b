"""One publisher at a time (issue 15, items 5 and 6): the lease on the records remote, and records that
must reach the remote in CI. Real processes, a real bare remote, the sandbox on loopback."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import git
from test_publish import BCAST, CARD, NOW, World, assert_exactly_once
from test_publish import world as world  # the fixture

from pipeline.lease import REF, Lease, LeaseLost
from pipeline.ledger import BRANCH, read_records
from pipeline.wechat.sandbox import Fault


def with_remote(w: World, tmp: Path) -> Path:
    remote = tmp / "origin.git"
    git(tmp, "init", "-q", "--bare", str(remote))
    git(w.root, "remote", "add", "origin", str(remote))
    git(w.root, "push", "-q", "origin", "main")
    return remote


def runner(w: World, tmp: Path, remote: Path, name: str) -> Path:
    """A fresh checkout of main, as a CI runner or an operator's machine has it."""
    path = tmp / name
    git(tmp, "clone", "-q", "-b", "main", str(remote), str(path))
    return path


def start(w: World, root: Path, *args: str, now: str = NOW) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "pipeline", "publish", "--root", str(root), "--now", now,
           "--reviews-file", str(w.reviews), "--reconcile-wait", "2", *args]  # fmt: skip
    return subprocess.Popen(cmd, cwd=root, env=w.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out + err


def lease_log(remote: Path) -> str:
    return git(remote, "log", "--format=%B", BRANCH.replace("records", "lease"))


def test_two_publishers_started_together_send_each_post_once(world: World, tmp_path: Path) -> None:
    remote = with_remote(world, tmp_path)
    world.sb.config.faults[:] = [Fault("/cgi-bin/draft/add", "delay", delay=0.5, first=4)]
    a, b = runner(world, tmp_path, remote, "a"), runner(world, tmp_path, remote, "b")
    procs = [start(world, a), start(world, b)]
    results = [finish(p) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert sum("another publisher holds the lease" in text for _, text in results) <= 1
    assert_exactly_once(world, a if "published" in results[0][1] else b)
    assert read_records(remote)[CARD].status == "published" and read_records(remote)[BCAST].published


@pytest.mark.parametrize("wait", ["0", "60"])
def test_a_second_publisher_started_while_the_first_is_at_work(world: World, tmp_path: Path, wait: str) -> None:
    remote = with_remote(world, tmp_path)
    world.sb.config.faults[:] = [Fault("/cgi-bin/draft/add", "delay", delay=1.5, first=4)]
    a, b = runner(world, tmp_path, remote, "a"), runner(world, tmp_path, remote, "b")
    first = start(world, a)
    deadline = time.monotonic() + 60
    while not any(c.path == "/cgi-bin/draft/add" for c in world.sb.calls()):  # the first is at work
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.05)
    second = start(world, b, "--lease-wait", wait)
    code2, text2 = finish(second)
    code1, text1 = finish(first)
    assert (code1, code2) == (0, 0), text1 + text2
    if wait == "0":
        assert "another publisher holds the lease (publish-bot, since 2026-12-05T10:30" in text2, text2
    else:  # it waited for the lease, then found everything published
        assert "another publisher" not in text2 and "2 published before" in text2, text2
    assert_exactly_once(world, a)
    assert "releases the lease" in lease_log(remote)


def test_a_killed_publishers_lease_expires_and_the_takeover_is_recorded(world: World, tmp_path: Path) -> None:
    remote = with_remote(world, tmp_path)
    assert world.publish(root=world.root, now=NOW, WXPUB_CRASH_AFTER="submit:call").returncode == 70
    blocked = world.publish(now=NOW)
    assert blocked.returncode == 0 and "another publisher holds the lease" in blocked.stdout
    assert world.broadcasts() == Counter()  # the blocked run sent nothing
    fourteen = (dt.datetime.fromisoformat(NOW) + dt.timedelta(minutes=14)).isoformat()
    assert "another publisher holds the lease" in world.publish(now=fourteen).stdout  # not yet expired
    later = (dt.datetime.fromisoformat(NOW) + dt.timedelta(minutes=16)).isoformat()
    out = world.publish(now=later)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "takes over the expired lease of publish-bot" in out.stderr
    assert_exactly_once(world)
    assert "takes over the expired lease" in lease_log(remote)


def test_an_operator_breaks_a_lease_by_hand_with_a_reason(world: World, tmp_path: Path) -> None:
    remote = with_remote(world, tmp_path)
    assert world.publish(now=NOW, WXPUB_CRASH_AFTER="draft:call").returncode == 70
    broke = world.publish("--break-lease", "--reason", "runner 7 died", now=NOW)
    assert broke.returncode == 0 and "broke the lease of publish-bot" in broke.stdout, broke.stdout + broke.stderr
    assert "runner 7 died" in lease_log(remote)
    assert world.sb.calls()[-1].path == "/cgi-bin/draft/add"  # breaking it called nothing remote
    out = world.publish(now=NOW)
    assert out.returncode == 0, out.stdout + out.stderr
    assert_exactly_once(world)


def test_a_run_that_lost_its_lease_stops(world: World, tmp_path: Path) -> None:
    clock = [dt.datetime.fromisoformat(NOW)]
    mine = Lease(world.root, remote=None, clock=lambda: clock[0], who="scheduled")
    assert mine.acquire() is not None
    other = Lease(world.root, remote=None, clock=lambda: clock[0], who="operator")
    assert other.acquire() is None and other.blocker is not None and other.blocker.who == "scheduled"
    clock[0] += dt.timedelta(minutes=16)  # the first run hung past its lease
    assert other.acquire() is not None
    with pytest.raises(LeaseLost):
        mine.renew(force=True)
    assert git(world.root, "rev-parse", REF).strip()


# -- item 6: the records reach the remote ---------------------------------------------------------------


@pytest.mark.parametrize("variable", ["CI=true", "GITHUB_ACTIONS=true", "GITEA_ACTIONS=true"])
def test_in_ci_publish_refuses_to_run_when_records_would_stay_behind(world: World, variable: str) -> None:
    name, value = variable.split("=")
    out = world.publish(**{name: value})
    assert out.returncode == 2 and "in CI, wxpub publish refuses to run" in out.stderr, out.stdout + out.stderr
    assert "no remote named origin" in out.stderr and "Traceback" not in out.stderr
    assert world.sb.calls() == [] and read_records(world.root) == {}


def test_in_ci_no_push_and_records_dir_are_refused_too(world: World, tmp_path: Path) -> None:
    with_remote(world, tmp_path)
    out = world.publish("--no-push", CI="true")
    assert out.returncode == 2 and "--no-push was given" in out.stderr
    out = world.publish("--records-dir", str(tmp_path / "rec"), CI="true")
    assert out.returncode == 2 and "--records-dir" in out.stderr
    retract = world.run("retract", CARD, "--reason", "x", "--root", str(world.root), "--no-push", CI="true")
    assert retract.returncode == 2 and "in CI, wxpub retract refuses to run" in retract.stderr
    assert world.sb.calls() == []


def test_with_a_remote_pushing_is_the_default(world: World, tmp_path: Path) -> None:
    remote = with_remote(world, tmp_path)
    out = world.publish(CI="true")
    assert out.returncode == 0, out.stdout + out.stderr
    assert read_records(remote)[CARD].status == "published"  # pushed without --push
    assert_exactly_once(world)


def test_no_push_keeps_records_local_outside_ci(world: World, tmp_path: Path) -> None:
    remote = with_remote(world, tmp_path)
    out = world.publish("--no-push")
    assert out.returncode == 0, out.stdout + out.stderr
    assert read_records(world.root)[CARD].status == "published"
    assert BRANCH not in git(remote, "branch", "--list")
