"""`wxpub check` skips rendering a body of plain paragraphs only when it provably has no render finding.

For any body `plain_paragraphs` accepts, the full render has no finding but `render/body-length`, and its
length is within the bound `surely_short` uses; a plain body at the limit is still rendered and reported.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.post import Post
from pipeline.render import PlaceholderImages, render_body
from pipeline.render.article import MAX_BYTES, MAX_CHARS
from pipeline.render.checks import _skeleton, plain_paragraphs, surely_short

CSS = (Path(__file__).resolve().parents[1] / "policy" / "theme.css").read_text(encoding="utf-8")
CHARS = "本行借记卡免收年费。，；：？！（）“”、《》abcXYZ019.,;:'\"()?/-+=@$%^{}é😀\u3000\u200b\u0301 "
INNER = [*CHARS, "ﬁ", "①"]
START = [c for c in INNER if not c.isspace() and not c.isdigit() and c not in "-+=:" and c != "\u0301"]
LINE = st.builds(lambda a, b: a + b.rstrip(), st.sampled_from(START), st.text(st.sampled_from(INNER), max_size=60))
PARAGRAPH = st.lists(LINE, min_size=1, max_size=4).map("\n".join)
BODY = st.builds(
    lambda paras, gaps, lead: lead + "".join(p + "\n" * g for p, g in zip(paras, gaps, strict=False)),
    st.lists(PARAGRAPH, min_size=1, max_size=12),
    st.lists(st.integers(2, 3), min_size=12, max_size=12),
    st.sampled_from(["", "\n"]),
)


def _post(body: str) -> Post:
    return Post(
        id="2026/12-05-x", folder=Path("."), index=Path("index.md"), path="posts/2026/12-05-x/index.md", body=body
    )


@settings(max_examples=300, deadline=None)
@given(BODY)
def test_plain_bodies_render_within_the_bound(body: str) -> None:
    paragraphs = plain_paragraphs(body)
    assert paragraphs is not None
    rendered = render_body(body, css=CSS, images=PlaceholderImages())
    assert rendered.findings == [] and rendered.images == [] and rendered.references == []
    assert rendered.html.count("<p") == paragraphs
    chars, size = _skeleton(CSS, paragraphs)
    assert len(rendered.html) <= chars - paragraphs + len(body)
    assert len(rendered.html.encode()) <= size - paragraphs + len(body.encode())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*INNER, "\n", "\n\n", "*", "-", "1", "#", ">", "<b>", "[", "!", "&", "\xa0", "\t"])))
def test_whatever_is_accepted_has_no_finding_but_length(pieces: list[str]) -> None:
    body = "".join(pieces)
    paragraphs = plain_paragraphs(body)
    rendered = render_body(body, css=CSS, images=PlaceholderImages())
    if paragraphs is not None:
        assert rendered.findings == [] and rendered.html.count("<p") == paragraphs
        chars, size = _skeleton(CSS, paragraphs)
        assert len(rendered.html) <= chars - paragraphs + len(body)
        assert len(rendered.html.encode()) <= size - paragraphs + len(body.encode())


def test_markup_is_never_plain() -> None:
    for body in [
        "- a",
        "1. a",
        "# a",
        "> a",
        "a  \nb",
        "    code",
        "a\n===",
        "**a**",
        "[a](b)",
        "<b>a</b>",
        "a&b",
        "a\xa0b",
    ]:
        assert plain_paragraphs(body) is None, body
    assert plain_paragraphs("第一段\n续行\n\n\n第二段\n") == 2


def test_a_long_plain_body_is_rendered_and_reported() -> None:
    body = "存款利率调整。" * 3000  # 21,000 characters in one paragraph
    assert plain_paragraphs(body) == 1 and not surely_short(_post(body), CSS)
    assert [f.rule for f in render_body(body, css=CSS, images=PlaceholderImages()).findings] == ["render/body-length"]
    for n in range(2780, 2870, 10):  # around the limit: "surely short" is never wrong
        near = "存款利率调整。" * n
        findings = render_body(near, css=CSS, images=PlaceholderImages()).findings
        assert not (surely_short(_post(near), CSS) and findings)
    assert not surely_short(_post("存款利率调整。" * 2860), CSS)
    assert surely_short(_post("存款利率调整。" * 200), CSS)
    assert MAX_CHARS == 20_000 and MAX_BYTES == 1_000_000
