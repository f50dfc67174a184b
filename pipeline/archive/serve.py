"""Serve a built archive on the local machine with http.server (for reading and for browser tests)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import ClassVar

from ..errors import UsageError


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, with the MIME types Pagefind needs and no request log noise."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".pagefind": "application/octet-stream",
        ".pf_meta": "application/octet-stream",
        ".pf_index": "application/octet-stream",
        ".pf_fragment": "application/octet-stream",
        ".pf_filter": "application/octet-stream",
        ".js": "text/javascript",
        ".xml": "application/xml",
    }

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for `site_dir` (not yet serving). Port 0 picks a free port."""
    if not (site_dir / "index.html").is_file():
        raise UsageError(f"{site_dir}: no built archive here", hint="run `wxpub archive build` first")
    handler = functools.partial(Handler, directory=str(site_dir))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def url_of(server: http.server.ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def serve_in_thread(site_dir: Path, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    """Start serving in a daemon thread; call `.shutdown()` and `.server_close()` when done."""
    server = make_server(site_dir, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
