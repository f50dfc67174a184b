"""GitHub's REST API (or GitHub Enterprise Server's): the pull request, its reviews, commits, files,
team membership and the pull requests a commit belongs to. See docs/forge-api.md for the traps."""

from __future__ import annotations

from urllib.parse import quote

import requests

from ..errors import ForgeError
from ..i18n import N_, _
from .base import (
    Commit,
    PullRequest,
    Review,
    commit_from_json,
    files_from_json,
    pull_from_json,
    review_from_json,
    split_team,
)
from .http import Http

DEFAULT_API_URL = "https://api.github.com"
MAX_COMMITS = 250  # GET /pulls/{n}/commits lists at most 250 commits
MAX_FILES = 3000  # GET /pulls/{n}/files lists at most 3,000 files

TEAM_PERMISSION = N_(
    "the token cannot read team membership of {team}: it needs the organization permission "
    "'Members: read' (fine-grained token or GitHub App) or the classic scope 'read:org'; "
    "the default Actions GITHUB_TOKEN cannot read teams. Without it no team approval can be verified"
)


def _hint(status: int, request: str) -> str:
    if status == 404 and "/repos/" in request:
        return _("check GITHUB_REPOSITORY and that the token may read the repository ('Pull requests: read')")
    if status == 403 and "/pulls" in request:
        return _("the token needs 'Pull requests: read' and 'Contents: read' on the repository")
    return ""


class GitHubForge:
    """The `Forge` protocol over GitHub's REST API v3."""

    name = "github"

    def __init__(
        self,
        repo: str,
        token: str,
        *,
        base_url: str = DEFAULT_API_URL,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise ForgeError(_("repository {repo} is not owner/name", repo=repr(repo)))
        self.repo = repo
        self.http = Http(
            base_url or DEFAULT_API_URL,
            f"Bearer {token}",
            forge_name="GitHub",
            session=session,
            timeout=timeout,
            hints=_hint,
        )
        self._members: dict[tuple[str, str], bool] = {}
        self._teams_visible: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"GitHubForge({self.repo!r}, base_url={self.http.base_url!r})"

    @property
    def _r(self) -> str:
        return f"/repos/{self.repo}"

    def pull(self, number: int) -> PullRequest:
        return pull_from_json(self.http.get(f"{self._r}/pulls/{int(number)}", N_("pull request")))

    def reviews(self, number: int) -> list[Review]:
        items = self.http.paginate(f"{self._r}/pulls/{int(number)}/reviews", N_("reviews"), {"per_page": 100})
        return [review_from_json(d) for d in items]

    def commits(self, number: int) -> list[Commit]:
        items = self.http.paginate(f"{self._r}/pulls/{int(number)}/commits", N_("commits"), {"per_page": 100})
        if len(items) >= MAX_COMMITS:  # GitHub lists at most 250: a committer beyond them would go unseen
            raise ForgeError(
                _(
                    "pull request #{n} has {max} or more commits; GitHub lists only {max}, "
                    "so the gate cannot see every committer",
                    n=number,
                    max=MAX_COMMITS,
                ),
                hint=_("squash the branch into fewer commits"),
            )
        return [commit_from_json(d) for d in items]

    def files(self, number: int) -> list[str]:
        items = self.http.paginate(f"{self._r}/pulls/{int(number)}/files", N_("changed files"), {"per_page": 100})
        if len(items) >= MAX_FILES:  # GitHub lists at most 3,000: a change beyond them would go unseen
            raise ForgeError(
                _(
                    "pull request #{n} changes {max} or more files; GitHub lists only {max}, "
                    "so the gate cannot see every change",
                    n=number,
                    max=MAX_FILES,
                ),
                hint=_("split the pull request"),
            )
        return files_from_json(items)

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        items = self.http.paginate(
            f"{self._r}/commits/{quote(sha, safe='')}/pulls", N_("pull requests of the commit"), {"per_page": 100}
        )
        return [pull_from_json(d) for d in items]

    def is_member(self, team: str, user: str) -> bool:
        """Active membership of `org/slug`; fails closed with the missing permission when it cannot tell."""
        org, slug = split_team(team, self.repo.split("/")[0])
        name = f"{org}/{slug}"
        key = (name.lower(), user.lower())
        if key in self._members:
            return self._members[key]
        path = f"/orgs/{quote(org, safe='')}/teams/{quote(slug, safe='')}/memberships/{quote(user, safe='')}"
        try:
            resp = self.http.fetch(path, _("the membership of team {team}", team=name))
            if resp.status_code == 404:
                member = False
                self._check_team_visible(org, slug)
            else:
                body = resp.json() if resp.content else {}
                member = isinstance(body, dict) and body.get("state") == "active"
        except ValueError:
            raise ForgeError(_("GitHub sent a membership of {team} that is not JSON", team=name)) from None
        except ForgeError as exc:
            if exc.status in (403, 404):
                raise ForgeError(_(TEAM_PERMISSION, team=name), status=exc.status, request=exc.request) from None
            raise
        self._members[key] = member
        return member

    def _check_team_visible(self, org: str, slug: str) -> None:
        """A 404 on a membership means 'not a member' only if the token can see the team at all."""
        name = f"{org}/{slug}"
        team = name.lower()
        if team not in self._teams_visible:
            resp = self.http.fetch(
                f"/orgs/{quote(org, safe='')}/teams/{quote(slug, safe='')}", _("team {team}", team=team)
            )
            self._teams_visible[team] = resp.status_code != 404
        if not self._teams_visible[team]:
            raise ForgeError(
                _(TEAM_PERMISSION, team=name) + _(" (or the team does not exist: check policy/policy.yml)"),
                status=404,
            )
