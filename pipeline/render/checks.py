"""`wxpub check` runs the renderer on every post: what WeChat would reject, drop or flatten.

The body is rendered as the publisher will send it, with each local image standing in for a URL as
long as WeChat's, so `render/body-length` measures what WeChat will count.

A body of plain paragraphs (`plain_paragraphs`: no character or line start that Markdown or HTML reads
as markup) renders to `<p>` elements holding its own text, so only `render/body-length` could apply to
it. Its rendered length is at most that of the same number of one-character paragraphs (rendered once
per count, memoised) plus the length of the body: when that bound is under WeChat's limits, the post
has no render finding and is not rendered. Anything else, or a bound at the limit, is rendered in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding
from ..post import Post
from .article import MAX_BYTES, MAX_CHARS, PlaceholderImages, render_body, render_post
from .theme import theme_css

# Characters Markdown, the HTML parser or the serialisers treat specially anywhere in a line (inline markup,
# raw HTML, entities, escapes, tables, fences, footnotes, and the no-break space written as &nbsp;), and
# control characters other than the line break (Python-Markdown's placeholders use \x02 and \x03).
_MARKUP = re.compile(r"[<>&\[\]!*_~`\\|#\x00-\x09\x0b-\x1f\x7f\xa0]")
# Line starts that open a block (lists, headings, quotes, code, setext underlines); a line may neither start
# nor end with whitespace (a hard line break), so blank lines are empty.
_BLOCK_START = frozenset("-+=>:")  # and any decimal digit: Markdown reads `１. ` (full width) as a list item too


def plain_paragraphs(body: str) -> int | None:
    """The number of paragraphs of a body that is only plain paragraphs (see the module doc), else None."""
    if _MARKUP.search(body):
        return None
    count = 0
    previous_blank = True
    for line in body.split("\n"):
        if not line:
            previous_blank = True
            continue
        if line[0] in _BLOCK_START or line[0].isdecimal() or line[0].isspace() or line[-1].isspace():
            return None
        count += previous_blank
        previous_blank = False
    return count or None


_SKELETONS: dict[tuple[str, int], tuple[int, int]] = {}


def _skeleton(css: str, paragraphs: int) -> tuple[int, int]:
    """(characters, UTF-8 bytes) of `paragraphs` one-character paragraphs, rendered with this theme."""
    key = (css, paragraphs)
    if key not in _SKELETONS:
        html = render_body("\n\n".join(["x"] * paragraphs), css=css, images=PlaceholderImages()).html
        _SKELETONS[key] = (len(html), len(html.encode("utf-8")))
    return _SKELETONS[key]


def surely_short(post: Post, css: str) -> bool:
    """True when the body is plain paragraphs whose rendered length is provably under WeChat's limits."""
    paragraphs = plain_paragraphs(post.body)
    if paragraphs is None:
        return False
    chars, size = _skeleton(css, paragraphs)
    # each paragraph's text renders as at most its source text (nothing is escaped, lines only join)
    return chars - paragraphs + len(post.body) < MAX_CHARS and size - paragraphs + len(post.body.encode()) < MAX_BYTES


@post_check
def render_findings(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    """render/body-length, render/list-depth, render/image-*, render/unsafe-html."""
    if surely_short(post, theme_css(ctx.root, ctx.policy)):
        return []
    return render_post(post, ctx.root, ctx.policy, images=PlaceholderImages()).findings
