"""`wxpub preview POST`: a self-contained phone-width preview of the post, written to a file or served."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from .. import report
from ..findings import Severity
from ..i18n import _
from ..render import preview_html
from ..render.preview import serve
from ..signals import stop_on_signals, wait_for
from ._common import add_root, root_and_policy
from .render import load_one


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "preview",
        help=_("write (or serve) a 375 px phone preview of a post"),
        description=_(
            "Write a self-contained HTML preview (cover, title, author, account, date, digest and body, "
            "375 px wide, images embedded). Default file: <tmp>/wxpub-preview/<post-id>.html."
        ),
    )
    p.add_argument("post", metavar="POST", help=_("a post folder or its index.md"))
    p.add_argument("--output", "-o", metavar="FILE", help=_("write the preview to FILE"))
    p.add_argument("--serve", action="store_true", help=_("also serve it on http://127.0.0.1:PORT/ until Ctrl-C"))
    p.add_argument("--port", type=int, default=8765, metavar="N", help=_("port for --serve (default 8765; 0: any)"))
    add_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    post, findings = load_one(args.post, root, policy)
    page = preview_html(post, root, policy)
    if args.output:
        out = Path(args.output)
    else:
        out = Path(tempfile.gettempdir()) / "wxpub-preview" / (re.sub(r"[^\w.-]+", "_", post.id) + ".html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(_("preview: {path}", path=out))
    if findings:
        print(report.to_text(sorted(findings), 1), file=sys.stderr)
    if args.serve:
        with stop_on_signals() as stop:  # installed before serving: Ctrl-C at any moment stops cleanly, exit 0
            try:
                server = serve(page, port=args.port)
            except OSError as exc:
                print(
                    _(
                        "wxpub: cannot listen on {address}: {reason}; try --port 0",
                        address="127.0.0.1:" + str(args.port),
                        reason=exc.strerror,
                    ),
                    file=sys.stderr,
                )
                return 2
            try:
                url = f"http://127.0.0.1:{server.server_address[1]}/"
                print(_("serving {url} (Ctrl-C to stop)", url=url), flush=True)
                wait_for(stop)
            finally:
                server.shutdown()
                server.server_close()
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0
