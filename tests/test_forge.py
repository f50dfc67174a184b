"""The forge clients against GitHub and Gitea stand-ins on loopback, and the gate end to end through them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from conftest import git, post_text
from forge_standin import FULL_TOKEN, REPO, REPO_TOKEN, ForgeData, GiteaStandin, GitHubStandin

from pipeline.approval import evaluate
from pipeline.errors import ConfigError, ForgeError
from pipeline.forge import GiteaForge, GitHubForge, ReviewsFileForge, client_from_env
from pipeline.policy import load_policy
from pipeline.post import load_post

HEAD = "1" * 40
OLD = "2" * 40
PATH = "posts/2026/12-05-card-offer/index.md"


def t(hour: int, minute: int = 0) -> str:
    return f"2026-11-20T{hour:02d}:{minute:02d}:00Z"


def legit(d: ForgeData, n: int = 7) -> ForgeData:
    d.add_pull(
        n, author="editor", head=HEAD, files=[PATH], commits=[(OLD, "editor", "editor"), (HEAD, "editor", "web-flow")]
    )
    d.teams.update(
        {
            "xxbank/compliance": {"compliance-staff": "active", "new-hire": "pending"},
            "xxbank/ebanking": {"ebank-staff": "active"},
        }
    )
    d.review(n, "li-retail", "APPROVED", HEAD, t(1))
    d.review(n, "he-compliance", "APPROVED", HEAD, t(2))
    d.review(n, "lv-ebank", "APPROVED", HEAD, t(3))
    return d


def clients(d: ForgeData, token: str = FULL_TOKEN, **kw: object) -> Iterator[tuple[str, object]]:
    with GitHubStandin(d, **kw) as gh:  # type: ignore[arg-type]
        yield "github", GitHubForge(REPO, token, base_url=gh.url)
    with GiteaStandin(d, **kw) as gt:  # type: ignore[arg-type]
        yield "gitea", GiteaForge(REPO, token, base_url=gt.url.removesuffix("/api/v1"))


@pytest.fixture(params=["github", "gitea"])
def standin(request: pytest.FixtureRequest) -> Iterator[Callable[..., tuple[object, object]]]:
    """Start the stand-in named by the parameter over some data; returns (server, forge client)."""
    started: list[object] = []

    def start(d: ForgeData, token: str = FULL_TOKEN, **kw: object) -> tuple[object, object]:
        if request.param == "github":
            srv = GitHubStandin(d, **kw)  # type: ignore[arg-type]
            srv.start()
            forge: object = GitHubForge(REPO, token, base_url=srv.url)
        else:
            srv = GiteaStandin(d, **kw)  # type: ignore[arg-type]
            srv.start()
            forge = GiteaForge(REPO, token, base_url=srv.url.removesuffix("/api/v1"))
        started.append(srv)
        return srv, forge

    yield start
    for srv in started:
        srv.stop()  # type: ignore[attr-defined]


# -- the clients -----------------------------------------------------------------------------------


def test_reads_pull_reviews_commits_files(standin: Callable[..., tuple[object, object]]) -> None:
    d = legit(ForgeData())
    d.review(7, "he-compliance", "CHANGES_REQUESTED", OLD, t(0))
    d.review(7, "qian-compliance", "COMMENTED", HEAD, t(4))
    d.files[7].append(
        {"filename": "posts/2026/12-05-card-offer/cover.jpg", "status": "renamed", "previous_filename": "old/cover.jpg"}
    )
    _, forge = standin(d)
    pr = forge.pull(7)  # type: ignore[attr-defined]
    assert (pr.number, pr.author, pr.head_sha, pr.base_ref, pr.merged) == (7, "editor", HEAD, "main", False)
    assert pr.created_at is not None and pr.created_at.utcoffset() is not None
    reviews = forge.reviews(7)  # type: ignore[attr-defined]
    assert [(r.user, r.state) for r in reviews][-2:] == [
        ("he-compliance", "CHANGES_REQUESTED"),
        ("qian-compliance", "COMMENTED"),
    ]
    assert [c.committer_login for c in forge.commits(7)] == ["editor", "web-flow"]  # type: ignore[attr-defined]
    assert forge.files(7) == [PATH, "posts/2026/12-05-card-offer/cover.jpg", "old/cover.jpg"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", [100, 30, 7])
def test_150_reviews_are_read_across_pages(standin: Callable[..., tuple[object, object]], page: int) -> None:
    d = ForgeData()
    d.add_pull(7, head=HEAD, files=[PATH])
    for i in range(150):
        d.review(7, f"user{i}", "COMMENTED", HEAD, t(1 + i // 60, i % 60))
    srv, forge = standin(d, max_page=page)
    reviews = forge.reviews(7)  # type: ignore[attr-defined]
    assert [r.user for r in reviews] == [f"user{i}" for i in range(150)]
    pages = [q for p, q, _ in srv.log if p.endswith("/reviews")]  # type: ignore[attr-defined]
    assert len(pages) == -(-150 // min(page, 100 if isinstance(srv, GitHubStandin) else 50))


@pytest.mark.parametrize(("total", "cap", "pages"), [(True, 50, 3), (False, 50, 4), (False, 30, 5)])
def test_gitea_pages_without_link_headers(total: bool, cap: int, pages: int) -> None:
    d = ForgeData()
    d.add_pull(7, head=HEAD, files=[PATH])
    for i in range(120):
        d.review(7, f"user{i}", "COMMENT", HEAD, t(1, i % 60))
    with GiteaStandin(d, link_headers=False, total_header=total, max_page=cap) as srv:
        forge = GiteaForge(REPO, FULL_TOKEN, base_url=srv.url)
        assert [r.user for r in forge.reviews(7)] == [f"user{i}" for i in range(120)]
        assert [q.get("page") for p, q, _ in srv.log if p.endswith("/reviews")] == [
            [str(i)] for i in range(1, pages + 1)
        ]


def test_gitea_review_states_are_normalised() -> None:
    d = legit(ForgeData())
    d.review(7, "qian-compliance", "CHANGES_REQUESTED", HEAD, t(4))
    d.review(7, "lv-ebank", "DISMISSED", HEAD, t(5))
    with GiteaStandin(d) as srv:
        reviews = GiteaForge(REPO, FULL_TOKEN, base_url=srv.url).reviews(7)
    assert [(r.user, r.state, r.dismissed) for r in reviews[-2:]] == [
        ("qian-compliance", "CHANGES_REQUESTED", False),
        ("lv-ebank", "APPROVED", True),
    ]


def test_membership(standin: Callable[..., tuple[object, object]]) -> None:
    d = legit(ForgeData())
    _, forge = standin(d)
    assert forge.is_member("xxbank/compliance", "compliance-staff")  # type: ignore[attr-defined]
    assert not forge.is_member("xxbank/compliance", "ebank-staff")  # type: ignore[attr-defined]  # 404
    assert not forge.is_member("xxbank/compliance", "new-hire")  # type: ignore[attr-defined]  # pending
    with pytest.raises(ForgeError, match="cannot read team membership of xxbank/nosuch"):
        forge.is_member("xxbank/nosuch", "compliance-staff")  # type: ignore[attr-defined]


def test_token_without_team_permission_fails_closed(standin: Callable[..., tuple[object, object]]) -> None:
    srv, forge = standin(legit(ForgeData()), token=REPO_TOKEN)
    with pytest.raises(ForgeError) as err:
        forge.is_member("xxbank/compliance", "compliance-staff")  # type: ignore[attr-defined]
    needed = "Members: read" if isinstance(srv, GitHubStandin) else "read:organization"
    assert needed in str(err.value) and "xxbank/compliance" in str(err.value)
    assert REPO_TOKEN not in str(err.value)


def test_bad_token_and_unknown_repo(standin: Callable[..., tuple[object, object]]) -> None:
    srv, forge = standin(legit(ForgeData()), token="s3cret-wrong-token")
    with pytest.raises(ForgeError) as err:
        forge.pull(7)  # type: ignore[attr-defined]
    assert err.value.status == 401 and "rejected the token" in str(err.value)
    assert "s3cret" not in str(err.value) and "s3cret" not in repr(forge)
    assert all(a.endswith("s3cret-wrong-token") for _, _, a in srv.log)  # sent only in the header
    with pytest.raises(ForgeError) as err:
        forge.pull(99)  # type: ignore[attr-defined]


def test_unknown_pull_is_404_with_a_hint(standin: Callable[..., tuple[object, object]]) -> None:
    _, forge = standin(legit(ForgeData()))
    with pytest.raises(ForgeError) as err:
        forge.pull(99)  # type: ignore[attr-defined]
    assert err.value.status == 404 and err.value.hint and "repository" in err.value.hint


def test_pulls_for_commit(standin: Callable[..., tuple[object, object]]) -> None:
    d = legit(ForgeData())
    d.add_pull(8, head="3" * 40, merged=True, merge_commit_sha="4" * 40, files=[PATH])
    _, forge = standin(d)
    assert [p.number for p in forge.pulls_for_commit("4" * 40)] == [8]  # type: ignore[attr-defined]
    assert forge.pulls_for_commit("4" * 40)[0].merged  # type: ignore[attr-defined]
    assert forge.pulls_for_commit("9" * 40) == []  # type: ignore[attr-defined]


def test_server_errors_are_transport_errors() -> None:
    from pipeline.errors import TransportError

    forge = GitHubForge(REPO, FULL_TOKEN, base_url="http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(TransportError):
        forge.pull(1)


def test_client_from_env() -> None:
    with pytest.raises(ConfigError, match="GITHUB_TOKEN is not set"):
        client_from_env("github", env={"GITHUB_REPOSITORY": REPO})
    with pytest.raises(ConfigError, match="GITHUB_REPOSITORY"):
        client_from_env("github", env={"GITHUB_TOKEN": "x"})
    gh = client_from_env("github", env={"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": REPO})
    assert isinstance(gh, GitHubForge) and gh.http.base_url == "https://api.github.com"
    gh = client_from_env(
        "github", env={"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": "https://ghe.bank/api/v3"}
    )
    assert gh.http.base_url == "https://ghe.bank/api/v3"
    with pytest.raises(ConfigError, match="GITEA_URL"):
        client_from_env("gitea", env={"GITEA_TOKEN": "x", "GITHUB_REPOSITORY": REPO})
    gt = client_from_env("gitea", env={"GITEA_TOKEN": "x", "GITEA_URL": "https://git.bank/", "GITHUB_REPOSITORY": REPO})
    assert isinstance(gt, GiteaForge) and gt.http.base_url == "https://git.bank/api/v1"
    with pytest.raises(ConfigError, match="unknown forge"):
        client_from_env("gitlab", env={})


def test_injected_session_is_used() -> None:
    d = legit(ForgeData())
    with GitHubStandin(d) as srv:
        session = requests.Session()
        session.headers["X-Trace"] = "yes"
        GitHubForge(REPO, FULL_TOKEN, base_url=srv.url, session=session).pull(7)
    assert srv.log  # the request went through


# -- the gate end to end through each stand-in -----------------------------------------------------


def _spoof(name: str, d: ForgeData) -> None:
    """Turn the legitimate pull request 7 into the named spoof."""
    r = d.reviews[7]
    if name == "self-approval":
        d.pulls[7]["user"] = {"login": "li-retail"}
    elif name == "co-committer":
        d.commits[7].append({"sha": "5" * 40, "author": {"login": "editor"}, "committer": {"login": "he-compliance"}})
    elif name == "older-head":
        r[1]["commit_id"] = OLD
    elif name == "approved-then-changes-requested":
        d.review(7, "he-compliance", "CHANGES_REQUESTED", HEAD, t(4))
    elif name == "dismissed":
        r[1]["state"] = "DISMISSED"
    elif name == "non-member":
        r[1]["user"] = {"login": "mallory"}
    elif name == "pending-member":
        r[1]["user"] = {"login": "new-hire"}
    elif name == "wrong-team":
        r[1]["user"] = {"login": "ebank-staff"}
    elif name == "out-of-order":
        r[2]["submitted_at"] = t(0)
    elif name == "150-reviews-block-on-last-page":
        comments = [d.review(7, f"user{i}", "COMMENTED", HEAD, t(0, i % 60)) for i in range(146)]
        d.reviews[7] = comments + r
        d.review(7, "qian-compliance", "CHANGES_REQUESTED", HEAD, t(5))
    else:
        raise AssertionError(name)


SPOOFS = [
    "self-approval",
    "co-committer",
    "older-head",
    "approved-then-changes-requested",
    "dismissed",
    "non-member",
    "pending-member",
    "wrong-team",
    "out-of-order",
    "150-reviews-block-on-last-page",
]


@pytest.fixture
def card_post(make_repo: Callable[..., Path]):  # type: ignore[no-untyped-def]
    root = make_repo({"2026/12-05-card-offer": post_text()}, commit=False, teams=True)
    policy = load_policy(root)
    post, findings = load_post(root / "posts/2026/12-05-card-offer", root, policy)
    assert post.ok, findings
    return root, policy, post


def _gate(forge, policy, post):  # type: ignore[no-untyped-def]
    pr = forge.pull(7)
    return evaluate(policy, [post], forge.files(7), pr, forge.reviews(7), forge.commits(7), forge.is_member)


@pytest.mark.parametrize("spoof", SPOOFS)
def test_every_spoof_is_rejected(standin: Callable[..., tuple[object, object]], card_post, spoof: str) -> None:  # type: ignore[no-untyped-def]
    _, policy, post = card_post
    d = legit(ForgeData())
    _spoof(spoof, d)
    _, forge = standin(d)
    verdict = _gate(forge, policy, post)
    assert not verdict.ok, spoof
    assert verdict.reasons


@pytest.mark.parametrize("variant", ["users", "teams", "150-reviews", "re-approved-after-push"])
def test_legitimate_paths_pass(standin: Callable[..., tuple[object, object]], card_post, variant: str) -> None:  # type: ignore[no-untyped-def]
    _, policy, post = card_post
    d = legit(ForgeData())
    r = d.reviews[7]
    if variant == "teams":
        r[1]["user"] = {"login": "compliance-staff"}
        r[2]["user"] = {"login": "ebank-staff"}
    elif variant == "150-reviews":
        d.reviews[7] = [d.review(7, f"user{i}", "COMMENTED", HEAD, t(0, i % 60)) for i in range(147)] + r
    elif variant == "re-approved-after-push":
        d.reviews[7] = [dict(x, commit_id=OLD, id=x["id"] - 500, submitted_at=t(0, k)) for k, x in enumerate(r)] + r
    srv, forge = standin(d)
    verdict = _gate(forge, policy, post)
    assert verdict.ok, verdict.reasons
    if variant == "users":  # reviewers listed by login need no look-up beyond the one probe per team
        lookups = [p for p, _, _ in srv.log if "/members" in p]  # type: ignore[attr-defined]
        assert all("/editor" in p for p in lookups) and len(lookups) == 2  # xxbank/compliance, xxbank/ebanking


# -- the offline reviews file ----------------------------------------------------------------------


def test_reviews_file_shapes_and_git_revisions(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo({"2026/12-05-card-offer": post_text()})
    head = git(root, "rev-parse", "HEAD").strip()
    doc = json.loads((Path(__file__).parent / "fixtures/reviews/demo.json").read_text(encoding="utf-8"))
    f = tmp_path / "r.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    forge = ReviewsFileForge(f, root=root)
    n = 1
    pr = forge.pull(n)
    assert pr.head_sha == head and pr.merged
    assert {r.commit_id for r in forge.reviews(n)} == {head}
    assert [p.number for p in forge.pulls_for_commit(head)] == [n]
    assert forge.is_member("xxbank/compliance", "He-Compliance")
    assert not forge.is_member("xxbank/compliance", "mallory")
    with pytest.raises(ForgeError, match="not listed under 'teams'"):
        forge.is_member("xxbank/nosuch", "x")
    with pytest.raises(ForgeError, match="no pull request #999"):
        forge.pull(999)


def test_reviews_file_errors(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    with pytest.raises(ConfigError, match="not found"):
        ReviewsFileForge(f)
    f.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="not JSON"):
        ReviewsFileForge(f)
    f.write_text('{"pull": {"number": 1, "head": {"sha": "git:HEAD"}}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="needs the repository"):
        ReviewsFileForge(f)


def test_github_listing_limits_fail_closed() -> None:
    d = legit(ForgeData())
    d.commits[7] = [{"sha": f"{i:040x}", "author": {"login": "editor"}, "committer": None} for i in range(250)]
    with GitHubStandin(d) as srv:
        forge = GitHubForge(REPO, FULL_TOKEN, base_url=srv.url)
        with pytest.raises(ForgeError, match="cannot see every committer"):
            forge.commits(7)
        d.commits[7] = d.commits[7][:249]
        assert len(forge.commits(7)) == 249


def test_next_page_links_to_another_host_are_not_followed() -> None:
    class Redirecting(GitHubStandin):
        def _page(self, path, items, query, size_key, default):  # type: ignore[no-untyped-def]
            status, body, _ = super()._page(path, items, query, size_key, default)
            return status, body, {"Link": '<http://attacker.example/steal?page=2>; rel="next"'}

    d = legit(ForgeData())
    with Redirecting(d) as srv, pytest.raises(ForgeError, match="another host"):
        GitHubForge(REPO, FULL_TOKEN, base_url=srv.url).reviews(7)
