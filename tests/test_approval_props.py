"""Properties of the gate over random review histories: whatever it approves, it approves for sound reasons."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from conftest import post_text, write_post
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.approval import evaluate, latest_decisions, required_tiers
from pipeline.forge.base import APPROVED, Commit, PullRequest, Review
from pipeline.policy import Policy, load_policy
from pipeline.post import Post, load_post

HEAD, OLD = "h" * 40, "o" * 40
USERS = [
    "li-retail",
    "qian-compliance",
    "he-compliance",
    "lv-ebank",
    "zhou-ebank",
    "kong-president",
    "compliance-staff",
    "ebank-staff",
    "editor",
    "mallory",
]
TEAMS = {"xxbank/compliance": ["compliance-staff"], "xxbank/ebanking": ["ebank-staff"], "xxbank/leadership": []}
STATES = ["APPROVED", "APPROVED", "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]
T0 = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Policy, list[Post]]:
    import shutil

    root = tmp_path_factory.mktemp("props")
    shutil.copytree(Path(__file__).resolve().parents[1] / "policy", root / "policy")
    policy = load_policy(root)
    posts = []
    for pid, unit in (("2026/12-05-card-offer", "个人金融部"), ("2026/12-06-notice", "合规部")):
        post, _ = load_post(write_post(root, pid, post_text(unit=unit)), root, policy)
        posts.append(post)
    return policy, posts


review = st.tuples(
    st.sampled_from(USERS), st.sampled_from(STATES), st.sampled_from([HEAD, HEAD, OLD]), st.integers(0, 50)
)
# A legitimate sign-off (each tier in order on the head) plus random reviews on top: near-misses galore.
LEGIT = [
    ("qian-compliance", "APPROVED", HEAD, 10),
    ("li-retail", "APPROVED", HEAD, 12),
    ("he-compliance", "APPROVED", HEAD, 20),
    ("lv-ebank", "APPROVED", HEAD, 30),
]
history = st.tuples(st.booleans(), st.lists(review, max_size=8)).map(lambda x: (LEGIT if x[0] else []) + x[1])


def build(raw: list[tuple[str, str, str, int]]) -> list[Review]:
    return [
        Review(i + 1, u, s, c, T0 + dt.timedelta(minutes=m), dismissed=s == "DISMISSED")
        for i, (u, s, c, m) in enumerate(raw)
    ]


def eligible(policy: Policy, spec_key: str, login: str, specs: list) -> bool:  # type: ignore[type-arg]
    spec = next(s for s in specs if s.key == spec_key)
    return login in spec.approvers.users or any(login in TEAMS.get(t, []) for t in spec.approvers.teams)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=history, two_posts=st.booleans(), sequential=st.booleans(), committer=st.sampled_from(USERS))
def test_every_counted_approval_is_sound(setup, raw, two_posts, sequential, committer) -> None:  # type: ignore[no-untyped-def]
    policy, all_posts = setup
    policy = policy.model_copy(update={"approval": policy.approval.model_copy(update={"sequential": sequential})})
    posts = all_posts if two_posts else all_posts[:1]
    paths = [p.path for p in posts]
    pr = PullRequest(7, "editor", T0, HEAD)
    commits = [Commit(HEAD, "editor", "editor"), Commit(OLD, committer, "editor")]
    reviews = build(raw)
    v = evaluate(policy, posts, paths, pr, reviews, commits, TEAMS)
    specs, _ = required_tiers(policy, posts, paths)
    latest = latest_decisions(reviews)
    seen: set[str] = set()
    done = {t.key: t for t in v.tiers}
    for t in v.tiers:
        for a in t.approved_by:
            r = latest[a.login.casefold()]
            assert r.state == APPROVED and not r.dismissed and r.commit_id == HEAD
            assert a.login not in ("editor", committer)
            assert eligible(policy, t.key, a.login, specs)
            assert a.login not in seen  # one reviewer, one tier
            seen.add(a.login)
            if sequential:
                spec = next(s for s in specs if s.key == t.key)
                for k in spec.after:
                    assert done[k].ok and a.at > done[k].satisfied_at
        for b in t.blocked_by:
            assert latest[b.login.casefold()].state == "CHANGES_REQUESTED"
    assert v.ok == all(t.ok for t in v.tiers)
    event(f"ok={v.ok}")
    event(f"approvals counted={sum(len(t.approved_by) for t in v.tiers)}")
    # The order in which the forge lists the reviews does not matter.
    shuffled = reviews[:]
    random.Random(len(raw)).shuffle(shuffled)
    assert evaluate(policy, posts, paths, pr, shuffled, commits, TEAMS).ok == v.ok
    # Outsiders cannot change the outcome, whatever they do.
    noise = build([("mallory", "APPROVED", HEAD, 60), ("someone", "CHANGES_REQUESTED", HEAD, 61)])
    noise = [Review(900 + r.id, r.user, r.state, r.commit_id, r.submitted_at) for r in noise]
    assert evaluate(policy, posts, paths, pr, reviews + noise, commits, TEAMS).ok == v.ok
