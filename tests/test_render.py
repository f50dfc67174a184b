"""The renderer: golden output for a post using every element, links, images, lists, findings, CLI."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import cover_bytes, post_text

from pipeline.check import CheckContext, check_folders
from pipeline.cli import main
from pipeline.policy import load_policy
from pipeline.post import load_post
from pipeline.render import PlaceholderImages, body_images, preview_html, render_body, render_post
from pipeline.render.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

GOLDEN = Path(__file__).parent / "golden" / "render"
UPDATE = os.environ.get("WXPUB_UPDATE_GOLDEN") == "1"
POST_ID = "2026/12-05-card-upgrade"
MAPPING = {
    "screen.png": "http://mmbiz.qpic.cn/mmbiz_png/screen/0?wx_fmt=png",
    "button.png": "http://mmbiz.qpic.cn/mmbiz_png/button/0?wx_fmt=png",
}


def png(size: tuple[int, int] = (120, 80)) -> bytes:
    return cover_bytes("PNG", size)


def everything_repo(make_repo: Callable[..., Path]) -> Path:
    body = (GOLDEN / "everything.md").read_text(encoding="utf-8")
    return make_repo(
        {
            POST_ID: {
                "index.md": post_text(body),
                "cover.jpg": cover_bytes(),
                "screen.png": png(),
                "button.png": png((40, 20)),
            }
        },
        commit=False,
    )


def load(root: Path, post_id: str = POST_ID):  # type: ignore[no-untyped-def]
    policy = load_policy(root)
    post, findings = load_post(root / "posts" / post_id, root, policy)
    assert post.ok, findings
    return post, policy


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; WXPUB_UPDATE_GOLDEN=1 rewrites it"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags_of(html: str) -> list[tuple[str, dict[str, str]]]:
    p = Tags()
    p.feed(html)
    return p.tags


def test_golden_draft_and_publish(make_repo: Callable[..., Path]) -> None:
    root = everything_repo(make_repo)
    post, policy = load(root)
    draft = render_post(post, root, policy)
    published = render_post(post, root, policy, images=MAPPING)
    check_golden("everything.draft.html", draft.html + "\n")
    check_golden("everything.publish.html", published.html + "\n")
    findings = "\n".join(f"{f.line}: {f.rule} {f.severity}: {f.message}" for f in sorted(published.findings))
    check_golden("everything.findings.txt", findings + "\n")


def test_every_element_survives_in_wechat_form(make_repo: Callable[..., Path]) -> None:
    root = everything_repo(make_repo)
    post, policy = load(root)
    r = render_post(post, root, policy, images=MAPPING)
    html = r.html
    names = [t for t, _ in tags_of(html)]
    assert names[0] == "section" and html.endswith("</section>")
    for tag in ("h1", "h2", "h3", "h4", "p", "strong", "em", "del", "code", "ol", "ul", "li", "table", "th", "td"):
        assert tag in names, tag
    for tag in ("blockquote", "pre", "hr", "figure", "figcaption", "img", "a", "sup"):
        assert tag in names, tag
    # the theme is inline: every paragraph carries the body text style from policy/theme.css
    assert re.search(r'<p style="[^"]*margin:0 0 16px', html)
    assert "font-size:15px" in html and "line-height:1.75" in html
    # Pygments colours inline, no classes
    assert re.search(r'<span style="color:#[0-9A-Fa-f]{3,6};font-weight:bold">def</span>', html)
    # code keeps its lines and indentation even where WeChat ignores <pre>
    code = html[html.index("<pre") : html.index("</pre>")]
    assert "\n" not in code and code.count("<br>") == 2 and "<br>&nbsp;&nbsp;&nbsp;&nbsp;<span" in code
    # captions from alt text; the inline image in a sentence becomes its own figure between the sentence halves
    assert ">手机银行办理页面</figcaption>" in html and ">入口按钮</figcaption>" in html
    assert re.search(r"办理入口见下图</p>\s*<figure", html)
    # footnote mark and notes section without in-page anchors
    assert ">注1</sup>" in html and ">注释</h4>" in html and 'href="#' not in html
    # lines broken inside a Chinese paragraph do not become spaces
    assert "同步取消，原优惠" in html and "有效。查询余额" in html
    # nothing forbidden
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS
        for name in attrs:
            assert name in ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, frozenset()), (tag, name)
    lowered = html.lower()
    for bad in ("<script", "<style", "<iframe", "onclick", "onerror", "javascript:", "data:", "class=", "id=", "url("):
        assert bad not in lowered, bad
    assert "position" not in html and "steal" not in html and "xss" not in html
    # the editor's own colour survives; the raw <div> became a <section>
    assert re.search(r'<section style="color:#c00">\s*<p', html)


def test_links_become_numbered_references(make_repo: Callable[..., Path]) -> None:
    root = everything_repo(make_repo)
    post, policy = load(root)
    r = render_post(post, root, policy, images=MAPPING)
    assert r.references == [
        "https://www.pbc.gov.cn/notice.html",
        "https://bank.example.com/fees",
        "https://bank.example.com/",
        # the footnote's link reuses [2]: the same address keeps its number
    ]
    anchors = [a for t, a in tags_of(r.html) if t == "a"]
    assert anchors == [{"href": "https://mp.weixin.qq.com/s/AbCdEf123", "style": "color:#576b95;text-decoration:none"}]
    assert re.search(r"人民银行公告<sup[^>]*>\[1\]</sup>", r.html)
    assert re.search(r"收费标准<sup[^>]*>\[2\]</sup>", r.html)
    assert re.search(r"再次查看人民银行公告<sup[^>]*>\[1\]</sup>", r.html)
    assert re.search(r"本行公告<sup[^>]*>\[2\]</sup>", r.html)
    refs = r.html[r.html.index(">参考链接</h4>") :]
    assert re.findall(r"<p[^>]*>(.*?)</p>", refs) == [
        "[1] 人民银行公告: https://www.pbc.gov.cn/notice.html",
        "[2] 收费标准: https://bank.example.com/fees",
        "[3] https://bank.example.com/",
    ]
    assert r.html.index(">注释</h4>") < r.html.index(">参考链接</h4>")


def test_image_mapping_and_unmapped_images(make_repo: Callable[..., Path]) -> None:
    root = everything_repo(make_repo)
    post, policy = load(root)
    assert body_images(post) == ["screen.png", "button.png", "x.png"]
    mapped = render_post(post, root, policy, images=MAPPING)
    assert mapped.images == ["screen.png", "button.png", "x.png"]
    srcs = [a["src"] for t, a in tags_of(mapped.html) if t == "img"]
    assert srcs == [MAPPING["screen.png"], MAPPING["button.png"]]  # x.png is missing: dropped, reported
    partial = render_post(post, root, policy, images={"screen.png": MAPPING["screen.png"]})
    unmapped = [f for f in partial.findings if f.rule == "render/image-unmapped"]
    assert [(f.match, f.line) for f in unmapped] == [("./button.png", post.body_line + 38)]
    assert [a["src"] for t, a in tags_of(partial.html) if t == "img"] == [MAPPING["screen.png"]]
    # without a mapping (wxpub render) local images keep their paths; never a data: URI
    draft = render_post(post, root, policy)
    assert [a["src"] for t, a in tags_of(draft.html) if t == "img"] == ["screen.png", "button.png", "x.png"]
    # a mapping that is not an http(s) URL does not get through
    sneaky = render_post(post, root, policy, images={"screen.png": "data:image/png;base64,AAAA"})
    assert "data:" not in sneaky.html


def test_findings_point_at_the_lines_of_index_md(make_repo: Callable[..., Path]) -> None:
    root = everything_repo(make_repo)
    post, policy = load(root)
    lines = post.text.split("\n")
    r = render_post(post, root, policy, images=MAPPING)
    by_rule = {f.rule: f for f in r.findings}
    assert set(by_rule) == {"render/list-depth", "render/unsafe-html", "render/image-missing", "render/image-source"}
    assert lines[by_rule["render/list-depth"].line - 1].strip() == "- 点击“年费减免”"
    assert by_rule["render/list-depth"].severity == "info"
    assert "<p onclick" in lines[by_rule["render/unsafe-html"].line - 1]
    assert by_rule["render/unsafe-html"].severity == "review"
    assert 'src="x.png"' in lines[by_rule["render/image-missing"].line - 1]
    assert "data:image/png" in lines[by_rule["render/image-source"].line - 1]


def test_deep_lists_are_flattened_to_two_levels(make_repo: Callable[..., Path]) -> None:
    body = "- 一\n  - 二\n    - 三\n      - 四\n  - 二乙\n- 一乙\n\n正文\n\n* a\n    * b\n"
    root = make_repo({POST_ID: post_text(body)}, commit=False)
    post, policy = load(root)
    r = render_post(post, root, policy)
    depth, deepest = 0, 0
    for m in re.finditer(r"<(/?)(ul|ol)\b", r.html):
        depth += -1 if m.group(1) else 1
        deepest = max(deepest, depth)
    assert deepest == 2
    items = re.findall(r"<li[^>]*>([^<]*)", r.html)
    assert [i.strip() for i in items] == ["一", "二", "三", "四", "二乙", "一乙", "a", "b"]
    [f] = [f for f in r.findings if f.rule == "render/list-depth"]
    assert post.text.split("\n")[f.line - 1] == "    - 三"
    assert r.references == [] and "参考链接" not in r.html and "注释" not in r.html


def test_body_length_is_an_error_past_20000_characters(make_repo: Callable[..., Path]) -> None:
    para = "本行借记卡免收年费和小额账户管理费，详情请咨询客服热线。" * 4
    short = "\n\n".join([para] * 20)
    long = "\n\n".join([para] * 260)
    root = make_repo({POST_ID: post_text(short), "2026/12-06-long": post_text(long)}, commit=False)
    post, policy = load(root)
    assert not [f for f in render_post(post, root, policy).findings if f.rule == "render/body-length"]
    long_post, _ = load(root, "2026/12-06-long")
    r = render_post(long_post, root, policy)
    [f] = [f for f in r.findings if f.rule == "render/body-length"]
    assert f.severity == "error" and f.article == "WeChat" and f.line == long_post.body_line
    assert len(r.html) >= 20_000 and f"{len(r.html):,} characters" in f.message


def test_wxpub_check_reports_render_findings(make_repo: Callable[..., Path], now) -> None:  # type: ignore[no-untyped-def]
    root = everything_repo(make_repo)
    policy = load_policy(root)
    result = check_folders([root / "posts" / POST_ID], CheckContext(root=root, policy=policy, now=now), jobs=1)
    rules = {f.rule for f in result.findings if f.rule.startswith("render/")}
    assert rules == {"render/list-depth", "render/unsafe-html", "render/image-missing", "render/image-source"}


def test_image_format_size_and_remote_findings(make_repo: Callable[..., Path]) -> None:
    import io

    from PIL import Image

    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    big = os.urandom(1_100_000)  # over 1 MiB
    body = (
        "![动图](anim.gif)\n\n![大图](big.png)\n\n![假图](fake.png)\n\n"
        "![外链](https://example.com/a.png)\n\n![微信图](https://mmbiz.qpic.cn/mmbiz_png/ok/0)\n\n![上级](../x.png)\n"
    )
    root = make_repo(
        {
            POST_ID: {
                "index.md": post_text(body),
                "cover.jpg": cover_bytes(),
                "anim.gif": gif.getvalue(),
                "big.png": b"\x89PNG\r\n\x1a\n" + big,
                "fake.png": b"not an image",
            }
        },
        commit=False,
    )
    post, policy = load(root)
    r = render_post(post, root, policy, images=PlaceholderImages())
    got = sorted((f.line - post.body_line, f.rule, str(f.severity)) for f in r.findings)
    assert got == [
        (1, "render/image-format", "info"),  # post_text() puts a blank line first
        (3, "render/image-size", "info"),
        (5, "render/image-format", "error"),
        (7, "render/image-source", "error"),
        (11, "render/image-source", "error"),
    ]
    srcs = [a["src"] for t, a in tags_of(r.html) if t == "img"]
    assert "https://mmbiz.qpic.cn/mmbiz_png/ok/0" in srcs and "https://example.com/a.png" not in srcs


def test_render_command_prints_the_html(make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({POST_ID: post_text("正文[链接](https://example.com/)。\n\n![图](pic.png)\n")}, commit=False)
    (root / "posts" / POST_ID / "pic.png").write_bytes(png())
    code = main(["render", str(root / "posts" / POST_ID / "index.md"), "--root", str(root)])
    out, err = capsys.readouterr()
    assert code == 0, err
    post, policy = load(root)
    assert out == render_post(post, root, policy).html + "\n"
    assert 'src="pic.png"' in out and "[1] 链接: https://example.com/" in out


def test_render_command_errors(make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({POST_ID: post_text("![图](missing.png)\n")}, commit=False)
    assert main(["render", str(root / "posts" / POST_ID), "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"posts/{POST_ID}/index.md:" in err and "render/image-missing" in err
    assert main(["render", str(root / "posts"), "--root", str(root)]) == 2
    assert "not a post" in capsys.readouterr().err


def test_preview_command_writes_a_self_contained_page(
    make_repo: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = everything_repo(make_repo)
    out = tmp_path / "p.html"
    assert main(["preview", str(root / "posts" / POST_ID), "-o", str(out), "--root", str(root)]) == 0
    page = out.read_text(encoding="utf-8")
    post, policy = load(root)
    assert page == preview_html(post, root, policy)
    assert "width=375" in page and "借记卡年费减免通知" in page and "个人金融部" in page
    assert "2026年12月5日 10:00" in page and "即日起，本行借记卡免收年费" in page
    # images embedded (cover, body); nothing fetched from elsewhere
    assert page.count('src="data:image/jpeg;base64,') == 1 and page.count('src="data:image/png;base64,') == 2
    assert not re.search(r'(src|href)="(?!data:|https://mp\.weixin\.qq\.com/)', page)


def test_preview_server_serves_the_page_and_nothing_else(make_repo: Callable[..., Path]) -> None:
    import requests

    from pipeline.render.preview import serve

    root = everything_repo(make_repo)
    post, policy = load(root)
    server = serve(preview_html(post, root, policy), port=0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        ok = requests.get(base + "/", timeout=5)
        assert ok.status_code == 200 and ok.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "借记卡年费减免通知" in ok.text
        assert requests.get(base + "/../index.md", timeout=5).status_code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_preview_serve_command_serves_until_interrupted(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    import requests

    root = make_repo({POST_ID: post_text("预览正文。\n")}, commit=False)
    out = tmp_path / "served.html"
    args = [sys.executable, "-m", "pipeline", "preview", str(root / "posts" / POST_ID), "--serve", "--port", "0"]
    args += ["-o", str(out), "--root", str(root)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == f"preview: {out}"
            line = proc.stdout.readline()
            m = re.match(r"serving (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)", line)
            assert m, line
            page = requests.get(m.group(1), timeout=5)
            assert page.status_code == 200 and "预览正文" in page.text
            assert page.text == out.read_text(encoding="utf-8")
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_render_findings_can_be_allowed_by_match(make_repo: Callable[..., Path], now) -> None:  # type: ignore[no-untyped-def]
    body = "- 一\n  - 二\n    - 第三级条目\n"
    allow = [{"rule": "render/list-depth", "match": "第三级条目", "reason": "流程图式步骤，已确认"}]
    root = make_repo({POST_ID: post_text(body, allow=allow)}, commit=False)
    policy = load_policy(root)
    result = check_folders([root / "posts" / POST_ID], CheckContext(root=root, policy=policy, now=now), jobs=1)
    depth = [f for f in result.findings if f.rule == "render/list-depth"]
    assert depth == [] or all("allowed" in f.message for f in depth), depth
    post, _ = load(root)
    [f] = [f for f in render_post(post, root, policy).findings if f.rule == "render/list-depth"]
    assert f.match == "第三级条目" and f.column == 5


def test_missing_theme_is_a_configuration_error(
    make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({POST_ID: post_text("正文。\n")}, commit=False)
    (root / "policy" / "theme.css").unlink()
    assert main(["render", str(root / "posts" / POST_ID), "--root", str(root)]) == 2
    assert "policy/theme.css: the render theme does not exist" in capsys.readouterr().err


def test_theme_changes_are_picked_up(make_repo: Callable[..., Path]) -> None:
    root = make_repo({POST_ID: post_text("正文。\n")}, commit=False)
    post, policy = load(root)
    assert "color:#123456" not in render_post(post, root, policy).html
    theme = root / "policy" / "theme.css"
    theme.write_text(theme.read_text(encoding="utf-8") + "\np { color: #123456; }\n", encoding="utf-8")
    os.utime(theme, ns=(theme.stat().st_atime_ns, theme.stat().st_mtime_ns + 1_000_000_000))
    assert "color:#123456" in render_post(post, root, policy).html


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("这是**“引号”**内容", "这是<strong>“引号”</strong>内容"),
        ("利率**2.60%**起", "利率<strong>2.60%</strong>起"),
        ("**注：**本活动", "<strong>注：</strong>本活动"),
        ("年化*3.2%*（非保本）", "年化<em>3.2%</em>（非保本）"),
        ("原价~~10元~~免费", "原价<del>10元</del>免费"),
        ("文件 my_file_name.png 已更新", "文件 my_file_name.png 已更新"),
    ],
)
def test_emphasis_next_to_chinese_punctuation(markdown: str, expected: str) -> None:
    html = render_body(markdown, css="").html
    assert re.sub(r"<(\w+) style=\"[^\"]*\"", r"<\1", html) == f"<section><p>{expected}</p></section>"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("办理步骤：\n1. 登录\n2. 提交\n", "<p>办理步骤：</p>\n<ol><li>登录</li><li>提交</li></ol>"),
        ("说明：\n- 甲\n  - 乙\n", "<p>说明：</p>\n<ul><li>甲<ul><li>乙</li></ul></li></ul>"),
        ("2026年\n2025. 年度报告\n", "<p>2026年2025. 年度报告</p>"),  # only `1.` may start a list mid-paragraph
        ("- 甲\n\n   续段\n- 乙\n", "<ul><li><p>甲</p><p>续段</p></li><li><p>乙</p></li></ul>"),
    ],
)
def test_lists_as_commonmark_editors_write_them(markdown: str, expected: str) -> None:
    html = render_body(markdown, css="").html
    assert re.sub(r"<(\w+) style=\"[^\"]*\"", r"<\1", html) == f"<section>{expected}</section>"


def test_blocks_written_inside_a_paragraph_are_lifted_out() -> None:
    html = render_body("说明：\n```\ncode\n```\n后文\n\n甲<div>乙</div>丙", css="").html
    plain = re.sub(r" style=\"[^\"]*\"", "", html)
    assert plain.startswith(
        "<section><p>说明：</p>\n<section><pre><span></span><code>code</code></pre></section>\n<p>后文</p>"
    )
    assert plain.endswith("<p>甲</p>\n<section>乙</section>\n<p>丙</p></section>")
    assert "<p></p>" not in plain


def test_preview_shows_the_source_link_only_when_it_is_http(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            POST_ID: post_text("正文。\n", source_url="https://www.pbc.gov.cn/a.html"),
            "2026/12-06-bad-link": post_text("正文。\n", source_url="javascript:alert(1)"),
        },
        commit=False,
    )
    post, policy = load(root)
    assert '<a href="https://www.pbc.gov.cn/a.html">阅读原文</a>' in preview_html(post, root, policy)
    bad, _ = load_post(root / "posts" / "2026/12-06-bad-link", root, policy)
    page = preview_html(bad, root, policy)
    assert "阅读原文" not in page and "javascript:" not in page


def test_table_right_under_a_paragraph() -> None:
    html = render_body("费用如下：\n| 项目 | 金额 |\n|---|--:|\n| 年费 | 0元 |\n", css="").html
    plain = re.sub(r" style=\"[^\"]*\"", "", html)
    assert plain.startswith("<section><p>费用如下：</p>\n<section><table><thead><tr><th>项目</th><th>金额</th>")
