"""`wxpub check` runs the renderer on every post: what WeChat would reject, drop or flatten.

The body is rendered as the publisher will send it, with each local image standing in for a URL as
long as WeChat's, so `render/body-length` measures what WeChat will count.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding
from ..post import Post
from .article import PlaceholderImages, render_post


@post_check
def render_findings(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    """render/body-length, render/list-depth, render/image-*, render/unsafe-html."""
    return render_post(post, ctx.root, ctx.policy, images=PlaceholderImages()).findings
