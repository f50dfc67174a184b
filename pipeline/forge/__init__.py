"""Forges (GitHub, Gitea/Forgejo, an offline reviews file): the only code that knows a forge's API.

`client_from_env(kind)` builds a client from the CI's environment:
GitHub: `GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL` (default https://api.github.com).
Gitea/Forgejo: `GITEA_TOKEN`, `GITEA_URL` (or Gitea Actions' `GITHUB_SERVER_URL`), and
`GITEA_REPOSITORY` or `GITHUB_REPOSITORY`. Tokens are read from the environment only, never from flags.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import requests

from ..errors import ConfigError
from ..i18n import _
from .base import Commit, Forge, PullRequest, Review
from .gitea import GiteaForge
from .github import DEFAULT_API_URL, GitHubForge
from .reviews_file import ReviewsFileForge

__all__ = [
    "Commit",
    "Forge",
    "GitHubForge",
    "GiteaForge",
    "PullRequest",
    "Review",
    "ReviewsFileForge",
    "client_from_env",
]

KINDS = ("github", "gitea")


def client_from_env(
    kind: str = "github",
    *,
    repo: str | None = None,
    base_url: str | None = None,
    token: str | None = None,
    session: requests.Session | None = None,
    env: Mapping[str, str] | None = None,
) -> GitHubForge | GiteaForge:
    """A forge client from arguments, falling back to the environment. Raises `ConfigError` (exit 2)
    naming the missing variable."""
    env = os.environ if env is None else env
    if kind == "github":
        token = token or env.get("GITHUB_TOKEN")
        repo = repo or env.get("GITHUB_REPOSITORY")
        base_url = base_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL
        if not token:
            raise ConfigError(
                _("GITHUB_TOKEN is not set"),
                hint=_(
                    "pass it to the step: env: GITHUB_TOKEN: ${{ secrets.WXPUB_FORGE_TOKEN }} "
                    "(a token that may read pull requests and the organisation's team members)"
                ),
            )
        if not repo:
            raise ConfigError(_("GITHUB_REPOSITORY is not set"), hint=_("set it to owner/name or pass --repo"))
        return GitHubForge(repo, token, base_url=base_url, session=session)
    if kind == "gitea":
        token = token or env.get("GITEA_TOKEN")
        repo = repo or env.get("GITEA_REPOSITORY") or env.get("GITHUB_REPOSITORY")
        base_url = base_url or env.get("GITEA_URL") or env.get("GITHUB_SERVER_URL")
        if not token:
            raise ConfigError(_("GITEA_TOKEN is not set"), hint=_("a token with read:repository and read:organization"))
        if not base_url:
            raise ConfigError(_("GITEA_URL is not set"), hint=_("set it to the server, e.g. https://git.bank.example"))
        if not repo:
            raise ConfigError(_("GITEA_REPOSITORY is not set"), hint=_("set it to owner/name or pass --repo"))
        return GiteaForge(repo, token, base_url=base_url, session=session)
    raise ConfigError(_("unknown forge {kind}; expected one of {kinds}", kind=repr(kind), kinds=", ".join(KINDS)))
