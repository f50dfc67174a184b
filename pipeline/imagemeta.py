"""Image metadata (EXIF, GPS, XMP, IPTC, comments): find it, and strip it without recompressing.

Photos from phones and cameras carry EXIF: the GPS position where they were taken, the camera's make,
model and serial number, the owner's name, the editing software; XMP and IPTC add authors, captions and
keywords. None of it may reach the bank's public posts (PIPL Art. 28: whereabouts are sensitive
personal information), so every image sent to WeChat goes through `strip_metadata`, and `wxpub check`
tells the editor which images carry it (`pipeline.checks.metadata`).

Stripping is byte-wise and lossless: the compressed image data is copied unchanged.

- JPEG: every APPn segment and comment is dropped except APP0 JFIF (its embedded thumbnail removed:
  a thumbnail can show what a crop cut away), APP2 ICC_PROFILE (colours) and APP14 Adobe (needed to
  decode CMYK/YCCK); bytes after the end-of-image marker (MPF's secondary images, maker trailers) go too.
- PNG: only chunks that describe the pixels are kept (IHDR, PLTE, IDAT, IEND, tRNS, colour chunks,
  pHYs, sBIT, bKGD, hIST, sPLT, APNG's acTL/fcTL/fdAT, and unknown critical chunks); text (tEXt, zTXt,
  iTXt: XMP, author, comments), eXIf, tIME and unknown ancillary chunks are dropped.
- GIF: comment extensions, application extensions other than NETSCAPE2.0/ANIMEXTS1.0 (XMP) and bytes
  after the trailer are dropped.

An image whose EXIF orientation is not 1 cannot be stripped byte-wise without turning it on its side;
`pipeline.wechat.images.prepare_image` re-encodes those upright with the original quantisation tables.
Data that is not well formed raises `ValueError`, so callers re-encode it instead of trusting it.

Reading (`read_metadata`, `file_metadata`) needs no Pillow and reads only the headers of a file.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .i18n import N_

__all__ = ["Metadata", "file_metadata", "read_metadata", "strip_metadata"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP",
    b"mDCv", b"cLLi", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
_PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt")
_XMP_JPEG = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
_GIF_KEEP_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")

# EXIF tags worth naming to the editor (IFD0 and the Exif sub-IFD).
_TAG_NAMES = {
    0x010F: N_("camera make"),
    0x0110: N_("camera model"),
    0x013B: N_("artist"),
    0x8298: N_("copyright"),
    0x0131: N_("software"),
    0xA430: N_("camera owner"),
    0xA431: N_("camera serial number"),
    0xA435: N_("lens serial number"),
    0x9003: N_("date taken"),
}
_GPS_IFD, _EXIF_IFD, _ORIENTATION = 0x8825, 0x8769, 0x0112


@dataclass(frozen=True)
class Metadata:
    """What an image carries besides its pixels. `found` is the list shown to people, e.g.
    `["GPS location", "EXIF (camera model, camera serial number)", "XMP"]`."""

    exif: bool = False
    gps: bool = False
    xmp: bool = False
    iptc: bool = False
    comment: bool = False
    text: tuple[str, ...] = ()  # PNG text keywords (Author, Comment ...)
    exif_fields: tuple[str, ...] = ()
    other: tuple[str, ...] = ()  # thumbnail, secondary images, trailing data ...
    orientation: int = 1

    @property
    def found(self) -> list[str]:
        out = []
        if self.gps:
            out.append("GPS location")
        if self.exif:
            out.append("EXIF" + (f" ({', '.join(self.exif_fields)})" if self.exif_fields else ""))
        if self.xmp:
            out.append("XMP")
        if self.iptc:
            out.append("IPTC")
        if self.comment:
            out.append("comment")
        if self.text:
            out.append(f"text ({', '.join(self.text)})")
        out += self.other
        return out

    def __bool__(self) -> bool:
        return bool(self.found)


# -- EXIF (TIFF structure) ---------------------------------------------------------------------


def _exif_summary(tiff: bytes) -> tuple[bool, tuple[str, ...], int]:
    """(has GPS data, named fields present, orientation) from a TIFF-structured EXIF block."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return False, (), 1
    e = "<" if tiff[:2] == b"II" else ">"
    names: dict[str, None] = {}
    gps = False
    orientation = 1

    def entries(offset: int) -> list[tuple[int, int, int, int]]:
        if offset <= 0 or offset + 2 > len(tiff):
            return []
        (n,) = struct.unpack_from(e + "H", tiff, offset)
        out = []
        for i in range(min(n, 512)):
            at = offset + 2 + 12 * i
            if at + 12 > len(tiff):
                break
            tag, typ, count = struct.unpack_from(e + "HHI", tiff, at)
            out.append((tag, typ, count, at + 8))
        return out

    def value(typ: int, at: int) -> int:
        return struct.unpack_from(e + ("H" if typ == 3 else "I"), tiff, at)[0]  # type: ignore[no-any-return]

    (ifd0,) = struct.unpack_from(e + "I", tiff, 4)
    seen: set[int] = set()
    todo = [ifd0]
    while todo:
        offset = todo.pop()
        if offset in seen:
            continue
        seen.add(offset)
        for tag, typ, count, at in entries(offset):
            if tag in _TAG_NAMES and count:
                names[_TAG_NAMES[tag]] = None
            elif tag == _ORIENTATION and typ == 3:
                orientation = value(typ, at)
            elif tag == _EXIF_IFD and typ in (4, 13):
                todo.append(value(4, at))
            elif tag == _GPS_IFD and typ in (4, 13):
                gps = gps or bool(entries(value(4, at)))
    return gps, tuple(names), orientation


