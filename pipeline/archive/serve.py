"""Serve a built archive on the local machine with http.server (for reading and for browser tests)."""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import threading
from pathlib import Path

from ..errors import UsageError
from ..i18n import _


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, with the MIME types Pagefind needs and no request log noise."""

    extensions_map = {  # noqa: RUF012 - the base class declares it as a plain class attribute
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

    COMPRESSIBLE = (".html", ".js", ".css", ".json", ".xml", ".svg", ".txt")

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        """Text files gzip-compressed when the browser accepts it (as an intranet web server would)."""
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?", 1)[0].endswith("/"):
            path = os.path.join(path, "index.html")
        if not (
            path.endswith(self.COMPRESSIBLE)
            and "gzip" in self.headers.get("Accept-Encoding", "")
            and os.path.isfile(path)
        ):
            super().do_GET()
            return
        data = _gzipped(path, os.stat(path).st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@functools.lru_cache(maxsize=256)
def _gzipped(path: str, mtime_ns: int) -> bytes:
    with open(path, "rb") as fh:
        return gzip.compress(fh.read(), compresslevel=6, mtime=0)


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for `site_dir` (not yet serving). Port 0 picks a free port."""
    if not (site_dir / "index.html").is_file():
        raise UsageError(
            _("{folder}: no built archive here", folder=site_dir), hint=_("run `wxpub archive build` first")
        )
    handler = functools.partial(Handler, directory=str(site_dir))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(
            _("cannot listen on {host}:{port}: {error}", host=host, port=port, error=exc.strerror)
        ) from None


def url_of(server: http.server.ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/" if isinstance(host, str) else f"http://{host.decode()}:{port}/"


def serve_in_thread(site_dir: Path, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    """Start serving in a daemon thread; call `.shutdown()` and `.server_close()` when done."""
    server = make_server(site_dir, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
