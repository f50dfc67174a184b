"""Stand-ins for GitHub's and Gitea's REST APIs on loopback, for tests of the forge clients and the gate.

Real `ThreadingHTTPServer`s on 127.0.0.1 (port 0) serving the data of a `ForgeData` (kept in GitHub's
JSON shapes; the Gitea stand-in converts). They reproduce what the gate depends on: `Link`-header
pagination (GitHub: `per_page`/`page`, capped at `max_page`; Gitea: `limit`/`page`), 404 for
non-members of a team, dismissed and stale reviews, `/commits/{sha}/pulls` (GitHub) and
`/commits/{sha}/pull` (Gitea), 401 for an unknown token and 403 on team endpoints for a token without
organisation read access. Every request is logged in `.log` as (path, query, authorization header).

    data = ForgeData()
    data.add_pull(7, author="editor", head="abc...", files=["posts/2026/12-05-x/index.md"])
    data.review(7, "li-retail", "APPROVED", "abc...", "2026-11-20T02:00:00Z")
    data.teams["xxbank/compliance"] = {"he-compliance": "active"}
    with GitHubStandin(data) as gh:
        forge = GitHubForge("xxbank/wechat", "full-token", base_url=gh.url)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

REPO = "xxbank/wechat"
FULL_TOKEN = "full-token"  # may read the repository and the organisation's teams
REPO_TOKEN = "repo-token"  # may read the repository only (like the default Actions token)


@dataclass
class ForgeData:
    """What the stand-ins serve, in GitHub's shapes."""

    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    teams: dict[str, dict[str, str]] = field(default_factory=dict)  # org/slug -> {login: active|pending}
    _next_id: int = 1000

    def add_pull(
        self,
        number: int,
        *,
        author: str = "editor",
        head: str = "a" * 40,
        files: list[str] | None = None,
        commits: list[tuple[str, str, str]] | None = None,
        created_at: str = "2026-11-20T01:00:00Z",
        merged: bool = False,
        merge_commit_sha: str | None = None,
        title: str = "post",
        base: str = "",
    ) -> dict[str, Any]:
        """A pull request; `base` is the base commit's sha (`base.sha`: the gate reads the policy there)."""
        pull = {
            "number": number,
            "title": title,
            "user": {"login": author},
            "created_at": created_at,
            "head": {"sha": head, "ref": f"post-{number}"},
            "base": {"ref": "main", "sha": base or None},
            "merged": merged,
            "merged_at": "2026-11-21T01:00:00Z" if merged else None,
            "merge_commit_sha": merge_commit_sha,
        }
        self.pulls[number] = pull
        self.reviews.setdefault(number, [])
        self.files[number] = [{"filename": f, "status": "added"} for f in (files or [])]
        commits = commits or [(head, author, author)]
        self.commits[number] = [
            {"sha": sha, "author": {"login": a} if a else None, "committer": {"login": c} if c else None}
            for sha, a, c in commits
        ]
        return pull

    def message(
        self,
        number: int,
        sha: str,
        message: str,
        *,
        author_email: str = "",
        committer_email: str = "",
        author_name: str = "",
    ) -> None:
        """Give commit `sha` of pull request `number` a message and git e-mails, in the forges' shape
        (`commit.message`, `commit.author.email`): where `Co-authored-by:` trailers are read from."""
        for c in self.commits[number]:
            if c["sha"] == sha:
                c["commit"] = {
                    "message": message,
                    "author": {"name": author_name, "email": author_email},
                    "committer": {"name": author_name, "email": committer_email or author_email},
                }
                return
        raise KeyError(sha)

    def review(self, number: int, user: str, state: str, commit_id: str | None, at: str) -> dict[str, Any]:
        self._next_id += 1
        r = {
            "id": self._next_id,
            "user": {"login": user},
            "state": state,
            "commit_id": commit_id,
            "submitted_at": at,
            "author_association": "MEMBER",
            "body": "",
        }
        self.reviews.setdefault(number, []).append(r)
        return r


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Base:
    """Start/stop and the request log shared by both stand-ins."""

    prefix = ""

    def __init__(
        self,
        data: ForgeData,
        *,
        repo: str = REPO,
        max_page: int = 100,
        link_headers: bool = True,
        total_header: bool = False,
    ) -> None:
        self.data = data
        self.total_header = total_header
        self.repo = repo
        self.max_page = max_page
        self.link_headers = link_headers
        self.log: list[tuple[str, dict[str, list[str]], str]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                auth = self.headers.get("Authorization", "")
                standin.log.append((parts.path, query, auth))
                status, body, headers = standin.route(unquote(parts.path), query, auth)
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}{self.prefix}"
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> _Base:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def route(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def _page(
        self, path: str, items: list[Any], query: dict[str, list[str]], size_key: str, default: int
    ) -> tuple[int, Any, dict[str, str]]:
        size = min(int(query.get(size_key, [default])[0]), self.max_page)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * size : page * size]
        headers: dict[str, str] = {}
        last = max(1, -(-len(items) // size))
        if self.total_header:
            headers["X-Total-Count"] = str(len(items))
        if self.link_headers and page < last:
            base = self.url.removesuffix(self.prefix) + self.prefix + path
            nxt = urlencode({**{k: v[0] for k, v in query.items()}, size_key: size, "page": page + 1})
            end = urlencode({**{k: v[0] for k, v in query.items()}, size_key: size, "page": last})
            headers["Link"] = f'<{base}?{nxt}>; rel="next", <{base}?{end}>; rel="last"'
        return 200, chunk, headers


def _nf() -> tuple[int, Any, dict[str, str]]:
    return 404, {"message": "Not Found"}, {}


class GitHubStandin(_Base):
    """GitHub's REST API v3, the parts the gate uses. Tokens: `Bearer full-token` or `Bearer repo-token`."""

    def route(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any, dict[str, str]]:
        token = auth.removeprefix("Bearer ").removeprefix("token ")
        if token not in (FULL_TOKEN, REPO_TOKEN):
            return 401, {"message": "Bad credentials"}, {}
        seg = path.strip("/").split("/")
        d = self.data
        if seg[0] == "orgs" and len(seg) >= 4 and seg[2] == "teams":
            if token != FULL_TOKEN:
                return 403, {"message": "Resource not accessible by integration"}, {}
            team = f"{seg[1]}/{seg[3]}"
            if team not in d.teams:
                return _nf()
            if len(seg) == 4:
                return 200, {"slug": seg[3], "name": seg[3]}, {}
            if len(seg) == 6 and seg[4] == "memberships":
                state = d.teams[team].get(seg[5])
                return (200, {"state": state, "role": "member"}, {}) if state else _nf()
            return _nf()
        repo = "/".join(seg[1:3])
        if seg[0] != "repos" or repo != self.repo:
            return _nf()
        rest = seg[3:]
        if len(rest) == 3 and rest[0] == "commits" and rest[2] == "pulls":
            sha = rest[1]
            found = [
                p
                for n, p in d.pulls.items()
                if sha in {p["head"]["sha"], p.get("merge_commit_sha")} | {c["sha"] for c in d.commits.get(n, [])}
            ]
            return self._page(path, found, query, "per_page", 30)
        if len(rest) < 2 or rest[0] != "pulls" or not rest[1].isdigit() or int(rest[1]) not in d.pulls:
            return _nf()
        n = int(rest[1])
        if len(rest) == 2:
            return 200, d.pulls[n], {}
        table = {"reviews": d.reviews, "commits": d.commits, "files": d.files}.get(rest[2])
        if table is None or len(rest) != 3:
            return _nf()
        return self._page(path, table.get(n, []), query, "per_page", 30)


_GITEA_STATE = {"CHANGES_REQUESTED": "REQUEST_CHANGES", "COMMENTED": "COMMENT"}


class GiteaStandin(_Base):
    """Gitea's / Forgejo's API v1 (`/api/v1`), the parts the gate uses. Tokens: `token full-token` etc."""

    prefix = "/api/v1"

    def __init__(
        self,
        data: ForgeData,
        *,
        repo: str = REPO,
        max_page: int = 50,
        link_headers: bool = True,
        total_header: bool = True,
    ) -> None:
        super().__init__(data, repo=repo, max_page=max_page, link_headers=link_headers, total_header=total_header)

    def _gitea_review(self, n: int, r: dict[str, Any]) -> dict[str, Any]:
        head = self.data.pulls[n]["head"]["sha"]
        dismissed = r["state"] == "DISMISSED"
        state = "APPROVED" if dismissed else _GITEA_STATE.get(r["state"], r["state"])
        return {
            "id": r["id"],
            "user": r["user"],
            "state": state,
            "commit_id": r["commit_id"],
            "submitted_at": r["submitted_at"],
            "stale": r["commit_id"] != head,
            "official": True,
            "dismissed": dismissed,
        }

    def route(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any, dict[str, str]]:
        token = auth.removeprefix("token ")
        if token not in (FULL_TOKEN, REPO_TOKEN):
            return 401, {"message": "token is required"}, {}
        path = path.removeprefix(self.prefix)
        seg = path.strip("/").split("/")
        d = self.data
        ids = {team: i + 1 for i, team in enumerate(sorted(d.teams))}
        if seg[:1] == ["orgs"] and seg[2:] == ["teams", "search"]:
            if token != FULL_TOKEN:
                return (
                    403,
                    {"message": "token does not have at least one of required scope(s): [read:organization]"},
                    {},
                )
            q = query.get("q", [""])[0].lower()
            found = [{"id": i, "name": t.split("/")[1]} for t, i in ids.items() if t.startswith(seg[1] + "/")]
            return 200, {"ok": True, "data": [t for t in found if q in t["name"].lower()]}, {}
        if seg[:1] == ["teams"] and len(seg) == 4 and seg[2] == "members":
            if token != FULL_TOKEN:
                return (
                    403,
                    {"message": "token does not have at least one of required scope(s): [read:organization]"},
                    {},
                )
            team = next((t for t, i in ids.items() if str(i) == seg[1]), None)
            if team is None or d.teams[team].get(seg[3]) != "active":
                return _nf()
            return 200, {"login": seg[3]}, {}
        if seg[0] != "repos" or "/".join(seg[1:3]) != self.repo:
            return _nf()
        rest = seg[3:]
        if len(rest) == 3 and rest[0] == "commits" and rest[2] == "pull":
            sha = rest[1]
            for n, p in d.pulls.items():
                shas = {p["head"]["sha"], p.get("merge_commit_sha")} | {c["sha"] for c in d.commits.get(n, [])}
                if p["merged"] and sha in shas:
                    return 200, p, {}
            return _nf()
        if len(rest) < 2 or rest[0] != "pulls" or not rest[1].isdigit() or int(rest[1]) not in d.pulls:
            return _nf()
        n = int(rest[1])
        if len(rest) == 2:
            return 200, d.pulls[n], {}
        if len(rest) != 3:
            return _nf()
        if rest[2] == "reviews":
            items = [self._gitea_review(n, r) for r in d.reviews.get(n, [])]
        elif rest[2] == "commits":
            items = d.commits.get(n, [])
        elif rest[2] == "files":
            items = d.files.get(n, [])
        else:
            return _nf()
        return self._page("/" + path.strip("/"), items, query, "limit", 30)
