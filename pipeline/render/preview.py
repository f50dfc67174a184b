"""A phone-width (375 px) preview of a post as a WeChat reader sees it, in one self-contained file.

The page shows the share card (cover, title, digest), then the article: title, the author / account /
date line, and the body exactly as rendered for WeChat, with its local images embedded as `data:` URIs
(here only: the HTML sent to WeChat never carries `data:`). It loads nothing from anywhere, so it can be
opened from disk, attached to a review, or served on 127.0.0.1 (`serve`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html as htmllib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ..findings import Finding
from ..i18n import _
from ..policy import Policy
from ..post import Post, cover_path, image_kind, resolve_inside
from ..urls import vet_url
from .article import render_body
from .theme import theme_css

WIDTH = 375
# The page loads nothing: images are embedded `data:` URIs, styles inline. Should anything in a post get past
# the renderer, the browser still refuses to fetch it (and to run any script).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')
_MIME = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "bmp": "image/bmp"}
_MISSING = (
    "data:image/svg+xml;base64,"
    + base64.b64encode(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="343" height="120"><rect width="100%" height="100%" '
        b'fill="#f3f3f3"/><text x="50%" y="50%" text-anchor="middle" fill="#999" font-size="14">'
        b"\xe5\x9b\xbe\xe7\x89\x87\xe7\xbc\xba\xe5\xa4\xb1 / image missing</text></svg>"
    ).decode()
)

PAGE_CSS = f"""
html{{background:#ededed}}
body{{margin:0;font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei",
"Noto Sans CJK SC",sans-serif;-webkit-text-size-adjust:100%}}
.phone{{width:{WIDTH}px;max-width:100%;margin:0 auto;background:#fff;min-height:100vh;box-sizing:border-box}}
.card{{background:#ededed;padding:16px}}
.card-inner{{background:#fff;border-radius:8px;overflow:hidden}}
.card-cover{{display:block;width:100%;aspect-ratio:2.35/1;object-fit:cover;background:#ccc}}
.card-title{{font-size:17px;line-height:1.4;font-weight:600;color:#222;padding:10px 14px 4px}}
.card-digest{{font-size:14px;line-height:1.5;color:#888;padding:0 14px 12px}}
.label{{font-size:12px;color:#999;padding:0 0 8px}}
.page{{padding:20px 16px 40px}}
.title{{font-size:22px;line-height:1.4;font-weight:bold;color:#222;margin:0 0 14px}}
.meta{{font-size:15px;color:rgba(0,0,0,.3);margin:0 0 22px;line-height:1.6}}
.meta .account{{color:#576b95;margin-right:8px}}
.meta .author{{margin-right:8px}}
.unit{{font-size:12px;color:#999;margin:-16px 0 22px}}
.source{{margin:24px 0 0;font-size:15px}}
.source a{{color:#576b95;text-decoration:none}}
.notes{{width:{WIDTH}px;max-width:100%;margin:0 auto;padding:12px 16px;box-sizing:border-box;font-size:12px;
color:#555;background:#fff8e1;border-top:1px solid #f0d98c}}
.notes p{{margin:4px 0}}
"""


def preview_html(post: Post, root: Path, policy: Policy) -> str:
    """The whole preview page for a post (front matter may be incomplete: shown as far as it goes)."""
    rendered = render_body(
        post.body,
        css=theme_css(root, policy),
        images=None,
        folder=post.folder,
        root=root,
        path=post.path,
        body_line=post.body_line,
    )
    body = embed_images(rendered.html, post.folder, root)
    meta = post.meta
    title = meta.title if meta else str(post.raw.get("title", "") or post.id)
    author = meta.author if meta else str(post.raw.get("author", "") or "")
    unit = meta.unit if meta else str(post.raw.get("unit", "") or "")
    digest = (meta.digest if meta else str(post.raw.get("digest", "") or "")) or _first_chars(rendered.html, 54)
    when = _when(meta.publish_at.astimezone(policy.tz) if meta else None)
    account = (
        policy.account.approved_accounts[0].name if policy.account.approved_accounts else policy.bank.official_names[-1]
    )
    cover = cover_path(post, root)
    cover_uri = _data_uri(cover) if cover else _MISSING
    esc = htmllib.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        f'<meta name="viewport" content="width={WIDTH}, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)} · 预览</title>",
        f"<style>{PAGE_CSS}</style></head><body>",
        '<main class="phone">',
        '<section class="card"><p class="label">消息卡片 · share card</p><div class="card-inner">',
        f'<img class="card-cover" src="{cover_uri}" alt="封面 cover">',
        f'<div class="card-title">{esc(title)}</div><div class="card-digest">{esc(digest)}</div></div></section>',
        '<article class="page">',
        f'<h1 class="title">{esc(title)}</h1>',
        '<p class="meta">'
        + (f'<span class="author">{esc(author)}</span>' if author else "")
        + f'<span class="account">{esc(account)}</span><span class="date">{esc(when)}</span></p>',
        f'<p class="unit">发布单位：{esc(unit)}</p>' if unit else "",
        f'<div class="content">{body}</div>',
        _source_link(str(meta.source_url)) if meta and meta.source_url else "",
        "</article></main>",
        _notes(rendered.findings),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _source_link(url: str) -> str:
    """阅读原文, when the address is a well-formed web address (`pipeline.urls.vet_url`)."""
    vetted = vet_url(url, None, schemes=("http", "https"), any_port=True)
    return f'<p class="source"><a href="{htmllib.escape(vetted)}">阅读原文</a></p>' if vetted else ""


def embed_images(html: str, folder: Path, root: Path) -> str:
    """Replace relative image paths by `data:` URIs of the files (a placeholder when a file is missing)."""

    def sub(m: re.Match[str]) -> str:
        src = htmllib.unescape(m.group(2))
        if src.lower().startswith(("http://", "https://", "data:")):
            return m.group(0)
        path, _why = resolve_inside(folder, src, root)
        return m.group(1) + (_data_uri(path) if path else _MISSING) + m.group(3)

    return _IMG_SRC.sub(sub, html)


def _data_uri(path: Path) -> str:
    kind = image_kind(path)
    if kind is None:
        return _MISSING
    return f"data:{_MIME[kind]};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _when(t: dt.datetime | None) -> str:
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" if t else ""


def _first_chars(html: str, n: int) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    return re.sub(r"\s+", " ", htmllib.unescape(text)).strip()[:n]


def _notes(findings: list[Finding]) -> str:
    if not findings:
        return ""
    esc = htmllib.escape
    from ..report import severity_label

    rows = "".join(
        "<p>"
        + esc(
            _(
                "{severity} {rule} (line {line}): {message}",
                severity=severity_label(f.severity),
                rule=f.rule,
                line=f.line,
                message=f.message,
            )
        )
        + "</p>"
        for f in findings
    )
    notes = esc(_("notes (not part of the article)"))
    return f'<aside class="notes"><p><b>wxpub</b> {notes}</p>{rows}</aside>'


class _Handler(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/", "/index.html"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the CLI prints the address
        pass


def serve(page: str, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve `page` at http://host:port/ from a background thread; `server.shutdown()` stops it."""
    handler = type("PreviewHandler", (_Handler,), {"page": page.encode("utf-8")})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="wxpub-preview", daemon=True).start()
    return server
