"""The archive: a real build (MkDocs + Material + Pagefind) of a small repository with ledger records."""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import io
import json
import re
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import pytest
from conftest import PROJECT, TZ, git, post_text, write_post
from PIL import Image

from pipeline.archive import build_archive, serve_in_thread, url_of
from pipeline.archive.model import Entry
from pipeline.archive.pages import index_pages
from pipeline.archive.samples import published_record, write_records
from pipeline.cli import main
from pipeline.ledger import Event, GitLedger, Record

CARD = "2026/12-05-card-offer"
LOAN = "2026/12-10-farmer-loan"
FRAUD = "2026/11-20-fraud-tips"
WEALTH = "2026/12-15-wealth-launch"  # retracted
DRAFT = "2026/12-20-not-yet"  # record in progress: must not appear
NO_RECORD = "2026/12-22-never-published"


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


POSTS = {
    CARD: dict(
        text=post_text(
            "## 年费减免\n\n即日起，本行借记卡免收年费和小额账户管理费。\n\n![本地图](chart.png)\n\n"
            '![外部图](https://cdn.example.com/x.png)\n\n<img src="//tracker.example.net/p.gif">\n\n'
            "<script>alert(1)</script>\n\n详情请咨询客服热线96588。\n",
            tags=["借记卡", "减费让利"],
        ),
        files={"chart.png": png()},
    ),
    LOAN: dict(
        text=post_text(
            "## 惠农贷\n\n惠农贷面向种养殖户，单户额度最高30万元，线上申请，随借随还。\n",
            title="惠农贷助力春耕",
            unit="普惠金融部",
            author="普惠金融部",
            category="campaign",
            products=["loan"],
            tags=["贷款"],
            digest="惠农贷线上申请，随借随还。",
        ),
    ),
    FRAUD: dict(
        text=post_text(
            "## 防范电信诈骗\n\n凡是自称公检法要求转账到安全账户的，都是诈骗[^1]。请牢记反诈专线96110[^hotline]。\n\n"
            "| 诈骗类型 | 常见话术 | 识别要点 | 应对办法 | 举报渠道 |\n|---|---|---|---|---|\n"
            "| 冒充公检法 | 您涉嫌洗钱，需将资金转入安全账户配合调查 | 公检法机关不会通过电话办案，也没有所谓安全账户 |"
            " 立即挂断电话，向当地派出所核实 | 96110、110 |\n\n"
            "[^1]: 公安机关提示：任何要求转账到“安全账户”的电话都是诈骗。\n"
            "[^hotline]: 96110 为全国反诈预警劝阻专线，全天接听。\n",
            title="反诈小课堂",
            unit="城关支行",
            category="knowledge",
            products=[],
            digest="识别电信诈骗的三个要点。",
        ),
    ),
    WEALTH: dict(
        text=post_text(
            "## 新品理财\n\n业绩比较基准年化百分之三点五。理财非存款，产品有风险，投资须谨慎。\n",
            title="稳健理财新品发布",
            category="product",
            products=["wealth"],
            digest="稳健理财新品。",
        ),
    ),
    DRAFT: dict(text=post_text("草稿内容：尚未发布的秘密活动。\n", title="尚未发布的文章")),
    NO_RECORD: dict(text=post_text("这篇文章从未发布。\n", title="从未发布的文章")),
}

APPROVERS = [  # as the ledger keeps them: times in UTC
    {"tier": "unit_head", "user": "li-retail", "at": "2026-11-20T02:15:00+00:00"},
    {"tier": "compliance", "user": "qian-compliance", "at": "2026-11-21T02:00:00+00:00"},
    {"tier": "ebanking", "user": "zhou-ebank", "at": "2026-11-22T02:00:00+00:00"},
]
# a WeChat article's address as the API gives it: long, with no place to break it (it must wrap on a phone)
CARD_URL = (
    "https://mp.weixin.qq.com/s?__biz=MzA5NzE2NjQ0MA==&mid=2650000001&idx=1&sn=0123456789abcdef0123456789abcdef"
    "&chksm=8b5a1c2dbc2d953b1f4e7a9c0d3e5f7a9b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e#rd"
)
BROADCAST_MSG_ID = "1000000123"  # the loan post was broadcast; the publisher recorded no link for it


