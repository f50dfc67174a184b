"""Make images acceptable to WeChat: body images must be jpg or png under 1 MB; and free of metadata.

`prepare_image(data, filename)` never sends metadata (EXIF with GPS position, camera serials and
owner names; XMP; IPTC; comments: PIPL Art. 28): an image that already qualifies is stripped byte-wise
(`pipeline.imagemeta.strip_metadata`: the compressed data is copied, nothing is recompressed; bytes
come back unchanged when there is nothing to strip). A JPEG whose EXIF orientation is not 1 is turned
upright and re-encoded with its own quantisation tables and subsampling (quality as close to the
original as a re-encode gets), since dropping the orientation tag alone would show it on its side.
Otherwise it converts (gif, webp, bmp, tiff... -> png when the image has transparency, else jpg; an
animated gif keeps its first frame) and recompresses (lower jpeg quality, then smaller dimensions)
until it fits; what Pillow writes is stripped as well (an ICC colour profile is kept).
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import PostError
from ..imagemeta import read_metadata, strip_metadata

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


def _named(filename: str, fmt: str) -> str:
    """`filename` when its extension fits `fmt`, else with the extension of `fmt`."""
    suffix = PurePosixPath(filename).suffix.lower()
    ok_suffix = {".jpg", ".jpeg"} if fmt == "JPEG" else {_EXT.get(fmt, "")}
    return filename if suffix in ok_suffix else _renamed(filename, fmt)


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)


def _encode(im: Image.Image, fmt: str, quality: int, *, icc: bytes | None = None, **jpeg: object) -> bytes:
    """`im` as PNG or JPEG, with no metadata but its ICC profile (`jpeg`: qtables/subsampling to keep)."""
    buf = io.BytesIO()
    extra: dict[str, object] = {"icc_profile": icc} if icc else {}
    if fmt == "PNG":
        im.save(buf, format="PNG", optimize=True, **extra)
    elif jpeg:
        im.save(buf, format="JPEG", optimize=True, **jpeg, **extra)
    else:
        im.save(buf, format="JPEG", quality=quality, optimize=True, progressive=True, **extra)
    return strip_metadata(buf.getvalue())


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
    upright = True
    if fmt in formats:
        try:
            upright = read_metadata(data).orientation in (0, 1)
            clean = strip_metadata(data) if upright else None
        except ValueError:
            clean = None  # not well formed: re-encode rather than trust it
        if clean is not None and len(clean) < max_bytes:
            return clean, _named(filename, fmt)
    keep: dict[str, object] = {}
    with Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)
        icc = opened.info.get("icc_profile") or None
        tables = getattr(opened, "quantization", None)
        if fmt == "JPEG" and not upright and "JPEG" in formats and opened.mode in ("L", "RGB") and tables:
            from PIL import JpegImagePlugin

            keep = {"qtables": tables, "subsampling": JpegImagePlugin.get_sampling(opened)}
        mode = opened.mode
        im = ImageOps.exif_transpose(opened.copy())
    if not upright and fmt in formats and mode == im.mode and (keep or fmt == "PNG"):
        out = _encode(im, fmt, 0, icc=icc, **keep)  # turned upright: PNG lossless, JPEG with the original's tables
        if len(out) < max_bytes:
            return out, _named(filename, fmt)
    alpha = _has_alpha(im)
    if alpha and "PNG" in formats:
        im = im.convert("RGBA")
        out = _encode(im, "PNG", 0, icc=icc)
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
            out = _encode(im, target, quality, icc=icc)
            if len(out) < max_bytes:
                return out, _renamed(filename, target)
        w, h = im.size
        if w < 64 or h < 64:
            break
        im = im.resize((max(1, int(w * 0.75)), max(1, int(h * 0.75))), Image.Resampling.LANCZOS)
    raise PostError(f"{filename}: cannot bring the image under {max_bytes // 1024} KB", hint="use a smaller image")
