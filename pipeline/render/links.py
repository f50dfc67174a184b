"""Links as WeChat shows them: only links to WeChat articles stay clickable.

Every other web link becomes its text followed by a numbered mark `[n]`, and the addresses are listed
at the end under 参考链接 (as the mature WeChat editors do). The same address keeps one number.
In-page anchors, `mailto:`/`tel:` and any other scheme lose their link and keep their text; links with
a script scheme are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..urls import WECHAT_ARTICLE_HOSTS, vet_url
from .dom import Element

WECHAT_HOSTS = tuple(sorted(WECHAT_ARTICLE_HOSTS))
REFERENCES_TITLE = "参考链接"
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
_SPACE = re.compile(r"[\x00-\x20]+")


@dataclass
class References:
    urls: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)  # hrefs with a script scheme, as written

    def number(self, url: str, text: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
            self.texts.append(text)
        return self.urls.index(url) + 1


def wechat_article_url(url: str) -> str | None:
    """The https address of a WeChat article, re-serialised (`pipeline.urls.vet_url`), or None.

    An http address of an article is upgraded: mp.weixin.qq.com serves articles over https.
    """
    vetted = vet_url(url.strip(), WECHAT_ARTICLE_HOSTS, schemes=("http", "https"))
    return None if vetted is None else "https:" + vetted.split(":", 1)[1]


def is_wechat_article(url: str) -> bool:
    return wechat_article_url(url) is not None


def convert_links(root: Element, anchors: list[Element] | None = None) -> References:
    """Rewrite every `<a>` under `root` (or the given `anchors`, in document order); return the references."""
    refs = References()
    for a in root.iter("a") if anchors is None else anchors:
        if a.parent is None:  # removed by an earlier step
            continue
        href = a.attrs.get("href", "").strip()
        try:
            parts = urlsplit(href)
            scheme = parts.scheme.lower()
        except ValueError:
            scheme = "invalid"
        article = wechat_article_url(href) if href else None
        if article is not None:
            a.attrs = {"href": article}
            continue
        if scheme in ("http", "https") and parts.hostname:
            n = refs.number(href, a.text().strip())
            mark = Element("sup", {"class": "wx-ref-mark"})
            mark.append(f"[{n}]")
            a.insert_after(mark)
        elif _SPACE.sub("", href).lower().startswith(SCRIPT_SCHEMES):
            refs.unsafe.append(href)
        a.unwrap()
    return refs


def reference_section(refs: References) -> Element | None:
    """`<section class="wx-refs">` listing `[n] text: url`, or None when there are no references."""
    if not refs.urls:
        return None
    section = Element("section", {"class": "wx-refs"})
    title = Element("h4", {"class": "wx-refs-title"})
    title.append(REFERENCES_TITLE)
    section.append(title)
    for n, (url, text) in enumerate(zip(refs.urls, refs.texts, strict=True), start=1):
        p = Element("p", {"class": "wx-ref"})
        p.append(f"[{n}] {text}: {url}" if text and text != url else f"[{n}] {url}")
        section.append(p)
    return section
