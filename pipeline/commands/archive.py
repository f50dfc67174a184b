"""`wxpub archive build|serve`: the internal MkDocs archive of every publication and its approval form."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import N_, _
from ._common import add_root, root_and_policy

# the steps of an archive build, as its timing line names them
BUILD_STEPS = {
    "collect": N_("collect"),
    "mkdocs": N_("mkdocs"),
    "indexes": N_("indexes"),
    "posts": N_("posts"),
    "search": N_("search"),
}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "archive",
        help=_("build or serve the internal archive site of published posts"),
        description=_("The archive: every published post with its record and approval form, searchable in Chinese."),
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = actions.add_parser("build", help=_("build the site (pages, RSS feed and the Pagefind search index)"))
    b.add_argument("--site-dir", metavar="DIR", help=_("where to write the site (default: site/)"))
    b.add_argument(
        "--records-dir",
        metavar="DIR",
        help=_("read records from this folder (default: the wxpub-records branch, or origin/wxpub-records)"),
    )
    b.add_argument("--records-ref", metavar="REF", help=_("read records from this git ref instead of the branch"))
    b.add_argument("--no-search", action="store_true", help=_("skip the search index (Pagefind)"))
    b.add_argument("--full", action="store_true", help=_("rewrite every page instead of only the changed ones"))
    add_root(b)
    b.set_defaults(func=run_build)
    s = actions.add_parser("serve", help=_("serve the built site on this machine"))
    s.add_argument("--site-dir", metavar="DIR", help=_("the built site (default: site/)"))
    s.add_argument("--port", type=int, default=8000, help=_("port (default: 8000; 0 picks a free one)"))
    s.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1)"))
    add_root(s)
    s.set_defaults(func=run_serve)


def run_build(args: argparse.Namespace) -> int:
    from ..archive import build_archive

    root, _policy = root_and_policy(args)
    result = build_archive(
        root,
        Path(args.site_dir) if args.site_dir else None,
        Path(args.records_dir) if args.records_dir else None,
        ref=args.records_ref,
        search=not args.no_search,
        incremental=not args.full,
    )
    secs = " ".join(
        _("{step} {seconds}s", step=_(BUILD_STEPS[k]) if k in BUILD_STEPS else k, seconds=round(v, 1))
        for k, v in result.seconds.items()
    )
    print(
        _(
            "archive: {posts} publications ({retracted} retracted), {written} post pages written, "
            "{index_pages} index pages -> {site} ({timing})",
            posts=result.posts,
            retracted=result.retracted,
            written=result.written,
            index_pages=result.index_pages,
            site=result.site_dir,
            timing=secs,
        )
    )
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import threading

    from ..archive import make_server, url_of
    from ..signals import stop_on_signals, wait_for

    root, _policy = root_and_policy(args)
    site = Path(args.site_dir).resolve() if args.site_dir else root / "site"
    with stop_on_signals() as stop:  # before serving: Ctrl-C or SIGTERM at any moment stops cleanly, exit 0
        server = make_server(site, args.host, args.port)
        threading.Thread(target=server.serve_forever, name="wxpub-archive", daemon=True).start()
        try:
            print(_("archive: serving {site} at {url} (Ctrl-C stops)", site=site, url=url_of(server)), flush=True)
            wait_for(stop)
        finally:
            server.shutdown()
            server.server_close()
    return 0
