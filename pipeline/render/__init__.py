"""Markdown to the HTML a WeChat article keeps, and a phone-width preview of the post.

    render_post(post, root, policy, images=None) -> Rendered(html, references, images, findings)
    body_images(post) -> list[str]           local images of the body, in order (keys for `images`)
    preview_html(post, root, policy) -> str  a self-contained 375 px preview (images embedded)

`images` maps each local image (relative to the post folder) to the URL WeChat's upload returned;
with a mapping an unmapped image is an error finding, without one local paths stay as written.
Importing this package registers the `render/*` rules; `pipeline.render.checks` runs them in `wxpub check`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import rules
from .article import PlaceholderImages, Rendered, body_images, render_body, render_post

if TYPE_CHECKING:
    from .preview import preview_html


def __getattr__(name: str) -> object:
    """`preview_html` is imported on first use: `wxpub check` renders but never previews (nor serves HTTP)."""
    if name == "preview_html":
        from .preview import preview_html

        return preview_html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PlaceholderImages", "Rendered", "body_images", "preview_html", "render_body", "render_post", "rules"]
