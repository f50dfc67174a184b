"""The inline pass skips texts no inline pattern can match: the HTML must be exactly Python-Markdown's."""

from __future__ import annotations

import markdown as md_lib
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.render import markdown as rmd

PIECES = [
    "存款",
    "利率",
    "中文段落",
    "abc",
    "2.60%",
    " ",
    "  \n",
    "\n",
    "\n\n",
    "*",
    "**",
    "_",
    "__",
    "~~",
    "`",
    "``",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "!",
    "[^1]",
    "[^1]: 注释",
    "[链接](https://mp.weixin.qq.com/s/x)",
    "![图](a.png)",
    "<",
    ">",
    "<b>",
    "</b>",
    "<!-- c -->",
    "<https://a.example>",
    "<a@b.example>",
    "&",
    "&amp;",
    "&#169;",
    "#",
    "- ",
    "1. ",
    "> ",
    "    ",
    "```\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
]


def plain() -> md_lib.Markdown:
    return md_lib.Markdown(extensions=rmd.EXTENSIONS, extension_configs=rmd.EXTENSION_CONFIGS)


def test_the_skipping_pass_is_installed() -> None:
    """Every inline pattern of the converter is listed with its triggers, so the fast pass is in use."""
    md = rmd.instance()
    assert rmd.only_known_patterns(md)
    assert type(md.treeprocessors["inline"]).__name__ == "_Inline"
    assert [type(t).__name__ for t in md.treeprocessors] == [
        type(t).__name__.replace("InlineProcessor", "_Inline") for t in plain().treeprocessors
    ]


def test_an_unknown_pattern_turns_skipping_off() -> None:
    md = plain()
    md.inlinePatterns.register(md_lib.inlinepatterns.SimpleTagInlineProcessor(r"(\+\+)(.+?)\1", "ins"), "ins", 5)
    assert not rmd.only_known_patterns(md)


def test_every_trigger_is_in_the_regex() -> None:
    for name, needed in rmd.INLINE_TRIGGERS.items():
        wanted = [needed] if name == "linebreak" else list(needed)
        for text in wanted:
            assert rmd._TRIGGER.search(f"中文{text}中文"), (name, text)


# One sample per inline pattern, alone in Chinese text (a skipping bug shows when no other trigger is near).
ONE_EACH = [
    "存款`代码`利率",
    "存款\\*利率",
    "存款[^1]利率\n\n[^1]: 注释",
    "存款[链接][r]利率\n\n[r]: https://mp.weixin.qq.com/s/x",
    "存款[链接](https://mp.weixin.qq.com/s/x)利率",
    "存款![图](a.png)利率",
    "存款![图][r]利率\n\n[r]: a.png",
    "存款[r]利率\n\n[r]: https://a.example",
    "存款![r]利率\n\n[r]: a.png",
    "存款<https://a.example>利率",
    "存款<a@b.example>利率",
    "存款  \n利率",
    "存款<b>加粗</b>利率",
    "存款&copy;利率",
    "存款**加粗**利率",
    "存款 __加粗__ 利率",
    "存款*斜体*利率",
    "存款~~删除~~利率",
]


def test_one_sample_per_pattern() -> None:
    assert len(ONE_EACH) >= len(rmd.INLINE_TRIGGERS)
    for text in ONE_EACH:
        html = rmd.to_html(text)
        assert html == plain().convert(text)
        assert html != f"<p>{text}</p>" or "<b>" in text or "&" in text, text  # raw HTML and entities stay


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30) | st.lists(st.sampled_from(PIECES[:6] + PIECES[9:]), max_size=4))
def test_same_html_as_python_markdown(parts: list[str]) -> None:
    text = "".join(parts)
    reference = plain()
    assert rmd.to_html(text) == reference.convert(text)
