"""WeChat limits the content rules can see before upload: the cover's aspect and links.

Title, author, digest and source_url lengths and the cover's presence and format are checked when
the post loads (`pipeline.post`); body images (missing, JPEG/PNG or converted, size, web addresses)
by the renderer's `render/image-*` rules, which see exactly what is uploaded. Here: the cover's aspect
ratio (WeChat crops to 2.35:1) and links to sites other than mp.weixin.qq.com, which are not
clickable in an article and become references.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..post import Post, cover_path
from ..urls import WECHAT_ARTICLE_HOSTS, vet_url
from .common import rule
from .text import _COMMENT, _FENCE, _INLINE_CODE, mask

ASPECT = 2.35
TOLERANCE = 0.15
R_ASPECT = rule(
    "wechat/cover-aspect",
    "cover-aspect",
    "4",
    Severity.INFO,
    N_("the cover is not close to 2.35:1, so WeChat will crop it"),
    help=N_(
        "What: the cover's width/height ratio differs from 2.35:1 by more than 0.15. Why: WeChat crops covers "
        "to 2.35:1 in the feed (1:1 when shared), which may cut the bank's logo or text (Art. 4, brand image)."
    ),
    instead=N_("Export the cover at 900x383 pixels (or 1175x500) with the important part in the middle."),
    quote="第四条 〔微信公众号〕整体形象应遵循我行品牌整体形象规划，符合企业传播规范。"
    "形象识别包括头像、名称、服务页面UI设计……",
)
R_LINK = rule(
    "wechat/external-link",
    "external-link",
    "WeChat",
    Severity.INFO,
    N_("a link to a site other than mp.weixin.qq.com is not clickable in a WeChat article"),
    help=N_(
        "What: links outside mp.weixin.qq.com. Why: WeChat articles only allow links to other articles of "
        "official accounts; other links are shown as numbered references at the end of the article."
    ),
    instead=N_(
        "Link to a published WeChat article, use source_url (阅读原文) for one external page, or write the "
        "address out so readers can copy it."
    ),
    quote="（微信平台规则，非条文原文）图文消息正文中，只有公众号文章（mp.weixin.qq.com）链接可以点击，其他外部链接不可点击。",
)

_LINK = re.compile(
    r"(?<!!)\[[^\]\n]*\]\(\s*<?((?:https?:)?//[^)\s>]+)>?[^)]*\)"
    r"|<((?:https?:)//[^>\s]+)>"
    r"|<a\b[^>]*?\bhref\s*=\s*[\"']((?:https?:)?//[^\"']+)[\"']"
    r"|(?<![(<\"'=/])(https?://[^\s<>()（）\[\]\"'，。、；！？]+)",
    re.I,
)
WECHAT_HOSTS = ("mp.weixin.qq.com",)


def _line_col(post: Post, offset: int) -> tuple[int, int]:
    before = post.body[:offset]
    return post.body_line + before.count("\n"), offset - (before.rfind("\n") + 1) + 1


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of a JPEG or PNG from its header (Pillow, imported lazily, when the header is unusual);
    None for other files."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
            if head.startswith(b"\xff\xd8"):
                head += fh.read(1 << 16)  # JPEG: EXIF and tables may come before the frame header
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(head) and head[i] == 0xFF:
            marker = head[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(head[i + 7 : i + 9], "big"), int.from_bytes(head[i + 5 : i + 7], "big")
            i += 2 + int.from_bytes(head[i + 2 : i + 4], "big")
    if not head.startswith((b"\xff\xd8", b"\x89PNG")):
        return None  # not JPEG/PNG: schema/cover reports it
    from PIL import Image  # lazily: Pillow costs import time on every `wxpub check`

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError):
        return None


@post_check
def cover_aspect(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    path = cover_path(post, ctx.root)
    if path is None:
        return
    size = image_size(path)
    if size is None:
        return
    w, h = size
    if h and abs(w / h - ASPECT) > TOLERANCE:
        yield R_ASPECT.finding(
            post.path,
            _(
                "the cover is {w}x{h} ({ratio}:1); WeChat shows covers at 2.35:1 and will crop it",
                w=w,
                h=h,
                ratio=format(w / h, ".2f"),
            ),
            line=post.line_of("cover"),
            match=str(post.meta.cover if post.meta else ""),
        )


@post_check
def external_links(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    body = post.body
    if "//" not in body:
        return
    masked = mask(body, (_FENCE, _INLINE_CODE, _COMMENT))
    for m in _LINK.finditer(masked):
        idx = next(i for i in range(1, 5) if m.group(i))
        url = m.group(idx)
        absolute = url if not url.startswith("//") else "https:" + url
        if vet_url(absolute, WECHAT_ARTICLE_HOSTS, schemes=("http", "https")) is not None:
            continue  # read as a browser would: `https://evil.example\\@mp.weixin.qq.com/` is evil.example
        try:
            host = (urlsplit(absolute).hostname or "").lower()
        except ValueError:
            host = ""
        if host in WECHAT_ARTICLE_HOSTS:  # looks like WeChat's, but a browser goes elsewhere: show it whole
            host = ""
        line, col = _line_col(post, m.start(idx))
        yield R_LINK.finding(
            post.path,
            _("link to {target} is not clickable in WeChat; it will be shown as a reference", target=host or url),
            line=line,
            column=col,
            match=url,
        )
