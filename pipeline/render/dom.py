"""A tiny HTML tree: enough to reshape the Markdown output before the sanitiser sees it.

`parse(html)` builds a tree of `Element`s and strings with `html.parser` (tolerant of the editor's
raw HTML), dropping whatever can never be shown (scripts, styles, frames, forms' controls, comments)
and remembering what it dropped in `Tree.dropped`, so the renderer can tell the editor. The tree is
only a convenience for the transforms: the nh3 pass that follows is the security boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
# Dropped with everything inside them: nothing a WeChat article can show.
DROP_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
        "textarea",
        "select",
        "button",
        "input",
        "link",
        "meta",
        "base",
        "audio",
        "video",
        "canvas",
        "form",
    }
)
# Dropping these is worth telling the editor about (the rest is harmless formatting).
SUSPICIOUS = frozenset({"script", "iframe", "frame", "object", "embed", "applet", "form", "base", "meta", "link"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    parent: Element | None = field(default=None, repr=False, compare=False)

    def append(self, node: Node) -> None:
        if isinstance(node, Element):
            node.parent = self
        self.children.append(node)

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        """Descendant elements in document order (a snapshot: safe to edit while iterating)."""
        out: list[Element] = []
        self._collect(out, tag)
        return iter(out)

    def _collect(self, out: list[Element], tag: str | None) -> None:
        for c in self.children:
            if isinstance(c, Element):
                if tag is None or c.tag == tag:
                    out.append(c)
                c._collect(out, tag)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def index(self) -> int:
        assert self.parent is not None
        return next(i for i, c in enumerate(self.parent.children) if c is self)

    def replace_with(self, *nodes: Node) -> None:
        """Put `nodes` where this element was."""
        parent = self.parent
        assert parent is not None
        i = self.index()
        for n in nodes:
            if isinstance(n, Element):
                n.parent = parent
        parent.children[i : i + 1] = list(nodes)
        self.parent = None

    def unwrap(self) -> None:
        """Replace the element by its children."""
        self.replace_with(*self.children)

    def insert_after(self, *nodes: Node) -> None:
        parent = self.parent
        assert parent is not None
        i = self.index() + 1
        for n in nodes:
            if isinstance(n, Element):
                n.parent = parent
        parent.children[i:i] = list(nodes)

    def ancestors(self) -> Iterator[Element]:
        p = self.parent
        while p is not None:
            yield p
            p = p.parent


Node = Element | str


def lift_out(child: Element, replacement: Element | None = None) -> None:
    """Split the paragraph holding `child` around it: `<p>a<X>b</p>` becomes `<p>a</p><X><p>b</p>`.

    `replacement` takes the child's place (the child is then left detached for the caller to place).
    Empty halves are dropped; whitespace and line breaks at the cut are trimmed.
    """
    p = child.parent
    assert p is not None and p.parent is not None
    i = child.index()
    before, after = p.children[:i], p.children[i + 1 :]
    nodes: list[Node] = []
    for side, part in (("before", before), ("middle", None), ("after", after)):
        if part is None:
            nodes.append(replacement if replacement is not None else child)
            continue
        while part and _blank(part[0]):
            part = part[1:]
        while part and _blank(part[-1]):
            part = part[:-1]
        if part and side == "before" and isinstance(part[-1], str):
            part = [*part[:-1], part[-1].rstrip()]
        if part and side == "after" and isinstance(part[0], str):
            part = [part[0].lstrip(), *part[1:]]
        if part:
            para = Element(p.tag, dict(p.attrs))
            for node in part:
                para.append(node)
            nodes.append(para)
    p.replace_with(*nodes)


def _blank(node: Node) -> bool:
    return node.strip() == "" if isinstance(node, str) else node.tag == "br"


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root")
        self.stack: list[Element] = [self.root]
        self.skip_depth = 0  # >0 while inside a dropped element
        self.skip_tag = ""
        self.dropped: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        if tag in DROP_CONTENT:
            if tag in SUSPICIOUS:
                self.dropped.append(f"<{tag}>")
            if tag not in VOID:
                self.skip_depth, self.skip_tag = 1, tag
            return
        el = Element(tag)
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on"):
                self.dropped.append(f"{name}=")
                continue
            el.attrs.setdefault(name, value or "")
        self.stack[-1].append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and not self.skip_depth and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth -= 1
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and data:
            self.stack[-1].append(data)


@dataclass
class Tree:
    root: Element
    dropped: list[str]


_DECLARATION = re.compile(r"<!(?!--)")


def parse(html: str) -> Tree:
    """The tree of `html`. Declarations (`<!DOCTYPE`, `<![CDATA[`) are kept as text; never raises."""
    b = _Builder()
    try:
        b.feed(_DECLARATION.sub("&lt;!", html))
        b.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup: show it as text
        b = _Builder()
        b.root.append(html)
    return Tree(b.root, b.dropped)


def serialize(node: Node) -> str:
    out: list[str] = []
    _write(node, out)
    return "".join(out)


def _write(node: Node, out: list[str]) -> None:
    if isinstance(node, str):
        out.append(escape(node, quote=False))
        return
    if node.tag != "#root":
        out.append("<" + node.tag)
        for k, v in node.attrs.items():
            out.append(f' {k}="{escape(v, quote=True)}"')
        out.append(">")
        if node.tag in VOID:
            return
    for c in node.children:
        _write(c, out)
    if node.tag != "#root":
        out.append(f"</{node.tag}>")
