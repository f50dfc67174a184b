"""The one exception tree of wxpub.

    WxpubError                    anything the CLI turns into a one-line message and exit code
    ├── UsageError                bad command-line arguments (exit 2)
    ├── ConfigError               bad environment or configuration (exit 2)
    │   └── PolicyError           policy/ files that do not validate (exit 2)
    ├── PostError                 a post that cannot be loaded at all (exit 1)
    ├── GitError                  the repository cannot be read as asked (exit 2)
    └── ApiError                  a remote API failed; carries the request, secrets redacted
        ├── TransportError        no answer: timeout, refused or dropped connection, HTTP 5xx
        └── RemoteError           the server answered with an error
            ├── WeChatError       WeChat's {"errcode": N, "errmsg": ...}
            └── ForgeError        GitHub / Gitea answered 4xx

Library code raises these; only `pipeline.cli` turns them into messages and exit codes.
"""

from __future__ import annotations


class WxpubError(Exception):
    """Base of every error wxpub reports to a person."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(WxpubError):
    exit_code = 2


class ConfigError(WxpubError):
    exit_code = 2


class PolicyError(ConfigError):
    """The policy does not validate. `problems` holds one `key: message` line per problem."""

    def __init__(self, message: str, problems: list[str] | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []

    def __str__(self) -> str:
        lines = [self.message, *(f"  {p}" for p in self.problems)]
        return "\n".join(lines)


class PostError(WxpubError):
    exit_code = 1


class GitError(WxpubError):
    exit_code = 2


class ApiError(WxpubError):
    """A remote call failed. `request` is a short, redacted description such as `POST /cgi-bin/draft/add`."""

    exit_code = 1

    def __init__(self, message: str, *, request: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.request = request


class TransportError(ApiError):
    """No usable answer: timeout, refused or dropped connection, HTTP 5xx. Usually worth a retry."""


class RemoteError(ApiError):
    """The server answered, with an error."""


class WeChatError(RemoteError):
    def __init__(self, errcode: int, errmsg: str, *, request: str = "", hint: str | None = None) -> None:
        from .i18n import _

        super().__init__(_("WeChat error {code}: {message}", code=errcode, message=errmsg), request=request, hint=hint)
        self.errcode = errcode
        self.errmsg = errmsg


class ForgeError(RemoteError):
    def __init__(self, message: str, *, status: int = 0, request: str = "", hint: str | None = None) -> None:
        super().__init__(message, request=request, hint=hint)
        self.status = status
