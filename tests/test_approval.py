"""Tier evaluation (pure): every spoof is rejected, the legitimate paths pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import post_text

from pipeline.approval import TierSpec, evaluate, merge_chains, required_tiers
from pipeline.forge.base import Commit, PullRequest, Review
from pipeline.policy import Approvers, Policy, TierRef, load_policy
from pipeline.post import Post, load_post

HEAD = "h" * 40
OLD = "o" * 40
PID = "2026/12-05-card-offer"
TEAMS = {
    "xxbank/compliance": ["compliance-staff"],
    "xxbank/ebanking": ["ebank-staff"],
    "xxbank/leadership": ["vp-liu"],
    "xxbank/technology": [],
}


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 20, hour, minute, tzinfo=dt.UTC)


class Case:
    """A pull request under construction: posts, reviews, commits."""

    def __init__(self, root: Path, policy: Policy) -> None:
        self.root, self.policy = root, policy
        self.pr = PullRequest(7, "editor", at(0), HEAD, title="post")
        self.reviews: list[Review] = []
        self.commits = [Commit(HEAD, "editor", "editor")]
        self.posts: list[Post] = []
        self.paths: list[str] = []

    def post(self, post_id: str = PID, text: str | None = None, **fm: object) -> Post:
        from conftest import write_post

        folder = write_post(self.root, post_id, text or post_text(**fm))
        post, _ = load_post(folder, self.root, self.policy)
        self.posts.append(post)
        self.paths.append(f"posts/{post_id}/index.md")
        return post

    def review(self, user: str, state: str = "APPROVED", hour: int = 1, commit: str = HEAD, **kw: object) -> None:
        self.reviews.append(Review(len(self.reviews) + 1, user, state, commit, at(hour), **kw))  # type: ignore[arg-type]

    def base_approvals(self, start: int = 1) -> None:
        self.review("li-retail", hour=start)
        self.review("he-compliance", hour=start + 1)
        self.review("lv-ebank", hour=start + 2)

    def run(self, policy: Policy | None = None):  # type: ignore[no-untyped-def]
        return evaluate(policy or self.policy, self.posts, self.paths, self.pr, self.reviews, self.commits, TEAMS)


@pytest.fixture
def case(make_repo: Callable[..., Path]) -> Case:
    root = make_repo(commit=False, teams=True)
    return Case(root, load_policy(root))


def unordered(policy: Policy) -> Policy:
    return policy.model_copy(update={"approval": policy.approval.model_copy(update={"sequential": False})})


def tier(verdict, key: str):  # type: ignore[no-untyped-def]
    return next(t for t in verdict.tiers if t.key == key)


# -- the legitimate paths ------------------------------------------------------------------------


def test_three_tiers_in_order_pass(case: Case) -> None:
    case.post()
    case.base_approvals()
    v = case.run()
    assert v.ok, v.reasons
    assert [t.key for t in v.tiers] == ["unit_head:个人金融部", "compliance", "ebanking"]
    assert [t.approved_by[0].login for t in v.tiers] == ["li-retail", "he-compliance", "lv-ebank"]
    assert v.tiers[1].approved_by[0].commit == HEAD
    assert v.tiers[0].name == "个人金融部负责人"
    assert v.reasons == []


def test_team_member_counts_for_their_tier(case: Case) -> None:
    case.post()
    case.review("li-retail", hour=1)
    case.review("compliance-staff", hour=2)
    case.review("ebank-staff", hour=3)
    assert case.run().ok


def test_no_reviews_fail_with_one_reason_per_tier(case: Case) -> None:
    case.post()
    v = case.run()
    assert not v.ok
    rules = [r.split("]")[0].strip("[") for r in v.reasons]
    assert rules == ["approval/tier-missing", "approval/compliance-missing", "approval/ebanking-missing"]
    assert all(t.missing == 1 for t in v.tiers)


def test_changes_requested_then_approved_by_the_same_person_passes(case: Case) -> None:
    case.post()
    case.review("li-retail", hour=1)
    case.review("he-compliance", "CHANGES_REQUESTED", hour=2, commit=OLD)
    case.review("he-compliance", hour=3)
    case.review("lv-ebank", hour=4)
    assert case.run().ok


def test_comments_after_an_approval_do_not_undo_it(case: Case) -> None:
    case.post()
    case.base_approvals()
    case.review("he-compliance", "COMMENTED", hour=9)
    case.review("lv-ebank", "PENDING", hour=9)
    assert case.run().ok


# -- the spoofs ----------------------------------------------------------------------------------


def test_self_approval_is_rejected(case: Case) -> None:
    case.post()
    case.pr = PullRequest(7, "li-retail", at(0), HEAD)
    case.commits = [Commit(HEAD, "li-retail", "li-retail")]
    case.base_approvals()
    v = case.run()
    assert not v.ok
    assert tier(v, "unit_head:个人金融部").missing == 1
    assert any("li-retail approved but opened the pull request" in n for n in v.notes)


@pytest.mark.parametrize("who", ["author", "committer"])
def test_co_committer_approval_is_rejected(case: Case, who: str) -> None:
    case.post()
    c = Commit("c" * 40, "he-compliance", "editor") if who == "author" else Commit("c" * 40, "editor", "he-compliance")
    case.commits.append(c)
    case.base_approvals()
    v = case.run()
    assert not v.ok
    assert tier(v, "compliance").missing == 1
    assert any("he-compliance approved but authored or committed ccccccc" in n for n in v.notes)


def test_approval_of_an_older_head_is_rejected(case: Case) -> None:
    case.post()
    case.base_approvals()
    case.reviews[1] = Review(2, "he-compliance", "APPROVED", OLD, at(2))
    v = case.run()
    assert not v.ok
    assert tier(v, "compliance").approved_by == []
    assert any("approved commit ooooooo, not the head hhhhhhh" in n for n in v.notes)


def test_approval_with_a_garbage_collected_commit_is_rejected(case: Case) -> None:
    case.post()
    case.base_approvals()
    case.reviews[2] = Review(3, "lv-ebank", "APPROVED", None, at(3))
    assert not case.run().ok


def test_approval_followed_by_changes_requested_blocks(case: Case) -> None:
    case.post()
    case.base_approvals()
    case.review("he-compliance", "CHANGES_REQUESTED", hour=5)
    v = case.run()
    assert not v.ok
    t = tier(v, "compliance")
    assert [b.login for b in t.blocked_by] == ["he-compliance"] and not t.ok
    assert any(r.startswith("[approval/changes-requested] 合规部 (compliance): he-compliance") for r in v.reasons)


def test_changes_requested_by_another_tier_member_blocks(case: Case) -> None:
    case.post()
    case.base_approvals()
    case.review("qian-compliance", "CHANGES_REQUESTED", hour=2, commit=OLD)
    v = case.run()
    assert not v.ok
    assert [b.login for b in tier(v, "compliance").blocked_by] == ["qian-compliance"]


def test_dismissed_changes_request_no_longer_blocks(case: Case) -> None:
    case.post()
    case.base_approvals()
    case.review("qian-compliance", "DISMISSED", hour=2, commit=OLD, dismissed=True)
    assert case.run().ok


@pytest.mark.parametrize("shape", ["github", "gitea"])
def test_dismissed_approval_is_rejected(case: Case, shape: str) -> None:
    case.post()
    case.base_approvals()
    state = "DISMISSED" if shape == "github" else "APPROVED"
    case.reviews[1] = Review(2, "he-compliance", state, HEAD, at(2), dismissed=True)
    v = case.run()
    assert not v.ok
    assert tier(v, "compliance").missing == 1
    assert any("he-compliance's review" in n and "was dismissed" in n for n in v.notes)


def test_non_member_approval_is_rejected(case: Case) -> None:
    case.post()
    case.review("li-retail", hour=1)
    case.review("mallory", hour=2)
    case.review("lv-ebank", hour=3)
    v = case.run()
    assert not v.ok
    assert tier(v, "compliance").missing == 1
    assert "[approval/not-counted] mallory approved but is not an approver of any required tier" in v.notes


def test_member_of_the_wrong_team_is_rejected(case: Case) -> None:
    case.post()
    case.review("li-retail", hour=1)
    case.review("ebank-staff", hour=2)  # member of xxbank/ebanking, not of xxbank/compliance
    v = case.run()
    assert not v.ok
    assert tier(v, "compliance").approved_by == []
    assert [a.login for a in tier(v, "ebanking").approved_by] == []  # approved before compliance: out of order


def test_approvals_claimed_in_front_matter_are_ignored(case: Case) -> None:
    text = post_text(body="<!-- approved-by: qian-compliance, lv-ebank -->\n已审批通过。\n")
    text = text.replace("---\n", "---\napproved_by: [li-retail, qian-compliance, lv-ebank]\n", 1)
    post = case.post(text=text)
    assert "approved_by" in post.raw
    v = case.run()
    assert not v.ok
    assert all(t.approved_by == [] for t in v.tiers)
    assert any("front matter approved_by ignored" in n for n in v.notes)


def test_tiers_out_of_order_are_rejected_under_sequential(case: Case) -> None:
    case.post()
    case.review("lv-ebank", hour=1)  # e-banking first
    case.review("li-retail", hour=2)
    case.review("he-compliance", hour=3)
    v = case.run()
    assert not v.ok
    assert tier(v, "ebanking").missing == 1
    assert any(r.startswith("[approval/out-of-order] 电子银行部 (ebanking): lv-ebank approved at") for r in v.reasons)
    # the same reviews pass when the policy does not ask for order
    assert case.run(unordered(case.policy)).ok
    # and e-banking approving again after compliance satisfies the order
    case.review("lv-ebank", hour=4)
    assert case.run().ok


def test_earlier_tier_missing_stops_the_chain(case: Case) -> None:
    case.post()
    case.review("he-compliance", hour=2)
    case.review("lv-ebank", hour=3)
    v = case.run()
    assert not v.ok
    assert [t.missing for t in v.tiers] == [1, 1, 1]
    assert v.reasons[-1].endswith("(after: 个人金融部负责人, 合规部 (compliance))")


def test_one_reviewer_satisfies_one_tier(case: Case) -> None:
    case.post(unit="合规部")  # qian-compliance heads 合规部 and is a compliance approver
    case.review("qian-compliance", hour=1)
    case.review("lv-ebank", hour=3)
    v = case.run()
    assert not v.ok
    assert tier(v, "unit_head:合规部").approved_by[0].login == "qian-compliance"
    assert tier(v, "compliance").missing == 1
    case.review("he-compliance", hour=2)
    assert case.run().ok


def test_latest_review_wins_even_with_equal_times(case: Case) -> None:
    case.post()
    case.base_approvals()
    case.reviews.append(Review(99, "he-compliance", "CHANGES_REQUESTED", HEAD, at(2)))  # same time, later id
    assert not case.run().ok


# -- which tiers ---------------------------------------------------------------------------------


def test_category_product_and_urgent_add_tiers(case: Case) -> None:
    case.post(category="notice", products=["wealth"], urgent={"reason": "系统故障紧急通知"})
    specs, problems = required_tiers(case.policy, case.posts, case.paths)
    assert problems == []
    assert [s.key for s in specs] == ["unit_head:个人金融部", "compliance", "ebanking", "leadership", "urgent"]
    case.base_approvals()
    case.review("kong-president", hour=5)
    v = case.run()
    assert not v.ok and tier(v, "leadership").ok and tier(v, "urgent").missing == 1  # one tier per reviewer
    case.review("vp-liu", hour=6)
    assert case.run().ok


def test_code_change_needs_technology_and_ebanking(case: Case) -> None:
    case.paths = ["pipeline/approval.py", "README.md"]
    specs, _ = required_tiers(case.policy, [], case.paths)
    assert [s.key for s in specs] == ["technology", "ebanking"]
    case.review("sun-tech", hour=1)
    case.review("lv-ebank", hour=2)
    assert case.run().ok
    case.post()
    specs, _ = required_tiers(case.policy, case.posts, case.paths)
    assert [s.key for s in specs] == ["unit_head:个人金融部", "compliance", "technology", "ebanking"]


def test_a_change_needing_nothing_still_needs_the_code_change_tiers(case: Case) -> None:
    specs, _ = required_tiers(case.policy, [], ["README.md"])
    assert [s.key for s in specs] == ["technology", "ebanking"]
    assert not case.run().ok


def test_several_posts_need_every_posts_tiers(case: Case) -> None:
    case.post()
    case.post("2026/12-06-branch-news", unit="城关支行", category="notice")
    specs, _ = required_tiers(case.policy, case.posts, case.paths)
    assert [s.key for s in specs] == [
        "unit_head:个人金融部",
        "unit_head:城关支行",
        "compliance",
        "ebanking",
        "leadership",
    ]
    assert specs[2].posts == (PID, "2026/12-06-branch-news")
    case.base_approvals(start=2)
    case.review("zheng-chengguan", hour=2)
    case.review("kong-president", hour=6)
    v = case.run()
    assert v.ok, v.reasons


def test_merge_chains_keeps_order_and_largest_count() -> None:
    a = Approvers(users=("x",))

    def s(key: str, count: int = 1) -> TierSpec:
        return TierSpec(key, key, a, count)

    merged = merge_chains([[s("h1"), s("c"), s("e")], [s("h2"), s("c", 2), s("e"), s("l")]])
    assert [m.key for m in merged] == ["h1", "h2", "c", "e", "l"]
    assert merged[2].count == 2


def test_unreadable_post_cannot_be_approved(case: Case) -> None:
    case.post(text="no front matter\n")
    case.base_approvals()
    v = case.run()
    assert not v.ok
    assert v.reasons[0].startswith("[approval/post-unreadable]")


def test_unknown_unit_cannot_be_approved(case: Case) -> None:
    case.post(unit="不存在部")
    case.base_approvals()
    v = case.run()
    assert not v.ok
    assert any("unit '不存在部' is not in the policy" in r for r in v.reasons)


def test_membership_errors_fail_closed(case: Case) -> None:
    from pipeline.errors import ForgeError

    def no_teams(team: str, user: str) -> bool:
        raise ForgeError("the token cannot read team membership", status=403)

    case.post()
    case.review("li-retail", hour=1)
    case.review("compliance-staff", hour=2)
    with pytest.raises(ForgeError):
        evaluate(case.policy, case.posts, case.paths, case.pr, case.reviews, case.commits, no_teams)


def test_verdict_json_shape(case: Case) -> None:
    case.post()
    case.base_approvals()
    d = case.run().to_dict()
    assert d["ok"] is True and d["pr"] == 7 and d["head_sha"] == HEAD
    t = d["tiers"][0]
    assert t["approved_by"][0] == {"login": "li-retail", "at": "2026-11-20T01:00:00+00:00", "commit": HEAD}
    assert t["missing"] == 0 and t["required"] == 1


def test_a_tier_added_twice_with_another_between_is_not_circular(case: Case) -> None:
    approval = case.policy.approval.model_copy(
        update={
            "by_category": {"product": (TierRef(tier="leadership"), TierRef(tier="technology"))},
            "by_product": {"card": (TierRef(tier="leadership", count=2),)},
        }
    )
    policy = case.policy.model_copy(update={"approval": approval})
    case.post()
    specs, _ = required_tiers(policy, case.posts, case.paths)
    assert [(s.key, s.count) for s in specs][-2:] == [("leadership", 2), ("technology", 1)]
    case.base_approvals()
    case.review("kong-president", hour=5)
    case.review("vp-liu", hour=6)
    case.review("sun-tech", hour=7)
    assert case.run(policy).ok