def form_html(post_id: str, title: str, unit: str) -> str:
    """The approval form as `pipeline.form` writes it for the record (`.form.html`)."""
    from pipeline.form import to_html

    tiers = [
        {
            "tier": "单位负责人",
            "reviewer": "li-retail",
            "decision": "同意",
            "time": "2026-11-20 10:15",
            "commit": "0" * 10,
        },
        {
            "tier": "合规部",
            "reviewer": "qian-compliance",
            "decision": "同意",
            "time": "2026-11-21 10:00",
            "commit": "0" * 10,
        },
        {
            "tier": "电子银行部",
            "reviewer": "zhou-ebank",
            "decision": "同意",
            "time": "2026-11-22 10:00",
            "commit": "0" * 10,
        },
    ]
    return to_html(
        {
            "form_title": "XX农商银行信息发布审批表",
            "post_id": post_id,
            "unit": unit,
            "title": title,
            "author": "张三",
            "category": "产品动态（product，第十三条第（一）项）",
            "delivery": "发布（不推送）",
            "publish_at": "2026-12-05 10:00",
            "timezone": "Asia/Shanghai",
            "digest": "借记卡免收年费和小额账户管理费。",
            "products": "借记卡",
            "urgent": "",
            "submitted_at": "2026-11-19 09:30",
            "submitted_how": "pull request #12 opened",
            "leadtime": "满足：提前 16 天 0 小时，要求 3 天",
            "review_findings": [
                {
                    "rule": "claims/fee",
                    "article": "第八条",
                    "line": 3,
                    "message": "费用减免须注明期限（合规审核意见：同意发布（编号FORM-0））",
                }
            ],
            "exceptions": [],
            "errors": [],
            "pull_request": 12,
            "approved_commit": "0" * 10,
            "tiers": tiers,
            "conclusion": "已通过全部审批层级",
            "warnings": [],
            "approved": True,
            "generated_at": "2026-11-22 10:05",
        }
    )


def records() -> list[Record]:
    out = []
    for i, (pid, title, unit, cat, day) in enumerate(
        [
            (CARD, "借记卡年费减免通知", "个人金融部", "product", 5),
            (LOAN, "惠农贷助力春耕", "普惠金融部", "campaign", 10),
            (FRAUD, "反诈小课堂", "城关支行", "knowledge", 1),
            (WEALTH, "稳健理财新品发布", "个人金融部", "product", 15),
        ]
    ):
        when = dt.datetime(2026, 12 if day != 1 else 11, day if day != 1 else 20, 10, 0, tzinfo=TZ)
        retracted = None
        if pid == WEALTH:
            retracted = {"by": "qian-compliance", "at": when + dt.timedelta(hours=3), "reason": "收益表述不合规"}
        out.append(
            published_record(
                pid,
                title=title,
                unit=unit,
                category=cat,
                publish_at=when,
                delivery="broadcast" if pid == LOAN else "publish",
                article_url=None
                if pid == LOAN
                else CARD_URL
                if pid == CARD
                else f"https://mp.weixin.qq.com/s/article{i}",
                msg_id=BROADCAST_MSG_ID if pid == LOAN else "",
                commit=f"{i:040x}",
                approvers=APPROVERS,
                retracted=retracted,
                form_markdown=""  # the fraud post's record has no form: its approvers are shown instead
                if pid == FRAUD
                else f"# 信息发布审批单\n\n| 项目 | 内容 |\n|---|---|\n| 标题 | {title} |\n"
                f"| 合规审核意见 | 同意发布（编号FORM-{i}） |\n",
                form_html=form_html(pid, title, unit) if pid == CARD else "",
            )
        )
    draft = Record(
        DRAFT,
        [
            Event(dt.datetime(2026, 12, 20, 10, tzinfo=TZ), "due", "done", "wxpub", "", {"title": "x"}),
            Event(dt.datetime(2026, 12, 20, 10, 1, tzinfo=TZ), "draft", "started", "wxpub", "", {}),
        ],
    )
    return [*out, draft]


