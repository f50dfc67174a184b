"""The access-token cache: one small file per account and API base, mode 0600, outside the repository.

The file holds the token, its expiry and which account and base it belongs to; never the AppSecret.
It is written atomically (a 0600 temporary file, then `os.replace`), so concurrent jobs on one runner
at worst fetch a token twice. A file with looser permissions is ignored and replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

STATE_ENV = "WXPUB_STATE_DIR"


def default_state_dir() -> Path:
    """`$WXPUB_STATE_DIR`, else `~/.cache/wxpub`."""
    env = os.environ.get(STATE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "wxpub"


def _inside_wxpub_repository(path: Path) -> Path | None:
    for parent in (path, *path.parents):
        if (parent / ".git").exists() and (parent / "policy").is_dir():
            return parent
    return None


@dataclass(frozen=True)
class CachedToken:
    token: str
    expires_at: float

    def __repr__(self) -> str:  # never show the token
        return f"CachedToken(token='***', expires_at={self.expires_at:.0f})"


class TokenCache:
    """Reads and writes the cached token of (appid, base_url) under `state_dir`."""

    def __init__(self, state_dir: Path, appid: str, base_url: str) -> None:
        self.state_dir = Path(state_dir).expanduser().resolve()
        repo = _inside_wxpub_repository(self.state_dir)
        if repo is not None:
            raise ConfigError(
                f"the WeChat state directory {self.state_dir} is inside the repository {repo}",
                hint=f"tokens must never be committed: point {STATE_ENV} outside the repository",
            )
        self.appid = appid
        self.base_url = base_url
        digest = hashlib.sha256(f"{appid}\n{base_url}".encode()).hexdigest()[:16]
        self.path = self.state_dir / f"token-{digest}.json"

    def __repr__(self) -> str:
        return f"TokenCache({self.path})"

    def load(self) -> CachedToken | None:
        """The cached token, or None when absent, unreadable, foreign or not private."""
        try:
            st = self.path.stat()
            if st.st_mode & 0o077 or not stat.S_ISREG(st.st_mode):
                return None
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("appid") != self.appid or data.get("base_url") != self.base_url:
            return None
        token, expires_at = data.get("access_token"), data.get("expires_at")
        if not isinstance(token, str) or not token or not isinstance(expires_at, int | float):
            return None
        return CachedToken(token, float(expires_at))

    def save(self, cached: CachedToken) -> None:
        """Write the token atomically with mode 0600 (directory 0700)."""
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        body = json.dumps(
            {
                "appid": self.appid,
                "base_url": self.base_url,
                "access_token": cached.token,
                "expires_at": cached.expires_at,
            }
        ).encode()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, body)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        """Forget the cached token (a missing or unremovable file is not an error)."""
        with contextlib.suppress(OSError):
            self.path.unlink()
