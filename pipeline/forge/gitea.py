"""Gitea / Forgejo's REST API (`{url}/api/v1`): the same operations as GitHub's, with Gitea's shapes.

Differences handled here: review states REQUEST_CHANGES / COMMENT (normalised in `base`), a
`dismissed` flag instead of a DISMISSED state, pages by `page`/`limit` (and a `Link` header), teams
looked up by name through `/orgs/{org}/teams/search`, and `/commits/{sha}/pull` (one merged PR).
"""

from __future__ import annotations

from typing import Any
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

PAGE = 50  # Gitea's default MAX_RESPONSE_ITEMS

TEAM_PERMISSION = N_(
    "the token cannot read team membership of {team}: it needs the scope 'read:organization' and "
    "membership of the organisation; without it no team approval can be verified"
)


def api_url(url: str) -> str:
    """`https://git.bank.example` or `.../api/v1` -> the API base."""
    url = url.rstrip("/")
    return url if url.endswith("/api/v1") else url + "/api/v1"


def _hint(status: int, request: str) -> str:
    if status == 404 and "/repos/" in request:
        return _("check the repository (owner/name) and that the token may read it (scope 'read:repository')")
    if status == 403:
        return _("the token needs the scopes 'read:repository' and 'read:organization'")
    return ""


class GiteaForge:
    """The `Forge` protocol over Gitea's / Forgejo's API v1."""

    name = "gitea"

    def __init__(
        self,
        repo: str,
        token: str,
        *,
        base_url: str,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise ForgeError(_("repository {repo} is not owner/name", repo=repr(repo)))
        self.repo = repo
        self.http = Http(
            api_url(base_url), f"token {token}", forge_name="Gitea", session=session, timeout=timeout, hints=_hint
        )
        self._members: dict[tuple[str, str], bool] = {}
        self._team_ids: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"GiteaForge({self.repo!r}, base_url={self.http.base_url!r})"

    @property
    def _r(self) -> str:
        return f"/repos/{self.repo}"

    def _list(self, path: str, what: str) -> list[Any]:
        return self.http.paginate(path, what, {"limit": PAGE, "page": 1}, page_size_key="limit")

    def pull(self, number: int) -> PullRequest:
        return pull_from_json(self.http.get(f"{self._r}/pulls/{int(number)}", N_("pull request")))

    def reviews(self, number: int) -> list[Review]:
        return [review_from_json(d) for d in self._list(f"{self._r}/pulls/{int(number)}/reviews", N_("reviews"))]

    def commits(self, number: int) -> list[Commit]:
        return [commit_from_json(d) for d in self._list(f"{self._r}/pulls/{int(number)}/commits", N_("commits"))]

    def files(self, number: int) -> list[str]:
        return files_from_json(self._list(f"{self._r}/pulls/{int(number)}/files", N_("changed files")))

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        resp = self.http.fetch(f"{self._r}/commits/{quote(sha, safe='')}/pull", N_("pull request of the commit"))
        if resp.status_code == 404:
            return []
        try:
            return [pull_from_json(resp.json())]
        except ValueError:
            raise ForgeError(_("Gitea sent a pull request that is not JSON")) from None

    def _team_id(self, org: str, name: str) -> int:
        key = f"{org}/{name}".lower()
        if key not in self._team_ids:
            try:
                found = self.http.paginate(
                    f"/orgs/{quote(org, safe='')}/teams/search",
                    _("teams of {org}", org=org),
                    {"q": name, "limit": PAGE},
                )
            except ForgeError as exc:
                if exc.status in (403, 404):
                    raise ForgeError(_(TEAM_PERMISSION, team=key), status=exc.status, request=exc.request) from None
                raise
            wanted = name.lower()
            ids = [int(t["id"]) for t in found if isinstance(t, dict) and str(t.get("name", "")).lower() == wanted]
            if not ids:
                raise ForgeError(
                    _(TEAM_PERMISSION, team=key) + " (or the team does not exist: check policy/policy.yml)",
                    status=404,
                )
            self._team_ids[key] = ids[0]
        return self._team_ids[key]

    def is_member(self, team: str, user: str) -> bool:
        org, name = split_team(team, self.repo.split("/")[0])
        key = (f"{org}/{name}".lower(), user.lower())
        if key not in self._members:
            team_id = self._team_id(org, name)
            try:
                resp = self.http.fetch(f"/teams/{team_id}/members/{quote(user, safe='')}", f"members of {org}/{name}")
            except ForgeError as exc:
                if exc.status == 403:
                    raise ForgeError(
                        TEAM_PERMISSION.format(team=f"{org}/{name}"), status=403, request=exc.request
                    ) from None
                raise
            self._members[key] = resp.status_code == 200
        return self._members[key]
