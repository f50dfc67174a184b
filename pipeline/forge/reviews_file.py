"""An offline forge: a JSON file in GitHub's shapes, for the demo, tests and `--reviews-file`.

The file holds one pull request, or several under `pulls`:

    {
      "pull":    {"number": 12, "user": {"login": "editor"}, "created_at": "2026-11-20T02:00:00Z",
                  "head": {"sha": "git:HEAD"}, "base": {"ref": "main"}, "merged": true,
                  "merge_commit_sha": "git:HEAD", "title": "..."},
      "reviews": [{"id": 1, "user": {"login": "li-retail"}, "state": "APPROVED",
                   "commit_id": "git:HEAD", "submitted_at": "2026-11-20T03:00:00Z"}],
      "commits": [{"sha": "git:HEAD", "author": {"login": "editor"}, "committer": {"login": "editor"}}],
      "files":   [{"filename": "posts/2026/12-05-card-offer/index.md"}],
      "teams":   {"xxbank/compliance": ["he-compliance"]}
    }

or `{"pulls": [{"pull": ..., "reviews": ..., "commits": ..., "files": ...}, ...], "teams": {...}}`.
Every object is exactly what GitHub's REST API returns (extra fields are ignored); Gitea's review
states are accepted too. `teams` maps `org/slug` to its active members; a team that is not listed
cannot be read, which fails closed like a token without the permission. A SHA written `git:<rev>`
(e.g. `git:HEAD`) is resolved with `git rev-parse` in the repository, so a file can name commits made
after it was written (the demo does).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ForgeError
from ..i18n import _
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

SHA_KEYS = ("sha", "commit_id", "merge_commit_sha")


class ReviewsFileForge:
    """The `Forge` protocol over a reviews file (see the module docstring for its shape)."""

    name = "reviews-file"

    def __init__(self, path: Path | str, *, root: Path | None = None) -> None:
        self.path = Path(path)
        self.root = root
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(_("{path}: reviews file not found", path=self.path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(_("{path}: cannot read the reviews file: {error}", path=self.path, error=exc)) from None
        except json.JSONDecodeError as exc:
            raise ConfigError(
                _("{path}:{line}: not JSON: {error}", path=self.path, line=exc.lineno, error=exc.msg)
            ) from None
        if not isinstance(doc, dict):
            raise ConfigError(
                _("{path}:1: expected a JSON object with pull, reviews, commits, files, teams", path=self.path)
            )
        doc = self._resolve(doc)
        entries = doc.get("pulls") if "pulls" in doc else [doc]
        if not isinstance(entries, list) or not entries:
            raise ConfigError(_("{path}: 'pulls' must be a non-empty list", path=self.path))
        self._pulls: dict[int, dict[str, Any]] = {}
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("pull"), dict):
                raise ConfigError(_("{path}: every pull request entry needs a 'pull' object", path=self.path))
            try:
                number = pull_from_json(entry["pull"]).number
            except ForgeError as exc:
                raise ConfigError(f"{self.path}: {exc.message}") from None
            self._pulls[number] = entry
        teams = doc.get("teams") or {}
        if not isinstance(teams, dict):
            raise ConfigError(_("{path}: 'teams' must map org/slug to a list of logins", path=self.path))
        self.teams = {str(k).lower(): {str(u).lower() for u in (v or [])} for k, v in teams.items()}

    def _resolve(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            return {
                k: self._rev(v) if k in SHA_KEYS and isinstance(v, str) else self._resolve(v) for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [self._resolve(v) for v in obj]
        return obj

    def _rev(self, value: str) -> str:
        if not value.startswith("git:"):
            return value
        if self.root is None:
            raise ConfigError(
                _("{path}: {value} needs the repository to resolve it", path=self.path, value=repr(value))
            )
        try:
            out = subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", value[4:] + "^{commit}"],
                cwd=self.root,
                capture_output=True,
                text=True,
                check=True,
            )
        except (subprocess.CalledProcessError, OSError):
            raise ConfigError(
                _("{path}: {value} does not name a commit in {root}", path=self.path, value=repr(value), root=self.root)
            ) from None
        return out.stdout.strip()

    def _entry(self, number: int) -> Mapping[str, Any]:
        entry = self._pulls.get(int(number))
        if entry is None:
            raise ForgeError(
                _("{path}: no pull request #{n} in the reviews file", path=self.path, n=number), status=404
            )
        return entry

    def _items(self, number: int, key: str) -> list[Any]:
        items = self._entry(number).get(key) or []
        if not isinstance(items, list):
            raise ConfigError(
                _("{path}: {key} of pull request #{n} must be a list", path=self.path, key=repr(key), n=number)
            )
        return items

    def pull(self, number: int) -> PullRequest:
        return pull_from_json(self._entry(number)["pull"])

    def reviews(self, number: int) -> list[Review]:
        return [review_from_json(d) for d in self._items(number, "reviews")]

    def commits(self, number: int) -> list[Commit]:
        return [commit_from_json(d) for d in self._items(number, "commits")]

    def files(self, number: int) -> list[str]:
        return files_from_json(self._items(number, "files"))

    def is_member(self, team: str, user: str) -> bool:
        org, slug = split_team(team)
        name = f"{org}/{slug}"
        members = self.teams.get(name.lower())
        if members is None:
            raise ForgeError(
                _(
                    "{path}: team {team} is not listed under 'teams'; its members cannot be read",
                    path=self.path,
                    team=name,
                ),
                status=403,
            )
        return user.lower() in members

    def pulls_for_commit(self, sha: str) -> list[PullRequest]:
        """The pull requests whose head, merge commit or commits include `sha`."""
        out = []
        for number in self._pulls:
            pr = self.pull(number)
            shas = {pr.head_sha, pr.merge_commit_sha, *(c.sha for c in self.commits(number))}
            if sha in shas:
                out.append(pr)
        return out

    def pull_touching(self, path: str) -> int:
        """The number of the pull request in the file that changes `path` (its post folder), else the only one."""
        folder = path.rsplit("/", 1)[0] + "/"
        for number in self._pulls:
            if any(f == path or f.startswith(folder) for f in self.files(number)):
                return number
        if len(self._pulls) == 1:
            return next(iter(self._pulls))
        raise ConfigError(_("{file}: no pull request changes {path}; pass --pr N", file=self.path, path=path))