# -- JPEG --------------------------------------------------------------------------------------


def _jpeg_segments(fh: BinaryIO) -> list[tuple[int, bytes]]:
    """(marker, payload) of the header segments up to the first SOS (payload only where metadata lives)."""
    if fh.read(2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out: list[tuple[int, bytes]] = []
    while True:
        b = fh.read(1)
        while b == b"\xff":
            b = fh.read(1)
        if not b:
            return out
        marker = b[0]
        if marker == 0xD9 or marker == 0xDA:
            out.append((marker, b""))
            return out
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        raw = fh.read(2)
        if len(raw) < 2:
            return out
        length = int.from_bytes(raw, "big")
        if length < 2:
            raise ValueError("bad JPEG segment length")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            out.append((marker, fh.read(length - 2)))
        else:
            fh.seek(length - 2, io.SEEK_CUR)
            out.append((marker, b""))


def _jpeg_metadata(fh: BinaryIO) -> Metadata:
    exif = gps = xmp = iptc = comment = False
    fields: tuple[str, ...] = ()
    other: dict[str, None] = {}
    orientation = 1
    for marker, payload in _jpeg_segments(fh):
        if marker == 0xE1 and payload.startswith(b"Exif\x00"):
            exif = True
            g, fields, orientation = _exif_summary(payload[6:])
            gps = gps or g
        elif marker == 0xE1 and payload.startswith(_XMP_JPEG):
            xmp = True
        elif marker == 0xED:
            iptc = True
        elif marker == 0xFE:
            comment = True
        elif marker == 0xE0 and (payload.startswith(b"JFXX\x00") or _jfif_thumbnail(payload)):
            other[N_("thumbnail")] = None
        elif marker == 0xE2 and payload.startswith(b"MPF\x00"):
            other[N_("secondary images (MPF)")] = None
        elif 0xE0 <= marker <= 0xEF and not _jpeg_keep(marker, payload):
            other[f"APP{marker - 0xE0} data"] = None
    return Metadata(exif, gps, xmp, iptc, comment, (), fields, tuple(other), orientation)


def _jfif_thumbnail(payload: bytes) -> bool:
    return payload.startswith(b"JFIF\x00") and len(payload) >= 14 and payload[12] * payload[13] > 0


def _jpeg_keep(marker: int, payload: bytes) -> bool:
    return (
        (marker == 0xE0 and payload.startswith(b"JFIF\x00"))
        or (marker == 0xE2 and payload.startswith(b"ICC_PROFILE\x00"))
        or (marker == 0xEE and payload.startswith(b"Adobe"))
    )


def _strip_jpeg(data: bytes) -> bytes:
    n = len(data)
    out: list[bytes] = [b"\xff\xd8"]
    changed = False
    i = 2
    while True:
        if i >= n:
            break  # truncated before EOI: keep what there is (viewers show it)
        if data[i] != 0xFF:
            raise ValueError(f"JPEG: expected a marker at byte {i}")
        while i + 1 < n and data[i + 1] == 0xFF:
            i += 1  # fill bytes
        if i + 1 >= n:
            break
        marker = data[i + 1]
        if marker == 0xD9:
            out.append(b"\xff\xd9")
            changed = changed or i + 2 < n  # anything after the end of the image goes
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i : i + 2])
            i += 2
            continue
        if i + 4 > n:
            raise ValueError("JPEG: truncated segment")
        end = i + 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        if end > n or end < i + 4:
            raise ValueError("JPEG: bad segment length")
        payload = data[i + 4 : end]
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if not _jpeg_keep(marker, payload):
                changed = True
            elif marker == 0xE0 and len(payload) > 14:  # JFIF with a thumbnail: keep the header only
                out.append(b"\xff\xe0\x00\x10" + payload[:12] + b"\x00\x00")
                changed = True
            else:
                out.append(data[i:end])
        else:
            out.append(data[i:end])
        i = end
        if marker == 0xDA:  # entropy-coded data runs to the next marker that is not RSTn or a stuffed 0xFF00
            j = i
            while True:
                j = data.find(b"\xff", j)
                if j < 0 or j + 1 >= n:
                    j = n
                    break
                nxt = data[j + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
                    j += 2
                elif nxt == 0xFF:
                    j += 1
                else:
                    break
            out.append(data[i:j])
            i = j
    return b"".join(out) if changed else data


# -- PNG ---------------------------------------------------------------------------------------


def _png_chunks(fh: BinaryIO, want: tuple[bytes, ...]) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk; data only for the types in `want` (others are skipped with seek)."""
    if fh.read(8) != PNG_SIGNATURE:
        raise ValueError("not a PNG")
    out: list[tuple[bytes, bytes]] = []
    while True:
        head = fh.read(8)
        if len(head) < 8:
            return out
        length = int.from_bytes(head[:4], "big")
        kind = head[4:8]
        if kind in want:
            out.append((kind, fh.read(length)))
            fh.seek(4, io.SEEK_CUR)
        else:
            out.append((kind, b""))
            fh.seek(length + 4, io.SEEK_CUR)
        if kind == b"IEND":
            return out


def _png_metadata(fh: BinaryIO) -> Metadata:
    exif = gps = xmp = False
    fields: tuple[str, ...] = ()
    text: dict[str, None] = {}
    other: dict[str, None] = {}
    orientation = 1
    for kind, body in _png_chunks(fh, (b"eXIf", *_PNG_TEXT)):
        if kind == b"eXIf":
            exif = True
            gps, fields, orientation = _exif_summary(body)
        elif kind in _PNG_TEXT:
            keyword = body.split(b"\x00", 1)[0].decode("latin-1", "replace")
            if keyword == "XML:com.adobe.xmp":
                xmp = True
            elif keyword.lower().startswith("raw profile type exif"):
                exif = True
            else:
                text[keyword] = None
        elif kind not in _PNG_KEEP and kind[0] & 0x20 and kind != b"tIME":
            other[f"{kind.decode('latin-1')} chunk"] = None
    return Metadata(exif, gps, xmp, False, False, tuple(text), fields, tuple(other), orientation)


def _strip_png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    out = [PNG_SIGNATURE]
    changed = False
    i, n = 8, len(data)
    while i + 8 <= n:
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > n:
            raise ValueError("PNG: truncated chunk")
        if kind in _PNG_KEEP or not kind[0] & 0x20:  # listed, or critical (upper-case first letter)
            out.append(data[i:end])
        else:
            changed = True
        i = end
        if kind == b"IEND":
            break
    else:
        raise ValueError("PNG: no IEND chunk")
    return b"".join(out) if changed or i < n else data


# -- GIF ---------------------------------------------------------------------------------------


def _gif_blocks(data: bytes) -> tuple[list[tuple[str, bytes, bytes]], int]:
    """(kind, label/app id, raw bytes) of every block after the header and global colour table; and the end."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise ValueError("not a GIF")
    flags = data[10]
    i = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    blocks: list[tuple[str, bytes, bytes]] = [("head", b"", data[:i])]
    n = len(data)

    def sub_blocks(j: int) -> int:
        while True:
            if j >= n:
                raise ValueError("GIF: truncated")
            size = data[j]
            j += 1 + size
            if size == 0:
                return j

    while i < n:
        intro = data[i]
        if intro == 0x3B:
            blocks.append(("trailer", b"", data[i : i + 1]))
            return blocks, i + 1
        if intro == 0x21:
            label = data[i + 1 : i + 2]
            ident = data[i + 3 : i + 3 + data[i + 2]] if label == b"\xff" and i + 2 < n else b""
            end = sub_blocks(i + 2)
            blocks.append(("ext", label + ident, data[i:end]))
        elif intro == 0x2C:
            if i + 10 > n:
                raise ValueError("GIF: truncated image")
            lflags = data[i + 9]
            j = i + 10 + (3 * (2 << (lflags & 7)) if lflags & 0x80 else 0)
            end = sub_blocks(j + 1)
            blocks.append(("image", b"", data[i:end]))
        else:
            raise ValueError(f"GIF: unexpected block 0x{intro:02x}")
        i = end
    return blocks, n  # no trailer: keep what there is


def _gif_drop(kind: str, ident: bytes) -> str:
    if kind != "ext":
        return ""
    if ident[:1] == b"\xfe":
        return "comment"
    if ident[:1] == b"\xff" and ident[1:] not in _GIF_KEEP_APPS:
        return "XMP" if ident[1:].startswith(b"XMP Data") else N_("application data")
    return ""


def _gif_metadata(data: bytes) -> Metadata:
    blocks, end = _gif_blocks(data)
    found = {_gif_drop(kind, ident) for kind, ident, _ in blocks} - {""}
    other = tuple(sorted(found - {"comment", "XMP"})) + ((N_("data after the image"),) if end < len(data) else ())
    return Metadata(xmp="XMP" in found, comment="comment" in found, other=other)


def _strip_gif(data: bytes) -> bytes:
    blocks, end = _gif_blocks(data)
    kept = [raw for kind, ident, raw in blocks if not _gif_drop(kind, ident)]
    return data if len(kept) == len(blocks) and end == len(data) else b"".join(kept)


# -- WebP (read only: prepare_image converts WebP) ----------------------------------------------


def _webp_metadata(data: bytes) -> Metadata:
    exif = gps = xmp = False
    fields: tuple[str, ...] = ()
    orientation = 1
    i = 12
    while i + 8 <= len(data):
        kind = data[i : i + 4]
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        if kind == b"EXIF":
            exif = True
            body = data[i + 8 : i + 8 + size]
            gps, fields, orientation = _exif_summary(body[6:] if body.startswith(b"Exif\x00") else body)
        elif kind == b"XMP ":
            xmp = True
        i += 8 + size + (size & 1)
    return Metadata(exif, gps, xmp, exif_fields=fields, orientation=orientation)


# -- entry points ------------------------------------------------------------------------------


def read_metadata(data: bytes) -> Metadata:
    """The metadata of a JPEG, PNG, GIF or WebP image (empty for other formats); ValueError when malformed."""
    try:
        if data.startswith(b"\xff\xd8"):
            return _jpeg_metadata(io.BytesIO(data))
        if data.startswith(PNG_SIGNATURE):
            return _png_metadata(io.BytesIO(data))
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return _gif_metadata(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_metadata(data)
    except (struct.error, IndexError) as exc:
        raise ValueError(f"malformed image: {exc}") from None
    return Metadata()


def file_metadata(path: Path) -> Metadata:
    """`read_metadata` of a file, reading only its headers for JPEG and PNG (large files stay cheap)."""
    with path.open("rb") as fh:
        head = fh.read(16)
        fh.seek(0)
        try:
            if head.startswith(b"\xff\xd8"):
                return _jpeg_metadata(fh)
            if head.startswith(PNG_SIGNATURE):
                return _png_metadata(fh)
        except (struct.error, IndexError) as exc:
            raise ValueError(f"malformed image: {exc}") from None
        return read_metadata(fh.read())


def strip_metadata(data: bytes) -> bytes:
    """`data` without its metadata, byte-wise (see the module docstring); the very same object when there
    was nothing to remove; other formats unchanged. ValueError when the data is not well formed."""
    try:
        if data.startswith(b"\xff\xd8"):
            return _strip_jpeg(data)
        if data.startswith(PNG_SIGNATURE):
            return _strip_png(data)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return _strip_gif(data)
    except IndexError as exc:
        raise ValueError(f"malformed image: {exc}") from None
    return data