def make_archive_repo(root: Path) -> Path:
    import shutil

    root.mkdir(parents=True)
    shutil.copytree(PROJECT / "policy", root / "policy")
    shutil.copy(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    # mkdocs.yml names the hooks, the stylesheet folder and the theme overrides relative to itself
    shutil.copytree(
        PROJECT / "pipeline" / "archive", root / "pipeline" / "archive", ignore=shutil.ignore_patterns("*.pyc")
    )
    (root / "docs").mkdir()
    (root / "docs" / "operations.md").write_text("# 运维手册（不属于档案）\n", encoding="utf-8")
    for doc in ("guide.zh.md", "glossary.md"):
        shutil.copy(PROJECT / "docs" / doc, root / "docs" / doc)
    for pid, spec in POSTS.items():
        write_post(root, pid, spec["text"], files=spec.get("files"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "posts")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(repository, records dir, site) built once for the module."""
    base = tmp_path_factory.mktemp("archive")
    root = make_archive_repo(base / "repo")
    recs = base / "records"
    write_records(recs, records())
    site = base / "site"
    result = build_archive(root, site, recs, per_page=2)
    assert result.posts == 4 and result.retracted == 1 and result.written == 4
    return root, recs, site


def page(site: Path, rel: str) -> str:
    return (site / rel / "index.html").read_text(encoding="utf-8")


def test_post_page_at_its_permalink_shows_record_and_form(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    html = page(site, f"p/{CARD}")
    assert "<title>借记卡年费减免通知" in html
    for shown in (
        "个人金融部",
        "产品动态",
        "2026-12-05 10:00",
        "发布（不推送）",
        "已发布",
        f'href="{escape(CARD_URL)}"',
        "XX农商银行信息发布审批表</h2>",
        "同意发布（编号FORM-0）",
        "即日起，本行借记卡免收年费",
        "借记卡</a>",
        "减费让利",
    ):
        assert shown in html, shown
    loan = page(site, f"p/{LOAN}")
    assert "群发（推送给关注者）" in loan and "营销活动" in loan and "普惠金融部" in loan


def test_the_form_is_shown_once_under_one_heading_with_bordered_tables(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    html = page(site, f"p/{CARD}")
    section = html[html.index('id="approval"') :]
    assert section.count("<h2") == 1 and "<h1" not in section  # the form's own title is the section's heading
    assert section.count("XX农商银行信息发布审批表") == 1
    assert "信息发布审批表：借记卡年费减免通知" not in html  # the form document's <title>: no stray line
    assert "wxpub-approvers" not in html  # the form has the approvals: no second table above it
    assert '<div class="wxpub-scroll"><table class="fields">' in section  # its own box, scrolling on a phone
    css = (site / "stylesheets" / "archive.css").read_text(encoding="utf-8")
    assert ".wxpub-form th, .md-typeset .wxpub-form td" in css and "border: 1px solid" in css
    # without a form, the approvers the record names, at the bank's time (the ledger keeps UTC)
    fraud = page(site, f"p/{FRAUD}")
    assert "审批记录" in fraud and "wxpub-approvers" in fraud and "信息发布单位负责人" in fraud
    assert "2026-11-20 10:15" in fraud and "T02:15" not in fraud and "+00:00" not in fraud


def test_the_form_has_a_printable_page(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    form = page(site, f"p/{CARD}/form")
    assert "default-src 'self'" in form and 'href="../../../../stylesheets/form.css"' in form
    assert "<h1>XX农商银行信息发布审批表</h1>" in form and form.count("<h1") == 1
    assert CARD in form and "0" * 40 in form and "审批表生成时间：2026-11-22 10:05" in form
    # the form's own lines to sign (pipeline.form writes them), once; the archive adds its own only to an
    # older form that has none (the loan post's)
    assert form.count("签字：") == 3 and '<table class="signatures">' in form and "wxpub-sign" not in form
    assert "合规部" in form and "md-header" not in form
    loan = page(site, f"p/{LOAN}/form")
    assert '<table class="wxpub-sign">' in loan and loan.count("签字：") == 3 and "信息发布单位负责人" in loan
    assert 'href="form/"' in page(site, f"p/{CARD}")
    assert "签字：" not in page(site, f"p/{CARD}")  # on paper only
    assert (site / "stylesheets" / "form.css").is_file()


def test_footnotes_as_wechat_got_them(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    html = page(site, f"p/{FRAUD}")
    assert '都是诈骗<sup class="wx-fnref">注1</sup>' in html and '96110<sup class="wx-fnref">注2</sup>' in html
    assert '<h4 class="wx-footnotes-title">注释</h4>' in html and "全天接听" in html
    assert "fnref" not in html.replace("wx-fnref", "") and "[^1]" not in html
    # the wide table of the post scrolls in its own box
    assert '<div class="wxpub-scroll"><table>' in html


def test_a_broadcast_without_a_link_says_it_was_a_broadcast_with_its_message_id(
    built: tuple[Path, Path, Path],
) -> None:
    _, _, site = built
    loan = page(site, f"p/{LOAN}")
    assert f"群发消息（消息 ID <code>{BROADCAST_MSG_ID}</code>）" in loan and "wxpub-article-link" not in loan
    card = page(site, f"p/{CARD}")
    assert "群发消息" not in card and 'class="wxpub-article-link"' in card


def test_retracted_post_is_marked_with_who_why_when_and_keeps_the_original(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    html = page(site, f"p/{WEALTH}")
    assert "已撤回" in html and "qian-compliance" in html and "收益表述不合规" in html
    assert "2026-12-15 13:00" in html  # when, in the bank's timezone
    assert "业绩比较基准年化百分之三点五" in html  # the original stays visible
    assert "wxpub-retracted-content" in html
    home = page(site, "")
    assert re.search(r"稳健理财新品发布</a> <span class=\"wxpub-badge wxpub-retracted\">已撤回", home)


def test_only_published_records_appear(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    assert not (site / "p" / DRAFT).exists() and not (site / "p" / NO_RECORD).exists()
    everything = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*.html"))
    assert "尚未发布的秘密活动" not in everything and "从未发布的文章" not in everything
    assert "运维手册" not in everything  # the project's docs/ is not part of the archive


def test_home_and_indexes_newest_first_paginated_with_counts(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    home = page(site, "")
    order = [home.index(t) for t in ("稳健理财新品发布", "惠农贷助力春耕", "借记卡年费减免通知", "反诈小课堂")]
    assert order == sorted(order)
    assert "共 4 篇已发布文章（含已撤回 1 篇）" in home
    cats = page(site, "category")
    assert "产品动态（product）" in cats and "知识科普（knowledge）" in cats and "公告通知（notice）" in cats
    product = page(site, "category/product")
    assert "共 2 篇" in product and "稳健理财新品发布" in product
    all1, all2 = page(site, "all"), page(site, "all/page/2")
    assert "第 1/2 页" in all1 and "第 2/2 页" in all2 and "反诈小课堂" in all2 and "反诈小课堂" not in all1
    assert 'rel="next"' in all1 and 'rel="prev"' in all2
    assert "稳健理财新品发布" in page(site, "archive/2026/12") and "反诈小课堂" in page(site, "archive/2026/11")
    assert "2026 年" in page(site, "archive")
    assert "城关支行" in page(site, "unit") and "反诈小课堂" in page(site, "unit/城关支行")
    assert "借记卡年费减免通知" in page(site, "tags/减费让利")


def test_posts_are_not_in_the_nav(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    html = page(site, f"p/{CARD}")
    nav = html[html.index("md-nav--primary") : html.index("md-nav--secondary")]
    assert "p/2026" not in nav and "按类别" in nav and "搜索" in nav


def test_the_guide_and_its_glossary_are_linked_from_every_page(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    html = page(site, f"p/{CARD}")
    nav = html[html.index("md-nav--primary") : html.index("md-nav--secondary")]
    assert "使用指南" in nav and "guide/" in nav
    guide = page(site, "guide")
    assert "写稿人与审批人" in guide
    assert 'href="glossary/"' in guide  # the guide's link to the glossary resolves inside the site
    assert "信息发布审批表" in page(site, "guide/glossary")
    assert "运维手册" not in guide


def test_rss_feed(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    rss = ET.fromstring((site / "feed.xml").read_bytes())
    items = rss.findall("./channel/item")
    assert [i.findtext("guid") for i in items] == [WEALTH, LOAN, CARD, FRAUD]
    assert items[0].findtext("title") == "【已撤回】稳健理财新品发布"
    assert items[1].findtext("link") == f"p/{LOAN}/"
    assert items[1].findtext("{http://purl.org/dc/elements/1.1/}creator") == "普惠金融部"


def test_images_stay_on_the_site(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    html = page(site, f"p/{CARD}")
    assert (site / "p" / CARD / "chart.png").read_bytes() == POSTS[CARD]["files"]["chart.png"]
    assert (site / "p" / CARD / "cover.jpg").is_file()
    assert 'src="chart.png"' in html and "<script>alert" not in html
    assert "cdn.example.com" not in html and "tracker.example.net" not in html


def test_intranet_safe_output(built: tuple[Path, Path, Path]) -> None:
    root, recs, site = built
    for p in site.rglob("*"):
        if not p.is_file():
            continue
        text = p.read_bytes().decode("utf-8", errors="replace")
        for bad in (str(root), str(recs), str(site), "/root/", "/tmp/", "/home/"):
            assert bad not in text, (p.relative_to(site), bad)
        if p.suffix in (".html", ".css"):
            # nothing the browser would load from another host: no external stylesheet, script, font or image
            assert not re.search(r"""<(?:link|script|img|iframe)[^>]*(?:href|src)=["']?(?:https?:)?//""", text), p
            assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
    assert "Content-Security-Policy" in page(site, "") and "default-src 'self'" in page(site, f"p/{CARD}")
    assert not list(site.rglob("lunr*")) and not (site / "assets" / "javascripts" / "workers").exists()


def test_pagefind_index_with_filters(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    top = site / "pagefind"
    # sharded: the newest month (recent), the posts before it (older); the primary listed first
    assert json.loads((top / "shards.json").read_text(encoding="utf-8")) == {"shards": ["recent", "older"]}
    assert (top / "pagefind.js").read_bytes() == (top / "recent" / "pagefind.js").read_bytes()
    for shard, pages in (("recent", 3), ("older", 1)):  # WEALTH is retracted: its page is kept, and indexed
        assert (top / shard / "pagefind-entry.json").is_file() and list((top / shard).glob("pagefind.zh*.pf_meta"))
        assert not (top / shard / "pagefind-ui.js").exists()  # the page's own small UI replaces it
        assert len(list((top / shard / "fragment").iterdir())) == pages
    html = page(site, f"p/{CARD}")
    # category, unit and status are filters, never words of the page (a unit's name would match every post)
    for facet in ("类别:产品动态", "单位:个人金融部", "状态:已发布"):
        assert f'<span data-pagefind-filter="{facet}"></span>' in html, facet
    assert "data-pagefind-meta" not in html and "<span hidden" not in html
    assert '<script type="module" src="../javascripts/search.js">' in page(site, "search")
    assert 'import("../pagefind/pagefind.js")' in (site / "javascripts" / "search.js").read_text(encoding="utf-8")


def test_incremental_rebuild_writes_only_what_changed(tmp_path: Path) -> None:
    root = make_archive_repo(tmp_path / "repo")
    recs = tmp_path / "records"
    write_records(recs, records())
    site = tmp_path / "site"
    assert build_archive(root, site, recs, search=False).written == 4
    assert build_archive(root, site, recs, search=False).written == 0
    index = root / "posts" / FRAUD / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("96110", "96110（全天）"), encoding="utf-8")
    assert build_archive(root, site, recs, search=False).written == 1
    assert "96110（全天）" in page(site, f"p/{FRAUD}")
    (recs / "records" / f"{LOAN}.json").unlink()  # a record gone: its page and its index entries go too
    assert build_archive(root, site, recs, search=False).written == 0
    assert not (site / "p" / LOAN).exists() and "惠农贷助力春耕" not in page(site, "")
    import shutil

    shutil.rmtree(root / "posts" / FRAUD)  # the post left the repository; its record stays, and so does its page
    assert build_archive(root, site, recs, search=False).written == 1
    assert "文章源文件已不在仓库中" in page(site, f"p/{FRAUD}") and "反诈小课堂" in page(site, "")


def test_records_from_the_ledger_branch(tmp_path: Path) -> None:
    root = make_archive_repo(tmp_path / "repo")
    ledger = GitLedger(root)
    for rec in records()[:2]:
        stored = Record(rec.post_id)
        for ev in rec.events:
            stored = ledger.append(stored, ev, form_markdown=rec.form_markdown)
    result = build_archive(root, tmp_path / "site", search=False)
    assert result.posts == 2
    assert "同意发布（编号FORM-1）" in page(tmp_path / "site", f"p/{LOAN}")


def test_cli_build_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_archive_repo(tmp_path / "repo")
    recs = tmp_path / "records"
    write_records(recs, records())
    code = main(
        [
            "archive",
            "build",
            "--root",
            str(root),
            "--site-dir",
            str(tmp_path / "s"),
            "--records-dir",
            str(recs),
            "--no-search",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "4 publications (1 retracted)" in out
    assert main(["archive", "build", "--root", str(root), "--records-dir", str(tmp_path / "nope")]) == 2
    assert "--records-dir" in capsys.readouterr().err
    assert main(["archive", "build", "--root", str(root), "--site-dir", str(root)]) == 2
    broken = tmp_path / "broken" / "records" / "2026"
    broken.mkdir(parents=True)
    (broken / "12-01-x.json").write_text("{not json", encoding="utf-8")
    assert main(["archive", "build", "--root", str(root), "--records-dir", str(tmp_path / "broken")]) == 2
    assert "a record cannot be read" in capsys.readouterr().err
    assert main(["archive", "serve", "--root", str(root), "--site-dir", str(tmp_path / "empty")]) == 2
    assert "archive build" in capsys.readouterr().err


def test_serve_prints_its_url_and_serves(built: tuple[Path, Path, Path]) -> None:
    root, _, site = built
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "archive",
            "serve",
            "--root",
            str(root),
            "--site-dir",
            str(site),
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        with urllib.request.urlopen(url.group(0) + "feed.xml", timeout=10) as resp:
            assert b"<rss" in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_serve_in_thread_types_and_gzip(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    server = serve_in_thread(site)
    try:
        wasm = next((site / "pagefind" / "older").glob("wasm.*.pagefind"))
        with urllib.request.urlopen(url_of(server) + "pagefind/pagefind.js", timeout=10) as resp:
            assert resp.status == 200
        with urllib.request.urlopen(url_of(server) + f"pagefind/older/{wasm.name}", timeout=10) as resp:
            assert resp.read() == wasm.read_bytes()
        ask = urllib.request.Request(url_of(server) + "search/", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(ask, timeout=10) as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(resp.read()) == (site / "search" / "index.html").read_bytes()
    finally:
        server.shutdown()
        server.server_close()


def test_worker_processes_write_the_same_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.archive import build

    root = make_archive_repo(tmp_path / "repo")
    recs = tmp_path / "records"
    write_records(recs, records())
    one, two = tmp_path / "one", tmp_path / "two"
    build_archive(root, one, recs, search=False, jobs=1)
    monkeypatch.setattr(build, "PARALLEL_FROM", 2)  # 4 posts: force the worker processes
    assert build_archive(root, two, recs, search=False, jobs=2).written == 4
    for rel in (f"p/{CARD}/index.html", f"p/{CARD}/chart.png", f"p/{WEALTH}/index.html"):
        assert (one / rel).read_bytes() == (two / rel).read_bytes()


def test_nothing_published_yet(tmp_path: Path) -> None:
    root = make_archive_repo(tmp_path / "repo")
    (tmp_path / "records").mkdir()
    result = build_archive(root, tmp_path / "site", tmp_path / "records")
    assert result.posts == 0
    assert "共 0 篇已发布文章" in page(tmp_path / "site", "")
    assert not (tmp_path / "site" / "pagefind").exists() and not (tmp_path / "site" / "p").exists()


def test_post_page_shows_the_content_as_published_at_its_commit(tmp_path: Path) -> None:
    """Publish (records written by the ledger naming the real commit), edit the post on main, build."""
    root = make_archive_repo(tmp_path / "repo")
    published = git(root, "rev-parse", "HEAD").strip()
    ledger = GitLedger(root)
    by_id = {r.post_id: r for r in records()}
    for pid in (CARD, LOAN):
        rec = by_id[pid]
        real = published_record(
            pid,
            title=rec.title,
            unit=rec.unit,
            category=rec.category,
            publish_at=rec.publish_at or dt.datetime(2026, 12, 1, tzinfo=TZ),
            commit=published,
            form_markdown=rec.form_markdown,
        )
        stored = Record(pid)
        for ev in real.events:
            stored = ledger.append(stored, ev, form_markdown=real.form_markdown)
    # after publication someone edits the card post (text and image) on main and deletes the loan post
    index = root / "posts" / CARD / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("免收年费", "收取年费（已改）"), encoding="utf-8")
    edited_png = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(edited_png, format="PNG")
    (root / "posts" / CARD / "chart.png").write_bytes(edited_png.getvalue())
    import shutil

    shutil.rmtree(root / "posts" / LOAN)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "edit after publication")
    site = tmp_path / "site"
    assert build_archive(root, site, search=False).posts == 2
    card = page(site, f"p/{CARD}")
    assert "即日起，本行借记卡免收年费" in card and "收取年费（已改）" not in card
    assert "仓库中的这篇文章在发布后有改动" in card and published[:12] in card
    assert (site / "p" / CARD / "chart.png").read_bytes() == POSTS[CARD]["files"]["chart.png"]
    loan = page(site, f"p/{LOAN}")
    assert "惠农贷面向种养殖户" in loan and "这篇文章已从仓库中删除" in loan
    # an uncommitted edit in the working tree does not change the page either (only the note)
    index.write_text(index.read_text(encoding="utf-8") + "\n未提交的改动。\n", encoding="utf-8")
    assert build_archive(root, site, search=False).written == 0
    assert "未提交的改动" not in page(site, f"p/{CARD}")
    # a later event on the records branch (a retraction) is read again; the unchanged record is not
    retract = Event(dt.datetime(2026, 12, 6, 9, tzinfo=TZ), "retract", "done", "qian-compliance", published,
                    {"reason": "费率表述有误"})  # fmt: skip
    ledger.append(ledger.get(CARD), retract)
    assert build_archive(root, site, search=False).written == 1
    card = page(site, f"p/{CARD}")
    assert "费率表述有误" in card and "即日起，本行借记卡免收年费" in card and "同意发布（编号FORM-0）" in card


def test_without_a_usable_commit_the_working_tree_is_shown_and_said_so(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built  # the module's records name commits this repository does not have
    html = page(site, f"p/{CARD}")
    assert "非发布时版本" in html and "在本仓库中找不到" in html and "即日起，本行借记卡免收年费" in html


def test_rss_feed_is_valid_rss_2(built: tuple[Path, Path, Path]) -> None:
    _, _, site = built
    rss = ET.fromstring((site / "feed.xml").read_bytes())
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel is not None
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    for item in channel.findall("item"):
        assert item.findtext("title") and item.findtext("link") and item.findtext("guid")
        pub = item.findtext("pubDate") or ""
        assert email.utils.parsedate_to_datetime(pub).tzinfo is not None, pub


def _entry(pid: str, *, unit: str = "城关支行", tags: tuple[str, ...] = (), category: str = "notice") -> Entry:
    when = dt.datetime(2026, 12, int(pid[8:10]), 10, tzinfo=TZ)
    return Entry(pid, pid, unit, category, "published", "publish", when, tags=tags)


def test_names_that_slug_alike_share_one_page_listing_all_their_posts() -> None:
    entries = [
        _entry("2026/12-02-a", unit="城关 支行", tags=("ATM",)),
        _entry("2026/12-01-b", unit="城关支行", tags=("atm", "ATM")),
        _entry("2026/12-03-c", unit="城关/支行", tags=("ATM",)),
    ]
    by_src = {p.src: p for p in index_pages(entries)}
    tag = by_src["tags/atm/index.md"]
    assert tag.title == "标签：ATM" and "共 3 篇" in tag.html  # no post counted twice, none lost
    units = {src for src in by_src if src.startswith("unit/")}
    assert units == {"unit/index.md", "unit/城关-支行/index.md", "unit/城关支行/index.md"}
    assert "共 2 篇" in by_src["unit/城关-支行/index.md"].html
    assert by_src["tags/index.md"].html.count("<li>") == 1


def test_a_category_outside_the_six_still_gets_a_page_and_safe_links() -> None:
    odd = _entry("2026/12-04-d", category='旧类别"><x')
    by_src = {p.src: p for p in index_pages([odd, _entry("2026/12-05-e")])}
    assert odd.category_url == "category/旧类别-x/"
    assert "旧类别-x/index.md" in "".join(by_src) and 'href="../category/旧类别-x/"' in by_src["category/index.md"].html
    assert '"><x' not in by_src["index.md"].html


def test_no_secret_or_build_path_in_the_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WECHAT_SECRET", "WECHAT_APPID", "GITHUB_TOKEN", "GITEA_TOKEN"):
        monkeypatch.setenv(name, f"marker-{name.lower()}-5f3a9")
    root = make_archive_repo(tmp_path / "repo")
    write_records(tmp_path / "records", records())
    site = tmp_path / "site"
    build_archive(root, site, tmp_path / "records", search=False)
    for p in site.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert b"-5f3a9" not in data and str(tmp_path).encode() not in data, p


def test_object_reader_reads_folders_at_commits_and_refuses_names(tmp_path: Path) -> None:
    from pipeline.archive.gitread import ObjectReader, blob_id

    root = make_archive_repo(tmp_path / "repo")
    head = git(root, "rev-parse", "HEAD").strip()
    reader = ObjectReader(root)
    try:
        assert reader.has_commit(head) and not reader.has_commit("main") and not reader.has_commit("0" * 40)
        got = reader.folder(head, f"posts/{CARD}")
        assert got is not None
        tree, files = got
        assert tree == git(root, "rev-parse", f"HEAD:posts/{CARD}").strip()
        assert set(files) == {"index.md", "chart.png", "cover.jpg"}
        assert reader.blob(files["chart.png"]) == POSTS[CARD]["files"]["chart.png"]
        index = (root / "posts" / CARD / "index.md").read_bytes()
        assert files["index.md"] == blob_id(index)
        assert reader.folder(head, "posts/2026/no-such-post") is None
        reader.prefetch([files["index.md"], "f" * 40])  # answers kept until asked for, a missing one too
        assert reader.blob(files["index.md"]) == index and reader.get("f" * 40) is None
    finally:
        reader.close()


def _visible(html: str) -> str:
    """The text a reader sees, without tags or spaces."""
    import html as html_lib

    return re.sub(r"\s+", "", html_lib.unescape(re.sub(r"<[^>]+>", "", html)))


@pytest.mark.parametrize(
    "text",
    [
        POSTS[FRAUD]["text"].split("---\n", 2)[2],  # footnotes and a wide table
        POSTS[LOAN]["text"].split("---\n", 2)[2],
        "第一行  \n第二行\n接着写的一行",
        "中文*强调*和**加粗**、中文_下划线_，利率**2.60%**起",
        "- 一级\n  - 二级（编辑器缩进两格）\n    - 三级\n- 另一项",
        "| 项目 | 内容 |\n|---|---|\n| 标题 | *x* |\n\n```\ncode *x*\n```\n\n> 引用 **y**\n\n1. 一\n2. 二",
        "正文[^a]，又一处[^b]。\n\n[^a]: 第一条。\n[^b]: 第二条，含**加粗**。\n",
    ],
)
def test_the_archive_shows_the_text_wechat_got(text: str) -> None:
    """The archive's body says what the WeChat renderer's does (footnotes, nested lists, emphasis...): the
    same Markdown stage and footnote step. Links and images differ by design (see content.py)."""
    from pipeline.archive.content import Converter
    from pipeline.render.article import render_body

    shown, _ = Converter().convert(text)
    assert _visible(shown) == _visible(render_body(text, css="").html)


def test_archive_images_carry_no_location_or_camera_metadata(tmp_path: Path) -> None:
    """A phone photo's GPS position and camera serial never reach the archive, as they never reach WeChat."""
    from pipeline.imagemeta import read_metadata

    root = make_archive_repo(tmp_path / "repo")
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-0042"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (36.0, 40.0, 0.0), "E", (117.0, 0.0, 0.0)
    buf = io.BytesIO()
    Image.new("RGB", (900, 383), (20, 90, 150)).save(buf, format="JPEG", exif=exif)
    assert read_metadata(buf.getvalue()).gps
    (root / "posts" / CARD / "cover.jpg").write_bytes(buf.getvalue())
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a phone photo as cover")
    recs = tmp_path / "records"
    write_records(recs, records())
    site = tmp_path / "site"
    build_archive(root, site, recs, search=False)
    shown = (site / "p" / CARD / "cover.jpg").read_bytes()
    meta = read_metadata(shown)
    assert not meta.gps and not meta.exif
    assert b"SERIAL-0042" not in shown
    with Image.open(io.BytesIO(shown)) as img:
        assert img.size == (900, 383)


def test_a_malformed_image_is_named_with_its_post_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The build says which post and which image it leaves out, once, not a bare line per image."""
    root = make_archive_repo(tmp_path / "repo")
    folder = root / "posts" / CARD
    (folder / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)  # a PNG signature, then nothing
    index = folder / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n再看一次：![本地图](chart.png)\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a broken chart")
    recs = tmp_path / "records"
    write_records(recs, records())
    with caplog.at_level("WARNING", logger="wxpub.archive"):
        build_archive(root, tmp_path / "site", recs, search=False, jobs=1)
    lines = [r.getMessage() for r in caplog.records if "well-formed" in r.getMessage()]
    assert lines == [f"archive: posts/{CARD}/chart.png: not a well-formed image (PNG: truncated chunk); "
                     "the page is shown without it"], lines  # fmt: skip
    assert not (tmp_path / "site" / "p" / CARD / "chart.png").exists()
