"""Make images acceptable to WeChat: body images must be jpg or png under 1 MB.

`prepare_image(data, filename)` returns the bytes unchanged when they already qualify; otherwise it
converts (gif, webp, bmp, tiff... -> png when the image has transparency, else jpg; an animated gif
keeps its first frame) and recompresses (lower jpeg quality, then smaller dimensions) until it fits.
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import PostError

#: `media/uploadimg`: jpg/png, strictly under 1 MB.
BODY_IMAGE_LIMIT = 1024 * 1024
BODY_FORMATS = ("JPEG", "PNG")
#: `material/add_material?type=image`: bmp/png/jpeg/jpg/gif up to 10 MB.
MATERIAL_IMAGE_LIMIT = 10 * 1024 * 1024
MATERIAL_FORMATS = ("JPEG", "PNG", "GIF", "BMP")

_EXT = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp"}
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "BMP": "image/bmp"}
_QUALITIES = (90, 82, 74, 66, 58, 50, 42)


def image_format(data: bytes, filename: str = "image") -> str:
    """Pillow's format name for `data` (JPEG, PNG, GIF, WEBP...); PostError when it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            return str(im.format or "")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise PostError(f"{filename}: not an image wxpub can read ({type(exc).__name__})") from None


def _renamed(filename: str, fmt: str) -> str:
    p = PurePosixPath(filename or "image")
    return str(p.with_suffix(_EXT[fmt])) if p.name else f"image{_EXT[fmt]}"


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)


def _encode(im: Image.Image, fmt: str, quality: int) -> bytes:
    buf = io.BytesIO()
    if fmt == "PNG":
        im.save(buf, format="PNG", optimize=True)
    else:
        im.save(buf, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buf.getvalue()


def prepare_image(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = BODY_IMAGE_LIMIT,
    formats: tuple[str, ...] = BODY_FORMATS,
) -> tuple[bytes, str]:
    """`(data, filename)` in one of `formats` and strictly under `max_bytes`, converting when needed.

    The file name keeps its stem and gets the extension of the format actually sent.
    Raises PostError when the data is not an image or cannot be brought under the limit.
    """
    fmt = image_format(data, filename)
    if fmt in formats and len(data) < max_bytes:
        suffix = PurePosixPath(filename).suffix.lower()
        ok_suffix = {".jpg", ".jpeg"} if fmt == "JPEG" else {_EXT.get(fmt, "")}
        return data, filename if suffix in ok_suffix else _renamed(filename, fmt)
    with Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)
        im = ImageOps.exif_transpose(opened.copy())
    alpha = _has_alpha(im)
    if alpha and "PNG" in formats:
        im = im.convert("RGBA")
        out = _encode(im, "PNG", 0)
        if len(out) < max_bytes:
            return out, _renamed(filename, "PNG")
    target = "JPEG" if "JPEG" in formats else "PNG"
    if target == "JPEG":
        if alpha:
            rgba = im.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            im = flat
        else:
            im = im.convert("RGB")
    for _ in range(8):
        for quality in _QUALITIES if target == "JPEG" else (0,):
            out = _encode(im, target, quality)
            if len(out) < max_bytes:
                return out, _renamed(filename, target)
        w, h = im.size
        if w < 64 or h < 64:
            break
        im = im.resize((max(1, int(w * 0.75)), max(1, int(h * 0.75))), Image.Resampling.LANCZOS)
    raise PostError(f"{filename}: cannot bring the image under {max_bytes // 1024} KB", hint="use a smaller image")
