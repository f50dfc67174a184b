"""The theme (`policy/theme.css`, HQ-owned), read once per process and inlined with css-inline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import css_inline

from ..errors import ConfigError
from ..i18n import _
from ..policy import Policy

_cache: dict[Path, tuple[int, str]] = {}


def theme_css(root: Path, policy: Policy) -> str:
    """The theme's CSS text; re-read only when the file changes."""
    path = root / policy.render.theme
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise ConfigError(
            _("{path}: the render theme does not exist", path=policy.render.theme),
            hint=_("restore policy/theme.css or point render.theme in policy/policy.yml at the theme"),
        ) from None
    hit = _cache.get(path)
    if hit is None or hit[0] != mtime:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                _("{path}: cannot read the theme: {reason}", path=policy.render.theme, reason=exc)
            ) from None
        hit = _cache[path] = (mtime, text)
    return hit[1]


@cache
def inliner() -> css_inline.CSSInliner:
    """One inliner per process: no <style> from the content, no network, no leftover tags."""
    return css_inline.CSSInliner(
        inline_style_tags=False,
        keep_style_tags=False,
        keep_link_tags=False,
        keep_at_rules=False,
        load_remote_stylesheets=False,
        minify_css=True,
    )


def inline(html: str, css: str) -> str:
    try:
        return inliner().inline_fragment(html, css)
    except (css_inline.InlineError, ValueError) as exc:  # pragma: no cover - css-inline tolerates nearly anything
        raise ConfigError(
            _("the render theme cannot be applied: {reason}", reason=exc), hint=_("check policy/theme.css")
        ) from None
