"""Image metadata never reaches WeChat (PIPL Art. 28), and `wxpub check` says which images carry it.

Real images made with Pillow, with EXIF (GPS, serial numbers, names), XMP, IPTC, comments, JFIF thumbnails
and trailing data; stripped byte-wise (the compressed data unchanged, pixels identical); uploaded through
the real client to the sandbox and read back; and checked in a real post.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import NOW, cover_bytes, post_text
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from pipeline.check import CheckContext, check_folders
from pipeline.imagemeta import file_metadata, read_metadata, strip_metadata
from pipeline.policy import load_policy
from pipeline.wechat.client import WeChatClient
from pipeline.wechat.images import MATERIAL_FORMATS, MATERIAL_IMAGE_LIMIT, prepare_image
from pipeline.wechat.sandbox import Sandbox, SandboxConfig

SERIAL = "SN-4711-0815"
ARTIST = "Zhang San"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Li Si</dc:creator></x:xmpmeta>'


def _exif(orientation: int = 1, gps: bool = True) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R5"
    exif[0x013B] = ARTIST
    exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0xA431] = SERIAL
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (39.0, 54.0, 12.5), "E", (116.0, 23.0, 5.0)
    return exif


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def photo(size: tuple[int, int] = (96, 64)) -> Image.Image:
    return Image.effect_noise(size, 60).convert("RGB")


def jpeg(im: Image.Image | None = None, **save: Any) -> bytes:
    buf = io.BytesIO()
    (im or photo()).save(buf, format="JPEG", quality=88, **save)
    return buf.getvalue()


def loaded_jpeg(orientation: int = 1, **save: Any) -> bytes:
    """A camera-like JPEG: EXIF with GPS, serial and artist, XMP, IPTC, a comment, a JFIF thumbnail, FlashPix
    maker data and trailing bytes (a secondary image) after the end of the image."""
    base = jpeg(exif=_exif(orientation), comment=b"shot at the customer's home", **save)
    assert base[2:4] == b"\xff\xe0"  # JFIF first: replace it by one with a 2x1 thumbnail
    jfif_len = int.from_bytes(base[4:6], "big")
    jfif = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x01" + b"\x80" * 6)
    extra = (
        _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP)
        + _segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x0c\x1c\x02\x50\x00\x07Wang Wu")
        + _segment(0xE2, b"FPXR\x00\x00maker data")
    )
    return base[:2] + jfif + extra + base[4 + jfif_len :] + b"\xff\xd8secondary image with its own EXIF"


def scan_data(data: bytes) -> bytes:
    """The bytes from the first SOS marker to the end-of-image marker: the compressed image itself."""
    start = data.index(b"\xff\xda")
    return data[start : data.rindex(b"\xff\xd9") + 2]


def assert_clean(data: bytes) -> None:
    assert not read_metadata(data), read_metadata(data).found
    for secret in (SERIAL.encode(), ARTIST.encode(), b"Li Si", b"Wang Wu", b"Canon", b"customer's home", b"FPXR"):
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as im:
        assert not im.getexif() and "comment" not in im.info and "xmp" not in im.info


# -- reading -----------------------------------------------------------------------------------


def test_read_metadata_names_what_a_camera_jpeg_carries() -> None:
    meta = read_metadata(loaded_jpeg())
    assert meta.gps and meta.exif and meta.xmp and meta.iptc and meta.comment
    assert meta.found[0] == "GPS location"
    assert "camera serial number" in meta.exif_fields and "artist" in meta.exif_fields
    assert "thumbnail" in meta.other and "APP2 data" in meta.other
    mpf = jpeg()[:2] + _segment(0xE2, b"MPF\x00II*\x00") + jpeg()[2:]
    assert read_metadata(mpf).other == ("secondary images (MPF)",)
    assert b"MPF" not in strip_metadata(mpf)


def test_a_plain_image_has_no_metadata() -> None:
    for data in (jpeg(), cover_bytes("PNG"), cover_bytes("GIF")):
        assert not read_metadata(data) and read_metadata(data).found == []


# -- stripping, lossless -----------------------------------------------------------------------


@pytest.mark.parametrize("save", [{}, {"progressive": True}, {"optimize": True}, {"restart_marker_blocks": 1}])
def test_jpeg_is_stripped_byte_wise_with_the_compressed_data_untouched(save: dict[str, Any]) -> None:
    data = loaded_jpeg(**save)
    out = strip_metadata(data)
    assert_clean(out)
    if not save.get("progressive"):
        assert scan_data(out) == scan_data(data)  # no recompression: the scan bytes are the same
    with Image.open(io.BytesIO(out)) as a, Image.open(io.BytesIO(data)) as b:
        assert a.tobytes() == b.tobytes() and a.quantization == b.quantization  # type: ignore[attr-defined]
    assert out.endswith(b"\xff\xd9")  # nothing after the end of the image
    assert strip_metadata(out) is out  # idempotent: a clean file comes back as the very same bytes


def test_icc_profile_and_adobe_segments_are_kept() -> None:
    icc = b"\x00" * 128 + b"acsp" + b"\x00" * 16
    data = jpeg(icc_profile=icc, exif=_exif())
    out = strip_metadata(data)
    assert b"ICC_PROFILE\x00" in out and b"Canon" not in out
    assert Image.open(io.BytesIO(out)).info.get("icc_profile") == icc


def test_png_text_exif_and_xmp_chunks_are_dropped_pixels_kept() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", ARTIST)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Comment", "customer's home", zip=True)
    buf = io.BytesIO()
    photo().convert("RGBA").save(buf, format="PNG", pnginfo=info, exif=_exif())
    data = buf.getvalue()
    meta = read_metadata(data)
    assert meta.gps and meta.xmp and "Author" in meta.text
    out = strip_metadata(data)
    assert_clean(out)
    with Image.open(io.BytesIO(out)) as a, Image.open(io.BytesIO(data)) as b:
        assert a.tobytes() == b.tobytes() and a.mode == "RGBA"


def test_gif_comments_and_xmp_are_dropped() -> None:
    buf = io.BytesIO()
    photo().convert("P").save(buf, format="GIF", comment=b"customer's home")
    data = buf.getvalue()
    assert read_metadata(data).comment
    out = strip_metadata(data)
    assert_clean(out)
    assert Image.open(io.BytesIO(out)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


LOADED = loaded_jpeg()


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=4000), flip=st.integers(min_value=0, max_value=4000))
def test_damaged_jpegs_either_strip_or_raise_value_error(cut: int, flip: int) -> None:
    data = bytearray(LOADED)
    if flip < len(data):
        data[flip] ^= 0xFF
    damaged = bytes(data[: max(2, len(data) - cut)])
    try:
        out = strip_metadata(damaged)
        meta = read_metadata(out)
    except ValueError:
        return  # refused: prepare_image then re-encodes the image through Pillow, or reports it
    assert not (meta.exif or meta.gps or meta.xmp or meta.iptc or meta.comment), meta


# -- what is sent to WeChat --------------------------------------------------------------------


def test_prepare_image_strips_and_does_not_recompress() -> None:
    data = loaded_jpeg()
    out, name = prepare_image(data, "photo.jpg")
    assert name == "photo.jpg"
    assert_clean(out)
    assert scan_data(out) == scan_data(data)
    clean = jpeg()
    assert prepare_image(clean, "clean.jpg")[0] is clean  # nothing to strip: the very same bytes


def test_prepare_image_turns_a_rotated_photo_upright_with_its_own_quantisation_tables() -> None:
    data = loaded_jpeg(orientation=6)  # stored landscape 96x64, shown portrait
    out, name = prepare_image(data, "rotated.JPG")
    assert name == "rotated.JPG"
    assert_clean(out)
    with Image.open(io.BytesIO(out)) as a, Image.open(io.BytesIO(data)) as b:
        assert a.size == (64, 96)
        assert a.quantization == b.quantization  # type: ignore[attr-defined]  # same quality as the original, not a default


def test_prepare_image_keeps_a_rotated_png_a_png() -> None:
    buf = io.BytesIO()
    photo().save(buf, format="PNG", exif=_exif(orientation=8))
    out, name = prepare_image(buf.getvalue(), "chart.png")
    assert name == "chart.png"
    assert_clean(out)
    assert Image.open(io.BytesIO(out)).size == (64, 96)


@pytest.mark.parametrize("fmt", ["WEBP", "TIFF"])
def test_converted_images_carry_no_metadata(fmt: str) -> None:
    buf = io.BytesIO()
    photo().save(buf, format=fmt, exif=_exif())
    assert read_metadata(buf.getvalue()).gps or fmt == "TIFF"
    out, _ = prepare_image(buf.getvalue(), f"x.{fmt.lower()}")
    assert_clean(out)


def test_cover_material_is_stripped_too() -> None:
    data = loaded_jpeg()
    out, _ = prepare_image(data, "cover.jpg", max_bytes=MATERIAL_IMAGE_LIMIT, formats=MATERIAL_FORMATS)
    assert_clean(out)


def test_images_uploaded_through_the_client_reach_the_sandbox_without_metadata(tmp_path: Path) -> None:
    data = loaded_jpeg()
    with Sandbox(SandboxConfig()) as sb:
        cfg = sb.config
        with WeChatClient(cfg.appid, cfg.secret, base_url=sb.base_url, state_dir=tmp_path / "state") as client:
            body_url = client.upload_body_image(data, "photo.jpg")
            _media_id, cover_url = client.add_cover(data, "cover.jpg")
            for url in (body_url, cover_url):
                with requests.get(url, timeout=5) as got:
                    assert got.status_code == 200
                    assert_clean(got.content)
                    assert scan_data(got.content) == scan_data(data)


# -- wxpub check -------------------------------------------------------------------------------


def test_check_reports_images_that_carry_metadata(make_repo: Callable[..., Path]) -> None:
    post_id = "2026/12-05-card"
    body = "正文。\n\n![门店](shop.jpg)\n\n![图表](chart.png)\n"
    sources = [{"file": f, "source": "original"} for f in ("cover.jpg", "shop.jpg", "chart.png")]
    files = {
        "index.md": post_text(body, sources=sources),
        "cover.jpg": loaded_jpeg(),
        "shop.jpg": jpeg(exif=_exif(gps=False)),
        "chart.png": cover_bytes("PNG"),
    }
    root = make_repo({post_id: files}, commit=False)
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    found = [
        f for f in check_folders([root / "posts" / post_id], ctx, jobs=1).findings if f.rule == "pii/image-metadata"
    ]
    assert [(f.match, str(f.severity)) for f in found] == [("cover.jpg", "info"), ("shop.jpg", "info")]
    cover, shop = found
    assert "GPS location" in cover.message and "removed before upload" in cover.message and cover.line
    assert "GPS" not in shop.message and "camera serial number" in shop.message
    assert file_metadata(root / "posts" / post_id / "chart.png").found == []
