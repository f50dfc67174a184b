"""Body images: which are files of the post, which are already WeChat's, which WeChat would drop.

A local image is named relative to the post folder as written in the Markdown (`chart.png`,
`./img/chart.png`, `图表%201.png`); its key is that path normalised (percent-decoding undone, a leading
`./` removed), which is what `body_images` lists and what the publisher's mapping is looked up by (the
path exactly as written is looked up too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..i18n import _
from ..post import image_kind, resolve_inside
from ..urls import WECHAT_IMAGE_HOSTS as _IMAGE_HOSTS
from ..urls import vet_url
from .dom import Element, lift_out

WECHAT_IMAGE_HOSTS = tuple(sorted(_IMAGE_HOSTS))
MAX_BODY_IMAGE_BYTES = 1024 * 1024  # media/uploadimg: jpg/png, < 1 MB (as pipeline.wechat.images counts)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class Kind(StrEnum):
    LOCAL = "local"  # a file of the post (to be uploaded)
    WECHAT = "wechat"  # already on WeChat's image servers
    REMOTE = "remote"  # some other web address: WeChat drops it
    BAD = "bad"  # data:, javascript:, file:, absolute or parent paths


@dataclass(frozen=True)
class Source:
    written: str
    key: str
    kind: Kind


def classify(src: str) -> Source:
    written = src.strip()
    if _SCHEME.match(written) or written.startswith("//"):
        try:
            parts = urlsplit(written if not written.startswith("//") else "https:" + written)
        except ValueError:
            return Source(written, written, Kind.BAD)
        if parts.scheme.lower() in ("http", "https") and parts.hostname:
            # WeChat's own image URLs are http: both schemes, but the host exactly, read as a browser would
            vetted = vet_url(_absolute(written), _IMAGE_HOSTS, schemes=("http", "https"))
            if vetted is not None:
                return Source(written, vetted, Kind.WECHAT)
            return Source(written, written, Kind.REMOTE)
        return Source(written, written, Kind.BAD)
    key = unquote(written.split("#", 1)[0].split("?", 1)[0])
    while key.startswith("./"):
        key = key[2:]
    if (
        not key
        or key.startswith(("/", "\\"))
        or ".." in key.replace("\\", "/").split("/")
        or re.match(r"^[A-Za-z]:", key)
    ):
        return Source(written, key, Kind.BAD)
    return Source(written, key, Kind.LOCAL)


def _absolute(url: str) -> str:
    """A protocol-relative address (`//host/x`) as https, as WeChat's pages would load it."""
    return "https:" + url if url.startswith("//") else url


def file_problem(folder: Path, key: str, root: Path) -> tuple[str, str]:
    """('', '') for a good JPEG/PNG under 1 MB, else (rule id suffix, message)."""
    path, why = resolve_inside(folder, key, root)
    if path is None:
        missing = why == _("{name} does not exist in the post folder", name=repr(key))
        return ("missing" if missing else "source"), _("image {why}", why=why)
    kind = image_kind(path)
    if kind is None:
        return "format", _("image {name} is not a JPEG, PNG, GIF, WebP or BMP image", name=repr(key))
    size = path.stat().st_size
    if size >= MAX_BODY_IMAGE_BYTES:
        return "size", _(
            "image {name} is {size} MB; it will be recompressed to fit WeChat's 1 MB",
            name=repr(key),
            size=round(size / 1024 / 1024, 1),
        )
    if kind not in ("jpeg", "png"):
        return "convert", _(
            "image {name} is {kind}; it will be converted to PNG/JPEG for WeChat", name=repr(key), kind=kind.upper()
        )
    return "", ""


def make_figure(img: Element) -> None:
    """An image standing in a paragraph becomes `<figure>` with its alt text as the caption.

    Text around it stays in paragraphs before and after; images inside lists, tables or links stay inline.
    """
    p = img.parent
    if p is None or p.tag != "p" or p.parent is None:
        return
    figure = Element("figure", {"class": "wx-figure"})
    lift_out(img, figure)
    figure.append(img)
    alt = img.attrs.get("alt", "").strip()
    if alt:
        caption = Element("figcaption", {"class": "wx-caption"})
        caption.append(alt)
        figure.append(caption)
