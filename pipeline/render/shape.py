"""The reshaping steps: python-markdown's HTML tree made into what a WeChat article keeps.

Each step edits the tree in place. They run in the order `pipeline.render.article.render_body` lists.
"""

from __future__ import annotations

import re

from .dom import Element
from .markdown import CODE_CLASS
from .sanitize import EDITOR_STYLE_PROPERTIES, filter_style

FOOTNOTES_TITLE = "注释"
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
# a line break beside a Chinese character shows as a stray space: remove it (CSS Text 3 segment breaks)
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n[ \t]*|[ \t]*\n[ \t]*(?=[{_CJK}])")


def footnotes(elements: list[Element]) -> None:
    """python-markdown's footnotes, without the in-page anchors WeChat cannot follow."""
    for sup in (e for e in elements if e.tag == "sup"):
        link = next((c for c in sup.children if isinstance(c, Element) and "footnote-ref" in c.classes()), None)
        if link is not None:
            sup.attrs = {"class": "wx-fnref"}
            sup.children = [f"注{link.text()}"]
            link.parent = None
    for div in (e for e in elements if e.tag == "div"):
        if "footnote" not in div.classes():
            continue
        div.tag, div.attrs = "section", {"class": "wx-footnotes"}
        div.children = [c for c in div.children if not (isinstance(c, Element) and c.tag == "hr")]
        title = Element("h4", {"class": "wx-footnotes-title"})
        title.append(FOOTNOTES_TITLE)
        title.parent = div
        div.children.insert(0, title)
        for a in div.iter("a"):
            if "footnote-backref" in a.classes():
                parent = a.parent
                a.replace_with()
                if parent is not None and parent.children and isinstance(parent.children[-1], str):
                    parent.children[-1] = parent.children[-1].rstrip("\xa0 ")


def tidy(elements: list[Element]) -> None:
    """Code blocks and divs become sections; classes and ids go; editors' styles are narrowed.

    A code block is only what the Markdown stage wrote (its class `CODE_CLASS` is random per process):
    raw HTML with `class="highlight"` or `class="wx-code"` is an editor's and narrowed like any other.
    `elements` is in document order, so a block is seen before what it contains.
    """
    code: set[int] = set()  # ids of the code blocks written by the Markdown stage
    for el in elements:
        cls = el.classes()
        if el.tag == "div" and cls == {CODE_CLASS}:
            el.tag, el.attrs = "section", {"class": "wx-code", "style": filter_style(el.attrs.get("style", ""))}
            code.add(id(el))
            continue
        if el.tag == "div":
            el.tag = "section"
        style = el.attrs.get("style")
        keep = {k: v for k, v in el.attrs.items() if k not in ("class", "id", "style") and not k.startswith("data-")}
        if style:
            in_code = any(id(a) in code for a in el.ancestors())
            style = filter_style(style) if in_code else filter_style(style, EDITOR_STYLE_PROPERTIES)
        if style:
            keep["style"] = style
        if el.attrs.get("class", "").startswith("wx-") and el.tag in ("sup", "section", "h4"):
            keep["class"] = el.attrs["class"]
        el.attrs = keep


def flatten_lists(lists: list[Element]) -> int:
    """Lift items of lists nested past two levels into the second level; return how many lists moved."""
    moved = 0
    for lst in lists:
        if _list_depth(lst) != 1:
            continue
        for li in [c for c in lst.children if isinstance(c, Element) and c.tag == "li"]:
            lifted: list[Element] = []
            for sub in [c for c in li.children if isinstance(c, Element) and c.tag in ("ul", "ol")]:
                li.children.remove(sub)
                lifted.extend(_all_items(sub))
                moved += 1
            if lifted:
                li.insert_after(*lifted)
    return moved


def _list_depth(el: Element) -> int:
    """How many lists enclose this one (0 for a top-level list)."""
    return sum(1 for a in el.ancestors() if a.tag in ("ul", "ol"))


def _all_items(lst: Element) -> list[Element]:
    out: list[Element] = []
    for li in [c for c in lst.children if isinstance(c, Element) and c.tag == "li"]:
        subs = [c for c in li.children if isinstance(c, Element) and c.tag in ("ul", "ol")]
        li.children = [c for c in li.children if c not in subs]
        out.append(li)
        for sub in subs:
            out.extend(_all_items(sub))
    return out


def wrap_tables(tables: list[Element]) -> None:
    for table in tables:
        wrapper = Element("section", {"class": "wx-table"})
        table.replace_with(wrapper)
        wrapper.append(table)


_SPACE_RUN = re.compile(r"(?<= ) | (?= )")  # a space next to another: HTML would collapse the pair


def hard_code_lines(pre: Element) -> None:
    """Line breaks in code as `<br>`, indentation as no-break spaces: WeChat's apps do not all honour <pre>."""

    def walk(el: Element, first: list[bool]) -> None:
        out: list[Element | str] = []
        for c in el.children:
            if isinstance(c, Element):
                walk(c, first)
                out.append(c)
                continue
            for i, line in enumerate(c.split("\n")):
                if i:
                    br = Element("br")
                    br.parent = el
                    out.append(br)
                    first[0] = True
                if line:
                    if first[0]:
                        stripped = line.lstrip(" ")
                        line = "\xa0" * (len(line) - len(stripped)) + stripped
                    out.append(_SPACE_RUN.sub("\xa0", line))
                    first[0] = False
        el.children = out

    walk(pre, [True])
    # the last line break of a block ends the block: drop it
    last = pre
    while last.children and isinstance(last.children[-1], Element) and last.children[-1].tag != "br":
        last = last.children[-1]  # type: ignore[assignment]
    if last.children and isinstance(last.children[-1], Element) and last.children[-1].tag == "br":
        last.children.pop()


def join_cjk_lines(top: Element) -> None:
    """A line break inside a paragraph shows as a space; between Chinese characters it should not."""

    def walk(el: Element) -> None:
        if el.tag in ("pre", "code"):
            return
        for i, c in enumerate(el.children):
            if isinstance(c, str):
                if "\n" in c:
                    el.children[i] = _CJK_BREAK.sub("", c)
            else:
                walk(c)

    walk(top)


BLOCK_IN_P = frozenset(
    {"section", "div", "table", "blockquote", "pre", "ul", "ol", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_BLOCKS = frozenset(
    {"#root", "section", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "blockquote", "figure", "h4"}
)


def compact(top: Element) -> None:
    """Drop paragraphs left empty (e.g. by removed images) and whitespace between blocks."""
    elements = [top, *top.iter()]
    for el in elements:
        if el.tag == "p" and el.parent is not None and not el.text().strip() and not any(el.iter("img")):
            el.replace_with()
    for el in elements:
        if el.tag in _BLOCKS:
            kept = [c for c in el.children if not (isinstance(c, str) and not c.strip())]
            if el.tag == "li" and kept and isinstance(kept[-1], str):
                kept[-1] = kept[-1].rstrip()
            if el.tag == "li" and kept and isinstance(kept[0], str):
                kept[0] = kept[0].lstrip()
            el.children = kept
