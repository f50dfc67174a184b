"""`wxpub editor build|serve`: the web editor (Decap CMS) at /admin/, generated from the policy."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..i18n import _
from ..signals import stop_on_signals, wait_for
from ._common import add_root, root_and_policy


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "editor",
        help=_("the web editor at /admin/: build it from the policy, or serve it with a local backend"),
        description=_(
            "Decap CMS for editors who do not use git: a form generated from policy/policy.yml "
            "whose every save is a branch and a pull request (editorial workflow)."
        ),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    b = actions.add_parser(
        "build",
        help=_("write admin/index.html and admin/config.yml from the policy, and copy the bundle beside them"),
    )
    b.add_argument("--check", action="store_true", help=_("only say whether the committed files are up to date"))
    b.add_argument("--no-bundle", action="store_true", help=_("do not copy the npm bundle into admin/vendor/"))
    b.add_argument("--site-dir", metavar="DIR", help=_("also copy the whole editor into DIR/admin/ (the archive)"))
    b.add_argument(
        "--forge",
        choices=("github", "forgejo"),
        help=_("set the backend: github, or forgejo for a Gitea or Forgejo forge (default: kept)"),
    )
    b.add_argument("--repo", metavar="OWNER/NAME", help=_("set the repository the editor writes to"))
    b.add_argument("--branch", metavar="NAME", help=_("set the branch pull requests go to (default: main)"))
    b.add_argument("--base-url", metavar="URL", help=_("GitHub: the auth proxy that holds the OAuth client secret"))
    b.add_argument("--api-root", metavar="URL", help=_("the forge's API (Forgejo/Gitea: https://HOST/api/v1)"))
    b.add_argument("--app-id", metavar="ID", help=_("Forgejo/Gitea: the OAuth2 application's client id (PKCE)"))
    add_root(b)
    b.set_defaults(func=run_build)

    s = actions.add_parser("serve", help=_("serve /admin/ on 127.0.0.1 with decap-server on a git repository"))
    s.add_argument("--port", type=int, default=8080, help=_("the page's port (default 8080; 0: any)"))
    s.add_argument("--backend-port", type=int, default=0, help=_("decap-server's port (default: any free one)"))
    s.add_argument(
        "--repo-dir",
        metavar="DIR",
        help=_(
            "the git repository decap-server writes branches into (default: the repository itself; "
            "it checks branches out there, so prefer a clone nobody works in)"
        ),
    )
    add_root(s)
    s.set_defaults(func=run_serve)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _backend_options(args: argparse.Namespace, current: dict[str, Any] | None) -> dict[str, Any] | None:
    given = {
        "name": args.forge,
        "repo": args.repo,
        "branch": args.branch,
        "base_url": args.base_url,
        "api_root": args.api_root,
        "app_id": args.app_id,
    }
    given = {k: v for k, v in given.items() if v}
    if not given:
        return None
    backend = dict(current or {})
    if "name" in given and given["name"] != backend.get("name"):
        backend = {}
    backend.update(given)
    return backend


def run_build(args: argparse.Namespace) -> int:
    from ..editor import build
    from ..editor.config import backend_of, default_backend

    root, policy = root_and_policy(args)
    config_file = root / build.ADMIN_DIR / "config.yml"
    current = backend_of(config_file.read_text(encoding="utf-8")) if config_file.is_file() else None
    backend = _backend_options(args, current or default_backend(policy))
    generated = build.generate(root, policy, backend)
    admin = root / build.ADMIN_DIR
    if args.check:
        stale = generated.stale(admin)
        for name in stale:
            print(_("{path}: out of date with policy/policy.yml; run `wxpub editor build`", path="admin/" + name))
        return 1 if stale else 0
    changed = build.write(root, generated)
    for name in changed:
        print(_("wrote {path}", path="admin/" + name))
    if not changed:
        print(_("admin/ is up to date with the policy"))
    if not args.no_bundle:
        size = build.copy_bundle(root, policy)
        print(_("bundle: {size} KB in admin/vendor/", size=size // 1024))
    if args.site_dir:
        target = Path(args.site_dir).resolve() / "admin"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(admin, target)
        print(_("copied the editor to {path}", path=target))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from ..editor import build
    from ..editor.serve import start_local

    root, policy = root_and_policy(args)
    build.write(root, build.generate(root, policy))
    build.copy_bundle(root, policy)
    repo = Path(args.repo_dir).resolve() if args.repo_dir else root
    if not (repo / ".git").exists():
        raise UsageError(_("{path}: not a git repository", path=repo), hint=_("give --repo-dir a git clone"))
    with stop_on_signals() as stop:
        editor = start_local(root / build.ADMIN_DIR, root, repo, port=args.port, backend_port=args.backend_port)
        try:
            print(_("editor: {url} (local backend: branches in {repo}; Ctrl-C to stop)", url=editor.url, repo=repo))
            print(_("see the branches a save made: git -C {repo} branch --list 'cms/*'", repo=repo), flush=True)
            wait_for(stop)
        finally:
            editor.stop()
    return 0
