"""How the publisher recognises its own content on WeChat: the marker comment and the version's fingerprint."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from typing import Any

MARKER_PREFIX = "wxpub-"


def marker_prefix(post_id: str) -> str:
    return MARKER_PREFIX + hashlib.sha256(post_id.encode("utf-8")).hexdigest()[:12] + "-"


def marker_for(post_id: str, tree: str) -> str:
    """The token that identifies this post's content on WeChat (also the broadcast's clientmsgid)."""
    return marker_prefix(post_id) + tree[:12]


def marker_comment(marker: str) -> str:
    return f"<!--{marker}-->"


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLANK = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")


def content_text(content: str) -> str:
    """The text of an article's HTML as WeChat keeps it, whatever it does to markup: comments, scripts,
    styles and tags removed, entities decoded, every blank removed."""
    text = _HIDDEN.sub("", _COMMENT.sub("", content))
    return _BLANK.sub("", html.unescape(_TAG.sub(" ", text)))


def fingerprint(article: Mapping[str, Any], *, with_cover: bool = True) -> str:
    """A version's identity from fields WeChat documents it keeps: the title, the cover's media_id and the
    text of the content (after WeChat's normalisation). The digest is left out: WeChat fills an empty one
    from the body. Two versions that differ only in markup or images share a fingerprint (then a draft is
    replaced, never adopted, and an article counts for both). `with_cover=False`: without the cover, for
    a listing that does not show it."""
    parts = [str(article.get("title", "")).strip(), str(article.get("thumb_media_id", "")) if with_cover else "",
             content_text(str(article.get("content", "")))]  # fmt: skip
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def version_keys(article: Mapping[str, Any]) -> set[str]:
    """The keys under which a version is recognised: with and without its cover."""
    return {"f:" + fingerprint(article), "t:" + fingerprint(article, with_cover=False)}


def item_key(article: Mapping[str, Any]) -> str:
    """The key of a listed item: with its cover when WeChat shows it, else without."""
    if article.get("thumb_media_id"):
        return "f:" + fingerprint(article)
    return "t:" + fingerprint(article, with_cover=False)
