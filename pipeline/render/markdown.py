"""Markdown to plain HTML: python-markdown with pymdown-extensions, one instance per process.

Python-Markdown nests a list only under four spaces of indentation, while most editors (Typora,
VS Code, Obsidian) indent nested items by two or three; and it needs a blank line between a paragraph
and a list or a table, which CommonMark/GFM editors do not. `normalise_lists` re-indents list items to the level their
indentation implies and opens that gap, and reports the lines (of the text it was given) where a list
reaches a third level, which WeChat cannot show.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import markdown as md_lib

EXTENSIONS = [
    "tables",
    "footnotes",
    "sane_lists",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.tilde",
]
# Not pymdownx.betterem: its word-boundary rules leave `利率**2.60%**起` and `**注：**本活动` unbolded.
# The class of the code blocks this stage writes: random per process, so raw HTML in a post cannot pass
# itself off as one (`pipeline.render.shape.tidy` recognises code blocks by it).
CODE_CLASS = f"wxpub-code-{secrets.token_hex(12)}"
EXTENSION_CONFIGS: dict[str, dict[str, object]] = {
    # Pygments colours as inline styles: WeChat keeps no classes.
    "pymdownx.highlight": {
        "use_pygments": True,
        "noclasses": True,
        "pygments_style": "friendly",
        "guess_lang": False,
        "css_class": CODE_CLASS,
    },
    "pymdownx.tilde": {"subscript": False},
    "footnotes": {"BACKLINK_TEXT": "", "UNIQUE_IDS": False},
}

# Every inline pattern of the converter, by its registered name, with what its regular expression needs
# to find to match at all (each match starts with one of these characters, or the two-space line break).
# A text with none of them leaves the inline pass unchanged, so the pass skips it: most paragraphs of a
# Chinese post. With a pattern not listed here (another extension), nothing is skipped.
INLINE_TRIGGERS: dict[str, str] = {
    "backtick": "`\\",  # `code`, or a run of escaped backslashes before a backtick
    "escape": "\\",
    "footnote": "[",  # [^1]
    "reference": "[",
    "link": "[",
    "image_link": "[",  # ![
    "image_reference": "[",
    "short_reference": "[",
    "short_image_ref": "[",
    "autolink": "<",
    "automail": "<",
    "linebreak": "  \n",  # the string: two spaces, then a line break
    "html": "<",  # also comments, processing instructions, CDATA
    "entity": "&",
    "em_strong": "*_",
    "delimiter": "~",  # pymdownx.tilde
}
_TRIGGER = re.compile(r"[`\\\[<&*_~]|  \n")
INLINE_PRIORITY = 20  # where Python-Markdown registers its inline pass (markdown.treeprocessors)


class _Inline(md_lib.treeprocessors.InlineProcessor):
    """Python-Markdown's inline pass, skipping texts that no inline pattern can match (see INLINE_TRIGGERS)."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if not _TRIGGER.search(data):
            return data  # what the pass returns when no pattern matches
        return super()._InlineProcessor__handleInline(data, patternIndex)  # type: ignore[misc, no-any-return]


def only_known_patterns(md: md_lib.Markdown) -> bool:
    """Whether every inline pattern registered on `md` is one of INLINE_TRIGGERS."""
    return sum(name in md.inlinePatterns for name in INLINE_TRIGGERS) == len(md.inlinePatterns)


_instance: md_lib.Markdown | None = None


def instance() -> md_lib.Markdown:
    """The process's Markdown converter (building one costs more than converting a post)."""
    global _instance
    if _instance is None:
        md = md_lib.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
        if only_known_patterns(md):
            md.treeprocessors.register(_Inline(md), "inline", INLINE_PRIORITY)
        _instance = md
    return _instance


def to_html(text: str) -> str:
    md = instance()
    try:
        return md.convert(text)
    finally:
        md.reset()


_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+|$)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$|^\s*\|\s*:?-+:?\s*\|\s*$")
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})")


@dataclass
class Lists:
    text: str
    deep: list[int] = field(default_factory=list)  # 0-based body lines where a list reaches level 3


def _width(prefix: str) -> int:
    return len(prefix.expandtabs(4))


def normalise_lists(text: str) -> Lists:
    """Re-indent nested list items to four spaces per level; note where nesting passes two levels."""
    lines = text.split("\n")
    out: list[str] = []
    deep: list[int] = []
    stack: list[tuple[int, int]] = []  # (marker indent, content column) of the open items, outermost first
    fence: tuple[str, int] | None = None  # (fence marker, indentation delta) while inside a fenced block
    blank_before = True
    in_deep = False
    loose_paragraph = False  # inside an item's paragraph that follows a blank line
    for n, line in enumerate(lines):
        if fence is not None:
            out.append(_shift(line, fence[1]))
            m = _FENCE.match(line)
            if m and m.group(2)[0] == fence[0][0] and len(m.group(2)) >= len(fence[0]) and not line[m.end() :].strip():
                fence = None
            continue
        if not line.strip():
            out.append(line)
            blank_before = True
            continue
        indent = _width(line[: len(line) - len(line.lstrip(" \t"))])
        if (
            not stack
            and not blank_before
            and "|" in line
            and n + 1 < len(lines)
            and _TABLE_RULE.match(lines[n + 1])
            and "|" not in out[-1]
        ):
            out.append("")  # a table may start right under a paragraph (GFM); Python-Markdown needs a gap
        item = _ITEM.match(line)
        if item and (stack or indent < 4):
            if not stack and not blank_before and (item.group(2)[0] in "-*+" or item.group(2)[:-1] == "1"):
                out.append("")  # a list may start right under a paragraph (CommonMark); Python-Markdown needs a gap
            elif stack and not blank_before and loose_paragraph:
                out.append("")  # the next item after an item's second paragraph: Python-Markdown needs a gap
            loose_paragraph = False
            while stack and indent < stack[-1][0]:
                stack.pop()
            if stack and indent == stack[-1][0]:
                stack.pop()
            elif stack and indent >= stack[-1][1] + 4:  # an indented code block inside the item, not a sub-list
                out.append(_shift(line, 4 * len(stack) - stack[-1][1]))
                blank_before = False
                continue
            level = len(stack)
            if level >= 2 and not in_deep:
                deep.append(n)
            in_deep = level >= 2
            new_indent = 4 * level
            content = _width(item.group(1)) + len(item.group(2)) + len(item.group(3).expandtabs(4))
            stack.append((indent, content))
            line = " " * new_indent + line.lstrip(" \t")
            new_line = line
        elif stack and indent > 0:
            loose_paragraph = loose_paragraph or blank_before
            delta = 4 * len(stack) - stack[-1][1]
            new_line = _shift(line, delta) if indent >= stack[-1][1] else " " * (4 * len(stack)) + line.lstrip(" \t")
        else:
            if indent == 0 and blank_before:
                stack.clear()
                in_deep = False
            new_line = line
        m = _FENCE.match(new_line)
        if m:
            fence = (m.group(2), _width(m.group(1)) - indent)
        out.append(new_line)
        blank_before = False
    return Lists("\n".join(out), deep)


def _shift(line: str, delta: int) -> str:
    if delta == 0 or not line.strip():
        return line
    stripped = line.lstrip(" \t")
    indent = _width(line[: len(line) - len(stripped)])
    return " " * max(0, indent + delta) + stripped
