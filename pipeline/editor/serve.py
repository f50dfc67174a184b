"""Serve /admin/ on the local machine, with decap-server as the local backend on a git repository.

The page and its bundle come from `admin/`; `/api/v1` is passed to decap-server (its git mode, which
supports the editorial workflow: every entry a `cms/posts/<slug>` branch), so the page talks to its own
origin only and decap-server listens on 127.0.0.1 alone. decap-server checks branches out in the
repository it is given: point it at a clone nobody works in (the demo uses its temporary copy).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..i18n import _
from .build import node_modules_root
from .config import config_yaml, local_config

DECAP_SERVER = Path("node_modules/decap-server/dist/index.js")
MAX_BODY = 60 * 1024 * 1024  # decap-server takes JSON bodies up to 50 MB (images are base64 inside)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class LocalBackend:
    """decap-server in git mode on `repo`, on 127.0.0.1:`port`."""

    root: Path
    repo: Path
    port: int = 0
    log: Path | None = None  # decap-server's messages (default: a temporary file, shown if it fails)
    origin: str | None = None  # the only web origin whose pages may call it directly (CORS)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self, timeout: float = 20.0) -> None:
        script = node_modules_root(self.root) / DECAP_SERVER
        node = shutil.which("node")
        if node is None or not script.is_file():
            raise ConfigError(
                _("decap-server is not installed (node and {path} are needed)", path=script),
                hint=_("install Node.js 20 and run `npm ci` (scripts/bootstrap.sh does it)"),
            )
        if not (self.repo / ".git").exists():
            raise ConfigError(_("{path}: not a git repository; the local backend needs one", path=self.repo))
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "MODE": "git",
            "PORT": str(self.port),
            "BIND_HOST": "127.0.0.1",
            "GIT_REPO_DIRECTORY": str(self.repo),
            "LOG_LEVEL": os.environ.get("WXPUB_DECAP_LOG_LEVEL", "warn"),
        }
        if self.origin:
            env["ORIGIN"] = self.origin  # else decap-server lets any page on localhost drive it
        if self.log is None:
            handle, name = tempfile.mkstemp(prefix="decap-server-", suffix=".log")
            os.close(handle)
            self.log = Path(name)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([node, str(script)], env=env, cwd=self.repo, stdout=out, stderr=out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.log.read_text(encoding="utf-8", errors="replace")
                raise ConfigError(_("decap-server stopped at start: {error}", error=err.strip()[-500:]))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise ConfigError(_("decap-server did not start listening on 127.0.0.1:{port}", port=self.port))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Handler(http.server.SimpleHTTPRequestHandler):
    """admin/ at /admin/, the local configuration at /admin/config.yml, /api/v1 passed to decap-server."""

    extensions_map = {  # noqa: RUF012 - the base class declares it as a plain class attribute
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".yml": "text/yaml; charset=utf-8",
    }

    def __init__(self, *args: Any, site: EditorSite, **kwargs: Any) -> None:
        self.site = site
        super().__init__(*args, directory=str(site.admin), **kwargs)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/admin"):
            self.send_response(302)
            self.send_header("Location", "/admin/")
            self.end_headers()
            return
        if not path.startswith("/admin/"):
            self.send_error(404)
            return
        if path == "/admin/config.yml" and self.site.config_text is not None:
            self._send(200, self.site.config_text.encode(), "text/yaml; charset=utf-8")
            return
        self.path = self.path[len("/admin") :]
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != "/api/v1" or self.site.backend_url is None:
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length)
        request = urllib.request.Request(
            self.site.backend_url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                status, data, kind = reply.status, reply.read(), reply.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as exc:
            status, data, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "application/json")
        except OSError:
            status, data, kind = 502, b'{"error": "local backend unreachable"}', "application/json"
        self._send(status, data, kind)

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the page went away (reloaded) meanwhile
            self.close_connection = True


@dataclass
class EditorSite:
    """What the server serves: admin/, and with a local backend the configuration that points at it."""

    admin: Path
    backend_url: str | None = None
    config_text: str | None = None

    @classmethod
    def local(cls, admin: Path, backend_url: str) -> EditorSite:
        config = yaml.safe_load((admin / "config.yml").read_text(encoding="utf-8"))
        text = config_yaml(local_config(config, "/api/v1"))
        return cls(admin=admin, backend_url=backend_url, config_text=text)


def make_server(site: EditorSite, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(Handler, site=site)
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise ConfigError(
            _("cannot listen on {host}:{port}: {error}", host=host, port=port, error=exc.strerror)
        ) from None


def serve_in_thread(site: EditorSite, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    server = make_server(site, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def url_of(server: http.server.ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    host_text = host if isinstance(host, str) else host.decode()
    return f"http://{host_text}:{port}/admin/"


@dataclass
class LocalEditor:
    """The page's server and its decap-server, started and stopped together."""

    server: http.server.ThreadingHTTPServer
    backend: LocalBackend

    @property
    def url(self) -> str:
        return url_of(self.server)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.backend.stop()


def start_local(
    admin: Path, root: Path, repo: Path, *, port: int = 0, backend_port: int = 0, log: Path | None = None
) -> LocalEditor:
    """Serve `admin` on 127.0.0.1:`port` with decap-server on `repo` (from `root`'s node_modules).

    decap-server accepts browser calls from this page's origin only; the page itself reaches it through
    its own origin (`/api/v1`), so its CSP stays `connect-src 'self'`."""
    backend = LocalBackend(root=root, repo=repo, port=backend_port or free_port(), log=log)
    server = make_server(EditorSite.local(admin, backend.url), port=port)
    try:
        backend.origin = url_of(server).removesuffix("/admin/")
        backend.start()
    except BaseException:
        server.server_close()
        raise
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return LocalEditor(server=server, backend=backend)
