"""Image metadata (PIPL Art. 28): the cover and body images that carry EXIF, GPS, XMP, IPTC or comments.

Phone photos record where they were taken (GPS), the camera's serial number and the owner's name. The
publisher strips all of it before upload (`pipeline.imagemeta`, used by `pipeline.wechat.images`), so
nothing reaches WeChat; this rule tells the editor that the file in the repository still carries it
(the repository, its history and the internal archive keep the original), so they can export a clean
copy. Severity `info`: it never blocks a post. Only headers are read, without Pillow, so it stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..imagemeta import Metadata, file_metadata
from ..post import Post, cover_path, resolve_inside
from .common import rule
from .copyright import _clean, _line_col, images_of

R_METADATA = rule(
    "pii/image-metadata",
    "image-metadata",
    "PIPL 28",
    Severity.INFO,
    N_("an image carries metadata (GPS location, camera serial, author, XMP/IPTC, comments)"),
    help=N_(
        "What: EXIF, XMP, IPTC or comment data inside the cover or a body image. Why: GPS positions are "
        "whereabouts, sensitive personal information (PIPL Art. 28); serial numbers and names identify people. "
        "wxpub publish removes it before uploading to WeChat, but the file in the repository keeps it."
    ),
    instead=N_(
        "Export the image again without metadata (e.g. `exiftool -all= photo.jpg`, or 'remove location' "
        "when sharing from the phone), or leave it: the published copy is stripped."
    ),
    quote="《个人信息保护法》第二十八条 敏感个人信息是一旦泄露或者非法使用，容易导致自然人的人格尊严受到侵害或者人身、"
    "财产安全受到危害的个人信息，包括生物识别、宗教信仰、特定身份、医疗健康、金融账户、行踪轨迹等信息……",
)


def _metadata(path: Path, ctx: CheckContext) -> Metadata | None:
    cache: dict[tuple[str, int, int], Metadata | None] = ctx.cache.setdefault("image-metadata", {})  # type: ignore[assignment]
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in cache:
        try:
            cache[key] = file_metadata(path)
        except (OSError, ValueError):
            cache[key] = None  # unreadable or malformed: schema and render rules report it
    return cache[key]


def _labels(meta: Metadata) -> list[str]:
    """`Metadata.found`, in the reader's language."""
    out = []
    if meta.gps:
        out.append(_("GPS location"))
    if meta.exif:
        fields = ", ".join(_(f) for f in meta.exif_fields)
        out.append(_("EXIF ({fields})", fields=fields) if fields else "EXIF")
    if meta.xmp:
        out.append("XMP")
    if meta.iptc:
        out.append("IPTC")
    if meta.comment:
        out.append(_("comment"))
    if meta.text:
        out.append(_("text ({keys})", keys=", ".join(meta.text)))
    out += [_(o) for o in meta.other]
    return out


def _message(name: str, meta: Metadata) -> str:
    what = "、".join(_labels(meta))
    if meta.gps:
        return _(
            "{name} carries metadata: {what}; 拍摄位置 GPS location, removed before upload to WeChat, "
            "but the file in the repository keeps it",
            name=name,
            what=what,
        )
    return _(
        "{name} carries metadata: {what}; removed before upload to WeChat, but the file in the repository keeps it",
        name=name,
        what=what,
    )


@post_check
def image_metadata(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    meta = post.meta
    if meta is None:
        return
    seen: set[str] = set()
    if meta.cover:
        seen.add(_clean(meta.cover))
        path = cover_path(post, ctx.root)
        found = _metadata(path, ctx) if path is not None else None
        if found:
            yield R_METADATA.finding(
                post.path,
                _message(_("cover {cover}", cover=repr(meta.cover)), found),
                line=post.line_of("cover"),
                match=meta.cover,
            )
    for ref, offset in images_of(post, ctx):
        name = _clean(ref)
        if name in seen or "://" in name or name.startswith(("//", "data:")):
            continue
        seen.add(name)
        path, _inside = resolve_inside(post.folder, name, ctx.root)
        found = _metadata(path, ctx) if path is not None else None
        if found:
            line, col = _line_col(post, offset)
            yield R_METADATA.finding(
                post.path, _message(_("image {ref}", ref=repr(ref)), found), line=line, column=col, match=ref
            )
